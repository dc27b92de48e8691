// Measures transactional-message throughput against a real in-process broker over gRPC on
// loopback with DURABLE writes (fsync per group-committed batch): transactions per second
// (half-message SendMessage + EndTransaction COMMIT) and p50/p99/max latency of each RPC,
// first with N raw gRPC clients in a closed loop (default 32 in flight), then with the
// official rocketmq-client-nodejs Producer (beginTransaction/send/commit) at modest
// concurrency. Clients run in a worker thread; the broker keeps this thread.
//
//   node --import tsx scripts/bench/tx-throughput.ts [--quick] [--seconds 15] [--warmup 2]
//     [--concurrency 32] [--official-seconds 10] [--official-concurrency 8] [--body 1024]
//     [--durable true] [--inline]
import {
  BrokerWindow,
  consoleLog,
  f0,
  f1,
  f2,
  isMain,
  latencyText,
  ms,
  numFlag,
  boolFlag,
  parseFlags,
  pct,
  printTable,
  runLoad,
  startBenchBroker,
  type BenchOutcome,
  type Flags,
  type Log,
  type SummaryRow,
} from './common.js';
import type { TxLoadParams, TxLoadResult } from './tx-load.js';

export interface TxBenchOptions {
  /** Raw-client run: transactions in flight. */
  concurrency: number;
  measureMs: number;
  warmupMs: number;
  /** Official-client run (0 s skips it). */
  officialConcurrency: number;
  officialMeasureMs: number;
  bodyBytes: number;
  durable: boolean;
  /** Clients in the broker's thread instead of a worker. */
  inline: boolean;
}

export const TX_DEFAULTS: TxBenchOptions = {
  concurrency: 32,
  measureMs: 15_000,
  warmupMs: 2_000,
  officialConcurrency: 8,
  officialMeasureMs: 10_000,
  bodyBytes: 1024,
  durable: true,
  inline: false,
};

export const TX_QUICK: Partial<TxBenchOptions> = { concurrency: 4, measureMs: 1_000, warmupMs: 200, officialConcurrency: 2, officialMeasureMs: 1_000 };

export function txOptions(flags: Flags): TxBenchOptions {
  const base = { ...TX_DEFAULTS, ...(flags.quick ? TX_QUICK : {}) };
  return {
    concurrency: numFlag(flags, 'concurrency', base.concurrency),
    measureMs: numFlag(flags, 'seconds', base.measureMs / 1000) * 1000,
    warmupMs: numFlag(flags, 'warmup', base.warmupMs / 1000) * 1000,
    officialConcurrency: numFlag(flags, 'official-concurrency', base.officialConcurrency),
    officialMeasureMs: numFlag(flags, 'official-seconds', base.officialMeasureMs / 1000) * 1000,
    bodyBytes: numFlag(flags, 'body', base.bodyBytes),
    durable: boolFlag(flags, 'durable', base.durable),
    inline: Boolean(flags.inline),
  };
}

export interface TxRunReport {
  client: 'raw' | 'official';
  concurrency: number;
  txPerSec: number;
  load: TxLoadResult;
  /** Broker thread event-loop utilization during the window. */
  brokerElu: number;
  clientElu: number;
  /** Whole-process CPU during the window, in cores (this machine: 2). */
  cpuCores: number;
  /** Group-commit: physical (fsynced) batches and transitions they carried. */
  batches: number;
  transitions: number;
  committed: number;
}

export interface TxBenchData {
  options: TxBenchOptions;
  runs: TxRunReport[];
}

async function oneRun(client: 'raw' | 'official', concurrency: number, measureMs: number, o: TxBenchOptions, log: Log): Promise<TxRunReport> {
  const tb = await startBenchBroker({ durable: o.durable });
  try {
    const topic = `BenchTx${client}`;
    await tb.broker.services.topics.create(topic, 'TRANSACTION');
    const window = new BrokerWindow(tb.writeStats);
    const params: TxLoadParams = { endpoint: tb.endpoint, topic, concurrency, warmupMs: o.warmupMs, measureMs, bodyBytes: o.bodyBytes };
    const run = await runLoad<TxLoadParams, TxLoadResult>(
      new URL('./tx-load.js', import.meta.url).href,
      client === 'raw' ? 'rawTxLoad' : 'officialTxLoad',
      params,
      window.onMark,
      o.inline,
    );
    const load = run.result;
    const report: TxRunReport = {
      client,
      concurrency,
      txPerSec: (load.completed / load.windowMs) * 1000,
      load,
      brokerElu: window.brokerElu,
      clientElu: run.clientElu,
      cpuCores: window.cpuCores,
      batches: window.batches,
      transitions: window.transitions,
      committed: (await tb.broker.store.transactionCounters()).committed,
    };
    log(`  ${client} client, ${concurrency} in flight, ${f1(load.windowMs / 1000)} s window, durable=${o.durable}`);
    log(`    ${f0(report.txPerSec)} tx/s  (${f0(load.completed)} tx, ${load.errors} errors${load.firstError ? `: ${load.firstError}` : ''})`);
    log(`    SendMessage      ${latencyText(load.send)}`);
    log(`    EndTransaction   ${latencyText(load.end)}`);
    log(`    whole tx         ${latencyText(load.total)}`);
    const perBatch = report.batches > 0 ? report.transitions / report.batches : 0;
    log(
      `    broker thread busy ${pct(report.brokerElu)}, client thread busy ${pct(report.clientElu)}, process CPU ${f2(report.cpuCores)} cores; ` +
        `${f0(report.batches)} ${o.durable ? 'fsynced ' : ''}batches (${f1(perBatch)} transitions/batch, ${f0((report.batches / load.windowMs) * 1000)}/s)`,
    );
    return report;
  } finally {
    await tb.close();
  }
}

export async function runTxThroughput(options: Partial<TxBenchOptions> = {}, log: Log = consoleLog): Promise<BenchOutcome<TxBenchData>> {
  const o: TxBenchOptions = { ...TX_DEFAULTS, ...options };
  log(`tx-throughput: half SendMessage + EndTransaction COMMIT, ${o.bodyBytes} B bodies, durable=${o.durable}`);
  const runs: TxRunReport[] = [await oneRun('raw', o.concurrency, o.measureMs, o, log)];
  if (o.officialMeasureMs > 0 && o.officialConcurrency > 0) runs.push(await oneRun('official', o.officialConcurrency, o.officialMeasureMs, o, log));
  const rows: SummaryRow[] = [];
  for (const r of runs) {
    const label = `${r.client} x${r.concurrency}`;
    rows.push({ bench: 'tx', metric: `${label} tx/s`, value: f0(r.txPerSec) });
    rows.push({ bench: 'tx', metric: `${label} SendMessage p50/p99`, value: `${ms(r.load.send.p50Ms)} / ${ms(r.load.send.p99Ms)}` });
    rows.push({ bench: 'tx', metric: `${label} EndTransaction p50/p99`, value: `${ms(r.load.end.p50Ms)} / ${ms(r.load.end.p99Ms)}` });
  }
  return { name: 'tx', rows, data: { options: o, runs } };
}

if (isMain(import.meta.url)) {
  const { flags } = parseFlags(process.argv.slice(2));
  const outcome = await runTxThroughput(txOptions(flags));
  consoleLog('');
  printTable(outcome.rows);
}
