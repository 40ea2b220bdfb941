-- PostgreSQL compresses large values with LZ4 from this version on; SQLite
-- does not compress values, so it has nothing to change.
SELECT 1;
