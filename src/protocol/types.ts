// Owns the TypeScript shapes of the apache.rocketmq.v2 messages the broker reads and writes,
// as @grpc/proto-loader decodes them (keepCase, longs as strings, enums as names, defaults,
// oneofs). Only the fields the broker uses are typed; the .proto files are the wire contract.

export type Long = string | number;
export type Nullable<T> = T | null | undefined;

export interface Timestamp {
  seconds: Long;
  nanos: number;
}
export interface Duration {
  seconds: Long;
  nanos: number;
}
export interface Status {
  code: string | number;
  message: string;
}
export interface Resource {
  resource_namespace?: string;
  name: string;
}
export interface Address {
  host: string;
  port: number;
}
export interface Endpoints {
  scheme: string;
  addresses: Address[];
}
export interface Broker {
  name: string;
  id: number;
  endpoints: Endpoints;
}
export interface MessageQueue {
  topic: Resource;
  id: number;
  permission: string;
  broker: Broker;
  accept_message_types: string[];
}
export interface FilterExpression {
  type: string;
  expression: string;
}
export interface Digest {
  type: string;
  checksum: string;
}
export interface SystemProperties {
  tag?: Nullable<string>;
  keys: string[];
  message_id: string;
  body_digest?: Nullable<Digest>;
  body_encoding: string;
  message_type: string;
  born_timestamp?: Nullable<Timestamp>;
  born_host: string;
  store_timestamp?: Nullable<Timestamp>;
  store_host?: string;
  delivery_timestamp?: Nullable<Timestamp>;
  receipt_handle?: Nullable<string>;
  queue_id: number;
  queue_offset?: Nullable<Long>;
  invisible_duration?: Nullable<Duration>;
  delivery_attempt?: Nullable<number>;
  message_group?: Nullable<string>;
  trace_context?: Nullable<string>;
  orphaned_transaction_recovery_duration?: Nullable<Duration>;
  dead_letter_queue?: Nullable<{ topic: string; message_id: string }>;
}
export interface Message {
  topic: Resource;
  user_properties: Record<string, string>;
  system_properties: SystemProperties;
  body: Buffer;
}
export interface RetryPolicy {
  max_attempts: number;
  exponential_backoff?: { initial: Duration; max: Duration; multiplier: number };
  customized_backoff?: { next: Duration[] };
  strategy?: string;
}
export interface Settings {
  client_type?: Nullable<string>;
  access_point?: Nullable<Endpoints>;
  backoff_policy?: Nullable<RetryPolicy>;
  request_timeout?: Nullable<Duration>;
  publishing?: Nullable<{ topics: Resource[]; max_body_size: number; validate_message_type: boolean }>;
  subscription?: Nullable<{
    group?: Nullable<Resource>;
    subscriptions: { topic: Resource; expression: FilterExpression }[];
    fifo?: Nullable<boolean>;
    receive_batch_size?: Nullable<number>;
    long_polling_timeout?: Nullable<Duration>;
  }>;
  pub_sub?: string;
  user_agent?: Nullable<{ language: string; version: string; platform: string; hostname: string }>;
  metric?: Nullable<{ on: boolean; endpoints?: Nullable<Endpoints> }>;
}
export interface TelemetryCommand {
  status?: Nullable<Status>;
  settings?: Nullable<Settings>;
  recover_orphaned_transaction_command?: Nullable<{ message: Message; transaction_id: string }>;
  thread_stack_trace?: unknown;
  verify_message_result?: unknown;
  command?: string;
}

export interface QueryRouteRequest {
  topic: Nullable<Resource>;
  endpoints: Nullable<Endpoints>;
}
export interface HeartbeatRequest {
  group?: Nullable<Resource>;
  client_type: string;
}
export interface SendMessageRequest {
  messages: Message[];
}
export interface EndTransactionRequest {
  topic: Nullable<Resource>;
  message_id: string;
  transaction_id: string;
  resolution: string;
  source: string;
}
export interface ReceiveMessageRequest {
  group: Nullable<Resource>;
  message_queue: Nullable<MessageQueue>;
  filter_expression: Nullable<FilterExpression>;
  batch_size: number;
  invisible_duration?: Nullable<Duration>;
  auto_renew: boolean;
  long_polling_timeout?: Nullable<Duration>;
  attempt_id?: Nullable<string>;
}
export interface AckMessageRequest {
  group: Nullable<Resource>;
  topic: Nullable<Resource>;
  entries: { message_id: string; receipt_handle: string }[];
}
export interface ChangeInvisibleDurationRequest {
  group: Nullable<Resource>;
  topic: Nullable<Resource>;
  receipt_handle: string;
  invisible_duration: Nullable<Duration>;
  message_id: string;
}
export interface ForwardMessageToDeadLetterQueueRequest {
  group: Nullable<Resource>;
  topic: Nullable<Resource>;
  receipt_handle: string;
  message_id: string;
  delivery_attempt: number;
  max_delivery_attempts: number;
}
export interface QueryAssignmentRequest {
  topic: Nullable<Resource>;
  group: Nullable<Resource>;
  endpoints: Nullable<Endpoints>;
}
export interface NotifyClientTerminationRequest {
  group?: Nullable<Resource>;
}
