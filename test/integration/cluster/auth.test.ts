// Cluster scenario, auth: two --auth broker processes on one PostgreSQL share users and rules. A
// user created and granted through one broker is let in by the other within its refresh
// interval, and a revoke made through one takes effect on the other, without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedClient, type SignedClient } from '../../helpers/auth.js';
import { uniqueName, waitFor } from '../../helpers/broker.js';
import { startCluster, type Cluster } from '../../helpers/cluster.js';
import { protoMessage } from '../../helpers/raw-client.js';

let cluster: Cluster;
const clients: SignedClient[] = [];
const ROOT = { accessKey: 'root', secretKey: 'root-secret-1' };
const EVE = { accessKey: 'eve', secretKey: 'eve-secret-1' };

beforeAll(async () => {
  cluster = await startCluster(['a1', 'a2'], ['--auth', '--init-user', `${ROOT.accessKey}:${ROOT.secretKey}`, '--auth-refresh-interval-ms', '200']);
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.close();
});

const client = (id: string, creds: typeof ROOT): SignedClient => {
  const c = signedClient(cluster.endpoint(id), creds);
  clients.push(c);
  return c;
};

describe('auth across brokers sharing a store', () => {
  it('a user and rule made through one broker apply on the other, and so does a revoke', async () => {
    const topic = uniqueName('Shared');
    const root1 = client('a1', ROOT);
    expect((await root1.admin('CreateTopic', { name: topic, message_type: 'NORMAL', check_policy: '' })).status.code).toBe('OK');
    expect((await root1.admin('CreateUser', { name: EVE.accessKey, secret: EVE.secretKey, super_user: false })).status.code).toBe('OK');
    expect((await root1.admin('GrantAcl', { user: 'eve', resource: `Topic:${topic}`, actions: ['Pub'], decision: '' })).status.code).toBe('OK');

    const eve2 = client('a2', EVE);
    const send = async (): Promise<string> => (await eve2.unary('SendMessage', { messages: [protoMessage(topic, 'from eve')] })).status.code;
    await waitFor(async () => (await send()) === 'OK', 10_000, 'broker a2 to know eve and her rule');

    expect((await root1.admin('RevokeAcl', { user: 'eve', resource: `Topic:${topic}` })).status.code).toBe('OK');
    await waitFor(async () => (await send()) === 'FORBIDDEN', 10_000, 'broker a2 to apply the revoke');
    expect((await client('a2', ROOT).admin('ListAcl', { user: 'eve' })).rules).toEqual([]);
  });
});
