// The peers benchmark's one table (measures nothing itself): medians over rounds of each
// configuration and phase, printed as Markdown with Halfmoon/peer ratios, then the Halfmoon-only
// rows (transactions, checker counters, batches, official client) and the scale figures.
import type { IdleFigures, PendingFigures } from './halfmoon-scale.js';
import type { PhaseFigures } from './measure.js';

export type MedianRow = PhaseFigures & { rounds: number };

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const NUMERIC = [
  'count',
  'errors',
  'seconds',
  'msgsPerSec',
  'p50Ms',
  'p99Ms',
  'brokerUsPerMsg',
  'brokerCores',
  'clientUsPerMsg',
  'bytesPerMsg',
  'flushesPerSec',
  'load1',
] as const;

/** Median of every figure per (configuration, phase); errors are summed, not medianed. */
export function medianRows(runs: PhaseFigures[]): Map<string, MedianRow> {
  const groups = new Map<string, PhaseFigures[]>();
  for (const r of runs) {
    const k = `${r.config}|${r.phase}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out = new Map<string, MedianRow>();
  for (const [k, rs] of groups) {
    const row = { ...rs[0]!, rounds: rs.length, extra: {} as Record<string, number> };
    for (const f of NUMERIC) row[f] = median(rs.map((r) => r[f]));
    row.errors = rs.reduce((a, r) => a + r.errors, 0);
    for (const key of Object.keys(rs[0]!.extra)) row.extra[key] = median(rs.map((r) => r.extra[key] ?? 0));
    // Counters that must be 0 are summed over rounds, so one bad round shows.
    for (const key of ['checksForDecided', 'duplicateChecks']) if (key in row.extra) row.extra[key] = rs.reduce((a, r) => a + (r.extra[key] ?? 0), 0);
    out.set(k, row);
  }
  return out;
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const msText = (n: number): string => (!Number.isFinite(n) ? '–' : n < 10 ? `${n.toFixed(1)} ms` : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);
const ratio = (hm: number, peer: number): string => (Number.isFinite(hm) && Number.isFinite(peer) && peer > 0 ? `${(hm / peer).toFixed(2)}` : '–');

const PEERS = [
  { config: 'rabbit-classic', title: 'RabbitMQ classic durable + confirms' },
  { config: 'rabbit-quorum', title: 'RabbitMQ quorum' },
  { config: 'nats', title: 'NATS JetStream (file, R1)' },
] as const;
const PHASES = ['publish W=64', 'publish W=256', 'drain', 'e2e'] as const;

export function renderTable(
  rows: Map<string, MedianRow>,
  idle: IdleFigures | undefined,
  pending: PendingFigures[],
  machine: Record<string, string | number>,
  o: { messages: number; rounds: number; bodyBytes: number },
): string {
  const get = (config: string, phase: string): MedianRow | undefined => rows.get(`${config}|${phase}`);
  const peers = PEERS.filter((p) => PHASES.some((ph) => get(p.config, ph)));
  const lines: string[] = [];
  lines.push(
    `Halfmoon and peers, ${int(o.messages)} × ${o.bodyBytes} B per phase, medians of ${o.rounds} round(s); ${machine.nproc} cores, node ${machine.node}, load average ${machine.load1AtStart} at start`,
  );
  lines.push('');
  const head = ['', 'Halfmoon (lean client)', ...peers.flatMap((p) => [p.title, 'HM/peer'])];
  lines.push(`| ${head.join(' | ')} |`);
  lines.push(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  const add = (label: string, value: (r: MedianRow) => string, num: (r: MedianRow) => number, phase: string): void => {
    const hm = get('halfmoon', phase);
    const cells = [label, hm ? value(hm) : '–'];
    for (const p of peers) {
      const r = get(p.config, phase);
      cells.push(r ? value(r) : '–', hm && r ? ratio(num(hm), num(r)) : '–');
    }
    lines.push(`| ${cells.join(' | ')} |`);
  };
  for (const phase of PHASES) {
    const lat = phase === 'e2e' ? 'p50' : 'p99';
    const what = phase === 'drain' ? 'drain msgs/s' : phase === 'e2e' ? 'end to end msgs/s (p50 publish→delivery)' : `${phase} msgs/s (p99 publish→confirm)`;
    add(
      what,
      (r) => (phase === 'drain' ? int(r.msgsPerSec) : `${int(r.msgsPerSec)} (${msText(lat === 'p50' ? r.p50Ms : r.p99Ms)})`),
      (r) => r.msgsPerSec,
      phase,
    );
  }
  add(
    'broker CPU µs/msg, publish W=64 (all threads)',
    (r) => int(r.brokerUsPerMsg),
    (r) => r.brokerUsPerMsg,
    'publish W=64',
  );
  add(
    'broker CPU µs/msg, drain',
    (r) => int(r.brokerUsPerMsg),
    (r) => r.brokerUsPerMsg,
    'drain',
  );
  add(
    'client CPU µs/msg, publish W=64',
    (r) => int(r.clientUsPerMsg),
    (r) => r.clientUsPerMsg,
    'publish W=64',
  );
  add(
    'bytes written/msg, publish W=64 (write_bytes)',
    (r) => int(r.bytesPerMsg),
    (r) => r.bytesPerMsg,
    'publish W=64',
  );
  add(
    'device flushes/s, publish W=64 (whole machine)',
    (r) => int(r.flushesPerSec),
    (r) => r.flushesPerSec,
    'publish W=64',
  );

  const hmNormal = get('halfmoon', 'publish W=64');
  const only: [string, string][] = [];
  const row = (label: string, r: MedianRow | undefined, extra = ''): void => {
    if (!r) return;
    only.push([
      label,
      `${int(r.msgsPerSec)}/s (p99 ${msText(r.p99Ms)}); broker ${int(r.brokerUsPerMsg)} µs, client ${int(r.clientUsPerMsg)} µs, ${int(r.bytesPerMsg)} B written per item${r.errors ? `; ${r.errors} ERRORS` : ''}${extra}`,
    ]);
  };
  row('NORMAL publish, W=64 (lean client)', hmNormal);
  row('committed transactions (SendMessage TRANSACTION + EndTransaction COMMIT), W=64', get('halfmoon-tx', 'publish W=64'));
  const mixed = get('halfmoon-tx-mixed', 'publish W=64');
  if (mixed) {
    const x = mixed.extra;
    const span = ((x.lastCheckWall ?? 0) - (x.firstCheckWall ?? 0)) / 1000;
    const checksPerSec = span > 0 ? (x.checks ?? 0) / span : Number.NaN;
    row(
      'transactions, 10 % rolled back + 10 % left to the checker, W=64',
      mixed,
      `; checks ${int(x.checks ?? 0)} of ${int(x.left ?? 0)} left (${int(checksPerSec)} checks/s), checks for decided ids ${int(x.checksForDecided ?? 0)}, duplicated checks ${int(x.duplicateChecks ?? 0)} (both must be 0)`,
    );
  }
  row('batched NORMAL send, 32 per SendMessage, W=256 messages', get('halfmoon-batch32', 'publish W=256'));
  const official = get('halfmoon-official', 'publish W=64');
  row(
    'official client (rocketmq-client-nodejs, grpc-js) NORMAL send, W=64',
    official,
    hmNormal && official ? `; lean/official ${ratio(hmNormal.msgsPerSec, official.msgsPerSec)}` : '',
  );
  const consume = get('halfmoon', 'drain');
  if (consume)
    only.push([
      'consume (drain, 8 × ReceiveMessage batch 32, one AckMessage per batch)',
      `${int(consume.msgsPerSec)}/s; broker ${int(consume.brokerUsPerMsg)} µs, client ${int(consume.clientUsPerMsg)} µs per message`,
    ]);
  const e2e = get('halfmoon', 'e2e');
  if (e2e) only.push(['end to end (consumer process attached first)', `${int(e2e.msgsPerSec)}/s; p50 ${msText(e2e.p50Ms)}, p99 ${msText(e2e.p99Ms)} publish→delivery`]);
  if (idle) only.push(['start time, idle RSS (empty data dir)', `${int(idle.startMs)} ms to listening, ${idle.idleRssMiB.toFixed(0)} MiB`]);
  for (const p of pending) {
    only.push([
      `${int(p.pending)} pending transactions`,
      `start ${int(p.startMs)} ms, RSS ${p.rssMiB.toFixed(0)} MiB (peak ${p.rssPeakMiB.toFixed(0)} MiB while checking, anonymous at most ${p.rssAnonPeakMiB.toFixed(0)} MiB, the rest file pages of LevelDB's mapped tables; ${p.rssAfterMiB.toFixed(0)} MiB after); ` +
        `${int(p.checksPerSec)} checks/s (${int(p.checksSeen)} seen in ${p.allChecksSeconds.toFixed(1)} s from the producer attaching, watched ≤ ${p.watchSeconds} s); ` +
        `first check ${msText(p.firstCheckDelayMs)} after the producer attached; restart ${int(p.restartMs)} ms`,
    ]);
  }
  if (only.length > 0) {
    lines.push('');
    lines.push('| Halfmoon only | |');
    lines.push('|---|---|');
    for (const [a, b] of only) lines.push(`| ${a} | ${b} |`);
  }
  return lines.join('\n');
}
