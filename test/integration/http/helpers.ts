// Shared by the MQ HTTP gateway tests: a broker with the gateway on and fast HTTP timings, the
// real @aliyunmq/mq-http-sdk client pointed at it, raw requests for what the SDK cannot send,
// and assertions on the SDK's error shapes.
import sdk from '@aliyunmq/mq-http-sdk';
import { expect } from 'vitest';
import type { ConfigKey } from '../../../src/config.js';
import { qualify } from '../../../src/domain/namespace.js';
import { startTestBroker, uniqueName, type TestBroker } from '../../helpers/broker.js';

/** One second of TransCheckImmunityTime lasts 100 ms: the sample's immunity 10 is 1 s here. */
export const HTTP_TIMINGS: Partial<Record<ConfigKey, unknown>> = {
  httpEnabled: true,
  httpTransCheckSecondMs: 100,
  httpHalfCheckIntervalMs: 500,
  httpInvisibleDurationMs: 1500,
  httpOrderlyInvisibleDurationMs: 1500,
  minInvisibleDurationMs: 500,
};

export interface HttpBroker {
  tb: TestBroker;
  endpoint: string;
  client(accessKeyId?: string, secret?: string): sdk.MQClient;
  /** Creates a topic (in `namespace`, the SDK's instance id, if given) and returns its name as clients use it. */
  topic(type: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION', namespace?: string): Promise<string>;
}

export async function startHttpBroker(overrides: Partial<Record<ConfigKey, unknown>> = {}): Promise<HttpBroker> {
  const tb = await startTestBroker({ ...HTTP_TIMINGS, ...overrides });
  const endpoint = `http://127.0.0.1:${tb.broker.httpPort}`;
  return {
    tb,
    endpoint,
    client: (id = 'ak', secret = 'sk') => new sdk.MQClient(endpoint, id, secret),
    async topic(type, namespace = '') {
      const name = uniqueName(`H${type}`);
      await tb.broker.services.topics.create(qualify(namespace, name), type);
      return name;
    },
  };
}

/** The error the SDK throws for an <Error> document; fails the test if the call succeeds. */
export async function mqError(call: Promise<unknown>): Promise<sdk.MQError> {
  try {
    await call;
  } catch (err) {
    expect(err).toHaveProperty('Code');
    return err as sdk.MQError;
  }
  throw new Error('expected the SDK call to fail with an MQ error');
}

export function props(entries: Record<string, string | number>, extra?: (p: sdk.MessageProperties) => void): sdk.MessageProperties {
  const p = new sdk.MessageProperties();
  for (const [k, v] of Object.entries(entries)) p.putProperty(k, v);
  extra?.(p);
  return p;
}

/** Consumes (short polls of `waitSeconds`) until `count` messages came or `polls` polls found nothing. */
export async function consumeAll(c: sdk.MQConsumer, count: number, { ack = true, waitSeconds = 1, polls = 3 } = {}): Promise<sdk.ConsumedMessage[]> {
  const got: sdk.ConsumedMessage[] = [];
  let empty = 0;
  while (got.length < count && empty < polls) {
    try {
      const res = await c.consumeMessage(16, waitSeconds);
      got.push(...res.body);
      if (ack) expect((await c.ackMessage(res.body.map((m) => m.ReceiptHandle))).code).toBe(204);
    } catch (err) {
      if ((err as sdk.MQError).Code !== 'MessageNotExist') throw err;
      empty += 1;
    }
  }
  return got;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export async function raw(endpoint: string, method: string, target: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const res = await fetch(endpoint + target, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The children of an <Error> document, checked to be all four the SDKs require. */
export function errorDocument(text: string): { Code: string; Message: string; RequestId: string; HostId: string } {
  const field = (name: string): string => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(text);
    expect(m, `<${name}> in ${text}`).not.toBeNull();
    expect(m![1]).not.toBe('');
    return m![1]!;
  };
  expect(text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<Error xmlns="http:\/\/mq\.aliyuncs\.com\/doc\/v1\/">/);
  return { Code: field('Code'), Message: field('Message'), RequestId: field('RequestId'), HostId: field('HostId') };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
