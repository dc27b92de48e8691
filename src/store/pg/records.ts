// Owns how domain records travel through PostgreSQL rows: a message as a JSON header (every
// field but the body) plus its body as bytea, and the shared context the store's parts use.
import type { Clock } from '../../util/clock.js';
import type { PgDatabase } from './db.js';

/** What every part of the PostgreSQL store works with. */
export interface PgContext {
  db: PgDatabase;
  clock: Clock;
}

/** A record's fields without its body, for a jsonb column. */
export function headerOf<T extends { body: Buffer }>(record: T): string {
  const { body: _body, ...header } = record;
  return JSON.stringify(header);
}

/** The record back from its header and body columns. */
export function fromRow<T extends { body: Buffer }>(row: { header: Omit<T, 'body'>; body: Buffer }): T {
  return { ...row.header, body: row.body } as T;
}

/** Stored size of a record (header + body), as retention by size counts it. */
export function sizeOf(header: string, body: Buffer): number {
  return Buffer.byteLength(header, 'utf8') + body.length;
}
