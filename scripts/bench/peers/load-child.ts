// The load generator process of the peers benchmark (forked by fork-load.ts, one task each, so
// its CPU is measured apart from the broker's and the orchestrator's): builds the broker's
// driver, prepares, runs one task — publish (windowed), drain, an end-to-end consumer (says
// 'ready' once attached) or a transaction-check watcher — and reports its result and its own CPU
// seconds over the task (process.cpuUsage: every thread of this process) to the parent.
import { performance } from 'node:perf_hooks';
import { halfmoonDriver, officialDriver, LEFT_RECOVERY_MS } from './driver-halfmoon.js';
import { natsDriver, rabbitDriver } from './driver-peers.js';
import { drain, windowedPublish, type ConsumeResult, type Driver, type DriverTarget, type PublishResult } from './method.js';
import { selfCpuS } from './proc.js';

export type LoadTask =
  | {
      op: 'publish';
      target: DriverTarget;
      n: number;
      window: number;
      perCall: number;
      bodyBytes: number;
      timeoutMs: number;
      /** Say 'ready' after prepare and start on the parent's 'go' (several loads started together). */
      barrier?: boolean;
      /** Return every latency sample (to merge the percentiles of several loads). */
      keepSamples?: boolean;
    }
  | { op: 'drain'; target: DriverTarget; n: number; timeoutMs: number }
  | { op: 'e2e-consumer'; target: DriverTarget; n: number; timeoutMs: number }
  | { op: 'watch-checks'; target: DriverTarget; n: number; timeoutMs: number };

export interface LoadOutcome {
  publish?: PublishResult;
  consume?: ConsumeResult;
  /** Driver figures (transaction check counters). */
  extra: Record<string, number>;
  /** CPU seconds of this process during the task (after prepare). */
  cpuS: number;
  /** Wall times of the task's start and end. */
  startWall: number;
  endWall: number;
}

export type ChildMessage = { kind: 'ready' } | { kind: 'done'; outcome: LoadOutcome } | { kind: 'error'; error: string };
/** Parent → child after the task: start now (tasks with `barrier`). */
export interface GoMessage {
  kind: 'go';
}

let go: () => void = () => undefined;
const gone = new Promise<void>((r) => (go = r));

function driverFor(t: DriverTarget): Promise<Driver> {
  const id = `bench-${t.config}-${process.pid}`;
  if (t.config === 'halfmoon') return t.mode === 'official' ? officialDriver(t) : halfmoonDriver(t, id);
  if (t.config === 'nats') return natsDriver(t);
  return rabbitDriver(t);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitChecks(d: Driver, want: number, deadline: number): Promise<Record<string, number>> {
  for (;;) {
    const x = (await d.extra?.()) ?? {};
    if ((x.checks ?? 0) >= want || performance.now() >= deadline) return x;
    await sleep(50);
  }
}

export async function runTask(task: LoadTask, send: (m: ChildMessage) => void): Promise<LoadOutcome> {
  const d = await driverFor(task.target);
  try {
    await d.prepare();
    if (task.op === 'publish' && task.barrier) {
      send({ kind: 'ready' });
      await gone;
    }
    const deadline = performance.now() + task.timeoutMs;
    const startWall = Date.now();
    const cpu0 = selfCpuS();
    const out: Omit<LoadOutcome, 'cpuS' | 'startWall' | 'endWall'> = { extra: {} };
    if (task.op === 'publish') {
      out.publish = await windowedPublish(d, task.n, task.window, task.perCall, task.bodyBytes, deadline, task.keepSamples);
      if (task.target.mode === 'tx-mixed') {
        // Every transaction left undecided gets a check; wait for them, then a little longer to
        // catch duplicated checks.
        const left = (await d.extra?.())?.left ?? 0;
        await waitChecks(d, left, Math.min(deadline, performance.now() + LEFT_RECOVERY_MS + 30_000));
        await sleep(1_500);
      }
    } else if (task.op === 'drain') {
      out.consume = await drain(d, task.n, deadline, false);
    } else if (task.op === 'e2e-consumer') {
      const consuming = drain(d, task.n, deadline, true);
      send({ kind: 'ready' });
      out.consume = await consuming;
    } else {
      out.extra = await waitChecks(d, task.n, deadline);
    }
    const cpuS = selfCpuS() - cpu0;
    const extra = { ...((await d.extra?.()) ?? {}), ...out.extra };
    return { ...out, extra, cpuS, startWall, endWall: Date.now() };
  } finally {
    await d.close();
  }
}

// Forked: one task from the parent, the outcome back, then exit.
if (process.send) {
  const send = (m: ChildMessage): void => void process.send!(m);
  process.once('message', (task: LoadTask) => {
    process.on('message', (m: LoadTask | GoMessage) => {
      if ('kind' in m && m.kind === 'go') go();
    });
    runTask(task, send).then(
      (outcome) => {
        send({ kind: 'done', outcome });
        process.disconnect();
      },
      (err: unknown) => {
        send({ kind: 'error', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        process.disconnect();
      },
    );
  });
}
