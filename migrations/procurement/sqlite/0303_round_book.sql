-- The request book of a closed round: the requests in its consolidated
-- order, frozen once the round closes (its intents no longer change), in a
-- compact form the allocation reads in one pass instead of joining a
-- million intents. Part 0 lists the shops with their districts; part n
-- the requests of order line n as [shop index, quantity, cap, seq].
-- Derived data: written after the close, and rebuilt from the intents
-- whenever it is missing.
CREATE TABLE round_book (
    round_id TEXT    NOT NULL REFERENCES round (round_id),
    part     INTEGER NOT NULL,
    body     TEXT    NOT NULL,
    PRIMARY KEY (round_id, part)
);
