//! X12 format tests.

use renkei_edi::{Document, samples, x12};

use crate::outgoing;

fn plain(text: &mut String) {
    *text = text.replace(['*', '~', ':', '^'], "-");
}

fn cycle() -> Vec<Document> {
    let mut docs = samples::cycle();
    for d in &mut docs {
        for item in d.items_mut() {
            item.description.as_mut().map(plain);
        }
        if let Document::OrderResponse(r) = d {
            for l in &mut r.lines {
                l.reason.as_mut().map(plain);
            }
        }
    }
    docs
}

#[test]
fn smoke() {
    let docs = cycle();
    let written = x12::write(&outgoing(), x12::Version::V005010, &docs).expect("write");
    println!("{written}");
    let reading = x12::read(written.as_bytes());
    println!("{:#?}", reading.problems);
    for m in &reading.messages {
        println!("{:?}", m.result.as_ref().err());
    }
    let back: Vec<_> = reading.documents().cloned().collect();
    assert_eq!(back, docs);
}
