-- When a waiting inbound document may be tried again: a failed try waits
-- longer each time (up to five minutes), so one stuck document neither
-- spins nor keeps newer ones waiting.
ALTER TABLE inbound_document ADD COLUMN next_try_at_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX inbound_document_due ON inbound_document (next_try_at_ms, attempts, created_at_ms);
