-- Organisation profile: names, public registry numbers, address, industry,
-- size, and the sites where it works. Everything but the legal name, kind and
-- prefecture is optional: a sole proprietor has no corporate number, and a
-- shop may not know its JSIC code on day one.
ALTER TABLE organisation ADD COLUMN category TEXT;
ALTER TABLE organisation ADD COLUMN legal_name_en TEXT;
ALTER TABLE organisation ADD COLUMN legal_name_kana TEXT;
ALTER TABLE organisation ADD COLUMN corporate_number TEXT;
ALTER TABLE organisation ADD COLUMN invoice_registration_number TEXT;
ALTER TABLE organisation ADD COLUMN municipality_code TEXT;
ALTER TABLE organisation ADD COLUMN address_line TEXT;
ALTER TABLE organisation ADD COLUMN jsic_code TEXT;
ALTER TABLE organisation ADD COLUMN capital_yen BIGINT;
ALTER TABLE organisation ADD COLUMN employees BIGINT;
ALTER TABLE organisation ADD COLUMN shopping_district TEXT;
ALTER TABLE organisation ADD COLUMN updated_at_ms BIGINT NOT NULL DEFAULT 0;

-- One organisation per corporate number.
CREATE UNIQUE INDEX organisation_corporate_number
    ON organisation (corporate_number) WHERE corporate_number IS NOT NULL;

-- Plants, shops, warehouses and offices; coordinates in micro-degrees.
CREATE TABLE organisation_site (
    site_id           TEXT   PRIMARY KEY,
    organisation_id   TEXT   NOT NULL REFERENCES organisation (organisation_id),
    position          BIGINT NOT NULL,
    kind              TEXT   NOT NULL,
    name              TEXT   NOT NULL,
    prefecture_code   TEXT   NOT NULL,
    municipality_code TEXT,
    address_line      TEXT,
    lat_micro         BIGINT,
    lon_micro         BIGINT
);
CREATE INDEX organisation_site_organisation ON organisation_site (organisation_id, position);
