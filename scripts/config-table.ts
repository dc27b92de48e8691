// Renders the configuration table (Markdown) from the one config spec in src/config.ts and keeps
// README.md's copy (between the config-table markers) in sync:
//   node --import tsx scripts/config-table.ts          # print
//   node --import tsx scripts/config-table.ts --write  # rewrite README.md
// test/unit/docs.test.ts fails when the README copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTable } from '../src/config.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function configMarkdown(): string {
  const rows = configTable().map((r) => `| \`${r.key}\` | \`${r.env}\` | \`${r.flag}\` | \`${r.default}\` | ${r.upstream} | ${r.description.replace(/\|/g, '\\|')} |`);
  return ['| key | env | flag | default | upstream | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The README text with the table between the markers replaced by the current one. */
export function withConfigTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${configMarkdown()}\n${readme.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) writeFileSync(README, withConfigTable(readFileSync(README, 'utf8')));
  else process.stdout.write(configMarkdown() + '\n');
}
