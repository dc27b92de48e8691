// Owns the table of broker settings: for each its type, bounds, default, description and the
// RocketMQ setting it mirrors. Everything else about configuration (env vars, flags, files,
// validation, the generated docs table) derives from it in src/config.ts.

export interface BaseSpec {
  description: string;
  /** The RocketMQ setting this mirrors, if any. */
  upstream?: string;
}
export interface IntSpec extends BaseSpec {
  type: 'int';
  default: number;
  min: number;
  max?: number;
}
export interface StringSpec extends BaseSpec {
  type: 'string';
  default: string;
}
export interface BoolSpec extends BaseSpec {
  type: 'bool';
  default: boolean;
}
export interface EnumSpec<T extends string> extends BaseSpec {
  type: 'enum';
  default: T;
  values: readonly T[];
}
export type Spec = IntSpec | StringSpec | BoolSpec | EnumSpec<string>;

const MiB = 1024 * 1024;
const HOUR = 3_600_000;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const CHECK_POLICIES = ['ROLLBACK', 'KEEP'] as const;
export const GROUP_STARTS = ['earliest', 'latest'] as const;

export const CONFIG_SPEC = {
  dataDir: { type: 'string', default: './data', description: 'LevelDB data directory' },
  store: {
    type: 'string',
    default: '',
    description:
      'where the broker keeps its data: empty = LevelDB in dataDir (one broker); postgres://user:password@host:port/database[?schema=name] = PostgreSQL, which several brokers can share (see docs/cluster.md)',
  },
  host: { type: 'string', default: '127.0.0.1', description: 'address the gRPC and HTTP servers bind to' },
  advertisedHost: {
    type: 'string',
    default: '',
    description: 'host advertised in routes (default: the host the client dialled)',
  },
  brokerId: {
    type: 'string',
    default: '',
    description:
      'id of this broker process, recorded on the push deliveries it keeps alive and on the leases it holds (default: <hostname>:<grpcPort>); must differ between brokers sharing a store',
  },
  brokerHeartbeatIntervalMs: {
    type: 'int',
    default: 3_000,
    min: 1,
    description: 'how often this broker renews its registration in the store (with a shared store, routes list every registered broker)',
  },
  brokerTtlMs: {
    type: 'int',
    default: 10_000,
    min: 1,
    description: 'a broker that stops renewing its registration (crash) drops out of routes this long after its last renewal; must exceed brokerHeartbeatIntervalMs',
  },
  grpcPort: { type: 'int', default: 8081, min: 0, max: 65535, description: 'gRPC port (0 = any free port)', upstream: 'ProxyConfig.grpcServerPort' },
  httpPort: { type: 'int', default: 8082, min: 0, max: 65535, description: 'MQ HTTP gateway port (0 = any free port)' },
  httpEnabled: { type: 'bool', default: true, description: 'serve the MQ HTTP gateway' },
  adminHost: { type: 'string', default: '127.0.0.1', description: 'address the admin listener (health, metrics, web console) binds to' },
  adminPort: { type: 'int', default: 8083, min: 0, max: 65535, description: 'admin listener port (0 = any free port)' },
  adminEnabled: { type: 'bool', default: true, description: 'serve the admin listener' },
  consoleSampleIntervalMs: {
    type: 'int',
    default: 10_000,
    min: 100,
    description: 'how often the web console samples message in/out and check counts for its rate chart (the last 36 samples are kept in memory)',
  },
  clientMetricsEndpoint: {
    type: 'string',
    default: '',
    description:
      'host:port of an OpenTelemetry collector (OTLP over gRPC) the official clients push their own metrics to, named in the settings every client gets (empty: clients push none)',
    upstream: 'ProxyConfig.metricCollectorAddress',
  },
  logLevel: { type: 'enum', default: 'info', values: LOG_LEVELS, description: 'log level' },
  durable: { type: 'bool', default: true, description: 'fsync every write batch before acknowledging (group-committed)' },
  diskReserveBytes: {
    type: 'int',
    default: 16 * MiB,
    min: 0,
    description: 'LevelDB: space set aside in the data directory and released when the disk fills up, so stored messages can still be received and acked (0 = none)',
  },
  diskMinFreeBytes: {
    type: 'int',
    default: 64 * MiB,
    min: 0,
    description: 'LevelDB: after the disk filled up, free space (besides diskReserveBytes) needed before new messages are accepted again',
  },
  diskRecoveryIntervalMs: { type: 'int', default: 1_000, min: 1, description: 'LevelDB: how often a full disk is checked for free space again' },
  levelWriteBufferBytes: {
    type: 'int',
    default: 16 * MiB,
    min: 1 * MiB,
    max: 1024 * MiB,
    description:
      'LevelDB: memtable size; larger flushes and compacts less often (fewer bytes written per transaction) at up to twice this in memory and a longer log replay after a crash',
  },
  levelMaxOpenFiles: {
    type: 'int',
    default: 50,
    min: 20,
    max: 100_000,
    description:
      'LevelDB: table files kept open (its table cache); it memory-maps the tables it keeps open, whose pages then count in the RSS. Fewer: less RSS, more reopening of tables on reads',
  },
  levelCacheBytes: {
    type: 'int',
    default: 8 * MiB,
    min: 0,
    max: 4096 * MiB,
    description: 'LevelDB: block cache of uncompressed table blocks read (memory, not counting the file pages of mapped tables)',
  },
  halfCacheBytes: {
    type: 'int',
    default: 64 * MiB,
    min: 0,
    max: 4096 * MiB,
    description: 'LevelDB: bytes of recent half messages kept in memory so that their COMMIT needs no read (0: none)',
  },
  autoCreateTopics: { type: 'bool', default: false, description: 'create unknown topics on first use (development only)' },
  maxMessageSizeBytes: { type: 'int', default: 4 * MiB, min: 1, max: 64 * MiB, description: 'largest message body', upstream: 'maxMessageSize' },
  maxPropertiesBytes: { type: 'int', default: 16 * 1024, min: 1, description: 'largest total size of tag, keys and user properties', upstream: 'maxUserPropertySize' },
  maxUserProperties: { type: 'int', default: 128, min: 1, description: 'most user properties per message', upstream: 'maxUserPropertyNum' },
  delayPollMs: { type: 'int', default: 200, min: 1, description: 'longest sleep of the DELAY timer between looks for due messages' },
  maxDelayMs: { type: 'int', default: 24 * HOUR, min: 1, description: 'furthest delivery time of a DELAY message', upstream: 'timerMaxDelaySec' },
  minInvisibleDurationMs: { type: 'int', default: 10_000, min: 0, description: 'smallest invisible duration of ReceiveMessage', upstream: 'minInvisibleTimeMillsForRecv' },
  maxInvisibleDurationMs: { type: 'int', default: 12 * HOUR, min: 1, description: 'largest invisible duration', upstream: 'maxInvisibleTimeMills' },
  minLongPollingTimeoutMs: { type: 'int', default: 5_000, min: 0, description: 'shortest long-polling hold', upstream: 'grpcClientConsumerMinLongPollingTimeoutMillis' },
  maxLongPollingTimeoutMs: { type: 'int', default: 20_000, min: 1, description: 'longest long-polling hold', upstream: 'grpcClientConsumerMaxLongPollingTimeoutMillis' },
  longPollingMarginMs: { type: 'int', default: 500, min: 0, description: 'a long poll returns this long before the call deadline' },
  receiveBatchSize: {
    type: 'int',
    default: 32,
    min: 1,
    max: 1024,
    description: 'receive batch size advertised to push consumers',
    upstream: 'grpcClientConsumerReceiveBatchSize',
  },
  groupStartFrom: {
    type: 'enum',
    default: 'earliest',
    values: GROUP_STARTS,
    description:
      'where a new consumer group starts in a topic it has not consumed yet: earliest (the first retained message) or latest (only messages sent from then on); halfmoon group create --start-from overrides it per group',
    upstream: 'consumeFromWhere',
  },
  maxDeliveryAttempts: {
    type: 'int',
    default: 17,
    min: 1,
    max: 1000,
    description: 'deliveries before a message goes to %DLQ%<group> (groups may override)',
    upstream: 'retryMaxTimes + 1',
  },
  autoRenewInvisibleDurationMs: {
    type: 'int',
    default: 60_000,
    min: 1,
    description: 'invisible duration of auto-renewed (push consumer) deliveries',
    upstream: 'defaultInvisibleTimeMills',
  },
  autoRenewThresholdMs: {
    type: 'int',
    default: 10_000,
    min: 1,
    description: 'renew an auto-renewed delivery when less invisible time than this is left (it gets autoRenewInvisibleDurationMs again)',
    upstream: 'renewAheadTimeMillis',
  },
  autoRenewMaxMs: {
    type: 'int',
    default: 3 * HOUR,
    min: 1,
    description: 'stop renewing a delivery this long after it was handed out (it then becomes visible again)',
    upstream: 'renewMaxTimeMillis',
  },
  autoRenewCheckIntervalMs: { type: 'int', default: 1_000, min: 1, description: 'how often auto-renewed deliveries are looked at (renewal, release of departed clients)' },
  clientIdleTimeoutMs: {
    type: 'int',
    default: 30_000,
    min: 1,
    description: 'a client without a Telemetry stream and not heard from for this long is gone: its auto-renewed messages are released',
  },
  consumerBackoffInitialMs: { type: 'int', default: 1_000, min: 0, description: 'push consumer retry back-off: first delay' },
  consumerBackoffMaxMs: { type: 'int', default: 60_000, min: 0, description: 'push consumer retry back-off: largest delay' },
  retentionMs: { type: 'int', default: 72 * HOUR, min: 1, description: 'messages stored longer ago than this are deleted (consumed or not)', upstream: 'fileReservedTime' },
  retentionBytes: { type: 'int', default: 0, min: 0, description: 'most bytes kept per topic queue; the oldest messages beyond it are deleted (0 = unlimited)' },
  retentionCheckIntervalMs: { type: 'int', default: 10_000, min: 1, description: 'how often the background retention sweep runs', upstream: 'cleanResourceInterval' },
  decisionRetentionMs: {
    type: 'int',
    default: 7 * 24 * HOUR,
    min: 1,
    description: 'decided transactions (the audit trail of tx describe / tx list --key) are kept this long after their decision',
  },
  decisionRetentionCheckIntervalMs: {
    type: 'int',
    default: 60_000,
    min: 1,
    description: 'how often the background sweep deletes decided transactions older than decisionRetentionMs',
  },
  sessionEvictAfterMs: { type: 'int', default: 10 * 60_000, min: 1, description: 'a client session without a Telemetry stream and not heard from for this long is forgotten' },
  sessionEvictCheckIntervalMs: { type: 'int', default: 60_000, min: 1, description: 'how often idle client sessions are looked for (see sessionEvictAfterMs)' },
  sweepLeaseGraceMs: {
    type: 'int',
    default: 10_000,
    min: 1,
    description:
      'the sweeps that run once per cluster (DELAY promotion, retention, decision retention) hold a store lease for their interval plus this long from each pass; when its broker stops renewing it (crash), another broker takes the sweep over that much later',
  },
  settingsEchoDelayMs: {
    type: 'int',
    default: 200,
    min: 0,
    description:
      "after a client's QueryRoute, its settings are pushed again on its Telemetry stream this much later (0 = never): the official Node client would otherwise start a multi-topic producer or consumer only after its 5-minute settings sync",
  },
  producerMaxAttempts: { type: 'int', default: 3, min: 1, description: 'send attempts advertised to producers' },
  transactionTimeoutMs: {
    type: 'int',
    default: 6_000,
    min: 0,
    description: 'age of a half message at its first check (unless the message sets its own)',
    upstream: 'transactionTimeOut',
  },
  transactionCheckIntervalMs: { type: 'int', default: 30_000, min: 1, description: 'time between checks of an undecided transaction', upstream: 'transactionCheckInterval' },
  transactionCheckMax: { type: 'int', default: 15, min: 1, description: 'checks answered UNKNOWN before the policy applies', upstream: 'transactionCheckMax' },
  transactionCheckAnswerTimeoutMs: {
    type: 'int',
    default: 5_000,
    min: 1,
    description: 'a check unanswered this long is sent to another live producer (before the interval), and its producer is demoted',
  },
  transactionCheckTimeoutMax: {
    type: 'int',
    default: 100,
    min: 1,
    description: 'unanswered checks before the policy applies (counted apart from transactionCheckMax, so silent producers cannot use it up)',
  },
  transactionCheckPolicy: {
    type: 'enum',
    default: 'ROLLBACK',
    values: CHECK_POLICIES,
    description: 'what happens after transactionCheckMax answered or transactionCheckTimeoutMax unanswered checks: ROLLBACK, or KEEP for manual resolution',
  },
  transactionCheckTickMs: { type: 'int', default: 250, min: 1, description: 'how often the check scheduler looks for due transactions' },
  transactionCheckBatchSize: { type: 'int', default: 500, min: 1, description: 'most checks claimed per producer group in one pass (a larger backlog takes pass after pass)' },
  transactionCheckMaxPerSecond: {
    type: 'int',
    default: 10_000,
    min: 1,
    description:
      'most checks each broker sends per producer group per second (a backlog after a restart or an outage goes out no faster; nor faster than the producers read their streams)',
  },
  transactionRestartJitterMs: { type: 'int', default: 2_000, min: 0, description: 'overdue checks after a restart are spread over this window' },
  transactionMaxPending: {
    type: 'int',
    default: 100_000,
    min: 0,
    description: 'most undecided transactions per producer group; further half messages get TOO_MANY_REQUESTS until some are decided (0 = no limit)',
  },
  transactionMaxRecoveryMs: {
    type: 'int',
    default: HOUR,
    min: 1,
    description: 'largest per-message first-check delay a producer may ask for',
    upstream: 'maxTransactionRecoverySecond',
  },
  httpHalfCheckIntervalMs: { type: 'int', default: 10_000, min: 1, description: 'HTTP gateway: time between offers of an undecided half message' },
  httpTransactionMaxAgeMs: { type: 'int', default: 24 * HOUR, min: 1, description: 'HTTP gateway: age after which an undecided half message gets the policy' },
  httpTransCheckSecondMs: {
    type: 'int',
    default: 1000,
    min: 1,
    max: 1000,
    description: 'HTTP gateway: milliseconds one second of TransCheckImmunityTime lasts (lower it only to run the 10–300 s flows fast in tests)',
  },
  httpInvisibleDurationMs: {
    type: 'int',
    default: 5 * 60_000,
    min: 1,
    description: 'HTTP gateway: how long a consumed message stays invisible (NextConsumeTime) before it is redelivered',
  },
  httpOrderlyInvisibleDurationMs: { type: 'int', default: 60_000, min: 1, description: 'HTTP gateway: the same for consumeMessageOrderly' },
  maxLongPollsPerClient: {
    type: 'int',
    default: 64,
    min: 0,
    description: 'most ReceiveMessage long polls one client (x-mq-client-id) may hold at once; more get TOO_MANY_REQUESTS (0 = no limit)',
  },
  maxTelemetryStreamsPerClient: {
    type: 'int',
    default: 8,
    min: 0,
    description: 'most Telemetry streams one client (x-mq-client-id) may keep open; more end with TOO_MANY_REQUESTS (0 = no limit)',
  },
  telemetryMaxQueuedBytes: {
    type: 'int',
    default: MiB,
    min: 1,
    description: 'a Telemetry stream whose client has not read this many bytes of commands gets no more (checks go to another producer) until it reads',
  },
  maxInflightPerClient: {
    type: 'int',
    default: 10_000,
    min: 0,
    description:
      'most received, not yet acked messages one client (x-mq-client-id) may hold; a receive gets at most the rest, and TOO_MANY_REQUESTS at the limit, until it acks or they expire (0 = no limit)',
  },
  maxAutoCreatedGroups: {
    type: 'int',
    default: 1000,
    min: 0,
    description:
      'most consumer groups a receive or a subscription may create on first use; beyond it they get CONSUMER_GROUP_NOT_FOUND and the group must be created with halfmoon group create (0 = no implicit creation)',
  },
  grpcMaxConnections: { type: 'int', default: 10_000, min: 1, description: 'most open connections on the gRPC port; further ones are closed at once' },
  grpcMaxConcurrentStreams: {
    type: 'int',
    default: 1_000,
    min: 1,
    description: 'most calls (HTTP/2 streams) at once on one gRPC connection; further ones are refused with REFUSED_STREAM, which clients retry',
  },
  grpcIdleTimeoutMs: {
    type: 'int',
    default: 5 * 60_000,
    min: 1,
    description:
      'a gRPC connection without a call for this long is closed (GOAWAY; clients reconnect on their next call), also one that stopped in the middle of an HTTP/2 frame',
  },
  grpcKeepaliveTimeMs: {
    type: 'int',
    default: 60_000,
    min: 1,
    description: 'the broker pings each gRPC connection this often; one whose client does not answer within grpcKeepaliveTimeoutMs is closed',
  },
  grpcKeepaliveTimeoutMs: { type: 'int', default: 20_000, min: 1, description: 'how long the broker waits for the answer to its keepalive ping' },
  grpcSniffTimeoutMs: {
    type: 'int',
    default: 10_000,
    min: 1,
    description: 'a connection to the gRPC port that sends fewer than the bytes telling its protocol in this long is closed',
  },
  httpMaxConnections: { type: 'int', default: 1_000, min: 1, description: 'HTTP gateway: most open connections; further ones are closed at once' },
  httpMaxConcurrentBodies: {
    type: 'int',
    default: 64,
    min: 1,
    description: 'HTTP gateway: most request bodies read at once; further requests with a body get QpsLimitExceeded (TOO_MANY_REQUESTS) and the connection closes',
  },
  httpHeadersTimeoutMs: {
    type: 'int',
    default: 10_000,
    min: 1,
    description: 'HTTP gateway: a request whose headers are not complete this long after its first byte is answered 408 and closed (slowloris)',
  },
  httpRequestTimeoutMs: {
    type: 'int',
    default: 60_000,
    min: 1,
    description: 'HTTP gateway: a request whose body is not complete this long after its first byte is answered 408 and closed (slow bodies)',
  },
  httpRefusedLingerMs: {
    type: 'int',
    default: 2_000,
    min: 0,
    description:
      'HTTP gateway: after refusing a body unread (too large, too many), what the client still sends is discarded for up to this long before the connection closes, so that it reads the answer',
  },
  httpIdleTimeoutMs: {
    type: 'int',
    default: 40_000,
    min: 1,
    description: 'HTTP gateway: a keep-alive connection idle this long is closed (above the SDK long poll of 33 s, so it is never closed under a reuse)',
  },
  accessKey: { type: 'string', default: '', description: 'HTTP gateway: access key id that signs requests (empty: no signature check)' },
  secretKey: { type: 'string', default: '', description: 'HTTP gateway: secret of accessKey' },
  auth: {
    type: 'bool',
    default: false,
    description: 'require authentication (MQv2 signatures on gRPC, MQ signatures on HTTP, users in the store) and authorization (ACL rules) on every request; see SECURITY.md',
  },
  initUser: { type: 'string', default: '', description: 'NAME:SECRET of a super user created at start if no user of that name exists (bootstrap of --auth)' },
  authClockSkewMs: {
    type: 'int',
    default: 15 * 60_000,
    min: 1,
    description: "largest difference between a signed request's x-mq-date-time and the broker clock",
  },
  authRefreshIntervalMs: {
    type: 'int',
    default: 2_000,
    min: 1,
    description: 'how often a broker looks for user and ACL rule changes made elsewhere (another broker on a shared store, the admin API)',
  },
  authSecretKeyFile: {
    type: 'string',
    default: '',
    description: 'file holding a 32-byte key (64 hex digits or base64) that encrypts user secrets at rest (AES-256-GCM); empty: secrets are stored as given',
  },
  tlsCert: { type: 'string', default: '', description: 'PEM certificate (chain) file: serve gRPC and the HTTP gateway over TLS (with tlsKey)' },
  tlsKey: { type: 'string', default: '', description: 'PEM private key file of tlsCert' },
} as const satisfies Record<string, Spec>;
