// The `halfmoon group` CLI end to end (real CLI processes against a running broker), with the
// official SimpleConsumer: create (--fifo, --max-attempts), list/describe with lag, in-flight and
// DLQ counts, and reset-offset to earliest, latest, an ISO time and epoch milliseconds.
import type { SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { runCli } from '../helpers/broker-process.js';
import { Clients, CONSUMPTION_TIMINGS, drain, sleep } from '../helpers/consumption.js';

let tb: TestBroker;
const clients = new Clients(() => tb);
beforeAll(async () => {
  tb = await startTestBroker(CONSUMPTION_TIMINGS);
});
afterAll(async () => {
  await clients.shutdown();
  await tb.close();
});

const cli = (...args: string[]) => runCli([...args, '--endpoints', tb.endpoint]);

interface GroupJson {
  name: string;
  fifo: boolean;
  max_delivery_attempts: number;
  lag: string;
  in_flight: string;
  dead_letters: string;
  dead_letter_topic: string;
}

describe('halfmoon group', () => {
  it('creates groups (--fifo, --max-attempts), refuses conflicting re-creation, and lists them', async () => {
    const fifo = uniqueName('CliFifo');
    const plain = uniqueName('CliPlain');
    const [created, createdPlain] = await Promise.all([cli('group', 'create', fifo, '--fifo', '--max-attempts', '5'), cli('group', 'create', plain)]);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toContain(`created: group ${fifo} fifo=true maxDeliveryAttempts=5`);
    expect(createdPlain.stdout).toContain(`created: group ${plain} fifo=false maxDeliveryAttempts=17`);
    const late = uniqueName('CliLate');
    const [lateCreated, badStart] = await Promise.all([
      cli('group', 'create', late, '--start-from', 'latest', '--json'),
      cli('group', 'create', late, '--start-from', 'newest'),
    ]);
    expect(lateCreated.code).toBe(0);
    expect(JSON.parse(lateCreated.stdout)).toMatchObject({ name: late, start_from: 'latest' });
    expect(badStart.code).toBe(2);
    expect(badStart.stderr).toContain('--start-from takes earliest or latest, got "newest"');
    expect(createdPlain.stdout).toContain('startFrom=earliest');
    const [again, conflict, updated] = await Promise.all([
      cli('group', 'create', fifo, '--fifo'),
      cli('group', 'create', plain, '--max-attempts', '3'),
      cli('group', 'update', fifo, '--max-attempts', '4'),
    ]);
    expect(again.stdout).toContain(`exists: group ${fifo}`);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('BAD_REQUEST');
    expect(conflict.stderr).toContain('group update');
    expect(updated.stdout).toContain('fifo=true maxDeliveryAttempts=4');

    const list = await cli('group', 'list', '--json');
    const groups = JSON.parse(list.stdout) as GroupJson[];
    expect(groups).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: fifo, fifo: true, max_delivery_attempts: 4, lag: '0', in_flight: '0', dead_letters: '0', dead_letter_topic: `%DLQ%${fifo}` }),
        expect.objectContaining({ name: plain, fifo: false, max_delivery_attempts: 17 }),
      ]),
    );
    const table = await cli('group', 'list');
    expect(table.stdout).toMatch(/GROUP\s+FIFO\s+MAX ATTEMPTS\s+LAG\s+IN FLIGHT\s+DLQ/);
  }, 30_000);

  it('describes progress and resets offsets: a time, earliest, latest', async () => {
    const topic = uniqueName('CliTopic');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    const group = uniqueName('CliGroup');
    const p = await clients.producer(topic);
    for (const b of ['m0', 'm1', 'm2']) await p.send({ topic, body: Buffer.from(b) });
    await sleep(30);
    const middle = new Date();
    await sleep(30);
    for (const b of ['m3', 'm4']) await p.send({ topic, body: Buffer.from(b) });

    const c = await clients.simple(group, topic);
    const all = await drain(c, 5, 10_000, false);
    expect(all.map((m) => m.body.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const m of all.slice(0, 4)) await c.ack(m); // m4 stays in flight
    await p.send({ topic, body: Buffer.from('m5') }); // not yet received: lag 1

    const described = await cli('group', 'describe', group);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain(`lag 1, in flight 1, dead letters 0 (topic %DLQ%${group})`);
    expect(described.stdout).toMatch(new RegExp(`${topic}\\s+5\\s+1\\s+1`));

    const bodies = async (consumer: SimpleConsumer, n: number) => (await drain(consumer, n, 4000)).map((m) => `${m.body.toString()}#${m.deliveryAttempt}`);

    const toTime = await cli('group', 'reset-offset', group, '--topic', topic, '--to', middle.toISOString(), '--json');
    expect(toTime.code).toBe(0);
    expect(JSON.parse(toTime.stdout)).toEqual([{ queue_id: 0, previous_offset: '5', new_offset: '3', dropped_in_flight: '1' }]);
    // From the time on, afresh (m4 was in flight: dropped, delivered again as attempt 1).
    expect(await bodies(c, 3)).toEqual(['m3#1', 'm4#1', 'm5#1']);

    const toEarliest = await cli('group', 'reset-offset', group, '--topic', topic, '--to', 'earliest');
    expect(toEarliest.stdout).toMatch(/0\s+6\s+0\s+0/);
    expect(await bodies(c, 6)).toEqual(['m0#1', 'm1#1', 'm2#1', 'm3#1', 'm4#1', 'm5#1']);

    const [toLatest, toEpoch] = await Promise.all([
      cli('group', 'reset-offset', group, '--topic', topic, '--to', 'latest'),
      cli('group', 'reset-offset', uniqueName('Unknown'), '--topic', topic, '--to', String(middle.getTime())),
    ]);
    expect(toLatest.code).toBe(0);
    expect(toEpoch.code).toBe(1);
    expect(toEpoch.stderr).toContain('CONSUMER_GROUP_NOT_FOUND');
    expect(await c.receive(4, 10_000)).toHaveLength(0);
    await p.send({ topic, body: Buffer.from('m6') });
    expect(await bodies(c, 1)).toEqual(['m6#1']);

    // Epoch milliseconds work as well.
    const byEpoch = await cli('group', 'reset-offset', group, '--topic', topic, '--to', String(middle.getTime()), '--json');
    expect(JSON.parse(byEpoch.stdout)[0]).toMatchObject({ new_offset: '3' });
  }, 40_000);

  it('explains bad reset-offset input', async () => {
    const group = uniqueName('CliBad');
    await tb.broker.services.groups.create(group, {}, { maxDeliveryAttempts: 17, startFrom: 'earliest' });
    const [noTo, badTo, noTopic] = await Promise.all([
      cli('group', 'reset-offset', group, '--topic', 'X'),
      cli('group', 'reset-offset', group, '--topic', 'NoSuchTopic', '--to', 'yesterday'),
      cli('group', 'reset-offset', group, '--to', 'earliest'),
    ]);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toContain('--to');
    expect(badTo.code).toBe(1);
    expect(badTo.stderr).toContain('BAD_REQUEST');
    expect(badTo.stderr).toContain('ISO 8601');
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toContain('--topic');
  }, 30_000);
});
