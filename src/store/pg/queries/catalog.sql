-- Topics and consumer groups (see ../catalog.ts).

-- name: insert_topic
INSERT INTO topic (name, record) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING record;

-- name: get_topic
SELECT record FROM topic WHERE name = $1;

-- name: list_topics
SELECT record FROM topic ORDER BY name COLLATE "C";

-- name: delete_topic
DELETE FROM topic WHERE name = $1;

-- name: delete_topic_messages
DELETE FROM message WHERE topic = $1;

-- name: delete_topic_heads
DELETE FROM queue_head WHERE topic = $1;

-- name: delete_topic_cursors
DELETE FROM consume_cursor WHERE topic = $1;

-- name: delete_topic_inflight
DELETE FROM inflight WHERE topic = $1;

-- name: insert_group
INSERT INTO consumer_group (name, record) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING record;

-- name: get_group
SELECT record FROM consumer_group WHERE name = $1;

-- name: lock_group
SELECT record FROM consumer_group WHERE name = $1 FOR UPDATE;

-- name: update_group
UPDATE consumer_group SET record = $2 WHERE name = $1;

-- name: list_groups
SELECT record FROM consumer_group ORDER BY name COLLATE "C";

-- name: try_lease
-- Taken when free, expired ($3 = now) or already ours; refused (no row) while another holds it.
INSERT INTO lease AS l (name, holder, until_ms) VALUES ($1, $2, $3::bigint + $4::bigint)
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until_ms = EXCLUDED.until_ms
WHERE l.holder = EXCLUDED.holder OR l.until_ms <= $3::bigint
RETURNING holder;

-- name: release_lease
DELETE FROM lease WHERE name = $1 AND holder = $2;

-- name: schema_size
-- Tables of the store's schema with their indexes and TOAST data (metrics: halfmoon_store_size_bytes).
SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r';
