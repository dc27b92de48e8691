// Owns namespaces: a client's namespace (gRPC x-mq-namespace header or resource_namespace, the MQ
// HTTP `ns` instance id) scopes its topics and consumer groups. Inside the broker a scoped name
// is `<namespace>%<name>`, as RocketMQ stores it; the system prefixes stay in front
// (`%DLQ%<namespace>%<group>`). The empty namespace leaves names as they are, so admin commands
// and clients without a namespace see the scoped names in full.
import { Code } from './codes.js';
import { BrokerError } from './errors.js';
import { MAX_NAMESPACE_LENGTH, SYSTEM_TOPIC_PREFIXES } from './names.js';

const NAMESPACE_PATTERN = /^[a-zA-Z0-9_-]+$/;

export function validateNamespace(namespace: string): void {
  if (namespace === '') return;
  if (namespace.length > MAX_NAMESPACE_LENGTH || !NAMESPACE_PATTERN.test(namespace)) {
    throw new BrokerError(Code.BAD_REQUEST, `namespace "${namespace.slice(0, 80)}" is illegal: use at most ${MAX_NAMESPACE_LENGTH} letters, digits, '_' and '-'`);
  }
}

/** The broker's name for `name` seen from `namespace` (already scoped names are kept). */
export function qualify(namespace: string, name: string): string {
  if (!namespace) return name;
  validateNamespace(namespace);
  const scope = `${namespace}%`;
  for (const prefix of SYSTEM_TOPIC_PREFIXES) {
    if (name.startsWith(prefix)) {
      const rest = name.slice(prefix.length);
      return rest.startsWith(scope) ? name : `${prefix}${scope}${rest}`;
    }
  }
  return name.startsWith(scope) ? name : `${scope}${name}`;
}

/** The name a client of `namespace` knows for the broker's `name` (inverse of qualify). */
export function unqualify(namespace: string, name: string): string {
  if (!namespace) return name;
  const scope = `${namespace}%`;
  for (const prefix of SYSTEM_TOPIC_PREFIXES) {
    if (name.startsWith(prefix + scope)) return prefix + name.slice(prefix.length + scope.length);
  }
  return name.startsWith(scope) ? name.slice(scope.length) : name;
}
