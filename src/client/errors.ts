// Owns the SDK's error types: ClientException with its code-family subclasses, and misuse errors.
// NetworkException covers transport failures that carry no RocketMQ status.
import { codeName } from './codes.js';

export interface ClientExceptionOptions {
  /** The request id the server echoed, when known. */
  requestId?: string;
  /** What the SDK was doing, prefixed to the message (e.g. "send to topic Orders"). */
  context?: string;
  cause?: unknown;
}

/**
 * A failure the broker (or proxy) reported with a RocketMQ status code. `code` is the numeric
 * apache.rocketmq.v2.Code value and `codeName` its proto name; `statusMessage` is the server's text.
 * Catch a subclass to handle one family (e.g. `NotFoundException` for 404xx).
 */
export class ClientException extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly statusMessage: string;
  readonly requestId: string | undefined;

  constructor(code: number, statusMessage: string, options: ClientExceptionOptions = {}) {
    const name = codeName(code);
    const prefix = options.context ? `${options.context}: ` : '';
    super(`${prefix}${name} (${code}): ${statusMessage}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.codeName = name;
    this.statusMessage = statusMessage;
    this.requestId = options.requestId;
  }
}

/** 400xx: the request is malformed (illegal topic, tag, receipt handle, delivery time...). */
export class BadRequestException extends ClientException {}
/** 401xx: missing or invalid credentials. */
export class UnauthorizedException extends ClientException {}
/** 402xx. */
export class PaymentRequiredException extends ClientException {}
/** 403xx: the credentials may not perform this operation. */
export class ForbiddenException extends ClientException {}
/** 404xx: unknown topic, consumer group, message or offset. */
export class NotFoundException extends ClientException {}
/** 408xx. */
export class RequestTimeoutException extends ClientException {}
/** 413xx: the body is too large (or empty). */
export class PayloadTooLargeException extends ClientException {}
/** 428xx. */
export class PreconditionFailedException extends ClientException {}
/** 429xx: throttled; retry later. */
export class TooManyRequestsException extends ClientException {}
/** 431xx: too many or too large message properties. */
export class RequestHeaderFieldsTooLargeException extends ClientException {}
/** 500xx: the server failed; usually worth a retry. */
export class InternalErrorException extends ClientException {}
/** 501xx: the server does not implement this operation. */
export class NotImplementedException extends ClientException {}
/** 504xx: the proxy or the store timed out. */
export class ProxyTimeoutException extends ClientException {}
/** 505xx: unsupported client version or feature. */
export class UnsupportedException extends ClientException {}

type ClientExceptionClass = new (code: number, statusMessage: string, options?: ClientExceptionOptions) => ClientException;

const FAMILIES: ReadonlyMap<number, ClientExceptionClass> = new Map<number, ClientExceptionClass>([
  [400, BadRequestException],
  [401, UnauthorizedException],
  [402, PaymentRequiredException],
  [403, ForbiddenException],
  [404, NotFoundException],
  [408, RequestTimeoutException],
  [413, PayloadTooLargeException],
  [428, PreconditionFailedException],
  [429, TooManyRequestsException],
  [431, RequestHeaderFieldsTooLargeException],
  [500, InternalErrorException],
  [501, NotImplementedException],
  [504, ProxyTimeoutException],
  [505, UnsupportedException],
]);

/** The exception for a status code, by family (`40402` → NotFoundException); others get ClientException. */
export function exceptionForCode(code: number, statusMessage: string, options: ClientExceptionOptions = {}): ClientException {
  const Family = FAMILIES.get(Math.floor(code / 100)) ?? ClientException;
  return new Family(code, statusMessage, options);
}

/**
 * The broker could not be reached or the call failed at the gRPC layer (no RocketMQ status):
 * `code` is CODE_UNSPECIFIED (0); `grpcCode`/`grpcCodeName` carry the gRPC status.
 */
export class NetworkException extends ClientException {
  readonly grpcCode: number;
  readonly grpcCodeName: string;

  constructor(grpcCode: number, grpcCodeName: string, details: string, options: ClientExceptionOptions = {}) {
    super(0, `gRPC ${grpcCodeName} (${grpcCode}): ${details}`, options);
    this.grpcCode = grpcCode;
    this.grpcCodeName = grpcCodeName;
  }
}

/** A builder or method got an invalid argument (Java's IllegalArgumentException). */
export class IllegalArgumentException extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IllegalArgumentException';
  }
}

/** The call does not fit the object's state, e.g. sending with a closed producer (Java's IllegalStateException). */
export class IllegalStateException extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IllegalStateException';
  }
}
