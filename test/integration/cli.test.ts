// The `halfmoon` CLI end to end against a running broker: topic, group and tx admin commands,
// --json output, exit codes (0 ok, 1 broker error, 2 usage error).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { runCli } from '../helpers/broker-process.js';
import { protoMessage, rawClient } from '../helpers/raw-client.js';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startTestBroker({ transactionTimeoutMs: 600_000 });
});
afterAll(async () => tb.close());

const cli = (...args: string[]) => runCli([...args, '--endpoints', tb.endpoint]);

describe('halfmoon topic', () => {
  it('creates, lists, describes and deletes a topic', async () => {
    const name = uniqueName('CliTopic');
    const created = await cli('topic', 'create', name, '--type', 'fifo');
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain(`created: topic ${name} (FIFO)`);
    expect((await cli('topic', 'create', name, '--type', 'FIFO')).stdout).toContain('exists');

    const list = await cli('topic', 'list', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ name, message_type: 'FIFO' })]));

    const described = await cli('topic', 'describe', name);
    expect(described.stdout).toContain('MAX OFFSET');

    const keeper = uniqueName('CliKeep');
    expect((await cli('topic', 'create', keeper, '--type', 'TRANSACTION', '--check-policy', 'KEEP')).code).toBe(0);
    expect((await cli('topic', 'describe', keeper)).stdout).toContain(`topic ${keeper} (TRANSACTION, check policy KEEP)`);

    expect((await cli('topic', 'delete', name)).code).toBe(0);
    const gone = await cli('topic', 'describe', name);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('TOPIC_NOT_FOUND');
  }, 30_000);

  it('explains bad input: unknown type (2), missing --type (2), unknown command (2), unreachable broker (1)', async () => {
    const badType = await cli('topic', 'create', uniqueName('X'), '--type', 'SOMETIMES');
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain('--type takes NORMAL, FIFO, DELAY, TRANSACTION, got "SOMETIMES"');
    const noType = await cli('topic', 'create', 'Y');
    expect(noType.code).toBe(2);
    expect(noType.stderr).toContain('--type');
    expect((await cli('topic', 'frobnicate')).code).toBe(2);
    const down = await runCli(['topic', 'list', '--endpoints', '127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach a Halfmoon broker');
  }, 30_000);
});

describe('halfmoon tx', () => {
  it('lists a pending transaction and commits it by hand', async () => {
    const topic = uniqueName('CliTx');
    await tb.broker.services.topics.create(topic, 'TRANSACTION');
    const raw = rawClient(tb.endpoint);
    const sent = await raw.unary('SendMessage', { messages: [protoMessage(topic, 'pending', { type: 'TRANSACTION' })] });
    const id = (sent.entries as { transaction_id: string }[])[0]!.transaction_id;
    raw.close();

    const list = await cli('tx', 'list', '--topic', topic);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('PENDING');
    const json = JSON.parse((await cli('tx', 'list', '--topic', topic, '--state', 'pending', '--json')).stdout) as { transaction_id: string }[];
    expect(json.map((t) => t.transaction_id)).toEqual([id]);

    const notAbandoned = await cli('tx', 'recheck', id);
    expect(notAbandoned.code).toBe(1);
    expect(notAbandoned.stderr).toContain('is PENDING, not ABANDONED');
    // Its sender has no Telemetry stream: nobody can be asked, and stats say so.
    const waiting = JSON.parse((await cli('tx', 'stats', '--json')).stdout) as { pending_without_producer: string; groups_without_producer: string[] };
    expect(Number(waiting.pending_without_producer)).toBeGreaterThanOrEqual(1);
    expect(waiting.groups_without_producer).toContain(topic);

    const commit = await cli('tx', 'commit', id, '--reason', 'verified by hand');
    expect(commit).toMatchObject({ code: 0 });
    expect(commit.stdout).toContain(`committed: transaction ${id}`);
    expect((await cli('tx', 'commit', id)).stdout).toContain('already committed');
    const conflict = await cli('tx', 'rollback', id);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('INVALID_TRANSACTION_ID');

    const describe = await cli('tx', 'describe', id);
    expect(describe.stdout).toMatch(/state\s+COMMITTED/);
    expect(describe.stdout).toContain('by ADMIN');
    const stats = JSON.parse((await cli('tx', 'stats', '--json')).stdout) as Record<string, string>;
    expect(Number(stats.committed)).toBeGreaterThanOrEqual(1);
    expect((await tb.broker.store.read(topic, 0, 0, 10)).map((m) => m.body.toString())).toEqual(['pending']);
  }, 30_000);
});

describe('halfmoon tx list --key', () => {
  it('lists newest first, so --limit cuts off the oldest, decided ones included', async () => {
    const topic = uniqueName('CliTxKey');
    const key = uniqueName('order');
    await tb.broker.services.topics.create(topic, 'TRANSACTION');
    const raw = rawClient(tb.endpoint);
    const ids: string[] = [];
    try {
      for (const body of ['first', 'second', 'third']) {
        const m = protoMessage(topic, body, { type: 'TRANSACTION' });
        (m.system_properties as { keys: string[] }).keys = [key];
        const sent = await raw.unary('SendMessage', { messages: [m] });
        ids.push((sent.entries as { transaction_id: string }[])[0]!.transaction_id);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      raw.close();
    }
    expect((await cli('tx', 'commit', ids[2]!)).code).toBe(0); // the newest is decided
    const listed = (args: string[]) =>
      cli('tx', 'list', '--key', key, '--json', ...args).then((r) =>
        (JSON.parse(r.stdout) as { transaction_id: string; state: string }[]).map((t) => [t.transaction_id, t.state]),
      );
    expect(await listed([])).toEqual([
      [ids[2], 'COMMITTED'],
      [ids[1], 'PENDING'],
      [ids[0], 'PENDING'],
    ]);
    expect(await listed(['--limit', '2'])).toEqual([
      [ids[2], 'COMMITTED'],
      [ids[1], 'PENDING'],
    ]);
    expect(await listed(['--limit', '1', '--state', 'pending'])).toEqual([[ids[1], 'PENDING']]);
  }, 30_000);
});

describe('halfmoon group', () => {
  it('updates and describes a group', async () => {
    const group = uniqueName('CliGroup');
    const updated = await cli('group', 'update', group, '--fifo', 'true', '--max-delivery-attempts', '5');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('fifo=true maxDeliveryAttempts=5');
    const described = await cli('group', 'describe', group, '--json');
    expect(JSON.parse(described.stdout).group).toMatchObject({ name: group, fifo: true, max_delivery_attempts: 5 });
    const bad = await cli('group', 'update', group, '--max-delivery-attempts', '0');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('out of range');
  }, 30_000);
});

describe('halfmoon start', () => {
  it('rejects an invalid setting naming the field (exit 2)', async () => {
    const res = await runCli(['start', '--grpc-port', 'eighty']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("'grpcPort'");
  });

  it('prints the configuration table with --help', async () => {
    const res = await runCli(['start', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('--transaction-check-interval-ms');
    expect(res.stdout).toContain('HALFMOON_DATA_DIR');
  });
});
