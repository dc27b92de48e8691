-- Schema version 3: the broker processes sharing this database, each alive until its heartbeat
-- deadline (routes list the live ones; advisory, never used for correctness).
CREATE TABLE broker_member (
  broker_id text PRIMARY KEY,
  endpoint text NOT NULL,
  until_ms bigint NOT NULL
);
