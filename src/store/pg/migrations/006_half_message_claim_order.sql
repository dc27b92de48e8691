-- Schema version 6: the due-check index in the order check claims read it (due time, then
-- transaction id in byte order), so a claim reads only the rows it takes. With the old index
-- (producer group, due time) a claim with many due transactions sorted all of them.
CREATE INDEX half_message_claim ON half_message (producer_group, next_check_at_ms, txn_id COLLATE "C") WHERE state = 'PENDING';
DROP INDEX half_message_due;
