// The README's TypeScript snippets, run as a reader would run them: each ```ts block is written
// to a file of its own (in a temporary project that sees this repository's node_modules, so
// 'rocketmq-client-nodejs' and 'halfmoon-broker/client' resolve as after `npm ci`; the latter is
// the built dist/) and run with tsx against a real broker, with the broker's address in place of
// 127.0.0.1:8081. A snippet must finish on its own (exit 0, well before the time limit: a client
// left running keeps the process alive) and do what the text around it says.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOC_ENDPOINT = '127.0.0.1:8081';
const LIMIT_MS = 45_000;

const snippets = [...README.matchAll(/^```ts[ \t]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({
  code: m[1]!,
  line: README.slice(0, m.index).split('\n').length,
}));

function runSnippet(dir: string, name: string, code: string, endpoint: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, code.split(DOC_ENDPOINT).join(endpoint));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

let tb: TestBroker;
let dir: string;
beforeAll(async () => {
  // The official-client snippet leaves its transaction open for the broker's check: a short
  // transaction timeout makes that check come in 1.5 s instead of 6.
  tb = await startTestBroker({ transactionTimeoutMs: 1_500, minLongPollingTimeoutMs: 5_000 });
  await tb.broker.services.topics.create('Payments', 'TRANSACTION');
  dir = mkdtempSync(join(tmpdir(), 'halfmoon-readme-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-snippets', private: true, type: 'module' }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
});
afterAll(async () => {
  await tb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('README snippets', () => {
  it('are the two this test knows how to check', () => {
    expect(snippets.map((s) => (/from '([^']+)'/.exec(s.code) ?? [])[1])).toEqual(['rocketmq-client-nodejs', 'halfmoon-broker/client']);
  });

  it(
    'the official client: the checker commits the open transaction, the SimpleConsumer gets it, the program exits',
    async () => {
      const snippet = snippets[0]!;
      const res = await runSnippet(dir, 'official-client', snippet.code, tb.endpoint);
      expect(res.signal, `README.md:${snippet.line} did not finish within ${LIMIT_MS} ms\n${res.stdout}${res.stderr}`).toBeNull();
      expect(res.code, `README.md:${snippet.line}\n${res.stderr}`).toBe(0);
      expect(res.stdout).toMatch(/^order-42 \S+$/m);
    },
    LIMIT_MS + 15_000,
  );

  it(
    "Halfmoon's SDK: the transaction is committed and the program exits",
    async () => {
      const snippet = snippets[1]!;
      const before = (await tb.broker.store.read('Payments', 0, 0, 100)).length;
      const res = await runSnippet(dir, 'sdk', snippet.code, tb.endpoint);
      expect(res.signal, `README.md:${snippet.line} did not finish within ${LIMIT_MS} ms\n${res.stdout}${res.stderr}`).toBeNull();
      expect(res.code, `README.md:${snippet.line}\n${res.stderr}`).toBe(0);
      const log = await tb.broker.store.read('Payments', 0, 0, 100);
      expect(log.slice(before).map((m) => [m.body.toString(), m.tag, m.keys])).toEqual([['…', 'paid', ['order-42']]]);
    },
    LIMIT_MS + 15_000,
  );
});
