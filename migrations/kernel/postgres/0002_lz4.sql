-- Large values are compressed with LZ4 instead of PostgreSQL's default
-- pglz: an event's envelope (a document of a few kilobytes) is compressed on
-- every insert, and pglz costs several times LZ4's CPU for about the same
-- size (docs/PERFORMANCE.md, order intake). Only values written from now on
-- change; existing ones stay readable as they are. A server built without
-- LZ4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN envelope SET COMPRESSION lz4;
    ALTER TABLE dead_letter ALTER COLUMN envelope SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'LZ4 is not available on this server; large values stay pglz-compressed';
END
$$;
