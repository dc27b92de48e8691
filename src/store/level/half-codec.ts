// Owns the on-disk encoding of half-message metadata (sublevel `half`, keyed by transaction id),
// rewritten on every check and written once per transaction.
//
// Binary record (storage format 7): byte 0xB2, a 16-bit little-endian flag word, then the
// producer group, sender client id and topic (strings as in message records: 32-bit LE byte
// length + UTF-8, written by record-codec.ts's writeStr), the receive and next-check times
// (float64 LE), the check count (32-bit LE), then each optional field its flag names, in flag
// order. The transaction id is the key; the message id is stored
// only when it differs from it. About half the bytes of the JSON form and a fraction of its CPU
// to write and read (a claim sweep reads and rewrites one per check); decoded into one object of
// a fixed field order, which the claim's copies then handle on V8's fast paths.
//
// JSON record (formats 5 and 6: idRecord, without the ids the key holds; before: with them),
// still read; a record the binary form cannot hold (a field of an unexpected type) is written
// as JSON too, so that every record round-trips.
import { idRecord, parseIdRecord } from './db.js';
import {
  assertEnd,
  checksBytes,
  isChecks,
  isCount,
  isStrings,
  isText,
  lenient,
  readChecks,
  readF64,
  readStr,
  readStrings,
  readU32,
  strBytes,
  stringsBytes,
  writeChecks,
  writeStrings,
} from './binary-fields.js';
import { writeStr } from './record-codec.js';
import type { HalfRecord } from '../../domain/transactions.js';

const BINARY = 0xb2;

const ABANDONED = 1 << 0;
const AGE = 1 << 1;
const MESSAGE_ID = 1 << 2;
const KEYS = 1 << 3;
const TIMEOUTS = 1 << 4;
const AWAITING = 1 << 5;
const AWAITING_TRUE = 1 << 6;
const SILENCE = 1 << 7;
const SILENCE_TRUE = 1 << 8;
const LAST_AT = 1 << 9;
const LAST_DUE = 1 << 10;
const LAST_CLIENT = 1 << 11;
const REASON = 1 << 12;
const CHECKS = 1 << 13;

const isTime = (n: unknown): boolean => n === undefined || typeof n === 'number';
const isFlag = (b: unknown): boolean => b === undefined || typeof b === 'boolean';

/** Whether the binary form holds every field of the record as it is. */
function fitsBinary(m: HalfRecord): boolean {
  return (
    (m.state === 'PENDING' || m.state === 'ABANDONED') &&
    (m.budget === 'checks' || m.budget === 'age') &&
    typeof m.producerGroup === 'string' &&
    typeof m.senderClientId === 'string' &&
    typeof m.topic === 'string' &&
    typeof m.messageId === 'string' &&
    typeof m.receivedAtMs === 'number' &&
    typeof m.nextCheckAtMs === 'number' &&
    isCount(m.checkCount) &&
    (m.timeouts === undefined || isCount(m.timeouts)) &&
    isFlag(m.awaitingAnswer) &&
    isFlag(m.silenceIsUnknown) &&
    isTime(m.lastCheckAtMs) &&
    isTime(m.lastCheckDueAtMs) &&
    isText(m.lastCheckClientId) &&
    isText(m.abandonReason) &&
    (m.checks === undefined || isChecks(m.checks)) &&
    (m.keys === undefined || isStrings(m.keys))
  );
}

/** The value of a half-message metadata record (binary; JSON for a record the binary form cannot hold). */
export function encodeHalfMeta(m: HalfRecord): Buffer {
  if (!fitsBinary(m)) return idRecord(m);
  let flags = 0;
  let size = 3 + 16 + 4; // tag and flags, two times, the check count; strings add their own
  const text = (s: string): void => void (size += strBytes(s));
  text(m.producerGroup);
  text(m.senderClientId);
  text(m.topic);
  if (m.state === 'ABANDONED') flags |= ABANDONED;
  if (m.budget === 'age') flags |= AGE;
  if (m.messageId !== m.transactionId) {
    flags |= MESSAGE_ID;
    text(m.messageId);
  }
  if (m.timeouts !== undefined) {
    flags |= TIMEOUTS;
    size += 4;
  }
  if (m.awaitingAnswer !== undefined) flags |= AWAITING | (m.awaitingAnswer ? AWAITING_TRUE : 0);
  if (m.silenceIsUnknown !== undefined) flags |= SILENCE | (m.silenceIsUnknown ? SILENCE_TRUE : 0);
  if (m.lastCheckAtMs !== undefined) {
    flags |= LAST_AT;
    size += 8;
  }
  if (m.lastCheckDueAtMs !== undefined) {
    flags |= LAST_DUE;
    size += 8;
  }
  if (m.lastCheckClientId !== undefined) {
    flags |= LAST_CLIENT;
    text(m.lastCheckClientId);
  }
  if (m.abandonReason !== undefined) {
    flags |= REASON;
    text(m.abandonReason);
  }
  if (m.checks !== undefined) {
    flags |= CHECKS;
    size += checksBytes(m.checks);
  }
  if (m.keys !== undefined) {
    flags |= KEYS;
    size += stringsBytes(m.keys);
  }
  const b = Buffer.allocUnsafe(size);
  b[0] = BINARY;
  b.writeUInt16LE(flags, 1);
  let at = writeStr(b, 3, m.producerGroup);
  at = writeStr(b, at, m.senderClientId);
  at = writeStr(b, at, m.topic);
  at = b.writeDoubleLE(m.receivedAtMs, at);
  at = b.writeDoubleLE(m.nextCheckAtMs, at);
  at = b.writeUInt32LE(m.checkCount, at);
  if (flags & MESSAGE_ID) at = writeStr(b, at, m.messageId);
  if (flags & TIMEOUTS) at = b.writeUInt32LE(m.timeouts!, at);
  if (flags & LAST_AT) at = b.writeDoubleLE(m.lastCheckAtMs!, at);
  if (flags & LAST_DUE) at = b.writeDoubleLE(m.lastCheckDueAtMs!, at);
  if (flags & LAST_CLIENT) at = writeStr(b, at, m.lastCheckClientId!);
  if (flags & REASON) at = writeStr(b, at, m.abandonReason!);
  if (flags & CHECKS) at = writeChecks(b, at, m.checks!);
  if (flags & KEYS) writeStrings(b, at, m.keys!);
  return b;
}

/** Reads a metadata record of either form; throws when it is unreadable (truncated, not JSON). */
export function decodeHalfMeta(transactionId: string, b: Buffer): HalfRecord {
  if (b[0] !== BINARY) return parseIdRecord<HalfRecord>(transactionId, b);
  const r = { at: 3, what: 'half-message record' };
  const flags = b.readUInt16LE(1);
  const producerGroup = readStr(b, r);
  const senderClientId = readStr(b, r);
  const topic = readStr(b, r);
  const receivedAtMs = readF64(b, r);
  const nextCheckAtMs = readF64(b, r);
  const checkCount = readU32(b, r);
  const m: HalfRecord = {
    transactionId,
    messageId: flags & MESSAGE_ID ? readStr(b, r) : transactionId,
    topic,
    producerGroup,
    senderClientId,
    receivedAtMs,
    state: flags & ABANDONED ? 'ABANDONED' : 'PENDING',
    budget: flags & AGE ? 'age' : 'checks',
    checkCount,
    nextCheckAtMs,
  };
  if (flags & TIMEOUTS) m.timeouts = readU32(b, r);
  if (flags & AWAITING) m.awaitingAnswer = (flags & AWAITING_TRUE) !== 0;
  if (flags & SILENCE) m.silenceIsUnknown = (flags & SILENCE_TRUE) !== 0;
  if (flags & LAST_AT) m.lastCheckAtMs = readF64(b, r);
  if (flags & LAST_DUE) m.lastCheckDueAtMs = readF64(b, r);
  if (flags & LAST_CLIENT) m.lastCheckClientId = readStr(b, r);
  if (flags & REASON) m.abandonReason = readStr(b, r);
  if (flags & CHECKS) m.checks = readChecks(b, r);
  if (flags & KEYS) m.keys = readStrings(b, r);
  assertEnd(b, r);
  return m;
}

/** decodeHalfMeta, undefined when unreadable. */
export const tryDecodeHalfMeta: (transactionId: string, b: Buffer) => HalfRecord | undefined = lenient(decodeHalfMeta);
