-- Halfmoon PostgreSQL store, schema version 1: every table of the BrokerStore.
-- Times are milliseconds since the epoch (bigint) taken from the store's clock; offsets come
-- from queue_head, never from a sequence (a sequence value is allocated before commit, so a
-- reader could skip a row that commits late).

-- Topics and consumer groups: the domain records as JSON, keyed by name.
CREATE TABLE topic (
  name text PRIMARY KEY,
  record jsonb NOT NULL
);
CREATE TABLE consumer_group (
  name text PRIMARY KEY,
  record jsonb NOT NULL
);

-- One row per queue: the next offset (its row lock orders appends by commit), the first
-- retained offset and the stored bytes (size-based retention).
CREATE TABLE queue_head (
  topic text NOT NULL,
  queue_id int NOT NULL,
  next_offset bigint NOT NULL DEFAULT 0,
  min_offset bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, queue_id)
);

-- The committed logs: header = the StoredMessage without its body.
CREATE TABLE message (
  topic text NOT NULL,
  queue_id int NOT NULL,
  queue_offset bigint NOT NULL,
  store_at_ms bigint NOT NULL,
  size int NOT NULL,
  header jsonb NOT NULL,
  body bytea NOT NULL,
  PRIMARY KEY (topic, queue_id, queue_offset)
);

-- DELAY messages waiting for their delivery time (seq only orders equal times).
CREATE TABLE scheduled (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  deliver_at_ms bigint NOT NULL,
  topic text NOT NULL,
  queue_id int NOT NULL,
  header jsonb NOT NULL,
  body bytea NOT NULL
);
CREATE INDEX scheduled_due ON scheduled (deliver_at_ms, seq);

-- Half messages: meta = the HalfMessage without its message (check trail included).
CREATE TABLE half_message (
  txn_id text PRIMARY KEY,
  producer_group text NOT NULL,
  topic text NOT NULL,
  state text NOT NULL CHECK (state IN ('PENDING', 'ABANDONED')),
  next_check_at_ms bigint NOT NULL,
  keys text[] NOT NULL DEFAULT '{}',
  meta jsonb NOT NULL,
  header jsonb NOT NULL,
  body bytea NOT NULL
);
CREATE INDEX half_message_due ON half_message (producer_group, next_check_at_ms) WHERE state = 'PENDING';

-- Decided transactions (idempotence and audit), purged by age.
CREATE TABLE txn_decision (
  txn_id text PRIMARY KEY,
  state text NOT NULL,
  topic text NOT NULL,
  decided_at_ms bigint NOT NULL,
  keys text[] NOT NULL DEFAULT '{}',
  record jsonb NOT NULL
);
CREATE INDEX txn_decision_decided_at ON txn_decision (decided_at_ms);
CREATE INDEX txn_decision_keys ON txn_decision USING gin (keys);

-- Transaction counters, spread over a few rows per name so that concurrent transactions do
-- not queue on one row; a read sums the shards.
CREATE TABLE txn_counter (
  name text NOT NULL,
  shard int NOT NULL,
  value bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (name, shard)
);

-- Consumer progress: the next offset a group looks at, per queue.
CREATE TABLE consume_cursor (
  grp text NOT NULL,
  topic text NOT NULL,
  queue_id int NOT NULL,
  next_offset bigint NOT NULL,
  PRIMARY KEY (grp, topic, queue_id)
);

-- In-flight deliveries (attempt 0: FIFO, waiting behind its message group's head).
CREATE TABLE inflight (
  grp text NOT NULL,
  topic text NOT NULL,
  queue_id int NOT NULL,
  queue_offset bigint NOT NULL,
  attempt int NOT NULL,
  visible_at_ms bigint NOT NULL,
  token text NOT NULL,
  message_group text,
  renew jsonb,
  PRIMARY KEY (grp, topic, queue_id, queue_offset)
);
CREATE INDEX inflight_topic ON inflight (topic, queue_id, queue_offset);
CREATE INDEX inflight_renewed ON inflight ((renew IS NOT NULL)) WHERE renew IS NOT NULL;

-- Named leases (one sweep at a time across brokers).
CREATE TABLE lease (
  name text PRIMARY KEY,
  holder text NOT NULL,
  until_ms bigint NOT NULL
);
