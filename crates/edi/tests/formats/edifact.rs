use renkei_edi::{
    Code, Decimal, Document, Item, LineStatus, Party, Quantity,
    edifact::{self, Decoder, Event, Segments, Version},
    samples,
};

use crate::{date, fixture, outgoing};

fn gln(id: &str) -> Party {
    Party {
        id: id.into(),
        name: None,
    }
}

fn qty(value: &str, unit: &str) -> Quantity {
    Quantity {
        value: value.parse().expect("decimal"),
        unit: unit.into(),
    }
}

#[test]
fn every_document_survives_a_round_trip_in_both_directories() {
    for version in [Version::D96A, Version::D01B] {
        let written = edifact::write(&outgoing(), version, &samples::cycle());
        let reading = edifact::read(written.as_bytes());
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
        assert_eq!(documents, samples::cycle(), "{version:?}\n{written}");
        let envelope = reading.envelope.expect("envelope");
        assert_eq!(envelope.reference, "000000417");
        assert_eq!(envelope.sender, "4912345000019");
        assert_eq!(envelope.prepared, Some(date("2026-11-21")));
    }
}

#[test]
fn a_change_says_why_in_a_header_ftx_after_its_date_or_has_no_ftx() {
    let changes = crate::changes();
    for version in [Version::D96A, Version::D01B] {
        let written = edifact::write(&outgoing(), version, &changes);
        let reading = edifact::read(written.as_bytes());
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, changes, "{version:?}\n{written}");
        assert!(
            written.contains(
                "BGM+230+PO-2026-0001-C1+4'\nDTM+137:20261122:102'\n\
                 FTX+AAI+++週末の特売?: じゃがいも増量?+にんじん追加、にんにくは取りやめ'\n\
                 RFF+ON:PO-2026-0001'"
            ),
            "{written}"
        );
        assert_eq!(written.matches("FTX+").count(), 1, "{written}");

        // Payment instructions and additional information, which the
        // ORDCHG header may carry as ORDERS does, are read past, not refused.
        let with_more = written.replacen(
            "DTM+137:20261122:102'\n",
            "DTM+137:20261122:102'\nPAI+::42'\nALI+JP'\n",
            1,
        );
        let with_more = with_more.replacen(
            &format!("UNT+{}+", changes_segments(&written)),
            &format!("UNT+{}+", changes_segments(&written) + 2),
            1,
        );
        let reading = edifact::read(with_more.as_bytes());
        assert!(
            reading.problems.is_empty(),
            "{:?}\n{with_more}",
            reading.problems
        );
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, changes, "{version:?}");
    }
}

/// The segment count in the first UNT of `written`.
fn changes_segments(written: &str) -> usize {
    let unt = written.find("UNT+").expect("a trailer") + 4;
    written[unt..]
        .split('+')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count")
}

#[test]
fn values_holding_delimiters_are_released_on_the_way_out() {
    let written = edifact::write(&outgoing(), Version::D96A, &samples::cycle());
    assert!(written.contains("L?'玉?+M?:玉??混載"), "{written}");
    assert!(
        written.starts_with("UNA:+.? '\nUNB+UNOW:4+"),
        "UTF-8 text is declared as UNOW"
    );
    let mut plain = samples::large_order(1, 3);
    plain.buyer.name = None;
    plain.seller.name = None;
    let ascii = edifact::write(&outgoing(), Version::D96A, &[Document::Order(plain)]);
    assert!(ascii.contains("UNB+UNOC:3+"), "ASCII-only text stays UNOC");
}

#[test]
fn feeding_in_chunks_of_any_size_reads_the_same_as_reading_at_once() {
    let written = edifact::write(&outgoing(), Version::D01B, &samples::cycle());
    let whole = edifact::read(written.as_bytes());
    for size in [1, 2, 7, 64, 4096] {
        let mut decoder = Decoder::new();
        let mut messages = Vec::new();
        let mut envelope = None;
        let mut on = |e| match e {
            Event::Envelope(e) => envelope = Some(e),
            Event::Message(m) => messages.push(m),
        };
        for chunk in written.as_bytes().chunks(size) {
            decoder.feed(chunk, &mut on);
        }
        let problems = decoder.finish(&mut on);
        assert_eq!(problems, whole.problems, "chunk size {size}");
        assert_eq!(messages, whole.messages, "chunk size {size}");
        assert_eq!(envelope, whole.envelope, "chunk size {size}");
    }
}

#[test]
fn a_hand_written_d96a_order_reads_into_the_order_it_describes() {
    let reading = edifact::read(&fixture("edifact/orders_d96a.edi"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    assert_eq!(reading.messages.len(), 1);
    assert_eq!(reading.messages[0].reference, "ME0001");
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
    assert_eq!(order.seller.id, "4998765000011");
    assert_eq!(order.currency, "JPY");
    assert_eq!(
        order.note.as_deref(),
        Some("朝8時までに裏口へ搬入+検品は店長立会い")
    );
    assert_eq!(order.lines.len(), 2);
    let first = &order.lines[0];
    assert_eq!(
        first.item,
        Item {
            gtin: Some("4901234567894".into()),
            buyer_code: Some("MY-0012".into()),
            seller_code: Some("W-7781".into()),
            description: Some("国産 玉ねぎ 10kg箱".into()),
        }
    );
    assert_eq!(first.quantity, qty("12", "CS"));
    assert_eq!(first.unit_price, Some(Decimal::from_int(2480)));
    assert_eq!(first.requested_delivery, Some(date("2026-11-25")));
    assert_eq!(first.delivery_site.as_deref(), Some("4912345000026"));
    let second = &order.lines[1];
    assert_eq!(second.item.seller_code.as_deref(), Some("W-1200"));
    assert_eq!(
        second.quantity,
        qty("25.5", "KGM"),
        "a comma is a decimal mark too"
    );
    assert_eq!(second.unit_price, Some("318.5".parse().expect("decimal")));
    assert_eq!(second.requested_delivery, None);
}

#[test]
fn a_hand_written_d01b_response_and_despatch_read_into_their_documents() {
    let reading = edifact::read(&fixture("edifact/response_despatch_d01b.edi"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let documents: Vec<&Document> = reading.documents().collect();
    assert_eq!(documents.len(), 2, "{:?}", reading.messages);
    let Document::OrderResponse(response) = documents[0] else {
        panic!("a response")
    };
    assert_eq!(response.order_number, "PO-2026-0417");
    assert_eq!(response.buyer, gln("4912345000019"));
    assert_eq!(response.lines[0].status, LineStatus::Accepted);
    assert_eq!(response.lines[0].quantity, Some(qty("12", "CS")));
    assert_eq!(response.lines[1].status, LineStatus::Changed);
    assert_eq!(
        response.lines[1].confirmed_delivery,
        Some(date("2026-11-26")),
        "format 203 keeps the date"
    );
    assert_eq!(
        response.lines[1].reason.as_deref(),
        Some("在庫不足: 20kgのみ")
    );
    assert_eq!(response.overall(), LineStatus::Changed);
    let Document::DespatchAdvice(despatch) = documents[1] else {
        panic!("a despatch")
    };
    assert_eq!(despatch.number, "DN-0417");
    assert_eq!(despatch.shipped, Some(date("2026-11-24")));
    assert_eq!(despatch.expected_delivery, Some(date("2026-11-25")));
    assert_eq!(despatch.carrier.as_deref(), Some("ヤマト運輸"));
    assert_eq!(despatch.tracking.as_deref(), Some("4455-6677-8899"));
    assert_eq!(despatch.packages, 13);
    assert_eq!(despatch.lines[1].quantity, qty("20", "KGM"));
    assert_eq!(despatch.lines[1].line, 2);
}

#[test]
fn a_hand_written_interchange_with_its_own_delimiters_reads_receipt_and_cancellation() {
    let reading = edifact::read(&fixture("edifact/receipt_cancel_d96a.edi"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let documents: Vec<&Document> = reading.documents().collect();
    assert_eq!(documents.len(), 2, "{:?}", reading.messages);
    let Document::ReceiptAdvice(receipt) = documents[0] else {
        panic!("a receipt")
    };
    assert_eq!(receipt.despatch_number.as_deref(), Some("DN-0417"));
    assert_eq!(receipt.received, Some(date("2026-11-25")));
    assert_eq!(receipt.lines[0].received, qty("11", "CS"));
    assert_eq!(receipt.lines[0].damaged, Decimal::from_int(1));
    assert_eq!(receipt.lines[1].damaged, Decimal::ZERO);
    let Document::OrderCancellation(cancel) = documents[1] else {
        panic!("a cancellation")
    };
    assert_eq!(cancel.order_number, "PO-2026-0418");
    assert_eq!(
        cancel.reason.as_deref(),
        Some("店舗改装のため取消 (25|26日休業)")
    );
}

/// The cycle written, with `edit` applied to the text.
fn edited(edit: impl Fn(String) -> String) -> Vec<u8> {
    let written = edifact::write(&outgoing(), Version::D96A, &samples::cycle());
    let changed = edit(written.clone());
    assert_ne!(
        changed, written,
        "the edit must change the interchange:\n{written}"
    );
    changed.into_bytes()
}

#[test]
fn a_message_with_a_wrong_segment_count_is_rejected_alone() {
    let input = edited(|t| t.replacen("UNT+26+1'", "UNT+25+1'", 1));
    let reading = edifact::read(&input);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let first = &reading.messages[0];
    let problems = first.result.as_ref().expect_err("rejected");
    assert_eq!(problems[0].code, Code::CountMismatch, "{problems:?}");
    assert_eq!(problems[0].place.tag.as_deref(), Some("UNT"));
    assert_eq!(problems[0].place.segment, Some(26), "counted from UNH");
    assert_eq!(problems[0].place.element, Some(1));
    assert_eq!(
        reading.documents().count(),
        5,
        "the other messages go through"
    );
}

#[test]
fn an_unknown_qualifier_is_named_with_its_segment_element_component_and_line() {
    let input = edited(|t| t.replacen("PRI+AAA:2480'", "PRI+XYZ:2480'", 1));
    let reading = edifact::read(&input);
    let problems = reading.messages[0].result.as_ref().expect_err("rejected");
    let p = &problems[0];
    assert_eq!(p.code, Code::UnknownQualifier);
    assert_eq!(
        (p.place.tag.as_deref(), p.place.element, p.place.component),
        (Some("PRI"), Some(1), Some(1))
    );
    let text = String::from_utf8(input.clone()).expect("utf-8");
    let line = text
        .lines()
        .position(|l| l.starts_with("PRI+XYZ"))
        .expect("line")
        + 1;
    assert_eq!(p.place.line, Some(line));
    assert!(p.to_string().contains("`XYZ`"), "{p}");
}

#[test]
fn bad_values_are_refused_where_they_are() {
    let cases = [
        ("QTY+21:12:CS'", "QTY+21:twelve:CS'", Code::Invalid, "QTY"),
        (
            "DTM+137:20261121:102'",
            "DTM+137:20261131:102'",
            Code::Invalid,
            "DTM",
        ),
        (
            "LIN+1++4901234567894:EN'",
            "LIN+1++4901234567895:EN'",
            Code::Invalid,
            "LIN",
        ),
        ("CUX+2:JPY:9'", "CUX+2:yen:9'", Code::Invalid, "CUX"),
        (
            "QTY+21:12:CS'",
            "QTY+21:12:piece'",
            Code::UnknownQualifier,
            "QTY",
        ),
        ("BGM+220+", "BGM+221+", Code::UnknownQualifier, "BGM"),
        ("CNT+2:3'", "CNT+2:4'", Code::CountMismatch, "CNT"),
        ("LIN+2'", "LIN+1'", Code::Rule, "LIN"),
        (
            "NAD+SU+4998765000011::9++品川中央卸 株式会社'\n",
            "",
            Code::Missing,
            "BGM",
        ),
        ("UNS+S'", "UNS+S'\nXYZ+1'", Code::Unexpected, "XYZ"),
    ];
    for (from, to, code, tag) in cases {
        let input = edited(|t| t.replacen(from, to, 1));
        let reading = edifact::read(&input);
        let problems = reading.messages[0].result.as_ref().expect_err(to);
        assert!(
            problems
                .iter()
                .any(|p| p.code == code && p.place.tag.as_deref() == Some(tag)),
            "{to}: {problems:?}"
        );
    }
}

#[test]
fn interchange_faults_reject_the_whole_interchange() {
    let cases: [(&str, &str, Code); 5] = [
        ("UNZ+6+000000417'", "UNZ+5+000000417'", Code::CountMismatch),
        (
            "UNZ+6+000000417'",
            "UNZ+6+000000418'",
            Code::ReferenceMismatch,
        ),
        ("UNZ+6+000000417'\n", "", Code::Missing),
        (
            "UNZ+6+000000417'\n",
            "UNZ+6+000000417'\nUNH+9'",
            Code::Unexpected,
        ),
        ("UNB+UNOW:4+", "UNB+XXXX:4+", Code::UnknownQualifier),
    ];
    for (from, to, code) in cases {
        let input = edited(|t| t.replacen(from, to, 1));
        let reading = edifact::read(&input);
        assert!(reading.rejected(), "{to}");
        assert_eq!(
            reading.problems[0].code, code,
            "{to}: {:?}",
            reading.problems
        );
    }
}

#[test]
fn a_truncated_interchange_says_where_it_stops() {
    let written = edifact::write(&outgoing(), Version::D96A, &samples::cycle());
    for cut in [5, 20, 200, written.len() / 2, written.len() - 3] {
        let reading = edifact::read(&written.as_bytes()[..cut]);
        assert!(reading.rejected(), "cut at {cut}");
        let p = &reading.problems[0];
        assert!(
            matches!(p.code, Code::Syntax | Code::Missing),
            "cut at {cut}: {p:?}"
        );
        assert!(p.place.line.is_some() || cut < 9, "cut at {cut}: {p:?}");
    }
    assert_eq!(edifact::read(b"").problems[0].code, Code::Missing);
}

#[test]
fn duplicate_message_references_and_unsupported_versions_are_refused_per_message() {
    let input = edited(|t| {
        t.replacen("UNH+2+ORDCHG", "UNH+1+ORDCHG", 1)
            .replacen("UNT+25+2'", "UNT+25+1'", 1)
    });
    let reading = edifact::read(&input);
    let problems = reading.messages[1].result.as_ref().expect_err("duplicate");
    assert!(
        problems.iter().any(|p| p.code == Code::Duplicate),
        "{problems:?}"
    );
    let input = edited(|t| t.replacen("ORDRSP:D:96A:UN", "ORDRSP:D:93A:UN", 1));
    let reading = edifact::read(&input);
    let response = reading
        .messages
        .iter()
        .find(|m| m.message_type == "ORDRSP")
        .expect("ORDRSP");
    assert_eq!(
        response.result.as_ref().expect_err("unsupported")[0].code,
        Code::Unsupported
    );
    assert_eq!(reading.documents().count(), 5);
}

#[test]
fn contrl_accepts_the_good_messages_and_points_at_the_bad_ones() {
    let input = edited(|t| t.replacen("PRI+AAA:2480'", "PRI+XYZ:2480'", 1));
    let ack = edifact::read(&input).acknowledgement();
    let contrl = edifact::contrl(&outgoing(), &ack);
    let segments: Vec<_> = Segments::new(contrl.as_bytes())
        .expect("advice")
        .collect::<Result<_, _>>()
        .expect("CONTRL is well-formed");
    let uci = segments.iter().find(|s| s.tag == "UCI").expect("UCI");
    assert_eq!(uci.get(0, 0).as_deref(), Some("000000417"));
    assert_eq!(
        uci.get(3, 0).as_deref(),
        Some("7"),
        "the interchange is accepted"
    );
    let ucm: Vec<_> = segments.iter().filter(|s| s.tag == "UCM").collect();
    assert_eq!(ucm.len(), 6);
    assert_eq!(
        ucm[0].get(2, 0).as_deref(),
        Some("4"),
        "the bad order is rejected"
    );
    assert_eq!(ucm[0].get(3, 0).as_deref(), Some("12"), "invalid value");
    assert!(ucm[1..].iter().all(|s| s.get(2, 0).as_deref() == Some("7")));
    let ucs = segments.iter().find(|s| s.tag == "UCS").expect("UCS");
    let expected = ack.messages[0].problems[0]
        .place
        .segment
        .expect("segment")
        .to_string();
    assert_eq!(ucs.get(0, 0).as_deref(), Some(expected.as_str()));
    let ucd = segments.iter().find(|s| s.tag == "UCD").expect("UCD");
    assert_eq!(ucd.get(1, 0).as_deref(), Some("1"));
    let unt = segments.iter().find(|s| s.tag == "UNT").expect("UNT");
    let unh_at = segments.iter().position(|s| s.tag == "UNH").expect("UNH");
    let unt_at = segments.iter().position(|s| s.tag == "UNT").expect("UNT");
    assert_eq!(
        unt.get(0, 0).as_deref(),
        Some((unt_at - unh_at + 1).to_string().as_str())
    );

    let rejected = edifact::read(&edited(|t| t.replacen("UNZ+6+", "UNZ+2+", 1))).acknowledgement();
    let contrl = edifact::contrl(&outgoing(), &rejected);
    assert!(
        contrl.contains("UCI+000000417+4912345000019+4998765000011+4+29'"),
        "{contrl}"
    );
}

#[test]
fn a_party_name_longer_than_nad_carries_is_refused_not_cut() {
    let long = "長".repeat(176);
    let input = edited(|t| {
        t.replacen(
            "NAD+BY+4912345000019::9++戸越銀座 青果まるやま'",
            &format!("NAD+BY+4912345000019::9++{long}'"),
            1,
        )
    });
    let reading = edifact::read(&input);
    let problems = reading.messages[0].result.as_ref().expect_err("too long");
    assert!(
        problems.iter().any(|p| p.code == Code::Invalid
            && p.place.tag.as_deref() == Some("NAD")
            && p.place.element == Some(4)),
        "{problems:?}"
    );
}

/// The segments of an interchange, each as its tag and elements of
/// components, read back with the syntax layer.
fn segments_of(text: &str) -> Vec<(String, Vec<Vec<String>>)> {
    Segments::new(text.as_bytes())
        .expect("advice")
        .map(|s| {
            let s = s.expect("well-formed");
            let elements = (0..s.element_count())
                .map(|e| {
                    (0..4)
                        .map_while(|c| s.get(e, c).map(|v| v.into_owned()))
                        .collect()
                })
                .collect();
            (s.tag.to_string(), elements)
        })
        .collect()
}

fn elements_of<'a>(
    segments: &'a [(String, Vec<Vec<String>>)],
    tag: &str,
) -> Vec<&'a [Vec<String>]> {
    segments
        .iter()
        .filter(|(t, _)| t == tag)
        .map(|(_, e)| e.as_slice())
        .collect()
}

#[test]
fn the_unb_date_takes_the_form_of_the_syntax_version_written() {
    let utf8 = edifact::write(&outgoing(), Version::D96A, &samples::cycle());
    assert!(
        utf8.contains("UNB+UNOW:4+4912345000019:14+4998765000011:14+20261121:0930+000000417'"),
        "syntax version 4 writes CCYYMMDD: {utf8}"
    );
    let mut plain = samples::large_order(1, 3);
    plain.buyer.name = None;
    plain.seller.name = None;
    let ascii = edifact::write(&outgoing(), Version::D96A, &[Document::Order(plain)]);
    assert!(
        ascii.contains("UNB+UNOC:3+4912345000019:14+4998765000011:14+261121:0930+000000417'"),
        "syntax version 3 writes YYMMDD: {ascii}"
    );
    let contrl = edifact::contrl(
        &outgoing(),
        &edifact::read(utf8.as_bytes()).acknowledgement(),
    );
    assert!(contrl.contains("UNB+UNOW:4+"), "{contrl}");
    assert!(contrl.contains("+20261121:0930+"), "{contrl}");

    for (text, version) in [(utf8, 4), (ascii, 3)] {
        let reading = edifact::read(text.as_bytes());
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        let envelope = reading.envelope.expect("envelope");
        assert_eq!(
            envelope.prepared,
            Some(date("2026-11-21")),
            "version {version}"
        );
        assert_eq!(envelope.time.as_deref(), Some("0930"));
    }
    // The hand-written fixtures: version 4 with CCYYMMDD, and the same
    // interchange declared in version 3 with YYMMDD.
    let v4 = String::from_utf8(fixture("edifact/orders_d96a.edi")).expect("utf-8");
    assert!(v4.contains("UNB+UNOW:4+") && v4.contains("+20261121:0930+"));
    let v3 = v4.replacen("UNB+UNOW:4+", "UNB+UNOC:3+", 1).replacen(
        "+20261121:0930+",
        "+261121:0930+",
        1,
    );
    for text in [v4, v3] {
        let reading = edifact::read(text.as_bytes());
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        assert_eq!(
            reading.envelope.and_then(|e| e.prepared),
            Some(date("2026-11-21"))
        );
    }
}

#[test]
fn contrl_names_each_message_by_type_version_release_and_agency() {
    let reading = edifact::read(&fixture("edifact/orders_d96a.edi"));
    assert_eq!(reading.messages[0].version, "D:96A:UN");
    let contrl = edifact::contrl(&outgoing(), &reading.acknowledgement());
    assert!(
        contrl.contains("UCM+ME0001+ORDERS:D:96A:UN+7'"),
        "UCM carries S009's mandatory parts: {contrl}"
    );

    let input = edited(|t| t.replacen("ORDRSP:D:96A:UN", "ORDRSP:D:93A:UN", 1));
    let contrl = edifact::contrl(&outgoing(), &edifact::read(&input).acknowledgement());
    let segments = segments_of(&contrl);
    let ucm = elements_of(&segments, "UCM");
    assert_eq!(ucm.len(), 6);
    assert_eq!(ucm[0][1], ["ORDERS", "D", "96A", "UN"]);
    assert_eq!(ucm[1][1], ["ORDCHG", "D", "96A", "UN"]);
    let rsp = ucm
        .iter()
        .find(|u| u[1][0] == "ORDRSP")
        .expect("the response");
    assert_eq!(rsp[1], ["ORDRSP", "D", "93A", "UN"], "echoed as sent");
    assert_eq!(rsp[2], ["4"]);
}

#[test]
fn a_wrong_recipient_is_reported_as_not_the_actual_recipient_and_a_wrong_sender_as_unknown() {
    let reading = edifact::read(&fixture("edifact/orders_d96a.edi"));
    for (element, code) in [(3, "7"), (2, "23")] {
        let mut ack = reading.acknowledgement();
        ack.problems.push(renkei_edi::Problem::new(
            Code::UnknownParty,
            renkei_edi::Place {
                tag: Some("UNB".into()),
                element: Some(element),
                ..renkei_edi::Place::default()
            },
            "decided by the caller",
        ));
        let contrl = edifact::contrl(&outgoing(), &ack);
        let expected = format!("UCI+TG0000417+4912345000019+4998765000011+4+{code}'");
        assert!(contrl.contains(&expected), "{expected}: {contrl}");
    }
}

#[test]
fn an_interchange_without_messages_is_rejected_as_lower_level_empty() {
    let input = "UNA:+.? '\nUNB+UNOC:3+4912345000019:14+4998765000011:14+261121:0930+TG0000420'\nUNZ+0+TG0000420'\n";
    let reading = edifact::read(input.as_bytes());
    assert!(reading.rejected());
    assert_eq!(reading.problems.len(), 1, "{:?}", reading.problems);
    let p = &reading.problems[0];
    assert_eq!(p.code, Code::Missing);
    assert_eq!(p.place, renkei_edi::Place::segment(1, "UNB", 2));
    assert!(p.message.contains("no message"), "{p}");
    assert_eq!(edifact::error_code(p), "32");

    let contrl = edifact::contrl(&outgoing(), &reading.acknowledgement());
    assert!(
        contrl.contains("UCI+TG0000420+4912345000019+4998765000011+4+32'"),
        "rejected (action 4), lower level empty: {contrl}"
    );
    assert!(!contrl.contains("UCM"), "{contrl}");
}

#[test]
fn an_unknown_qualifier_is_named_where_it_stands_not_as_a_missing_segment() {
    let cases = [
        ("QTY+21:12:CS'", "QTY+99:12:CS'", "QTY", 1, 1, "`99`", "21"),
        (
            "NAD+BY+4912345000019::9++戸越銀座 青果まるやま'",
            "NAD+XX+4912345000019::9++戸越銀座 青果まるやま'",
            "NAD",
            1,
            1,
            "`XX`",
            "BY",
        ),
        (
            "DTM+137:20261121:102'",
            "DTM+999:20261121:102'",
            "DTM",
            1,
            1,
            "`999`",
            "137",
        ),
        (
            "LIN+1++4901234567894:EN'\nPIA+5+W-7781:SA+MY-0012:BP'",
            "LIN+1++X:XX'",
            "LIN",
            3,
            2,
            "`XX`",
            "EN",
        ),
    ];
    for (from, to, tag, element, component, found, expected) in cases {
        let input = edited(|t| {
            let edited = t.replacen(from, to, 1);
            let shorter = from.matches('\n').count() - to.matches('\n').count();
            edited.replacen("UNT+26+1'", &format!("UNT+{}+1'", 26 - shorter), 1)
        });
        let reading = edifact::read(&input);
        let problems = reading.messages[0].result.as_ref().expect_err(to);
        assert_eq!(problems.len(), 1, "{to}: {problems:?}");
        let p = &problems[0];
        assert_eq!(p.code, Code::UnknownQualifier, "{to}: {p:?}");
        assert_eq!(
            (p.place.tag.as_deref(), p.place.element, p.place.component),
            (Some(tag), Some(element), Some(component)),
            "{to}: {p:?}"
        );
        let text = String::from_utf8(input.clone()).expect("utf-8");
        let line = text
            .lines()
            .position(|l| l.starts_with(&to[..8]))
            .expect("the line")
            + 1;
        assert_eq!(p.place.line, Some(line), "{to}: {p:?}");
        assert!(
            p.message.contains(found) && p.message.contains(expected),
            "{to}: {}",
            p.message
        );
    }
    // A known qualifier that is not the one needed leaves the segment missing.
    let input = edited(|t| {
        t.replacen(
            "NAD+BY+4912345000019::9++戸越銀座 青果まるやま'",
            "NAD+DP+4912345000019::9++戸越銀座 青果まるやま'",
            1,
        )
    });
    let problems = edifact::read(&input).messages[0]
        .result
        .clone()
        .expect_err("no buyer");
    assert_eq!(problems[0].code, Code::Missing, "{problems:?}");
    assert_eq!(problems[0].place.tag.as_deref(), Some("BGM"));
}

#[test]
fn a_segment_with_more_data_elements_than_it_defines_is_refused() {
    let cases = [
        (
            "LIN+1++4901234567894:EN'",
            "LIN+1++4901234567894:EN+++++X'",
            "LIN",
            7,
        ),
        ("QTY+21:12:CS'", "QTY+21:12:CS+1'", "QTY", 2),
        ("PRI+AAA:2480'", "PRI+AAA:2480++X'", "PRI", 3),
        ("BGM+220+", "BGM+220+PO-X+9+AB+X'\nBGM+220+", "BGM", 5),
    ];
    for (from, to, tag, element) in cases {
        let input = edited(|t| {
            let edited = t.replacen(from, to, 1);
            let added = to.matches('\n').count();
            edited.replacen("UNT+26+1'", &format!("UNT+{}+1'", 26 + added), 1)
        });
        let reading = edifact::read(&input);
        let problems = reading.messages[0].result.as_ref().expect_err(to);
        assert!(
            problems.iter().any(|p| p.code == Code::TooMany
                && p.place.tag.as_deref() == Some(tag)
                && p.place.element == Some(element)),
            "{to}: {problems:?}"
        );
    }
    let contrl = edifact::contrl(
        &outgoing(),
        &edifact::read(&edited(|t| {
            t.replacen(
                "LIN+1++4901234567894:EN'",
                "LIN+1++4901234567894:EN+++++X'",
                1,
            )
        }))
        .acknowledgement(),
    );
    assert!(
        contrl.contains("UCD+16+7'"),
        "too many constituents: {contrl}"
    );
}
