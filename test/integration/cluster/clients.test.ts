// Cluster clients: two broker processes on one PostgreSQL; a producer whose Telemetry stream is
// open on b1 is listed by `halfmoon client list` through b2 (each broker asks the live brokers of
// the store's membership for their own clients), with b1 as the broker holding its stream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/broker.js';
import { runCli } from '../../helpers/broker-process.js';
import { createTopic, startCluster, until, type Cluster } from '../../helpers/cluster.js';
import { rawClient, type RawClient } from '../../helpers/raw-client.js';

let cluster: Cluster;
let raw: RawClient | undefined;
beforeAll(async () => {
  cluster = await startCluster(['b1', 'b2']);
}, 60_000);
afterAll(async () => {
  raw?.close();
  await cluster?.close();
});

interface ClientJson {
  client_id: string;
  client_type: string;
  topics: string[];
  telemetry_open: boolean;
  broker_id: string;
}

describe('cluster client list', () => {
  it('lists a client of another broker, with the broker holding its stream', async () => {
    const topic = uniqueName('ClusterClients');
    await createTopic(cluster.endpoint('b1'), topic, 'NORMAL');
    const clientId = uniqueName('producer-on-b1');
    raw = rawClient(cluster.endpoint('b1'), clientId);
    const stream = await raw.telemetrySettings({ client_type: 'PRODUCER', publishing: { topics: [{ name: topic }] } });
    try {
      const listed = await until('b1 in b2s membership', 5_000, async () => {
        const res = await runCli(['client', 'list', '--json', '--topic', topic, '--endpoints', cluster.endpoint('b2')]);
        expect(res.code).toBe(0);
        const body = JSON.parse(res.stdout) as { clients: ClientJson[]; unreachable_brokers: string[] };
        return body.clients.length > 0 ? body : undefined;
      });
      expect(listed.unreachable_brokers).toEqual([]);
      expect(listed.clients).toHaveLength(1);
      expect(listed.clients[0]).toMatchObject({ client_id: clientId, client_type: 'PRODUCER', topics: [topic], telemetry_open: true, broker_id: 'b1' });

      const described = await runCli(['client', 'describe', clientId, '--endpoints', cluster.endpoint('b2')]);
      expect(described.code).toBe(0);
      expect(described.stdout).toMatch(/telemetry\s+open on b1 \(/);
    } finally {
      stream.end();
    }
  });
});
