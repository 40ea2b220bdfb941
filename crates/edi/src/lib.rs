//! `renkei-edi`: the EDI formats partners send and want, as pure functions
//! over bytes — no files, sockets or clocks — so that the same code runs in
//! the orders service, in tests, in fuzzers and in benchmarks.
//!
//! This first layer is the UN/EDIFACT syntax (ISO 9735): delimiters, the
//! `UNA` service string advice, the release character, and segments with
//! their exact position, read one at a time without copying where nothing
//! was escaped.

pub mod edifact;
