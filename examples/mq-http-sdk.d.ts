// Types for the untyped @aliyunmq/mq-http-sdk 1.0.4 (lib/client.js), as far as the examples and tests use it.
// Every field of a result is a string: the SDK does not parse numbers (spec §7).
declare module '@aliyunmq/mq-http-sdk' {
  namespace sdk {
    interface Response<B> {
      code: number;
      requestId: string;
      body: B;
    }
    interface PublishResult {
      MessageId: string;
      MessageBodyMD5: string;
      ReceiptHandle?: string;
    }
    interface ConsumedMessage {
      MessageId: string;
      ReceiptHandle: string;
      MessageBodyMD5: string;
      MessageBody: string;
      PublishTime: string;
      FirstConsumeTime: string;
      NextConsumeTime: string;
      ConsumedTimes: string;
      MessageTag?: string;
      Properties: Record<string, string>;
      MessageKey?: string;
      StartDeliverTime?: number;
      ShardingKey?: string;
    }
    interface HandleFailure {
      ErrorCode: string;
      ErrorMessage: string;
      ReceiptHandle: string;
    }
    /** What the SDK throws for an <Error> document. */
    interface MQError extends Error {
      Code: string;
      RequestId: string;
    }
    class MessageProperties {
      putProperty(key: string, value: string | number): void;
      messageKey(key: string): void;
      startDeliverTime(epochMs: number): void;
      transCheckImmunityTime(seconds: number): void;
      shardingKey(key: string): void;
      getProperties(): Record<string, string>;
    }
    interface MQProducer {
      publishMessage(body: string, tag?: string, props?: MessageProperties): Promise<Response<PublishResult>>;
    }
    interface MQTransProducer extends MQProducer {
      consumeHalfMessage(numOfMessages: number, waitSeconds?: number): Promise<Response<ConsumedMessage[]>>;
      commit(receiptHandle: string): Promise<Response<HandleFailure[] | undefined>>;
      rollback(receiptHandle: string): Promise<Response<HandleFailure[] | undefined>>;
    }
    interface MQConsumer {
      consumeMessage(numOfMessages: number, waitSeconds?: number): Promise<Response<ConsumedMessage[]>>;
      consumeMessageOrderly(numOfMessages: number, waitSeconds?: number): Promise<Response<ConsumedMessage[]>>;
      ackMessage(receiptHandles: string[]): Promise<Response<HandleFailure[] | undefined>>;
    }
    class MQClient {
      constructor(endpoint: string, accessKeyId: string, accessKeySecret: string, securityToken?: string);
      sign(method: string, headers: Record<string, string | number>, resource: string): string;
      getProducer(instanceId: string, topic: string): MQProducer;
      getTransProducer(instanceId: string, topic: string, groupId: string): MQTransProducer;
      getConsumer(instanceId: string, topic: string, consumer: string, messageTag?: string): MQConsumer;
    }
  }
  export = sdk;
}

// The SDK's response parsing (xml2js defaults plus its `extract`), used to check our documents.
declare module '@aliyunmq/mq-http-sdk/lib/helper.js' {
  export function parseXML(input: string): Promise<Record<string, unknown>>;
  export function extract(arr: unknown): unknown;
}
