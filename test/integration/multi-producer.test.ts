// Multi-producer cluster, once with the official client and once with Halfmoon's SDK: three
// producer processes with a checker on one topic; the one that sent the half messages is
// SIGKILLed before deciding; the checks reach the survivors, whose checkers commit, and every
// message is then consumed (with the same client family's SimpleConsumer).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { quietClientLogger, startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { Closer, simpleConsumer as sdkSimpleConsumer } from './sdk/sdk-helpers.js';

interface ChildMsg {
  ready?: boolean;
  sent?: string[];
  checked?: { id: string; by: string };
}

/** One long poll of a SimpleConsumer: receives, acks, and returns the message ids. */
type Poll = () => Promise<string[]>;

async function pollOf<M extends { messageId: string }>(c: { receive(max: number, invisibleMs: number): Promise<M[]>; ack(m: M): Promise<void> }): Promise<string[]> {
  const ids: string[] = [];
  for (const m of await c.receive(16, 10_000)) {
    await c.ack(m);
    ids.push(m.messageId);
  }
  return ids;
}

interface Variant {
  client: string;
  fixture: string;
  consumer(tb: TestBroker, topic: string, closer: Closer): Promise<Poll>;
}

const VARIANTS: Variant[] = [
  {
    client: 'official client',
    fixture: '../fixtures/tx-producer.ts',
    async consumer(tb, topic, closer) {
      const c = new SimpleConsumer({
        endpoints: tb.endpoint,
        namespace: '',
        consumerGroup: uniqueName('G'),
        subscriptions: new Map([[topic, '*']]),
        awaitDuration: 1000,
        logger: quietClientLogger,
      });
      await c.startup();
      closer.track({ close: () => c.shutdown() });
      return () => pollOf(c);
    },
  },
  {
    client: "Halfmoon's SDK",
    fixture: '../fixtures/sdk-tx-producer.ts',
    async consumer(tb, topic, closer) {
      const c = await sdkSimpleConsumer(tb, closer, topic, '*', uniqueName('SdkG'));
      return () => pollOf(c);
    },
  },
];

let tb: TestBroker | undefined;
const closer = new Closer();
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await closer.closeAll();
  await tb?.close();
  tb = undefined;
});

describe.each(VARIANTS)('multi-producer cluster ($client)', (variant) => {
  it("routes checks for a dead producer's transactions to the surviving producers", async () => {
    const broker = (tb = await startTestBroker()); // transactionTimeoutMs 1000, check interval 1000
    const topic = uniqueName('TxCluster');
    await broker.broker.services.topics.create(topic, 'TRANSACTION');
    const fixture = fileURLToPath(new URL(variant.fixture, import.meta.url));
    const checks: { id: string; by: string }[] = [];
    const start = async (name: string): Promise<ChildProcess> => {
      const child = fork(fixture, [broker.endpoint, topic, name], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

    const poll = await variant.consumer(broker, topic, closer);
    const received = new Set<string>();
    await waitFor(
      async () => {
        for (const id of await poll()) received.add(id);
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
    for (const id of sent) expect(await broker.broker.store.getDecision(id)).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK' });
  }, 60_000);
});
