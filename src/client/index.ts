// Owns the public surface of `halfmoon-broker/client`, the Java-style RocketMQ 5 client SDK.
// A typed facade over the official Apache Node client; works against Halfmoon and any RocketMQ 5 proxy.
export { ClientServiceProvider } from './provider.js';
export { ClientConfiguration, ClientConfigurationBuilder } from './configuration.js';
export { StaticSessionCredentialsProvider, type SessionCredentials, type SessionCredentialsProvider } from './credentials.js';
export { silentClientLogger, type ClientLogger } from './logger.js';
export { MessageBuilder, type Message } from './message.js';
export type { MessageView } from './message-view.js';
export { ProducerBuilder, type Producer, type SendReceipt } from './producer.js';
export { TransactionResolution, type Transaction, type TransactionChecker } from './transaction.js';
export { FilterExpression, FilterExpressionType } from './filter-expression.js';
export { SimpleConsumerBuilder, type SimpleConsumer } from './simple-consumer.js';
export { ConsumeResult, PushConsumerBuilder, type MessageListener, type PushConsumer } from './push-consumer.js';
export { Code, codeName, type CodeName } from './codes.js';
export {
  BadRequestException,
  ClientException,
  ForbiddenException,
  IllegalArgumentException,
  IllegalStateException,
  InternalErrorException,
  NetworkException,
  NotFoundException,
  NotImplementedException,
  PayloadTooLargeException,
  PaymentRequiredException,
  PreconditionFailedException,
  ProxyTimeoutException,
  RequestHeaderFieldsTooLargeException,
  RequestTimeoutException,
  TooManyRequestsException,
  UnauthorizedException,
  UnsupportedException,
  type ClientExceptionOptions,
} from './errors.js';
