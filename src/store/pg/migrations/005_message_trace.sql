-- Schema version 5: the message trace. Committed messages found by message id and by key, and
-- the delivery history of each message: every delivery to a group (attempt, when, to which
-- client) and how the attempt ended (ACKED, DEAD_LETTERED; null while undecided). A delivery row
-- goes with its message (retention, topic deletion) through the foreign key.
CREATE INDEX message_by_id ON message ((header->>'messageId'));
CREATE INDEX message_by_key ON message USING gin ((header->'keys'));

CREATE TABLE delivery (
  topic text NOT NULL,
  queue_id int NOT NULL,
  queue_offset bigint NOT NULL,
  grp text NOT NULL,
  attempt int NOT NULL,
  delivered_at_ms bigint NOT NULL,
  client_id text,
  outcome text CHECK (outcome IN ('ACKED', 'DEAD_LETTERED')),
  outcome_at_ms bigint,
  PRIMARY KEY (topic, queue_id, queue_offset, grp, attempt),
  FOREIGN KEY (topic, queue_id, queue_offset) REFERENCES message (topic, queue_id, queue_offset) ON DELETE CASCADE
);
