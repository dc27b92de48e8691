// Owns the `Properties` string of the MQ HTTP protocol ("key:value|key:value", spec §4.2) both
// ways: the reserved keys (KEYS, __STARTDELIVERTIME, __TransCheckT, __SHARDINGKEY) ⇄ message
// fields, everything else ⇄ user properties. __TransCheckT stays on the message as a user
// property (RocketMQ keeps CHECK_IMMUNITY_TIME_IN_SECONDS the same way) so it is echoed back.
import type { MessageInput } from '../domain/messages.js';
import { MqHttpError } from './errors.js';

export const KEYS = 'KEYS';
export const START_DELIVER_TIME = '__STARTDELIVERTIME';
export const TRANS_CHECK_IMMUNITY = '__TransCheckT';
export const SHARDING_KEY = '__SHARDINGKEY';

/** TransCheckImmunityTime bounds in seconds (ApsaraMQ docs). */
export const MIN_IMMUNITY_SECONDS = 10;
export const MAX_IMMUNITY_SECONDS = 300;

export interface PublishProperties {
  keys: string[];
  startDeliverTimeMs?: number;
  transCheckImmunitySeconds?: number;
  shardingKey?: string;
  /** User properties, __TransCheckT included. */
  user: Record<string, string>;
}

/**
 * Parses a publish request's Properties. Pairs that do not split into exactly two non-empty parts
 * are dropped, as every SDK's reader does (Python/Go/Java append a trailing '|').
 */
export function parseProperties(text: string | undefined): PublishProperties {
  const out: PublishProperties = { keys: [], user: {} };
  for (const pair of (text ?? '').split('|')) {
    const kv = pair.split(':');
    if (kv.length !== 2 || !kv[0] || !kv[1]) continue;
    const [key, value] = kv as [string, string];
    switch (key) {
      case KEYS:
        out.keys = value.split(' ').filter((k) => k !== '');
        break;
      case START_DELIVER_TIME:
        if (!/^\d{1,16}$/.test(value)) {
          throw new MqHttpError('InvalidArgument', `${START_DELIVER_TIME} "${value}" must be an absolute time in epoch milliseconds`);
        }
        out.startDeliverTimeMs = Number(value);
        break;
      case TRANS_CHECK_IMMUNITY: {
        const seconds = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
        if (!(seconds >= MIN_IMMUNITY_SECONDS && seconds <= MAX_IMMUNITY_SECONDS)) {
          throw new MqHttpError(
            'InvalidArgument',
            `TransCheckImmunityTime (${TRANS_CHECK_IMMUNITY}) "${value}" is out of range: use ${MIN_IMMUNITY_SECONDS} to ${MAX_IMMUNITY_SECONDS} seconds`,
          );
        }
        out.transCheckImmunitySeconds = seconds;
        out.user[key] = String(seconds);
        break;
      }
      case SHARDING_KEY:
        out.shardingKey = value;
        break;
      default:
        out.user[key] = value;
    }
  }
  return out;
}

/** A piece the encoding cannot carry (it would split wrongly) is left out. */
const representable = (s: string): boolean => s !== '' && !s.includes('|') && !s.includes(':');

/** The Properties string of a message as consumers get it ('' when there is nothing to say). */
export function formatProperties(m: MessageInput): string {
  const pairs: [string, string][] = Object.entries(m.userProperties);
  if (m.keys.length > 0) pairs.push([KEYS, m.keys.join(' ')]);
  if (m.deliveryTimestampMs !== undefined) pairs.push([START_DELIVER_TIME, String(m.deliveryTimestampMs)]);
  if (m.messageGroup !== undefined) pairs.push([SHARDING_KEY, m.messageGroup]);
  return pairs
    .filter(([k, v]) => representable(k) && representable(v))
    .map(([k, v]) => `${k}:${v}`)
    .join('|');
}
