// The SendMessageResponse encoder (encode-replies.ts, through DirectWriter) against proto-loader's
// generic serializer: the replies the SendMessage handler builds (shared OK status, error statuses,
// ids, number and decimal-string offsets, absent and empty fields, varint lengths past one byte),
// the rarer shapes (non-ASCII text, negative or fractional offsets, codes by name and number) give
// the generic bytes, and values of the wrong kind throw as the generic serializer does.
import { describe, expect, it } from 'vitest';
import { OK_STATUS, status } from '../../../../src/protocol/status.js';
import { fast, generic, outcome } from './equivalence.js';

function same(reply: Record<string, unknown>): void {
  const mine = outcome(() => Buffer.from(fast('SendMessage').responseSerialize(reply)));
  expect(mine).toEqual(outcome(() => Buffer.from(generic('SendMessage').responseSerialize(reply))));
}

describe('SendMessageResponse encoder', () => {
  it('writes the handler replies (batches of 1 to 200, shared and mixed statuses) as the generic serializer does', () => {
    for (const n of [0, 1, 32, 200]) {
      const entries = Array.from({ length: n }, (_, i) => {
        const id = `01A2B3C4D5E6F7${i.toString(16).toUpperCase().padStart(12, '0')}`;
        return { status: i % 7 === 3 ? status(40402, 'topic not found') : OK_STATUS, message_id: id, transaction_id: id, offset: i * 1_000_003 };
      });
      same({ status: OK_STATUS, entries });
    }
  });

  it('covers absent, empty and long fields, codes by name and number, offsets as numbers and decimal strings', () => {
    const long = 'x'.repeat(200);
    const offsets: unknown[] = [0, -0, 1, 127, 128, 16_383, 16_384, 2 ** 32, 2 ** 53 - 1, '0', '7', '999999999999999', null, undefined];
    for (const offset of offsets) same({ status: OK_STATUS, entries: [{ status: OK_STATUS, message_id: 'm', transaction_id: '', offset }] });
    same({});
    same({ status: null, entries: null });
    same({ status: { code: 20000 }, entries: [] });
    same({ status: { code: 0, message: '' }, entries: [{}] });
    same({ status: { code: 'MULTIPLE_RESULTS', message: long }, entries: [{ status: { code: 40402, message: long }, message_id: long, recall_handle: 'rh' }, []] });
    same({ entries: [{ status: null, message_id: null, transaction_id: 'tx', offset: 5, recall_handle: null }] });
    same({ status: OK_STATUS, entries: [{ status: { code: 2 ** 31 - 1, message: 'big code' }, message_id: 'a'.repeat(20_000) }], extra: 'ignored' });
  });

  it('writes the rarer shapes as the generic serializer does', () => {
    const shapes: Record<string, unknown>[] = [
      { status: { code: 'OK', message: 'héllo' } },
      { status: OK_STATUS, entries: [{ message_id: 'm\u{1F600}' }] },
      { status: OK_STATUS, entries: [{ transaction_id: '\ud800' }] },
      { status: OK_STATUS, entries: [{ offset: -1 }] },
      { status: OK_STATUS, entries: [{ offset: 1.5 }] },
      { status: OK_STATUS, entries: [{ offset: 2 ** 53 + 2 }] },
      { status: OK_STATUS, entries: [{ offset: '-3' }] },
      { status: OK_STATUS, entries: [{ offset: '1234567890123456789' }] },
      { status: { code: 'NOPE', message: 'unknown name' } },
      { status: { code: -7 } },
      { status: { code: 3.5 } },
      { status: { code: 7, message: 7 } },
      { status: OK_STATUS, entries: [{ message_id: 12 }] },
      { status: OK_STATUS, entries: [{ status: [] }] },
    ];
    for (const reply of shapes) same(reply);
  });

  it('throws for values of the wrong kind, as the generic serializer does', () => {
    for (const reply of [{ status: 'OK' }, { entries: {} }, { entries: [null] }, { entries: [{ status: 5 }] }]) {
      same(reply);
      expect(outcome(() => fast('SendMessage').responseSerialize(reply))).toHaveProperty('threw');
    }
  });
});
