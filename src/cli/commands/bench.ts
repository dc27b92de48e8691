// Owns `halfmoon bench`: runs the benchmarks of scripts/bench (tx, check, consume, peers, cluster) in a child
// Node process with the TypeScript loader, streaming their progress and numbers. Benchmarks
// ship with the source checkout (they need its dev dependencies), not with a built package.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, type Command } from '../args.js';
import type { Output } from '../output.js';

const USAGE = `Usage: halfmoon bench [tx|check|consume|peers|cluster ...] [--quick] [benchmark flags]

Runs Halfmoon's benchmarks against in-process brokers on temporary data directories and prints
their progress, then a summary table. With no name, tx, check and consume run (about a minute each).

  tx        transactions per second (half message + commit, durable) and p50/p99 per RPC
  check     orphaned-transaction check dispatch rate with 100k pending transactions
  consume   acked messages per second, 1 producer + 4 consumers, send-to-receive p50/p99
  peers     Halfmoon, RabbitMQ (classic and quorum queues) and NATS JetStream side by side in
            one run (brokers started as processes on 127.0.0.1, installed with apt-get when
            missing): publish, drain, end to end, CPU and bytes per message, ratios
            Halfmoon/peer; with --no-peers only Halfmoon's rows (run by name only)
  cluster   1, 2 and 3 broker processes on one durable PostgreSQL (started in a temp dir):
            committed transactions/s, NORMAL publish/s, p50/p99, broker and PostgreSQL CPU,
            statements and WAL bytes per transaction, first check with 100k pending
            (--brokers 1,2,3; run by name only)

  --quick   a short run with small counts (a smoke test of the benchmarks)
Other flags go to every selected benchmark; each script in scripts/bench documents its own
(e.g. "halfmoon bench consume --client both --seconds 10"). Needs a source checkout with its
dev dependencies (npm ci).`;

/** The checkout root: the nearest directory above this module holding scripts/bench/run.ts. */
function benchScript(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'scripts', 'bench', 'run.ts');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function run(args: string[], out: Output): Promise<number> {
  // Only --help is ours; everything else (names, --quick, benchmark flags) is passed through.
  if (args.includes('--help') || args.includes('-h')) {
    out.info(USAGE);
    return 0;
  }
  const script = benchScript();
  if (!script) {
    throw new UsageError('the benchmarks live in scripts/bench of a source checkout, and this installation has none: run halfmoon bench from a clone after npm ci', USAGE);
  }
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit', cwd: dirname(dirname(dirname(script))) });
  return new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

export const benchCommand: Command = { name: 'bench', usage: USAGE, run };
