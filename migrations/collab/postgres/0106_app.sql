-- Apps of local IT vendors, their installations in organisations, and the
-- webhook deliveries of events to them.
CREATE TABLE app (
    app_id        TEXT   PRIMARY KEY,
    vendor_id     TEXT   NOT NULL REFERENCES organisation (organisation_id),
    name          TEXT   NOT NULL,
    description   TEXT,
    webhook_url   TEXT,
    scopes        TEXT   NOT NULL,
    events        TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX app_vendor ON app (vendor_id);

-- Credentials are per installation; only the hash of the client secret is
-- kept. The webhook secret signs deliveries, so it is kept as is.
CREATE TABLE installation (
    installation_id    TEXT   PRIMARY KEY,
    app_id             TEXT   NOT NULL REFERENCES app (app_id),
    organisation_id    TEXT   NOT NULL REFERENCES organisation (organisation_id),
    scopes             TEXT   NOT NULL,
    client_id          TEXT   NOT NULL UNIQUE,
    client_secret_hash TEXT,
    webhook_secret     TEXT   NOT NULL,
    installed_by       TEXT   NOT NULL,
    installed_at_ms    BIGINT NOT NULL,
    uninstalled_at_ms  BIGINT
);
CREATE INDEX installation_organisation ON installation (organisation_id);
CREATE INDEX installation_app ON installation (app_id);

CREATE TABLE webhook_delivery (
    delivery_id        TEXT   PRIMARY KEY,
    installation_id    TEXT   NOT NULL REFERENCES installation (installation_id),
    event_id           TEXT   NOT NULL,
    event_type         TEXT   NOT NULL,
    payload            TEXT   NOT NULL,
    status             TEXT   NOT NULL,
    attempts           BIGINT NOT NULL,
    next_attempt_at_ms BIGINT NOT NULL,
    last_status_code   BIGINT,
    last_error         TEXT,
    created_at_ms      BIGINT NOT NULL,
    delivered_at_ms    BIGINT,
    CONSTRAINT webhook_delivery_once UNIQUE (installation_id, event_id)
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (status, next_attempt_at_ms);
