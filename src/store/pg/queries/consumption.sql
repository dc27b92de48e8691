-- Consumer cursors and in-flight deliveries (see ../consumption.ts). Every change to a group's
-- deliveries in a queue first locks that group's cursor row, so they apply one at a time.

-- name: lock_cursor
SELECT next_offset FROM consume_cursor WHERE grp = $1 AND topic = $2 AND queue_id = $3 FOR UPDATE;

-- name: get_cursor
SELECT next_offset FROM consume_cursor WHERE grp = $1 AND topic = $2 AND queue_id = $3;

-- name: insert_cursor
INSERT INTO consume_cursor (grp, topic, queue_id, next_offset) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING;

-- name: set_cursor
UPDATE consume_cursor SET next_offset = $4 WHERE grp = $1 AND topic = $2 AND queue_id = $3;

-- name: group_topics
SELECT topic FROM consume_cursor WHERE grp = $1 GROUP BY topic ORDER BY topic COLLATE "C";

-- name: list_inflight
SELECT queue_offset, attempt, visible_at_ms, token, message_group, renew, first_at_ms FROM inflight
WHERE grp = $1 AND topic = $2 AND queue_id = $3 ORDER BY queue_offset;

-- name: get_inflight
SELECT queue_offset, attempt, visible_at_ms, token, message_group, renew, first_at_ms FROM inflight
WHERE grp = $1 AND topic = $2 AND queue_id = $3 AND queue_offset = $4;

-- name: upsert_inflight
INSERT INTO inflight (grp, topic, queue_id, queue_offset, attempt, visible_at_ms, token, message_group, renew, first_at_ms)
SELECT $1, $2, $3, t.o, t.a, t.v, t.k, t.g, t.r, t.f
FROM unnest($4::bigint[], $5::int[], $6::bigint[], $7::text[], $8::text[], $9::jsonb[], $10::bigint[]) AS t(o, a, v, k, g, r, f)
ON CONFLICT (grp, topic, queue_id, queue_offset) DO UPDATE
SET attempt = EXCLUDED.attempt, visible_at_ms = EXCLUDED.visible_at_ms, token = EXCLUDED.token, message_group = EXCLUDED.message_group,
    renew = EXCLUDED.renew, first_at_ms = EXCLUDED.first_at_ms;

-- name: delete_inflight
DELETE FROM inflight WHERE grp = $1 AND topic = $2 AND queue_id = $3 AND queue_offset = ANY($4::bigint[]);

-- name: drop_inflight
DELETE FROM inflight WHERE grp = $1 AND topic = $2 AND queue_id = $3;

-- name: next_redelivery
SELECT min(visible_at_ms) AS at FROM inflight WHERE grp = $1 AND topic = $2 AND queue_id = $3 AND attempt > 0;

-- name: inflight_attempts
SELECT attempt FROM inflight WHERE grp = $1 AND topic = $2 AND queue_id = $3;

-- name: list_auto_renewed
-- Which of them this broker renews is the domain rule isRenewedBy.
SELECT grp, topic, queue_id, queue_offset, attempt, visible_at_ms, token, message_group, renew, first_at_ms FROM inflight
WHERE renew IS NOT NULL
ORDER BY topic COLLATE "C", grp COLLATE "C", queue_id, queue_offset;

-- name: ensure_topic
INSERT INTO topic (name, record) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: insert_deliveries
-- The delivery history (message trace): one row per delivery handed out.
INSERT INTO delivery (topic, queue_id, queue_offset, grp, attempt, delivered_at_ms, client_id)
SELECT $1, $2, t.o, $3, t.a, $4, $5 FROM unnest($6::bigint[], $7::int[]) AS t(o, a)
ON CONFLICT DO NOTHING;

-- name: end_deliveries
-- How attempts ended: $4 offsets with their $5 attempts, $6 ACKED or DEAD_LETTERED at $7.
UPDATE delivery SET outcome = $6, outcome_at_ms = $7
WHERE topic = $1 AND queue_id = $2 AND grp = $3 AND (queue_offset, attempt) IN (SELECT * FROM unnest($4::bigint[], $5::int[]));

-- name: delivery_history
SELECT d.grp, d.attempt, d.delivered_at_ms, d.client_id, d.outcome, d.outcome_at_ms, i.attempt AS inflight_attempt
FROM delivery d LEFT JOIN inflight i ON i.grp = d.grp AND i.topic = d.topic AND i.queue_id = d.queue_id AND i.queue_offset = d.queue_offset
WHERE d.topic = $1 AND d.queue_id = $2 AND d.queue_offset = $3;
