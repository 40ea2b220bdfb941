-- The consolidated order's lines, written by the close: per ordered item,
-- the units ordered and the tier price they reach. An intent of the round
-- is in the order exactly when its item has a line here and its cap (none
-- is the highest) is at least that price, so the allocation reads the
-- requests it shares out with one join instead of running the close again.
CREATE TABLE round_line (
    round_id   TEXT   NOT NULL REFERENCES round (round_id),
    item_code  TEXT   NOT NULL,
    line       INTEGER NOT NULL,
    quantity   BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    PRIMARY KEY (round_id, item_code)
);
