// Owns the crash soak: a real broker process (`halfmoon start`) on one data directory (or one
// PostgreSQL store) under mixed load from a child process (test/fixtures/tx-crash-worker.ts:
// transactional sends, commits, rollbacks, check answers, DELAY sends, receives and acks in two
// consumer groups), SIGKILLed at a random moment of each cycle and restarted on the same data.
// After every restart the store must open cleanly, and a drain (consumers and the checker only)
// must deliver every acknowledged commit and DELAY message to every group, leave no transaction
// pending (they are still checked), deliver nothing rolled back or never decided, and redeliver
// no message whose ack was confirmed before the kill. Used by `npm run soak` and by the slow test.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mayBeDelivered } from '../../test/fixtures/tx-plan.js';
import { freePort, startBrokerProcess, type BrokerProcess } from '../../test/helpers/broker-process.js';
import { rawClient } from '../../test/helpers/raw-client.js';

const WORKER = fileURLToPath(new URL('../../test/fixtures/tx-crash-worker.ts', import.meta.url));
const GROUPS = ['soak-a', 'soak-b'];
const FLAGS = [
  '--durable',
  'true',
  '--transaction-timeout-ms',
  '1000',
  '--transaction-check-interval-ms',
  '1000',
  '--transaction-check-tick-ms',
  '50',
  '--transaction-restart-jitter-ms',
  '300',
  '--delay-poll-ms',
  '50',
];

export interface SoakOptions {
  cycles: number;
  /** A postgres:// URL; default: LevelDB in a temporary directory. */
  store?: string;
  /** Load time before the kill (from the load's first acknowledgement), drawn uniformly from this range (ms). */
  loadMs?: [number, number];
  /** How long a drain may take before what is missing counts as lost (ms). */
  drainTimeoutMs?: number;
  random?: () => number;
  log?: (line: string) => void;
}

export interface SoakReport {
  cycles: number;
  /** Acknowledged sends and decisions, and confirmed acks. */
  operations: number;
  /** Acknowledged commits and DELAY sends: each must reach every group. */
  acknowledged: number;
  /** Deliveries seen (all groups, redeliveries included). */
  delivered: number;
  /** Acknowledged messages some group never got. */
  lost: number;
  /** Deliveries of rolled-back or never-committed messages. */
  forbidden: number;
  /** Deliveries, after a restart, of messages whose ack was confirmed before the kill. */
  redelivered: number;
  /** Transactions still pending after the last drain. */
  pending: number;
  problems: string[];
}

interface WorkerMessage {
  acked?: 'commit' | 'rollback' | 'delay';
  delivered?: string;
  ackedBy?: string;
  id: string;
  plan?: string;
  n?: number;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const random = options.random ?? Math.random;
  const [minLoad, maxLoad] = options.loadMs ?? [1000, 3000];
  const say = options.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'halfmoon-soak-'));
  const flags = [...FLAGS, ...(options.store ? ['--store', options.store] : [])];
  const port = await freePort();
  const topic = `Soak${Date.now().toString(36)}`;
  const delayTopic = `${topic}Delay`;

  /** Acknowledged commits and DELAY sends, by id: what they were. */
  const acknowledged = new Map<string, 'commit' | 'delay'>();
  const rolledBack = new Set<string>();
  const deliveredTo = new Map(GROUPS.map((g) => [g, new Set<string>()]));
  /** Acks confirmed before the last kill, per group: these must never come again. */
  const ackedBeforeKill = new Map(GROUPS.map((g) => [g, new Set<string>()]));
  const ackedNow = new Map(GROUPS.map((g) => [g, new Set<string>()]));
  const report: SoakReport = { cycles: 0, operations: 0, acknowledged: 0, delivered: 0, lost: 0, forbidden: 0, redelivered: 0, pending: 0, problems: [] };
  let first = 0;

  const onMessage = (m: WorkerMessage) => {
    if (m.acked) {
      report.operations++;
      if (m.acked === 'rollback') rolledBack.add(m.id);
      else acknowledged.set(m.id, m.acked);
    } else if (m.delivered) {
      report.delivered++;
      deliveredTo.get(m.delivered)!.add(m.id);
      if (rolledBack.has(m.id) || !mayBeDelivered(m.plan, m.n ?? NaN)) {
        report.forbidden++;
        report.problems.push(`forbidden: ${m.id} (plan ${m.plan}, n ${m.n}) delivered to ${m.delivered}`);
      }
      if (ackedBeforeKill.get(m.delivered)!.has(m.id)) {
        report.redelivered++;
        report.problems.push(`redelivered: ${m.id} to ${m.delivered} after its ack was confirmed before a restart`);
      }
    } else if (m.ackedBy) {
      report.operations++;
      ackedNow.get(m.ackedBy)!.add(m.id);
    }
  };
  const startWorker = (endpoint: string, drain: boolean): ChildProcess => {
    const args = [endpoint, topic, '--answer-checks', '--delay-topic', delayTopic, '--groups', GROUPS.join(','), '--first', String(first)];
    if (drain) args.push('--no-send');
    first += 1_000_000; // message numbers stay unique across workers
    const child = fork(WORKER, args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', onMessage);
    return child;
  };
  const stopWorker = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  const pendingTransactions = async (endpoint: string): Promise<number> => {
    const admin = rawClient(endpoint);
    try {
      const res = await admin.admin('ListTransactions', { topic, state: 'PENDING', limit: 10_000 });
      return (res.transactions as unknown[]).length;
    } finally {
      admin.close();
    }
  };
  const missing = () => [...acknowledged.keys()].filter((id) => GROUPS.some((g) => !deliveredTo.get(g)!.has(id)));

  /** Consumers and the checker only, until everything acknowledged is delivered and nothing is pending. */
  const drain = async (endpoint: string): Promise<void> => {
    const worker = startWorker(endpoint, true);
    const end = Date.now() + (options.drainTimeoutMs ?? 30_000);
    let pending = Infinity;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      // Its clients failed (e.g. a request the broker refused): what it misses is not a loss of the store.
      if (worker.exitCode !== null) throw new Error(`the drain worker exited early (code ${worker.exitCode})`);
      pending = await pendingTransactions(endpoint);
      if (pending === 0 && missing().length === 0) break;
    }
    // Whatever was delivered is in; give the last acks a moment to be confirmed.
    await new Promise((r) => setTimeout(r, 300));
    await stopWorker(worker);
    report.pending = pending;
    const lost = missing();
    if (lost.length > 0)
      report.problems.push(
        `lost: ${lost.length} acknowledged messages not delivered to every group (${lost
          .slice(0, 5)
          .map((id) => `${acknowledged.get(id)} ${id} missing in ${GROUPS.filter((g) => !deliveredTo.get(g)!.has(id)).join(', ')}`)
          .join('; ')})`,
      );
    if (pending > 0) report.problems.push(`pending: ${pending} transactions still undecided after the drain`);
    report.lost = lost.length;
  };

  let broker: BrokerProcess | undefined;
  try {
    broker = await startBrokerProcess(dir, port, flags);
    const admin = rawClient(broker.endpoint);
    for (const [name, type] of [
      [topic, 'TRANSACTION'],
      [delayTopic, 'DELAY'],
    ] as const) {
      const res = await admin.admin('CreateTopic', { name, message_type: type });
      if (res.status.code !== 'OK') throw new Error(`cannot create ${name}: ${res.status.message}`);
    }
    admin.close();
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const load = startWorker(broker.endpoint, false);
      // The kill comes a random time after the load is under way (its first acknowledgement).
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the load worker acknowledged nothing in 30 s')), 30_000);
        load.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const loadMs = minLoad + Math.floor(random() * (maxLoad - minLoad));
      await new Promise((r) => setTimeout(r, loadMs));
      await broker.stop('SIGKILL');
      for (const g of GROUPS) for (const id of ackedNow.get(g)!) ackedBeforeKill.get(g)!.add(id);
      await stopWorker(load);
      // The same data: the store must open cleanly (startBrokerProcess waits for it to serve).
      broker = await startBrokerProcess(dir, port, flags);
      await drain(broker.endpoint);
      for (const g of GROUPS) for (const id of ackedNow.get(g)!) ackedBeforeKill.get(g)!.add(id);
      report.cycles = cycle;
      report.acknowledged = acknowledged.size;
      say(
        `cycle ${cycle}/${options.cycles}: killed after ${loadMs} ms; operations ${report.operations}, acknowledged ${acknowledged.size}, delivered ${report.delivered}, lost ${report.lost}, forbidden ${report.forbidden}, redelivered ${report.redelivered}, pending ${report.pending}`,
      );
      if (report.lost > 0 || report.forbidden > 0 || report.redelivered > 0 || report.pending > 0) break;
    }
  } finally {
    await broker?.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
  return report;
}
