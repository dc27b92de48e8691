// Owns the half messages of the LevelDB backend: metadata (`half`, rewritten on each check,
// encoded by half-codec.ts) and bodies (`halfbody`, written once), the due-time index entry of a PENDING one (`checkdue`), the
// terminal transition endTransaction (half removed, COMMIT appended to the log, decision and its
// indexes recorded: one batch), listings, and the counters (pending per producer group and
// abandoned written at a clean close as `meta txcounts` and read back at the next open, rebuilt
// from `half` after a crash; the others kept in `meta counters`). Claims and the other check transitions are in
// checks.ts; decision records and their indexes in decisions.ts.
//
// Recent half messages are cached in memory (bounded by bytes, least recently used out): putHalf
// fills the cache with what it wrote, so COMMIT appends the message without reading the half
// back and a retried SendMessage of a cached transaction is a no-op without reads. Every other
// metadata rewrite (halfMetaOp: checks, abandon, rearm) drops the cached metadata, endTransaction
// and quarantine drop the entry; a miss reads the disk as before.
import { BrokerError, Code } from '../../errors.js';
import type { MessageInput } from '../../domain/messages.js';
import {
  decide,
  halfMessageOf,
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
} from '../../domain/transactions.js';
import type { TransactionFilter } from '../broker-store.js';
import type { PointReads } from './batched-reads.js';
import { BoundedCache } from './bounded-cache.js';
import { BULK_BATCH, EMPTY, json, parse, type LevelDb, type Op } from './db.js';
import { decodeHalfMeta, encodeHalfMeta, tryDecodeHalfMeta } from './half-codec.js';
import type { Decisions } from './decisions.js';
import { checkDueKey } from './keys.js';
import type { Queues } from './queues.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
import type { Topics } from './topics.js';

/** Where a clean close records the counts rebuilt at open otherwise (see load). */
const COUNTS_KEY = 'txcounts';

interface CountsSnapshot {
  pendingByGroup: Record<string, number>;
  abandoned: number;
  /** Unreadable half records left out of the counts and not quarantined yet (see unreadableLeft). */
  uncounted?: string[];
}

/** The snapshot when it is there and well formed; undefined sends load to the recount. */
function readCounts(value: Buffer | undefined): CountsSnapshot | undefined {
  if (!value) return undefined;
  try {
    const s = parse<Partial<CountsSnapshot> | null>(value);
    const whole = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
    if (typeof s?.pendingByGroup !== 'object' || s.pendingByGroup === null || !whole(s.abandoned)) return undefined;
    if (s.uncounted !== undefined && !(Array.isArray(s.uncounted) && s.uncounted.every((id) => typeof id === 'string'))) return undefined;
    return Object.values(s.pendingByGroup).every(whole) ? (s as CountsSnapshot) : undefined;
  } catch {
    return undefined;
  }
}

/** Half-message metadata: everything but the body (kept apart, written once); rewritten on each check. */
export type HalfMeta = HalfRecord;

export const txLock = (transactionId: string): string => `tx\x00${transactionId}`;

/** Default bound of the recent half-message cache. */
export const HALF_CACHE_BYTES = 64 * 1024 * 1024;

/** Bytes an entry costs beyond its body and header (objects, map slot). */
const HALF_ENTRY_OVERHEAD = 512;

/** A half message as putHalf wrote it: its metadata until rewritten, and its message (written once). */
interface CachedHalf {
  meta: HalfMeta | undefined;
  message: MessageInput;
}

export class Transactions {
  readonly pendingByGroup = new Map<string, number>();
  /** Unreadable half records the recount at open left out of the counts (see unreadableLeft). */
  private readonly uncounted = new Set<string>();
  counters: TransactionCounters = { pending: 0, abandoned: 0, committed: 0, rolledBack: 0, checksSent: 0, checksAnswered: 0 };
  private countersDirty = false;

  /** Recent half messages by transaction id (see the top comment); the caller holds the tx lock to change an entry. */
  private readonly halfCache: BoundedCache<string, CachedHalf>;

  constructor(
    private readonly d: LevelDb,
    private readonly queues: Queues,
    private readonly topics: Topics,
    private readonly decisions: Decisions,
    halfCacheBytes: number = HALF_CACHE_BYTES,
  ) {
    this.halfCache = new BoundedCache(halfCacheBytes);
    d.writeWithEveryBatch(() => this.counterOp());
    d.writeAtClose(() => [{ type: 'put', sublevel: d.meta, key: COUNTS_KEY, value: json(this.countsSnapshot()) }]);
  }

  /** Entries and bytes of the half-message cache (tests, diagnostics). */
  get halfCacheStats(): { entries: number; bytes: number } {
    return { entries: this.halfCache.size, bytes: this.halfCache.cost };
  }

  /** Drops a transaction's cached half message (its record changes other than by a metadata rewrite). Caller holds the tx lock. */
  forgetHalf(transactionId: string): void {
    this.halfCache.delete(transactionId);
  }

  /**
   * At open: the stored counters, and the pending/abandoned counts — from the snapshot of the
   * last clean close, removed (durably) before anything else is written so that a crash from here
   * on is rebuilt; without one (a crash, or an older format), recounted from every `half` record.
   */
  async load(): Promise<void> {
    const counters = await this.d.meta.get('counters');
    if (counters) this.counters = { ...this.counters, ...parse<TransactionCounters>(counters) };
    this.counters.pending = 0;
    this.counters.abandoned = 0;
    const recorded = await this.d.meta.get(COUNTS_KEY);
    if (recorded) await this.d.write([{ type: 'del', sublevel: this.d.meta, key: COUNTS_KEY }]);
    const snapshot = readCounts(recorded);
    if (snapshot) {
      for (const [group, n] of Object.entries(snapshot.pendingByGroup)) this.adjustPending(group, n);
      this.counters.abandoned = snapshot.abandoned;
      for (const id of snapshot.uncounted ?? []) this.uncounted.add(id);
      return;
    }
    for await (const [key, value] of this.d.halfMeta.iterator()) {
      const h = tryDecodeHalfMeta(key, value);
      if (!h) {
        this.uncounted.add(key); // unreadable: quarantined when its check comes due, never counted
        continue;
      }
      if (h.state === 'PENDING') this.adjustPending(h.producerGroup, 1);
      else this.counters.abandoned++;
    }
  }

  /**
   * A transaction whose record is unreadable left the check index (quarantine): it is pending no
   * more in the group its index entry named — unless the recount at open never counted it.
   */
  unreadableLeft(transactionId: string, producerGroup: string): void {
    if (!this.uncounted.delete(transactionId)) this.adjustPending(producerGroup, -1);
  }

  private countsSnapshot(): CountsSnapshot {
    const snapshot: CountsSnapshot = { pendingByGroup: Object.fromEntries(this.pendingByGroup), abandoned: this.counters.abandoned };
    if (this.uncounted.size > 0) snapshot.uncounted = [...this.uncounted];
    return snapshot;
  }

  /** Migration from format 1, which kept the MQ HTTP age budget as a client-id prefix `http:`. */
  async migrateBudgets(): Promise<void> {
    let ops: Op[] = [];
    for await (const [key, value] of this.d.halfMeta.iterator()) {
      const meta = tryDecodeHalfMeta(key, value) as (Omit<HalfMeta, 'budget'> & { budget?: HalfMeta['budget'] }) | undefined;
      if (!meta || meta.budget) continue;
      ops.push({ type: 'put', sublevel: this.d.halfMeta, key, value: encodeHalfMeta({ ...meta, budget: meta.senderClientId.startsWith('http:') ? 'age' : 'checks' }) });
      if (ops.length >= BULK_BATCH) {
        await this.d.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.d.write(ops);
  }

  /**
   * The counters changed: their record joins the next batch written. It is written once per batch
   * (not once per transition), with the values of the moment the batch is written.
   */
  countersChanged(): void {
    this.countersDirty = true;
  }

  private counterOp(): Op | undefined {
    if (!this.countersDirty) return undefined;
    this.countersDirty = false;
    const { committed, rolledBack, checksSent, checksAnswered } = this.counters;
    return { type: 'put', sublevel: this.d.meta, key: 'counters', value: json({ committed, rolledBack, checksSent, checksAnswered }) };
  }

  adjustPending(group: string, delta: number): void {
    const n = (this.pendingByGroup.get(group) ?? 0) + delta;
    if (n <= 0) this.pendingByGroup.delete(group);
    else this.pendingByGroup.set(group, n);
    this.counters.pending += delta;
  }

  /** The put of a rewritten metadata record; drops the cached copy (the message stays cached). Caller holds the tx lock. */
  halfMetaOp(meta: HalfMeta): Op {
    const cached = this.halfCache.get(meta.transactionId);
    if (cached) cached.meta = undefined;
    return this.metaPut(meta);
  }

  private metaPut(meta: HalfMeta): Op {
    return { type: 'put', sublevel: this.d.halfMeta, key: meta.transactionId, value: encodeHalfMeta(meta) };
  }

  /** `reads`: where the record is read from (a claim sweep coalesces its reads, see BatchedReads). */
  async readHalfMeta(transactionId: string, reads: PointReads = this.d.halfMeta): Promise<HalfMeta | undefined> {
    const value = await reads.get(transactionId);
    return value ? decodeHalfMeta(transactionId, value) : undefined;
  }

  /** The message of a transaction; undefined when its body is missing (throws when unreadable). */
  async readMessage(transactionId: string, reads: PointReads = this.d.halfBody): Promise<MessageInput | undefined> {
    const body = await reads.get(transactionId);
    return body ? decodeRecord<MessageInput>(body) : undefined;
  }

  /** The transaction with its message; undefined when the body is missing (throws when unreadable). */
  async withBody(meta: HalfMeta): Promise<HalfMessage | undefined> {
    const message = await this.readMessage(meta.transactionId);
    return message ? halfMessageOf(meta, message) : undefined;
  }

  /** The transaction with its message; an empty body when that is missing or unreadable (quarantined). */
  private async operatorView(meta: HalfMeta): Promise<HalfMessage> {
    const half = await this.withBody(meta).catch(() => undefined);
    if (half) return half;
    const { topic, messageId } = meta;
    const message: MessageInput = {
      topic,
      messageId,
      messageType: 'TRANSACTION',
      body: Buffer.alloc(0),
      keys: meta.keys ?? [],
      userProperties: {},
      bornTimestampMs: meta.receivedAtMs,
      bornHost: '',
    };
    return halfMessageOf(meta, message);
  }

  async putHalf(half: NewHalf, firstCheckInMs: number): Promise<void> {
    await this.d.mutex.run(txLock(half.transactionId), async () => {
      // The same transaction sent again (a retried request): already stored. A cached one is
      // stored for sure (the entry is dropped when it ends); otherwise the disk says.
      if (this.halfCache.has(half.transactionId)) return;
      if (this.d.has(this.d.halfMeta, half.transactionId) || this.decisions.has(half.transactionId)) return;
      const meta = newHalfRecord(half, this.d.clock.now(), firstCheckInMs);
      const record = encodeRecord(half.message);
      await this.d.write(
        [
          { type: 'put', sublevel: this.d.halfBody, key: half.transactionId, value: record },
          this.metaPut(meta),
          { type: 'put', sublevel: this.d.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, meta.transactionId), value: EMPTY },
        ],
        { grows: true },
      );
      this.adjustPending(meta.producerGroup, 1);
      this.cacheHalf(meta, half.message, record.length);
    });
    this.d.events.emit('halfPublished', half.message.topic);
  }

  /**
   * Caches what putHalf wrote. The body is copied into memory of its own, so that the entry
   * neither pins the request's buffers nor costs more than it is charged.
   */
  private cacheHalf(meta: HalfMeta, message: MessageInput, recordBytes: number): void {
    const body = Buffer.allocUnsafeSlow(message.body.length);
    message.body.copy(body);
    this.halfCache.set(meta.transactionId, { meta, message: { ...message, body } }, recordBytes + HALF_ENTRY_OVERHEAD);
  }

  async getHalf(transactionId: string): Promise<HalfMessage | undefined> {
    const meta = await this.readHalfMeta(transactionId);
    return meta ? this.operatorView(meta) : undefined;
  }

  async endTransaction(
    transactionId: string,
    resolution: Resolution,
    source: DecisionSource,
    expect?: { topic?: string; messageId?: string },
    reason?: string,
    actor?: DecisionActor,
  ): Promise<EndTransactionResult> {
    if (source === 'SERVER_CHECK') {
      this.counters.checksAnswered++;
      this.countersChanged(); // written with the next batch
    }
    return this.d.mutex.run(txLock(transactionId), async () => {
      const cached = this.halfCache.get(transactionId);
      const meta = cached?.meta ?? (await this.readHalfMeta(transactionId));
      if (!meta) {
        const decision = await this.decisions.get(transactionId);
        if (!decision) return { kind: 'unknown' };
        return { kind: repeatOf(decision, resolution), decision };
      }
      if ((expect?.topic && expect.topic !== meta.topic) || (expect?.messageId && expect.messageId !== meta.messageId)) {
        return { kind: 'mismatch', expected: { topic: meta.topic, messageId: meta.messageId } };
      }
      const decision = decide(meta, resolution, source, this.d.clock.now(), reason, actor);
      this.halfCache.delete(transactionId); // ends here (a failed write leaves it on disk, read from there)
      const ops: Op[] = [
        { type: 'del', sublevel: this.d.halfMeta, key: transactionId },
        { type: 'del', sublevel: this.d.halfBody, key: transactionId },
      ];
      if (meta.state === 'PENDING') ops.push({ type: 'del', sublevel: this.d.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId) });
      let committed: MessageInput | undefined;
      if (resolution === 'COMMIT' && cached) committed = cached.message;
      else if (resolution === 'COMMIT') {
        const body = await this.d.halfBody.get(transactionId);
        if (!body) throw new BrokerError(Code.INTERNAL_ERROR, `half message body of transaction ${transactionId} is missing: it can only be rolled back`);
        try {
          committed = decodeRecord<MessageInput>(body);
        } catch (cause) {
          throw new BrokerError(Code.INTERNAL_ERROR, `half message body of transaction ${transactionId} is unreadable: it can only be rolled back`, { cause });
        }
      }
      if (resolution === 'COMMIT') {
        if (!(await this.topics.getTopic(meta.topic))) {
          throw new BrokerError(Code.TOPIC_NOT_FOUND, `topic ${meta.topic} was deleted; the transaction can only be rolled back`);
        }
        await this.queues.head(meta.topic, 0);
      }
      // Synchronous from here to write(): offsets enter the write queue in order.
      if (committed) {
        // `committed` is this transition's own object (the cache entry was dropped above, or it was just decoded): tagged in place, not copied.
        const prepared = this.queues.assignOffsets(meta.topic, 0, [Object.assign(committed, { transactionId })]);
        ops.push(...prepared.ops);
        decision.offset = prepared.stored[0]!.offset;
      }
      if (resolution === 'COMMIT') this.counters.committed++;
      else this.counters.rolledBack++;
      ops.push(...this.decisions.puts(decision));
      this.countersChanged();
      await this.d.write(ops);
      // Counted once written: the counts a clean close records match the records on disk.
      if (meta.state === 'PENDING') this.adjustPending(meta.producerGroup, -1);
      else this.counters.abandoned--;
      if (committed) this.queues.notify([meta.topic]);
      return { kind: 'applied', decision };
    });
  }

  async listTransactions(filter: TransactionFilter): Promise<HalfMessage[]> {
    const out: HalfMessage[] = [];
    const limit = filter.limit ?? 1000;
    for await (const [key, value] of this.d.halfMeta.iterator()) {
      const meta = tryDecodeHalfMeta(key, value);
      if (!meta) continue;
      if (filter.topic && meta.topic !== filter.topic) continue;
      if (filter.state && meta.state !== filter.state) continue;
      const half = await this.operatorView(meta);
      if (filter.key !== undefined && !half.message.keys.includes(filter.key)) continue;
      out.push(half);
      if (out.length >= limit) break;
    }
    return out;
  }
}
