// The runnable examples in examples/: each one is run as its own process (`node --import tsx`)
// against one real `halfmoon start` process with the HTTP gateway on and fast timings, exactly as
// examples/README.md tells a user to; the ids producers print must come out of the consumers.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { freePort, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { rawClient, type RawClient } from '../helpers/raw-client.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
/** Upper bound for one example process; a hung example is killed and fails its test. */
const CHILD_TIMEOUT_MS = 25_000;
/** How long a consumer example waits for its messages (its own timeout argument). */
const CONSUME_TIMEOUT = '15000';

let broker: BrokerProcess;
let dataDir: string;
let admin: RawClient;
let httpEndpoint: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'halfmoon-examples-'));
  const httpPort = await freePort();
  httpEndpoint = `http://127.0.0.1:${httpPort}`;
  broker = await startBrokerProcess(dataDir, await freePort(), [
    '--http-enabled',
    'true',
    '--http-port',
    String(httpPort),
    '--durable',
    'false',
    '--transaction-timeout-ms',
    '1000',
    '--transaction-check-interval-ms',
    '1000',
    '--transaction-check-tick-ms',
    '50',
    '--transaction-restart-jitter-ms',
    '0',
    '--min-long-polling-timeout-ms',
    '0',
    // bounds how long a push consumer's shutdown waits for its in-flight long poll
    '--max-long-polling-timeout-ms',
    '1500',
    '--delay-poll-ms',
    '50',
    // TransCheckImmunityTime 10 (the minimum) lasts 1 s; undecided halves are re-offered every 500 ms
    '--http-trans-check-second-ms',
    '100',
    '--http-half-check-interval-ms',
    '500',
  ]);
  admin = rawClient(broker.endpoint);
});

afterAll(async () => {
  admin?.close();
  await broker?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function createTopic(prefix: string, type: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION'): Promise<string> {
  const name = uniqueName(prefix);
  const res = await admin.admin('CreateTopic', { name, message_type: type });
  expect(res.status.code).toBe('OK');
  return name;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one example to completion (or kills it after CHILD_TIMEOUT_MS) and expects exit code 0. */
function runExample(file: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(EXAMPLES, file), ...args], {
      env: { ...process.env, HALFMOON_ENDPOINTS: broker.endpoint, HALFMOON_HTTP_ENDPOINT: httpEndpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const run = { code, stdout, stderr };
      if (code === 0) resolve(run);
      else reject(new Error(`${file} ${args.join(' ')} exited with ${code ?? signal}\n--- stdout\n${stdout}--- stderr\n${stderr}`));
    });
  });
}

/** The ids on lines `<prefix> <id> ...`, in output order. */
function ids(out: string, prefix: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(prefix + ' '))
    .map((l) => l.slice(prefix.length + 1).split(' ')[0]!);
}

describe('examples with the official rocketmq-client-nodejs', () => {
  it('official-producer → official-simple-consumer (tag filter), official-push-consumer (FIFO order), DELAY', async () => {
    const [normal, fifo, delay] = await Promise.all([createTopic('ExOrders', 'NORMAL'), createTopic('ExFifo', 'FIFO'), createTopic('ExDelay', 'DELAY')]);
    const produced = await runExample('official-producer.ts', [normal, fifo, delay, '1000']);
    // Lines are `sent <TYPE> <tag> <messageId>`.
    const sent = (type: string): string[] => [...produced.stdout.matchAll(new RegExp(`^sent ${type} \\S+ (\\S+)`, 'gm'))].map((m) => m[1]!);
    const [created, paid] = sent('NORMAL');
    const fifoIds = sent('FIFO');
    const [delayed] = sent('DELAY');
    expect(created).toBeTruthy();
    expect(paid).toBeTruthy();
    expect(fifoIds).toHaveLength(3);
    expect(delayed).toBeTruthy();

    const [simple, push, delayConsumer] = await Promise.all([
      runExample('official-simple-consumer.ts', [normal, uniqueName('billing'), 'paid', '1', CONSUME_TIMEOUT]),
      runExample('official-push-consumer.ts', [fifo, uniqueName('shipping'), '3', CONSUME_TIMEOUT]),
      runExample('official-simple-consumer.ts', [delay, uniqueName('reminders'), '*', '1', CONSUME_TIMEOUT]),
    ]);
    // The filter "paid" let through the paid message only.
    expect(ids(simple.stdout, 'received')).toEqual([paid]);
    expect(ids(simple.stdout, 'extended')).toEqual([paid]);
    expect(simple.stdout).toContain('acked 1 of 1');
    expect(simple.stdout).not.toContain(created);
    // FIFO: in send order.
    expect(ids(push.stdout, 'consumed')).toEqual(fifoIds);
    expect(push.stdout).toContain('done: consumed 3 of 3');
    expect(ids(delayConsumer.stdout, 'received')).toEqual([delayed]);
  });

  it('official-transaction: the committed message is delivered, the rolled-back one is not', async () => {
    const topic = await createTopic('ExPayments', 'TRANSACTION');
    const tx = await runExample('official-transaction.ts', [topic]);
    const [committed] = ids(tx.stdout, 'committed');
    const rolledBack = tx.stdout.match(/^rolled back (\S+)/m)?.[1];
    expect(committed).toBeTruthy();
    expect(rolledBack).toBeTruthy();

    const consumed = await runExample('official-simple-consumer.ts', [topic, uniqueName('billing'), '*', '1', CONSUME_TIMEOUT]);
    expect(ids(consumed.stdout, 'received')).toEqual([committed]);
    for (const [id, state] of [
      [committed!, 'COMMITTED'],
      [rolledBack!, 'ROLLED_BACK'],
    ] as const) {
      const res = await admin.admin('DescribeTransaction', { transaction_id: id });
      expect(res.status.code).toBe('OK');
      expect(res.transaction).toMatchObject({ state, decided_by: 'CLIENT' });
    }
  });
});

describe('examples with the Halfmoon SDK', () => {
  it('sdk-producer → sdk-simple-consumer and sdk-push-consumer (two groups) get every message', async () => {
    const topic = await createTopic('ExSdkOrders', 'NORMAL');
    const produced = await runExample('sdk-producer.ts', [topic, '3', 'paid']);
    const sent = ids(produced.stdout, 'sent');
    expect(sent).toHaveLength(3);

    const [simple, push] = await Promise.all([
      runExample('sdk-simple-consumer.ts', [topic, uniqueName('billing'), 'paid', '3', CONSUME_TIMEOUT]),
      runExample('sdk-push-consumer.ts', [topic, uniqueName('shipping'), '3', CONSUME_TIMEOUT]),
    ]);
    expect(ids(simple.stdout, 'received').sort()).toEqual([...sent].sort());
    expect(simple.stdout).toMatch(/^received \S+ tag=paid keys=order-1 amount=10\.00 attempt=1$/m);
    expect(simple.stdout).toContain('acked 3 of 3');
    expect(ids(push.stdout, 'consumed').sort()).toEqual([...sent].sort());
    expect(push.stdout).toContain('done: consumed 3 of 3');
  });

  it('sdk-push-consumer stops at its count when more messages are waiting (never "consumed 6 of 3")', async () => {
    const topic = await createTopic('ExSdkMany', 'NORMAL');
    const sent = ids((await runExample('sdk-producer.ts', [topic, '8', 'paid'])).stdout, 'sent');
    expect(sent).toHaveLength(8);
    const push = await runExample('sdk-push-consumer.ts', [topic, uniqueName('shipping'), '3', CONSUME_TIMEOUT]);
    expect(ids(push.stdout, 'consumed')).toHaveLength(3);
    expect(push.stdout).toContain('done: consumed 3 of 3');
  });

  it('sdk-transaction commits a half message that sdk-simple-consumer then receives', async () => {
    const topic = await createTopic('ExSdkPayments', 'TRANSACTION');
    const tx = await runExample('sdk-transaction.ts', [topic]);
    const id = tx.stdout.match(/^sent half message (\S+)/m)?.[1];
    expect(id).toBeTruthy();
    expect(tx.stdout).toContain('committed');
    const consumed = await runExample('sdk-simple-consumer.ts', [topic, uniqueName('billing'), 'paid', '1', CONSUME_TIMEOUT]);
    expect(ids(consumed.stdout, 'received')).toEqual([id]);
  });
});

describe('examples with @aliyunmq/mq-http-sdk', () => {
  it('http-transaction commits by publish handle and after consumeHalfMessage, then consumes both', async () => {
    const topic = await createTopic('ExHttpPayments', 'TRANSACTION');
    const run = await runExample('http-transaction.ts', [topic, uniqueName('GID_P'), uniqueName('GID_B'), '10']);
    const published = ids(run.stdout, 'published half');
    expect(published).toHaveLength(2);
    expect(ids(run.stdout, 'committed')).toEqual(published);
    expect(ids(run.stdout, 'offered half')).toContain(published[1]);
    expect(ids(run.stdout, 'offered half')).not.toContain(published[0]);
    expect(ids(run.stdout, 'consumed').sort()).toEqual([...published].sort());
    expect(run.stdout.trimEnd().endsWith('done')).toBe(true);
  });
});
