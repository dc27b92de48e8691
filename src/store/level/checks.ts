// Owns the check transitions of the LevelDB backend over the `checkdue` index: claiming due
// transactions (each under its own lock, concurrently, so their writes share group commits),
// their metadata and bodies read together (BatchedReads), quarantining unreadable ones on their own, releasing an undelivered check, abandoning and
// re-arming, recording an UNKNOWN answer, and the due-time and pending-count queries. The rules
// are the domain's (planClaim, releaseCheck, answerCheck, abandon, quarantine, rearm); this file
// reads, writes one batch per transition and keeps the counters.
import type { MessageInput } from '../../domain/messages.js';
import { abandon, answerCheck, halfMessageOf, planClaim, quarantine, rearm, releaseCheck, type HalfMessage } from '../../domain/transactions.js';
import type { ClaimChecksRequest, ClaimChecksResult } from '../broker-store.js';
import { BatchedReads } from './batched-reads.js';
import { EMPTY, type LevelDb, type Op } from './db.js';
import { checkDueKey, join, parseU64, prefixRange, split, u64 } from './keys.js';
import { txLock, type HalfMeta, type Transactions } from './transactions.js';

type Outcome =
  { kind: 'claimed'; half: HalfMessage } | { kind: 'exhausted'; half: HalfMessage; reason: string } | { kind: 'quarantined'; transactionId: string; reason: string };

export class Checks {
  /** A sweep's reads of metadata and bodies, one getMany per sublevel for all its transactions. */
  private readonly metaReads: BatchedReads;
  private readonly bodyReads: BatchedReads;
  /** Per producer group: the due-index key after which the next scan of a backlog run starts. */
  private readonly resumeAfter = new Map<string, string>();

  constructor(
    private readonly d: LevelDb,
    private readonly tx: Transactions,
  ) {
    this.metaReads = new BatchedReads(d.halfMeta);
    this.bodyReads = new BatchedReads(d.halfBody);
  }

  /** The ops that move a transaction's due-index entry from one due time to another. */
  private moveDue(meta: HalfMeta, fromMs: number, toMs: number): Op[] {
    return [
      { type: 'del', sublevel: this.d.checkDue, key: checkDueKey(meta.producerGroup, fromMs, meta.transactionId) },
      { type: 'put', sublevel: this.d.checkDue, key: checkDueKey(meta.producerGroup, toMs, meta.transactionId), value: EMPTY },
    ];
  }

  async claimDueChecks(req: ClaimChecksRequest): Promise<ClaimChecksResult> {
    const now = this.d.clock.now();
    const group = req.producerGroup;
    // A backlog run (one full batch after another) scans on after the last key it read: each
    // claim deletes its index key, and LevelDB's iterator steps over every deleted key until a
    // compaction drops it, so scanning from the start again made each pass slower than the one
    // before (a million due: most of a pass). Keys that turn up before the cursor meanwhile (a
    // clock set back) are found by the first scan from the start, once a batch is not full.
    const after = this.resumeAfter.get(group);
    const lt = join(group, u64(now + 1));
    const dueKeys: string[] = [];
    for await (const key of this.d.checkDue.keys(after !== undefined ? { gt: after, lt, limit: req.limit } : { gte: prefixRange(group).gte, lt, limit: req.limit })) {
      dueKeys.push(key);
    }
    if (dueKeys.length === req.limit) this.resumeAfter.set(group, dueKeys[dueKeys.length - 1]!);
    else this.resumeAfter.delete(group);
    // Each transaction is claimed under its own lock, all concurrently, so their writes share
    // group commits; the results keep the index order. A record that cannot be read is
    // quarantined on its own: one poison record never stalls the others nor is retried forever.
    const byId = new Map(dueKeys.map((key) => [split(key)[2]!, key]));
    const outcomes = await Promise.all(
      [...byId].map(([transactionId, scannedKey]) => this.d.mutex.run(txLock(transactionId), () => this.claimOne(transactionId, scannedKey, now, req))),
    );
    const result: ClaimChecksResult = { claimed: [], exhausted: [], quarantined: [] };
    for (const o of outcomes) {
      if (o?.kind === 'quarantined') result.quarantined.push({ transactionId: o.transactionId, reason: o.reason });
      else if (o?.kind === 'exhausted') result.exhausted.push({ half: o.half, reason: o.reason });
      else if (o) result.claimed.push(o.half);
    }
    return result;
  }

  /** One transaction of a claim sweep; caller holds its lock. */
  private async claimOne(transactionId: string, scannedKey: string, now: number, req: ClaimChecksRequest): Promise<Outcome | undefined> {
    let meta: HalfMeta | undefined;
    try {
      meta = await this.tx.readHalfMeta(transactionId, this.metaReads);
    } catch (err) {
      return this.quarantine(transactionId, scannedKey, undefined, `its record is unreadable: ${(err as Error).message}`);
    }
    const step = planClaim(meta, now, req);
    if (step.kind === 'dangling' || !meta) {
      // An index entry with no pending transaction behind it: drop it.
      if ((await this.d.checkDue.get(scannedKey)) !== undefined) await this.d.write([{ type: 'del', sublevel: this.d.checkDue, key: scannedKey }]);
      return undefined;
    }
    if (step.kind === 'notDue') return undefined;
    // The index entry as it is now: the scan ran before the lock, and a concurrent
    // releaseCheck may have moved the transaction to another (still due) time.
    const key = checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId);
    let message: MessageInput | undefined;
    try {
      message = await this.tx.readMessage(transactionId, this.bodyReads);
    } catch (err) {
      return this.quarantine(transactionId, key, meta, `its message body is unreadable: ${(err as Error).message}`);
    }
    if (!message) return this.quarantine(transactionId, key, meta, 'its message body is missing');
    if (step.kind === 'exhausted') return { kind: 'exhausted', half: halfMessageOf(meta, message), reason: step.reason };
    if (step.kind === 'noTarget') return undefined;
    this.tx.counters.checksSent++;
    this.tx.countersChanged();
    await this.d.write([...this.moveDue(meta, meta.nextCheckAtMs, step.updated.nextCheckAtMs), this.tx.halfMetaOp(step.updated)]);
    return { kind: 'claimed', half: halfMessageOf(step.updated, message) };
  }

  /**
   * Takes a poison transaction out of the check index. When its metadata is readable it becomes
   * ABANDONED with the reason (listed by `tx list --state ABANDONED`, resolvable by hand: a
   * rollback needs no body); an unreadable record only loses its index entry. Caller holds the lock.
   */
  private async quarantine(transactionId: string, indexKey: string, meta: HalfMeta | undefined, reason: string): Promise<Outcome> {
    const ops: Op[] = [{ type: 'del', sublevel: this.d.checkDue, key: indexKey }];
    this.tx.forgetHalf(transactionId);
    if (meta) ops.push(this.tx.halfMetaOp(quarantine(meta, reason)));
    await this.d.write(ops);
    if (meta) {
      this.tx.adjustPending(meta.producerGroup, -1);
      this.tx.counters.abandoned++;
    } else {
      this.tx.unreadableLeft(transactionId, split(indexKey)[0]!);
    }
    return { kind: 'quarantined', transactionId, reason };
  }

  async releaseCheck(transactionId: string): Promise<void> {
    await this.d.mutex.run(txLock(transactionId), async () => {
      const meta = await this.tx.readHalfMeta(transactionId);
      if (!meta || meta.state !== 'PENDING') return;
      // The claimed check never reached anyone: it leaves the count and the trail.
      const updated = releaseCheck(meta, this.d.clock.now());
      this.tx.counters.checksSent = Math.max(0, this.tx.counters.checksSent - 1);
      this.tx.countersChanged();
      await this.d.write([...this.moveDue(meta, meta.nextCheckAtMs, updated.nextCheckAtMs), this.tx.halfMetaOp(updated)]);
    });
  }

  async abandonTransaction(transactionId: string, reason: string): Promise<boolean> {
    return this.d.mutex.run(txLock(transactionId), async () => {
      const meta = await this.tx.readHalfMeta(transactionId);
      if (!meta || meta.state !== 'PENDING') return false;
      await this.d.write([
        { type: 'del', sublevel: this.d.checkDue, key: checkDueKey(meta.producerGroup, meta.nextCheckAtMs, transactionId) },
        this.tx.halfMetaOp(abandon(meta, reason)),
      ]);
      this.tx.adjustPending(meta.producerGroup, -1);
      this.tx.counters.abandoned++;
      return true;
    });
  }

  async rearmTransaction(transactionId: string, dueInMs: number): Promise<boolean> {
    return this.d.mutex.run(txLock(transactionId), async () => {
      const meta = await this.tx.readHalfMeta(transactionId);
      if (!meta || meta.state !== 'ABANDONED') return false;
      const updated = rearm(meta, this.d.clock.now() + dueInMs);
      await this.d.write([
        { type: 'put', sublevel: this.d.checkDue, key: checkDueKey(meta.producerGroup, updated.nextCheckAtMs, transactionId), value: EMPTY },
        this.tx.halfMetaOp(updated),
      ]);
      this.tx.adjustPending(meta.producerGroup, 1);
      this.tx.counters.abandoned--;
      return true;
    });
  }

  async nextCheckDueInMs(producerGroup: string): Promise<number | undefined> {
    for await (const key of this.d.checkDue.keys({ ...prefixRange(producerGroup), limit: 1 })) return Math.max(0, parseU64(split(key)[1]!) - this.d.clock.now());
    return undefined;
  }

  async recordCheckAnswer(transactionId: string, intervalMs: number): Promise<void> {
    await this.d.mutex.run(txLock(transactionId), async () => {
      const meta = await this.tx.readHalfMeta(transactionId);
      const updated = meta && answerCheck(meta, this.d.clock.now(), intervalMs);
      this.tx.counters.checksAnswered++;
      this.tx.countersChanged();
      const ops: Op[] = meta && updated ? [...this.moveDue(meta, meta.nextCheckAtMs, updated.nextCheckAtMs), this.tx.halfMetaOp(updated)] : [];
      await this.d.write(ops); // the counters join this batch: durable when the promise resolves, like every transition
    });
  }
}
