-- Regional directory: organisations per prefecture and kind.
CREATE TABLE region_count (
    prefecture_code TEXT   NOT NULL,
    kind            TEXT   NOT NULL,
    organisations   BIGINT NOT NULL,
    PRIMARY KEY (prefecture_code, kind)
);
