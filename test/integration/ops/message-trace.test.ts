// `halfmoon message show` end to end through the real CLI: a message sent by the official
// producer, received by two groups with the official SimpleConsumer (one lets it expire once, then
// acks; the other acks at once), shown by id and by key with where it was stored and each delivery
// per group; a transactional message decided by a check shows its transaction; a half message
// still undecided is shown as not stored yet; an unknown id says what to do.
import type { SimpleConsumer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { runCli } from '../../helpers/broker-process.js';
import { startProducer, startSimpleConsumer } from '../../helpers/official-clients.js';

interface TraceJson {
  state: string;
  message_id: string;
  topic: string;
  offset: string;
  keys: string[];
  body_preview: string;
  transaction?: { state: string; decided_by: string; checks: { client_id: string }[] };
  deliveries: { group: string; attempt: number; client_id: string; outcome: string }[];
}

describe('message show', () => {
  let tb: TestBroker;
  const clients: { shutdown(): Promise<void> }[] = [];
  const cli = (...args: string[]) => runCli([...args, '--endpoints', tb.endpoint]);
  const consumer = async (group: string, topic: string): Promise<SimpleConsumer> => {
    const c = await startSimpleConsumer(tb.endpoint, group, topic);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    tb = await startTestBroker({ minInvisibleDurationMs: 500 });
  });
  afterAll(async () => {
    for (const c of clients) await c.shutdown().catch(() => undefined);
    await tb.close();
  });

  it('shows where a message was stored and each delivery per group, by id and by key', async () => {
    const topic = uniqueName('Traced');
    const key = uniqueName('order');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    const producer = await startProducer(tb.endpoint, topic);
    clients.push(producer);
    const receipt = await producer.send({ topic, keys: [key], tag: 'T1', body: Buffer.from('{"order":42}') });

    const slowGroup = uniqueName('Slow');
    const fastGroup = uniqueName('Fast');
    const slow = await consumer(slowGroup, topic);
    const fast = await consumer(fastGroup, topic);
    const [first] = await waitFor(
      async () => {
        const got = await slow.receive(1, 500);
        return got.length > 0 ? got : undefined;
      },
      20_000,
      'the first delivery',
    );
    expect(first!.deliveryAttempt).toBe(1);
    // Not acked: its invisibility runs out and it comes again (attempt 2), then it is acked.
    const again = await waitFor(async () => (await slow.receive(1, 10_000))[0], 20_000, 'the redelivery');
    expect(again.deliveryAttempt).toBe(2);
    await slow.ack(again);
    const [once] = await fast.receive(1, 10_000);
    await fast.ack(once!);

    const shown = await cli('message', 'show', receipt.messageId);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`stored\\s+\\S+ in ${topic}, queue 0, offset 0`));
    expect(shown.stdout).toContain(`keys           ${key}`);
    expect(shown.stdout).toContain('body           12 bytes, "{\\"order\\":42}"');
    const row = (group: string, attempt: number, outcome: string) => new RegExp(`${group}\\s+${attempt}\\s+\\S+\\s+\\S+\\s+${outcome}`);
    expect(shown.stdout).toMatch(row(slowGroup, 1, 'REDELIVERED'));
    expect(shown.stdout).toMatch(row(slowGroup, 2, 'ACKED at '));
    expect(shown.stdout).toMatch(row(fastGroup, 1, 'ACKED at '));
    expect(shown.stdout).toContain(slow.clientId);

    const json = await cli('message', 'show', '--key', key, '--json');
    expect(json.code).toBe(0);
    const [trace] = JSON.parse(json.stdout) as TraceJson[];
    expect(trace).toMatchObject({ state: 'STORED', message_id: receipt.messageId, topic, offset: '0', keys: [key] });
    expect(Buffer.from(trace!.body_preview, 'base64').toString()).toBe('{"order":42}');
    expect(trace!.deliveries).toEqual(
      [
        { group: fastGroup, attempt: 1, client_id: fast.clientId, outcome: 'ACKED', delivered_at_ms: expect.any(String), outcome_at_ms: expect.any(String) },
        { group: slowGroup, attempt: 1, client_id: slow.clientId, outcome: 'REDELIVERED', delivered_at_ms: expect.any(String), outcome_at_ms: '0' },
        { group: slowGroup, attempt: 2, client_id: slow.clientId, outcome: 'ACKED', delivered_at_ms: expect.any(String), outcome_at_ms: expect.any(String) },
      ].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.attempt - b.attempt)),
    );
  });

  it('shows the transaction a message came from, and a half message not stored yet', async () => {
    const topic = uniqueName('TracedTx');
    await tb.broker.services.topics.create(topic, 'TRANSACTION');
    let release: (() => void) | undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    let decide = false;
    const producer = await startProducer(tb.endpoint, topic, {
      async check() {
        if (!decide) return TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
        release?.();
        return TransactionResolution.COMMIT;
      },
    });
    clients.push(producer);
    const receipt = await producer.send({ topic, keys: ['tx-key'], body: Buffer.from('decided by a check') }, producer.beginTransaction());

    const pending = await cli('message', 'show', receipt.messageId);
    expect(pending.code).toBe(0);
    expect(pending.stdout).toContain(`not yet: its transaction is PENDING (topic ${topic})`);
    expect(pending.stdout).toMatch(new RegExp(`transaction\\s+${receipt.transactionId}: PENDING`));

    decide = true;
    await answered;
    await waitFor(async () => ((await tb.broker.services.transactions.describe(receipt.transactionId)).decision ? true : undefined), 10_000, 'the commit');
    const shown = await cli('message', 'show', receipt.messageId, '--topic', topic);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`stored\\s+\\S+ in ${topic}, queue 0, offset 0`));
    expect(shown.stdout).toMatch(new RegExp(`transaction\\s+${receipt.transactionId}: COMMITTED by SERVER_CHECK at `));
    expect(shown.stdout).toContain(`check sent `);
    expect(shown.stdout).toContain(` to ${producer.clientId}`);
    expect(shown.stdout).toContain('(not delivered to any group yet)');
  });

  it('says what to do about an unknown id or a missing argument', async () => {
    const unknown = await cli('message', 'show', 'NO-SUCH-MESSAGE');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('message NO-SUCH-MESSAGE was not found');
    expect(unknown.stderr).toContain('retention');
    const neither = await cli('message', 'show');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('message show needs a message id (or --key K)');
    const both = await cli('message', 'show', 'X', '--key', 'k');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
  });
});
