// Owns the exponential retry back-off that push consumers are told about and held to.

/** Exponential back-off of a retry policy, as advertised to push consumers. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

/** Delay before delivery attempt `attempt + 1` after attempt `attempt` failed (attempt ≥ 1). */
export function backoffDelayMs(b: RetryBackoff, attempt: number): number {
  const delay = b.initialMs * Math.pow(b.multiplier, Math.max(0, attempt - 1));
  return Math.max(0, Math.min(delay, b.maxMs));
}
