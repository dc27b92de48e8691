// Limits that protect the broker on its gRPC side (issue #15): groups created by receives are
// bounded, long polls and Telemetry streams per client and per connection are bounded, and a
// producer that never reads its Telemetry stream does not keep checks from an honest one.
import * as grpc from '@grpc/grpc-js';
import type http2 from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { messagingService } from '../../src/protocol/proto.js';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { connectWire, frame, MESSAGING, methodTypes } from '../helpers/grpc-wire.js';
import { protoMessage, rawClient, type Json, type RawClient } from '../helpers/raw-client.js';

function receiveRequest(topic: string, group: string, pollSeconds: number): Json {
  return {
    group: { name: group },
    message_queue: { topic: { name: topic }, id: 0 },
    filter_expression: { type: 'TAG', expression: '*' },
    batch_size: 1,
    invisible_duration: { seconds: '30', nanos: 0 },
    auto_renew: false,
    long_polling_timeout: { seconds: String(pollSeconds), nanos: 0 },
  };
}

function createGroup(tb: TestBroker, name: string): Promise<unknown> {
  return tb.broker.services.groups.create(name, {}, { maxDeliveryAttempts: tb.config.maxDeliveryAttempts, startFrom: tb.config.groupStartFrom });
}

const statusOf = (replies: Json[]): { code: string; message: string } => (replies[0] as { status: { code: string; message: string } }).status;

describe('consumer groups created by receives', () => {
  let tb: TestBroker;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    tb = await startTestBroker({ maxAutoCreatedGroups: 5 });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await tb.close();
  });

  it('300 anonymous receives with different groups create no more than maxAutoCreatedGroups', async () => {
    const topic = uniqueName('Lim');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    const codes: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const c = rawClient(tb.endpoint, `anon-${batch}`);
      clients.push(c);
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => c.stream('ReceiveMessage', receiveRequest(topic, `anon-group-${batch}-${i}`, 0))));
      codes.push(...replies.map((r) => statusOf(r).code));
    }
    expect(codes.filter((c) => c === 'MESSAGE_NOT_FOUND')).toHaveLength(5);
    expect(codes.filter((c) => c === 'CONSUMER_GROUP_NOT_FOUND')).toHaveLength(295);
    expect((await tb.broker.services.groups.list()).filter((g) => g.name.startsWith('anon-group-'))).toHaveLength(5);
    const refused = await clients[0]!.stream('ReceiveMessage', receiveRequest(topic, 'one-more', 0));
    expect(statusOf(refused).message).toContain('halfmoon group create one-more');
    // A group created explicitly is served.
    await createGroup(tb, 'one-more');
    expect(statusOf(await clients[0]!.stream('ReceiveMessage', receiveRequest(topic, 'one-more', 0))).code).toBe('MESSAGE_NOT_FOUND');
  });
});

describe('long polls and Telemetry streams per client', () => {
  let tb: TestBroker;
  let topic: string;
  beforeAll(async () => {
    tb = await startTestBroker({ maxLongPollsPerClient: 2, maxTelemetryStreamsPerClient: 1 });
    topic = uniqueName('Lim');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    await createGroup(tb, 'lim-group');
  });
  afterAll(async () => {
    await tb.close();
  });

  it('refuses a third concurrent long poll of one client with TOO_MANY_REQUESTS, then serves it again', async () => {
    const a = rawClient(tb.endpoint, 'poller');
    const b = rawClient(tb.endpoint, 'poller'); // same client id, another connection
    try {
      const holding = [a.stream('ReceiveMessage', receiveRequest(topic, 'lim-group', 2)), a.stream('ReceiveMessage', receiveRequest(topic, 'lim-group', 2))];
      await vi.waitFor(() => expect(tb.broker.services.limits.heldCount()).toBe(2)); // both polls are being held
      const third = statusOf(await b.stream('ReceiveMessage', receiveRequest(topic, 'lim-group', 0)));
      expect(third.code).toBe('TOO_MANY_REQUESTS');
      expect(third.message).toContain('maxLongPollsPerClient');
      for (const r of await Promise.all(holding)) expect(statusOf(r).code).toBe('MESSAGE_NOT_FOUND');
      expect(statusOf(await b.stream('ReceiveMessage', receiveRequest(topic, 'lim-group', 0))).code).toBe('MESSAGE_NOT_FOUND');
      expect(tb.broker.services.limits.heldCount()).toBe(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('ends a second Telemetry stream of one client with TOO_MANY_REQUESTS', async () => {
    const Messaging = messagingService();
    const client = new Messaging(tb.endpoint, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-mq-client-id', 'streamer');
    type Duplex = grpc.ClientDuplexStream<Json, Json>;
    const open = (): Duplex => (client as unknown as { Telemetry(md: grpc.Metadata): Duplex }).Telemetry(md);
    const first = open();
    const settings = { settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: topic }] } } };
    first.write(settings);
    await new Promise((resolve) => first.once('data', resolve));
    const second = open();
    const replies: Json[] = [];
    second.on('data', (d: Json) => replies.push(d));
    await new Promise<void>((resolve) => second.on('end', () => resolve()));
    expect((replies[0] as { status: { code: string; message: string } }).status).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    first.end();
    client.close();
  });
});

describe('in-flight deliveries per client', () => {
  let tb: TestBroker;
  afterAll(async () => {
    await tb.close();
  });

  it('a client that never acks holds at most maxInflightPerClient messages; others get the rest', async () => {
    tb = await startTestBroker({ maxInflightPerClient: 3 });
    const topic = uniqueName('Inflight');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    await createGroup(tb, 'inflight-g');
    const hoarder = rawClient(tb.endpoint, 'hoarder');
    const other = rawClient(tb.endpoint, 'other');
    try {
      for (let i = 0; i < 5; i++) expect((await hoarder.unary('SendMessage', { messages: [protoMessage(topic, `m${i}`)] })).status.code).toBe('OK');
      const request = { ...receiveRequest(topic, 'inflight-g', 0), batch_size: 10 };
      const first = await hoarder.stream('ReceiveMessage', request);
      const held = first.filter((r) => r.message) as { message: { system_properties: { receipt_handle: string } } }[];
      expect(held).toHaveLength(3);
      const refused = statusOf(await hoarder.stream('ReceiveMessage', request));
      expect(refused.code).toBe('TOO_MANY_REQUESTS');
      expect(refused.message).toContain('maxInflightPerClient');
      // Another client is not held up by the hoarder.
      expect((await other.stream('ReceiveMessage', request)).filter((r) => r.message)).toHaveLength(2);
      // An ack frees a slot.
      const ack = await hoarder.unary('AckMessage', {
        group: { name: 'inflight-g' },
        topic: { name: topic },
        entries: [{ message_id: 'x', receipt_handle: held[0]!.message.system_properties.receipt_handle }],
      });
      expect(ack.status.code).toBe('OK');
      expect(statusOf(await hoarder.stream('ReceiveMessage', request)).code).toBe('MESSAGE_NOT_FOUND');
    } finally {
      hoarder.close();
      other.close();
    }
  });
});

describe('a producer that never reads its Telemetry stream', () => {
  let tb: TestBroker;
  let session: http2.ClientHttp2Session;
  let raw: RawClient;
  afterEach(async () => {
    session?.destroy();
    raw?.close();
    await tb?.close();
  });

  it('does not keep checks from an honest producer: every orphaned transaction is committed', async () => {
    tb = await startTestBroker({ telemetryMaxQueuedBytes: 128 * 1024 });
    const topic = uniqueName('Silent');
    await tb.broker.services.topics.create(topic, 'TRANSACTION');
    await createGroup(tb, 'silent-g');
    // The silent producer: a Telemetry stream that declares itself a producer of the topic, never read.
    session = await connectWire(tb.endpoint);
    const telemetry = session.request({
      ':method': 'POST',
      ':path': `/${MESSAGING}/Telemetry`,
      'content-type': 'application/grpc',
      te: 'trailers',
      'x-mq-client-id': 'silent',
    });
    telemetry.pause();
    telemetry.write(frame(methodTypes(MESSAGING, 'Telemetry').req, { settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: topic }] } } }));
    // Half messages sent by the silent producer (so it is asked first), 32 KiB each.
    raw = rawClient(tb.endpoint, 'honest');
    const count = 30;
    for (let i = 0; i < count; i++) {
      const res = await raw.unary('SendMessage', { messages: [protoMessage(topic, `tx-${i}-`.padEnd(32 * 1024, 'x'), { type: 'TRANSACTION' })] }, 'silent');
      expect(res.status.code).toBe('OK');
    }
    // The honest producer answers every check with COMMIT.
    const Messaging = messagingService();
    const client = new Messaging(tb.endpoint, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-mq-client-id', 'honest');
    const honest = (client as unknown as { Telemetry(md: grpc.Metadata): grpc.ClientDuplexStream<Json, Json> }).Telemetry(md);
    honest.on('data', (cmd: Json) => {
      const check = cmd.recover_orphaned_transaction_command as { message: Json & { system_properties: { message_id: string } }; transaction_id: string } | undefined;
      if (!check) return;
      void raw.unary('EndTransaction', {
        topic: { name: topic },
        message_id: check.message.system_properties.message_id,
        transaction_id: check.transaction_id,
        resolution: 'COMMIT',
        source: 'SOURCE_SERVER_CHECK',
      });
    });
    honest.write({ settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: topic }] } } });
    // Every transaction gets committed and delivered.
    const seen = new Set<string>();
    while (seen.size < count) {
      const replies = await raw.stream('ReceiveMessage', { ...receiveRequest(topic, 'silent-g', 1), batch_size: 32 });
      for (const r of replies) {
        const m = r.message as { body: Buffer } | undefined;
        if (m) seen.add(Buffer.from(m.body).toString('utf8').split('-')[1]!);
      }
    }
    expect(seen.size).toBe(count);
    // What waits for the silent client is bounded: past telemetryMaxQueuedBytes it is asked nothing more.
    expect(tb.broker.services.sessions.liveProducers(topic).map((s) => s.clientId)).toEqual(['honest']);
    honest.end();
    client.close();
  }, 60_000);
});
