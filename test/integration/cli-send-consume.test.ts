// `halfmoon send` and `halfmoon consume` end to end (real CLI processes against an in-process
// broker): bodies from --body, --file and stdin, tags and filters, --json shapes, --count,
// --no-ack redelivery, transactional commit vs rollback, usage errors (exit 2), broker refusals
// (exit 1 with the RocketMQ code) and --help on every command.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { CLI, runCli } from '../helpers/broker-process.js';

/** Idle time after which consume gives up in these tests, ms. */
const IDLE_MS = 1500;
/** Invisible duration for the --no-ack test: short, so redelivery comes within IDLE_MS. */
const INVISIBLE_MS = 1000;

let tb: TestBroker;
let dir: string;
beforeAll(async () => {
  tb = await startTestBroker({ transactionTimeoutMs: 600_000, minInvisibleDurationMs: 300 });
  dir = await mkdtemp(join(tmpdir(), 'halfmoon-cli-send-'));
});
afterAll(async () => {
  await tb.close();
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli([...args, '--endpoints', tb.endpoint]);

/** Runs the CLI with `input` piped to its stdin. */
function cliWithInput(input: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, '--endpoints', tb.endpoint], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

interface Received {
  messageId: string;
  topic: string;
  tag: string | null;
  keys: string[];
  properties: Record<string, string>;
  body: string;
  deliveryAttempt: number;
  messageGroup?: string;
}

describe('halfmoon send and consume', () => {
  it('sends from --body, --file and stdin with tags, and consumes with a filter, --count and --no-ack', async () => {
    const topic = uniqueName('CliSend');
    expect((await cli('topic', 'create', topic, '--type', 'NORMAL')).code).toBe(0);
    const file = join(dir, 'body.txt');
    await writeFile(file, 'from a file');

    const [text, fromFile, fromStdin] = await Promise.all([
      cli('send', '--topic', topic, '--body', 'alpha', '--tag', 'TagA', '--keys', 'k1,k2', '--property', 'region=eu', '--json'),
      cli('send', '--topic', topic, '--file', file, '--tag', 'TagB', '--count', '2'),
      cliWithInput('from stdin', 'send', '--topic', topic, '--tag', 'TagC'),
    ]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    const sent = JSON.parse(text.stdout) as Record<string, unknown>;
    expect(sent).toEqual({ messageId: expect.any(String), topic, outcome: 'sent' });
    expect(fromFile.code).toBe(0);
    const fileIds = lines(fromFile.stdout);
    expect(fileIds).toHaveLength(2);
    expect(new Set(fileIds).size).toBe(2);
    expect(fromStdin.code).toBe(0);
    const stdinId = lines(fromStdin.stdout)[0]!;

    // Filter TagA||TagC: the --body and the stdin message; fewer than --count, so it says so.
    const filtered = await cli('consume', '--group', uniqueName('CliG'), '--topic', topic, '--filter', 'TagA||TagC', '--count', '5', '--timeout', String(IDLE_MS), '--json');
    expect(filtered.code).toBe(0);
    expect(filtered.stderr).toContain('received 2 of 5 before timeout');
    const got = lines(filtered.stdout)
      .map((l) => JSON.parse(l) as Received)
      .sort((a, b) => a.body.localeCompare(b.body));
    expect(got).toEqual([
      { messageId: sent.messageId, topic, tag: 'TagA', keys: ['k1', 'k2'], properties: { region: 'eu' }, body: 'alpha', deliveryAttempt: 1 },
      { messageId: stdinId, topic, tag: 'TagC', keys: [], properties: {}, body: 'from stdin', deliveryAttempt: 1 },
    ]);

    // --count stops early (no complaint); --no-ack leaves the three for redelivery.
    const group = uniqueName('CliNoAck');
    const noAck = await cli('consume', '--group', group, '--topic', topic, '--count', '3', '--no-ack', '--invisible', String(INVISIBLE_MS));
    expect(noAck).toMatchObject({ code: 0, stderr: '' });
    const firstThree = lines(noAck.stdout);
    expect(firstThree).toHaveLength(3);
    // The sends ran concurrently, so which three come first is not fixed; each line is one of them.
    const expected = new Map<string, string>([
      [String(sent.messageId), `${String(sent.messageId)} tag=TagA keys=k1,k2 body=alpha`],
      [fileIds[0]!, `${fileIds[0]} tag=TagB keys= body=from a file`],
      [fileIds[1]!, `${fileIds[1]} tag=TagB keys= body=from a file`],
      [stdinId, `${stdinId} tag=TagC keys= body=from stdin`],
    ]);
    for (const line of firstThree) expect(line).toBe(expected.get(line.split(' ')[0]!));
    const again = await cli('consume', '--group', group, '--topic', topic, '--count', '4', '--timeout', String(IDLE_MS), '--json', '--ack', '--progress');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^consume: 4 of 4 received in \d+ s \([\d.]+ msgs\/s\)$/m);
    const attempts = lines(again.stdout).map((l) => JSON.parse(l) as Received);
    const firstIds = firstThree.map((l) => l.split(' ')[0]);
    expect(attempts.filter((m) => firstIds.includes(m.messageId)).map((m) => m.deliveryAttempt)).toEqual([2, 2, 2]);
    expect(attempts.filter((m) => !firstIds.includes(m.messageId)).map((m) => m.deliveryAttempt)).toEqual([1]);
  }, 60_000);

  it('commits or rolls back a transactional send: only the committed message is consumed', async () => {
    const topic = uniqueName('CliSendTx');
    expect((await cli('topic', 'create', topic, '--type', 'TRANSACTION')).code).toBe(0);
    const [commit, rollback] = await Promise.all([
      cli('send', '--topic', topic, '--body', 'kept', '--transaction', 'commit', '--json'),
      cli('send', '--topic', topic, '--body', 'dropped', '--transaction', 'rollback', '--json'),
    ]);
    expect(commit.code).toBe(0);
    expect(rollback.code).toBe(0);
    const committed = JSON.parse(commit.stdout) as { messageId: string; transactionId: string };
    expect(committed).toEqual({ messageId: expect.any(String), topic, transactionId: expect.any(String), outcome: 'committed' });
    expect(JSON.parse(rollback.stdout)).toEqual({ messageId: expect.any(String), topic, transactionId: expect.any(String), outcome: 'rolled_back' });

    const consumed = await cli('consume', '--group', uniqueName('CliTxG'), '--topic', topic, '--count', '2', '--timeout', String(IDLE_MS));
    expect(consumed.code).toBe(0);
    expect(lines(consumed.stdout)).toEqual([`${committed.messageId} tag= keys= body=kept`]);
    expect(consumed.stderr).toContain('received 1 of 2 before timeout');
  }, 60_000);

  it('refuses bad usage with exit 2 and broker refusals with exit 1 and the code', async () => {
    const [delayAndGroup, zeroCount, badTx, emptyStdin, noGroup, ackBoth] = await Promise.all([
      cli('send', '--topic', 'Any', '--body', 'x', '--delay', '1000', '--message-group', 'g'),
      cli('send', '--topic', 'Any', '--body', 'x', '--count', '0'),
      cli('send', '--topic', 'Any', '--body', 'x', '--transaction', 'maybe'),
      cliWithInput('', 'send', '--topic', 'Any'),
      cli('consume', '--topic', 'Any'),
      cli('consume', '--group', 'G', '--topic', 'Any', '--ack', '--no-ack'),
    ]);
    const normal = uniqueName('CliNormalOnly');
    await tb.broker.services.topics.create(normal, 'NORMAL');
    const [missing, wrongType, noTx] = await Promise.all([
      cli('send', '--topic', uniqueName('NoSuchTopic'), '--body', 'x'),
      cli('send', '--topic', normal, '--body', 'x', '--transaction', 'commit'),
      cli('send', '--topic', normal, '--body', 'x', '--transaction', 'none', '--json'),
    ]);
    for (const r of [delayAndGroup, zeroCount, badTx, emptyStdin, noGroup, ackBoth]) expect(r.code).toBe(2);
    expect(ackBoth.stderr).toContain('--ack and --no-ack contradict each other');
    expect(noTx.code).toBe(0);
    expect(JSON.parse(noTx.stdout)).toEqual({ messageId: expect.any(String), topic: normal, outcome: 'sent' });
    expect(delayAndGroup.stderr).toContain('--delay (DELAY topics) and --message-group (FIFO topics) cannot be combined');
    expect(zeroCount.stderr).toContain('--count takes an integer of at least 1, got "0"');
    expect(badTx.stderr).toContain('--transaction takes commit, rollback or none, got "maybe"');
    expect(emptyStdin.stderr).toContain('the message body is empty');
    expect(noGroup.stderr).toContain('consume needs --group G');
    expect(noGroup.stderr).toBe('halfmoon: consume needs --group G\nsee "halfmoon consume --help"\n');

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(code TOPIC_NOT_FOUND 40402)');
    expect(wrongType.code).toBe(1);
    expect(wrongType.stderr).toContain(`topic ${normal} accepts NORMAL messages, but this message is TRANSACTION`);
    expect(wrongType.stderr).toContain('(code MESSAGE_PROPERTY_CONFLICT_WITH_TYPE 40014)');
  }, 60_000);

  it("prints each command's usage with --help / -h (exit 0), and the overview with no command (exit 2)", async () => {
    const [send, consume, topicCreate, tx, none, bench, badBench] = await Promise.all([
      runCli(['send', '--help']),
      runCli(['consume', '-h']),
      runCli(['topic', 'create', '--help']),
      runCli(['tx', '-h']),
      runCli([]),
      runCli(['bench', '--help']),
      runCli(['bench', 'nope']),
    ]);
    expect(send).toMatchObject({ code: 0, stderr: '' });
    expect(send.stdout).toContain('Usage: halfmoon send --topic T');
    expect(send.stdout).toContain('--transaction commit|rollback');
    expect(consume).toMatchObject({ code: 0, stderr: '' });
    expect(consume.stdout).toContain('Usage: halfmoon consume --group G --topic T');
    expect(topicCreate).toMatchObject({ code: 0 });
    expect(topicCreate.stdout).toContain('Usage: halfmoon topic create NAME --type NORMAL|FIFO|DELAY|TRANSACTION');
    expect(topicCreate.stdout).not.toContain('topic delete');
    expect(tx).toMatchObject({ code: 0 });
    expect(tx.stdout).toContain('tx rollback ID [--reason TEXT]');
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Usage: halfmoon <command>');
    expect(none.stdout).toContain('consume --group G --topic T');
    expect(bench).toMatchObject({ code: 0, stderr: '' });
    expect(bench.stdout).toContain('Usage: halfmoon bench [tx|check|consume|peers|cluster ...] [--quick]');
    expect(badBench.code).toBe(2);
    expect(badBench.stderr).toContain('unknown benchmark "nope": use one of tx, check, consume');
  }, 30_000);
});
