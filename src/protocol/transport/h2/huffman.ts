// Owns HPACK's Huffman coding (RFC 7541 §5.2, the code of Appendix B in huffman-table.ts): a
// decoder that walks the code four bits at a time through a table built once from the code (the
// states are the code tree's inner nodes; a nibble emits at most one symbol, since no code is
// shorter than five bits), refusing EOS in the data and padding that is longer than seven bits or
// not all ones; and an encoder, for peers that want smaller header blocks.
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.js';

const EOS = 256;

/** Per state and nibble: the next state. */
const NEXT = new Uint8Array(256 * 16);
/** Per state and nibble: the symbol emitted (-1: none; EOS: a decoding error). */
const EMIT = new Int16Array(256 * 16);
/** Per state: whether the string may end there (the bits since the last symbol are a prefix of EOS, at most 7). */
const ACCEPT = new Uint8Array(256);

function buildTables(): void {
  // The code tree: inner nodes 0..255 (0 the root); children >= 0 are inner nodes, < 0 leaves (-1 - symbol).
  const child = new Int32Array(256 * 2).fill(0x7fffffff);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = (code >>> i) & 1;
      const slot = node * 2 + bit;
      if (i === 0) child[slot] = -1 - sym;
      else {
        if (child[slot] === 0x7fffffff) child[slot] = nodes++;
        node = child[slot]!;
      }
    }
  }
  // Accepting states: the root and the all-ones path below it, up to 7 bits deep.
  let node = 0;
  for (let depth = 0; depth < 8 && node >= 0; depth++) {
    ACCEPT[node] = 1;
    node = child[node * 2 + 1]!;
  }
  for (let state = 0; state < nodes; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let s = state;
      let emitted = -1;
      for (let i = 3; i >= 0; i--) {
        const next = child[s * 2 + ((nibble >>> i) & 1)]!;
        if (next < 0) {
          const sym = -1 - next;
          emitted = emitted === -1 ? sym : EOS; // two symbols in a nibble cannot happen; EOS marks an error
          s = 0;
        } else s = next;
      }
      NEXT[state * 16 + nibble] = s;
      EMIT[state * 16 + nibble] = emitted;
    }
  }
}
buildTables();

let scratch = Buffer.allocUnsafe(4096);

/** Decodes `length` Huffman-coded bytes of `src` from `start` (latin1 text); undefined when invalid. */
export function huffmanDecode(src: Buffer, start: number, length: number): string | undefined {
  // Each byte yields at most 8/5 symbols.
  const max = Math.ceil((length * 8) / 5);
  if (scratch.length < max) scratch = Buffer.allocUnsafe(Math.max(max, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  const end = start + length;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let at = state * 16 + (byte >>> 4);
    let sym = EMIT[at]!;
    if (sym >= 0) {
      if (sym === EOS) return undefined;
      out[n++] = sym;
    }
    state = NEXT[at]!;
    at = state * 16 + (byte & 15);
    sym = EMIT[at]!;
    if (sym >= 0) {
      if (sym === EOS) return undefined;
      out[n++] = sym;
    }
    state = NEXT[at]!;
  }
  if (ACCEPT[state] !== 1) return undefined;
  return out.toString('latin1', 0, n);
}

/** The Huffman-coded length in bytes of latin1 `text`. */
export function huffmanLength(text: string): number {
  let bits = 0;
  for (let i = 0; i < text.length; i++) bits += HUFFMAN_LENGTHS[text.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/** Writes latin1 `text` Huffman-coded into `dst` at `at` (padded with ones); returns the offset after it. */
export function huffmanEncode(text: string, dst: Uint8Array, at: number): number {
  let acc = 0; // pending bits, right-aligned
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const sym = text.charCodeAt(i) & 0xff;
    const len = HUFFMAN_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    // Codes are up to 30 bits: push them in two halves to keep the accumulator within 32 bits.
    if (len > 16) {
      acc = ((acc << (len - 16)) | (code >>> 16)) >>> 0;
      bits += len - 16;
      while (bits >= 8) {
        bits -= 8;
        dst[at++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
      acc = ((acc << 16) | (code & 0xffff)) >>> 0;
      bits += 16;
    } else {
      acc = ((acc << len) | code) >>> 0;
      bits += len;
    }
    while (bits >= 8) {
      bits -= 8;
      dst[at++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) dst[at++] = ((acc << (8 - bits)) | (0xff >>> bits)) & 0xff;
  return at;
}
