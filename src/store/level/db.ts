// Owns the LevelDB database of a LevelStore: its sublevels (one per partition of the data), the
// Op type every transition is written as, and the one write path: a transition's ops go to the
// group-commit writer as a unit (one batch, fsynced when durable), in arrival order. Range
// deletes go through the same writer, in bounded batches. Also the keyed mutex that serializes
// transitions on one transaction, consumer queue or topic, and the JSON value helpers. Disk
// trouble is named at open (disk.ts) and a full disk handled by the DiskGuard (disk-guard.ts).
import type { AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import { BrokerError, Code } from '../../errors.js';
import type { EventBus } from '../../runtime/event-bus.js';
import type { Clock } from '../../util/clock.js';
import { KeyedMutex } from '../../util/keyed-mutex.js';
import type { Logger } from '../../logger.js';
import { diskFullError, diskTrouble, openFailure } from './disk.js';
import { DiskGuard, type StoreHealth } from './disk-guard.js';
import { GroupCommitWriter } from './group-commit.js';
import { NativeBatch } from './native-batch.js';

export type Sub = AbstractSublevel<Level<string, Buffer>, string | Buffer | Uint8Array, string, Buffer>;

/** One put or delete of a transition; a transition's ops are written in one batch. */
export interface Op {
  type: 'put' | 'del';
  sublevel: Sub;
  key: string;
  value?: Buffer;
}

export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
export const parse = <T>(b: Buffer): T => JSON.parse(b.toString('utf8')) as T;
export const EMPTY = Buffer.alloc(0);

/** A record keyed by its transaction id (half-message metadata, decisions). */
interface ByTransaction {
  transactionId: string;
  messageId: string;
}

/**
 * The JSON value of a record keyed by its transaction id, from storage format 5: without the id
 * (its key) and without a message id equal to it (as it almost always is), ~100 bytes less.
 */
export function idRecord<T extends ByTransaction>(r: T): Buffer {
  const { transactionId, messageId, ...rest } = r;
  return json(messageId === transactionId ? rest : { messageId, ...rest });
}

/** Reads what idRecord wrote (or a record of an older format, which has both ids); throws on an unreadable value. */
export function parseIdRecord<T extends ByTransaction>(transactionId: string, b: Buffer): T {
  return { transactionId, messageId: transactionId, ...parse<Partial<T>>(b) } as T;
}

/** Keys deleted (or written) per batch by bulk work: topic deletion, migrations. */
export const BULK_BATCH = 5_000;

/**
 * Default size of LevelDB's memtable (write buffer). LevelDB's own default is 4 MiB, which flushes
 * and compacts every few thousand transactions; 32 MiB took about 40 % less CPU and fewer bytes
 * per committed transaction than 4 MiB. 16 MiB keeps most of that (a committed transaction 3-4 %
 * more CPU and 7-15 % more bytes than with 32 MiB, the same throughput) at half the memory: up to
 * twice this is held (the memtable being filled and the one being flushed), the largest swing of
 * the broker's native memory while a backlog of checks rewrites half-message metadata
 * (docs/storage.md).
 */
export const WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * Table files LevelDB keeps open (its table cache, this less 10). It memory-maps each table it
 * keeps open, and the pages read of a mapped table count in the broker's RSS until the table
 * leaves the cache: with LevelDB's default of 1000 every table of a large store stays mapped
 * (141 MiB of the 418 MiB peak RSS while checking 1M pending transactions); at 50, ~60 MiB (peak
 * 342 MiB), and the checks went out as fast (9,874/s against 9,346-9,826/s; see docs/storage.md).
 */
export const MAX_OPEN_FILES = 50;
/** LevelDB's block cache (uncompressed blocks); LevelDB's own default. */
export const BLOCK_CACHE_BYTES = 8 * 1024 * 1024;

/** How LevelDB itself is sized (each absent: the default above). */
export interface EngineOptions {
  /** Memtable size (WRITE_BUFFER_BYTES). */
  writeBufferBytes?: number;
  /** Open table files kept (MAX_OPEN_FILES); LevelDB memory-maps the tables it keeps open. */
  maxOpenFiles?: number;
  /** Block cache of uncompressed table blocks (BLOCK_CACHE_BYTES). */
  cacheBytes?: number;
}

/** How the store behaves on a full disk (see DiskGuard); absent: no reserve, recovery checked every second. */
export interface DiskOptions {
  reserveBytes?: number;
  minFreeBytes?: number;
  recoveryIntervalMs?: number;
  log?: Logger;
}

export class LevelDb {
  readonly db: Level<string, Buffer>;
  /** Topics, groups, purge marks, counters, the schedule sequence, the format version. */
  readonly meta: Sub;
  /** Committed messages: topic, queue, offset. */
  readonly log: Sub;
  /** Half-message metadata (rewritten on each check) and bodies (written once). */
  readonly halfMeta: Sub;
  readonly halfBody: Sub;
  /** Due-time index of PENDING transactions per producer group. */
  readonly checkDue: Sub;
  /** Decisions by transaction id, and their two indexes (by message key, by decision time). */
  readonly decisions: Sub;
  readonly decisionByKey: Sub;
  readonly decisionByTime: Sub;
  /** Consumer cursors and in-flight deliveries. */
  readonly consumer: Sub;
  /** DELAY messages by delivery time. */
  readonly scheduled: Sub;
  /** Committed messages by message id and by key (message-index.ts). */
  readonly messageIndex: Sub;
  /** Delivery history of committed messages: each delivery per group, and how it ended. */
  readonly deliveries: Sub;
  /** Users and ACL rules, and their change counter. */
  readonly auth: Sub;
  readonly mutex = new KeyedMutex();
  private readonly writer: GroupCommitWriter<Op>;
  /** Where every physical batch is filled and written. */
  private readonly native: NativeBatch;
  private readonly atClose: (() => Op[])[] = [];
  private readonly perBatch: (() => Op | undefined)[] = [];
  private readonly disk: DiskGuard;
  private readonly sublevels: Sub[] = [];
  private readonly reopened: (() => void)[] = [];
  /** Store calls under way (see shared), and the reopen they are held back for. */
  private active = 0;
  private gate: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    readonly clock: Clock,
    durable: boolean,
    /** Where the store announces appends and half messages. */
    readonly events: EventBus,
    disk: DiskOptions = {},
    engine: EngineOptions = {},
  ) {
    this.db = new Level<string, Buffer>(path, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
      writeBufferSize: engine.writeBufferBytes ?? WRITE_BUFFER_BYTES,
      maxOpenFiles: engine.maxOpenFiles ?? MAX_OPEN_FILES,
      cacheSize: engine.cacheBytes ?? BLOCK_CACHE_BYTES,
    });
    const sub = (name: string): Sub => {
      const s = this.db.sublevel<string, Buffer>(name, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
      this.sublevels.push(s);
      return s;
    };
    this.meta = sub('meta');
    this.log = sub('log');
    this.halfMeta = sub('half');
    this.halfBody = sub('halfbody');
    this.checkDue = sub('checkdue');
    this.decisions = sub('txdecision');
    this.decisionByKey = sub('txdecisionkey');
    this.decisionByTime = sub('txdecisiontime');
    this.consumer = sub('consumer');
    this.scheduled = sub('scheduled');
    this.messageIndex = sub('msgindex');
    this.deliveries = sub('delivery');
    this.auth = sub('auth');
    // The writer fills one reused native batch (native-batch.ts) with every key already prefixed
    // by its sublevel: abstract-level's public batch() clones, validates and re-encodes each
    // operation (a quarter of the broker's CPU on a transactional load), and classic-level's own
    // array batch reads each operation's fields through N-API. Only this class writes, and only
    // while the database is open.
    this.native = new NativeBatch(this.db);
    this.writer = new GroupCommitWriter<Op>({
      perBatch: () => this.perBatch.map((f) => f()).filter((op): op is Op => op !== undefined),
      writeBatch: (ops) => {
        // The binding has no status check of its own (a reopen after a full disk closes the database for a moment).
        if (this.db.status !== 'open') return Promise.reject(new Error(`LevelDB is ${this.db.status}`));
        return this.native.write(durable, (batch) => {
          for (let i = 0; i < ops.length; i++) {
            const op = ops[i]!;
            if (op.type === 'put') batch.put(op.sublevel.prefix + op.key, op.value!);
            else batch.del(op.sublevel.prefix + op.key);
          }
        });
      },
      now: () => clock.now(),
      // A burst of requests read in one turn of the event loop shares the batch the first one starts.
      gather: (start) => void setImmediate(start),
    });
    this.disk = new DiskGuard({
      path,
      clock,
      ...(disk.log ? { log: disk.log } : {}),
      reserveBytes: disk.reserveBytes ?? 0,
      minFreeBytes: disk.minFreeBytes ?? 0,
      recoveryIntervalMs: disk.recoveryIntervalMs ?? 1000,
      reopen: async () => {
        // Store calls under way finish first; new ones wait until the engine is open again.
        await this.exclusive(async () => {
          await this.writer.flushed();
          await this.db.close();
          if (this.closed) return;
          await this.db.open();
          // Sublevels close with their database but do not reopen with it.
          await Promise.all(this.sublevels.map((s) => s.open()));
          for (const fn of this.reopened) fn();
        });
      },
    });
  }

  /** Registers what to forget when the engine was reopened after a failed write (caches that ran ahead of the disk). */
  onReopen(fn: () => void): void {
    this.reopened.push(fn);
  }

  /**
   * Runs one store call; while the engine is being reopened (see DiskGuard) it waits for the
   * reopen, so that reads keep working across it.
   */
  async shared<T>(fn: () => T | Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    this.active++;
    try {
      return await fn();
    } finally {
      if (--this.active === 0) this.drained?.();
    }
  }

  /** Runs `fn` once no store call is under way, holding new ones back until it is done. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = (async () => {
      if (this.active > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      await fn();
    })();
    this.gate = run
      .catch(() => undefined)
      .finally(() => {
        this.gate = undefined;
        this.drained = undefined;
      });
    return run;
  }

  /** Healthy unless the disk filled up and has not got enough free space back yet. */
  get health(): StoreHealth {
    return this.disk.health;
  }

  /** Told about each physical batch: transitions in it and milliseconds to write (and fsync) it. */
  observeWrites(observer: (transitions: number, ms: number) => void): void {
    this.writer.onBatch = observer;
  }

  /** Batches and transitions written so far (group-commit efficiency). */
  get writeStats(): { batches: number; transitions: number } {
    return { batches: this.writer.batches, transitions: this.writer.transitions };
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (cause) {
      throw openFailure(this.path, cause);
    }
    if (!(await this.disk.reserve())) {
      await this.db.close();
      throw openFailure(this.path, Object.assign(new Error('no space left on device for the disk reserve (diskReserveBytes)'), { code: 'ENOSPC' }));
    }
  }

  /**
   * Whether `key` is in `sublevel`, looked up synchronously. For the idempotency checks of the
   * hot path, whose keys are almost always absent: LevelDB answers an absent key from its
   * memtables and the tables' bloom filters (10 bits per key) in memory, reading a block only for
   * the ~1 % false positives and for the keys that exist (a retried request), so this does not
   * block the event loop on the disk in practice and costs ~0.5 µs instead of ~10 µs for an
   * asynchronous get.
   */
  has(sublevel: Sub, key: string): boolean {
    return sublevel.getSync(key) !== undefined;
  }

  /** Idempotent. Waits for queued writes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disk.close();
    await this.writer.flushed();
    // The last batch: state kept in memory that the next open reads instead of rebuilding it.
    // A failed write leaves it out, and the next open rebuilds as after a crash.
    const last = this.atClose.flatMap((f) => f());
    if (last.length > 0 && this.db.status === 'open') await this.writer.write(last).catch(() => undefined);
    await this.db.close();
  }

  /** Adds what `ops()` returns to the last batch, written at a clean close after everything else. */
  writeAtClose(ops: () => Op[]): void {
    this.atClose.push(ops);
  }

  /** Adds what `op()` returns (when it returns an op) to every batch written from now on. */
  writeWithEveryBatch(op: () => Op | undefined): void {
    this.perBatch.push(op);
  }

  /** Throws the status a write would get now (store closed, or disk full for one that `grows`); call it before taking offsets. */
  assertWritable(grows: boolean): void {
    if (this.closed) throw new BrokerError(Code.INTERNAL_ERROR, 'store is closed');
    if (this.disk.refuses(grows)) throw diskFullError(this.path);
  }

  /**
   * Writes one transition (one batch, shared with whatever else is queued); resolves once it is
   * durable. `grows`: it adds messages (sends), refused while the disk is full.
   */
  async write(ops: Op[], opts: { grows?: boolean } = {}): Promise<void> {
    this.assertWritable(opts.grows ?? false);
    try {
      await this.writer.write(ops);
    } catch (cause) {
      if (diskTrouble(cause) === 'full') {
        this.disk.failed(cause);
        throw diskFullError(this.path, cause);
      }
      throw new BrokerError(Code.INTERNAL_ERROR, `store write failed: ${(cause as Error).message}`, { cause });
    }
  }

  /** Resolves when everything queued so far has been written. */
  flushed(): Promise<void> {
    return this.writer.flushed();
  }

  /** Deletes every key of a range through the writer, after what is queued now, in bounded batches. */
  async deleteRange(sublevel: Sub, range: { gte: string; lt: string }): Promise<void> {
    await this.writer.flushed();
    let ops: Op[] = [];
    for await (const key of sublevel.keys(range)) {
      ops.push({ type: 'del', sublevel, key });
      if (ops.length >= BULK_BATCH) {
        await this.write(ops);
        ops = [];
      }
    }
    if (ops.length > 0) await this.write(ops);
  }
}
