// The one background-task runtime with a fake clock: passes at the interval (and sooner when a
// pass asks), kicks (one more pass right after a running one), close (awaits the pass, stops,
// gives the lease up), the error policy (logged with the task name, counted, never stops the
// task) and store leases (a pass is skipped while another broker holds it; taken over after the TTL).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { PeriodicTask, type PassFunction, type PeriodicTaskOptions } from '../../../src/runtime/periodic-task.js';
import type { LeaseStore } from '../../../src/store/broker-store.js';
import { LevelStore } from '../../../src/store/level/index.js';
import { FakeClock } from '../../../src/util/clock.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Lets pending promise callbacks (a pass started by a timer) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function task(clock: FakeClock, run: PassFunction, over: Partial<PeriodicTaskOptions> = {}): PeriodicTask {
  const t = new PeriodicTask({ name: 'test-task', clock, log: silentLogger(), intervalMs: 1000, run, ...over });
  cleanups.push(() => t.close());
  return t;
}

async function levelStore(clock: FakeClock): Promise<LevelStore> {
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-task-'));
  const store = new LevelStore({ path: dir, clock, durable: false });
  await store.open();
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

describe('PeriodicTask: timing', () => {
  it('runs a pass every intervalMs after the previous one, the first one intervalMs after start', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const t = task(clock, () => void runs++);
    t.start();
    clock.advance(999);
    await settle();
    expect(runs).toBe(0);
    for (let i = 1; i <= 3; i++) {
      clock.advance(1);
      await settle();
      expect(runs).toBe(i);
      clock.advance(999);
      await settle();
      expect(runs).toBe(i);
    }
    expect(clock.pendingTimers()).toBe(1);
  });

  it('honours initialDelayMs and a shorter next delay a pass asks for, capped by the interval', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const asks = [50, 5000, undefined];
    const start = clock.now();
    const t = task(clock, () => (at.push(clock.now() - start), asks.shift()), { initialDelayMs: 0 });
    t.start();
    t.start(); // idempotent
    for (let i = 0; i < 50; i++) {
      clock.advance(50);
      await settle();
    }
    // at once (initial delay 0), then 50 after that pass (asked), then 1000 (asked 5000,
    // capped), then 1000 (asked nothing). A pass's delay counts from its end.
    expect(at.slice(0, 4)).toEqual([0, 100, 1100, 2100]);
  });

  it('a kick runs a pass at once, and a kick within a time brings the next pass forward', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const t = task(clock, () => void runs++, { intervalMs: 60_000 });
    t.kick(); // not started: ignored
    clock.advance(0);
    await settle();
    expect(runs).toBe(0);
    t.start();
    t.kick();
    clock.advance(0);
    await settle();
    expect(runs).toBe(1);
    t.kick(300);
    t.kick(5000); // later than the armed pass: changes nothing
    clock.advance(299);
    await settle();
    expect(runs).toBe(1);
    clock.advance(1);
    await settle();
    expect(runs).toBe(2);
  });

  it('a kick during a pass runs exactly one more pass right after it', async () => {
    const clock = new FakeClock();
    const gates: ReturnType<typeof deferred>[] = [];
    const t = task(clock, async () => {
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
    });
    t.start();
    clock.advance(1000);
    await settle();
    expect(gates).toHaveLength(1);
    t.kick();
    t.kick();
    t.kick();
    gates[0]!.resolve();
    await settle();
    clock.advance(0);
    await settle();
    expect(gates).toHaveLength(2); // one more, not three
    gates[1]!.resolve();
    await settle();
    clock.advance(999);
    await settle();
    expect(gates).toHaveLength(2); // and then back to the interval
    clock.advance(1);
    await settle();
    expect(gates).toHaveLength(3);
    gates[2]!.resolve();
  });

  it('tick() runs a pass now, after the one in progress, and reports its outcome', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const gate = deferred();
    let first = true;
    const t = task(clock, async () => {
      if (first) {
        first = false;
        order.push('timer pass starts');
        await gate.promise;
        order.push('timer pass ends');
        return;
      }
      order.push('tick pass');
    });
    t.start();
    clock.advance(1000);
    await settle();
    const ticked = t.tick();
    await settle();
    expect(order).toEqual(['timer pass starts']);
    gate.resolve();
    expect(await ticked).toBe('ran');
    expect(order).toEqual(['timer pass starts', 'timer pass ends', 'tick pass']);
  });
});

describe('PeriodicTask: close', () => {
  it('awaits the pass in progress (whose signal aborts) and stops for good', async () => {
    const clock = new FakeClock();
    const gate = deferred();
    let runs = 0;
    let abortedDuringPass = false;
    const t = task(clock, async (signal) => {
      runs++;
      await gate.promise;
      abortedDuringPass = signal.aborted;
    });
    t.start();
    clock.advance(1000);
    await settle();
    expect(runs).toBe(1);
    let closed = false;
    const closing = t.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    expect(t.closing).toBe(true);
    gate.resolve();
    await closing;
    expect(abortedDuringPass).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    t.start();
    t.kick();
    clock.advance(10_000);
    await settle();
    expect(runs).toBe(1);
    expect(await t.tick()).toBe('closed');
    await t.close(); // idempotent
  });
});

describe('PeriodicTask: error policy', () => {
  it('logs a failing pass with the task name, counts failures in a row, and keeps running at the interval', async () => {
    const clock = new FakeClock();
    const lines: { task?: string; msg?: string; consecutiveFailures?: number; err?: { message?: string } }[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const results: (() => Promise<void> | void)[] = [
      () => {
        throw new Error('sync boom');
      },
      () => Promise.reject(new Error('async boom')),
      () => undefined,
      () => Promise.reject(new Error('again')),
    ];
    let runs = 0;
    const t = task(clock, () => results[runs++]?.(), { name: 'flaky', log });
    t.start();
    const failuresAfterEachPass: number[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await settle();
      failuresAfterEachPass.push(t.consecutiveFailures);
    }
    expect(runs).toBe(5);
    expect(failuresAfterEachPass).toEqual([1, 2, 0, 1, 0]);
    expect(lines.map((l) => [l.task, l.err?.message, l.consecutiveFailures])).toEqual([
      ['flaky', 'sync boom', 1],
      ['flaky', 'async boom', 2],
      ['flaky', 'again', 1],
    ]);
    expect(lines[0]!.msg).toContain('flaky');
    expect(clock.pendingTimers()).toBe(1);
  });
});

describe('PeriodicTask: lease', () => {
  it('skips the pass while another broker holds the lease and takes it over once its TTL ran out', async () => {
    const clock = new FakeClock();
    const store = await levelStore(clock);
    const runs: string[] = [];
    const broker = (holder: string) => task(clock, () => void runs.push(holder), { name: 'sweep', lease: { store, name: 'sweep', holder, ttlMs: 5000 } });
    const a = broker('broker-a');
    const b = broker('broker-b');
    expect(await a.tick()).toBe('ran');
    expect(await b.tick()).toBe('not-leased');
    clock.advance(4999); // a stops renewing (as if it crashed)
    expect(await b.tick()).toBe('not-leased');
    clock.advance(1);
    expect(await b.tick()).toBe('ran');
    expect(await a.tick()).toBe('not-leased'); // b holds it now, renewed by each pass
    clock.advance(4000);
    expect(await b.tick()).toBe('ran');
    clock.advance(4000);
    expect(await a.tick()).toBe('not-leased');
    expect(runs).toEqual(['broker-a', 'broker-b', 'broker-b']);
    expect(a.consecutiveFailures).toBe(0); // a skipped pass is not a failure
  });

  it('gives the lease up on close, so another broker takes over at once', async () => {
    const clock = new FakeClock();
    const store = await levelStore(clock);
    const lease = (holder: string) => ({ store, name: 'sweep', holder, ttlMs: 60_000 });
    const a = task(clock, () => undefined, { lease: lease('broker-a') });
    const b = task(clock, () => undefined, { lease: lease('broker-b') });
    a.start();
    b.start();
    clock.advance(1000);
    await settle();
    expect(await b.tick()).toBe('not-leased');
    await a.close();
    expect(await b.tick()).toBe('ran');
  });

  it('counts a failing lease call as a failed pass, without running it, and keeps going', async () => {
    const clock = new FakeClock();
    const store = await levelStore(clock);
    let calls = 0;
    const flaky: LeaseStore = {
      tryLease: (name, holder, ttlMs) => (++calls === 1 ? Promise.reject(new Error('store unreachable')) : store.tryLease(name, holder, ttlMs)),
      releaseLease: (name, holder) => store.releaseLease(name, holder),
    };
    const run = vi.fn();
    const t = task(clock, run, { lease: { store: flaky, name: 'sweep', holder: 'broker-a', ttlMs: 5000 } });
    t.start();
    clock.advance(1000);
    await settle();
    expect(run).not.toHaveBeenCalled();
    expect(t.consecutiveFailures).toBe(1);
    clock.advance(1000);
    await settle();
    expect(run).toHaveBeenCalledTimes(1);
    expect(t.consecutiveFailures).toBe(0);
  });
});
