// The start-time warning: a broker bound to a non-loopback address without --auth says so loudly
// (and, with --auth, that TLS is off); a loopback broker says nothing.
import { describe, expect, it } from 'vitest';
import { isLoopback, warnIfExposed } from '../../../src/auth/exposure.js';
import type { Logger } from '../../../src/logger.js';

function warnings(config: { host: string; auth: boolean; tlsCert: string }): string[] {
  const said: string[] = [];
  const log = { warn: (_fields: unknown, message: string) => said.push(message) } as unknown as Logger;
  warnIfExposed(config, log);
  return said;
}

describe('exposure warning', () => {
  it('warns about a non-loopback broker without --auth, or with --auth but without TLS, and not about loopback', () => {
    expect(warnings({ host: '0.0.0.0', auth: false, tlsCert: '' })).toEqual([
      expect.stringMatching(/^SECURITY WARNING: the broker listens on 0\.0\.0\.0 WITHOUT AUTHENTICATION/),
    ]);
    expect(warnings({ host: '10.1.2.3', auth: true, tlsCert: '' })).toEqual([expect.stringMatching(/without TLS: requests are signed but not encrypted/)]);
    expect(warnings({ host: '10.1.2.3', auth: true, tlsCert: 'server.crt' })).toEqual([]);
    expect(warnings({ host: '127.0.0.1', auth: false, tlsCert: '' })).toEqual([]);
    expect(['localhost', '::1', '127.0.0.2'].every(isLoopback)).toBe(true);
    expect(['', '::', '0.0.0.0', '192.168.0.1'].some(isLoopback)).toBe(false);
  });
});
