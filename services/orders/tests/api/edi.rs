//! EDI through the orders API: a shop whose system speaks EDIFACT, X12 or UBL
//! runs a whole order cycle with a wholesaler that uses the REST API, and
//! both end with the same canonical history as a cycle run over the API
//! alone. Resubmitted interchanges, strangers, bad messages and documents
//! out of order are answered with the acknowledgement the standard
//! prescribes, and nothing of them is applied.

use axum::http::StatusCode;
use renkei_edi::{Document, Format, Outgoing, edifact, samples, ubl, x12};
use renkei_kernel::{
    auth::Role,
    settings::{Backend, BusMode},
};
use serde_json::{Value, json};

use crate::{TestApp, cycle::full_cycle, org};

/// The shop's and the wholesaler's interchange ids (the samples' GLNs).
const SHOP_GLN: &str = "4912345000019";
const WHOLESALER_GLN: &str = "4998765000011";

/// `document` as the shop's EDI system has it: parties by GLN.
fn on_the_wire(document: &Document) -> Document {
    let mut d = document.clone();
    let (buyer, seller) = d.parties_mut();
    buyer.id = SHOP_GLN.to_string();
    seller.id = WHOLESALER_GLN.to_string();
    d
}

#[derive(PartialEq)]
enum Family {
    Edifact,
    X12,
    Ubl,
}

fn family(format: Format) -> Family {
    match format {
        Format::EdifactD96a | Format::EdifactD01b => Family::Edifact,
        Format::Ubl21 => Family::Ubl,
        _ => Family::X12,
    }
}

fn write(format: Format, reference: u32, documents: &[Document]) -> String {
    write_to(format, WHOLESALER_GLN, reference, documents)
}

/// [`write`] for a file addressed to `recipient`.
fn write_to(format: Format, recipient: &str, reference: u32, documents: &[Document]) -> String {
    let outgoing = Outgoing {
        sender: SHOP_GLN.into(),
        recipient: recipient.into(),
        reference: reference.to_string(),
        prepared: "2026-11-21".parse().expect("date"),
        time: "0930".into(),
    };
    match format {
        Format::EdifactD96a | Format::EdifactD01b => edifact::write(
            &outgoing,
            edifact::Version::of(format).expect("EDIFACT"),
            documents,
        ),
        // A UBL file is one document; its number is its reference.
        Format::Ubl21 => ubl::write(&documents[0]),
        _ => x12::write(&outgoing, x12::Version::of(format).expect("X12"), documents)
            .expect("writes"),
    }
}

fn read(format: Format, bytes: &[u8]) -> renkei_edi::Reading {
    match format {
        Format::EdifactD96a | Format::EdifactD01b => edifact::read(bytes),
        Format::Ubl21 => ubl::read(bytes),
        _ => x12::read(bytes),
    }
}

/// Saves the shop's profile for the wholesaler.
async fn profile(t: &TestApp, shop: &str, wholesaler: &str, format: Format) -> crate::Resp {
    profile_with(t, shop, wholesaler, WHOLESALER_GLN, format).await
}

/// [`profile`] for a wholesaler whose interchange id is `wire_id`.
async fn profile_with(
    t: &TestApp,
    shop: &str,
    wholesaler: &str,
    wire_id: &str,
    format: Format,
) -> crate::Resp {
    let admin = t.token(shop, Role::Admin);
    t.call(
        "PUT",
        &format!("/organisations/{shop}/edi/profiles/{wholesaler}"),
        &admin,
        None,
        Some(&json!({
            "own_wire_id": SHOP_GLN,
            "partner_wire_id": wire_id,
            "sends": format.as_str(),
            "wants": format.as_str(),
        })),
    )
    .await
}

async fn cycle_by(backend: Backend, bus: BusMode, format: Format) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let saved = profile(&t, &shop, &wholesaler, format).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.body["version"], 1);
    let buyer = t.token(&shop, Role::Member);
    let seller = t.token(&wholesaler, Role::Member);
    let mut cycle = full_cycle(&shop, &wholesaler);
    if Family::X12 == family(format) {
        // X12 has no release character: the shop's system cannot send its
        // delimiters in a text (the sample has them all, for EDIFACT's
        // sake). The wholesaler's documents keep them; the shop's files
        // show them as `-`.
        for document in cycle.iter_mut().filter(|d| d.sent_by_buyer()) {
            x12::plain_text(document);
        }
    }
    let mut order_id = String::new();
    let mut first_file = String::new();
    let mut texts_replaced = 0;
    for (i, document) in cycle.iter().enumerate() {
        let version = i + 1;
        if document.sent_by_buyer() {
            let file = write(format, 100 + version as u32, &[on_the_wire(document)]);
            let r = t.upload(&shop, &buyer, "", file.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{:?}: {}",
                document.kind(),
                r.body
            );
            assert_eq!(r.body["status"], "accepted", "{}", r.body);
            assert_eq!(r.body["format"], format.as_str());
            assert_eq!(r.body["partner_id"], wholesaler.as_str());
            assert_eq!(r.body["messages"][0]["version"], version);
            order_id = r.body["messages"][0]["order_id"]
                .as_str()
                .expect("order id")
                .to_string();
            let ack = r.body["acknowledgement"]["content"]
                .as_str()
                .expect("an acknowledgement");
            match family(format) {
                Family::Edifact => {
                    assert_eq!(r.body["acknowledgement"]["format"], "edifact_contrl");
                    assert!(ack.contains("CONTRL"), "{ack}");
                    assert!(
                        ack.contains(&format!("UCI+{}+{SHOP_GLN}", 100 + version)),
                        "answers this interchange: {ack}"
                    );
                    assert!(ack.contains("+7'"), "accepted (action 7): {ack}");
                }
                Family::X12 => {
                    assert_eq!(r.body["acknowledgement"]["format"], "x12_997");
                    assert!(ack.contains("AK9*A*1*1*1"), "accepted: {ack}");
                }
                Family::Ubl => {
                    assert_eq!(r.body["acknowledgement"]["format"], "peppol_mlr");
                    assert!(ack.contains("<ApplicationResponse"), "{ack}");
                    assert!(
                        ack.contains("<cbc:ResponseCode>AP</cbc:ResponseCode>"),
                        "accepted: {ack}"
                    );
                }
            }
            if first_file.is_empty() {
                first_file = file;
            }
        } else {
            let r = t.send(&wholesaler, &seller, document).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            let uri = format!("/organisations/{shop}/orders/{order_id}/documents/{version}/file");
            let (status, kind, bytes) = t.fetch(&uri, &buyer).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            let media = match family(format) {
                Family::Ubl => "application/xml",
                _ => "application/EDI",
            };
            assert!(kind.starts_with(media), "{kind}");
            let reading = read(format, &bytes);
            assert!(reading.problems.is_empty(), "{:?}", reading.problems);
            let envelope = reading.envelope.clone().expect("an envelope");
            assert_eq!(
                (envelope.sender.as_str(), envelope.recipient.as_str()),
                (WHOLESALER_GLN, SHOP_GLN)
            );
            let mut expected = on_the_wire(document);
            if family(format) == Family::X12 && x12::plain_text(&mut expected) > 0 {
                texts_replaced += 1;
            }
            let read_back: Vec<&Document> = reading.documents().collect();
            assert_eq!(read_back, [&expected], "what the shop receives");
            let (_, _, again) = t.fetch(&uri, &buyer).await;
            assert_eq!(again, bytes, "the same document is the same file");
        }
    }
    if family(format) == Family::X12 {
        assert_eq!(
            texts_replaced, 2,
            "both of the wholesaler's documents hold delimiters in texts"
        );
    }
    // The canonical history is the one a cycle over the API alone leaves.
    let order = t
        .get(
            &format!("/organisations/{wholesaler}/orders/{order_id}"),
            &seller,
        )
        .await;
    assert_eq!(order.body["status"], "received", "{}", order.body);
    for (i, expected) in cycle.iter().enumerate() {
        let stored = t
            .get(
                &format!(
                    "/organisations/{shop}/orders/{order_id}/documents/{}",
                    i + 1
                ),
                &buyer,
            )
            .await;
        let document: Document =
            serde_json::from_value(stored.body["document"].clone()).expect("a document");
        assert_eq!(&document, expected, "document {}", i + 1);
        let channel = if expected.sent_by_buyer() {
            format.as_str()
        } else {
            "api"
        };
        assert_eq!(stored.body["channel"], channel);
    }

    // The first interchange again: recognised, answered, not applied twice.
    let documents = t.rows("order_document").await;
    let events = t.rows("outbox").await;
    let again = t.upload(&shop, &buyer, "", first_file).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.body["status"], "duplicate");
    assert_eq!(again.body["problems"][0]["code"], "duplicate");
    let ack = again.body["acknowledgement"]["content"]
        .as_str()
        .expect("ack");
    match family(format) {
        Family::Edifact => assert!(ack.contains("+4+26"), "rejected as a duplicate: {ack}"),
        Family::X12 => assert!(ack.contains("AK9*R"), "rejected: {ack}"),
        Family::Ubl => assert!(
            ack.contains("<cbc:ResponseCode>RE</cbc:ResponseCode>"),
            "rejected: {ack}"
        ),
    }
    assert_eq!(t.rows("order_document").await, documents);
    assert_eq!(t.rows("outbox").await, events);

    let list = t
        .get(&format!("/organisations/{shop}/interchanges"), &buyer)
        .await;
    let statuses: Vec<(&str, &str)> = list
        .body
        .as_array()
        .expect("interchanges")
        .iter()
        .map(|i| {
            (
                i["direction"].as_str().expect("direction"),
                i["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        statuses.len(),
        6,
        "three in, two out, one again: {statuses:?}"
    );
    assert_eq!(statuses[0], ("in", "duplicate"));
    assert_eq!(
        statuses.iter().filter(|s| **s == ("out", "sent")).count(),
        2
    );
    let id = list.body[0]["interchange_id"].as_str().expect("id");
    let (status, _, ack_bytes) = t
        .fetch(
            &format!("/organisations/{shop}/interchanges/{id}/acknowledgement"),
            &buyer,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(ack_bytes).expect("text"), ack);
}

async fn edifact_cycle(backend: Backend, bus: BusMode) {
    cycle_by(backend, bus, Format::EdifactD96a).await;
}

async fn x12_cycle(backend: Backend, bus: BusMode) {
    cycle_by(backend, bus, Format::X12_004010).await;
}

renkei_kernel::on_each_engine!(a_shop_runs_the_cycle_in_edifact, edifact_cycle);
renkei_kernel::on_each_engine!(a_shop_runs_the_cycle_in_x12, x12_cycle);

async fn ubl_cycle(backend: Backend, bus: BusMode) {
    cycle_by(backend, bus, Format::Ubl21).await;
}

renkei_kernel::on_each_engine!(a_shop_runs_the_cycle_in_ubl, ubl_cycle);

/// A sender may number its interchanges per partner (Renkei does): the
/// same control reference to two partners is two interchanges, and both
/// are applied; the same one to the same partner again is a duplicate.
async fn one_reference_two_partners(backend: Backend, bus: BusMode) {
    const OTHER_GLN: &str = "4998765000028";
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, first, second) = (org(), org(), org());
    t.partners(&shop, &first, true).await;
    t.partners(&shop, &second, true).await;
    let format = Format::EdifactD96a;
    for (wholesaler, wire_id) in [(&first, WHOLESALER_GLN), (&second, OTHER_GLN)] {
        let saved = profile_with(&t, &shop, wholesaler, wire_id, format).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    }
    let buyer = t.token(&shop, Role::Member);
    let mut order = on_the_wire(&Document::Order(samples::order()));
    let to_first = write(format, 900, std::slice::from_ref(&order));
    if let Document::Order(o) = &mut order {
        o.number = "PO-2026-0002".into();
        o.seller.id = OTHER_GLN.into();
    }
    let to_second = write_to(format, OTHER_GLN, 900, std::slice::from_ref(&order));

    let r = t.upload(&shop, &buyer, "", to_first.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["partner_id"], first.as_str());
    let r = t.upload(&shop, &buyer, "", to_second).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "accepted", "{}", r.body);
    assert_eq!(r.body["duplicate"], false, "{}", r.body);
    assert_eq!(r.body["partner_id"], second.as_str());
    assert_eq!(r.body["messages"][0]["version"], 1, "{}", r.body);

    let again = t.upload(&shop, &buyer, "", to_first).await;
    assert_eq!(again.body["status"], "duplicate", "{}", again.body);
    assert_eq!(t.rows("order_document").await, 2);
}

renkei_kernel::on_each_engine!(
    one_reference_to_two_partners_is_two_interchanges,
    one_reference_two_partners
);

/// A database of the release before migration 0207 holds claims of sender
/// and reference only. After the upgrade, a file received before is still
/// known: sending it again is a duplicate, not applied a second time.
async fn claims_before_0207(backend: Backend, bus: BusMode) {
    let all = renkei_orders::migrations();
    let before = |m: &sqlx::migrate::Migrator| sqlx::migrate::Migrator {
        migrations: m
            .iter()
            .filter(|m| m.version < 207)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let old = renkei_kernel::storage::Migrations {
        sqlite: before(&all.sqlite),
        postgres: before(&all.postgres),
    };
    let Some(t) = TestApp::spawn_at(backend, bus, &old).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let format = Format::EdifactD96a;
    let saved = profile(&t, &shop, &wholesaler, format).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let buyer = t.token(&shop, Role::Member);
    let order = on_the_wire(&Document::Order(samples::order()));
    let file = write(format, 901, std::slice::from_ref(&order));
    let r = t.upload(&shop, &buyer, "", file.clone()).await;
    assert_eq!(r.body["status"], "accepted", "{}", r.body);
    // What the release before 0207 stored for it.
    let pool = t.app.db().pool();
    let old_claim = format!("in:{SHOP_GLN}:901");
    let rewritten = sqlx::query("UPDATE edi_interchange SET claim = $1 WHERE claim IS NOT NULL")
        .bind(&old_claim)
        .execute(pool)
        .await
        .expect("claim of the old form");
    assert_eq!(rewritten.rows_affected(), 1);

    t.app
        .db()
        .migrate(&all)
        .await
        .expect("0207 runs on the old claims");
    let (claim,): (String,) =
        sqlx::query_as("SELECT claim FROM edi_interchange WHERE claim IS NOT NULL")
            .fetch_one(pool)
            .await
            .expect("claim");
    assert_eq!(claim, format!("in:{SHOP_GLN}:{WHOLESALER_GLN}:901"));
    let again = t.upload(&shop, &buyer, "", file).await;
    assert_eq!(again.body["status"], "duplicate", "{}", again.body);
    assert_eq!(t.rows("order_document").await, 1);
}

renkei_kernel::on_each_engine!(
    claims_stored_before_0207_still_find_duplicates,
    claims_before_0207
);

/// Files that are no format at all, or that the uploader received rather
/// than sends, are told so in words, not answered with a CSV's problems or
/// a request to add a profile for the uploader's own id.
async fn not_a_file_to_send(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let saved = profile(&t, &shop, &wholesaler, Format::EdifactD96a).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let buyer = t.token(&shop, Role::Member);
    let file = write(
        Format::EdifactD96a,
        7,
        &[on_the_wire(&Document::Order(samples::order()))],
    );

    let gzip = [&b"\x1f\x8b\x08\x00"[..], file.as_bytes()].concat();
    let r = t.upload(&shop, &buyer, "", gzip).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let message = r.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("gzip-compressed"), "{message}");

    let form = format!(
        "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"o.edi\"\r\n\r\n{file}\r\n--X--\r\n"
    );
    let r = t.upload(&shop, &buyer, "", form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let message = r.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("multipart form upload"), "{message}");

    let r = t
        .upload(&shop, &buyer, "", vec![0u8, 159, 146, 150, 0, 1])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let message = r.body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("EDIFACT starts with UNA or UNB"),
        "{message}"
    );

    // The wholesaler's response, as the shop received it.
    let received = edifact::write(
        &Outgoing {
            sender: WHOLESALER_GLN.into(),
            recipient: SHOP_GLN.into(),
            reference: "41".into(),
            prepared: "2026-11-21".parse().expect("date"),
            time: "0930".into(),
        },
        edifact::Version::D96A,
        &[on_the_wire(&Document::OrderResponse(
            samples::order_response(),
        ))],
    );
    let r = t.upload(&shop, &buyer, "", received).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(problem(&r.body), ("unknown_party", "UNB", 3));
    let message = r.body["problems"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("is you: this is a file you received"),
        "{message}"
    );
    assert_eq!(t.rows("order_document").await, 0);
}

renkei_kernel::on_each_engine!(
    files_not_to_send_are_named_for_what_they_are,
    not_a_file_to_send
);

/// A UBL document cut short in its lines, or in another namespace, is
/// refused as a whole yet answered: its header named both parties, so the
/// sender gets a Peppol response that names the document and calls the
/// fault one of syntax. Nothing of it is applied.
async fn ubl_refused_whole(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let saved = profile(&t, &shop, &wholesaler, Format::Ubl21).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let buyer = t.token(&shop, Role::Member);
    let text = write(
        Format::Ubl21,
        1,
        &[on_the_wire(&Document::Order(samples::order()))],
    );
    let cut = text[..text.find("<cac:OrderLine>").expect("a line") + 200].to_string();
    let foreign = text.replacen("xsd:Order-2\"", "xsd:Order-3\"", 1);
    assert_ne!(foreign, text);
    for (n, (file, problem)) in [(cut, "syntax"), (foreign, "unsupported")]
        .into_iter()
        .enumerate()
    {
        let r = t.upload(&shop, &buyer, "", file).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["status"], "rejected", "{}", r.body);
        assert_eq!(r.body["partner_id"], wholesaler.as_str(), "{}", r.body);
        let message = &r.body["messages"][0];
        assert_eq!(message["reference"], "PO-2026-0001", "{}", r.body);
        assert_eq!(message["problems"][0]["code"], problem, "{}", r.body);
        assert_eq!(r.body["acknowledgement"]["format"], "peppol_mlr");
        let mlr = r.body["acknowledgement"]["content"].as_str().expect("MLR");
        for part in [
            format!("<cbc:ID>{}</cbc:ID>", n + 1),
            "<cbc:ResponseCode>RE</cbc:ResponseCode>".to_string(),
            "<cbc:ID>PO-2026-0001</cbc:ID>".to_string(),
            "<cbc:StatusReasonCode>SV</cbc:StatusReasonCode>".to_string(),
            format!("<cbc:EndpointID schemeID=\"0088\">{SHOP_GLN}</cbc:EndpointID>"),
        ] {
            assert!(mlr.contains(&part), "{part}\n{mlr}");
        }
    }
    assert_eq!(t.rows("order_document").await, 0);
}

renkei_kernel::on_each_engine!(ubl_refused_as_a_whole_is_still_answered, ubl_refused_whole);

fn problem(body: &Value) -> (&str, &str, i64) {
    let p = &body["problems"][0];
    (
        p["code"].as_str().unwrap_or(""),
        p["place"]["tag"].as_str().unwrap_or(""),
        p["place"]["element"].as_i64().unwrap_or(0),
    )
}

async fn bad_input(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler, stranger) = (org(), org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let buyer = t.token(&shop, Role::Member);
    let order = samples::order();

    // Profiles: for partners only, by admins, with ids every format can carry.
    let r = profile(&t, &shop, &stranger, Format::EdifactD96a).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "not_partners");
    let r = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/edi/profiles/{wholesaler}"),
            &buyer,
            None,
            Some(&json!({"own_wire_id": "a", "partner_wire_id": "b", "sends": "csv", "wants": "csv"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "members do not set up EDI");
    let admin = t.token(&shop, Role::Admin);
    let r = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/edi/profiles/{wholesaler}"),
            &admin,
            None,
            Some(&json!({"own_wire_id": "A+B", "partner_wire_id": "b", "sends": "csv", "wants": "csv"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "own_wire_id", "{}", r.body);

    // No profile yet: the recipient is no partner of the shop's EDI.
    let file = write(Format::EdifactD96a, 41, &[Document::Order(order.clone())]);
    let mut references = Vec::new();
    for _ in 0..2 {
        let r = t.upload(&shop, &buyer, "", file.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["status"], "rejected");
        assert_eq!(problem(&r.body), ("unknown_party", "UNB", 3));
        let ack = r.body["acknowledgement"]["content"].as_str().expect("ack");
        assert!(
            ack.contains("+4+7"),
            "CONTRL rejects the interchange: {ack}"
        );
        // The CONTRL's own control reference (UNB 0020), not the file's.
        let unb = ack
            .split('\'')
            .map(str::trim)
            .find(|s| s.starts_with("UNB+"))
            .expect("UNB");
        references.push(unb.rsplit('+').next().expect("0020").to_string());
    }
    assert_eq!(references, ["1", "2"], "numbered by the answering id");
    assert_eq!(t.rows("purchase_order").await, 0);

    assert_eq!(
        profile(&t, &shop, &wholesaler, Format::EdifactD96a)
            .await
            .status,
        StatusCode::OK
    );
    // Someone else's id as sender.
    let forged = file.replace(&format!("+{SHOP_GLN}:14+"), "+4900000000000:14+");
    assert_ne!(forged, file, "the sender was replaced");
    let r = t.upload(&shop, &buyer, "", forged).await;
    assert_eq!(problem(&r.body), ("unknown_party", "UNB", 2), "{}", r.body);

    // Two orders, the second with a wrong segment count: the first goes
    // through, the second is rejected alone at its UNT.
    let mut second = order.clone();
    second.number = "PO-2026-0002".into();
    let file = write(
        Format::EdifactD96a,
        2,
        &[Document::Order(order.clone()), Document::Order(second)],
    );
    let at = file.rfind("UNT+").expect("a trailer") + 4;
    let count_end = at + file[at..].find('+').expect("count");
    let broken = format!("{}999{}", &file[..at], &file[count_end..]);
    let r = t.upload(&shop, &buyer, "", broken).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "partly_accepted");
    assert_eq!(r.body["messages"][0]["accepted"], true);
    assert_eq!(r.body["messages"][1]["accepted"], false);
    let p = &r.body["messages"][1]["problems"][0];
    assert_eq!(p["code"], "count_mismatch", "{p}");
    assert_eq!(p["place"]["tag"], "UNT");
    assert_eq!(t.rows("purchase_order").await, 1);
    let ack = r.body["acknowledgement"]["content"].as_str().expect("ack");
    assert!(
        ack.contains("UCM+2+ORDERS"),
        "the second message is named: {ack}"
    );

    // A receipt for an order that does not exist: out of order, not applied.
    let mut receipt = samples::receipt_advice();
    receipt.order_number = "PO-NOT-SENT".into();
    let file = write(Format::EdifactD96a, 3, &[Document::ReceiptAdvice(receipt)]);
    let r = t.upload(&shop, &buyer, "", file).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let refused = &r.body["messages"][0]["problems"][0];
    assert_eq!(refused["code"], "rule");
    // Named by its number, and placed at the message's UNH (segment 1 of
    // the message, as CONTRL counts) with the path of the value.
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or("")
            .contains("`PO-NOT-SENT`"),
        "{refused}"
    );
    assert_eq!(refused["place"]["tag"], "UNH", "{refused}");
    assert_eq!(refused["place"]["segment"], 1, "{refused}");
    assert_eq!(refused["place"]["line"], 3, "{refused}");
    assert_eq!(refused["place"]["path"], "order_number", "{refused}");
    assert_eq!(t.rows("order_document").await, 1);

    // Empty, and a format that does not exist.
    let r = t.upload(&shop, &buyer, "", Vec::new()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "body");
    let r = t.upload(&shop, &buyer, "?format=edifact", "UNB").await;
    assert_eq!(r.body["error"]["field"], "format", "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("edifact_d96a"),
        "names the formats: {}",
        r.body
    );
}

renkei_kernel::on_each_engine!(bad_files_are_answered_and_change_nothing, bad_input);

async fn spreadsheet(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let buyer = t.token(&shop, Role::Member);
    let mut order = samples::order();
    order.buyer.id = shop.clone();
    order.seller.id = wholesaler.clone();
    let csv = renkei_edi::sheet::write_csv(
        &[Document::Order(order.clone())],
        renkei_edi::sheet::Language::Japanese,
    );
    let r = t.upload(&shop, &buyer, "", csv.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["format"], "csv");
    assert!(r.body.get("acknowledgement").is_none(), "CSV has none");
    // The same sheet again is known by its content: a duplicate, naming
    // the first interchange; nothing new is stored.
    let again = t.upload(&shop, &buyer, "", csv).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["status"], "duplicate", "{}", again.body);
    assert_eq!(again.body["duplicate"], true);
    assert_eq!(again.body["partner_id"], r.body["partner_id"]);
    let message = again.body["problems"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.contains(r.body["interchange_id"].as_str().expect("id")),
        "{message}"
    );
    assert_eq!(t.rows("order_document").await, 1);

    // The wholesaler reads it as a workbook in English.
    let seller = t.token(&wholesaler, Role::Member);
    let order_id = r.body["messages"][0]["order_id"].as_str().expect("id");
    let (status, kind, bytes) = t
        .fetch(
            &format!(
                "/organisations/{wholesaler}/orders/{order_id}/documents/1/file?format=xlsx&lang=en"
            ),
            &seller,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let reading = renkei_edi::sheet::read_xlsx(&bytes);
    let documents: Vec<&Document> = reading.documents().collect();
    assert_eq!(documents, [&Document::Order(order)]);
    // EDIFACT needs a profile: the envelope carries interchange ids.
    let r = t
        .get(
            &format!(
                "/organisations/{wholesaler}/orders/{order_id}/documents/1/file?format=edifact_d96a"
            ),
            &seller,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("profile"),
        "{}",
        r.body
    );

    // Templates, without signing in.
    let (status, kind, bytes) = t.fetch("/templates/order?format=csv&lang=ja", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    assert!(String::from_utf8_lossy(&bytes).contains("文書種別"));
    let (status, _, _) = t.fetch("/templates/invoice", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

renkei_kernel::on_each_engine!(a_shop_sends_a_spreadsheet, spreadsheet);
