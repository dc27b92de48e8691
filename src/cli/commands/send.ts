// Owns `halfmoon send`: builds messages from flags and a body (--body, --file or stdin) and sends
// them with the SDK producer, optionally each in its own transaction that is then committed or
// rolled back. Prints one line per message.
import { readFile } from 'node:fs/promises';
import { ClientServiceProvider, TransactionResolution, type Message, type Producer, type SendReceipt, type TransactionChecker } from '../../client/index.js';
import { parseIntArg, parseOptions, resolveEndpoints, UsageError, type Command } from '../args.js';
import type { Output } from '../output.js';
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, resolveCredentials, resolveTls } from '../credentials.js';
import { asCliError, sdkCall, sdkConfiguration } from './sdk.js';

const USAGE = `Usage: halfmoon send --topic T (--body TEXT | --file PATH | body on stdin) [options]

Sends a message (or --count copies of it) and prints one message id per line.

  --topic T                       topic to send to (required)
  --body TEXT | --file PATH       the body; without either it is read from stdin
  --tag TAG                       tag consumers can filter on
  --keys K1,K2                    business keys, comma-separated
  --property k=v                  user property (repeatable)
  --message-group G               FIFO topics: the message group
  --delay MS|ISO                  DELAY topics: delay in ms, or an ISO 8601 delivery time
  --transaction commit|rollback|none
                                  TRANSACTION topics: send each message in a transaction, then end it
                                  (none: no transaction, the default)
  --count N                       send the body N times (default 1)
  --endpoints HOST:PORT           broker (default $HALFMOON_ENDPOINTS or 127.0.0.1:8081)
  ${CREDENTIALS_HELP}
  --json                          one JSON object per message: messageId, topic, transactionId, outcome`;

const OPTIONS = {
  topic: { type: 'string' },
  tag: { type: 'string' },
  keys: { type: 'string' },
  property: { type: 'string', multiple: true },
  'message-group': { type: 'string' },
  delay: { type: 'string' },
  transaction: { type: 'string' },
  body: { type: 'string' },
  file: { type: 'string' },
  count: { type: 'string' },
  endpoints: { type: 'string' },
  ...CREDENTIAL_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Outcome = 'sent' | 'committed' | 'rolled_back';

/** `--delay`: whole milliseconds from now, or an absolute ISO 8601 time. */
function parseDelay(v: string): { delayMs: number } | { at: Date } {
  if (/^\d+$/.test(v)) return { delayMs: parseIntArg('--delay', v, USAGE) };
  const at = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--delay takes milliseconds or an ISO 8601 time such as 2030-01-01T12:00:00Z, got "${v}"`, USAGE);
  }
  return { at };
}

function parseProperty(p: string): [string, string] {
  const eq = p.indexOf('=');
  if (eq <= 0) throw new UsageError(`--property takes key=value, got "${p}"`, USAGE);
  return [p.slice(0, eq), p.slice(eq + 1)];
}

async function readBody(values: { body?: string | undefined; file?: string | undefined }): Promise<Buffer> {
  if (values.body !== undefined && values.file !== undefined) throw new UsageError('pass either --body or --file, not both', USAGE);
  let body: Buffer;
  if (values.body !== undefined) body = Buffer.from(values.body, 'utf8');
  else if (values.file !== undefined) {
    try {
      body = await readFile(values.file);
    } catch (err) {
      throw new UsageError(`cannot read --file ${values.file}: ${(err as Error).message}`, USAGE);
    }
  } else {
    if (process.stdin.isTTY) throw new UsageError('no message body: pass --body TEXT or --file PATH, or pipe the body on stdin', USAGE);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    body = Buffer.concat(chunks);
  }
  if (body.length === 0) throw new UsageError('the message body is empty: RocketMQ messages need at least one byte', USAGE);
  return body;
}

async function run(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOptions({ args, options: OPTIONS, allowPositionals: true, strict: true }, USAGE);
  if (values.help) {
    out.info(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (the body goes in --body TEXT)`, USAGE);
  const topic = values.topic;
  if (!topic) throw new UsageError('send needs --topic T', USAGE);
  const count = values.count === undefined ? 1 : parseIntArg('--count', values.count, USAGE, 1);
  const tx = values.transaction === 'none' ? undefined : values.transaction;
  if (tx !== undefined && tx !== 'commit' && tx !== 'rollback') {
    throw new UsageError(`--transaction takes commit, rollback or none, got "${tx}"`, USAGE);
  }
  const group = values['message-group'];
  if (values.delay !== undefined && group !== undefined) {
    throw new UsageError('--delay (DELAY topics) and --message-group (FIFO topics) cannot be combined: pick one', USAGE);
  }
  if (tx !== undefined && (values.delay !== undefined || group !== undefined)) {
    throw new UsageError('--transaction cannot be combined with --delay or --message-group: transactional messages are neither delayed nor FIFO', USAGE);
  }
  const delay = values.delay === undefined ? undefined : parseDelay(values.delay);
  const properties = (values.property ?? []).map(parseProperty);
  const keys =
    values.keys === undefined
      ? []
      : values.keys
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k !== '');
  const endpoints = resolveEndpoints(values.endpoints);
  const config = sdkConfiguration(endpoints, USAGE, resolveCredentials(values, USAGE), resolveTls(values));
  const body = await readBody(values);

  const provider = ClientServiceProvider.loadService();
  const buildMessage = (): Message => {
    try {
      const b = provider.newMessageBuilder().setTopic(topic).setBody(body);
      if (values.tag !== undefined) b.setTag(values.tag);
      if (keys.length > 0) b.setKeys(...keys);
      for (const [k, v] of properties) b.addProperty(k, v);
      if (group !== undefined) b.setMessageGroup(group);
      if (delay && 'delayMs' in delay) b.setDelay(delay.delayMs);
      if (delay && 'at' in delay) b.setDeliveryTimestamp(delay.at);
      return b.build();
    } catch (err) {
      throw asCliError(err, 'build the message', endpoints, USAGE);
    }
  };
  buildMessage(); // bad input (tag with '|', blank key...) is a usage error before anything is sent

  // Should the broker ask about a transaction before we end it, the answer is the one we will give.
  const checker: TransactionChecker = {
    check: () => (tx === 'commit' ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK),
  };
  const builder = provider.newProducerBuilder().setClientConfiguration(config).setTopics(topic);
  if (tx !== undefined) builder.setTransactionChecker(checker);
  const producer: Producer = await sdkCall(`send to topic ${topic}`, endpoints, USAGE, () => builder.build());
  try {
    for (let i = 0; i < count; i++) {
      let receipt: SendReceipt;
      let outcome: Outcome = 'sent';
      if (tx === undefined) {
        receipt = await sdkCall(`send to topic ${topic}`, endpoints, USAGE, () => producer.send(buildMessage()));
      } else {
        const transaction = producer.beginTransaction();
        receipt = await sdkCall(`send to topic ${topic}`, endpoints, USAGE, () => producer.send(buildMessage(), transaction));
        if (tx === 'commit') {
          await sdkCall(`commit transaction ${receipt.transactionId}`, endpoints, USAGE, () => transaction.commit());
          outcome = 'committed';
        } else {
          await sdkCall(`roll back transaction ${receipt.transactionId}`, endpoints, USAGE, () => transaction.rollback());
          outcome = 'rolled_back';
        }
      }
      out.result(
        values.json
          ? JSON.stringify({ messageId: receipt.messageId, topic, ...(tx !== undefined ? { transactionId: receipt.transactionId } : {}), outcome })
          : receipt.messageId,
      );
    }
    return 0;
  } finally {
    await producer.close();
  }
}

export const sendCommand: Command = { name: 'send', usage: USAGE, run };
