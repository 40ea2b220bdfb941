//! Consolidated orders of joint-purchase rounds, arriving over the bus:
//! kept with the event, submitted in the buyer's name, refused with an
//! `orders.order.refused` event when the rules say no, and never placed
//! twice however often the event or the submission is repeated.

use axum::http::StatusCode;
use renkei_edi::Document;
use renkei_kernel::{
    auth::Role,
    bus::{Applied, apply_once},
    events::{
        Envelope, EventMessage,
        proto::{OrderRefused, OrderSent, RoundClosed},
    },
    settings::{Backend, BusMode},
};
use renkei_orders::events::RoundOrders;

use crate::{TestApp, cycle_between, org};

fn closed(round_id: &str, order: &Document) -> Envelope {
    let (buyer, seller) = order.parties();
    Envelope::new(
        &buyer.id,
        round_id,
        &RoundClosed {
            round_id: round_id.to_string(),
            organiser_id: seller.id.clone(),
            wholesaler_id: seller.id.clone(),
            outcome: "ordered".into(),
            order_id: String::new(),
            order_number: order.order_number().to_string(),
            closing_json: "{}".into(),
            buyer_id: buyer.id.clone(),
            order_json: serde_json::to_string(order).expect("json"),
        },
    )
}

async fn outbox(t: &TestApp) -> Vec<Envelope> {
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT envelope FROM outbox ORDER BY outbox_id")
        .fetch_all(t.app.db().pool())
        .await
        .expect("outbox");
    rows.into_iter()
        .map(|(b,)| prost::Message::decode(b.as_slice()).expect("envelope"))
        .collect()
}

async fn joint_purchase_orders(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (association, wholesaler) = (org(), org());
    let order = cycle_between(&association, &wholesaler).remove(0);

    let early = closed(&org(), &order);
    let applied = apply_once(t.app.db(), &RoundOrders, &early, None)
        .await
        .expect("kept");
    assert_eq!(applied, Applied::Applied);
    assert_eq!(t.rows("inbound_document").await, 1);
    // Two instances draining at once: both try the document, one tells.
    let (a, b) = tokio::join!(t.app.inbound_drain(), t.app.inbound_drain());
    assert_eq!(a.expect("drained") + b.expect("drained"), 1);
    let refused: Vec<OrderRefused> = outbox(&t)
        .await
        .iter()
        .filter(|e| e.event_type == OrderRefused::TYPE)
        .map(|e| e.payload_as().expect("payload"))
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "not partners yet: refused, and the sender is told"
    );
    assert_eq!(refused[0].code, "not_partners");
    assert_eq!(refused[0].order_number, order.order_number());
    assert_eq!(t.rows("inbound_document").await, 0);
    assert_eq!(t.rows("purchase_order").await, 0);

    t.partners(&association, &wholesaler, true).await;
    let round = org();
    let event = closed(&round, &order);
    apply_once(t.app.db(), &RoundOrders, &event, None)
        .await
        .expect("kept");
    assert_eq!(
        apply_once(t.app.db(), &RoundOrders, &event, None)
            .await
            .expect("seen"),
        Applied::Duplicate
    );
    assert_eq!(t.app.inbound_drain().await.expect("drained"), 1);
    // A crash after the order was placed but before the inbound row was
    // removed: the row comes back and is submitted again.
    sqlx::query(
        "INSERT INTO inbound_document (event_id, organisation_id, idempotency_key, document, attempts, created_at_ms) \
         VALUES ('again', $1, $2, $3, 0, 0)",
    )
    .bind(&association)
    .bind(format!("procurement:{round}"))
    .bind(serde_json::to_string(&order).expect("json"))
    .execute(t.app.db().pool())
    .await
    .expect("inserted");
    assert_eq!(t.app.inbound_drain().await.expect("drained"), 1);
    assert_eq!(t.rows("purchase_order").await, 1, "placed once");
    let sent: Vec<OrderSent> = outbox(&t)
        .await
        .iter()
        .filter(|e| e.event_type == OrderSent::TYPE)
        .map(|e| e.payload_as().expect("payload"))
        .collect();
    assert_eq!(sent.len(), 1);
    let document = sent[0].document.as_ref().expect("document");
    assert_eq!(document.channel, "joint_purchase");
    assert_eq!(document.buyer_id, association);
    assert_eq!(document.sender_id, association);
    assert_eq!(t.app.inbound_drain().await.expect("nothing left"), 0);

    // The association may cancel the consolidated order but not change it:
    // a change would part it from the shops' intents.
    let change = cycle_between(&association, &wholesaler).remove(1);
    assert_eq!(change.kind(), renkei_edi::DocumentKind::OrderChange);
    let buyer = t.token(&association, Role::Member);
    let refused = t.send(&association, &buyer, &change).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.body["error"]["rule"], "joint_purchase_change");
    assert_eq!(t.rows("order_document").await, 1, "nothing stored");

    // A document that keeps failing waits longer each time and is not
    // tried again before its time; others are not held up behind it.
    sqlx::query(
        "INSERT INTO inbound_document (event_id, organisation_id, idempotency_key, document, attempts, created_at_ms) \
         VALUES ('stuck', $1, 'procurement:stuck', '{}', 0, 0)",
    )
    .bind(&association)
    .execute(t.app.db().pool())
    .await
    .expect("inserted");
    let mut conn = t.app.db().acquire().await.expect("conn");
    renkei_orders::db::inbound_failed(&mut conn, "stuck", 0, "database busy")
        .await
        .expect("counted");
    let now = renkei_kernel::storage::now_ms();
    let due = renkei_orders::db::inbound_waiting(&mut conn, now, 20)
        .await
        .expect("due");
    assert!(due.is_empty(), "not before its wait: {due:?}");
    let later = renkei_orders::db::inbound_waiting(&mut conn, now + 2_001, 20)
        .await
        .expect("due");
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].attempts, 1);
    assert_eq!(renkei_orders::db::inbound_backoff_ms(1), 2_000);
    assert_eq!(renkei_orders::db::inbound_backoff_ms(2), 4_000);
    assert_eq!(renkei_orders::db::inbound_backoff_ms(30), 300_000);
}

renkei_kernel::on_each_engine!(
    a_rounds_consolidated_order_is_placed_once_or_refused_with_a_reason,
    joint_purchase_orders
);
