-- Committed logs, queue heads and DELAY messages (see ../log.ts).

-- name: append_messages
-- One statement per append: takes cardinality($4) offsets (and $5 bytes) from the queue's head
-- row, which stays locked until commit, so offsets are gap-free and in commit order, and inserts
-- the messages at them (each header gets its offset). Returns the first offset taken.
WITH head AS (
  INSERT INTO queue_head AS h (topic, queue_id, next_offset, bytes) VALUES ($1, $2, cardinality($4::int[]), $5)
  ON CONFLICT (topic, queue_id) DO UPDATE SET next_offset = h.next_offset + EXCLUDED.next_offset, bytes = h.bytes + EXCLUDED.bytes
  RETURNING h.next_offset - cardinality($4::int[]) AS first_offset
), inserted AS (
  INSERT INTO message (topic, queue_id, queue_offset, store_at_ms, size, header, body)
  SELECT $1, $2, head.first_offset + t.i - 1, $3, t.s, jsonb_set(t.h, '{offset}', to_jsonb(head.first_offset + t.i - 1)), t.b
  FROM head, unnest($4::int[], $6::jsonb[], $7::bytea[]) WITH ORDINALITY AS t(s, h, b, i)
)
SELECT first_offset FROM head;

-- name: read_messages
SELECT header, body FROM message WHERE topic = $1 AND queue_id = $2 AND queue_offset >= $3 ORDER BY queue_offset LIMIT $4;

-- name: read_messages_at
SELECT header, body FROM message WHERE topic = $1 AND queue_id = $2 AND queue_offset = ANY($3::bigint[]);

-- name: get_head
SELECT next_offset, min_offset, bytes FROM queue_head WHERE topic = $1 AND queue_id = $2;

-- name: lock_head
SELECT next_offset, min_offset, bytes FROM queue_head WHERE topic = $1 AND queue_id = $2 FOR UPDATE;

-- name: first_offset
SELECT min(queue_offset) AS first FROM message WHERE topic = $1 AND queue_id = $2;

-- name: first_offset_at
SELECT queue_offset FROM message WHERE topic = $1 AND queue_id = $2 AND store_at_ms >= $3 ORDER BY queue_offset LIMIT 1;

-- name: purge_candidates
-- The head of the queue, oldest first: only what retention needs to decide (no bodies).
SELECT queue_offset, store_at_ms, size FROM message WHERE topic = $1 AND queue_id = $2 ORDER BY queue_offset LIMIT $3;

-- name: delete_message_range
-- Retention: one range delete on the primary key, [$3, $4).
DELETE FROM message WHERE topic = $1 AND queue_id = $2 AND queue_offset >= $3 AND queue_offset < $4;

-- name: set_head_purged
UPDATE queue_head SET min_offset = $3, bytes = GREATEST(0, bytes - $4) WHERE topic = $1 AND queue_id = $2;

-- name: cursors_follow_purge
UPDATE consume_cursor SET next_offset = $3 WHERE topic = $1 AND queue_id = $2 AND next_offset < $3;

-- name: inflight_follow_purge
DELETE FROM inflight WHERE topic = $1 AND queue_id = $2 AND queue_offset < $3;

-- name: insert_scheduled
INSERT INTO scheduled (deliver_at_ms, topic, queue_id, header, body) VALUES ($1, $2, $3, $4, $5) RETURNING seq;

-- name: take_due_scheduled
-- Due DELAY messages, each taken by one broker (SKIP LOCKED) and removed in the same statement.
DELETE FROM scheduled WHERE seq IN (
  SELECT seq FROM scheduled WHERE deliver_at_ms <= $1 ORDER BY deliver_at_ms, seq LIMIT $2 FOR UPDATE SKIP LOCKED
) RETURNING seq, deliver_at_ms, topic, queue_id, header, body;

-- name: next_scheduled
SELECT min(deliver_at_ms) AS at FROM scheduled;

-- name: find_messages_by_id
SELECT header, body FROM message
WHERE header->>'messageId' = $1 AND ($2 = '' OR topic = $2)
ORDER BY store_at_ms DESC, topic COLLATE "C", queue_offset DESC LIMIT $3;

-- name: find_messages_by_key
SELECT header, body FROM message
WHERE header->'keys' ? $1 AND ($2 = '' OR topic = $2)
ORDER BY store_at_ms DESC, topic COLLATE "C", queue_offset DESC LIMIT $3;
