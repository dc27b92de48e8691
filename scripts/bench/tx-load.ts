// Load generators for tx-throughput.ts (run in a worker thread): closed-loop transactions
// (half-message SendMessage, then EndTransaction COMMIT) measuring each RPC's latency, either
// over raw gRPC (one channel + client id per in-flight slot) or with the official
// rocketmq-client-nodejs Producer (beginTransaction / send / commit).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Producer } from 'rocketmq-client-nodejs';
import definitionPb from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import { Samples, silentClientLogger, sleep, type LatencySummary } from './common.js';
import { messageIdFactory, protoMessage, rawMessaging, type RawMessaging } from './raw-grpc.js';

// A CommonJS module: its named exports are only reachable through the default import under Node ESM.
const { TransactionResolution } = definitionPb;

export interface TxLoadParams {
  endpoint: string;
  topic: string;
  /** Transactions in flight (closed loop). */
  concurrency: number;
  warmupMs: number;
  measureMs: number;
  bodyBytes: number;
}

export interface TxLoadResult {
  /** Transactions completed (both RPCs OK) inside the measurement window. */
  completed: number;
  windowMs: number;
  send: LatencySummary;
  end: LatencySummary;
  /** SendMessage + EndTransaction, as the application sees one transaction. */
  total: LatencySummary;
  errors: number;
  firstError?: string;
}

interface Recorder {
  send: Samples;
  end: Samples;
  total: Samples;
  completed: number;
  errors: number;
  firstError?: string;
}

/** Runs `one` in `concurrency` closed loops: warm-up, then a measured window; marks both ends. */
async function closedLoop(p: TxLoadParams, mark: (event: string) => void, one: (slot: number, rec: Recorder | undefined) => Promise<void>): Promise<TxLoadResult> {
  const rec: Recorder = { send: new Samples(), end: new Samples(), total: new Samples(), completed: 0, errors: 0 };
  let measuring = false;
  let stop = false;
  const loops = Array.from({ length: p.concurrency }, async (_, slot) => {
    while (!stop) {
      const r = measuring ? rec : undefined;
      try {
        await one(slot, r);
      } catch (err) {
        rec.errors++;
        rec.firstError ??= (err as Error).message;
        await sleep(10);
      }
    }
  });
  await sleep(p.warmupMs);
  mark('measure-start');
  const t0 = performance.now();
  measuring = true;
  await sleep(p.measureMs);
  measuring = false;
  const windowMs = performance.now() - t0;
  mark('measure-end');
  stop = true;
  await Promise.all(loops);
  const result: TxLoadResult = {
    completed: rec.completed,
    windowMs,
    send: rec.send.summary(),
    end: rec.end.summary(),
    total: rec.total.summary(),
    errors: rec.errors,
  };
  if (rec.firstError !== undefined) result.firstError = rec.firstError;
  return result;
}

/** Raw gRPC: SendMessage (TRANSACTION) then EndTransaction (COMMIT, SOURCE_CLIENT). */
export async function rawTxLoad(p: TxLoadParams, mark: (event: string) => void): Promise<TxLoadResult> {
  const body = randomBytes(p.bodyBytes);
  const nextId = messageIdFactory();
  const clients: RawMessaging[] = Array.from({ length: p.concurrency }, (_, i) => rawMessaging(p.endpoint, `bench-tx-${process.pid}-${i}`));
  try {
    return await closedLoop(p, mark, async (slot, rec) => {
      const c = clients[slot]!;
      const id = nextId();
      const t0 = performance.now();
      const sent = await c.unary('SendMessage', { messages: [protoMessage(p.topic, id, body, 'TRANSACTION')] });
      const t1 = performance.now();
      if (sent.status.code !== 'OK') throw new Error(`SendMessage: ${sent.status.code} ${sent.status.message}`);
      const transactionId = (sent.entries as { transaction_id: string }[])[0]!.transaction_id;
      const ended = await c.unary('EndTransaction', {
        topic: { name: p.topic, resource_namespace: '' },
        message_id: id,
        transaction_id: transactionId,
        resolution: 'COMMIT',
        source: 'SOURCE_CLIENT',
        trace_context: '',
      });
      const t2 = performance.now();
      if (ended.status.code !== 'OK') throw new Error(`EndTransaction: ${ended.status.code} ${ended.status.message}`);
      if (rec) {
        rec.send.push(t1 - t0);
        rec.end.push(t2 - t1);
        rec.total.push(t2 - t0);
        rec.completed++;
      }
    });
  } finally {
    for (const c of clients) c.close();
  }
}

/** Official client: one Producer, `concurrency` transactions in flight. */
export async function officialTxLoad(p: TxLoadParams, mark: (event: string) => void): Promise<TxLoadResult> {
  const body = randomBytes(p.bodyBytes);
  const producer = new Producer({
    endpoints: p.endpoint,
    namespace: '',
    topic: p.topic,
    logger: silentClientLogger,
    // Every transaction is committed right away; a check would mean a lost EndTransaction.
    checker: { check: async () => TransactionResolution.COMMIT },
  });
  await producer.startup();
  try {
    return await closedLoop(p, mark, async (_slot, rec) => {
      const tx = producer.beginTransaction();
      const t0 = performance.now();
      await producer.send({ topic: p.topic, body }, tx);
      const t1 = performance.now();
      await tx.commit();
      const t2 = performance.now();
      if (rec) {
        rec.send.push(t1 - t0);
        rec.end.push(t2 - t1);
        rec.total.push(t2 - t0);
        rec.completed++;
      }
    });
  } finally {
    await producer.shutdown().catch(() => undefined);
  }
}
