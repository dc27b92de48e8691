// The cluster benchmark's one table (measures nothing itself): per broker count, the medians over
// rounds of each figure of the transaction and NORMAL phases, as Markdown with one column per
// broker count, then the pending-transactions line and the conditions of the run.
import { f0, f1 } from '../common.js';
import { median } from '../peers/table.js';
import type { ClusterMode, ClusterOptions, ClusterPhase } from './run-cluster.js';
import type { ClusterPendingFigures } from './pending.js';

type Numeric = { [K in keyof ClusterPhase]-?: ClusterPhase[K] extends number ? K : never }[keyof ClusterPhase];

interface Row {
  label: string;
  mode: ClusterMode;
  field: Numeric;
  show: (n: number) => string;
}

const us = (n: number): string => `${f0(n)} µs`;
const msText = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;

const ROWS: Row[] = [
  { label: 'committed transactions/s (half + commit)', mode: 'tx', field: 'perSec', show: f0 },
  { label: 'transaction p50 (send → commit answered)', mode: 'tx', field: 'p50Ms', show: msText },
  { label: 'transaction p99', mode: 'tx', field: 'p99Ms', show: msText },
  { label: 'broker CPU per transaction (all brokers)', mode: 'tx', field: 'brokerUsPerMsg', show: us },
  { label: 'PostgreSQL CPU per transaction', mode: 'tx', field: 'pgUsPerMsg', show: us },
  { label: 'PostgreSQL CPU, cores', mode: 'tx', field: 'pgCores', show: (n) => n.toFixed(2) },
  { label: 'statements per transaction (round trips)', mode: 'tx', field: 'statementsPerMsg', show: f1 },
  { label: 'BEGIN … COMMIT blocks per transaction', mode: 'tx', field: 'commitsPerMsg', show: (n) => n.toFixed(2) },
  { label: 'device flushes per transaction', mode: 'tx', field: 'flushesPerMsg', show: (n) => n.toFixed(2) },
  { label: 'WAL bytes per transaction', mode: 'tx', field: 'walBytesPerMsg', show: f0 },
  { label: 'NORMAL publish msgs/s', mode: 'normal', field: 'perSec', show: f0 },
  { label: 'NORMAL publish p50', mode: 'normal', field: 'p50Ms', show: msText },
  { label: 'NORMAL publish p99', mode: 'normal', field: 'p99Ms', show: msText },
  { label: 'broker CPU per message (all brokers)', mode: 'normal', field: 'brokerUsPerMsg', show: us },
  { label: 'PostgreSQL CPU per message', mode: 'normal', field: 'pgUsPerMsg', show: us },
  { label: 'statements per message', mode: 'normal', field: 'statementsPerMsg', show: f1 },
  { label: 'WAL bytes per message', mode: 'normal', field: 'walBytesPerMsg', show: f0 },
  { label: 'device flushes per message', mode: 'normal', field: 'flushesPerMsg', show: (n) => n.toFixed(2) },
];

export function medianOf(runs: ClusterPhase[], brokers: number, mode: ClusterMode, field: Numeric): number {
  return median(runs.filter((r) => r.brokers === brokers && r.mode === mode).map((r) => r[field]));
}

export function renderClusterTable(
  runs: ClusterPhase[],
  pending: ClusterPendingFigures | undefined,
  machine: Record<string, string | number | boolean>,
  o: ClusterOptions,
): string {
  const counts = o.brokers;
  const lines: string[] = [];
  lines.push(`| figure (W = ${o.window} over all brokers, ${o.bodyBytes} B, median of ${o.rounds}) | ${counts.map((n) => `${n} broker${n > 1 ? 's' : ''}`).join(' | ')} |`);
  lines.push(`|---|${counts.map(() => '---').join('|')}|`);
  for (const r of ROWS) lines.push(`| ${r.label} | ${counts.map((n) => r.show(medianOf(runs, n, r.mode, r.field))).join(' | ')} |`);
  const errors = counts.map((n) => runs.filter((r) => r.brokers === n).reduce((s, r) => s + r.errors, 0));
  lines.push(`| errors (sum over rounds) | ${errors.join(' | ')} |`);
  lines.push('');
  if (pending) {
    lines.push(
      `${f0(pending.pending)} pending transactions, 1 broker: first check ${f0(pending.firstCheckDelayMs)} ms after the producer attached, ${f0(pending.checksPerSec)} checks/s (${f0(pending.checksSeen)} seen in ${pending.watchSeconds} s at most), broker ${us(pending.brokerUsPerCheck)} and PostgreSQL ${us(pending.pgUsPerCheck)} CPU per check; populated by SQL in ${f1(pending.populateSeconds)} s.`,
    );
  }
  lines.push(
    `PostgreSQL ${machine.postgres} (fsync on, synchronous_commit on${machine.pgStatStatements ? ', pg_stat_statements' : ''}), ${machine.nproc} cores (${machine.cpu}), node ${machine.node}, load average ${Number(machine.load1AtStart).toFixed(2)} at start; one shared topic per phase, one lean load process per broker.`,
  );
  return lines.join('\n');
}
