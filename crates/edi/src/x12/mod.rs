//! ANSI ASC X12 004010 and 005010: the syntax, and the order-cycle
//! transaction sets mapped to and from the canonical documents.
//!
//! | Document | Set | Group (GS01) | Distinguished by |
//! |---|---|---|---|
//! | [`Order`](crate::Order) | 850 | PO | BEG01 = `00`, BEG02 = `SA` or `NE` |
//! | [`OrderChange`](crate::OrderChange) | 860 | PC | BCH01 = `04` |
//! | [`OrderCancellation`](crate::OrderCancellation) | 860 | PC | BCH01 = `01` |
//! | [`OrderResponse`](crate::OrderResponse) | 855 | PR | BAK01 = `00` |
//! | [`DespatchAdvice`](crate::DespatchAdvice) | 856 | SH | BSN01 = `00` |
//! | [`ReceiptAdvice`](crate::ReceiptAdvice) | 861 | RC | BRA03 = `00` |
//!
//! Where the canonical fields go:
//!
//! | Field | Where |
//! |---|---|
//! | order number, date | 850 BEG03, BEG05; 860 BCH03; 855 BAK03; 856 PRF01 in the order level; 861 REF\*PO (or PRF01) |
//! | own number | 860 BCH05 (change order sequence number); 855 BAK08; 856 BSN02; 861 BRA01 |
//! | date of issue | 860 BCH06 and BCH11 (read from BCH11 when present); 855 BAK04; 856 BSN03; 861 BRA02 |
//! | buyer, seller | N1\*BY and N1\*SE (N1\*SU read as the seller); N104 the id, N103 `UL` for a 13-digit GLN, otherwise `92`; N102 the name |
//! | currency | CUR\*BY\*JPY |
//! | order note, change note, cancellation reason | N9\*L1\*NOTE followed by MSG segments of at most 264 characters, in the header after CUR (850, 860) or BCH (cancellation); NTE02 is read too |
//! | line | PO1 (850, 855), POC (860), LIN01 in the item level (856), RCD01 (861) |
//! | item | PO1/POC/LIN qualifier and id pairs: `EN` (GTIN-13 and GTIN-8), `UP` (GTIN-12), `UK` (GTIN-14), `VP`/`VN` seller's code, `BP`/`IN` buyer's code; PID\*F\*\*\*\*description |
//! | quantity, unit, price | PO102, PO103, PO104; POC03, POC05, POC06; SN102, SN103; RCD02, RCD03 |
//! | requested delivery, site | DTM\*002 and N1\*ST\*\*UL (or 92) inside the line loop |
//! | change action | POC02: `AI` added, `DI` deleted, `CA` changed (read also `CB`, `CE`, `CT`, `PC`, `PQ`, `QD`, `QI`, `RZ`) |
//! | response | BAK02 `AD` all accepted, `AC` with changes, `RJ` all rejected; per line ACK01 `IA` accepted, `IC` changed (read also `IB`, `IQ`, `IP`, `DR`), `IR` rejected (read also `ID`); ACK02, ACK03 the quantity; ACK04 `067` (current schedule delivery; `068` is read too) with ACK05 the confirmed date; the reason in MSG inside the PO1 loop |
//! | despatch | HL levels S (TD1 TD102 packages, TD5 TD505 carrier, REF\*CN tracking, DTM\*011 shipped, DTM\*017 expected, N1 parties), O (PRF), I (LIN, SN1, PID); CTT01 counts the HL segments |
//! | receipt | REF\*PK despatch advice (packing list) number, DTM\*050 received; damaged goods as RCD06 quantity in question, RCD07 unit and RCD08 `01` (damaged product or container); RCD04 (returned) is not read |
//!
//! Units are X12 codes (data element 355) on the wire and UN/ECE
//! Recommendation 20 codes in the documents; [`UNITS`] pairs them one to one
//! so that a round trip is the identity. An X12 unit outside the table is
//! refused on reading; a canonical unit outside it is refused on writing.
//!
//! X12 has no release character, so a value holding a delimiter cannot be
//! written: [`write`] refuses it with a [`WriteError`] naming the document,
//! the field and the character, rather than changing the value. Lengths of
//! elements are not enforced either way: values are written whole.
//! Text is written as UTF-8.
//!
//! Acknowledgements are 997 functional acknowledgements, written by
//! [`ack997`] from an [`Acknowledgement`](crate::Acknowledgement): one 997
//! transaction set per functional group received, and a TA1 interchange
//! acknowledgement before them when the interchange envelope itself is at
//! fault (see [`ta1_note_code`]).
//!
//! [`Decoder`] reads an interchange fed in chunks of any size and reports
//! each transaction set as soon as it is complete, so memory stays bounded
//! by the largest transaction set, not the interchange. [`read`] does the
//! same for an interchange already in memory.

mod read;
pub mod syntax;
mod write;

pub use read::{Decoder, Event, read};
pub use syntax::{Delimiters, Position, Segment, Segments, SyntaxError, SyntaxErrorKind};
pub use write::{WriteError, ack997, ack997_in, plain_text, ta1, write};

use crate::{Code, Format};

/// The versions this crate reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// 004010: `ISA12` 00401, `GS08` 004010; no repetition separator.
    V004010,
    /// 005010: `ISA12` 00501, `GS08` 005010; repetition separator `ISA11`.
    V005010,
}

impl Version {
    /// The version as written in GS08 (`004010`, `005010`).
    pub fn group_version(self) -> &'static str {
        match self {
            Version::V004010 => "004010",
            Version::V005010 => "005010",
        }
    }

    /// The interchange control version as written in ISA12 (`00401`, `00501`).
    pub fn interchange_version(self) -> &'static str {
        match self {
            Version::V004010 => "00401",
            Version::V005010 => "00501",
        }
    }

    /// The format it is.
    pub fn format(self) -> Format {
        match self {
            Version::V004010 => Format::X12_004010,
            Version::V005010 => Format::X12_005010,
        }
    }

    /// The version of a format, if it is X12.
    pub fn of(format: Format) -> Option<Version> {
        match format {
            Format::X12_004010 => Some(Version::V004010),
            Format::X12_005010 => Some(Version::V005010),
            _ => None,
        }
    }

    /// The version a GS08 names; industry suffixes (`004010VICS`) are allowed.
    fn from_group(gs08: &str) -> Option<Version> {
        if gs08.starts_with("004010") {
            Some(Version::V004010)
        } else if gs08.starts_with("005010") {
            Some(Version::V005010)
        } else {
            None
        }
    }

    fn has_repetition(self) -> bool {
        self == Version::V005010
    }
}

/// X12 unit codes (data element 355) and the UN/ECE Recommendation 20
/// codes they stand for, one to one. `EA` (each) is the piece, `H87`;
/// `UN` (unit) is `C62` (one); `CA` (case) is `CS`, since X12 `CS` is a
/// cassette; X12 `CN` (can) is Rec 20 `CA`.
pub const UNITS: &[(&str, &str)] = &[
    ("EA", "H87"),
    ("UN", "C62"),
    ("CA", "CS"),
    ("KG", "KGM"),
    ("GR", "GRM"),
    ("LB", "LBR"),
    ("LT", "LTR"),
    ("ML", "MLT"),
    ("MR", "MTR"),
    ("CM", "CMT"),
    ("DZ", "DZN"),
    ("BX", "BX"),
    ("PK", "PK"),
    ("CT", "CT"),
    ("PR", "PR"),
    ("BG", "BG"),
    ("BO", "BO"),
    ("CN", "CA"),
];

/// The Rec 20 unit an X12 unit code stands for.
pub fn unit_from_x12(code: &str) -> Option<&'static str> {
    UNITS
        .iter()
        .find(|(x12, _)| crate::scan::one_of(code, &[x12]))
        .map(|(_, rec20)| *rec20)
}

/// The X12 unit code for a Rec 20 unit.
pub fn unit_to_x12(unit: &str) -> Option<&'static str> {
    UNITS
        .iter()
        .find(|(_, rec20)| *rec20 == unit)
        .map(|(x12, _)| *x12)
}

/// The functional identifier code (GS01) of a transaction set.
pub fn functional_id(set: &str) -> Option<&'static str> {
    match set {
        "850" => Some("PO"),
        "860" => Some("PC"),
        "855" => Some("PR"),
        "856" => Some("SH"),
        "861" => Some("RC"),
        "997" => Some("FA"),
        _ => None,
    }
}

/// How a problem is reported in a 997: either as a fault of the whole
/// transaction set (AK5, code list 718) or as a segment note (AK3, code
/// list 720) with, when the problem names an element, an element note
/// (AK4, code list 723).
///
/// | Code | Place | Reported as |
/// |---|---|---|
/// | `count_mismatch` | SE | AK5 `4` (segment count does not match) |
/// | `reference_mismatch` | SE | AK5 `3` (control numbers in ST and SE differ) |
/// | `duplicate` | ST | AK5 `23` (control number not unique in the group) |
/// | `unsupported` | ST | AK5 `1` (transaction set not supported) |
/// | `missing` | no element | AK5 `2` when SE is missing; otherwise AK3 `3` (mandatory segment missing) |
/// | `unexpected` | no element | AK3 `2` (unexpected segment) |
/// | any other | no element | AK3 `8` (segment has data element errors) |
/// | `missing` | element | AK3 `8`, AK4 `1` (mandatory data element missing) |
/// | `too_many` | element | AK3 `8`, AK4 `3` (too many data elements) |
/// | `unknown_qualifier`, `unsupported` | element | AK3 `8`, AK4 `7` (invalid code value) |
/// | `invalid` | element of DTM, BEG05, BCH06, BCH11, BAK04, BSN03, BRA02, ACK05 | AK3 `8`, AK4 `8` (invalid date) |
/// | `invalid`, `count_mismatch`, `rule`, others | element | AK3 `8`, AK4 `6` (invalid character or value) |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// AK5 transaction set syntax error code (718).
    TransactionSet(&'static str),
    /// AK3 segment syntax error code (720) and, for an element, the AK4 data
    /// element syntax error code (723).
    Segment(&'static str, Option<&'static str>),
}

/// Where a problem of a transaction set goes in a 997; see [`AckCode`].
pub fn ack_code(problem: &crate::Problem) -> AckCode {
    let tag = problem.place.tag.as_deref().unwrap_or_default();
    let element = problem.place.element;
    match (problem.code, tag, element) {
        (Code::CountMismatch, "SE", _) => AckCode::TransactionSet("4"),
        (Code::ReferenceMismatch, "SE", _) => AckCode::TransactionSet("3"),
        (Code::Duplicate, "ST", _) => AckCode::TransactionSet("23"),
        (Code::Unsupported, "ST", _) => AckCode::TransactionSet("1"),
        (Code::Missing, "SE", None) => AckCode::TransactionSet("2"),
        (Code::Missing, _, None) => AckCode::Segment("3", None),
        (Code::Unexpected, _, None) => AckCode::Segment("2", None),
        (_, _, None) => AckCode::Segment("8", None),
        (code, tag, Some(e)) => AckCode::Segment(
            "8",
            Some(match code {
                Code::Missing => "1",
                Code::TooMany => "3",
                Code::UnknownQualifier | Code::Unsupported => "7",
                Code::Invalid if is_date(tag, e) => "8",
                _ => "6",
            }),
        ),
    }
}

fn is_date(tag: &str, element: usize) -> bool {
    matches!(
        (tag, element),
        ("DTM", 2)
            | ("BEG", 5)
            | ("BCH", 6)
            | ("BCH", 11)
            | ("BAK", 4)
            | ("BSN", 3)
            | ("BRA", 2)
            | ("ACK", 5)
    )
}

/// The functional group syntax error code (716) for an interchange-level
/// problem, as AK9 reports it, if the list has one.
pub fn group_error_code(problem: &crate::Problem) -> Option<&'static str> {
    let tag = problem.place.tag.as_deref().unwrap_or_default();
    match (problem.code, tag) {
        (Code::Unsupported, "GS") => Some("2"),
        (Code::Missing, "GE") => Some("3"),
        (Code::ReferenceMismatch, "GE") => Some("4"),
        (Code::CountMismatch, "GE") => Some("5"),
        _ => None,
    }
}

/// The interchange acknowledgement note code (TA105, code list I18) for a
/// problem of the interchange envelope (ISA/IEA), as a TA1 reports it, if
/// it is one. Problems a caller adds after reading (a duplicate, a party
/// it does not know) are mapped by the ISA element they name (ISA06 the
/// sender, ISA08 the recipient, ISA13 the control number):
///
/// | Code | Place | TA105 |
/// |---|---|---|
/// | `reference_mismatch` | IEA | `001` control numbers in ISA and IEA differ |
/// | `unsupported` | ISA12 | `003` version of the controls not supported |
/// | any | ISA06 | `006` invalid interchange sender id |
/// | `unknown_party` | ISA08 | `009` unknown interchange receiver id |
/// | any other | ISA08 | `008` invalid interchange receiver id |
/// | any | ISA09 | `014` invalid interchange date |
/// | `duplicate` | ISA13 | `025` duplicate interchange control number |
/// | any other | ISA13 | `018` invalid interchange control number |
/// | `count_mismatch` | IEA | `021` invalid number of included groups |
/// | `missing` | IEA | `023` premature end of the interchange |
/// | `missing` | ISA, no element | `024` invalid interchange content (no functional group) |
/// | `duplicate` | ISA, no element | `025` duplicate interchange control number |
pub fn ta1_note_code(problem: &crate::Problem) -> Option<&'static str> {
    let tag = problem.place.tag.as_deref().unwrap_or_default();
    match (problem.code, tag, problem.place.element) {
        (Code::ReferenceMismatch, "IEA", _) => Some("001"),
        (Code::CountMismatch, "IEA", _) => Some("021"),
        (Code::Missing, "IEA", _) => Some("023"),
        (Code::Unsupported, "ISA", Some(12)) => Some("003"),
        (_, "ISA", Some(6)) => Some("006"),
        (Code::UnknownParty, "ISA", Some(8)) => Some("009"),
        (_, "ISA", Some(8)) => Some("008"),
        (_, "ISA", Some(9)) => Some("014"),
        (Code::Duplicate, "ISA", Some(13) | None) => Some("025"),
        (_, "ISA", Some(13)) => Some("018"),
        (Code::Missing, "ISA", None) => Some("024"),
        _ => None,
    }
}
