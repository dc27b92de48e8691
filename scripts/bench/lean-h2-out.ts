// The load generators' HTTP/2 output (lean-h2.ts): every frame a turn of the event loop produces
// is copied into one buffer and leaves in ONE socket write, flushed on setImmediate — or, when
// the turn holds large payloads (batches of 32), in one writev of the buffer's pieces and those
// payloads, uncopied. The buffer is reused when the socket took the write whole at once (nothing
// left queued, so nothing still refers to it), otherwise the next turn gets a new one; frame
// headers are written in place.
import type { Socket } from 'node:net';
import { FRAME_HEADER, writeFrameHeader } from '../../src/protocol/transport/h2/frames.js';

/** The output buffer's size (a turn that fills it goes on in another one). */
const INITIAL = 64 * 1024;
/** A payload this large is written as it is (not copied), after the bytes queued before it. */
const LARGE = 16 * 1024;

export class H2Output {
  private buf = Buffer.allocUnsafe(INITIAL);
  private pos = 0;
  /** Where the part of `buf` not yet in `parts` starts. */
  private start = 0;
  /** The turn's output so far when it holds large payloads: pieces of `buf` and those payloads. */
  private parts: Buffer[] = [];
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  /** Copies `bytes` to the output (a large payload goes as it is, after what came before it). */
  push(bytes: Buffer): void {
    if (bytes.length >= LARGE) {
      this.schedule();
      if (this.pos > this.start) this.parts.push(this.buf.subarray(this.start, this.pos));
      this.start = this.pos;
      this.parts.push(bytes);
      return;
    }
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

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Where `n` more bytes go (the buffer grown if needed); schedules the flush. */
  private room(n: number): number {
    this.schedule();
    if (this.pos + n > this.buf.length) {
      // The bytes so far stay where they are (a part of their own); the rest goes to a new buffer.
      if (this.pos > this.start) this.parts.push(this.buf.subarray(this.start, this.pos));
      this.buf = Buffer.allocUnsafe(Math.max(INITIAL, n));
      this.pos = 0;
      this.start = 0;
    }
    return this.pos;
  }

  /** Writes what this turn produced. */
  flush(): void {
    this.scheduled = false;
    if (this.socket.destroyed || (this.pos === 0 && this.parts.length === 0)) return;
    if (this.parts.length === 0) this.socket.write(this.buf.subarray(0, this.pos));
    else {
      if (this.pos > this.start) this.parts.push(this.buf.subarray(this.start, this.pos));
      // One writev for all the parts.
      this.socket.cork();
      for (const part of this.parts) this.socket.write(part);
      this.socket.uncork();
      this.parts = [];
    }
    this.pos = 0;
    this.start = 0;
    // Queued (in the stream or libuv): the socket still holds the bytes, so the next turn needs its own.
    if (this.socket.writableLength > 0 || this.buf.length > INITIAL) this.buf = Buffer.allocUnsafe(INITIAL);
  }
}
