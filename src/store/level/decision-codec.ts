// Owns the on-disk encoding of decision records (sublevel `txdecision`, keyed by transaction id),
// written once per transaction in the batch of its COMMIT or ROLLBACK.
//
// Binary record (storage format 8): byte 0xD8, a 16-bit little-endian flag word, then the topic
// (a string as in message records: 32-bit LE byte length + UTF-8, written by record-codec.ts's
// writeStr), the receive and decision times (float64 LE), the check count (32-bit LE), then each
// optional field its flag names, in flag order. The state and the source are flag bits. The
// transaction id is the key; the message id is stored only when it differs from it. About two
// thirds of the bytes of the JSON form and a fraction of its CPU to write (one per transaction).
//
// JSON record (formats 5 to 7: idRecord, without the ids the key holds; before: with them), still
// read; a record the binary form cannot hold (a field of an unexpected type) is written as JSON
// too, so that every record round-trips.
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
import type { DecisionSource, TransactionDecision } from '../../domain/transactions.js';

const BINARY = 0xd8;

/** The sources, by their 3-bit number in the flag word (bits 1-3). */
const SOURCES: readonly DecisionSource[] = ['CLIENT', 'SERVER_CHECK', 'ADMIN', 'POLICY', 'HTTP'];
const SOURCE_SHIFT = 1;
const SOURCE_MASK = 0b111 << SOURCE_SHIFT;

const ROLLED_BACK = 1 << 0;
const MESSAGE_ID = 1 << 4;
const REASON = 1 << 5;
const KEYS = 1 << 6;
const CHECKS = 1 << 7;
const OFFSET = 1 << 8;
const BY_USER = 1 << 9;
const BY_CLIENT = 1 << 10;
const BY_ADDRESS = 1 << 11;
const BY = 1 << 12;

/** Whether the binary form holds every field of the record as it is. */
function fitsBinary(d: TransactionDecision): boolean {
  const by = d.decidedBy;
  return (
    (d.state === 'COMMITTED' || d.state === 'ROLLED_BACK') &&
    SOURCES.includes(d.source) &&
    typeof d.topic === 'string' &&
    typeof d.messageId === 'string' &&
    typeof d.receivedAtMs === 'number' &&
    typeof d.decidedAtMs === 'number' &&
    isCount(d.checkCount) &&
    isText(d.reason) &&
    (d.offset === undefined || typeof d.offset === 'number') &&
    (by === undefined || (typeof by === 'object' && by !== null && isText(by.user) && isText(by.clientId) && isText(by.address))) &&
    (d.checks === undefined || isChecks(d.checks)) &&
    (d.keys === undefined || isStrings(d.keys))
  );
}

/** The value of a decision record (binary; JSON for a record the binary form cannot hold). */
export function encodeDecision(d: TransactionDecision): Buffer {
  if (!fitsBinary(d)) return idRecord(d);
  let flags = (d.state === 'ROLLED_BACK' ? ROLLED_BACK : 0) | (SOURCES.indexOf(d.source) << SOURCE_SHIFT);
  let size = 3 + 16 + 4; // tag and flags, two times, the check count; strings add their own
  const text = (s: string): void => void (size += strBytes(s));
  text(d.topic);
  if (d.messageId !== d.transactionId) {
    flags |= MESSAGE_ID;
    text(d.messageId);
  }
  if (d.reason !== undefined) {
    flags |= REASON;
    text(d.reason);
  }
  if (d.keys !== undefined) {
    flags |= KEYS;
    size += stringsBytes(d.keys);
  }
  if (d.checks !== undefined) {
    flags |= CHECKS;
    size += checksBytes(d.checks);
  }
  if (d.offset !== undefined) {
    flags |= OFFSET;
    size += 8;
  }
  const by = d.decidedBy;
  if (by !== undefined) {
    flags |= BY;
    if (by.user !== undefined) {
      flags |= BY_USER;
      text(by.user);
    }
    if (by.clientId !== undefined) {
      flags |= BY_CLIENT;
      text(by.clientId);
    }
    if (by.address !== undefined) {
      flags |= BY_ADDRESS;
      text(by.address);
    }
  }
  const b = Buffer.allocUnsafe(size);
  b[0] = BINARY;
  b.writeUInt16LE(flags, 1);
  let at = writeStr(b, 3, d.topic);
  at = b.writeDoubleLE(d.receivedAtMs, at);
  at = b.writeDoubleLE(d.decidedAtMs, at);
  at = b.writeUInt32LE(d.checkCount, at);
  if (flags & MESSAGE_ID) at = writeStr(b, at, d.messageId);
  if (flags & REASON) at = writeStr(b, at, d.reason!);
  if (flags & KEYS) at = writeStrings(b, at, d.keys!);
  if (flags & CHECKS) at = writeChecks(b, at, d.checks!);
  if (flags & OFFSET) at = b.writeDoubleLE(d.offset!, at);
  if (flags & BY_USER) at = writeStr(b, at, by!.user!);
  if (flags & BY_CLIENT) at = writeStr(b, at, by!.clientId!);
  if (flags & BY_ADDRESS) writeStr(b, at, by!.address!);
  return b;
}

/** Reads a decision record of either form; throws when it is unreadable (truncated, not JSON). */
export function decodeDecision(transactionId: string, b: Buffer): TransactionDecision {
  if (b[0] !== BINARY) return parseIdRecord<TransactionDecision>(transactionId, b);
  const r = { at: 3, what: 'decision record' };
  const flags = b.readUInt16LE(1);
  const source = SOURCES[(flags & SOURCE_MASK) >> SOURCE_SHIFT];
  if (source === undefined) throw new RangeError(`decision record names an unknown source ${(flags & SOURCE_MASK) >> SOURCE_SHIFT}`);
  const topic = readStr(b, r);
  const receivedAtMs = readF64(b, r);
  const decidedAtMs = readF64(b, r);
  const checkCount = readU32(b, r);
  const d: TransactionDecision = {
    transactionId,
    topic,
    messageId: flags & MESSAGE_ID ? readStr(b, r) : transactionId,
    state: flags & ROLLED_BACK ? 'ROLLED_BACK' : 'COMMITTED',
    source,
    receivedAtMs,
    decidedAtMs,
    checkCount,
  };
  if (flags & REASON) d.reason = readStr(b, r);
  if (flags & KEYS) d.keys = readStrings(b, r);
  if (flags & CHECKS) d.checks = readChecks(b, r);
  if (flags & OFFSET) d.offset = readF64(b, r);
  if (flags & BY) {
    const by: NonNullable<TransactionDecision['decidedBy']> = {};
    if (flags & BY_USER) by.user = readStr(b, r);
    if (flags & BY_CLIENT) by.clientId = readStr(b, r);
    if (flags & BY_ADDRESS) by.address = readStr(b, r);
    d.decidedBy = by;
  }
  assertEnd(b, r);
  return d;
}

/** decodeDecision, undefined when unreadable. */
export const tryDecodeDecision: (transactionId: string, b: Buffer) => TransactionDecision | undefined = lenient(decodeDecision);
