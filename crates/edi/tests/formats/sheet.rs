//! sheet format tests (being built).
