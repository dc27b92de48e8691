// Owns the queue heads of the committed log and THE offset-assignment invariant: offsets are
// assigned from the cached head synchronously, up to the write() that carries them, so that no
// two appends take the same offsets and offsets enter the group-commit queue in order (a reader
// never sees offset n+1 before n). Also the first retained offset of a queue, message reads by
// offset, the stored bytes per queue for size-based retention, and the `appended` wake-ups.
import { BrokerError, Code } from '../../errors.js';
import { placedMessage, type MessageInput, type StoredMessage } from '../../domain/messages.js';
import type { LevelDb, Op } from './db.js';
import { join, logKey, logRange, parseU64, purgedKey, split, u64 } from './keys.js';
import { indexOps } from './message-index.js';
import { decodeRecord, encodeRecords } from './record-codec.js';

/** What may be appended: a message, with the transaction or dead-letter origin it carries. */
export type LogInput = MessageInput & Partial<Pick<StoredMessage, 'transactionId' | 'deadLetter'>>;

export class Queues {
  /** Next offset per `topic\0queueId`. */
  private readonly heads = new Map<string, number>();
  /**
   * Stored bytes per `topic\0queueId`, for size-based retention: counted by one scan the first
   * time retention asks, then kept up to date by appends and purges (approximate by design).
   */
  private readonly queueBytes = new Map<string, number>();

  constructor(private readonly d: LevelDb) {
    // A write that failed may have taken offsets it never stored: heads are read from the log again.
    d.onReopen(() => {
      this.heads.clear();
      this.queueBytes.clear();
    });
  }

  /** The next offset of a queue; loads it on first use (the last log key, or the purge mark of an emptied queue). */
  async head(topic: string, queueId: number): Promise<number> {
    const key = join(topic, u64(queueId));
    const cached = this.heads.get(key);
    if (cached !== undefined) return cached;
    return this.d.mutex.run(`head\x00${key}`, async () => {
      const again = this.heads.get(key);
      if (again !== undefined) return again;
      let next = 0;
      for await (const k of this.d.log.keys({ ...logRange(topic, queueId), reverse: true, limit: 1 })) {
        next = parseU64(split(k)[2]!) + 1;
      }
      // A queue emptied by retention keeps counting from where it was (offsets are never reused).
      next = Math.max(next, (await this.purgedMark(topic, queueId)) ?? 0);
      this.heads.set(key, next);
      return next;
    });
  }

  /**
   * Assigns offsets from the cached queue head (load it first with `await head(...)`) and
   * returns the log puts. Synchronous on purpose: the caller must hand the ops to write() in the
   * same synchronous section (no await in between), so that no other append can take the same
   * offsets and offsets enter the group-commit queue in order.
   */
  assignOffsets(topic: string, queueId: number, inputs: LogInput[]): { ops: Op[]; stored: StoredMessage[] } {
    const key = join(topic, u64(queueId));
    const head = this.heads.get(key);
    if (head === undefined) throw new BrokerError(Code.INTERNAL_ERROR, `queue head of ${topic}/${queueId} is not loaded`);
    const now = this.d.clock.now();
    let next = head;
    const ops: Op[] = [];
    const stored = inputs.map((input) => placedMessage(input, topic, queueId, next++, now));
    const values = encodeRecords(stored);
    let bytes = 0;
    for (let i = 0; i < stored.length; i++) {
      const message = stored[i]!;
      const value = values[i]!;
      bytes += value.length;
      ops.push({ type: 'put', sublevel: this.d.log, key: logKey(topic, queueId, message.offset), value });
      for (const op of indexOps(this.d, message)) ops.push(op);
    }
    this.heads.set(key, next);
    const counted = this.queueBytes.get(key);
    if (counted !== undefined) this.queueBytes.set(key, counted + bytes);
    return { ops, stored };
  }

  /** First offset retention has kept, when the queue was ever purged. */
  async purgedMark(topic: string, queueId: number): Promise<number | undefined> {
    const value = await this.d.meta.get(purgedKey(topic, queueId));
    return value ? Number(value.toString('utf8')) : undefined;
  }

  /** The first retained offset; for an empty queue where the next message will go. */
  async firstOffset(topic: string, queueId: number): Promise<number> {
    for await (const k of this.d.log.keys({ ...logRange(topic, queueId), limit: 1 })) return parseU64(split(k)[2]!);
    return this.head(topic, queueId);
  }

  /**
   * Where reading the retained log starts: the first stored offset, or for an empty queue the
   * purge mark (0 if never purged). Not the cached head: appends still in the group-commit queue
   * hold offsets below it. Starting lower is harmless: reading seeks to the first existing offset.
   */
  async retainedStart(topic: string, queueId: number): Promise<number> {
    for await (const k of this.d.log.keys({ ...logRange(topic, queueId), limit: 1 })) return parseU64(split(k)[2]!);
    return (await this.purgedMark(topic, queueId)) ?? 0;
  }

  async readMessage(topic: string, queueId: number, offset: number): Promise<StoredMessage | undefined> {
    const value = await this.d.log.get(logKey(topic, queueId, offset));
    return value ? decodeRecord<StoredMessage>(value) : undefined;
  }

  /** Bytes stored in a queue (see queueBytes). */
  async storedBytes(topic: string, queueId: number): Promise<number> {
    const key = join(topic, u64(queueId));
    const known = this.queueBytes.get(key);
    if (known !== undefined) return known;
    return this.d.mutex.run(`bytes\x00${key}`, async () => {
      const again = this.queueBytes.get(key);
      if (again !== undefined) return again;
      const head = await this.head(topic, queueId);
      // From here appends add their own size; the scan counts everything below this head.
      this.queueBytes.set(key, 0);
      await this.d.flushed();
      let total = 0;
      for await (const value of this.d.log.values({ gte: logKey(topic, queueId, 0), lt: logKey(topic, queueId, head) })) total += value.length;
      const now = (this.queueBytes.get(key) ?? 0) + total;
      this.queueBytes.set(key, now);
      return now;
    });
  }

  /** After a purge freed `bytes` of a queue. */
  freed(topic: string, queueId: number, bytes: number): void {
    const key = join(topic, u64(queueId));
    const counted = this.queueBytes.get(key);
    if (counted !== undefined) this.queueBytes.set(key, Math.max(0, counted - bytes));
  }

  /** After a topic's log was deleted: heads stay cached (at 0) so appends never find them unloaded. */
  forgetTopic(name: string): void {
    for (const key of [...this.heads.keys()]) if (split(key)[0] === name) this.heads.set(key, 0);
    for (const key of [...this.queueBytes.keys()]) if (split(key)[0] === name) this.queueBytes.delete(key);
  }

  /** Announces that messages became readable (lossy hints). */
  notify(topics: Iterable<string>): void {
    for (const t of new Set(topics)) this.d.events.emit('appended', t);
  }
}
