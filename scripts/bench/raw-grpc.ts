// Minimal raw gRPC MessagingService client for the benchmarks (measures nothing itself): unary
// calls and the ReceiveMessage stream with our own protos, one client id per instance. Kept
// separate from the test helpers on purpose (scripts must not import tests).
import * as grpc from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { messagingService } from '../../src/protocol/proto.js';

export type Json = Record<string, unknown>;
export type Reply = Json & { status: { code: string; message: string } };
/** A generated grpc-js client method, looked up by name. */
type GrpcMethod = (...args: unknown[]) => unknown;

export interface RawMessaging {
  readonly clientId: string;
  unary(method: string, request: Json, deadlineMs?: number): Promise<Reply>;
  stream(method: string, request: Json, deadlineMs: number): Promise<Json[]>;
  close(): void;
}

/**
 * One client = one channel. `ownConnection` gives it its own TCP connection (a separate
 * producer process would have one); otherwise grpc-js shares one connection per target.
 */
export function rawMessaging(endpoint: string, clientId: string, ownConnection = true): RawMessaging {
  const Messaging = messagingService();
  const client = new Messaging(endpoint, grpc.credentials.createInsecure(), ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {});
  const meta = new grpc.Metadata();
  meta.set('x-mq-client-id', clientId);
  const fns = client as unknown as Record<string, GrpcMethod>;
  return {
    clientId,
    unary: (method, request, deadlineMs = 10_000) =>
      new Promise<Reply>((resolve, reject) => {
        fns[method]!.call(client, request, meta, { deadline: Date.now() + deadlineMs }, (err: Error | null, res: Reply) => (err ? reject(err) : resolve(res)));
      }),
    stream: (method, request, deadlineMs) =>
      new Promise<Json[]>((resolve, reject) => {
        const s = fns[method]!.call(client, request, meta, { deadline: Date.now() + deadlineMs }) as grpc.ClientReadableStream<Json>;
        const out: Json[] = [];
        s.on('data', (d: Json) => out.push(d));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      }),
    close: () => client.close(),
  };
}

/** '00'..'FF'. */
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/**
 * Unique message ids within a run: 34 hex characters like the official clients' ids — a random
 * prefix and a 16-digit sequence number (its upper digits formatted once per 65,536 ids).
 */
export function messageIdFactory(): () => string {
  const prefix = '01' + randomBytes(8).toString('hex').toUpperCase();
  let seq = 0;
  let high = -1;
  let head = '';
  return () => {
    const s = seq++;
    const h = Math.floor(s / 65536);
    if (h !== high) {
      high = h;
      head = prefix + h.toString(16).toUpperCase().padStart(12, '0');
    }
    return head + HEX2[(s >>> 8) & 255]! + HEX2[s & 255]!;
  };
}

/** A protocol Message for SendMessage. */
export function protoMessage(topic: string, messageId: string, body: Buffer, type: 'NORMAL' | 'TRANSACTION', userProperties: Record<string, string> = {}): Json {
  const now = Date.now();
  return {
    topic: { name: topic, resource_namespace: '' },
    user_properties: userProperties,
    system_properties: {
      message_id: messageId,
      message_type: type,
      body_encoding: 'IDENTITY',
      born_host: 'bench',
      born_timestamp: { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 },
      keys: [],
      queue_id: 0,
    },
    body,
  };
}
