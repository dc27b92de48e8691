// Cluster scenarios (b) and (c), transactions across broker processes on one PostgreSQL:
//  (b) a producer (official client, in its own process, connected to broker A) sends half
//      messages and is SIGKILLed before deciding; a second producer of the same topic connected
//      to broker B answers the checks (COMMIT even i, ROLLBACK odd): exactly the even ones are
//      delivered to a consumer on B, and every odd one is rolled back, so none ever can be.
//  (c) broker A is SIGKILLed under concurrent transactional load (two official-client producer
//      processes, one connected to each broker, with consumers receiving through B): every
//      acknowledged commit is delivered through B at least once, and no message planned for
//      rollback ever is (their decisions are ROLLED_BACK in the store); in SQL, the log's offsets
//      are gap-free and each committed message is in it once.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Producer, type MessageView } from 'rocketmq-client-nodejs';
import definition from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietClientLogger, uniqueName } from '../../helpers/broker.js';
import { ack, createTopic, receive, sleep, startCluster, type Cluster, type Received } from '../../helpers/cluster.js';
import { rawClient, type RawClient } from '../../helpers/raw-client.js';

const { TransactionResolution } = definition;
const FIXTURE = fileURLToPath(new URL('../../fixtures/cluster-tx-producer.ts', import.meta.url));

interface ChildMsg {
  ready?: boolean;
  sent?: { id: string; i: number }[];
  acked?: 'commit' | 'rollback';
  id?: string;
  done?: boolean;
}

let cluster: Cluster;
const children: ChildProcess[] = [];
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  cluster = await startCluster(['a', 'b']);
}, 60_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
  await cluster?.close();
});

function producerProcess(mode: 'orphan' | 'load', endpoint: string, topic: string, count: number, onMessage: (m: ChildMsg) => void): Promise<ChildProcess> {
  const child = fork(FIXTURE, [mode, endpoint, topic, String(count)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  child.on('message', onMessage);
  return new Promise((resolve, reject) => {
    child.on('message', (m: ChildMsg) => m.ready && resolve(child));
    child.once('exit', (code) => reject(new Error(`producer process exited early with ${code}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Receives (and acks) through `c` until `done` says so or `timeoutMs` passes; returns everything received. */
async function consumeUntil(c: RawClient, group: string, topic: string, timeoutMs: number, done: (all: Received[]) => boolean): Promise<Received[]> {
  const all: Received[] = [];
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !done(all)) {
    const batch = await receive(c, group, topic, { batch: 32, pollMs: 1000 }).catch(() => []);
    for (const m of batch) {
      all.push(m);
      await ack(c, group, topic, m).catch(() => undefined);
    }
  }
  return all;
}

describe('cluster transactions', () => {
  it('(b) the checks of a dead producer’s transactions are answered by another producer through another broker', async () => {
    const topic = uniqueName('TxOrphan');
    await createTopic(cluster.endpoint('a'), topic, 'TRANSACTION');
    const N = 20;
    let sent: { id: string; i: number }[] = [];
    const orphan = await producerProcess('orphan', cluster.endpoint('a'), topic, N, (m) => {
      if (m.sent) sent = m.sent;
    });
    for (let i = 0; i < 100 && sent.length === 0; i++) await sleep(100);
    expect(sent).toHaveLength(N);
    await killed(orphan);

    const checked = new Set<string>();
    const checker = new Producer({
      endpoints: cluster.endpoint('b'),
      namespace: '',
      topic,
      logger: quietClientLogger,
      checker: {
        check: async (m: MessageView) => {
          checked.add(m.messageId);
          return Number(m.properties.get('i')) % 2 === 0 ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK;
        },
      },
    });
    await checker.startup();
    closers.push(() => checker.shutdown());

    const even = new Set(sent.filter((s) => s.i % 2 === 0).map((s) => s.id));
    const consumer = rawClient(cluster.endpoint('b'));
    closers.push(() => consumer.close());
    const group = uniqueName('G');
    const got = await consumeUntil(consumer, group, topic, 30_000, (all) => [...even].every((id) => all.some((m) => m.messageId === id)));
    expect(new Set(got.map((m) => m.messageId))).toEqual(even);
    // Every transaction was decided by a check: the odd ones rolled back, so never deliverable.
    for (const s of sent) {
      const d = await cluster.observer.getDecision(s.id);
      expect(d, s.id).toMatchObject({ state: s.i % 2 === 0 ? 'COMMITTED' : 'ROLLED_BACK', source: 'SERVER_CHECK' });
      expect(checked.has(s.id), s.id).toBe(true);
    }
    expect(await cluster.observer.listTransactions({ topic })).toEqual([]);
    // Nothing more arrives later (the odd ones stay rolled back).
    expect(await receive(consumer, group, topic, { pollMs: 1000 })).toEqual([]);
  }, 60_000);

  it('(c) a broker SIGKILLed under load loses no acknowledged commit and delivers no rollback', async () => {
    const topic = uniqueName('TxLoad');
    await createTopic(cluster.endpoint('b'), topic, 'TRANSACTION');
    const acked = { commit: new Set<string>(), rollback: new Set<string>() };
    const record = (m: ChildMsg): void => {
      if (m.acked && m.id) acked[m.acked].add(m.id);
    };
    const loaders = await Promise.all([
      producerProcess('load', cluster.endpoint('a'), topic, 400, record),
      producerProcess('load', cluster.endpoint('b'), topic, 400, record),
    ]);
    const group = uniqueName('G');
    const consumer = rawClient(cluster.endpoint('b'));
    closers.push(() => consumer.close());
    const delivered: Received[] = [];
    // Consume through B while the load runs; kill A once some commits were acknowledged.
    const consuming = (async () => {
      const end = Date.now() + 12_000;
      while (Date.now() < end) delivered.push(...(await consumeUntil(consumer, group, topic, 1000, () => false)));
    })();
    for (let i = 0; i < 100 && acked.commit.size < 20; i++) await sleep(100);
    expect(acked.commit.size).toBeGreaterThanOrEqual(20);
    await cluster.brokers.get('a')!.stop('SIGKILL');
    const atKill = acked.commit.size;
    await sleep(4000); // the load goes on through B
    // A loader whose broker was killed may have exited already: only the live ones are told to stop.
    for (const l of loaders) if (l.connected) l.send({ stop: true });
    await Promise.all(loaders.map((l) => new Promise<void>((resolve) => (l.exitCode !== null ? resolve() : l.once('exit', () => resolve())))));
    await consuming;
    expect(acked.commit.size).toBeGreaterThan(atKill); // commits kept being acknowledged after the kill

    // Everything acknowledged as committed arrives through B (checks resolve what A left undecided).
    const rest = await consumeUntil(consumer, group, topic, 20_000, (more) => {
      const ids = new Set([...delivered, ...more].map((m) => m.messageId));
      return [...acked.commit].every((id) => ids.has(id));
    });
    delivered.push(...rest);
    const ids = new Set(delivered.map((m) => m.messageId));
    const missing = [...acked.commit].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    expect(delivered.filter((m) => m.props.plan !== 'commit')).toEqual([]);
    for (const id of acked.rollback) expect((await cluster.observer.getDecision(id))?.state, id).toBe('ROLLED_BACK');
    // The log in SQL: offsets gap-free, each committed message once, only planned commits.
    const log = await cluster.pg.query(
      `SELECT count(*)::int AS n, max(queue_offset)::int AS last, count(DISTINCT header->>'messageId')::int AS ids,
              count(*) FILTER (WHERE header->'userProperties'->>'plan' IS DISTINCT FROM 'commit')::int AS others
         FROM halfmoon.message WHERE topic = $1`,
      [topic],
      'cluster',
    );
    const row = log.rows[0] as { n: number; last: number; ids: number; others: number };
    expect(row).toEqual({ n: row.last + 1, last: row.last, ids: row.n, others: 0 });
    expect(row.n).toBeGreaterThanOrEqual(acked.commit.size);
  }, 80_000);
});
