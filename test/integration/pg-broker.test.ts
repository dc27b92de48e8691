// A real `halfmoon start --store postgres://…` process on a throwaway PostgreSQL, driven by the
// unmodified official Node client: a half message hidden until commit, then consumed; an
// orphaned transaction checked and committed by the producer's checker. The decisions are read
// back from the database through a PgStore of the test's own (what another broker would see).
// Also: an invalid store URL stops `halfmoon start` with a message saying what to write.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/store/pg/index.js';
import { systemClock } from '../../src/util/clock.js';
import { quietClientLogger, uniqueName } from '../helpers/broker.js';
import { freePort, runCli, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { rawClient } from '../helpers/raw-client.js';

const FLAGS = [
  '--transaction-timeout-ms',
  '1000',
  '--transaction-check-interval-ms',
  '1000',
  '--transaction-check-tick-ms',
  '50',
  '--transaction-restart-jitter-ms',
  '0',
  '--min-long-polling-timeout-ms',
  '0',
];

let server: TestPostgres;
let storeUrl = '';
let dir = '';
let broker: BrokerProcess | undefined;
let observer: PgStore | undefined;
const clients: { shutdown(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startPostgres();
  storeUrl = `${await server.createDatabase('broker')}?schema=seed`;
  dir = await mkdtemp(join(tmpdir(), 'halfmoon-pg-broker-'));
  broker = await startBrokerProcess(dir, await freePort(), ['--store', storeUrl, ...FLAGS]);
  observer = new PgStore({ connectionString: server.url('broker'), schema: 'seed', clock: systemClock, poolSize: 2 });
  await observer.open();
});

afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  await observer?.close();
  await broker?.stop();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function transactionTopic(): Promise<string> {
  const name = uniqueName('TxPg');
  const admin = rawClient(broker!.endpoint);
  try {
    expect((await admin.admin('CreateTopic', { name, message_type: 'TRANSACTION' })).status.code).toBe('OK');
  } finally {
    admin.close();
  }
  return name;
}

async function consumer(topic: string): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({
    endpoints: broker!.endpoint,
    namespace: '',
    consumerGroup: uniqueName('G'),
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: 1000,
    logger: quietClientLogger,
  });
  await c.startup();
  clients.push(c);
  return c;
}

async function receiveOne(c: SimpleConsumer): Promise<MessageView[]> {
  for (let polls = 0; polls < 10; polls++) {
    const batch = await c.receive(1, 10_000);
    if (batch.length > 0) return batch;
  }
  return [];
}

describe('halfmoon start --store postgres://…', () => {
  it('hides a half message until commit, and commits an orphan its checker is asked about', async () => {
    const t = await transactionTopic();
    const checked: string[] = [];
    const p = new Producer({
      endpoints: broker!.endpoint,
      namespace: '',
      topic: t,
      logger: quietClientLogger,
      checker: {
        check: async (m: MessageView) => {
          checked.push(m.messageId);
          // Only the orphan is committed by a check: the first transaction must wait for its commit.
          return m.body.toString() === 'orphan' ? TransactionResolution.COMMIT : TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
        },
      },
    });
    await p.startup();
    clients.push(p);
    const c = await consumer(t);

    // Send half, commit, consume.
    const tx = p.beginTransaction();
    const sent = await p.send({ topic: t, body: Buffer.from('committed by the client') }, tx);
    expect(await c.receive(1, 10_000)).toHaveLength(0);
    expect((await observer!.getHalf(sent.transactionId))?.state).toBe('PENDING');
    await tx.commit();
    const [first] = await receiveOne(c);
    expect(first!.body.toString()).toBe('committed by the client');
    expect(first!.properties.get('__transactionId__')).toBe(sent.transactionId);
    await c.ack(first!);
    expect(await observer!.getDecision(sent.transactionId)).toMatchObject({ state: 'COMMITTED', source: 'CLIENT', offset: 0 });

    // An orphan: never ended by the client; the broker checks it and the checker commits it.
    const orphanTx = p.beginTransaction();
    const orphan = await p.send({ topic: t, body: Buffer.from('orphan') }, orphanTx);
    const [second] = await receiveOne(c);
    expect(second!.messageId).toBe(orphan.messageId);
    expect(checked).toContain(orphan.messageId);
    await c.ack(second!);
    expect(await observer!.getDecision(orphan.transactionId)).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK', offset: 1 });
    expect(await observer!.getHalf(orphan.transactionId)).toBeUndefined();
    expect((await observer!.read(t, 0, 0, 10)).map((m) => m.body.toString())).toEqual(['committed by the client', 'orphan']);
  }, 60_000);

  it('refuses an invalid store URL at start, saying what to write', async () => {
    const res = await runCli(['start', '--data', dir, '--grpc-port', '0', '--http-enabled', 'false', '--store', 'mysql://u@127.0.0.1/db']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("invalid configuration: 'store' has the unsupported scheme mysql: use postgres://user:password@host:port/database");
  });
});
