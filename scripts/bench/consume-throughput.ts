// Measures consumption against a real in-process broker over gRPC on loopback with DURABLE
// writes: 1 producer and 4 SimpleConsumers (one consumer group) on one NORMAL topic, 1 KiB
// bodies; delivered-and-acked messages per second, messages sent per second, and end-to-end
// latency p50/p99 from send to receive (the send time travels in a user property). Clients are
// the official rocketmq-client-nodejs (default) or raw gRPC (--client raw; --client both runs
// both to show whether the official client is the bottleneck). Clients run in a worker thread.
//
// Live phase: the producer runs a closed loop (--send-concurrency in flight, optional --rate
// limit) at the same time as the consumers; when consumers fall behind, the backlog at the end of
// the window is reported and latency includes that queueing. Drain phase: a fresh consumer group
// (same number of consumers) consumes everything the topic holds with no producer running, which
// is the consumption capacity (--backlog-seconds bounds it, 0 skips it). The broker runs with defaults except
// minLongPollingTimeoutMs 0 (empty polls at shutdown return after --await-ms instead of 5 s).
//
//   node --import tsx scripts/bench/consume-throughput.ts [--quick] [--client official|raw|both]
//     [--seconds 15] [--warmup 2] [--consumers 4] [--send-concurrency 8] [--rate 0] [--batch 32]
//     [--raw-ack each|batch] [--durable true] [--inline]
import {
  BrokerWindow,
  boolFlag,
  consoleLog,
  f0,
  f1,
  f2,
  isMain,
  latencyText,
  ms,
  numFlag,
  parseFlags,
  pct,
  printTable,
  runLoad,
  startBenchBroker,
  strFlag,
  type BenchOutcome,
  type Flags,
  type Log,
  type SummaryRow,
} from './common.js';
import type { ConsumeClient, ConsumeLoadParams, ConsumeLoadResult } from './consume-load.js';

export interface ConsumeBenchOptions {
  clients: ConsumeClient[];
  consumers: number;
  sendConcurrency: number;
  rate: number;
  batch: number;
  invisibleMs: number;
  awaitMs: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  drainMaxMs: number;
  bodyBytes: number;
  rawAck: 'each' | 'batch';
  durable: boolean;
  inline: boolean;
}

export const CONSUME_DEFAULTS: ConsumeBenchOptions = {
  clients: ['official'],
  consumers: 4,
  sendConcurrency: 8,
  rate: 0,
  batch: 32,
  invisibleMs: 30_000,
  awaitMs: 1_000,
  warmupMs: 2_000,
  measureMs: 15_000,
  drainMs: 10_000,
  drainMaxMs: 20_000,
  bodyBytes: 1024,
  rawAck: 'each',
  durable: true,
  inline: false,
};

export const CONSUME_QUICK: Partial<ConsumeBenchOptions> = { measureMs: 1_000, warmupMs: 300, drainMs: 3_000, drainMaxMs: 5_000, sendConcurrency: 2 };

export function consumeOptions(flags: Flags): ConsumeBenchOptions {
  const base = { ...CONSUME_DEFAULTS, ...(flags.quick ? CONSUME_QUICK : {}) };
  const client = strFlag(flags, 'client', ['official', 'raw', 'both'] as const, base.clients.length === 2 ? 'both' : base.clients[0]!);
  return {
    clients: client === 'both' ? ['official', 'raw'] : [client],
    consumers: numFlag(flags, 'consumers', base.consumers),
    sendConcurrency: numFlag(flags, 'send-concurrency', base.sendConcurrency),
    rate: numFlag(flags, 'rate', base.rate),
    batch: numFlag(flags, 'batch', base.batch),
    invisibleMs: numFlag(flags, 'invisible-ms', base.invisibleMs),
    awaitMs: numFlag(flags, 'await-ms', base.awaitMs),
    warmupMs: numFlag(flags, 'warmup', base.warmupMs / 1000) * 1000,
    measureMs: numFlag(flags, 'seconds', base.measureMs / 1000) * 1000,
    drainMs: numFlag(flags, 'drain-seconds', base.drainMs / 1000) * 1000,
    drainMaxMs: numFlag(flags, 'backlog-seconds', base.drainMaxMs / 1000) * 1000,
    bodyBytes: numFlag(flags, 'body', base.bodyBytes),
    rawAck: strFlag(flags, 'raw-ack', ['each', 'batch'] as const, base.rawAck),
    durable: boolFlag(flags, 'durable', base.durable),
    inline: Boolean(flags.inline),
  };
}

export interface ConsumeRunReport {
  client: ConsumeClient;
  ackedPerSec: number;
  sentPerSec: number;
  /** Drain phase: a fresh group consuming the whole topic with no producer running. */
  drainPerSec: number;
  load: ConsumeLoadResult;
  brokerElu: number;
  clientElu: number;
  cpuCores: number;
  batches: number;
  transitions: number;
}

export interface ConsumeBenchData {
  options: ConsumeBenchOptions;
  runs: ConsumeRunReport[];
}

async function oneRun(client: ConsumeClient, o: ConsumeBenchOptions, log: Log): Promise<ConsumeRunReport> {
  const tb = await startBenchBroker({ durable: o.durable, minLongPollingTimeoutMs: 0 });
  try {
    const topic = `BenchConsume${client}`;
    await tb.broker.services.topics.create(topic, 'NORMAL');
    const window = new BrokerWindow(tb.writeStats);
    const params: ConsumeLoadParams = {
      endpoint: tb.endpoint,
      topic,
      group: `BenchGroup${client}`,
      client,
      consumers: o.consumers,
      sendConcurrency: o.sendConcurrency,
      rate: o.rate,
      batch: o.batch,
      invisibleMs: o.invisibleMs,
      awaitMs: o.awaitMs,
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
      drainMs: o.drainMs,
      drainMaxMs: o.drainMaxMs,
      bodyBytes: o.bodyBytes,
      rawAck: o.rawAck,
    };
    const run = await runLoad<ConsumeLoadParams, ConsumeLoadResult>(new URL('./consume-load.js', import.meta.url).href, 'consumeLoad', params, window.onMark, o.inline);
    const load = run.result;
    const report: ConsumeRunReport = {
      client,
      ackedPerSec: (load.acked / load.windowMs) * 1000,
      sentPerSec: (load.sent / load.windowMs) * 1000,
      drainPerSec: load.drainMs > 0 ? (load.drainAcked / load.drainMs) * 1000 : 0,
      load,
      brokerElu: window.brokerElu,
      clientElu: run.clientElu,
      cpuCores: window.cpuCores,
      batches: window.batches,
      transitions: window.transitions,
    };
    const ackNote = client === 'raw' ? `, ${o.rawAck === 'each' ? 'one AckMessage per message' : 'one AckMessage per batch'}` : '';
    log(
      `  ${client} clients: 1 producer (${o.sendConcurrency} in flight${o.rate > 0 ? `, ≤${o.rate}/s` : ''}), ${o.consumers} consumers ` +
        `(batch ${o.batch}${ackNote}), ${f1(load.windowMs / 1000)} s window, durable=${o.durable}`,
    );
    log(`    ${f0(report.ackedPerSec)} delivered+acked msgs/s, ${f0(report.sentPerSec)} sent msgs/s  (${load.errors} errors${load.firstError ? `: ${load.firstError}` : ''})`);
    log(`    send→receive     ${latencyText(load.e2e)}`);
    log(
      `    backlog at window end ${f0(load.backlogAtEnd)}; afterwards ${f0(load.totalAcked)}/${f0(load.totalSent)} acked after ${f1(load.drainedMs / 1000)} s drain; ` +
        `${f0(load.receiveCalls)} receives (${f0(load.emptyReceives)} empty), ${f0(load.redeliveries)} redeliveries`,
    );
    if (load.drainMs > 0) {
      log(
        `    drain: a fresh group of ${o.consumers} consumers acked ${f0(load.drainAcked)}/${f0(load.drainBacklog)} backlog in ${f1(load.drainMs / 1000)} s = ${f0(report.drainPerSec)} msgs/s (no producer)`,
      );
    }
    const perBatch = report.batches > 0 ? report.transitions / report.batches : 0;
    log(
      `    live window: broker thread busy ${pct(report.brokerElu)}, client thread busy ${pct(report.clientElu)}, process CPU ${f2(report.cpuCores)} cores; ` +
        `${f0(report.batches)} ${o.durable ? 'fsynced ' : ''}batches (${f1(perBatch)} transitions/batch)`,
    );
    return report;
  } finally {
    await tb.close();
  }
}

export async function runConsumeThroughput(options: Partial<ConsumeBenchOptions> = {}, log: Log = consoleLog): Promise<BenchOutcome<ConsumeBenchData>> {
  const o: ConsumeBenchOptions = { ...CONSUME_DEFAULTS, ...options };
  log(`consume-throughput: 1 producer + ${o.consumers} SimpleConsumers, one NORMAL topic, ${o.bodyBytes} B bodies, durable=${o.durable}`);
  const runs: ConsumeRunReport[] = [];
  for (const client of o.clients) runs.push(await oneRun(client, o, log));
  const rows: SummaryRow[] = [];
  for (const r of runs) {
    rows.push({ bench: 'consume', metric: `${r.client}: acked msgs/s (sent/s)`, value: `${f0(r.ackedPerSec)} (${f0(r.sentPerSec)})` });
    rows.push({ bench: 'consume', metric: `${r.client}: send→receive p50/p99`, value: `${ms(r.load.e2e.p50Ms)} / ${ms(r.load.e2e.p99Ms)}` });
    if (r.load.drainMs > 0) rows.push({ bench: 'consume', metric: `${r.client}: backlog drain msgs/s`, value: f0(r.drainPerSec) });
  }
  return { name: 'consume', rows, data: { options: o, runs } };
}

if (isMain(import.meta.url)) {
  const { flags } = parseFlags(process.argv.slice(2));
  const outcome = await runConsumeThroughput(consumeOptions(flags));
  consoleLog('');
  printTable(outcome.rows);
}
