// Owns the gRPC status at the wire: the status codes the transport answers with, the
// percent-encoding of grpc-message (gRPC over HTTP/2: bytes outside 0x20–0x7E, and '%'), and the
// header blocks of a response: the response headers, the trailers, and a trailers-only answer
// (an error before any message). The header objects that never change are built once.
import type http2 from 'node:http2';

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

/** The headers of every response that carries messages. */
export const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = Object.freeze({
  ':status': 200,
  'content-type': CONTENT_TYPE,
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});

/** The trailers of a call that ended well. */
export const OK_TRAILERS: http2.OutgoingHttpHeaders = Object.freeze({ 'grpc-status': '0', 'grpc-message': 'OK' });

/** A trailers-only OK (a stream that ended without sending a message). */
export const OK_TRAILERS_ONLY: http2.OutgoingHttpHeaders = Object.freeze({ ':status': 200, 'content-type': CONTENT_TYPE, 'grpc-status': '0', 'grpc-message': 'OK' });

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

/** The trailers ending a call that has sent its response headers. */
export function statusTrailers(code: number, message: string): http2.OutgoingHttpHeaders {
  if (code === GrpcStatus.OK) return OK_TRAILERS;
  return { 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
}

/** The one header block answering a call that sent nothing yet: HTTP 200 with the status in it. */
export function trailersOnly(code: number, message: string): http2.OutgoingHttpHeaders {
  if (code === GrpcStatus.OK) return OK_TRAILERS_ONLY;
  return { ':status': 200, 'content-type': CONTENT_TYPE, 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
}
