// `halfmoon client list|describe` (the real CLI) and the ListClients / DescribeClient admin RPCs
// with a live official producer and SimpleConsumer: ids, types, language and version, group and
// topics, the settings they reported, their heartbeat and the broker holding their stream.
import type { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerIdOf } from '../../../src/config.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { runCli } from '../../helpers/broker-process.js';
import { startProducer, startSimpleConsumer } from '../../helpers/official-clients.js';

interface ClientJson {
  client_id: string;
  client_type: string;
  language: string;
  version: string;
  group: string;
  topics: string[];
  settings_json: string;
  last_heartbeat_ms: string;
  telemetry_open: boolean;
  broker_id: string;
}

describe('client list / describe', () => {
  let tb: TestBroker;
  let producer: Producer;
  let consumer: SimpleConsumer;
  const topic = uniqueName('Clients');
  const group = uniqueName('ClientsG');
  const cli = (...args: string[]) => runCli([...args, '--endpoints', tb.endpoint]);

  beforeAll(async () => {
    tb = await startTestBroker();
    await tb.broker.services.topics.create(topic, 'NORMAL');
    producer = await startProducer(tb.endpoint, topic);
    consumer = await startSimpleConsumer(tb.endpoint, group, topic);
  });
  afterAll(async () => {
    await producer.shutdown().catch(() => undefined);
    await consumer.shutdown().catch(() => undefined);
    await tb.close();
  });

  it('lists the live producer and consumer with what they reported', async () => {
    const res = await cli('client', 'list', '--json');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const { clients, unreachable_brokers } = JSON.parse(res.stdout) as { clients: ClientJson[]; unreachable_brokers: string[] };
    expect(unreachable_brokers).toEqual([]);
    const p = clients.find((c) => c.client_type === 'PRODUCER' && c.topics.includes(topic));
    const c = clients.find((x) => x.client_type === 'SIMPLE_CONSUMER' && x.group === group);
    const brokerId = brokerIdOf(tb.config);
    expect(p).toMatchObject({ language: 'NODE_JS', telemetry_open: true, broker_id: brokerId });
    expect(c).toMatchObject({ language: 'NODE_JS', telemetry_open: true, broker_id: brokerId, group });
    expect(p!.version).toMatch(/^\d+\.\d+/);
    expect(Date.now() - Number(c!.last_heartbeat_ms)).toBeLessThan(60_000);
    // The settings as the client reported them.
    const reported = JSON.parse(p!.settings_json) as { client_type: string; publishing: { topics: { name: string }[] } };
    expect(reported.client_type).toBe('PRODUCER');
    expect(reported.publishing.topics.map((t) => t.name)).toContain(topic);
    expect((JSON.parse(c!.settings_json) as { subscription: { group: { name: string } } }).subscription.group.name).toBe(group);

    const table = await cli('client', 'list', '--group', group);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(c!.client_id);
    expect(table.stdout).not.toContain(p!.client_id);
    expect(table.stdout).toMatch(/CLIENT\s+TYPE\s+LANGUAGE/);
  });

  it('describes one client, and names what to do for an unknown id', async () => {
    const listed = await tb.broker.services.clients.list({ topic });
    const id = listed.clients.find((c) => c.clientType === 'PRODUCER')!.clientId;
    const res = await cli('client', 'describe', id);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`client          ${id}`);
    expect(res.stdout).toContain('PRODUCER (producer)');
    expect(res.stdout).toMatch(/telemetry\s+open on /);
    expect(res.stdout).toContain(topic);

    const unknown = await cli('client', 'describe', 'nobody@nowhere');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('client nobody@nowhere is not connected to any live broker');
    const missing = await cli('client', 'describe');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('client describe needs a client id');
  });

  it('forgets a consumer that shut down (NotifyClientTermination)', async () => {
    const gone = await startSimpleConsumer(tb.endpoint, uniqueName('Gone'), topic);
    const id = (await waitFor(
      async () => (await tb.broker.services.clients.list()).clients.find((c) => c.group.startsWith('Gone') && c.telemetryOpen),
      10_000,
      'the consumer',
    ))!.clientId;
    await gone.shutdown();
    // NotifyClientTermination removes the session.
    await waitFor(async () => ((await tb.broker.services.clients.list()).clients.some((c) => c.clientId === id) ? undefined : true), 10_000, 'the session gone');
  });
});
