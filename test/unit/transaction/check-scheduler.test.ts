// Check scheduling with a fake clock: first check at the due time, UNKNOWN means again after the
// interval, budget then policy (ROLLBACK / KEEP), no attempts used while nobody can be asked,
// sender first then rotation when it stays silent (before the interval, after the answer
// timeout), producers that let checks time out demoted, unanswered checks budgeted apart from
// answered ones, batch limits per pass and the backlog's pace (passes back to back, the per-group rate).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, type BrokerConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/logger.js';
import { SessionRegistry } from '../../../src/session/session-registry.js';
import { LevelStore } from '../../../src/store/level/index.js';
import type { HalfMessage } from '../../../src/domain/transactions.js';
import { CheckScheduler } from '../../../src/transaction/check-scheduler.js';
import { FakeClock } from '../../../src/util/clock.js';

const TOPIC = 'Orders';
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(overrides: Partial<BrokerConfig> = {}) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-sched-'));
  const store = new LevelStore({ path: dir, clock, durable: false });
  await store.open();
  const config = { ...DEFAULT_CONFIG, transactionTimeoutMs: 6000, transactionCheckIntervalMs: 30_000, transactionCheckMax: 3, ...overrides };
  const sessions = new SessionRegistry(store.events);
  const scheduler = new CheckScheduler({ store, sessions, config, clock, log: silentLogger(), random: () => 0 });
  await store.createTopic({ name: TOPIC, messageType: 'TRANSACTION', queueCount: 1 });
  cleanup = async () => {
    await scheduler.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  /** A live producer whose stream records the checks it gets (or refuses them). */
  const producer = (clientId: string, accept = true) => {
    const got: HalfMessage[] = [];
    const s = sessions.attach(clientId, { sendTransactionCheck: (h) => (accept ? (got.push(h), true) : false) }, clock.now());
    s.clientType = 'PRODUCER';
    s.topics.add(TOPIC);
    return got;
  };
  let n = 0;
  const half = async (sender = 'sender') => {
    const id = `TX${++n}`;
    await store.putHalf(
      {
        transactionId: id,
        message: {
          topic: TOPIC,
          messageId: id,
          messageType: 'TRANSACTION',
          body: Buffer.from('b'),
          keys: [],
          userProperties: {},
          bornTimestampMs: clock.now(),
          bornHost: 'h',
        },
        producerGroup: TOPIC,
        senderClientId: sender,
        budget: 'checks',
      },
      config.transactionTimeoutMs,
    );
    return id;
  };
  return { clock, store, sessions, scheduler, producer, half, config };
}

describe('CheckScheduler', () => {
  it('checks first at the due time and then once per interval while the answer is UNKNOWN', async () => {
    const { clock, scheduler, producer, half, store } = await setup();
    const got = producer('sender');
    const id = await half();
    clock.advance(5999);
    await scheduler.tick();
    expect(got).toHaveLength(0);
    clock.advance(1);
    await scheduler.tick();
    expect(got.map((h) => h.transactionId)).toEqual([id]);
    expect(got[0]!.checkCount).toBe(1);
    // UNKNOWN: nothing is sent back. Not again before the interval...
    clock.advance(29_999);
    await scheduler.tick();
    expect(got).toHaveLength(1);
    clock.advance(1);
    await scheduler.tick();
    expect(got).toHaveLength(2);
    expect((await store.getHalf(id))!.checkCount).toBe(2);
  });

  it('applies ROLLBACK after transactionCheckMax checks answered UNKNOWN, recorded as POLICY', async () => {
    const { clock, scheduler, producer, half, store } = await setup({ transactionCheckMax: 2 });
    const got = producer('sender');
    const id = await half();
    for (let i = 0; i < 4; i++) {
      clock.advance(30_000);
      await scheduler.tick();
      if (got.length > i) await scheduler.answered(id, 'sender');
    }
    expect(got).toHaveLength(2);
    expect(await store.getHalf(id)).toBeUndefined();
    expect(await store.getDecision(id)).toMatchObject({ state: 'ROLLED_BACK', source: 'POLICY', checkCount: 2 });
  });

  it('abandons instead under policy KEEP, and never checks it again', async () => {
    const { clock, scheduler, producer, half, store } = await setup({ transactionCheckMax: 1, transactionCheckPolicy: 'KEEP' });
    const got = producer('sender');
    const id = await half();
    for (let i = 0; i < 4; i++) {
      clock.advance(30_000);
      await scheduler.tick();
      if (got.length > i) await scheduler.answered(id, 'sender');
    }
    expect(got).toHaveLength(1);
    expect(await store.getHalf(id)).toMatchObject({ state: 'ABANDONED', checkCount: 1 });
    expect((await store.getHalf(id))!.abandonReason).toContain('no decision after 1 checks');
    expect((await store.transactionCounters()).abandoned).toBe(1);
  });

  it('uses no attempt while no producer is live, then checks as soon as one is', async () => {
    const { clock, scheduler, producer, half, store } = await setup({ transactionCheckMax: 1 });
    const id = await half();
    for (let i = 0; i < 5; i++) {
      clock.advance(30_000);
      await scheduler.tick();
    }
    expect(await store.getHalf(id)).toMatchObject({ state: 'PENDING', checkCount: 0 });
    const got = producer('late-joiner');
    await scheduler.tick();
    expect(got.map((h) => h.transactionId)).toEqual([id]);
  });

  it('gives the attempt back when the push fails', async () => {
    const { clock, scheduler, producer, half, store } = await setup();
    producer('sender', false);
    const id = await half();
    clock.advance(6000);
    await scheduler.tick();
    expect(await store.getHalf(id)).toMatchObject({ checkCount: 0 });
    expect((await store.transactionCounters()).checksSent).toBe(0);
  });

  it('asks the sender first and, when it stays silent, another live producer next', async () => {
    const { clock, scheduler, producer, half, sessions, config } = await setup();
    const sender = producer('sender');
    const other = producer('other');
    const id = await half('sender');
    clock.advance(6000);
    await scheduler.tick();
    expect(sender.map((h) => h.transactionId)).toEqual([id]);
    expect(other).toHaveLength(0);
    // Unanswered for transactionCheckAnswerTimeoutMs: sent to the other producer, long before the interval.
    clock.advance(config.transactionCheckAnswerTimeoutMs - 1);
    await scheduler.tick();
    expect(other).toHaveLength(0);
    clock.advance(1);
    await scheduler.tick();
    expect(other.map((h) => h.transactionId)).toEqual([id]);
    expect(sessions.checkStats.get('sender')).toMatchObject({ timeouts: 1, timeoutsInARow: 1 });
  });

  it('demotes producers that let checks time out: once one answers, every check goes to it', async () => {
    const { clock, scheduler, producer, half, store, config } = await setup({ transactionCheckMax: 2 });
    const silent = Array.from({ length: 5 }, (_, i) => producer(`silent-${i}`));
    const honest = producer('honest');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await half('gone'));
    clock.advance(6000);
    // The honest producer answers UNKNOWN to everything it gets, every tick.
    const answerHonest = async () => {
      for (const h of honest.splice(0)) await scheduler.answered(h.transactionId, 'honest');
    };
    for (let round = 0; round < 20; round++) {
      await scheduler.tick();
      await answerHonest();
      clock.advance(config.transactionCheckAnswerTimeoutMs);
    }
    const silentChecks = silent.reduce((n, got) => n + got.length, 0);
    // Each silent producer is tried about once per demotion level, not once per transaction and round.
    expect(silentChecks).toBeLessThan(30 + 5 * 3);
    // Every transaction ran into its policy by answered checks (2 UNKNOWNs), none by silence.
    for (const id of ids) {
      const d = await store.getDecision(id);
      expect(d).toMatchObject({ state: 'ROLLED_BACK', source: 'POLICY' });
      expect(d!.reason).toContain('answered UNKNOWN');
    }
  });

  it('budgets unanswered checks apart: silent producers alone reach transactionCheckTimeoutMax, not transactionCheckMax', async () => {
    const { clock, scheduler, producer, half, store, config } = await setup({ transactionCheckMax: 2, transactionCheckTimeoutMax: 6 });
    producer('silent-a');
    producer('silent-b');
    const id = await half('gone');
    clock.advance(6000);
    for (let i = 0; i < 6; i++) {
      await scheduler.tick();
      expect(await store.getDecision(id)).toBeUndefined();
      clock.advance(config.transactionCheckAnswerTimeoutMs);
    }
    expect(await store.getHalf(id)).toMatchObject({ checkCount: 6, timeouts: 5, awaitingAnswer: true });
    await scheduler.tick();
    expect(await store.getDecision(id)).toMatchObject({ state: 'ROLLED_BACK', source: 'POLICY', reason: 'no answer to 6 checks (transactionCheckTimeoutMax 6)' });
  });

  it('never checks a resolved transaction', async () => {
    const { clock, scheduler, producer, half, store } = await setup();
    const got = producer('sender');
    const id = await half();
    await store.endTransaction(id, 'COMMIT', 'CLIENT');
    clock.advance(60_000);
    await scheduler.tick();
    expect(got).toHaveLength(0);
  });

  it('claims at most transactionCheckBatchSize per tick and only due ones', async () => {
    const { clock, scheduler, producer, half } = await setup({ transactionCheckBatchSize: 5 });
    const got = producer('sender');
    for (let i = 0; i < 12; i++) await half();
    clock.advance(1000);
    for (let i = 0; i < 3; i++) await half(); // not due yet
    clock.advance(5000);
    await scheduler.tick();
    expect(got).toHaveLength(5);
    await scheduler.tick();
    await scheduler.tick();
    expect(got).toHaveLength(12);
    await scheduler.tick();
    expect(got).toHaveLength(12);
  });

  it('asks for the next pass at once while a full batch came back, and waits for the rate allowance (transactionCheckMaxPerSecond)', async () => {
    // Batches of 5, at most 10 per second: a burst of one batch (tick 250 ms: 2.5 < 5), then 5 more per half second.
    const { clock, scheduler, producer, half } = await setup({ transactionCheckBatchSize: 5, transactionCheckMaxPerSecond: 10, transactionCheckTickMs: 250 });
    const got = producer('sender');
    for (let i = 0; i < 12; i++) await half();
    clock.advance(7000);
    expect(await scheduler.tick()).toBe(500); // 5 sent, the allowance used up: a whole batch again in 500 ms
    expect(got).toHaveLength(5);
    expect(await scheduler.tick()).toBe(500); // nothing may go out yet
    expect(got).toHaveLength(5);
    clock.advance(500);
    expect(await scheduler.tick()).toBe(500);
    expect(got).toHaveLength(10);
    clock.advance(500);
    expect(await scheduler.tick()).toBeUndefined(); // the last 2: the backlog is gone, back to the tick
    expect(got).toHaveLength(12);
  });

  it('dispatches a backlog pass after pass on its own timer, not one batch per tick', async () => {
    const { clock, scheduler, producer, half } = await setup({ transactionCheckBatchSize: 5, transactionCheckTickMs: 60_000, transactionRestartJitterMs: 0 });
    const got = producer('sender');
    for (let i = 0; i < 23; i++) await half();
    clock.advance(7000);
    scheduler.start();
    scheduler.kick();
    // The fake clock never moves on: each pass arms the next one at delay 0, fired by advance(0),
    // so the five passes follow one another without waiting for the (one-minute) tick.
    await vi.waitFor(() => {
      clock.advance(0);
      expect(got).toHaveLength(23);
    });
  });

  it('starts with restart jitter and runs ticks on its own timer', async () => {
    const { clock, store, sessions, producer, half, config } = await setup();
    const jittered = new CheckScheduler({
      store,
      sessions,
      config: { ...config, transactionRestartJitterMs: 2000, transactionCheckTickMs: 250 },
      clock,
      log: silentLogger(),
      random: () => 0.5,
    });
    const got = producer('sender');
    await half();
    clock.advance(6000);
    jittered.start();
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toHaveLength(0);
    clock.advance(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
    await jittered.close();
  });

  it('ticks at once when a producer comes online (producerAvailable on the store bus), not only on its timer', async () => {
    const { clock, store, sessions, half, config } = await setup();
    const scheduler = new CheckScheduler({ store, sessions, config: { ...config, transactionCheckTickMs: 3_600_000 }, clock, log: silentLogger(), random: () => 0 });
    await half();
    clock.advance(6000);
    scheduler.start();
    clock.advance(0); // the first (jitter-free) tick: nobody to ask yet
    await new Promise((r) => setTimeout(r, 20));
    const got: HalfMessage[] = [];
    const s = sessions.attach('late', { sendTransactionCheck: (h) => (got.push(h), true) }, clock.now());
    s.clientType = 'PRODUCER';
    s.topics.add(TOPIC);
    sessions.announce(s);
    clock.advance(0);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    await scheduler.close();
    sessions.announce(s); // closed: no longer listening
    clock.advance(3_600_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('sweeps several producer groups at the same time, each checked by its own producer', async () => {
    const { clock, store, sessions, scheduler } = await setup();
    const groups = ['GA', 'GB', 'GC'];
    const got = new Map<string, string[]>();
    for (const g of groups) {
      await store.createTopic({ name: g, messageType: 'TRANSACTION', queueCount: 1 });
      await store.putHalf(
        {
          transactionId: `TX-${g}`,
          message: {
            topic: g,
            messageId: `TX-${g}`,
            messageType: 'TRANSACTION',
            body: Buffer.from('b'),
            keys: [],
            userProperties: {},
            bornTimestampMs: clock.now(),
            bornHost: 'h',
          },
          producerGroup: g,
          senderClientId: `p-${g}`,
          budget: 'checks',
        },
        0,
      );
      const s = sessions.attach(`p-${g}`, { sendTransactionCheck: (h) => (got.set(g, [...(got.get(g) ?? []), h.transactionId]), true) }, clock.now());
      s.clientType = 'PRODUCER';
      s.topics.add(g);
    }
    let inFlight = 0;
    let most = 0;
    const claim = store.claimDueChecks.bind(store);
    store.claimDueChecks = async (req) => {
      most = Math.max(most, ++inFlight);
      try {
        return await claim(req);
      } finally {
        inFlight--;
      }
    };
    await scheduler.tick();
    expect(most).toBe(3);
    expect(Object.fromEntries(got)).toEqual({ GA: ['TX-GA'], GB: ['TX-GB'], GC: ['TX-GC'] });
  });
});
