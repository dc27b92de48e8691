// SDK typed errors and input validation: broker status codes become ClientException subclasses
// carrying the code (number + name); transport failures become NetworkException; builders and
// methods reject bad input with IllegalArgumentException before anything reaches the wire.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadRequestException,
  ClientConfiguration,
  ClientException,
  Code,
  ConsumeResult,
  FilterExpression,
  IllegalArgumentException,
  NetworkException,
  NotFoundException,
  PayloadTooLargeException,
  StaticSessionCredentialsProvider,
  TooManyRequestsException,
  codeName,
  type ClientLogger,
} from '../../../src/client/index.js';
import { exceptionForCode } from '../../../src/client/errors.js';
import { PbCode } from '../../../src/client/official.js';
import { startTestBroker, uniqueName, type TestBroker } from '../../helpers/broker.js';
import { Closer, configFor, createTopic, provider, simpleConsumer } from './sdk-helpers.js';

let tb: TestBroker;
const closer = new Closer();

beforeAll(async () => {
  tb = await startTestBroker({ maxMessageSizeBytes: 1024 });
});
afterAll(async () => {
  await closer.closeAll();
  await tb.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('SDK errors from the broker', () => {
  it('sending to an unknown topic throws NotFoundException with TOPIC_NOT_FOUND (40402)', async () => {
    const p = closer.track(await provider.newProducerBuilder().setClientConfiguration(configFor(tb)).build());
    const err = await rejection(p.send(provider.newMessageBuilder().setTopic('NoSuchTopic').setBody('x').build()));
    expect(err).toBeInstanceOf(NotFoundException);
    expect(err).toBeInstanceOf(ClientException);
    const e = err as NotFoundException;
    expect(e.code).toBe(40402);
    expect(e.code).toBe(Code.TOPIC_NOT_FOUND);
    expect(e.codeName).toBe('TOPIC_NOT_FOUND');
    expect(e.name).toBe('NotFoundException');
    expect(e.message).toMatch(/^send to topic NoSuchTopic: TOPIC_NOT_FOUND \(40402\): .*NoSuchTopic/);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('building a producer for an unknown topic throws NotFoundException', async () => {
    const err = await rejection(provider.newProducerBuilder().setClientConfiguration(configFor(tb)).setTopics('NoSuchTopicEither').build());
    expect(err).toBeInstanceOf(NotFoundException);
    expect((err as NotFoundException).code).toBe(40402);
    expect((err as NotFoundException).message).toMatch(/^start producer: TOPIC_NOT_FOUND/);
  }, 20_000);

  it('a body over the broker limit throws PayloadTooLargeException (41301)', async () => {
    const t = await createTopic(tb, 'NORMAL');
    // No topics at build: the client has not learned the broker's limit, so the broker rejects.
    const p = closer.track(await provider.newProducerBuilder().setClientConfiguration(configFor(tb)).build());
    const err = await rejection(p.send(provider.newMessageBuilder().setTopic(t).setBody(Buffer.alloc(2048, 1)).build()));
    expect(err).toBeInstanceOf(PayloadTooLargeException);
    expect((err as PayloadTooLargeException).codeName).toBe('MESSAGE_BODY_TOO_LARGE');
  });

  it('an invisible duration outside the broker range throws BadRequestException (40011)', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const c = await simpleConsumer(tb, closer, t);
    const err = await rejection(c.receive(1, 5)); // the test broker's minimum is 10 s
    expect(err).toBeInstanceOf(BadRequestException);
    expect((err as BadRequestException).code).toBe(Code.ILLEGAL_INVISIBLE_TIME);
  });

  it('a message the topic type does not accept is an IllegalArgumentException', async () => {
    const t = await createTopic(tb, 'FIFO');
    const p = closer.track(await provider.newProducerBuilder().setClientConfiguration(configFor(tb)).setTopics(t).build());
    const err = await rejection(p.send(provider.newMessageBuilder().setTopic(t).setBody('no group').build()));
    expect(err).toBeInstanceOf(IllegalArgumentException);
    expect((err as Error).message).toMatch(/message type/);
  });

  it('an unreachable endpoint throws NetworkException with the gRPC status', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));
    const config = ClientConfiguration.newBuilder().setEndpoints(`127.0.0.1:${port}`).setRequestTimeout(1000).build();
    const p = closer.track(await provider.newProducerBuilder().setClientConfiguration(config).build());
    const err = await rejection(p.send(provider.newMessageBuilder().setTopic('Anything').setBody('x').build()));
    expect(err).toBeInstanceOf(NetworkException);
    const e = err as NetworkException;
    expect(e.code).toBe(Code.CODE_UNSPECIFIED);
    expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).toContain(e.grpcCodeName);
  });

  it('credentials, namespace and a custom logger are accepted; the logger receives the client logs', async () => {
    const t = await createTopic(tb, 'NORMAL');
    const lines: string[] = [];
    let closedLogger = false;
    const logger: ClientLogger & { close(): void } = {
      info: (...args) => lines.push(String(args[0])),
      warn: (...args) => lines.push(String(args[0])),
      error: (...args) => lines.push(String(args[0])),
      close: () => {
        closedLogger = true;
      },
    };
    const config = ClientConfiguration.newBuilder()
      .setEndpoints(tb.endpoint)
      .setCredentialProvider(new StaticSessionCredentialsProvider('ak', 'sk'))
      .setNamespace('')
      .setRequestTimeout(2000)
      .setLogger(logger)
      .build();
    const p = await provider.newProducerBuilder().setClientConfiguration(config).setTopics(t).build();
    const receipt = await p.send(provider.newMessageBuilder().setTopic(t).setBody('signed').build());
    expect(receipt.messageId).toBeTruthy();
    await p.close();
    expect(lines.some((l) => /producer/i.test(l))).toBe(true);
    expect(closedLogger).toBe(false); // the official client's logger.close() never reaches a shared logger
  });
});

describe('SDK error model', () => {
  it('knows every code of the protocol by name and picks the exception by family', () => {
    for (const [name, value] of Object.entries(PbCode)) {
      expect(codeName(value as number)).toBe(name);
    }
    expect(codeName(12345)).toBe('CODE_12345');
    expect(exceptionForCode(40402, 'x')).toBeInstanceOf(NotFoundException);
    expect(exceptionForCode(40013, 'x')).toBeInstanceOf(BadRequestException);
    expect(exceptionForCode(41302, 'x')).toBeInstanceOf(PayloadTooLargeException);
    expect(exceptionForCode(42900, 'x')).toBeInstanceOf(TooManyRequestsException);
    const other = exceptionForCode(60000, 'x');
    expect(other.constructor).toBe(ClientException);
    expect(other.codeName).toBe('FAILED_TO_CONSUME_MESSAGE');
  });
});

describe('SDK builder validation', () => {
  const config = () => ClientConfiguration.newBuilder().setEndpoints('127.0.0.1:1').build();

  it('ClientConfiguration needs valid endpoints and a sane timeout', () => {
    expect(() => ClientConfiguration.newBuilder().build()).toThrow(/endpoints have not been set/);
    expect(() => ClientConfiguration.newBuilder().setEndpoints('')).toThrow(IllegalArgumentException);
    expect(() => ClientConfiguration.newBuilder().setEndpoints('http://127.0.0.1:8081')).toThrow(/host\[:port\]/);
    expect(() => ClientConfiguration.newBuilder().setEndpoints('127.0.0.1:99999')).toThrow(/host\[:port\]/);
    expect(() => ClientConfiguration.newBuilder().setRequestTimeout(500)).toThrow(/at least 1000/);
    expect(() => ClientConfiguration.newBuilder().setCredentialProvider({} as never)).toThrow(/getSessionCredentials/);
    expect(() => new StaticSessionCredentialsProvider('', 'sk')).toThrow(/accessKey/);
    const c = ClientConfiguration.newBuilder().setEndpoints('a.example.com:8081; b.example.com:8082').build();
    expect(c.endpoints).toBe('a.example.com:8081;b.example.com:8082');
    expect(c.requestTimeout).toBe(3000);
    expect(c.namespace).toBe('');
  });

  it('MessageBuilder rejects missing or illegal fields', () => {
    const mb = () => provider.newMessageBuilder();
    expect(() => mb().setBody('x').build()).toThrow(/topic has not been set/);
    expect(() => mb().setTopic('T').build()).toThrow(/body has not been set/);
    expect(() => mb().setTopic('')).toThrow(/topic must be a non-empty string/);
    expect(() => mb().setTopic('bad topic!')).toThrow(/illegal/);
    expect(() => mb().setTopic('x'.repeat(128))).toThrow(/at most 127/);
    expect(() => mb().setBody(Buffer.alloc(0))).toThrow(/must not be empty/);
    expect(() => mb().setTag('a||b')).toThrow(/must not contain '\|'/);
    expect(() => mb().setKeys('ok', ' ')).toThrow(/key #2/);
    expect(() => mb().addProperty('k', '')).toThrow(/non-blank string value/);
    expect(() => mb().setDelay(-1)).toThrow(/delay/);
    expect(() => mb().setDeliveryTimestamp(new Date(Number.NaN))).toThrow(/delivery timestamp/);
    expect(() => mb().setTopic('T').setBody('x').setMessageGroup('g').setDelay(1000).build()).toThrow(/both a message group/);
    const m = mb().setTopic('T').setBody('x').setKeys('k1').addProperty('p', 'v').build();
    expect(Object.isFrozen(m)).toBe(true);
    expect(m.body.toString()).toBe('x');
  });

  it('producer and consumer builders reject missing or illegal settings', async () => {
    await expect(provider.newProducerBuilder().build()).rejects.toThrow(/^ProducerBuilder: client configuration not set: call setClientConfiguration\(\)/);
    expect(() => provider.newProducerBuilder().setClientConfiguration({} as never)).toThrow(IllegalArgumentException);
    expect(() => provider.newProducerBuilder().setMaxAttempts(0)).toThrow(/max attempts/);
    expect(() => provider.newProducerBuilder().setTopics('ok', '')).toThrow(/topic/);
    expect(() => provider.newProducerBuilder().setTransactionChecker({} as never)).toThrow(/check\(view\)/);

    const sb = () => provider.newSimpleConsumerBuilder().setClientConfiguration(config());
    await expect(
      sb()
        .setSubscriptionExpressions(new Map([['T', FilterExpression.SUB_ALL]]))
        .build(),
    ).rejects.toThrow(/consumer group not set/);
    await expect(sb().setConsumerGroup('G').build()).rejects.toThrow(/subscription expressions not set/);
    expect(() => sb().setSubscriptionExpressions(new Map())).toThrow(/non-empty Map/);
    expect(() => sb().setSubscriptionExpressions(new Map([['T', 'TagA' as never]]))).toThrow(/must be a FilterExpression/);
    expect(() => sb().setConsumerGroup('bad group')).toThrow(/illegal/);
    expect(() => sb().setAwaitDuration(-5)).toThrow(/await duration/);
    expect(() => new FilterExpression(' ')).toThrow(/non-blank/);

    const pb = () =>
      provider
        .newPushConsumerBuilder()
        .setClientConfiguration(config())
        .setConsumerGroup(uniqueName('G'))
        .setSubscriptionExpressions(new Map([['T', new FilterExpression('TagA||TagB')]]));
    await expect(pb().build()).rejects.toThrow(/message listener not set/);
    expect(() => pb().setMessageListener({} as never)).toThrow(/message listener/);
    expect(() => pb().setConsumptionThreadCount(0)).toThrow(/consumption thread count/);
    expect(() => pb().setMessageListener(() => ConsumeResult.SUCCESS)).not.toThrow();
  });
});
