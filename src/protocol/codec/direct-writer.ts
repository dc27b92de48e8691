// Owns DirectWriter, the protobuf writer of every fast reply encoder (encode-replies.ts: the
// SendMessage, ReceiveMessage and AckMessage replies, the status-only ones, the Telemetry check
// command): the same bytes as protobufjs's (Buffer)Writer for the same calls, written
// straight into one reused scratch buffer instead of a list of operation objects that finish()
// walks. A fork reserves one byte for its length; ldelim moves the content up when the length
// needs more (once per nested message: a few hundred bytes, or the body once). finish() copies the
// reply out, so the scratch is reused by the next reply. Also WireWriter, what the shared writing
// steps (wire-write.ts) need of a writer, which protobufjs's Writer implements too.
import { pbUtil } from './schema.js';

/** The calls the fast encoders make on a writer (protobufjs's Writer and DirectWriter). */
export interface WireWriter {
  uint32(value: number): WireWriter;
  int32(value: number): WireWriter;
  int64(value: number | string | { low: number; high: number }): WireWriter;
  string(value: string): WireWriter;
  bytes(value: Uint8Array | string): WireWriter;
  fork(): WireWriter;
  ldelim(): WireWriter;
}

interface LongBitsLike {
  lo: number;
  hi: number;
}
const LongBits = (pbUtil as unknown as { LongBits: { from(value: unknown): LongBitsLike } }).LongBits;
const utf8 = pbUtil.utf8 as { write(s: string, buf: Uint8Array, offset: number): number };

/** Scratch kept between replies up to this size (a larger one, for a large body, is dropped). */
const KEEP_BYTES = 256 * 1024;
let scratch: Buffer | undefined = Buffer.allocUnsafe(64 * 1024);

export class DirectWriter implements WireWriter {
  private buf: Buffer;
  private pos = 0;
  /** Where each open fork's reserved length byte is. */
  private readonly forks: number[] = [];

  constructor() {
    // Encoding is synchronous; a writer left unfinished (a TypeError) just costs a new scratch.
    this.buf = scratch ?? Buffer.allocUnsafe(64 * 1024);
    scratch = undefined;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uint32(value: number): this {
    let v = value >>> 0;
    this.room(5);
    const b = this.buf;
    let p = this.pos;
    while (v > 127) {
      b[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
    return this;
  }

  int32(value: number): this {
    const v = value | 0;
    return v < 0 ? this.varint64(v, 0, true) : this.uint32(v);
  }

  int64(value: number | string | { low: number; high: number }): this {
    if (typeof value === 'number') return this.varint64(value, 0, true);
    const bits = LongBits.from(value);
    return this.varint64(bits.lo, bits.hi, false);
  }

  /** protobufjs's LongBits.fromNumber (when `fromNumber`) and writeVarint64. */
  private varint64(loIn: number, hiIn: number, fromNumber: boolean): this {
    let lo = loIn;
    let hi = hiIn;
    if (fromNumber) {
      let value = loIn;
      if (value === 0) {
        lo = 0;
        hi = 0;
      } else {
        const sign = value < 0;
        if (sign) value = -value;
        lo = value >>> 0;
        hi = ((value - lo) / 4294967296) >>> 0;
        if (sign) {
          hi = ~hi >>> 0;
          lo = ~lo >>> 0;
          if (++lo > 4294967295) {
            lo = 0;
            if (++hi > 4294967295) hi = 0;
          }
        }
      }
    }
    this.room(10);
    const b = this.buf;
    let p = this.pos;
    while (hi) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      b[p++] = (lo & 127) | 128;
      lo = lo >>> 7;
    }
    b[p++] = lo;
    this.pos = p;
    return this;
  }

  string(value: string): this {
    const n = value.length;
    if (n < 40) {
      // BufferWriter writes short strings with protobufjs's own UTF-8 writer: ASCII is copied
      // here, anything else goes through that writer (its bytes for lone surrogates differ from Buffer's).
      // One pass: the length byte (an ASCII string this short is its own length), then the characters.
      this.room(n + 1);
      const b = this.buf;
      const start = this.pos;
      b[start] = n;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c > 127) break;
        b[start + 1 + i] = c;
      }
      if (i === n) {
        this.pos = start + 1 + n;
        return this;
      }
      const len = Buffer.byteLength(value);
      this.uint32(len);
      this.room(len);
      utf8.write(value, this.buf, this.pos);
      this.pos += len;
      return this;
    }
    const len = Buffer.byteLength(value);
    this.uint32(len);
    this.room(len);
    this.pos += this.buf.write(value, this.pos, len, 'utf8');
    return this;
  }

  bytes(value: Uint8Array | string): this {
    const v = typeof value === 'string' ? Buffer.from(value, 'base64') : value;
    const len = v.length >>> 0;
    this.uint32(len);
    if (len) {
      this.room(len);
      this.buf.set(v, this.pos);
      this.pos += len;
    }
    return this;
  }

  fork(): this {
    this.room(1);
    this.forks.push(this.pos);
    this.pos++;
    return this;
  }

  ldelim(): this {
    const at = this.forks.pop();
    if (at === undefined) throw new Error('DirectWriter: ldelim without fork');
    const len = this.pos - at - 1;
    const size = len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : len < 268435456 ? 4 : 5;
    if (size > 1) {
      this.room(size - 1);
      this.buf.copyWithin(at + size, at + 1, this.pos);
      this.pos += size - 1;
    }
    const end = this.pos;
    this.pos = at;
    this.uint32(len);
    this.pos = end;
    return this;
  }

  /** The bytes written, in a buffer of their own; the writer's scratch goes back for the next one. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    if (this.buf.length <= KEEP_BYTES) scratch = this.buf;
    this.pos = 0;
    return out;
  }
}
