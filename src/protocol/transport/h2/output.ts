// Owns what a connection sends in one turn of the event loop: the frames queued while the turn's
// input is handled (every request of a chunk, every answer given meanwhile) go out in one socket
// write on setImmediate, and the write callbacks of that turn run once the socket took it.
import type { Socket } from 'node:net';

export class FrameOutput {
  private parts: Buffer[] = [];
  private bytes = 0;
  private callbacks: (() => void)[] = [];
  private scheduled = false;
  /** Nothing more is queued (the connection is over). */
  stopped = false;

  constructor(private readonly socket: Socket) {}

  queue(bytes: Buffer): void {
    if (this.stopped) return;
    this.parts.push(bytes);
    this.bytes += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Runs `cb` once this turn's write is done. */
  afterWrite(cb: () => void): void {
    this.callbacks.push(cb);
  }

  /** Writes what is queued now. */
  flush(): void {
    this.scheduled = false;
    if (this.parts.length === 0 || this.stopped) return;
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    const callbacks = this.callbacks;
    this.parts = [];
    this.bytes = 0;
    this.callbacks = [];
    if (this.socket.destroyed) return;
    if (callbacks.length === 0) this.socket.write(bytes);
    else
      this.socket.write(bytes, (err) => {
        if (!err) for (const cb of callbacks) cb();
      });
  }
}
