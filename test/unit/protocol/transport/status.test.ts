// The gRPC status at the wire: grpc-message percent-encoding (bytes outside 0x20–0x7E and '%'),
// trailers, and trailers-only answers carrying :status 200 and the content type, as HPACK blocks.
import { describe, expect, it } from 'vitest';
import { HpackDecoder } from '../../../../src/protocol/transport/h2/hpack.js';
import { encodeGrpcMessage, GrpcStatus, OK_TRAILERS, RESPONSE_HEADERS, statusTrailers, trailersOnly } from '../../../../src/protocol/transport/status.js';

const fields = (block: Buffer): Record<string, string> => {
  const flat = new HpackDecoder().decode(block, 65536);
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
};

describe('encodeGrpcMessage', () => {
  it('leaves printable ASCII alone', () => {
    expect(encodeGrpcMessage('Deadline exceeded (after 3 s)')).toBe('Deadline exceeded (after 3 s)');
  });

  it('percent-encodes %, control characters and UTF-8 bytes', () => {
    expect(encodeGrpcMessage('100% done')).toBe('100%25 done');
    expect(encodeGrpcMessage('line\nbreak')).toBe('line%0Abreak');
    expect(encodeGrpcMessage('café ✓')).toBe('caf%C3%A9 %E2%9C%93');
    expect(decodeURIComponent(encodeGrpcMessage('über 100% ✓\t'))).toBe('über 100% ✓\t');
  });
});

describe('status header blocks', () => {
  it('ends a call that sent messages with grpc-status and grpc-message trailers', () => {
    expect(statusTrailers(GrpcStatus.OK, 'whatever')).toBe(OK_TRAILERS);
    expect(fields(statusTrailers(GrpcStatus.INTERNAL, 'bad ✓'))).toEqual({ 'grpc-status': '13', 'grpc-message': 'bad %E2%9C%93' });
    expect(fields(OK_TRAILERS)).toEqual({ 'grpc-status': '0', 'grpc-message': 'OK' });
  });

  it('answers a call that sent nothing with one block: HTTP 200, the gRPC content type and the status', () => {
    expect(fields(trailersOnly(GrpcStatus.UNIMPLEMENTED, 'no such method'))).toEqual({
      ':status': '200',
      'content-type': 'application/grpc+proto',
      'grpc-status': '12',
      'grpc-message': 'no such method',
    });
    expect(fields(trailersOnly(GrpcStatus.OK, ''))).toMatchObject({ 'grpc-status': '0' });
    expect(fields(RESPONSE_HEADERS)).toEqual({
      ':status': '200',
      'content-type': 'application/grpc+proto',
      'grpc-accept-encoding': 'identity,deflate,gzip',
      'grpc-encoding': 'identity',
    });
  });
});
