-- PostgreSQL compresses large values with LZ4 from this version on; SQLite
-- does not compress values, so it has nothing to change. The version exists
-- on both engines so that their histories stay alike.
SELECT 1;
