// Owns request authentication of the MQ HTTP protocol (x-mq-version 2015-06-06): the
// string-to-sign, the HMAC-SHA1 signature, and the verification of `Authorization: MQ id:sig`
// with its Date header, against one configured key or the users of an --auth broker. The signed resource is the request target exactly as sent (req.url):
// SDKs order query parameters differently, so nothing is re-encoded or sorted.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Code } from '../errors.js';
import { MqHttpError } from './errors.js';

/** Largest accepted difference between the request's Date and the broker clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

export interface SignedParts {
  method: string;
  /** Content-MD5 header as sent, or '' (Python and Java never send it). */
  contentMd5: string;
  /** Content-Type header as sent, or ''. */
  contentType: string;
  date: string;
  /** Headers whose lower-cased name starts with `x-mq-`. */
  mqHeaders: Record<string, string>;
  /** Request target: path, '?', and the raw query string in the client's order. */
  resource: string;
}

export function stringToSign(p: SignedParts): string {
  const canonicalHeaders = Object.entries(p.mqHeaders)
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .filter(([k]) => k.startsWith('x-mq-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  return `${p.method}\n${p.contentMd5}\n${p.contentType}\n${p.date}\n${canonicalHeaders}${p.resource}`;
}

/** Base64(HMAC-SHA1(secret, stringToSign)). */
export function sign(secret: string, p: SignedParts): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(stringToSign(p), 'utf8').digest('base64');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export interface Credentials {
  accessKey: string;
  secretKey: string;
}

/** The secret of an access key, undefined when the key is unknown (the users of an --auth broker). */
export type SecretLookup = (accessKey: string) => string | undefined;

/**
 * Throws the MQ error the SDK expects unless the request is signed with `creds` (one configured
 * key) or with the secret `creds` looks up for its access key; returns that access key.
 */
export function verifyRequest(
  req: { method: string; url: string; headers: IncomingHttpHeaders },
  creds: Credentials | SecretLookup,
  nowMs: number,
  maxSkewMs = MAX_CLOCK_SKEW_MS,
): string {
  const authorization = header(req.headers, 'authorization');
  if (!authorization) {
    throw new MqHttpError('MissingAuthorizationHeader', 'the Authorization header is required: send "Authorization: MQ <AccessKeyId>:<Signature>"', Code.UNAUTHORIZED);
  }
  const m = /^MQ ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) {
    throw new MqHttpError('InvalidAuthorizationHeader', 'the Authorization header format is invalid: expected "MQ <AccessKeyId>:<Signature>"', Code.UNAUTHORIZED);
  }
  const [, keyId, given] = m as unknown as [string, string, string];
  const secretKey = typeof creds === 'function' ? creds(keyId) : keyId === creds.accessKey ? creds.secretKey : undefined;
  if (secretKey === undefined) {
    const hint = typeof creds === 'function' ? 'no user of that name exists' : 'use the accessKey it was started with';
    throw new MqHttpError('InvalidAccessKeyId', `access key id "${keyId}" is unknown to this broker: ${hint}`, Code.UNAUTHORIZED);
  }
  const date = header(req.headers, 'date');
  if (!date) throw new MqHttpError('MissingDateHeader', 'the Date header is required (RFC 1123, e.g. "Sun, 22 Nov 2026 03:49:01 GMT")', Code.UNAUTHORIZED);
  const dateMs = Date.parse(date);
  if (Number.isNaN(dateMs)) {
    throw new MqHttpError('InvalidDateHeader', `the Date header "${date}" is not an RFC 1123 date such as "Sun, 22 Nov 2026 03:49:01 GMT"`, Code.UNAUTHORIZED);
  }
  if (Math.abs(nowMs - dateMs) > maxSkewMs) {
    throw new MqHttpError(
      'TimeExpired',
      `the request Date ${date} is more than ${Math.round(maxSkewMs / 60_000)} minutes from the broker clock (${new Date(nowMs).toUTCString()}): fix the client clock`,
      Code.UNAUTHORIZED,
    );
  }
  const mqHeaders: Record<string, string> = {};
  for (const name of Object.keys(req.headers)) if (name.startsWith('x-mq-')) mqHeaders[name] = header(req.headers, name) ?? '';
  const parts: SignedParts = {
    method: req.method,
    contentMd5: header(req.headers, 'content-md5') ?? '',
    contentType: header(req.headers, 'content-type') ?? '',
    date,
    mqHeaders,
    resource: req.url,
  };
  const expected = Buffer.from(sign(secretKey, parts), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new MqHttpError(
      'SignatureDoesNotMatch',
      `the request signature does not match: sign ${JSON.stringify(stringToSign(parts))} with HMAC-SHA1 and the secret of access key ${keyId}, then base64`,
      Code.UNAUTHORIZED,
    );
  }
  return keyId;
}
