//! x12 format tests (being built).
