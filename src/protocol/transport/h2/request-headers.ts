// Owns turning a decoded header list into a request's headers (RFC 9113 §8.2, §8.3): an object
// without a prototype, a repeated field as an array of its values. A list is malformed — a
// stream error, PROTOCOL_ERROR — with an upper-case or empty name, a value with NUL, CR or LF,
// a pseudo-header that is unknown, repeated, after a regular field or (in trailers) present at
// all, a connection-specific field, TE other than "trailers", or without :method, :scheme and
// :path (CONNECT is not served).

/** A request's header fields by name; pseudo-headers included. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

const PSEUDO = new Set([':method', ':scheme', ':path', ':authority']);
const CONNECTION_SPECIFIC = new Set(['connection', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function validValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** The headers of `list` (name, value, ...), or a reason it is malformed. `trailers`: no pseudo-headers allowed. */
export function requestHeaders(list: readonly string[], trailers: boolean): RequestHeaders | string {
  const out: RequestHeaders = Object.create(null) as RequestHeaders;
  let regular = false;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    if (name.charCodeAt(0) === 0x3a) {
      if (trailers) return `pseudo-header ${name} in trailers`;
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (!PSEUDO.has(name)) return `unknown pseudo-header ${name}`;
      if (out[name] !== undefined) return `repeated ${name}`;
      if (!validValue(value)) return `invalid value of ${name}`;
      out[name] = value;
      continue;
    }
    regular = true;
    if (!validName(name)) return `invalid field name "${name}"`;
    if (!validValue(value)) return `invalid value of ${name}`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'TE other than "trailers"';
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (typeof prior === 'string') out[name] = [prior, value];
    else prior.push(value);
  }
  if (!trailers) {
    if (out[':method'] === undefined || out[':scheme'] === undefined || out[':path'] === undefined) return 'missing :method, :scheme or :path';
    if (out[':path'] === '') return 'empty :path';
  }
  return out;
}
