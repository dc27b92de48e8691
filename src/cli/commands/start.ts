// Owns `halfmoon start`: resolves the configuration (defaults < file < env < flags), runs a broker
// until SIGINT/SIGTERM, and prints the configuration table with --help. A broker that cannot
// start (port taken, data directory in use) is reported with the flag that fixes it.
import * as grpc from '@grpc/grpc-js';
import { Broker } from '../../broker.js';
import { CONFIG_SPEC, configTable, flagOf, resolveConfig, type BrokerConfig, type ConfigKey } from '../../config.js';
import { BrokerError, codeName } from '../../errors.js';
import { createLogger, type Logger } from '../../logger.js';
import { isListenFailure } from '../../protocol/listen-error.js';
import { BrokerRefusedError, parseOptions, type Command } from '../args.js';
import { formatTable, type Output } from '../output.js';

const USAGE = 'Usage: halfmoon start [--config FILE.json] [flags]\nPrecedence: defaults < config file < HALFMOON_* env < flags\n';

/** The causes of `err`, outermost first. */
function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = err; e !== undefined && chain.length < 5; e = e instanceof Error ? e.cause : undefined) chain.push(e);
  return chain;
}

/** What to change when the broker could not start, if we know. */
export function startHint(err: unknown, config: BrokerConfig): string | undefined {
  const chain = causes(err);
  const listen = chain.find(isListenFailure);
  if (listen) {
    const flag = { grpc: '--grpc-port', http: '--http-port', admin: '--admin-port' }[listen.server];
    if (listen.code === 'EADDRNOTAVAIL') return 'bind another address with --host (127.0.0.1, or 0.0.0.0 for every interface)';
    const other = listen.server === 'http' ? ', or run without the HTTP gateway: --http-enabled false' : '';
    return `stop whatever holds port ${listen.port}, or pick another with ${flag} N (0 = any free port)${other}`;
  }
  if (chain.some((e) => (e as { code?: unknown }).code === 'LEVEL_LOCKED')) {
    return `a data directory belongs to one broker at a time: stop the broker using ${config.dataDir}, or give this one another with --data DIR`;
  }
  if (err instanceof BrokerError && /LevelDB store/.test(err.message)) return 'check that --data DIR names a directory this user can write';
  return undefined;
}

/** grpc-js logs through `log` (debug level) instead of writing "E No address added..." to stderr. */
function routeGrpcLogs(log: Logger): void {
  const write = (...args: unknown[]): void => log.debug({ component: 'grpc-js' }, args.map(String).join(' '));
  grpc.setLogger({ error: write, info: write, debug: write } as unknown as Partial<Console>);
}

/** A boolean setting's flag without a value (`--auth`) means true; `--auth false` still works. */
function bareSwitches(args: string[], keys: readonly ConfigKey[]): string[] {
  const switches = new Set(keys.filter((k) => CONFIG_SPEC[k].type === 'bool').map((k) => flagOf(k)));
  return args.flatMap((arg, i) => (switches.has(arg) && !['true', 'false', '1', '0'].includes(args[i + 1] ?? '') ? [arg, 'true'] : [arg]));
}

async function run(args: string[], out: Output): Promise<number> {
  const keys = Object.keys(CONFIG_SPEC) as ConfigKey[];
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const key of keys) options[flagOf(key).slice(2)] = { type: 'string' };
  const values = parseOptions({ args: bareSwitches(args, keys), options, strict: true }, USAGE).values as Record<string, string | boolean | undefined>;
  if (values.help) {
    out.info(USAGE);
    out.info(
      formatTable(
        ['FLAG', 'ENV', 'DEFAULT', 'DESCRIPTION'],
        configTable().map((r) => [r.flag, r.env, r.default, r.description]),
      ),
    );
    return 0;
  }
  const overrides: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of keys) {
    const v = values[flagOf(key).slice(2)];
    if (v !== undefined) overrides[key] = v;
  }
  const config = resolveConfig({ ...(typeof values.config === 'string' ? { configFile: values.config } : {}), env: process.env, overrides });
  const logger = createLogger({ level: config.logLevel });
  routeGrpcLogs(logger);
  let broker: Broker;
  try {
    broker = await Broker.start({ config, logger });
  } catch (err) {
    if (!(err instanceof BrokerError)) throw err;
    logger.flush();
    throw new BrokerRefusedError(`the broker did not start: ${err.message}`, { name: codeName(err.code), value: err.code }, startHint(err, config), { cause: err });
  }
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

export const startCommand: Command = { name: 'start', usage: USAGE, run };
