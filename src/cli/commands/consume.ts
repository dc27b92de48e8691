// Owns `halfmoon consume`: receives from one topic with the SDK SimpleConsumer until --count
// messages were printed or --timeout ms passed with nothing arriving, acking each unless --no-ack;
// progress (count and rate) on stderr when it is a terminal or with --progress.
import { ClientServiceProvider, FilterExpression, type MessageView, type SimpleConsumer } from '../../client/index.js';
import { parseIntArg, parseOptions, resolveEndpoints, UsageError, type Command } from '../args.js';
import type { Output } from '../output.js';
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, resolveCredentials, resolveTls } from '../credentials.js';
import { asCliError, sdkCall, sdkConfiguration } from './sdk.js';

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_INVISIBLE_MS = 30_000;
/** Longest single long poll; longer --timeout values are covered by several polls. */
const MAX_POLL_MS = 10_000;
/** Most messages asked for per receive. */
const MAX_BATCH = 32;

const USAGE = `Usage: halfmoon consume --group G --topic T [options]

Receives messages and prints one line per message:
  <messageId> tag=<tag> keys=<k1,k2> body=<UTF-8 body>
Stops after --count messages, or once --timeout ms pass with nothing arriving (exit 0 either way;
"received X of N before timeout" goes to stderr when fewer than N arrived).

  --group G               consumer group (required)
  --topic T               topic to consume (required)
  --filter EXPR           tag filter, e.g. 'TagA||TagB' (default '*': everything)
  --count N               stop after N messages (default: until the timeout)
  --timeout MS            stop after this long without a message (default ${DEFAULT_TIMEOUT_MS})
  --invisible MS          how long a received message stays hidden from the group (default ${DEFAULT_INVISIBLE_MS})
  --ack                   ack each message once printed (the default)
  --no-ack                do not ack: the messages are redelivered after --invisible ms
  --progress              report the count and rate on stderr every second (default when
                          stderr is a terminal)
  --endpoints HOST:PORT   broker (default $HALFMOON_ENDPOINTS or 127.0.0.1:8081)
  ${CREDENTIALS_HELP}
  --json                  one JSON object per message: messageId, topic, tag, keys, properties, body,
                          deliveryAttempt, messageGroup`;

const OPTIONS = {
  group: { type: 'string' },
  topic: { type: 'string' },
  filter: { type: 'string' },
  count: { type: 'string' },
  timeout: { type: 'string' },
  invisible: { type: 'string' },
  ack: { type: 'boolean', default: false },
  'no-ack': { type: 'boolean', default: false },
  progress: { type: 'boolean', default: false },
  endpoints: { type: 'string' },
  ...CREDENTIAL_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function format(view: MessageView, json: boolean): string {
  const body = view.body.toString('utf8');
  if (!json) return `${view.messageId} tag=${view.tag ?? ''} keys=${view.keys.join(',')} body=${body}`;
  return JSON.stringify({
    messageId: view.messageId,
    topic: view.topic,
    tag: view.tag ?? null,
    keys: view.keys,
    properties: Object.fromEntries(view.properties),
    body,
    deliveryAttempt: view.deliveryAttempt,
    ...(view.messageGroup !== undefined ? { messageGroup: view.messageGroup } : {}),
  });
}

async function run(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOptions({ args, options: OPTIONS, allowPositionals: true, strict: true }, USAGE);
  if (values.help) {
    out.info(USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, USAGE);
  const { group, topic } = values;
  if (!group) throw new UsageError('consume needs --group G', USAGE);
  if (!topic) throw new UsageError('consume needs --topic T', USAGE);
  if (values.ack && values['no-ack']) throw new UsageError('--ack and --no-ack contradict each other: pick one', USAGE);
  const count = values.count === undefined ? undefined : parseIntArg('--count', values.count, USAGE, 1);
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseIntArg('--timeout', values.timeout, USAGE, 1);
  const invisibleMs = values.invisible === undefined ? DEFAULT_INVISIBLE_MS : parseIntArg('--invisible', values.invisible, USAGE, 1);
  const endpoints = resolveEndpoints(values.endpoints);
  const config = sdkConfiguration(endpoints, USAGE, resolveCredentials(values, USAGE), resolveTls(values));

  let filter: FilterExpression;
  const builder = ClientServiceProvider.loadService().newSimpleConsumerBuilder();
  try {
    filter = new FilterExpression(values.filter ?? '*');
    builder
      .setClientConfiguration(config)
      .setConsumerGroup(group)
      .setSubscriptionExpressions(new Map([[topic, filter]]))
      .setAwaitDuration(Math.min(timeoutMs, MAX_POLL_MS));
  } catch (err) {
    throw asCliError(err, 'configure the consumer', endpoints, USAGE);
  }
  const consumer: SimpleConsumer = await sdkCall(`consume topic ${topic} as group ${group}`, endpoints, USAGE, () => builder.build());
  const started = Date.now();
  let received = 0;
  const report = () => {
    const seconds = (Date.now() - started) / 1000;
    out.progress(
      `consume: ${received}${count === undefined ? '' : ` of ${count}`} received in ${seconds.toFixed(0)} s (${(received / Math.max(seconds, 0.001)).toFixed(1)} msgs/s)`,
    );
  };
  const ticker = values.progress || out.interactive ? setInterval(report, 1000) : undefined;
  try {
    let idleSince = Date.now();
    while (count === undefined || received < count) {
      if (Date.now() - idleSince >= timeoutMs) break;
      const batch = Math.min(MAX_BATCH, count === undefined ? MAX_BATCH : count - received);
      const views = await sdkCall(`receive from topic ${topic} as group ${group}`, endpoints, USAGE, () => consumer.receive(batch, invisibleMs));
      for (const view of views) {
        out.result(format(view, values.json));
        received++;
        if (!values['no-ack']) await sdkCall(`ack message ${view.messageId}`, endpoints, USAGE, () => consumer.ack(view));
      }
      if (views.length > 0) idleSince = Date.now();
    }
    if (ticker) report();
    if (count !== undefined && received < count) out.error(`received ${received} of ${count} before timeout`);
    return 0;
  } finally {
    clearInterval(ticker);
    await consumer.close();
  }
}

export const consumeCommand: Command = { name: 'consume', usage: USAGE, run };
