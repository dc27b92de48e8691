// Owns what the LevelDB backend makes of disk trouble: which failures mean a full disk, a
// read-only directory, a permission problem or a lock held by another process (LevelDB reports
// them as IO errors carrying the OS's text, classic-level adds LEVEL_LOCKED), and the messages
// that name the cause and the fix, at start and for writes refused while the disk is full.
import { BrokerError, Code } from '../../errors.js';

export type DiskTrouble = 'full' | 'readOnly' | 'permission' | 'locked';

/** The error and its causes, outermost first (classic-level wraps the LevelDB status). */
function chain(err: unknown): { code?: string; message?: string }[] {
  const out: { code?: string; message?: string }[] = [];
  for (let e = err as { code?: string; message?: string; cause?: unknown } | undefined, n = 0; e && n < 5; e = e.cause as typeof e, n++) out.push(e);
  return out;
}

/** What kind of disk trouble an error is, if any. */
export function diskTrouble(err: unknown): DiskTrouble | undefined {
  for (const e of chain(err)) {
    const text = `${e.code ?? ''} ${e.message ?? ''}`;
    if (/ENOSPC|EDQUOT|EFBIG|No space left on device|Disk quota exceeded|File too large/i.test(text)) return 'full';
    if (/EROFS|Read-only file system/i.test(text)) return 'readOnly';
    if (/EACCES|EPERM|Permission denied|Operation not permitted/i.test(text)) return 'permission';
    if (/LEVEL_LOCKED|lock .*(held|already)|Resource temporarily unavailable/i.test(text)) return 'locked';
  }
  return undefined;
}

function osText(err: unknown): string {
  return chain(err)
    .map((e) => e.message)
    .filter(Boolean)
    .at(-1)!;
}

/** The message of a failed open, naming the cause (full disk, read-only, permissions, lock, or the engine's own error). */
export function openFailure(path: string, cause: unknown): BrokerError {
  const why = osText(cause);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const messages: Record<DiskTrouble, string> = {
    full: `cannot open the LevelDB store at ${path}: its filesystem is full (${why}); free space there (or start with another --data directory)`,
    readOnly: `cannot open the LevelDB store at ${path}: the directory is on a read-only filesystem (${why}); remount it read-write or start with another --data directory`,
    permission: `cannot open the LevelDB store at ${path}: permission denied (${why}); make the directory and its files readable and writable by the broker's user${uid === undefined ? '' : ` (uid ${uid})`}`,
    locked: `cannot open the LevelDB store at ${path}: another process holds its lock (${why}); is another broker using this data directory? Stop it or start with another --data directory`,
  };
  const kind = diskTrouble(cause);
  return new BrokerError(Code.INTERNAL_ERROR, kind ? messages[kind] : `cannot open the LevelDB store at ${path}: ${why}`, { cause });
}

/** The status of a write refused (or failed) because the data directory's filesystem is full. */
export function diskFullError(path: string, cause?: unknown): BrokerError {
  const why = cause === undefined ? '' : ` (${osText(cause)})`;
  return new BrokerError(
    Code.INTERNAL_SERVER_ERROR,
    `the broker's disk is full: the data directory ${path} has no space left${why}; messages already stored can still be received and acknowledged, new ones are refused until space is freed there (the broker recovers by itself)`,
    cause === undefined ? undefined : { cause },
  );
}
