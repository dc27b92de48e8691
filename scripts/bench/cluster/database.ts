// The cluster benchmark's PostgreSQL: one durable server (fsync on, synchronous_commit on: what
// the brokers acknowledge on) started through the tests' throwaway-server helper with
// pg_stat_statements preloaded, and the figures read from it around a phase: the CPU of the
// postmaster's process tree (every backend, the WAL writer, the checkpointer), statements and
// SQL transactions run in one database (pg_stat_statements; pg_stat_database's xact_commit when
// the extension cannot be loaded), and WAL bytes (pg_current_wal_lsn).
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.js';
import type { Log } from '../common.js';
import { sampleTree } from '../peers/proc.js';

export interface BenchPostgres {
  server: TestPostgres;
  /** pg_stat_statements is loaded (statement counts are exact). */
  statements: boolean;
  version: string;
}

const DURABLE = { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', max_connections: '100' };

export async function startBenchPostgres(log: Log): Promise<BenchPostgres> {
  try {
    const server = await startPostgres({
      settings: { ...DURABLE, shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.max': '5000' },
    });
    await server.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return { server, statements: true, version: await versionOf(server) };
  } catch (err) {
    log(`  pg_stat_statements could not be loaded (${(err as Error).message.split('\n')[0]}); counting SQL transactions from pg_stat_database only`);
    const server = await startPostgres({ settings: DURABLE });
    return { server, statements: false, version: await versionOf(server) };
  }
}

async function versionOf(server: TestPostgres): Promise<string> {
  const row = (await server.query('SHOW server_version')).rows[0] as { server_version?: string } | undefined;
  return String(row?.server_version ?? '');
}

export interface StatementFigure {
  query: string;
  calls: number;
  totalMs: number;
}

export interface DbSample {
  /** CPU seconds of the server's process tree. */
  cpuS: number;
  /** Statements run in the database (undefined without pg_stat_statements). */
  statements?: number;
  /** SQL transactions committed in the database. */
  commits: number;
  /** WAL position, bytes. */
  walBytes: number;
  /** Per statement text (pg_stat_statements), for the breakdown. */
  perStatement: Map<string, StatementFigure>;
}

export async function sampleDb(pg: BenchPostgres, database: string): Promise<DbSample> {
  const pid = pg.server.pid;
  const cpuS = pid === undefined ? 0 : sampleTree(pid).cpuS;
  const wal = await pg.server.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS b");
  const walBytes = Number((wal.rows[0] as { b?: string } | undefined)?.b ?? 0);
  const perStatement = new Map<string, StatementFigure>();
  let statements: number | undefined;
  let commits: number;
  if (pg.statements) {
    const r = await pg.server.query(
      'SELECT s.query, sum(s.calls)::bigint AS calls, sum(s.total_exec_time) AS ms FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 GROUP BY s.query',
      [database],
    );
    statements = 0;
    commits = 0;
    for (const row of r.rows as { query: string; calls: string; ms: number }[]) {
      const calls = Number(row.calls);
      statements += calls;
      if (/^\s*commit\s*;?\s*$/i.test(row.query)) commits += calls;
      perStatement.set(row.query, { query: row.query, calls, totalMs: Number(row.ms) });
    }
  } else {
    const r = await pg.server.query('SELECT xact_commit::bigint AS c FROM pg_stat_database WHERE datname = $1', [database]);
    commits = Number((r.rows[0] as { c?: string } | undefined)?.c ?? 0);
  }
  const out: DbSample = { cpuS, commits, walBytes, perStatement };
  if (statements !== undefined) out.statements = statements;
  return out;
}

/** The statements of a phase that ran at least once per `unit` messages, most frequent first. */
export function statementDeltas(a: DbSample, b: DbSample, count: number): { query: string; perMsg: number; meanMs: number }[] {
  const out: { query: string; perMsg: number; meanMs: number }[] = [];
  for (const [q, s1] of b.perStatement) {
    const s0 = a.perStatement.get(q);
    const calls = s1.calls - (s0?.calls ?? 0);
    if (calls <= 0 || calls < count / 20) continue;
    out.push({ query: q.replace(/\s+/g, ' ').slice(0, 160), perMsg: calls / Math.max(1, count), meanMs: (s1.totalMs - (s0?.totalMs ?? 0)) / calls });
  }
  return out.sort((x, y) => y.perMsg - x.perMsg);
}
