//! UN/EDIFACT (ISO 9735): the syntax, and the order-cycle messages of the
//! directories D.96A and D.01B mapped to and from the canonical documents.
//!
//! | Document | Message | Distinguished by |
//! |---|---|---|
//! | [`Order`](crate::Order) | ORDERS | BGM 1001 = 220 |
//! | [`OrderChange`](crate::OrderChange) | ORDCHG | BGM 1001 = 230, 1225 = 4 |
//! | [`OrderCancellation`](crate::OrderCancellation) | ORDCHG | BGM 1001 = 230, 1225 = 1 |
//! | [`OrderResponse`](crate::OrderResponse) | ORDRSP | BGM 1001 = 231 |
//! | [`DespatchAdvice`](crate::DespatchAdvice) | DESADV | BGM 1001 = 351 |
//! | [`ReceiptAdvice`](crate::ReceiptAdvice) | RECADV | BGM 1001 = 632 |
//!
//! Free text travels in FTX: an order's and an order change's note as
//! `FTX+AAI` in the header after the DTM of issue (the position D.96A and
//! D.01B give FTX in ORDERS and ORDCHG), a cancellation's reason and a
//! response line's reason as `FTX+ACD`; up to five components of 512
//! characters each.
//!
//! Acknowledgements are CONTRL messages (syntax version 3), written by
//! [`contrl`] from an [`Acknowledgement`](crate::Acknowledgement).
//!
//! [`Decoder`] reads an interchange fed in chunks of any size and reports
//! each message as soon as it is complete, so memory stays bounded by the
//! largest message, not the interchange. [`read`] does the same for an
//! interchange already in memory.

mod read;
pub mod syntax;
mod write;

pub use read::{Decoder, Event, read};
pub use syntax::{Delimiters, Position, Segment, Segments, SyntaxError, SyntaxErrorKind};
pub use write::{contrl, write};

use crate::{Code, Format, Problem};

/// The directories this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// D.96A: item numbers typed `EN` (EAN).
    D96A,
    /// D.01B: item numbers typed `SRV` (GS1 code list).
    D01B,
}

impl Version {
    /// The release as written in UNH (`96A`, `01B`).
    pub fn release(self) -> &'static str {
        match self {
            Version::D96A => "96A",
            Version::D01B => "01B",
        }
    }

    /// The message version, release and controlling agency of UNH S009
    /// (`D:96A:UN`), as [`MessageOutcome::version`](crate::MessageOutcome) holds them.
    pub fn identifier(self) -> &'static str {
        match self {
            Version::D96A => "D:96A:UN",
            Version::D01B => "D:01B:UN",
        }
    }

    /// The format it is.
    pub fn format(self) -> Format {
        match self {
            Version::D96A => Format::EdifactD96a,
            Version::D01B => Format::EdifactD01b,
        }
    }

    /// The version of a format, if it is EDIFACT.
    pub fn of(format: Format) -> Option<Version> {
        match format {
            Format::EdifactD96a => Some(Version::D96A),
            Format::EdifactD01b => Some(Version::D01B),
            _ => None,
        }
    }

    fn from_release(release: &str) -> Option<Version> {
        match release {
            "96A" => Some(Version::D96A),
            "01B" => Some(Version::D01B),
            _ => None,
        }
    }

    /// The code qualifying a GTIN in LIN and PIA.
    fn gtin_type(self) -> &'static str {
        match self {
            Version::D96A => "EN",
            Version::D01B => "SRV",
        }
    }
}

/// The UN/EDIFACT syntax error code (data element 0085) for a kind of
/// problem; [`error_code`] refines it by the problem's place, and is what
/// CONTRL reports.
pub fn syntax_error_code(code: Code) -> &'static str {
    match code {
        Code::Syntax | Code::Rule => "18",
        Code::Unsupported => "14",
        Code::Missing => "13",
        Code::Unexpected => "15",
        Code::TooMany => "16",
        Code::Invalid | Code::UnknownQualifier => "12",
        Code::CountMismatch => "29",
        Code::ReferenceMismatch => "28",
        Code::Duplicate => "26",
        Code::UnknownParty => "23",
    }
}

/// The syntax error code (0085) CONTRL reports for `problem`: that of its
/// code ([`syntax_error_code`]), except
///
/// | Code | Place | 0085 |
/// |---|---|---|
/// | `unknown_party` | UNB element 3 (S003, the recipient) | `7` interchange recipient not actual recipient |
/// | `missing` | UNB, no element (an interchange without messages) | `32` lower level empty |
///
/// A sender that is not the expected one (UNB element 2) stays `23`
/// (unknown interchange sender).
pub fn error_code(problem: &Problem) -> &'static str {
    let tag = problem.place.tag.as_deref().unwrap_or_default();
    match (problem.code, tag, problem.place.element) {
        (Code::UnknownParty, "UNB", Some(3)) => "7",
        (Code::Missing, "UNB", None) => "32",
        (code, _, _) => syntax_error_code(code),
    }
}
