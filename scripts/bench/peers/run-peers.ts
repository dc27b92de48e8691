// `npm run bench -- peers`: Halfmoon and its peers (RabbitMQ classic and quorum queues, NATS
// JetStream) side by side in one run on this machine, by one method (see method.ts): windowed
// publish at W = 64 then 256, a drain of that backlog with acks, end to end with the consumer
// process attached first; then Halfmoon-only rows (transactions, 10 % rollbacks + 10 % left to
// the checker, batched sends, the official client) and scale figures (halfmoon-scale.ts).
// Rounds go round-robin over the configurations; the table shows medians and Halfmoon/peer
// ratios, and the JSON with every run is written next to it (path printed).
//
//   npm run bench -- peers [--quick] [--no-peers] [--messages N] [--rounds 3] [--body 1024]
//     [--pending 100000,1000000] [--out FILE.json]
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { numFlag, saveResult, type Flags, type Log } from '../common.js';
import { ensurePackages, packageVersion, removeDir, REPO, startHalfmoon, startNats, startRabbit, stopAll, type RunningBroker } from './brokers.js';
import { killLoads } from './fork-load.js';
import { idleFigures, pendingFigures, type IdleFigures, type PendingFigures } from './halfmoon-scale.js';
import { measureE2e, measureTask, type PhaseFigures } from './measure.js';
import type { DriverTarget, PeerConfig, PublishMode } from './method.js';
import { load1 } from './proc.js';
import { medianRows, renderTable } from './table.js';

export interface PeersOptions {
  quick: boolean;
  peers: boolean;
  messages: number;
  rounds: number;
  bodyBytes: number;
  pending: number[];
  /** Halfmoon-only rows (transactions, batches, official client). */
  halfmoonRows: boolean;
  out: string;
  phaseTimeoutMs: number;
}

export function peersOptions(flags: Flags): PeersOptions {
  const quick = Boolean(flags.quick);
  const pendingRaw = typeof flags.pending === 'string' ? flags.pending : quick ? '2000' : '100000,1000000';
  return {
    quick,
    peers: !flags['no-peers'],
    messages: numFlag(flags, 'messages', quick ? 300 : 20_000),
    rounds: numFlag(flags, 'rounds', quick ? 1 : 3),
    bodyBytes: numFlag(flags, 'body', 1024),
    pending: pendingRaw === '0' ? [] : pendingRaw.split(',').map(Number),
    halfmoonRows: true,
    out: typeof flags.out === 'string' ? flags.out : join(REPO, 'scripts', 'bench', 'results', `peers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    phaseTimeoutMs: quick ? 60_000 : 180_000,
  };
}

export interface PeersResult {
  options: PeersOptions;
  machine: Record<string, string | number>;
  runs: PhaseFigures[];
  idle?: IdleFigures;
  pending: PendingFigures[];
  table: string;
  outPath: string;
}

function machine(): Record<string, string | number> {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? '',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    rabbitmq: packageVersion('rabbitmq-server'),
    erlang: packageVersion('erlang-base'),
    nats: packageVersion('nats-server'),
    load1AtStart: load1(),
  };
}

/** One round of the common method on one configuration. */
async function roundOf(config: PeerConfig, b: RunningBroker, round: number, o: PeersOptions, log: Log): Promise<PhaseFigures[]> {
  const n = o.messages;
  const target = (name: string, mode: PublishMode = 'normal'): DriverTarget => ({
    config,
    endpoint: b.endpoint,
    name: `${name}${config.replace(/[^a-z]/g, '')}R${round}`,
    mode,
    prefetch: 256,
    ackBatch: 32,
  });
  const pub = (t: DriverTarget, window: number, perCall = 1, count = n) => ({
    op: 'publish' as const,
    target: t,
    n: count,
    window,
    perCall,
    bodyBytes: o.bodyBytes,
    timeoutMs: o.phaseTimeoutMs,
  });
  const out: PhaseFigures[] = [];
  const note = (f: PhaseFigures): void => {
    out.push(f);
    log(
      `    ${f.config.padEnd(18)} ${f.phase.padEnd(12)} ${Math.round(f.msgsPerSec).toString().padStart(7)} msgs/s  p50 ${f.p50Ms.toFixed(1)} ms  p99 ${f.p99Ms.toFixed(1)} ms  broker ${f.brokerUsPerMsg.toFixed(0)} µs/msg  client ${f.clientUsPerMsg.toFixed(0)} µs/msg  ${f.bytesPerMsg.toFixed(0)} B/msg${f.errors ? `  ${f.errors} ERRORS` : ''}`,
    );
  };
  const backlog = target('Backlog');
  note(await measureTask(config, 'publish W=64', round, b.pid, pub(backlog, 64)));
  note(await measureTask(config, 'publish W=256', round, b.pid, pub(backlog, 256)));
  note(await measureTask(config, 'drain', round, b.pid, { op: 'drain', target: backlog, n: 2 * n, timeoutMs: o.phaseTimeoutMs }));
  const e2e = target('E2e');
  note(await measureE2e(config, round, b.pid, { op: 'e2e-consumer', target: e2e, n, timeoutMs: o.phaseTimeoutMs }, pub(e2e, 64)));
  if (config === 'halfmoon' && o.halfmoonRows) {
    note({ ...(await measureTask(config, 'publish W=64', round, b.pid, pub(target('Tx', 'tx'), 64))), config: 'halfmoon-tx' });
    note({ ...(await measureTask(config, 'publish W=64', round, b.pid, pub(target('TxMixed', 'tx-mixed'), 64))), config: 'halfmoon-tx-mixed' });
    note({ ...(await measureTask(config, 'publish W=256', round, b.pid, pub(target('Batch', 'batch32'), 256, 32))), config: 'halfmoon-batch32' });
    note({ ...(await measureTask(config, 'publish W=64', round, b.pid, pub(target('Official', 'official'), 64, 1, Math.min(n, 5_000)))), config: 'halfmoon-official' });
  }
  return out;
}

export async function runPeers(o: PeersOptions, log: Log): Promise<PeersResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'halfmoon-peers-'));
  const brokers = new Map<string, RunningBroker>();
  const onSignal = (): void => {
    killLoads();
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (o.peers)
      ensurePackages(
        [
          { pkg: 'rabbitmq-server', bin: 'rabbitmq-server' },
          { pkg: 'nats-server', bin: 'nats-server' },
        ],
        log,
      );
    const m = machine();
    log(`peers: ${o.messages} × ${o.bodyBytes} B per phase, ${o.rounds} round(s), load average ${m.load1AtStart}; scratch ${scratch}`);
    const configs: PeerConfig[] = o.peers ? ['halfmoon', 'rabbit-classic', 'rabbit-quorum', 'nats'] : ['halfmoon'];
    brokers.set('halfmoon', await startHalfmoon({ dir: join(scratch, 'halfmoon') }));
    if (o.peers) {
      brokers.set('rabbitmq', await startRabbit(join(scratch, 'rabbitmq')));
      brokers.set('nats', await startNats(join(scratch, 'nats')));
    }
    for (const [k, b] of brokers) log(`  ${k} up in ${Math.round(b.startMs)} ms at ${b.endpoint} (pid ${b.pid})`);
    const runs: PhaseFigures[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      log(`  round ${round}/${o.rounds} (load average ${load1().toFixed(2)})`);
      for (const config of configs) {
        const b = brokers.get(config.startsWith('rabbit') ? 'rabbitmq' : config)!;
        runs.push(...(await roundOf(config, b, round, o, log)));
      }
    }
    await stopAll();
    brokers.clear();
    log('  Halfmoon scale: start time and idle RSS, pending transactions');
    const idle = await idleFigures(scratch);
    const pending: PendingFigures[] = [];
    for (const p of o.pending) {
      const f = await pendingFigures(scratch, p, o.quick ? 20 : p >= 1_000_000 ? 240 : 90);
      log(
        `    ${p} pending: populate ${f.populateSeconds.toFixed(1)} s, start ${Math.round(f.startMs)} ms, RSS ${f.rssMiB.toFixed(0)} MiB, ${Math.round(f.checksPerSec)} checks/s (${f.checksSeen} seen), first check ${Math.round(f.firstCheckDelayMs)} ms after attach, restart ${Math.round(f.restartMs)} ms`,
      );
      pending.push(f);
    }
    const table = renderTable(medianRows(runs), idle, pending, m, o);
    const result: PeersResult = { options: o, machine: { ...m, load1AtEnd: load1() }, runs, idle, pending, table, outPath: o.out };
    saveResult(o.out, result, table, log);
    return result;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    killLoads();
    await stopAll();
    removeDir(scratch);
  }
}
