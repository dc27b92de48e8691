// Owns the on-disk encoding of the LevelDB backend's in-flight records (`consumer` sublevel, key
// `i, topic, group, queue, offset`): a compact binary form written since storage format 5, and
// the JSON form of earlier formats, still read. The record of a delivery also carries when it was
// handed out and to which client, so that the delivery history of the current attempt is derived
// from it instead of being written separately (see message-index.ts).
import type { InflightRecord } from '../../domain/receive-plan.js';

/** An in-flight record as the LevelDB backend keeps it. */
export interface StoredInflight extends InflightRecord {
  /** When the current attempt was handed out (absent: written before format 5, its delivery has a history record of its own). */
  atMs?: number;
  /** The client the current attempt went to, when the receive named one. */
  clientId?: string;
}

/** First byte of the binary form (a JSON record starts with `{`). */
const BINARY_V1 = 0x01;
const HAS_GROUP = 1;
const HAS_RENEW = 2;
const HAS_RENEW_BROKER = 4;
const HAS_FIRST = 8;
const HAS_AT = 16;
const HAS_CLIENT = 32;

/** Strings this long or shorter fit a u16 byte length in UTF-8 (3 bytes per UTF-16 unit at most). */
const MAX_STR_CHARS = 21_845;
const strBytes = (s: string): number => 2 + Buffer.byteLength(s, 'utf8');
const tooLong = (s: string | undefined): boolean => s !== undefined && s.length > MAX_STR_CHARS;

/**
 * Version, flags, attempt (u32), visibleAtMs (f64), token, then the optional fields the flags
 * name; times as doubles (exact for integers), strings as a u16 byte length and UTF-8. The offset
 * is the key's.
 */
export function encodeInflight(e: StoredInflight): Buffer {
  if (tooLong(e.token) || tooLong(e.messageGroup) || tooLong(e.renew?.clientId) || tooLong(e.renew?.brokerId) || tooLong(e.clientId)) {
    return Buffer.from(JSON.stringify(e), 'utf8'); // beyond a u16 length: the JSON form
  }
  let flags = 0;
  let size = 1 + 1 + 4 + 8 + strBytes(e.token);
  if (e.messageGroup !== undefined) {
    flags |= HAS_GROUP;
    size += strBytes(e.messageGroup);
  }
  if (e.renew) {
    flags |= HAS_RENEW;
    size += strBytes(e.renew.clientId) + 8;
    if (e.renew.brokerId !== undefined) {
      flags |= HAS_RENEW_BROKER;
      size += strBytes(e.renew.brokerId);
    }
  }
  if (e.firstAtMs !== undefined) {
    flags |= HAS_FIRST;
    size += 8;
  }
  if (e.atMs !== undefined) {
    flags |= HAS_AT;
    size += 8;
  }
  if (e.clientId !== undefined) {
    flags |= HAS_CLIENT;
    size += strBytes(e.clientId);
  }
  const b = Buffer.allocUnsafe(size);
  b[0] = BINARY_V1;
  b[1] = flags;
  b.writeUInt32BE(e.attempt, 2);
  b.writeDoubleBE(e.visibleAtMs, 6);
  let at = writeStr(b, 14, e.token);
  if (e.messageGroup !== undefined) at = writeStr(b, at, e.messageGroup);
  if (e.renew) {
    at = writeStr(b, at, e.renew.clientId);
    at = b.writeDoubleBE(e.renew.sinceMs, at);
    if (e.renew.brokerId !== undefined) at = writeStr(b, at, e.renew.brokerId);
  }
  if (e.firstAtMs !== undefined) at = b.writeDoubleBE(e.firstAtMs, at);
  if (e.atMs !== undefined) at = b.writeDoubleBE(e.atMs, at);
  if (e.clientId !== undefined) writeStr(b, at, e.clientId);
  return b;
}

/** Reads either form; `offset` is the record key's. */
export function decodeInflight(b: Buffer, offset: number): StoredInflight {
  if (b[0] !== BINARY_V1) return { ...(JSON.parse(b.toString('utf8')) as StoredInflight), offset };
  const flags = b[1]!;
  const r = { at: 14 };
  const e: StoredInflight = { offset, attempt: b.readUInt32BE(2), visibleAtMs: b.readDoubleBE(6), token: readStr(b, r) };
  if (flags & HAS_GROUP) e.messageGroup = readStr(b, r);
  if (flags & HAS_RENEW) {
    const clientId = readStr(b, r);
    const sinceMs = b.readDoubleBE(r.at);
    r.at += 8;
    e.renew = flags & HAS_RENEW_BROKER ? { clientId, sinceMs, brokerId: readStr(b, r) } : { clientId, sinceMs };
  }
  if (flags & HAS_FIRST) {
    e.firstAtMs = b.readDoubleBE(r.at);
    r.at += 8;
  }
  if (flags & HAS_AT) {
    e.atMs = b.readDoubleBE(r.at);
    r.at += 8;
  }
  if (flags & HAS_CLIENT) e.clientId = readStr(b, r);
  return e;
}

function writeStr(b: Buffer, at: number, s: string): number {
  const n = b.write(s, at + 2, 'utf8');
  b.writeUInt16BE(n, at);
  return at + 2 + n;
}

function readStr(b: Buffer, r: { at: number }): string {
  const n = b.readUInt16BE(r.at);
  const s = b.toString('utf8', r.at + 2, r.at + 2 + n);
  r.at += 2 + n;
  return s;
}
