#!/usr/bin/env node
// Owns the `halfmoon` entry point: global flags (--version, --help, and --endpoints/--json
// accepted before the command too), picking the command module (src/cli/commands, loaded only
// when chosen, so a command starts without the others' dependencies), and turning its outcome
// into output and an exit code (0 success; errors as src/cli/report.ts shows them).
import { packageVersion } from '../util/package-root.js';
import { UsageError, type Command } from './args.js';
import type { Output } from './output.js';
import { reportError } from './report.js';
import { didYouMean } from './suggest.js';

const USAGE = `Usage: halfmoon <command> [options]        ("halfmoon <command> --help" for a command's options)
       halfmoon --version

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

Clients and message traces
  client list [--group G] [--topic T]          (every live broker's clients on a PostgreSQL cluster)
  client describe ID
  message show ID [--topic T]                  (stored when, its transaction, deliveries per group)
  message show --key K [--topic T] [--limit N]
Users and ACL rules (a broker started with --auth)
  user create NAME --secret S [--super]
  user list
  user delete NAME
  acl grant NAME --resource Topic:T|Group:G --actions Pub[,Sub] [--deny]
  acl revoke NAME --resource R
  acl list [NAME]

Benchmarks
  bench [tx|check|consume ...] [--quick]      (a source checkout; see "halfmoon bench --help")

All commands but start and bench take --endpoints HOST:PORT (default $HALFMOON_ENDPOINTS or 127.0.0.1:8081)
and --json for machine-readable output; with a broker started with --auth, also --access-key AK
--secret-key SK (default $HALFMOON_ACCESS_KEY, $HALFMOON_SECRET_KEY).`;

/** Each command's module, imported when the command runs. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  start: async () => (await import('./commands/start.js')).startCommand,
  send: async () => (await import('./commands/send.js')).sendCommand,
  consume: async () => (await import('./commands/consume.js')).consumeCommand,
  topic: async () => (await import('./commands/topic.js')).topicCommand,
  group: async () => (await import('./commands/group.js')).groupCommand,
  tx: async () => (await import('./commands/tx.js')).txCommand,
  client: async () => (await import('./commands/client.js')).clientCommand,
  message: async () => (await import('./commands/message.js')).messageCommand,
  user: async () => (await import('./commands/user.js')).userCommand,
  acl: async () => (await import('./commands/acl.js')).aclCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
};

/** Flags that may come before the command (`halfmoon --endpoints H:P topic list`); true: takes a value. */
const GLOBAL_FLAGS: Readonly<Record<string, boolean>> = { '--endpoints': true, '--json': false, '--help': false, '-h': false };

/** Moves the global flags before the command to after it; the command name comes first. */
function hoistGlobalFlags(argv: readonly string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const arg = argv[i]!;
    const flag = arg.split('=')[0]!;
    if (flag === '--version' || flag === '-v' || flag === '-V') return ['--version'];
    const takesValue = GLOBAL_FLAGS[flag];
    if (takesValue === undefined) {
      throw new UsageError(
        `${flag} goes after the command ("halfmoon <command> ${flag} ..."); before it only --endpoints, --json, --help and --version are accepted${didYouMean(flag, [...Object.keys(GLOBAL_FLAGS), '--version'])}`,
        USAGE,
      );
    }
    leading.push(arg);
    if (takesValue && !arg.includes('=')) {
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`, USAGE);
      leading.push(argv[++i]!);
    }
  }
  if (i >= argv.length) return leading.some((a) => a === '--help' || a === '-h') ? ['--help'] : leading;
  return [argv[i]!, ...leading, ...argv.slice(i + 1)];
}

async function main(argv: string[], out: Output): Promise<number> {
  const [name, ...rest] = hoistGlobalFlags(argv);
  if (name === '--version') {
    out.result(packageVersion());
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out.info(USAGE);
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    if (name.startsWith('-')) throw new UsageError(`${name} needs a command before it`, USAGE);
    throw new UsageError(`unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}`, USAGE);
  }
  return (await load()).run(rest, out);
}

/** Stack traces for every error with --log-level debug|trace (or HALFMOON_LOG_LEVEL). */
function debugRequested(argv: readonly string[]): boolean {
  const levels = new Set(['debug', 'trace']);
  const i = argv.indexOf('--log-level');
  return (
    (i >= 0 && levels.has(argv[i + 1] ?? '')) ||
    argv.some((a) => a.startsWith('--log-level=') && levels.has(a.slice('--log-level='.length))) ||
    levels.has(process.env.HALFMOON_LOG_LEVEL ?? '')
  );
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

const argv = process.argv.slice(2);
main(argv, out).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const report = reportError(err, debugRequested(argv));
    out.error(report.text);
    process.exitCode = report.exitCode;
  },
);
