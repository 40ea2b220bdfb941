-- Order documents that reached orders over the bus (a joint-purchase
-- round's consolidated order), kept until they are submitted: the consumer
-- stores one in the same transaction as the event's processed mark, and a
-- background task submits it through the normal path, so a crash in
-- between loses nothing and a retry is answered by the idempotency key.
CREATE TABLE inbound_document (
    event_id        TEXT   PRIMARY KEY,
    organisation_id TEXT   NOT NULL,
    idempotency_key TEXT   NOT NULL,
    document        TEXT   NOT NULL,
    attempts        BIGINT NOT NULL,
    last_error      TEXT,
    created_at_ms   BIGINT NOT NULL
);
