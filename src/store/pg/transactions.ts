// Owns the PostgreSQL store's transactions: half messages, the terminal decision (half removed,
// decision recorded and, on COMMIT, the message appended, all in one SQL transaction), check
// claims (due rows locked with SKIP LOCKED, so concurrent brokers never claim one twice; the
// domain rule planClaim decides each one and moves its due time under those locks), and counters.
import { BrokerError, Code } from '../../errors.js';
import type { MessageInput } from '../../domain/messages.js';
import {
  abandon,
  answerCheck,
  decide,
  halfMessageOf,
  planClaim,
  quarantine,
  rearm,
  releaseCheck,
  newHalfRecord,
  repeatOf,
  type DecisionActor,
  type DecisionSource,
  type EndTransactionResult,
  type HalfMessage,
  type HalfRecord,
  type NewHalf,
  type Resolution,
  type TransactionCounters,
  type TransactionDecision,
} from '../../domain/transactions.js';
import type { ClaimChecksRequest, ClaimChecksResult, DecisionFilter, TransactionFilter } from '../broker-store.js';
import type { Tx } from './db.js';
import { appendIn, queueKey } from './log.js';
import { fromRow, headerOf, type PgContext } from './records.js';

/** Half-message metadata (the meta column): the HalfMessage without its message, plus what lookups need. */
type HalfMeta = HalfRecord;
interface HalfRow {
  meta: HalfMeta;
  header: Omit<MessageInput, 'body'>;
  body: Buffer;
}

const COUNTER_SHARDS = 8;
type CounterName = 'committed' | 'rolledBack' | 'checksSent' | 'checksAnswered';

function halfOf(row: HalfRow): HalfMessage {
  return halfMessageOf(row.meta, fromRow<MessageInput>(row));
}

/** Adds to a counter, on one of its shards, at random (no single hot row). */
async function bump(tx: Tx, name: CounterName, delta: number): Promise<void> {
  await tx.run('bump_counter', [name, Math.floor(Math.random() * COUNTER_SHARDS), delta]);
}

/** The decisions of one SQL transaction, written together at its end. */
interface Deciding {
  decisions: Map<string, TransactionDecision>;
  commits: { input: MessageInput & { transactionId: string }; decision: TransactionDecision }[];
}
const deciding = new WeakMap<Tx, Deciding>();

/**
 * The decisions of `tx` (db.batched groups many): each one locks and reads its half message, and
 * at the end of the transaction the committed messages are appended per topic in one statement
 * each (offsets set on their decisions) and every half message is removed and its decision
 * recorded in one statement: a group of K decisions is K + 2 round trips, not 3 K.
 */
function decidingIn(tx: Tx, nowMs: number): Deciding {
  const known = deciding.get(tx);
  if (known) return known;
  const group: Deciding = { decisions: new Map(), commits: [] };
  deciding.set(tx, group);
  tx.beforeCommit('1-decisions', async () => {
    const byTopic = new Map<string, Deciding['commits']>();
    for (const c of group.commits) byTopic.set(c.decision.topic, [...(byTopic.get(c.decision.topic) ?? []), c]);
    for (const topic of [...byTopic.keys()].sort()) {
      const commits = byTopic.get(topic)!;
      const stored = await appendIn(
        tx,
        nowMs,
        topic,
        0,
        commits.map((c) => c.input),
      );
      commits.forEach((c, i) => (c.decision.offset = stored[i]!.offset));
    }
    const ds = [...group.decisions.values()];
    await tx.run('finish_halves', [
      ds.map((d) => d.transactionId),
      ds.map((d) => d.state),
      ds.map((d) => d.topic),
      ds.map((d) => d.decidedAtMs),
      ds.map((d) => JSON.stringify(d.keys ?? [])),
      ds.map((d) => JSON.stringify(d)),
    ]);
  });
  return group;
}

const atCommit = new WeakMap<Tx, Map<CounterName, number>>();

/**
 * Adds to a counter at the end of the SQL transaction. Decisions share transactions
 * (db.batched): a group that bumped random shards as it went could deadlock with another group
 * doing so in another order; bumped last, once per counter, in name order, counter rows are
 * always locked in one order.
 */
function countAtCommit(tx: Tx, name: CounterName, delta: number): void {
  let counts = atCommit.get(tx);
  if (!counts) {
    const pending = (counts = new Map<CounterName, number>());
    atCommit.set(tx, pending);
    tx.beforeCommit('counters', async () => {
      for (const n of [...pending.keys()].sort()) if (pending.get(n)) await bump(tx, n, pending.get(n)!);
    });
  }
  counts.set(name, (counts.get(name) ?? 0) + delta);
}

async function saveMeta(tx: Tx, meta: HalfMeta): Promise<void> {
  await tx.run('update_half', [meta.transactionId, meta.state, meta.nextCheckAtMs, JSON.stringify(meta)]);
}

export class PgTransactions {
  constructor(private readonly ctx: PgContext) {}

  private now(): number {
    return this.ctx.clock.now();
  }

  putHalf(half: NewHalf, firstCheckInMs: number): Promise<void> {
    const meta = newHalfRecord(half, this.now(), firstCheckInMs);
    // Half messages lock nothing that others wait for: concurrent ones share a transaction and its flush.
    return this.ctx.db.batched('halves', async (tx) => {
      await tx.run('insert_half', [
        half.transactionId,
        half.producerGroup,
        half.message.topic,
        meta.nextCheckAtMs,
        half.message.keys,
        JSON.stringify(meta),
        headerOf(half.message),
        half.message.body,
      ]);
      tx.notify('halfPublished', half.message.topic);
    });
  }

  async getHalf(transactionId: string): Promise<HalfMessage | undefined> {
    const [row] = await this.ctx.db.rows<HalfRow>('get_half', [transactionId]);
    return row ? halfOf(row) : undefined;
  }

  async getDecision(transactionId: string): Promise<TransactionDecision | undefined> {
    const [row] = await this.ctx.db.rows<{ record: TransactionDecision }>('get_decision', [transactionId]);
    return row?.record;
  }

  endTransaction(
    transactionId: string,
    resolution: Resolution,
    source: DecisionSource,
    expect?: { topic?: string; messageId?: string },
    reason?: string,
    actor?: DecisionActor,
  ): Promise<EndTransactionResult> {
    const now = this.now();
    // A COMMIT appends to queue 0 of its topic: decisions share a transaction with the other
    // changes waiting for that queue's head row (the topic is the caller's expectation, checked below).
    return this.ctx.db.batched(queueKey(expect?.topic ?? '', 0), async (tx): Promise<EndTransactionResult> => {
      if (source === 'SERVER_CHECK') countAtCommit(tx, 'checksAnswered', 1);
      // The half row lock: a concurrent decision waits, then finds the row gone and the decision made.
      const group = decidingIn(tx, now);
      const earlier = group.decisions.get(transactionId);
      if (earlier) return { kind: repeatOf(earlier, resolution), decision: earlier }; // decided in this same transaction
      const [row] = await tx.rows<HalfRow & { topic_exists: boolean }>('lock_half_deciding', [transactionId]);
      if (!row) {
        const [d] = await tx.rows<{ record: TransactionDecision }>('get_decision', [transactionId]);
        if (!d) return { kind: 'unknown' };
        return { kind: repeatOf(d.record, resolution), decision: d.record };
      }
      const meta = row.meta;
      if ((expect?.topic && expect.topic !== meta.topic) || (expect?.messageId && expect.messageId !== meta.messageId)) {
        return { kind: 'mismatch', expected: { topic: meta.topic, messageId: meta.messageId } };
      }
      const decision = decide(meta, resolution, source, now, reason, actor);
      if (resolution === 'COMMIT') {
        if (!row.topic_exists) {
          throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${meta.topic} was deleted; the transaction can only be rolled back`);
        }
        group.commits.push({ input: { ...fromRow<MessageInput>(row), transactionId }, decision });
      }
      group.decisions.set(transactionId, decision);
      countAtCommit(tx, resolution === 'COMMIT' ? 'committed' : 'rolledBack', 1);
      return { kind: 'applied', decision };
    });
  }

  claimDueChecks(req: ClaimChecksRequest): Promise<ClaimChecksResult> {
    const now = this.now();
    return this.ctx.db.tx(async (tx) => {
      const result: ClaimChecksResult = { claimed: [], exhausted: [], quarantined: [] };
      const due = await tx.rows<HalfRow & { txn_id: string }>('claim_due_halves', [req.producerGroup, now, req.limit]);
      const writes: HalfMeta[] = [];
      for (const row of due) {
        const meta = row.meta;
        if (typeof meta?.producerGroup !== 'string' || typeof meta.checkCount !== 'number') {
          // A row this version cannot read: out of the check index, ABANDONED for an operator.
          const reason = 'its record is unreadable';
          writes.push(quarantine({ ...meta, transactionId: row.txn_id, nextCheckAtMs: meta?.nextCheckAtMs ?? 0 }, reason));
          result.quarantined.push({ transactionId: row.txn_id, reason });
          continue;
        }
        const step = planClaim(meta, now, req);
        if (step.kind === 'exhausted') result.exhausted.push({ half: halfOf(row), reason: step.reason });
        if (step.kind !== 'claim') continue; // dangling and not due cannot happen under the row lock; noTarget stays due
        writes.push(step.updated);
        result.claimed.push(halfMessageOf(step.updated, fromRow<MessageInput>(row)));
      }
      if (writes.length > 0) {
        await tx.run('update_halves', [
          writes.map((m) => m.transactionId),
          writes.map((m) => m.state),
          writes.map((m) => m.nextCheckAtMs),
          writes.map((m) => JSON.stringify(m)),
        ]);
      }
      if (result.claimed.length > 0) await bump(tx, 'checksSent', result.claimed.length);
      return result;
    });
  }

  /** Runs `fn` on the locked metadata of a transaction in `state`; false when there is none. */
  private withHalf(transactionId: string, state: HalfMeta['state'], fn: (tx: Tx, meta: HalfMeta) => Promise<void>): Promise<boolean> {
    return this.ctx.db.tx(async (tx) => {
      const [row] = await tx.rows<HalfRow>('lock_half', [transactionId]);
      if (!row || row.meta.state !== state) return false;
      await fn(tx, row.meta);
      return true;
    });
  }

  async releaseCheck(transactionId: string): Promise<void> {
    const now = this.now();
    await this.withHalf(transactionId, 'PENDING', async (tx, meta) => {
      await saveMeta(tx, releaseCheck(meta, now));
      await bump(tx, 'checksSent', -1);
    });
  }

  abandonTransaction(transactionId: string, reason: string): Promise<boolean> {
    return this.withHalf(transactionId, 'PENDING', (tx, meta) => saveMeta(tx, abandon(meta, reason)));
  }

  rearmTransaction(transactionId: string, dueInMs: number): Promise<boolean> {
    const dueAt = this.now() + dueInMs;
    return this.withHalf(transactionId, 'ABANDONED', (tx, meta) => saveMeta(tx, rearm(meta, dueAt)));
  }

  async recordCheckAnswer(transactionId: string, intervalMs: number): Promise<void> {
    const now = this.now();
    await this.ctx.db.tx(async (tx) => {
      await bump(tx, 'checksAnswered', 1);
      const [row] = await tx.rows<HalfRow>('lock_half', [transactionId]);
      const updated = row && answerCheck(row.meta, now, intervalMs);
      if (updated) await saveMeta(tx, updated);
    });
  }

  async nextCheckDueInMs(producerGroup: string): Promise<number | undefined> {
    const [row] = await this.ctx.db.rows<{ at: number | null }>('next_check_due', [producerGroup]);
    return row?.at == null ? undefined : Math.max(0, row.at - this.now());
  }

  async pendingProducerGroups(): Promise<string[]> {
    return (await this.ctx.db.rows<{ producer_group: string }>('pending_groups')).map((r) => r.producer_group);
  }

  async pendingTransactionCount(producerGroup: string): Promise<number> {
    const [row] = await this.ctx.db.rows<{ n: number }>('pending_count', [producerGroup]);
    return row?.n ?? 0;
  }

  async listTransactions(filter: TransactionFilter): Promise<HalfMessage[]> {
    const rows = await this.ctx.db.rows<HalfRow>('list_halves', [filter.topic ?? null, filter.state ?? null, filter.key ?? null, filter.limit ?? 1000]);
    return rows.map(halfOf);
  }

  async findDecisions(filter: DecisionFilter): Promise<TransactionDecision[]> {
    const rows = await this.ctx.db.rows<{ record: TransactionDecision }>('find_decisions', [filter.key, filter.state ?? null, filter.topic ?? null, filter.limit]);
    return rows.map((r) => r.record);
  }

  purgeDecisions(olderThanMs: number, limit: number): Promise<{ deleted: number; more: boolean }> {
    const before = this.now() - olderThanMs;
    return this.ctx.db.tx(async (tx) => {
      const deleted = await tx.run('purge_decisions', [before, limit]);
      return { deleted, more: deleted >= limit };
    });
  }

  async transactionCounters(): Promise<TransactionCounters> {
    const counters: TransactionCounters = { pending: 0, abandoned: 0, committed: 0, rolledBack: 0, checksSent: 0, checksAnswered: 0 };
    for (const r of await this.ctx.db.rows<{ name: CounterName; value: number }>('read_counters')) counters[r.name] = r.value;
    for (const r of await this.ctx.db.rows<{ state: string; n: number }>('count_states')) {
      if (r.state === 'PENDING') counters.pending = r.n;
      else counters.abandoned = r.n;
    }
    return counters;
  }
}
