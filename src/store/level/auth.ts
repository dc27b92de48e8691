// Owns the AuthStore of the LevelDB backend: users (`u` + name) and ACL rules (`r` + user +
// resource) as JSON in the `auth` sublevel, and the change counter (`version`) written in the
// same batch as every change. Changes run under one lock so a rule never outlives its user.
import type { AclRule, AuthUser } from '../../domain/acl.js';
import type { AuthStore } from '../broker-store.js';
import { json, parse, type LevelDb, type Op } from './db.js';
import { join, prefixRange } from './keys.js';

const LOCK = 'auth';
const userKey = (name: string): string => join('u', name);
const ruleKey = (user: string, resource: string): string => join('r', user, resource);

export class Auth implements AuthStore {
  constructor(private readonly d: LevelDb) {}

  private async get<T>(key: string): Promise<T | undefined> {
    const v = await this.d.auth.get(key);
    return v === undefined ? undefined : parse<T>(v);
  }

  private async values<T>(range: { gte: string; lt: string }): Promise<T[]> {
    const out: T[] = [];
    for await (const v of this.d.auth.values(range)) out.push(parse<T>(v));
    return out;
  }

  /** The ops plus the counter moved one up. */
  private async withVersion(ops: Op[]): Promise<Op[]> {
    return [...ops, { type: 'put', sublevel: this.d.auth, key: 'version', value: json((await this.authVersion()) + 1) }];
  }

  putUser(user: AuthUser, mode: 'create' | 'replace'): Promise<{ created: boolean }> {
    return this.d.mutex.run(LOCK, async () => {
      const existing = await this.getUser(user.name);
      if (existing && mode === 'create') return { created: false };
      await this.d.write(await this.withVersion([{ type: 'put', sublevel: this.d.auth, key: userKey(user.name), value: json(user) }]));
      return { created: !existing };
    });
  }

  getUser(name: string): Promise<AuthUser | undefined> {
    return this.get<AuthUser>(userKey(name));
  }

  listUsers(): Promise<AuthUser[]> {
    return this.values<AuthUser>(prefixRange('u'));
  }

  deleteUser(name: string): Promise<boolean> {
    return this.d.mutex.run(LOCK, async () => {
      if (!(await this.getUser(name))) return false;
      const ops: Op[] = [{ type: 'del', sublevel: this.d.auth, key: userKey(name) }];
      for await (const key of this.d.auth.keys(prefixRange('r', name))) ops.push({ type: 'del', sublevel: this.d.auth, key });
      await this.d.write(await this.withVersion(ops));
      return true;
    });
  }

  putRule(rule: AclRule): Promise<boolean> {
    return this.d.mutex.run(LOCK, async () => {
      if (!(await this.getUser(rule.user))) return false;
      await this.d.write(await this.withVersion([{ type: 'put', sublevel: this.d.auth, key: ruleKey(rule.user, rule.resource), value: json(rule) }]));
      return true;
    });
  }

  deleteRule(user: string, resource: string): Promise<boolean> {
    return this.d.mutex.run(LOCK, async () => {
      if ((await this.d.auth.get(ruleKey(user, resource))) === undefined) return false;
      await this.d.write(await this.withVersion([{ type: 'del', sublevel: this.d.auth, key: ruleKey(user, resource) }]));
      return true;
    });
  }

  listRules(user?: string): Promise<AclRule[]> {
    return this.values<AclRule>(user === undefined ? prefixRange('r') : prefixRange('r', user));
  }

  async authVersion(): Promise<number> {
    return (await this.get<number>('version')) ?? 0;
  }
}
