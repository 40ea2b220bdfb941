-- Joint ordering: what procurement knows of collab's groups (the districts
-- shops take part through), the rounds, every shop's intents as submitted,
-- and the live pool kept from the intent events.

-- Collaboration groups as collab's events describe them.
CREATE TABLE district (
    group_id     TEXT   PRIMARY KEY,
    name         TEXT   NOT NULL,
    kind         TEXT   NOT NULL,
    organiser_id TEXT   NOT NULL,
    version      BIGINT NOT NULL
);

CREATE TABLE district_member (
    group_id        TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    PRIMARY KEY (group_id, organisation_id)
);
CREATE INDEX district_member_organisation ON district_member (organisation_id);

-- One row per round. `draft` is the round as offered (renkei-procurement's
-- RoundDraft, JSON); `closing` and `allocation` are the domain's results.
-- status: open, ordered, failed, refused, allocated.
CREATE TABLE round (
    round_id          TEXT   PRIMARY KEY,
    organiser_id      TEXT   NOT NULL,
    wholesaler_id     TEXT   NOT NULL,
    buyer_id          TEXT   NOT NULL,
    title             TEXT   NOT NULL,
    cutoff_ms         BIGINT NOT NULL,
    status            TEXT   NOT NULL,
    draft             TEXT   NOT NULL,
    order_number      TEXT   NOT NULL,
    order_id          TEXT,
    closing           TEXT,
    allocation        TEXT,
    response_version  BIGINT,
    refusal           TEXT,
    version           BIGINT NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL,
    closed_at_ms      BIGINT,
    CONSTRAINT round_order_number UNIQUE (buyer_id, order_number)
);
CREATE INDEX round_due ON round (status, cutoff_ms);
CREATE INDEX round_organiser ON round (organiser_id, created_at_ms);
CREATE INDEX round_wholesaler ON round (wholesaler_id, created_at_ms);
CREATE INDEX round_order ON round (order_id);

-- The districts invited to each round.
CREATE TABLE round_district (
    round_id TEXT NOT NULL REFERENCES round (round_id),
    group_id TEXT NOT NULL,
    PRIMARY KEY (round_id, group_id)
);
CREATE INDEX round_district_group ON round_district (group_id);

-- Every shop's intent per item, as it stands: what the close reads.
-- quantity 0 means withdrawn; `seq` orders first submissions for ties.
CREATE TABLE intent (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id        TEXT   NOT NULL REFERENCES round (round_id),
    shop_id         TEXT   NOT NULL,
    item_code       TEXT   NOT NULL,
    district_id     TEXT   NOT NULL,
    quantity        BIGINT NOT NULL,
    max_unit_price  BIGINT,
    version         BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    CONSTRAINT intent_line UNIQUE (round_id, shop_id, item_code)
);

-- The live pool, kept by the consumer of the intent events: the last state
-- of each intent it applied, and the totals those states add up to.
CREATE TABLE pool_intent (
    round_id    TEXT   NOT NULL,
    shop_id     TEXT   NOT NULL,
    item_code   TEXT   NOT NULL,
    district_id TEXT   NOT NULL,
    quantity    BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (round_id, shop_id, item_code)
);
CREATE INDEX pool_intent_district ON pool_intent (round_id, district_id);

CREATE TABLE pool_item (
    round_id    TEXT   NOT NULL,
    item_code   TEXT   NOT NULL,
    district_id TEXT   NOT NULL,
    pooled      BIGINT NOT NULL,
    shops       BIGINT NOT NULL,
    PRIMARY KEY (round_id, item_code, district_id)
);

-- Per shop and district, how many of its intents hold a quantity: a shop
-- counts towards its district's delivery while it holds at least one.
CREATE TABLE pool_shop (
    round_id    TEXT   NOT NULL,
    district_id TEXT   NOT NULL,
    shop_id     TEXT   NOT NULL,
    lines       BIGINT NOT NULL,
    PRIMARY KEY (round_id, district_id, shop_id)
);

-- What each shop receives once the wholesaler answered: its lines, its
-- goods amount and fee share, and what it would have paid alone. Replaced
-- whole when a later response re-allocates the round.
CREATE TABLE allocation_shop (
    round_id     TEXT   NOT NULL REFERENCES round (round_id),
    shop_id      TEXT   NOT NULL,
    district_id  TEXT   NOT NULL,
    goods_amount BIGINT NOT NULL,
    fee_share    BIGINT NOT NULL,
    total        BIGINT NOT NULL,
    alone        BIGINT NOT NULL,
    lines        TEXT   NOT NULL,
    PRIMARY KEY (round_id, shop_id, district_id)
);
