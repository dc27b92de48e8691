// Owns the decision records of the LevelDB backend and their two indexes, written and deleted
// in the same batch as the record: `txdecisionkey` (message key, inverted decision time,
// transaction id: a key's decisions newest first, so findDecisions reads only that key's
// entries) and `txdecisiontime` (decision time, transaction id: purgeDecisions deletes the
// oldest first without a scan). Also the migration that indexes decisions of older formats.
// Records are encoded by decision-codec.ts (binary since format 8; JSON ones of older formats read).
import type { TransactionDecision } from '../../domain/transactions.js';
import type { DecisionFilter } from '../broker-store.js';
import { BULK_BATCH, EMPTY, type LevelDb, type Op } from './db.js';
import { decodeDecision, encodeDecision, tryDecodeDecision } from './decision-codec.js';
import { decisionKeyKey, decisionTimeKey, prefixRange, split, u64 } from './keys.js';

/** Newest first in key order: the index stores this minus the decision time. */
const NEWEST_FIRST = Number.MAX_SAFE_INTEGER;

export class Decisions {
  constructor(private readonly d: LevelDb) {}

  async get(transactionId: string): Promise<TransactionDecision | undefined> {
    const value = await this.d.decisions.get(transactionId);
    return value ? decodeDecision(transactionId, value) : undefined;
  }

  /** Whether a decision is recorded for the transaction, looked up synchronously (see LevelDb.has: for ids that are almost always absent). */
  has(transactionId: string): boolean {
    return this.d.has(this.d.decisions, transactionId);
  }

  /** The puts that record a decision: the record, one key-index entry per message key, the time-index entry. */
  puts(decision: TransactionDecision): Op[] {
    const ops = this.indexOps('put', decision.transactionId, decision);
    ops.unshift({ type: 'put', sublevel: this.d.decisions, key: decision.transactionId, value: encodeDecision(decision) });
    return ops;
  }

  /** Index ops of a decision; an unreadable one (undefined) is in the time index only, at time 0. */
  private indexOps(type: 'put' | 'del', transactionId: string, decision: TransactionDecision | undefined): Op[] {
    const time: Op = { type, sublevel: this.d.decisionByTime, key: decisionTimeKey(decision?.decidedAtMs ?? 0, transactionId) };
    if (type === 'put') time.value = EMPTY;
    return [time, ...this.keyIndexOps(type, transactionId, decision)];
  }

  private keyIndexOps(type: 'put' | 'del', transactionId: string, decision: TransactionDecision | undefined): Op[] {
    const ops: Op[] = [];
    if (!decision) return ops;
    for (const key of new Set(decision.keys ?? [])) {
      ops.push({ type, sublevel: this.d.decisionByKey, key: decisionKeyKey(key, NEWEST_FIRST - decision.decidedAtMs, transactionId) });
    }
    if (type === 'put') for (const op of ops) op.value = EMPTY;
    return ops;
  }

  async find(filter: DecisionFilter): Promise<TransactionDecision[]> {
    const out: TransactionDecision[] = [];
    if (filter.limit <= 0) return out;
    const chunk = Math.min(Math.max(filter.limit, 16), 1_000);
    let ids: string[] = [];
    // Reads the records of a chunk of index entries; true once the limit is reached.
    const take = async (): Promise<boolean> => {
      const values = await this.d.decisions.getMany(ids);
      const read = ids;
      ids = [];
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        const d = value ? tryDecodeDecision(read[i]!, value) : undefined;
        // The key check also guards against a message key that merely starts with filter.key + NUL.
        if (!d?.keys?.includes(filter.key)) continue;
        if ((filter.state && d.state !== filter.state) || (filter.topic && d.topic !== filter.topic)) continue;
        out.push(d);
        if (out.length >= filter.limit) return true;
      }
      return false;
    };
    for await (const key of this.d.decisionByKey.keys(prefixRange(filter.key))) {
      const parts = split(key);
      ids.push(parts[parts.length - 1]!);
      if (ids.length >= chunk && (await take())) return out;
    }
    if (ids.length > 0) await take();
    return out;
  }

  /**
   * Deletes up to `limit` decisions made at least `olderThanMs` ago, oldest first, each with its
   * index entries, in one batch; `more` when older ones are left.
   */
  async purge(olderThanMs: number, limit: number): Promise<{ deleted: number; more: boolean }> {
    const before = this.d.clock.now() - olderThanMs;
    if (before < 0 || limit <= 0) return { deleted: 0, more: false };
    // One purge at a time: two would read the same oldest entries.
    return this.d.mutex.run('purgeDecisions', () => this.purgeUpTo(before, limit));
  }

  private async purgeUpTo(before: number, limit: number): Promise<{ deleted: number; more: boolean }> {
    const timeKeys: string[] = [];
    let more = false;
    for await (const key of this.d.decisionByTime.keys({ lt: u64(before + 1), limit: limit + 1 })) {
      if (timeKeys.length >= limit) {
        more = true;
        break;
      }
      timeKeys.push(key);
    }
    if (timeKeys.length === 0) return { deleted: 0, more: false };
    const ids = timeKeys.map((key) => split(key)[1]!);
    const values = await this.d.decisions.getMany(ids);
    const ops: Op[] = [];
    ids.forEach((id, i) => {
      const value = values[i];
      ops.push({ type: 'del', sublevel: this.d.decisions, key: id }, { type: 'del', sublevel: this.d.decisionByTime, key: timeKeys[i]! });
      // Its key-index entries, as far as the record can be read.
      ops.push(...this.keyIndexOps('del', id, value ? tryDecodeDecision(id, value) : undefined));
    });
    await this.d.write(ops);
    return { deleted: ids.length, more };
  }

  /** Migration to format 3: indexes every decision written before (by key and by time). Returns how many. */
  async buildIndexes(): Promise<number> {
    let ops: Op[] = [];
    let count = 0;
    for await (const [id, value] of this.d.decisions.iterator()) {
      ops.push(...this.indexOps('put', id, tryDecodeDecision(id, value)));
      count++;
      if (ops.length >= BULK_BATCH) {
        await this.d.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.d.write(ops);
    return count;
  }
}
