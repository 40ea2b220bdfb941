-- The EDI mailbox: every document is addressed to the party that did not
-- send it (the seller for orders, changes, cancellations and receipts, the
-- buyer for responses and despatch advice), and waits there until that
-- organisation collects it in an interchange. A collect claims the waiting
-- rows with `UPDATE … WHERE interchange_id IS NULL` in the transaction that
-- stores the interchange, so each document goes into exactly one.
CREATE TABLE mailbox_entry (
    document_id     TEXT   PRIMARY KEY REFERENCES order_document (document_id),
    organisation_id TEXT   NOT NULL,
    partner_id      TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    interchange_id  TEXT,
    collected_at_ms BIGINT
);
-- Only what still waits is indexed: collected rows drop out of it.
CREATE INDEX mailbox_entry_waiting ON mailbox_entry (organisation_id, partner_id, created_at_ms)
    WHERE interchange_id IS NULL;
CREATE INDEX mailbox_entry_interchange ON mailbox_entry (interchange_id);

-- Documents from before the mailbox wait in it too, except those their
-- receiver already took one at a time as an EDI file: they count as
-- collected by the first interchange that carried them.
INSERT INTO mailbox_entry (document_id, organisation_id, partner_id, kind, created_at_ms, interchange_id, collected_at_ms)
SELECT r.document_id, r.receiver_id, r.sender_id, r.kind, r.created_at_ms,
       (SELECT MIN(i.interchange_id) FROM edi_interchange i
         WHERE i.organisation_id = r.receiver_id AND i.claim LIKE 'out:' || r.document_id || ':%'),
       (SELECT MIN(i.created_at_ms) FROM edi_interchange i
         WHERE i.organisation_id = r.receiver_id AND i.claim LIKE 'out:' || r.document_id || ':%')
FROM (SELECT d.document_id, d.sender_id, d.kind, d.created_at_ms,
             CASE WHEN d.sender_id = o.buyer_id THEN o.seller_id ELSE o.buyer_id END AS receiver_id
        FROM order_document d JOIN purchase_order o ON o.order_id = d.order_id) r;
