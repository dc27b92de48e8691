// The in-flight record encoding of the LevelDB backend: every field survives the binary form,
// JSON records of format 4 are still read, and strings too long for the binary form's lengths
// fall back to JSON.
import { describe, expect, it } from 'vitest';
import { decodeInflight, encodeInflight, type StoredInflight } from '../../../../src/store/level/inflight-codec.js';

const full: StoredInflight = {
  offset: 42,
  attempt: 3,
  visibleAtMs: 1_796_310_258_193,
  token: '0123456789ab',
  messageGroup: 'order-ü-7',
  renew: { clientId: 'push-1@host', sinceMs: 1_796_310_250_000, brokerId: 'broker-2' },
  firstAtMs: 1_796_310_200_000,
  atMs: 1_796_310_258_000,
  clientId: 'client-✓',
};

describe('in-flight record encoding', () => {
  it('round-trips every field, and each optional one on its own, in the binary form', () => {
    const b = encodeInflight(full);
    expect(b[0]).toBe(0x01);
    expect(b.length).toBeLessThan(Buffer.byteLength(JSON.stringify(full)));
    expect(decodeInflight(b, 42)).toEqual(full);
    const waiting: StoredInflight = { offset: 7, attempt: 0, visibleAtMs: 0, token: '' };
    expect(decodeInflight(encodeInflight(waiting), 7)).toEqual(waiting);
    const renewedAnyBroker: StoredInflight = { offset: 8, attempt: 1, visibleAtMs: 5, token: 'ffffffffffff', renew: { clientId: 'c', sinceMs: 1 } };
    expect(decodeInflight(encodeInflight(renewedAnyBroker), 8)).toEqual(renewedAnyBroker);
    const { offset: _o, ...withoutOffset } = full;
    expect(decodeInflight(encodeInflight({ ...full, offset: 1 }), 42)).toEqual({ ...withoutOffset, offset: 42 }); // the key's offset
  });

  it('reads the JSON records of format 4', () => {
    const legacy = { offset: 5, attempt: 1, visibleAtMs: 1000, token: 'aaaaaaaaaaaa', firstAtMs: 900 };
    expect(decodeInflight(Buffer.from(JSON.stringify(legacy)), 5)).toEqual(legacy);
  });

  it('keeps a record with a string too long for a 16-bit length in the JSON form', () => {
    const long: StoredInflight = { ...full, messageGroup: 'g'.repeat(70_000) };
    const b = encodeInflight(long);
    expect(b[0]).toBe('{'.charCodeAt(0));
    expect(decodeInflight(b, 42)).toEqual(long);
  });
});
