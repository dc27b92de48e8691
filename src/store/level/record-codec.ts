// Owns the on-disk encoding of message records (log, half-message bodies, DELAY messages): a
// binary header of the message fields, then the body bytes untouched. Bodies are stored once
// and never re-encoded (no base64, no copies per check).
//
// Binary record (storage format 5): byte 0xB1, a 16-bit little-endian presence mask, then each
// present field in the order of FIELDS (strings: 32-bit LE byte length + UTF-8; numbers: float64
// LE; string lists: 32-bit count + strings; userProperties: 32-bit count + key/value strings),
// then the body. A committed transaction's id is usually its message id: a mask bit says so
// instead of storing it twice. Fields outside FIELDS (a dead-letter origin, …), or of another
// type than usual, go into one JSON object (the last mask bit), so every record round-trips.
// A quarter of the header bytes of JSON, and about half its CPU to encode and decode.
//
// JSON record (formats up to 4, still read): a 4-byte big-endian header length (its first byte is
// 0: no header reaches 16 MiB), the UTF-8 JSON header with every field but the body, the body.
// decodeRecord reads both; nothing rewrites old records.

const BINARY = 0xb1;

type Kind = 'string' | 'number' | 'strings' | 'properties';

/** The fields of the binary header, in mask-bit order (bit 13 is TX_IS_ID, bit 15 EXTRA). */
const FIELDS: readonly (readonly [name: string, kind: Kind])[] = [
  ['topic', 'string'],
  ['messageId', 'string'],
  ['messageType', 'string'],
  ['tag', 'string'],
  ['keys', 'strings'],
  ['messageGroup', 'string'],
  ['userProperties', 'properties'],
  ['bornTimestampMs', 'number'],
  ['bornHost', 'string'],
  ['deliveryTimestampMs', 'number'],
  ['queueId', 'number'],
  ['offset', 'number'],
  ['storeTimestampMs', 'number'],
];
const TX_IS_ID = 1 << 13;
const TX_ID = 1 << 14;
const EXTRA = 1 << 15;
const BIT = new Map<string, number>(FIELDS.map(([name], bit) => [name, 1 << bit]));

function isProperties(v: unknown): v is Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const k in v) if (typeof (v as Record<string, unknown>)[k] !== 'string') return false;
  return true;
}

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string');
    case 'properties':
      return isProperties(v);
  }
}

/** Upper bound of a string's UTF-8 bytes plus its length prefix. */
const strCap = (s: string): number => 4 + 3 * s.length;

export function encodeRecord<T extends { body: Buffer }>(record: T): Buffer {
  const r = record as unknown as Record<string, unknown>;
  let mask = 0;
  let cap = 3;
  let present = 0;
  for (let bit = 0; bit < FIELDS.length; bit++) {
    const [name, kind] = FIELDS[bit]!;
    const v = r[name];
    if (v === undefined || !fits(kind, v)) continue;
    mask |= 1 << bit;
    present++;
    if (kind === 'string') cap += strCap(v as string);
    else if (kind === 'number') cap += 8;
    else if (kind === 'strings') {
      cap += 4;
      for (const s of v as string[]) cap += strCap(s);
    } else {
      cap += 4;
      const props = v as Record<string, string>;
      for (const k in props) cap += strCap(k) + strCap(props[k]!);
    }
  }
  const tx = r.transactionId;
  if (typeof tx === 'string') {
    present++;
    if (tx === r.messageId) mask |= TX_IS_ID;
    else {
      mask |= TX_ID;
      cap += strCap(tx);
    }
  }
  let extra: string | undefined;
  let fields = 0;
  for (const k in r) if (r[k] !== undefined) fields++;
  if (fields > present + 1) {
    const rest: Record<string, unknown> = {};
    for (const k in r) {
      const v = r[k];
      if (v === undefined || k === 'body' || (k === 'transactionId' && typeof v === 'string') || mask & (BIT.get(k) ?? 0)) continue;
      rest[k] = v;
    }
    extra = JSON.stringify(rest);
    mask |= EXTRA;
    cap += strCap(extra);
  }
  const body = record.body;
  const out = Buffer.allocUnsafe(cap + body.length);
  out[0] = BINARY;
  out.writeUInt16LE(mask, 1);
  let o = 3;
  const str = (s: string): void => {
    const n = out.write(s, o + 4, 'utf8');
    out.writeUInt32LE(n, o);
    o += 4 + n;
  };
  for (let bit = 0; bit < FIELDS.length; bit++) {
    if (!(mask & (1 << bit))) continue;
    const [name, kind] = FIELDS[bit]!;
    const v = r[name];
    if (kind === 'string') str(v as string);
    else if (kind === 'number') o = out.writeDoubleLE(v as number, o);
    else if (kind === 'strings') {
      o = out.writeUInt32LE((v as string[]).length, o);
      for (const s of v as string[]) str(s);
    } else {
      const props = v as Record<string, string>;
      const countAt = o;
      o += 4;
      let count = 0;
      for (const k in props) {
        str(k);
        str(props[k]!);
        count++;
      }
      out.writeUInt32LE(count, countAt);
    }
  }
  if (mask & TX_ID) str(tx as string);
  if (extra !== undefined) str(extra);
  o += body.copy(out, o);
  return out.subarray(0, o);
}

export function decodeRecord<T extends { body: Buffer }>(buf: Uint8Array): T {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b[0] !== BINARY) return decodeJsonRecord<T>(b);
  const mask = b.readUInt16LE(1);
  let o = 3;
  const str = (): string => {
    const n = b.readUInt32LE(o);
    const s = b.toString('utf8', o + 4, o + 4 + n);
    o += 4 + n;
    return s;
  };
  const r: Record<string, unknown> = {};
  for (let bit = 0; bit < FIELDS.length; bit++) {
    if (!(mask & (1 << bit))) continue;
    const [name, kind] = FIELDS[bit]!;
    if (kind === 'string') r[name] = str();
    else if (kind === 'number') {
      r[name] = b.readDoubleLE(o);
      o += 8;
    } else if (kind === 'strings') {
      const count = b.readUInt32LE(o);
      o += 4;
      const list: string[] = [];
      for (let i = 0; i < count; i++) list.push(str());
      r[name] = list;
    } else {
      const count = b.readUInt32LE(o);
      o += 4;
      const props: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const k = str();
        const v = str();
        // A user property named __proto__ stays a property (as JSON.parse makes it), not the prototype.
        if (k === '__proto__') Object.defineProperty(props, k, { value: v, enumerable: true, writable: true, configurable: true });
        else props[k] = v;
      }
      r[name] = props;
    }
  }
  if (mask & TX_IS_ID) r.transactionId = r.messageId;
  else if (mask & TX_ID) r.transactionId = str();
  if (mask & EXTRA) Object.assign(r, JSON.parse(str()) as Record<string, unknown>);
  r.body = Buffer.from(b.subarray(o));
  return r as unknown as T;
}

/** A record of storage formats up to 4 (JSON header). */
function decodeJsonRecord<T extends { body: Buffer }>(b: Buffer): T {
  const headLength = b.readUInt32BE(0);
  const header = JSON.parse(b.subarray(4, 4 + headLength).toString('utf8')) as Omit<T, 'body'>;
  return { ...header, body: Buffer.from(b.subarray(4 + headLength)) } as T;
}
