// `npm run bench -- cluster`: Halfmoon brokers on one PostgreSQL, by the peers method
// (../peers/method.ts). One durable PostgreSQL (database.ts); for each round and each broker
// count N (1, 2, 3 by default) a fresh database and N `halfmoon start --store postgres://…`
// processes (distinct --broker-id), then two phases on one shared topic each: committed
// transactions (SendMessage TRANSACTION + EndTransaction COMMIT) and NORMAL publish, W = 64 in
// flight in all, spread over one lean load process per broker, started together. Each phase
// records throughput, merged p50/p99, broker and PostgreSQL CPU, statements and BEGIN … COMMIT
// blocks per message (pg_stat_statements), WAL bytes per message and device flushes. Then the first-check
// delay and dispatch rate with 100k pending transactions (pending.ts). Prints one table of
// medians (cluster-table.ts) and writes the JSON with every run next to it.
//
//   npm run bench -- cluster [--quick] [--brokers 1,2,3] [--messages N] [--rounds 3]
//     [--window 64] [--body 1024] [--pending 100000 (0: none)] [--out FILE.json]
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { numFlag, saveResult, summarize, type Flags, type Log } from '../common.js';
import { LeanGrpc } from '../lean-grpc.js';
import { REPO, removeDir, startHalfmoon, stopAll, type RunningBroker } from '../peers/brokers.js';
import { killLoads, startLoad } from '../peers/fork-load.js';
import type { LoadTask } from '../peers/load-child.js';
import type { PublishMode } from '../peers/method.js';
import { deviceFlushes, load1, sampleTree } from '../peers/proc.js';
import { renderClusterTable } from './cluster-table.js';
import { sampleDb, startBenchPostgres, statementDeltas, type BenchPostgres } from './database.js';
import { ok, pendingFigures, type ClusterPendingFigures } from './pending.js';

export interface ClusterOptions {
  quick: boolean;
  brokers: number[];
  /** Messages (transactions) per phase, over all load processes. */
  messages: number;
  rounds: number;
  /** In flight over all load processes. */
  window: number;
  bodyBytes: number;
  pending: number;
  out: string;
  phaseTimeoutMs: number;
}

export function clusterOptions(flags: Flags): ClusterOptions {
  const quick = Boolean(flags.quick);
  const brokers = (typeof flags.brokers === 'string' ? flags.brokers : '1,2,3').split(',').map(Number);
  if (brokers.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) throw new Error(`--brokers takes broker counts from 1 to 8, like 1,2,3 (got ${String(flags.brokers)})`);
  return {
    quick,
    brokers,
    messages: numFlag(flags, 'messages', quick ? 300 : 20_000),
    rounds: numFlag(flags, 'rounds', quick ? 1 : 3),
    window: numFlag(flags, 'window', 64),
    bodyBytes: numFlag(flags, 'body', 1024),
    pending: numFlag(flags, 'pending', quick ? 2_000 : 100_000),
    out: typeof flags.out === 'string' ? flags.out : join(REPO, 'scripts', 'bench', 'results', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    phaseTimeoutMs: quick ? 60_000 : 300_000,
  };
}

export type ClusterMode = 'tx' | 'normal';

export interface ClusterPhase {
  brokers: number;
  round: number;
  mode: ClusterMode;
  count: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** Committed transactions/s (tx) or messages/s (normal). */
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Every broker process's CPU per message, µs (summed over brokers). */
  brokerUsPerMsg: number;
  brokerCores: number;
  pgUsPerMsg: number;
  pgCores: number;
  /** Load processes' CPU per message, µs. */
  clientUsPerMsg: number;
  /** Statements PostgreSQL ran per message (NaN without pg_stat_statements). */
  statementsPerMsg: number;
  /** Explicit SQL transactions (BEGIN … COMMIT) per message; single statements that commit on their own are not counted. */
  commitsPerMsg: number;
  walBytesPerMsg: number;
  flushesPerSec: number;
  /** Device flush requests (fsyncs reaching the disk, whole machine) per message. */
  flushesPerMsg: number;
  load1: number;
  /** The statements run at least once per 20 messages: calls per message, mean execution time. */
  topStatements: { query: string; perMsg: number; meanMs: number }[];
}

/** The i-th of `parts` shares of `total` (they sum to total). */
const share = (total: number, parts: number, i: number): number => Math.floor(total / parts) + (i < total % parts ? 1 : 0);

const TOPIC: Record<ClusterMode, { name: string; type: string; mode: PublishMode }> = {
  tx: { name: 'ClusterTx', type: 'TRANSACTION', mode: 'tx' },
  normal: { name: 'ClusterNormal', type: 'NORMAL', mode: 'normal' },
};

async function measurePhase(pg: BenchPostgres, database: string, brokers: RunningBroker[], mode: ClusterMode, round: number, o: ClusterOptions): Promise<ClusterPhase> {
  const n = brokers.length;
  const tasks: LoadTask[] = brokers.map((b, i) => ({
    op: 'publish',
    target: { config: 'halfmoon', endpoint: b.endpoint, name: TOPIC[mode].name, mode: TOPIC[mode].mode, prefetch: 0, ackBatch: 1 },
    n: share(o.messages, n, i),
    window: Math.max(1, share(o.window, n, i)),
    perCall: 1,
    bodyBytes: o.bodyBytes,
    timeoutMs: o.phaseTimeoutMs,
    barrier: true,
    keepSamples: true,
  }));
  const loads = tasks.map((t) => startLoad(t));
  // Every load process booted, connected and prepared (topic, producer session), then all start.
  await Promise.all(loads.map((l) => l.ready));
  const cpu0 = brokers.reduce((s, b) => s + sampleTree(b.pid).cpuS, 0);
  const db0 = await sampleDb(pg, database);
  const flush0 = deviceFlushes();
  const t0 = performance.now();
  for (const l of loads) l.go();
  const outs = await Promise.all(loads.map((l) => l.done));
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = brokers.reduce((s, b) => s + sampleTree(b.pid).cpuS, 0);
  const db1 = await sampleDb(pg, database);
  const flush1 = deviceFlushes();
  const count = outs.reduce((s, x) => s + (x.publish?.count ?? 0), 0);
  const errors = outs.reduce((s, x) => s + (x.publish?.errors ?? 0), 0);
  const firstError = outs.find((x) => x.publish?.firstError)?.publish?.firstError;
  const seconds = (Math.max(...outs.map((x) => x.endWall)) - Math.min(...outs.map((x) => x.startWall))) / 1000;
  const lat = summarize(outs.flatMap((x) => x.publish?.samples ?? []));
  const per = Math.max(1, count);
  const phase: ClusterPhase = {
    brokers: n,
    round,
    mode,
    count,
    errors,
    seconds,
    perSec: seconds > 0 ? count / seconds : 0,
    p50Ms: lat.p50Ms,
    p99Ms: lat.p99Ms,
    brokerUsPerMsg: ((cpu1 - cpu0) * 1e6) / per,
    brokerCores: wallS > 0 ? (cpu1 - cpu0) / wallS : 0,
    pgUsPerMsg: ((db1.cpuS - db0.cpuS) * 1e6) / per,
    pgCores: wallS > 0 ? (db1.cpuS - db0.cpuS) / wallS : 0,
    clientUsPerMsg: (outs.reduce((s, x) => s + x.cpuS, 0) * 1e6) / per,
    statementsPerMsg: db1.statements !== undefined && db0.statements !== undefined ? (db1.statements - db0.statements) / per : Number.NaN,
    commitsPerMsg: (db1.commits - db0.commits) / per,
    walBytesPerMsg: (db1.walBytes - db0.walBytes) / per,
    flushesPerSec: wallS > 0 ? (flush1 - flush0) / wallS : 0,
    flushesPerMsg: (flush1 - flush0) / per,
    load1: load1(),
    topStatements: statementDeltas(db0, db1, per),
  };
  if (firstError !== undefined) phase.firstError = firstError;
  return phase;
}

/** N brokers on a fresh database, both phases, brokers stopped and the database dropped after. */
async function roundOf(pg: BenchPostgres, scratch: string, n: number, round: number, o: ClusterOptions, log: Log): Promise<ClusterPhase[]> {
  const database = `bench_r${round}_n${n}`;
  const url = await pg.server.createDatabase(database);
  const brokers: RunningBroker[] = [];
  try {
    // One after the other: the first creates the schema (the others would wait on its lock anyway).
    for (let i = 1; i <= n; i++) brokers.push(await startHalfmoon({ dir: join(scratch, `${database}-${i}`), flags: ['--store', url, '--broker-id', `bench-${i}`] }));
    const admin = await LeanGrpc.connect(brokers[0]!.endpoint, `bench-cluster-admin-${process.pid}`);
    try {
      for (const t of Object.values(TOPIC)) ok('CreateTopic', await admin.unary('admin.CreateTopic', { name: t.name, message_type: t.type }));
    } finally {
      admin.close();
    }
    const out: ClusterPhase[] = [];
    for (const mode of ['tx', 'normal'] as const) {
      const f = await measurePhase(pg, database, brokers, mode, round, o);
      out.push(f);
      log(
        `    ${n} broker(s) ${mode.padEnd(6)} ${Math.round(f.perSec).toString().padStart(6)}/s  p50 ${f.p50Ms.toFixed(1)} ms  p99 ${f.p99Ms.toFixed(1)} ms  broker ${f.brokerUsPerMsg.toFixed(0)} µs  pg ${f.pgUsPerMsg.toFixed(0)} µs (${f.pgCores.toFixed(2)} cores)  ${f.statementsPerMsg.toFixed(1)} stmts  ${f.commitsPerMsg.toFixed(2)} BEGIN/COMMIT  ${f.flushesPerMsg.toFixed(2)} flushes  ${f.walBytesPerMsg.toFixed(0)} WAL B per msg${f.errors ? `  ${f.errors} ERRORS (${f.firstError})` : ''}`,
      );
    }
    return out;
  } finally {
    await Promise.allSettled(brokers.map((b) => b.stop()));
    await pg.server.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    for (let i = 1; i <= n; i++) removeDir(join(scratch, `${database}-${i}`));
  }
}

export interface ClusterResult {
  options: ClusterOptions;
  machine: Record<string, string | number | boolean>;
  runs: ClusterPhase[];
  pending?: ClusterPendingFigures;
  table: string;
  outPath: string;
}

export async function runCluster(o: ClusterOptions, log: Log): Promise<ClusterResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'halfmoon-cluster-'));
  let pg: BenchPostgres | undefined;
  const onSignal = (): void => {
    killLoads();
    void stopAll()
      .then(() => pg?.server.stop())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    pg = await startBenchPostgres(log);
    const machine = {
      nproc: cpus().length,
      cpu: cpus()[0]?.model ?? '',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: pg.version,
      pgStatStatements: pg.statements,
      load1AtStart: load1(),
    };
    log(
      `cluster: PostgreSQL ${pg.version} (fsync on, synchronous_commit on) on port ${pg.server.port}; ${o.messages} × ${o.bodyBytes} B per phase, W = ${o.window}, brokers ${o.brokers.join(', ')}, ${o.rounds} round(s), load average ${machine.load1AtStart.toFixed(2)}`,
    );
    const runs: ClusterPhase[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      log(`  round ${round}/${o.rounds} (load average ${load1().toFixed(2)})`);
      for (const n of o.brokers) runs.push(...(await roundOf(pg, scratch, n, round, o, log)));
    }
    let pending: ClusterPendingFigures | undefined;
    if (o.pending > 0) {
      pending = await pendingFigures(pg, scratch, o.pending, o.quick ? 30 : 180);
      log(
        `    ${pending.pending} pending: populate ${pending.populateSeconds.toFixed(1)} s, first check ${Math.round(pending.firstCheckDelayMs)} ms after attach, ${Math.round(pending.checksPerSec)} checks/s (${pending.checksSeen} seen)`,
      );
    }
    const table = renderClusterTable(runs, pending, machine, o);
    const result: ClusterResult = { options: o, machine: { ...machine, load1AtEnd: load1() }, runs, table, outPath: o.out };
    if (pending) result.pending = pending;
    saveResult(o.out, result, table, log);
    return result;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    killLoads();
    await stopAll();
    await pg?.server.stop();
    removeDir(scratch);
  }
}
