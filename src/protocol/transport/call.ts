// Owns one gRPC call on one HTTP/2 stream: one class for unary, server-streaming and bidi calls
// (the handler sees the members of its kind, types.ts). It decodes the request messages
// (framing.ts, compression.ts), runs the handler — unary and server-streaming ones once the one
// request message and the half-close are in, bidi ones at once with 'data'/'end' events — and
// writes the response: headers on the first message, then the status in trailers, or one
// trailers-only block when nothing was sent. It ends the call with a gRPC error for what the
// transport refuses (oversized, undecodable, a second unary message, a lapsed grpc-timeout), and
// reports the call 'cancelled' when it ends without its answer (client reset, lost connection).
// The stream's listeners are shared functions finding the call through a symbol: no closures
// per call besides the unary callback and the deadline timer.
import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { decompress } from './compression.js';
import { FrameDecoder, frameMessage, type FrameSink } from './framing.js';
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

const CALL = Symbol('halfmoon.grpc.call');
type Stream = http2.ServerHttp2Stream & { [CALL]?: ServerCall };

const WITH_TRAILERS: http2.ServerStreamResponseOptions = Object.freeze({ waitForTrailers: true, sendDate: false });
const END_NOW: http2.ServerStreamResponseOptions = Object.freeze({ endStream: true, sendDate: false });
/** setTimeout's longest delay; a longer grpc-timeout only records the deadline. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Call states: serving; answer given, trailers not yet out; over. */
const OPEN = 0;
const ENDING = 1;
const DONE = 2;

function onData(this: Stream, chunk: Buffer): void {
  this[CALL]?.received(chunk);
}
function onEnd(this: Stream): void {
  this[CALL]?.halfClosed();
}
function onClose(this: Stream): void {
  this[CALL]?.closed();
}
function onWantTrailers(this: Stream): void {
  this[CALL]?.trailersWanted();
}
/** RST_STREAM NO_ERROR: "stop sending", after a complete response to a client still sending (HTTP/2 §8.1). */
const NO_ERROR = 0;
function stopRequest(stream: Stream): void {
  if (!stream.closed && !stream.destroyed) stream.close(NO_ERROR);
}
/** Stream errors (a reset with an error code) are followed by 'close', which handles the call. */
function onError(): void {}

function firstOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export class ServerCall extends EventEmitter implements FrameSink, UnaryCall<unknown>, ServerStreamCall<unknown, unknown>, BidiCall<unknown, unknown> {
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
  private trailers: http2.OutgoingHttpHeaders = OK_TRAILERS;
  private invalidTimeout: string | undefined;

  constructor(
    private readonly stream: Stream,
    headers: http2.IncomingHttpHeaders,
    private readonly route: Route,
    private readonly context: CallContext,
  ) {
    super();
    this.metadata = new HeaderMetadata(headers);
    this.decoder = new FrameDecoder(context.maxReceiveBytes, this);
    const encoding = firstOf(headers['grpc-encoding']);
    this.encoding = encoding === undefined || encoding === 'identity' ? undefined : encoding;
    stream[CALL] = this;
    stream.on('error', onError);
    stream.on('close', onClose);
    stream.on('wantTrailers', onWantTrailers);
    stream.on('data', onData);
    stream.on('end', onEnd);
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
    return this.state === OPEN && !this.stream.destroyed;
  }

  get destroyed(): boolean {
    return this.state === DONE || this.stream.destroyed;
  }

  write(message: unknown, cb?: () => void): boolean {
    if (this.state !== OPEN || this.stream.destroyed) return false;
    const framed = this.encode(message);
    if (!framed) return false;
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
    }
    return this.stream.write(framed, cb);
  }

  end(): void {
    this.finish(GrpcStatus.OK, 'OK');
  }

  fail(code: number, message: string): void {
    this.finish(code, message);
  }

  // --- the stream's events (through the shared listeners) ---

  received(chunk: Buffer): void {
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

  halfClosed(): void {
    if (this.state !== OPEN) return;
    if (this.decoder.pending) return this.abort(GrpcStatus.INTERNAL, 'The request ended in the middle of a message');
    if (this.route.kind === 'bidi') {
      this.emit('end');
      return;
    }
    if (!this.gotRequest) return this.abort(GrpcStatus.UNIMPLEMENTED, `Received no request message for ${this.route.path}`);
    this.invoke();
  }

  trailersWanted(): void {
    if (this.state === DONE || this.stream.destroyed) return;
    this.state = DONE;
    this.stream.sendTrailers(this.trailers);
    // Node sends trailers on the next turn (setImmediate): the reset goes after them.
    if (!this.stream.readableEnded) setImmediate(stopRequest, this.stream);
  }

  closed(): void {
    this.stream[CALL] = undefined;
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
    if (this.state !== OPEN || this.stream.destroyed) return;
    if (err) return this.finish(err.code ?? GrpcStatus.UNKNOWN, err.details ?? err.message ?? 'Unknown error');
    const framed = this.encode(value);
    if (!framed) return;
    this.state = ENDING;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
    this.stream.end(framed);
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
    if (this.stream.destroyed || this.stream.closed) {
      this.state = DONE;
      return;
    }
    if (this.headersSent) {
      this.state = ENDING;
      this.trailers = statusTrailers(code, message);
      this.stream.end();
    } else {
      this.state = DONE;
      this.headersSent = true;
      this.stream.respond(code === GrpcStatus.OK ? OK_TRAILERS_ONLY : trailersOnly(code, message), END_NOW);
      // The reset waits for the response to be out (Http2Stream.close waits for 'finish').
      if (!this.stream.readableEnded) stopRequest(this.stream);
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
