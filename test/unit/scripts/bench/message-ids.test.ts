// The load generators' message ids (scripts/bench/raw-grpc.ts messageIdFactory): 34 upper-case
// hex characters, one random prefix per factory and the sequence number in the last 16 digits,
// unique and in order across the 65,536-id steps where the upper digits are formatted again.
import { describe, expect, it } from 'vitest';
import { messageIdFactory } from '../../../../scripts/bench/raw-grpc.js';

describe('messageIdFactory', () => {
  it('gives the sequence number in 16 hex digits after a fixed 18-character prefix', () => {
    const next = messageIdFactory();
    const ids = Array.from({ length: 200_000 }, () => next());
    const prefix = ids[0]!.slice(0, 18);
    expect(prefix).toMatch(/^01[0-9A-F]{16}$/);
    ids.forEach((id, seq) => {
      expect(id).toHaveLength(34);
      expect(id.slice(0, 18)).toBe(prefix);
      expect(id.slice(18)).toBe(seq.toString(16).toUpperCase().padStart(16, '0'));
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives each factory its own prefix', () => {
    expect(messageIdFactory()().slice(0, 18)).not.toBe(messageIdFactory()().slice(0, 18));
  });
});
