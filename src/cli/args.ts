// Owns what every CLI command shares: the Command shape, usage and broker errors (and their exit
// codes), option parsing on top of node:util parseArgs, and endpoint resolution.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Output } from './output.js';

/** One top-level command (`halfmoon <name> ...`). */
export interface Command {
  readonly name: string;
  /** The command's full usage text, printed by `halfmoon <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], out: Output): Promise<number>;
}

/** Bad usage: exit 2, printed with `usage` (or the top-level usage when absent). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/**
 * The broker refused a request or could not be reached (exit 1). `code` is the RocketMQ status
 * code when the broker sent one; it is printed as `(code NAME n)`.
 */
export class BrokerRefusedError extends Error {
  constructor(
    message: string,
    readonly code?: { readonly name: string; readonly value: number },
  ) {
    super(message);
  }
}

export const DEFAULT_ENDPOINTS = '127.0.0.1:8081';

/** `--endpoints`, else $HALFMOON_ENDPOINTS, else 127.0.0.1:8081. */
export function resolveEndpoints(flag: string | undefined): string {
  return flag ?? process.env.HALFMOON_ENDPOINTS ?? DEFAULT_ENDPOINTS;
}

/** parseArgs in strict mode, turning its errors into UsageErrors that carry `usage`. */
export function parseOptions<T extends ParseArgsConfig & { strict: true }>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
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
    throw new UsageError(
      min === 0 ? `${flag} takes a non-negative integer, got "${v}"` : `${flag} takes an integer of at least ${min}, got "${v}"`,
      usage,
    );
  }
  return n;
}
