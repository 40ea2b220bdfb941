-- An order's state, its documents (canonical JSON), the EDI files and the
-- inbound documents are compressed with LZ4 rather than pglz, for less CPU
-- per write at about the same size (see the kernel's 0002_lz4.sql). A server
-- built without LZ4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE purchase_order ALTER COLUMN state SET COMPRESSION lz4;
    ALTER TABLE order_document ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE edi_interchange ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE edi_interchange ALTER COLUMN ack SET COMPRESSION lz4;
    ALTER TABLE inbound_document ALTER COLUMN document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'LZ4 is not available on this server; large values stay pglz-compressed';
END
$$;
