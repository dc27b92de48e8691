// Owns the field forms the binary records of half-codec.ts and decision-codec.ts share: strings
// (32-bit LE byte length + UTF-8, as record-codec.ts's writeStr writes them), 32-bit counts,
// float64 times, lists of strings (message keys) and of checks (time, client id), read through a
// cursor that refuses to read past the record's end; and the lenient form of a decoder.
import type { CheckRecord } from '../../domain/transactions.js';
import { writeStr } from './record-codec.js';

/** Where reading a record is; `what` names the record in the errors. */
export interface Cursor {
  at: number;
  readonly what: string;
}

export function readStr(b: Buffer, r: Cursor): string {
  const n = readU32(b, r);
  const end = r.at + n;
  if (end > b.length) throw new RangeError(`${r.what} of ${b.length} bytes is truncated`);
  const s = b.toString('utf8', r.at, end);
  r.at = end;
  return s;
}

export function readU32(b: Buffer, r: Cursor): number {
  const n = b.readUInt32LE(r.at);
  r.at += 4;
  return n;
}

export function readF64(b: Buffer, r: Cursor): number {
  const n = b.readDoubleLE(r.at);
  r.at += 8;
  return n;
}

/** Throws unless the whole record was read. */
export function assertEnd(b: Buffer, r: Cursor): void {
  if (r.at !== b.length) throw new RangeError(`${r.what} of ${b.length} bytes has ${b.length - r.at} bytes left over`);
}

/** Bytes of a string in a record. */
export const strBytes = (s: string): number => 4 + Buffer.byteLength(s, 'utf8');

/** Bytes of a list of strings: its length, then each string. */
export function stringsBytes(list: readonly string[]): number {
  let size = 4;
  for (const s of list) size += strBytes(s);
  return size;
}

export function writeStrings(b: Buffer, at: number, list: readonly string[]): number {
  at = b.writeUInt32LE(list.length, at);
  for (const s of list) at = writeStr(b, at, s);
  return at;
}

export function readStrings(b: Buffer, r: Cursor): string[] {
  const n = readU32(b, r);
  const list: string[] = [];
  for (let i = 0; i < n; i++) list.push(readStr(b, r));
  return list;
}

/** Bytes of a list of checks: its length, then each time and client id. */
export function checksBytes(checks: readonly CheckRecord[]): number {
  let size = 4;
  for (const c of checks) size += 8 + strBytes(c.clientId);
  return size;
}

export function writeChecks(b: Buffer, at: number, checks: readonly CheckRecord[]): number {
  at = b.writeUInt32LE(checks.length, at);
  for (const c of checks) {
    at = b.writeDoubleLE(c.atMs, at);
    at = writeStr(b, at, c.clientId);
  }
  return at;
}

export function readChecks(b: Buffer, r: Cursor): CheckRecord[] {
  const n = readU32(b, r);
  const checks: CheckRecord[] = [];
  for (let i = 0; i < n; i++) {
    const atMs = readF64(b, r);
    checks.push({ atMs, clientId: readStr(b, r) });
  }
  return checks;
}

/** Whether `list` is an array of well-formed checks. */
export const isChecks = (list: unknown): list is CheckRecord[] =>
  Array.isArray(list) && list.every((c: Partial<CheckRecord> | null) => typeof c?.atMs === 'number' && typeof c.clientId === 'string');

/** Whether `list` is an array of strings. */
export const isStrings = (list: unknown): list is string[] => Array.isArray(list) && list.every((s) => typeof s === 'string');

/** `decode` that answers undefined for a record it cannot read. */
export function lenient<T extends object>(decode: (transactionId: string, b: Buffer) => T): (transactionId: string, b: Buffer) => T | undefined {
  return (transactionId, b) => {
    try {
      const v = decode(transactionId, b);
      return typeof v === 'object' && v !== null ? v : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Whether `n` fits a 32-bit count. */
export const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;

/** Whether an optional text field is absent or a string. */
export const isText = (s: unknown): boolean => s === undefined || typeof s === 'string';
