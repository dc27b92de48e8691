// Owns the gRPC port's listener: a node:net server that caps open connections, reads the first
// bytes of each one and decides what speaks there. HTTP/2 (the preface `PRI * HTTP/2.0`) and TLS
// (a handshake record, first byte 0x16) go to the gRPC server (transport/server.ts, `inject`); a plain
// HTTP/1.1 request gets a short text saying this is a RocketMQ 5 gRPC endpoint and where the MQ
// HTTP gateway is; a RocketMQ 4 remoting client gets a response in its own framing saying so;
// anything else, or a connection silent for grpcSniffTimeoutMs, is closed.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { listenError } from './listen-error.js';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HTTP1_METHODS = ['GET ', 'POST ', 'PUT ', 'HEAD ', 'DELETE ', 'OPTIONS ', 'PATCH ', 'CONNECT ', 'TRACE '];
const TLS_HANDSHAKE = 0x16;
/** An HTTP/1.1 request head or a remoting frame larger than this is not read further. */
const MAX_SNIFF_BYTES = 16 * 1024;
/** RocketMQ 4 ResponseCode.REQUEST_CODE_NOT_SUPPORTED. */
const REMOTING_REQUEST_CODE_NOT_SUPPORTED = 3;
/** RemotingCommand flag bit 0: this command is a response. */
const REMOTING_RESPONSE_FLAG = 1;

export type Protocol = 'http2' | 'tls' | 'http1' | 'remoting' | 'unknown';

/**
 * What the first bytes of a connection are, or undefined when more bytes are needed to tell.
 * Remoting frames start with a 4-byte big-endian length whose first byte is 0 (frames < 16 MiB).
 */
export function sniffProtocol(head: Buffer): Protocol | undefined {
  if (head.length === 0) return undefined;
  if (head[0] === TLS_HANDSHAKE) return 'tls';
  if (head[0] === 0x00) return 'remoting';
  const n = Math.min(head.length, H2_PREFACE.length);
  if (head.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return n === H2_PREFACE.length || n >= 4 ? 'http2' : undefined;
  const text = head.toString('latin1', 0, Math.min(head.length, 8));
  for (const m of HTTP1_METHODS) {
    if (text.startsWith(m)) return 'http1';
    if (m.startsWith(text)) return undefined; // a prefix of a method so far
  }
  return 'unknown';
}

/** The HTTP/1.1 answer: 426, a text naming what this port is and where the gateway is. */
export function http1Answer(httpGateway: string | undefined): Buffer {
  const gateway = httpGateway
    ? `The MQ HTTP gateway (ApsaraMQ HTTP protocol) of this broker is at ${httpGateway}.`
    : 'The MQ HTTP gateway of this broker is turned off (httpEnabled).';
  const body = `This is a RocketMQ 5 gRPC endpoint (apache.rocketmq.v2.MessagingService over HTTP/2); connect a RocketMQ 5 client here.\n${gateway}\n`;
  const head = [
    'HTTP/1.1 426 Upgrade Required',
    'Upgrade: h2c',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.from(head + body, 'utf8');
}

/**
 * The opaque (request id) of a RocketMQ 4 remoting request, to answer it in its own framing:
 * `[total length][serialize type << 24 | header length][header][body]`, the header JSON (type 0)
 * or RocketMQ binary (type 1: code u16, language u8, version u16, opaque i32, ...). Undefined
 * until the header is complete; 0 when it cannot be read.
 */
export function remotingOpaque(frame: Buffer): number | undefined {
  if (frame.length < 8) return undefined;
  const type = frame[4]!;
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  if (headerLength > MAX_SNIFF_BYTES) return 0;
  if (frame.length < 8 + headerLength) return undefined;
  const header = frame.subarray(8, 8 + headerLength);
  if (type === 1) return header.length >= 9 ? header.readInt32BE(5) : 0;
  try {
    const parsed: unknown = JSON.parse(header.toString('utf8'));
    const opaque = typeof parsed === 'object' && parsed !== null ? (parsed as { opaque?: unknown }).opaque : undefined;
    return typeof opaque === 'number' && Number.isInteger(opaque) ? opaque : 0;
  } catch {
    return 0;
  }
}

/** A RemotingCommand response (JSON header, no body) saying this is a RocketMQ 5 gRPC endpoint. */
export function remotingAnswer(opaque: number, grpcEndpoint: string): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      code: REMOTING_REQUEST_CODE_NOT_SUPPORTED,
      language: 'JAVA',
      version: 0,
      opaque,
      flag: REMOTING_RESPONSE_FLAG,
      remark: `${grpcEndpoint} is a RocketMQ 5 gRPC proxy endpoint (apache.rocketmq.v2.MessagingService): the RocketMQ 4 remoting protocol is not served; use a RocketMQ 5 gRPC client`,
      extFields: {},
      serializeTypeCurrentRPC: 'JSON',
    }),
    'utf8',
  );
  const out = Buffer.alloc(8 + header.length);
  out.writeUInt32BE(4 + header.length, 0);
  out.writeUInt32BE(header.length & 0xffffff, 4); // serialize type 0 (JSON) in the top byte
  header.copy(out, 8);
  return out;
}

export interface PortSnifferOptions {
  host: string;
  port: number;
  maxConnections: number;
  sniffTimeoutMs: number;
  /** Hands an HTTP/2 or TLS connection (its first bytes put back) to the gRPC server. */
  inject(socket: Socket): void;
  /** The MQ HTTP gateway's URL, once it listens (undefined when it is off). */
  httpGateway(): string | undefined;
  /** This endpoint as clients dial it (for the remoting answer). */
  grpcEndpoint(): string;
  log: Logger;
}

export interface PortSniffer {
  port: number;
  /** Stops accepting and closes connections not handed to the gRPC server (it closes its own). */
  close(): Promise<void>;
}

export async function startPortSniffer(o: PortSnifferOptions): Promise<PortSniffer> {
  const pending = new Set<Socket>();
  let open = 0;
  let refused = 0;
  const server: Server = createServer((socket) => {
    open += 1;
    socket.once('close', () => (open -= 1));
    if (open > o.maxConnections) {
      refused += 1;
      // The first refusal and every 1000th after it: a flood of refusals must not flood the log.
      if (refused % 1000 === 1) o.log.warn({ remote: socket.remoteAddress, max: o.maxConnections, refused }, 'gRPC port: connections refused, grpcMaxConnections reached');
      socket.destroy();
      return;
    }
    sniff(socket);
  });

  function sniff(socket: Socket): void {
    pending.add(socket);
    let head: Buffer = Buffer.alloc(0);
    let decided: Protocol | undefined;
    const done = (): void => {
      pending.delete(socket);
      socket.setTimeout(0);
      socket.off('data', onData);
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      decided ??= sniffProtocol(head);
      if (decided === undefined) return;
      switch (decided) {
        case 'http2':
        case 'tls':
          done();
          socket.pause();
          socket.unshift(head);
          o.inject(socket);
          return;
        case 'http1':
          if (head.indexOf('\r\n\r\n') < 0 && head.length < MAX_SNIFF_BYTES) return;
          done();
          o.log.debug({ remote: socket.remoteAddress }, 'gRPC port: HTTP/1.1 request answered with a pointer to the HTTP gateway');
          socket.end(http1Answer(o.httpGateway()));
          return;
        case 'remoting': {
          const opaque = remotingOpaque(head);
          if (opaque === undefined && head.length < MAX_SNIFF_BYTES) return;
          done();
          o.log.debug({ remote: socket.remoteAddress }, 'gRPC port: RocketMQ 4 remoting request answered with REQUEST_CODE_NOT_SUPPORTED');
          socket.end(remotingAnswer(opaque ?? 0, o.grpcEndpoint()));
          return;
        }
        case 'unknown':
          done();
          o.log.debug({ remote: socket.remoteAddress, first: head.subarray(0, 8).toString('hex') }, 'gRPC port: unknown protocol, connection closed');
          socket.destroy();
          return;
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(o.sniffTimeoutMs, () => {
      if (pending.has(socket)) socket.destroy();
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(listenError(err, 'grpc', o.host, o.port));
    server.once('error', onError);
    server.listen(o.port, o.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of pending) s.destroy();
      }),
  };
}
