// Halfmoon's driver for the peers method, over the lean gRPC client (one HTTP/2 session):
// NORMAL sends, transactions (SendMessage TRANSACTION + EndTransaction COMMIT), transactions
// with 10 % rolled back and 10 % left to the checker (a Telemetry stream answers the checks and
// counts checks for ids it had already decided and duplicated checks: both must stay 0), and
// batched NORMAL sends; consumption with ReceiveMessage loops (prefetch / batch) acking each
// batch with one AckMessage. The hot requests are written by lean-codec.ts and their replies read
// by lean-replies.ts (every status still checked); the rare calls go through protobufjs.
import { performance } from 'node:perf_hooks';
import { messageIdFactory } from '../raw-grpc.js';
import { AckEncoder, EndTransactionEncoder, SendEncoder } from '../lean-codec.js';
import { frame, LeanGrpc, leanRoot, pbDuration, pbResource, type PbObject, type PbReply } from '../lean-grpc.js';
import { checkOk, readReceiveReply, readReplyStatus, readSendReply } from '../lean-replies.js';
import type { Driver, DriverTarget } from './method.js';

/** First check of a transaction left undecided: this long after its send. */
export const LEFT_RECOVERY_MS = 2_000;

function ok(what: string, r: PbReply): PbReply {
  if (r.status.code !== 'OK') throw new Error(`${what}: ${r.status.code} ${r.status.message}`);
  return r;
}

export interface CheckCounters {
  checks: number;
  checksForDecided: number;
  duplicateChecks: number;
  left: number;
  firstCheckWall: number;
  lastCheckWall: number;
  /** When the Telemetry settings reply arrived (the producer is attached). */
  attachedWall: number;
}

export async function halfmoonDriver(t: DriverTarget, clientId: string): Promise<Driver> {
  const c = await LeanGrpc.connect(t.endpoint, clientId);
  const topic = t.name;
  const nextId = messageIdFactory();
  const decided = new Set<string>();
  const answered = new Set<string>();
  const counters: CheckCounters = { checks: 0, checksForDecided: 0, duplicateChecks: 0, left: 0, firstCheckWall: 0, lastCheckWall: 0, attachedWall: 0 };
  let telemetry: ReturnType<LeanGrpc['bidi']> | undefined;
  const transactional = t.mode === 'tx' || t.mode === 'tx-mixed' || t.answerChecks === false;
  const group = `${topic}Group`;

  const codeName = (code: number): string => c.codeName(code);
  const sendNormal = new SendEncoder({ topic, type: 'NORMAL', bornHost: 'bench' });
  const sendTx = new SendEncoder({ topic, type: 'TRANSACTION', bornHost: 'bench', recoveryMs: LEFT_RECOVERY_MS });
  const endTx = new EndTransactionEncoder(topic);
  const ack = new AckEncoder(group, topic);
  const readNormal = (bytes: Buffer): void => checkOk('SendMessage', readSendReply(bytes, false).status, codeName);
  const readTx = (bytes: Buffer): string => {
    const r = readSendReply(bytes, true);
    checkOk('SendMessage', r.status, codeName);
    const tx = r.transactionIds[0];
    if (tx === undefined) throw new Error('SendMessage: a reply without an entry');
    return tx;
  };
  const readEnd = (bytes: Buffer): void => checkOk('EndTransaction', readReplyStatus(bytes), codeName);
  const readAck = (bytes: Buffer): void => checkOk('AckMessage', readReplyStatus(bytes), codeName);
  const receiveType = leanRoot().lookupType('apache.rocketmq.v2.ReceiveMessageRequest');

  const onCheck = (cmd: PbObject): void => {
    const rec = cmd.recover_orphaned_transaction_command as { transaction_id: string; message: { system_properties: { message_id: string } } } | undefined;
    if (!rec) return;
    const tx = rec.transaction_id;
    counters.checks++;
    counters.lastCheckWall = Date.now();
    if (counters.firstCheckWall === 0) counters.firstCheckWall = counters.lastCheckWall;
    if (decided.has(tx)) counters.checksForDecided++;
    if (answered.has(tx)) {
      counters.duplicateChecks++;
      return;
    }
    answered.add(tx);
    if (t.answerChecks === false) return;
    void c.unaryFramed('EndTransaction', endTx.frame(rec.message.system_properties.message_id, tx, 'COMMIT', 'SOURCE_SERVER_CHECK'), readReplyStatus).catch(() => undefined);
  };

  const publishTx = async (body: Buffer, seq: number): Promise<void> => {
    // tx-mixed: of every 10 transactions, one is rolled back and one left to the checker.
    const kind = t.mode === 'tx-mixed' ? seq % 10 : 0;
    const id = nextId();
    const tx = await c.unaryFramed('SendMessage', sendTx.frame([id], [body], Date.now()), readTx);
    if (kind === 9) {
      counters.left++;
      return;
    }
    decided.add(tx);
    await c.unaryFramed('EndTransaction', endTx.frame(id, tx, kind === 8 ? 'ROLLBACK' : 'COMMIT', 'SOURCE_CLIENT'), readEnd);
  };

  return {
    async prepare() {
      const type = transactional ? 'TRANSACTION' : 'NORMAL';
      ok('CreateTopic', await c.unary('admin.CreateTopic', { name: topic, message_type: type }));
      if (transactional) {
        // A producer session (Telemetry settings with the topic) receives the checks.
        let settled: () => void = () => undefined;
        const got = new Promise<void>((r) => (settled = r));
        telemetry = c.bidi('Telemetry', 3_600_000, (cmd) => {
          if (cmd.settings) {
            counters.attachedWall ||= Date.now();
            settled();
          }
          onCheck(cmd);
        });
        telemetry.send({ settings: { client_type: 'PRODUCER', request_timeout: pbDuration(10_000), publishing: { topics: [pbResource(topic)] } } });
        await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('Telemetry: no settings reply in 10 s')), 10_000))]);
      }
    },

    publish(bodies, seq) {
      if (!transactional) return c.unaryFramed('SendMessage', sendNormal.frame(bodies.map(nextId), bodies, Date.now()), readNormal);
      return publishTx(bodies[0]!, seq);
    },

    async consume(n, onMessage, deadline) {
      let count = 0;
      const loops = Math.max(1, Math.floor(t.prefetch / t.ackBatch));
      // The request for a long poll of `wait` ms (the same bytes each time: kept for the last wait).
      let lastWait = -1;
      let lastRequest: Buffer | undefined;
      const receiveRequest = (wait: number): Buffer => {
        if (wait !== lastWait || !lastRequest) {
          lastWait = wait;
          lastRequest = frame(receiveType, {
            group: pbResource(group),
            message_queue: { topic: pbResource(topic), id: 0, permission: 'READ_WRITE' },
            filter_expression: { type: 'TAG', expression: '*' },
            batch_size: t.ackBatch,
            invisible_duration: pbDuration(60_000),
            auto_renew: false,
            long_polling_timeout: pbDuration(wait),
          });
        }
        return lastRequest;
      };
      const loop = async (): Promise<void> => {
        while (count < n && performance.now() < deadline) {
          const wait = Math.max(100, Math.min(2_000, deadline - performance.now()));
          const request = receiveRequest(wait);
          const ids: Buffer[] = [];
          const handles: Buffer[] = [];
          const bodies: Buffer[] = [];
          await c.streamFramed('ReceiveMessage', request, wait + 5_000, (bytes) => {
            const r = readReceiveReply(bytes);
            if (r.kind !== 'message') return;
            ids.push(r.messageId);
            handles.push(r.receiptHandle);
            bodies.push(r.body);
          });
          // Delivered when the stream ended (as before: the bodies are counted then, then acked).
          for (const body of bodies) onMessage(body);
          if (ids.length === 0) continue;
          await c.unaryFramed('AckMessage', ack.frame(ids, handles), readAck);
          count += ids.length;
        }
      };
      // Resolves at the n-th ack; loops still in a long poll are abandoned (close() ends them).
      let reached: () => void = () => undefined;
      const done = new Promise<void>((r) => (reached = r));
      const all = Promise.all(
        Array.from({ length: loops }, () =>
          loop().then(() => {
            if (count >= n) reached();
          }),
        ),
      );
      await Promise.race([done, all]);
      all.catch(() => undefined);
    },

    async extra() {
      return { ...counters };
    },

    async close() {
      telemetry?.end();
      c.close();
    },
  };
}

/** The official rocketmq-client-nodejs Producer (grpc-js): NORMAL sends, for the official-client row. */
export async function officialDriver(t: DriverTarget): Promise<Driver> {
  const { Producer } = await import('rocketmq-client-nodejs');
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined };
  const setup = await LeanGrpc.connect(t.endpoint, `bench-official-setup-${process.pid}`);
  const producer = new Producer({ endpoints: t.endpoint, namespace: '', topic: t.name, logger: quiet });
  let started = false;
  return {
    async prepare() {
      ok('CreateTopic', await setup.unary('admin.CreateTopic', { name: t.name, message_type: 'NORMAL' }));
      setup.close();
      await producer.startup();
      started = true;
    },
    async publish(bodies) {
      for (const body of bodies) await producer.send({ topic: t.name, body });
    },
    consume() {
      return Promise.reject(new Error('the official-client row only publishes'));
    },
    async close() {
      if (started) await producer.shutdown().catch(() => undefined);
    },
  };
}
