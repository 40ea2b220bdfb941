-- Order exchange: what orders knows of collab (partnerships and groups, kept
-- from collab's events), the orders with the state of their lines, and every
-- document of every order, immutable once accepted.

-- Partnerships as collab's events describe them; only `active` ones allow trade.
CREATE TABLE partner_link (
    partnership_id  TEXT   PRIMARY KEY,
    proposer_id     TEXT   NOT NULL,
    counterparty_id TEXT   NOT NULL,
    buyer_id        TEXT   NOT NULL,
    status          TEXT   NOT NULL,
    version         BIGINT NOT NULL
);
CREATE INDEX partner_link_proposer ON partner_link (proposer_id, counterparty_id);
CREATE INDEX partner_link_counterparty ON partner_link (counterparty_id, proposer_id);

-- The latest membership of each collaboration group.
CREATE TABLE group_link (
    group_id        TEXT   NOT NULL,
    organisation_id TEXT   NOT NULL,
    version         BIGINT NOT NULL,
    PRIMARY KEY (group_id, organisation_id)
);
CREATE INDEX group_link_organisation ON group_link (organisation_id);

CREATE TABLE group_head (
    group_id TEXT   PRIMARY KEY,
    version  BIGINT NOT NULL
);

-- One row per order: the columns lists and filters need, and the state of
-- every line as JSON (the state machine's input and output).
CREATE TABLE purchase_order (
    order_id            TEXT   PRIMARY KEY,
    buyer_id            TEXT   NOT NULL,
    seller_id           TEXT   NOT NULL,
    number              TEXT   NOT NULL,
    status              TEXT   NOT NULL,
    currency            TEXT   NOT NULL,
    partnership_id      TEXT   NOT NULL,
    partnership_version BIGINT NOT NULL,
    group_id            TEXT,
    group_version       BIGINT,
    thread_id           TEXT,
    version             BIGINT NOT NULL,
    state               TEXT   NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL,
    CONSTRAINT purchase_order_number UNIQUE (buyer_id, number)
);
CREATE INDEX purchase_order_buyer ON purchase_order (buyer_id, updated_at_ms);
CREATE INDEX purchase_order_seller ON purchase_order (seller_id, updated_at_ms);

-- Every document of every order, in the canonical JSON form, in order.
CREATE TABLE order_document (
    document_id   TEXT   PRIMARY KEY,
    order_id      TEXT   NOT NULL REFERENCES purchase_order (order_id),
    version       BIGINT NOT NULL,
    kind          TEXT   NOT NULL,
    number        TEXT   NOT NULL,
    sender_id     TEXT   NOT NULL,
    channel       TEXT   NOT NULL,
    body          TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    CONSTRAINT order_document_version UNIQUE (order_id, version)
);
