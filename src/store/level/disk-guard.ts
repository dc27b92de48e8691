// Owns the LevelDB backend's behaviour on a full disk. A write that fails for lack of space puts
// the store in the "disk full" state: the reserve file (a few MiB set aside in the data directory
// at open) is released so that the engine can be reopened (LevelDB keeps failing every write once
// a background flush failed) and small writes keep working — receives, acks, decisions, checks —
// while writes that add messages are refused with a status that says the disk is full. Every
// diskRecoveryIntervalMs it looks at the filesystem's free space; once there is room for the
// reserve and diskMinFreeBytes more, it sets the reserve aside again and is healthy. The state is
// reported by `health` (the admin listener's /healthz) and logged once when it changes.
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { diskFullError } from './disk.js';

/** The reserve file's name in the data directory. */
export const RESERVE_FILE = 'halfmoon-disk-reserve';

export interface DiskGuardOptions {
  path: string;
  clock: Clock;
  log?: Logger;
  /** Bytes set aside at open and released when the disk fills up (0: none). */
  reserveBytes: number;
  /** Free bytes needed besides the reserve to accept new messages again. */
  minFreeBytes: number;
  recoveryIntervalMs: number;
  /** Reopens the engine (closes and opens it again); writes are refused meanwhile. */
  reopen(): Promise<void>;
}

export interface StoreHealth {
  healthy: boolean;
  reason?: string;
}

export class DiskGuard {
  private fullSince: number | undefined;
  private lastCause: unknown;
  private reopening: Promise<void> | undefined;
  /** A write failed since the last reopen: the engine may refuse every write until reopened. */
  private needsReopen = false;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly o: DiskGuardOptions) {}

  private get reservePath(): string {
    return join(this.o.path, RESERVE_FILE);
  }

  /** Sets the reserve aside (at open, and when space came back). False when there is no room for it. */
  async reserve(): Promise<boolean> {
    if (this.o.reserveBytes <= 0) return true;
    const file = await open(this.reservePath, 'w');
    try {
      // Written, not truncated: a sparse file would reserve nothing.
      const chunk = Buffer.alloc(Math.min(this.o.reserveBytes, 1 << 20));
      for (let done = 0; done < this.o.reserveBytes; done += chunk.length) await file.write(chunk, 0, Math.min(chunk.length, this.o.reserveBytes - done));
      await file.sync();
      return true;
    } catch {
      await file.close().catch(() => undefined);
      await rm(this.reservePath, { force: true });
      return false;
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  get health(): StoreHealth {
    if (this.fullSince === undefined) return { healthy: true };
    return { healthy: false, reason: diskFullError(this.o.path, this.lastCause).message };
  }

  /** Whether a write is refused now: every write while the engine reopens, writes that add messages while the disk is full. */
  refuses(grows: boolean): boolean {
    return this.reopening !== undefined || (grows && this.fullSince !== undefined);
  }

  /** A write failed for lack of space: disk full from now on, the reserve released and the engine reopened. */
  failed(cause: unknown): void {
    this.lastCause = cause;
    this.needsReopen = true;
    if (this.fullSince !== undefined || this.closed) return;
    this.fullSince = this.o.clock.now();
    this.o.log?.error({ dataDir: this.o.path, err: cause }, 'the disk is full: new messages are refused, stored ones are still delivered; waiting for free space');
    void this.reopen(true);
    this.schedule();
  }

  /** Reopens the engine (LevelDB fails every write after a failed flush); writes are refused meanwhile. */
  private reopen(releaseReserve: boolean): Promise<void> {
    this.needsReopen = false;
    this.reopening ??= (async () => {
      if (releaseReserve) await rm(this.reservePath, { force: true });
      await this.o.reopen();
    })()
      .catch((err: unknown) => {
        this.needsReopen = true;
        this.o.log?.error({ err }, 'reopening the store after the disk filled up failed; retrying');
      })
      .finally(() => {
        this.reopening = undefined;
      });
    return this.reopening;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.o.clock.setTimer(() => void this.recover(), this.o.recoveryIntervalMs);
  }

  /** One recovery attempt: the engine reopened if a write failed since, then enough free space → the reserve set aside again → healthy. */
  private async recover(): Promise<void> {
    try {
      await this.reopening;
      if (this.needsReopen) await this.reopen(false);
      const fs = await statfs(this.o.path);
      const free = Number(fs.bavail) * Number(fs.bsize);
      if (!this.needsReopen && free >= this.o.reserveBytes + this.o.minFreeBytes && (await this.reserve())) {
        this.o.log?.info({ dataDir: this.o.path, freeBytes: free, fullForMs: this.o.clock.now() - this.fullSince! }, 'disk space available again: accepting new messages');
        this.fullSince = undefined;
        return;
      }
    } catch (err) {
      this.o.log?.warn({ err }, 'checking the free disk space failed');
    }
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
  }
}
