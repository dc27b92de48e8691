// A lean gRPC client for the load generators (measures nothing itself): gRPC over one long-lived
// `node:http2` session with protobufjs encoding of the RocketMQ and Halfmoon admin protos (proto/).
// Unary calls, server streams (ReceiveMessage) and bidirectional streams (Telemetry), any number
// in flight on the one session (the caller bounds the window). gRPC framing by hand: a 5-byte
// prefix (compressed flag, big-endian length), `content-type: application/grpc`, `te: trailers`,
// `grpc-timeout`, and the `grpc-status` / `grpc-message` trailers (or a trailers-only answer).
// It exists because the grpc-js client costs more CPU per call than the broker does.
import http2 from 'node:http2';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { protoDir } from '../../src/protocol/proto.js';

export type PbObject = Record<string, unknown>;
/** Every MessagingService and AdminService reply carries a status. */
export type PbReply = PbObject & { status: { code: string; message: string } };

const SERVICES = { m: 'apache.rocketmq.v2.MessagingService', admin: 'halfmoon.admin.v1.AdminService' } as const;
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: String, defaults: true, oneofs: true, bytes: Buffer };

let root: protobuf.Root | undefined;

/** Both services' protos, loaded once (google/protobuf types come bundled with protobufjs). */
export function leanRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    const dir = protoDir();
    r.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(dir, target));
    r.loadSync(['apache/rocketmq/v2/service.proto', 'halfmoon/admin/v1/admin.proto'], { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

interface MethodInfo {
  path: string;
  req: protobuf.Type;
  res: protobuf.Type;
}
const methods = new Map<string, MethodInfo>();

/** 'SendMessage' (MessagingService) or 'admin.CreateTopic' (AdminService). */
function method(name: string): MethodInfo {
  let m = methods.get(name);
  if (!m) {
    const admin = name.startsWith('admin.');
    const service = leanRoot().lookupService(admin ? SERVICES.admin : SERVICES.m);
    const short = admin ? name.slice(6) : name;
    const def = service.methods[short];
    if (!def) throw new Error(`no gRPC method ${name}`);
    def.resolve();
    m = { path: `/${admin ? SERVICES.admin : SERVICES.m}/${short}`, req: def.resolvedRequestType!, res: def.resolvedResponseType! };
    methods.set(name, m);
  }
  return m;
}

/** One gRPC message with its 5-byte prefix. */
export function frame(type: protobuf.Type, obj: PbObject): Buffer {
  const body = type.encode(type.fromObject(obj)).finish();
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** Splits a byte stream into gRPC message payloads. */
class Deframer {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer, onMessage: (payload: Buffer) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      if (this.buf[0] !== 0) throw new Error('compressed gRPC messages are not supported');
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) return;
      onMessage(this.buf.subarray(5, 5 + len));
      this.buf = this.buf.subarray(5 + len);
    }
  }
}

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`gRPC status ${code}: ${message}`);
  }
}

export interface BidiStream {
  send(obj: PbObject): void;
  end(): void;
  /** Settles when the server ends the stream (OK) or it fails. */
  done: Promise<void>;
}

/** A client id and one HTTP/2 session to a broker on loopback. */
export class LeanGrpc {
  private constructor(
    private readonly session: http2.ClientHttp2Session,
    readonly clientId: string,
    private readonly namespace: string,
  ) {}

  static connect(endpoint: string, clientId: string, namespace = ''): Promise<LeanGrpc> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://${endpoint}`, { settings: { initialWindowSize: 4 << 20 } });
      session.once('connect', () => {
        session.removeListener('error', reject);
        session.on('error', () => undefined); // calls in flight see their own stream errors
        session.setLocalWindowSize(16 << 20);
        resolve(new LeanGrpc(session, clientId, namespace));
      });
      session.once('error', reject);
    });
  }

  private open(m: MethodInfo, deadlineMs: number): http2.ClientHttp2Stream {
    return this.session.request({
      ':method': 'POST',
      ':path': m.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(deadlineMs))}m`,
      'x-mq-client-id': this.clientId,
      'x-mq-namespace': this.namespace,
      'x-mq-language': 'NODEJS',
    });
  }

  /**
   * Runs one call: writes `requests` (then ends the request side unless `keepOpen`), hands each
   * decoded reply to `onReply`, and settles on the grpc-status trailer.
   */
  private call(
    name: string,
    requests: PbObject[],
    deadlineMs: number,
    onReply: (reply: PbObject) => void,
    keepOpen = false,
  ): { stream: http2.ClientHttp2Stream; done: Promise<void> } {
    const m = method(name);
    const stream = this.open(m, deadlineMs);
    const deframer = new Deframer();
    const done = new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (headers: http2.IncomingHttpHeaders): boolean => {
        const raw = headers['grpc-status'];
        if (raw === undefined || settled) return false;
        settled = true;
        const code = Number(raw);
        if (code === 0) resolve();
        else reject(new GrpcError(code, decodeURIComponent(String(headers['grpc-message'] ?? ''))));
        return true;
      };
      stream.on('response', (headers: http2.IncomingHttpHeaders) => settle(headers)); // trailers-only answers
      stream.on('trailers', (headers: http2.IncomingHttpHeaders) => settle(headers));
      stream.on('data', (chunk: Buffer) => {
        try {
          deframer.push(chunk, (payload) => onReply(m.res.toObject(m.res.decode(payload), TO_OBJECT)));
        } catch (err) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          if (!settled) reject(err instanceof Error ? err : new Error(String(err)));
          settled = true;
        }
      });
      stream.on('error', (err: Error) => {
        if (!settled) reject(err);
        settled = true;
      });
      stream.on('close', () => {
        if (!settled) reject(new Error(`${name}: stream closed without a grpc-status (HTTP/2 code ${stream.rstCode})`));
        settled = true;
      });
    });
    for (const r of requests) stream.write(frame(m.req, r));
    if (!keepOpen) stream.end();
    return { stream, done };
  }

  /** A unary call: its one reply. */
  async unary(name: string, request: PbObject, deadlineMs = 10_000): Promise<PbReply> {
    let reply: PbObject | undefined;
    await this.call(name, [request], deadlineMs, (r) => (reply = r)).done;
    if (!reply) throw new Error(`${name}: no reply message`);
    return reply as PbReply;
  }

  /** A server-streaming call: every reply until the server ends the stream. */
  async serverStream(name: string, request: PbObject, deadlineMs: number): Promise<PbObject[]> {
    const out: PbObject[] = [];
    await this.call(name, [request], deadlineMs, (r) => out.push(r)).done;
    return out;
  }

  /** A bidirectional stream (Telemetry): send commands, replies go to `onReply`. */
  bidi(name: string, deadlineMs: number, onReply: (reply: PbObject) => void): BidiStream {
    const { stream, done } = this.call(name, [], deadlineMs, onReply, true);
    const m = method(name);
    done.catch(() => undefined);
    return {
      send: (obj) => void stream.write(frame(m.req, obj)),
      end: () => void stream.end(),
      done,
    };
  }

  close(): void {
    this.session.close();
  }
}

/** A google.protobuf.Duration. */
export const pbDuration = (ms: number): PbObject => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
/** A Resource in the default namespace. */
export const pbResource = (name: string): PbObject => ({ name, resource_namespace: '' });
