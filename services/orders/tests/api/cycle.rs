//! A whole order cycle over the REST API, its history on both sides, its
//! events, and submissions repeated with the same idempotency key.

use axum::http::StatusCode;
use renkei_edi::Document;
use renkei_kernel::{
    auth::Role,
    settings::{Backend, BusMode},
};
use serde_json::Value;

use renkei_kernel::events::{Envelope, proto::OrderSent};
use renkei_orders::db;

use crate::{TestApp, cycle_between, org};

/// The sample cycle without the cancellation (which is of another order),
/// arranged so that the change is answered: order, change, response,
/// despatch, receipt.
pub(crate) fn full_cycle(buyer: &str, seller: &str) -> Vec<Document> {
    let docs = cycle_between(buyer, seller);
    let mut response = match &docs[3] {
        Document::OrderResponse(r) => r.clone(),
        _ => unreachable!("the fourth sample is the response"),
    };
    response.lines[2].line = 4;
    response.lines[2].item = match &docs[1] {
        Document::OrderChange(c) => c.lines[2].line.item.clone(),
        _ => unreachable!("the second sample is the change"),
    };
    let mut receipt = match &docs[5] {
        Document::ReceiptAdvice(r) => r.clone(),
        _ => unreachable!("the sixth sample is the receipt"),
    };
    receipt.lines[1].received.value = renkei_edi::Decimal::from_int(20);
    vec![
        docs[0].clone(),
        docs[1].clone(),
        Document::OrderResponse(response),
        docs[4].clone(),
        Document::ReceiptAdvice(receipt),
    ]
}

async fn a_full_cycle(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    let partnership = t.partners(&shop, &wholesaler, true).await;
    t.group(
        "01930000-0000-7000-8000-0000000000aa",
        3,
        &[&shop, &wholesaler],
    )
    .await;
    let buyer = t.token(&shop, Role::Member);
    let seller = t.token(&wholesaler, Role::Member);

    let mut statuses = Vec::new();
    let mut order_id = String::new();
    for document in full_cycle(&shop, &wholesaler) {
        let (who, token) = if document.sent_by_buyer() {
            (&shop, &buyer)
        } else {
            (&wholesaler, &seller)
        };
        let r = t.send(who, token, &document).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{:?}: {}",
            document.kind(),
            r.body
        );
        order_id = r.body["order_id"].as_str().expect("order id").to_string();
        statuses.push(r.body["status"].as_str().expect("status").to_string());
    }
    assert_eq!(
        statuses,
        [
            "awaiting_response",
            "awaiting_response",
            "confirmed",
            "despatched",
            "received"
        ]
    );

    let as_buyer = t
        .get(&format!("/organisations/{shop}/orders/{order_id}"), &buyer)
        .await;
    let as_seller = t
        .get(
            &format!("/organisations/{wholesaler}/orders/{order_id}"),
            &seller,
        )
        .await;
    assert_eq!(as_buyer.status, StatusCode::OK, "{}", as_buyer.body);
    assert_eq!(as_buyer.body["side"], "buyer");
    assert_eq!(as_seller.body["side"], "seller");
    assert_eq!(
        as_buyer.body["documents"], as_seller.body["documents"],
        "both sides keep the same history"
    );
    assert_eq!(as_buyer.body["partnership_id"], partnership.as_str());
    assert_eq!(as_buyer.body["group_version"], 3);
    let kinds: Vec<&str> = as_buyer.body["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        [
            "order",
            "order_change",
            "order_response",
            "despatch_advice",
            "receipt_advice"
        ]
    );
    // The history carries the order's note and the change's reason, and no
    // note for the documents that give their reasons per line.
    let notes: Vec<Option<&str>> = as_buyer.body["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| d["note"].as_str())
        .collect();
    let sent = full_cycle(&shop, &wholesaler);
    assert_eq!(
        notes,
        [sent[0].note(), sent[1].note(), None, None, None],
        "{}",
        as_buyer.body["documents"]
    );
    assert!(notes[0].is_some() && notes[1].is_some(), "{notes:?}");
    let lines: Vec<(&str, &str)> = as_buyer.body["line_states"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            (
                l["state"].as_str().expect("state"),
                l["shipped"].as_str().expect("shipped"),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("accepted", "12"),
            ("changed", "20"),
            ("deleted", "0"),
            ("rejected", "0")
        ]
    );

    let cycle = full_cycle(&shop, &wholesaler);
    for (i, expected) in cycle.iter().enumerate() {
        let stored = t
            .get(
                &format!(
                    "/organisations/{wholesaler}/orders/{order_id}/documents/{}",
                    i + 1
                ),
                &seller,
            )
            .await;
        assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);
        let document: Document =
            serde_json::from_value(stored.body["document"].clone()).expect("a document");
        assert_eq!(&document, expected, "document {} is stored as sent", i + 1);
        assert_eq!(stored.body["channel"], "api");
    }

    assert_eq!(
        t.events().await,
        [
            "orders.order.sent",
            "orders.order.changed",
            "orders.order.responded",
            "orders.order.despatched",
            "orders.order.received"
        ]
    );
    let inbox = t
        .get(
            &format!("/organisations/{wholesaler}/orders?box=inbox"),
            &seller,
        )
        .await;
    assert_eq!(inbox.body.as_array().map(Vec::len), Some(1));
    let outbox = t
        .get(
            &format!("/organisations/{wholesaler}/orders?box=outbox"),
            &seller,
        )
        .await;
    assert_eq!(
        outbox.body,
        Value::Array(vec![]),
        "the wholesaler sent no order"
    );
    let received = t
        .get(
            &format!("/organisations/{shop}/orders?status=received&number=0001"),
            &buyer,
        )
        .await;
    assert_eq!(received.body[0]["order_id"], order_id.as_str());
    let none = t
        .get(
            &format!("/organisations/{shop}/orders?status=confirmed"),
            &buyer,
        )
        .await;
    assert_eq!(none.body, Value::Array(vec![]));
}
renkei_kernel::on_each_engine!(
    a_full_order_cycle_over_the_api_ends_in_one_history_for_both_sides,
    a_full_cycle
);

async fn idempotent(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, false).await;
    let buyer = t.token(&shop, Role::Member);
    let order = serde_json::to_value(&cycle_between(&shop, &wholesaler)[0]).expect("json");
    let uri = format!("/organisations/{shop}/documents");
    let first = t
        .call("POST", &uri, &buyer, Some("po-0001-try"), Some(&order))
        .await;
    let again = t
        .call("POST", &uri, &buyer, Some("po-0001-try"), Some(&order))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(first.body, again.body, "the repeat gets the first answer");
    assert_eq!(t.rows("order_document").await, 1);
    assert_eq!(t.events().await.len(), 1, "one event");

    let mut other = order.clone();
    other["note"] = Value::from("別の内容");
    let reused = t
        .call("POST", &uri, &buyer, Some("po-0001-try"), Some(&other))
        .await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert_eq!(reused.body["error"]["code"], "idempotency_key_reused");

    let new_key = t
        .call("POST", &uri, &buyer, Some("po-0001-second"), Some(&order))
        .await;
    assert_eq!(
        new_key.status,
        StatusCode::CONFLICT,
        "the same number under a new key"
    );
    assert_eq!(new_key.body["error"]["code"], "transition_refused");
    assert_eq!(new_key.body["error"]["rule"], "order_number_taken");

    let missing = t.call("POST", &uri, &buyer, None, Some(&order)).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["error"]["field"], "Idempotency-Key");
    assert_eq!(t.rows("order_document").await, 1, "nothing more stored");
}
renkei_kernel::on_each_engine!(
    a_repeated_submission_with_the_same_key_is_applied_once,
    idempotent
);

async fn concurrent(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, false).await;
    let buyer = t.token(&shop, Role::Member);
    let order = serde_json::to_value(&cycle_between(&shop, &wholesaler)[0]).expect("json");
    let uri = format!("/organisations/{shop}/documents");
    let attempts =
        (0..6).map(|_| t.call("POST", &uri, &buyer, Some("same-key-raced"), Some(&order)));
    let answers = futures::future::join_all(attempts).await;
    let ids: Vec<&Value> = answers.iter().map(|a| &a.body["document_id"]).collect();
    assert!(
        answers.iter().all(|a| a.status == StatusCode::CREATED),
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "every racer gets the same document: {ids:?}"
    );
    assert_eq!(t.rows("order_document").await, 1);
    assert_eq!(t.rows("outbox").await, 1);
}
renkei_kernel::on_each_engine!(
    racing_repeats_of_one_submission_store_one_document,
    concurrent
);

async fn many_at_once(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, false).await;
    let buyer = t.token(&shop, Role::Member);
    let uri = format!("/organisations/{shop}/documents");
    let order = |n: usize| {
        let mut doc = cycle_between(&shop, &wholesaler).swap_remove(0);
        if let Document::Order(o) = &mut doc {
            o.number = format!("PO-MANY-{n:03}");
        }
        serde_json::to_value(&doc).expect("json")
    };
    // Thirty distinct new orders, all at once; with them, order 0's number
    // under three more keys (one of the four may win) and order 1 repeated
    // three times under its own key (a replay).
    let mut calls = Vec::new();
    for n in 0..30 {
        calls.push((n, format!("many-{n}"), order(n)));
    }
    for k in 0..3 {
        calls.push((0, format!("many-0-again-{k}"), order(0)));
        calls.push((1, "many-1".to_string(), order(1)));
    }
    let answers = futures::future::join_all(
        calls
            .iter()
            .map(|(_, key, body)| t.call("POST", &uri, &buyer, Some(key), Some(body))),
    )
    .await;
    let of = |number: usize| {
        calls
            .iter()
            .zip(&answers)
            .filter(move |((n, _, _), _)| *n == number)
            .map(|(_, a)| a)
    };
    let zero: Vec<_> = of(0).collect();
    assert_eq!(
        zero.iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .count(),
        1,
        "one of four keys takes number 0"
    );
    for lost in zero.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(lost.status, StatusCode::CONFLICT, "{}", lost.body);
        assert_eq!(lost.body["error"]["rule"], "order_number_taken");
    }
    let one: Vec<_> = of(1).map(|a| &a.body["document_id"]).collect();
    assert_eq!(one.len(), 4);
    assert!(
        one.windows(2).all(|w| w[0] == w[1]) && one[0].is_string(),
        "every replay of order 1 gets its one document: {one:?}"
    );
    for n in 2..30 {
        let a = of(n).next().expect("asked");
        assert_eq!(a.status, StatusCode::CREATED, "order {n}: {}", a.body);
    }
    let mut ids: Vec<&Value> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .map(|a| &a.body["document_id"])
        .collect();
    ids.sort_by_key(|v| v.to_string());
    ids.dedup();
    assert_eq!(ids.len(), 30, "thirty documents answered");
    for table in [
        "purchase_order",
        "order_document",
        "mailbox_entry",
        "outbox",
        "idempotency_key",
    ] {
        // Order 0's winning key and order 1's key are remembered once each.
        assert_eq!(t.rows(table).await, 30, "{table}: one row per order");
    }
    let listed = t
        .get(
            &format!("/organisations/{wholesaler}/orders?box=inbox&limit=100"),
            &t.token(&wholesaler, Role::Member),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(30),
        "the seller sees all thirty"
    );
}
renkei_kernel::on_each_engine!(
    many_new_orders_at_once_are_all_stored_and_a_taken_number_fails_only_its_own,
    many_at_once
);

/// The rows of a new order as the submission path builds them, with only
/// what the tables need.
fn new_order_rows(buyer: &str, seller: &str, number: &str) -> db::NewOrder {
    let order_id = org();
    let document_id = org();
    db::NewOrder {
        order: db::OrderRow {
            order_id: order_id.clone(),
            buyer_id: buyer.to_string(),
            seller_id: seller.to_string(),
            number: number.to_string(),
            status: "sent".to_string(),
            currency: "JPY".to_string(),
            partnership_id: "p-1".to_string(),
            partnership_version: 1,
            group_id: None,
            group_version: None,
            thread_id: None,
            version: 1,
            state: "{}".to_string(),
            created_at_ms: 1,
            updated_at_ms: 1,
        },
        document: db::DocumentRow {
            document_id: document_id.clone(),
            order_id: order_id.clone(),
            version: 1,
            kind: "order".to_string(),
            number: number.to_string(),
            sender_id: buyer.to_string(),
            channel: "api".to_string(),
            body: "{}".to_string(),
            created_at_ms: 1,
        },
        receiver_id: seller.to_string(),
        event: Envelope::new(buyer, &order_id, &OrderSent::default()),
        key_scope: format!("orders/{buyer}"),
        key: format!("key-{number}"),
        request_hash: "h".to_string(),
        answer: "{}".to_string(),
    }
}

/// The statement that writes several new orders at once, on PostgreSQL
/// (SQLite has no data-modifying `WITH`): all of them or none.
#[tokio::test]
async fn several_new_orders_in_one_statement_are_stored_all_or_none() {
    let Some(t) = TestApp::spawn(Backend::Postgres, BusMode::Local).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    let mut conn = t.app.db().acquire().await.expect("connection");
    let first = new_order_rows(&shop, &wholesaler, "PO-1");
    db::orders_insert_at_once(&mut conn, &[&first])
        .await
        .expect("one order");

    let fresh = new_order_rows(&shop, &wholesaler, "PO-2");
    let taken = new_order_rows(&shop, &wholesaler, "PO-1");
    let refused = db::orders_insert_at_once(&mut conn, &[&fresh, &taken])
        .await
        .expect_err("PO-1 is taken");
    assert!(
        renkei_kernel::storage::is_unique_violation(&refused),
        "{refused}"
    );
    drop(conn);
    for table in [
        "purchase_order",
        "order_document",
        "mailbox_entry",
        "outbox",
        "idempotency_key",
    ] {
        assert_eq!(t.rows(table).await, 1, "{table}: nothing of PO-2 stored");
    }

    let mut conn = t.app.db().acquire().await.expect("connection");
    let batch: Vec<db::NewOrder> = (2..=db::NEW_ORDERS_AT_ONCE + 1)
        .map(|n| new_order_rows(&shop, &wholesaler, &format!("PO-{n}")))
        .collect();
    db::orders_insert_at_once(&mut conn, &batch.iter().collect::<Vec<_>>())
        .await
        .expect("a full batch");
    drop(conn);
    let all = i64::try_from(db::NEW_ORDERS_AT_ONCE + 1).expect("small");
    for table in [
        "purchase_order",
        "order_document",
        "mailbox_entry",
        "outbox",
        "idempotency_key",
    ] {
        assert_eq!(
            t.rows(table).await,
            all,
            "{table}: every order of the batch"
        );
    }
    let (waiting,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM mailbox_entry m JOIN order_document d USING (document_id) \
         WHERE m.organisation_id = $1 AND m.partner_id = $2 AND m.kind = d.kind",
    )
    .bind(&wholesaler)
    .bind(&shop)
    .fetch_one(t.app.db().pool())
    .await
    .expect("mailbox");
    assert_eq!(
        waiting, all,
        "each document waits for the seller, from the shop"
    );

    // The large values are compressed with LZ4 (the server here has it).
    let (methods,): (String,) = sqlx::query_as(
        "SELECT string_agg(attname || '=' || attcompression::text, ',' ORDER BY attname) \
         FROM pg_attribute WHERE (attrelid, attname) IN (('purchase_order'::regclass, 'state'), \
         ('order_document'::regclass, 'body'), ('outbox'::regclass, 'envelope'))",
    )
    .fetch_one(t.app.db().pool())
    .await
    .expect("compression");
    assert_eq!(methods, "body=l,envelope=l,state=l");
}

/// A cancelled order keeps its lines in the list: all of them are deleted
/// by the cancellation, and "0 lines" would read as an empty order.
async fn a_cancelled_order_in_the_list(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let buyer = t.token(&shop, Role::Member);
    let docs = cycle_between(&shop, &wholesaler);
    let r = t.send(&shop, &buyer, &docs[0]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut cancellation = renkei_edi::samples::order_cancellation();
    cancellation.order_number = docs[0].number().to_string();
    cancellation.buyer.id = shop.clone();
    cancellation.seller.id = wholesaler.clone();
    let r = t
        .send(&shop, &buyer, &Document::OrderCancellation(cancellation))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    let list = t
        .get(&format!("/organisations/{shop}/orders?box=outbox"), &buyer)
        .await;
    assert_eq!(list.body[0]["status"], "cancelled", "{}", list.body);
    assert_eq!(list.body[0]["lines"], 3, "{}", list.body);
}

renkei_kernel::on_each_engine!(
    a_cancelled_order_is_listed_with_its_lines,
    a_cancelled_order_in_the_list
);
