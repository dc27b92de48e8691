-- Users and ACL rules (see ../auth.ts).

-- name: insert_user
INSERT INTO auth_user (name, record) VALUES ($1, $2::jsonb) ON CONFLICT (name) DO NOTHING RETURNING name;

-- name: upsert_user
-- Returns whether the row was inserted (xmax = 0) rather than updated.
INSERT INTO auth_user (name, record) VALUES ($1, $2::jsonb)
ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record RETURNING (xmax = 0) AS inserted;

-- name: get_user
SELECT record FROM auth_user WHERE name = $1;

-- name: list_users
SELECT record FROM auth_user ORDER BY name COLLATE "C";

-- name: delete_user
-- The user's rules go with it (ON DELETE CASCADE).
DELETE FROM auth_user WHERE name = $1;

-- name: upsert_rule
-- Stores nothing when the user does not exist.
INSERT INTO acl_rule (user_name, resource, record)
SELECT $1, $2, $3::jsonb WHERE EXISTS (SELECT 1 FROM auth_user WHERE name = $1 FOR KEY SHARE)
ON CONFLICT (user_name, resource) DO UPDATE SET record = EXCLUDED.record RETURNING resource;

-- name: delete_rule
DELETE FROM acl_rule WHERE user_name = $1 AND resource = $2;

-- name: list_rules
SELECT record FROM acl_rule WHERE $1::text IS NULL OR user_name = $1 ORDER BY user_name COLLATE "C", resource COLLATE "C";

-- name: bump_auth_version
UPDATE auth_version SET version = version + 1 WHERE id = 1;

-- name: get_auth_version
SELECT version FROM auth_version WHERE id = 1;
