// Runs the real `halfmoon start` CLI in a child process (for crash tests and CLI tests):
// free-port selection, readiness wait, SIGKILL and restart on the same data directory. With
// HALFMOON_TEST_STORE=postgres the process gets `--store` with a schema of its own on the test
// PostgreSQL, the same one for the same data directory (a restart sees the same data), unless the
// flags already name a store.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { rawClient } from './raw-client.js';
import { storeFor } from './test-store.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface BrokerProcess {
  child: ChildProcess;
  endpoint: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startBrokerProcess(dataDir: string, port: number, flags: string[] = []): Promise<BrokerProcess> {
  const store = flags.includes('--store') ? '' : await storeFor(dataDir);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'start',
      '--data',
      dataDir,
      '--grpc-port',
      String(port),
      '--http-enabled',
      'false',
      '--log-level',
      'warn',
      ...(store ? ['--store', store] : []),
      ...flags,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const endpoint = `127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`broker process exited with ${child.exitCode ?? child.signalCode}`);
    const client = rawClient(endpoint);
    try {
      const res = await client.admin('ListTopics', {});
      // An --auth broker answers the unsigned probe UNAUTHORIZED: it is up.
      if (res.status.code === 'OK' || res.status.code === 'UNAUTHORIZED') break;
    } catch {
      if (Date.now() > end) throw new Error('broker process did not become ready in 20 s');
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.close();
    }
  }
  return {
    child,
    endpoint,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/** Runs the CLI to completion (as another user when `as` says so). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  as: { uid?: number; gid?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
