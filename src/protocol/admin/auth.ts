// Owns the users and ACL rules of halfmoon.admin.v1 (CreateUser, ListUsers, DeleteUser, GrantAcl,
// RevokeAcl, ListAcl): thin mappings onto the auth service. Admitted like every admin RPC (with
// --auth: super users only, src/protocol/access.ts); secrets are never answered.
import type { UserView } from '../../auth/auth-service.js';
import type { AclRule } from '../../domain/acl.js';
import { BrokerError, Code } from '../../errors.js';
import type { ServiceContext } from '../../services.js';
import type { CallInfo } from '../context.js';
import { OK_STATUS } from '../status.js';

const userMsg = (u: UserView) => ({ name: u.name, super_user: u.superUser, created_at_ms: String(u.createdAtMs) });
const ruleMsg = (r: AclRule) => ({ user: r.user, resource: r.resource, actions: r.actions, decision: r.decision });

export async function createUser(req: { name: string; secret: string; super_user: boolean }, _c: CallInfo, svc: ServiceContext) {
  const user = await svc.auth.createUser(req.name, req.secret, req.super_user);
  svc.log.info({ user: user.name, superUser: user.superUser }, 'user created');
  return { status: OK_STATUS, user: userMsg(user) };
}

export async function listUsers(_r: unknown, _c: CallInfo, svc: ServiceContext) {
  return { status: OK_STATUS, users: (await svc.auth.listUsers()).map(userMsg) };
}

export async function deleteUser(req: { name: string }, call: CallInfo, svc: ServiceContext) {
  if (call.identity?.user === req.name) throw new BrokerError(Code.BAD_REQUEST, `user ${req.name} cannot delete itself: delete it as another super user`);
  await svc.auth.deleteUser(req.name);
  svc.log.info({ user: req.name }, 'user deleted');
  return { status: OK_STATUS };
}

export async function grantAcl(req: { user: string; resource: string; actions: string[]; decision: string }, _c: CallInfo, svc: ServiceContext) {
  const decision = req.decision === '' || /^allow$/i.test(req.decision) ? 'Allow' : /^deny$/i.test(req.decision) ? 'Deny' : undefined;
  if (!decision) throw new BrokerError(Code.BAD_REQUEST, `decision "${req.decision}" is unknown: use Allow or Deny`);
  const rule = await svc.auth.grant(req.user, req.resource, req.actions, decision);
  svc.log.info({ user: rule.user, resource: rule.resource, actions: rule.actions, decision: rule.decision }, 'ACL rule granted');
  return { status: OK_STATUS, rule: ruleMsg(rule) };
}

export async function revokeAcl(req: { user: string; resource: string }, _c: CallInfo, svc: ServiceContext) {
  await svc.auth.revoke(req.user, req.resource);
  svc.log.info({ user: req.user, resource: req.resource }, 'ACL rule revoked');
  return { status: OK_STATUS };
}

export async function listAcl(req: { user: string }, _c: CallInfo, svc: ServiceContext) {
  return { status: OK_STATUS, rules: (await svc.auth.listRules(req.user || undefined)).map(ruleMsg) };
}
