// Owns one gRPC call on one HTTP/2 stream (h2/stream.ts): one class for unary, server-streaming
// and bidi calls (the handler sees the members of its kind, types.ts). It decodes the request
// messages (framing.ts, compression.ts), runs the handler — unary and server-streaming ones once
// the one request message and the half-close are in, bidi ones at once with 'data'/'end' events —
// and writes the response: headers on the first message, then the status in trailers, or one
// trailers-only block when nothing was sent. It ends the call with a gRPC error for what the
// transport refuses (oversized, undecodable, a second unary message, a lapsed grpc-timeout), and
// reports the call 'cancelled' when it ends without its answer (client reset, lost connection).
// The call is the stream's sink: no closures per call besides the unary callback and the deadline timer.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { decompress } from './compression.js';
import { FrameDecoder, frameMessage, type FrameSink } from './framing.js';
import type { RequestHeaders } from './h2/request-headers.js';
import type { H2Stream, StreamSink } from './h2/stream.js';
import { HeaderMetadata, parseTimeout } from './headers.js';
import { GrpcStatus, OK_TRAILERS, OK_TRAILERS_ONLY, RESPONSE_HEADERS, statusTrailers, trailersOnly } from './status.js';
import type { BidiCall, CallError, CallHandler, ServerStreamCall, UnaryCall, UnaryCallback } from './types.js';

export type CallKind = 'unary' | 'serverStream' | 'bidi';

/** A registered method, as the server routes to it. */
export interface Route {
  path: string;
  kind: CallKind;
  handler: CallHandler;
  deserialize(bytes: Buffer): unknown;
  serialize(value: unknown): Uint8Array;
}

/** What a call needs from its connection and server. */
export interface CallContext {
  readonly peer: string;
  readonly clock: Clock;
  readonly maxReceiveBytes: number;
  /** One stream of the connection ended (idle accounting). */
  streamClosed(): void;
}

/** setTimeout's longest delay; a longer grpc-timeout only records the deadline. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Call states: serving; over (answer handed to the stream, or the stream gone). */
const OPEN = 0;
const DONE = 1;

function firstOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export class ServerCall extends EventEmitter implements FrameSink, StreamSink, UnaryCall<unknown>, ServerStreamCall<unknown, unknown>, BidiCall<unknown, unknown> {
  request: unknown = undefined;
  cancelled = false;
  readonly metadata: HeaderMetadata;
  private readonly decoder: FrameDecoder;
  private readonly encoding: string | undefined;
  private deadline = Infinity;
  private timer: TimerHandle | undefined;
  private state = OPEN;
  private headersSent = false;
  private gotRequest = false;
  private invalidTimeout: string | undefined;

  constructor(
    private readonly stream: H2Stream,
    headers: RequestHeaders,
    private readonly route: Route,
    private readonly context: CallContext,
  ) {
    super();
    this.metadata = new HeaderMetadata(headers);
    this.decoder = new FrameDecoder(context.maxReceiveBytes, this);
    const encoding = firstOf(headers['grpc-encoding']);
    this.encoding = encoding === undefined || encoding === 'identity' ? undefined : encoding;
    stream.sink = this;
    const timeout = firstOf(headers['grpc-timeout']);
    if (timeout !== undefined) this.startDeadline(timeout);
  }

  /** Refuses a malformed grpc-timeout, else runs a bidi handler at once (unary and server-streaming ones run on the half-close). */
  start(): void {
    if (this.invalidTimeout !== undefined) return this.abort(GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${this.invalidTimeout}"`);
    if (this.route.kind === 'bidi' && this.state === OPEN) this.invoke();
  }

  getPeer(): string {
    return this.context.peer;
  }

  getDeadline(): number {
    return this.deadline;
  }

  get writable(): boolean {
    return this.state === OPEN && !this.stream.closed;
  }

  get destroyed(): boolean {
    return this.state === DONE || this.stream.closed;
  }

  write(message: unknown, cb?: () => void): boolean {
    if (this.state !== OPEN || this.stream.closed) return false;
    const framed = this.encode(message);
    if (!framed) return false;
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(RESPONSE_HEADERS);
    }
    return this.stream.write(framed, cb);
  }

  end(): void {
    this.finish(GrpcStatus.OK, 'OK');
  }

  fail(code: number, message: string): void {
    this.finish(code, message);
  }

  // --- the stream's events ---

  onStreamData(chunk: Buffer): void {
    if (this.state === OPEN) this.decoder.push(chunk);
  }

  onMessage(compressed: boolean, payload: Buffer): void {
    if (this.state !== OPEN) return;
    let bytes = payload;
    if (compressed) {
      const d = decompress(this.encoding, payload, this.context.maxReceiveBytes);
      if (!d.ok) return this.abort(d.code, d.message);
      bytes = d.bytes;
    }
    let message: unknown;
    try {
      message = this.route.deserialize(bytes);
    } catch (err) {
      return this.abort(GrpcStatus.INTERNAL, `Error deserializing request: ${(err as Error).message}`);
    }
    if (this.route.kind === 'bidi') {
      this.emit('data', message);
      return;
    }
    if (this.gotRequest) return this.abort(GrpcStatus.UNIMPLEMENTED, `Received a second request message for ${this.route.path}, which takes one`);
    this.gotRequest = true;
    this.request = message;
  }

  onOversized(declared: number, limit: number): void {
    this.abort(GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${declared} vs. ${limit})`);
  }

  onStreamEnd(): void {
    if (this.state !== OPEN) return;
    if (this.decoder.pending) return this.abort(GrpcStatus.INTERNAL, 'The request ended in the middle of a message');
    if (this.route.kind === 'bidi') {
      this.emit('end');
      return;
    }
    if (!this.gotRequest) return this.abort(GrpcStatus.UNIMPLEMENTED, `Received no request message for ${this.route.path}`);
    this.invoke();
  }

  onStreamClose(): void {
    this.timer?.cancel();
    this.decoder.stop();
    this.context.streamClosed();
    if (this.state !== DONE) {
      this.state = DONE;
      this.markCancelled();
    }
  }

  // --- internals ---

  private invoke(): void {
    try {
      if (this.route.kind === 'unary') {
        const callback: UnaryCallback<unknown> = (err, value) => this.answer(err, value);
        (this.route.handler as (call: UnaryCall<unknown>, cb: UnaryCallback<unknown>) => void)(this, callback);
      } else {
        (this.route.handler as unknown as (call: ServerCall) => void)(this);
      }
    } catch {
      this.abort(GrpcStatus.UNKNOWN, `The handler of ${this.route.path} failed`);
    }
  }

  private answer(err: CallError | null, value: unknown): void {
    if (this.state !== OPEN || this.stream.closed) return;
    if (err) return this.finish(err.code ?? GrpcStatus.UNKNOWN, err.details ?? err.message ?? 'Unknown error');
    const framed = this.encode(value);
    if (!framed) return;
    this.state = DONE;
    this.headersSent = true;
    this.timer?.cancel();
    this.stream.respond(RESPONSE_HEADERS);
    this.stream.write(framed);
    this.stream.end(OK_TRAILERS);
  }

  private encode(message: unknown): Buffer | undefined {
    try {
      return frameMessage(this.route.serialize(message));
    } catch (err) {
      this.abort(GrpcStatus.INTERNAL, `Error serializing response: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Ends the call with `code`: in trailers after sent messages, else in one trailers-only block. */
  private finish(code: number, message: string): void {
    if (this.state !== OPEN) return;
    this.decoder.stop();
    this.timer?.cancel();
    this.state = DONE;
    if (this.stream.closed) return;
    if (this.headersSent) {
      this.stream.end(statusTrailers(code, message));
    } else {
      this.headersSent = true;
      this.stream.respond(code === GrpcStatus.OK ? OK_TRAILERS_ONLY : trailersOnly(code, message), true);
    }
  }

  /** Ends the call for the transport's reasons: the handler hears 'cancelled'. */
  private abort(code: number, message: string): void {
    if (this.state !== OPEN) return;
    this.finish(code, message);
    this.markCancelled();
  }

  private markCancelled(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled');
  }

  private startDeadline(header: string): void {
    const ms = parseTimeout(header);
    if (ms === undefined) {
      this.invalidTimeout = header; // refused by start()
      return;
    }
    this.deadline = this.context.clock.now() + ms;
    if (ms <= MAX_TIMER_MS) this.timer = this.context.clock.setTimer(() => this.abort(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), ms);
  }
}
