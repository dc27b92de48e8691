// Owns how send and consume reach the broker through the client SDK (src/client): the client
// configuration for --endpoints (and --access-key/--secret-key), and the translation of SDK failures into CLI errors (exit 1 with
// the broker's code, or exit 2 for input the SDK rejects locally).
import { ClientConfiguration, ClientException, Code, IllegalArgumentException, NetworkException, StaticSessionCredentialsProvider } from '../../client/index.js';
import { BrokerRefusedError, UsageError } from '../args.js';
import { unreachable } from '../connection.js';
import type { CliCredentials } from '../credentials.js';

/** Request timeout of the CLI's SDK clients, in ms. */
export const CLI_REQUEST_TIMEOUT_MS = 5_000;

export function sdkConfiguration(endpoints: string, usage: string, credentials?: CliCredentials, tls = false): ClientConfiguration {
  try {
    const builder = ClientConfiguration.newBuilder().setEndpoints(endpoints).setRequestTimeout(CLI_REQUEST_TIMEOUT_MS);
    if (tls) builder.enableSsl(true);
    if (credentials) builder.setCredentialProvider(new StaticSessionCredentialsProvider(credentials.accessKey, credentials.secretKey));
    return builder.build();
  } catch (err) {
    throw asCliError(err, 'configure the client', endpoints, usage);
  }
}

/** Rethrows an SDK failure as the CLI error that carries the right exit code and message. */
export function asCliError(err: unknown, doing: string, endpoints: string, usage: string): unknown {
  if (err instanceof IllegalArgumentException) return typeMismatch(err.message, doing) ?? new UsageError(err.message, usage);
  if (err instanceof NetworkException) return unreachable(endpoints.split(';')[0]!.trim(), err.statusMessage);
  if (err instanceof ClientException) {
    return new BrokerRefusedError(`${doing}: ${err.statusMessage.replace(NAMESRV_PREFIX, '')}`, { name: err.codeName, value: err.code });
  }
  return err;
}

/** Runs an SDK call, translating its failures with asCliError. */
export async function sdkCall<T>(doing: string, endpoints: string, usage: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asCliError(err, doing, endpoints, usage);
  }
}

/** An upstream RocketMQ proxy words route-lookup failures "CODE: 17  DESC: <text>". */
const NAMESRV_PREFIX = /^CODE: \d+\s+DESC: /;

/** apache.rocketmq.v2.MessageType numbers, as the official client reports them. */
const MESSAGE_TYPES: Record<string, string> = { '1': 'NORMAL', '2': 'FIFO', '3': 'DELAY', '4': 'TRANSACTION' };

/** How `halfmoon send` builds a message of the type a topic takes. */
const HINT_FOR: Record<string, string> = {
  FIFO: 'add --message-group G: a FIFO topic takes messages with a message group (each group is delivered in order)',
  DELAY: 'add --delay MS (or an ISO 8601 time): a DELAY topic takes delayed messages',
  TRANSACTION: 'add --transaction commit (or rollback): a TRANSACTION topic takes transactional messages',
  NORMAL: 'leave out --message-group, --delay and --transaction: a NORMAL topic takes plain messages',
};

/**
 * The official client checks a message's type against the accepted types in the topic route the
 * broker published, and refuses locally what the broker would refuse with
 * MESSAGE_PROPERTY_CONFLICT_WITH_TYPE; reported as that broker refusal.
 */
function typeMismatch(message: string, doing: string): BrokerRefusedError | undefined {
  const m = /message type not match.*topic=([^,]+), actualMessageType=(\d+), acceptMessageTypes=\[([\d, ]*)\]/.exec(message);
  if (!m) return undefined;
  const name = (n: string): string => MESSAGE_TYPES[n.trim()] ?? `type ${n.trim()}`;
  const actual = name(m[2]!);
  const accepted = m[3]!
    .split(',')
    .filter((t) => t.trim() !== '')
    .map(name);
  return new BrokerRefusedError(
    `${doing}: topic ${m[1]} accepts ${accepted.join('|')} messages, but this message is ${actual}`,
    { name: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', value: Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE },
    (accepted.length === 1 ? HINT_FOR[accepted[0]!] : undefined) ?? `send it to a ${actual} topic`,
  );
}
