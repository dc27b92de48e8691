// The real CLI against an --auth broker: admin commands need a super user's --access-key /
// --secret-key (or $HALFMOON_ACCESS_KEY / $HALFMOON_SECRET_KEY), `user` and `acl` manage users
// and rules, messaging commands sign as their user, and tx describe shows who decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/broker-process.js';
import { startTestBroker, uniqueName, type TestBroker } from '../../helpers/broker.js';

let tb: TestBroker;
const ROOT_ENV = { HALFMOON_ACCESS_KEY: 'root', HALFMOON_SECRET_KEY: 'root-secret-1' };
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli([...args, '--endpoints', tb.endpoint], { HALFMOON_ACCESS_KEY: '', HALFMOON_SECRET_KEY: '', ...env });

beforeAll(async () => {
  tb = await startTestBroker({ auth: true, initUser: 'root:root-secret-1' });
});
afterAll(() => tb.close());

describe('halfmoon CLI with --auth', () => {
  it('needs credentials for admin commands, manages users and rules, and signs messaging commands', async () => {
    const topic = uniqueName('TX');
    await tb.broker.services.topics.create(topic, 'TRANSACTION');

    const anonymous = await cli(['topic', 'list']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/not signed.*\(code UNAUTHORIZED 40100\)/s);

    const created = await cli(['user', 'create', 'dave', '--secret', 'dave-secret', '--access-key', 'root', '--secret-key', 'root-secret-1']);
    expect(created.stdout.trim()).toBe('created: user dave');
    const granted = await cli(['acl', 'grant', 'dave', '--resource', `topic:${topic}`, '--actions', 'Pub'], ROOT_ENV);
    expect(granted.stdout.trim()).toBe(`granted: Allow Pub on Topic:${topic} to user dave`);
    const listed = await cli(['acl', 'list', 'dave'], ROOT_ENV);
    expect(listed.stdout).toMatch(new RegExp(`dave\\s+Topic:${topic}\\s+Pub\\s+Allow`));

    const dave = { HALFMOON_ACCESS_KEY: 'dave', HALFMOON_SECRET_KEY: 'dave-secret' };
    const forbidden = await cli(['topic', 'list'], dave);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/user dave may not call the admin API \(ListTopics\).*\(code FORBIDDEN 40300\)/s);

    const sent = await cli(['send', '--topic', topic, '--body', 'by dave', '--transaction', 'commit', '--json'], dave);
    expect(sent.code).toBe(0);
    const { transactionId } = JSON.parse(sent.stdout.trim()) as { transactionId: string };
    const described = await cli(['tx', 'describe', transactionId], ROOT_ENV);
    expect(described.stdout).toMatch(/decided by\s+user dave, client \S+, from \S+/);

    const users = await cli(['user', 'list'], ROOT_ENV);
    expect(users.stdout).toMatch(/dave\s+no/);
    expect(users.stdout).toMatch(/root\s+yes/);
    expect((await cli(['user', 'delete', 'dave'], ROOT_ENV)).stdout.trim()).toBe('deleted: user dave and its ACL rules');
    expect(await tb.broker.store.listRules('dave')).toEqual([]);
  });
});
