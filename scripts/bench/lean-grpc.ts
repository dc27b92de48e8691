// A lean gRPC client for the load generators (measures nothing itself): gRPC over one long-lived
// HTTP/2 connection of our own (lean-h2.ts) with protobufjs encoding of the RocketMQ and Halfmoon
// admin protos (proto/), and for the hot calls (unaryFramed / streamFramed) requests framed by
// lean-codec.ts with their replies handed to a reader (lean-replies.ts) as bytes.
// Unary calls, server streams (ReceiveMessage) and bidirectional streams (Telemetry), any number
// in flight on the one session (the caller bounds the window). gRPC framing by hand: a 5-byte
// prefix (compressed flag, big-endian length), `content-type: application/grpc`, `te: trailers`,
// `grpc-timeout`, and the `grpc-status` / `grpc-message` trailers (or a trailers-only answer).
// It exists because the grpc-js client (and node:http2's) costs more CPU per call than the broker does.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { protoDir } from '../../src/protocol/proto.js';
import { FrameDecoder, frameMessage } from '../../src/protocol/transport/framing.js';
import { H2Client, type StreamEvents } from './lean-h2.js';

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
  /** The header fields of the last call (for this client and deadline). */
  fields?: [string, string][];
  fieldsDeadline?: number;
  fieldsOwner?: LeanGrpc;
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

let codes: Record<number, string> | undefined;
function codeNames(): Record<number, string> {
  return (codes ??= leanRoot().lookupEnum('apache.rocketmq.v2.Code').valuesById);
}

/** One gRPC message with its 5-byte prefix. */
export function frame(type: protobuf.Type, obj: PbObject): Buffer {
  return frameMessage(type.encode(type.fromObject(obj)).finish());
}

/** Replies bigger than this are refused (the load generators never get one). */
const MAX_REPLY_BYTES = 64 << 20;

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

/** The status of each shared field list (lean-hpack.ts keeps the OK trailers' list): null for none. */
const statusOfFields = new WeakMap<readonly string[], { code: number; message: string } | null>();

/** The grpc-status trailer among decoded header fields (name, value, ...), and its message. */
function grpcStatus(fields: readonly string[]): { code: number; message: string } | undefined {
  let status = statusOfFields.get(fields);
  if (status === undefined) {
    status = readGrpcStatus(fields) ?? null;
    statusOfFields.set(fields, status);
  }
  return status ?? undefined;
}

function readGrpcStatus(fields: readonly string[]): { code: number; message: string } | undefined {
  let code: number | undefined;
  let message = '';
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'grpc-status') code = Number(fields[i + 1]);
    else if (fields[i] === 'grpc-message') message = decodeURIComponent(fields[i + 1]!);
  }
  return code === undefined ? undefined : { code, message };
}

/**
 * One call's side of its HTTP/2 stream: reply messages (a whole one in a DATA frame is taken as
 * it is, others through a FrameDecoder) go to `onMessage`; the grpc-status trailer, a failure or
 * a reply that cannot be read settles it, once.
 */
class Call implements StreamEvents {
  id = 0;
  private deframer: FrameDecoder | undefined;
  private settled = false;

  constructor(
    private readonly h2: H2Client,
    private readonly name: string,
    private readonly onMessage: (bytes: Buffer) => void,
    private readonly settle: (err: Error | undefined) => void,
  ) {}

  private end(err: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(err);
  }

  headers(fields: readonly string[], end: boolean): void {
    const status = grpcStatus(fields);
    if (status) this.end(status.code === 0 ? undefined : new GrpcError(status.code, status.message));
    else if (end) this.end(new Error(`${this.name}: the stream ended without a grpc-status`));
  }

  data(payload: Buffer, end: boolean): void {
    try {
      const n = payload.length;
      if (!this.deframer && n >= 5 && payload[0] === 0 && payload.readUInt32BE(1) === n - 5) this.onMessage(payload.subarray(5));
      else (this.deframer ??= this.newDeframer()).push(payload);
    } catch (err) {
      this.h2.cancel(this.id);
      this.end(err instanceof Error ? err : new Error(String(err)));
    }
    if (end) this.end(new Error(`${this.name}: the stream ended without a grpc-status`));
  }

  failed(err: Error): void {
    this.end(new Error(`${this.name}: ${err.message}`));
  }

  private newDeframer(): FrameDecoder {
    return new FrameDecoder(MAX_REPLY_BYTES, {
      onMessage: (compressed, bytes) => {
        if (compressed) throw new Error('compressed gRPC messages are not supported');
        this.onMessage(bytes);
      },
      onOversized: (declared, limit) => {
        this.h2.cancel(this.id);
        this.end(new Error(`${this.name}: a reply of ${declared} bytes, over ${limit}`));
      },
    });
  }
}

/** A client id and one HTTP/2 connection to a broker on loopback. */
export class LeanGrpc {
  private constructor(
    private readonly h2: H2Client,
    private readonly endpoint: string,
    readonly clientId: string,
    private readonly namespace: string,
  ) {}

  static async connect(endpoint: string, clientId: string, namespace = ''): Promise<LeanGrpc> {
    const colon = endpoint.lastIndexOf(':');
    const h2 = await H2Client.connect(endpoint.slice(0, colon), Number(endpoint.slice(colon + 1)));
    return new LeanGrpc(h2, endpoint, clientId, namespace);
  }

  /**
   * The request header fields of a method and deadline: the same list object each time for the
   * same pair (the HTTP/2 encoder indexes its fields and keeps its block).
   */
  private fields(m: MethodInfo, deadlineMs: number): [string, string][] {
    if (m.fields && m.fieldsDeadline === deadlineMs && m.fieldsOwner === this) return m.fields;
    const timeout = `${Math.max(1, Math.ceil(deadlineMs))}m`;
    const key = `${m.path} ${timeout}`;
    let f = this.fieldsByCall.get(key);
    if (!f) {
      f = [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', m.path],
        [':authority', this.endpoint],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
        ['grpc-timeout', timeout],
        ['x-mq-client-id', this.clientId],
        ['x-mq-namespace', this.namespace],
        ['x-mq-language', 'NODEJS'],
      ];
      this.fieldsByCall.set(key, f);
    }
    m.fields = f;
    m.fieldsDeadline = deadlineMs;
    m.fieldsOwner = this;
    return f;
  }

  private readonly fieldsByCall = new Map<string, [string, string][]>();

  /**
   * Starts one call: `payload` (framed messages; undefined: none yet) then the end of the request
   * side unless `keepOpen`; each reply message's bytes go to `onMessage`.
   */
  private start(
    name: string,
    payload: Buffer | undefined,
    deadlineMs: number,
    onMessage: (bytes: Buffer) => void,
    settle: (err: Error | undefined) => void,
    keepOpen = false,
  ): number {
    const m = method(name);
    const call = new Call(this.h2, name, onMessage, settle);
    const fields = this.fields(m, deadlineMs);
    if (payload && !keepOpen) call.id = this.h2.requestWith(fields, call, payload);
    else {
      call.id = this.h2.request(fields, call);
      this.h2.send(call.id, payload, !keepOpen);
    }
    return call.id;
  }

  /** Runs one call of protobufjs-encoded requests, each reply decoded to an object for `onReply`. */
  private call(name: string, requests: PbObject[], deadlineMs: number, onReply: (reply: PbObject) => void, keepOpen = false): { id: number; done: Promise<void> } {
    const m = method(name);
    const payload = requests.length === 0 ? undefined : requests.length === 1 ? frame(m.req, requests[0]!) : Buffer.concat(requests.map((r) => frame(m.req, r)));
    let id = 0;
    const done = new Promise<void>((resolve, reject) => {
      id = this.start(
        name,
        payload,
        deadlineMs,
        (bytes) => onReply(m.res.toObject(m.res.decode(bytes), TO_OBJECT)),
        (err) => (err ? reject(err) : resolve()),
        keepOpen,
      );
    });
    return { id, done };
  }

  /**
   * A unary call of a request already framed (lean-codec.ts), its one reply read by `read`
   * (lean-replies.ts): the hot calls of the load generators, without protobufjs either way.
   */
  unaryFramed<T>(name: string, framed: Buffer, read: (bytes: Buffer) => T, deadlineMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let reply: T | undefined;
      let got = false;
      this.start(
        name,
        framed,
        deadlineMs,
        (bytes) => {
          reply = read(bytes);
          got = true;
        },
        (err) => {
          if (err) reject(err);
          else if (!got) reject(new Error(`${name}: no reply message`));
          else resolve(reply as T);
        },
      );
    });
  }

  /** A server-streaming call of a request already framed: each reply's bytes to `onMessage`. */
  streamFramed(name: string, framed: Buffer, deadlineMs: number, onMessage: (bytes: Buffer) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.start(name, framed, deadlineMs, onMessage, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The name of a status code (apache.rocketmq.v2.Code), or the number when the proto has none. */
  codeName(code: number): string {
    return codeNames()[code] ?? String(code);
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
    const { id, done } = this.call(name, [], deadlineMs, onReply, true);
    const m = method(name);
    done.catch(() => undefined);
    return {
      send: (obj) => this.h2.send(id, frame(m.req, obj), false),
      end: () => this.h2.send(id, undefined, true),
      done,
    };
  }

  close(): void {
    this.h2.close();
  }
}

/** A google.protobuf.Duration. */
export const pbDuration = (ms: number): PbObject => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
/** A Resource in the default namespace. */
export const pbResource = (name: string): PbObject => ({ name, resource_namespace: '' });
