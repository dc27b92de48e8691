// The lean load generator's fast calls (scripts/bench/lean-grpc.ts unaryFramed / streamFramed with
// lean-codec.ts requests and lean-replies.ts readers) against a real broker in this process: a
// NORMAL send, a transaction committed with the id from its SendMessage reply, a batch of 32,
// ReceiveMessage + AckMessage with the receipt handles it got (bodies as sent), and non-OK
// statuses (a missing topic, a bad receipt handle) failing with their code and message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckEncoder, EndTransactionEncoder, SendEncoder } from '../../scripts/bench/lean-codec.js';
import { frame, LeanGrpc, leanRoot, pbDuration, pbResource } from '../../scripts/bench/lean-grpc.js';
import { checkOk, readReceiveReply, readReplyStatus, readSendReply, type ReceiveReply } from '../../scripts/bench/lean-replies.js';
import { messageIdFactory } from '../../scripts/bench/raw-grpc.js';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';

let b: TestBroker;
let c: LeanGrpc;
beforeAll(async () => {
  b = await startTestBroker();
  c = await LeanGrpc.connect(b.endpoint, uniqueName('lean-client'));
});
afterAll(async () => {
  c.close();
  await b.close();
});

const name = (code: number): string => c.codeName(code);
const nextId = messageIdFactory();

async function createTopic(topic: string, type: 'NORMAL' | 'TRANSACTION'): Promise<void> {
  const r = await c.unary('admin.CreateTopic', { name: topic, message_type: type });
  expect(r.status.code).toBe('OK');
}

async function receive(topic: string, group: string, batch: number): Promise<Extract<ReceiveReply, { kind: 'message' }>[]> {
  const request = frame(leanRoot().lookupType('apache.rocketmq.v2.ReceiveMessageRequest'), {
    group: pbResource(group),
    message_queue: { topic: pbResource(topic), id: 0, permission: 'READ_WRITE' },
    filter_expression: { type: 'TAG', expression: '*' },
    batch_size: batch,
    invisible_duration: pbDuration(60_000),
    auto_renew: false,
    long_polling_timeout: pbDuration(2_000),
  });
  const out: Extract<ReceiveReply, { kind: 'message' }>[] = [];
  await c.streamFramed('ReceiveMessage', request, 10_000, (bytes) => {
    const r = readReceiveReply(bytes);
    if (r.kind === 'message') out.push({ ...r, messageId: Buffer.from(r.messageId), receiptHandle: Buffer.from(r.receiptHandle), body: Buffer.from(r.body) });
  });
  return out;
}

describe('lean client fast calls', () => {
  it('sends 1 and 32 messages, receives them with their bodies and acks them with their receipt handles', async () => {
    const topic = uniqueName('lean-normal');
    const group = `${topic}Group`;
    await createTopic(topic, 'NORMAL');
    const enc = new SendEncoder({ topic, type: 'NORMAL', bornHost: 'bench' });
    const ids = Array.from({ length: 33 }, () => nextId());
    const bodies = ids.map((id) => Buffer.from(`body of ${id}`.padEnd(1024, '.')));
    const one = await c.unaryFramed('SendMessage', enc.frame(ids.slice(0, 1), bodies.slice(0, 1), Date.now()), (bytes) => readSendReply(bytes, false));
    checkOk('SendMessage', one.status, name);
    const batch = await c.unaryFramed('SendMessage', enc.frame(ids.slice(1), bodies.slice(1), Date.now()), (bytes) => readSendReply(bytes, false));
    checkOk('SendMessage', batch.status, name);

    const got: Extract<ReceiveReply, { kind: 'message' }>[] = [];
    while (got.length < 33) {
      const part = await receive(topic, group, 32);
      expect(part.length).toBeGreaterThan(0);
      got.push(...part);
    }
    expect(got.map((m) => m.messageId.toString()).sort()).toEqual([...ids].sort());
    for (const m of got) expect(m.body.equals(bodies[ids.indexOf(m.messageId.toString())]!)).toBe(true);
    const ack = new AckEncoder(group, topic);
    const acked = await c.unaryFramed(
      'AckMessage',
      ack.frame(
        got.map((m) => m.messageId),
        got.map((m) => m.receiptHandle),
      ),
      readReplyStatus,
    );
    checkOk('AckMessage', acked, name);
  });

  it('commits a transaction with the id its SendMessage reply gave', async () => {
    const topic = uniqueName('lean-tx');
    await createTopic(topic, 'TRANSACTION');
    const enc = new SendEncoder({ topic, type: 'TRANSACTION', bornHost: 'bench', recoveryMs: 2_000 });
    const id = nextId();
    const sent = await c.unaryFramed('SendMessage', enc.frame([id], [Buffer.alloc(1024, 0x61)], Date.now()), (bytes) => readSendReply(bytes, true));
    checkOk('SendMessage', sent.status, name);
    expect(sent.transactionIds).toHaveLength(1);
    expect(sent.transactionIds[0]).not.toBe('');
    const end = await c.unaryFramed('EndTransaction', new EndTransactionEncoder(topic).frame(id, sent.transactionIds[0]!, 'COMMIT', 'SOURCE_CLIENT'), readReplyStatus);
    checkOk('EndTransaction', end, name);
    const got = await receive(topic, `${topic}Group`, 1);
    expect(got.map((m) => m.messageId.toString())).toEqual([id]);
  });

  it('fails a non-OK status with its code name and message', async () => {
    const topic = uniqueName('lean-missing');
    const sent = await c.unaryFramed('SendMessage', new SendEncoder({ topic, type: 'NORMAL', bornHost: 'bench' }).frame([nextId()], [Buffer.alloc(8)], Date.now()), (bytes) =>
      readSendReply(bytes, false),
    );
    expect(() => checkOk('SendMessage', sent.status, name)).toThrow(/^SendMessage: TOPIC_NOT_FOUND \S/);
    const existing = uniqueName('lean-ack');
    await createTopic(existing, 'NORMAL');
    const acked = await c.unaryFramed(
      'AckMessage',
      new AckEncoder(`${existing}Group`, existing).frame([Buffer.from(nextId())], [Buffer.from('not-a-receipt-handle')]),
      readReplyStatus,
    );
    expect(() => checkOk('AckMessage', acked, name)).toThrow(/^AckMessage: [A-Z_]+ /);
    expect(acked.code).not.toBe(20000);
  });
});
