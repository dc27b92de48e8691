// Owns the reading steps every fast decoder shares, each one the exact step protobufjs's generated
// decoder (7.x, see pinned version) takes, with the same checks and the same errors, so a fast
// decoder accepts and rejects exactly the bytes the generic one does: entering and leaving a
// length-delimited sub-message, an int64 varint read straight into its decimal string (no Long
// object, as toObject with longs: String would print it), and the small messages used everywhere
// (Resource, Timestamp/Duration) built in toObject's shape (keepCase, defaults) directly.
import { LongClass, pbUtil, Reader } from './schema.js';

/** A decoded message in toObject's shape (the handlers see it through protocol/types.ts). */
export type Decoded = Record<string, unknown>;

/** Enters a sub-message of `length` bytes at nesting depth `depth`; returns the outer limit. */
export function enter(r: Reader, length: number, depth: number): number {
  if (depth > Reader.recursionLimit) throw Error('maximum nesting depth exceeded');
  const end = r.pos + length;
  if (end > r.len) throw RangeError('index out of range');
  const outer = r.len;
  r.len = end;
  return outer;
}

/** Leaves the sub-message entered with `enter` (it must end exactly at its limit `end`). */
export function leave(r: Reader, end: number, outer: number): void {
  if (r.pos !== end) throw RangeError('index out of range');
  r.len = outer;
}

/** The top-level reader of a request (as `Type.decode(buffer)` makes it). */
export function readerOf(bytes: Uint8Array): Reader {
  return Reader.create(bytes);
}

function indexOutOfRange(r: Reader): RangeError {
  return RangeError(`index out of range: ${r.pos} + 1 > ${r.len}`);
}

const TWO_32 = 4294967296;
let lo = 0;
let hi = 0;

/** protobufjs's readLongVarint, step for step (including its short-buffer quirk), into lo/hi. */
function readLongVarint(r: Reader): void {
  const buf = r.buf;
  let i = 0;
  lo = 0;
  hi = 0;
  if (r.len - r.pos > 4) {
    for (; i < 4; ++i) {
      lo = (lo | ((buf[r.pos]! & 127) << (i * 7))) >>> 0;
      if (buf[r.pos++]! < 128) return;
    }
    lo = (lo | ((buf[r.pos]! & 127) << 28)) >>> 0;
    hi = (hi | ((buf[r.pos]! & 127) >> 4)) >>> 0;
    if (buf[r.pos++]! < 128) return;
    i = 0;
  } else {
    for (; i < 3; ++i) {
      if (r.pos >= r.len) throw indexOutOfRange(r);
      lo = (lo | ((buf[r.pos]! & 127) << (i * 7))) >>> 0;
      if (buf[r.pos++]! < 128) return;
    }
    // As protobufjs: the 4th byte is taken without a bounds check (undefined & 127 is 0).
    lo = (lo | ((buf[r.pos++]! & 127) << (i * 7))) >>> 0;
    return;
  }
  if (r.len - r.pos > 4) {
    for (; i < 5; ++i) {
      hi = (hi | ((buf[r.pos]! & 127) << (i * 7 + 3))) >>> 0;
      if (buf[r.pos++]! < 128) return;
    }
  } else {
    for (; i < 5; ++i) {
      if (r.pos >= r.len) throw indexOutOfRange(r);
      hi = (hi | ((buf[r.pos]! & 127) << (i * 7 + 3))) >>> 0;
      if (buf[r.pos++]! < 128) return;
    }
  }
  throw Error('invalid varint encoding');
}

/** An int64 field as toObject (longs: String) prints it: signed decimal. */
export function readInt64String(r: Reader): string {
  readLongVarint(r);
  // Non-negative below 2^53: exact as a double. Anything else through Long, as the generic path.
  if (hi < 0x200000) return String(hi * TWO_32 + lo);
  return new LongClass(lo | 0, hi | 0, false).toString();
}

/** Resource { resource_namespace = 1; name = 2 } in toObject's shape. */
export function readResource(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  let resource_namespace = '';
  let name = '';
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        resource_namespace = r.string();
        break;
      case 2:
        name = r.string();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return { resource_namespace, name };
}

/** google.protobuf.Timestamp and Duration (both { int64 seconds = 1; int32 nanos = 2 }). */
export function readSecondsNanos(r: Reader, depth: number): Decoded {
  const outer = enter(r, r.uint32(), depth);
  const end = r.len;
  let seconds = '0';
  let nanos = 0;
  while (r.pos < end) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        seconds = readInt64String(r);
        break;
      case 2:
        nanos = r.int32();
        break;
      default:
        r.skipType(t & 7, depth);
        break;
    }
  }
  leave(r, end, outer);
  return { seconds, nanos };
}

/** A string -> string map entry (as the generated decoder reads one) into `map`. */
export function readStringMapEntry(r: Reader, map: Record<string, string>, depth: number, outerEnd: number): void {
  const end = r.uint32() + r.pos;
  if (end > r.len) throw RangeError('index out of range');
  r.len = end;
  let k = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        k = r.string();
        break;
      case 2:
        value = r.string();
        break;
      default:
        r.skipType(tag & 7, depth);
        break;
    }
  }
  if (r.pos !== end) throw RangeError('index out of range');
  r.len = outerEnd;
  if (k === '__proto__') pbUtil.makeProp(map, k);
  map[k] = value;
}

/** A packed-or-not repeated enum element (or run) as the generated decoder reads it, into `out`. */
export function readRepeatedInt32(r: Reader, t: number, out: number[], outerEnd: number): void {
  if ((t & 7) === 2) {
    const end = r.uint32() + r.pos;
    if (end > r.len) throw RangeError('index out of range');
    r.len = end;
    while (r.pos < end) out.push(r.int32());
    if (r.pos !== end) throw RangeError('index out of range');
    r.len = outerEnd;
  } else out.push(r.int32());
}
