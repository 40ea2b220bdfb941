//! Format tests of `renkei-edi`: round trips from the canonical documents
//! through each format and back, hand-written fixtures read into the
//! documents they stand for, and bad input rejected with the exact place.
//! One test binary for the crate; one module per format.

mod edifact;
mod sheet;
mod ubl;
mod x12;

use renkei_edi::{Date, Document, Outgoing, samples};

/// The envelope every test writes with.
pub fn outgoing() -> Outgoing {
    Outgoing {
        sender: "4912345000019".into(),
        recipient: "4998765000011".into(),
        reference: "000000417".into(),
        prepared: date("2026-11-21"),
        time: "0930".into(),
    }
}

/// A date written `YYYY-MM-DD`.
pub fn date(text: &str) -> Date {
    text.parse().expect("test dates are valid")
}

/// A fixture file's bytes.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("reading {full}: {e}"))
}

/// The sample change, which says why it is made, and another change of the
/// same order without a note.
pub fn changes() -> Vec<Document> {
    let with = samples::order_change();
    assert!(with.note.is_some(), "the sample change has a note");
    let mut without = with.clone();
    without.number = "PO-2026-0001-C2".into();
    without.note = None;
    vec![Document::OrderChange(with), Document::OrderChange(without)]
}
