// Starts a throwaway PostgreSQL server for tests: initdb into a temp directory (as the
// `postgres` OS user when the tests run as root, which initdb refuses), the server on a free
// loopback port with its socket in that directory, a wait until it accepts connections, fresh
// databases on demand, and removal of everything on stop, also when the test process exits
// early. A missing PostgreSQL is an error that says how to install it, never a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './broker-process.js';

export interface TestPostgres {
  port: number;
  /** Pid of the postmaster (its backends are its children), while it runs. */
  readonly pid: number | undefined;
  /** Connection URL of a database (default: postgres). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL statement on a database (default: postgres). */
  query(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** Stops the server (SIGKILL with `crash`) without removing its data, to test outages; `restart` brings it back. */
  halt(options?: { crash?: boolean }): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** initdb and postgres: PATH first, then Debian's /usr/lib/postgresql/<version>/bin (newest). */
export function findPostgresBinaries(): { initdb: string; postgres: string } {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  const find = (name: string): string | undefined => dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  const initdb = find('initdb');
  const postgres = find('postgres');
  if (!initdb || !postgres) {
    throw new Error(
      'PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/<version>/bin: install them with `apt-get install -y postgresql` (the PostgreSQL store tests need a real server)',
    );
  }
  return { initdb, postgres };
}

/** The uid/gid to run the server as: the postgres OS user when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error('running as root, but there is no `postgres` OS user to run PostgreSQL as (installing the Debian postgresql package creates it)');
  return { uid, gid };
}

const live = new Set<{ child?: ChildProcess; dir: string }>();
process.once('exit', () => {
  for (const s of live) {
    s.child?.kill('SIGKILL');
    rmSync(s.dir, { recursive: true, force: true });
  }
});

export interface StartPostgresOptions {
  /** Extra server settings (`-c name=value`), e.g. shared_preload_libraries for a benchmark. */
  settings?: Record<string, string>;
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bins = findPostgresBinaries();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'halfmoon-pg-'));
  const state: { child?: ChildProcess; dir: string } = { dir };
  live.add(state);
  const data = join(dir, 'data');
  if (user) chownSync(dir, user.uid, user.gid);
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(bins.initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { ...asUser, encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    live.delete(state);
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  let output = '';

  const launch = async (): Promise<void> => {
    const child = spawn(
      bins.postgres,
      [
        ...['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'shared_buffers=128MB', '-c', 'max_connections=100'],
        ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    state.child = child;
    child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${output}`);
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s: ${output}`);
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  };

  const halt = async (options: { crash?: boolean } = {}): Promise<void> => {
    const child = state.child;
    state.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(options.crash ? 'SIGKILL' : 'SIGINT'); // SIGINT: fast shutdown
    });
  };

  const url = (database = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async (sql: string, params: unknown[] = [], database?: string): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };

  try {
    await launch();
  } catch (err) {
    await halt({ crash: true });
    rmSync(dir, { recursive: true, force: true });
    live.delete(state);
    throw err;
  }

  return {
    port,
    get pid() {
      return state.child?.pid;
    },
    url,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    halt,
    restart: launch,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
      live.delete(state);
    },
  };
}
