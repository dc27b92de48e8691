// Owns one HTTP/2 stream of a server connection (RFC 9113 §5.1): its states as far as a server
// sees them (open, half-closed either way, closed), its windows both ways, and its sending half:
// response headers, DATA queued until the client's stream and connection windows open (cut to
// SETTINGS_MAX_FRAME_SIZE), then the trailers with END_STREAM. A write's callback runs when its
// bytes have been handed to the socket; write() answers false past a high-water mark so a
// streaming handler can wait. The connection (connection.ts) feeds it frames and flushes.
import { dataHeader, ErrorCode, headersFrames } from './frames.js';

/** What the stream tells its user (the gRPC call). */
export interface StreamSink {
  /** Request bytes (a view of the socket's chunk). */
  onStreamData(chunk: Buffer): void;
  /** The client ended its half (END_STREAM). */
  onStreamEnd(): void;
  /** The stream is over: answered and ended both ways, reset by either side, or the connection is gone. */
  onStreamClose(): void;
}

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** The client's SETTINGS_MAX_FRAME_SIZE. */
  readonly peerMaxFrame: number;
  /** The connection's send window (shared by every stream). */
  connectionWindow: number;
  /** Queues bytes for this turn's socket write. */
  queue(bytes: Buffer): void;
  /** Runs `cb` once this turn's socket write is done. */
  afterWrite(cb: () => void): void;
  /** Whether the socket has too much unsent (data waits for 'drain'). */
  readonly congested: boolean;
  /** `stream` waits for the connection window or the socket. */
  wait(stream: H2Stream): void;
  /** Header block prefix the encoder owes the client (a table size update), once. */
  headerPrefix(block: Buffer): Buffer;
  /** The stream is closed: forget it; `code` > -1 sends RST_STREAM with it. */
  release(stream: H2Stream, code: number): void;
}

/** Bytes queued on one stream past which write() answers false. */
export const STREAM_HIGH_WATER = 64 * 1024;

export class H2Stream {
  sink: StreamSink | undefined;
  /** The client's window for this stream (what we may still send). */
  sendWindow: number;
  /** What the client may still send us on this stream. */
  recvWindow: number;
  /** Received bytes not yet given back with WINDOW_UPDATE. */
  recvUnacked = 0;
  remoteEnded = false;
  /** END_STREAM queued (headers-only answer, or trailers handed over). */
  localEnded = false;
  closed = false;
  private headersSent = false;
  private readonly parts: Buffer[] = [];
  private readonly callbacks: ((() => void) | undefined)[] = [];
  private offset = 0;
  private queued = 0;
  private trailers: Buffer | undefined;

  constructor(
    readonly id: number,
    private readonly owner: StreamOwner,
    sendWindow: number,
    recvWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.recvWindow = recvWindow;
  }

  /** Bytes written but not yet sent. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Sends the response headers (pre-encoded block); `endStream`: a headers-only answer. */
  respond(block: Buffer, endStream = false): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.owner.queue(headersFrames(this.id, this.owner.headerPrefix(block), endStream, this.owner.peerMaxFrame));
    if (endStream) this.ended();
  }

  /** Queues `data` (after respond); false: past the high-water mark, wait for callbacks. */
  write(data: Buffer, cb?: () => void): boolean {
    if (this.closed || this.localEnded || this.trailers) return false;
    if (data.length > 0) {
      this.parts.push(data);
      this.callbacks.push(cb);
      this.queued += data.length;
      this.pump();
    } else if (cb) this.owner.afterWrite(cb);
    return this.queued < STREAM_HIGH_WATER;
  }

  /** Ends the stream with `trailers` (pre-encoded), after the data queued. */
  end(trailers: Buffer): void {
    if (this.closed || this.localEnded || this.trailers) return;
    this.trailers = trailers;
    this.pump();
  }

  /** Resets the stream (RST_STREAM `code`); nothing more is sent or delivered. */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.close(code);
  }

  /** Sends what the windows allow; the connection calls it again when they open. */
  pump(): void {
    const o = this.owner;
    while (this.parts.length > 0) {
      if (o.congested) return o.wait(this);
      const part = this.parts[0]!;
      const left = part.length - this.offset;
      const room = Math.min(left, this.sendWindow, o.connectionWindow, o.peerMaxFrame);
      if (room <= 0) {
        if (this.sendWindow > 0) o.wait(this); // else the stream's WINDOW_UPDATE pumps it
        return;
      }
      o.queue(dataHeader(this.id, room, false));
      o.queue(this.offset === 0 && room === part.length ? part : part.subarray(this.offset, this.offset + room));
      this.sendWindow -= room;
      o.connectionWindow -= room;
      this.queued -= room;
      if (room === left) {
        this.parts.shift();
        this.offset = 0;
        const cb = this.callbacks.shift();
        if (cb) o.afterWrite(cb);
      } else this.offset += room;
    }
    if (this.trailers) {
      const block = this.trailers;
      this.trailers = undefined;
      o.queue(headersFrames(this.id, o.headerPrefix(block), true, o.peerMaxFrame));
      this.ended();
    }
  }

  /** The client ended its half. */
  remoteEnd(): void {
    this.remoteEnded = true;
    this.sink?.onStreamEnd();
    if (this.localEnded && !this.closed) this.close(-1);
  }

  /** Closes without a frame (a reset from the client, or the connection is gone). */
  abandon(): void {
    if (!this.closed) this.close(-1);
  }

  private ended(): void {
    this.localEnded = true;
    // The answer is complete: a client still sending is told to stop (RST_STREAM NO_ERROR, RFC 9113 §8.1).
    this.close(this.remoteEnded ? -1 : ErrorCode.NO_ERROR);
  }

  private close(code: number): void {
    this.closed = true;
    this.parts.length = 0;
    this.callbacks.length = 0;
    this.queued = 0;
    this.trailers = undefined;
    this.owner.release(this, code);
    const sink = this.sink;
    this.sink = undefined;
    sink?.onStreamClose();
  }
}
