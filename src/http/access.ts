// Owns what each MQ HTTP operation needs with --auth: the request is signed by a user of the
// store (AccessKey = user name), then publish, commit and rollback and consuming half messages
// (the producer's check loop) need Pub on the topic; consuming and acking need Sub on the topic
// and on the consumer group. The same ACL as gRPC, decided by the auth service.
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from '../auth/auth-service.js';
import type { Permission } from '../domain/acl.js';
import { BrokerError, Code } from '../errors.js';
import type { ServiceContext } from '../services.js';
import type { MqQuery } from './context.js';
import { MqHttpError } from './errors.js';
import { consumerGroup } from './params.js';
import { verifyRequest } from './signature.js';

/** Authenticates the request (configured key, or --auth users); the user when auth is on. */
export function authenticateHttp(req: { method: string; url: string; headers: IncomingHttpHeaders }, svc: ServiceContext): Identity | undefined {
  const { auth, config, clock } = svc;
  if (auth.enabled) {
    const user = verifyRequest(req, (key) => auth.secretOf(key), clock.now(), config.authClockSkewMs);
    return auth.identityOf(user);
  }
  if (config.accessKey) verifyRequest(req, { accessKey: config.accessKey, secretKey: config.secretKey }, clock.now());
  return undefined;
}

/** Throws AccessDenied (FORBIDDEN) unless the user may do the operation. */
export function authorizeHttp(identity: Identity | undefined, method: string, topic: string, query: MqQuery, svc: ServiceContext): void {
  if (!svc.auth.enabled) return;
  const pub: Permission[] = [{ type: 'Topic', name: topic, action: 'Pub' }];
  const consuming = (): Permission[] => [
    { type: 'Topic', name: topic, action: 'Sub' },
    { type: 'Group', name: consumerGroup(query), action: 'Sub' },
  ];
  const { trans } = query;
  const needs = method === 'POST' || trans === 'commit' || trans === 'rollback' || trans === 'pop' ? pub : consuming();
  try {
    svc.auth.authorize(identity, needs);
  } catch (err) {
    if (err instanceof BrokerError && err.code === Code.FORBIDDEN) throw new MqHttpError('AccessDenied', err.message, Code.FORBIDDEN);
    throw err;
  }
}
