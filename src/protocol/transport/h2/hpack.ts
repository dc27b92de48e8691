// Owns HPACK (RFC 7541), both directions, for either side of a connection. HpackDecoder reads a
// header block into name/value pairs: indexed fields, literals with and without indexing and
// never indexed, Huffman or raw strings, the dynamic table with its evictions and size updates
// (bounded by the table size we announced, updates only at the start of a block), and a bound on
// the header list size (RFC 9113 §6.5.2: names + values + 32 per field), so a small block that
// indexes a large entry many times is refused too. Every malformed block is an HpackError
// (COMPRESSION_ERROR at the connection); a list over the bound is HeaderListTooLarge. HpackEncoder
// writes literals without indexing (static name indexes, whole static fields indexed, optional
// Huffman): it keeps no dynamic table, so a block can be encoded once and sent on any connection.
import { huffmanDecode, huffmanEncode, huffmanLength } from './huffman.js';
import { STATIC_TABLE, staticNameIndex, staticPairIndex } from './static-table.js';

export class HpackError extends Error {}
export class HeaderListTooLarge extends Error {}

const STATIC_COUNT = STATIC_TABLE.length;
const ENTRY_OVERHEAD = 32;

interface Entry {
  name: string;
  value: string;
  size: number;
}

const STATIC_ENTRIES: readonly Entry[] = STATIC_TABLE.map(([name, value]) => ({ name, value, size: name.length + value.length + ENTRY_OVERHEAD }));

export class HpackDecoder {
  /** Newest first. */
  private readonly entries: Entry[] = [];
  private tableSize = 0;
  private maxSize: number;

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE we announced (the table starts at it). */
  constructor(private readonly limit = 4096) {
    this.maxSize = limit;
  }

  /** Bytes the dynamic table holds now (RFC 7541 §4.1). */
  get size(): number {
    return this.tableSize;
  }

  /**
   * Decodes `block` into `out` as name, value, name, value...; throws HpackError or
   * HeaderListTooLarge (after which the table is out of step with the peer: end the connection).
   */
  decode(block: Buffer, maxListSize: number, out: string[] = []): string[] {
    const end = block.length;
    let at = 0;
    let listSize = 0;
    let fields = false;
    while (at < end) {
      const b = block[at]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        // Indexed field (§6.1).
        const r = readInt(block, at, 7);
        at = r.next;
        const e = this.entry(r.value);
        name = e.name;
        value = e.value;
      } else if ((b & 0xe0) === 0x20) {
        // Dynamic table size update (§6.3): only before the first field.
        if (fields) throw new HpackError('table size update after a field');
        const r = readInt(block, at, 5);
        at = r.next;
        if (r.value > this.limit) throw new HpackError(`table size update to ${r.value}, over ${this.limit}`);
        this.maxSize = r.value;
        this.evict(0);
        continue;
      } else {
        // Literal (§6.2): with incremental indexing (01), without (0000) or never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        const r = readInt(block, at, indexing ? 6 : 4);
        at = r.next;
        if (r.value === 0) {
          const s = readString(block, at);
          name = s.text;
          at = s.next;
        } else name = this.entry(r.value).name;
        const s = readString(block, at);
        value = s.text;
        at = s.next;
        if (indexing) this.insert(name, value);
      }
      fields = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > maxListSize) throw new HeaderListTooLarge(`header list over ${maxListSize} bytes`);
      out.push(name, value);
    }
    return out;
  }

  private entry(index: number): Entry {
    if (index === 0) throw new HpackError('index 0');
    const e = index <= STATIC_COUNT ? STATIC_ENTRIES[index - 1] : this.entries[index - STATIC_COUNT - 1];
    if (!e) throw new HpackError(`index ${index} past the tables`);
    return e;
  }

  private insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.maxSize) {
      // An entry larger than the table empties it (§4.4).
      this.entries.length = 0;
      this.tableSize = 0;
      return;
    }
    this.evict(size);
    this.entries.unshift({ name, value, size });
    this.tableSize += size;
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.tableSize + room > this.maxSize && this.entries.length > 0) this.tableSize -= this.entries.pop()!.size;
  }
}

const intResult = { value: 0, next: 0 };

/** An HPACK integer with an N-bit prefix at `at` (§5.1); at most 2^28 (no block needs more). */
function readInt(src: Buffer, at: number, prefix: number): { value: number; next: number } {
  const mask = (1 << prefix) - 1;
  let value = src[at++]! & mask;
  if (value === mask) {
    let shift = 0;
    for (;;) {
      if (at >= src.length) throw new HpackError('truncated integer');
      const b = src[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
      if (shift > 28) throw new HpackError('integer too large');
    }
  }
  intResult.value = value;
  intResult.next = at;
  return intResult;
}

const strResult = { text: '', next: 0 };

/** A string literal at `at` (§5.2): Huffman or raw octets (as latin1). */
function readString(src: Buffer, at: number): { text: string; next: number } {
  if (at >= src.length) throw new HpackError('missing string');
  const huffman = (src[at]! & 0x80) !== 0;
  const r = readInt(src, at, 7);
  const start = r.next;
  const length = r.value;
  if (start + length > src.length) throw new HpackError('string past the block');
  let text: string | undefined;
  if (huffman) {
    text = huffmanDecode(src, start, length);
    if (text === undefined) throw new HpackError('invalid Huffman string');
  } else text = src.toString('latin1', start, start + length);
  strResult.text = text;
  strResult.next = start + length;
  return strResult;
}

/** One header field to encode; values are latin1 (HTTP/2 field values are octets). */
export type HeaderField = readonly [name: string, value: string];

export interface EncodeOptions {
  /** Huffman-code strings where that is shorter (default: no). */
  huffman?: boolean;
  /** Begin with a dynamic table size update to this size (after the peer lowered its table size). */
  tableSizeUpdate?: number;
}

export class HpackEncoder {
  constructor(private readonly options: EncodeOptions = {}) {}

  /** The header block of `fields`: static indexes where a field or name is in the static table, literals without indexing otherwise. */
  encode(fields: readonly HeaderField[], options: EncodeOptions = this.options): Buffer {
    const huffman = options.huffman === true;
    let max = 8;
    for (const [n, v] of fields) max += n.length + v.length + 12;
    const out = Buffer.allocUnsafe(max);
    let at = 0;
    if (options.tableSizeUpdate !== undefined) at = writeInt(out, at, 0x20, 5, options.tableSizeUpdate);
    for (const [name, value] of fields) {
      const pair = staticPairIndex(name, value);
      if (pair !== 0) {
        at = writeInt(out, at, 0x80, 7, pair);
        continue;
      }
      const index = staticNameIndex(name);
      at = writeInt(out, at, 0x00, 4, index);
      if (index === 0) at = writeString(out, at, name, huffman);
      at = writeString(out, at, value, huffman);
    }
    return out.subarray(0, at);
  }
}

/** Writes an integer with an N-bit prefix (§5.1); `first` holds the bits above the prefix. */
export function writeInt(dst: Buffer, at: number, first: number, prefix: number, value: number): number {
  const mask = (1 << prefix) - 1;
  if (value < mask) {
    dst[at++] = first | value;
    return at;
  }
  dst[at++] = first | mask;
  let rest = value - mask;
  while (rest >= 128) {
    dst[at++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  dst[at++] = rest;
  return at;
}

/** Writes a string literal (§5.2): Huffman-coded when `huffman` and that is shorter, raw otherwise. */
export function writeString(dst: Buffer, at: number, text: string, huffman: boolean): number {
  if (huffman) {
    const len = huffmanLength(text);
    if (len < text.length) {
      at = writeInt(dst, at, 0x80, 7, len);
      return huffmanEncode(text, dst, at);
    }
  }
  at = writeInt(dst, at, 0x00, 7, text.length);
  return at + dst.write(text, at, 'latin1');
}
