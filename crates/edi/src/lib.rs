//! `renkei-edi`: the EDI formats partners send and want, as pure functions
//! over bytes — no files, sockets or clocks — so that the same code runs in
//! the orders service, in tests, in fuzzers and in benchmarks.
//!
//! - [`document`]: the canonical documents of an order cycle, which every
//!   format is read into and written from.
//! - [`Decimal`]: exact numbers for quantities and prices.
//! - [`problem`]: what is wrong with an input and where, with stable codes.
//! - [`rules`]: what every canonical document must meet.
//! - [`interchange`]: envelopes, per-message outcomes, acknowledgements.
//! - [`edifact`]: UN/EDIFACT D.96A and D.01B.
//! - [`x12`]: ANSI X12 004010 and 005010.
//! - [`ubl`]: UBL 2.1, Peppol BIS ordering.
//! - [`sheet`]: CSV and .xlsx for spreadsheets.
//! - [`samples`]: one complete order cycle, for tests, benchmarks and fuzzing.

pub mod decimal;
pub mod document;
pub mod edifact;
pub mod interchange;
pub mod problem;
pub mod rules;
pub mod samples;
mod scan;
pub mod sheet;
pub mod ubl;
pub mod x12;

pub use decimal::Decimal;
pub use document::*;
pub use interchange::{
    Acknowledgement, Envelope, Format, FunctionalGroup, MessageAck, MessageOutcome, Outgoing,
    Reading,
};
pub use problem::{Code, Place, Problem};
