// Test helpers for --auth brokers: a raw gRPC client (our own protos) whose every call carries an
// MQv2 signature of the given user (or none, or a date of one's choosing), a raw Telemetry
// stream, and official-client credentials.
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { signedMetadata, type CliCredentials } from '../../src/cli/credentials.js';
import { adminService, messagingService } from '../../src/protocol/proto.js';
import type { Json } from './raw-client.js';

type Reply = Json & { status: { code: string; message: string } };
type GrpcMethod = (...args: unknown[]) => unknown;

export interface SignedClient {
  unary(method: string, request: Json): Promise<Reply>;
  admin(method: string, request: Json): Promise<Reply>;
  stream(method: string, request: Json): Promise<Json[]>;
  /** A Telemetry stream: what it received so far, and a way to end it. */
  telemetry(first: Json): { received: Json[]; ended: Promise<void>; end(): void };
  close(): void;
}

export function signedClient(endpoint: string, creds: CliCredentials | undefined, options: { dateMs?: () => number; clientId?: string } = {}): SignedClient {
  const clientId = options.clientId ?? `auth-test-${randomUUID()}`;
  const m = new (messagingService())(endpoint, grpc.credentials.createInsecure());
  const a = new (adminService())(endpoint, grpc.credentials.createInsecure());
  const md = (): grpc.Metadata => {
    const meta = signedMetadata(creds, options.dateMs?.() ?? Date.now());
    meta.set('x-mq-client-id', clientId);
    return meta;
  };
  const call = (client: grpc.Client, method: string, request: Json) =>
    new Promise<Reply>((resolve, reject) => {
      const fn = (client as unknown as Record<string, GrpcMethod>)[method]!.bind(client);
      fn(request, md(), { deadline: Date.now() + 10_000 }, (err: Error | null, res: Reply) => (err ? reject(err) : resolve(res)));
    });
  return {
    unary: (method, request) => call(m, method, request),
    admin: (method, request) => call(a, method, request),
    stream: (method, request) =>
      new Promise<Json[]>((resolve, reject) => {
        const fn = (m as unknown as Record<string, GrpcMethod>)[method]!.bind(m);
        const s = fn(request, md(), { deadline: Date.now() + 10_000 }) as grpc.ClientReadableStream<Json>;
        const out: Json[] = [];
        s.on('data', (d: Json) => out.push(d));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      }),
    telemetry(first) {
      const s = (m as unknown as { Telemetry(md: grpc.Metadata): grpc.ClientDuplexStream<Json, Json> }).Telemetry(md());
      const received: Json[] = [];
      s.on('data', (d: Json) => received.push(d));
      const ended = new Promise<void>((resolve) => {
        s.on('end', resolve);
        s.on('error', () => resolve());
      });
      s.write(first);
      return { received, ended, end: () => s.end() };
    },
    close: () => {
      m.close();
      a.close();
    },
  };
}

/** The official client's sessionCredentials for a user. */
export const sessionCredentials = (accessKey: string, accessSecret: string): { accessKey: string; accessSecret: string } => ({ accessKey, accessSecret });
