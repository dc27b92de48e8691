// Broker configuration: defaults, the precedence defaults ← file ← HALFMOON_* env ← overrides,
// validation errors that name the offending setting and its origin, relation checks, and the
// names (env var, flag) and documentation rows derived from the one settings table.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_SPEC, DEFAULT_CONFIG, InvalidConfigError, configTable, envName, flagName, flagOf, resolveConfig, type ConfigKey } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'halfmoon-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileSeq = 0;
function configFile(content: unknown): string {
  const path = join(dir, `config-${fileSeq++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The InvalidConfigError resolveConfig throws for `input` (fails the test if none). */
function errorOf(input: Parameters<typeof resolveConfig>[0]): InvalidConfigError {
  try {
    resolveConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return err as InvalidConfigError;
  }
  throw new Error('resolveConfig did not throw');
}

describe('defaults', () => {
  it('resolveConfig() with no input equals DEFAULT_CONFIG', () => {
    expect(resolveConfig()).toEqual(DEFAULT_CONFIG);
    expect(resolveConfig({ env: {}, overrides: {} })).toEqual(DEFAULT_CONFIG);
  });

  it('DEFAULT_CONFIG holds every spec default and is frozen', () => {
    for (const [key, spec] of Object.entries(CONFIG_SPEC)) {
      expect(DEFAULT_CONFIG[key as ConfigKey], key).toBe(spec.default);
    }
    expect(Object.keys(DEFAULT_CONFIG).sort()).toEqual(Object.keys(CONFIG_SPEC).sort());
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(true);
  });

  it('has the documented values for key settings', () => {
    expect(DEFAULT_CONFIG.dataDir).toBe('./data');
    expect(DEFAULT_CONFIG.host).toBe('127.0.0.1');
    expect(DEFAULT_CONFIG.grpcPort).toBe(8081);
    expect(DEFAULT_CONFIG.httpPort).toBe(8082);
    expect(DEFAULT_CONFIG.httpEnabled).toBe(true);
    expect(DEFAULT_CONFIG.logLevel).toBe('info');
    expect(DEFAULT_CONFIG.durable).toBe(true);
    expect(DEFAULT_CONFIG.autoCreateTopics).toBe(false);
    expect(DEFAULT_CONFIG.maxMessageSizeBytes).toBe(4 * 1024 * 1024);
    expect(DEFAULT_CONFIG.maxDeliveryAttempts).toBe(17);
    expect(DEFAULT_CONFIG.transactionCheckMax).toBe(15);
    expect(DEFAULT_CONFIG.transactionCheckPolicy).toBe('ROLLBACK');
    expect(DEFAULT_CONFIG.accessKey).toBe('');
    expect(DEFAULT_CONFIG.secretKey).toBe('');
  });

  it('does not read process.env unless it is passed', () => {
    const name = envName('grpcPort');
    const saved = process.env[name];
    process.env[name] = '9999';
    try {
      expect(resolveConfig().grpcPort).toBe(DEFAULT_CONFIG.grpcPort);
      expect(resolveConfig({ env: process.env }).grpcPort).toBe(9999);
    } finally {
      if (saved === undefined) delete process.env[name];
      else process.env[name] = saved;
    }
  });

  it('returns a frozen config', () => {
    const c = resolveConfig({ overrides: { grpcPort: 1234 } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.grpcPort).toBe(1234);
  });
});

describe('precedence: defaults ← file ← env ← overrides', () => {
  it('each layer overrides the one below it, key by key', () => {
    const file = configFile({ grpcPort: 1001, httpPort: 1002, host: '0.0.0.0', logLevel: 'warn' });
    const env = { HALFMOON_GRPC_PORT: '2001', HALFMOON_HTTP_PORT: '2002' };
    const c = resolveConfig({ configFile: file, env, overrides: { grpcPort: 3001 } });
    expect(c.grpcPort).toBe(3001); // override beats env and file
    expect(c.httpPort).toBe(2002); // env beats file
    expect(c.host).toBe('0.0.0.0'); // file beats default
    expect(c.logLevel).toBe('warn');
    expect(c.dataDir).toBe(DEFAULT_CONFIG.dataDir); // untouched default
  });

  it('env values are coerced from strings', () => {
    const c = resolveConfig({
      env: {
        HALFMOON_DATA_DIR: '/var/lib/halfmoon',
        HALFMOON_DURABLE: 'false',
        HALFMOON_AUTO_CREATE_TOPICS: '1',
        HALFMOON_MAX_DELIVERY_ATTEMPTS: ' 5 ',
        HALFMOON_TRANSACTION_CHECK_POLICY: 'keep',
        HALFMOON_LOG_LEVEL: 'DEBUG',
      },
    });
    expect(c.dataDir).toBe('/var/lib/halfmoon');
    expect(c.durable).toBe(false);
    expect(c.autoCreateTopics).toBe(true);
    expect(c.maxDeliveryAttempts).toBe(5);
    expect(c.transactionCheckPolicy).toBe('KEEP'); // enum matched case-insensitively, canonical spelling kept
    expect(c.logLevel).toBe('debug');
  });

  it('ignores empty env values and unrelated env vars', () => {
    const c = resolveConfig({
      env: { HALFMOON_GRPC_PORT: '', HALFMOON_NOT_A_SETTING: 'x', PATH: '/usr/bin', grpcPort: '1' },
    });
    expect(c).toEqual(DEFAULT_CONFIG);
  });

  it('undefined overrides are skipped, so they do not mask lower layers', () => {
    const c = resolveConfig({ env: { HALFMOON_GRPC_PORT: '2001' }, overrides: { grpcPort: undefined, httpPort: 0 } });
    expect(c.grpcPort).toBe(2001);
    expect(c.httpPort).toBe(0);
  });

  it('overrides accept strings the way flags arrive', () => {
    const c = resolveConfig({ overrides: { grpcPort: '7000', httpEnabled: 'false', logLevel: 'error' } });
    expect(c.grpcPort).toBe(7000);
    expect(c.httpEnabled).toBe(false);
    expect(c.logLevel).toBe('error');
  });

  it('a file may use native JSON types', () => {
    const c = resolveConfig({ configFile: configFile({ durable: false, maxUserProperties: 7, transactionCheckPolicy: 'KEEP' }) });
    expect(c.durable).toBe(false);
    expect(c.maxUserProperties).toBe(7);
    expect(c.transactionCheckPolicy).toBe('KEEP');
  });
});

describe('validation errors name the setting and where it came from', () => {
  it('bad integer', () => {
    const e = errorOf({ env: { HALFMOON_GRPC_PORT: 'eighty' } });
    expect(e.message).toContain("'grpcPort'");
    expect(e.message).toContain('environment');
    expect(e.message).toContain('must be an integer');
    expect(e.message).toContain('"eighty"');
  });

  it('non-integer numbers and blank strings are not integers', () => {
    expect(errorOf({ overrides: { grpcPort: 1.5 } }).message).toMatch(/'grpcPort' \(from flags\) must be an integer/);
    expect(errorOf({ overrides: { grpcPort: '  ' } }).message).toMatch(/'grpcPort'.*must be an integer/);
    expect(errorOf({ overrides: { grpcPort: true } }).message).toMatch(/'grpcPort'.*must be an integer/);
    expect(errorOf({ configFile: configFile({ grpcPort: null }) }).message).toMatch(/'grpcPort'.*must be an integer/);
    expect(errorOf({ configFile: configFile({ grpcPort: '12abc' }) }).message).toMatch(/'grpcPort'.*must be an integer/);
  });

  it('below the minimum', () => {
    const e = errorOf({ overrides: { maxMessageSizeBytes: 0 } });
    expect(e.message).toContain("'maxMessageSizeBytes'");
    expect(e.message).toContain('≥ 1');
    expect(e.message).toContain('got 0');
    expect(errorOf({ env: { HALFMOON_GRPC_PORT: '-1' } }).message).toMatch(/'grpcPort'.*≥ 0.*got -1/);
  });

  it('above the maximum', () => {
    const e = errorOf({ env: { HALFMOON_GRPC_PORT: '65536' } });
    expect(e.message).toContain("'grpcPort'");
    expect(e.message).toContain('≤ 65535');
    expect(e.message).toContain('got 65536');
  });

  it('bounds are inclusive', () => {
    expect(resolveConfig({ overrides: { grpcPort: 0 } }).grpcPort).toBe(0);
    expect(resolveConfig({ overrides: { grpcPort: 65535 } }).grpcPort).toBe(65535);
    expect(resolveConfig({ overrides: { receiveBatchSize: 1024 } }).receiveBatchSize).toBe(1024);
    expect(() => resolveConfig({ overrides: { receiveBatchSize: 1025 } })).toThrow(/'receiveBatchSize'/);
  });

  it('bad boolean', () => {
    const e = errorOf({ env: { HALFMOON_DURABLE: 'yes' } });
    expect(e.message).toContain("'durable'");
    expect(e.message).toContain('must be true or false');
    expect(e.message).toContain('"yes"');
    expect(() => resolveConfig({ configFile: configFile({ httpEnabled: 1 }) })).toThrow(/'httpEnabled'.*true or false/);
  });

  it('bad enum value lists the allowed values', () => {
    const e = errorOf({ overrides: { logLevel: 'verbose' } });
    expect(e.message).toContain("'logLevel'");
    expect(e.message).toContain('trace, debug, info, warn, error, fatal, silent');
    expect(e.message).toContain('"verbose"');
    expect(() => resolveConfig({ env: { HALFMOON_TRANSACTION_CHECK_POLICY: 'COMMIT' } })).toThrow(/'transactionCheckPolicy'.*ROLLBACK, KEEP/);
  });

  it('a string setting rejects non-strings', () => {
    expect(() => resolveConfig({ configFile: configFile({ host: 42 }) })).toThrow(/'host'.*must be a string/);
  });

  it('unknown key in the config file', () => {
    const file = configFile({ grpcPort: 1, grpcPrt: 2 });
    const e = errorOf({ configFile: file });
    expect(e.message).toContain("unknown setting 'grpcPrt'");
    expect(e.message).toContain(file);
    expect(e.message).toContain('grpcPort'); // the known settings are listed
  });

  it('unknown key in overrides', () => {
    const overrides = { nope: 1 } as unknown as Record<ConfigKey, unknown>;
    expect(errorOf({ overrides }).message).toMatch(/unknown setting 'nope' \(from flags\)/);
  });

  it('the file origin is named in value errors', () => {
    const file = configFile({ httpPort: 'x' });
    const e = errorOf({ configFile: file });
    expect(e.message).toContain("'httpPort'");
    expect(e.message).toContain(`config file ${file}`);
  });

  it.each([
    ['an array', [1, 2]],
    ['a number', 5],
    ['a string', 'grpcPort'],
    ['null', null],
  ])('file holding %s is not an object', (_what, content) => {
    const file = configFile(JSON.stringify(content));
    const e = errorOf({ configFile: file });
    expect(e.message).toContain(file);
    expect(e.message).toContain('must contain a JSON object');
  });

  it('unparsable file', () => {
    const file = configFile('{ "grpcPort": ');
    const e = errorOf({ configFile: file });
    expect(e.message).toContain(`cannot read config file ${file}`);
  });

  it('missing file', () => {
    const file = join(dir, 'does-not-exist.json');
    const e = errorOf({ configFile: file });
    expect(e.message).toContain(`cannot read config file ${file}`);
    expect(e.message).toContain('ENOENT');
  });

  it('InvalidConfigError is an Error with its own name', () => {
    const e = errorOf({ overrides: { grpcPort: -5 } });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('InvalidConfigError');
  });
});

describe('relation checks', () => {
  it('brokerTtlMs must exceed brokerHeartbeatIntervalMs', () => {
    const e = errorOf({ overrides: { brokerHeartbeatIntervalMs: 5_000, brokerTtlMs: 5_000 } });
    expect(e.message).toContain("'brokerTtlMs' (5000) must exceed 'brokerHeartbeatIntervalMs' (5000)");
    expect(resolveConfig({ overrides: { brokerHeartbeatIntervalMs: 500, brokerTtlMs: 2_000 } }).brokerTtlMs).toBe(2_000);
  });

  it('minInvisibleDurationMs must not exceed maxInvisibleDurationMs', () => {
    const e = errorOf({ overrides: { minInvisibleDurationMs: 50 * 3_600_000, maxInvisibleDurationMs: 12 * 3_600_000 } });
    expect(e.message).toContain("'minInvisibleDurationMs'");
    expect(e.message).toContain("'maxInvisibleDurationMs'");
    expect(e.message).toContain('must not exceed');
  });

  it('equal min and max invisible durations are fine', () => {
    // (httpEnabled off: the HTTP gateway's own invisible durations must lie within the range.)
    const c = resolveConfig({ overrides: { minInvisibleDurationMs: 12 * 3_600_000, httpEnabled: false } });
    expect(c.minInvisibleDurationMs).toBe(c.maxInvisibleDurationMs);
  });

  it('minLongPollingTimeoutMs must not exceed maxLongPollingTimeoutMs', () => {
    const e = errorOf({ env: { HALFMOON_MIN_LONG_POLLING_TIMEOUT_MS: '30000' } });
    expect(e.message).toContain("'minLongPollingTimeoutMs'");
    expect(e.message).toContain("'maxLongPollingTimeoutMs'");
  });

  it('the relation is checked on the merged result, not per layer', () => {
    // The file alone would be inconsistent; the env fixes it.
    const file = configFile({ minLongPollingTimeoutMs: 25_000 });
    const c = resolveConfig({ configFile: file, env: { HALFMOON_MAX_LONG_POLLING_TIMEOUT_MS: '30000' } });
    expect(c.minLongPollingTimeoutMs).toBe(25_000);
    expect(c.maxLongPollingTimeoutMs).toBe(30_000);
  });

  it('accessKey without secretKey, and the reverse, are rejected', () => {
    expect(errorOf({ overrides: { accessKey: 'AK' } }).message).toMatch(/'accessKey' and 'secretKey' must be set together/);
    expect(errorOf({ overrides: { secretKey: 'SK' } }).message).toMatch(/'accessKey' and 'secretKey' must be set together/);
    const c = resolveConfig({ env: { HALFMOON_ACCESS_KEY: 'AK', HALFMOON_SECRET_KEY: 'SK' } });
    expect(c.accessKey).toBe('AK');
    expect(c.secretKey).toBe('SK');
  });
});

describe('names', () => {
  it('envName: camelCase → HALFMOON_SNAKE_CASE', () => {
    expect(envName('dataDir')).toBe('HALFMOON_DATA_DIR');
    expect(envName('grpcPort')).toBe('HALFMOON_GRPC_PORT');
    expect(envName('host')).toBe('HALFMOON_HOST');
    expect(envName('maxInvisibleDurationMs')).toBe('HALFMOON_MAX_INVISIBLE_DURATION_MS');
  });

  it('flagName: camelCase → --kebab-case', () => {
    expect(flagName('dataDir')).toBe('--data-dir');
    expect(flagName('grpcPort')).toBe('--grpc-port');
    expect(flagName('host')).toBe('--host');
    expect(flagName('transactionCheckPolicy')).toBe('--transaction-check-policy');
  });

  it('flagOf uses aliases: dataDir → --data', () => {
    expect(flagOf('dataDir')).toBe('--data');
    expect(flagOf('grpcPort')).toBe('--grpc-port');
    expect(flagOf('logLevel')).toBe('--log-level');
  });

  it('every env name and flag is unique', () => {
    const keys = Object.keys(CONFIG_SPEC) as ConfigKey[];
    expect(new Set(keys.map(envName)).size).toBe(keys.length);
    expect(new Set(keys.map(flagOf)).size).toBe(keys.length);
  });
});

describe('configTable', () => {
  const rows = configTable();

  it('has one row per setting, in table order', () => {
    expect(rows.map((r) => r.key)).toEqual(Object.keys(CONFIG_SPEC));
  });

  it('derives env, flag, JSON default, upstream and description', () => {
    const byKey = new Map(rows.map((r) => [r.key, r]));
    expect(byKey.get('dataDir')).toEqual({
      key: 'dataDir',
      env: 'HALFMOON_DATA_DIR',
      flag: '--data',
      default: '"./data"',
      upstream: '',
      description: CONFIG_SPEC.dataDir.description,
    });
    expect(byKey.get('grpcPort')).toMatchObject({
      env: 'HALFMOON_GRPC_PORT',
      flag: '--grpc-port',
      default: '8081',
      upstream: 'ProxyConfig.grpcServerPort',
    });
    expect(byKey.get('durable')?.default).toBe('true');
    expect(byKey.get('transactionCheckPolicy')?.default).toBe('"ROLLBACK"');
  });

  it('every row has a description', () => {
    for (const r of rows) expect(r.description, r.key).not.toBe('');
  });
});
