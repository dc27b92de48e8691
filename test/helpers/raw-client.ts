// A raw gRPC client for MessagingService and AdminService built from our own protos: for tests
// that need exact control over requests (idempotence, races, bad input) beyond what clients allow,
// including raw Telemetry streams (producers that declare themselves and never answer).
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { adminService, messagingService } from '../../src/protocol/proto.js';

export type Json = Record<string, unknown>;
/** A generated grpc-js client method, looked up by name. */
type GrpcMethod = (...args: unknown[]) => unknown;

export interface RawClient {
  unary(method: string, request: Json, clientId?: string): Promise<Json & { status: { code: string; message: string } }>;
  admin(method: string, request: Json): Promise<Json & { status: { code: string; message: string } }>;
  stream(method: string, request: Json, deadlineMs?: number): Promise<Json[]>;
  /** Opens a Telemetry stream, sends `settings` and resolves with the settings the broker answers; `end()` closes the stream. */
  telemetrySettings(settings: Json): Promise<{ settings: Json & { metric?: { on: boolean; endpoints?: Json } }; end(): void }>;
  /** Opens a Telemetry stream as `clientId` (the raw client's own by default): write commands, read what comes back. */
  telemetry(clientId?: string): RawTelemetry;
  close(): void;
}

/** A raw bidirectional Telemetry stream: nothing is answered unless the test does it. */
export interface RawTelemetry {
  write(command: Json): void;
  /** Every command the broker sent so far, in order. */
  received: Json[];
  /** Resolves with the first command received at or after index `from` that `match` accepts. */
  next(match: (c: Json) => boolean, from?: number): Promise<Json>;
  end(): void;
}

export function rawClient(endpoint: string, clientId = `raw-${randomUUID()}`): RawClient {
  const Messaging = messagingService();
  const Admin = adminService();
  const m = new Messaging(endpoint, grpc.credentials.createInsecure());
  const a = new Admin(endpoint, grpc.credentials.createInsecure());
  const md = (id: string): grpc.Metadata => {
    const meta = new grpc.Metadata();
    meta.set('x-mq-client-id', id);
    return meta;
  };
  const call = (client: grpc.Client, method: string, request: Json, meta: grpc.Metadata) =>
    new Promise<Json & { status: { code: string; message: string } }>((resolve, reject) => {
      const fn = (client as unknown as Record<string, GrpcMethod>)[method]!.bind(client);
      fn(request, meta, { deadline: Date.now() + 10_000 }, (err: Error | null, res: Json & { status: { code: string; message: string } }) =>
        err ? reject(err) : resolve(res),
      );
    });
  return {
    unary: (method, request, id = clientId) => call(m, method, request, md(id)),
    admin: (method, request) => call(a, method, request, md(clientId)),
    stream: (method, request, deadlineMs = 10_000) =>
      new Promise<Json[]>((resolve, reject) => {
        const fn = (m as unknown as Record<string, GrpcMethod>)[method]!.bind(m);
        const s = fn(request, md(clientId), { deadline: Date.now() + deadlineMs }) as grpc.ClientReadableStream<Json>;
        const out: Json[] = [];
        s.on('data', (d: Json) => out.push(d));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      }),
    telemetrySettings: (settings) =>
      new Promise((resolve, reject) => {
        const fn = (m as unknown as Record<string, GrpcMethod>)['Telemetry']!.bind(m);
        const s = fn(md(clientId)) as grpc.ClientDuplexStream<Json, Json>;
        s.on('error', (err: grpc.ServiceError) => (err.code === grpc.status.CANCELLED ? undefined : reject(err)));
        s.once('data', (d: Json) => {
          const answered = d.settings as Json & { metric?: { on: boolean; endpoints?: Json } };
          if (!answered) reject(new Error(`the first Telemetry answer carries no settings: ${JSON.stringify(d)}`));
          else resolve({ settings: answered, end: () => s.cancel() });
        });
        s.write({ settings });
      }),
    telemetry: (id = clientId) => {
      const fn = (m as unknown as Record<string, GrpcMethod>)['Telemetry']!.bind(m);
      const s = fn(md(id)) as grpc.ClientDuplexStream<Json, Json>;
      const received: Json[] = [];
      const waiters: (() => void)[] = [];
      s.on('data', (d: Json) => {
        received.push(d);
        for (const w of waiters.splice(0)) w();
      });
      s.on('error', () => undefined); // cancelled by end() or by the broker closing: the test decides what matters
      const next = (match: (c: Json) => boolean, from = 0): Promise<Json> =>
        new Promise((resolve) => {
          const look = () => {
            const hit = received.slice(from).find(match);
            if (hit) resolve(hit);
            else waiters.push(look);
          };
          look();
        });
      return { write: (c) => s.write(c), received, next, end: () => s.cancel() };
    },
    close: () => {
      m.close();
      a.close();
    },
  };
}

let seq = 0;
/** A protocol Message for SendMessage. */
export function protoMessage(topic: string, body: string, extra: { type?: string; tag?: string; messageId?: string } = {}): Json {
  seq += 1;
  return {
    topic: { name: topic, resource_namespace: '' },
    user_properties: {},
    system_properties: {
      message_id: extra.messageId ?? `01RAW${Date.now().toString(16).toUpperCase()}${String(seq).padStart(6, '0')}`,
      message_type: extra.type ?? 'NORMAL',
      body_encoding: 'IDENTITY',
      born_host: 'test',
      born_timestamp: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
      keys: [],
      queue_id: 0,
      ...(extra.tag ? { tag: extra.tag } : {}),
    },
    body: Buffer.from(body),
  };
}
