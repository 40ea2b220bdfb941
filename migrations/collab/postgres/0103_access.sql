-- People and access: accounts, their roles per organisation, invitations,
-- sign-in sessions with rotating refresh tokens, lockout counters and the
-- keys that sign access tokens.
CREATE TABLE user_account (
    user_id       TEXT   PRIMARY KEY,
    email         TEXT   NOT NULL,
    display_name  TEXT   NOT NULL,
    password_hash TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    CONSTRAINT user_account_email_key UNIQUE (email)
);

CREATE TABLE membership (
    organisation_id TEXT   NOT NULL REFERENCES organisation (organisation_id),
    user_id         TEXT   NOT NULL REFERENCES user_account (user_id),
    role            TEXT   NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX membership_user ON membership (user_id);

-- The token itself is shown once to the inviter; only its hash is kept.
CREATE TABLE invitation (
    invitation_id   TEXT   PRIMARY KEY,
    organisation_id TEXT   NOT NULL REFERENCES organisation (organisation_id),
    email           TEXT   NOT NULL,
    role            TEXT   NOT NULL,
    token_hash      TEXT   NOT NULL UNIQUE,
    invited_by      TEXT   NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    accepted_at_ms  BIGINT,
    accepted_by     TEXT,
    revoked_at_ms   BIGINT
);
CREATE INDEX invitation_organisation ON invitation (organisation_id, created_at_ms);

-- A sign-in session is one refresh-token family: every refresh rotates the
-- token within the family, and reuse of a spent token revokes the family.
CREATE TABLE user_session (
    session_id      TEXT   PRIMARY KEY,
    user_id         TEXT   NOT NULL REFERENCES user_account (user_id),
    organisation_id TEXT,
    created_at_ms   BIGINT NOT NULL,
    last_used_at_ms BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    client_addr     TEXT   NOT NULL,
    revoked_at_ms   BIGINT,
    revoked_reason  TEXT
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE refresh_token (
    token_hash   TEXT   PRIMARY KEY,
    session_id   TEXT   NOT NULL REFERENCES user_session (session_id),
    issued_at_ms BIGINT NOT NULL,
    used_at_ms   BIGINT
);
CREATE INDEX refresh_token_session ON refresh_token (session_id);

-- Failed sign-ins per email address, whether or not an account has it, so
-- that lockout says nothing about which addresses exist.
CREATE TABLE sign_in_attempt (
    email              TEXT   PRIMARY KEY,
    failures           BIGINT NOT NULL,
    last_failure_at_ms BIGINT NOT NULL,
    locked_until_ms    BIGINT NOT NULL
);

-- Ed25519 keys that sign access tokens; the newest unretired one signs, and
-- retired ones stay published until every token they signed has expired.
CREATE TABLE signing_key (
    kid           TEXT   PRIMARY KEY,
    seed_b64      TEXT   NOT NULL,
    public_x      TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL,
    retired_at_ms BIGINT
);

-- The audit log: append-only, each entry carrying the hash of the one before.
CREATE TABLE audit_entry (
    audit_seq       BIGINT PRIMARY KEY,
    at_ms           BIGINT NOT NULL,
    actor_kind      TEXT   NOT NULL,
    actor_id        TEXT   NOT NULL,
    organisation_id TEXT,
    action          TEXT   NOT NULL,
    target          TEXT   NOT NULL,
    client_addr     TEXT   NOT NULL,
    detail          TEXT   NOT NULL,
    prev_hash       TEXT   NOT NULL,
    entry_hash      TEXT   NOT NULL
);
CREATE INDEX audit_entry_organisation ON audit_entry (organisation_id, audit_seq);

-- The head of the chain. Appending updates this one row first, which
-- serialises appends on every engine.
CREATE TABLE audit_head (
    chain     TEXT   PRIMARY KEY,
    last_seq  BIGINT NOT NULL,
    last_hash TEXT   NOT NULL
);
INSERT INTO audit_head (chain, last_seq, last_hash)
VALUES ('main', 0, '0000000000000000000000000000000000000000000000000000000000000000');
