// The load generators' HTTP/2 client connection (RFC 9113): one TCP socket, frames and HPACK from
// the broker's own codec (src/protocol/transport/h2/), written for many small calls in flight.
// Every frame a turn of the event loop produces leaves in ONE socket write (lean-h2-out.ts);
// HPACK as lean-hpack.ts does it (request fields indexed, blocks kept); a request with its body
// leaves as HEADERS + DATA at once when the windows allow; flow control both ways
// (DATA waits for the server's stream and connection windows and is cut to its max frame size;
// our windows are large and topped up in big steps). It exists because node:http2's client costs
// more CPU per call than the broker does: a load generator must not be what is measured.
import { connect, type Socket } from 'node:net';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FrameReader,
  FrameType,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
  windowUpdateFrame,
} from '../../src/protocol/transport/h2/frames.js';
import { HeaderBlockReader, type BlockError, type HeaderBlock } from '../../src/protocol/transport/h2/header-block.js';
import { H2Output } from './lean-h2-out.js';
import { IndexingEncoder, ResponseHeaderDecoder } from './lean-hpack.js';

/** Our receive windows: the connection's and each stream's; topped up once half is used. */
const RECEIVE_WINDOW = 16 << 20;
/** The largest frame we accept (our SETTINGS_MAX_FRAME_SIZE). */
const MAX_FRAME = 1 << 20;
const DYNAMIC_TABLE = 4096;
/** The largest response header block accepted. */
const MAX_HEADER_BLOCK = 1 << 20;

/** What a stream's owner is told. `fields`: name, value, name, value... */
export interface StreamEvents {
  /** `fields` may be shared between streams: read them, do not change them. */
  headers(fields: readonly string[], endStream: boolean): void;
  data(payload: Buffer, endStream: boolean): void;
  /** The stream ended without trailers: reset by the server, the connection lost, or GOAWAY. */
  failed(err: Error): void;
}

interface OutStream {
  id: number;
  events: StreamEvents;
  /** What the server lets us send on this stream. */
  window: number;
  queue: Buffer[];
  endQueued: boolean;
  ended: boolean;
  /** Bytes received not yet given back with a WINDOW_UPDATE. */
  unacked: number;
}

export class H2Client {
  private readonly streams = new Map<number, OutStream>();
  private nextId = 1;
  private readonly decoder = new ResponseHeaderDecoder(DYNAMIC_TABLE, MAX_HEADER_BLOCK);
  private readonly encoder = new IndexingEncoder(DYNAMIC_TABLE);
  private readonly reader: FrameReader;
  private readonly out: H2Output;
  private connWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private connUnacked = 0;
  /** Streams with data waiting for the connection window. */
  private readonly blocked = new Set<OutStream>();
  private readonly blocks = new HeaderBlockReader(MAX_HEADER_BLOCK);
  private closedWith: Error | undefined;

  private constructor(private readonly socket: Socket) {
    this.out = new H2Output(socket);
    this.reader = new FrameReader(
      { onFrame: (t, f, id, p) => this.onFrame(t, f, id, p), onFramingError: (_c, reason) => this.fail(new Error(`HTTP/2 framing: ${reason}`)) },
      MAX_FRAME,
    );
  }

  /** Connects and resolves once the server's SETTINGS arrived. */
  static connect(host: string, port: number): Promise<H2Client> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      const client = new H2Client(socket);
      let settled = false;
      client.onSettings = () => {
        if (settled) return;
        settled = true;
        resolve(client);
      };
      socket.once('connect', () => {
        socket.write(
          Buffer.concat([
            CLIENT_PREFACE,
            settingsFrame([
              [Setting.ENABLE_PUSH, 0],
              [Setting.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW],
              [Setting.MAX_FRAME_SIZE, MAX_FRAME],
              [Setting.HEADER_TABLE_SIZE, DYNAMIC_TABLE],
            ]),
            windowUpdateFrame(0, RECEIVE_WINDOW - DEFAULT_WINDOW),
          ]),
        );
      });
      socket.on('data', (chunk: Buffer) => client.reader.push(chunk));
      socket.on('error', (err) => {
        client.fail(err);
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      socket.on('close', () => client.fail(new Error('the connection closed')));
    });
  }

  private onSettings: () => void = () => {};

  /** Opens a stream with these request header fields; `end`: no request body. */
  request(fields: readonly (readonly [string, string])[], events: StreamEvents): number {
    if (this.closedWith) throw this.closedWith;
    const id = this.nextId;
    this.nextId += 2;
    this.streams.set(id, { id, events, window: this.peerInitialWindow, queue: [], endQueued: false, ended: false, unacked: 0 });
    this.push(headersFrames(id, this.encoder.encode(fields), false, this.peerMaxFrame));
    return id;
  }

  /**
   * Opens a stream and sends `payload` with END_STREAM (a unary or server-streaming call): HEADERS
   * and the DATA frame leave together when the windows allow it, as request + send would.
   */
  requestWith(fields: readonly (readonly [string, string])[], events: StreamEvents, payload: Buffer): number {
    if (this.closedWith) throw this.closedWith;
    const n = payload.length;
    if (n === 0 || n > this.peerInitialWindow || n > this.connWindow || n > this.peerMaxFrame) {
      const id = this.request(fields, events);
      this.send(id, payload, true);
      return id;
    }
    const id = this.nextId;
    this.nextId += 2;
    this.streams.set(id, { id, events, window: this.peerInitialWindow - n, queue: [], endQueued: true, ended: true, unacked: 0 });
    const block = this.encoder.encode(fields);
    if (block.length > this.peerMaxFrame) {
      this.push(headersFrames(id, block, false, this.peerMaxFrame));
      this.out.frameHeader(n, FrameType.DATA, Flag.END_STREAM, id);
    } else {
      this.out.frameHeader(block.length, FrameType.HEADERS, Flag.END_HEADERS, id);
      this.push(block);
      this.out.frameHeader(n, FrameType.DATA, Flag.END_STREAM, id);
    }
    this.push(payload);
    this.connWindow -= n;
    return id;
  }

  /** Queues `payload` on the stream (and its end when `end`); sent as the windows allow. */
  send(id: number, payload: Buffer | undefined, end: boolean): void {
    const s = this.streams.get(id);
    if (!s || s.endQueued) return;
    if (payload && payload.length > 0) s.queue.push(payload);
    if (end) s.endQueued = true;
    this.pump(s);
  }

  /** Resets a stream (CANCEL). */
  cancel(id: number): void {
    if (!this.streams.delete(id)) return;
    this.push(rstStreamFrame(id, ErrorCode.CANCEL));
  }

  close(): void {
    this.push(goawayFrame(0, ErrorCode.NO_ERROR));
    this.flush();
    this.socket.end();
  }

  private pump(s: OutStream): void {
    while (s.queue.length > 0) {
      const head = s.queue[0]!;
      const n = Math.min(head.length, s.window, this.connWindow, this.peerMaxFrame);
      if (n <= 0) {
        if (this.connWindow <= 0) this.blocked.add(s);
        return;
      }
      const last = n === head.length && s.queue.length === 1 && s.endQueued;
      this.out.frameHeader(n, FrameType.DATA, last ? Flag.END_STREAM : 0, s.id);
      this.push(n === head.length ? head : head.subarray(0, n));
      if (n === head.length) s.queue.shift();
      else s.queue[0] = head.subarray(n);
      s.window -= n;
      this.connWindow -= n;
      if (last) {
        s.ended = true;
        return;
      }
    }
    if (s.endQueued && !s.ended) {
      s.ended = true;
      this.out.frameHeader(0, FrameType.DATA, Flag.END_STREAM, s.id);
    }
  }

  private push(buf: Buffer): void {
    this.out.push(buf);
  }

  private flush(): void {
    this.out.flush();
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.blocks.open && type !== FrameType.CONTINUATION) return this.fail(new Error('HTTP/2: a frame inside a header block'));
    switch (type) {
      case FrameType.DATA:
        return this.onData(flags, id, payload);
      case FrameType.HEADERS:
        return this.onHeaderBlock(this.blocks.headers(flags, id, payload));
      case FrameType.CONTINUATION:
        return this.onHeaderBlock(this.blocks.continuation(flags, id, payload));
      case FrameType.RST_STREAM: {
        const s = this.streams.get(id);
        if (!s) return;
        this.streams.delete(id);
        this.blocked.delete(s);
        s.events.failed(new Error(`the server reset the stream (HTTP/2 code ${payload.readUInt32BE(0)})`));
        return;
      }
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) return;
        for (let at = 0; at + 6 <= payload.length; at += 6) {
          const key = payload.readUInt16BE(at);
          const value = payload.readUInt32BE(at + 2);
          if (key === Setting.INITIAL_WINDOW_SIZE) {
            const delta = value - this.peerInitialWindow;
            this.peerInitialWindow = value;
            for (const s of this.streams.values()) s.window += delta;
          } else if (key === Setting.MAX_FRAME_SIZE) {
            this.peerMaxFrame = value;
          }
        }
        this.push(SETTINGS_ACK);
        for (const s of this.streams.values()) this.pump(s);
        this.onSettings();
        return;
      case FrameType.PING:
        if (!(flags & Flag.ACK)) this.push(pingFrame(payload, true));
        return;
      case FrameType.GOAWAY: {
        const last = payload.readUInt32BE(0) & 0x7fffffff;
        const err = new Error(`the server sent GOAWAY (HTTP/2 code ${payload.readUInt32BE(4)})`);
        for (const [sid, s] of this.streams) {
          if (sid > last) {
            this.streams.delete(sid);
            s.events.failed(err);
          }
        }
        this.closedWith = err;
        return;
      }
      case FrameType.WINDOW_UPDATE: {
        const inc = payload.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) {
          this.connWindow += inc;
          const waiting = [...this.blocked];
          this.blocked.clear();
          for (const s of waiting) this.pump(s);
        } else {
          const s = this.streams.get(id);
          if (s) {
            s.window += inc;
            this.pump(s);
          }
        }
        return;
      }
      default:
        return; // PRIORITY, PUSH_PROMISE (refused by ENABLE_PUSH 0), unknown types: ignored
    }
  }

  /** A whole header block (undefined: CONTINUATION follows). */
  private onHeaderBlock(block: HeaderBlock | BlockError | undefined): void {
    if (!block) return;
    if (!('bytes' in block)) return this.fail(new Error(`HTTP/2: ${block.reason}`));
    let fields: readonly string[];
    try {
      fields = this.decoder.decode(block.bytes);
    } catch (err) {
      return this.fail(new Error(`HTTP/2: a header block the client cannot decode: ${(err as Error).message}`));
    }
    const s = this.streams.get(block.streamId);
    if (!s) return;
    if (block.endStream) this.finished(s);
    s.events.headers(fields, block.endStream);
  }

  private onData(flags: number, id: number, payload: Buffer): void {
    let body = payload;
    if (flags & Flag.PADDED) body = payload.subarray(1, payload.length - payload[0]!);
    this.connUnacked += payload.length;
    if (this.connUnacked >= RECEIVE_WINDOW / 2) {
      this.push(windowUpdateFrame(0, this.connUnacked));
      this.connUnacked = 0;
    }
    const s = this.streams.get(id);
    if (!s) return;
    const end = (flags & Flag.END_STREAM) !== 0;
    if (end) this.finished(s);
    else {
      s.unacked += payload.length;
      if (s.unacked >= RECEIVE_WINDOW / 2) {
        this.push(windowUpdateFrame(id, s.unacked));
        s.unacked = 0;
      }
    }
    s.events.data(body, end);
  }

  private finished(s: OutStream): void {
    this.streams.delete(s.id);
    this.blocked.delete(s);
  }

  private fail(err: Error): void {
    if (this.closedWith && this.streams.size === 0) return;
    this.closedWith ??= err;
    this.reader.stop();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.events.failed(err);
    this.socket.destroy();
  }
}
