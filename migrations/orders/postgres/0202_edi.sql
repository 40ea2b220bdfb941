-- EDI: how each organisation exchanges files with each of its partners, and
-- every interchange received or sent, kept as it was on the wire.

-- One organisation's EDI set-up for one partner: the interchange ids both
-- sides go by in its files, the format it sends and the one it wants back,
-- and its item codes next to the partner's.
CREATE TABLE edi_profile (
    organisation_id TEXT   NOT NULL,
    partner_id      TEXT   NOT NULL,
    own_wire_id     TEXT   NOT NULL,
    partner_wire_id TEXT   NOT NULL,
    sends           TEXT   NOT NULL,
    wants           TEXT   NOT NULL,
    items           TEXT   NOT NULL,
    version         BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, partner_id),
    CONSTRAINT edi_profile_wire UNIQUE (organisation_id, partner_wire_id)
);

-- Interchanges in both directions. `claim` makes a control reference count
-- once: 'in:<sender>:<reference>' for the first receipt of an inbound
-- interchange (a resubmission is stored with no claim and status
-- 'duplicate'), 'out:<document>:<format>' for a document written out.
CREATE TABLE edi_interchange (
    interchange_id  TEXT   PRIMARY KEY,
    organisation_id TEXT   NOT NULL,
    partner_id      TEXT,
    direction       TEXT   NOT NULL,
    format          TEXT   NOT NULL,
    sender          TEXT   NOT NULL,
    recipient       TEXT   NOT NULL,
    reference       TEXT   NOT NULL,
    claim           TEXT,
    status          TEXT   NOT NULL,
    summary         TEXT   NOT NULL,
    body            BYTEA     NOT NULL,
    ack_format      TEXT,
    ack             BYTEA,
    created_at_ms   BIGINT NOT NULL,
    CONSTRAINT edi_interchange_claim UNIQUE (organisation_id, claim)
);
CREATE INDEX edi_interchange_list ON edi_interchange (organisation_id, created_at_ms);

-- The next control reference an organisation's outbound interchanges from a
-- partner use.
CREATE TABLE edi_counter (
    organisation_id TEXT   NOT NULL,
    partner_id      TEXT   NOT NULL,
    next            BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, partner_id)
);
