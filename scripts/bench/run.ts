// Runs the Halfmoon benchmarks — tx (transaction throughput), check (check dispatch), consume
// (consumption throughput and send→receive latency) — in sequence, or the ones named, and ends
// with one compact summary table. Measures nothing itself.
//
//   npm run bench                      all three, full size (each bounded to about a minute)
//   npm run bench -- tx                one by name (tx | check | consume; several allowed)
//   npm run bench -- --quick           smoke run with small counts
//   npm run bench -- consume --client both --seconds 10
//   npm run bench -- peers [--quick] [--no-peers]   Halfmoon and RabbitMQ / NATS side by side
//                                                    (see peers/run-peers.ts)
//   npm run bench -- profile [--phase publish|tx|drain|batch]   where the broker's CPU goes (profile.ts)
//   npm run bench -- transport                      grpc-js against a bare node:http2 handler (transport.ts)
//   npm run bench -- cluster [--quick] [--brokers 1,2,3]  brokers on one PostgreSQL
//                                                    (see cluster/run-cluster.ts)
// Flags are passed to every selected benchmark (see each script's header for its flags).
import { performance } from 'node:perf_hooks';
import { checkOptions, runCheckDispatch } from './check-dispatch.js';
import { consoleLog, f1, isMain, parseFlags, printTable, type BenchOutcome, type Flags, type Log, type SummaryRow } from './common.js';
import { consumeOptions, runConsumeThroughput } from './consume-throughput.js';
import { runTxThroughput, txOptions } from './tx-throughput.js';
import { peersOptions, runPeers } from './peers/run-peers.js';
import { profileOptions, runProfile } from './profile.js';
import { runTransport, transportOptions } from './transport.js';
import { clusterOptions, runCluster } from './cluster/run-cluster.js';

export const BENCHMARKS = {
  tx: (flags: Flags, log: Log) => runTxThroughput(txOptions(flags), log),
  check: (flags: Flags, log: Log) => runCheckDispatch(checkOptions(flags), log),
  consume: (flags: Flags, log: Log) => runConsumeThroughput(consumeOptions(flags), log),
  peers: async (flags: Flags, log: Log): Promise<BenchOutcome<unknown>> => {
    const r = await runPeers(peersOptions(flags), log);
    return { name: 'peers', rows: [{ bench: 'peers', metric: 'table and JSON', value: r.outPath }], data: r };
  },
  profile: (flags: Flags, log: Log) => runProfile(profileOptions(flags), log),
  transport: (flags: Flags, log: Log) => runTransport(transportOptions(flags), log),
  cluster: async (flags: Flags, log: Log): Promise<BenchOutcome<unknown>> => {
    const r = await runCluster(clusterOptions(flags), log);
    return { name: 'cluster', rows: [{ bench: 'cluster', metric: 'table and JSON', value: r.outPath }], data: r };
  },
} as const satisfies Record<string, (flags: Flags, log: Log) => Promise<BenchOutcome<unknown>>>;

export type BenchName = keyof typeof BENCHMARKS;

const ALIASES: Record<string, BenchName> = {
  tx: 'tx',
  'tx-throughput': 'tx',
  check: 'check',
  'check-dispatch': 'check',
  consume: 'consume',
  'consume-throughput': 'consume',
  peers: 'peers',
  profile: 'profile',
  transport: 'transport',
  cluster: 'cluster',
};

export function selectBenchmarks(positionals: string[]): BenchName[] {
  // The peers, cluster, profile and transport suites are only run by name (they start brokers and take minutes).
  if (positionals.length === 0) return ['tx', 'check', 'consume'];
  return positionals.map((p) => {
    const name = ALIASES[p];
    if (!name) throw new Error(`unknown benchmark "${p}": use one of ${Object.keys(BENCHMARKS).join(', ')}`);
    return name;
  });
}

export async function runBenchmarks(argv: string[], log: Log = consoleLog): Promise<SummaryRow[]> {
  const { positionals, flags } = parseFlags(argv);
  const names = selectBenchmarks(positionals);
  const rows: SummaryRow[] = [];
  log(`halfmoon benchmarks: ${names.join(', ')}${flags.quick ? ' (quick)' : ''} — node ${process.version}, loopback only`);
  for (const name of names) {
    log('');
    const t0 = performance.now();
    const outcome = await BENCHMARKS[name](flags, log);
    log(`  (${name} took ${f1((performance.now() - t0) / 1000)} s)`);
    rows.push(...outcome.rows);
  }
  log('');
  printTable(rows, log);
  return rows;
}

if (isMain(import.meta.url)) {
  const { flags, positionals } = parseFlags(process.argv.slice(2));
  if (flags.help) {
    consoleLog('usage: npm run bench -- [tx|check|consume|peers|cluster|profile|transport ...] [--quick] [--no-peers] [benchmark flags]');
    process.exit(0);
  }
  let valid = true;
  try {
    selectBenchmarks(positionals);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 2;
    valid = false;
  }
  if (valid) {
    try {
      await runBenchmarks(process.argv.slice(2));
    } catch (err) {
      process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
