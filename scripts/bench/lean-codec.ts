// Owns the load generators' hand-written protobuf codec for the hot calls (measures nothing
// itself): the SendMessage, EndTransaction and AckMessage requests written straight into one
// gRPC frame (5-byte prefix included) — the same bytes protobufjs's fromObject + encode write for
// the objects the drivers used to build (test/unit/scripts/bench/lean-codec.test.ts checks them
// against protobufjs) — and readers of just the reply fields a load generator needs: the status
// (code and message), the transaction ids of a SendMessage reply, and of a ReceiveMessage reply
// the message id, receipt handle and body (a view of the reply bytes, not a copy). The parts that
// do not change between calls (topic and group resources, the constant system properties) are
// encoded once per encoder.

/** apache.rocketmq.v2.Code.OK. */
export const CODE_OK = 20000;

const MESSAGE_TYPE = { NORMAL: 1, TRANSACTION: 4 } as const;
const ENCODING_IDENTITY = 1;
export const RESOLUTION = { COMMIT: 1, ROLLBACK: 2 } as const;
export const SOURCE = { SOURCE_CLIENT: 1, SOURCE_SERVER_CHECK: 2 } as const;

const GRPC_PREFIX = 5;

/** Bytes of `v` (a non-negative integer below 2^53) as a varint. */
export function varintSize(v: number): number {
  let n = 1;
  while (v > 127) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(b: Buffer, at: number, v: number): number {
  while (v > 127) {
    b[at++] = (v & 127) | 128;
    v = Math.floor(v / 128);
  }
  b[at++] = v;
  return at;
}

/** A length-delimited field's bytes (tag, length, content) as one buffer. */
function lengthField(tag: number, content: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(content.length) + content.length);
  out[0] = tag;
  content.copy(out, putVarint(out, 1, content.length));
  return out;
}

/** Resource { resource_namespace = 1 (''); name = 2 } as field `tag` (both set, as pbResource writes them). */
export function resourceField(tag: number, name: string): Buffer {
  return lengthField(tag, Buffer.concat([Buffer.from([0x0a, 0x00]), lengthField(0x12, Buffer.from(name, 'utf8'))]));
}

/** A string field of a request: tag, UTF-8 length, bytes. */
function stringSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return 1 + varintSize(n) + n;
}

function putString(b: Buffer, at: number, tag: number, s: string): number {
  return putKnownString(b, at, tag, s, Buffer.byteLength(s, 'utf8'));
}

/** putString of a string whose UTF-8 length `n` is known. */
function putKnownString(b: Buffer, at: number, tag: number, s: string, n: number): number {
  b[at++] = tag;
  at = putVarint(b, at, n);
  // As many bytes as characters: all ASCII (ids, handles); short ones are copied here.
  if (n === s.length && n <= 64) {
    for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i);
    return at + n;
  }
  return at + b.write(s, at, n, 'utf8');
}

/** A length-delimited field of `bytes`: tag, length, bytes. */
function bytesSize(bytes: Buffer): number {
  return 1 + varintSize(bytes.length) + bytes.length;
}

function putBytes(b: Buffer, at: number, tag: number, bytes: Buffer): number {
  b[at++] = tag;
  return put(b, putVarint(b, at, bytes.length), bytes);
}

/** Copies `src` into `dst` at `at`; returns the offset after it. */
function put(dst: Buffer, at: number, src: Buffer): number {
  const n = src.length;
  // A few bytes (the constant parts) are quicker copied here than through set().
  if (n <= 32) for (let i = 0; i < n; i++) dst[at + i] = src[i]!;
  else dst.set(src, at);
  return at + n;
}

/** Frames are cut from slabs this large (Node's own pool is 8 KiB: a new one every 7 sends). */
const SLAB = 256 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB);
let slabAt = 0;

/** `n` bytes of a slab (a large frame gets its own buffer). */
function alloc(n: number): Buffer {
  if (n > SLAB / 8) return Buffer.allocUnsafe(n);
  if (slabAt + n > SLAB) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabAt = 0;
  }
  const out = slab.subarray(slabAt, slabAt + n);
  slabAt = (slabAt + n + 7) & ~7;
  return out;
}

/** A buffer for one gRPC message of `size` bytes, its prefix written; content goes at offset 5. */
function grpcFrame(size: number): Buffer {
  const out = alloc(GRPC_PREFIX + size);
  out[0] = 0;
  out.writeUInt32BE(size, 1);
  return out;
}

function finished(out: Buffer, at: number): Buffer {
  if (at !== out.length) throw new Error(`lean-codec: wrote ${at} bytes of ${out.length}`);
  return out;
}

/** Timestamp { seconds = 1; nanos = 2 } content size for epoch milliseconds `ms`. */
function timestampSize(ms: number): number {
  return 2 + varintSize(Math.floor(ms / 1000)) + varintSize((ms % 1000) * 1e6);
}

export interface SendOptions {
  topic: string;
  type: keyof typeof MESSAGE_TYPE;
  /** born_host of every message. */
  bornHost: string;
  /** orphaned_transaction_recovery_duration, ms (transactions). */
  recoveryMs?: number;
}

/**
 * SendMessageRequest frames for one topic and message type: each message gets its id, a born
 * timestamp (the wall clock at the call), body_encoding IDENTITY, born_host, queue_id 0 and,
 * when given, the orphaned-transaction recovery duration.
 */
export class SendEncoder {
  private readonly topicField: Buffer;
  /** body_encoding, message_type: between message_id (3) and born_timestamp (7). */
  private readonly spMiddle: Buffer;
  /** born_host (8), queue_id (13), orphaned_transaction_recovery_duration (19). */
  private readonly spTail: Buffer;

  constructor(o: SendOptions) {
    this.topicField = resourceField(0x0a, o.topic);
    this.spMiddle = Buffer.from([0x28, ENCODING_IDENTITY, 0x30, MESSAGE_TYPE[o.type]]);
    const tail = [lengthField(0x42, Buffer.from(o.bornHost, 'utf8')), Buffer.from([0x68, 0x00])];
    if (o.recoveryMs !== undefined) {
      const seconds = Math.floor(o.recoveryMs / 1000);
      const nanos = (o.recoveryMs % 1000) * 1e6;
      const d = Buffer.allocUnsafe(2 + varintSize(seconds) + varintSize(nanos));
      d[0] = 0x08;
      let at = putVarint(d, 1, seconds);
      d[at++] = 0x10;
      putVarint(d, at, nanos);
      // Field 19, wire type 2: the two-byte tag 0x9a 0x01.
      tail.push(Buffer.from([0x9a, 0x01, d.length]), d);
    }
    this.spTail = Buffer.concat(tail);
  }

  /** One frame of `bodies.length` messages, ids from `ids` (same length), born now (`nowMs`). */
  frame(ids: readonly string[], bodies: readonly Buffer[], nowMs: number): Buffer {
    const seconds = Math.floor(nowMs / 1000);
    const nanos = (nowMs % 1000) * 1e6;
    const tsInner = timestampSize(nowMs);
    const spFixed = this.spMiddle.length + 1 + varintSize(tsInner) + tsInner + this.spTail.length;
    const n = bodies.length;
    const idBytes = this.idBytes;
    const spSize = this.spSize;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const idLength = Buffer.byteLength(ids[i]!, 'utf8');
      const sp = 1 + varintSize(idLength) + idLength + spFixed;
      const length = bodies[i]!.length;
      const inner = this.topicField.length + 1 + varintSize(sp) + sp + 1 + varintSize(length) + length;
      idBytes[i] = idLength;
      spSize[i] = sp;
      total += 1 + varintSize(inner) + inner;
    }
    const out = grpcFrame(total);
    let at = GRPC_PREFIX;
    for (let i = 0; i < n; i++) {
      const body = bodies[i]!;
      const sp = spSize[i]!;
      out[at++] = 0x0a;
      at = putVarint(out, at, this.topicField.length + 1 + varintSize(sp) + sp + 1 + varintSize(body.length) + body.length);
      at = put(out, at, this.topicField);
      out[at++] = 0x1a;
      at = putVarint(out, at, sp);
      at = putKnownString(out, at, 0x1a, ids[i]!, idBytes[i]!);
      at = put(out, at, this.spMiddle);
      out[at++] = 0x3a;
      at = putVarint(out, at, tsInner);
      out[at++] = 0x08;
      at = putVarint(out, at, seconds);
      out[at++] = 0x10;
      at = putVarint(out, at, nanos);
      at = put(out, at, this.spTail);
      out[at++] = 0x22;
      at = putVarint(out, at, body.length);
      at = put(out, at, body);
    }
    return finished(out, at);
  }

  /** Per message of the call being written: its id's UTF-8 length, its system properties' size. */
  private readonly idBytes: number[] = [];
  private readonly spSize: number[] = [];
}

/** EndTransactionRequest frames for one topic. */
export class EndTransactionEncoder {
  private readonly topicField: Buffer;

  constructor(topic: string) {
    this.topicField = resourceField(0x0a, topic);
  }

  frame(messageId: string, transactionId: string, resolution: keyof typeof RESOLUTION, source: keyof typeof SOURCE): Buffer {
    const out = grpcFrame(this.topicField.length + stringSize(messageId) + stringSize(transactionId) + 4);
    let at = put(out, GRPC_PREFIX, this.topicField);
    at = putString(out, at, 0x12, messageId);
    at = putString(out, at, 0x1a, transactionId);
    out[at++] = 0x20;
    out[at++] = RESOLUTION[resolution];
    out[at++] = 0x28;
    out[at++] = SOURCE[source];
    return finished(out, at);
  }
}

/** AckMessageRequest frames for one group and topic. */
export class AckEncoder {
  private readonly head: Buffer;

  constructor(group: string, topic: string) {
    this.head = Buffer.concat([resourceField(0x0a, group), resourceField(0x12, topic)]);
  }

  /** One entry per message: its id and the receipt handle it was delivered with (their UTF-8 bytes). */
  frame(messageIds: readonly Buffer[], receiptHandles: readonly Buffer[]): Buffer {
    let total = this.head.length;
    for (let i = 0; i < messageIds.length; i++) {
      const inner = bytesSize(messageIds[i]!) + bytesSize(receiptHandles[i]!);
      total += 1 + varintSize(inner) + inner;
    }
    const out = grpcFrame(total);
    let at = put(out, GRPC_PREFIX, this.head);
    for (let i = 0; i < messageIds.length; i++) {
      const id = messageIds[i]!;
      const handle = receiptHandles[i]!;
      out[at++] = 0x1a;
      at = putVarint(out, at, bytesSize(id) + bytesSize(handle));
      at = putBytes(out, at, 0x0a, id);
      at = putBytes(out, at, 0x12, handle);
    }
    return finished(out, at);
  }
}
