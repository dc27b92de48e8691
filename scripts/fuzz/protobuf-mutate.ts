// Owns the fuzzer's protobuf input: requests sampled from a message type (every field filled
// from pools of real and hostile values), and field-level mutations of their wire encoding
// (delete, duplicate, reorder, change a varint, a wire type or a length, mutate a nested
// message, insert unknown fields) plus byte-level ones (flip, truncate, append).
import type protobuf from 'protobufjs';
import type { Rng } from './random.js';

/** Strings tried in string fields: the real resource names first, then hostile ones. */
export function stringPool(names: readonly string[]): string[] {
  return [
    ...names,
    '',
    ' ',
    'a'.repeat(300),
    'x'.repeat(70_000),
    '%DLQ%g',
    '%RETRY%g',
    '../../etc/passwd',
    'a\u0000b',
    '\u{1F600}',
    '*',
    'TagA||TagB',
    '||',
    'rmq_sys_x',
    'SELECT * FROM x',
  ];
}

const NUMBERS = [0, 1, -1, 2, 7, 32, 1024, 1025, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, Number.MAX_SAFE_INTEGER];

/** A request of `type` with fields filled at random (depth-bounded), as a plain object for fromObject. */
export function sample(type: protobuf.Type, r: Rng, strings: readonly string[], depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofs = new Set<string>();
  for (const field of type.fieldsArray) {
    if (field.partOf && oneofs.has(field.partOf.name)) continue;
    if (!r.chance(depth === 0 ? 0.85 : 0.6)) continue;
    if (field.partOf) oneofs.add(field.partOf.name);
    field.resolve();
    const one = (): unknown => value(field, r, strings, depth);
    if (field.map) {
      const m: Record<string, unknown> = {};
      for (let i = r.int(4); i > 0; i--) m[r.pick(strings).slice(0, 40)] = one();
      out[field.name] = m;
    } else if (field.repeated) out[field.name] = Array.from({ length: r.int(4) }, one);
    else out[field.name] = one();
  }
  return out;
}

function value(field: protobuf.Field, r: Rng, strings: readonly string[], depth: number): unknown {
  const rt = field.resolvedType;
  if (rt && 'fieldsArray' in rt) {
    const t = rt as protobuf.Type;
    if (t.fullName === '.google.protobuf.Timestamp' || t.fullName === '.google.protobuf.Duration') {
      return { seconds: r.pick(['0', '1', '30', '-5', '86400000', '9223372036854775807']), nanos: r.pick([0, 500_000_000, -1, 999_999_999]) };
    }
    return depth > 4 ? {} : sample(t, r, strings, depth + 1);
  }
  if (rt && 'values' in rt) {
    const values = Object.values((rt as protobuf.Enum).values);
    return r.chance(0.9) ? r.pick(values) : r.int(1000);
  }
  switch (field.type) {
    case 'string':
      return r.pick(strings);
    case 'bytes':
      return r.chance(0.5) ? Buffer.from(r.pick(strings)) : r.bytes(r.pick([0, 1, 16, 4096, 70_000]));
    case 'bool':
      return r.chance(0.5);
    case 'double':
    case 'float':
      return r.pick([0, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY]);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return String(r.pick([...NUMBERS, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n]));
    default: {
      const n = r.pick(NUMBERS);
      return field.type.startsWith('u') || field.type === 'fixed32' ? Math.abs(n) % 2 ** 32 : n | 0;
    }
  }
}

interface WireField {
  start: number;
  end: number;
  fieldNo: number;
  wireType: number;
  /** Payload span of a length-delimited field. */
  payload?: [number, number];
}

function readVarint(buf: Buffer, at: number): [number, number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    value += (buf[i]! & 0x7f) * 2 ** shift;
    shift += 7;
    if ((buf[i]! & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

function varint(n: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

/** The top-level fields of an encoded message; undefined when it does not parse. */
export function wireFields(buf: Buffer): WireField[] | undefined {
  const out: WireField[] = [];
  let at = 0;
  while (at < buf.length) {
    const tag = readVarint(buf, at);
    if (!tag) return undefined;
    const [key, afterTag] = tag;
    const fieldNo = Math.floor(key / 8);
    const wireType = key % 8;
    let end: number;
    let payload: [number, number] | undefined;
    if (wireType === 0) {
      const v = readVarint(buf, afterTag);
      if (!v) return undefined;
      end = v[1];
    } else if (wireType === 1) end = afterTag + 8;
    else if (wireType === 5) end = afterTag + 4;
    else if (wireType === 2) {
      const len = readVarint(buf, afterTag);
      if (!len) return undefined;
      payload = [len[1], len[1] + len[0]];
      end = payload[1];
    } else return undefined;
    if (end > buf.length) return undefined;
    out.push({ start: at, end, fieldNo, wireType, ...(payload ? { payload } : {}) });
    at = end;
  }
  return out;
}

function key(fieldNo: number, wireType: number): Buffer {
  return varint(fieldNo * 8 + wireType);
}

/** One field-level mutation of an encoded message (falls back to a byte mutation). */
function mutateOnce(buf: Buffer, r: Rng, depth: number): Buffer {
  const fields = wireFields(buf);
  if (!fields || fields.length === 0 || r.chance(0.15)) return mutateBytes(buf, r);
  const f = r.pick(fields);
  const before = buf.subarray(0, f.start);
  const self = buf.subarray(f.start, f.end);
  const after = buf.subarray(f.end);
  switch (r.int(9)) {
    case 0: // delete
      return Buffer.concat([before, after]);
    case 1: // duplicate (a repeated, or a second value of a singular field)
      return Buffer.concat([before, self, self, after]);
    case 2: // move to the end
      return Buffer.concat([before, after, self]);
    case 3: // another varint value
      return Buffer.concat([before, key(f.fieldNo, 0), varint(r.pick([0n, 1n, -1n, 2n ** 31n, 2n ** 63n - 1n, BigInt(r.int(1000))])), after]);
    case 4: // same payload, another wire type
      return Buffer.concat([before, key(f.fieldNo, r.pick([0, 1, 2, 3, 4, 5, 6, 7])), buf.subarray(f.start + key(f.fieldNo, f.wireType).length, f.end), after]);
    case 5: {
      // a length that lies
      if (!f.payload) return mutateBytes(buf, r);
      const len = f.payload[1] - f.payload[0];
      const lie = r.pick([len + 1, len + 1000, Math.max(0, len - 1), 2 ** 31, 2 ** 32 - 1]);
      return Buffer.concat([before, key(f.fieldNo, 2), varint(lie), buf.subarray(f.payload[0], f.payload[1]), after]);
    }
    case 6: {
      // mutate the nested message (or the string / bytes) in place
      if (!f.payload || depth > 3) return mutateBytes(buf, r);
      const inner = mutateOnce(buf.subarray(f.payload[0], f.payload[1]), r, depth + 1);
      return Buffer.concat([before, key(f.fieldNo, 2), varint(inner.length), inner, after]);
    }
    case 7: // an unknown field
      return Buffer.concat([before, self, key(r.pick([99, 1000, 536870911]), 2), varint(3), Buffer.from('abc'), after]);
    default: // a known field number with random bytes
      return Buffer.concat([before, key(f.fieldNo, 2), varint(16), r.bytes(16), after]);
  }
}

/** Byte-level mutations: flip, truncate, append, splice. */
export function mutateBytes(buf: Buffer, r: Rng): Buffer {
  const copy = Buffer.from(buf);
  switch (r.int(4)) {
    case 0:
      if (copy.length > 0) copy[r.int(copy.length)] ^= 1 << r.int(8);
      return copy;
    case 1:
      return copy.subarray(0, r.int(copy.length + 1));
    case 2:
      return Buffer.concat([copy, r.bytes(r.int(64))]);
    default: {
      const at = r.int(copy.length + 1);
      return Buffer.concat([copy.subarray(0, at), r.bytes(r.int(16)), copy.subarray(at)]);
    }
  }
}

/** One to three field-level mutations of an encoded message. */
export function mutate(buf: Buffer, r: Rng): Buffer {
  let out = buf;
  for (let i = 1 + r.int(3); i > 0; i--) out = mutateOnce(out, r, 0);
  return out;
}
