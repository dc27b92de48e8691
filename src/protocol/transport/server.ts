// Owns the gRPC server on node:http2 (it replaced the grpc-js server: the broker's clients still
// use grpc-js). One HTTP/2 server — plaintext, or TLS with ALPN h2 — that listens on nothing:
// connections are handed to it (`inject`, from the port sniffer). It routes each stream by its
// :path to a registered method (unknown ones get UNIMPLEMENTED, non-gRPC content types HTTP 415)
// and hands it to a ServerCall (call.ts); it keeps each connection's SessionWatch (session.ts:
// idle timeout, keepalive) and closes gracefully: GOAWAY to every connection, calls in flight
// finish within graceMs, then what is left is destroyed.
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../util/clock.js';
import { ServerCall, type CallKind, type Route } from './call.js';
import { isGrpcContentType } from './headers.js';
import { SessionWatch, type SessionTimings } from './session.js';
import { GrpcStatus, trailersOnly } from './status.js';
import type { CallHandler, ServiceDefinition, ServiceImplementation } from './types.js';

export interface GrpcTransportOptions extends SessionTimings {
  /** The largest request message accepted (declared length, or decompressed size). */
  maxReceiveBytes: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of every connection. */
  maxConcurrentStreams: number;
  /** TLS (ALPN h2) with this certificate chain and key; plaintext without. */
  tls?: { cert: Buffer; key: Buffer };
  clock: Clock;
  log: Logger;
}

const WATCH = Symbol('halfmoon.grpc.session');
type Session = http2.ServerHttp2Session & { [WATCH]?: SessionWatch };

const END_NOW: http2.ServerStreamResponseOptions = Object.freeze({ endStream: true, sendDate: false });
const UNSUPPORTED_MEDIA_TYPE: http2.OutgoingHttpHeaders = Object.freeze({ ':status': 415 });

function ignore(): void {}

export class GrpcTransport {
  private readonly routes = new Map<string, Route>();
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly sessions = new Set<Session>();
  private closing = false;
  private allClosed: (() => void) | undefined;

  constructor(private readonly options: GrpcTransportOptions) {
    const common = {
      // As grpc-js: Node's session memory cap (10 MB) would refuse large messages in flight.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      settings: { maxConcurrentStreams: options.maxConcurrentStreams },
    };
    this.server = options.tls ? http2.createSecureServer({ ...common, cert: options.tls.cert, key: options.tls.key, ALPNProtocols: ['h2'] }) : http2.createServer(common);
    this.server.setTimeout(0);
    this.server.on('session', (session: Session) => this.onSession(session));
    this.server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => this.onStream(stream, headers));
    this.server.on('sessionError', (err: Error) => options.log.debug({ err }, 'gRPC connection failed'));
    if (options.tls) {
      this.server.on('tlsClientError', (err: Error) => options.log.debug({ err }, 'gRPC TLS handshake failed'));
      this.server.on('secureConnection', (socket: Socket) => socket.on('error', ignore));
    }
  }

  /** Registers every method of `definition` with its handler in `impl` (by RPC name). */
  addService(definition: ServiceDefinition, impl: ServiceImplementation): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler: CallHandler | undefined = impl[name];
      if (!handler) throw new Error(`no handler for ${method.path}`);
      if (method.requestStream && !method.responseStream) throw new Error(`${method.path} is client-streaming, which this transport does not serve`);
      const kind: CallKind = method.requestStream ? 'bidi' : method.responseStream ? 'serverStream' : 'unary';
      this.routes.set(method.path, {
        path: method.path,
        kind,
        handler,
        deserialize: (bytes) => method.requestDeserialize(bytes),
        serialize: (value) => method.responseSerialize(value as never),
      });
    }
  }

  /** Serves a connection accepted elsewhere (its first bytes put back). */
  inject(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.server.emit('connection', socket);
  }

  /** Open connections. */
  get connections(): number {
    return this.sessions.size;
  }

  /** GOAWAY to every connection; calls in flight get graceMs to finish, then the rest is destroyed. */
  close(graceMs: number): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => {
      if (this.sessions.size === 0) resolve();
      else this.allClosed = resolve;
    });
    for (const s of this.sessions) if (!s.closed) s.close();
    const force = this.options.clock.setTimer(() => {
      for (const s of this.sessions) s.destroy(undefined, http2.constants.NGHTTP2_CANCEL);
    }, graceMs);
    return done.then(() => force.cancel());
  }

  private onSession(session: Session): void {
    if (this.closing) {
      session.destroy();
      return;
    }
    const o = this.options;
    const watch = new SessionWatch(session, o.clock, o.maxReceiveBytes, o);
    session[WATCH] = watch;
    this.sessions.add(session);
    session.on('error', ignore); // also reported as 'sessionError'; 'close' follows
    session.once('close', () => {
      watch.stop();
      this.sessions.delete(session);
      if (this.sessions.size === 0) this.allClosed?.();
    });
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const watch = (stream.session as Session | undefined)?.[WATCH];
    if (!watch) {
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    const route = this.routes.get(headers[':path'] ?? '');
    if (!isGrpcContentType(headers['content-type']) || !route) {
      stream.on('error', ignore);
      if (!route && isGrpcContentType(headers['content-type'])) {
        stream.respond(trailersOnly(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${headers[':path'] ?? ''}`), END_NOW);
      } else {
        stream.respond(UNSUPPORTED_MEDIA_TYPE, END_NOW);
      }
      stream.resume(); // whatever the client still sends is dropped, and it is told to stop
      if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
      return;
    }
    watch.streamOpened();
    new ServerCall(stream, headers, route, watch).start();
  }
}
