// The admin listener: health, unknown paths and methods answered with the RocketMQ code, the port
// reported, and a busy admin port named with its flag.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../helpers/broker.js';

describe('admin listener', () => {
  let tb: TestBroker;
  let base: string;
  beforeAll(async () => {
    tb = await startTestBroker();
    base = `http://127.0.0.1:${tb.broker.adminPort}`;
  });
  afterAll(() => tb.close());

  it('answers /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers an unknown path with NOT_FOUND naming the known routes', async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { code: number; status: string; message: string };
    expect(body).toMatchObject({ code: 40400, status: 'NOT_FOUND' });
    expect(body.message).toContain('GET /healthz');
  });

  it('answers a wrong method with BAD_REQUEST', async () => {
    const res = await fetch(`${base}/healthz`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('POST is not allowed on /healthz');
  });

  it('refuses a busy admin port with a message naming the admin listener', async () => {
    await expect(startTestBroker({ adminPort: tb.broker.adminPort })).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1:\d+ for the admin listener: the address is already in use/,
    );
  });

  it('can be turned off', async () => {
    const off = await startTestBroker({ adminEnabled: false });
    try {
      expect(off.broker.adminPort).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
