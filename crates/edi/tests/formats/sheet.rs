//! The flat spreadsheet layout: round trips through CSV and .xlsx in both
//! header languages, hand-written CSV files and a hand-built workbook read
//! into the documents they stand for, and bad input refused with the row
//! and column named — never with a panic.

use std::io::{Cursor, Write};

use renkei_edi::{
    ChangeAction, Code, Decimal, Document, DocumentKind, Item, LineStatus, Party, Problem,
    Quantity, Reading, samples,
    sheet::{self, Language},
};
use zip::{ZipWriter, write::SimpleFileOptions};

use crate::{date, fixture};

fn qty(value: &str, unit: &str) -> Quantity {
    Quantity {
        value: value.parse().expect("decimal"),
        unit: unit.into(),
    }
}

fn dec(value: &str) -> Decimal {
    value.parse().expect("decimal")
}

/// Every problem of a reading: of the whole, then of each message.
fn all_problems(reading: &Reading) -> Vec<Problem> {
    let mut out = reading.problems.clone();
    for m in &reading.messages {
        if let Err(p) = &m.result {
            out.extend(p.iter().cloned());
        }
    }
    out
}

fn assert_clean(reading: &Reading) {
    assert!(
        all_problems(reading).is_empty(),
        "{:#?}",
        all_problems(reading)
    );
}

#[test]
fn the_cycle_survives_a_round_trip_through_csv_in_both_languages() {
    for language in [Language::English, Language::Japanese] {
        let written = sheet::write_csv(&samples::cycle(), language);
        let reading = sheet::read_csv(&written);
        assert_clean(&reading);
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(
            documents,
            samples::cycle(),
            "{language:?}\n{}",
            String::from_utf8_lossy(&written)
        );
        let kinds: Vec<&str> = reading
            .messages
            .iter()
            .map(|m| m.message_type.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "order",
                "order_change",
                "order_cancellation",
                "order_response",
                "despatch_advice",
                "receipt_advice"
            ]
        );
        assert_eq!(reading.messages[3].reference, "RSP-88120");
        assert!(reading.envelope.is_none());
    }
}

#[test]
fn the_cycle_survives_a_round_trip_through_xlsx_in_both_languages() {
    for language in [Language::English, Language::Japanese] {
        let written = sheet::write_xlsx(&samples::cycle(), language);
        assert!(written.starts_with(b"PK\x03\x04"), "a zip archive");
        let reading = sheet::read_xlsx(&written);
        assert_clean(&reading);
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, samples::cycle(), "{language:?}");
    }
}

#[test]
fn csv_is_written_for_excel_with_a_bom_crlf_and_quoted_delimiters() {
    let written = sheet::write_csv(&samples::cycle(), Language::English);
    assert!(written.starts_with(b"\xEF\xBB\xBFdocument_type,number,order_number,issued,"));
    let text = String::from_utf8(written[3..].to_vec()).expect("utf-8");
    assert!(text.ends_with("\r\n"));
    assert_eq!(
        text.matches("\r\n").count(),
        1 + 3 + 3 + 1 + 3 + 2 + 2,
        "a header and one row per line"
    );
    assert!(
        text.contains(r#","国産 玉ねぎ 10kg箱 (L'玉+M:玉?混載*~<&>,""特選"")","#),
        "{text}"
    );
    assert!(
        text.contains(",2026-11-25,"),
        "dates are written YYYY-MM-DD"
    );
    let japanese =
        String::from_utf8(sheet::write_csv(&samples::cycle(), Language::Japanese)).expect("utf-8");
    assert!(
        japanese.starts_with("\u{FEFF}文書種別,文書番号,発注番号,発行日,"),
        "{japanese}"
    );
    assert!(japanese.contains("\r\n発注,PO-2026-0001,"));
    assert!(japanese.contains(",承諾,") && japanese.contains(",追加,"));
}

#[test]
fn text_a_spreadsheet_would_run_as_a_formula_is_guarded_and_still_round_trips() {
    let mut order = samples::order();
    order.lines[0].item.description = Some("=HYPERLINK(\"http://x\")".into());
    order.lines[1].item.description = Some("-5 kg".into());
    order.lines[2].item.description = Some("'quoted".into());
    order.note = Some("@home".into());
    let documents = [Document::Order(order)];
    let written =
        String::from_utf8(sheet::write_csv(&documents, Language::English)).expect("utf-8");
    assert!(
        written.contains(r#","'=HYPERLINK(""http://x"")","#),
        "{written}"
    );
    assert!(
        written.contains(",'-5 kg,")
            && written.contains(",''quoted,")
            && written.contains(",'@home,"),
        "{written}"
    );
    let reading = sheet::read_csv(written.as_bytes());
    assert_clean(&reading);
    assert_eq!(reading.documents().cloned().collect::<Vec<_>>(), documents);
}

#[test]
fn a_hand_written_japanese_csv_reads_into_the_order_and_cancellation_it_describes() {
    let input = fixture("sheet/order_ja.csv");
    assert!(
        input.starts_with(b"\xEF\xBB\xBF") && input.windows(2).any(|w| w == b"\r\n"),
        "BOM and CRLF"
    );
    let reading = sheet::read_csv(&input);
    assert_clean(&reading);
    assert_eq!(reading.messages.len(), 2);
    assert_eq!(reading.messages[0].reference, "PO-2026-0417");
    assert_eq!(reading.messages[0].message_type, "order");
    let Ok(Document::Order(order)) = &reading.messages[0].result else {
        panic!("an order")
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
        Some("朝8時までに裏口へ搬入\r\n検品は店長立会い"),
        "a quoted line break is kept"
    );
    assert_eq!(
        order.lines.len(),
        2,
        "the second row repeats no document values"
    );
    let first = &order.lines[0];
    assert_eq!(first.line, 1);
    assert_eq!(
        first.item,
        Item {
            gtin: Some("4901234567894".into()),
            buyer_code: Some("MY-0012".into()),
            seller_code: Some("W-7781".into()),
            description: Some("国産 玉ねぎ 10kg箱 \"特選\", L玉".into()),
        }
    );
    assert_eq!(first.quantity, qty("12", "CS"));
    assert_eq!(
        first.unit_price,
        Some(Decimal::from_int(2480)),
        "a thousands separator in a quoted cell"
    );
    assert_eq!(
        first.requested_delivery,
        Some(date("2026-11-25")),
        "2026/11/25"
    );
    assert_eq!(first.delivery_site.as_deref(), Some("4912345000026"));
    let second = &order.lines[1];
    assert_eq!(second.line, 2);
    assert_eq!(
        second.item,
        Item {
            seller_code: Some("W-1200".into()),
            description: Some("じゃがいも 男爵".into()),
            ..Item::default()
        }
    );
    assert_eq!(second.quantity, qty("25.5", "KGM"), "kg reads as KGM");
    assert_eq!(second.unit_price, Some(dec("318.5")));
    assert_eq!(
        second.requested_delivery,
        Some(date("2026-01-05")),
        "2026/1/5"
    );
    assert_eq!(second.delivery_site, None);
    let Ok(Document::OrderCancellation(cancel)) = &reading.messages[1].result else {
        panic!("a cancellation")
    };
    assert_eq!(cancel.number, "PO-2026-0418-X");
    assert_eq!(cancel.order_number, "PO-2026-0418");
    assert_eq!(cancel.issued, date("2026-11-22"));
    assert_eq!(
        cancel.buyer,
        Party {
            id: "4912345000019".into(),
            name: None
        }
    );
    assert_eq!(
        cancel.reason.as_deref(),
        Some("店舗改装のため取消\n(25日・26日休業)")
    );
}

#[test]
fn a_hand_written_english_csv_with_its_own_column_order_reads_response_and_despatch() {
    let input = fixture("sheet/response_despatch.csv");
    assert!(
        !input.starts_with(b"\xEF\xBB\xBF") && !input.contains(&b'\r'),
        "no BOM, LF only"
    );
    let reading = sheet::read_csv(&input);
    assert_clean(&reading);
    let documents: Vec<&Document> = reading.documents().collect();
    assert_eq!(documents.len(), 2);
    let Document::OrderResponse(response) = documents[0] else {
        panic!("a response")
    };
    assert_eq!(response.number, "RSP-0417");
    assert_eq!(response.order_number, "PO-2026-0417");
    assert_eq!(response.lines.len(), 3);
    assert_eq!(response.lines[0].status, LineStatus::Accepted);
    assert_eq!(
        response.lines[0].item.gtin.as_deref(),
        Some("4901234567894")
    );
    assert_eq!(
        response.lines[0].confirmed_delivery,
        Some(date("2026-11-25"))
    );
    assert_eq!(response.lines[1].status, LineStatus::Changed);
    assert_eq!(response.lines[1].quantity, Some(qty("20", "KGM")));
    assert_eq!(
        response.lines[1].reason.as_deref(),
        Some("在庫不足: 20kgのみ")
    );
    assert_eq!(response.lines[2].status, LineStatus::Rejected);
    assert_eq!(response.lines[2].quantity, None);
    assert_eq!(response.lines[2].unit_price, None);
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
    assert_eq!(
        despatch.lines.len(),
        2,
        "a row with blank type and number continues the document above"
    );
    assert_eq!(
        despatch.lines[0].quantity,
        qty("12", "CS"),
        "units are read in any case"
    );
    assert_eq!(
        despatch.lines[1].item.seller_code.as_deref(),
        Some("W-1200")
    );
}

/// A workbook from raw parts.
fn workbook(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts {
        zip.start_file(*name, SimpleFileOptions::default())
            .expect("start");
        zip.write_all(content.as_bytes()).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="/xl/sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/other.xml"/></Relationships>"#;

const SHARED_STRINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="6" uniqueCount="6"><si><t>document_type</t></si><si><t>数量</t></si><si><r><rPr><b/></rPr><t>発注</t></r></si><si><r><t xml:space="preserve">国産 </t></r><r><rPr><i/></rPr><t>玉ねぎ &amp; &lt;特選&gt;</t></r><rPh sb="0" eb="2"><t>コクサン</t></rPh></si><si><t>単価</t></si><si><t>line_x000D_break</t></si></sst>"#;

/// A worksheet as Excel saves one: shared strings, a bold rich-text run,
/// a date serial with a date style, a numeric price, cells left out.
fn hand_built_sheet(quantity: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1" spans="1:12"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>number</t></is></c><c r="C1" t="str"><f>"issued"</f><v>issued</v></c><c r="D1" t="inlineStr"><is><t>buyer_id</t></is></c><c r="E1" t="inlineStr"><is><t>seller_id</t></is></c><c r="F1" t="inlineStr"><is><t>currency</t></is></c><c r="G1" t="inlineStr"><is><t>line</t></is></c><c r="H1" t="inlineStr"><is><t>JANコード</t></is></c><c r="I1" t="inlineStr"><is><t>description</t></is></c><c r="J1" t="s"><v>1</v></c><c r="K1" t="inlineStr"><is><t>unit</t></is></c><c r="L1" t="s"><v>4</v></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="inlineStr"><is><t>PO-77</t></is></c><c r="C2" s="3"><v>46347</v></c><c r="D2"><v>4912345000019</v></c><c r="E2" t="inlineStr"><is><t>4998765000011</t></is></c><c r="F2" t="inlineStr"><is><t>JPY</t></is></c><c r="G2"><v>1</v></c><c r="H2"><v>4901234567894</v></c><c r="I2" t="s"><v>3</v></c><c r="J2"><v>{quantity}</v></c><c r="K2" t="inlineStr"><is><t>CS</t></is></c><c r="L2"><v>318.5</v></c></row>
<row r="4"><c r="G4"><v>2</v></c><c r="H4" t="inlineStr"><is><t>49012347</t></is></c><c r="I4" t="s"><v>5</v></c><c r="J4"><v>0.30000000000000004</v></c><c r="K4" t="inlineStr"><is><t>KGM</t></is></c></row>
</sheetData></worksheet>"#
    )
}

fn hand_built_workbook(sheet: &str) -> Vec<u8> {
    workbook(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="注文" sheetId="7" r:id="rId3"/><sheet name="other" sheetId="8" r:id="rId4"/></sheets></workbook>"#,
        ),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/sharedStrings.xml", SHARED_STRINGS),
        ("xl/worksheets/data.xml", sheet),
        (
            "xl/worksheets/other.xml",
            r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>not read</t></is></c></row></sheetData></worksheet>"#,
        ),
    ])
}

#[test]
fn a_hand_built_workbook_reads_shared_strings_serial_dates_gaps_and_numbers() {
    let reading = sheet::read_xlsx(&hand_built_workbook(&hand_built_sheet("12")));
    assert_clean(&reading);
    assert_eq!(reading.messages.len(), 1);
    let Ok(Document::Order(order)) = &reading.messages[0].result else {
        panic!("an order: {reading:?}")
    };
    assert_eq!(order.number, "PO-77");
    assert_eq!(order.issued, date("2026-11-21"), "serial 46347");
    assert_eq!(
        order.buyer.id, "4912345000019",
        "a number cell in a text column"
    );
    assert_eq!(order.lines.len(), 2, "the empty row 3 is skipped");
    let first = &order.lines[0];
    assert_eq!(first.item.gtin.as_deref(), Some("4901234567894"));
    assert_eq!(
        first.item.description.as_deref(),
        Some("国産 玉ねぎ & <特選>"),
        "runs joined, furigana left out"
    );
    assert_eq!(first.quantity, qty("12", "CS"));
    assert_eq!(first.unit_price, Some(dec("318.5")), "318.5 exactly");
    let second = &order.lines[1];
    assert_eq!(second.line, 2);
    assert_eq!(second.item.gtin.as_deref(), Some("49012347"));
    assert_eq!(
        second.item.description.as_deref(),
        Some("line\rbreak"),
        "an _x000D_ escape"
    );
    assert_eq!(
        second.quantity,
        qty("0.3", "KGM"),
        "binary noise past 15 digits is dropped"
    );
    assert_eq!(second.unit_price, None, "a cell left out");
}

#[test]
fn a_bad_number_is_named_with_its_row_and_column() {
    let reading = sheet::read_xlsx(&hand_built_workbook(&hand_built_sheet("twelve")));
    let problems = reading.messages[0].result.as_ref().expect_err("rejected");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        (
            problems[0].code,
            problems[0].place.line,
            problems[0].place.column.as_deref()
        ),
        (Code::Invalid, Some(2), Some("数量"))
    );

    let written =
        String::from_utf8(sheet::write_csv(&samples::cycle(), Language::English)).expect("utf-8");
    let input = edited(&written, |t| t.replacen(",25.5,KGM,", ",25.x5,KGM,", 1));
    let reading = sheet::read_csv(&input);
    let problems = reading.messages[0].result.as_ref().expect_err("rejected");
    let p = &problems[0];
    assert_eq!(
        (p.code, p.place.line, p.place.column.as_deref()),
        (Code::Invalid, Some(3), Some("quantity")),
        "{problems:?}"
    );
    assert!(p.message.contains("`25.x5`"), "{p}");
    assert_eq!(
        p.to_string(),
        format!("column quantity, line 3: {}", p.message)
    );
    assert_eq!(
        reading.documents().count(),
        5,
        "the other documents go through"
    );

    let japanese =
        String::from_utf8(sheet::write_csv(&samples::cycle(), Language::Japanese)).expect("utf-8");
    let input = edited(&japanese, |t| t.replacen(",25.5,KGM,", ",\"25,5\",KGM,", 1));
    let problems = all_problems(&sheet::read_csv(&input));
    let p = &problems[0];
    assert_eq!(
        (p.code, p.place.line, p.place.column.as_deref()),
        (Code::Invalid, Some(3), Some("数量")),
        "{problems:?}"
    );
    assert!(
        p.message.contains("a comma may only group thousands"),
        "a decimal comma is not guessed: {p}"
    );
}

/// `text` edited, checking that the edit changed it.
fn edited(text: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let changed = edit(text.to_string());
    assert_ne!(changed, text, "the edit must change the input");
    changed.into_bytes()
}

fn cycle_csv() -> String {
    String::from_utf8(sheet::write_csv(&samples::cycle(), Language::English)).expect("utf-8")
}

#[test]
fn bad_values_are_refused_where_they_are_with_stable_codes() {
    let cases: [(&str, &str, Code, usize, &str); 10] = [
        (
            ",2026-11-21,4912345000019",
            ",2026-11-31,4912345000019",
            Code::Invalid,
            2,
            "issued",
        ),
        (
            ",4901234567894,MY-0012,W-7781",
            ",4901234567895,MY-0012,W-7781",
            Code::Invalid,
            2,
            "gtin",
        ),
        (
            ",12,CS,2480,",
            ",12,piece,2480,",
            Code::UnknownQualifier,
            2,
            "unit",
        ),
        (
            ",12,CS,2480,",
            ",-12,CS,2480,",
            Code::Invalid,
            2,
            "quantity",
        ),
        (
            ",3,deleted,",
            ",3,withdrawn,",
            Code::UnknownQualifier,
            6,
            "action",
        ),
        (
            ",3,,rejected,",
            ",3,,refused,",
            Code::UnknownQualifier,
            11,
            "status",
        ),
        (
            "\r\norder,PO-2026-0001,PO-2026-0001,2026-11-21,4912345000019,戸越銀座 青果まるやま,4998765000011,品川中央卸 株式会社,JPY,午前中着でお願いします。,,,,,,,,2,",
            "\r\norder,PO-2026-0001,PO-2026-0001,2026-11-21,4912345000019,戸越銀座 青果まるやま,4998765000011,品川中央卸 株式会社,JPY,午前中着でお願いします。,,,,,,,,1,",
            Code::Rule,
            3,
            "line",
        ),
        (
            ",品川中央卸 株式会社,JPY,午前中着でお願いします。,,,,,,,,3,",
            ",品川中央卸 株式会社,USD,午前中着でお願いします。,,,,,,,,3,",
            Code::Rule,
            4,
            "currency",
        ),
        (
            ",3,,,49012347,MY-0099,,,40,H87,",
            ",3,,,,,,,40,H87,",
            Code::Missing,
            4,
            "gtin",
        ),
        (
            ",3,,,49012347,MY-0099,,,40,H87,",
            ",3,,,49012347,MY-0099,,,,H87,",
            Code::Missing,
            4,
            "quantity",
        ),
    ];
    for (from, to, code, line, column) in cases {
        let reading = sheet::read_csv(&edited(&cycle_csv(), |t| t.replacen(from, to, 1)));
        assert!(reading.problems.is_empty(), "{to}: {:?}", reading.problems);
        let problems: Vec<&Problem> = reading
            .messages
            .iter()
            .filter_map(|m| m.result.as_ref().err())
            .flatten()
            .collect();
        assert!(
            problems.iter().any(|p| p.code == code
                && p.place.line == Some(line)
                && p.place.column.as_deref() == Some(column)),
            "{to}: {problems:#?}"
        );
        assert_eq!(
            reading.documents().count(),
            5,
            "{to}: only the edited document is rejected"
        );
    }
}

#[test]
fn kinds_refuse_values_they_have_no_field_for_and_unknown_types() {
    let reading = sheet::read_csv(&edited(&cycle_csv(), |t| {
        t.replacen(
            "ヤマト運輸,4455-6677-8899,13,,1,",
            "ヤマト運輸,4455-6677-8899,13,,1,changed,",
            1,
        )
    }));
    let despatch = reading
        .messages
        .iter()
        .find(|m| m.message_type == "despatch_advice")
        .expect("despatch");
    let p = &despatch.result.as_ref().expect_err("rejected")[0];
    assert_eq!(
        (p.code, p.place.column.as_deref(), p.place.line),
        (Code::Unexpected, Some("action"), Some(12)),
        "{p:?}"
    );

    let reading = sheet::read_csv(&edited(&cycle_csv(), |t| {
        t.replace("order_cancellation,", "order_cancelation,")
    }));
    let bad = &reading.messages[2];
    assert_eq!(bad.message_type, "order_cancelation");
    let p = &bad.result.as_ref().expect_err("rejected")[0];
    assert_eq!(
        (p.code, p.place.column.as_deref(), p.place.line),
        (Code::UnknownQualifier, Some("document_type"), Some(8))
    );
    assert_eq!(reading.documents().count(), 5);
}

#[test]
fn header_faults_are_problems_of_the_whole_file() {
    let csv = cycle_csv();
    let reading = sheet::read_csv(&edited(&csv, |t| {
        t.replacen(",received,line,", ",received,row,", 1)
    }));
    assert!(reading.rejected());
    let p = &reading.problems[0];
    assert_eq!(
        (p.code, p.place.line, p.place.column.as_deref()),
        (Code::Unexpected, Some(1), Some("row")),
        "{p:?}"
    );
    let missing: Vec<&Problem> = reading
        .messages
        .iter()
        .filter_map(|m| m.result.as_ref().err())
        .flatten()
        .collect();
    assert!(
        missing.iter().any(|p| p.code == Code::Missing
            && p.place.column.as_deref() == Some("line")
            && p.place.line == Some(1)),
        "documents with lines need the line column: {missing:?}"
    );
    assert!(
        reading.messages[2].result.is_ok(),
        "a cancellation has no line"
    );

    let reading = sheet::read_csv(&edited(&csv, |t| {
        t.replacen("document_type,number,", "kind,number,", 1)
    }));
    assert!(
        reading
            .problems
            .iter()
            .any(|p| p.code == Code::Missing && p.place.column.as_deref() == Some("document_type")),
        "{:?}",
        reading.problems
    );
    assert!(reading.messages.is_empty());

    let reading = sheet::read_csv(&edited(&csv, |t| {
        t.replacen(",unit,unit_price,", ",単位,unit_price,", 1)
    }));
    assert_clean(&reading);
    let reading = sheet::read_csv(&edited(&csv, |t| {
        t.replacen(",unit,unit_price,", ",数量,unit_price,", 1)
    }));
    assert_eq!(
        reading.problems[0].code,
        Code::Unexpected,
        "quantity twice: {:?}",
        reading.problems
    );

    for empty in [&b""[..], b"\xEF\xBB\xBF", b"\r\n,,\r\n"] {
        let reading = sheet::read_csv(empty);
        assert_eq!(reading.problems[0].code, Code::Missing, "{empty:?}");
    }
    let header_only = sheet::read_csv(csv.lines().next().expect("header").as_bytes());
    assert_eq!(header_only.problems[0].code, Code::Missing);
}

#[test]
fn shift_jis_and_utf16_csv_are_refused_with_how_to_save_as_utf8() {
    let mut input = b"document_type,number\r\n".to_vec();
    input.extend_from_slice(b"\x94\xad\x92\x8d,PO-1\r\n");
    let reading = sheet::read_csv(&input);
    assert!(reading.rejected());
    let p = &reading.problems[0];
    assert_eq!((p.code, p.place.line), (Code::Syntax, Some(2)));
    assert!(
        p.message.contains("Shift_JIS") && p.message.contains("CSV UTF-8"),
        "{p}"
    );
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("number".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let p = &sheet::read_csv(&utf16).problems[0];
    assert!(
        p.code == Code::Syntax && p.message.contains("UTF-16"),
        "{p}"
    );
}

#[test]
fn broken_quoting_is_refused_with_its_line() {
    let unclosed = "document_type,number,note\r\norder,PO-1,\"never\r\nclosed\r\n";
    let p = &sheet::read_csv(unclosed.as_bytes()).problems[0];
    assert_eq!((p.code, p.place.line), (Code::Syntax, Some(2)), "{p}");
    let trailing = "document_type,number,note\norder,PO-1,\"a\"b\n";
    let p = &sheet::read_csv(trailing.as_bytes()).problems[0];
    assert_eq!((p.code, p.place.line), (Code::Syntax, Some(2)), "{p}");
}

#[test]
fn a_bad_document_in_a_workbook_is_rejected_alone() {
    let mut bad = samples::order();
    bad.number = "PO-BAD".into();
    bad.lines[1].item.gtin = Some("4901234567890".into());
    let mut documents = samples::cycle();
    documents.insert(1, Document::Order(bad));
    let reading = sheet::read_xlsx(&sheet::write_xlsx(&documents, Language::Japanese));
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let rejected = &reading.messages[1];
    assert_eq!(rejected.reference, "PO-BAD");
    let p = &rejected.result.as_ref().expect_err("rejected")[0];
    assert_eq!(
        (p.code, p.place.line, p.place.column.as_deref()),
        (Code::Invalid, Some(6), Some("JANコード")),
        "{p:?}"
    );
    assert_eq!(
        reading.documents().cloned().collect::<Vec<_>>(),
        samples::cycle()
    );
}

#[test]
fn header_values_that_differ_between_rows_break_the_rule() {
    let mut documents = samples::cycle();
    let written = sheet::write_xlsx(&documents[..1], Language::English);
    assert_clean(&sheet::read_xlsx(&written));
    if let Document::Order(order) = &mut documents[0] {
        order.lines[0].line = 3;
    }
    let p = &sheet::read_xlsx(&sheet::write_xlsx(&documents[..1], Language::English)).messages[0]
        .result
        .clone()
        .expect_err("rejected")[0];
    assert_eq!(
        (p.code, p.place.line, p.place.column.as_deref()),
        (Code::Rule, Some(4), Some("line")),
        "{p:?}"
    );
}

/// Overwrites the declared uncompressed size of `name` in both its local
/// and its central directory header.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut patched = 0;
    for at in 0..zip.len().saturating_sub(46) {
        let (size_at, name_len_at, name_at) = match &zip[at..at + 4] {
            b"PK\x03\x04" => (22, 26, 30),
            b"PK\x01\x02" => (24, 28, 46),
            _ => continue,
        };
        let name_len = usize::from(u16::from_le_bytes([
            zip[at + name_len_at],
            zip[at + name_len_at + 1],
        ]));
        if zip.get(at + name_at..at + name_at + name_len) == Some(name.as_bytes()) {
            zip[at + size_at..at + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "both headers of {name}");
}

#[test]
fn a_part_declared_to_inflate_beyond_the_limit_is_refused_before_reading() {
    let mut input = hand_built_workbook(&hand_built_sheet("12"));
    assert_clean(&sheet::read_xlsx(&input));
    declare_size(&mut input, "xl/worksheets/data.xml", 0xF000_0000);
    let reading = sheet::read_xlsx(&input);
    assert!(reading.rejected());
    let p = &reading.problems[0];
    assert_eq!(p.code, Code::Unsupported, "{p}");
    assert_eq!(p.place.path.as_deref(), Some("xl/worksheets/data.xml"));
    assert!(p.message.contains("64 MiB"), "{p}");
    assert_eq!(sheet::MAX_PART_BYTES, 64 << 20);
}

#[test]
fn truncated_or_damaged_workbooks_give_problems_and_never_panic() {
    let written = sheet::write_xlsx(&samples::cycle(), Language::English);
    for cut in [
        0,
        1,
        4,
        30,
        100,
        written.len() / 3,
        written.len() / 2,
        written.len() - 23,
        written.len() - 1,
    ] {
        let reading = sheet::read_xlsx(&written[..cut]);
        assert!(reading.rejected(), "cut at {cut}");
        assert_eq!(
            reading.problems[0].code,
            Code::Syntax,
            "cut at {cut}: {:?}",
            reading.problems
        );
    }
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for round in 0..300 {
        let mut damaged = written.clone();
        for _ in 0..1 + round % 4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = usize::try_from(seed % damaged.len() as u64).expect("index");
            damaged[at] ^= u8::try_from(seed >> 56).expect("byte") | 1;
        }
        let _ = sheet::read_xlsx(&damaged);
        let _ = sheet::read_csv(&damaged);
    }
    let not_zip = sheet::read_xlsx(b"document_type,number\r\n");
    assert_eq!(not_zip.problems[0].code, Code::Syntax);
    assert!(
        not_zip.problems[0]
            .message
            .contains("not an .xlsx workbook")
    );
}

#[test]
fn malformed_worksheets_are_refused_with_the_part_and_line() {
    let cases = [
        (r#"<c r="J2"><v>12</v></c>"#, r#"<c r="J2"><v>12</v></x>"#),
        (
            r#"<c r="I2" t="s"><v>3</v></c>"#,
            r#"<c r="I2" t="s"><v>99</v></c>"#,
        ),
        (r#"<c r="G4"><v>2</v></c>"#, r#"<c r="G5"><v>2</v></c>"#),
        (r#"<row r="4">"#, r#"<row r="2">"#),
    ];
    for (from, to) in cases {
        let sheet_xml = hand_built_sheet("12");
        let changed = sheet_xml.replacen(from, to, 1);
        assert_ne!(changed, sheet_xml, "{to}");
        let reading = sheet::read_xlsx(&hand_built_workbook(&changed));
        let p = &reading
            .problems
            .first()
            .unwrap_or_else(|| panic!("{to}: {reading:?}"));
        assert_eq!(p.code, Code::Syntax, "{to}: {p}");
        assert_eq!(
            p.place.path.as_deref(),
            Some("xl/worksheets/data.xml"),
            "{to}"
        );
        assert!(p.place.line.is_some_and(|l| l >= 2), "{to}: {p:?}");
    }
}

#[test]
fn templates_hold_a_header_and_one_example_row_that_reads_back() {
    for kind in DocumentKind::ALL {
        for language in [Language::English, Language::Japanese] {
            let template = sheet::template(kind, language);
            for (format, reading) in [
                ("csv", sheet::read_csv(&template.csv)),
                ("xlsx", sheet::read_xlsx(&template.xlsx)),
            ] {
                assert_clean(&reading);
                let documents: Vec<&Document> = reading.documents().collect();
                assert_eq!(documents.len(), 1, "{kind:?} {language:?} {format}");
                assert_eq!(documents[0].kind(), kind);
            }
            let text = String::from_utf8(template.csv).expect("utf-8");
            assert_eq!(text.matches("\r\n").count(), 2, "{kind:?}: {text}");
            let header = text.lines().next().expect("header");
            let expected = match language {
                Language::English => "\u{FEFF}document_type,number,order_number,issued,",
                Language::Japanese => "\u{FEFF}文書種別,文書番号,発注番号,発行日,",
            };
            assert!(header.starts_with(expected), "{header}");
            let receipt_only = if language == Language::English {
                "received_quantity"
            } else {
                "受領数量"
            };
            assert_eq!(
                header.contains(receipt_only),
                kind == DocumentKind::ReceiptAdvice,
                "{header}"
            );
        }
    }
}

#[test]
fn a_change_says_why_in_the_note_column_or_leaves_it_empty() {
    let changes = crate::changes();
    for language in [Language::English, Language::Japanese] {
        let written = sheet::write_csv(&changes, language);
        let reading = sheet::read_csv(&written);
        assert_clean(&reading);
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, changes, "{language:?}");
        let text = String::from_utf8(written).expect("utf-8");
        let header = text.lines().next().expect("header");
        let note = if language == Language::English {
            ",note,"
        } else {
            ",備考,"
        };
        assert!(header.contains(note), "{header}");
        assert_eq!(
            text.matches("週末の特売: じゃがいも増量+にんじん追加、にんにくは取りやめ")
                .count(),
            3,
            "on each of the three rows of the change with a note: {text}"
        );
        let reading = sheet::read_xlsx(&sheet::write_xlsx(&changes, language));
        assert_clean(&reading);
        let documents: Vec<Document> = reading.documents().cloned().collect();
        assert_eq!(documents, changes, "{language:?}");
    }
}

#[test]
fn a_change_reads_its_actions_in_either_language() {
    let written = sheet::write_csv(&samples::cycle()[1..2], Language::Japanese);
    let Some(Document::OrderChange(change)) = sheet::read_csv(&written).documents().next().cloned()
    else {
        panic!("a change")
    };
    let actions: Vec<ChangeAction> = change.lines.iter().map(|l| l.action).collect();
    assert_eq!(
        actions,
        [
            ChangeAction::Changed,
            ChangeAction::Deleted,
            ChangeAction::Added
        ]
    );
}

#[test]
fn a_huge_cell_is_echoed_cut_short_in_the_problems_it_causes() {
    let huge = "列".repeat(2_000_000);
    let quantity = "9".repeat(1_000_000);
    let input = format!(
        "document_type,number,issued,{huge}\n\
         order,PO-1,2026-11-21,x\n\
         order,PO-2,{quantity},x\n"
    );
    let reading = sheet::read_csv(input.as_bytes());
    let problems = all_problems(&reading);
    let header = problems
        .iter()
        .find(|p| p.code == Code::Unexpected)
        .expect("the unknown column is named");
    let column = header.place.column.as_deref().expect("a column");
    assert_eq!(column.chars().count(), 61, "60 characters and `…`");
    assert!(column.ends_with("列…"), "{column}");
    assert!(header.message.len() < 1_000, "{}", header.message.len());
    let date = problems
        .iter()
        .find(|p| p.message.contains("is not a date"))
        .expect("the date is refused");
    assert!(date.message.len() < 1_000, "{}", date.message.len());
    assert!(date.message.contains("9…`"), "{}", date.message);
    let total: usize = problems
        .iter()
        .map(|p| p.message.len() + p.place.column.as_ref().map_or(0, String::len))
        .sum();
    assert!(
        total < 10_000,
        "{total} bytes of problems for {} of input",
        input.len()
    );
}
