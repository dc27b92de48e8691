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

/** The fields of the binary header, in mask-bit order (bit 13 is TX_IS_ID, bit 15 EXTRA); values() and decodeRecord name them in this order. */
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

/** Upper bound of a string's UTF-8 bytes plus its length prefix. */
const strCap = (s: string): number => 4 + 3 * s.length;

/** What encoding a record takes, measured once: its presence mask, an upper bound of its bytes, the JSON of fields outside FIELDS. */
interface Plan {
  mask: number;
  cap: number;
  extra: string | undefined;
}

/**
 * The size a field of `kind` adds when `v` fits it, else -1. Called with each field's name
 * written out (below), so that the property loads stay monomorphic: a loop over FIELDS reading
 * `record[name]` was a megamorphic keyed load per field.
 */
function fieldCap(kind: Kind, v: unknown): number {
  switch (kind) {
    case 'string':
      return typeof v === 'string' ? strCap(v) : -1;
    case 'number':
      return typeof v === 'number' ? 8 : -1;
    case 'strings': {
      if (!Array.isArray(v)) return -1;
      let cap = 4;
      for (const s of v) {
        if (typeof s !== 'string') return -1;
        cap += strCap(s);
      }
      return cap;
    }
    case 'properties': {
      if (!isProperties(v)) return -1;
      let cap = 4;
      for (const k in v) cap += strCap(k) + strCap(v[k]!);
      return cap;
    }
  }
}

/** Field values in FIELDS order (named loads, see fieldCap). */
function values(r: Record<string, unknown>): unknown[] {
  return [
    r.topic,
    r.messageId,
    r.messageType,
    r.tag,
    r.keys,
    r.messageGroup,
    r.userProperties,
    r.bornTimestampMs,
    r.bornHost,
    r.deliveryTimestampMs,
    r.queueId,
    r.offset,
    r.storeTimestampMs,
  ];
}

function plan(r: Record<string, unknown>, v: unknown[]): Plan {
  let mask = 0;
  let cap = 3;
  let present = 0;
  for (let bit = 0; bit < FIELDS.length; bit++) {
    if (v[bit] === undefined) continue;
    const n = fieldCap(FIELDS[bit]![1], v[bit]);
    if (n < 0) continue;
    mask |= 1 << bit;
    present++;
    cap += n;
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
      const x = r[k];
      if (x === undefined || k === 'body' || (k === 'transactionId' && typeof x === 'string') || mask & (BIT.get(k) ?? 0)) continue;
      rest[k] = x;
    }
    extra = JSON.stringify(rest);
    mask |= EXTRA;
    cap += strCap(extra);
  }
  return { mask, cap: cap + (r.body as Buffer).length, extra };
}

/**
 * Writes `s` at `o + 4` with its 32-bit LE byte length at `o`; returns the end. ASCII is copied
 * by a loop (cheaper than a native call for the short strings of a header), anything else by
 * Buffer#write. `out` has room for 4 bytes and the UTF-8 bytes of `s` (strCap(s) bounds them).
 * The string form of the half-message records too (half-codec.ts).
 */
export function writeStr(out: Buffer, o: number, s: string): number {
  const at = o + 4;
  let n = s.length;
  if (n <= 64) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        n = out.write(s, at, 'utf8');
        break;
      }
      out[at + i] = c;
    }
  } else n = out.write(s, at, 'utf8');
  out.writeUInt32LE(n, o);
  return at + n;
}

/** Writes the record as `p` planned it at `o` of `out`; returns the end. */
function write(r: Record<string, unknown>, v: unknown[], p: Plan, out: Buffer, o: number): number {
  const { mask } = p;
  out[o] = BINARY;
  out.writeUInt16LE(mask, o + 1);
  o += 3;
  for (let bit = 0; bit < FIELDS.length; bit++) {
    if (!(mask & (1 << bit))) continue;
    const x = v[bit];
    switch (FIELDS[bit]![1]) {
      case 'string':
        o = writeStr(out, o, x as string);
        break;
      case 'number':
        o = out.writeDoubleLE(x as number, o);
        break;
      case 'strings':
        o = out.writeUInt32LE((x as string[]).length, o);
        for (const s of x as string[]) o = writeStr(out, o, s);
        break;
      case 'properties': {
        const props = x as Record<string, string>;
        const countAt = o;
        o += 4;
        let count = 0;
        for (const k in props) {
          o = writeStr(out, o, k);
          o = writeStr(out, o, props[k]!);
          count++;
        }
        out.writeUInt32LE(count, countAt);
      }
    }
  }
  if (mask & TX_ID) o = writeStr(out, o, r.transactionId as string);
  if (p.extra !== undefined) o = writeStr(out, o, p.extra);
  const body = r.body as Buffer;
  out.set(body, o);
  return o + body.length;
}

export function encodeRecord<T extends { body: Buffer }>(record: T): Buffer {
  return encodeRecords([record])[0]!;
}

/**
 * The records of `records`, in one buffer allocated for all of them (a batch of sends makes one
 * allocation, not one per message); each record is a view of it.
 */
export function encodeRecords<T extends { body: Buffer }>(records: readonly T[]): Buffer[] {
  const vs: unknown[][] = [];
  const plans: Plan[] = [];
  let cap = 0;
  for (const record of records) {
    const r = record as unknown as Record<string, unknown>;
    const v = values(r);
    const p = plan(r, v);
    vs.push(v);
    plans.push(p);
    cap += p.cap;
  }
  const out = Buffer.allocUnsafe(cap);
  const views: Buffer[] = [];
  let o = 0;
  for (let i = 0; i < records.length; i++) {
    const end = write(records[i] as unknown as Record<string, unknown>, vs[i]!, plans[i]!, out, o);
    views.push(out.subarray(o, end));
    o = end;
  }
  return views;
}

/**
 * Reads either form. The binary form's fields are stored by name, in FIELDS order (as values()
 * reads them): a loop storing `r[name]` was a megamorphic keyed store per field.
 */
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
  const num = (): number => {
    o += 8;
    return b.readDoubleLE(o - 8);
  };
  const r: Record<string, unknown> = {};
  if (mask & 0x1) r.topic = str();
  if (mask & 0x2) r.messageId = str();
  if (mask & 0x4) r.messageType = str();
  if (mask & 0x8) r.tag = str();
  if (mask & 0x10) {
    const count = b.readUInt32LE(o);
    o += 4;
    const list: string[] = [];
    for (let i = 0; i < count; i++) list.push(str());
    r.keys = list;
  }
  if (mask & 0x20) r.messageGroup = str();
  if (mask & 0x40) {
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
    r.userProperties = props;
  }
  if (mask & 0x80) r.bornTimestampMs = num();
  if (mask & 0x100) r.bornHost = str();
  if (mask & 0x200) r.deliveryTimestampMs = num();
  if (mask & 0x400) r.queueId = num();
  if (mask & 0x800) r.offset = num();
  if (mask & 0x1000) r.storeTimestampMs = num();
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
