// DELAY delivery with a fake clock over a real LevelStore: a scheduled message reaches its
// topic's log at its delivery time (not before, within one poll after), a store call that fails
// once does not stop DELAY delivery, and only the broker holding the lease promotes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config.js';
import { silentLogger } from '../../../src/logger.js';
import { DelayService } from '../../../src/producer/delay-service.js';
import { LevelStore, type LevelStoreOptions } from '../../../src/store/level/index.js';
import { FakeClock } from '../../../src/util/clock.js';
import { makeMessage } from '../store/contract/index.js';

const T = 'Reminders';
const POLL = 200;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type FlakyCall = 'promoteDueScheduled' | 'nextScheduledInMs';

/** A real LevelStore whose first call of one method fails (a disk or network hiccup). */
class FlakyStore extends LevelStore {
  failed = 0;
  promoteCalls = 0;
  constructor(
    options: LevelStoreOptions,
    private readonly flaky?: FlakyCall,
  ) {
    super(options);
  }

  override async promoteDueScheduled(limit: number): Promise<number> {
    this.promoteCalls++;
    this.hiccup('promoteDueScheduled');
    return super.promoteDueScheduled(limit);
  }

  override async nextScheduledInMs(): Promise<number | undefined> {
    this.hiccup('nextScheduledInMs');
    return super.nextScheduledInMs();
  }

  private hiccup(call: FlakyCall): void {
    if (call === this.flaky && this.failed++ === 0) throw new Error(`${call}: simulated I/O error`);
  }
}

async function setup(flaky?: FlakyCall) {
  const clock = new FakeClock();
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-delay-'));
  const store = new FlakyStore({ path: dir, clock, durable: false }, flaky);
  await store.open();
  await store.createTopic({ name: T, messageType: 'DELAY', queueCount: 1 });
  const config = { ...DEFAULT_CONFIG, delayPollMs: POLL };
  const service = (brokerId: string): DelayService => {
    const s = new DelayService({ store, config, clock, log: silentLogger(), brokerId });
    cleanups.push(() => s.close());
    return s;
  };
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  /** Moves the clock and waits until the pass that fell due (if any) re-armed its timer. */
  const step = async (ms: number, timers = 1): Promise<void> => {
    clock.advance(ms);
    await vi.waitFor(() => expect(clock.pendingTimers()).toBe(timers));
  };
  /** Schedules a DELAY message as SendService does: store it, then tell the service. */
  const scheduleIn = async (delays: DelayService, inMs: number, body: string): Promise<void> => {
    const at = clock.now() + inMs;
    await store.schedule(T, 0, [makeMessage(T, { messageType: 'DELAY', deliveryTimestampMs: at, body: Buffer.from(body) })]);
    delays.scheduled(at);
  };
  const delivered = async (): Promise<string[]> => (await store.read(T, 0, 0, 100)).map((m) => m.body.toString());
  return { clock, store, service, step, scheduleIn, delivered };
}

describe('DelayService', () => {
  it('delivers a scheduled message at its delivery time, not before', async () => {
    const h = await setup();
    const delays = h.service('broker-1');
    delays.start();
    await h.step(0);
    await h.scheduleIn(delays, 1000, 'soon');
    for (let t = 0; t < 800; t += POLL) await h.step(POLL);
    await h.step(199);
    expect(await h.delivered()).toEqual([]);
    await h.step(1);
    expect(await h.delivered()).toEqual(['soon']);
  });

  it.each(['promoteDueScheduled', 'nextScheduledInMs'] as const)('keeps delivering after %s failed once', async (call) => {
    const h = await setup(call);
    const delays = h.service('broker-1');
    delays.start();
    await h.step(0); // the first pass fails
    expect(h.store.failed).toBe(1);
    await h.scheduleIn(delays, 5000, 'later');
    for (let t = 0; t < 4800; t += POLL) await h.step(POLL);
    expect(await h.delivered()).toEqual([]);
    for (let t = 0; t < 400; t += POLL) await h.step(POLL);
    expect(await h.delivered()).toEqual(['later']);
  });

  it('promotes on one broker at a time: the other takes over once the holder is gone', async () => {
    const h = await setup();
    const first = h.service('broker-1');
    const second = h.service('broker-2');
    first.start();
    second.start();
    await h.step(0, 2);
    await h.scheduleIn(first, 1000, 'one');
    const calls = h.store.promoteCalls;
    for (let t = 0; t < 1000; t += POLL) await h.step(POLL, 2);
    expect(await h.delivered()).toEqual(['one']);
    expect(h.store.promoteCalls - calls).toBe(5); // five passes each, only broker-1's promoted
    await first.close(); // gives the lease up
    await h.scheduleIn(second, 1000, 'two');
    for (let t = 0; t < 1000; t += POLL) await h.step(POLL);
    expect(await h.delivered()).toEqual(['one', 'two']);
  });
});
