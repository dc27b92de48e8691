// Owns `halfmoon start`: resolves the configuration (defaults < file < env < flags), runs a broker
// until SIGINT/SIGTERM, and prints the configuration table with --help.
import { Broker } from '../../broker.js';
import { CONFIG_SPEC, configTable, flagOf, resolveConfig, type ConfigKey } from '../../config.js';
import { createLogger } from '../../logger.js';
import { parseOptions, type Command } from '../args.js';
import { formatTable, type Output } from '../output.js';

const USAGE = 'Usage: halfmoon start [--config FILE.json] [flags]\nPrecedence: defaults < config file < HALFMOON_* env < flags\n';

async function run(args: string[], out: Output): Promise<number> {
  const keys = Object.keys(CONFIG_SPEC) as ConfigKey[];
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const key of keys) options[flagOf(key).slice(2)] = { type: 'string' };
  const values = parseOptions({ args, options, strict: true }, USAGE).values as Record<string, string | boolean | undefined>;
  if (values.help) {
    out.info(USAGE);
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

export const startCommand: Command = { name: 'start', usage: USAGE, run };
