// A raw HTTP/2 client for the transport's protocol tests, built on the transport's own codec
// (h2/frames.ts, h2/hpack.ts, usable from a client too): it sends any frame, well-formed or not,
// and records every frame the server sends, decoding header blocks with its own HPACK decoder.
import { connect, type Socket } from 'node:net';
import * as F from '../../../src/protocol/transport/h2/frames.js';
import { HpackDecoder, HpackEncoder, type HeaderField } from '../../../src/protocol/transport/h2/hpack.js';
import { MESSAGING } from './harness.js';

export interface Received {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  /** HEADERS: the decoded fields. */
  headers?: Record<string, string>;
}

export interface RawClient {
  socket: Socket;
  frames: Received[];
  closed: Promise<void>;
  send(...bytes: Buffer[]): void;
  /** Resolves with the first frame (from the start) matching, once it arrived. */
  next(match: (f: Received) => boolean): Promise<Received>;
  /** The GOAWAY the server sent (once it closed the connection). */
  goaway(): Promise<{ lastStreamId: number; code: number }>;
  close(): void;
}

export const encoder = new HpackEncoder({ huffman: true });

/** The request header block of a call to MessagingService/`name`, Huffman-coded. */
export function requestBlock(name: string, extra: HeaderField[] = []): Buffer {
  return encoder.encode([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', `/${MESSAGING}/${name}`],
    [':authority', 'localhost'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ...extra,
  ]);
}

export function headersFrame(streamId: number, block: Buffer, endStream: boolean): Buffer {
  return F.frame(F.FrameType.HEADERS, F.Flag.END_HEADERS | (endStream ? F.Flag.END_STREAM : 0), streamId, block);
}

export function dataFrame(streamId: number, data: Buffer, endStream: boolean): Buffer {
  return Buffer.concat([F.dataHeader(streamId, data.length, endStream), data]);
}

export function rawClient(port: number, settings: (readonly [number, number])[] = []): Promise<RawClient> {
  return new Promise((resolve) => {
    const frames: Received[] = [];
    const waiters: (() => void)[] = [];
    const decoder = new HpackDecoder();
    const reader = new F.FrameReader(
      {
        onFrame(type, flags, streamId, payload) {
          const f: Received = { type, flags, streamId, payload: Buffer.from(payload) };
          if (type === F.FrameType.HEADERS) {
            const flat = decoder.decode(f.payload, 1 << 20);
            f.headers = {};
            for (let i = 0; i < flat.length; i += 2) f.headers[flat[i]!] = flat[i + 1]!;
          }
          frames.push(f);
          for (const w of waiters.splice(0)) w();
        },
        onFramingError() {},
      },
      F.MAX_FRAME_LIMIT,
    );
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.concat([F.CLIENT_PREFACE, F.settingsFrame(settings)]));
      resolve(client);
    });
    socket.on('data', (c: Buffer) => reader.push(c));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    void closed.then(() => {
      for (const w of waiters.splice(0)) w();
    });
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    const next = async (match: (f: Received) => boolean): Promise<Received> => {
      for (;;) {
        const f = frames.find(match);
        if (f) return f;
        if (isClosed) throw new Error('the connection closed first');
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    const client: RawClient = {
      socket,
      frames,
      closed,
      send: (...bytes) => socket.write(Buffer.concat(bytes)),
      next,
      async goaway() {
        await closed;
        const g = frames.find((f) => f.type === F.FrameType.GOAWAY);
        if (!g) throw new Error('no GOAWAY');
        return { lastStreamId: g.payload.readUInt32BE(0), code: g.payload.readUInt32BE(4) };
      },
      close: () => socket.destroy(),
    };
  });
}
