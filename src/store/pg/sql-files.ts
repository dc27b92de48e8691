// Owns finding and reading the PostgreSQL store's .sql files: the numbered migrations and the
// named statements (`-- name: <op>` sections in queries/*.sql), loaded once at open. The files
// live next to this module in src/store/pg/; a build under dist/ finds them in the package's
// src/store/pg/ (shipped through package.json "files").
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BrokerError, Code } from '../../errors.js';

/** src/store/pg/ when running from source; the package's src/store/pg/ when running from dist/src/store/pg/. */
export function sqlDir(): string {
  const candidates = [fileURLToPath(new URL('.', import.meta.url)), fileURLToPath(new URL('../../../../src/store/pg/', import.meta.url))];
  const found = candidates.find((dir) => existsSync(join(dir, 'migrations')) && existsSync(join(dir, 'queries')));
  if (!found) {
    throw new BrokerError(Code.INTERNAL_ERROR, `the PostgreSQL store's SQL files are missing (looked in ${candidates.join(' and ')}): reinstall Halfmoon`);
  }
  return found;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations, ordered by their number (NNN_name.sql). */
export async function loadMigrations(dir = sqlDir()): Promise<Migration[]> {
  const files = (await readdir(join(dir, 'migrations'))).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!match) throw new BrokerError(Code.INTERNAL_ERROR, `migration file ${file} is not named NNN_name.sql`);
    out.push({ version: Number(match[1]), name: match[2]!, sql: await readFile(join(dir, 'migrations', file), 'utf8') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new BrokerError(Code.INTERNAL_ERROR, `migrations must be numbered 1, 2, 3, … without gaps; ${m.name} has ${m.version}`);
  });
  return out;
}

/** Every named statement of queries/*.sql: `-- name: op` starts a statement that runs to the next marker. */
export async function loadQueries(dir = sqlDir()): Promise<Map<string, string>> {
  const statements = new Map<string, string>();
  const files = (await readdir(join(dir, 'queries'))).filter((f) => f.endsWith('.sql')).sort();
  for (const file of files) {
    const text = await readFile(join(dir, 'queries', file), 'utf8');
    let name: string | undefined;
    let body: string[] = [];
    const flush = (): void => {
      if (name === undefined) return;
      const sql = body.join('\n').trim();
      if (!sql) throw new BrokerError(Code.INTERNAL_ERROR, `statement ${name} in queries/${file} is empty`);
      if (statements.has(name)) throw new BrokerError(Code.INTERNAL_ERROR, `statement ${name} is defined twice (queries/${file})`);
      statements.set(name, sql.replace(/;\s*$/, ''));
    };
    for (const line of text.split('\n')) {
      const marker = /^--\s*name:\s*([\w-]+)\s*$/.exec(line);
      if (marker) {
        flush();
        name = marker[1]!;
        body = [];
      } else if (name !== undefined && !/^\s*--/.test(line)) body.push(line);
    }
    flush();
  }
  return statements;
}
