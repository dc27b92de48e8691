// The PostgreSQL store's .sql files: every statement the code runs is defined exactly once,
// migrations are numbered without gaps, and the files ship in the npm package (package.json
// "files"), where a build under dist/ finds them.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, loadQueries, sqlDir } from '../../../src/store/pg/sql-files.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PG_DIR = join(ROOT, 'src/store/pg');

/** Statement names passed to rows()/run() in the store's TypeScript. */
function statementsUsed(): Set<string> {
  const used = new Set<string>();
  for (const file of readdirSync(PG_DIR).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(PG_DIR, file), 'utf8');
    for (const m of text.matchAll(/\.(?:rows|run)(?:<[^>]*>)?\(\s*'([a-z_]+)'/g)) used.add(m[1]!);
    for (const m of text.matchAll(/\[(?:\s*'[a-z_]+',?)+\s*\]\) await tx\.run\(statement/g)) {
      for (const n of m[0].matchAll(/'([a-z_]+)'/g)) used.add(n[1]!);
    }
  }
  return used;
}

describe('PostgreSQL store SQL files', () => {
  it('define every statement the store runs', async () => {
    const statements = await loadQueries();
    const used = statementsUsed();
    expect(used.size).toBeGreaterThan(40);
    expect([...used].filter((name) => !statements.has(name))).toEqual([]);
  });

  it('number the migrations from 1 without gaps, and are found next to the source', async () => {
    expect(sqlDir()).toBe(PG_DIR + '/');
    const migrations = await loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations[0]!.sql).toContain('CREATE TABLE queue_head');
  });

  it('ship in the npm package, at the path a build under dist/ looks in', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toEqual(expect.arrayContaining(['src/store/pg/migrations', 'src/store/pg/queries']));
    // dist/src/store/pg/sql-files.js resolves ../../../../src/store/pg/ from its own location.
    const fromDist = fileURLToPath(new URL('../../../../src/store/pg/', new URL('dist/src/store/pg/sql-files.js', `file://${ROOT}`)));
    expect(fromDist).toBe(PG_DIR + '/');
  });
});
