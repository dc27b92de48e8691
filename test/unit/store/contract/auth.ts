// Contract section "auth": users are created once ('create' leaves an existing one alone) or
// replaced, listed by name and deleted with their rules; a rule is one per (user, resource),
// replaced by a later grant, refused for an unknown user, and revoked; every change moves the
// change counter brokers poll, and a no-op does not.
import { describe, expect, it } from 'vitest';
import type { AclRule, AuthUser } from '../../../../src/domain/acl.js';
import { useStore, type ContractTarget } from './helpers.js';

const user = (name: string, extra: Partial<AuthUser> = {}): AuthUser => ({ name, secret: `sealed-${name}`, superUser: false, createdAtMs: 1000, ...extra });
const rule = (u: string, resource: string, extra: Partial<AclRule> = {}): AclRule => ({ user: u, resource, actions: ['Pub'], decision: 'Allow', ...extra });

export function authContract(target: ContractTarget): void {
  describe('auth', () => {
    const f = useStore(target);

    it('creates a user once, replaces it on request, lists users by name and deletes them', async () => {
      const { store } = f;
      const v0 = await store.authVersion();
      expect(await store.putUser(user('bob'), 'create')).toEqual({ created: true });
      expect(await store.putUser(user('alice', { superUser: true }), 'create')).toEqual({ created: true });
      const v1 = await store.authVersion();
      expect(v1).not.toBe(v0);
      expect(await store.putUser(user('bob', { secret: 'other' }), 'create')).toEqual({ created: false });
      expect(await store.authVersion()).toBe(v1);
      expect((await store.getUser('bob'))?.secret).toBe('sealed-bob');
      expect(await store.putUser(user('bob', { secret: 'other' }), 'replace')).toEqual({ created: false });
      expect(await store.getUser('bob')).toEqual(user('bob', { secret: 'other' }));
      expect(await store.authVersion()).not.toBe(v1);
      expect((await store.listUsers()).map((u) => [u.name, u.superUser])).toEqual([
        ['alice', true],
        ['bob', false],
      ]);
      expect(await store.putUser(user('carol'), 'replace')).toEqual({ created: true });
      expect(await store.deleteUser('bob')).toBe(true);
      expect(await store.deleteUser('bob')).toBe(false);
      expect(await store.getUser('bob')).toBeUndefined();
      expect((await store.listUsers()).map((u) => u.name)).toEqual(['alice', 'carol']);
    });

    it('keeps one rule per user and resource, refuses rules of unknown users, revokes, and deletes rules with their user', async () => {
      const { store } = f;
      await store.putUser(user('bob'), 'create');
      await store.putUser(user('carol'), 'create');
      expect(await store.putRule(rule('nobody', 'Topic:t'))).toBe(false);
      expect(await store.putRule(rule('bob', 'Topic:orders-*'))).toBe(true);
      expect(await store.putRule(rule('bob', 'Group:g', { actions: ['Sub'] }))).toBe(true);
      expect(await store.putRule(rule('carol', '*', { actions: ['All'], decision: 'Deny' }))).toBe(true);
      const before = await store.authVersion();
      expect(await store.putRule(rule('bob', 'Topic:orders-*', { actions: ['Pub', 'Sub'], decision: 'Deny' }))).toBe(true);
      expect(await store.authVersion()).not.toBe(before);
      expect(await store.listRules('bob')).toEqual([
        rule('bob', 'Group:g', { actions: ['Sub'] }),
        rule('bob', 'Topic:orders-*', { actions: ['Pub', 'Sub'], decision: 'Deny' }),
      ]);
      expect((await store.listRules()).map((r) => `${r.user} ${r.resource}`)).toEqual(['bob Group:g', 'bob Topic:orders-*', 'carol *']);
      expect(await store.deleteRule('bob', 'Group:g')).toBe(true);
      const afterRevoke = await store.authVersion();
      expect(await store.deleteRule('bob', 'Group:g')).toBe(false);
      expect(await store.authVersion()).toBe(afterRevoke);
      expect(await store.deleteUser('bob')).toBe(true);
      expect(await store.listRules('bob')).toEqual([]);
      expect((await store.listRules()).map((r) => r.user)).toEqual(['carol']);
      await store.putUser(user('bob'), 'create');
      expect(await store.listRules('bob')).toEqual([]);
    });

    if (target.capabilities.persistent) {
      it('users and rules survive a reopen', async () => {
        await f.store.putUser(user('bob'), 'create');
        await f.store.putRule(rule('bob', 'Topic:t'));
        const version = await f.store.authVersion();
        const reopened = await f.restart();
        expect(await reopened.getUser('bob')).toEqual(user('bob'));
        expect(await reopened.listRules('bob')).toEqual([rule('bob', 'Topic:t')]);
        expect(await reopened.authVersion()).toBe(version);
      });
    }
  });
}
