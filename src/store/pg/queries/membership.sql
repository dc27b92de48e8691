-- Broker membership (see ../membership.ts). $now is the store clock in ms.

-- name: heartbeat_broker
-- Registers or renews a broker until $3 (now) + $4 (ttl).
INSERT INTO broker_member AS b (broker_id, endpoint, until_ms) VALUES ($1, $2, $3::bigint + $4::bigint)
ON CONFLICT (broker_id) DO UPDATE SET endpoint = EXCLUDED.endpoint, until_ms = EXCLUDED.until_ms;

-- name: prune_brokers
-- Forgets brokers whose heartbeat expired before $1 (now).
DELETE FROM broker_member WHERE until_ms <= $1::bigint;

-- name: live_brokers
SELECT broker_id, endpoint FROM broker_member WHERE until_ms > $1::bigint ORDER BY broker_id COLLATE "C";

-- name: leave_broker
DELETE FROM broker_member WHERE broker_id = $1;
