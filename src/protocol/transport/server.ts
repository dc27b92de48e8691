// Owns the gRPC server on Halfmoon's own HTTP/2 (h2/: it replaced node:http2, which replaced the
// grpc-js server; the broker's clients still use grpc-js). It listens on nothing: connections are
// handed to it (`inject`, from the port sniffer, first bytes put back), plaintext or TLS with ALPN
// h2. It routes each stream by its :path to a registered method (unknown ones get UNIMPLEMENTED,
// non-gRPC content types HTTP 415) and hands it to a ServerCall (call.ts); it keeps each
// connection's SessionWatch (session.ts: idle timeout, keepalive) and closes gracefully: GOAWAY
// to every connection, calls in flight finish within graceMs, then what is left is destroyed.
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Logger } from '../../logger.js';
import type { Clock } from '../../util/clock.js';
import { ServerCall, type CallKind, type Route } from './call.js';
import { H2ServerConnection } from './h2/connection.js';
import { ErrorCode } from './h2/frames.js';
import type { RequestHeaders } from './h2/request-headers.js';
import type { H2Stream } from './h2/stream.js';
import { isGrpcContentType } from './headers.js';
import { SessionWatch, type SessionTimings } from './session.js';
import { GrpcStatus, trailersOnly, UNSUPPORTED_MEDIA_TYPE } from './status.js';
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

function peerOf(socket: Socket): string {
  return socket.remoteAddress ? (socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : socket.remoteAddress) : 'unknown';
}

export class GrpcTransport {
  private readonly routes = new Map<string, Route>();
  private readonly sessions = new Set<H2ServerConnection>();
  private readonly secureContext: SecureContext | undefined;
  private closing = false;
  private allClosed: (() => void) | undefined;

  constructor(private readonly options: GrpcTransportOptions) {
    this.secureContext = options.tls ? createSecureContext({ cert: options.tls.cert, key: options.tls.key }) : undefined;
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
    if (!this.secureContext) {
      this.serve(socket, peerOf(socket));
      return;
    }
    const peer = peerOf(socket);
    const tls = new TLSSocket(socket, { isServer: true, secureContext: this.secureContext, ALPNProtocols: ['h2'] });
    // A handshake that never completes does not hold the connection for ever.
    const timer = this.options.clock.setTimer(() => tls.destroy(), this.options.idleTimeoutMs);
    tls.on('error', (err: Error) => {
      this.options.log.debug({ err }, 'gRPC TLS connection failed');
      tls.destroy();
    });
    tls.once('close', () => timer.cancel());
    tls.once('secure', () => {
      timer.cancel();
      if (tls.alpnProtocol !== 'h2' || this.closing) {
        this.options.log.debug({ alpn: tls.alpnProtocol }, 'gRPC TLS connection without ALPN h2');
        tls.destroy();
        return;
      }
      this.serve(tls, peer);
    });
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
    for (const s of this.sessions) s.close();
    const force = this.options.clock.setTimer(() => {
      for (const s of this.sessions) s.destroy(ErrorCode.CANCEL);
    }, graceMs);
    return done.then(() => force.cancel());
  }

  private serve(socket: Socket, peer: string): void {
    const o = this.options;
    let watch: SessionWatch | undefined = undefined;
    const connection = new H2ServerConnection(socket, {
      maxConcurrentStreams: o.maxConcurrentStreams,
      clock: o.clock,
      onStream: (stream, headers) => this.onStream(stream, headers, watch!),
      onClose: () => {
        watch?.stop();
        this.sessions.delete(connection);
        if (this.sessions.size === 0) this.allClosed?.();
      },
      onError: (code, reason) => o.log.debug({ code, reason }, 'gRPC connection failed'),
    });
    watch = new SessionWatch(connection, peer, o.clock, o.maxReceiveBytes, o);
    this.sessions.add(connection);
  }

  private onStream(stream: H2Stream, headers: RequestHeaders, watch: SessionWatch): void {
    const path = headers[':path'];
    const route = typeof path === 'string' ? this.routes.get(path) : undefined;
    const contentType = headers['content-type'];
    const grpc = isGrpcContentType(typeof contentType === 'string' ? contentType : undefined);
    if (!grpc || !route) {
      if (grpc) stream.respond(trailersOnly(GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${typeof path === 'string' ? path : ''}`), true);
      else stream.respond(UNSUPPORTED_MEDIA_TYPE, true);
      return;
    }
    watch.streamOpened();
    new ServerCall(stream, headers, route, watch).start();
  }
}
