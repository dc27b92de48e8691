// Owns the gRPC status at the wire: the status codes the transport answers with, the
// percent-encoding of grpc-message (gRPC over HTTP/2: bytes outside 0x20–0x7E, and '%'), and the
// header blocks of a response, HPACK-encoded (h2/hpack.ts): the response headers, the trailers,
// a trailers-only answer (an error before any message) and HTTP 415. The blocks that never change
// are encoded once.
import { HpackEncoder, type HeaderField } from './h2/hpack.js';

/** gRPC status codes (the ones the transport uses; handlers answer OK with the outcome in the body). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const CONTENT_TYPE = 'application/grpc+proto';
const encoder = new HpackEncoder();

/** The fields of every response that carries messages. */
export const RESPONSE_FIELDS: readonly HeaderField[] = [
  [':status', '200'],
  ['content-type', CONTENT_TYPE],
  ['grpc-accept-encoding', 'identity,deflate,gzip'],
  ['grpc-encoding', 'identity'],
];
export const RESPONSE_HEADERS: Buffer = encoder.encode(RESPONSE_FIELDS);

/** The trailers of a call that ended well. */
export const OK_TRAILERS: Buffer = encoder.encode(trailerFields(GrpcStatus.OK, 'OK'));

/** A trailers-only OK (a stream that ended without sending a message). */
export const OK_TRAILERS_ONLY: Buffer = encoder.encode(trailersOnlyFields(GrpcStatus.OK, 'OK'));

/** HTTP 415: not a gRPC content type. */
export const UNSUPPORTED_MEDIA_TYPE: Buffer = encoder.encode([[':status', '415']]);

/** Percent-encodes a grpc-message: UTF-8 bytes outside 0x20–0x7E, and '%', become %XX. */
export function encodeGrpcMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

/** The fields of trailers with `code` and `message`. */
export function trailerFields(code: number, message: string): HeaderField[] {
  return [
    ['grpc-status', String(code)],
    ['grpc-message', encodeGrpcMessage(message)],
  ];
}

/** The fields of a trailers-only answer: HTTP 200, the content type and the status. */
export function trailersOnlyFields(code: number, message: string): HeaderField[] {
  return [[':status', '200'], ['content-type', CONTENT_TYPE], ...trailerFields(code, message)];
}

/** The trailers ending a call that has sent its response headers. */
export function statusTrailers(code: number, message: string): Buffer {
  if (code === GrpcStatus.OK) return OK_TRAILERS;
  return encoder.encode(trailerFields(code, message));
}

/** The one header block answering a call that sent nothing yet: HTTP 200 with the status in it. */
export function trailersOnly(code: number, message: string): Buffer {
  if (code === GrpcStatus.OK) return OK_TRAILERS_ONLY;
  return encoder.encode(trailersOnlyFields(code, message));
}
