//! Documents the cycle or the rules refuse: a clear error with its code,
//! rule or field, and nothing stored.

use axum::http::StatusCode;
use renkei_edi::{Decimal, Document};
use renkei_kernel::{
    auth::Role,
    settings::{Backend, BusMode},
};

use crate::{TestApp, cycle_between, org};

async fn refused(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let buyer = t.token(&shop, Role::Member);
    let seller = t.token(&wholesaler, Role::Member);
    let docs = cycle_between(&shop, &wholesaler);

    let early = t.send(&wholesaler, &seller, &docs[4]).await;
    assert_eq!(
        early.status,
        StatusCode::NOT_FOUND,
        "no order yet: {}",
        early.body
    );

    assert_eq!(
        t.send(&shop, &buyer, &docs[0]).await.status,
        StatusCode::CREATED
    );
    let before = (t.rows("order_document").await, t.rows("outbox").await);

    let despatch = t.send(&wholesaler, &seller, &docs[4]).await;
    assert_eq!(despatch.status, StatusCode::CONFLICT, "{}", despatch.body);
    assert_eq!(despatch.body["error"]["code"], "transition_refused");
    assert_eq!(
        despatch.body["error"]["rule"],
        "no_despatch_before_response"
    );
    let message = despatch.body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("line 1 is awaiting a response"),
        "{message}"
    );

    assert_eq!(
        t.send(&wholesaler, &seller, &docs[3]).await.status,
        StatusCode::CREATED
    );
    let mut rejected_line = match &docs[4] {
        Document::DespatchAdvice(d) => d.clone(),
        _ => unreachable!("despatch"),
    };
    rejected_line.lines[0].line = 3;
    rejected_line.lines[0].quantity.unit = "H87".into();
    let r = t
        .send(
            &wholesaler,
            &seller,
            &Document::DespatchAdvice(rejected_line),
        )
        .await;
    assert_eq!(
        r.body["error"]["rule"], "no_despatch_for_rejected_line",
        "{}",
        r.body
    );
    let mut too_much = match &docs[4] {
        Document::DespatchAdvice(d) => d.clone(),
        _ => unreachable!("despatch"),
    };
    too_much.lines[0].quantity.value = Decimal::from_int(13);
    let r = t
        .send(&wholesaler, &seller, &Document::DespatchAdvice(too_much))
        .await;
    assert_eq!(
        r.body["error"]["rule"], "despatch_exceeds_confirmed",
        "{}",
        r.body
    );

    assert_eq!(
        t.send(&wholesaler, &seller, &docs[4]).await.status,
        StatusCode::CREATED
    );
    let change = t.send(&shop, &buyer, &docs[1]).await;
    assert_eq!(
        change.body["error"]["rule"], "no_change_after_full_despatch",
        "{}",
        change.body
    );
    assert_eq!(
        (t.rows("order_document").await, t.rows("outbox").await),
        (before.0 + 2, before.1 + 2),
        "only the accepted response and despatch were stored"
    );
}
renkei_kernel::on_each_engine!(
    documents_out_of_order_are_refused_with_the_rule_and_state,
    refused
);

async fn invalid(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    t.partners(&shop, &wholesaler, true).await;
    let buyer = t.token(&shop, Role::Member);
    let seller = t.token(&wholesaler, Role::Member);
    let docs = cycle_between(&shop, &wholesaler);
    let Document::Order(order) = &docs[0] else {
        unreachable!("order")
    };

    let mut zero = order.clone();
    zero.lines[1].quantity.value = Decimal::ZERO;
    let r = t.send(&shop, &buyer, &Document::Order(zero)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["field"], "lines[1].quantity.value");

    let mut unit = order.clone();
    unit.lines[0].quantity.unit = "ケース".into();
    let r = t.send(&shop, &buyer, &Document::Order(unit)).await;
    assert_eq!(
        r.body["error"]["field"], "lines[0].quantity.unit",
        "{}",
        r.body
    );

    // Every rule broken is listed, not only the first.
    let mut both = order.clone();
    both.lines[1].quantity.value = Decimal::ZERO;
    both.currency = "YEN".into();
    let r = t.send(&shop, &buyer, &Document::Order(both)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<(&str, &str)> = r.body["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["field"].as_str().unwrap_or(""),
                p["rule"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Each by the stable name of the rule it breaks.
    assert!(
        problems.contains(&("currency", "currency_unknown"))
            && problems.contains(&("lines[1].quantity.value", "quantity_not_positive")),
        "{}",
        r.body
    );
    assert_eq!(t.rows("order_document").await, 0);

    let as_seller = t.send(&wholesaler, &seller, &docs[0]).await;
    assert_eq!(
        as_seller.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an order comes from its buyer"
    );
    assert_eq!(as_seller.body["error"]["field"], "buyer.id");

    let reversed = cycle_between(&wholesaler, &shop);
    let r = t.send(&wholesaler, &seller, &reversed[0]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        r.body["error"]["code"], "not_partners",
        "the partnership has the shop as buyer"
    );

    let stranger = org();
    let r = t
        .send(&shop, &buyer, &cycle_between(&shop, &stranger)[0])
        .await;
    assert_eq!(r.body["error"]["code"], "not_partners");

    let malformed = t
        .call(
            "POST",
            &format!("/organisations/{shop}/documents"),
            &buyer,
            Some("k-1"),
            Some(&serde_json::json!({"type": "order", "number": 5})),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["error"]["code"], "malformed_body");

    let bad_filter = t
        .get(
            &format!("/organisations/{shop}/orders?status=shipped"),
            &buyer,
        )
        .await;
    assert_eq!(bad_filter.body["error"]["field"], "status");
    assert_eq!(t.rows("order_document").await, 0, "nothing was stored");
    assert_eq!(t.rows("outbox").await, 0, "nothing was published");
}
renkei_kernel::on_each_engine!(invalid_documents_name_the_field_and_change_nothing, invalid);

async fn ended(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, wholesaler) = (org(), org());
    let id = t.partners(&shop, &wholesaler, false).await;
    let buyer = t.token(&shop, Role::Member);
    let seller = t.token(&wholesaler, Role::Member);
    let docs = cycle_between(&shop, &wholesaler);
    assert_eq!(
        t.send(&shop, &buyer, &docs[0]).await.status,
        StatusCode::CREATED
    );
    t.end(&id, &shop, &wholesaler).await;
    let Document::Order(mut next) = docs[0].clone() else {
        unreachable!("order")
    };
    next.number = "PO-2026-0002".into();
    let r = t.send(&shop, &buyer, &Document::Order(next)).await;
    assert_eq!(
        r.body["error"]["code"], "not_partners",
        "no new order after the partnership ended"
    );
    let r = t.send(&wholesaler, &seller, &docs[3]).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "an order placed before is still answered: {}",
        r.body
    );
}
renkei_kernel::on_each_engine!(
    an_ended_partnership_stops_new_orders_but_not_open_ones,
    ended
);
