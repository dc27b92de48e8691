// --auth over HTTP: the MQ HTTP SDK signs with a user's AccessKey (the user name) and secret and
// gets the same ACL as gRPC (Pub to publish, Sub on topic and group to consume and ack); an
// unknown key or a wrong secret is refused. The admin listener lets /healthz through and wants a
// super user (HTTP Basic) everywhere else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../../helpers/broker.js';
import { mqError, startHttpBroker, type HttpBroker } from '../http/helpers.js';

let hb: HttpBroker;

beforeAll(async () => {
  hb = await startHttpBroker({ auth: true, initUser: 'root:root-secret-1' });
  const { auth } = hb.tb.broker.services;
  await auth.createUser('alice', 'alice-secret', false);
  await auth.grant('alice', 'Topic:HNORMAL-*', 'Pub,Sub', 'Allow');
  await auth.grant('alice', 'Group:GID-alice-*', 'Sub', 'Allow');
  await auth.createUser('bob', 'bob-secret-1', false);
});
afterAll(() => hb.tb.close());

describe('MQ HTTP gateway with --auth', () => {
  it("publishes, consumes and acks with a user's key; refuses what the user's rules do not allow", async () => {
    const topic = await hb.topic('NORMAL');
    const alice = hb.client('alice', 'alice-secret');
    const published = await alice.getProducer('', topic).publishMessage('signed by alice');
    expect(published.code).toBe(201);
    const consumer = alice.getConsumer('', topic, uniqueName('GID-alice'));
    const res = await consumer.consumeMessage(1, 3);
    expect(res.body[0]!.MessageBody).toBe('signed by alice');
    expect((await consumer.ackMessage([res.body[0]!.ReceiptHandle])).code).toBe(204);

    const otherGroup = await mqError(alice.getConsumer('', topic, uniqueName('GID-other')).consumeMessage(1, 1));
    expect(otherGroup.Code).toBe('AccessDenied');
    expect(otherGroup.message).toMatch(/user alice may not Sub on Group:GID-other-/);

    const bob = hb.client('bob', 'bob-secret-1');
    const denied = await mqError(bob.getProducer('', topic).publishMessage('x'));
    expect(denied.Code).toBe('AccessDenied');
    expect(denied.message).toMatch(new RegExp(`user bob may not Pub on Topic:${topic}`));
  });

  it('refuses an unknown access key and a wrong secret', async () => {
    const topic = await hb.topic('NORMAL');
    expect((await mqError(hb.client('mallory', 'whatever-1').getProducer('', topic).publishMessage('x'))).Code).toBe('InvalidAccessKeyId');
    expect((await mqError(hb.client('alice', 'wrong-secret').getProducer('', topic).publishMessage('x'))).Code).toBe('SignatureDoesNotMatch');
  });
});

describe('admin listener with --auth', () => {
  it('serves /healthz to anyone and every other route only to a super user', async () => {
    const base = `http://127.0.0.1:${hb.tb.broker.adminPort}`;
    const basic = (user: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const anonymous = await fetch(`${base}/anything`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 40100, status: 'UNAUTHORIZED' });
    expect((await fetch(`${base}/anything`, { headers: basic('root', 'wrong-secret') })).status).toBe(401);
    const notSuper = await fetch(`${base}/anything`, { headers: basic('alice', 'alice-secret') });
    expect(notSuper.status).toBe(403);
    // Past authentication, the route table answers (no such route here).
    expect((await fetch(`${base}/anything`, { headers: basic('root', 'root-secret-1') })).status).toBe(404);
  });
});
