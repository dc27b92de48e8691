// Owns request decompression: a message with the compressed flag set is inflated with the call's
// grpc-encoding (gzip or deflate), never to more than the receive limit (zlib stops at it); any
// other encoding, or none, is UNIMPLEMENTED. Compressed requests are rare (the RocketMQ clients
// compress bodies inside the message, not gRPC frames), so this runs synchronously, which also
// keeps a stream's messages in order.
import { gunzipSync, inflateSync } from 'node:zlib';
import { GrpcStatus } from './status.js';

export type Decompressed = { ok: true; bytes: Buffer } | { ok: false; code: number; message: string };

export function decompress(encoding: string | undefined, payload: Buffer, limit: number): Decompressed {
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    return {
      ok: false,
      code: GrpcStatus.UNIMPLEMENTED,
      message: `Received a compressed message with grpc-encoding "${encoding ?? 'identity'}": only gzip and deflate are accepted`,
    };
  }
  try {
    const options = { maxOutputLength: Math.max(1, limit) };
    return { ok: true, bytes: encoding === 'gzip' ? gunzipSync(payload, options) : inflateSync(payload, options) };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return { ok: false, code: GrpcStatus.RESOURCE_EXHAUSTED, message: `Received a message that decompresses to more than ${limit} bytes` };
    }
    return { ok: false, code: GrpcStatus.INTERNAL, message: 'Failed to decompress the message' };
  }
}
