// Runs the BrokerStore contract against PgStore on a throwaway PostgreSQL (one server for this
// file, a fresh schema per harness; twins open the same schema, as brokers sharing a database
// would), plus what only PostgreSQL has: migrations and the schema version guard, broker
// membership seen through two stores, and a database that goes away and comes back.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BrokerError, Code } from '../../../src/errors.js';
import { PgStore } from '../../../src/store/pg/index.js';
import { loadMigrations } from '../../../src/store/pg/sql-files.js';
import { FakeClock } from '../../../src/util/clock.js';
import { freePort } from '../../helpers/broker-process.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { makeMessage, storeContract, type StoreHarness } from './contract/index.js';

let server: TestPostgres;
let url = '';
let schemaSeq = 0;

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('contract');
});

afterAll(async () => {
  await server?.stop();
});

/** One statement on the contract database. */
const admin = (sql: string): Promise<unknown> => server.query(sql, [], 'contract');

function pgStore(clock: FakeClock, schema: string, over: Partial<ConstructorParameters<typeof PgStore>[0]> = {}): PgStore {
  return new PgStore({ connectionString: url, schema, clock, poolSize: 4, ...over });
}

async function pgHarness(clock: FakeClock): Promise<StoreHarness> {
  const schema = `contract_${++schemaSeq}`;
  const open: PgStore[] = [];
  const openOne = async (): Promise<PgStore> => {
    const store = pgStore(clock, schema);
    await store.open();
    open.push(store);
    return store;
  };
  let current = await openOne();
  return {
    store: current,
    reopen: async () => {
      await current.close();
      current = await openOne();
      return current;
    },
    openTwin: openOne,
    cleanup: async () => {
      for (const s of open.splice(0)) await s.close();
      await admin(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

storeContract('PgStore', pgHarness, { sharedAcrossProcesses: true, persistent: true });

describe('PgStore', () => {
  it('lists a broker registered through either of two stores on one schema through both, until it leaves', async () => {
    const clock = new FakeClock();
    const [a, b] = [pgStore(clock, 'members'), pgStore(clock, 'members')];
    await a.open();
    await b.open();
    try {
      await a.heartbeatBroker('b1', '10.0.0.1:8081', 10_000);
      await b.heartbeatBroker('b2', '10.0.0.2:8081', 10_000);
      expect((await b.liveBrokers()).map((x) => x.brokerId)).toEqual(['b1', 'b2']);
      expect((await a.liveBrokers()).map((x) => x.brokerId)).toEqual(['b1', 'b2']);
      await b.leaveBroker('b1');
      expect(await a.liveBrokers()).toEqual([{ brokerId: 'b2', endpoint: '10.0.0.2:8081' }]);
    } finally {
      await a.close();
      await b.close();
      await admin('DROP SCHEMA members CASCADE');
    }
  });

  it('migrates a new schema once, even with several brokers opening it at the same time', async () => {
    const clock = new FakeClock();
    const stores = Array.from({ length: 4 }, () => pgStore(clock, 'racing'));
    await Promise.all(stores.map((s) => s.open()));
    const versions = await server.query('SELECT version FROM racing.schema_version', [], 'contract');
    expect(versions.rows).toEqual([{ version: (await loadMigrations()).length }]);
    await stores[0]!.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    expect((await stores[3]!.getTopic('t'))?.name).toBe('t');
    for (const s of stores) await s.close();
    await admin('DROP SCHEMA racing CASCADE');
  });

  it('upgrades a schema left at an older version by applying the newer migrations in order', async () => {
    const [first, ...later] = await loadMigrations();
    expect(later.length).toBeGreaterThan(0);
    await admin('CREATE SCHEMA upgrade');
    await admin(
      `SET search_path = upgrade; ${first!.sql}; CREATE TABLE schema_version (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()); INSERT INTO schema_version (id, version) VALUES (1, 1)`,
    );
    const clock = new FakeClock();
    const store = pgStore(clock, 'upgrade');
    await store.open();
    try {
      const version = await server.query('SELECT version FROM upgrade.schema_version', [], 'contract');
      expect(version.rows).toEqual([{ version: 1 + later.length }]);
      // What version 2 added works: the first delivery time is kept.
      await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
      await store.append('t', 0, [makeMessage('t')]);
      const request = { group: 'g', topic: 't', filter: { kind: 'all' as const }, maxMessages: 1, invisibleDurationMs: 1000, maxDeliveryAttempts: 16, fifo: false };
      const [d] = (await store.receive(request)).deliveries;
      expect(d!.firstDeliveredAtMs).toBe(clock.now());
      // What version 3 added works: broker membership.
      await store.heartbeatBroker('b1', '127.0.0.1:8081', 1000);
      expect(await store.liveBrokers()).toEqual([{ brokerId: 'b1', endpoint: '127.0.0.1:8081' }]);
    } finally {
      await store.close();
      await admin('DROP SCHEMA upgrade CASCADE');
    }
  });

  it('refuses a schema newer than it knows, saying what to do', async () => {
    const clock = new FakeClock();
    const first = pgStore(clock, 'future');
    await first.open();
    await first.close();
    await admin('UPDATE future.schema_version SET version = 99');
    const store = pgStore(clock, 'future');
    const err = await store.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).message).toContain(`version 99, newer than this Halfmoon knows (${(await loadMigrations()).length}): upgrade Halfmoon`);
    await admin('DROP SCHEMA future CASCADE');
  });

  it('refuses an invalid schema name', () => {
    expect(() => pgStore(new FakeClock(), 'Bad-Name')).toThrow(/schema name "Bad-Name" is invalid/);
  });

  it('accepts a receipt handle issued through another instance, and brings its events over LISTEN', async () => {
    const clock = new FakeClock();
    const a = pgStore(clock, 'brokers');
    const b = pgStore(clock, 'brokers');
    await a.open();
    await b.open();
    try {
      await a.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
      const seen: string[] = [];
      const off = b.events.onAny('appended', (topic) => seen.push(topic));
      await a.append('t', 0, [makeMessage('t')]);
      await vi.waitFor(() => expect(seen).toEqual(['t']), { timeout: 5000, interval: 10 });
      off();
      const request = { group: 'g', topic: 't', filter: { kind: 'all' as const }, maxMessages: 1, invisibleDurationMs: 30_000, maxDeliveryAttempts: 16, fifo: false };
      const [delivery] = (await a.receive(request)).deliveries;
      expect(await b.ack('g', 't', delivery!.receiptHandle)).toBe('ok');
      expect(await a.ack('g', 't', delivery!.receiptHandle)).toBe('stale');
      clock.advance(60_000);
      expect((await b.receive(request)).deliveries).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await admin('DROP SCHEMA brokers CASCADE');
    }
  });

  it('commits concurrent appends and decisions of one queue together, and a failing one alone fails', async () => {
    const clock = new FakeClock();
    const store = pgStore(clock, 'grouped');
    await store.open();
    try {
      await store.createTopic({ name: 'a', messageType: 'TRANSACTION', queueCount: 1 });
      await store.createTopic({ name: 'gone', messageType: 'TRANSACTION', queueCount: 1 });
      const half = (topic: string, i: number) => ({
        transactionId: `${topic}-${i}`,
        message: makeMessage(topic, { messageType: 'TRANSACTION' }),
        producerGroup: topic,
        senderClientId: 'c',
        budget: 'checks' as const,
      });
      for (let i = 0; i < 20; i++) await store.putHalf(half('a', i), 60_000);
      await store.putHalf(half('gone', 0), 60_000);
      await store.deleteTopic('gone');
      // Decisions without an expected topic share one group: the one whose topic is gone fails alone.
      const results = await Promise.allSettled([
        ...Array.from({ length: 10 }, (_, i) => store.endTransaction(`a-${i}`, 'COMMIT', 'CLIENT')),
        store.endTransaction('gone-0', 'COMMIT', 'CLIENT'),
        ...Array.from({ length: 10 }, (_, i) => store.endTransaction(`a-${10 + i}`, i % 2 ? 'ROLLBACK' : 'COMMIT', 'CLIENT')),
        store.append('a', 0, [makeMessage('a'), makeMessage('a')]),
      ]);
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect(((failed[0] as PromiseRejectedResult).reason as BrokerError).code).toBe(Code.TOPIC_NOT_FOUND);
      expect(results.filter((r) => r.status === 'fulfilled' && (r.value as { kind?: string }).kind === 'applied')).toHaveLength(20);
      expect((await store.getHalf('gone-0'))?.state).toBe('PENDING');
      // 15 commits and 2 appended messages: offsets 0..16, each once, none skipped.
      const log = await store.read('a', 0, 0, 100);
      expect(log.map((m) => m.offset)).toEqual(Array.from({ length: 17 }, (_, i) => i));
      expect((await store.transactionCounters()).committed).toBe(15);
    } finally {
      await store.close();
      await admin('DROP SCHEMA grouped CASCADE');
    }
  });

  it('decides concurrently on several topics through two instances without deadlocks, counting every decision', async () => {
    const clock = new FakeClock();
    const a = pgStore(clock, 'deciding');
    const b = pgStore(clock, 'deciding');
    await a.open();
    await b.open();
    try {
      const topics = ['t1', 't2', 't3'];
      for (const t of topics) await a.createTopic({ name: t, messageType: 'TRANSACTION', queueCount: 1 });
      const ids = topics.flatMap((t) => Array.from({ length: 200 }, (_, i) => ({ topic: t, id: `${t}-${i}` })));
      await Promise.all(
        ids.map(({ topic, id }) =>
          a.putHalf({ transactionId: id, message: makeMessage(topic, { messageType: 'TRANSACTION' }), producerGroup: topic, senderClientId: 'c', budget: 'checks' }, 60_000),
        ),
      );
      // Groups of decisions of different topics run at once; each bumps counters (a deadlock would fail calls here).
      const results = await Promise.all(ids.map(({ topic, id }, i) => (i % 2 ? a : b).endTransaction(id, i % 3 ? 'COMMIT' : 'ROLLBACK', 'CLIENT', { topic })));
      expect(results.every((r) => r.kind === 'applied')).toBe(true);
      const counters = await a.transactionCounters();
      expect({ committed: counters.committed, rolledBack: counters.rolledBack, pending: counters.pending }).toEqual({ committed: 400, rolledBack: 200, pending: 0 });
      for (const t of topics) {
        const commits = ids.filter((x, i) => x.topic === t && i % 3 !== 0).length;
        expect((await a.read(t, 0, 0, 1000)).map((m) => m.offset)).toEqual(Array.from({ length: commits }, (_, i) => i));
      }
    } finally {
      await a.close();
      await b.close();
      await admin('DROP SCHEMA deciding CASCADE');
    }
  });

  it('takes schema names up to 63 characters, wake-ups included (the channel name stays within its limit)', async () => {
    const clock = new FakeClock();
    const schema = 's'.repeat(63);
    const a = pgStore(clock, schema);
    const b = pgStore(clock, schema);
    await a.open();
    await b.open();
    try {
      const seen: string[] = [];
      b.events.onAny('appended', (topic) => seen.push(topic));
      await a.append('long', 0, [makeMessage('long')]);
      await vi.waitFor(() => expect(seen).toEqual(['long']), { timeout: 5000, interval: 10 });
    } finally {
      await a.close();
      await b.close();
      await admin(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('refuses to open when the database cannot be reached, saying so', async () => {
    const store = new PgStore({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/contract`, clock: new FakeClock(), timeoutMs: 2000 });
    const err = await store.open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe(Code.HA_NOT_AVAILABLE);
    expect((err as BrokerError).message).toMatch(/^cannot open the PostgreSQL store: the PostgreSQL database of the store is unreachable \(127\.0\.0\.1:\d+\/contract: /);
  });

  it('fails calls with HA_NOT_AVAILABLE while the database is down, and works again once it is back', async () => {
    const clock = new FakeClock();
    const store = pgStore(clock, 'outage', { timeoutMs: 2000 });
    await store.open();
    const other = pgStore(clock, 'outage');
    await other.open();
    const woken: string[] = [];
    other.events.onAny('appended', (topic) => woken.push(topic));
    await store.createTopic({ name: 't', messageType: 'NORMAL', queueCount: 1 });
    await store.append('t', 0, [makeMessage('t')]);
    await server.halt({ crash: true });
    try {
      const started = Date.now();
      const err = await store.append('t', 0, [makeMessage('t')]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toBeInstanceOf(BrokerError);
      expect((err as BrokerError).code).toBe(Code.HA_NOT_AVAILABLE);
      expect((err as BrokerError).message).toMatch(/database of the store is unreachable/);
    } finally {
      await server.restart();
    }
    const [m] = await store.append('t', 0, [makeMessage('t')]);
    expect(m!.offset).toBe(1);
    expect((await store.read('t', 0, 0, 10)).map((x) => x.offset)).toEqual([0, 1]);
    // The other instance's LISTEN connection came back by itself: later appends wake it again.
    woken.length = 0;
    await vi.waitFor(
      async () => {
        await store.append('t', 0, [makeMessage('t')]);
        expect(woken).toContain('t');
      },
      { timeout: 15_000, interval: 500 },
    );
    await store.close();
    await other.close();
    await admin('DROP SCHEMA outage CASCADE');
  });
});
