// Owns the argument checks run before anything reaches the wire (RocketMQ's naming rules).
// Every failure is an IllegalArgumentException that says which value was wrong.
import { IllegalArgumentException } from './errors.js';

/** RocketMQ: topic and group names are [%|a-zA-Z0-9_-]; topics ≤ 127 characters, groups ≤ 255. */
const NAME_PATTERN = /^[%|a-zA-Z0-9_-]+$/;
const MAX_TOPIC_LENGTH = 127;
const MAX_GROUP_LENGTH = 255;
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;

function fail(message: string): never {
  throw new IllegalArgumentException(message);
}

function checkName(what: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`${what} must be a non-empty string`);
  if (value.length > maxLength) fail(`${what} "${value.slice(0, 40)}…" is ${value.length} characters; at most ${maxLength} are allowed`);
  if (!NAME_PATTERN.test(value)) fail(`${what} "${value}" is illegal: use only letters, digits, '%', '|', '_' and '-'`);
  return value;
}

/** A builder's required setting: throws "<builder>: <what> not set: call <setter>() before build()". */
export function requireSet<T>(value: T | undefined, builder: string, what: string, setter: string): T {
  if (value === undefined) fail(`${builder}: ${what} not set: call ${setter}() before build()`);
  return value;
}

export function checkTopic(value: unknown, what = 'topic'): string {
  return checkName(what, value, MAX_TOPIC_LENGTH);
}

export function checkGroup(value: unknown, what = 'consumer group'): string {
  return checkName(what, value, MAX_GROUP_LENGTH);
}

/** Non-blank text without control characters (message keys, group names, property keys). */
export function checkText(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`${what} must be a non-blank string`);
  if (CONTROL_CHARS.test(value)) fail(`${what} "${value}" must not contain control characters`);
  return value;
}

export function checkTag(value: unknown): string {
  const tag = checkText('tag', value);
  if (tag.includes('|')) fail(`tag "${tag}" must not contain '|' (it separates tags in filter expressions)`);
  return tag;
}

export function checkInteger(what: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(`${what} must be an integer, got ${String(value)}`);
  if (value < min || value > max) {
    fail(max === Number.MAX_SAFE_INTEGER ? `${what} must be at least ${min}, got ${value}` : `${what} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** Durations are milliseconds: finite, non-negative, integral. */
export function checkDuration(what: string, value: unknown, minMs = 0): number {
  return checkInteger(`${what} (milliseconds)`, value, minMs);
}

export function checkFunction(what: string, value: unknown): void {
  if (typeof value !== 'function') fail(`${what} must be a function`);
}

/**
 * Endpoints are `host[:port]` entries separated by ';' (',' also accepted), e.g.
 * "127.0.0.1:8081" or "a.example.com:8081;b.example.com:8081". Returns them ';'-joined.
 */
export function checkEndpoints(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') fail('endpoints must be a non-empty string such as "127.0.0.1:8081"');
  const parts = value.split(/[;,]/).map((p) => p.trim());
  for (const part of parts) {
    const m = /^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:(\d{1,5}))?$/.exec(part);
    const port = m?.[4] === undefined ? 80 : Number(m[4]);
    if (!m || port < 1 || port > 65535) {
      fail(`endpoints entry "${part}" is not host[:port] (e.g. "127.0.0.1:8081"; separate several with ';')`);
    }
  }
  return parts.join(';');
}
