// Owns the receipt handle format. A handle names one delivery of one message:
// (topic, queue, offset, delivery token). The token changes on every redelivery, so a
// handle from an earlier delivery is recognisably stale. Opaque to clients.
import { randomBytes } from 'node:crypto';
import { BrokerError, Code } from '../errors.js';

const VERSION = 'h1';

export interface ReceiptHandleParts {
  topic: string;
  queueId: number;
  offset: number;
  token: string;
}

// Tokens are cut from a pool of random bytes refilled 4 KiB at a time: one crypto call per ~680
// deliveries instead of one per delivery.
const TOKEN_BYTES = 6;
let pool = Buffer.alloc(0);
let at = 0;

export function newDeliveryToken(): string {
  if (at + TOKEN_BYTES > pool.length) {
    pool = randomBytes(4096);
    at = 0;
  }
  at += TOKEN_BYTES;
  return pool.toString('hex', at - TOKEN_BYTES, at);
}

export function encodeReceiptHandle(p: ReceiptHandleParts): string {
  return [VERSION, Buffer.from(p.topic, 'utf8').toString('base64url'), p.queueId, p.offset, p.token].join('.');
}

/** Parses a handle; a malformed one is an INVALID_RECEIPT_HANDLE error naming the problem. */
export function decodeReceiptHandle(handle: string): ReceiptHandleParts {
  const parts = handle.split('.');
  const [version, topic64, queueId, offset, token] = parts;
  // Buffer's base64url decoder skips characters it does not know; re-encoding catches that.
  const topic = Buffer.from(topic64 ?? '', 'base64url').toString('utf8');
  if (
    parts.length !== 5 ||
    version !== VERSION ||
    !topic ||
    Buffer.from(topic, 'utf8').toString('base64url') !== topic64 ||
    !/^\d{1,9}$/.test(queueId ?? '') ||
    !/^\d{1,16}$/.test(offset ?? '') ||
    !/^[0-9a-f]{12}$/.test(token ?? '')
  ) {
    throw new BrokerError(Code.INVALID_RECEIPT_HANDLE, 'receipt handle is malformed: pass the receipt_handle exactly as ReceiveMessage returned it');
  }
  return {
    topic,
    queueId: Number(queueId),
    offset: Number(offset),
    token: token!,
  };
}
