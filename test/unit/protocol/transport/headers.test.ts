// Reading request headers: grpc-timeout in every unit (and malformed ones), which content types
// are gRPC, and the metadata view (values by key, -bin values decoded, reserved headers hidden).
import { describe, expect, it } from 'vitest';
import { HeaderMetadata, isGrpcContentType, parseTimeout } from '../../../../src/protocol/transport/headers.js';

describe('parseTimeout', () => {
  it('reads every unit', () => {
    expect(parseTimeout('2H')).toBe(7_200_000);
    expect(parseTimeout('3M')).toBe(180_000);
    expect(parseTimeout('4S')).toBe(4000);
    expect(parseTimeout('1500m')).toBe(1500);
    expect(parseTimeout('2500u')).toBe(2.5);
    expect(parseTimeout('3000000n')).toBe(3);
    expect(parseTimeout('99999999H')).toBe(99_999_999 * 3_600_000);
  });

  it('refuses malformed values', () => {
    for (const bad of ['', 'S', '10', '10s', '10 S', '-1S', '123456789S', '1.5S', 'abcS']) expect(parseTimeout(bad), bad).toBeUndefined();
  });
});

describe('isGrpcContentType', () => {
  it('accepts application/grpc and application/grpc+proto, with parameters', () => {
    for (const ok of ['application/grpc', 'application/grpc+proto', 'application/grpc;charset=utf-8', 'application/grpc+proto; x=y'])
      expect(isGrpcContentType(ok), ok).toBe(true);
  });

  it('refuses other types', () => {
    for (const bad of [undefined, '', 'application/json', 'application/grpc+json', 'application/grpc-web', 'text/plain'])
      expect(isGrpcContentType(bad), String(bad)).toBe(false);
  });
});

describe('HeaderMetadata', () => {
  const md = new HeaderMetadata({
    ':path': '/a/B',
    'content-type': 'application/grpc',
    'grpc-timeout': '1S',
    'x-mq-client-id': 'client-1',
    'trace-bin': `${Buffer.from([1, 2]).toString('base64')}, ${Buffer.from([3]).toString('base64')}`,
    many: ['a', 'b'],
  });

  it('gives the values of a key, case-insensitively', () => {
    expect(md.get('x-mq-client-id')).toEqual(['client-1']);
    expect(md.get('X-MQ-Client-Id')).toEqual(['client-1']);
    expect(md.get('many')).toEqual(['a', 'b']);
    expect(md.get('absent')).toEqual([]);
  });

  it('decodes -bin values, split where Node joined them', () => {
    expect(md.get('trace-bin')).toEqual([Buffer.from([1, 2]), Buffer.from([3])]);
  });

  it('hides pseudo-headers and the headers the transport reads itself', () => {
    expect(md.get(':path')).toEqual([]);
    expect(md.get('grpc-timeout')).toEqual([]);
    expect(md.get('content-type')).toEqual([]);
  });
});
