// A GrpcTransport (src/protocol/transport/) serving test handlers for the MessagingService methods
// on an ephemeral port, on a FakeClock (deadlines, idle timeouts and keepalives fire when the test
// advances it), and a raw HTTP/2 client that shows everything at the wire: response headers,
// messages, trailers, the reset code.
import http2 from 'node:http2';
import { createServer, type Server } from 'node:net';
import type protobuf from 'protobufjs';
import { silentLogger } from '../../../src/logger.js';
import { messagingService } from '../../../src/protocol/proto.js';
import { GrpcTransport, type GrpcTransportOptions } from '../../../src/protocol/transport/server.js';
import type { ServiceImplementation } from '../../../src/protocol/transport/types.js';
import { FakeClock } from '../../../src/util/clock.js';
import { connectWire, frame, MESSAGING, methodTypes } from '../../helpers/grpc-wire.js';

export { frame, MESSAGING, methodTypes };

export interface Harness {
  clock: FakeClock;
  transport: GrpcTransport;
  endpoint: string;
  port: number;
  connect(): Promise<http2.ClientHttp2Session>;
  close(): Promise<void>;
}

export const TIMINGS = { idleTimeoutMs: 60_000, keepaliveTimeMs: 30_000, keepaliveTimeoutMs: 5_000 };

export async function startHarness(impl: ServiceImplementation, options: Partial<GrpcTransportOptions> = {}): Promise<Harness> {
  const clock = new FakeClock();
  const transport = new GrpcTransport({ maxReceiveBytes: 64 * 1024, maxConcurrentStreams: 7, ...TIMINGS, clock, log: silentLogger(), ...options });
  transport.addService(messagingService().service, { ...defaults(), ...impl });
  const listener: Server = createServer((socket) => transport.inject(socket));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const sessions: http2.ClientHttp2Session[] = [];
  return {
    clock,
    transport,
    endpoint: `127.0.0.1:${port}`,
    port,
    async connect() {
      const s = await connectWire(`127.0.0.1:${port}`);
      sessions.push(s);
      return s;
    },
    async close() {
      for (const s of sessions) s.destroy();
      const closed = transport.close(0);
      clock.advance(1);
      await closed;
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

/** Every method answers OK with an empty status unless the test gives it a handler. */
function defaults(): ServiceImplementation {
  const impl: ServiceImplementation = {};
  for (const name of Object.keys(messagingService().service)) {
    const method = messagingService().service[name]!;
    impl[name] = method.responseStream
      ? (call: { write(m: unknown): boolean; end(): void }) => {
          call.write({ status: { code: 'OK', message: 'OK' } });
          call.end();
        }
      : (_call: unknown, done: (e: null, v: unknown) => void) => done(null, { status: { code: 'OK', message: 'OK' } });
  }
  return impl;
}

export interface Reply {
  /** The first header block (with the status in it for a trailers-only answer). */
  headers: http2.IncomingHttpHeaders;
  trailers?: http2.IncomingHttpHeaders;
  /** grpc-status from the trailers, else from the headers; -1 without one. */
  status: number;
  message: string;
  replies: Record<string, unknown>[];
  rstCode: number;
}

export interface CallOptions {
  headers?: http2.OutgoingHttpHeaders;
  /** Written one chunk per write, a turn of the event loop apart (so in separate DATA frames). */
  chunks?: Buffer[];
  /** Leave the request side open. */
  keepOpen?: boolean;
  /** Called with the stream once it is open (to reset it, to write more). */
  onStream?: (stream: http2.ClientHttp2Stream) => void;
}

/** One call to MessagingService/`name`; settles when the stream closes. */
export function call(session: http2.ClientHttp2Session, name: string, body: Buffer[] | Buffer, o: CallOptions = {}): Promise<Reply> {
  const { res } = methodTypes(MESSAGING, name);
  const stream = session.request({ ':method': 'POST', ':path': `/${MESSAGING}/${name}`, 'content-type': 'application/grpc', te: 'trailers', ...o.headers });
  o.onStream?.(stream);
  return new Promise((resolve) => {
    const reply: Reply = { headers: {}, status: -1, message: '', replies: [], rstCode: 0 };
    const data: Buffer[] = [];
    const read = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) reply.status = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) reply.message = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', (h) => {
      reply.headers = h;
      read(h);
    });
    stream.on('trailers', (h) => {
      reply.trailers = h;
      read(h);
    });
    stream.on('data', (c: Buffer) => data.push(c));
    stream.on('error', () => undefined);
    stream.on('close', () => {
      reply.rstCode = stream.rstCode ?? 0;
      reply.replies = decodeAll(res, Buffer.concat(data));
      resolve(reply);
    });
    void (async () => {
      for (const chunk of Array.isArray(body) ? body : [body]) {
        if (stream.destroyed) return;
        stream.write(chunk);
        await new Promise((r) => setImmediate(r));
      }
      if (!o.keepOpen && !stream.destroyed) stream.end();
    })();
  });
}

export function decodeAll(type: protobuf.Type, bytes: Buffer): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const len = bytes.readUInt32BE(at + 1);
    out.push(type.toObject(type.decode(bytes.subarray(at + 5, at + 5 + len)), { enums: String, longs: String, defaults: false }));
    at += 5 + len;
  }
  return out;
}

/** `obj` encoded as a request of `name`, framed. */
export function request(name: string, obj: Record<string, unknown>): Buffer {
  return frame(methodTypes(MESSAGING, name).req, obj);
}

/** Resolves once `predicate` holds, checking after each turn of the event loop. */
export async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 5));
}
