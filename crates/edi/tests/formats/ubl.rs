//! ubl format tests (being built).
