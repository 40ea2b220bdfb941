//! The EDI mailbox: a wholesaler whose system reads files collects what
//! its shops sent it, per shop, as one interchange in the format its
//! profile wants. A collect takes exactly what waits, reads back to the
//! same canonical documents, leaves the mailbox empty, and is repeated by
//! its key; racing collectors never share a document; strangers, viewers
//! and a missing profile are refused and mark nothing.

use axum::http::StatusCode;
use futures::future::join_all;
use renkei_edi::{Document, Format, edifact, sheet, ubl};
use renkei_kernel::{
    auth::Role,
    settings::{Backend, BusMode},
};
use serde_json::{Value, json};

use crate::{Collect, TestApp, cycle::full_cycle, cycle_between, org};

const WHOLESALER_GLN: &str = "4998765000011";
const SHOP_GLN: &str = "4912345000019";
const SHOP3_GLN: &str = "4912345000033";

/// The wholesaler's profile for one shop.
async fn profile(t: &TestApp, wholesaler: &str, shop: &str, shop_gln: &str, wants: Format) {
    let admin = t.token(wholesaler, Role::Admin);
    let r = t
        .call(
            "PUT",
            &format!("/organisations/{wholesaler}/edi/profiles/{shop}"),
            &admin,
            None,
            Some(&json!({
                "own_wire_id": WHOLESALER_GLN,
                "partner_wire_id": shop_gln,
                "sends": wants.as_str(),
                "wants": wants.as_str(),
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// An order of `shop` to `wholesaler` numbered `number`.
fn order(shop: &str, wholesaler: &str, number: &str) -> Document {
    let mut d = cycle_between(shop, wholesaler)[0].clone();
    if let Document::Order(o) = &mut d {
        o.number = number.to_string();
    }
    d
}

/// `document` as the wholesaler's files name the parties.
fn on_the_wire(document: &Document, shop_gln: &str) -> Document {
    let mut d = document.clone();
    let (buyer, seller) = d.parties_mut();
    buyer.id = shop_gln.to_string();
    seller.id = WHOLESALER_GLN.to_string();
    d
}

fn edifact_documents(c: &Collect) -> Vec<Document> {
    let reading = edifact::read(&c.bytes);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    let envelope = reading.envelope.clone().expect("an envelope");
    assert_eq!(
        (envelope.sender.as_str(), envelope.recipient.as_str()),
        (SHOP_GLN, WHOLESALER_GLN),
        "from the shop to the wholesaler"
    );
    reading.documents().cloned().collect()
}

async fn mailbox(t: &TestApp, organisation_id: &str, token: &str) -> Value {
    let r = t
        .get(
            &format!("/organisations/{organisation_id}/edi/mailbox"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

async fn collecting(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (wholesaler, shop, shop2, shop3) = (org(), org(), org(), org());
    for s in [&shop, &shop2, &shop3] {
        t.partners(s, &wholesaler, true).await;
    }
    profile(&t, &wholesaler, &shop, SHOP_GLN, Format::EdifactD96a).await;
    profile(&t, &wholesaler, &shop3, SHOP3_GLN, Format::Ubl21).await;
    let seller = t.token(&wholesaler, Role::Member);
    let buyer = t.token(&shop, Role::Member);
    let cycle = cycle_between(&shop, &wholesaler);
    let sent = [cycle[0].clone(), cycle[1].clone()];
    for d in &sent {
        let r = t.send(&shop, &buyer, d).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let from_shop2 = order(&shop2, &wholesaler, "PO-SHOP2-1");
    let r = t
        .send(&shop2, &t.token(&shop2, Role::Member), &from_shop2)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let shop3_token = t.token(&shop3, Role::Member);
    let from_shop3 = [
        order(&shop3, &wholesaler, "PO-SHOP3-1"),
        order(&shop3, &wholesaler, "PO-SHOP3-2"),
    ];
    for d in &from_shop3 {
        let r = t.send(&shop3, &shop3_token, d).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    // What waits, per partner; nothing for the shop, which only sent.
    let waiting = mailbox(&t, &wholesaler, &t.token(&wholesaler, Role::Viewer)).await;
    let partners = waiting.as_array().expect("partners");
    assert_eq!(partners.len(), 3, "{waiting}");
    let of = |id: &str| {
        partners
            .iter()
            .find(|p| p["partner_id"] == id)
            .unwrap_or_else(|| panic!("{id} in {waiting}"))
            .clone()
    };
    let first = of(&shop);
    assert_eq!(first["waiting"], 2);
    assert_eq!(first["format"], "edifact_d96a");
    assert_eq!(
        first["kinds"],
        json!([{"kind": "order", "waiting": 1}, {"kind": "order_change", "waiting": 1}])
    );
    assert!(first["oldest_at_ms"].as_i64().expect("oldest") > 0);
    assert_eq!(of(&shop2)["format"], "csv", "no profile: CSV");
    assert_eq!(of(&shop3)["waiting"], 2);
    assert_eq!(mailbox(&t, &shop, &buyer).await, json!([]));

    // The collect holds exactly what waited, as the shop sent it.
    let c = t
        .collect(&wholesaler, &shop, &seller, Some("c-1"), "")
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert!(c.header("content-type").starts_with("application/EDIFACT"));
    assert_eq!(c.header("renkei-documents"), "2");
    assert_eq!(c.header("renkei-waiting"), "0");
    let expected: Vec<Document> = sent.iter().map(|d| on_the_wire(d, SHOP_GLN)).collect();
    assert_eq!(edifact_documents(&c), expected);
    let interchange = c.header("renkei-interchange").to_string();
    let left = mailbox(&t, &wholesaler, &seller).await;
    assert!(
        left.as_array()
            .expect("partners")
            .iter()
            .all(|p| p["partner_id"] != shop.as_str()),
        "the shop's documents were collected: {left}"
    );

    // A retry is answered with the same interchange; a new key finds nothing.
    let again = t
        .collect(&wholesaler, &shop, &seller, Some("c-1"), "")
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.bytes, c.bytes);
    assert_eq!(again.header("renkei-interchange"), interchange);
    let empty = t
        .collect(&wholesaler, &shop, &seller, Some("c-2"), "")
        .await;
    assert_eq!(empty.status, StatusCode::NO_CONTENT);
    assert!(empty.bytes.is_empty());

    // A lost download is in the interchange list.
    let list = t
        .get(
            &format!("/organisations/{wholesaler}/interchanges"),
            &seller,
        )
        .await;
    let listed = list
        .body
        .as_array()
        .expect("interchanges")
        .iter()
        .find(|i| i["interchange_id"] == interchange.as_str())
        .expect("the collected interchange is listed")
        .clone();
    assert_eq!(listed["direction"], "out");
    assert_eq!(listed["messages"], 2);
    assert_eq!(listed["partner_id"], shop.as_str());
    let (status, _, bytes) = t
        .fetch(
            &format!("/organisations/{wholesaler}/interchanges/{interchange}/file"),
            &seller,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, c.bytes);

    // What arrives after a collect comes alone in the next one.
    let later = order(&shop, &wholesaler, "PO-2026-0009");
    let r = t.send(&shop, &buyer, &later).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let next = t
        .collect(&wholesaler, &shop, &seller, Some("c-3"), "")
        .await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.body);
    assert_eq!(edifact_documents(&next), [on_the_wire(&later, SHOP_GLN)]);
    assert_ne!(next.header("renkei-interchange"), interchange);
    let first_ref = edifact::read(&c.bytes)
        .envelope
        .expect("envelope")
        .reference;
    let next_ref = edifact::read(&next.bytes)
        .envelope
        .expect("envelope")
        .reference;
    assert_ne!(
        first_ref, next_ref,
        "each interchange has its own reference"
    );

    // Without a profile: CSV with organisation ids.
    let csv = t
        .collect(&wholesaler, &shop2, &seller, Some("c-4"), "")
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let reading = sheet::read_csv(&csv.bytes);
    assert_eq!(reading.documents().collect::<Vec<_>>(), [&from_shop2]);

    // A UBL file holds one document: one per collect, the rest wait.
    let one = t
        .collect(&wholesaler, &shop3, &seller, Some("c-5"), "")
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.header("renkei-documents"), "1");
    assert_eq!(one.header("renkei-waiting"), "1");
    let reading = ubl::read(&one.bytes);
    assert!(reading.problems.is_empty(), "{:?}", reading.problems);
    assert_eq!(
        reading.documents().collect::<Vec<_>>(),
        [&on_the_wire(&from_shop3[0], SHOP3_GLN)]
    );
    let two = t
        .collect(&wholesaler, &shop3, &seller, Some("c-6"), "")
        .await;
    assert_eq!(two.header("renkei-waiting"), "0");
    assert_eq!(
        ubl::read(&two.bytes).documents().collect::<Vec<_>>(),
        [&on_the_wire(&from_shop3[1], SHOP3_GLN)]
    );
    assert_eq!(mailbox(&t, &wholesaler, &seller).await, json!([]));

    // The answer goes the other way: it waits for the shop.
    let response = &full_cycle(&shop, &wholesaler)[2];
    let r = t.send(&wholesaler, &seller, response).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let for_shop = mailbox(&t, &shop, &buyer).await;
    assert_eq!(for_shop[0]["partner_id"], wholesaler.as_str(), "{for_shop}");
    assert_eq!(
        for_shop[0]["kinds"],
        json!([{"kind": "order_response", "waiting": 1}])
    );
    assert_eq!(mailbox(&t, &wholesaler, &seller).await, json!([]));
}

renkei_kernel::on_each_engine!(
    a_wholesaler_collects_what_each_shop_sent_as_one_interchange,
    collecting
);

async fn racing(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (wholesaler, shop) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    profile(&t, &wholesaler, &shop, SHOP_GLN, Format::EdifactD96a).await;
    let seller = t.token(&wholesaler, Role::Member);
    let buyer = t.token(&shop, Role::Member);
    let mut numbers = Vec::new();
    let mut interchanges = Vec::new();
    for round in 0..3 {
        for i in 0..4 {
            let number = format!("PO-RACE-{round}-{i}");
            let r = t
                .send(&shop, &buyer, &order(&shop, &wholesaler, &number))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            numbers.push(number);
        }
        let keys: Vec<String> = (0..4).map(|i| format!("race-{round}-{i}")).collect();
        let collects = keys
            .iter()
            .map(|key| t.collect(&wholesaler, &shop, &seller, Some(key), ""));
        for c in join_all(collects).await {
            match c.status {
                StatusCode::OK => interchanges.push(c),
                StatusCode::NO_CONTENT => {}
                other => panic!("{other}: {}", c.body),
            }
        }
    }
    let mut collected: Vec<String> = interchanges
        .iter()
        .flat_map(edifact_documents)
        .map(|d| d.number().to_string())
        .collect();
    collected.sort();
    numbers.sort();
    assert_eq!(
        collected, numbers,
        "each document in exactly one interchange"
    );
    let (waiting,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM mailbox_entry WHERE interchange_id IS NULL")
            .fetch_one(t.app.db().pool())
            .await
            .expect("count");
    assert_eq!(waiting, 0);

    // Racing retries of one collect get one interchange.
    let r = t
        .send(&shop, &buyer, &order(&shop, &wholesaler, "PO-RACE-SAME"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let before = t.rows("edi_interchange").await;
    let same = (0..4).map(|_| t.collect(&wholesaler, &shop, &seller, Some("race-same"), ""));
    let answers = join_all(same).await;
    assert!(
        answers.iter().all(|c| c.status == StatusCode::OK),
        "{:?}",
        answers.iter().map(|c| c.status).collect::<Vec<_>>()
    );
    assert!(answers.windows(2).all(|w| w[0].bytes == w[1].bytes));
    assert_eq!(t.rows("edi_interchange").await, before + 1);
}

renkei_kernel::on_each_engine!(racing_collectors_never_share_a_document, racing);

async fn refused(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (wholesaler, shop, stranger) = (org(), org(), org());
    t.partners(&shop, &wholesaler, true).await;
    profile(&t, &wholesaler, &shop, SHOP_GLN, Format::EdifactD96a).await;
    let buyer = t.token(&shop, Role::Member);
    let r = t
        .send(&shop, &buyer, &order(&shop, &wholesaler, "PO-REF-1"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let path = format!("/organisations/{wholesaler}/edi/mailbox");

    // Another organisation, even its owner, finds no such mailbox.
    let outsider = t.token(&stranger, Role::Owner);
    let r = t.get(&path, &outsider).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let c = t
        .collect(&wholesaler, &shop, &outsider, Some("x-1"), "")
        .await;
    assert_eq!(c.status, StatusCode::NOT_FOUND, "{}", c.body);
    assert!(!c.body.to_string().contains("PO-REF-1"));
    // Inside: a viewer reads but does not collect, nor does an app
    // without the write scope; the shop is not the receiver.
    let viewer = t.token(&wholesaler, Role::Viewer);
    assert_eq!(t.get(&path, &viewer).await.status, StatusCode::OK);
    let c = t
        .collect(&wholesaler, &shop, &viewer, Some("x-2"), "")
        .await;
    assert_eq!(c.status, StatusCode::FORBIDDEN, "{}", c.body);
    let reader = t.app_token(&wholesaler, "orders:read");
    let c = t
        .collect(&wholesaler, &shop, &reader, Some("x-3"), "")
        .await;
    assert_eq!(c.status, StatusCode::FORBIDDEN, "{}", c.body);
    let c = t.collect(&shop, &wholesaler, &buyer, Some("x-4"), "").await;
    assert_eq!(
        c.status,
        StatusCode::NO_CONTENT,
        "nothing waits for the shop"
    );
    let member = t.token(&wholesaler, Role::Member);
    let c = t.collect(&wholesaler, &shop, &member, None, "").await;
    assert_eq!(c.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(c.body["error"]["field"], "Idempotency-Key", "{}", c.body);

    // EDIFACT for a partner without a profile names what is missing.
    let other_shop = org();
    t.partners(&other_shop, &wholesaler, true).await;
    let r = t
        .send(
            &other_shop,
            &t.token(&other_shop, Role::Member),
            &order(&other_shop, &wholesaler, "PO-REF-2"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = t
        .collect(
            &wholesaler,
            &other_shop,
            &member,
            Some("x-5"),
            "?format=edifact_d96a",
        )
        .await;
    assert_eq!(c.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", c.body);
    assert_eq!(c.body["error"]["field"], "format");
    let text = c.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        text.contains("EDI profile") && text.contains(&other_shop),
        "names the missing profile and the partner: {text}"
    );
    let c = t
        .collect(&wholesaler, &shop, &member, Some("x-6"), "?format=edi")
        .await;
    assert_eq!(c.body["error"]["field"], "format", "{}", c.body);

    // Nothing was marked, nothing written.
    let waiting = mailbox(&t, &wholesaler, &member).await;
    let counts: Vec<i64> = waiting
        .as_array()
        .expect("partners")
        .iter()
        .map(|p| p["waiting"].as_i64().expect("count"))
        .collect();
    assert_eq!(counts, [1, 1], "{waiting}");
    assert_eq!(t.rows("edi_interchange").await, 0);

    // The same key for another collect is refused.
    let c = t
        .collect(&wholesaler, &shop, &member, Some("x-7"), "")
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let c = t
        .collect(&wholesaler, &shop, &member, Some("x-7"), "?format=csv")
        .await;
    assert_eq!(c.status, StatusCode::CONFLICT, "{}", c.body);
}

renkei_kernel::on_each_engine!(
    strangers_viewers_and_a_missing_profile_collect_nothing,
    refused
);
