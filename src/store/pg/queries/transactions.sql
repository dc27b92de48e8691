-- Half messages, decisions and counters (see ../transactions.ts).

-- name: insert_half
-- A repeat (the half message is stored, or its transaction already decided) is a no-op.
INSERT INTO half_message (txn_id, producer_group, topic, state, next_check_at_ms, keys, meta, header, body)
SELECT $1, $2, $3, 'PENDING', $4, $5, $6, $7, $8
WHERE NOT EXISTS (SELECT 1 FROM txn_decision WHERE txn_id = $1)
ON CONFLICT (txn_id) DO NOTHING;

-- name: get_half
SELECT meta, header, body FROM half_message WHERE txn_id = $1;

-- name: lock_half
SELECT meta, header, body FROM half_message WHERE txn_id = $1 FOR UPDATE;

-- name: lock_half_deciding
-- The half message locked for its decision, and whether its topic still exists (one round trip).
SELECT h.meta, h.header, h.body, EXISTS (SELECT 1 FROM topic t WHERE t.name = h.topic) AS topic_exists
FROM half_message h WHERE h.txn_id = $1 FOR UPDATE OF h;

-- name: finish_halves
-- The decisions of a transaction in one statement: their half messages go and their decision
-- records are kept (parallel arrays; keys as one JSON array per decision).
WITH gone AS (
  DELETE FROM half_message WHERE txn_id = ANY($1::text[])
)
INSERT INTO txn_decision (txn_id, state, topic, decided_at_ms, keys, record)
SELECT t.id, t.s, t.topic, t.at, ARRAY(SELECT jsonb_array_elements_text(t.k)), t.r
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[], $6::jsonb[]) AS t(id, s, topic, at, k, r);

-- name: update_half
UPDATE half_message SET state = $2, next_check_at_ms = $3, meta = $4 WHERE txn_id = $1;

-- name: update_halves
-- Many at once (a claim): ids, states, due times and metadata as parallel arrays.
UPDATE half_message h SET state = t.s, next_check_at_ms = t.n, meta = t.m
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[]) AS t(id, s, n, m)
WHERE h.txn_id = t.id;

-- name: claim_due_halves
-- Due PENDING transactions of a producer group, each locked by one claimer: a concurrent claim
-- on another broker skips them (and gets the next ones). The claimer moves their due time in
-- the same transaction.
SELECT txn_id, meta, header, body FROM half_message
WHERE producer_group = $1 AND state = 'PENDING' AND next_check_at_ms <= $2
ORDER BY next_check_at_ms, txn_id COLLATE "C" LIMIT $3
FOR UPDATE SKIP LOCKED;

-- name: next_check_due
SELECT min(next_check_at_ms) AS at FROM half_message WHERE producer_group = $1 AND state = 'PENDING';

-- name: pending_groups
-- The distinct groups by skipping through the claim index (one index probe per group), not a
-- scan of every pending row: the check scheduler asks on every tick.
WITH RECURSIVE g AS (
  (SELECT producer_group FROM half_message WHERE state = 'PENDING' ORDER BY producer_group LIMIT 1)
  UNION ALL
  SELECT (SELECT h.producer_group FROM half_message h WHERE h.state = 'PENDING' AND h.producer_group > g.producer_group ORDER BY h.producer_group LIMIT 1)
  FROM g WHERE g.producer_group IS NOT NULL
)
SELECT producer_group FROM g WHERE producer_group IS NOT NULL ORDER BY producer_group COLLATE "C";

-- name: pending_count
SELECT count(*)::int AS n FROM half_message WHERE producer_group = $1 AND state = 'PENDING';

-- name: list_halves
SELECT meta, header, body FROM half_message
WHERE ($1::text IS NULL OR topic = $1) AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR keys @> ARRAY[$3::text])
ORDER BY txn_id COLLATE "C" LIMIT $4;

-- name: get_decision
SELECT record FROM txn_decision WHERE txn_id = $1;

-- name: find_decisions
SELECT record FROM txn_decision
WHERE keys @> ARRAY[$1::text] AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR topic = $3)
ORDER BY decided_at_ms DESC, txn_id COLLATE "C" LIMIT $4;

-- name: purge_decisions
-- Oldest first through the decided_at index.
DELETE FROM txn_decision WHERE txn_id IN (
  SELECT txn_id FROM txn_decision WHERE decided_at_ms <= $1 ORDER BY decided_at_ms LIMIT $2
);

-- name: bump_counter
INSERT INTO txn_counter AS c (name, shard, value) VALUES ($1, $2, $3)
ON CONFLICT (name, shard) DO UPDATE SET value = c.value + EXCLUDED.value;

-- name: read_counters
SELECT name, GREATEST(0, sum(value))::bigint AS value FROM txn_counter GROUP BY name;

-- name: count_states
SELECT state, count(*)::int AS n FROM half_message GROUP BY state;
