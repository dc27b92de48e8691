// The console's body preview: JSON pretty-printed, text as it is, anything else (invalid UTF-8,
// control bytes) as hex; a body over BODY_PREVIEW_BYTES previewed by its first part, never parsed
// as JSON. And a transaction's audit trail in order: received, checks, abandoned or decided.
import { describe, expect, it } from 'vitest';
import { BODY_PREVIEW_BYTES, bodyPreview, decisionView, halfView } from '../../../src/ops/console/views.js';

describe('console body preview', () => {
  it('pretty-prints JSON, keeps text, shows binary as hex', () => {
    expect(bodyPreview(Buffer.from('{"a":1}'))).toEqual({ size: 7, format: 'json', preview: '{\n  "a": 1\n}', truncated: false });
    expect(bodyPreview(Buffer.from('héllo\nworld'))).toMatchObject({ format: 'text', preview: 'héllo\nworld' });
    expect(bodyPreview(Buffer.from([0xc3, 0x28]))).toMatchObject({ format: 'hex', preview: 'c3 28' });
    expect(bodyPreview(Buffer.from('a\u0001b'))).toMatchObject({ format: 'hex', preview: '61 01 62' });
    expect(bodyPreview(Buffer.alloc(0))).toMatchObject({ size: 0, format: 'text', preview: '' });
  });

  it('previews the first part of a large body', () => {
    const big = Buffer.from(JSON.stringify({ data: 'x'.repeat(BODY_PREVIEW_BYTES) }));
    const p = bodyPreview(big);
    expect(p).toMatchObject({ size: big.length, format: 'text', truncated: true });
    expect(p.preview).toHaveLength(BODY_PREVIEW_BYTES);
    // A character cut by the preview's end is left out, and the rest is still text.
    const cut = bodyPreview(Buffer.from(`a${'é'.repeat(BODY_PREVIEW_BYTES)}`));
    expect(cut).toMatchObject({ format: 'text', truncated: true, preview: `a${'é'.repeat(BODY_PREVIEW_BYTES / 2 - 1)}` });
  });
});

describe('console audit trail', () => {
  const message = {
    topic: 'T',
    messageId: 'M1',
    messageType: 'TRANSACTION' as const,
    body: Buffer.from('b'),
    keys: ['k'],
    userProperties: {},
    bornTimestampMs: 1,
    bornHost: 'h',
  };

  it('lists an abandoned transaction: received, each check, abandoned with the reason', () => {
    const v = halfView({
      transactionId: 'M1',
      message,
      producerGroup: 'T',
      senderClientId: 'p1',
      receivedAtMs: 10,
      state: 'ABANDONED',
      budget: 'checks',
      checkCount: 2,
      nextCheckAtMs: 99,
      lastCheckAtMs: 30,
      abandonReason: 'no decision after 2 checks',
      checks: [
        { atMs: 20, clientId: 'p1' },
        { atMs: 30, clientId: 'p2' },
      ],
    });
    expect(v.nextCheckAtMs).toBeNull();
    expect(v.trail.map((e) => [e.atMs, e.kind, e.text])).toEqual([
      [10, 'received', 'half message received from p1'],
      [20, 'check', 'check sent to producer p1'],
      [30, 'check', 'check sent to producer p2'],
      [30, 'abandoned', 'abandoned: no decision after 2 checks'],
    ]);
  });

  it('ends a decided transaction with who decided it', () => {
    const v = decisionView({
      transactionId: 'M1',
      topic: 'T',
      messageId: 'M1',
      state: 'COMMITTED',
      source: 'SERVER_CHECK',
      receivedAtMs: 10,
      decidedAtMs: 40,
      checkCount: 1,
      checks: [{ atMs: 20, clientId: 'p1' }],
      offset: 7,
    });
    expect(v.trail.at(-1)).toEqual({ atMs: 40, kind: 'decided', text: 'committed by SERVER_CHECK, stored at offset 7' });
    expect(v).toMatchObject({ decidedBy: 'SERVER_CHECK', decidedAtMs: 40, state: 'COMMITTED' });
  });
});
