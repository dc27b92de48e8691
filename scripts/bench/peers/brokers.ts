// Broker controllers for the peers benchmark: each starts one broker as a child process on
// 127.0.0.1 with free ports and its own scratch directory, says which pid to measure, and stops
// only what it started (its own process tree; RabbitMQ through `rabbitmqctl -n <its node> stop`).
// Halfmoon runs from the build through its launcher (`bin/halfmoon start`, as `npm start` and the
// installed command do); RabbitMQ (`rabbitmq-server`)
// and NATS (`nats-server -js`) are the Debian packages, installed with apt-get when missing.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, processTree, waitForPort } from './proc.js';

const run = promisify(execFile);

/** The Debian package's own scripts: the /usr/sbin wrappers switch to the rabbitmq user, which cannot use our scratch dir. */
const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const rabbitBin = (name: string): string => (existsSync(join(RABBIT_BIN, name)) ? join(RABBIT_BIN, name) : name);

/** Pids of running epmd daemons (RabbitMQ starts one, detached, if none runs). */
function epmdPids(): number[] {
  const r = spawnSync('pgrep', ['-x', 'epmd'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

export type BrokerKind = 'halfmoon' | 'rabbitmq' | 'nats';

export interface RunningBroker {
  kind: BrokerKind;
  /** host:port of the client protocol (gRPC, AMQP, NATS). */
  endpoint: string;
  port: number;
  /** The process whose tree is measured (for RabbitMQ: beam.smp). */
  pid: number;
  dir: string;
  /** Milliseconds from spawn to the port accepting connections. */
  startMs: number;
  stop(): Promise<void>;
}

/** Every broker started and not yet stopped, so Ctrl-C and errors can stop them. */
const live = new Set<RunningBroker>();

export async function stopAll(): Promise<void> {
  await Promise.allSettled([...live].map((b) => b.stop()));
}

/** Root of the checkout (scripts/bench/peers → ../../..). */
export const REPO = new URL('../../../', import.meta.url).pathname;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM to `child`'s tree, SIGKILL after `graceMs`; resolves once the child has exited. */
async function killTree(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const pids = processTree(child.pid);
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  for (const p of pids) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const timer = setTimeout(() => {
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

function track(b: RunningBroker): RunningBroker {
  live.add(b);
  const stop = (): Promise<void> => inner();
  const inner = b.stop.bind(b);
  b.stop = async () => {
    if (!live.delete(b)) return;
    await stop();
  };
  return b;
}

// ---------------------------------------------------------------------------------------------
// Debian packages

/** Installs the packages missing among `pkgs` (apt-get update first); returns what it installed. */
export function ensurePackages(pkgs: { pkg: string; bin: string }[], log: (l: string) => void): string[] {
  const missing = pkgs.filter((p) => spawnSync('sh', ['-c', `command -v ${p.bin}`]).status !== 0 && !existsSync(`/usr/sbin/${p.bin}`));
  if (missing.length === 0) return [];
  const names = missing.map((p) => p.pkg);
  log(`installing ${names.join(', ')} with apt-get (missing)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const up = spawnSync('apt-get', ['update'], { stdio: 'ignore', env, timeout: 300_000 });
  if (up.status !== 0) throw new Error('apt-get update failed');
  const inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...names], { stdio: 'ignore', env, timeout: 600_000 });
  if (inst.status !== 0) throw new Error(`apt-get install ${names.join(' ')} failed`);
  return names;
}

export function packageVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'not installed';
}

// ---------------------------------------------------------------------------------------------
// Halfmoon

export interface HalfmoonStartOptions {
  dir: string;
  /** Extra `halfmoon start` flags (e.g. ['--transaction-timeout-ms', '1000']). */
  flags?: string[];
  /** Reuse this port (a restart on the same data dir). */
  port?: number;
  /** Node.js flags for the broker process (e.g. ['--cpu-prof']), given to the launcher in HALFMOON_NODE_ARGS. */
  nodeArgs?: string[];
}

export async function startHalfmoon(o: HalfmoonStartOptions): Promise<RunningBroker> {
  const main = join(REPO, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('dist/src/cli/main.js is missing: run npm run build first');
  mkdirSync(o.dir, { recursive: true });
  const port = o.port ?? (await freePort());
  const args = [
    join(REPO, 'bin', 'halfmoon'),
    'start',
    '--data',
    join(o.dir, 'data'),
    '--host',
    '127.0.0.1',
    '--grpc-port',
    String(port),
    '--http-enabled',
    'false',
    '--admin-port',
    '0',
    '--log-level',
    'warn',
    ...(o.flags ?? []),
  ];
  const t0 = performance.now();
  // The launcher replaces its shell with node (exec): the child's pid is the broker's.
  const env = { ...process.env, ...(o.nodeArgs?.length ? { HALFMOON_NODE_ARGS: o.nodeArgs.join(' ') } : {}) };
  const child = spawn('sh', args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: REPO, env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await waitForPort(port, 60_000, () => !exited(child));
  } catch (err) {
    await killTree(child);
    throw new Error(`halfmoon did not start: ${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return track({ kind: 'halfmoon', endpoint: `127.0.0.1:${port}`, port, pid: child.pid!, dir: o.dir, startMs: performance.now() - t0, stop: () => killTree(child) });
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ

export async function startRabbit(dir: string): Promise<RunningBroker> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const distPort = await freePort();
  const node = `halfmoonbench${process.pid}@localhost`;
  const conf = join(dir, 'rabbitmq');
  // Loopback only; the management plugin stays off (no extra ports).
  writeFileSync(`${conf}.conf`, ['listeners.tcp.1 = 127.0.0.1:' + port, 'loopback_users = none', 'log.console = false', 'log.file.level = warning', ''].join('\n'));
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: node,
    RABBITMQ_CONFIG_FILE: conf,
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    HOME: dir,
  };
  const cookie = join(dir, '.erlang.cookie');
  writeFileSync(cookie, 'HALFMOONBENCHCOOKIE', { mode: 0o400 });
  const t0 = performance.now();
  const epmdBefore = new Set(epmdPids());
  const child = spawn(rabbitBin('rabbitmq-server'), [], { env, stdio: 'ignore', cwd: dir });
  const ctl = (...a: string[]): Promise<unknown> => run(rabbitBin('rabbitmqctl'), ['-n', node, ...a], { env, timeout: 60_000 });
  const stop = async (): Promise<void> => {
    await ctl('stop').catch(() => undefined);
    await killTree(child, 15_000);
    // The epmd our node started (none ran before), once no node is registered with it.
    for (const p of epmdPids().filter((p) => !epmdBefore.has(p))) {
      const names = spawnSync('epmd', ['-names'], { encoding: 'utf8', env }).stdout ?? '';
      if (!/^name /m.test(names)) {
        try {
          process.kill(p, 'SIGTERM');
        } catch {
          // gone
        }
      }
    }
  };
  try {
    await waitForPort(port, 120_000, () => !exited(child));
    await ctl('await_startup');
  } catch (err) {
    await stop();
    throw new Error(`rabbitmq-server did not start: ${(err as Error).message}`, { cause: err });
  }
  const startMs = performance.now() - t0;
  const beam = processTree(child.pid!).find((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim().startsWith('beam');
    } catch {
      return false;
    }
  });
  return track({ kind: 'rabbitmq', endpoint: `127.0.0.1:${port}`, port, pid: beam ?? child.pid!, dir, startMs, stop });
}

// ---------------------------------------------------------------------------------------------
// NATS

export async function startNats(dir: string): Promise<RunningBroker> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn('nats-server', ['-js', '-sd', join(dir, 'js'), '-a', '127.0.0.1', '-p', String(port), '-n', `halfmoon-bench-${process.pid}`], {
    stdio: 'ignore',
    cwd: dir,
  });
  try {
    await waitForPort(port, 30_000, () => !exited(child));
  } catch (err) {
    await killTree(child);
    throw new Error(`nats-server did not start: ${(err as Error).message}`, { cause: err });
  }
  return track({ kind: 'nats', endpoint: `127.0.0.1:${port}`, port, pid: child.pid!, dir, startMs: performance.now() - t0, stop: () => killTree(child) });
}

/** Removes a scratch directory (after its broker stopped). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
