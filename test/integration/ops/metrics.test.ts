// GET /metrics after real traffic through the official client: sends, receives and acks, a
// transaction committed, one rolled back and one decided by a check; the exposition is parsed by a
// Prometheus text-format parser and the series and values asserted. Also: the collector the
// official clients are told to push their own metrics to (--client-metrics-endpoint).
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerIdOf } from '../../../src/config.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { startProducer, startSimpleConsumer } from '../../helpers/official-clients.js';
import { startHttpBroker } from '../http/helpers.js';
import { scrapeMetrics } from '../../helpers/prometheus.js';
import { protoMessage, rawClient } from '../../helpers/raw-client.js';

let tb: TestBroker | undefined;
const clients: { shutdown(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.shutdown().catch(() => undefined);
  await tb?.close();
  tb = undefined;
});

describe('GET /metrics', () => {
  it('exposes RocketMQ-named and Halfmoon series with the values of the traffic', async () => {
    tb = await startTestBroker();
    const normal = uniqueName('Metrics');
    const txTopic = uniqueName('MetricsTx');
    const group = uniqueName('G');
    await tb.broker.services.topics.create(normal, 'NORMAL');
    await tb.broker.services.topics.create(txTopic, 'TRANSACTION');

    const producer = await startProducer(tb.endpoint, normal);
    clients.push(producer);
    for (let i = 0; i < 3; i++) await producer.send({ topic: normal, body: Buffer.from(`hello-${i}`) });

    const consumer = await startSimpleConsumer(tb.endpoint, group, normal);
    clients.push(consumer);
    const got = [];
    while (got.length < 3) got.push(...(await consumer.receive(3, 30_000)));
    expect(got).toHaveLength(3);
    await consumer.ack(got[0]!);
    await consumer.ack(got[1]!); // the third stays in flight

    let checked = 0;
    const txProducer = await startProducer(tb.endpoint, txTopic, {
      async check() {
        checked++;
        return TransactionResolution.COMMIT;
      },
    });
    clients.push(txProducer);
    const commit = txProducer.beginTransaction();
    await txProducer.send({ topic: txTopic, body: Buffer.from('commit') }, commit);
    await commit.commit();
    const rollback = txProducer.beginTransaction();
    await txProducer.send({ topic: txTopic, body: Buffer.from('rollback') }, rollback);
    await rollback.rollback();
    await txProducer.send({ topic: txTopic, body: Buffer.from('left-open') }, txProducer.beginTransaction()); // decided by the check
    await waitFor(async () => ((await tb!.broker.services.transactions.counters()).committed === 2 ? true : undefined), 15_000, 'the checked transaction committed');
    expect(checked).toBe(1);

    const m = await scrapeMetrics(tb.broker.adminPort!);
    const node = { node_type: 'broker', node_id: brokerIdOf(tb.config) };
    // Upstream names and labels (RocketMQ 5 BrokerMetricsConstant).
    expect(m.value('rocketmq_messages_in_total', { ...node, topic: normal, message_type: 'normal' })).toBe(3);
    expect(m.value('rocketmq_throughput_in_total', { topic: normal, message_type: 'normal' })).toBe(3 * 'hello-0'.length);
    expect(m.value('rocketmq_messages_in_total', { topic: txTopic, message_type: 'transaction' })).toBe(3);
    expect(m.value('rocketmq_messages_out_total', { topic: normal, consumer_group: group })).toBe(3);
    expect(m.value('rocketmq_throughput_out_total', { topic: normal, consumer_group: group })).toBe(3 * 'hello-0'.length);
    expect(m.value('rocketmq_consumer_ready_messages', { topic: normal, consumer_group: group })).toBe(0);
    expect(m.value('rocketmq_consumer_inflight_messages', { topic: normal, consumer_group: group })).toBe(1);
    expect(m.value('rocketmq_consumer_lag_messages', { topic: normal, consumer_group: group })).toBe(1);
    expect(m.value('rocketmq_commit_messages_total', { topic: txTopic })).toBe(2);
    expect(m.value('rocketmq_rollback_messages_total', { topic: txTopic })).toBe(1);
    expect(m.count('rocketmq_finish_message_latency', { topic: txTopic })).toBe(3);
    expect(m.family('rocketmq_rpc_latency')?.type).toBe('HISTOGRAM');
    expect(m.count('rocketmq_rpc_latency', { protocol_type: 'grpc', request_code: 'SendMessage', response_code: 'OK' })).toBe(6);
    expect(m.count('rocketmq_rpc_latency', { request_code: 'EndTransaction', response_code: 'OK' })).toBe(3);
    expect(m.count('rocketmq_rpc_latency', { request_code: 'AckMessage', response_code: 'OK' })).toBe(2);
    expect(m.count('rocketmq_rpc_latency', { request_code: 'ReceiveMessage', response_code: 'OK' })).toBeGreaterThanOrEqual(1);
    expect(m.value('rocketmq_producer_connections', { producer_group: txTopic })).toBe(1);
    expect(m.value('rocketmq_consumer_connections', { consumer_group: group })).toBe(1);
    expect(m.value('rocketmq_half_messages', { producer_group: txTopic })).toBeUndefined(); // none pending any more
    expect(m.value('rocketmq_topic_number')).toBeGreaterThanOrEqual(2);

    // Halfmoon's own.
    expect(m.value('halfmoon_transaction_decisions_total', { source: 'CLIENT', state: 'COMMITTED' })).toBe(1);
    expect(m.value('halfmoon_transaction_decisions_total', { source: 'CLIENT', state: 'ROLLED_BACK' })).toBe(1);
    expect(m.value('halfmoon_transaction_decisions_total', { source: 'SERVER_CHECK', state: 'COMMITTED' })).toBe(1);
    expect(m.value('halfmoon_transaction_checks_total', { outcome: 'sent' })).toBe(1);
    expect(m.value('halfmoon_transaction_checks_total', { outcome: 'answered' })).toBe(1);
    expect(m.value('halfmoon_transaction_checks_total', { outcome: 'undeliverable' })).toBeUndefined();
    expect(m.count('halfmoon_transaction_check_delay_ms')).toBe(1);
    expect(m.value('halfmoon_store_size_bytes')).toBeGreaterThan(0);
    if (!tb.broker.store.capabilities.sharedAcrossProcesses) {
      // LevelDB's group commit: every transition above went through a batch.
      expect(m.count('halfmoon_store_group_commit_batch_size')).toBeGreaterThan(0);
      expect(m.count('halfmoon_store_group_commit_latency_ms')).toBe(m.count('halfmoon_store_group_commit_batch_size'));
    }
  });

  it('counts pending and abandoned transactions per group and topic', async () => {
    tb = await startTestBroker({ transactionCheckMax: 1, transactionCheckPolicy: 'KEEP' });
    const waiting = uniqueName('Pending');
    const kept = uniqueName('Kept');
    await tb.broker.services.topics.create(waiting, 'TRANSACTION');
    await tb.broker.services.topics.create(kept, 'TRANSACTION');
    // No producer of `waiting` is online: its half messages are never checked and stay PENDING.
    const raw = rawClient(tb.endpoint);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await raw.unary('SendMessage', { messages: [protoMessage(waiting, `open-${i}`, { type: 'TRANSACTION' })] });
        expect(res.status.code).toBe('OK');
      }
    } finally {
      raw.close();
    }
    // `kept`'s producer never knows: after its one check the KEEP policy abandons the transaction.
    const producer = await startProducer(tb.endpoint, kept, { check: async () => TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED });
    clients.push(producer);
    await producer.send({ topic: kept, body: Buffer.from('undecided') }, producer.beginTransaction());
    await waitFor(async () => ((await tb!.broker.store.listTransactions({ topic: kept, state: 'ABANDONED' })).length === 1 ? true : undefined), 15_000, 'the abandonment');

    const m = await scrapeMetrics(tb.broker.adminPort!);
    expect(m.value('rocketmq_half_messages', { producer_group: waiting })).toBe(2);
    expect(m.value('rocketmq_half_messages', { producer_group: kept })).toBeUndefined();
    expect(m.value('halfmoon_transactions_abandoned', { topic: kept })).toBe(1);
    expect(m.value('halfmoon_transactions_abandoned', { topic: waiting })).toBeUndefined();
    expect(m.value('halfmoon_transaction_checks_total', { outcome: 'sent' })).toBe(1);
    expect(m.count('halfmoon_transaction_check_delay_ms')).toBe(1);
  });
});

describe('GET /metrics: the MQ HTTP gateway', () => {
  it('counts its publishes and times its requests by operation', async () => {
    const hb = await startHttpBroker();
    tb = hb.tb;
    const topic = await hb.topic('NORMAL');
    const producer = hb.client().getProducer('', topic);
    await producer.publishMessage('over http');
    await producer.publishMessage('again');
    const m = await scrapeMetrics(tb.broker.adminPort!);
    expect(m.value('rocketmq_messages_in_total', { topic, message_type: 'normal' })).toBe(2);
    expect(m.count('rocketmq_rpc_latency', { protocol_type: 'http', request_code: 'publishMessage', response_code: '201' })).toBe(2);
  });
});

describe('--client-metrics-endpoint', () => {
  it('names the collector in the settings every client receives', async () => {
    tb = await startTestBroker({ clientMetricsEndpoint: 'otel-collector.example:4317' });
    const raw = rawClient(tb.endpoint);
    try {
      const { settings, end } = await raw.telemetrySettings({ client_type: 'PRODUCER', publishing: { topics: [] } });
      end();
      expect(settings.metric).toMatchObject({ on: true, endpoints: { scheme: 'DOMAIN_NAME', addresses: [{ host: 'otel-collector.example', port: 4317 }] } });
    } finally {
      raw.close();
    }
  });

  it('is off by default', async () => {
    tb = await startTestBroker();
    const raw = rawClient(tb.endpoint);
    try {
      const { settings, end } = await raw.telemetrySettings({ client_type: 'PRODUCER', publishing: { topics: [] } });
      end();
      expect(settings.metric?.on).toBe(false);
      expect(settings.metric?.endpoints).toBeFalsy();
    } finally {
      raw.close();
    }
  });
});
