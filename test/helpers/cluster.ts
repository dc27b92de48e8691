// A cluster for the multi-process tests: one throwaway PostgreSQL, several real `halfmoon start
// --store postgres://…` processes on it (each with its own --broker-id and short timers), an
// observer PgStore reading the same data, and raw-gRPC helpers that pin a request to one broker
// (routes, topics, receive, ack, send of a half message).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgStore } from '../../src/store/pg/index.js';
import { systemClock } from '../../src/util/clock.js';
import { freePort, startBrokerProcess, type BrokerProcess } from './broker-process.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { protoMessage, rawClient, type Json, type RawClient } from './raw-client.js';

/** Short timers: first check after 1 s, then every 1 s; heartbeat 0.5 s, TTL 2 s. */
export const CLUSTER_FLAGS = [
  '--transaction-timeout-ms',
  '1000',
  '--transaction-check-interval-ms',
  '1000',
  '--transaction-check-tick-ms',
  '100',
  '--transaction-restart-jitter-ms',
  '0',
  '--broker-heartbeat-interval-ms',
  '500',
  '--broker-ttl-ms',
  '2000',
  '--min-long-polling-timeout-ms',
  '0',
  '--min-invisible-duration-ms',
  '1000',
];
export const BROKER_TTL_MS = 2000;

export interface Cluster {
  pg: TestPostgres;
  storeUrl: string;
  brokers: Map<string, BrokerProcess>;
  /** Reads the cluster's data as one more broker would. */
  observer: PgStore;
  endpoint(id: string): string;
  close(): Promise<void>;
}

export async function startCluster(ids: string[], flags: string[] = []): Promise<Cluster> {
  const pg = await startPostgres();
  const storeUrl = `${await pg.createDatabase('cluster')}?schema=halfmoon`;
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-cluster-'));
  const brokers = new Map<string, BrokerProcess>();
  // The first broker migrates the schema; the others then start side by side.
  const start = async (id: string): Promise<void> => {
    brokers.set(id, await startBrokerProcess(join(dir, id), await freePort(), ['--store', storeUrl, '--broker-id', id, ...CLUSTER_FLAGS, ...flags]));
  };
  await start(ids[0]!);
  await Promise.all(ids.slice(1).map(start));
  const observer = new PgStore({ connectionString: pg.url('cluster'), schema: 'halfmoon', clock: systemClock, poolSize: 2 });
  await observer.open();
  return {
    pg,
    storeUrl,
    brokers,
    observer,
    endpoint: (id) => brokers.get(id)!.endpoint,
    close: async () => {
      await observer.close().catch(() => undefined);
      await Promise.all([...brokers.values()].map((b) => b.stop('SIGKILL')));
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 100 ms until it returns a value, at most `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export async function createTopic(endpoint: string, name: string, type: 'NORMAL' | 'FIFO' | 'TRANSACTION'): Promise<void> {
  const c = rawClient(endpoint);
  try {
    const res = await c.admin('CreateTopic', { name, message_type: type });
    if (res.status.code !== 'OK') throw new Error(`CreateTopic ${name}: ${res.status.code} ${res.status.message}`);
  } finally {
    c.close();
  }
}

export async function createGroup(endpoint: string, name: string, fifo = false): Promise<void> {
  const c = rawClient(endpoint);
  try {
    const res = await c.admin('CreateGroup', { name, fifo });
    if (res.status.code !== 'OK') throw new Error(`CreateGroup ${name}: ${res.status.code} ${res.status.message}`);
  } finally {
    c.close();
  }
}

/** QueryRoute through one broker: each listed queue as broker name, queue id and host:port. */
export async function route(endpoint: string, topic: string): Promise<{ broker: string; queueId: number; address: string }[]> {
  const c = rawClient(endpoint);
  try {
    const [host, port] = endpoint.split(':');
    const res = await c.unary('QueryRoute', { topic: { name: topic }, endpoints: { scheme: 'IPv4', addresses: [{ host, port: Number(port) }] } });
    if (res.status.code !== 'OK') throw new Error(`QueryRoute: ${res.status.code} ${res.status.message}`);
    return (res.message_queues as Json[]).map((q) => {
      const broker = q.broker as { name: string; endpoints: { addresses: { host: string; port: number }[] } };
      return { broker: broker.name, queueId: q.id as number, address: broker.endpoints.addresses.map((a) => `${a.host}:${a.port}`).join(',') };
    });
  } finally {
    c.close();
  }
}

export interface Received {
  messageId: string;
  handle: string;
  body: string;
  props: Record<string, string>;
  group?: string;
}

/** One ReceiveMessage on this client's broker. */
export async function receive(c: RawClient, group: string, topic: string, opts: { batch?: number; invisibleMs?: number; pollMs?: number } = {}): Promise<Received[]> {
  const pollMs = opts.pollMs ?? 1000;
  const invisibleMs = opts.invisibleMs ?? 10_000;
  const responses = await c.stream(
    'ReceiveMessage',
    {
      group: { name: group },
      message_queue: { topic: { name: topic }, id: 0 },
      filter_expression: { type: 'TAG', expression: '*' },
      batch_size: opts.batch ?? 16,
      invisible_duration: { seconds: String(Math.floor(invisibleMs / 1000)), nanos: (invisibleMs % 1000) * 1e6 },
      auto_renew: false,
      long_polling_timeout: { seconds: String(Math.floor(pollMs / 1000)), nanos: (pollMs % 1000) * 1e6 },
    },
    pollMs + 5000,
  );
  const status = responses.find((r) => 'status' in r)?.status as { code: string; message: string } | undefined;
  if (status && status.code !== 'OK' && status.code !== 'MESSAGE_NOT_FOUND') throw new Error(`ReceiveMessage: ${status.code} ${status.message}`);
  return responses
    .filter((r) => 'message' in r && r.message)
    .map((r) => {
      const m = r.message as Json;
      const sys = m.system_properties as Json;
      return {
        messageId: sys.message_id as string,
        handle: sys.receipt_handle as string,
        body: Buffer.from(m.body as Uint8Array).toString(),
        props: (m.user_properties ?? {}) as Record<string, string>,
        ...(sys.message_group ? { group: sys.message_group as string } : {}),
      };
    });
}

export async function ack(c: RawClient, group: string, topic: string, m: Received): Promise<string> {
  const res = await c.unary('AckMessage', { group: { name: group }, topic: { name: topic }, entries: [{ message_id: m.messageId, receipt_handle: m.handle }] });
  const entry = (res.entries as Json[] | undefined)?.[0] as { status?: { code: string } } | undefined;
  return entry?.status?.code ?? res.status.code;
}

/** Sends one message (a half message when type is TRANSACTION) to this client's broker; returns its status code. */
export async function send(
  c: RawClient,
  topic: string,
  body: string,
  props: Record<string, string>,
  extra: { type?: string; messageId?: string; group?: string } = {},
): Promise<string> {
  const msg = protoMessage(topic, body, extra);
  msg.user_properties = props;
  if (extra.group) (msg.system_properties as Json).message_group = extra.group;
  const res = await c.unary('SendMessage', { messages: [msg] });
  return res.status.code;
}
