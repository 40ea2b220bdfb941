use renkei_edi::{
    ChangeAction, Code, Decimal, Document, Item, LineStatus, Party, Place, Quantity, samples,
    x12::{self, Decoder, Event, Segments, Version, WriteError},
};

use crate::{date, fixture, outgoing};

fn qty(value: &str, unit: &str) -> Quantity {
    Quantity {
        value: value.parse().expect("decimal"),
        unit: unit.into(),
    }
}

/// The sample cycle with the X12 delimiters taken out of its texts: X12
/// has no release character, so the writer refuses them (see
/// `values_holding_a_delimiter_are_refused_with_document_field_and_character`).
fn cycle() -> Vec<Document> {
    let mut documents = samples::cycle();
    let changed: usize = documents.iter_mut().map(x12::plain_text).sum();
    assert_eq!(
        changed, 6,
        "the onion's description in four documents, the change's note and one reason hold delimiters"
    );
    assert_ne!(
        documents,
        samples::cycle(),
        "the samples hold X12 delimiters"
    );
    documents
}

fn written(version: Version) -> String {
    x12::write(&outgoing(), version, &cycle()).expect("the plain cycle is writable")
}

/// The line of the first line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines()
        .position(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start}"))
        + 1
}

#[test]
fn every_document_survives_a_round_trip_in_both_versions() {
    for version in [Version::V004010, Version::V005010] {
        let written = written(version);
        let reading = x12::read(written.as_bytes());
        assert!(
            reading.problems.is_empty(),
            "{version:?}: {:?}",
            reading.problems
        );
        for m in &reading.messages {
            assert!(
                m.result.is_ok(),
                "{version:?} {}: {:?}\n{written}",
                m.message_type,
                m.result
            );
        }
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, cycle(), "{version:?}\n{written}");
        let types: Vec<&str> = reading
            .messages
            .iter()
            .map(|m| m.message_type.as_str())
            .collect();
        assert_eq!(types, ["850", "860", "860", "855", "856", "861"]);
        assert_eq!(reading.messages[5].reference, "0006");
        let envelope = reading.envelope.expect("envelope");
        assert_eq!(envelope.reference, "000000417");
        assert_eq!(envelope.sender, "4912345000019");
        assert_eq!(envelope.recipient, "4998765000011");
        assert_eq!(envelope.prepared, Some(date("2026-11-21")));
        assert_eq!(envelope.group.as_deref(), Some("1"));
        assert_eq!(
            version.format(),
            Version::of(version.format()).expect("x12").format()
        );
    }
}

#[test]
fn a_change_says_why_in_msg_after_its_currency_or_has_no_note_loop() {
    let mut changes = crate::changes();
    for change in &mut changes {
        x12::plain_text(change);
    }
    for version in [Version::V004010, Version::V005010] {
        let written = x12::write(&outgoing(), version, &changes).expect("writable");
        let reading = x12::read(written.as_bytes());
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, changes, "{version:?}\n{written}");
        assert!(
            written.contains(
                "CUR*BY*JPY~\nN9*L1*NOTE~\n\
                 MSG*週末の特売- じゃがいも増量+にんじん追加、にんにくは取りやめ~\nN1*BY*"
            ),
            "{written}"
        );
        assert_eq!(written.matches("\nN9*").count(), 1, "{written}");
    }
}

#[test]
fn the_interchange_header_is_fixed_length_and_names_the_version() {
    let old = written(Version::V004010);
    let new = written(Version::V005010);
    for (text, isa11, isa12, gs08) in [
        (&old, "U", "00401", "004010"),
        (&new, "^", "00501", "005010"),
    ] {
        let isa = text.lines().next().expect("ISA");
        assert_eq!(isa.len(), 106, "{isa}");
        assert!(
            isa.ends_with(&format!("*{isa11}*{isa12}*000000417*0*P*:~")),
            "{isa}"
        );
        assert!(
            text.contains(&format!("*X*{gs08}~\nST*850*0001~")),
            "{text}"
        );
        assert_eq!(
            text.matches("\nGS*").count(),
            5,
            "one group per functional id run"
        );
        assert!(text.ends_with("IEA*5*000000417~\n"));
    }
    assert!(
        old.contains("PO1*1*12*CA*2480**EN*4901234567894*VP*W-7781*BP*MY-0012~"),
        "{old}"
    );
    assert!(old.contains("RCD*1*11*CA***1*CA*01~"), "{old}");
}

#[test]
fn values_holding_a_delimiter_are_refused_with_document_field_and_character() {
    let error =
        x12::write(&outgoing(), Version::V004010, &samples::cycle()).expect_err("delimiters");
    assert_eq!(
        error,
        WriteError::Delimiter {
            document: 1,
            kind: "order",
            number: "PO-2026-0001".into(),
            field: "line 1 item description (PID05)".into(),
            character: ':',
            delimiter: "component separator",
        }
    );
    assert_eq!(
        error.to_string(),
        "document 1 (order PO-2026-0001): the line 1 item description (PID05) holds `:`, the component separator; X12 has no release character, so this value cannot be written"
    );
    let mut response = samples::order_response();
    for line in &mut response.lines {
        line.item.description = None;
    }
    response.lines[1].reason = Some("在庫不足~20kg".into());
    let error = x12::write(
        &outgoing(),
        Version::V005010,
        &[Document::OrderResponse(response)],
    )
    .expect_err("tilde");
    assert!(
        matches!(&error, WriteError::Delimiter { character: '~', field, .. } if field == "line 2 text (MSG01)"),
        "{error}"
    );
    let mut order = samples::order();
    order.lines[0].item.description = None;
    order.buyer.name = Some("A^B".into());
    let documents = [Document::Order(order)];
    let error = x12::write(&outgoing(), Version::V005010, &documents).expect_err("repetition");
    assert!(
        error
            .to_string()
            .contains("the buyer name (N102) holds `^`, the repetition separator"),
        "{error}"
    );
    assert!(
        x12::write(&outgoing(), Version::V004010, &documents).is_ok(),
        "004010 has no repetition separator"
    );
    let mut order = samples::order();
    order.lines[0].item.description = None;
    order.lines[2].quantity.unit = "EA".into();
    let error =
        x12::write(&outgoing(), Version::V004010, &[Document::Order(order)]).expect_err("unit");
    assert_eq!(
        error.to_string(),
        "document 1 (order PO-2026-0001): the unit `EA` of line 3 has no X12 unit code (see x12::UNITS)"
    );
    let mut envelope = outgoing();
    envelope.reference = "REF-1".into();
    let error = x12::write(&envelope, Version::V004010, &cycle()).expect_err("reference");
    assert!(
        error
            .to_string()
            .contains("interchange control number `REF-1` must be 1 to 9 digits"),
        "{error}"
    );
}

#[test]
fn units_map_one_to_one_between_x12_and_rec_20() {
    for (x12_code, rec20) in x12::UNITS {
        assert_eq!(x12::unit_from_x12(x12_code), Some(*rec20));
        assert_eq!(x12::unit_to_x12(rec20), Some(*x12_code));
    }
    assert_eq!(x12::unit_to_x12("H87"), Some("EA"));
    assert_eq!(x12::unit_to_x12("CS"), Some("CA"));
    assert_eq!(x12::unit_from_x12("CS"), None, "X12 CS is a cassette");
}

#[test]
fn feeding_in_chunks_of_any_size_reads_the_same_as_reading_at_once() {
    let inputs = [
        written(Version::V005010).into_bytes(),
        fixture("x12/orders_004010_crlf.x12"),
    ];
    for input in inputs {
        let whole = x12::read(&input);
        assert!(
            whole.messages.iter().all(|m| m.result.is_ok()),
            "{:?}",
            whole.messages
        );
        for size in [1, 2, 7, 64, 4096] {
            let mut decoder = Decoder::new();
            let mut messages = Vec::new();
            let mut envelopes = Vec::new();
            let mut on = |e| match e {
                Event::Envelope(e) => envelopes.push(e),
                Event::Message(m) => messages.push(m),
            };
            for chunk in input.chunks(size) {
                decoder.feed(chunk, &mut on);
            }
            let problems = decoder.finish(&mut on);
            assert_eq!(problems, whole.problems, "chunk size {size}");
            assert_eq!(messages, whole.messages, "chunk size {size}");
            assert!(
                envelopes.iter().all(|e| e.groups.len() == 1),
                "each event holds its group"
            );
            let mut merged = envelopes.first().cloned();
            if let Some(first) = &mut merged {
                first.groups = envelopes.iter().flat_map(|e| e.groups.clone()).collect();
            }
            assert_eq!(merged, whole.envelope, "chunk size {size}");
        }
    }
}

#[test]
fn a_hand_written_004010_order_with_crlf_reads_into_the_order_it_describes() {
    let input = fixture("x12/orders_004010_crlf.x12");
    assert!(input.windows(3).any(|w| w == b"~\r\n"), "CRLF line ends");
    let reading = x12::read(&input);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let envelope = reading.envelope.as_ref().expect("envelope");
    assert_eq!(
        (envelope.reference.as_str(), envelope.group.as_deref()),
        ("000004170", Some("4170"))
    );
    assert_eq!(reading.messages.len(), 1);
    assert_eq!(reading.messages[0].reference, "0417");
    let Ok(Document::Order(order)) = &reading.messages[0].result else {
        panic!("an order: {:?}", reading.messages[0].result);
    };
    assert_eq!(order.number, "PO-2026-0417");
    assert_eq!(order.issued, date("2026-11-21"));
    assert_eq!(
        order.buyer,
        Party {
            id: "4912345000019".into(),
            name: Some("戸越銀座 青果まるやま".into())
        }
    );
    assert_eq!(
        order.seller,
        Party {
            id: "4998765000011".into(),
            name: Some("品川中央卸 株式会社".into())
        }
    );
    assert_eq!(order.currency, "JPY");
    assert_eq!(
        order.note.as_deref(),
        Some("朝8時までに裏口へ搬入、検品は店長立会い")
    );
    assert_eq!(order.lines.len(), 3);
    let first = &order.lines[0];
    assert_eq!(first.line, 1);
    assert_eq!(
        first.item,
        Item {
            gtin: Some("4901234567894".into()),
            buyer_code: Some("MY-0012".into()),
            seller_code: Some("W-7781".into()),
            description: Some("国産 玉ねぎ 10kg箱".into()),
        }
    );
    assert_eq!(first.quantity, qty("12", "CS"), "X12 CA is a case");
    assert_eq!(first.unit_price, Some(Decimal::from_int(2480)));
    assert_eq!(first.requested_delivery, Some(date("2026-11-25")));
    assert_eq!(first.delivery_site.as_deref(), Some("4912345000026"));
    let second = &order.lines[1];
    assert_eq!(
        second.item.seller_code.as_deref(),
        Some("W-1200"),
        "VN is the vendor's code"
    );
    assert_eq!(
        second.item.gtin.as_deref(),
        Some("036000291452"),
        "UP is a GTIN-12"
    );
    assert_eq!(second.quantity, qty("25.5", "KGM"));
    assert_eq!(second.unit_price, Some("318.5".parse().expect("decimal")));
    assert_eq!(
        (second.requested_delivery, second.delivery_site.as_deref()),
        (None, None)
    );
    let third = &order.lines[2];
    assert_eq!(
        third.item.buyer_code.as_deref(),
        Some("MY-0200"),
        "IN is the buyer's code"
    );
    assert_eq!(third.quantity, qty("2", "DZN"));
    assert_eq!(third.unit_price, None);
}

#[test]
fn a_hand_written_005010_response_and_despatch_with_their_own_delimiters_read_into_their_documents()
{
    let reading = x12::read(&fixture("x12/response_despatch_005010.x12"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    assert_eq!(
        reading.envelope.as_ref().and_then(|e| e.group.as_deref()),
        Some("77120")
    );
    let references: Vec<&str> = reading
        .messages
        .iter()
        .map(|m| m.reference.as_str())
        .collect();
    assert_eq!(
        references,
        ["0001", "0001"],
        "control numbers are unique per group only"
    );
    let documents: Vec<&Document> = reading.documents().collect();
    assert_eq!(documents.len(), 2, "{:?}", reading.messages);
    let Document::OrderResponse(response) = documents[0] else {
        panic!("a response")
    };
    assert_eq!(response.number, "RSP-0417");
    assert_eq!(response.order_number, "PO-2026-0417");
    assert_eq!(response.issued, date("2026-11-21"));
    assert_eq!(
        response.buyer,
        Party {
            id: "4912345000019".into(),
            name: None
        }
    );
    assert_eq!(response.lines[0].status, LineStatus::Accepted);
    assert_eq!(response.lines[0].quantity, Some(qty("12", "CS")));
    assert_eq!(
        response.lines[0].confirmed_delivery,
        Some(date("2026-11-25")),
        "068 is read too"
    );
    assert_eq!(response.lines[1].status, LineStatus::Changed);
    assert_eq!(response.lines[1].quantity, Some(qty("20", "KGM")));
    assert_eq!(
        response.lines[1].confirmed_delivery,
        Some(date("2026-11-26"))
    );
    assert_eq!(
        response.lines[1].reason.as_deref(),
        Some("在庫不足: 20kgのみ"),
        "`:` is text when `>` separates components"
    );
    assert_eq!(response.lines[2].status, LineStatus::Rejected);
    assert_eq!(response.lines[2].quantity, None);
    assert_eq!(
        response.lines[2].item.buyer_code.as_deref(),
        Some("MY-0200")
    );
    assert_eq!(response.overall(), LineStatus::Changed);
    let Document::DespatchAdvice(despatch) = documents[1] else {
        panic!("a despatch")
    };
    assert_eq!(despatch.number, "DN-0417");
    assert_eq!(despatch.order_number, "PO-2026-0417");
    assert_eq!(despatch.issued, date("2026-11-24"));
    assert_eq!(
        despatch.seller.id, "4998765000011",
        "SU is read as the seller"
    );
    assert_eq!(despatch.shipped, Some(date("2026-11-24")));
    assert_eq!(despatch.expected_delivery, Some(date("2026-11-25")));
    assert_eq!(despatch.carrier.as_deref(), Some("ヤマト運輸"));
    assert_eq!(despatch.tracking.as_deref(), Some("4455-6677-8899"));
    assert_eq!(despatch.packages, 13, "TD1 lading quantities add up");
    assert_eq!(despatch.lines.len(), 2);
    assert_eq!(
        despatch.lines[0].item.gtin.as_deref(),
        Some("4901234567894")
    );
    assert_eq!(despatch.lines[1].line, 2);
    assert_eq!(despatch.lines[1].quantity, qty("20", "KGM"));
    assert_eq!(
        despatch.lines[1].item.description.as_deref(),
        Some("じゃがいも 男爵")
    );
}

#[test]
fn a_hand_written_004010_receipt_and_change_read_into_their_documents() {
    let reading = x12::read(&fixture("x12/receipt_change_004010.x12"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let documents: Vec<&Document> = reading.documents().collect();
    assert_eq!(documents.len(), 2, "{:?}", reading.messages);
    let Document::ReceiptAdvice(receipt) = documents[0] else {
        panic!("a receipt")
    };
    assert_eq!(receipt.number, "RC-0417");
    assert_eq!(receipt.order_number, "PO-2026-0417");
    assert_eq!(receipt.despatch_number.as_deref(), Some("DN-0417"));
    assert_eq!(receipt.received, Some(date("2026-11-25")));
    assert_eq!(receipt.lines[0].received, qty("11", "CS"));
    assert_eq!(receipt.lines[0].damaged, Decimal::from_int(1));
    assert_eq!(receipt.lines[1].received, qty("20", "KGM"));
    assert_eq!(receipt.lines[1].damaged, Decimal::ZERO);
    assert_eq!(
        receipt.lines[1].item.description.as_deref(),
        Some("じゃがいも 男爵")
    );
    let Document::OrderChange(change) = documents[1] else {
        panic!("a change")
    };
    assert_eq!(change.number, "3");
    assert_eq!(change.order_number, "PO-2026-0418");
    assert_eq!(
        change.issued,
        date("2026-11-20"),
        "BCH06 when BCH11 is absent"
    );
    assert_eq!(
        change.note.as_deref(),
        Some("店舗改装のため、数量と納期を見直します。"),
        "the MSG segments of the header, joined"
    );
    let actions: Vec<ChangeAction> = change.lines.iter().map(|l| l.action).collect();
    assert_eq!(
        actions,
        [
            ChangeAction::Changed,
            ChangeAction::Deleted,
            ChangeAction::Added
        ]
    );
    assert_eq!(change.lines[0].line.quantity, qty("15", "CS"));
    assert_eq!(
        change.lines[2].line.quantity,
        qty("2", "DZN"),
        "the unit is component 1 of POC05"
    );
    assert_eq!(
        change.lines[2].line.unit_price,
        Some(Decimal::from_int(480))
    );
    assert_eq!(
        change.lines[2].line.requested_delivery,
        Some(date("2026-11-27"))
    );
    assert_eq!(
        change.lines[2].line.item.description.as_deref(),
        Some("にんにく")
    );
}

/// The plain cycle written in 004010, with `edit` applied to the text.
fn edited(edit: impl Fn(String) -> String) -> Vec<u8> {
    let written = written(Version::V004010);
    let changed = edit(written.clone());
    assert_ne!(
        changed, written,
        "the edit must change the interchange:\n{written}"
    );
    changed.into_bytes()
}

fn text(input: &[u8]) -> String {
    String::from_utf8(input.to_vec()).expect("utf-8")
}

#[test]
fn a_transaction_set_with_a_wrong_segment_count_is_rejected_alone() {
    let input = edited(|t| t.replacen("SE*17*0001~", "SE*16*0001~", 1));
    let reading = x12::read(&input);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let problems = reading.messages[0].result.as_ref().expect_err("rejected");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, Code::CountMismatch);
    assert_eq!(
        problems[0].place,
        Place::segment(17, "SE", line_of(&text(&input), "SE*16*0001")).element(1)
    );
    assert_eq!(problems[0].place.line, Some(19));
    assert_eq!(reading.documents().count(), 5, "the other sets go through");
}

#[test]
fn control_numbers_that_differ_from_their_headers_are_refused_where_they_are() {
    let input = edited(|t| t.replacen("SE*17*0001~", "SE*17*0009~", 1));
    let reading = x12::read(&input);
    let problems = reading.messages[0].result.as_ref().expect_err("rejected");
    assert_eq!(problems[0].code, Code::ReferenceMismatch);
    assert_eq!(problems[0].place, Place::segment(17, "SE", 19).element(2));
    assert!(!reading.rejected());

    let input = edited(|t| t.replacen("GE*1*1~", "GE*1*7~", 1));
    let reading = x12::read(&input);
    assert!(reading.rejected());
    assert_eq!(reading.problems[0].code, Code::ReferenceMismatch);
    assert_eq!(
        reading.problems[0].place,
        Place::segment(20, "GE", 20).element(2),
        "numbered in the interchange"
    );

    let input = edited(|t| t.replacen("IEA*5*000000417~", "IEA*5*000000418~", 1));
    let reading = x12::read(&input);
    let line = line_of(&text(&input), "IEA*");
    assert_eq!(
        reading.problems,
        vec![renkei_edi::Problem {
            code: Code::ReferenceMismatch,
            place: Place::segment(line, "IEA", line).element(2),
            message: "IEA names interchange `000000418` but ISA named `000000417`".into(),

            rule: None,
        }]
    );
}

#[test]
fn wrong_group_and_interchange_counts_reject_the_interchange() {
    let input = edited(|t| t.replacen("GE*2*2~", "GE*3*2~", 1));
    let reading = x12::read(&input);
    assert!(reading.rejected());
    let line = line_of(&text(&input), "GE*3*2");
    assert_eq!(reading.problems.len(), 1, "{:?}", reading.problems);
    assert_eq!(reading.problems[0].code, Code::CountMismatch);
    assert_eq!(
        reading.problems[0].place,
        Place::segment(line, "GE", line).element(1)
    );
    assert!(
        reading.problems[0].message.contains("holds 2"),
        "{}",
        reading.problems[0].message
    );

    let input = edited(|t| t.replacen("IEA*5*", "IEA*4*", 1));
    let reading = x12::read(&input);
    let line = line_of(&text(&input), "IEA*");
    assert_eq!(reading.problems[0].code, Code::CountMismatch);
    assert_eq!(
        reading.problems[0].place,
        Place::segment(line, "IEA", line).element(1)
    );
    assert_eq!(
        reading.documents().count(),
        6,
        "the sets read, but the interchange is rejected"
    );
}

#[test]
fn other_envelope_faults_reject_the_whole_interchange() {
    let cases: [(&str, &str, Code, Option<&str>); 6] = [
        ("IEA*5*000000417~\n", "", Code::Missing, Some("IEA")),
        (
            "IEA*5*000000417~\n",
            "IEA*5*000000417~\nST*850*9~\n",
            Code::Unexpected,
            None,
        ),
        ("GE*1*1~\n", "", Code::Missing, Some("GE")),
        (
            "*X*004010~\nST*850",
            "*X*003040~\nST*850",
            Code::Unsupported,
            Some("GS"),
        ),
        ("*00401*", "*00300*", Code::Unsupported, Some("ISA")),
        (
            "ST*860*0002~",
            "GS*PO~\nST*860*0002~",
            Code::Missing,
            Some("GE"),
        ),
    ];
    for (from, to, code, tag) in cases {
        let input = edited(|t| t.replacen(from, to, 1));
        let reading = x12::read(&input);
        assert!(reading.rejected(), "{to}");
        let p = &reading.problems[0];
        assert_eq!(p.code, code, "{to}: {:?}", reading.problems);
        assert_eq!(p.place.tag.as_deref(), tag, "{to}: {p:?}");
        assert!(p.place.line.is_some(), "{to}: {p:?}");
    }
    let reading = x12::read(b"UNA:+.? 'UNB+UNOC:3+A+B'");
    assert_eq!(reading.problems[0].code, Code::Missing);
    assert!(reading.problems[0].message.contains("starts with ISA"));
    assert_eq!(x12::read(b"").problems[0].code, Code::Missing);
    assert_eq!(x12::read(b"\r\n").problems[0].code, Code::Missing);
}

#[test]
fn a_truncated_interchange_is_refused_at_every_cut_point() {
    let written = written(Version::V004010);
    let input = written.trim_end().as_bytes();
    for cut in 0..input.len() {
        let reading = x12::read(&input[..cut]);
        assert!(reading.rejected(), "cut at {cut}");
        let p = &reading.problems[0];
        assert!(
            matches!(p.code, Code::Syntax | Code::Missing),
            "cut at {cut}: {p:?}"
        );
        assert!(
            p.place.line.is_some() || cut < 106 || p.place == Place::whole(),
            "cut at {cut}: {p:?}"
        );
    }
    assert!(!x12::read(input).rejected());
    let p = &x12::read(&input[..500]).problems[0];
    assert_eq!(p.code, Code::Missing);
    assert_eq!(p.place.tag.as_deref(), Some("GE"), "{p:?}");
}

#[test]
fn bad_values_are_refused_where_they_are() {
    let cases = [
        (
            "PO1*1*12*CA*",
            "PO1*1*12*XX*",
            Code::UnknownQualifier,
            "PO1",
            8,
            Some(3),
        ),
        (
            "BEG*00*SA*PO-2026-0001**20261121~",
            "BEG*00*SA*PO-2026-0001**20261131~",
            Code::Invalid,
            "BEG",
            2,
            Some(5),
        ),
        (
            "BEG*00*SA*PO-2026-0001**20261121~\n",
            "",
            Code::Missing,
            "ST",
            1,
            None,
        ),
        (
            "PO1*1*12*",
            "PO1*1*twelve*",
            Code::Invalid,
            "PO1",
            8,
            Some(2),
        ),
        (
            "*EN*4901234567894*VP*W-7781",
            "*EN*4901234567895*VP*W-7781",
            Code::Invalid,
            "PO1",
            8,
            Some(7),
        ),
        (
            "BEG*00*SA*",
            "BEG*07*SA*",
            Code::UnknownQualifier,
            "BEG",
            2,
            Some(1),
        ),
        (
            "CUR*BY*JPY~",
            "CUR*BY*yen~",
            Code::Invalid,
            "CUR",
            3,
            Some(2),
        ),
        ("CTT*3~", "CTT*4~", Code::CountMismatch, "CTT", 16, Some(1)),
        ("PO1*2*25.5", "PO1*1*25.5", Code::Rule, "PO1", 12, Some(1)),
        (
            "CTT*3~",
            "XYZ*1~\nCTT*3~",
            Code::Unexpected,
            "XYZ",
            16,
            None,
        ),
        (
            "DTM*002*20261125~",
            "DTM*002*2026-11-25~",
            Code::Invalid,
            "DTM",
            10,
            Some(2),
        ),
    ];
    for (from, to, code, tag, segment, element) in cases {
        let input = edited(|t| t.replacen(from, to, 1));
        let reading = x12::read(&input);
        assert!(!reading.rejected(), "{to}: {:?}", reading.problems);
        let problems = reading.messages[0].result.as_ref().expect_err(to);
        let p = problems
            .iter()
            .find(|p| p.code == code && p.place.tag.as_deref() == Some(tag))
            .unwrap_or_else(|| panic!("{to}: {problems:?}"));
        assert_eq!(p.place.segment, Some(segment), "{to}: {p:?}");
        assert_eq!(p.place.element, element, "{to}: {p:?}");
        assert_eq!(
            p.place.line,
            Some(segment + 2),
            "{to}: one segment a line, ST on line 3: {p:?}"
        );
    }
}

#[test]
fn an_unknown_unit_is_named_with_its_place() {
    let input = edited(|t| t.replacen("SN1*2*20*KG~", "SN1*2*20*ZZ~", 1));
    let reading = x12::read(&input);
    let despatch = reading
        .messages
        .iter()
        .find(|m| m.message_type == "856")
        .expect("856");
    let problems = despatch.result.as_ref().expect_err("unknown unit");
    let line = line_of(&text(&input), "SN1*2*20*ZZ");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, Code::UnknownQualifier);
    assert_eq!(
        problems[0].place,
        Place::segment(19, "SN1", line).element(3)
    );
    assert!(
        problems[0].message.contains("`ZZ`"),
        "{}",
        problems[0].message
    );
    let input = edited(|t| t.replacen("POC*4*AI*5**CA*", "POC*4*AI*5**QQ:1*", 1));
    let reading = x12::read(&input);
    let problems = reading.messages[1]
        .result
        .as_ref()
        .expect_err("unknown unit");
    assert_eq!(
        problems[0].place.component,
        Some(1),
        "POC05 is a composite: {problems:?}"
    );
}

#[test]
fn broken_hierarchies_are_refused_at_the_hl_segment() {
    let input = edited(|t| t.replacen("HL*4*2*I*0~", "HL*4*9*I*0~", 1));
    let reading = x12::read(&input);
    let despatch = reading
        .messages
        .iter()
        .find(|m| m.message_type == "856")
        .expect("856");
    let problems = despatch.result.as_ref().expect_err("bad parent");
    let line = line_of(&text(&input), "HL*4*9");
    assert_eq!(problems[0].code, Code::Invalid);
    assert_eq!(problems[0].place, Place::segment(17, "HL", line).element(2));
    let input = edited(|t| t.replacen("HL*3*2*I*0~", "HL*3*1*I*0~", 1));
    let reading = x12::read(&input);
    let despatch = reading
        .messages
        .iter()
        .find(|m| m.message_type == "856")
        .expect("856");
    let problems = despatch.result.as_ref().expect_err("item under shipment");
    assert_eq!(problems[0].code, Code::Unexpected);
    assert_eq!(problems[0].place.element, Some(3));
}

#[test]
fn duplicate_control_numbers_and_unsupported_sets_are_refused_per_set() {
    let input = edited(|t| {
        t.replacen("ST*860*0003~", "ST*860*0002~", 1)
            .replacen("SE*7*0003~", "SE*7*0002~", 1)
    });
    let reading = x12::read(&input);
    assert!(!reading.rejected(), "{:?}", reading.problems);
    let problems = reading.messages[2].result.as_ref().expect_err("duplicate");
    let line = line_of(&text(&input), "BCH*01") - 1;
    assert_eq!(
        problems,
        &vec![renkei_edi::Problem {
            code: Code::Duplicate,
            place: Place::segment(1, "ST", line).element(2),
            message: "transaction set control number 0002 is used twice in this functional group"
                .into(),

            rule: None,
        }]
    );
    assert_eq!(reading.documents().count(), 5);
    let input = edited(|t| t.replacen("ST*855*0004~", "ST*810*0004~", 1));
    let reading = x12::read(&input);
    let invoice = reading
        .messages
        .iter()
        .find(|m| m.message_type == "810")
        .expect("810");
    assert_eq!(
        invoice.result.as_ref().expect_err("unsupported")[0].code,
        Code::Unsupported
    );
    assert_eq!(reading.documents().count(), 5);
}

/// The segments of a 997, read back with the syntax layer.
fn segments_of(text: &str) -> Vec<(String, Vec<String>)> {
    Segments::new(text.as_bytes())
        .expect("ISA")
        .map(|s| {
            let s = s.expect("the 997 is well-formed");
            let elements = (0..s.element_count())
                .map(|e| s.element(e).unwrap_or_default().to_string())
                .collect();
            (s.tag.to_string(), elements)
        })
        .collect()
}

fn find<'a>(segments: &'a [(String, Vec<String>)], tag: &str) -> Vec<&'a [String]> {
    segments
        .iter()
        .filter(|(t, _)| t == tag)
        .map(|(_, e)| e.as_slice())
        .collect()
}

#[test]
fn the_997_accepts_the_good_sets_and_points_at_the_bad_ones() {
    let input = edited(|t| {
        t.replacen("PO1*1*12*CA*", "PO1*1*12*XX*", 1)
            .replacen("SE*7*0003~", "SE*6*0003~", 1)
    });
    let ack = x12::read(&input).acknowledgement();
    let text = x12::ack997(&outgoing(), &ack);
    let segments = segments_of(&text);
    assert_eq!(find(&segments, "GS")[0][0], "FA");
    assert_eq!(
        find(&segments, "AK1"),
        [
            ["PO", "1"],
            ["PC", "2"],
            ["PR", "3"],
            ["SH", "4"],
            ["RC", "5"]
        ],
        "one 997 per functional group of the cycle"
    );
    let ak2 = find(&segments, "AK2");
    assert_eq!(ak2.len(), 6);
    assert_eq!(ak2[0], ["850", "0001"]);
    assert_eq!(find(&segments, "AK3")[0], ["PO1", "8", "", "8"]);
    assert_eq!(
        find(&segments, "AK4")[0],
        ["3", "", "7"],
        "invalid code value in PO103"
    );
    let ak5 = find(&segments, "AK5");
    assert_eq!(ak5[0], ["R", "5"]);
    assert_eq!(ak5[1], ["A"]);
    assert_eq!(ak5[2], ["R", "4"], "segment count mismatch");
    assert!(ak5[3..].iter().all(|a| a == &["A"]));
    assert_eq!(
        find(&segments, "AK9"),
        [
            ["R", "1", "1", "0"],
            ["P", "2", "2", "1"],
            ["A", "1", "1", "1"],
            ["A", "1", "1", "1"],
            ["A", "1", "1", "1"],
        ]
    );
    let st: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].0 == "ST")
        .collect();
    let se: Vec<usize> = (0..segments.len())
        .filter(|&i| segments[i].0 == "SE")
        .collect();
    assert_eq!(st.len(), 5);
    for (n, (st, se)) in st.iter().zip(&se).enumerate() {
        let control = format!("{:04}", n + 1);
        assert_eq!(segments[*st].1, ["997", control.as_str()]);
        assert_eq!(
            segments[*se].1,
            [(se - st + 1).to_string(), control.clone()]
        );
    }
    assert_eq!(find(&segments, "GE")[0], ["5", "1"]);
    let reading = x12::read(text.as_bytes());
    assert!(
        reading.problems.is_empty(),
        "the 997's envelope reads: {:?}",
        reading.problems
    );

    let rejected = x12::read(&edited(|t| t.replacen("GE*2*2~", "GE*3*2~", 1))).acknowledgement();
    let text = x12::ack997_in(&outgoing(), &rejected, Version::V005010);
    let segments = segments_of(&text);
    assert!(
        find(&segments, "AK2").is_empty(),
        "a rejected interchange has no set loops"
    );
    assert!(find(&segments, "TA1").is_empty(), "the envelope is right");
    assert_eq!(
        find(&segments, "AK1")[0],
        ["PO", "1", "004010"],
        "AK103 is the group's GS08, not the version of the 997"
    );
    let ak9 = find(&segments, "AK9");
    assert_eq!(
        ak9[1],
        ["R", "2", "2", "0", "5"],
        "number of sets does not match, in the group it concerns"
    );
    assert_eq!(ak9.len(), 5);
    for (i, other) in ak9.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert_eq!(*other, ["R", "1", "1", "0"], "group {}", i + 1);
    }

    let accepted = x12::read(written(Version::V004010).as_bytes()).acknowledgement();
    let segments = segments_of(&x12::ack997(&outgoing(), &accepted));
    assert!(
        find(&segments, "AK9")
            .iter()
            .all(|ak9| ak9[0] == "A" && ak9[1] == ak9[3])
    );
    assert!(find(&segments, "AK3").is_empty());
}

#[test]
fn every_functional_group_of_a_hand_written_interchange_gets_its_own_997() {
    let reading = x12::read(&fixture("x12/receipt_change_004010.x12"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let envelope = reading.envelope.as_ref().expect("envelope");
    let groups: Vec<(&str, &str, &str, usize)> = envelope
        .groups
        .iter()
        .map(|g| {
            (
                g.functional.as_str(),
                g.control.as_str(),
                g.version.as_str(),
                g.first_message,
            )
        })
        .collect();
    assert_eq!(
        groups,
        [("RC", "4180", "004010", 0), ("PC", "4181", "004010", 1)]
    );
    assert_eq!(envelope.time.as_deref(), Some("1010"));

    let text = x12::ack997_in(&outgoing(), &reading.acknowledgement(), Version::V005010);
    let segments = segments_of(&text);
    assert_eq!(
        find(&segments, "AK1"),
        [["RC", "4180", "004010"], ["PC", "4181", "004010"]]
    );
    assert_eq!(find(&segments, "AK2"), [["861", "0001"], ["860", "0001"]]);
    assert_eq!(
        find(&segments, "AK9"),
        [["A", "1", "1", "1"], ["A", "1", "1", "1"]]
    );
    let order: Vec<&str> = segments
        .iter()
        .map(|(t, _)| t.as_str())
        .filter(|t| matches!(*t, "ST" | "AK1" | "AK2" | "AK9" | "SE"))
        .collect();
    assert_eq!(
        order,
        [
            "ST", "AK1", "AK2", "AK9", "SE", "ST", "AK1", "AK2", "AK9", "SE"
        ]
    );
    assert_eq!(find(&segments, "GE")[0], ["2", "1"]);
}

#[test]
fn a_bad_interchange_envelope_is_answered_with_a_ta1_and_the_groups_with_997s() {
    let fixture = text(&fixture("x12/receipt_change_004010.x12"));
    let cases = [
        ("IEA*2*000004180~", "IEA*3*000004180~", "021"),
        ("IEA*2*000004180~", "IEA*2*000004181~", "001"),
    ];
    for (from, to, note) in cases {
        let input = fixture.replacen(from, to, 1);
        let reading = x12::read(input.as_bytes());
        assert!(reading.rejected(), "{to}");
        let text = x12::ack997(&outgoing(), &reading.acknowledgement());
        let segments = segments_of(&text);
        assert_eq!(
            find(&segments, "TA1"),
            [["000004180", "261125", "1010", "R", note]],
            "{to}\n{text}"
        );
        let ta1 = segments.iter().position(|(t, _)| t == "TA1");
        assert_eq!(ta1, Some(1), "TA1 follows ISA");
        assert_eq!(
            find(&segments, "AK9"),
            [["R", "1", "1", "0"], ["R", "1", "1", "0"]],
            "{to}"
        );
        assert!(x12::read(text.as_bytes()).problems.is_empty(), "{text}");
    }

    // What the caller decides (a duplicate, a party it does not know) is
    // answered the same way when it names the ISA element.
    let reading = x12::read(fixture.as_bytes());
    for (code, element, note) in [
        (Code::Duplicate, 13, "025"),
        (Code::UnknownParty, 8, "009"),
        (Code::UnknownParty, 6, "006"),
    ] {
        let mut ack = reading.acknowledgement();
        ack.problems.push(renkei_edi::Problem::new(
            code,
            Place {
                tag: Some("ISA".into()),
                element: Some(element),
                ..Place::default()
            },
            "decided by the caller",
        ));
        let segments = segments_of(&x12::ack997(&outgoing(), &ack));
        assert_eq!(find(&segments, "TA1")[0][4], note, "{code:?}");
        assert_eq!(find(&segments, "AK9").len(), 2);
    }
    let envelope = reading.envelope.as_ref().expect("envelope");
    let text = x12::ta1(&outgoing(), envelope, "025", Version::V004010);
    let segments = segments_of(&text);
    assert_eq!(
        segments.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["ISA", "TA1", "IEA"]
    );
    assert_eq!(
        find(&segments, "TA1")[0],
        ["000004180", "261125", "1010", "R", "025"]
    );
    assert_eq!(find(&segments, "IEA")[0][0], "0");
}

#[test]
fn an_interchange_without_functional_groups_is_rejected_with_a_ta1() {
    let input = "ISA*00*          *00*          *ZZ*4912345000019  *ZZ*4998765000011  *261125*1010*U*00401*000004190*0*P*>~\n\
                 IEA*0*000004190~\n";
    let reading = x12::read(input.as_bytes());
    assert!(reading.rejected());
    assert_eq!(reading.problems.len(), 1, "{:?}", reading.problems);
    let p = &reading.problems[0];
    assert_eq!(p.code, Code::Missing);
    assert_eq!(p.place, Place::segment(1, "ISA", 1));
    assert!(p.message.contains("no functional group"), "{p}");
    assert!(reading.messages.is_empty());

    let text = x12::ack997(&outgoing(), &reading.acknowledgement());
    let segments = segments_of(&text);
    assert_eq!(
        segments.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["ISA", "TA1", "IEA"],
        "{text}"
    );
    assert_eq!(
        find(&segments, "TA1")[0],
        ["000004190", "261125", "1010", "R", "024"]
    );
    assert_eq!(find(&segments, "IEA")[0][0], "0");
}

#[test]
fn problems_map_to_the_x12_error_code_lists() {
    let at = |tag: &str, element: Option<usize>| Place {
        element,
        ..Place::segment(3, tag, 5)
    };
    let problem = |code, place| renkei_edi::Problem::new(code, place, "");
    use x12::AckCode::{Segment, TransactionSet};
    assert_eq!(
        x12::ack_code(&problem(Code::CountMismatch, at("SE", Some(1)))),
        TransactionSet("4")
    );
    assert_eq!(
        x12::ack_code(&problem(Code::Duplicate, at("ST", Some(2)))),
        TransactionSet("23")
    );
    assert_eq!(
        x12::ack_code(&problem(Code::Missing, at("ST", None))),
        Segment("3", None)
    );
    assert_eq!(
        x12::ack_code(&problem(Code::Unexpected, at("XYZ", None))),
        Segment("2", None)
    );
    assert_eq!(
        x12::ack_code(&problem(Code::Invalid, at("DTM", Some(2)))),
        Segment("8", Some("8"))
    );
    assert_eq!(
        x12::ack_code(&problem(Code::Invalid, at("PO1", Some(2)))),
        Segment("8", Some("6"))
    );
    assert_eq!(
        x12::ack_code(&problem(Code::Missing, at("PO1", Some(2)))),
        Segment("8", Some("1"))
    );
}

#[test]
fn no_edit_of_a_single_byte_makes_the_reader_panic() {
    let written = written(Version::V005010).into_bytes();
    for at in (0..written.len()).step_by(3) {
        for byte in [b'*', b'~', b':', b'^', b'\n', b'9', 0xff] {
            let mut input = written.clone();
            input[at] = byte;
            let _ = x12::read(&input);
        }
        let mut shorter = written.clone();
        shorter.remove(at);
        let _ = x12::read(&shorter);
    }
}
