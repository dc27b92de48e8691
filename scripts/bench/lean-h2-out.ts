// The load generators' HTTP/2 output (lean-h2.ts): every frame a turn of the event loop produces
// is copied into one buffer and leaves in ONE socket write, flushed on setImmediate. The buffer
// is reused when the socket took the write whole at once (nothing left queued, so nothing still
// refers to it), otherwise the next turn gets a new one; frame headers are written in place.
import type { Socket } from 'node:net';
import { FRAME_HEADER, writeFrameHeader } from '../../src/protocol/transport/h2/frames.js';

/** The output buffer's size (it grows for a larger turn, and is dropped back after one). */
const INITIAL = 64 * 1024;

export class H2Output {
  private buf = Buffer.allocUnsafe(INITIAL);
  private pos = 0;
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  /** Copies `bytes` to the output. */
  push(bytes: Buffer): void {
    const at = this.room(bytes.length);
    this.buf.set(bytes, at);
    this.pos = at + bytes.length;
  }

  /** Writes a frame header (9 bytes). */
  frameHeader(length: number, type: number, flags: number, streamId: number): void {
    const at = this.room(FRAME_HEADER);
    writeFrameHeader(this.buf, at, length, type, flags, streamId);
    this.pos = at + FRAME_HEADER;
  }

  /** Where `n` more bytes go (the buffer grown if needed); schedules the flush. */
  private room(n: number): number {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    return this.pos;
  }

  /** Writes what this turn produced. */
  flush(): void {
    this.scheduled = false;
    if (this.pos === 0 || this.socket.destroyed) return;
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    this.socket.write(out);
    // Queued (in the stream or libuv): the socket still holds `out`, so the next turn needs its own.
    if (this.socket.writableLength > 0 || this.buf.length > INITIAL) this.buf = Buffer.allocUnsafe(INITIAL);
  }
}
