#!/usr/bin/env node
// Owns the `halfmoon` entry point: picks the command module (src/cli/commands), and turns its
// outcome into output and an exit code: 0 success, 1 the broker refused or could not be reached,
// 2 bad usage.
import { InvalidConfigError } from '../config.js';
import { BrokerRefusedError, UsageError, type Command } from './args.js';
import { benchCommand } from './commands/bench.js';
import { consumeCommand } from './commands/consume.js';
import { groupCommand } from './commands/group.js';
import { sendCommand } from './commands/send.js';
import { startCommand } from './commands/start.js';
import { topicCommand } from './commands/topic.js';
import { txCommand } from './commands/tx.js';
import type { Output } from './output.js';

const USAGE = `Usage: halfmoon <command> [options]        ("halfmoon <command> --help" for a command's options)

Broker
  start [--config FILE] [--data DIR] [--grpc-port N] [...]   run a broker (see "halfmoon start --help")

Messages
  send --topic T (--body TEXT | --file PATH | stdin) [--tag TAG] [--keys K1,K2] [--property k=v]...
       [--message-group G] [--delay MS|ISO] [--transaction commit|rollback|none] [--count N]
  consume --group G --topic T [--filter 'TagA||TagB'] [--count N] [--timeout MS] [--invisible MS]
          [--ack|--no-ack] [--progress]

Topics
  topic create NAME --type NORMAL|FIFO|DELAY|TRANSACTION [--check-policy ROLLBACK|KEEP]
  topic list
  topic describe NAME
  topic delete NAME

Consumer groups
  group create NAME [--fifo] [--max-attempts N] [--start-from earliest|latest]
  group list                                   (with lag, in-flight and dead-letter counts)
  group describe NAME
  group update NAME [--fifo true|false] [--max-attempts N]
  group reset-offset NAME --topic T --to earliest|latest|<ISO time>|<epoch ms>

Transactions
  tx list [--topic T] [--state PENDING|ABANDONED] [--key K] [--limit N]
  tx describe ID
  tx commit ID [--reason TEXT]
  tx rollback ID [--reason TEXT]
  tx recheck ID                                (re-arm checks of an ABANDONED transaction)
  tx stats

Benchmarks
  bench [tx|check|consume ...] [--quick]      (a source checkout; see "halfmoon bench --help")

All commands but start and bench take --endpoints HOST:PORT (default $HALFMOON_ENDPOINTS or 127.0.0.1:8081)
and --json for machine-readable output.`;

const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [startCommand, sendCommand, consumeCommand, topicCommand, groupCommand, txCommand, benchCommand].map((c) => [c.name, c]),
);

async function main(argv: string[], out: Output): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out.info(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS.get(name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return command.run(rest, out);
}

const interactive = process.stderr.isTTY === true;
let progressShown = false;
const out: Output = {
  result: (text) => process.stdout.write(text + '\n'),
  info: (text) => process.stdout.write(text + '\n'),
  error: (text) => {
    if (progressShown) process.stderr.write('\n');
    progressShown = false;
    process.stderr.write(text + '\n');
  },
  progress: (text) => {
    if (!interactive) {
      process.stderr.write(text + '\n');
      return;
    }
    process.stderr.write(`\r${text}\x1b[K`);
    progressShown = true;
  },
  interactive,
};

main(process.argv.slice(2), out).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      out.error(`halfmoon: ${err.message}\n\n${err.usage ?? USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof InvalidConfigError) {
      out.error(`halfmoon: invalid configuration: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof BrokerRefusedError) {
      out.error(`halfmoon: ${err.message}${err.code ? ` (code ${err.code.name} ${err.code.value})` : ''}`);
      process.exitCode = 1;
    } else {
      out.error(`halfmoon: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 1;
    }
  },
);
