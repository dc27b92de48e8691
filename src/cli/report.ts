// Owns how a failed command is shown: one line `halfmoon: <message> (code NAME n)`, a `hint:` line
// where there is one, `see "halfmoon <cmd> --help"` after usage errors, and the exit code (1 the
// broker refused, could not be reached or could not start; 2 bad usage). Stack traces only for
// internal errors (bugs), or for every error at --log-level debug.
import { InvalidConfigError } from '../config.js';
import { BrokerError, codeName } from '../errors.js';
import { BrokerRefusedError, UsageError } from './args.js';

export interface Report {
  text: string;
  exitCode: 1 | 2;
}

/** The stack of `err` and of its causes. */
function stacks(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) parts.push(e.stack ?? String(e));
  return parts.join('\ncaused by: ');
}

export function reportError(err: unknown, debug: boolean): Report {
  const lines: string[] = [];
  let exitCode: 1 | 2 = 1;
  if (err instanceof UsageError) {
    lines.push(`halfmoon: ${err.message}`, `see "${err.helpCommand}"`);
    exitCode = 2;
  } else if (err instanceof InvalidConfigError) {
    lines.push(`halfmoon: invalid configuration: ${err.message}`, 'see "halfmoon start --help"');
    exitCode = 2;
  } else if (err instanceof BrokerRefusedError) {
    lines.push(`halfmoon: ${err.message}${err.code ? ` (code ${err.code.name} ${err.code.value})` : ''}`);
    if (err.hint) lines.push(`hint: ${err.hint}`);
  } else if (err instanceof BrokerError) {
    lines.push(`halfmoon: ${err.message} (code ${codeName(err.code)} ${err.code})`);
  } else {
    // Not an error a user can cause: a bug, shown whole so it can be reported.
    lines.push(`halfmoon: internal error: ${stacks(err)}`);
    return { text: lines.join('\n'), exitCode };
  }
  if (debug && err instanceof Error) lines.push(stacks(err));
  return { text: lines.join('\n'), exitCode };
}
