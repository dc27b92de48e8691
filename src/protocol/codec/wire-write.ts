// Owns the writing steps every fast reply encoder shares, each one what protobufjs's generated
// fromObject followed by encode (7.x) does with a field, fused: the same coercions (String(),
// `| 0`, enum names or numbers, int64 from a number, a decimal string or a Long), the same
// TypeErrors for a value of the wrong kind, the same bytes in the same order — minus the message
// instances and, for int64 values that fit a double, the Long objects.
import type { WireWriter as Writer } from './direct-writer.js';
import { enumValues, LongClass, pbUtil } from './schema.js';

const NS = '.apache.rocketmq.v2.';
const codeValue = enumValues('Code');
const SMALL_DECIMAL = /^-?[0-9]{1,15}$/;

/** protobufjs's util.isObject: a non-null object (arrays included). */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** A message-typed field's value (fromObject: present unless null/undefined, else an object). */
export function messageAt(v: unknown, where: string): Record<string, unknown> | undefined {
  if (v === null || v === undefined) return undefined;
  if (!isObject(v)) throw TypeError(`${NS}${where}: object expected`);
  return v;
}

/** A repeated field's value (fromObject: present when truthy, then an array). */
export function arrayAt(v: unknown, where: string): unknown[] | undefined {
  if (!v) return undefined;
  if (!Array.isArray(v)) throw TypeError(`${NS}${where}: array expected`);
  return v as unknown[];
}

/** An element of a repeated message field. */
export function elementAt(v: unknown, where: string): Record<string, unknown> {
  if (!isObject(v)) throw TypeError(`${NS}${where}: object expected`);
  return v;
}

/** The top-level reply as proto-loader's serializer checks it. */
export function replyAt(v: unknown, type: string): Record<string, unknown> {
  if (Array.isArray(v)) throw new Error(`Failed to serialize message: expected object with ${type} structure, got array instead`);
  if (!isObject(v)) throw TypeError(`${NS}${type}: object expected`);
  return v;
}

export function writeString(w: Writer, tag: number, v: unknown): void {
  // String() of whatever it is, as fromObject does (objects included).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  if (v !== null && v !== undefined) w.uint32(tag).string(String(v));
}

export function writeInt32(w: Writer, tag: number, v: unknown): void {
  if (v !== null && v !== undefined) w.uint32(tag).int32((v as number) | 0);
}

/** An int64 (fromObject's Long.fromValue): numbers and short decimal strings skip the Long. */
export function writeInt64(w: Writer, tag: number, v: unknown): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'number' && Number.isSafeInteger(v)) w.uint32(tag).int64(v);
  else if (typeof v === 'string' && SMALL_DECIMAL.test(v)) w.uint32(tag).int64(Number(v));
  else w.uint32(tag).int64(LongClass.fromValue(v, false));
}

/** An enum field: `value` is what enumValues made of it (undefined: not written). */
export function writeEnum(w: Writer, tag: number, value: number | undefined): void {
  if (value !== undefined) w.uint32(tag).int32(value);
}

export function writeBytes(w: Writer, tag: number, v: unknown): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'string') {
    const buf = pbUtil.newBuffer(pbUtil.base64.length(v)) as Uint8Array;
    pbUtil.base64.decode(v, buf, 0);
    w.uint32(tag).bytes(buf);
  } else if ((v as { length?: number }).length! >= 0) w.uint32(tag).bytes(v as Uint8Array);
}

/** Status { Code code = 1; string message = 2 } as field `tag` of `where`. */
export function writeStatus(w: Writer, tag: number, v: unknown, where: string): void {
  const s = messageAt(v, where);
  if (!s) return;
  w.uint32(tag).fork();
  writeEnum(w, 8, codeValue(s.code));
  writeString(w, 18, s.message);
  w.ldelim();
}

/** Resource { resource_namespace = 1; name = 2 }. */
export function writeResource(w: Writer, tag: number, v: unknown, where: string): void {
  const s = messageAt(v, where);
  if (!s) return;
  w.uint32(tag).fork();
  writeString(w, 10, s.resource_namespace);
  writeString(w, 18, s.name);
  w.ldelim();
}

/** google.protobuf.Timestamp / Duration { int64 seconds = 1; int32 nanos = 2 }. */
export function writeSecondsNanos(w: Writer, tag: number, v: unknown, where: string): void {
  const s = messageAt(v, where);
  if (!s) return;
  w.uint32(tag).fork();
  writeInt64(w, 8, s.seconds);
  writeInt32(w, 16, s.nanos);
  w.ldelim();
}
