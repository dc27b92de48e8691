// Shared benchmark plumbing (measures nothing itself): flag parsing, latency percentiles, an
// in-process broker on an ephemeral loopback port with a temp data dir and a silent logger, a
// runner that executes load generators in a worker thread (so client work does not share the
// broker's event loop), and result/summary formatting.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Broker } from '../../src/broker.js';
import { resolveConfig, type BrokerConfig, type ConfigKey } from '../../src/config.js';
import { silentLogger } from '../../src/logger.js';
import { LevelStore } from '../../src/store/level/index.js';

// ---------------------------------------------------------------------------------------------
// flags

export type Flags = Record<string, string | boolean | undefined>;

/** Flags that never take a value (so `--quick tx` keeps `tx` a positional). */
const BOOLEAN_FLAGS = new Set(['quick', 'inline', 'timer', 'help', 'no-peers']);

/** Splits argv into positionals and `--name value` / `--name=value` / `--flag` flags. */
export function parseFlags(argv: string[]): { positionals: string[]; flags: Flags } {
  const positionals: string[] = [];
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    const name = arg.slice(2);
    const next = argv[i + 1];
    if (!BOOLEAN_FLAGS.has(name) && next !== undefined && !next.startsWith('--')) {
      flags[name] = next;
      i++;
    } else flags[name] = true;
  }
  return { positionals, flags };
}

export function numFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined || raw === true) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${String(raw)}`);
  return n;
}

export function boolFlag(flags: Flags, name: string, fallback: boolean): boolean {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`--${name} must be true or false, got ${String(raw)}`);
}

export function strFlag<T extends string>(flags: Flags, name: string, allowed: readonly T[], fallback: T): T {
  const raw = flags[name];
  if (raw === undefined || raw === true) return fallback;
  if (!(allowed as readonly string[]).includes(String(raw))) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${String(raw)}`);
  return raw as T;
}

// ---------------------------------------------------------------------------------------------
// latency statistics

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentiles over millisecond samples (sorts a copy). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const n = samples.length;
  if (n === 0) return { count: 0, meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return { count: n, meanMs: sum / n, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[n - 1]! };
}

/** A growable sample buffer (avoids boxing millions of numbers in a plain array). */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  values(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
  summary(): LatencySummary {
    return summarize(this.values());
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across threads. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// the broker under test

export interface BenchBroker {
  broker: Broker;
  endpoint: string;
  config: BrokerConfig;
  /** Group-commit counters of the LevelDB store (batches = physical writes, fsyncs when durable). */
  writeStats: () => { batches: number; transitions: number };
  close(): Promise<void>;
}

/** A real broker in this process on 127.0.0.1:<ephemeral>, own temp data dir, silent logs. */
export async function startBenchBroker(overrides: Partial<Record<ConfigKey, unknown>> = {}): Promise<BenchBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-bench-'));
  try {
    const config = resolveConfig({
      env: {},
      overrides: { dataDir: dir, host: '127.0.0.1', grpcPort: 0, httpEnabled: false, adminPort: 0, logLevel: 'silent', ...overrides },
    });
    const broker = await Broker.start({ config, logger: silentLogger() });
    const store = broker.store;
    return {
      broker,
      endpoint: `127.0.0.1:${broker.grpcPort}`,
      config,
      writeStats: () => (store instanceof LevelStore ? store.writeStats : { batches: 0, transitions: 0 }),
      async close() {
        try {
          await broker.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Logger for the official client: drops everything (errors are counted by the benchmarks). */
export const silentClientLogger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
  error: () => undefined,
};

// ---------------------------------------------------------------------------------------------
// load generators in a worker thread

/** A load generator: runs in a worker (or inline), reports phase marks, returns a plain result. */
export type LoadFn<P, R> = (params: P, mark: (event: string) => void) => Promise<R>;

export interface LoadRun<R> {
  result: R;
  /** Event-loop utilization of the load-generator thread during the measurement window (0..1). */
  clientElu: number;
}

// The worker measures its own event-loop utilization between the measure marks (the parent's
// view of it reads zero once the worker's loop has gone idle).
const WORKER_BOOT = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
let elu0;
let elu = 0;
const mark = (event) => {
  if (event === 'measure-start') elu0 = performance.eventLoopUtilization();
  if (event === 'measure-end' && elu0) elu = performance.eventLoopUtilization(elu0).utilization;
  parentPort.postMessage({ kind: 'mark', event });
};
import(workerData.tsxApi)
  .then((api) => { (api.register ?? api.default.register)(); return import(workerData.moduleUrl); })
  .then((mod) => mod[workerData.exportName](workerData.params, mark))
  .then(
    (result) => parentPort.postMessage({ kind: 'done', result, elu }),
    (err) => parentPort.postMessage({ kind: 'error', error: String((err && err.stack) || err) }),
  );
`;

/** URL of tsx's ESM API (`register()`), which the worker uses to load TypeScript. */
function tsxApiUrl(): string {
  // The ESM build; require.resolve would pick the CommonJS one, which cannot find its hooks.
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist', 'esm', 'api', 'index.mjs')).href;
}

/**
 * Runs `exportName` of the module at `moduleUrl` with `params`. In a worker thread by default
 * (TypeScript loaded there through tsx), or inline in this thread when `inline` is set.
 */
export async function runLoad<P, R>(moduleUrl: string, exportName: string, params: P, onMark: (event: string) => void = () => undefined, inline = false): Promise<LoadRun<R>> {
  if (inline || !isMainThread) {
    // Clients share this thread with the broker: their utilization is the broker thread's.
    const mod = (await import(moduleUrl)) as Record<string, LoadFn<P, R>>;
    let elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    let clientElu = 0;
    const result = await mod[exportName]!(params, (event) => {
      if (event === 'measure-start') elu0 = performance.eventLoopUtilization();
      if (event === 'measure-end' && elu0) clientElu = performance.eventLoopUtilization(elu0).utilization;
      onMark(event);
    });
    return { result, clientElu };
  }
  const worker = new Worker(WORKER_BOOT, {
    eval: true,
    workerData: { tsxApi: tsxApiUrl(), moduleUrl, exportName, params },
    stdout: false,
    stderr: false,
  });
  try {
    return await new Promise<LoadRun<R>>((resolve, reject) => {
      worker.on('message', (m: { kind: string; event?: string; result?: R; elu?: number; error?: string }) => {
        if (m.kind === 'mark') onMark(m.event!);
        else if (m.kind === 'done') resolve({ result: m.result as R, clientElu: m.elu ?? 0 });
        else reject(new Error(`load generator failed in its worker: ${m.error}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`load generator worker exited early with code ${code}`)));
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * Samples broker-side resources between the load generator's 'measure-start' and
 * 'measure-end' marks: this (broker) thread's event-loop utilization, process CPU and
 * group-commit batches.
 */
export class BrokerWindow {
  private elu0: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  private cpu0: NodeJS.CpuUsage | undefined;
  private t0 = 0;
  private ws0 = { batches: 0, transitions: 0 };
  brokerElu = 0;
  cpuCores = 0;
  batches = 0;
  transitions = 0;

  constructor(private readonly stats: () => { batches: number; transitions: number }) {}

  readonly onMark = (event: string): void => {
    if (event === 'measure-start') {
      this.elu0 = performance.eventLoopUtilization();
      this.cpu0 = process.cpuUsage();
      this.t0 = performance.now();
      this.ws0 = { ...this.stats() };
    } else if (event === 'measure-end' && this.elu0 && this.cpu0) {
      this.brokerElu = performance.eventLoopUtilization(this.elu0).utilization;
      const cpu = process.cpuUsage(this.cpu0);
      this.cpuCores = (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - this.t0);
      const ws = this.stats();
      this.batches = ws.batches - this.ws0.batches;
      this.transitions = ws.transitions - this.ws0.transitions;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// output

export interface SummaryRow {
  bench: string;
  metric: string;
  value: string;
}

export interface BenchOutcome<D> {
  name: string;
  rows: SummaryRow[];
  data: D;
}

export type Log = (line: string) => void;
export const consoleLog: Log = (line) => process.stdout.write(line + '\n');

/** Writes a suite's result as JSON to `path` (its folder made if needed), then prints its table and where the JSON is. */
export function saveResult(path: string, result: unknown, table: string, log: Log): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  log('');
  log(table);
  log(`JSON with every run: ${path}`);
}

export const f0 = (n: number): string => Math.round(n).toLocaleString('en-US');
export const f1 = (n: number): string => n.toFixed(1);
export const f2 = (n: number): string => n.toFixed(2);
export const ms = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
export const pct = (n: number): string => `${(n * 100).toFixed(0)}%`;

export function latencyText(s: LatencySummary): string {
  return `p50 ${ms(s.p50Ms)}  p99 ${ms(s.p99Ms)}  max ${ms(s.maxMs)}  (n=${f0(s.count)})`;
}

export function printTable(rows: SummaryRow[], log: Log = consoleLog): void {
  const w = [5, 6, 5];
  for (const r of rows) {
    w[0] = Math.max(w[0]!, r.bench.length);
    w[1] = Math.max(w[1]!, r.metric.length);
    w[2] = Math.max(w[2]!, r.value.length);
  }
  const line = (a: string, b: string, c: string): string => `${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c}`;
  log(line('bench', 'metric', 'value'));
  log(line('-'.repeat(w[0]!), '-'.repeat(w[1]!), '-'.repeat(w[2]!)));
  for (const r of rows) log(line(r.bench, r.metric, r.value));
}

/** True when the module at `url` is the script node was started with (not in workers). */
export function isMain(url: string): boolean {
  return isMainThread && process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}
