// Owns the broker's one error type: a RocketMQ status code plus a message that says what to fix.
// Every failure a client can see is a BrokerError; each adapter maps it to its wire format
// (protocol/status.ts for gRPC, http/errors.ts for the MQ HTTP gateway, the CLI's printer).
import type { CodeValue } from './codes.js';

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(
    readonly code: CodeValue,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isBrokerError(err: unknown): err is BrokerError {
  return err instanceof BrokerError;
}
