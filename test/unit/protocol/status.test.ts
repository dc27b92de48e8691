// Response statuses: BrokerErrors keep their RocketMQ code (by enum name) and message; any
// other error becomes INTERNAL_SERVER_ERROR and is logged; multi-entry responses combine.
import { describe, expect, it, vi } from 'vitest';
import { BrokerError, Code } from '../../../src/errors.js';
import type { Logger } from '../../../src/logger.js';
import { codeValue, combinedStatus, OK_STATUS, status, statusOf } from '../../../src/protocol/status.js';

function fakeLogger() {
  const error = vi.fn();
  return { log: { error } as unknown as Logger, error };
}

describe('status', () => {
  it('uses the enum name of a known code', () => {
    expect(status(Code.TOPIC_NOT_FOUND, 'no such topic')).toEqual({ code: 'TOPIC_NOT_FOUND', message: 'no such topic' });
    expect(status(Code.OK, 'OK')).toEqual(OK_STATUS);
  });

  it('keeps an unknown numeric code as a number', () => {
    expect(status(12345, 'odd')).toEqual({ code: 12345, message: 'odd' });
  });
});

describe('statusOf', () => {
  it('keeps the code name and message of a BrokerError, without logging', () => {
    const { log, error } = fakeLogger();
    const s = statusOf(new BrokerError(Code.ILLEGAL_TOPIC, 'topic name "a b" is illegal'), log);
    expect(s).toEqual({ code: 'ILLEGAL_TOPIC', message: 'topic name "a b" is illegal' });
    expect(error).not.toHaveBeenCalled();
  });

  it.each([Code.BAD_REQUEST, Code.INVALID_RECEIPT_HANDLE, Code.MESSAGE_BODY_TOO_LARGE, Code.UNSUPPORTED, Code.FORBIDDEN])('round-trips code %i through its name', (code) => {
    const s = statusOf(new BrokerError(code, 'x'));
    expect(typeof s.code).toBe('string');
    expect(codeValue(s.code)).toBe(code);
  });

  it('turns any other Error into INTERNAL_SERVER_ERROR and logs it', () => {
    const { log, error } = fakeLogger();
    const err = new TypeError('cannot read properties of undefined');
    const s = statusOf(err, log);
    expect(s.code).toBe('INTERNAL_SERVER_ERROR');
    expect(s.message).toBe('internal error: cannot read properties of undefined');
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toEqual({ err });
  });

  it('handles thrown non-errors', () => {
    expect(statusOf('boom')).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error: boom' });
    expect(statusOf(undefined)).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error: undefined' });
    expect(statusOf({ code: Code.NOT_FOUND, message: 'looks like a BrokerError' }).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('works without a logger', () => {
    expect(statusOf(new Error('x')).code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('codeValue', () => {
  it('maps names to numbers and passes numbers through', () => {
    expect(codeValue('OK')).toBe(20000);
    expect(codeValue('MULTIPLE_RESULTS')).toBe(30000);
    expect(codeValue('INVALID_RECEIPT_HANDLE')).toBe(40013);
    expect(codeValue(40402)).toBe(40402);
    expect(codeValue(99999)).toBe(99999);
  });

  it('maps unknown names to -1', () => {
    expect(codeValue('NO_SUCH_CODE')).toBe(-1);
    expect(codeValue('')).toBe(-1);
  });
});

describe('combinedStatus', () => {
  it('is OK for no entries', () => {
    expect(combinedStatus([])).toEqual(OK_STATUS);
  });

  it('is the common status when every entry agrees', () => {
    const ok = [OK_STATUS, { code: 'OK', message: 'OK' }, { code: Code.OK, message: 'also ok' }];
    expect(combinedStatus(ok)).toBe(ok[0]);
    const bad = [
      { code: 'INVALID_RECEIPT_HANDLE', message: 'first' },
      { code: 'INVALID_RECEIPT_HANDLE', message: 'second' },
    ];
    expect(combinedStatus(bad)).toEqual({ code: 'INVALID_RECEIPT_HANDLE', message: 'first' });
  });

  it('compares by value, so a name and its number agree', () => {
    expect(
      combinedStatus([
        { code: 'NOT_FOUND', message: 'a' },
        { code: 40400, message: 'b' },
      ]).code,
    ).toBe('NOT_FOUND');
  });

  it('is MULTIPLE_RESULTS when entries differ', () => {
    const s = combinedStatus([OK_STATUS, { code: 'INVALID_RECEIPT_HANDLE', message: 'stale' }, OK_STATUS]);
    expect(s.code).toBe('MULTIPLE_RESULTS');
    expect(codeValue(s.code)).toBe(Code.MULTIPLE_RESULTS);
    expect(s.message).toMatch(/each entry status/);
  });

  it('a single entry is its own combined status', () => {
    const only = { code: 'FORBIDDEN', message: 'no' };
    expect(combinedStatus([only])).toBe(only);
  });
});
