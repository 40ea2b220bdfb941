-- Organisations: every tenant of the platform.
CREATE TABLE organisation (
    organisation_id TEXT   PRIMARY KEY,
    legal_name      TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    prefecture_code TEXT   NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
