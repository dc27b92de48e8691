// Request decompression: gzip and deflate are inflated, never past the receive limit; undecodable
// bytes are INTERNAL; any other encoding is UNIMPLEMENTED.
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompress } from '../../../../src/protocol/transport/compression.js';
import { GrpcStatus } from '../../../../src/protocol/transport/status.js';

describe('decompress', () => {
  const text = Buffer.from('a message worth compressing, '.repeat(20));

  it('inflates gzip and deflate', () => {
    expect(decompress('gzip', gzipSync(text), 1024)).toEqual({ ok: true, bytes: text });
    expect(decompress('deflate', deflateSync(text), 1024)).toEqual({ ok: true, bytes: text });
  });

  it('refuses what inflates past the limit with RESOURCE_EXHAUSTED', () => {
    const bomb = gzipSync(Buffer.alloc(10 << 20));
    expect(decompress('gzip', bomb, 1 << 20)).toMatchObject({ ok: false, code: GrpcStatus.RESOURCE_EXHAUSTED });
  });

  it('answers INTERNAL for bytes that are not what the encoding says', () => {
    expect(decompress('gzip', Buffer.from('not gzip at all'), 1024)).toMatchObject({ ok: false, code: GrpcStatus.INTERNAL });
  });

  it('answers UNIMPLEMENTED for other encodings, or none', () => {
    expect(decompress('snappy', text, 1024)).toMatchObject({ ok: false, code: GrpcStatus.UNIMPLEMENTED });
    expect(decompress(undefined, text, 1024)).toMatchObject({ ok: false, code: GrpcStatus.UNIMPLEMENTED });
  });
});
