// Owns the MQ HTTP error vocabulary: the error codes the Aliyun MQ HTTP SDKs parse, the HTTP
// status each travels with, and the ONE mapping from any thrown error (BrokerError from the
// services, MqHttpError from the gateway itself) to {status, code, message}.
import { BrokerError, Code, type CodeValue } from '../errors.js';
import type { Logger } from '../logger.js';

/** HTTP status per MQ error code (HTTP SDK error table, MNS lineage). */
const STATUS_BY_CODE = {
  MessageNotExist: 404,
  TopicNotExist: 404,
  ReceiptHandleError: 400,
  MissingReceiptHandle: 400,
  InvalidArgument: 400,
  MalformedXML: 400,
  InvalidRequestURL: 400,
  InvalidQueryString: 400,
  MissingAuthorizationHeader: 400,
  InvalidAuthorizationHeader: 400,
  MissingDateHeader: 400,
  InvalidDateHeader: 400,
  QpsLimitExceeded: 400,
  SignatureDoesNotMatch: 403,
  InvalidAccessKeyId: 403,
  AccessDenied: 403,
  TimeExpired: 408,
  /** Halfmoon's own: a request body over the gateway's limit (docs/limits.md). */
  PayloadTooLarge: 413,
  InternalError: 500,
} as const;

export type MqErrorCode = keyof typeof STATUS_BY_CODE;

/**
 * A failure only the HTTP protocol can name (signature, XML, URL, receipt-handle expiry). It is a
 * BrokerError, so generic code treats it like any other; the gateway reads `mqCode`.
 */
export class MqHttpError extends BrokerError {
  constructor(
    readonly mqCode: MqErrorCode,
    message: string,
    code: CodeValue = Code.BAD_REQUEST,
  ) {
    super(code, message);
  }
}

export interface MappedError {
  status: number;
  code: MqErrorCode;
  message: string;
}

/** The MQ error code for a broker (RocketMQ) code. */
function mqCodeOf(code: CodeValue): MqErrorCode {
  switch (code) {
    case Code.TOPIC_NOT_FOUND:
      return 'TopicNotExist';
    case Code.MESSAGE_NOT_FOUND:
      return 'MessageNotExist';
    case Code.INVALID_RECEIPT_HANDLE:
      return 'ReceiptHandleError';
    case Code.UNAUTHORIZED:
    case Code.FORBIDDEN:
      return 'AccessDenied';
    case Code.TOO_MANY_REQUESTS:
      return 'QpsLimitExceeded';
    // Asked for something Halfmoon does not do (e.g. SQL filters): the request must change.
    case Code.NOT_IMPLEMENTED:
    case Code.UNSUPPORTED:
      return 'InvalidArgument';
    default:
      return code >= 40000 && code < 50000 ? 'InvalidArgument' : 'InternalError';
  }
}

/**
 * The one mapping from an error to what the client sees. Errors that are not BrokerErrors are
 * bugs or I/O failures: logged, and answered as InternalError without internals.
 */
export function toMqError(err: unknown, log?: Logger): MappedError {
  if (err instanceof MqHttpError) return { status: STATUS_BY_CODE[err.mqCode], code: err.mqCode, message: err.message };
  if (err instanceof BrokerError) {
    const code = mqCodeOf(err.code);
    if (code === 'InternalError') log?.error({ err }, 'broker error while serving an HTTP request');
    return { status: STATUS_BY_CODE[code], code, message: err.message };
  }
  log?.error({ err }, 'unexpected error while serving an HTTP request');
  return { status: 500, code: 'InternalError', message: 'internal error; the broker log has the details' };
}
