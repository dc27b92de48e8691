// Cluster scenario (f): PostgreSQL crashes (SIGKILL of the server) and is restarted while two
// broker processes take load (sends and cross-broker transactions through raw clients pinned to
// each broker). Meanwhile requests fail with a clear status that names the database (no broker
// crash, no call running into its deadline); once PostgreSQL is back both brokers carry on
// without a restart, and every message whose send or commit was acknowledged is delivered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/broker.js';
import { ack, createTopic, receive, sleep, startCluster, type Cluster, type Received } from '../../helpers/cluster.js';
import { protoMessage, rawClient, type Json, type RawClient } from '../../helpers/raw-client.js';

let cluster: Cluster;
let a: RawClient;
let b: RawClient;
beforeAll(async () => {
  // The brokers log every failing background pass while the database is down: keep the run quiet.
  cluster = await startCluster(['a', 'b'], ['--log-level', 'fatal']);
  a = rawClient(cluster.endpoint('a'));
  b = rawClient(cluster.endpoint('b'));
}, 60_000);
afterAll(async () => {
  a?.close();
  b?.close();
  await cluster?.close();
});

interface Outcome {
  code: string;
  message: string;
  ms: number;
}

/** One request's status (a gRPC-level failure, e.g. a deadline, is recorded as its own code). */
async function timed(fn: () => Promise<{ status: { code: string; message: string } }>): Promise<Outcome> {
  const start = Date.now();
  try {
    const res = await fn();
    return { ...res.status, ms: Date.now() - start };
  } catch (err) {
    return { code: `GRPC:${(err as { code?: number }).code ?? '?'}`, message: (err as Error).message, ms: Date.now() - start };
  }
}

describe('PostgreSQL restarted under load', () => {
  it('fails requests clearly meanwhile, carries on afterwards, and loses nothing acknowledged', async () => {
    const normal = uniqueName('Outage');
    const tx = uniqueName('OutageTx');
    await createTopic(cluster.endpoint('a'), normal, 'NORMAL');
    await createTopic(cluster.endpoint('a'), tx, 'TRANSACTION');
    const acked = { [normal]: new Set<string>(), [tx]: new Set<string>() };
    const outcomes: Outcome[] = [];
    let stop = false;

    const sender = async (via: RawClient, other: RawClient): Promise<void> => {
      for (let i = 0; i < 2000 && !stop; i++) {
        const msg = protoMessage(normal, `n${i}`);
        const id = (msg.system_properties as Json).message_id as string;
        const sent = await timed(() => via.unary('SendMessage', { messages: [msg] }));
        outcomes.push(sent);
        if (sent.code === 'OK') acked[normal].add(id);
        // A transaction: half through this broker, commit through the other one.
        const half = protoMessage(tx, `t${i}`, { type: 'TRANSACTION' });
        const hid = (half.system_properties as Json).message_id as string;
        let txId = '';
        const h = await timed(async () => {
          const res = await via.unary('SendMessage', { messages: [half] });
          txId = (res.entries as { transaction_id?: string }[] | undefined)?.[0]?.transaction_id ?? '';
          return res;
        });
        outcomes.push(h);
        if (h.code === 'OK') {
          const c = await timed(() => other.unary('EndTransaction', { topic: { name: tx }, transaction_id: txId, resolution: 'COMMIT', source: 'SOURCE_CLIENT' }));
          outcomes.push(c);
          if (c.code === 'OK') acked[tx].add(hid);
        }
        if (sent.code !== 'OK') await sleep(100);
      }
    };
    const load = Promise.all([sender(a, b), sender(b, a)]);

    await sleep(1500);
    const before = outcomes.length;
    await cluster.pg.halt({ crash: true });
    await sleep(2500);
    // A receive while the database is down: a clear failure, not a hang.
    const receiveDown = await timed(async () => {
      await receive(b, uniqueName('G'), normal, { pollMs: 1000 });
      return { status: { code: 'OK', message: '' } };
    });
    const duringOutage = outcomes.slice(before);
    await cluster.pg.restart();
    const restartedAt = outcomes.length;
    await sleep(3000);
    stop = true;
    await load;

    // Meanwhile: failures with a status naming the database; none ran into its deadline.
    const failures = duringOutage.filter((o) => o.code !== 'OK');
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.code).toBe('HA_NOT_AVAILABLE');
      expect(f.message).toMatch(/PostgreSQL/);
    }
    expect(receiveDown.code).not.toBe('OK');
    expect(receiveDown.message).toMatch(/PostgreSQL/);
    expect(Math.max(...outcomes.map((o) => o.ms), receiveDown.ms)).toBeLessThan(10_000);
    // Both brokers are still up, and serve again once PostgreSQL is back.
    for (const id of ['a', 'b']) expect(cluster.brokers.get(id)!.child.exitCode, id).toBeNull();
    expect(outcomes.slice(restartedAt).some((o) => o.code === 'OK')).toBe(true);

    // Everything acknowledged is delivered (consumed through both brokers).
    for (const topic of [normal, tx]) {
      const group = uniqueName('G');
      const seen = new Set<string>();
      const end = Date.now() + 30_000;
      while ([...acked[topic]!].some((id) => !seen.has(id)) && Date.now() < end) {
        for (const c of [a, b]) {
          const batch: Received[] = await receive(c, group, topic, { batch: 32, pollMs: 500 }).catch(() => []);
          for (const m of batch) {
            seen.add(m.messageId);
            await ack(c, group, topic, m);
          }
        }
      }
      expect(acked[topic]!.size, topic).toBeGreaterThan(0);
      expect(
        [...acked[topic]!].filter((id) => !seen.has(id)),
        topic,
      ).toEqual([]);
    }
  }, 80_000);
});
