// A real Prometheus server (Debian's package, installed by the helper when missing) scrapes a
// broker's /metrics after traffic from the official client, and its query API returns the
// RocketMQ-named series with the values of that traffic.
import type { Producer } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { startProducer } from '../../helpers/official-clients.js';
import { startPrometheus, type TestPrometheus } from '../../helpers/prometheus-server.js';

describe('Prometheus scrapes /metrics', () => {
  let tb: TestBroker;
  let prometheus: TestPrometheus | undefined;
  let producer: Producer | undefined;
  beforeAll(async () => {
    tb = await startTestBroker();
  });
  afterAll(async () => {
    await producer?.shutdown().catch(() => undefined);
    await prometheus?.stop();
    await tb.close();
  });

  it('reads the series a send produced', async () => {
    const topic = uniqueName('Scraped');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    producer = await startProducer(tb.endpoint, topic);
    for (let i = 0; i < 4; i++) await producer.send({ topic, body: Buffer.from('scrape me') });

    prometheus = await startPrometheus([`127.0.0.1:${tb.broker.adminPort}`]);
    const p = prometheus;
    const inTotal = await waitFor(
      async () => {
        const [sample] = await p.query(`rocketmq_messages_in_total{topic="${topic}"}`);
        return sample;
      },
      20_000,
      'Prometheus to have scraped the broker',
    );
    expect(inTotal.metric).toMatchObject({ job: 'halfmoon', topic, message_type: 'normal', node_type: 'broker' });
    expect(inTotal.value[1]).toBe('4');
    const [bytes] = await p.query(`rocketmq_throughput_in_total{topic="${topic}"}`);
    expect(bytes?.value[1]).toBe(String(4 * 'scrape me'.length));
    const [sends] = await p.query(`sum(rocketmq_rpc_latency_count{request_code="SendMessage",response_code="OK"})`);
    expect(Number(sends?.value[1])).toBe(4);
    const targets = await p.targets();
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ health: 'up', lastError: '' });
  });
});
