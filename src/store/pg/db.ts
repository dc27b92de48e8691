// Owns the PostgreSQL store's connection to its database: the pool (bigint columns read as
// numbers, every query bounded by a timeout, prepared statements), one SQL transaction per state
// change with retries on serialization failures and deadlocks, or one shared by a group of
// concurrent changes (batched: one COMMIT and flush), notifications sent inside the committing transaction,
// the schema migrations under a table lock, and the mapping of driver errors to BrokerErrors
// (an unreachable database is HA_NOT_AVAILABLE with a message saying so).
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../logger.js';
import { BrokerError, Code, isBrokerError } from '../../errors.js';
import { loadMigrations, loadQueries, type Migration } from './sql-files.js';

export interface PgDatabaseOptions {
  connectionString: string;
  /** Schema holding the store's tables (created on first open). */
  schema: string;
  /** Connections in the pool (default 8). */
  poolSize?: number;
  /** Longest wait for a connection and longest query, in ms (default 10 s). */
  timeoutMs?: number;
  log: Logger;
}

type Row = pg.QueryResultRow;

/** What a transaction body may do: run named statements, and queue a wake-up sent at commit. */
export interface Tx {
  rows<R extends Row>(statement: string, params?: unknown[]): Promise<R[]>;
  /** Runs a statement, returns the number of rows it touched. */
  run(statement: string, params?: unknown[]): Promise<number>;
  notify(event: 'appended' | 'halfPublished', key: string): void;
  /**
   * Runs `fn` once, just before COMMIT, after every body sharing the transaction (hooks in key
   * order; a key already registered is kept): work taken last so that transactions lock those
   * rows in one order.
   */
  beforeCommit(key: string, fn: () => Promise<void>): void;
}

export interface Notification {
  event: 'appended' | 'halfPublished';
  key: string;
}

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 6;
/** Most calls one shared SQL transaction of `batched` carries. */
const MAX_BATCH = 128;

interface Queued {
  body: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** int8 (bigint) columns as JS numbers: offsets and millisecond times stay far below 2^53. */
const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export class PgDatabase {
  readonly pool: pg.Pool;
  readonly channel: string;
  private statements = new Map<string, string>();
  private readonly where: string;
  /** Calls of `batched` waiting, per key, while that key's shared transaction runs. */
  private readonly waiting = new Map<string, Queued[]>();

  constructor(
    readonly options: PgDatabaseOptions,
    /** Called after a commit with the notifications it sent (the store's own events). */
    private readonly onCommitted: (notes: Notification[]) => void,
  ) {
    if (!SCHEMA_NAME.test(options.schema)) {
      throw new BrokerError(
        Code.BAD_REQUEST,
        `PostgreSQL schema name "${options.schema}" is invalid: use lower-case letters, digits and _ (at most 63), starting with a letter or _`,
      );
    }
    this.channel = channelOf(options.schema);
    const timeout = options.timeoutMs ?? 10_000;
    this.where = describeTarget(options.connectionString);
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 8,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      idleTimeoutMillis: 30_000,
      // Never a long-running transaction: the server ends one left idle (and its locks).
      options: `-c search_path=${options.schema} -c idle_in_transaction_session_timeout=${Math.max(timeout * 3, 30_000)}`,
      types,
    });
    // An idle connection dropped by the server (restart, failover): the pool replaces it.
    this.pool.on('error', (err) => options.log.warn({ err: err.message }, 'PostgreSQL connection lost; the pool reconnects on the next use'));
  }

  /** Applies missing migrations (one migrator at a time) and loads the named statements. */
  async open(): Promise<void> {
    const migrations = await loadMigrations();
    await this.migrate(migrations);
    this.statements = await loadQueries();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  sql(statement: string): string {
    const text = this.statements.get(statement);
    if (text === undefined) throw new BrokerError(Code.INTERNAL_ERROR, `the PostgreSQL store has no statement named ${statement} (queries/*.sql)`);
    return text;
  }

  /**
   * A named statement as a prepared one: each connection parses and plans it once (on first
   * use), later calls only bind and execute it.
   */
  private prepared(statement: string, values: unknown[]): pg.QueryConfig {
    return { name: `hm_${statement}`, text: this.sql(statement), values };
  }

  /** One statement outside a transaction (reads). */
  async rows<R extends Row>(statement: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(this.prepared(statement, params))).rows;
    } catch (err) {
      throw this.brokerError(err);
    }
  }

  private payloadOf(n: Notification): string {
    return `${this.instanceTag}|${n.event}|${n.key}`;
  }

  /**
   * Runs `body` as one SQL transaction (READ COMMITTED; the body locks what it reads to change).
   * Serialization failures and deadlocks are retried from the start, and so is once a pooled
   * connection found broken before COMMIT was sent (nothing was written; the pool opens a fresh
   * one). A database that cannot be reached is not retried (the call fails within one timeout),
   * and neither is a failed COMMIT (its outcome is unknown).
   */
  async tx<T>(body: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      let connected = false;
      let committing = false;
      try {
        client = await this.checkout();
        connected = true;
        const c = client;
        const notes: Notification[] = [];
        const hooks = new Map<string, () => Promise<void>>();
        await c.query('BEGIN');
        const tx: Tx = {
          rows: async <R extends Row>(statement: string, params: unknown[] = []) => (await c.query<R>(this.prepared(statement, params))).rows,
          run: async (statement, params = []) => (await c.query(this.prepared(statement, params))).rowCount ?? 0,
          notify: (event, key) => {
            if (!notes.some((n) => n.event === event && n.key === key)) notes.push({ event, key });
          },
          beforeCommit: (key, fn) => {
            if (!hooks.has(key)) hooks.set(key, fn);
          },
        };
        const value = await body(tx);
        for (const key of [...hooks.keys()].sort()) await hooks.get(key)!();
        if (notes.length > 0) {
          await c.query({
            name: 'hm_notify',
            text: 'SELECT pg_notify($1, n) FROM unnest($2::text[]) AS n',
            values: [this.channel, notes.map((n) => this.payloadOf(n))],
          });
        }
        committing = true;
        await c.query('COMMIT');
        this.release(client);
        client = undefined;
        this.onCommitted(notes);
        return value;
      } catch (err) {
        if (client) {
          const broken = isConnectionError(err);
          if (!broken) await client.query('ROLLBACK').catch(() => undefined);
          this.release(client, broken ? (err as Error) : undefined);
        }
        const code = (err as { code?: string }).code;
        const retry = attempt < MAX_ATTEMPTS && ((code !== undefined && RETRYABLE.has(code)) || (connected && !committing && attempt === 1 && isConnectionError(err)));
        if (!retry) throw this.brokerError(err);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5 * attempt)));
      }
    }
  }

  /**
   * Like `tx`, for changes that serialize on one row anyway (appends to a queue wait for its head
   * row, locked until COMMIT and its WAL flush): while a call with the same `key` runs, later
   * calls wait and then run together, one after the other, in one SQL transaction with one
   * COMMIT (a group commit: one lock hold and one flush for all of them). Each caller gets its
   * own body's result. A body that throws is taken out and the others run again in a fresh
   * transaction (nothing of the failed attempt stays); serialization failures, deadlocks and lost
   * connections are handled as in `tx` for the whole group. A call with nothing to wait for runs
   * at once, alone.
   */
  batched<T>(key: string, body: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queue = this.waiting.get(key);
      const entry: Queued = { body, resolve: resolve as (value: unknown) => void, reject };
      if (queue) queue.push(entry);
      else {
        this.waiting.set(key, []);
        void this.runGroups(key, [entry]);
      }
    });
  }

  /** Runs `group`, then whatever queued under `key` meanwhile, until the key's queue is empty. */
  private async runGroups(key: string, group: Queued[]): Promise<void> {
    for (;;) {
      let rest = group;
      while (rest.length > 0) {
        let failed: { index: number; error: unknown } | undefined;
        try {
          const members = rest;
          const values = await this.tx(async (tx) => {
            failed = undefined;
            const out: unknown[] = [];
            for (let i = 0; i < members.length; i++) {
              try {
                out.push(await members[i]!.body(tx));
              } catch (error) {
                const code = (error as { code?: string }).code;
                if ((code !== undefined && RETRYABLE.has(code)) || isConnectionError(error)) throw error;
                failed = { index: i, error };
                throw error;
              }
            }
            return out;
          });
          rest.forEach((m, i) => m.resolve(values[i]));
          rest = [];
        } catch (err) {
          if (failed === undefined) {
            for (const m of rest) m.reject(err);
            rest = [];
          } else {
            const f: { index: number; error: unknown } = failed;
            rest[f.index]!.reject(this.brokerError(f.error));
            rest = rest.filter((_, i) => i !== f.index);
          }
        }
      }
      const queue = this.waiting.get(key) ?? [];
      if (queue.length === 0) {
        this.waiting.delete(key);
        return;
      }
      group = queue.splice(0, MAX_BATCH);
    }
  }

  /**
   * A pooled connection for a transaction. While checked out, a connection that the server drops
   * (restart, crash, failover) also emits 'error' on the client, which would end the process
   * without a listener; the statement under way fails with the same error, so it is only logged.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    client.on('error', this.onCheckedOutError);
    return client;
  }

  private release(client: pg.PoolClient, err?: Error): void {
    client.removeListener('error', this.onCheckedOutError);
    client.release(err);
  }

  private readonly onCheckedOutError = (err: Error): void => {
    this.options.log.warn({ err: err.message }, 'PostgreSQL connection lost during a transaction; the transaction fails and the pool reconnects');
  };

  /** Set by the store: tags this instance's notifications so its listener skips them. */
  instanceTag = '';

  brokerError(err: unknown): BrokerError {
    if (isBrokerError(err)) return err;
    const message = (err as Error).message ?? String(err);
    if (isConnectionError(err)) {
      return new BrokerError(
        Code.HA_NOT_AVAILABLE,
        `the PostgreSQL database of the store is unreachable (${this.where}: ${message}); check that it is running — the broker reconnects when it is back`,
        {
          cause: err,
        },
      );
    }
    return new BrokerError(Code.INTERNAL_ERROR, `PostgreSQL store operation failed: ${message}`, { cause: err });
  }

  private async migrate(migrations: Migration[]): Promise<void> {
    const known = migrations.length;
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.checkout();
        await client.query('BEGIN');
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.options.schema}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_version (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
        );
        // One migrator at a time: the others wait here, then find the work done.
        await client.query('LOCK TABLE schema_version IN ACCESS EXCLUSIVE MODE');
        const current = (await client.query<{ version: number }>('SELECT version FROM schema_version WHERE id = 1')).rows[0]?.version ?? 0;
        if (current > known) {
          throw new BrokerError(
            Code.INTERNAL_ERROR,
            `the PostgreSQL schema ${this.options.schema} is at version ${current}, newer than this Halfmoon knows (${known}): upgrade Halfmoon, or point --store at another database or schema`,
          );
        }
        for (const m of migrations.slice(current)) {
          this.options.log.info({ version: m.version, migration: m.name, schema: this.options.schema }, 'applying PostgreSQL store migration');
          await client.query(m.sql);
        }
        await client.query('INSERT INTO schema_version (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, applied_at = now()', [known]);
        await client.query('COMMIT');
        this.release(client);
        return;
      } catch (err) {
        if (client) {
          await client.query('ROLLBACK').catch(() => undefined);
          this.release(client, isConnectionError(err) ? (err as Error) : undefined);
        }
        // Two first migrators creating the schema or table at once: one loses with a duplicate.
        const code = (err as { code?: string }).code;
        if (attempt < 5 && (code === '23505' || code === '42P06' || code === '42P07' || (code !== undefined && RETRYABLE.has(code)))) continue;
        throw this.brokerError(err);
      }
    }
  }
}

/** Errors meaning the database cannot be reached (or went away), as opposed to a failed statement. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (
    typeof e?.code === 'string' &&
    (e.code.startsWith('08') || ['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(e.code))
  )
    return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    e?.message ?? '',
  );
}

/** The NOTIFY channel of a schema: halfmoon_<schema>, or a digest of the schema where that would pass PostgreSQL's 63-byte limit. */
export function channelOf(schema: string): string {
  const plain = `halfmoon_${schema}`;
  return plain.length <= 63 ? plain : `halfmoon_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}

/** host:port/database of a connection string, without credentials (for messages). */
export function describeTarget(connectionString: string): string {
  try {
    const u = new URL(connectionString);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured database';
  }
}
