// Process and machine measurements for the peers benchmark (Linux /proc): CPU time of a process
// tree (every thread of every process: utime + stime of /proc/<pid>/stat), bytes it wrote to the
// block layer (write_bytes of /proc/<pid>/io, summed over the tree), resident memory, the load
// average, the device's flush (fsync) count from /proc/diskstats, free loopback ports, and a
// bounded wait for a TCP port to accept connections.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { loadavg } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux we run on). */
const HZ = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (children found through the ppid of every process). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const p = Number(name);
    if (!Number.isInteger(p)) continue;
    const f = statFields(p);
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid) ?? [];
    list.push(p);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0 && out.length < 10_000) {
    const p = todo.pop()!;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

export interface ProcSample {
  /** CPU seconds (user + system, all threads) of the tree. */
  cpuS: number;
  /** Bytes the tree caused to be written to storage. */
  writeBytes: number;
  /** Resident set of the tree, bytes. */
  rssBytes: number;
  /**
   * The anonymous part of it (RssAnon: heaps, LevelDB's memtables); the rest is file pages, most
   * of them LevelDB's memory-mapped table files (page cache the kernel can take back).
   */
  rssAnonBytes: number;
  atMs: number;
}

/** One sample of the process tree under `pid`. */
export function sampleTree(pid: number): ProcSample {
  let ticks = 0;
  let writeBytes = 0;
  let rssPages = 0;
  let anonBytes = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    if (!f) continue;
    // Fields after the name, 0-based: utime 11, stime 12, rss 21.
    ticks += Number(f[11]) + Number(f[12]);
    rssPages += Number(f[21]);
    try {
      const m = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) anonBytes += Number(m[1]) * 1024;
    } catch {
      // gone meanwhile
    }
    try {
      const io = readFileSync(`/proc/${p}/io`, 'utf8');
      const m = /^write_bytes: (\d+)$/m.exec(io);
      if (m) writeBytes += Number(m[1]);
    } catch {
      // exited, or not ours to read
    }
  }
  return { cpuS: ticks / HZ, writeBytes, rssBytes: rssPages * 4096, rssAnonBytes: anonBytes, atMs: Date.now() };
}

/** This process (all its threads), CPU seconds. */
export function selfCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Completed flush requests of every block device (diskstats field 16 after the name, kernel ≥ 5.5). */
export function deviceFlushes(): number {
  let total = 0;
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 20 && /^(vd[a-z]+|sd[a-z]+|xvd[a-z]+|nvme\d+n\d+)$/.test(f[2]!)) total += Number(f[18]);
  }
  return total;
}

export const load1 = (): number => loadavg()[0]!;

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive()) throw new Error(`the process that should listen on port ${port} exited`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}
