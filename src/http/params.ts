// Owns the request target of the protocol: the one resource `/topics/{topic}/messages`, its query
// parameters parsed by name (SDKs order them differently, spec §2) with form decoding ('+' is a
// space, for Java/Go tags), and the validated values handlers need (group, batch size, wait).
// `ns` (instance id) is the namespace: it scopes the topic and the group (see domain/namespace),
// exactly as a gRPC client's namespace does, so both protocols meet on the same names.
import { BrokerError, Code } from '../errors.js';
import { validateGroupName } from '../domain/names.js';
import { qualify, validateNamespace } from '../domain/namespace.js';
import type { MqQuery } from './context.js';
import { MqHttpError } from './errors.js';

export const MAX_BATCH = 16;
export const MAX_WAIT_SECONDS = 30;

const RESOURCE = /^\/topics\/([^/]+)\/messages$/;
const KNOWN: readonly (keyof MqQuery)[] = ['ns', 'consumer', 'numOfMessages', 'waitseconds', 'tag', 'trans'];

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // SDKs insert names raw; a '%' that is not an escape stays as it is
  }
}

export function parseTarget(url: string): { topic: string; query: MqQuery } {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const m = RESOURCE.exec(path);
  if (!m) {
    throw new MqHttpError(
      'InvalidRequestURL',
      `no resource at ${path.slice(0, 200)}: the MQ HTTP protocol serves only /topics/{topic}/messages (an endpoint must not end with '/')`,
    );
  }
  const query: MqQuery = {};
  for (const [name, value] of new URLSearchParams(q < 0 ? '' : url.slice(q + 1))) {
    if (!(KNOWN as readonly string[]).includes(name)) {
      throw new MqHttpError('InvalidQueryString', `query parameter "${name.slice(0, 50)}" is unknown: use ${KNOWN.join(', ')}`);
    }
    const key = name as keyof MqQuery;
    if (query[key] !== undefined) throw new MqHttpError('InvalidQueryString', `query parameter "${name}" is given twice`);
    query[key] = value;
  }
  const ns = query.ns ?? '';
  try {
    validateNamespace(ns);
  } catch (err) {
    throw new MqHttpError('InvalidArgument', `the "ns" query parameter (instance id) is illegal: ${(err as Error).message}`);
  }
  return { topic: qualify(ns, decodeSegment(m[1]!)), query };
}

/** The `consumer` parameter: a valid group name. */
export function consumerGroup(query: MqQuery): string {
  const group = query.consumer;
  if (!group) throw new MqHttpError('InvalidArgument', 'the "consumer" query parameter is required: pass your group id (GID_...)', Code.ILLEGAL_CONSUMER_GROUP);
  try {
    validateGroupName(group);
  } catch (err) {
    throw err instanceof BrokerError ? new MqHttpError('InvalidArgument', err.message, err.code) : err;
  }
  return qualify(query.ns ?? '', group);
}

function intParam(query: MqQuery, name: 'numOfMessages' | 'waitseconds', min: number, max: number, fallback?: number): number {
  const raw = query[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new MqHttpError('InvalidArgument', `the "${name}" query parameter is required (${min} to ${max})`);
  }
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new MqHttpError('InvalidArgument', `the value of ${name} should be between ${min} and ${max}, got "${raw.slice(0, 20)}"`);
  return n;
}

export function batchSize(query: MqQuery): number {
  return intParam(query, 'numOfMessages', 1, MAX_BATCH);
}

/** 0 (absent) is a short poll. */
export function waitSeconds(query: MqQuery): number {
  return intParam(query, 'waitseconds', 0, MAX_WAIT_SECONDS, 0);
}
