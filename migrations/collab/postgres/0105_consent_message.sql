-- Consents: a company lets a supporter or municipality see part of its data,
-- for a purpose, until a date, revocable at any time.
CREATE TABLE consent (
    consent_id    TEXT   PRIMARY KEY,
    grantor_id    TEXT   NOT NULL REFERENCES organisation (organisation_id),
    grantee_id    TEXT   NOT NULL REFERENCES organisation (organisation_id),
    scopes        TEXT   NOT NULL,
    purpose       TEXT   NOT NULL,
    granted_by    TEXT   NOT NULL,
    granted_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT,
    revoked_by    TEXT
);
CREATE INDEX consent_grantor ON consent (grantor_id, granted_at_ms);
CREATE INDEX consent_grantee ON consent (grantee_id, grantor_id);

-- Message threads between organisations, optionally about a business
-- document (a URN such as renkei:orders:order:<id>).
CREATE TABLE thread (
    thread_id          TEXT   PRIMARY KEY,
    subject            TEXT   NOT NULL,
    document_urn       TEXT,
    created_by_id      TEXT   NOT NULL REFERENCES organisation (organisation_id),
    created_at_ms      BIGINT NOT NULL,
    last_seq           BIGINT NOT NULL,
    last_message_at_ms BIGINT NOT NULL
);
CREATE INDEX thread_document ON thread (document_urn);

-- Who takes part, and how far each organisation has read.
CREATE TABLE thread_participant (
    thread_id       TEXT   NOT NULL REFERENCES thread (thread_id),
    organisation_id TEXT   NOT NULL REFERENCES organisation (organisation_id),
    last_read_seq   BIGINT NOT NULL,
    PRIMARY KEY (thread_id, organisation_id)
);
CREATE INDEX thread_participant_organisation ON thread_participant (organisation_id);

CREATE TABLE message (
    thread_id      TEXT   NOT NULL REFERENCES thread (thread_id),
    seq            BIGINT NOT NULL,
    message_id     TEXT   NOT NULL UNIQUE,
    author_org_id  TEXT   NOT NULL,
    author_user_id TEXT   NOT NULL,
    body           TEXT   NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (thread_id, seq)
);
