// Owns the SDK's only import site of the official Apache client (rocketmq-client-nodejs).
// Re-exports the classes the facade drives and the proto enums it maps to; none of it is public.
import type { Producer as OfficialProducer } from 'rocketmq-client-nodejs';
import definitionPb from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';

export {
  ClientException as OfficialClientException,
  ConsumeResult as OfficialConsumeResult,
  ConsumeService as OfficialConsumeService,
  FilterExpression as OfficialFilterExpression,
  MessageView as OfficialMessageView,
  Producer as OfficialProducer,
  PushConsumer as OfficialPushConsumer,
  SimpleConsumer as OfficialSimpleConsumer,
} from 'rocketmq-client-nodejs';
export type {
  BaseClientOptions as OfficialBaseOptions,
  ILogger as OfficialLogger,
  MessageListener as OfficialMessageListener,
  MessageOptions as OfficialMessageOptions,
  ProcessQueue as OfficialProcessQueue,
  PushConsumerOptions as OfficialPushConsumerOptions,
  SendReceipt as OfficialSendReceipt,
  SessionCredentials as OfficialSessionCredentials,
  TransactionChecker as OfficialTransactionChecker,
} from 'rocketmq-client-nodejs';

/** The official transaction handle (the package does not export its class). */
export type OfficialTransaction = ReturnType<OfficialProducer['beginTransaction']>;

// The generated protobuf module is CommonJS without statically detectable named exports, so under
// Node's ESM loader only its default export (module.exports) is reliable.
export const PbTransactionResolution = definitionPb.TransactionResolution;
export type PbTransactionResolution = (typeof definitionPb.TransactionResolution)[keyof typeof definitionPb.TransactionResolution];
export const PbFilterType = definitionPb.FilterType;
export type PbFilterType = (typeof definitionPb.FilterType)[keyof typeof definitionPb.FilterType];
export const PbCode = definitionPb.Code;
