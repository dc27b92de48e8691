// The load generators' HPACK (RFC 7541) of their HTTP/2 client (lean-h2.ts), around the broker's
// own codec (src/protocol/transport/h2/hpack.ts): request header fields entered in the server's
// dynamic table the first time and sent as 1-byte indexes after that (as nghttp2-based clients
// do), the block of a field list kept while the table does not change; and response header
// blocks decoded once per distinct block while nothing is in our dynamic table.
import { HpackDecoder, writeInt, writeString } from '../../src/protocol/transport/h2/hpack.js';
import { staticNameIndex } from '../../src/protocol/transport/h2/static-table.js';

/** Response header blocks kept decoded: at most this many, of at most this many bytes. */
const MAX_CACHED_BLOCKS = 16;
const MAX_CACHED_BLOCK = 256;

/**
 * Request header fields as a block: a field seen before is an index into the server's dynamic
 * table; a new one is a literal with incremental indexing while the table has room (entries are
 * never evicted: their indexes stay valid), a literal without indexing after that.
 */
export class IndexingEncoder {
  /** name\0value → insertion number. */
  private readonly inserted = new Map<string, number>();
  private size = 0;

  /** `tableSize`: the server's SETTINGS_HEADER_TABLE_SIZE (its default, 4096: we never ask). */
  constructor(private readonly tableSize: number) {}
  /**
   * The block of a field list (by identity) that inserted nothing, and the insertion count it was
   * written at: the same list gives the same bytes while no other list inserts an entry.
   */
  private readonly blocks = new WeakMap<readonly (readonly [string, string])[], { count: number; block: Buffer }>();

  encode(fields: readonly (readonly [string, string])[]): Buffer {
    const cached = this.blocks.get(fields);
    if (cached && cached.count === this.inserted.size) return cached.block;
    const before = this.inserted.size;
    const block = this.encodeFields(fields);
    if (this.inserted.size === before) this.blocks.set(fields, { count: before, block });
    return block;
  }

  private encodeFields(fields: readonly (readonly [string, string])[]): Buffer {
    let max = 0;
    for (const [n, v] of fields) max += n.length + v.length + 12;
    const out = Buffer.allocUnsafe(max);
    let at = 0;
    for (const [name, value] of fields) {
      const key = `${name}\0${value}`;
      const seen = this.inserted.get(key);
      if (seen !== undefined) {
        at = writeInt(out, at, 0x80, 7, 62 + (this.inserted.size - 1 - seen));
        continue;
      }
      const entry = name.length + value.length + 32;
      const index = this.size + entry <= this.tableSize;
      const nameIndex = staticNameIndex(name);
      at = writeInt(out, at, index ? 0x40 : 0x00, index ? 6 : 4, nameIndex);
      if (nameIndex === 0) at = writeString(out, at, name, false);
      at = writeString(out, at, value, false);
      if (index) {
        this.inserted.set(key, this.inserted.size);
        this.size += entry;
      }
    }
    return out.subarray(0, at);
  }
}

/**
 * Response header blocks to fields (name, value, ...). The broker writes static indexes and
 * literals without indexing, so while the dynamic table is empty a block that leaves it empty
 * (and does not start with a table size update) decodes to the same fields whenever it comes
 * again: those are kept by their bytes (a few distinct blocks: headers, OK trailers) and shared.
 */
export class ResponseHeaderDecoder {
  private readonly hpack: HpackDecoder;
  /** Blocks kept (their own copy of the bytes) and their fields. */
  private readonly blocks: Buffer[] = [];
  private readonly fields: (readonly string[])[] = [];

  constructor(
    tableSize: number,
    private readonly maxListSize: number,
  ) {
    this.hpack = new HpackDecoder(tableSize);
  }

  /** The fields of `bytes` (shared between calls: read only); throws as HpackDecoder does. */
  decode(bytes: Buffer): readonly string[] {
    const n = bytes.length;
    const pure = this.hpack.size === 0 && n > 0 && n <= MAX_CACHED_BLOCK && (bytes[0]! & 0xe0) !== 0x20;
    if (!pure) return this.hpack.decode(bytes, this.maxListSize);
    for (let i = 0; i < this.blocks.length; i++) if (same(this.blocks[i]!, bytes)) return this.fields[i]!;
    const fields = this.hpack.decode(bytes, this.maxListSize);
    if (this.hpack.size === 0 && this.blocks.length < MAX_CACHED_BLOCKS) {
      this.blocks.push(Buffer.from(bytes));
      this.fields.push(fields);
    }
    return fields;
  }
}

/** Whether two short blocks hold the same bytes. */
function same(a: Buffer, b: Buffer): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
