// What a new user sees when something goes wrong, through the real `halfmoon` CLI: one line with
// the RocketMQ code, a hint where there is one, never a stack trace (except at --log-level debug);
// usage errors in two lines with "did you mean"; global flags before the command; the wrong port.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { freePort, runCli, startBrokerProcess } from '../helpers/broker-process.js';

const STACK_FRAME = /^\s+at .+[:(]/m;

let tb: TestBroker;
let dir: string;
beforeAll(async () => {
  tb = await startTestBroker({ transactionTimeoutMs: 600_000 });
  dir = mkdtempSync(join(tmpdir(), 'halfmoon-cli-errors-'));
});
afterAll(async () => {
  await tb?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli([...args, '--endpoints', tb.endpoint]);

/** A plain TCP listener holding a port, as another program would. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('a broker that cannot start', () => {
  it('names the busy gRPC port and the flag to change, without a stack trace', async () => {
    const { port, server } = await holdPort();
    try {
      const res = await runCli(['start', '--data', join(dir, 'busy-grpc'), '--grpc-port', String(port), '--http-port', '0']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`halfmoon: the broker did not start: cannot listen on 127.0.0.1:${port} for gRPC: the address is already in use`);
      expect(res.stderr).toContain('(code PRECONDITION_FAILED 42800)');
      expect(res.stderr).toContain(`hint: stop whatever holds port ${port}, or pick another with --grpc-port N (0 = any free port)`);
      expect(res.stderr).not.toMatch(STACK_FRAME);
      expect(res.stderr).not.toContain('No address added');
      expect(res.stderr.trim().split('\n')).toHaveLength(2);
    } finally {
      server.close();
    }
  }, 30_000);

  it('names the busy HTTP port and --http-port', async () => {
    const { port, server } = await holdPort();
    try {
      const res = await runCli(['start', '--data', join(dir, 'busy-http'), '--grpc-port', '0', '--http-port', String(port)]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`cannot listen on 127.0.0.1:${port} for the MQ HTTP gateway: the address is already in use`);
      expect(res.stderr).toContain('--http-port N');
      expect(res.stderr).not.toMatch(STACK_FRAME);
    } finally {
      server.close();
    }
  }, 30_000);

  it('says a data directory is in use by another broker, with a hint and no stack trace; --log-level debug adds the stack', async () => {
    const data = join(dir, 'shared');
    const first = await startBrokerProcess(data, await freePort());
    try {
      const res = await runCli(['start', '--data', data, '--grpc-port', '0', '--http-port', '0']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('is another broker using this data directory?');
      expect(res.stderr).toContain(`hint: a data directory belongs to one broker at a time: stop the broker using ${data}, or give this one another with --data DIR`);
      expect(res.stderr).not.toMatch(STACK_FRAME);

      const debug = await runCli(['start', '--data', data, '--grpc-port', '0', '--http-port', '0', '--log-level', 'debug']);
      expect(debug.code).toBe(1);
      expect(debug.stderr).toContain('is another broker using this data directory?');
      expect(debug.stderr).toMatch(STACK_FRAME);
    } finally {
      await first.stop();
    }
  }, 60_000);
});

describe('usage errors', () => {
  it('print one line and where to read more, with "did you mean"', async () => {
    const [flag, sub, command, missing, value] = await Promise.all([
      cli('topic', 'list', '--jsn'),
      cli('topic', 'lst'),
      runCli(['tpoic', 'list']),
      runCli(['send', '--topic']),
      cli('topic', 'create', 'X', '--type', 'FIFOO'),
    ]);
    expect(flag).toMatchObject({ code: 2, stdout: '', stderr: 'halfmoon: unknown option --jsn; did you mean "--json"?\nsee "halfmoon topic list --help"\n' });
    expect(sub).toMatchObject({ code: 2, stderr: 'halfmoon: unknown command "topic lst"; did you mean "topic list"?\nsee "halfmoon topic --help"\n' });
    expect(command).toMatchObject({ code: 2, stderr: 'halfmoon: unknown command "tpoic"; did you mean "topic"?\nsee "halfmoon --help"\n' });
    expect(missing).toMatchObject({ code: 2, stderr: 'halfmoon: --topic needs a value\nsee "halfmoon send --help"\n' });
    expect(value.code).toBe(2);
    expect(value.stderr).toBe('halfmoon: --type takes NORMAL, FIFO, DELAY, TRANSACTION, got "FIFOO"; did you mean "FIFO"?\nsee "halfmoon topic create --help"\n');
  }, 30_000);

  it('accepts --endpoints and --json before the command, and prints --version', async () => {
    const name = uniqueName('Hoisted');
    await tb.broker.services.topics.create(name, 'NORMAL');
    const res = await runCli(['--endpoints', tb.endpoint, '--json', 'topic', 'list']);
    expect(res.code, res.stderr).toBe(0);
    expect((JSON.parse(res.stdout) as { name: string }[]).map((t) => t.name)).toContain(name);
    const eq = await runCli([`--endpoints=${tb.endpoint}`, 'topic', 'describe', name]);
    expect(eq.stdout).toContain(`topic ${name} (NORMAL)`);
    const version = await runCli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const misplaced = await runCli(['--grpc-port', '9', 'start']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--grpc-port goes after the command');
  }, 30_000);

  it('topic create --help says what the types and --check-policy mean', async () => {
    const res = await runCli(['topic', 'create', '--help']);
    expect(res.code).toBe(0);
    for (const text of ['NORMAL', 'FIFO', 'message group', 'DELAY', 'TRANSACTION', '--check-policy', 'ROLLBACK', 'KEEP', 'ABANDONED']) expect(res.stdout).toContain(text);
  });
});

describe('talking to the wrong thing', () => {
  it('the HTTP gateway port: says which port speaks what, no gRPC internals', async () => {
    const http = await startTestBroker({ httpEnabled: true, httpPort: 0 });
    try {
      const endpoint = `127.0.0.1:${http.broker.httpPort}`;
      for (const res of await Promise.all([runCli(['topic', 'list', '--endpoints', endpoint]), runCli(['send', '--topic', 'T', '--body', 'x', '--endpoints', endpoint])])) {
        expect(res.code).toBe(1);
        expect(res.stderr).toContain(`halfmoon: cannot reach a Halfmoon broker: ${endpoint} answered, but not in gRPC (is it the MQ HTTP gateway?)`);
        expect(res.stderr).toContain('--grpc-port, default 8081');
        expect(res.stderr).toContain('--http-port, default 8082');
        expect(res.stderr).not.toMatch(/Resolution note|Protocol error|No connection established/);
      }
    } finally {
      await http.close();
    }
  }, 30_000);

  it('nothing listening: connection refused and how to start one', async () => {
    const res = await runCli(['topic', 'list', '--endpoints', `127.0.0.1:${await freePort()}`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^halfmoon: cannot reach a Halfmoon broker: nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)\nhint: start a broker with "halfmoon start"/,
    );
  });
});

describe('broker refusals', () => {
  it('a plain message to a FIFO topic: add --message-group', async () => {
    const topic = uniqueName('CliFifo');
    await tb.broker.services.topics.create(topic, 'FIFO');
    const res = await cli('send', '--topic', topic, '--body', 'x');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('(code MESSAGE_PROPERTY_CONFLICT_WITH_TYPE 40014)');
    expect(res.stderr).toContain('hint: add --message-group G');
    expect(res.stderr).not.toContain('send it to a NORMAL topic');
  }, 30_000);

  it('an unknown topic: TOPIC_NOT_FOUND without a name server', async () => {
    const res = await cli('send', '--topic', 'NoSuchTopicHere', '--body', 'x');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('topic NoSuchTopicHere does not exist: create it with "halfmoon topic create NoSuchTopicHere');
    expect(res.stderr).toContain('(code TOPIC_NOT_FOUND 40402)');
    expect(res.stderr).not.toContain('name server');
  }, 30_000);
});
