// Owns broker configuration built from the one table of settings (src/config-spec.ts): env var
// and CLI flag names, defaults, validation and the relations between settings, the resolved
// config, and the rows of `halfmoon start --help` and docs/configuration.md.
// Precedence: defaults ← config file ← HALFMOON_* env ← CLI flags.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { CHECK_POLICIES, CONFIG_SPEC, GROUP_STARTS, LOG_LEVELS, type Spec } from './config-spec.js';

export { CHECK_POLICIES, CONFIG_SPEC, GROUP_STARTS, LOG_LEVELS };

type SpecTable = typeof CONFIG_SPEC;
type ValueOf<S> = S extends { type: 'int' } ? number : S extends { type: 'bool' } ? boolean : S extends { type: 'enum'; values: readonly (infer V)[] } ? V : string;

export type BrokerConfig = { readonly [K in keyof SpecTable]: ValueOf<SpecTable[K]> };
export type ConfigKey = keyof BrokerConfig;

export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}

/** The id of this broker process: brokerId, or <hostname>:<grpcPort>. */
export function brokerIdOf(config: Pick<BrokerConfig, 'brokerId' | 'grpcPort'>): string {
  return config.brokerId || `${hostname()}:${config.grpcPort}`;
}

/** camelCase key → HALFMOON_SNAKE_CASE env var. */
export function envName(key: string): string {
  return 'HALFMOON_' + key.replace(/([A-Z])/g, '_$1').toUpperCase();
}

/** camelCase key → --kebab-case flag. */
export function flagName(key: string): string {
  return '--' + key.replace(/([A-Z])/g, '-$1').toLowerCase();
}

const FLAG_ALIASES: Partial<Record<ConfigKey, string>> = { dataDir: '--data' };
export function flagOf(key: ConfigKey): string {
  return FLAG_ALIASES[key] ?? flagName(key);
}

export const DEFAULT_CONFIG: BrokerConfig = Object.freeze(Object.fromEntries(Object.entries(CONFIG_SPEC).map(([k, s]) => [k, s.default])) as BrokerConfig);

function coerce(key: string, spec: Spec, raw: unknown, origin: string): unknown {
  const where = `'${key}' (from ${origin})`;
  switch (spec.type) {
    case 'int': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new InvalidConfigError(`${where} must be an integer, got ${JSON.stringify(raw)}`);
      if (n < spec.min) throw new InvalidConfigError(`${where} must be an integer ≥ ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new InvalidConfigError(`${where} must be an integer ≤ ${spec.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new InvalidConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      const v = typeof raw === 'string' ? raw : String(raw);
      const match = spec.values.find((x) => x.toLowerCase() === v.toLowerCase());
      if (!match) throw new InvalidConfigError(`${where} must be one of ${spec.values.join(', ')}, got ${JSON.stringify(raw)}`);
      return match;
    }
    case 'string':
      if (typeof raw !== 'string') throw new InvalidConfigError(`${where} must be a string, got ${JSON.stringify(raw)}`);
      return raw;
  }
}

function apply(target: Record<string, unknown>, source: Record<string, unknown>, origin: string): void {
  for (const [key, raw] of Object.entries(source)) {
    if (raw === undefined) continue;
    const spec = (CONFIG_SPEC as Record<string, Spec>)[key];
    if (!spec) {
      throw new InvalidConfigError(`unknown setting '${key}' (from ${origin}); known settings: ${Object.keys(CONFIG_SPEC).join(', ')}`);
    }
    target[key] = coerce(key, spec, raw, origin);
  }
}

export interface ResolveConfigInput {
  /** Path of a JSON config file (`--config`). */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from CLI flags or code (highest precedence). */
  overrides?: Partial<Record<ConfigKey, unknown>>;
}

/** Merges defaults ← file ← env ← overrides, validates, and returns a frozen config. */
export function resolveConfig(input: ResolveConfigInput = {}): BrokerConfig {
  const out: Record<string, unknown> = { ...DEFAULT_CONFIG };
  if (input.configFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(input.configFile, 'utf8'));
    } catch (err) {
      throw new InvalidConfigError(`cannot read config file ${input.configFile}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidConfigError(`config file ${input.configFile} must contain a JSON object of settings`);
    }
    apply(out, parsed as Record<string, unknown>, `config file ${input.configFile}`);
  }
  const env = input.env ?? {};
  const fromEnv: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_SPEC)) {
    const v = env[envName(key)];
    if (v !== undefined && v !== '') fromEnv[key] = v;
  }
  apply(out, fromEnv, 'environment');
  apply(out, input.overrides ?? {}, 'flags');
  const config = out as BrokerConfig;
  checkRelations(config);
  return Object.freeze(config);
}

function checkRelations(c: BrokerConfig): void {
  if (c.minInvisibleDurationMs > c.maxInvisibleDurationMs) {
    throw new InvalidConfigError(`'minInvisibleDurationMs' (${c.minInvisibleDurationMs}) must not exceed 'maxInvisibleDurationMs' (${c.maxInvisibleDurationMs})`);
  }
  if (c.minLongPollingTimeoutMs > c.maxLongPollingTimeoutMs) {
    throw new InvalidConfigError(`'minLongPollingTimeoutMs' (${c.minLongPollingTimeoutMs}) must not exceed 'maxLongPollingTimeoutMs' (${c.maxLongPollingTimeoutMs})`);
  }
  if (c.httpEnabled) {
    for (const key of ['httpInvisibleDurationMs', 'httpOrderlyInvisibleDurationMs'] as const) {
      if (c[key] < c.minInvisibleDurationMs || c[key] > c.maxInvisibleDurationMs) {
        throw new InvalidConfigError(
          `'${key}' (${c[key]}) must lie within 'minInvisibleDurationMs' (${c.minInvisibleDurationMs}) and 'maxInvisibleDurationMs' (${c.maxInvisibleDurationMs})`,
        );
      }
    }
  }
  if (c.autoRenewCheckIntervalMs >= c.autoRenewThresholdMs || c.autoRenewThresholdMs > c.autoRenewInvisibleDurationMs) {
    throw new InvalidConfigError(
      `auto-renewal needs 'autoRenewCheckIntervalMs' (${c.autoRenewCheckIntervalMs}) < 'autoRenewThresholdMs' (${c.autoRenewThresholdMs}) ≤ 'autoRenewInvisibleDurationMs' (${c.autoRenewInvisibleDurationMs}), or deliveries expire between checks`,
    );
  }
  if (c.brokerTtlMs <= c.brokerHeartbeatIntervalMs) {
    throw new InvalidConfigError(
      `'brokerTtlMs' (${c.brokerTtlMs}) must exceed 'brokerHeartbeatIntervalMs' (${c.brokerHeartbeatIntervalMs}), or a live broker drops out of routes between heartbeats`,
    );
  }
  if (c.clientMetricsEndpoint !== '') {
    const m = /^(?:\[[^\]]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(c.clientMetricsEndpoint);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      throw new InvalidConfigError(
        `'clientMetricsEndpoint' (${c.clientMetricsEndpoint}) must be host:port of an OTLP/gRPC collector, such as otel-collector:4317 ([v6addr]:port for IPv6)`,
      );
    }
  }
  if (c.httpHeadersTimeoutMs > c.httpRequestTimeoutMs) {
    throw new InvalidConfigError(
      `'httpHeadersTimeoutMs' (${c.httpHeadersTimeoutMs}) must not exceed 'httpRequestTimeoutMs' (${c.httpRequestTimeoutMs}): the headers are part of the request`,
    );
  }
  if ((c.accessKey === '') !== (c.secretKey === '')) {
    throw new InvalidConfigError(`'accessKey' and 'secretKey' must be set together`);
  }
  if ((c.tlsCert === '') !== (c.tlsKey === '')) {
    throw new InvalidConfigError(`'tlsCert' and 'tlsKey' must be set together (--tls-cert FILE --tls-key FILE)`);
  }
  if (c.initUser !== '' && !/^[^:]+:.+$/.test(c.initUser)) {
    throw new InvalidConfigError(`'initUser' must be NAME:SECRET, got ${JSON.stringify(c.initUser.split(':')[0] + ':…')}`);
  }
}

/** Rows for documentation: key, env var, flag, default, upstream name, description. */
export function configTable(): { key: string; env: string; flag: string; default: string; upstream: string; description: string }[] {
  return (Object.entries(CONFIG_SPEC) as [ConfigKey, Spec][]).map(([key, spec]) => ({
    key,
    env: envName(key),
    flag: flagOf(key),
    default: JSON.stringify(spec.default),
    upstream: spec.upstream ?? '',
    description: spec.description,
  }));
}
