// Cluster scenarios (d) and (e), consumption across two broker processes on one PostgreSQL:
//  (d) receipt handles are the store's: one issued by broker A acks on broker B (and is then
//      stale on A); a message committed through A wakes a consumer long-polling on B within
//      well under its 20 s poll (LISTEN/NOTIFY; the broker never re-polls a long poll).
//  (e) FIFO: three message groups sent alternately through both brokers, consumed by one
//      consumer on each broker at the same time: each group arrives in order without gaps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/broker.js';
import { ack, createGroup, createTopic, receive, send, startCluster, type Cluster, type Received } from '../../helpers/cluster.js';
import { protoMessage, rawClient, type RawClient } from '../../helpers/raw-client.js';

let cluster: Cluster;
let a: RawClient;
let b: RawClient;
beforeAll(async () => {
  cluster = await startCluster(['a', 'b']);
  a = rawClient(cluster.endpoint('a'));
  b = rawClient(cluster.endpoint('b'));
}, 60_000);
afterAll(async () => {
  a?.close();
  b?.close();
  await cluster?.close();
});

describe('cluster consumption', () => {
  it('(d) a receipt handle from broker A acks on broker B', async () => {
    const topic = uniqueName('Receipts');
    await createTopic(cluster.endpoint('a'), topic, 'NORMAL');
    const group = uniqueName('G');
    expect(await send(a, topic, 'one', {})).toBe('OK');
    const [m] = await receive(a, group, topic, { batch: 1, pollMs: 2000 });
    expect(m?.body).toBe('one');
    expect(await ack(b, group, topic, m!)).toBe('OK');
    expect(await ack(a, group, topic, m!)).toBe('INVALID_RECEIPT_HANDLE'); // acked: stale everywhere
    expect(await receive(b, group, topic, { pollMs: 1000 })).toEqual([]);
  });

  it('(d) a message committed through A wakes a consumer long-polling on B well within its poll', async () => {
    const topic = uniqueName('Wake');
    await createTopic(cluster.endpoint('a'), topic, 'TRANSACTION');
    const group = uniqueName('G');
    expect(await receive(b, group, topic, { pollMs: 1000 })).toEqual([]); // the group exists, nothing to read
    const half = await a.unary('SendMessage', { messages: [protoMessage(topic, 'wake up', { type: 'TRANSACTION' })] });
    expect(half.status.code).toBe('OK');
    const txId = (half.entries as { transaction_id: string }[])[0]!.transaction_id;

    const polling = receive(b, group, topic, { batch: 1, pollMs: 20_000 }).then((got) => ({ got, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 1000)); // the long poll is parked on B
    const committed = await a.unary('EndTransaction', { topic: { name: topic }, transaction_id: txId, resolution: 'COMMIT', source: 'SOURCE_CLIENT' });
    expect(committed.status.code).toBe('OK');
    const committedAt = Date.now();
    const { got, at } = await polling;
    expect(got.map((m) => m.body)).toEqual(['wake up']);
    // A wake-up, not the poll running out (20 s) nor a re-poll: loosely under a second.
    expect(at - committedAt).toBeLessThan(1000);
    expect(await ack(b, group, topic, got[0]!)).toBe('OK');
  });

  it('(e) FIFO order per message group holds while consumers spread over both brokers', async () => {
    const topic = uniqueName('Fifo');
    await createTopic(cluster.endpoint('a'), topic, 'FIFO');
    const group = uniqueName('FifoG');
    await createGroup(cluster.endpoint('b'), group, true);
    const GROUPS = ['g0', 'g1', 'g2'];
    const PER_GROUP = 20;
    for (let seq = 0; seq < PER_GROUP; seq++) {
      for (const [k, g] of GROUPS.entries()) {
        const via = (seq + k) % 2 === 0 ? a : b;
        expect(await send(via, topic, `${g}-${seq}`, { seq: String(seq) }, { type: 'FIFO', group: g })).toBe('OK');
      }
    }
    // Recorded when received: a group's next message is handed out only after its head was acked.
    const order: { consumer: string; m: Received }[] = [];
    const total = GROUPS.length * PER_GROUP;
    const consume = async (name: string, c: RawClient): Promise<void> => {
      const end = Date.now() + 30_000;
      while (order.length < total && Date.now() < end) {
        const batch = await receive(c, group, topic, { batch: 1, pollMs: 500 }).catch(() => []);
        for (const m of batch) {
          order.push({ consumer: name, m });
          expect(await ack(c, group, topic, m)).toBe('OK');
        }
      }
    };
    await Promise.all([consume('on-a', a), consume('on-b', b)]);
    expect(order).toHaveLength(total);
    for (const g of GROUPS) {
      const seqs = order.filter((o) => o.m.group === g).map((o) => Number(o.m.props.seq));
      expect(seqs, g).toEqual([...Array(PER_GROUP).keys()]);
    }
    // Both brokers served the group's consumers.
    expect(new Set(order.map((o) => o.consumer))).toEqual(new Set(['on-a', 'on-b']));
  }, 60_000);
});
