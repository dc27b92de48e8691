// Unit tests of the MQ HTTP request signature: the spec's verified vectors (one from the SDK's own
// test suite), agreement with the SDK's signer on what it really sends, and each refusal.
import sdk from '@aliyunmq/mq-http-sdk';
import { describe, expect, it } from 'vitest';
import { MqHttpError } from '../../../src/http/errors.js';
import { MAX_CLOCK_SKEW_MS, sign, stringToSign, verifyRequest } from '../../../src/http/signature.js';

const VERSION = { 'x-mq-version': '2015-06-06' };

describe('MQ HTTP signature', () => {
  it('matches the SDK test vector (PUT, secret ACCESS_KEY_SECRET)', () => {
    const parts = {
      method: 'PUT',
      contentMd5: '574683b3684e3cff610afa155cc2506d',
      contentType: 'text/xml',
      date: 'Tue, 11 Apr 2017 10:09:19 GMT',
      mqHeaders: VERSION,
      resource: '/',
    };
    expect(stringToSign(parts)).toBe('PUT\n574683b3684e3cff610afa155cc2506d\ntext/xml\nTue, 11 Apr 2017 10:09:19 GMT\nx-mq-version:2015-06-06\n/');
    expect(sign('ACCESS_KEY_SECRET', parts)).toBe('G7NRBqmP9XfhTJ/pV3AgYQtXaaU=');
  });

  it('matches the spec vectors for a half-message poll (GET) and a commit (DELETE)', () => {
    const date = 'Sat, 22 Nov 2025 03:45:00 GMT';
    expect(
      sign('sk', {
        method: 'GET',
        contentMd5: '',
        contentType: 'text/xml;charset=utf-8',
        date,
        mqHeaders: VERSION,
        resource: '/topics/T1/messages?consumer=GID_t1&ns=MQ_INST_123_abc&trans=pop&numOfMessages=3&waitseconds=3',
      }),
    ).toBe('tTW59cS1KRm/rnj5TY/i47RfOfo=');
    expect(
      sign('sk', {
        method: 'DELETE',
        contentMd5: 'ZjFiODZlNjMzYjBjMjVmMmUyYzFlYTM3MWE3YmM0ZTU=',
        contentType: 'text/xml;charset=utf-8',
        date,
        mqHeaders: VERSION,
        resource: '/topics/T1/messages?consumer=GID_t1&ns=MQ_INST_123_abc&trans=commit',
      }),
    ).toBe('b3nUf+CkVrNzH0UVs8XMtE1UD/k=');
  });

  it('canonicalizes x-mq- headers: lower-case, sorted, others ignored', () => {
    const s = stringToSign({ method: 'GET', contentMd5: '', contentType: '', date: 'd', mqHeaders: { 'X-Mq-Zeta': 'z', 'x-mq-alpha': 'a', 'x-other': 'o' }, resource: '/r' });
    expect(s).toBe('GET\n\n\nd\nx-mq-alpha:a\nx-mq-zeta:z\n/r');
  });

  it("agrees with the SDK's own signer on the headers it sends", () => {
    const client = new sdk.MQClient('http://127.0.0.1:1', 'ak', 'sk');
    const headers = { date: new Date().toUTCString(), 'x-mq-version': '2015-06-06', 'content-type': 'text/xml;charset=utf-8', 'content-md5': 'abc=' };
    const resource = '/topics/T/messages?consumer=G&tag=Tag%7C%7CB&numOfMessages=16&waitseconds=30';
    expect(sign('sk', { method: 'DELETE', contentMd5: 'abc=', contentType: headers['content-type'], date: headers.date, mqHeaders: VERSION, resource })).toBe(
      client.sign('DELETE', headers, resource),
    );
  });
});

describe('MQ HTTP request verification', () => {
  const creds = { accessKey: 'ak', secretKey: 'sk' };
  const now = Date.parse('Sat, 22 Nov 2025 03:45:00 GMT');
  const url = '/topics/T1/messages?consumer=GID_t1&numOfMessages=1';
  function signed(overrides: Record<string, string> = {}): Record<string, string> {
    const date = new Date(now).toUTCString();
    const signature = sign('sk', { method: 'GET', contentMd5: '', contentType: 'text/xml', date, mqHeaders: VERSION, resource: url });
    return { date, 'content-type': 'text/xml', 'x-mq-version': '2015-06-06', authorization: `MQ ak:${signature}`, ...overrides };
  }
  function code(headers: Record<string, string>, at = now, target = url): string | undefined {
    try {
      verifyRequest({ method: 'GET', url: target, headers }, creds, at);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(MqHttpError);
      return (err as MqHttpError).mqCode;
    }
  }

  it('accepts a correctly signed request within the allowed clock skew', () => {
    expect(code(signed())).toBeUndefined();
    expect(code(signed(), now + MAX_CLOCK_SKEW_MS)).toBeUndefined();
  });

  it('refuses each kind of bad request with its code', () => {
    const { authorization: _a, ...noAuth } = signed();
    const { date: _d, ...noDate } = signed();
    expect(code(noAuth)).toBe('MissingAuthorizationHeader');
    expect(code(signed({ authorization: 'MQ ak' }))).toBe('InvalidAuthorizationHeader');
    expect(code(signed({ authorization: signed().authorization!.replace('MQ ak:', 'MQ bk:') }))).toBe('InvalidAccessKeyId');
    expect(code(noDate)).toBe('MissingDateHeader');
    expect(code(signed({ date: 'yesterday-ish' }))).toBe('InvalidDateHeader');
    expect(code(signed(), now + MAX_CLOCK_SKEW_MS + 1000)).toBe('TimeExpired');
    expect(code(signed({ 'x-mq-version': '2015-06-07' }))).toBe('SignatureDoesNotMatch');
    expect(code(signed(), now, url.replace('numOfMessages=1', 'numOfMessages=2'))).toBe('SignatureDoesNotMatch');
    expect(code(signed({ 'content-md5': 'x' }))).toBe('SignatureDoesNotMatch');
  });
});
