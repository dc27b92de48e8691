// Halfmoon-only scale figures of the peers benchmark, against a real `halfmoon start` process:
// start time and idle RSS on an empty data dir; then, per size (100k, and 1M unless --quick),
// a data dir holding that many pending transactions (written straight into a LevelStore with
// putHalf, non-durably, all already due), its start time, broker RSS, and the check dispatch once
// a producer (lean client, Telemetry stream, counting only) attaches: checks per second and the
// delay from attach (when the overdue transactions become deliverable) to the first check, the
// time until the last one and the highest RSS while they went out; then
// the restart time on that data dir. Dispatch watching is bounded in time.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LevelStore } from '../../../src/store/level/index.js';
import { systemClock } from '../../../src/util/clock.js';
import type { MessageInput } from '../../../src/domain/messages.js';
import { removeDir, startHalfmoon, type RunningBroker } from './brokers.js';
import { runLoadTask } from './fork-load.js';
import { sampleTree } from './proc.js';

export interface IdleFigures {
  startMs: number;
  idleRssMiB: number;
}

export interface PendingFigures {
  pending: number;
  populateSeconds: number;
  startMs: number;
  rssMiB: number;
  checksSeen: number;
  checksPerSec: number;
  firstCheckDelayMs: number;
  /** RSS after the dispatch. */
  rssAfterMiB: number;
  /** Highest RSS sampled (every 250 ms) while the checks went out. */
  rssPeakMiB: number;
  /** Highest anonymous RSS sampled (RssAnon: heaps, memtables; the rest of the RSS is file pages, mostly LevelDB's mapped tables). */
  rssAnonPeakMiB: number;
  /** From the producer attaching to the last check seen (all of them when checksSeen = pending). */
  allChecksSeconds: number;
  /** Broker CPU (all threads of its process tree) per check seen while the checks went out, µs. */
  brokerUsPerCheck: number;
  restartMs: number;
  watchSeconds: number;
}

const TOPIC = 'BenchPending';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (b: number): number => b / 1024 / 1024;

// Nothing is checked twice during a run; overdue checks after the (re)start are not spread out.
export const SCALE_FLAGS = ['--transaction-check-interval-ms', '3600000', '--transaction-restart-jitter-ms', '0'];

export async function idleFigures(scratch: string): Promise<IdleFigures> {
  const dir = join(scratch, 'idle');
  const b = await startHalfmoon({ dir });
  try {
    await sleep(2_000);
    return { startMs: b.startMs, idleRssMiB: mib(sampleTree(b.pid).rssBytes) };
  } finally {
    await b.stop();
    removeDir(dir);
  }
}

async function populate(path: string, count: number): Promise<number> {
  const t0 = performance.now();
  const store = new LevelStore({ path, clock: systemClock, durable: false });
  await store.open();
  try {
    await store.createTopic({ name: TOPIC, messageType: 'TRANSACTION', queueCount: 1 });
    const body = Buffer.alloc(1024, 0x62);
    const now = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        const id = `PENDTX${i.toString(16).toUpperCase().padStart(14, '0')}`;
        const message: MessageInput = {
          topic: TOPIC,
          messageId: id,
          messageType: 'TRANSACTION',
          body,
          keys: [],
          userProperties: {},
          bornTimestampMs: now - 10_000,
          bornHost: 'bench',
        };
        await store.putHalf({ transactionId: id, message, producerGroup: TOPIC, senderClientId: 'bench-pending-producer', budget: 'checks' }, -1_000);
      }
    };
    await Promise.all(Array.from({ length: Math.min(1000, count) }, worker));
  } finally {
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}

export async function pendingFigures(scratch: string, pending: number, watchSeconds: number): Promise<PendingFigures> {
  const dir = join(scratch, `pending-${pending}`);
  const populateSeconds = await populate(join(dir, 'data'), pending);
  let b: RunningBroker | undefined = await startHalfmoon({ dir, flags: SCALE_FLAGS });
  const startMs = b.startMs;
  try {
    await sleep(1_000);
    const rssMiB = mib(sampleTree(b.pid).rssBytes);
    let rssPeak = 0;
    let anonPeak = 0;
    const pid = b.pid;
    const sample = (): void => {
      const s = sampleTree(pid);
      rssPeak = Math.max(rssPeak, s.rssBytes);
      anonPeak = Math.max(anonPeak, s.rssAnonBytes);
    };
    sample();
    const cpu0 = sampleTree(pid).cpuS;
    const sampler = setInterval(sample, 250);
    const out = await runLoadTask({
      op: 'watch-checks',
      target: { config: 'halfmoon', endpoint: b.endpoint, name: TOPIC, mode: 'tx', prefetch: 0, ackBatch: 1, answerChecks: false },
      n: pending,
      timeoutMs: watchSeconds * 1000,
    }).finally(() => clearInterval(sampler));
    const cpuS = sampleTree(pid).cpuS - cpu0;
    const x = out.extra;
    const checks = x.checks ?? 0;
    const span = ((x.lastCheckWall ?? 0) - (x.firstCheckWall ?? 0)) / 1000;
    const rssAfterMiB = mib(sampleTree(b.pid).rssBytes);
    const port = b.port;
    await b.stop();
    b = await startHalfmoon({ dir, flags: SCALE_FLAGS, port });
    const restartMs = b.startMs;
    return {
      pending,
      populateSeconds,
      startMs,
      rssMiB,
      checksSeen: checks,
      checksPerSec: span > 0 ? checks / span : 0,
      firstCheckDelayMs: x.firstCheckWall && x.attachedWall ? x.firstCheckWall - x.attachedWall : Number.NaN,
      rssAfterMiB,
      rssPeakMiB: mib(rssPeak),
      rssAnonPeakMiB: mib(anonPeak),
      allChecksSeconds: x.lastCheckWall && x.attachedWall ? (x.lastCheckWall - x.attachedWall) / 1000 : Number.NaN,
      brokerUsPerCheck: checks > 0 ? (cpuS * 1e6) / checks : Number.NaN,
      restartMs,
      watchSeconds,
    };
  } finally {
    await b?.stop();
    removeDir(dir);
  }
}
