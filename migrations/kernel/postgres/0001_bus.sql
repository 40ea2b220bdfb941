-- Tables every service has: the transactional outbox, the record of events a
-- consumer has already applied, local-bus read positions, dead letters, and
-- stored responses for idempotent requests.
CREATE TABLE outbox (
    outbox_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        TEXT    NOT NULL UNIQUE,
    event_type      TEXT    NOT NULL,
    tenant_id       TEXT    NOT NULL,
    event_key       TEXT    NOT NULL,
    envelope        BYTEA   NOT NULL,
    occurred_at_ms  BIGINT  NOT NULL,
    seq             BIGINT  UNIQUE,
    published_at_ms BIGINT
);
CREATE INDEX outbox_unpublished ON outbox (outbox_id) WHERE published_at_ms IS NULL;
CREATE INDEX outbox_tenant ON outbox (tenant_id, outbox_id);

CREATE TABLE processed_event (
    consumer        TEXT   NOT NULL,
    event_id        TEXT   NOT NULL,
    processed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE consumer_offset (
    consumer TEXT   NOT NULL,
    source   TEXT   NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (consumer, source)
);

CREATE TABLE dead_letter (
    dead_letter_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer       TEXT   NOT NULL,
    event_id       TEXT   NOT NULL,
    event_type     TEXT   NOT NULL,
    error          TEXT   NOT NULL,
    envelope       BYTEA  NOT NULL,
    failed_at_ms   BIGINT NOT NULL
);

CREATE TABLE idempotency_key (
    scope          TEXT    NOT NULL,
    idem_key       TEXT    NOT NULL,
    request_hash   TEXT    NOT NULL,
    status         BIGINT  NOT NULL,
    body           TEXT    NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
