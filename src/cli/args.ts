// Owns what every CLI command shares: the Command shape, usage and broker errors (and their exit
// codes), option parsing on top of node:util parseArgs (its errors rewritten into one-line
// messages with "did you mean"), and endpoint resolution.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Output } from './output.js';
import { didYouMean } from './suggest.js';

/** One top-level command (`halfmoon <name> ...`). */
export interface Command {
  readonly name: string;
  /** The command's full usage text, printed by `halfmoon <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], out: Output): Promise<number>;
}

/**
 * Bad usage: exit 2, printed as one line plus `see "halfmoon <command> --help"`, the command
 * being read from `usage` ("Usage: halfmoon topic create ..." → "halfmoon topic create").
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }

  /** The `halfmoon ... --help` command that explains the usage this error is about. */
  get helpCommand(): string {
    const m = /^Usage: (halfmoon(?: [a-z][a-z-]*){0,2})/.exec(this.usage ?? '');
    return `${m ? m[1] : 'halfmoon'} --help`;
  }
}

/** A RocketMQ status code, as printed: `(code NAME value)`. */
export interface CodeRef {
  readonly name: string;
  readonly value: number;
}

/**
 * The broker refused a request, could not be reached, or could not start (exit 1). `code` is the
 * RocketMQ status code when there is one, printed as `(code NAME n)`; `hint` says what to do.
 */
export class BrokerRefusedError extends Error {
  constructor(
    message: string,
    readonly code?: CodeRef,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const DEFAULT_ENDPOINTS = '127.0.0.1:8081';

/** `--endpoints`, else $HALFMOON_ENDPOINTS, else 127.0.0.1:8081. */
export function resolveEndpoints(flag: string | undefined): string {
  return flag ?? process.env.HALFMOON_ENDPOINTS ?? DEFAULT_ENDPOINTS;
}

/** parseArgs in strict mode, turning its errors into one-line UsageErrors that carry `usage`. */
export function parseOptions<T extends ParseArgsConfig & { strict: true }>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(rewordParseError(err as Error & { code?: string }, Object.keys(config.options ?? {})), usage);
  }
}

/** parseArgs's messages, said the way the rest of the CLI says things. */
function rewordParseError(err: Error & { code?: string }, known: string[]): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = quoted.split('=')[0]!;
      const shown = flag.startsWith('-') ? flag : `-${flag}`;
      return `unknown option ${shown}${didYouMean(
        shown,
        known.map((k) => `--${k}`),
      )}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.split(' ')[0]!;
      const name = flag.replace(/^-+/, '');
      return known.includes(name) && /argument missing/.test(err.message) ? `${flag} needs a value` : `${flag} takes no value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    default:
      return err.message;
  }
}

export function parseBool(flag: string, v: string, usage?: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`${flag} takes true or false, got "${v}"`, usage);
}

export function parseIntArg(flag: string, v: string, usage?: string, min = 0): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(min === 0 ? `${flag} takes a non-negative integer, got "${v}"` : `${flag} takes an integer of at least ${min}, got "${v}"`, usage);
  }
  return n;
}

/** One of `choices` (case-insensitive), upper-cased; a UsageError naming them otherwise. */
export function parseChoice<C extends string>(flag: string, v: string, choices: readonly C[], usage?: string): C {
  const match = choices.find((c) => c.toLowerCase() === v.toLowerCase());
  if (match === undefined) throw new UsageError(`${flag} takes ${choices.join(', ')}, got "${v}"${didYouMean(v, choices)}`, usage);
  return match;
}
