// Owns the translation of the official client's errors into this SDK's error types.
// Covers its ClientException family, raw gRPC errors, its argument TypeErrors and startup wrappers.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ClientException, IllegalArgumentException, IllegalStateException, NetworkException, exceptionForCode } from './errors.js';
import { OfficialClientException } from './official.js';

/** The official client formats messages as "[request-id=..., response-code=...] text". */
const OFFICIAL_PREFIX = /^\[request-id=([^,\]]*), response-code=-?\d+\] ?/;

/** Argument errors the official client raises as TypeError before anything reaches the wire. */
const OFFICIAL_ARGUMENT_ERRORS = [
  'Current message type not match with topic accept message types',
  'Transactional message should not set',
  'Message body size exceeds the threshold',
  'Messages to send have different',
  'FIFO messages to send have message groups',
];

interface GrpcServiceError extends Error {
  code: number;
  details: string;
}

function isGrpcServiceError(err: unknown): err is GrpcServiceError {
  return (
    err instanceof Error && typeof (err as Partial<GrpcServiceError>).code === 'number' && typeof (err as Partial<GrpcServiceError>).details === 'string' && 'metadata' in err
  );
}

function isOwnError(err: unknown): err is Error {
  return err instanceof ClientException || err instanceof IllegalArgumentException || err instanceof IllegalStateException;
}

/** The error chain, outermost first (official startup failures wrap the real cause twice). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && out.length < 10; e = e instanceof Error ? e.cause : undefined) {
    out.push(e);
  }
  return out;
}

/**
 * Maps an error from the official client into the SDK's types. `context` says what was being done
 * ("send to topic T"). Errors with no known meaning are returned unchanged.
 */
export function translateError(err: unknown, context: string): unknown {
  if (isOwnError(err)) return err;
  const links = chain(err);
  for (const e of links) {
    if (e instanceof OfficialClientException) {
      const m = OFFICIAL_PREFIX.exec(e.message);
      const requestId = m && m[1] && m[1] !== 'undefined' ? m[1] : undefined;
      const text = m ? e.message.slice(m[0].length) : e.message;
      return exceptionForCode(e.code, text, { context, cause: err, ...(requestId ? { requestId } : {}) });
    }
  }
  for (const e of links) {
    if (isGrpcServiceError(e)) {
      const name = GrpcStatus[e.code] ?? `STATUS_${e.code}`;
      return new NetworkException(e.code, name, e.details || e.message, { context, cause: err });
    }
  }
  for (const e of links) {
    if (e instanceof TypeError && OFFICIAL_ARGUMENT_ERRORS.some((p) => e.message.startsWith(p))) {
      return new IllegalArgumentException(`${context}: ${e.message}`, { cause: err });
    }
  }
  return err;
}

/** Runs an official-client call and rethrows its failure translated. */
export async function guarded<T>(context: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw translateError(err, context);
  }
}
