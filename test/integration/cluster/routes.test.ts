// Cluster scenario (a), routes: three broker processes on one PostgreSQL. QueryRoute through any
// of them lists every live broker, one logical broker each with queue id 0 at its own address,
// in the same order from each; after one is SIGKILLed it drops out of the routes once its
// heartbeat TTL has passed, while the logical queue layout of the survivors stays the same; one
// that shuts down cleanly leaves the membership at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/broker.js';
import { BROKER_TTL_MS, createTopic, route, startCluster, until, type Cluster } from '../../helpers/cluster.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(['b1', 'b2', 'b3']);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

describe('cluster routes', () => {
  it('lists every live broker through any broker, and drops a killed one after its TTL', async () => {
    const topic = uniqueName('Routes');
    await createTopic(cluster.endpoint('b1'), topic, 'NORMAL');
    const all = ['b1', 'b2', 'b3'].map((id) => ({ broker: id, queueId: 0, address: cluster.endpoint(id) }));
    // Each broker has heartbeated before it reported ready; the others' rows show up within a beat.
    for (const id of ['b1', 'b2', 'b3']) {
      const listed = await until(`all brokers in ${id}'s route`, 5_000, async () => {
        const r = await route(cluster.endpoint(id), topic);
        return r.length === 3 ? r : undefined;
      });
      expect(listed).toEqual(all);
    }
    expect((await cluster.observer.liveBrokers()).map((b) => b.brokerId)).toEqual(['b1', 'b2', 'b3']);

    const killedAt = Date.now();
    await cluster.brokers.get('b2')!.stop('SIGKILL');
    // Still listed right after the kill (its TTL has not passed), gone once it has.
    const survivors = all.filter((b) => b.broker !== 'b2');
    for (const id of ['b1', 'b3']) {
      const listed = await until(`b2 gone from ${id}'s route`, BROKER_TTL_MS + 5_000, async () => {
        const r = await route(cluster.endpoint(id), topic);
        return r.length === 2 ? r : undefined;
      });
      expect(listed).toEqual(survivors);
    }
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(BROKER_TTL_MS - 600); // the TTL, not a leave
    expect((await cluster.observer.liveBrokers()).map((b) => b.brokerId)).toEqual(['b1', 'b3']);
  });

  it('a broker that shuts down cleanly leaves the routes at once', async () => {
    const topic = uniqueName('Leave');
    await createTopic(cluster.endpoint('b1'), topic, 'NORMAL');
    await cluster.brokers.get('b3')!.stop('SIGTERM');
    // Its row is gone as soon as it has exited (no TTL to wait for) …
    expect((await cluster.observer.liveBrokers()).map((b) => b.brokerId)).toEqual(['b1']);
    // … and b1's routes follow at its next heartbeat.
    const r = await until("b3 gone from b1's route", 5_000, async () => {
      const listed = await route(cluster.endpoint('b1'), topic);
      return listed.length === 1 ? listed : undefined;
    });
    expect(r.map((q) => q.broker)).toEqual(['b1']);
  });
});
