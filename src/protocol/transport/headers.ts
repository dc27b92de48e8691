// Owns reading a call's request headers: the metadata view handlers get (a lazy read of the
// request's header object, h2/request-headers.ts: nothing is copied until a key is asked for;
// `-bin` values are base64-decoded), the grpc-timeout header (all units, at most 8 digits), and which
// content types are gRPC (application/grpc, application/grpc+proto, with or without parameters).
import type { RequestHeaders } from './h2/request-headers.js';
import type { CallMetadata, MetadataValue } from './types.js';

const NONE: MetadataValue[] = [];

/** The headers transport and HTTP/2 keep to themselves, not metadata. */
const RESERVED = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);

export class HeaderMetadata implements CallMetadata {
  constructor(private readonly headers: RequestHeaders) {}

  get(key: string): MetadataValue[] {
    const k = key.toLowerCase();
    if (k.startsWith(':') || RESERVED.has(k)) return NONE;
    const v = this.headers[k];
    if (v === undefined) return NONE;
    const values = Array.isArray(v) ? v : splitValues(v, k);
    return k.endsWith('-bin') ? values.map((s) => Buffer.from(s, 'base64')) : values;
  }
}

/** A `-bin` field may carry several values joined with ',' (gRPC over HTTP/2): split back. */
function splitValues(v: string, key: string): string[] {
  return key.endsWith('-bin') && v.includes(',') ? v.split(',').map((s) => s.trim()) : [v];
}

const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000_001 };

/** A grpc-timeout header in ms; undefined when malformed. */
export function parseTimeout(value: string): number | undefined {
  const n = value.length;
  if (n < 2 || n > 9) return undefined;
  const unit = UNIT_MS[value[n - 1]!];
  if (unit === undefined) return undefined;
  let digits = 0;
  for (let i = 0; i < n - 1; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    digits = digits * 10 + c;
  }
  return digits * unit;
}

/** Whether the content-type names gRPC with protobuf messages. */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith('application/grpc')) return false;
  const rest = value.slice('application/grpc'.length);
  return rest === '' || rest === '+proto' || rest.startsWith(';') || rest.startsWith('+proto;');
}
