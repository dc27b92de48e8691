// Measures orphaned-transaction check dispatch: with 100k pending transactions all due, how many
// checks per second a CheckScheduler (default batch size = the default per-tick rate limit)
// claims and pushes to a live producer session (SessionRegistry attach, clientType PRODUCER,
// topic registered, an in-memory sink counting checks) until every transaction got its first
// check; and what a tick costs when nothing is due (µs) with those 100k pending — before any
// claim, and right after the dispatch — next to a store with almost nothing pending: tick cost
// should follow due work, not the pending count.
//
// Setup writes the transactions straight into a LevelStore with putHalf (concurrent, group-
// committed) and durable: false for speed. The main dispatch runs durable: false too (--durable
// true to change it), and a separate, smaller durable sample (--durable-sample) shows what
// fsyncing the claims costs (a tick's claims run concurrently and share group commits). Ticks run back to back
// (scheduler.tick()), so the rate is the scheduler's capacity; a broker paces ticks every
// transactionCheckTickMs (--timer runs the real timer loop). transactionCheckIntervalMs is raised
// to 1 h so nothing comes due twice; idle ticks run with the clock shifted 2 h back (nothing due).
//
//   node --import tsx scripts/bench/check-dispatch.ts [--quick] [--pending 100000]
//     [--durable false] [--durable-sample 5000] [--timer] [--max-seconds 45] [--idle-ticks 2000]
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { resolveConfig, type BrokerConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { SessionRegistry, type CommandSink } from '../../src/session/session-registry.js';
import { LevelStore } from '../../src/store/level/index.js';
import type { MessageInput } from '../../src/domain/messages.js';
import type { HalfMessage } from '../../src/domain/transactions.js';
import { CheckScheduler } from '../../src/transaction/check-scheduler.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/util/clock.js';
import {
  boolFlag,
  consoleLog,
  f0,
  f1,
  isMain,
  numFlag,
  parseFlags,
  printTable,
  sleep,
  Samples,
  withTempDir,
  type BenchOutcome,
  type Flags,
  type LatencySummary,
  type Log,
  type SummaryRow,
} from './common.js';

export interface CheckBenchOptions {
  pending: number;
  /** putHalf calls in flight during setup. */
  setupConcurrency: number;
  bodyBytes: number;
  /** Durability of the store during the main dispatch (setup is always non-durable). */
  durable: boolean;
  /** Size of the separate durable dispatch sample (0 skips it). */
  durableSample: number;
  /** Real scheduler timer (start()) instead of back-to-back tick() calls. */
  timer: boolean;
  /** Stop dispatching after this long even if not every transaction got its check. */
  maxSeconds: number;
  idleTicks: number;
  /** Pending transactions of the small-store idle baseline. */
  baselinePending: number;
}

export const CHECK_DEFAULTS: CheckBenchOptions = {
  pending: 100_000,
  setupConcurrency: 1000,
  bodyBytes: 1024,
  durable: false,
  durableSample: 5_000,
  timer: false,
  maxSeconds: 45,
  idleTicks: 2000,
  baselinePending: 100,
};

export const CHECK_QUICK: Partial<CheckBenchOptions> = { pending: 2_000, durableSample: 500, idleTicks: 200, maxSeconds: 20, baselinePending: 10 };

export function checkOptions(flags: Flags): CheckBenchOptions {
  const base = { ...CHECK_DEFAULTS, ...(flags.quick ? CHECK_QUICK : {}) };
  return {
    pending: numFlag(flags, 'pending', base.pending),
    setupConcurrency: numFlag(flags, 'setup-concurrency', base.setupConcurrency),
    bodyBytes: numFlag(flags, 'body', base.bodyBytes),
    durable: boolFlag(flags, 'durable', base.durable),
    durableSample: numFlag(flags, 'durable-sample', base.durableSample),
    timer: Boolean(flags.timer) || base.timer,
    maxSeconds: numFlag(flags, 'max-seconds', base.maxSeconds),
    idleTicks: numFlag(flags, 'idle-ticks', base.idleTicks),
    baselinePending: numFlag(flags, 'baseline-pending', base.baselinePending),
  };
}

export interface DispatchResult {
  pending: number;
  durable: boolean;
  /** Transactions that got their first check. */
  firstChecks: number;
  checksSent: number;
  dispatchMs: number;
  checksPerSec: number;
  /** Ticks that claimed something, and their duration (back-to-back mode only). */
  busyTicks: LatencySummary;
  /** Tick time per check dispatched, µs (back-to-back mode only). */
  usPerCheck: number;
  writeBatches: number;
}

export interface CheckBenchData {
  options: CheckBenchOptions;
  batchSize: number;
  tickMs: number;
  setupPerSec: number;
  reopenMs: number;
  dispatch: DispatchResult;
  durableSample?: DispatchResult;
  /** Idle tick (nothing due) with `pending` pending, before any was claimed. */
  idleTick: LatencySummary;
  /** Idle tick with `pending` pending right after the dispatch (index full of replaced entries). */
  idleTickAfterDispatch: LatencySummary;
  /** The same after a store reopen. */
  idleTickReopened: LatencySummary;
  /** Idle tick over a store with only `baselinePending` pending. */
  idleTickBaseline: LatencySummary;
}

const GROUP_TOPIC = 'BenchCheck';
const PRODUCER = 'bench-check-producer';
const HOUR = 3_600_000;

/** The system clock, shiftable: two hours back, every transaction of the run is not yet due. */
class ShiftClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  setTimer(fn: () => void, delayMs: number): TimerHandle {
    return systemClock.setTimer(fn, delayMs);
  }
}

function benchConfig(): BrokerConfig {
  // Defaults (batch size, check max, tick) except: no restart jitter, a 1 h check interval.
  // No rate limit either: back-to-back ticks measure the scheduler's capacity (with the default
  // transactionCheckMaxPerSecond a tick that finds the allowance used up dispatches nothing).
  return resolveConfig({
    env: {},
    overrides: { transactionCheckIntervalMs: HOUR, transactionRestartJitterMs: 0, transactionCheckMaxPerSecond: 1_000_000_000, httpEnabled: false },
  });
}

/** Writes `count` pending transactions, all due one second ago. */
async function populate(store: LevelStore, count: number, concurrency: number, body: Buffer): Promise<number> {
  const started = performance.now();
  const now = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const id = `BENCHTX${i.toString(16).toUpperCase().padStart(12, '0')}`;
      const message: MessageInput = {
        topic: GROUP_TOPIC,
        messageId: id,
        messageType: 'TRANSACTION',
        body,
        keys: [],
        userProperties: { n: String(i) },
        bornTimestampMs: now - 10_000,
        bornHost: 'bench',
      };
      // Due a second ago: every transaction is due at the first tick.
      await store.putHalf({ transactionId: id, message, producerGroup: GROUP_TOPIC, senderClientId: PRODUCER, budget: 'checks' }, -1_000);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return (count / (performance.now() - started)) * 1000;
}

interface Harness {
  scheduler: CheckScheduler;
  counts: { checks: number; first: number };
}

/** A CheckScheduler over the store with one live producer session whose sink counts checks. */
function harness(store: LevelStore, config: BrokerConfig, clock: Clock): Harness {
  const sessions = new SessionRegistry(store.events);
  const counts = { checks: 0, first: 0 };
  const sink: CommandSink = {
    sendTransactionCheck(half: HalfMessage): boolean {
      counts.checks++;
      if (half.checkCount === 1) counts.first++;
      return true;
    },
  };
  const session = sessions.attach(PRODUCER, sink, clock.now());
  session.clientType = 'PRODUCER';
  session.topics.add(GROUP_TOPIC);
  const scheduler = new CheckScheduler({ store, sessions, config, clock, log: silentLogger() });
  return { scheduler, counts };
}

/** Ticks with the clock two hours back (nothing due); fails if anything was dispatched. */
async function idleTicks(h: Harness, clock: ShiftClock, n: number): Promise<LatencySummary> {
  clock.offsetMs = -2 * HOUR;
  try {
    const before = h.counts.checks;
    const samples = new Samples();
    for (let i = 0; i < Math.min(50, n); i++) await h.scheduler.tick(); // warm-up
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await h.scheduler.tick();
      samples.push(performance.now() - t0);
    }
    if (h.counts.checks !== before) throw new Error(`idle ticks dispatched ${h.counts.checks - before} checks: something was due`);
    return samples.summary();
  } finally {
    clock.offsetMs = 0;
  }
}

/** Ticks (back to back, or the real timer loop) until every pending transaction got a first check. */
async function dispatchAll(h: Harness, store: LevelStore, pending: number, o: CheckBenchOptions, durable: boolean): Promise<DispatchResult> {
  const batches0 = store.writeStats.batches;
  const busy = new Samples();
  const deadline = performance.now() + o.maxSeconds * 1000;
  const t0 = performance.now();
  if (o.timer) {
    h.scheduler.start();
    while (h.counts.first < pending && performance.now() < deadline) await sleep(5);
    await h.scheduler.close();
  } else {
    while (h.counts.first < pending && performance.now() < deadline) {
      const before = h.counts.checks;
      const s = performance.now();
      await h.scheduler.tick();
      if (h.counts.checks === before) throw new Error('a tick dispatched nothing although transactions are due');
      busy.push(performance.now() - s);
    }
  }
  const dispatchMs = performance.now() - t0;
  const busyTicks = busy.summary();
  return {
    pending,
    durable,
    firstChecks: h.counts.first,
    checksSent: h.counts.checks,
    dispatchMs,
    checksPerSec: (h.counts.first / dispatchMs) * 1000,
    busyTicks,
    usPerCheck: o.timer ? 0 : (busyTicks.meanMs * busyTicks.count * 1000) / Math.max(1, h.counts.checks),
    writeBatches: store.writeStats.batches - batches0,
  };
}

async function openStore(path: string, durable: boolean, clock: Clock): Promise<LevelStore> {
  const store = new LevelStore({ path, clock, durable });
  await store.open();
  return store;
}

/** A fresh store with `count` due transactions written non-durably, reopened with `durable`. */
async function preparedStore(dir: string, count: number, o: CheckBenchOptions, body: Buffer, durable: boolean, clock: Clock) {
  const setup = await openStore(dir, false, clock);
  await setup.createTopic({ name: GROUP_TOPIC, messageType: 'TRANSACTION', queueCount: 1 });
  const setupPerSec = await populate(setup, count, o.setupConcurrency, body);
  await setup.close();
  const r0 = performance.now();
  const store = await openStore(dir, durable, clock);
  const reopenMs = performance.now() - r0;
  const { pending } = await store.transactionCounters();
  if (pending !== count) {
    await store.close();
    throw new Error(`expected ${count} pending transactions, the store has ${pending}`);
  }
  return { store, setupPerSec, reopenMs };
}

function dispatchLine(d: DispatchResult, batchSize: number): string {
  const ticks =
    d.busyTicks.count > 0
      ? `; ${d.busyTicks.count} ticks of ≤${batchSize}: mean ${f1(d.busyTicks.meanMs)} ms, p99 ${f1(d.busyTicks.p99Ms)} ms (${f1(d.usPerCheck)} µs per check)`
      : '';
  return (
    `${f0(d.firstChecks)}/${f0(d.pending)} first checks in ${f1(d.dispatchMs / 1000)} s = ${f0(d.checksPerSec)} checks/s${ticks}; ` +
    `${f0(d.writeBatches)} write batches${d.durable ? ' (each fsynced)' : ''}`
  );
}

export async function runCheckDispatch(options: Partial<CheckBenchOptions> = {}, log: Log = consoleLog): Promise<BenchOutcome<CheckBenchData>> {
  const o: CheckBenchOptions = { ...CHECK_DEFAULTS, ...options };
  const config = benchConfig();
  const clock = new ShiftClock();
  const body = randomBytes(o.bodyBytes);
  const mode = o.timer ? `real timer (tick ${config.transactionCheckTickMs} ms)` : 'back-to-back ticks';
  log(`check-dispatch: ${f0(o.pending)} pending transactions, all due; default batch size ${config.transactionCheckBatchSize}; ${mode}; setup non-durable`);

  // Durable sample: what fsyncing the claims costs.
  let durableSample: DispatchResult | undefined;
  if (o.durableSample > 0 && !o.durable) {
    durableSample = await withTempDir('halfmoon-bench-check-', async (dir) => {
      const { store } = await preparedStore(dir, o.durableSample, o, body, true, clock);
      try {
        return await dispatchAll(harness(store, config, clock), store, o.durableSample, o, true);
      } finally {
        await store.close();
      }
    });
    log(`  durable sample: ${dispatchLine(durableSample, config.transactionCheckBatchSize)}`);
  }

  return withTempDir('halfmoon-bench-check-', async (dir) => {
    const prepared = await preparedStore(dir, o.pending, o, body, o.durable, clock);
    let store = prepared.store;
    log(`  setup: ${f0(prepared.setupPerSec)} putHalf/s (non-durable); reopen with ${f0(o.pending)} pending: ${f0(prepared.reopenMs)} ms`);
    try {
      const h = harness(store, config, clock);
      const idleTick = await idleTicks(h, clock, o.idleTicks);
      const dispatch = await dispatchAll(h, store, o.pending, o, o.durable);
      log(`  dispatch (durable=${o.durable}): ${dispatchLine(dispatch, config.transactionCheckBatchSize)}`);
      if (!o.timer) {
        const paced = (config.transactionCheckBatchSize / (config.transactionCheckTickMs + dispatch.busyTicks.meanMs)) * 1000;
        log(`  paced by the default ${config.transactionCheckTickMs} ms tick, that is at most ~${f0(paced)} checks/s per producer group`);
      }
      const idleTickAfterDispatch = await idleTicks(h, clock, o.idleTicks);
      await store.close();
      store = await openStore(dir, o.durable, clock);
      const idleTickReopened = await idleTicks(harness(store, config, clock), clock, o.idleTicks);
      // Idle baseline: a store with almost nothing pending (measured last, with warm code).
      const idleTickBaseline = await withTempDir('halfmoon-bench-check-', async (smallDir) => {
        const small = (await preparedStore(smallDir, o.baselinePending, o, body, o.durable, clock)).store;
        try {
          return await idleTicks(harness(small, config, clock), clock, o.idleTicks);
        } finally {
          await small.close();
        }
      });
      const us = (s: LatencySummary): string => `mean ${f1(s.meanMs * 1000)} µs, p50 ${f1(s.p50Ms * 1000)} µs, p99 ${f1(s.p99Ms * 1000)} µs`;
      log(`  idle tick, ${f0(o.pending)} pending, none claimed yet: ${us(idleTick)}`);
      log(`  idle tick, ${f0(o.pending)} pending, after dispatch:   ${us(idleTickAfterDispatch)}`);
      log(`  idle tick, ${f0(o.pending)} pending, after reopen:     ${us(idleTickReopened)}`);
      log(`  idle tick, ${f0(o.baselinePending)} pending (baseline):    ${us(idleTickBaseline)}`);

      const data: CheckBenchData = {
        options: o,
        batchSize: config.transactionCheckBatchSize,
        tickMs: config.transactionCheckTickMs,
        setupPerSec: prepared.setupPerSec,
        reopenMs: prepared.reopenMs,
        dispatch,
        idleTick,
        idleTickAfterDispatch,
        idleTickReopened,
        idleTickBaseline,
      };
      if (durableSample) data.durableSample = durableSample;
      const rows: SummaryRow[] = [
        { bench: 'check', metric: `checks/s, ${f0(dispatch.firstChecks)}/${f0(o.pending)} (durable=${o.durable})`, value: f0(dispatch.checksPerSec) },
      ];
      if (durableSample) rows.push({ bench: 'check', metric: `checks/s, ${f0(durableSample.firstChecks)} sample (durable)`, value: f0(durableSample.checksPerSec) });
      if (!o.timer) rows.push({ bench: 'check', metric: `tick of ${config.transactionCheckBatchSize} due (mean)`, value: `${f1(dispatch.busyTicks.meanMs)} ms` });
      rows.push(
        { bench: 'check', metric: `idle tick, ${f0(o.pending)} pending`, value: `${f1(idleTick.meanMs * 1000)} µs` },
        { bench: 'check', metric: `idle tick, ${f0(o.pending)} pending, after dispatch`, value: `${f1(idleTickAfterDispatch.meanMs * 1000)} µs` },
        { bench: 'check', metric: `idle tick, ${f0(o.baselinePending)} pending`, value: `${f1(idleTickBaseline.meanMs * 1000)} µs` },
      );
      return { name: 'check', rows, data };
    } finally {
      await store.close();
    }
  });
}

if (isMain(import.meta.url)) {
  const { flags } = parseFlags(process.argv.slice(2));
  const outcome = await runCheckDispatch(checkOptions(flags));
  consoleLog('');
  printTable(outcome.rows);
}
