// Owns the on-disk encoding of message records: a 4-byte big-endian header length,
// a UTF-8 JSON header (every field but the body), then the body bytes untouched.
// Bodies are stored once and never re-encoded (no base64, no copies per check).

export function encodeRecord<T extends { body: Buffer }>(record: T): Buffer {
  const { body, ...header } = record;
  const head = JSON.stringify(header);
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(4 + headLength + body.length);
  out.writeUInt32BE(headLength, 0);
  out.write(head, 4, 'utf8');
  body.copy(out, 4 + headLength);
  return out;
}

export function decodeRecord<T extends { body: Buffer }>(buf: Uint8Array): T {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const headLength = b.readUInt32BE(0);
  const header = JSON.parse(b.subarray(4, 4 + headLength).toString('utf8')) as Omit<T, 'body'>;
  return { ...header, body: Buffer.from(b.subarray(4 + headLength)) } as T;
}
