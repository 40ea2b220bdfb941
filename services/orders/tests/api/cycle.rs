//! A whole order cycle over the REST API, its history on both sides, its
//! events, and submissions repeated with the same idempotency key.

use axum::http::StatusCode;
use renkei_edi::Document;
use renkei_kernel::{
    auth::Role,
    settings::{Backend, BusMode},
};
use serde_json::Value;

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
