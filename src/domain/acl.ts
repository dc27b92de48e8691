// Owns the pure rules of authorization (RocketMQ 5.3 ACL 2.0, reduced to what Halfmoon serves):
// users and their rules, resource patterns (`Topic:orders-*`, `Group:g`, `*`), actions Pub / Sub
// / All, Allow / Deny with Deny winning, no matching rule = denied, super users allowed
// everything. Also the validation of what an operator types (user names, resources, actions), so
// the CLI, the admin API and every store backend share one meaning.
import { BrokerError } from './errors.js';
import { Code } from './codes.js';

export const ACL_ACTIONS = ['Pub', 'Sub', 'All'] as const;
export type AclAction = (typeof ACL_ACTIONS)[number];
export type AclDecision = 'Allow' | 'Deny';
export type ResourceType = 'Topic' | 'Group';

/** A user as stored: `secret` is whatever the auth service sealed (see src/auth/secret-box.ts). */
export interface AuthUser {
  name: string;
  secret: string;
  superUser: boolean;
  createdAtMs: number;
}

/** One rule of a user on one resource pattern (a user has at most one rule per pattern). */
export interface AclRule {
  user: string;
  /** `Topic:<name>`, `Group:<name>`, `<Type>:<prefix>*`, `<Type>:*` or `*`. */
  resource: string;
  /** Pub, Sub, or All (= both). */
  actions: AclAction[];
  decision: AclDecision;
}

/** What a request needs: an action on a resource. */
export interface Permission {
  type: ResourceType;
  name: string;
  action: 'Pub' | 'Sub';
}

const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const RESOURCE_NAME = /^[A-Za-z0-9%|_-]{1,127}\*?$|^\*$/;

export function validateUserName(name: string): string {
  if (!USER_NAME.test(name)) {
    throw new BrokerError(Code.BAD_REQUEST, `user name ${JSON.stringify(name)} is invalid: use 1–64 letters, digits, _ . @ or -`);
  }
  return name;
}

export function validateSecret(secret: string): string {
  if (secret.length < 8 || secret.length > 256) throw new BrokerError(Code.BAD_REQUEST, 'a user secret must be 8 to 256 characters long');
  return secret;
}

/** Normalizes a resource pattern (`topic:orders-*` → `Topic:orders-*`); throws a clear error otherwise. */
export function parseResource(resource: string): string {
  const text = resource.trim();
  if (text === '*') return '*';
  const m = /^(topic|group):(.+)$/i.exec(text);
  if (!m || !RESOURCE_NAME.test(m[2]!)) {
    throw new BrokerError(
      Code.BAD_REQUEST,
      `resource ${JSON.stringify(resource)} is invalid: use Topic:<name>, Group:<name>, a prefix pattern such as Topic:orders-*, Topic:* or *`,
    );
  }
  const type = m[1]!.toLowerCase() === 'topic' ? 'Topic' : 'Group';
  return `${type}:${m[2]!}`;
}

/** Parses `Pub,Sub` (any case, comma separated); throws a clear error otherwise. */
export function parseActions(text: string | readonly string[]): AclAction[] {
  const parts = (typeof text === 'string' ? text.split(',') : text).map((a) => a.trim()).filter((a) => a !== '');
  if (parts.length === 0) throw new BrokerError(Code.BAD_REQUEST, 'no action given: use Pub, Sub or All (comma separated)');
  const out = new Set<AclAction>();
  for (const p of parts) {
    const action = ACL_ACTIONS.find((a) => a.toLowerCase() === p.toLowerCase());
    if (!action) throw new BrokerError(Code.BAD_REQUEST, `action ${JSON.stringify(p)} is unknown: use Pub, Sub or All`);
    out.add(action);
  }
  return [...out];
}

/** Whether a pattern covers the resource, and how specifically (longer = more specific); -1 if not. */
export function matchResource(pattern: string, type: ResourceType, name: string): number {
  if (pattern === '*') return 0;
  const colon = pattern.indexOf(':');
  if (pattern.slice(0, colon) !== type) return -1;
  const body = pattern.slice(colon + 1);
  if (body.endsWith('*')) return name.startsWith(body.slice(0, -1)) ? body.length : -1;
  return body === name ? body.length + 1 : -1;
}

function covers(rule: AclRule, action: 'Pub' | 'Sub'): boolean {
  return rule.actions.includes('All') || rule.actions.includes(action);
}

export type AccessVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * The decision for one permission of one user: super users may do everything; otherwise every
 * rule of the user matching the resource and the action counts, and one Deny among them wins.
 */
export function checkAccess(user: Pick<AuthUser, 'name' | 'superUser'>, rules: readonly AclRule[], need: Permission): AccessVerdict {
  if (user.superUser) return { allowed: true };
  const matching = rules.filter((r) => r.user === user.name && covers(r, need.action) && matchResource(r.resource, need.type, need.name) >= 0);
  const deny = matching.find((r) => r.decision === 'Deny');
  if (deny) return { allowed: false, reason: `denied by rule ${deny.resource}` };
  if (matching.length > 0) return { allowed: true };
  return { allowed: false, reason: 'no rule allows it' };
}

/** The FORBIDDEN error for a refused permission, naming user, resource and action. */
export function forbidden(user: string, need: Permission, reason: string): BrokerError {
  return new BrokerError(
    Code.FORBIDDEN,
    `user ${user} may not ${need.action} on ${need.type}:${need.name} (${reason}): grant it with "halfmoon acl grant ${user} --resource ${need.type}:${need.name} --actions ${need.action}"`,
  );
}
