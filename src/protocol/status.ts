// Owns the one mapping from errors to the RocketMQ `Status` every response carries in its body.
import { BrokerError, Code, knownCodeName } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Status } from './types.js';

export const OK_STATUS: Status = { code: 'OK', message: 'OK' };

export function status(code: number, message: string): Status {
  return { code: knownCodeName(code) ?? code, message };
}

/** The body status for an error: BrokerErrors keep their code; anything else is logged and becomes INTERNAL_SERVER_ERROR. */
export function statusOf(err: unknown, log?: Logger): Status {
  if (err instanceof BrokerError) return status(err.code, err.message);
  log?.error({ err }, 'unexpected error while serving a request');
  const detail = err instanceof Error ? err.message : String(err);
  return status(Code.INTERNAL_SERVER_ERROR, `internal error: ${detail}`);
}

/** The numeric value of a status code as decoded (enum name or number). */
export function codeValue(code: string | number): number {
  if (typeof code === 'number') return code;
  return (Code as Record<string, number>)[code] ?? -1;
}

/** Top-level status of a multi-entry response: the common code, or MULTIPLE_RESULTS. */
export function combinedStatus(entries: Status[]): Status {
  if (entries.length === 0) return OK_STATUS;
  const first = entries[0]!;
  if (entries.every((e) => codeValue(e.code) === codeValue(first.code))) return first;
  return status(Code.MULTIPLE_RESULTS, 'entries have different results; see each entry status');
}
