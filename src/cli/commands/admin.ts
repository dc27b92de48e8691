// Owns the shared frame of the admin commands (topic, group, tx, client, message): their options, subcommand
// dispatch, per-subcommand --help, the admin connection and --json/text printing.
import { connectAdmin, type AdminClient } from '../admin-client.js';
import { parseOptions, resolveEndpoints, UsageError, type Command } from '../args.js';
import { CREDENTIAL_OPTIONS, CREDENTIALS_HELP, resolveCredentials, resolveTls } from '../credentials.js';
import type { Output } from '../output.js';
import { didYouMean } from '../suggest.js';

export const ADMIN_OPTIONS = {
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
  'start-from': { type: 'string' },
  'check-policy': { type: 'string' },
  key: { type: 'string' },
  group: { type: 'string' },
  secret: { type: 'string' },
  super: { type: 'boolean', default: false },
  resource: { type: 'string' },
  actions: { type: 'string' },
  deny: { type: 'boolean', default: false },
  ...CREDENTIAL_OPTIONS,
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `group create` takes --fifo as a plain switch. */
export const SWITCH_FIFO_OPTIONS = { ...ADMIN_OPTIONS, fifo: { type: 'boolean' } } as const;

export const ADMIN_FOOTER = `Options: --endpoints HOST:PORT (default $HALFMOON_ENDPOINTS or 127.0.0.1:8081), --json for machine-readable output,\n${CREDENTIALS_HELP}.`;

type OptionValue<T> = T extends { type: 'boolean' } ? boolean : string;

/** The parsed options, derived from ADMIN_OPTIONS (`--fifo` is a switch for `group create`). */
export type AdminValues = { [K in Exclude<keyof typeof ADMIN_OPTIONS, 'help' | 'fifo'>]?: OptionValue<(typeof ADMIN_OPTIONS)[K]> } & {
  fifo?: string | boolean;
};

/** What a subcommand gets to work with. */
export interface AdminContext {
  readonly admin: AdminClient;
  readonly values: AdminValues;
  /** The positional after the subcommand, or undefined. */
  readonly name: string | undefined;
  /** The subcommand's usage line(s), for UsageErrors. */
  readonly usage: string;
  /** The positional name, or a UsageError saying `<command> <action> needs <what>`. */
  readonly need: (what: string) => string;
  /** Prints `value` as JSON with --json, else `text()`; returns exit code 0. */
  readonly print: (value: unknown, text: () => string) => number;
}

export interface AdminAction {
  /** Usage line(s) of this subcommand, without the leading "halfmoon ". */
  readonly usage: string;
  /** What the subcommand's options mean, shown by its --help under the usage line. */
  readonly details?: string;
  /** Parse --fifo as a switch instead of true|false. */
  readonly fifoSwitch?: boolean;
  run(ctx: AdminContext): Promise<number>;
}

/** Builds a Command whose first positional picks one of `actions`. */
export function adminCommand(name: string, heading: string, actions: Record<string, AdminAction>): Command {
  const usage = [`Usage: halfmoon ${name} <subcommand> [options]`, '', heading, ...Object.values(actions).map((a) => `  ${a.usage}`), '', ADMIN_FOOTER].join('\n');
  return {
    name,
    usage,
    async run(args: string[], out: Output): Promise<number> {
      const lookup = (word: string | undefined): AdminAction | undefined => (word !== undefined && Object.hasOwn(actions, word) ? actions[word] : undefined);
      const subUsageOf = (entry: AdminAction | undefined): string =>
        entry ? [`Usage: halfmoon ${entry.usage}`, '', ...(entry.details ? [entry.details, ''] : []), ADMIN_FOOTER].join('\n') : usage;
      const first = lookup(args[0]);
      const { values, positionals } = first?.fifoSwitch
        ? parseOptions({ args, options: SWITCH_FIFO_OPTIONS, allowPositionals: true, strict: true }, subUsageOf(first))
        : parseOptions({ args, options: ADMIN_OPTIONS, allowPositionals: true, strict: true }, subUsageOf(first));
      const action = positionals[0];
      const entry = lookup(action);
      const subUsage = subUsageOf(entry);
      if (values.help) {
        out.info(subUsage);
        return 0;
      }
      if (!entry) {
        if (action === undefined) throw new UsageError(`${name} needs a subcommand: ${Object.keys(actions).join(', ')}`, usage);
        throw new UsageError(`unknown command "${name} ${action}"${didYouMean(action, Object.keys(actions)).replace(/"(.*)"/, `"${name} $1"`)}`, usage);
      }
      const admin = connectAdmin(resolveEndpoints(values.endpoints).split(';')[0]!.trim(), undefined, resolveCredentials(values, subUsage), resolveTls(values));
      try {
        const target = positionals[1];
        return await entry.run({
          admin,
          values,
          name: target,
          usage: subUsage,
          need: (what) => {
            if (!target) throw new UsageError(`${name} ${action} needs ${what}`, subUsage);
            return target;
          },
          print: (value, text) => {
            out.result(values.json ? JSON.stringify(value, null, 2) : text());
            return 0;
          },
        });
      } finally {
        admin.close();
      }
    },
  };
}
