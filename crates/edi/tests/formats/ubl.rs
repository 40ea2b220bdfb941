use quick_xml::{Reader, events::Event};
use renkei_edi::{
    Code, Decimal, Document, Item, LineStatus, Party, Problem, Quantity, Reading, samples, ubl,
};

use crate::{date, fixture, outgoing};

fn qty(value: &str, unit: &str) -> Quantity {
    Quantity {
        value: value.parse().expect("decimal"),
        unit: unit.into(),
    }
}

/// The sample document of `kind` written as UBL.
fn written(kind: &str) -> String {
    let document = samples::cycle()
        .into_iter()
        .find(|d| d.kind().as_str() == kind)
        .expect("a sample of that kind");
    ubl::write(&document)
}

/// The sample of `kind` written, with `from` replaced once by `to`.
fn edited(kind: &str, from: &str, to: &str) -> String {
    let text = written(kind);
    let changed = text.replacen(from, to, 1);
    assert_ne!(
        changed, text,
        "the edit must change the document: `{from}` not found"
    );
    changed
}

/// The line (from 1) of the first line holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in\n{text}"))
        + 1
}

/// The problems of the one message, which must have been rejected.
fn message_problems(reading: &Reading) -> &[Problem] {
    assert!(
        reading.problems.is_empty(),
        "a problem of the message, not of the input: {:?}",
        reading.problems
    );
    assert_eq!(reading.messages.len(), 1);
    reading.messages[0].result.as_ref().expect_err("rejected")
}

/// The problem that stopped reading: of the input as a whole, or of its
/// one message when the header had named the parties before it.
fn stopped_by(reading: &Reading) -> &Problem {
    match reading.problems.first() {
        Some(p) => p,
        None => &reading.messages[0].result.as_ref().expect_err("refused")[0],
    }
}

/// [`stopped_by`] of reading `bytes`.
fn stop(bytes: &[u8]) -> Problem {
    stopped_by(&ubl::read(bytes)).clone()
}

fn find(problems: &[Problem], code: Code) -> &Problem {
    problems
        .iter()
        .find(|p| p.code == code)
        .unwrap_or_else(|| panic!("no {code:?} in {problems:?}"))
}

fn assert_at(p: &Problem, path: &str, line: usize) {
    assert_eq!(p.place.path.as_deref(), Some(path), "{p:?}");
    assert_eq!(p.place.line, Some(line), "{p:?}");
}

#[test]
fn every_document_of_the_cycle_survives_a_round_trip() {
    for document in samples::cycle() {
        let text = ubl::write(&document);
        let reading = ubl::read(text.as_bytes());
        assert!(
            reading.problems.is_empty(),
            "{:?}\n{text}",
            reading.problems
        );
        assert_eq!(reading.messages.len(), 1);
        let message = &reading.messages[0];
        assert_eq!(message.result.as_ref(), Ok(&document), "{text}");
        assert_eq!(message.reference, document.number());
        let root = text
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split(' ').next());
        assert_eq!(Some(message.message_type.as_str()), root);
        let envelope = reading.envelope.expect("envelope");
        let (buyer, seller) = document.parties();
        let (sender, recipient) = if document.sent_by_buyer() {
            (buyer, seller)
        } else {
            (seller, buyer)
        };
        assert_eq!(
            (envelope.sender.as_str(), envelope.recipient.as_str()),
            (sender.id.as_str(), recipient.id.as_str())
        );
        assert_eq!(envelope.reference, document.number());
        assert!(envelope.prepared.is_some());
    }
}

#[test]
fn a_change_says_why_in_a_note_where_the_schema_puts_it_or_has_none() {
    for change in crate::changes() {
        let text = ubl::write(&change);
        let reading = ubl::read(text.as_bytes());
        assert!(reading.problems.is_empty(), "{:?}", reading.problems);
        assert_eq!(reading.messages[0].result.as_ref(), Ok(&change), "{text}");
        let Document::OrderChange(c) = &change else {
            panic!("a change")
        };
        let note = text.find("<cbc:Note>");
        assert_eq!(note.is_some(), c.note.is_some(), "{text}");
        if let Some(note) = note {
            let before = text.find("<cbc:SequenceNumberID>").expect("sequence");
            let after = text.find("<cbc:DocumentCurrencyCode>").expect("currency");
            assert!(
                before < note && note < after,
                "UBL 2.1 OrderChange: SequenceNumberID, Note, DocumentCurrencyCode\n{text}"
            );
        }
    }
}

#[test]
fn written_documents_name_their_peppol_profile_and_escape_their_text() {
    let profiles = [
        (
            "order",
            "urn:fdc:peppol.eu:poacc:trns:order:3",
            "urn:fdc:peppol.eu:poacc:bis:ordering:3",
        ),
        (
            "order_change",
            "urn:fdc:peppol.eu:poacc:trns:order_change:3",
            "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
        ),
        (
            "order_cancellation",
            "urn:fdc:peppol.eu:poacc:trns:order_cancellation:3",
            "urn:fdc:peppol.eu:poacc:bis:advanced_ordering:3",
        ),
        (
            "order_response",
            "urn:fdc:peppol.eu:poacc:trns:order_response:3",
            "urn:fdc:peppol.eu:poacc:bis:ordering:3",
        ),
        (
            "despatch_advice",
            "urn:fdc:peppol.eu:poacc:trns:despatch_advice:3",
            "urn:fdc:peppol.eu:poacc:bis:despatch_advice:3",
        ),
        (
            "receipt_advice",
            "urn:fdc:peppol.eu:poacc:trns:receipt_advice:3",
            "urn:fdc:peppol.eu:poacc:bis:receipt_advice:3",
        ),
    ];
    for (kind, customization, profile) in profiles {
        let text = written(kind);
        assert!(
            text.contains(&format!(
                "<cbc:CustomizationID>{customization}</cbc:CustomizationID>"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("<cbc:ProfileID>{profile}</cbc:ProfileID>")),
            "{text}"
        );
        well_formed(&text);
    }
    let order = written("order");
    assert!(
        order.contains("(L'玉+M:玉?混載*~&lt;&amp;&gt;,\"特選\")</cbc:Name>"),
        "{order}"
    );
    assert!(order.contains("<cbc:EndpointID schemeID=\"0088\">4912345000019</cbc:EndpointID>"));
    assert!(order.contains("<cbc:ID schemeID=\"0160\">4901234567894</cbc:ID>"));
    assert!(order.contains("<cbc:Quantity unitCode=\"KGM\">25.5</cbc:Quantity>"));
    assert!(order.contains("<cbc:PriceAmount currencyID=\"JPY\">318.5</cbc:PriceAmount>"));
    assert!(
        written("order_response").contains("<cbc:OrderResponseCode>CA</cbc:OrderResponseCode>")
    );
    let mut tricky = samples::order();
    tricky.note = Some("a\r\nb\tc \"q\" 'a' ]]> \u{1}".into());
    tricky.buyer.id = "id with \"quotes\" & <angles>".into();
    let text = ubl::write(&Document::Order(tricky.clone()));
    well_formed(&text);
    let back = ubl::read(text.as_bytes());
    let Ok(Document::Order(order)) = &back.messages[0].result else {
        panic!("{:?}", back.messages)
    };
    assert_eq!(order.buyer.id, tricky.buyer.id);
    assert_eq!(
        order.note.as_deref(),
        Some("a\r\nb\tc \"q\" 'a' ]]> \u{FFFD}"),
        "CR survives, a control character cannot"
    );
}

/// Reads `text` with a plain XML reader to the end; panics if it is not well-formed.
fn well_formed(text: &str) -> usize {
    let mut reader = Reader::from_str(text);
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => return elements,
            Ok(Event::Start(_) | Event::Empty(_)) => elements += 1,
            Ok(_) => {}
            Err(e) => panic!(
                "not well-formed at {}: {e}\n{text}",
                reader.error_position()
            ),
        }
    }
}

#[test]
fn a_large_order_reads_back_whole() {
    let order = samples::large_order(7, 5_000);
    let text = ubl::write(&Document::Order(order.clone()));
    let reading = ubl::read(text.as_bytes());
    assert_eq!(reading.messages[0].result, Ok(Document::Order(order)));
}

#[test]
fn an_order_with_its_own_prefixes_reads_into_the_order_it_describes() {
    let reading = ubl::read(&fixture("ubl/order_prefixed.xml"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    assert_eq!(reading.messages.len(), 1);
    assert_eq!(reading.messages[0].reference, "PO-2026-0417");
    assert_eq!(reading.messages[0].message_type, "Order");
    let Ok(Document::Order(order)) = &reading.messages[0].result else {
        panic!("an order: {:?}", reading.messages[0].result);
    };
    assert_eq!(
        order.number, "PO-2026-0417",
        "the extension's cbc:ID is not the order's"
    );
    assert_eq!(order.issued, date("2026-11-21"), "a time zone is accepted");
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
        },
        "party identification and registration name stand in for endpoint and party name"
    );
    assert_eq!(order.currency, "JPY");
    assert_eq!(
        order.note.as_deref(),
        Some("朝8時までに裏口へ搬入 & 検品は店長立会い")
    );
    assert_eq!(order.lines.len(), 2);
    let first = &order.lines[0];
    assert_eq!(first.line, 1);
    assert_eq!(
        first.item,
        Item {
            gtin: Some("4901234567894".into()),
            buyer_code: Some("MY-0012".into()),
            seller_code: Some("W-7781".into()),
            description: Some("国産 玉ねぎ 10kg箱 (L'玉)".into()),
        }
    );
    assert_eq!(first.quantity, qty("12", "CS"));
    assert_eq!(first.unit_price, Some(Decimal::from_int(2480)));
    assert_eq!(first.requested_delivery, Some(date("2026-11-25")));
    assert_eq!(first.delivery_site.as_deref(), Some("4912345000026"));
    let second = &order.lines[1];
    assert_eq!(
        second.line, 2,
        "b:ID rebound to another namespace is not cbc:ID"
    );
    assert_eq!(second.quantity, qty("25.5", "KGM"));
    assert_eq!(second.unit_price, Some("318.5".parse().expect("decimal")));
    assert_eq!(
        second.item,
        Item {
            gtin: None,
            buyer_code: None,
            seller_code: Some("W-1200".into()),
            description: Some("じゃがいも <男爵> & \"特選\"".into()),
        },
        "cbc as the default namespace, CDATA kept as text"
    );
    assert_eq!(
        (second.requested_delivery, second.delivery_site.as_deref()),
        (None, None)
    );
    let envelope = reading.envelope.expect("envelope");
    assert_eq!(
        (envelope.sender.as_str(), envelope.recipient.as_str()),
        ("4912345000019", "4998765000011")
    );
    assert_eq!(envelope.prepared, Some(date("2026-11-21")));
}

#[test]
fn a_hand_written_order_response_reads_line_by_order_line() {
    let reading = ubl::read(&fixture("ubl/order_response.xml"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let Ok(Document::OrderResponse(response)) = &reading.messages[0].result else {
        panic!("a response: {:?}", reading.messages[0].result);
    };
    assert_eq!(response.number, "RSP-0417");
    assert_eq!(response.order_number, "PO-2026-0417");
    assert_eq!(response.issued, date("2026-11-21"));
    assert_eq!(
        response.seller,
        Party {
            id: "4998765000011".into(),
            name: Some("品川中央卸 株式会社".into())
        }
    );
    assert_eq!(
        response.buyer,
        Party {
            id: "4912345000019".into(),
            name: None
        }
    );
    assert_eq!(response.currency, "JPY");
    let lines: Vec<(u32, LineStatus)> = response.lines.iter().map(|l| (l.line, l.status)).collect();
    assert_eq!(
        lines,
        [
            (1, LineStatus::Accepted),
            (2, LineStatus::Changed),
            (3, LineStatus::Rejected)
        ],
        "lines are the order's, not the response's R1, R2, R3"
    );
    let [accepted, changed, rejected] = &response.lines[..] else {
        panic!("three lines")
    };
    assert_eq!(accepted.quantity, Some(qty("12", "CS")));
    assert_eq!(accepted.unit_price, Some(Decimal::from_int(2480)));
    assert_eq!(accepted.confirmed_delivery, Some(date("2026-11-25")));
    assert_eq!(accepted.item.gtin.as_deref(), Some("4901234567894"));
    assert_eq!(
        accepted.item.description.as_deref(),
        Some("国産 玉ねぎ 10kg箱")
    );
    assert_eq!(accepted.reason, None);
    assert_eq!(changed.quantity, Some(qty("20", "KGM")));
    assert_eq!(changed.unit_price, None);
    assert_eq!(changed.confirmed_delivery, Some(date("2026-11-26")));
    assert_eq!(changed.reason.as_deref(), Some("在庫不足: 20kgのみ"));
    assert_eq!(changed.item.seller_code.as_deref(), Some("W-1200"));
    assert_eq!(
        rejected.quantity, None,
        "a rejected line's zero is no quantity"
    );
    assert_eq!(
        rejected.reason.as_deref(),
        Some("取扱終了"),
        "the line item's note"
    );
    assert_eq!(rejected.item.buyer_code.as_deref(), Some("MY-0099"));
    assert_eq!(response.overall(), LineStatus::Changed);
    let envelope = reading.envelope.expect("envelope");
    assert_eq!(
        envelope.sender, "4998765000011",
        "the seller sends a response"
    );
}

#[test]
fn a_hand_written_despatch_advice_reads_its_shipment_and_order_lines() {
    let reading = ubl::read(&fixture("ubl/despatch_advice.xml"));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let Ok(Document::DespatchAdvice(despatch)) = &reading.messages[0].result else {
        panic!("a despatch advice: {:?}", reading.messages[0].result);
    };
    assert_eq!(despatch.number, "DN-0417");
    assert_eq!(despatch.order_number, "PO-2026-0417");
    assert_eq!(despatch.issued, date("2026-11-24"));
    assert_eq!(
        despatch.seller,
        Party {
            id: "4998765000011".into(),
            name: Some("品川中央卸 株式会社".into())
        }
    );
    assert_eq!(
        despatch.buyer,
        Party {
            id: "4912345000019".into(),
            name: Some("戸越銀座 青果まるやま".into())
        }
    );
    assert_eq!(despatch.shipped, Some(date("2026-11-24")));
    assert_eq!(despatch.expected_delivery, Some(date("2026-11-25")));
    assert_eq!(despatch.carrier.as_deref(), Some("ヤマト運輸"));
    assert_eq!(despatch.tracking.as_deref(), Some("4455-6677-8899"));
    assert_eq!(despatch.packages, 13);
    assert_eq!(despatch.lines.len(), 2);
    assert_eq!(despatch.lines[0].line, 1, "the order line, not D-01");
    assert_eq!(despatch.lines[0].quantity, qty("12", "CS"));
    assert_eq!(
        despatch.lines[0].item.gtin.as_deref(),
        Some("4901234567894")
    );
    assert_eq!(
        despatch.lines[0].item.seller_code.as_deref(),
        Some("W-7781")
    );
    assert_eq!(despatch.lines[1].line, 2);
    assert_eq!(despatch.lines[1].quantity, qty("20", "KGM"));
    assert_eq!(despatch.lines[1].item.description, None);
    let envelope = reading.envelope.expect("envelope");
    assert_eq!(
        (envelope.sender.as_str(), envelope.recipient.as_str()),
        ("4998765000011", "4912345000019")
    );
}

#[test]
fn malformed_xml_is_a_syntax_problem_with_its_line() {
    // Malformed in the lines, after the header named the parties: the
    // one message is rejected, addressed.
    let text = edited("order", "</cbc:Quantity>", "</cbc:Quantit>");
    let reading = ubl::read(text.as_bytes());
    assert!(reading.envelope.is_some());
    let problems = message_problems(&reading);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.code, Code::Syntax);
    assert_at(
        p,
        "/Order/cac:OrderLine[1]/cac:LineItem/cbc:Quantity",
        line_of(&text, "</cbc:Quantit>"),
    );

    // Before the parties: a problem of the input, with no one to answer.
    let text = edited("order", "<cbc:Note>", "<cbc:Note a=1>");
    let reading = ubl::read(text.as_bytes());
    assert!(reading.messages.is_empty() && reading.envelope.is_none());
    assert!(reading.rejected());
    let p = &reading.problems[0];
    assert_eq!(p.code, Code::Syntax, "{p:?}");
    assert_at(p, "/Order", line_of(&text, "<cbc:Note a=1>"));

    let text = edited("order", "<cbc:Note>", "<cbc:Note>&nbsp;");
    let p = &stop(text.as_bytes());
    assert_eq!(p.code, Code::Syntax, "{p:?}");
    assert_at(p, "/Order/cbc:Note", line_of(&text, "&nbsp;"));
    assert!(p.message.contains("&nbsp;"), "{p:?}");

    let mut bytes = written("order").into_bytes();
    let at = bytes
        .windows(3)
        .position(|w| w == "午".as_bytes())
        .expect("note");
    bytes[at] = 0xFF;
    let p = &stop(&bytes);
    assert_eq!(p.code, Code::Syntax, "{p:?}");
    assert_eq!(p.place.line, Some(7), "{p:?}");

    let text = edited("order", "</Order>", "</Order>\n<Order/>");
    let p = &stop(text.as_bytes());
    assert_eq!(p.code, Code::Syntax, "{p:?}");
    assert_eq!(p.place.line, Some(line_of(&text, "<Order/>")), "{p:?}");
}

#[test]
fn a_document_cut_anywhere_is_refused_without_panic() {
    for kind in ["order", "despatch_advice"] {
        let text = written(kind);
        let bytes = text.as_bytes();
        let complete = text.trim_end().len();
        for cut in 0..complete {
            let reading = ubl::read(&bytes[..cut]);
            let refused = reading.rejected() || reading.messages.iter().any(|m| m.result.is_err());
            assert!(refused, "{kind} cut at {cut} was accepted");
            let p = stopped_by(&reading);
            assert!(
                matches!(p.code, Code::Syntax | Code::Missing),
                "{kind} cut at {cut}: {p:?}"
            );
            let expected = bytes[..cut].iter().filter(|&&b| b == b'\n').count() + 1;
            assert!(
                cut < 40 || p.place.line.is_some_and(|l| l <= expected),
                "{kind} cut at {cut}: {p:?}"
            );
        }
    }
    let text = written("order");
    let cut = text.find("<cac:OrderLine>").expect("a line") + 200;
    // The header named both parties and the number: the one message is
    // rejected, and the reading is addressed so that it can be answered.
    let reading = ubl::read(&text.as_bytes()[..cut]);
    let envelope = reading.envelope.as_ref().expect("the parties were read");
    assert_eq!(envelope.reference, "PO-2026-0001");
    assert_eq!(reading.messages[0].reference, "PO-2026-0001");
    let p = &stop(&text.as_bytes()[..cut]);
    assert_eq!(p.code, Code::Syntax);
    assert!(
        p.place
            .path
            .as_deref()
            .is_some_and(|x| x.starts_with("/Order/cac:OrderLine[1]/")),
        "{p:?}"
    );
    assert_eq!(stop(b"").code, Code::Missing);
}

#[test]
fn mutated_documents_never_panic() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for document in samples::cycle() {
        let original = ubl::write(&document).into_bytes();
        for _ in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..4 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let at = (seed >> 33) as usize % bytes.len();
                bytes[at] = match seed & 3 {
                    0 => b'<',
                    1 => b'>',
                    2 => (seed >> 8) as u8,
                    _ => b'/',
                };
            }
            let reading = ubl::read(&bytes);
            assert!(reading.messages.len() <= 1);
        }
    }
    let deep = format!(
        "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\">{}",
        "<x>".repeat(100_000)
    );
    assert_eq!(
        stop(deep.as_bytes()).code,
        Code::Unsupported,
        "nesting is bounded"
    );
}

#[test]
fn an_unknown_root_or_namespace_is_unsupported() {
    let text = edited(
        "order",
        "<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\"",
        "<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\"",
    )
    .replace("</Order>", "</Invoice>");
    let reading = ubl::read(text.as_bytes());
    assert!(reading.messages.is_empty());
    let p = &reading.problems[0];
    assert_eq!(p.code, Code::Unsupported);
    assert_at(p, "/Invoice", 2);

    // A known root in another namespace is refused with that one problem,
    // but read for its parties, so that the sender can be answered.
    let text = edited("order", "xsd:Order-2\"", "xsd:Order-3\"");
    let reading = ubl::read(text.as_bytes());
    let problems = message_problems(&reading);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.code, Code::Unsupported);
    assert_at(p, "/Order", 2);
    assert!(p.message.contains("Order-3"), "{p:?}");
    assert_eq!(
        reading.envelope.as_ref().map(|e| e.reference.as_str()),
        Some("PO-2026-0001")
    );

    let text = edited("order", "encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"");
    assert_eq!(stop(text.as_bytes()).code, Code::Unsupported);
}

#[test]
fn a_missing_document_number_is_named_by_its_path() {
    let text = edited("order", "  <cbc:ID>PO-2026-0001</cbc:ID>\n", "");
    let reading = ubl::read(text.as_bytes());
    let problems = message_problems(&reading);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].code, Code::Missing);
    assert_at(&problems[0], "/Order/cbc:ID", 2);
    assert!(reading.envelope.is_none(), "no reference, no envelope");

    let text = edited("order", "      <cbc:ID>2</cbc:ID>\n", "");
    let reading = ubl::read(text.as_bytes());
    let p = find(message_problems(&reading), Code::Missing);
    assert_at(
        p,
        "/Order/cac:OrderLine[2]/cac:LineItem/cbc:ID",
        line_of(&text, "<cbc:Quantity unitCode=\"KGM\"") - 1,
    );

    let text = edited(
        "despatch_advice",
        "<cac:OrderReference>\n    <cbc:ID>PO-2026-0001</cbc:ID>",
        "<cac:OrderReference>\n    <cbc:UUID>x</cbc:UUID>",
    );
    let reading = ubl::read(text.as_bytes());
    let p = find(message_problems(&reading), Code::Missing);
    assert_at(
        p,
        "/DespatchAdvice/cac:OrderReference/cbc:ID",
        line_of(&text, "<cac:OrderReference>"),
    );
}

#[test]
fn bad_values_are_refused_at_their_element_and_line() {
    let cases: [(&str, &str, &str, Code, &str); 9] = [
        (
            "order",
            "<cbc:Quantity unitCode=\"KGM\">25.5</cbc:Quantity>",
            "<cbc:Quantity unitCode=\"KGM\">25,5 kg</cbc:Quantity>",
            Code::Invalid,
            "/Order/cac:OrderLine[2]/cac:LineItem/cbc:Quantity",
        ),
        (
            "order",
            "<cbc:Quantity unitCode=\"KGM\">25.5</cbc:Quantity>",
            "<cbc:Quantity unitCode=\"kilo\">25.5</cbc:Quantity>",
            Code::UnknownQualifier,
            "/Order/cac:OrderLine[2]/cac:LineItem/cbc:Quantity/@unitCode",
        ),
        (
            "order",
            "<cbc:IssueDate>2026-11-21</cbc:IssueDate>",
            "<cbc:IssueDate>2026-11-31</cbc:IssueDate>",
            Code::Invalid,
            "/Order/cbc:IssueDate",
        ),
        (
            "order",
            "<cbc:EndDate>2026-11-25</cbc:EndDate>",
            "<cbc:EndDate>25.11.2026</cbc:EndDate>",
            Code::Invalid,
            "/Order/cac:OrderLine[1]/cac:LineItem/cac:Delivery/cac:RequestedDeliveryPeriod/cbc:EndDate",
        ),
        (
            "order",
            ">4901234567894</cbc:ID>",
            ">4901234567895</cbc:ID>",
            Code::Invalid,
            "/Order/cac:OrderLine[1]/cac:LineItem/cac:Item/cac:StandardItemIdentification/cbc:ID",
        ),
        (
            "order",
            "<cbc:DocumentCurrencyCode>JPY</cbc:DocumentCurrencyCode>",
            "<cbc:DocumentCurrencyCode>yen</cbc:DocumentCurrencyCode>",
            Code::Invalid,
            "/Order/cbc:DocumentCurrencyCode",
        ),
        (
            "order",
            "<cbc:PriceAmount currencyID=\"JPY\">318.5</cbc:PriceAmount>",
            "<cbc:PriceAmount currencyID=\"USD\">318.5</cbc:PriceAmount>",
            Code::Invalid,
            "/Order/cac:OrderLine[2]/cac:LineItem/cac:Price/cbc:PriceAmount/@currencyID",
        ),
        (
            "order_change",
            "<cbc:LineStatusCode>2</cbc:LineStatusCode>",
            "<cbc:LineStatusCode>9</cbc:LineStatusCode>",
            Code::UnknownQualifier,
            "/OrderChange/cac:OrderLine[2]/cac:LineItem/cbc:LineStatusCode",
        ),
        (
            "order_response",
            "<cbc:OrderResponseCode>CA</cbc:OrderResponseCode>",
            "<cbc:OrderResponseCode>OK</cbc:OrderResponseCode>",
            Code::UnknownQualifier,
            "/OrderResponse/cbc:OrderResponseCode",
        ),
    ];
    for (kind, from, to, code, path) in cases {
        let text = edited(kind, from, to);
        let reading = ubl::read(text.as_bytes());
        let problems = message_problems(&reading);
        let p = find(problems, code);
        assert_at(p, path, line_of(&text, to));
        assert!(!p.message.is_empty());
    }
    let text = edited(
        "order_response",
        "<cbc:LineStatusCode>7</cbc:LineStatusCode>",
        "<cbc:LineStatusCode>X</cbc:LineStatusCode>",
    );
    let reading = ubl::read(text.as_bytes());
    let p = find(message_problems(&reading), Code::UnknownQualifier);
    assert_at(
        p,
        "/OrderResponse/cac:OrderLine[3]/cac:LineItem/cbc:LineStatusCode",
        line_of(&text, ">X<"),
    );
}

#[test]
fn a_line_number_used_twice_and_a_document_without_lines_break_the_rules() {
    let text = edited("order", "<cbc:ID>2</cbc:ID>", "<cbc:ID>1</cbc:ID>");
    let reading = ubl::read(text.as_bytes());
    let problems = message_problems(&reading);
    let p = find(problems, Code::Rule);
    let second = text
        .match_indices("<cbc:ID>1</cbc:ID>")
        .nth(1)
        .expect("second line id")
        .0;
    assert_at(
        p,
        "/Order/cac:OrderLine[2]/cac:LineItem/cbc:ID",
        text[..second].matches('\n').count() + 1,
    );

    let text = edited(
        "despatch_advice",
        "<cbc:LineID>2</cbc:LineID>",
        "<cbc:LineID>1</cbc:LineID>",
    );
    let reading = ubl::read(text.as_bytes());
    let p = find(message_problems(&reading), Code::Rule);
    assert_eq!(
        p.place.path.as_deref(),
        Some("/DespatchAdvice/cac:DespatchLine[2]/cac:OrderLineReference/cbc:LineID")
    );

    let text = written("order");
    let start = text.find("  <cac:OrderLine>").expect("lines");
    let end = text.rfind("</cac:OrderLine>\n").expect("lines") + "</cac:OrderLine>\n".len();
    let without = format!("{}{}", &text[..start], &text[end..]);
    let reading = ubl::read(without.as_bytes());
    let p = find(message_problems(&reading), Code::Rule);
    assert_at(p, "/Order/cac:OrderLine[1]", 2);
}

#[test]
fn the_application_response_accepts_or_names_each_problem() {
    let good = ubl::read(written("order").as_bytes()).acknowledgement();
    let mlr = ubl::application_response(&outgoing(), &good);
    well_formed(&mlr);
    assert!(
        mlr.contains(
            "<cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:mlr:3</cbc:CustomizationID>"
        ),
        "{mlr}"
    );
    assert!(mlr.contains("<cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:mlr:3</cbc:ProfileID>"));
    assert!(
        mlr.contains("<cbc:ResponseCode>AP</cbc:ResponseCode>"),
        "{mlr}"
    );
    assert!(
        mlr.contains("<cbc:ID>PO-2026-0001</cbc:ID>"),
        "the order is referenced"
    );
    assert!(mlr.contains("<cbc:DocumentTypeCode>220</cbc:DocumentTypeCode>"));
    assert!(mlr.contains("<cbc:IssueTime>09:30:00</cbc:IssueTime>"));
    assert!(!mlr.contains("LineResponse"));

    let text = edited(
        "order",
        "<cbc:Quantity unitCode=\"KGM\">25.5<",
        "<cbc:Quantity unitCode=\"kilo\">x<",
    )
    .replacen("<cbc:ID>2</cbc:ID>", "<cbc:ID>1</cbc:ID>", 1);
    let bad = ubl::read(text.as_bytes()).acknowledgement();
    let problems = &bad.messages[0].problems;
    assert!(problems.len() >= 3, "{problems:?}");
    let mlr = ubl::application_response(&outgoing(), &bad);
    well_formed(&mlr);
    assert!(
        mlr.contains("<cbc:ResponseCode>RE</cbc:ResponseCode>"),
        "{mlr}"
    );
    assert_eq!(mlr.matches("<cac:LineResponse>").count(), problems.len());
    assert_eq!(
        mlr.matches("<cbc:StatusReasonCode>BV</cbc:StatusReasonCode>")
            .count(),
        problems.len()
    );
    for p in problems {
        let path = p.place.path.as_deref().expect("path");
        assert!(
            mlr.contains(&format!("<cbc:LineID>{path}</cbc:LineID>")),
            "{path}\n{mlr}"
        );
        let escaped = p
            .message
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(mlr.contains(&escaped), "{}\n{mlr}", p.message);
    }

    let broken = ubl::read(
        b"<Order xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Order-2\">\n<a></b></Order>",
    )
    .acknowledgement();
    let mlr = ubl::application_response(&outgoing(), &broken);
    well_formed(&mlr);
    assert!(mlr.contains("<cbc:ResponseCode>RE</cbc:ResponseCode>"));
    assert!(
        mlr.contains("<cbc:StatusReasonCode>SV</cbc:StatusReasonCode>"),
        "{mlr}"
    );
    assert!(mlr.contains("(line 2, syntax)"), "{mlr}");

    // A document cut short in its lines is answered about itself: the
    // order's number is referenced, the violation is one of syntax.
    let text = written("order");
    let cut = text.find("<cac:OrderLine>").expect("a line") + 200;
    let truncated = ubl::read(&text.as_bytes()[..cut]).acknowledgement();
    let mlr = ubl::application_response(&outgoing(), &truncated);
    well_formed(&mlr);
    assert!(mlr.contains("<cbc:ResponseCode>RE</cbc:ResponseCode>"));
    assert!(mlr.contains("<cbc:ID>PO-2026-0001</cbc:ID>"), "{mlr}");
    assert!(
        mlr.contains("<cbc:StatusReasonCode>SV</cbc:StatusReasonCode>"),
        "{mlr}"
    );

    // An element the schema requires, absent, is a syntax violation too;
    // a value that breaks a rule is a business rule violation.
    let text = edited("order", "  <cbc:IssueDate>2026-11-21</cbc:IssueDate>\n", "").replacen(
        "<cbc:ID>2</cbc:ID>",
        "<cbc:ID>1</cbc:ID>",
        1,
    );
    let ack = ubl::read(text.as_bytes()).acknowledgement();
    let codes: Vec<Code> = ack.messages[0].problems.iter().map(|p| p.code).collect();
    assert!(
        codes.contains(&Code::Missing) && codes.contains(&Code::Rule),
        "{codes:?}"
    );
    let mlr = ubl::application_response(&outgoing(), &ack);
    for (reason, count) in [("SV", 1), ("BV", codes.len() - 1)] {
        assert_eq!(
            mlr.matches(&format!(
                "<cbc:StatusReasonCode>{reason}</cbc:StatusReasonCode>"
            ))
            .count(),
            count,
            "{codes:?}\n{mlr}"
        );
    }
}
