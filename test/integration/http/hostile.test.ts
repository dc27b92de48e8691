// The MQ HTTP gateway under attack (issue #15): large bodies are refused before they are read
// (Content-Length first, then a streaming cap), so memory stays near its baseline; slowloris
// sockets are closed by the header and request timeouts; bodies read at once and connections are
// capped; and ordinary traffic is served afterwards.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorDocument, startHttpBroker, type HttpBroker } from './helpers.js';

let hb: HttpBroker;
let port: number;
let topic: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  hb = await startHttpBroker({ httpHeadersTimeoutMs: 300, httpRequestTimeoutMs: 600, httpMaxConcurrentBodies: 2, httpMaxConnections: 500 });
  port = hb.tb.broker.httpPort!;
  topic = await hb.topic('NORMAL');
});
afterAll(async () => {
  await hb.tb.close();
});

interface Exchange {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  reply: Promise<string>;
}

function open(toPort: number, head: string): Exchange {
  const socket = connect(toPort, '127.0.0.1');
  const chunks: Buffer[] = [];
  const reply = new Promise<string>((resolve) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => socket.destroy()); // EPIPE/ECONNRESET once the server stops reading
  });
  socket.write(head);
  return { socket, reply };
}

/** Writes `total` bytes of `chunk` repeated (chunked encoding when asked) until done or refused. */
async function pump(s: Socket, chunk: Buffer, total: number, chunked: boolean): Promise<void> {
  for (let sent = 0; sent < total && !s.destroyed; sent += chunk.length) {
    const frame = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
    if (!s.write(frame)) await new Promise<void>((resolve) => (s.once('drain', resolve), s.once('close', resolve)));
  }
}

const post = (extra: string): string => `POST /topics/${topic}/messages HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n${extra}\r\n`;

function statusOf(reply: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
}

describe('MQ HTTP gateway limits', () => {
  it('closes 400 slowloris sockets (headers never finished) and slow bodies', async () => {
    const slow = Array.from({ length: 400 }, () => open(port, 'POST /topics/x/messages HTTP/1.1\r\nHost: x\r\n'));
    const slowBody = open(port, post('Content-Length: 1000\r\n') + '<Message>');
    const replies = await Promise.all([...slow.map((s) => s.reply), slowBody.reply]);
    expect(replies.every((r) => r === '' || statusOf(r) === 408)).toBe(true);
    expect(slow.every((s) => s.socket.destroyed)).toBe(true);
  });

  it('answers QpsLimitExceeded when httpMaxConcurrentBodies bodies are being read, and serves again after', async () => {
    const holders = [open(port, post('Content-Length: 100\r\n') + '<Message>'), open(port, post('Content-Length: 100\r\n') + '<Message>')];
    await new Promise((r) => setTimeout(r, 300)); // both requests reach the server first (not a timing assertion)
    const third = open(port, post('Content-Length: 40\r\n') + '<Message><MessageBody>x</MessageBody></Message>'.padEnd(40));
    const reply = await third.reply;
    expect(statusOf(reply)).toBe(400);
    expect(errorDocument(reply.slice(reply.indexOf('<?xml'))).Code).toBe('QpsLimitExceeded');
    for (const h of holders) h.socket.destroy();
    await Promise.all(holders.map((h) => h.reply));
    const producer = hb.client().getProducer('', topic);
    const sent = await producer.publishMessage('after the attack');
    expect(sent.code).toBe(201);
  });
});

describe('MQ HTTP gateway under a body attack (default limits)', () => {
  let attacked: HttpBroker;
  beforeAll(async () => {
    attacked = await startHttpBroker();
  });
  afterAll(async () => {
    await attacked.tb.close();
  });

  it('refuses ten 24 MB bodies of &amp; before reading them, and memory stays near its baseline', async () => {
    const amp = Buffer.from('&amp;'.repeat(MiB / 5));
    const target = `/topics/${await attacked.topic('NORMAL')}/messages`;
    const before = process.memoryUsage().rss;
    const attacks = Array.from({ length: 10 }, (_, i) => {
      const chunked = i % 2 === 1; // half declare their length, half stream it
      const size = 24 * MiB;
      const head = `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n${chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${size + 22}\r\n`}\r\n`;
      const x = open(attacked.tb.broker.httpPort!, head);
      void pump(x.socket, Buffer.from('<Message><MessageBody>'), 1, chunked).then(() => pump(x.socket, amp, size, chunked));
      return x.reply;
    });
    const replies = await Promise.all(attacks);
    const after = process.memoryUsage().rss;
    for (const r of replies) {
      expect(statusOf(r)).toBe(413);
      const doc = errorDocument(r.slice(r.indexOf('<?xml')));
      expect(doc.Code).toBe('PayloadTooLarge');
      expect(doc.Message).toContain('at most');
    }
    // Before the limits, ten such bodies took the broker to 1.85 GiB; unread or capped, they cost a few MiB each.
    expect(after - before).toBeLessThan(150 * MiB);
    expect(
      (
        await attacked
          .client()
          .getProducer('', await attacked.topic('NORMAL'))
          .publishMessage('after the attack')
      ).code,
    ).toBe(201);
  });
});
