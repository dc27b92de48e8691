// Authentication and authorization end to end on an --auth broker, through the unmodified
// official client (sessionCredentials) and a raw signed gRPC client: who is let in (signature,
// skew, unknown users), what each user may do (Pub to send and decide, Sub on topic and group to
// consume, super users for the admin API), checks only to producers allowed to decide, who decided
// in the audit trail, and rule changes made in the store taking effect without a restart.
import { Producer, SimpleConsumer, type MessageView } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientConfiguration, ClientServiceProvider, StaticSessionCredentialsProvider } from '../../../src/client/index.js';
import { protoMessage } from '../../helpers/raw-client.js';
import { quietClientLogger, startTestBroker, uniqueName, waitFor, type TestBroker } from '../../helpers/broker.js';
import { sessionCredentials, signedClient, type SignedClient } from '../../helpers/auth.js';

let tb: TestBroker;
const clients: { shutdown(): Promise<void> }[] = [];
const raws: SignedClient[] = [];

const ALICE = { accessKey: 'alice', secretKey: 'alice-secret' };
const BOB = { accessKey: 'bob', secretKey: 'bob-secret-1' };
const CAROL = { accessKey: 'carol', secretKey: 'carol-secret' };
const ROOT = { accessKey: 'root', secretKey: 'root-secret-1' };

beforeAll(async () => {
  tb = await startTestBroker({ auth: true, initUser: `${ROOT.accessKey}:${ROOT.secretKey}`, authRefreshIntervalMs: 50, minInvisibleDurationMs: 500 });
  const { auth } = tb.broker.services;
  await auth.createUser(ALICE.accessKey, ALICE.secretKey, false);
  await auth.grant('alice', 'Topic:orders-*', 'Pub,Sub', 'Allow');
  await auth.grant('alice', 'Group:G-alice-*', 'Sub', 'Allow');
  await auth.createUser(BOB.accessKey, BOB.secretKey, false);
  await auth.grant('bob', 'Topic:other-*', 'All', 'Allow');
  await auth.createUser(CAROL.accessKey, CAROL.secretKey, false);
  await auth.grant('carol', 'Topic:orders-*', 'Sub', 'Allow');
  await auth.grant('carol', 'Group:*', 'Sub', 'Allow');
  await auth.grant('carol', 'Group:G-denied-*', 'Sub', 'Deny');
});
afterAll(async () => {
  for (const c of clients) await c.shutdown().catch(() => undefined);
  for (const r of raws) r.close();
  await tb.close();
});

async function topic(type: 'NORMAL' | 'TRANSACTION', prefix = 'orders'): Promise<string> {
  const name = uniqueName(prefix);
  await tb.broker.services.topics.create(name, type);
  return name;
}

function raw(creds: { accessKey: string; secretKey: string } | undefined, options: { dateMs?: () => number } = {}): SignedClient {
  const c = signedClient(tb.endpoint, creds, options);
  raws.push(c);
  return c;
}

function producer(creds: { accessKey: string; secretKey: string } | undefined, extra: Record<string, unknown> = {}): Producer {
  const p = new Producer({
    endpoints: tb.endpoint,
    namespace: '',
    logger: quietClientLogger,
    ...(creds ? { sessionCredentials: sessionCredentials(creds.accessKey, creds.secretKey) } : {}),
    ...extra,
  });
  clients.push(p);
  return p;
}

async function consumer(creds: { accessKey: string; secretKey: string }, topicName: string, group: string): Promise<SimpleConsumer> {
  const c = new SimpleConsumer({
    endpoints: tb.endpoint,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topicName, '*']]),
    awaitDuration: 500,
    logger: quietClientLogger,
    sessionCredentials: sessionCredentials(creds.accessKey, creds.secretKey),
  });
  clients.push(c);
  await c.startup();
  return c;
}

async function refused(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; message: string };
  }
  throw new Error('expected the broker to refuse');
}

describe('authentication', () => {
  it('lets the official client in with a user’s sessionCredentials, and answers a wrong secret and no credentials UNAUTHORIZED', async () => {
    const t = await topic('NORMAL');
    const good = producer(ALICE);
    await good.startup();
    const receipt = await good.send({ topic: t, body: Buffer.from('hello') });
    expect(receipt.messageId).toBeTruthy();

    const wrong = producer({ accessKey: 'alice', secretKey: 'not-the-secret' });
    await wrong.startup();
    const e1 = await refused(wrong.send({ topic: t, body: Buffer.from('x') }));
    expect(e1.code).toBe(40100);
    expect(e1.message).toMatch(/signature of access key alice does not match/);
    expect(e1.message).not.toContain('not-the-secret');

    const anonymous = producer(undefined);
    await anonymous.startup();
    const e2 = await refused(anonymous.send({ topic: t, body: Buffer.from('x') }));
    expect(e2.code).toBe(40100);
    expect(e2.message).toMatch(/not signed/);

    const stranger = producer({ accessKey: 'mallory', secretKey: 'mallory-secret' });
    await stranger.startup();
    expect((await refused(stranger.send({ topic: t, body: Buffer.from('x') }))).message).toMatch(/access key mallory is unknown/);
  });

  it('answers a request signed with a skewed clock, or a malformed header, UNAUTHORIZED naming the part', async () => {
    const t = await topic('NORMAL');
    const skewed = raw(ALICE, { dateMs: () => Date.now() - 20 * 60_000 });
    const res = await skewed.unary('QueryRoute', { topic: { name: t }, endpoints: null });
    expect(res.status.code).toBe('UNAUTHORIZED');
    expect(res.status.message).toMatch(/x-mq-date-time \d{8}T\d{6}Z is \d+ s from the broker clock/);
    const fresh = await raw(ALICE).unary('QueryRoute', { topic: { name: t }, endpoints: null });
    expect(fresh.status.code).toBe('OK');
  });
});

describe('authorization', () => {
  it('a user without Pub on the topic can neither send nor decide; another user’s EndTransaction is FORBIDDEN; the decider is recorded', async () => {
    const t = await topic('TRANSACTION');
    const bob = raw(BOB);
    const send = await bob.unary('SendMessage', { messages: [protoMessage(t, 'nope')] });
    expect(send.status.code).toBe('FORBIDDEN');
    expect(send.status.message).toMatch(new RegExp(`user bob may not Pub on Topic:${t} \\(no rule allows it\\)`));

    const alice = raw(ALICE);
    const half = await alice.unary('SendMessage', { messages: [protoMessage(t, 'half', { type: 'TRANSACTION' })] });
    expect(half.status.code).toBe('OK');
    const entry = (half.entries as { transaction_id: string; message_id: string }[])[0]!;
    const end = { topic: { name: t }, transaction_id: entry.transaction_id, message_id: entry.message_id, resolution: 'COMMIT', source: 'SOURCE_CLIENT' };
    const stolen = await bob.unary('EndTransaction', end);
    expect(stolen.status.code).toBe('FORBIDDEN');
    expect(stolen.status.message).toMatch(/user bob may not Pub on Topic:/);
    const carol = await raw(CAROL).unary('EndTransaction', end);
    expect(carol.status.code).toBe('FORBIDDEN');
    expect((await tb.broker.services.transactions.describe(entry.transaction_id)).half?.state).toBe('PENDING');

    expect((await alice.unary('EndTransaction', end)).status.code).toBe('OK');
    const described = await raw(ROOT).admin('DescribeTransaction', { transaction_id: entry.transaction_id });
    expect(described.transaction).toMatchObject({ state: 'COMMITTED', decided_by: 'CLIENT', decided_by_user: 'alice' });
    expect((described.transaction as { decided_by_client_id: string }).decided_by_client_id).toMatch(/^auth-test-/);
    expect((described.transaction as { decided_by_address: string }).decided_by_address).toMatch(/127\.0\.0\.1/);
  });

  it('receiving needs Sub on the topic and on the group; a Deny rule wins', async () => {
    const t = await topic('NORMAL');
    const p = producer(ALICE);
    await p.startup();
    await p.send({ topic: t, body: Buffer.from('for carol') });

    // carol: Sub on orders-* and every group but G-denied-*.
    const c = await consumer(CAROL, t, uniqueName('G-carol'));
    const got = await waitFor(async () => ((await c.receive(1, 5000)) as MessageView[])[0], 10_000, 'the message');
    expect(Buffer.from(got.body).toString()).toBe('for carol');
    await c.ack(got);

    // bob has no Sub on the topic; carol is denied the group.
    const bobRes = await raw(BOB).stream('ReceiveMessage', {
      group: { name: uniqueName('G-bob') },
      message_queue: { topic: { name: t }, id: 0 },
      filter_expression: { type: 'TAG', expression: '*' },
      batch_size: 1,
      invisible_duration: { seconds: 10 },
      auto_renew: false,
    });
    expect(bobRes[0]).toMatchObject({ status: { code: 'FORBIDDEN' } });
    expect((bobRes[0] as { status: { message: string } }).status.message).toMatch(new RegExp(`user bob may not Sub on Topic:${t}`));
    const deniedGroup = uniqueName('G-denied');
    const carolRes = await raw(CAROL).unary('AckMessage', { group: { name: deniedGroup }, topic: { name: t }, entries: [{ message_id: 'x', receipt_handle: 'y' }] });
    expect(carolRes.status.code).toBe('FORBIDDEN');
    expect(carolRes.status.message).toMatch(new RegExp(`user carol may not Sub on Group:${deniedGroup} \\(denied by rule Group:G-denied-\\*\\)`));
  });

  it('a consumer’s Telemetry settings need Sub on its group: no group is created for a user without it', async () => {
    const t = await topic('NORMAL');
    const group = uniqueName('G-bob');
    const stream = raw(BOB).telemetry({
      settings: {
        client_type: 'SIMPLE_CONSUMER',
        subscription: { group: { name: group }, subscriptions: [{ topic: { name: t }, expression: { type: 'TAG', expression: '*' } }] },
      },
    });
    const answer = await waitFor(() => stream.received[0], 10_000, 'the settings answer');
    stream.end();
    expect(answer).toMatchObject({ status: { code: 'FORBIDDEN' } });
    expect((answer as { status: { message: string } }).status.message).toMatch(new RegExp(`user bob may not Sub on Group:${group}`));
    expect(await tb.broker.store.getGroup(group)).toBeUndefined();
  });

  it('the admin API needs a super user', async () => {
    const denied = await raw(ALICE).admin('ListTopics', {});
    expect(denied.status.code).toBe('FORBIDDEN');
    expect(denied.status.message).toMatch(/user alice may not call the admin API \(ListTopics\): only super users may/);
    expect((await raw(undefined).admin('ListTransactions', {})).status.code).toBe('UNAUTHORIZED');
    expect((await raw(ROOT).admin('ListTopics', {})).status.code).toBe('OK');
    const users = await raw(ROOT).admin('ListUsers', {});
    expect((users.users as { name: string }[]).map((u) => u.name)).toEqual(['alice', 'bob', 'carol', 'root']);
    expect(JSON.stringify(users)).not.toContain('secret');
  });

  it('rule changes in the store take effect without a restart', async () => {
    const t = await topic('NORMAL', 'other');
    const carol = raw(CAROL);
    expect((await carol.unary('SendMessage', { messages: [protoMessage(t, 'a')] })).status.code).toBe('FORBIDDEN');
    // Written straight into the store, as another broker sharing it would: this broker's cache
    // follows the store's change counter.
    await tb.broker.store.putRule({ user: 'carol', resource: `Topic:${t}`, actions: ['Pub'], decision: 'Allow' });
    await waitFor(async () => (await carol.unary('SendMessage', { messages: [protoMessage(t, 'b')] })).status.code === 'OK', 10_000, 'the grant to apply');
    await tb.broker.store.deleteRule('carol', `Topic:${t}`);
    await waitFor(async () => (await carol.unary('SendMessage', { messages: [protoMessage(t, 'c')] })).status.code === 'FORBIDDEN', 10_000, 'the revoke to apply');
  });
});

describe('transaction checks', () => {
  it('go neither to an unauthenticated Telemetry stream nor to a producer without Pub, only to one with Pub', async () => {
    const t = await topic('TRANSACTION');
    const half = await raw(ALICE).unary('SendMessage', { messages: [protoMessage(t, 'orphan', { type: 'TRANSACTION' })] });
    const txId = (half.entries as { transaction_id: string }[])[0]!.transaction_id;

    // Anonymous: refused at once, the stream ends.
    const anon = raw(undefined).telemetry({ settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: t }] } } });
    await anon.ended;
    expect(anon.received).toEqual([expect.objectContaining({ status: expect.objectContaining({ code: 'UNAUTHORIZED' }) })]);

    // carol (Sub only) connects as a producer of the topic and would answer COMMIT.
    let carolChecks = 0;
    const carolProducer = producer(CAROL, {
      topics: [t],
      checker: {
        async check() {
          carolChecks += 1;
          return TransactionResolution.COMMIT;
        },
      },
    });
    await carolProducer.startup();
    await waitFor(() => tb.broker.services.sessions.liveProducers(t).length === 1, 10_000, 'carol’s telemetry session');
    const { checks, transactions, clock } = tb.broker.services;
    await waitFor(async () => ((await transactions.describe(txId)).half!.nextCheckAtMs <= clock.now() ? true : undefined), 10_000, 'the first check to be due');
    await checks.tick();
    await checks.tick();
    expect((await transactions.describe(txId)).half).toMatchObject({ state: 'PENDING', checkCount: 0 });

    // alice (Pub) connects: the check goes to her, and she decides.
    const aliceProducer = producer(ALICE, {
      topics: [t],
      checker: { check: async () => TransactionResolution.COMMIT },
    });
    await aliceProducer.startup();
    const decided = await waitFor(async () => (await transactions.describe(txId)).decision, 15_000, 'alice’s check answer');
    expect(decided).toMatchObject({ state: 'COMMITTED', source: 'SERVER_CHECK', decidedBy: { user: 'alice' } });
    expect(carolChecks).toBe(0);
  });

  it("one user cannot take over or end another user's client session by reusing its client id", async () => {
    const t = await topic('TRANSACTION');
    const p = producer(ALICE, { topics: [t], checker: { check: async () => TransactionResolution.COMMIT } });
    await p.startup();
    const session = await waitFor(() => tb.broker.services.sessions.liveProducers(t).find((s) => s.user === 'alice'), 10_000, 'alice’s session');
    const hijack = signedClient(tb.endpoint, BOB, { clientId: session.clientId });
    raws.push(hijack);
    const stream = hijack.telemetry({ settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: t }] } } });
    const answer = await waitFor(() => stream.received[0], 10_000, 'the answer to the hijack');
    stream.end();
    expect(answer).toMatchObject({ status: { code: 'FORBIDDEN' } });
    expect((await hijack.unary('NotifyClientTermination', {})).status.code).toBe('FORBIDDEN');
    expect(tb.broker.services.sessions.liveProducers(t).map((s) => s.user)).toEqual(['alice']);
  });

  it("Halfmoon's SDK signs with StaticSessionCredentialsProvider", async () => {
    const t = await topic('NORMAL');
    const provider = ClientServiceProvider.loadService();
    const config = ClientConfiguration.newBuilder()
      .setEndpoints(tb.endpoint)
      .setCredentialProvider(new StaticSessionCredentialsProvider(ALICE.accessKey, ALICE.secretKey))
      .build();
    const sdkProducer = await provider.newProducerBuilder().setClientConfiguration(config).setTopics(t).build();
    try {
      const receipt = await sdkProducer.send(provider.newMessageBuilder().setTopic(t).setBody(Buffer.from('via the SDK')).build());
      expect(receipt.messageId).toBeTruthy();
    } finally {
      await sdkProducer.close();
    }
  });
});
