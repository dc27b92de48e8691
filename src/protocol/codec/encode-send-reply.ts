// Owns the direct encoder of the usual SendMessageResponse: statuses with a known code and an
// ASCII message, ASCII ids, non-negative integer offsets (numbers or short decimal strings),
// which is every reply the SendMessage handler builds. It measures the reply, then writes it into
// one buffer of exactly that size: no protobufjs Writer operations, forks and copies per field
// (the Writer path cost ~1.9 µs per entry of a batch of 32, ~0.2 µs this way). The bytes are
// those of encode-replies.ts's Writer path (and so of proto-loader's encode(fromObject(reply)));
// for anything else it returns undefined and that path encodes the reply (the equivalence tests
// in test/unit/protocol/codec/ hold both to the generic serializer).
import { enumValues } from './schema.js';

const codeValue = enumValues('Code');
const DECIMAL = /^[0-9]{1,15}$/;

/** Bytes of a varint of `v` (a non-negative integer up to 2^53). */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** The length of `s` if every character is ASCII (its UTF-8 bytes are then its char codes), else -1. */
function asciiLength(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  return s.length;
}

/** An optional ASCII string field: -1 when absent, -2 when the fast path cannot write it, else its byte length. */
function stringField(v: unknown): number {
  if (v === null || v === undefined) return -1;
  return typeof v === 'string' ? (asciiLength(v) < 0 ? -2 : v.length) : -2;
}

/** A non-negative offset as written (int64 of a safe integer), -1 when absent, -2 when the fast path cannot write it. */
function offsetField(v: unknown): number {
  if (v === null || v === undefined) return -1;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v + 0 : -2;
  return typeof v === 'string' && DECIMAL.test(v) ? Number(v) : -2;
}

/** Size of a length-delimited field holding `n` bytes (tag of one byte). */
const delimited = (n: number): number => 1 + varintSize(n) + n;

interface Status {
  code: number;
  message: string | undefined;
  /** Bytes of the Status message (its fields, not its tag and length). */
  size: number;
}

/** A status the fast path writes (a known code and an ASCII message), or undefined. */
function statusOf(v: unknown): Status | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const s = v as Record<string, unknown>;
  const code = codeValue(s.code);
  if (code === undefined || !Number.isInteger(code) || code < 0 || code > 0x7fffffff) return undefined;
  const m = stringField(s.message);
  if (m === -2) return undefined;
  return { code, message: m < 0 ? undefined : (s.message as string), size: 1 + varintSize(code) + (m < 0 ? 0 : delimited(m)) };
}

/** One entry, measured. */
interface Entry {
  status: Status | undefined;
  messageId: string | undefined;
  transactionId: string | undefined;
  offset: number;
  recallHandle: string | undefined;
  size: number;
}

const optional = (v: unknown, n: number): string | undefined => (n < 0 ? undefined : (v as string));

function entryOf(v: unknown, last: { raw: unknown; status: Status | undefined }): Entry | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  let status: Status | undefined;
  if (e.status !== null && e.status !== undefined) {
    // The entries of one reply usually share one status object: measured once.
    if (e.status !== last.raw) {
      last.status = statusOf(e.status);
      last.raw = e.status;
    }
    if (!last.status) return undefined;
    status = last.status;
  }
  const id = stringField(e.message_id);
  const tx = e.transaction_id === e.message_id ? id : stringField(e.transaction_id);
  const offset = offsetField(e.offset);
  const recall = stringField(e.recall_handle);
  if (id === -2 || tx === -2 || offset === -2 || recall === -2) return undefined;
  const size =
    (status ? delimited(status.size) : 0) +
    (id >= 0 ? delimited(id) : 0) +
    (tx >= 0 ? delimited(tx) : 0) +
    (offset >= 0 ? 1 + varintSize(offset) : 0) +
    (recall >= 0 ? delimited(recall) : 0);
  return { status, messageId: optional(e.message_id, id), transactionId: optional(e.transaction_id, tx), offset, recallHandle: optional(e.recall_handle, recall), size };
}

class Out {
  o = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    const b = this.buf;
    while (v >= 128) {
      b[this.o++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    b[this.o++] = v;
  }

  /** A string field (tag, length, the ASCII bytes). */
  string(tag: number, s: string): void {
    const b = this.buf;
    b[this.o++] = tag;
    this.varint(s.length);
    let o = this.o;
    for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
    this.o = o;
  }

  status(tag: number, s: Status): void {
    this.buf[this.o++] = tag;
    this.varint(s.size);
    this.buf[this.o++] = 8;
    this.varint(s.code);
    if (s.message !== undefined) this.string(18, s.message);
  }
}

/** The SendMessageResponse `r` (already checked to be an object) encoded directly, or undefined when it has another shape. */
export function encodePlainSendMessageResponse(r: Record<string, unknown>): Buffer | undefined {
  let top: Status | undefined;
  if (r.status !== null && r.status !== undefined) {
    top = statusOf(r.status);
    if (!top) return undefined;
  }
  const raw = r.entries;
  if (raw && !Array.isArray(raw)) return undefined;
  const list = (raw || []) as unknown[];
  const entries: Entry[] = [];
  const last = { raw: r.status as unknown, status: top };
  let size = top ? delimited(top.size) : 0;
  for (const item of list) {
    const e = entryOf(item, last);
    if (!e) return undefined;
    entries.push(e);
    size += delimited(e.size);
  }
  const out = new Out(Buffer.allocUnsafe(size));
  if (top) out.status(10, top);
  for (const e of entries) {
    out.buf[out.o++] = 18;
    out.varint(e.size);
    if (e.status) out.status(10, e.status);
    if (e.messageId !== undefined) out.string(18, e.messageId);
    if (e.transactionId !== undefined) out.string(26, e.transactionId);
    if (e.offset >= 0) {
      out.buf[out.o++] = 32;
      out.varint(e.offset);
    }
    if (e.recallHandle !== undefined) out.string(42, e.recallHandle);
  }
  return out.buf;
}
