// The history record of an attempt (message-index.ts): the binary form of format 7 reads back
// what was written — with and without a client id (multi-byte characters included), before and
// after the attempt ended, each outcome — a client id past the u16 length keeps the JSON form,
// and JSON records of earlier formats read as they are.
import { describe, expect, it } from 'vitest';
import type { LevelDb } from '../../../../src/store/level/db.js';
import type { StoredInflight } from '../../../../src/store/level/inflight-codec.js';
import { attemptEndOp, attemptOverOp, readAttemptValue } from '../../../../src/store/level/message-index.js';

const d = { deliveries: {} } as unknown as LevelDb;
const T = 1_764_000_000_123;
const entry = (over: Partial<StoredInflight> = {}): StoredInflight => ({ offset: 7, attempt: 2, visibleAtMs: T + 30_000, token: 'abcdefabcdef', atMs: T, ...over });

describe('delivery history records', () => {
  it('binary: delivery time, client id and how the attempt ended read back', () => {
    for (const clientId of [undefined, '', 'client-1@host', 'klïent-😀']) {
      const e = entry(clientId === undefined ? {} : { clientId });
      const over = attemptOverOp(d, 't', 0, 'g', e)!.value!;
      expect(over[0]).toBe(0x01);
      expect(readAttemptValue(over)).toEqual({ deliveredAtMs: T, ...(clientId === undefined ? {} : { clientId }) });
      for (const outcome of ['ACKED', 'DEAD_LETTERED'] as const) {
        const ended = attemptEndOp(d, 't', 0, 'g', e, { outcome, atMs: T + 5 }).value!;
        expect(ended[0]).toBe(0x01);
        expect(readAttemptValue(ended)).toEqual({ deliveredAtMs: T, ...(clientId === undefined ? {} : { clientId }), outcome, atMs: T + 5 });
      }
    }
  });

  it('a client id too long for the binary form keeps the JSON form; JSON records read as they are', () => {
    const clientId = 'c'.repeat(30_000);
    const value = attemptEndOp(d, 't', 0, 'g', entry({ clientId }), { outcome: 'ACKED', atMs: T + 1 }).value!;
    expect(value.toString('utf8', 0, 1)).toBe('{');
    expect(readAttemptValue(value)).toEqual({ deliveredAtMs: T, clientId, outcome: 'ACKED', atMs: T + 1 });
    expect(readAttemptValue(Buffer.from(JSON.stringify({ deliveredAtMs: T, clientId: 'old' })))).toEqual({ deliveredAtMs: T, clientId: 'old' });
  });
});
