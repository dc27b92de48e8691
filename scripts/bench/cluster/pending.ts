// The cluster benchmark's pending-transactions figure: one `halfmoon start --store postgres://…`
// process on a fresh database, N half messages written straight into half_message with one SQL
// statement (already due, records built by the domain's newHalfRecord, so the broker reads them
// as its own), then a producer (lean client, Telemetry stream, counting only) attaches: the delay
// from its attach to the first check it receives, and the check dispatch rate, with the CPU of
// the broker and of PostgreSQL per check. Bounded in time.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { newHalfRecord } from '../../../src/domain/transactions.js';
import type { MessageInput } from '../../../src/domain/messages.js';
import { headerOf } from '../../../src/store/pg/records.js';
import { LeanGrpc, type PbReply } from '../lean-grpc.js';
import { startHalfmoon } from '../peers/brokers.js';
import { runLoadTask } from '../peers/fork-load.js';
import { SCALE_FLAGS } from '../peers/halfmoon-scale.js';
import { sampleTree } from '../peers/proc.js';
import { sampleDb, type BenchPostgres } from './database.js';

export interface ClusterPendingFigures {
  pending: number;
  populateSeconds: number;
  checksSeen: number;
  checksPerSec: number;
  /** From the producer's attach (its Telemetry settings reply) to the first check it received. */
  firstCheckDelayMs: number;
  brokerUsPerCheck: number;
  pgUsPerCheck: number;
  watchSeconds: number;
}

const TOPIC = 'BenchPending';
const SCHEMA = 'halfmoon';

export function ok(what: string, r: PbReply): PbReply {
  if (r.status.code !== 'OK') throw new Error(`${what}: ${r.status.code} ${r.status.message}`);
  return r;
}

/** Writes `count` due half messages of TOPIC in one statement; returns the seconds it took. */
async function populate(pg: BenchPostgres, database: string, count: number): Promise<number> {
  const t0 = performance.now();
  const now = Date.now();
  const message: MessageInput = {
    topic: TOPIC,
    messageId: 'X',
    messageType: 'TRANSACTION',
    body: Buffer.alloc(1024, 0x62),
    keys: [],
    userProperties: {},
    bornTimestampMs: now - 10_000,
    bornHost: 'bench',
  };
  const meta = newHalfRecord({ transactionId: 'X', message, producerGroup: TOPIC, senderClientId: 'bench-pending-producer', budget: 'checks' }, now - 10_000, 9_000);
  await pg.server.query(
    `INSERT INTO ${SCHEMA}.half_message (txn_id, producer_group, topic, state, next_check_at_ms, keys, meta, header, body)
     SELECT id, $1, $1, 'PENDING', $2, '{}', jsonb_set(jsonb_set($3::jsonb, '{transactionId}', to_jsonb(id)), '{messageId}', to_jsonb(id)),
            jsonb_set($4::jsonb, '{messageId}', to_jsonb(id)), $5
     FROM (SELECT 'PENDTX' || lpad(upper(to_hex(i)), 14, '0') AS id FROM generate_series(0, $6::int - 1) AS i) AS s`,
    [TOPIC, meta.nextCheckAtMs, JSON.stringify(meta), headerOf(message), message.body, count],
    database,
  );
  await pg.server.query(`ANALYZE ${SCHEMA}.half_message`, [], database);
  return (performance.now() - t0) / 1000;
}

export async function pendingFigures(pg: BenchPostgres, scratch: string, pending: number, watchSeconds: number): Promise<ClusterPendingFigures> {
  const database = 'bench_pending';
  const url = await pg.server.createDatabase(database);
  const b = await startHalfmoon({ dir: join(scratch, 'pending'), flags: ['--store', url, '--broker-id', 'bench-pending', ...SCALE_FLAGS] });
  try {
    const admin = await LeanGrpc.connect(b.endpoint, `bench-cluster-admin-${process.pid}`);
    try {
      ok('CreateTopic', await admin.unary('admin.CreateTopic', { name: TOPIC, message_type: 'TRANSACTION' }));
    } finally {
      admin.close();
    }
    const populateSeconds = await populate(pg, database, pending);
    const cpu0 = sampleTree(b.pid).cpuS;
    const db0 = await sampleDb(pg, database);
    const out = await runLoadTask({
      op: 'watch-checks',
      target: { config: 'halfmoon', endpoint: b.endpoint, name: TOPIC, mode: 'tx', prefetch: 0, ackBatch: 1, answerChecks: false },
      n: pending,
      timeoutMs: watchSeconds * 1000,
    });
    const cpu1 = sampleTree(b.pid).cpuS;
    const db1 = await sampleDb(pg, database);
    const x = out.extra;
    const checks = x.checks ?? 0;
    const span = ((x.lastCheckWall ?? 0) - (x.firstCheckWall ?? 0)) / 1000;
    const n = Math.max(1, checks);
    return {
      pending,
      populateSeconds,
      checksSeen: checks,
      checksPerSec: span > 0 ? checks / span : 0,
      firstCheckDelayMs: x.firstCheckWall && x.attachedWall ? x.firstCheckWall - x.attachedWall : Number.NaN,
      brokerUsPerCheck: ((cpu1 - cpu0) * 1e6) / n,
      pgUsPerCheck: ((db1.cpuS - db0.cpuS) * 1e6) / n,
      watchSeconds,
    };
  } finally {
    await b.stop();
    await pg.server.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  }
}
