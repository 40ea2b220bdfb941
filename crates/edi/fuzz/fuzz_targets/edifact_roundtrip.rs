//! Round trip: the documents `edifact::read` accepts, written again with
//! `edifact::write` (in D.96A and in D.01B), must read back without problems
//! as the same documents.
#![no_main]
use libfuzzer_sys::fuzz_target;
use renkei_edi::{
    Date, Document, Outgoing,
    edifact::{self, Version},
};

fuzz_target!(|data: &[u8]| {
    let reading = edifact::read(data);
    let documents: Vec<Document> = reading.documents().cloned().collect();
    if documents.is_empty() {
        return;
    }
    let outgoing = Outgoing {
        sender: "4912345000019".into(),
        recipient: "4998765000011".into(),
        reference: "000000417".into(),
        prepared: Date::new(2026, 11, 21).expect("a real date"),
        time: "0930".into(),
    };
    for version in [Version::D96A, Version::D01B] {
        let written = edifact::write(&outgoing, version, &documents);
        let again = edifact::read(written.as_bytes());
        assert!(
            again.problems.is_empty(),
            "{version:?}: the written interchange has problems: {:?}\n{written}",
            again.problems
        );
        let back: Vec<Result<Document, _>> =
            again.messages.into_iter().map(|m| m.result).collect();
        let expected: Vec<Result<Document, _>> = documents.iter().cloned().map(Ok).collect();
        assert_eq!(back, expected, "{version:?}: round trip differs\n{written}");
    }
});
