// Owns the SDK's logger contract, its silent default, and the adapter handed to the official client.
// Without it the official client logs to ~/logs/rocketmq.

/**
 * printf-style logger (`console` qualifies). The official client calls it with format strings
 * such as `('Send message, topic=%s', topic)`.
 */
export interface ClientLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug?(...args: unknown[]): void;
}

const noop = (): void => undefined;

/** A logger that drops everything: the SDK's default. */
export function silentClientLogger(): ClientLogger {
  return { info: noop, warn: noop, error: noop, debug: noop };
}

/**
 * The logger given to the official client: forwards the four levels only, so the client's
 * `logger.close()` on shutdown never closes a logger the application shares.
 */
export function officialLogger(logger: ClientLogger): Required<ClientLogger> {
  return {
    info: (...args) => logger.info(...args),
    warn: (...args) => logger.warn(...args),
    error: (...args) => logger.error(...args),
    debug: (...args) => logger.debug?.(...args),
  };
}
