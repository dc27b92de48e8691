// Renders the configuration table (Markdown) from the one config spec in src/config.ts and keeps
// docs/configuration.md's copy (between the config-table markers) in sync:
//   node --import tsx scripts/config-table.ts          # print
//   node --import tsx scripts/config-table.ts --write  # rewrite docs/configuration.md
// test/unit/docs.test.ts fails when the copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configTable } from '../src/config.js';

export const CONFIG_DOC = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function configMarkdown(): string {
  const rows = configTable().map((r) => `| \`${r.key}\` | \`${r.env}\` | \`${r.flag}\` | \`${r.default}\` | ${r.upstream} | ${r.description.replace(/\|/g, '\\|')} |`);
  return ['| key | env | flag | default | upstream | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The README text with the table between the markers replaced by the current one. */
export function withConfigTable(doc: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/configuration.md lacks the ${START} … ${END} markers`);
  return `${doc.slice(0, a + START.length)}\n${configMarkdown()}\n${doc.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) writeFileSync(CONFIG_DOC, withConfigTable(readFileSync(CONFIG_DOC, 'utf8')));
  else process.stdout.write(configMarkdown() + '\n');
}
