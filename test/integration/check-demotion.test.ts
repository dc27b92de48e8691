// Checks that silent producers cannot exhaust (issue 15): fifty raw Telemetry streams declare
// themselves producers of a transaction topic and never answer a check; one honest producer (the
// official client, its checker answers COMMIT) comes online after them. Every orphaned
// transaction (its sender has no stream) must end committed by the honest producer's answer —
// the silent ones are demoted and their unanswered checks re-sent, and never count against
// transactionCheckMax, which here is 1 (a single unanswered check counted as an answer would
// roll a transaction back).
import { Producer } from 'rocketmq-client-nodejs';
import { TransactionResolution } from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { afterEach, expect, it } from 'vitest';
import { quietClientLogger, startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { protoMessage, rawClient, type RawClient, type RawTelemetry } from '../helpers/raw-client.js';

const SILENT = 50;
const ORPHANS = 100;

let tb: TestBroker | undefined;
let raw: RawClient | undefined;
let honest: Producer | undefined;
const streams: RawTelemetry[] = [];

afterEach(async () => {
  await honest?.shutdown().catch(() => undefined);
  for (const s of streams.splice(0)) s.end();
  raw?.close();
  await tb?.close();
});

it('50 silent producers and one honest one: every orphaned transaction is committed, none rolled back by the policy', async () => {
  tb = await startTestBroker({
    transactionTimeoutMs: 500,
    transactionCheckIntervalMs: 2000,
    transactionCheckAnswerTimeoutMs: 300,
    transactionCheckMax: 1,
  });
  const topic = uniqueName('TxSilent');
  await tb.broker.services.topics.create(topic, 'TRANSACTION');
  raw = rawClient(tb.endpoint, 'orphan-sender');

  // The silent producers: settings declare them producers of the topic; checks are never answered.
  for (let i = 0; i < SILENT; i++) {
    const s = raw.telemetry(`silent-${i}`);
    streams.push(s);
    s.write({ settings: { client_type: 'PRODUCER', publishing: { topics: [{ name: topic, resource_namespace: '' }] } } });
  }
  await Promise.all(streams.map((s) => s.next((c) => c.settings !== undefined && c.settings !== null)));
  expect(tb.broker.services.sessions.liveProducers(topic)).toHaveLength(SILENT);

  // The orphans: half messages whose sender has no Telemetry stream (it crashed, say).
  const ids: string[] = [];
  for (let i = 0; i < ORPHANS; i++) {
    const res = await raw.unary('SendMessage', { messages: [protoMessage(topic, `orphan-${i}`, { type: 'TRANSACTION' })] });
    expect(res.status.code).toBe('OK');
    ids.push((res.entries as { transaction_id: string }[])[0]!.transaction_id);
  }

  // The honest producer comes online after the silent ones and commits whatever it is asked about.
  let asked = 0;
  honest = new Producer({
    endpoints: tb.endpoint,
    namespace: '',
    topic,
    logger: quietClientLogger,
    checker: {
      check: async () => {
        asked++;
        return TransactionResolution.COMMIT;
      },
    },
  });
  await honest.startup();

  const store = tb.broker.store;
  const decisions = await waitFor(
    async () => {
      const all = await Promise.all(ids.map((id) => store.getDecision(id)));
      return all.every((d) => d !== undefined) ? all : undefined;
    },
    45_000,
    'every orphaned transaction decided',
  );
  const bySource = new Map<string, number>();
  for (const d of decisions) bySource.set(`${d!.state} ${d!.source}`, (bySource.get(`${d!.state} ${d!.source}`) ?? 0) + 1);
  expect(Object.fromEntries(bySource)).toEqual({ 'COMMITTED SERVER_CHECK': ORPHANS });
  expect(asked).toBeGreaterThanOrEqual(ORPHANS);
  // The silent producers were asked (they are candidates like any other) and let their checks time out.
  const silentChecks = streams.reduce((n, s) => n + s.received.filter((c) => c.recover_orphaned_transaction_command).length, 0);
  expect(silentChecks).toBeGreaterThan(0);
  expect(tb.broker.services.sessions.checkStats.get('silent-0')?.answered ?? 0).toBe(0);
  // Every message is delivered once committed.
  expect((await store.read(topic, 0, 0, ORPHANS + 10)).length).toBe(ORPHANS);
});
