// The auth service on a real LevelDB store: secrets at rest (encrypted with --auth-secret-key-file,
// as given without one), authentication with the stored secret, the bootstrap super user, and
// what a broker without the key (or with another one) says about encrypted secrets.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService, type AuthConfig } from '../../../src/auth/auth-service.js';
import { SecretBox } from '../../../src/auth/secret-box.js';
import { formatMqDateTime, mqv2Signature } from '../../../src/domain/mqv2-signature.js';
import { BrokerError, Code } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import type { LevelStore } from '../../../src/store/level/index.js';
import { FakeClock } from '../../../src/util/clock.js';
import { TempStores } from '../store/level/helpers.js';

const stores = new TempStores();
let store: LevelStore;
let keys: string;
const clock = new FakeClock();
const BASE: AuthConfig = { auth: true, initUser: '', authClockSkewMs: 60_000, authRefreshIntervalMs: 1000, authSecretKeyFile: '' };

beforeEach(async () => {
  keys = await mkdtemp(join(tmpdir(), 'halfmoon-keys-'));
  await stores.setUp();
  store = await stores.openStore(clock);
});
afterEach(async () => {
  await stores.tearDown();
  await rm(keys, { recursive: true, force: true });
});

async function service(config: Partial<AuthConfig> = {}): Promise<AuthService> {
  const s = new AuthService({ store, config: { ...BASE, ...config }, clock, log: silentLogger() });
  await s.start();
  return s;
}

function signIn(s: AuthService, user: string, secret: string) {
  const dateTime = formatMqDateTime(clock.now());
  return s.authenticateMqv2(`MQv2-HMAC-SHA1 Credential=${user}, SignedHeaders=x-mq-date-time, Signature=${mqv2Signature(secret, dateTime)}`, dateTime);
}

async function keyFile(name: string): Promise<string> {
  const path = join(keys, `${name}.key`);
  await writeFile(path, randomBytes(32).toString('hex') + '\n');
  return path;
}

describe('AuthService', () => {
  it('creates the --init-user super user once and authenticates it', async () => {
    const s = await service({ initUser: 'root:root-secret-1' });
    expect(signIn(s, 'root', 'root-secret-1')).toEqual({ user: 'root', superUser: true });
    await s.close();
    const again = await service({ initUser: 'root:another-secret' });
    expect(signIn(again, 'root', 'root-secret-1')).toEqual({ user: 'root', superUser: true });
    await again.close();
  });

  it('stores secrets as given without a key, and encrypted (not readable in the store) with one', async () => {
    const plain = await service();
    await plain.createUser('bob', 'bob-secret-1', false);
    expect((await store.getUser('bob'))?.secret).toBe('plain:bob-secret-1');
    await plain.close();

    const path = await keyFile('k1');
    const sealed = await service({ authSecretKeyFile: path });
    await sealed.createUser('carol', 'carol-secret', false);
    const stored = (await store.getUser('carol'))!.secret;
    expect(stored).toMatch(/^aes256gcm:/);
    expect(stored).not.toContain('carol-secret');
    expect(signIn(sealed, 'carol', 'carol-secret')).toEqual({ user: 'carol', superUser: false });
    expect(signIn(sealed, 'bob', 'bob-secret-1')?.user).toBe('bob'); // plain secrets still open
    await sealed.close();

    // Without the key, or with another one, carol's secret does not open: the client is refused,
    // and the reason (for the broker's log) is said plainly.
    const noKey = await service();
    expect(() => signIn(noKey, 'carol', 'carol-secret')).toThrow(/cannot read the stored secret of access key carol/);
    await noKey.close();
    expect(() => SecretBox.plain().open('carol', stored)).toThrow(/encrypted: start the broker with --auth-secret-key-file/);
    const otherKey = await service({ authSecretKeyFile: await keyFile('k2') });
    expect(() => signIn(otherKey, 'carol', 'carol-secret')).toThrow(expect.objectContaining({ code: Code.UNAUTHORIZED }));
    await otherKey.close();
    expect(() => SecretBox.fromKeyFile(join(keys, 'k2.key')).open('carol', stored)).toThrow(/does not open with this --auth-secret-key-file/);
  });

  it('binds a sealed secret to its user and refuses a bad key file', async () => {
    const box = SecretBox.fromKeyFile(await keyFile('k3'));
    const sealed = box.seal('alice', 'alice-secret');
    expect(box.open('alice', sealed)).toBe('alice-secret');
    expect(() => box.open('mallory', sealed)).toThrow(BrokerError);
    const bad = join(keys, 'short.key');
    await writeFile(bad, 'abcd');
    expect(() => SecretBox.fromKeyFile(bad)).toThrow(/must hold 32 bytes/);
  });

  it('refuses to create a user twice and to grant to an unknown user', async () => {
    const s = await service();
    await s.createUser('bob', 'bob-secret-1', false);
    await expect(s.createUser('bob', 'bob-secret-2', false)).rejects.toThrow(/user bob exists already/);
    await expect(s.grant('nobody', 'Topic:t', 'Pub', 'Allow')).rejects.toMatchObject({ code: Code.NOT_FOUND });
    await expect(s.createUser('bad name', 'bob-secret-1', false)).rejects.toMatchObject({ code: Code.BAD_REQUEST });
    await expect(s.createUser('eve', 'short', false)).rejects.toThrow(/8 to 256 characters/);
    await s.close();
  });
});
