// Crash safety: SIGKILL the broker process during concurrent transactions, restart it on the same
// data, and check every acknowledged commit is delivered, no rolled-back message ever is, and the
// transactions left pending are checked and resolved.
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { afterAll, expect, it } from 'vitest';
import { quietClientLogger, uniqueName, waitFor } from '../helpers/broker.js';
import { freePort, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { rawClient } from '../helpers/raw-client.js';
import { resolutionFor } from '../fixtures/tx-plan.js';

const FLAGS = [
  '--durable',
  'true',
  '--transaction-timeout-ms',
  '1000',
  '--transaction-check-interval-ms',
  '1000',
  '--transaction-check-tick-ms',
  '50',
  '--transaction-restart-jitter-ms',
  '500',
];
const WORKER = fileURLToPath(new URL('../fixtures/tx-crash-worker.ts', import.meta.url));
let dir = '';
let broker: BrokerProcess | undefined;

afterAll(async () => {
  // SIGTERM: a graceful stop lets the clients' closed Telemetry streams finish with OK (the official
  // client has no error listener left on a released stream, so a reset would surface as unhandled).
  await broker?.stop('SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Pending transactions resolve by their number; planned ones keep their plan.
const checker = { check: async (m: MessageView) => resolutionFor(m.properties.get('plan'), Number(m.properties.get('n'))) };

it('keeps every acknowledged decision across a SIGKILL and resolves the rest', async () => {
  dir = await mkdtemp(join(tmpdir(), 'halfmoon-crash-'));
  const port = await freePort();
  broker = await startBrokerProcess(dir, port, FLAGS);
  const topic = uniqueName('TxCrash');
  const admin = rawClient(broker.endpoint);
  expect((await admin.admin('CreateTopic', { name: topic, message_type: 'TRANSACTION' })).status.code).toBe('OK');
  admin.close();

  // Load from a child process: acknowledged decisions come back over IPC.
  const ackedCommits = new Set<string>();
  const ackedRollbacks = new Set<string>();
  const load = fork(WORKER, [broker.endpoint, topic], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  load.on('message', (m: { acked: 'commit' | 'rollback'; id: string }) => (m.acked === 'commit' ? ackedCommits : ackedRollbacks).add(m.id));
  await waitFor(() => (ackedCommits.size >= 30 ? true : undefined), 20_000, '30 acknowledged commits');
  await broker.stop('SIGKILL');
  const commitsAtCrash = new Set(ackedCommits);
  const rollbacksAtCrash = new Set(ackedRollbacks);
  load.kill('SIGKILL');

  broker = await startBrokerProcess(dir, port, FLAGS);
  const survivor = new Producer({ endpoints: broker.endpoint, namespace: '', topic, checker, logger: quietClientLogger });
  await survivor.startup();
  const consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    namespace: '',
    consumerGroup: uniqueName('G'),
    subscriptions: new Map([[topic, '*']]),
    awaitDuration: 1000,
    logger: quietClientLogger,
  });
  await consumer.startup();
  const delivered = new Map<string, MessageView>();
  const check = rawClient(broker.endpoint);
  await waitFor(
    async () => {
      for (const m of await consumer.receive(32, 10_000)) {
        delivered.set(m.messageId, m);
        await consumer.ack(m);
      }
      const pending = await check.admin('ListTransactions', { topic, state: '', limit: 1000 });
      return (pending.transactions as unknown[]).length === 0 && [...commitsAtCrash].every((id) => delivered.has(id)) ? true : undefined;
    },
    30_000,
    'all transactions resolved and committed ones delivered',
  );
  // One more poll: nothing further arrives.
  for (const m of await consumer.receive(32, 10_000)) delivered.set(m.messageId, m);
  check.close();
  await consumer.shutdown();
  await survivor.shutdown();

  for (const id of commitsAtCrash) expect(delivered.has(id), `acknowledged commit ${id} delivered`).toBe(true);
  for (const id of rollbacksAtCrash) expect(delivered.has(id), `rolled-back ${id} never delivered`).toBe(false);
  for (const m of delivered.values()) {
    const plan = m.properties.get('plan');
    expect(plan).not.toBe('rollback');
    if (plan === 'pending') expect(Number(m.properties.get('n')) % 2).toBe(0);
  }
  expect(commitsAtCrash.size).toBeGreaterThanOrEqual(30);
}, 90_000);
