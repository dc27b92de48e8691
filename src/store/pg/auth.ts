// Owns the PostgreSQL store's users and ACL rules: jsonb rows (a rule references its user and
// goes with it), each change in one SQL transaction with the bump of the shared change counter
// that every broker on the database polls to refresh its cache.
import type { AclRule, AuthUser } from '../../domain/acl.js';
import type { AuthStore } from '../broker-store.js';
import type { Tx } from './db.js';
import type { PgContext } from './records.js';

export class PgAuth implements AuthStore {
  constructor(private readonly ctx: PgContext) {}

  /** Runs the change; bumps the counter when it changed something. */
  private change<T>(body: (tx: Tx) => Promise<{ changed: boolean; result: T }>): Promise<T> {
    return this.ctx.db.tx(async (tx) => {
      const { changed, result } = await body(tx);
      if (changed) await tx.run('bump_auth_version');
      return result;
    });
  }

  putUser(user: AuthUser, mode: 'create' | 'replace'): Promise<{ created: boolean }> {
    return this.change(async (tx) => {
      if (mode === 'create') {
        const created = (await tx.rows('insert_user', [user.name, JSON.stringify(user)])).length > 0;
        return { changed: created, result: { created } };
      }
      const [row] = await tx.rows<{ inserted: boolean }>('upsert_user', [user.name, JSON.stringify(user)]);
      return { changed: true, result: { created: row?.inserted === true } };
    });
  }

  async getUser(name: string): Promise<AuthUser | undefined> {
    const [row] = await this.ctx.db.rows<{ record: AuthUser }>('get_user', [name]);
    return row?.record;
  }

  async listUsers(): Promise<AuthUser[]> {
    return (await this.ctx.db.rows<{ record: AuthUser }>('list_users')).map((r) => r.record);
  }

  deleteUser(name: string): Promise<boolean> {
    return this.change(async (tx) => {
      const deleted = (await tx.run('delete_user', [name])) > 0;
      return { changed: deleted, result: deleted };
    });
  }

  putRule(rule: AclRule): Promise<boolean> {
    return this.change(async (tx) => {
      const stored = (await tx.rows('upsert_rule', [rule.user, rule.resource, JSON.stringify(rule)])).length > 0;
      return { changed: stored, result: stored };
    });
  }

  deleteRule(user: string, resource: string): Promise<boolean> {
    return this.change(async (tx) => {
      const deleted = (await tx.run('delete_rule', [user, resource])) > 0;
      return { changed: deleted, result: deleted };
    });
  }

  async listRules(user?: string): Promise<AclRule[]> {
    return (await this.ctx.db.rows<{ record: AclRule }>('list_rules', [user ?? null])).map((r) => r.record);
  }

  async authVersion(): Promise<number> {
    const [row] = await this.ctx.db.rows<{ version: number }>('get_auth_version');
    return row?.version ?? 0;
  }
}
