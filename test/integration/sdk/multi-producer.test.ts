// Multi-producer cluster with Halfmoon's SDK: three SDK producer processes with a
// TransactionChecker on one topic; the one that sent the half messages is SIGKILLed before
// deciding; the checks reach the surviving SDK producers, whose checkers commit, and every message
// is then consumed with the SDK's SimpleConsumer.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { Closer, createTopic, simpleConsumer } from './sdk-helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/sdk-tx-producer.ts', import.meta.url));
let tb: TestBroker;
const closer = new Closer();
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await closer.closeAll();
  await tb?.close();
});

interface ChildMsg {
  ready?: boolean;
  sent?: string[];
  checked?: { id: string; by: string };
}

it("routes checks for a dead SDK producer's transactions to the surviving SDK producers", async () => {
  tb = await startTestBroker(); // transactionTimeoutMs 1000, check interval 1000
  const topic = await createTopic(tb, 'TRANSACTION');
  const checks: { id: string; by: string }[] = [];
  const start = async (name: string): Promise<ChildProcess> => {
    const child = fork(FIXTURE, [tb.endpoint, topic, name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    child.on('message', (m: ChildMsg) => m.checked && checks.push(m.checked));
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: ChildMsg) => m.ready && resolve());
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    });
    return child;
  };
  const sender = await start('sender');
  await start('survivor-1');
  await start('survivor-2');

  const sent = await new Promise<string[]>((resolve) => {
    sender.on('message', (m: ChildMsg) => m.sent && resolve(m.sent));
    sender.send({ send: 10 });
  });
  expect(sent).toHaveLength(10);
  sender.kill('SIGKILL');

  const consumer = await simpleConsumer(tb, closer, topic, '*', uniqueName('SdkG'));
  const received = new Set<string>();
  await waitFor(
    async () => {
      for (const m of await consumer.receive(16, 10_000)) {
        received.add(m.messageId);
        await consumer.ack(m);
      }
      return received.size >= sent.length ? true : undefined;
    },
    30_000,
    'all messages delivered',
  );

  expect([...received].sort()).toEqual([...sent].sort());
  const answeredBy = new Set(checks.filter((c) => sent.includes(c.id)).map((c) => c.by));
  expect(answeredBy.has('sender')).toBe(false);
  expect(answeredBy.size).toBeGreaterThan(0);
  expect([...answeredBy].every((b) => b.startsWith('survivor-'))).toBe(true);
  for (const id of sent) expect(await tb.broker.services.store.getDecision(id)).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });
}, 60_000);
