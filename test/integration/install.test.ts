// Installation as a product, away from the checkout: `npm pack` of a copy of the sources (its
// prepare script builds dist/), then (1) `npm install -g` of the tarball into a temporary prefix,
// whose `halfmoon` and `halfmoon-broker` commands start a broker and administer it from a
// directory outside the checkout (and serve the web console's page), and (2) `npm install` of the tarball into a new project that
// imports the package entry ('halfmoon-broker': Broker, resolveConfig, BrokerError, Code) and the
// SDK ('halfmoon-broker/client') and runs `npx halfmoon-broker`. Dependencies come from the npm
// cache when it has them (--prefer-offline), else from the registry.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/broker-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** What `npm pack` needs to build the package: sources, configs and the lock file. */
const SOURCES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.examples.json',
  'README.md',
  'bin',
  'src',
  'proto',
  'docs',
  'examples',
];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let work: string;
let tarball: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'halfmoon-install-'));
  // Packed from a copy, so building does not rewrite the dist/ other tests are using.
  const copy = join(work, 'source');
  mkdirSync(copy);
  for (const entry of SOURCES) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const packed = await run(NPM, ['pack', '--pack-destination', work, '--loglevel=error'], copy);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(
    work,
    readdirSync(work).find((f) => f.startsWith('halfmoon-broker-') && f.endsWith('.tgz'))!,
  );
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm install -g ./halfmoon-broker-*.tgz', () => {
  it('gives a working halfmoon (and halfmoon-broker) outside the checkout', async () => {
    const prefix = join(work, 'prefix');
    const installed = await run(NPM, ['install', '-g', '--prefix', prefix, ...NPM_FLAGS, tarball], work);
    expect(installed.code, installed.stderr).toBe(0);
    const bin = join(prefix, 'bin');
    const elsewhere = mkdtempSync(join(tmpdir(), 'halfmoon-elsewhere-'));
    const halfmoon = (...args: string[]) => run(join(bin, 'halfmoon'), args, elsewhere);
    try {
      expect(await halfmoon('--version')).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
      expect(await run(join(bin, 'halfmoon-broker'), ['--version'], elsewhere)).toMatchObject({ code: 0, stdout: `${VERSION}\n` });

      const port = await freePort();
      const broker = spawn(join(bin, 'halfmoon'), ['start', '--data', join(elsewhere, 'data'), '--grpc-port', String(port), '--http-port', '0'], {
        cwd: elsewhere,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      broker.stdout.on('data', (d: Buffer) => (log += d.toString()));
      broker.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const exited = new Promise<number | null>((resolve) => broker.on('exit', resolve));
      try {
        const deadline = Date.now() + 30_000;
        while (!log.includes('halfmoon broker started')) {
          if (broker.exitCode !== null || Date.now() > deadline) throw new Error(`the installed broker did not start:\n${log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        // The launcher became the broker (exec: same pid, SIGTERM reaches node) with one malloc arena.
        expect(readFileSync(`/proc/${broker.pid}/cmdline`, 'utf8').split('\0')[0]).toMatch(/node$/);
        expect(readFileSync(`/proc/${broker.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=1');
        const endpoint = `127.0.0.1:${port}`;
        const created = await halfmoon('topic', 'create', 'Installed', '--type', 'TRANSACTION', '--endpoints', endpoint);
        expect(created, created.stderr).toMatchObject({ code: 0, stdout: 'created: topic Installed (TRANSACTION)\n' });
        const sent = await halfmoon('send', '--topic', 'Installed', '--body', 'from the package', '--transaction', 'commit', '--endpoints', endpoint);
        expect(sent.code, sent.stderr).toBe(0);
        const listed = await run(join(bin, 'halfmoon-broker'), ['--endpoints', endpoint, 'topic', 'list'], elsewhere);
        expect(listed.stdout).toMatch(/^Installed\s+TRANSACTION\s+1$/m);
        // The web console's files ship in the package and are found from the global install.
        const adminPort = /admin"?:\s*"[^"]*:(\d+)"/.exec(log)?.[1];
        expect(adminPort, log).toBeTruthy();
        const page = await fetch(`http://127.0.0.1:${adminPort}/`);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('/assets/app.js');
        expect((await fetch(`http://127.0.0.1:${adminPort}/assets/app.js`)).status).toBe(200);
      } finally {
        broker.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(log).toContain('halfmoon broker stopped');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('npm install ./halfmoon-broker-*.tgz in another project', () => {
  it("imports the package entry and 'halfmoon-broker/client', and runs npx halfmoon-broker", async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const installed = await run(NPM, ['install', ...NPM_FLAGS, tarball], app);
    expect(installed.code, installed.stderr).toBe(0);
    writeFileSync(
      join(app, 'main.mjs'),
      `import { Broker, BrokerError, Code, resolveConfig, silentLogger } from 'halfmoon-broker';
import { ClientConfiguration, ClientServiceProvider } from 'halfmoon-broker/client';
const config = resolveConfig({ overrides: { dataDir: './data', grpcPort: 0, httpEnabled: false, adminPort: 0 } });
const broker = await Broker.start({ config, logger: silentLogger() });
await broker.services.topics.create('Orders', 'NORMAL');
const provider = ClientServiceProvider.loadService();
const producer = await provider.newProducerBuilder()
  .setClientConfiguration(ClientConfiguration.newBuilder().setEndpoints(broker.endpoint).build())
  .setTopics('Orders').build();
const receipt = await producer.send(provider.newMessageBuilder().setTopic('Orders').setBody(Buffer.from('hi')).build());
await producer.close();
await broker.close();
console.log('sent', receipt.messageId.length > 0, new BrokerError(Code.TOPIC_NOT_FOUND, 'x').code);
`,
    );
    const ran = await run(process.execPath, ['main.mjs'], app);
    expect(ran, ran.stderr).toMatchObject({ code: 0, stdout: `sent true ${40402}\n` });
    const npx = await run(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--no-install', 'halfmoon-broker', '--version'], app);
    expect(npx).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  }, 240_000);
});
