// TLS: with --tls-cert/--tls-key (a certificate signed by a CA made here with openssl) the
// unmodified official client with sslEnabled: true, in a child process trusting that CA through
// NODE_EXTRA_CA_CERTS, sends a message over gRPC with credentials; a plaintext client gets a
// clean UNAVAILABLE; the CLI connects with --tls; the MQ HTTP gateway answers over HTTPS with the
// same certificate.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/broker-process.js';
import { rawClient } from '../../helpers/raw-client.js';
import { startTestBroker, uniqueName, type TestBroker } from '../../helpers/broker.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/tls-producer.ts', import.meta.url));
let dir: string;
let tb: TestBroker;

/** A CA and a server certificate for localhost / 127.0.0.1 signed by it (EC P-256: quick to make). */
async function makeCertificates(at: string): Promise<void> {
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: at, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=Halfmoon test CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  await writeFile(join(at, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext');
}

function withoutGrpcRoots(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: _roots, ...rest } = env;
  return rest;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'halfmoon-tls-'));
  await makeCertificates(dir);
  tb = await startTestBroker({
    tlsCert: join(dir, 'server.crt'),
    tlsKey: join(dir, 'server.key'),
    auth: true,
    initUser: 'root:root-secret-1',
    httpEnabled: true,
  });
});
afterAll(async () => {
  await tb?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('the official client with sslEnabled connects and sends; a plaintext client fails cleanly', async () => {
    const topic = uniqueName('TLS');
    await tb.broker.services.topics.create(topic, 'NORMAL');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE, tb.endpoint, topic, 'root', 'root-secret-1'], {
      // grpc-js reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH instead of Node's store when it is set.
      env: { ...withoutGrpcRoots(process.env), NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') },
      timeout: 30_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as { messageId?: string; error?: string };
    expect(result.error).toBeUndefined();
    const stored = await tb.broker.store.read(topic, 0, 0, 10);
    expect(stored.map((m) => [m.messageId, m.body.toString()])).toEqual([[result.messageId, 'over TLS']]);

    const plain = rawClient(tb.endpoint);
    try {
      await expect(plain.admin('ListTopics', {})).rejects.toMatchObject({ code: 14 });
    } finally {
      plain.close();
    }
  });

  it('the CLI connects with --tls', async () => {
    const env = { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: join(dir, 'ca.crt'), HALFMOON_ACCESS_KEY: 'root', HALFMOON_SECRET_KEY: 'root-secret-1' };
    const listed = await runCli(['user', 'list', '--tls', '--endpoints', tb.endpoint], env);
    expect(listed.stdout).toMatch(/root\s+yes/);
  });

  it('serves the MQ HTTP gateway over HTTPS with the same certificate', async () => {
    const ca = await readFile(join(dir, 'ca.crt'));
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: tb.broker.httpPort, path: '/topics/T/messages?consumer=GID_x', method: 'GET', ca }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    // Unsigned: refused by the gateway itself, which means TLS was negotiated.
    expect(status).toBe(400);
    expect(body).toContain('<Code>MissingAuthorizationHeader</Code>');
  });
});
