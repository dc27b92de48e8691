// Keeps the README and docs/ honest: docs/configuration.md's table is the one generated from
// src/config.ts, every code in its error table has the number src/errors.ts gives it, every
// relative link (and #anchor) in README.md and docs/*.md leads somewhere, the docs stand alone
// (nothing points outside the repository), and package.json's entry points and commands name
// files the build produces from src/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC, withConfigTable } from '../../scripts/config-table.js';
import { Code } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'examples/README.md',
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6} (.+)$/gm)) {
    out.add(
      heading!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

/** The markdown links of a document, outside code blocks and code spans. */
function links(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe('README', () => {
  it('links to docs/configuration.md, which has the current configuration table (run: node --import tsx scripts/config-table.ts --write)', () => {
    expect(readme).toContain('(docs/configuration.md)');
    const doc = readFileSync(CONFIG_DOC, 'utf8');
    expect(doc).toBe(withConfigTable(doc));
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

  it('keeps the grpcurl walkthrough in docs/grpcurl.md and links to it', () => {
    expect(readme).toContain('(docs/grpcurl.md)');
    expect(readme.split('\n').length).toBeLessThan(450);
  });
});

describe('docs', () => {
  it.each(DOCS)('%s: every relative link and anchor resolves', (doc) => {
    const file = join(ROOT, doc);
    const markdown = readFileSync(file, 'utf8');
    const broken: string[] = [];
    for (const link of links(markdown)) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? file : join(dirname(file), path);
      if (!existsSync(target)) broken.push(`${link} (no ${relative(ROOT, target)})`);
      else if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${link} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it.each(DOCS)('%s: stands alone (no path outside the repository)', (doc) => {
    const markdown = readFileSync(join(ROOT, doc), 'utf8');
    expect(markdown).not.toMatch(/\.\.\/shared\b|\/work\/(?:main|shared|wt-)|\]\(\.\.\/\.\.\//);
    for (const link of links(markdown)) {
      if (/^[a-z]+:/i.test(link)) continue;
      const target = relative(ROOT, join(ROOT, dirname(doc), link.split('#')[0]!));
      expect(target.startsWith('..'), `${doc}: ${link}`).toBe(false);
    }
  });
});

describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    main: string;
    types: string;
    bin: Record<string, string>;
    files: string[];
    scripts: Record<string, string>;
    exports: Record<string, { types: string; default: string }>;
  };
  /** dist/src/x/y.js (or .d.ts) is built from src/x/y.ts. */
  const source = (built: string) =>
    built
      .replace(/^\.\//, '')
      .replace(/^dist\//, '')
      .replace(/\.d\.ts$|\.js$/, '.ts');

  it('points main, types and exports at files built from src/', () => {
    const entries = [pkg.main, pkg.types, ...Object.values(pkg.exports).flatMap((e) => [e.types, e.default])];
    for (const entry of entries) expect(existsSync(join(ROOT, source(entry))), `${entry} ← ${source(entry)}`).toBe(true);
    expect(pkg.exports['.']!.default).toBe(`./${pkg.main}`);
  });

  it('installs the halfmoon and halfmoon-broker commands (npx halfmoon-broker runs the package)', () => {
    expect(pkg.bin).toEqual({ halfmoon: 'bin/halfmoon', 'halfmoon-broker': 'bin/halfmoon' });
    expect(pkg.files).toContain('bin');
    expect(pkg.scripts.start).toBe('sh bin/halfmoon start');
  });

  it('starts the CLI built from src/cli/main.ts from the launcher, with one malloc arena unless told otherwise', () => {
    const launcher = readFileSync(join(ROOT, 'bin', 'halfmoon'), 'utf8');
    expect(launcher.startsWith('#!/bin/sh\n')).toBe(true);
    expect(launcher).toContain('exec node --max-semi-space-size=8 ${HALFMOON_NODE_ARGS-} "$here/../dist/src/cli/main.js" "$@"');
    expect(existsSync(join(ROOT, source('dist/src/cli/main.js')))).toBe(true);
    expect(launcher).toContain(': "${MALLOC_ARENA_MAX:=1}"');
    expect(statSync(join(ROOT, 'bin', 'halfmoon')).mode & 0o111).not.toBe(0);
  });
});
