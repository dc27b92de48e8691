// Owns the RocketMQ 5 gRPC request signature (what the official clients send with session
// credentials): `authorization: MQv2-HMAC-SHA1 Credential=<ak>[/…], SignedHeaders=x-mq-date-time,
// Signature=<hex>` where the signature is HMAC-SHA1(secret, value of x-mq-date-time) in hex of
// either case, and x-mq-date-time is `yyyyMMdd'T'HHmmss'Z'` (UTC). Parsing, the skew check and
// the comparison are pure; every failure is an UNAUTHORIZED BrokerError saying which part is
// wrong (never the secret).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Code } from './codes.js';
import { BrokerError } from './errors.js';

export interface Mqv2Authorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

const unauthorized = (message: string): BrokerError => new BrokerError(Code.UNAUTHORIZED, message);

/** Parses the authorization header; throws UNAUTHORIZED naming what is malformed. */
export function parseMqv2Authorization(header: string): Mqv2Authorization {
  const m = /^\s*MQv2-HMAC-SHA1\s+(.*)$/.exec(header);
  if (!m) throw unauthorized('the authorization header is malformed: expected "MQv2-HMAC-SHA1 Credential=<accessKey>, SignedHeaders=x-mq-date-time, Signature=<hex>"');
  const fields = new Map<string, string>();
  for (const part of m[1]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  const signed = fields.get('SignedHeaders');
  if (!credential) throw unauthorized('the authorization header has no Credential=<accessKey>');
  if (!signature) throw unauthorized('the authorization header has no Signature=<hex>');
  if (!/^[0-9a-fA-F]{40}$/.test(signature)) throw unauthorized('the authorization Signature is not 40 hex digits (HMAC-SHA1)');
  const accessKey = credential.split('/')[0]!.trim();
  if (!accessKey) throw unauthorized('the authorization Credential has an empty access key');
  const signedHeaders = (signed ?? 'x-mq-date-time').split(';').map((h) => h.trim().toLowerCase());
  if (!signedHeaders.includes('x-mq-date-time')) throw unauthorized('the authorization SignedHeaders must include x-mq-date-time');
  return { accessKey, signedHeaders, signature };
}

/** Epoch ms of an x-mq-date-time value (`20260309T195445Z`); throws UNAUTHORIZED when malformed. */
export function parseMqDateTime(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value.trim());
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : NaN;
  if (!m || Number.isNaN(ms)) throw unauthorized(`x-mq-date-time ${JSON.stringify(value)} is malformed: expected yyyyMMdd'T'HHmmss'Z' in UTC, e.g. 20260309T195445Z`);
  return ms;
}

/** Formats epoch ms as x-mq-date-time. */
export function formatMqDateTime(ms: number): string {
  return new Date(ms).toISOString().split('.')[0]!.replace(/[-:]/g, '') + 'Z';
}

/** Hex HMAC-SHA1(secret, dateTime), upper case as the official clients send it. */
export function mqv2Signature(secret: string, dateTime: string): string {
  return createHmac('sha1', secret).update(dateTime).digest('hex').toUpperCase();
}

/** Throws UNAUTHORIZED when the date is too far from now or the signature does not match. */
export function verifyMqv2(auth: Mqv2Authorization, dateTime: string, secret: string, nowMs: number, maxSkewMs: number): void {
  const at = parseMqDateTime(dateTime);
  if (Math.abs(nowMs - at) > maxSkewMs) {
    throw unauthorized(
      `x-mq-date-time ${dateTime} is ${Math.round(Math.abs(nowMs - at) / 1000)} s from the broker clock (${formatMqDateTime(nowMs)}), more than the ${Math.round(maxSkewMs / 1000)} s allowed: fix the client clock`,
    );
  }
  const expected = Buffer.from(mqv2Signature(secret, dateTime), 'utf8');
  const given = Buffer.from(auth.signature.toUpperCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw unauthorized(`the signature of access key ${auth.accessKey} does not match: sign x-mq-date-time with HMAC-SHA1 and this user's secret`);
  }
}
