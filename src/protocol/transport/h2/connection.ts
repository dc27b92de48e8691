// Owns one HTTP/2 server connection (RFC 9113) on a socket: our SETTINGS and its ACK both ways,
// the frames of every stream (stream.ts) with the states, windows and errors the RFC requires —
// a connection error sends GOAWAY and closes, a stream error sends RST_STREAM — header blocks
// over CONTINUATION frames (header-block.ts) decoded with HPACK (hpack.ts) and checked (request-headers.ts), PING
// answered, PRIORITY ignored, abuse bounded (flood-guard.ts). Every frame of one turn goes out in
// one socket write (output.ts). WINDOW_UPDATEs give back what was received, in
// batches (half a window at a time). close() is graceful: GOAWAY with the last stream id, the
// streams in flight finish, then the socket ends; destroy() ends it now.
import type { Socket } from 'node:net';
import type { Clock } from '../../../util/clock.js';
import { FloodGuard, type FloodLimits, type Strike } from './flood-guard.js';
import * as F from './frames.js';
import { HeaderBlockReader, type BlockError, type HeaderBlock } from './header-block.js';
import { HeaderListTooLarge, HpackDecoder, HpackError } from './hpack.js';
import { FrameOutput } from './output.js';
import { PeerSettings } from './peer-settings.js';
import { requestHeaders, type RequestHeaders } from './request-headers.js';
import { H2Stream, type StreamOwner } from './stream.js';

const { FrameType: T, Flag, ErrorCode: E, Setting } = F;

export interface ConnectionOptions {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams over it are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on one stream before we give it back. */
  streamWindow?: number;
  /** The connection's receive window. */
  connectionWindow?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE, also the bound on a header block's encoded size. */
  maxHeaderListSize?: number;
  floodLimits?: FloodLimits;
  clock: Clock;
  /** A new stream with its request headers. */
  onStream(stream: H2Stream, headers: RequestHeaders): void;
  /** The socket is gone (after every stream's onStreamClose). */
  onClose(): void;
  /** A connection error we detected (for the debug log). */
  onError?(code: number, reason: string): void;
}

/** Unsent socket bytes past which streams stop pumping until 'drain'. */
const SOCKET_HIGH_WATER = 1024 * 1024;

export class H2ServerConnection implements F.FrameHandler, StreamOwner {
  readonly streams = new Map<number, H2Stream>();
  connectionWindow = F.DEFAULT_WINDOW;
  private readonly peer = new PeerSettings();
  private readonly reader: F.FrameReader;
  private readonly decoder = new HpackDecoder(4096);
  private readonly fields: string[] = [];
  private readonly guard: FloodGuard;
  private readonly streamWindow: number;
  private readonly recvWindowTarget: number;
  private readonly maxHeaderListSize: number;
  private recvWindow: number;
  private recvUnacked = 0;
  private lastStreamId = 0;
  private readonly blocks: HeaderBlockReader;
  private readonly out: FrameOutput;
  private readonly waiting = new Set<H2Stream>();
  private pingCallback: ((err?: Error) => void) | undefined;
  private pingCount = 0;
  private goawaySent = false;
  private goawayReceived = false;
  private gone = false;

  constructor(
    private readonly socket: Socket,
    private readonly o: ConnectionOptions,
  ) {
    this.streamWindow = o.streamWindow ?? 1024 * 1024;
    this.recvWindowTarget = o.connectionWindow ?? 16 * 1024 * 1024;
    this.maxHeaderListSize = o.maxHeaderListSize ?? 64 * 1024;
    this.recvWindow = this.recvWindowTarget;
    this.guard = new FloodGuard(o.clock, o.floodLimits);
    this.reader = new F.FrameReader(this, F.DEFAULT_MAX_FRAME, true);
    this.blocks = new HeaderBlockReader(this.maxHeaderListSize);
    this.out = new FrameOutput(socket);
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.onSocketClose());
    socket.on('drain', () => this.pumpWaiting());
    socket.resume(); // a socket handed over by the port sniffer was paused
    this.queue(
      F.settingsFrame([
        [Setting.MAX_CONCURRENT_STREAMS, o.maxConcurrentStreams],
        [Setting.INITIAL_WINDOW_SIZE, this.streamWindow],
        [Setting.MAX_HEADER_LIST_SIZE, this.maxHeaderListSize],
        [Setting.ENABLE_PUSH, 0],
      ]),
    );
    if (this.recvWindowTarget > F.DEFAULT_WINDOW) this.queue(F.windowUpdateFrame(0, this.recvWindowTarget - F.DEFAULT_WINDOW));
  }

  /** GOAWAY sent or received: no new streams. */
  get closed(): boolean {
    return this.goawaySent || this.goawayReceived || this.gone;
  }

  get destroyed(): boolean {
    return this.gone;
  }

  get congested(): boolean {
    return this.socket.writableLength > SOCKET_HIGH_WATER;
  }

  /** Graceful close: GOAWAY, the streams in flight finish, then the socket ends. */
  close(): void {
    if (this.gone) return;
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.queue(F.goawayFrame(this.lastStreamId, E.NO_ERROR));
    }
    this.maybeFinish();
  }

  /** Ends the connection now (GOAWAY with `code`), every stream with it. */
  destroy(code: number = E.NO_ERROR, reason = ''): void {
    if (this.gone) return;
    if (!this.goawaySent) {
      this.goawaySent = true;
      this.queue(F.goawayFrame(this.lastStreamId, code, reason));
    }
    this.reader.stop();
    this.out.flush();
    this.gone = true;
    this.out.stopped = true;
    this.abandonAll();
    this.socket.end(() => this.socket.destroy());
  }

  /** Sends a PING; `cb` runs with its ACK (or an error when the connection goes first). False: one is in flight, or closed. */
  ping(cb: (err?: Error) => void): boolean {
    if (this.gone || this.pingCallback) return false;
    this.pingCallback = cb;
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.pingCount, 4);
    this.queue(F.pingFrame(payload, false));
    return true;
  }

  // --- StreamOwner ---

  queue(bytes: Buffer): void {
    this.out.queue(bytes);
  }

  afterWrite(cb: () => void): void {
    this.out.afterWrite(cb);
  }

  wait(stream: H2Stream): void {
    this.waiting.add(stream);
  }

  get peerMaxFrame(): number {
    return this.peer.maxFrame;
  }

  headerPrefix(block: Buffer): Buffer {
    if (!this.peer.tableSizeUpdate) return block;
    this.peer.tableSizeUpdate = false;
    return Buffer.concat([Buffer.from([0x20]), block]); // a size update to 0: we never index
  }

  release(stream: H2Stream, code: number): void {
    if (code >= 0) this.queue(F.rstStreamFrame(stream.id, code));
    this.streams.delete(stream.id);
    this.waiting.delete(stream);
    if (this.streams.size === 0) this.maybeFinish();
  }

  // --- frames in ---

  onFramingError(code: number, reason: string): void {
    this.fail(code, reason);
  }

  onFrame(type: number, flags: number, id: number, p: Buffer): void {
    if (this.blocks.open && type !== T.CONTINUATION) return this.fail(E.PROTOCOL_ERROR, 'a frame inside a header block');
    switch (type) {
      case T.DATA:
        return this.onData(flags, id, p);
      case T.HEADERS:
        if (id === 0) return this.fail(E.PROTOCOL_ERROR, 'HEADERS on stream 0');
        return this.onBlock(this.blocks.headers(flags, id, p));
      case T.CONTINUATION:
        return this.onBlock(this.blocks.continuation(flags, id, p));
      case T.PRIORITY:
        if (id === 0) return this.fail(E.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (p.length !== 5) return this.streamError(id, E.FRAME_SIZE_ERROR);
        return;
      case T.RST_STREAM:
        return this.onReset(id, p);
      case T.SETTINGS:
        return this.onSettings(flags, id, p);
      case T.PUSH_PROMISE:
        return this.fail(E.PROTOCOL_ERROR, 'PUSH_PROMISE from a client');
      case T.PING:
        return this.onPing(flags, id, p);
      case T.GOAWAY:
        if (id !== 0) return this.fail(E.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (p.length < 8) return this.fail(E.FRAME_SIZE_ERROR, 'short GOAWAY');
        this.goawayReceived = true;
        return this.maybeFinish();
      case T.WINDOW_UPDATE:
        return this.onWindowUpdate(id, p);
      default:
        return; // unknown frame types are ignored (§4.1)
    }
  }

  private onData(flags: number, id: number, p: Buffer): void {
    if (id === 0) return this.fail(E.PROTOCOL_ERROR, 'DATA on stream 0');
    const length = p.length;
    this.recvWindow -= length;
    if (this.recvWindow < 0) return this.fail(E.FLOW_CONTROL_ERROR, 'DATA past the connection window');
    this.recvUnacked += length;
    if (this.recvUnacked >= this.recvWindowTarget / 2) {
      this.queue(F.windowUpdateFrame(0, this.recvUnacked));
      this.recvWindow += this.recvUnacked;
      this.recvUnacked = 0;
    }
    let data = p;
    if (flags & Flag.PADDED) {
      const pad = length > 0 ? p[0]! : 0;
      if (length === 0 || pad >= length) return this.fail(E.PROTOCOL_ERROR, 'DATA padding past the frame');
      data = p.subarray(1, length - pad);
    }
    const end = (flags & Flag.END_STREAM) !== 0;
    if (data.length === 0 && !end && !this.strike('emptyData')) return;
    const stream = this.streams.get(id);
    if (!stream) {
      if (id > this.lastStreamId) return this.fail(E.PROTOCOL_ERROR, 'DATA on an idle stream');
      return; // a stream closed (maybe by our reset): ignored (§5.1)
    }
    if (stream.remoteEnded) return this.streamError(id, E.STREAM_CLOSED);
    stream.recvWindow -= length;
    if (stream.recvWindow < 0) return this.streamError(id, E.FLOW_CONTROL_ERROR);
    if (data.length > 0) stream.sink?.onStreamData(data);
    if (stream.closed) return;
    if (end) return stream.remoteEnd();
    stream.recvUnacked += length;
    if (stream.recvUnacked >= this.streamWindow / 2) {
      this.queue(F.windowUpdateFrame(id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  private onBlock(block: HeaderBlock | BlockError | undefined): void {
    if (!block) return;
    if ('code' in block) return this.fail(block.code === 'calm' ? E.ENHANCE_YOUR_CALM : E.PROTOCOL_ERROR, block.reason);
    const id = block.streamId;
    const bytes = block.bytes;
    const fields = this.fields;
    fields.length = 0;
    try {
      this.decoder.decode(bytes, this.maxHeaderListSize, fields);
    } catch (err) {
      if (err instanceof HeaderListTooLarge) return this.fail(E.ENHANCE_YOUR_CALM, err.message);
      if (err instanceof HpackError) return this.fail(E.COMPRESSION_ERROR, err.message);
      throw err;
    }
    const open = this.streams.get(id);
    if (open) {
      // Trailers: they end the stream.
      if (!block.endStream || open.remoteEnded) return this.streamError(id, open.remoteEnded ? E.STREAM_CLOSED : E.PROTOCOL_ERROR);
      if (typeof requestHeaders(fields, true) === 'string') return this.streamError(id, E.PROTOCOL_ERROR);
      return open.remoteEnd();
    }
    if (id <= this.lastStreamId) return; // a stream already closed: decoded (HPACK state) and ignored
    if ((id & 1) === 0) return this.fail(E.PROTOCOL_ERROR, 'a client stream with an even id');
    this.lastStreamId = id;
    if (this.goawaySent || this.goawayReceived) return; // past the GOAWAY: not served
    if (this.streams.size >= this.o.maxConcurrentStreams) {
      if (!this.strike('refused')) return;
      return this.queue(F.rstStreamFrame(id, E.REFUSED_STREAM));
    }
    const headers = requestHeaders(fields, false);
    if (typeof headers === 'string') return this.queue(F.rstStreamFrame(id, E.PROTOCOL_ERROR));
    const stream = new H2Stream(id, this, this.peer.streamWindow, this.streamWindow);
    this.streams.set(id, stream);
    this.o.onStream(stream, headers);
    if (block.endStream && !stream.closed) stream.remoteEnd();
  }

  private onReset(id: number, p: Buffer): void {
    if (id === 0) return this.fail(E.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (p.length !== 4) return this.fail(E.FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    const stream = this.streams.get(id);
    if (!stream) {
      if (id > this.lastStreamId) this.fail(E.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
      return;
    }
    if (!this.strike('reset')) return;
    stream.abandon();
  }

  private onSettings(flags: number, id: number, p: Buffer): void {
    if (id !== 0) return this.fail(E.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (p.length !== 0) this.fail(E.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (p.length % 6 !== 0) return this.fail(E.FRAME_SIZE_ERROR, 'SETTINGS of the wrong size');
    if (!this.strike('settings')) return;
    const outcome = this.peer.apply(p);
    if ('code' in outcome) return this.fail(outcome.code, outcome.reason);
    if (outcome.windowDelta !== 0) {
      for (const stream of this.streams.values()) {
        stream.sendWindow += outcome.windowDelta;
        if (stream.sendWindow > F.MAX_WINDOW) return this.fail(E.FLOW_CONTROL_ERROR, 'a stream window over 2^31-1');
      }
    }
    const opened = outcome.windowDelta > 0;
    this.queue(F.SETTINGS_ACK);
    if (opened) for (const s of [...this.streams.values()]) s.pump();
  }

  private onPing(flags: number, id: number, p: Buffer): void {
    if (id !== 0) return this.fail(E.PROTOCOL_ERROR, 'PING on a stream');
    if (p.length !== 8) return this.fail(E.FRAME_SIZE_ERROR, 'PING of the wrong size');
    if (flags & Flag.ACK) {
      const cb = this.pingCallback;
      if (cb && p.readUInt32BE(4) === this.pingCount) {
        this.pingCallback = undefined;
        cb();
      }
      return;
    }
    if (!this.strike('ping')) return;
    this.queue(F.pingFrame(p, true));
  }

  private onWindowUpdate(id: number, p: Buffer): void {
    if (p.length !== 4) return this.fail(E.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const increment = p.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) return this.fail(E.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.connectionWindow += increment;
      if (this.connectionWindow > F.MAX_WINDOW) return this.fail(E.FLOW_CONTROL_ERROR, 'connection window over 2^31-1');
      return this.pumpWaiting();
    }
    const stream = this.streams.get(id);
    if (!stream) {
      if (id > this.lastStreamId) this.fail(E.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
      return;
    }
    if (increment === 0) return this.streamError(id, E.PROTOCOL_ERROR);
    stream.sendWindow += increment;
    if (stream.sendWindow > F.MAX_WINDOW) return this.streamError(id, E.FLOW_CONTROL_ERROR);
    stream.pump();
  }

  // --- internals ---

  private strike(kind: Strike): boolean {
    if (this.guard.strike(kind)) return true;
    this.fail(E.ENHANCE_YOUR_CALM, `too many ${kind} frames`);
    return false;
  }

  private streamError(id: number, code: number): void {
    const stream = this.streams.get(id);
    if (stream) stream.reset(code);
    else this.queue(F.rstStreamFrame(id, code));
  }

  private fail(code: number, reason: string): void {
    this.o.onError?.(code, reason);
    this.destroy(code, reason);
  }

  private pumpWaiting(): void {
    if (this.waiting.size === 0) return;
    const streams = [...this.waiting];
    this.waiting.clear();
    for (const s of streams) {
      if (this.connectionWindow <= 0 || this.congested) {
        this.waiting.add(s);
        continue;
      }
      s.pump();
    }
  }

  /** After a GOAWAY either way: the socket ends once the last stream is over. */
  private maybeFinish(): void {
    if (this.gone || !(this.goawaySent || this.goawayReceived) || this.streams.size > 0) return;
    this.out.flush();
    this.gone = true;
    this.out.stopped = true;
    this.reader.stop();
    this.socket.end(() => this.socket.destroy());
  }

  private abandonAll(): void {
    for (const s of [...this.streams.values()]) s.abandon();
    this.streams.clear();
    this.waiting.clear();
  }

  private onSocketClose(): void {
    this.gone = true;
    this.out.stopped = true;
    this.reader.stop();
    this.abandonAll();
    const cb = this.pingCallback;
    this.pingCallback = undefined;
    cb?.(new Error('the connection closed'));
    this.o.onClose();
  }
}
