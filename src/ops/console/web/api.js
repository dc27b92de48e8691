// The console's API client: JSON calls to /api/* on the page's own origin. When credentials were
// given in the sign-in form, every call is signed the way the RocketMQ 5 clients sign theirs
// (authorization: MQv2-HMAC-SHA1 Credential=<access key>, SignedHeaders=x-mq-date-time,
// Signature=<HMAC-SHA1 of x-mq-date-time with the secret, hex>); where the page has no WebCrypto
// (plain HTTP on a non-loopback address) it falls back to HTTP Basic. A 401 asks for credentials
// (onUnauthorized) and retries once.

const STORAGE_KEY = 'halfmoon.console.credentials';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.status ?? '';
  }
}

export const credentials = {
  get() {
    try {
      return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    } catch {
      return null;
    }
  },
  set(value) {
    if (value) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
    else sessionStorage.removeItem(STORAGE_KEY);
  },
};

/** `yyyyMMdd'T'HHmmss'Z'`, as the RocketMQ clients send x-mq-date-time. */
export function requestDateTime(date = new Date()) {
  return `${date.toISOString().split('.')[0].replace(/[-:]/g, '')}Z`;
}

async function hmacSha1Hex(secret, text) {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
  return [...sig]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

export async function authHeaders(creds = credentials.get()) {
  if (!creds) return {};
  if (globalThis.crypto?.subtle) {
    const dateTime = requestDateTime();
    const signature = await hmacSha1Hex(creds.secretKey, dateTime);
    return {
      'x-mq-date-time': dateTime,
      authorization: `MQv2-HMAC-SHA1 Credential=${creds.accessKey}, SignedHeaders=x-mq-date-time, Signature=${signature}`,
    };
  }
  const bytes = new TextEncoder().encode(`${creds.accessKey}:${creds.secretKey}`);
  return { authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` };
}

let onUnauthorized = async () => false;
/** Sets what a 401 does: resolves true when new credentials were entered (the call is retried). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function api(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const headers = { accept: 'application/json', ...(await authHeaders()) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`/api/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const parsed = await res.json().catch(() => null);
    if (res.ok) return parsed;
    if (res.status === 401 && attempt === 0 && (await onUnauthorized())) continue;
    throw new ApiError(res.status, parsed);
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const del = (path) => api('DELETE', path, {});
