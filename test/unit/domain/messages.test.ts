// placedMessage: the log record of an input at its place keeps every field of the input (the
// example is `Required<…>`, so a field added to MessageInput must be added here too) and only
// those, whatever else the input object carries.
import { describe, expect, it } from 'vitest';
import { placedMessage, type MessageInput, type StoredMessage } from '../../../src/domain/messages.js';

type Full = Required<MessageInput & Pick<StoredMessage, 'transactionId' | 'deadLetter'>>;

const full: Full = {
  topic: 'ignored: the place names the topic',
  messageId: 'M1',
  messageType: 'FIFO',
  body: Buffer.from('body'),
  tag: 'TagA',
  keys: ['k1', 'k2'],
  messageGroup: 'g1',
  userProperties: { a: '1' },
  bornTimestampMs: 1_000,
  bornHost: 'host',
  deliveryTimestampMs: 2_000,
  transactionId: 'TX1',
  deadLetter: { topic: 'orders', messageId: 'M0', group: 'billing' },
};

describe('placedMessage', () => {
  it('keeps every field of the input and adds the place', () => {
    expect(placedMessage(full, 'orders', 3, 42, 5_000)).toEqual({ ...full, topic: 'orders', queueId: 3, offset: 42, storeTimestampMs: 5_000 });
  });

  it('leaves absent optional fields absent and drops what is not a message field', () => {
    const { tag: _t, messageGroup: _g, deliveryTimestampMs: _d, transactionId: _x, deadLetter: _l, ...required } = full;
    const placed = placedMessage({ ...required, extra: 'not a message field' } as MessageInput, 'orders', 0, 0, 1);
    expect(Object.keys(placed).sort()).toEqual([
      'body',
      'bornHost',
      'bornTimestampMs',
      'keys',
      'messageId',
      'messageType',
      'offset',
      'queueId',
      'storeTimestampMs',
      'topic',
      'userProperties',
    ]);
  });
});
