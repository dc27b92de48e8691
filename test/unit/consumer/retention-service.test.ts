// Retention sweeps with a fake clock: age and size limits, every topic, in batches, consumer
// groups moved past deleted messages, and the timer-driven background sweep.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, type BrokerConfig } from '../../../src/config.js';
import { RetentionService } from '../../../src/consumer/retention-service.js';
import { silentLogger } from '../../../src/logger.js';
import { LevelStore } from '../../../src/store/level/index.js';
import { FakeClock } from '../../../src/util/clock.js';
import { makeMessage } from '../store/contract/index.js';

const HOUR = 3_600_000;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(overrides: Partial<BrokerConfig> = {}, batchSize = 1000) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-retention-'));
  const store = new LevelStore({ path: dir, clock, durable: false });
  await store.open();
  const config = { ...DEFAULT_CONFIG, ...overrides };
  const retention = new RetentionService({ store, config, clock, log: silentLogger(), brokerId: 'broker-1', batchSize });
  cleanup = async () => {
    await retention.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  const topic = async (name: string, count: number, body = 'x') => {
    await store.createTopic({ name, messageType: 'NORMAL', queueCount: 1 });
    await store.append(
      name,
      0,
      Array.from({ length: count }, () => makeMessage(name, { body: Buffer.from(body) })),
    );
  };
  return { clock, store, retention, topic };
}

describe('RetentionService', () => {
  it('deletes messages older than retentionMs in every topic, in batches, and moves lagging groups forward', async () => {
    const h = await setup({}, 7);
    await h.topic('A', 20);
    await h.topic('B', 3);
    const before = await h.store.receive({
      group: 'slow',
      topic: 'A',
      filter: { kind: 'all' },
      maxMessages: 2,
      invisibleDurationMs: 100 * HOUR,
      maxDeliveryAttempts: 16,
      fifo: false,
    });
    h.clock.advance(72 * HOUR - 1);
    await h.store.append('A', 0, [makeMessage('A', { body: Buffer.from('young') })]);
    expect(await h.retention.sweep()).toBe(0);
    h.clock.advance(1);
    expect(await h.retention.sweep()).toBe(23);
    expect((await h.store.read('A', 0, 0, 100)).map((m) => m.body.toString())).toEqual(['young']);
    expect(await h.store.read('B', 0, 0, 100)).toEqual([]);
    expect(await h.store.groupStats('slow')).toEqual([{ group: 'slow', topic: 'A', consumedOffset: 20, lag: 1, inFlight: 0 }]);
    expect(await h.store.ack('slow', 'A', before.deliveries[0]!.receiptHandle)).toBe('stale');
  });

  it('with retentionBytes, keeps each queue within its size (0 = unlimited)', async () => {
    const unlimited = await setup({ retentionBytes: 0 });
    await unlimited.topic('A', 50, 'y'.repeat(1000));
    expect(await unlimited.retention.sweep()).toBe(0);
    await cleanup?.();

    const h = await setup({ retentionBytes: 10_000 });
    await h.topic('A', 50, 'y'.repeat(1000));
    const deleted = await h.retention.sweep();
    expect(deleted).toBeGreaterThanOrEqual(40);
    expect(deleted).toBeLessThanOrEqual(42);
    const [stats] = await h.store.queueStats('A');
    expect(stats!.maxOffset).toBe(50);
    expect(stats!.minOffset).toBe(deleted);
  });

  it('sweeps in the background every retentionCheckIntervalMs', async () => {
    const h = await setup({ retentionMs: 60_000, retentionCheckIntervalMs: 10_000 });
    await h.topic('A', 5);
    h.retention.start();
    /** Moves the clock one interval and waits until that sweep finished (the timer is re-armed). */
    const interval = async (): Promise<void> => {
      h.clock.advance(10_000);
      await vi.waitFor(() => expect(h.clock.pendingTimers()).toBe(1));
    };
    for (let i = 0; i < 5; i++) await interval();
    expect(await h.store.read('A', 0, 0, 10)).toHaveLength(5); // 50 s old: kept
    await interval();
    expect(await h.store.read('A', 0, 0, 10)).toEqual([]); // 60 s old: deleted
    await h.store.append('A', 0, [makeMessage('A')]);
    for (let i = 0; i < 5; i++) await interval();
    expect(await h.store.read('A', 0, 0, 10)).toHaveLength(1);
    await interval();
    expect((await h.store.queueStats('A'))[0]).toEqual({ topic: 'A', queueId: 0, minOffset: 6, maxOffset: 6 });
  });
});
