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

// The topic part of the handles this process issued, both ways (a handle is made and parsed once
// per delivered message; the topics are few). Bounded: emptied when it grows past MAX_TOPICS.
const MAX_TOPICS = 10_000;
const topicPart = new Map<string, string>();
const topicOfPart = new Map<string, string>();

function encodeTopic(topic: string): string {
  let part = topicPart.get(topic);
  if (part === undefined) {
    if (topicPart.size >= MAX_TOPICS) {
      topicPart.clear();
      topicOfPart.clear();
    }
    part = Buffer.from(topic, 'utf8').toString('base64url');
    topicPart.set(topic, part);
    topicOfPart.set(part, topic);
  }
  return part;
}

export function encodeReceiptHandle(p: ReceiptHandleParts): string {
  return `${VERSION}.${encodeTopic(p.topic)}.${p.queueId}.${p.offset}.${p.token}`;
}

/** The topic a handle's topic part names ('' when it names none). */
function decodeTopic(part: string): string {
  const known = topicOfPart.get(part);
  if (known !== undefined) return known;
  // Buffer's base64url decoder skips characters it does not know; re-encoding catches that.
  const topic = Buffer.from(part, 'base64url').toString('utf8');
  return topic && Buffer.from(topic, 'utf8').toString('base64url') === part ? topic : '';
}

/** A well-formed handle: version, topic part (base64url, no dots), queue, offset, token. */
const HANDLE = new RegExp(`^${VERSION}\\.([^.]*)\\.(\\d{1,9})\\.(\\d{1,16})\\.([0-9a-f]{12})$`);

/** Parses a handle; a malformed one is an INVALID_RECEIPT_HANDLE error naming the problem. */
export function decodeReceiptHandle(handle: string): ReceiptHandleParts {
  const m = HANDLE.exec(handle);
  const topic = m ? decodeTopic(m[1]!) : '';
  if (!m || !topic) {
    throw new BrokerError(Code.INVALID_RECEIPT_HANDLE, 'receipt handle is malformed: pass the receipt_handle exactly as ReceiveMessage returned it');
  }
  return { topic, queueId: Number(m[2]), offset: Number(m[3]), token: m[4]! };
}
