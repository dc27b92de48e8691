// Keeps the README honest: its configuration table is the one generated from src/config.ts, and
// every code in its error table has the number src/errors.ts gives it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, withConfigTable } from '../../scripts/config-table.js';
import { Code } from '../../src/errors.js';

const readme = readFileSync(README, 'utf8');

describe('README', () => {
  it('has the current configuration table (run: node --import tsx scripts/config-table.ts --write)', () => {
    expect(readme).toBe(withConfigTable(readme));
  });

  it('lists error codes with their real numbers', () => {
    const rows = [...readme.matchAll(/^\| ([\d /]+) \| ([A-Z_ /]+) \|/gm)];
    expect(rows.length).toBeGreaterThan(10);
    for (const [, numbers, names] of rows) {
      const nums = numbers!.split('/').map((n) => Number(n.trim()));
      const keys = names!.split('/').map((n) => n.trim());
      expect(keys.map((k) => (Code as Record<string, number>)[k])).toEqual(nums);
    }
  });
});
