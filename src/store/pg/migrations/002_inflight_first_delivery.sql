-- Schema version 2: when a message was first handed out to the group, kept across its
-- redeliveries (null for deliveries recorded before this version).
ALTER TABLE inflight ADD COLUMN first_at_ms bigint;
