// Owns HPACK's static table (RFC 7541 Appendix A): the 61 predefined header fields, indexed from
// 1, and the lookups the encoder uses (index of a name, index of a name with its value).

/** [name, value] of static index i + 1. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

const byName = new Map<string, number>();
const byPair = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!byName.has(name)) byName.set(name, i + 1);
  if (value !== '') byPair.set(`${name}\0${value}`, i + 1);
});

/** The static index of `name` (its first entry); 0 when absent. */
export function staticNameIndex(name: string): number {
  return byName.get(name) ?? 0;
}

/** The static index of `name` with `value`; 0 when absent. */
export function staticPairIndex(name: string, value: string): number {
  return byPair.get(`${name}\0${value}`) ?? 0;
}
