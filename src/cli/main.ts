#!/usr/bin/env node
// Owns the `halfmoon` command line: `start` runs a broker; `topic`, `group` and `tx` administer a
// running one over the admin gRPC API. Exit codes: 0 success, 1 the broker refused or could not be
// reached, 2 bad usage.
import { parseArgs } from 'node:util';
import { Broker } from '../broker.js';
import { CONFIG_SPEC, configTable, flagOf, InvalidConfigError, resolveConfig, type ConfigKey } from '../config.js';
import { createLogger } from '../logger.js';
import { AdminError, connectAdmin } from './admin-client.js';
import { formatTable, type Output } from './output.js';

class UsageError extends Error {}

const USAGE = `Usage: halfmoon <command> [options]

Broker
  start [--config FILE] [--data DIR] [--grpc-port N] [...]   run a broker (see "halfmoon start --help")

Topics
  topic create NAME --type NORMAL|FIFO|DELAY|TRANSACTION
  topic list
  topic describe NAME
  topic delete NAME

Consumer groups
  group create NAME [--fifo] [--max-attempts N]
  group list                                   (with lag, in-flight and dead-letter counts)
  group describe NAME
  group update NAME [--fifo true|false] [--max-attempts N]
  group reset-offset NAME --topic T --to earliest|latest|<ISO time>|<epoch ms>

Transactions
  tx list [--topic T] [--state PENDING|ABANDONED] [--limit N]
  tx describe ID
  tx commit ID [--reason TEXT]
  tx rollback ID [--reason TEXT]
  tx stats

Admin commands take --endpoints HOST:PORT (default $HALFMOON_ENDPOINTS or 127.0.0.1:8081)
and --json for machine-readable output.`;

const ADMIN_OPTIONS = {
  endpoints: { type: 'string' },
  json: { type: 'boolean', default: false },
  type: { type: 'string' },
  topic: { type: 'string' },
  state: { type: 'string' },
  limit: { type: 'string' },
  reason: { type: 'string' },
  fifo: { type: 'string' },
  'max-delivery-attempts': { type: 'string' },
  'max-attempts': { type: 'string' },
  to: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `group create` takes --fifo as a plain switch. */
const CREATE_GROUP_OPTIONS = { ...ADMIN_OPTIONS, fifo: { type: 'boolean' } } as const;

async function main(argv: string[], out: Output): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out.info(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'start') return start(rest, out);
  if (command !== 'topic' && command !== 'group' && command !== 'tx') throw new UsageError(`unknown command "${command}"`);

  let parsed;
  try {
    parsed =
      command === 'group' && rest[0] === 'create'
        ? parseArgs({ args: rest, options: CREATE_GROUP_OPTIONS, allowPositionals: true, strict: true })
        : parseArgs({ args: rest, options: ADMIN_OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const maxAttempts = values['max-attempts'] ?? values['max-delivery-attempts'];
  if (values.help) {
    out.info(USAGE);
    return 0;
  }
  const endpoint = values.endpoints ?? process.env.HALFMOON_ENDPOINTS ?? '127.0.0.1:8081';
  const admin = connectAdmin(endpoint.split(';')[0]!.trim());
  try {
    const [action, name] = positionals;
    const need = (what: string): string => {
      if (!name) throw new UsageError(`${command} ${action} needs ${what}`);
      return name;
    };
    const print = (value: unknown, text: () => string): number => {
      out.result(values.json ? JSON.stringify(value, null, 2) : text());
      return 0;
    };
    switch (`${command} ${action ?? ''}`) {
      case 'topic create': {
        const topic = need('a topic name');
        if (!values.type) throw new UsageError('topic create needs --type NORMAL|FIFO|DELAY|TRANSACTION');
        const res = await admin.call<TopicRes>('CreateTopic', { name: topic, message_type: values.type });
        return print(res.topic, () => `${res.created ? 'created' : 'exists'}: topic ${res.topic.name} (${res.topic.message_type})`);
      }
      case 'topic list': {
        const res = await admin.call<{ topics: TopicRes['topic'][] }>('ListTopics', {});
        return print(res.topics, () => formatTable(['TOPIC', 'TYPE', 'QUEUES'], res.topics.map((t) => [t.name, t.message_type, String(t.queue_count)])));
      }
      case 'topic describe': {
        const res = await admin.call<TopicRes>('DescribeTopic', { name: need('a topic name') });
        return print({ ...res.topic, queues: res.queues }, () =>
          [`topic ${res.topic.name} (${res.topic.message_type})`, formatTable(['QUEUE', 'MIN OFFSET', 'MAX OFFSET'], res.queues.map((q) => [String(q.queue_id), q.min_offset, q.max_offset]))].join('\n'),
        );
      }
      case 'topic delete': {
        const topic = need('a topic name');
        await admin.call('DeleteTopic', { name: topic });
        return print({ deleted: topic }, () => `deleted: topic ${topic}`);
      }
      case 'group create': {
        const req: Record<string, unknown> = { name: need('a group name'), fifo: values.fifo === true };
        if (maxAttempts !== undefined) req.max_delivery_attempts = parseIntArg('--max-attempts', maxAttempts);
        const res = await admin.call<{ group: GroupMsg; created: boolean }>('CreateGroup', req);
        return print(res.group, () => `${res.created ? 'created' : 'exists'}: group ${res.group.name} fifo=${res.group.fifo} maxDeliveryAttempts=${res.group.max_delivery_attempts}`);
      }
      case 'group list': {
        const res = await admin.call<{ groups: GroupMsg[] }>('ListGroups', {});
        return print(res.groups, () =>
          formatTable(
            ['GROUP', 'FIFO', 'MAX ATTEMPTS', 'LAG', 'IN FLIGHT', 'DLQ'],
            res.groups.map((g) => [g.name, String(g.fifo), String(g.max_delivery_attempts), g.lag, g.in_flight, g.dead_letters]),
          ),
        );
      }
      case 'group describe': {
        const res = await admin.call<{ group: GroupMsg; progress: { topic: string; consumed_offset: string; lag: string; in_flight: string }[] }>('DescribeGroup', { name: need('a group name') });
        const g = res.group;
        return print(res, () =>
          [
            `group ${g.name} fifo=${g.fifo} maxDeliveryAttempts=${g.max_delivery_attempts}`,
            `lag ${g.lag}, in flight ${g.in_flight}, dead letters ${g.dead_letters} (topic ${g.dead_letter_topic})`,
            formatTable(['TOPIC', 'CONSUMED OFFSET', 'LAG', 'IN FLIGHT'], res.progress.map((p) => [p.topic, p.consumed_offset, p.lag, p.in_flight])),
          ].join('\n'),
        );
      }
      case 'group update': {
        const req: Record<string, unknown> = { name: need('a group name') };
        if (typeof values.fifo === 'string') req.fifo = parseBool('--fifo', values.fifo);
        if (maxAttempts !== undefined) req.max_delivery_attempts = parseIntArg('--max-attempts', maxAttempts);
        const res = await admin.call<{ group: GroupMsg }>('UpdateGroup', req);
        return print(res.group, () => `updated: group ${res.group.name} fifo=${res.group.fifo} maxDeliveryAttempts=${res.group.max_delivery_attempts}`);
      }
      case 'group reset-offset': {
        const group = need('a group name');
        if (!values.topic) throw new UsageError('group reset-offset needs --topic T');
        if (!values.to) throw new UsageError('group reset-offset needs --to earliest|latest|<ISO time>|<epoch ms>');
        const res = await admin.call<{ resets: { queue_id: number; previous_offset: string; new_offset: string; dropped_in_flight: string }[] }>('ResetOffset', {
          group,
          topic: values.topic,
          to: values.to,
        });
        return print(res.resets, () =>
          [
            `reset: group ${group} on topic ${values.topic} to ${values.to}`,
            formatTable(['QUEUE', 'FROM OFFSET', 'TO OFFSET', 'DROPPED IN FLIGHT'], res.resets.map((r) => [String(r.queue_id), r.previous_offset, r.new_offset, r.dropped_in_flight])),
          ].join('\n'),
        );
      }
      case 'tx list': {
        const res = await admin.call<{ transactions: TxMsg[] }>('ListTransactions', {
          topic: values.topic ?? '',
          state: values.state ?? '',
          limit: values.limit ? parseIntArg('--limit', values.limit) : 100,
        });
        return print(res.transactions, () =>
          formatTable(
            ['TRANSACTION', 'TOPIC', 'STATE', 'CHECKS', 'AGE', 'NEXT CHECK', 'LAST CHECK'],
            res.transactions.map((t) => [
              t.transaction_id,
              t.topic,
              t.state,
              String(t.check_count),
              age(t.received_at_ms),
              t.state === 'PENDING' ? when(t.next_check_at_ms) : '-',
              t.last_check_client_id ? `${age(t.last_check_at_ms)} ago, unanswered, via ${t.last_check_client_id}` : '-',
            ]),
          ),
        );
      }
      case 'tx describe': {
        const res = await admin.call<{ transaction: TxMsg }>('DescribeTransaction', { transaction_id: need('a transaction id') });
        return print(res.transaction, () => describeTx(res.transaction));
      }
      case 'tx commit':
      case 'tx rollback': {
        const id = need('a transaction id');
        const res = await admin.call<{ transaction: TxMsg; applied: boolean }>('ResolveTransaction', {
          transaction_id: id,
          resolution: action === 'commit' ? 'COMMIT' : 'ROLLBACK',
          reason: values.reason ?? '',
        });
        const verb = res.transaction.state === 'COMMITTED' ? 'committed' : 'rolled back';
        return print(res, () => `${res.applied ? verb : `already ${verb}`}: transaction ${id}`);
      }
      case 'tx stats': {
        const res = await admin.call<Record<string, string>>('GetTransactionStats', {});
        const { status: _status, ...counters } = res;
        return print(counters, () => Object.entries(counters).map(([k, v]) => `${k.padEnd(16)} ${v}`).join('\n'));
      }
      default:
        throw new UsageError(`unknown command "${command} ${action ?? ''}"`.trim());
    }
  } finally {
    admin.close();
  }
}

async function start(args: string[], out: Output): Promise<number> {
  const keys = Object.keys(CONFIG_SPEC) as ConfigKey[];
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const key of keys) options[flagOf(key).slice(2)] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    out.info('Usage: halfmoon start [--config FILE.json] [flags]\nPrecedence: defaults < config file < HALFMOON_* env < flags\n');
    out.info(formatTable(['FLAG', 'ENV', 'DEFAULT', 'DESCRIPTION'], configTable().map((r) => [r.flag, r.env, r.default, r.description])));
    return 0;
  }
  const overrides: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of keys) {
    const v = values[flagOf(key).slice(2)];
    if (v !== undefined) overrides[key] = v;
  }
  const config = resolveConfig({ ...(typeof values.config === 'string' ? { configFile: values.config } : {}), env: process.env, overrides });
  const logger = createLogger({ level: config.logLevel });
  const broker = await Broker.start({ config, logger });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      broker.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

interface TopicRes {
  topic: { name: string; message_type: string; queue_count: number };
  created: boolean;
  queues: { queue_id: number; min_offset: string; max_offset: string }[];
}
interface GroupMsg {
  name: string;
  fifo: boolean;
  max_delivery_attempts: number;
  lag: string;
  in_flight: string;
  dead_letters: string;
  dead_letter_topic: string;
}
interface TxMsg {
  transaction_id: string;
  topic: string;
  message_id: string;
  state: string;
  producer_group: string;
  sender_client_id: string;
  check_count: number;
  received_at_ms: string;
  next_check_at_ms: string;
  last_check_at_ms: string;
  last_check_client_id: string;
  decided_by: string;
  decided_at_ms: string;
  reason: string;
  tag: string;
  keys: string[];
  body_size: number;
}

function parseBool(flag: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`${flag} takes true or false, got "${v}"`);
}

function parseIntArg(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${flag} takes a non-negative integer, got "${v}"`);
  return n;
}

function age(ms: string): string {
  const s = Math.max(0, Math.round((Date.now() - Number(ms)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

function when(ms: string): string {
  const s = Math.round((Number(ms) - Date.now()) / 1000);
  return s <= 0 ? 'due' : `in ${s}s`;
}

function describeTx(t: TxMsg): string {
  const rows: [string, string][] = [
    ['transaction', t.transaction_id],
    ['topic', t.topic],
    ['message id', t.message_id],
    ['state', t.state],
    ['checks', String(t.check_count)],
    ['received', new Date(Number(t.received_at_ms)).toISOString()],
  ];
  if (t.state === 'PENDING') rows.push(['next check', new Date(Number(t.next_check_at_ms)).toISOString()]);
  if (t.sender_client_id) rows.push(['sender', t.sender_client_id]);
  if (t.last_check_client_id) rows.push(['last checked', `${new Date(Number(t.last_check_at_ms)).toISOString()} via ${t.last_check_client_id}`]);
  if (t.decided_by) rows.push(['decided', `${new Date(Number(t.decided_at_ms)).toISOString()} by ${t.decided_by}`]);
  if (t.reason) rows.push(['reason', t.reason]);
  if (t.tag) rows.push(['tag', t.tag]);
  if (t.keys.length) rows.push(['keys', t.keys.join(', ')]);
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join('\n');
}

const out: Output = {
  result: (text) => process.stdout.write(text + '\n'),
  info: (text) => process.stdout.write(text + '\n'),
  error: (text) => process.stderr.write(text + '\n'),
};

main(process.argv.slice(2), out).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      out.error(`halfmoon: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof InvalidConfigError) {
      out.error(`halfmoon: invalid configuration: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof AdminError) {
      out.error(`halfmoon: ${err.code}: ${err.message}`);
      process.exitCode = 1;
    } else {
      out.error(`halfmoon: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 1;
    }
  },
);
