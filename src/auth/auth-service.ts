// Owns authentication and authorization for every adapter (gRPC, the MQ HTTP gateway, the admin
// listener): a cache of the store's users (secrets opened) and ACL rules, refreshed by a
// PeriodicTask whenever the store's change counter moves (so a change made on any broker of a
// shared store takes effect everywhere within authRefreshIntervalMs); the bootstrap super user
// (--init-user); verifying MQv2 signatures; deciding permissions with the domain rules
// (src/domain/acl.ts); and the user and rule administration behind `halfmoon user|acl`.
// With `auth` off, nothing is checked and every call is allowed.
import { timingSafeEqual } from 'node:crypto';
import type { BrokerConfig } from '../config.js';
import {
  checkAccess,
  forbidden,
  parseActions,
  parseResource,
  validateSecret,
  validateUserName,
  type AclDecision,
  type AclRule,
  type AuthUser,
  type Permission,
} from '../domain/acl.js';
import { parseMqv2Authorization, verifyMqv2 } from '../domain/mqv2-signature.js';
import { BrokerError, Code } from '../errors.js';
import type { Logger } from '../logger.js';
import { PeriodicTask } from '../runtime/periodic-task.js';
import type { AuthStore } from '../store/broker-store.js';
import type { Clock } from '../util/clock.js';
import { SecretBox } from './secret-box.js';

/** Who made a request (authenticated), as adapters hand it around. */
export interface Identity {
  user: string;
  superUser: boolean;
}

/** A user as the admin API shows it (never the secret). */
export interface UserView {
  name: string;
  superUser: boolean;
  createdAtMs: number;
}

export type AuthConfig = Pick<BrokerConfig, 'auth' | 'initUser' | 'authClockSkewMs' | 'authRefreshIntervalMs' | 'authSecretKeyFile'>;

interface CachedUser {
  user: AuthUser;
  /** The opened secret, or why it cannot be opened. */
  secret: string | BrokerError;
}

export class AuthService {
  private users = new Map<string, CachedUser>();
  private rules = new Map<string, AclRule[]>();
  private version: number | undefined;
  private readonly box: SecretBox;
  private readonly task: PeriodicTask;

  constructor(private readonly deps: { store: AuthStore; config: AuthConfig; clock: Clock; log: Logger }) {
    this.box = deps.config.authSecretKeyFile ? SecretBox.fromKeyFile(deps.config.authSecretKeyFile) : SecretBox.plain();
    this.task = new PeriodicTask({
      name: 'auth-refresh',
      clock: deps.clock,
      log: deps.log,
      intervalMs: deps.config.authRefreshIntervalMs,
      run: () => this.refresh(),
    });
  }

  get enabled(): boolean {
    return this.deps.config.auth;
  }

  /** Creates the --init-user if missing, loads the cache, and starts refreshing it (auth on). */
  async start(): Promise<void> {
    const init = this.deps.config.initUser;
    if (init) {
      const colon = init.indexOf(':');
      const name = validateUserName(init.slice(0, colon));
      const secret = validateSecret(init.slice(colon + 1));
      const { created } = await this.deps.store.putUser(this.newUser(name, secret, true), 'create');
      this.deps.log.info({ user: name }, created ? 'initial super user created' : 'initial super user exists already; left as it is');
    }
    // With auth off nothing reads the cache: no refresh traffic on the store.
    if (!this.enabled) return;
    await this.refresh();
    this.task.start();
  }

  close(): Promise<void> {
    return this.task.close();
  }

  /** Reloads users and rules when the store's change counter moved (or `force`). */
  async refresh(force = false): Promise<void> {
    const { store } = this.deps;
    const version = await store.authVersion();
    if (!force && version === this.version) return;
    const [users, rules] = await Promise.all([store.listUsers(), store.listRules()]);
    const nextUsers = new Map<string, CachedUser>();
    for (const user of users) {
      let secret: string | BrokerError;
      try {
        secret = this.box.open(user.name, user.secret);
      } catch (err) {
        secret = err as BrokerError;
        this.deps.log.error({ user: user.name }, (err as Error).message);
      }
      nextUsers.set(user.name, { user, secret });
    }
    const nextRules = new Map<string, AclRule[]>();
    for (const r of rules) nextRules.set(r.user, [...(nextRules.get(r.user) ?? []), r]);
    this.users = nextUsers;
    this.rules = nextRules;
    this.version = version;
  }

  /** The secret of an access key (user name), for signature schemes verified elsewhere (MQ HTTP); undefined if unknown. */
  secretOf(accessKey: string): string | undefined {
    const cached = this.users.get(accessKey);
    if (!cached) return undefined;
    if (cached.secret instanceof BrokerError) {
      // Why (no key, another key) is in the broker's log from the refresh; clients learn only this.
      throw new BrokerError(Code.UNAUTHORIZED, `the broker cannot read the stored secret of access key ${accessKey}; its log says why`);
    }
    return cached.secret;
  }

  identityOf(user: string): Identity | undefined {
    const cached = this.users.get(user);
    return cached ? { user, superUser: cached.user.superUser } : undefined;
  }

  /**
   * Authenticates a gRPC request from its `authorization` and `x-mq-date-time` headers; undefined
   * when auth is off. Throws UNAUTHORIZED saying which part is wrong.
   */
  authenticateMqv2(authorization: string | undefined, dateTime: string | undefined): Identity | undefined {
    if (!this.enabled) return undefined;
    if (!authorization) {
      throw new BrokerError(Code.UNAUTHORIZED, 'the request is not signed: this broker requires authentication; give the client sessionCredentials (access key and secret)');
    }
    const auth = parseMqv2Authorization(authorization);
    if (!dateTime) throw new BrokerError(Code.UNAUTHORIZED, 'the x-mq-date-time header is missing: the signature covers it');
    const secret = this.secretOf(auth.accessKey);
    if (secret === undefined) throw new BrokerError(Code.UNAUTHORIZED, `access key ${auth.accessKey} is unknown: no user of that name exists on this broker`);
    verifyMqv2(auth, dateTime, secret, this.deps.clock.now(), this.deps.config.authClockSkewMs);
    return this.identityOf(auth.accessKey);
  }

  /** Authenticates an access key and its secret given in full (HTTP Basic on the admin listener). */
  authenticateSecret(accessKey: string, secret: string): Identity {
    const known = this.secretOf(accessKey);
    const a = Buffer.from(known ?? '', 'utf8');
    const b = Buffer.from(secret, 'utf8');
    if (known === undefined || a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new BrokerError(Code.UNAUTHORIZED, `access key ${accessKey} is unknown or its secret is wrong`);
    }
    return this.identityOf(accessKey)!;
  }

  /** Throws FORBIDDEN unless the identity has every permission (no-op when auth is off). */
  authorize(identity: Identity | undefined, needs: readonly Permission[]): void {
    if (!this.enabled) return;
    if (!identity) throw new BrokerError(Code.UNAUTHORIZED, 'the request is not authenticated');
    for (const need of needs) {
      const verdict = checkAccess({ name: identity.user, superUser: identity.superUser }, this.rules.get(identity.user) ?? [], need);
      if (!verdict.allowed) throw forbidden(identity.user, need, verdict.reason);
    }
  }

  /** Throws FORBIDDEN unless the identity is a super user (no-op when auth is off). */
  requireSuperUser(identity: Identity | undefined, what: string): void {
    if (!this.enabled) return;
    if (!identity) throw new BrokerError(Code.UNAUTHORIZED, 'the request is not authenticated');
    if (!identity.superUser)
      throw new BrokerError(Code.FORBIDDEN, `user ${identity.user} may not ${what}: only super users may (halfmoon user create NAME --secret S --super)`);
  }

  /** Whether a user may publish to (and so decide transactions of) a topic; always true when auth is off. */
  mayPublish(user: string | undefined, topic: string): boolean {
    if (!this.enabled) return true;
    const identity = user === undefined ? undefined : this.identityOf(user);
    return (
      identity !== undefined &&
      checkAccess({ name: identity.user, superUser: identity.superUser }, this.rules.get(identity.user) ?? [], { type: 'Topic', name: topic, action: 'Pub' }).allowed
    );
  }

  // --- administration (the admin API; callers check requireSuperUser first) ---

  private newUser(name: string, secret: string, superUser: boolean): AuthUser {
    return { name, secret: this.box.seal(name, secret), superUser, createdAtMs: this.deps.clock.now() };
  }

  async createUser(name: string, secret: string, superUser: boolean): Promise<UserView> {
    const user = this.newUser(validateUserName(name), validateSecret(secret), superUser);
    const { created } = await this.deps.store.putUser(user, 'create');
    if (!created) throw new BrokerError(Code.BAD_REQUEST, `user ${name} exists already: delete it first to change its secret (halfmoon user delete ${name})`);
    await this.refresh(true);
    return view(user);
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.deps.store.listUsers()).map(view);
  }

  async deleteUser(name: string): Promise<void> {
    if (!(await this.deps.store.deleteUser(name))) throw new BrokerError(Code.NOT_FOUND, `user ${name} does not exist (halfmoon user list shows the users)`);
    await this.refresh(true);
  }

  async grant(user: string, resource: string, actions: string | readonly string[], decision: AclDecision): Promise<AclRule> {
    const rule: AclRule = { user, resource: parseResource(resource), actions: parseActions(actions), decision };
    if (!(await this.deps.store.putRule(rule)))
      throw new BrokerError(Code.NOT_FOUND, `user ${user} does not exist: create it first (halfmoon user create ${user} --secret S)`);
    await this.refresh(true);
    return rule;
  }

  async revoke(user: string, resource: string): Promise<void> {
    const normalized = parseResource(resource);
    if (!(await this.deps.store.deleteRule(user, normalized))) {
      throw new BrokerError(Code.NOT_FOUND, `user ${user} has no rule on ${normalized} (halfmoon acl list ${user} shows its rules)`);
    }
    await this.refresh(true);
  }

  listRules(user?: string): Promise<AclRule[]> {
    return this.deps.store.listRules(user);
  }
}

function view(u: AuthUser): UserView {
  return { name: u.name, superUser: u.superUser, createdAtMs: u.createdAtMs };
}
