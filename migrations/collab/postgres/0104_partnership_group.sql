-- Partnerships: proposed by one organisation, accepted by the other, ended
-- by either. Only one open (proposed or active) partnership of a kind per pair.
CREATE TABLE partnership (
    partnership_id   TEXT   PRIMARY KEY,
    proposer_id      TEXT   NOT NULL REFERENCES organisation (organisation_id),
    counterparty_id  TEXT   NOT NULL REFERENCES organisation (organisation_id),
    kind             TEXT   NOT NULL,
    buyer_id         TEXT,
    status           TEXT   NOT NULL,
    note             TEXT,
    version          BIGINT NOT NULL,
    proposed_by      TEXT   NOT NULL,
    proposed_at_ms   BIGINT NOT NULL,
    changed_at_ms    BIGINT NOT NULL,
    ended_by_id      TEXT
);
CREATE INDEX partnership_proposer ON partnership (proposer_id, status);
CREATE INDEX partnership_counterparty ON partnership (counterparty_id, status);

-- Collaboration groups (連携グループ). Every membership change makes a new
-- version; the members of each version are kept, so a document created under
-- version n can always be checked against the membership it was made under.
CREATE TABLE collab_group (
    group_id      TEXT   PRIMARY KEY,
    organiser_id  TEXT   NOT NULL REFERENCES organisation (organisation_id),
    name          TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    description   TEXT,
    version       BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    changed_at_ms BIGINT NOT NULL
);

CREATE TABLE group_member (
    group_id        TEXT   NOT NULL REFERENCES collab_group (group_id),
    version         BIGINT NOT NULL,
    organisation_id TEXT   NOT NULL REFERENCES organisation (organisation_id),
    PRIMARY KEY (group_id, version, organisation_id)
);
CREATE INDEX group_member_organisation ON group_member (organisation_id, group_id, version);

-- What each version was: when it began and who changed it.
CREATE TABLE group_version (
    group_id      TEXT   NOT NULL REFERENCES collab_group (group_id),
    version       BIGINT NOT NULL,
    changed_by_id TEXT   NOT NULL,
    changed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (group_id, version)
);
