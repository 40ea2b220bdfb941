//! The service's use cases through its HTTP API: opening rounds, intents,
//! the live pool, the close, the allocation of the wholesaler's answer,
//! and who sees what — on SQLite and PostgreSQL.

use renkei_edi::{Decimal, Document, LineStatus, Order, OrderResponse, Quantity, ResponseLine};
use renkei_kernel::{
    bus::{Applied, Handler, apply_once},
    events::{
        Envelope, EventMessage,
        proto::{
            IntentWithdrawn, OrderDocument, OrderRefused, OrderResponded, OrderSent,
            PurchaseIntent, RoundClosed,
        },
    },
    settings::{Backend, BusMode},
    storage::now_ms,
};
use renkei_procurement::events::{OrderFeedback, PoolProjector};
use serde_json::{Value, json};

use crate::service::{Region, TestApp, in_an_hour, org, round_for};

renkei_kernel::on_each_engine!(
    shops_of_two_districts_fill_the_pool_and_see_their_tier_and_fee,
    shops_of_two_districts_fill_the_pool_and_see_their_tier_and_fee
);
renkei_kernel::on_each_engine!(
    a_bad_round_is_refused_whole_and_nothing_is_stored,
    a_bad_round_is_refused_whole_and_nothing_is_stored
);
renkei_kernel::on_each_engine!(
    bad_intents_are_refused_with_a_stable_code_and_change_nothing,
    bad_intents_are_refused_with_a_stable_code_and_change_nothing
);
renkei_kernel::on_each_engine!(
    changes_and_withdrawals_keep_the_pool_exact,
    changes_and_withdrawals_keep_the_pool_exact
);
renkei_kernel::on_each_engine!(
    after_a_consumer_crash_the_pool_counts_every_intent_once,
    after_a_consumer_crash_the_pool_counts_every_intent_once
);
renkei_kernel::on_each_engine!(
    two_instances_racing_at_the_cut_off_close_the_round_once,
    two_instances_racing_at_the_cut_off_close_the_round_once
);
renkei_kernel::on_each_engine!(
    the_consolidated_order_is_allocated_back_exactly,
    the_consolidated_order_is_allocated_back_exactly
);
renkei_kernel::on_each_engine!(
    a_refused_consolidated_order_is_shown_with_its_reason,
    a_refused_consolidated_order_is_shown_with_its_reason
);
renkei_kernel::on_each_engine!(
    items_below_their_minimum_fail_and_a_round_with_none_fails,
    items_below_their_minimum_fail_and_a_round_with_none_fails
);
renkei_kernel::on_each_engine!(
    strangers_see_nothing_and_shops_see_only_their_own,
    strangers_see_nothing_and_shops_see_only_their_own
);
renkei_kernel::on_each_engine!(opening_is_idempotent_by_key, opening_is_idempotent_by_key);
renkei_kernel::on_each_engine!(
    a_shop_that_leaves_its_district_has_its_intents_there_withdrawn,
    a_shop_that_leaves_its_district_has_its_intents_there_withdrawn
);
renkei_kernel::on_each_engine!(
    intents_capped_below_the_tier_are_left_out_of_the_order_and_the_allocation,
    intents_capped_below_the_tier_are_left_out_of_the_order_and_the_allocation
);
renkei_kernel::on_each_engine!(
    answers_to_some_lines_add_up_to_the_whole_answer,
    answers_to_some_lines_add_up_to_the_whole_answer
);

async fn opened(t: &TestApp, region: &Region) -> String {
    let opened = t.open(region, &round_for(region, in_an_hour())).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let round = opened.body["round_id"].as_str().expect("id").to_string();
    let accepted = t.accept(region, &round).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    round
}

fn item<'a>(view: &'a Value, code: &str) -> &'a Value {
    view["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["item_code"] == code))
        .unwrap_or_else(|| panic!("no item {code} in {view}"))
}

async fn shops_of_two_districts_fill_the_pool_and_see_their_tier_and_fee(
    backend: Backend,
    _bus: BusMode,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let opened = t.open(&region, &round_for(&region, in_an_hour())).await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(
        opened.body["status"], "proposed",
        "a round opened in an association's name waits for it"
    );
    assert_eq!(opened.body["buyer_id"], region.shop(0, 0));
    assert_eq!(
        opened.body["round"]["districts"][0]["name"], "戸越銀座商店街",
        "district names come from the groups"
    );
    assert_eq!(opened.body["order_number"].as_str().map(str::len), Some(17));
    let round = opened.body["round_id"].as_str().expect("id");
    let early = t.want(region.shop(0, 1), round, "RICE-5KG", 1).await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.rule(), "round_not_accepted");
    let not_buyer = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds/{round}/accept", region.shop(1, 0)),
            &t.owner(region.shop(1, 0)),
            None,
        )
        .await;
    assert_eq!(not_buyer.status, 403, "only the buyer accepts");
    let member = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds/{round}/accept", region.shop(0, 0)),
            &t.token(region.shop(0, 0), renkei_kernel::auth::Role::Member),
            None,
        )
        .await;
    assert_eq!(
        member.status, 403,
        "accepting commits the buyer: admins only"
    );
    let accepted = t.accept(&region, round).await;
    assert_eq!(accepted.body["status"], "open");
    assert_eq!(t.accept(&region, round).await.rule(), "round_not_proposed");

    for (d, i, quantity) in [(0, 0, 8), (0, 1, 4), (1, 0, 6)] {
        let r = t.want(region.shop(d, i), round, "RICE-5KG", quantity).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["version"], 1);
    }
    t.pump().await;

    let shop = region.shop(0, 0);
    let view = t.view(shop, round).await;
    assert_eq!(view.status, 200, "{}", view.body);
    let rice = item(&view.body, "RICE-5KG");
    assert_eq!(rice["pooled"], 18);
    assert_eq!(rice["shops"], 3);
    assert_eq!(
        rice["tier"]["unit_price"], 2_200,
        "10 bags reached the first break"
    );
    assert_eq!(rice["next"]["units_missing"], 12);
    assert_eq!(rice["next"]["unit_price"], 2_000);
    let mine = &view.body["mine"];
    assert_eq!(mine["intents"][0]["expected_unit_price"], 2_200);
    assert_eq!(mine["intents"][0]["expected_amount"], 8 * 2_200);
    assert_eq!(
        mine["expected_fee"], 1_501,
        "3,001 yen per drop between two shops: the earlier pays the odd yen"
    );
    assert_eq!(mine["expected_total"], 8 * 2_200 + 1_501);
    assert_eq!(
        view.body["parts"],
        json!(["buyer", "district_organiser", "shop"])
    );

    let later = t.view(region.shop(0, 1), round).await;
    assert_eq!(later.body["mine"]["expected_fee"], 1_500);
    let alone = t.view(region.shop(1, 0), round).await;
    assert_eq!(
        alone.body["mine"]["expected_fee"], 3_001,
        "alone at its drop"
    );

    t.want(region.shop(1, 1), round, "RICE-5KG", 12).await;
    t.pump().await;
    let wholesaler = t.view(&region.wholesaler, round).await;
    let rice = item(&wholesaler.body, "RICE-5KG");
    assert_eq!(rice["pooled"], 30);
    assert_eq!(rice["tier"]["unit_price"], 2_000, "crossed the second tier");
    assert_eq!(rice["next"], Value::Null);
    assert_eq!(wholesaler.body["mine"], Value::Null);
    assert_eq!(wholesaler.body["districts"][1]["shops"], 2);

    let list = t
        .call(
            "GET",
            &format!("/organisations/{}/rounds", region.wholesaler),
            &t.owner(&region.wholesaler),
            None,
        )
        .await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    assert_eq!(list.body[0]["parts"], json!(["organiser", "wholesaler"]));
    assert_eq!(
        t.events()
            .await
            .iter()
            .filter(|e| e.starts_with("procurement.intent."))
            .count(),
        4
    );
}

async fn a_bad_round_is_refused_whole_and_nothing_is_stored(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let mut draft = round_for(&region, in_an_hour());
    draft.items[0].breaks[1].unit_price = 2_300;
    draft.districts[1].group_id = "no-such-group".into();
    let body = json!({"round": draft});
    let r = t
        .call_keyed(
            "POST",
            &format!("/organisations/{}/rounds", region.wholesaler),
            &t.owner(&region.wholesaler),
            Some("open-1"),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let problems: Vec<(String, String)> = r.body["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["rule"].as_str().unwrap_or("").to_string(),
                p["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for expected in [
        ("inconsistent_price_breaks", "round.items[0].breaks"),
        ("unknown_district", "round.districts[1].group_id"),
        ("buyer_not_organiser", "buyer_id"),
    ] {
        assert!(
            problems
                .iter()
                .any(|(rule, field)| rule == expected.0 && field.starts_with(expected.1)),
            "{expected:?} in {problems:?}"
        );
    }
    assert_eq!(t.rows("round").await, 0);
    assert!(t.events().await.is_empty());

    let missing_key = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds", region.wholesaler),
            &t.owner(&region.wholesaler),
            Some(
                &json!({"buyer_id": region.shop(0, 0), "round": round_for(&region, in_an_hour())}),
            ),
        )
        .await;
    assert_eq!(missing_key.status, 422);
    assert_eq!(missing_key.body["error"]["field"], "Idempotency-Key");

    let past = t.open(&region, &round_for(&region, now_ms() - 1)).await;
    assert_eq!(past.rule(), "cutoff_not_in_future");
    let stranger = org();
    let not_theirs = t
        .call_keyed(
            "POST",
            &format!("/organisations/{stranger}/rounds"),
            &t.owner(&stranger),
            Some("open-2"),
            Some(&json!({"wholesaler_id": region.wholesaler, "round": round_for(&region, in_an_hour())})),
        )
        .await;
    assert_eq!(not_theirs.status, 422);
    assert_eq!(not_theirs.body["error"]["field"], "wholesaler_id");
    assert_eq!(t.rows("round").await, 0);
}

async fn bad_intents_are_refused_with_a_stable_code_and_change_nothing(
    backend: Backend,
    _bus: BusMode,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    let shop = region.shop(0, 0);
    t.want(shop, &round, "RICE-5KG", 3).await;
    let before = (t.rows("intent").await, t.events().await.len());

    assert_eq!(
        t.want(shop, &round, "NO-SUCH", 1).await.rule(),
        "unknown_item"
    );
    // The last is within the quantity limit, but 500 million bottles at
    // 600 yen come to more yen than one line may hold.
    for quantity in [0, -5, 2_000_000_000, 500_000_000] {
        let r = t.want(shop, &round, "OIL-1L", quantity).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.rule(), "bad_quantity", "{quantity}");
    }
    let other_district = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/rounds/{round}/intents/OIL-1L"),
            &t.owner(shop),
            Some(&json!({"quantity": 1, "district_id": region.district(1)})),
        )
        .await;
    assert_eq!(other_district.rule(), "not_district_member");
    let negative_cap = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/rounds/{round}/intents/OIL-1L"),
            &t.owner(shop),
            Some(&json!({"quantity": 1, "max_unit_price": -1})),
        )
        .await;
    assert_eq!(negative_cap.status, 422);
    assert_eq!(negative_cap.body["error"]["field"], "max_unit_price");
    let outsider = org();
    let r = t.want(&outsider, &round, "RICE-5KG", 1).await;
    assert_eq!(
        r.status, 404,
        "a shop outside the invited districts: {}",
        r.body
    );
    let malformed = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/rounds/{round}/intents/OIL-1L"),
            &t.owner(shop),
            Some(&json!({"quantity": "many"})),
        )
        .await;
    assert_eq!(malformed.status, 400);
    let viewer = t
        .call(
            "PUT",
            &format!("/organisations/{shop}/rounds/{round}/intents/OIL-1L"),
            &t.token(shop, renkei_kernel::auth::Role::Viewer),
            Some(&json!({"quantity": 1})),
        )
        .await;
    assert_eq!(viewer.status, 403);
    assert_eq!(before, (t.rows("intent").await, t.events().await.len()));

    let closed = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds/{round}/close", region.wholesaler),
            &t.owner(&region.wholesaler),
            None,
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    let late = t.want(shop, &round, "RICE-5KG", 9).await;
    assert_eq!(late.status, 422);
    assert_eq!(late.rule(), "round_closed");
    let withdraw = t
        .call(
            "DELETE",
            &format!("/organisations/{shop}/rounds/{round}/intents/RICE-5KG"),
            &t.owner(shop),
            None,
        )
        .await;
    assert_eq!(withdraw.rule(), "round_closed");
    let again = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds/{round}/close", region.wholesaler),
            &t.owner(&region.wholesaler),
            None,
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.rule(), "round_not_open");
}

async fn changes_and_withdrawals_keep_the_pool_exact(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    let (a, b) = (region.shop(0, 0), region.shop(1, 0));
    t.want(a, &round, "RICE-5KG", 5).await;
    t.want(b, &round, "RICE-5KG", 7).await;
    let changed = t.want(a, &round, "RICE-5KG", 9).await;
    assert_eq!(changed.body["version"], 2);
    let same = t.want(a, &round, "RICE-5KG", 9).await;
    assert_eq!(same.body["version"], 2, "the same values change nothing");
    let withdrawn = t
        .call(
            "DELETE",
            &format!("/organisations/{b}/rounds/{round}/intents/RICE-5KG"),
            &t.owner(b),
            None,
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    assert_eq!(withdrawn.body["quantity"], 0);
    let gone = t
        .call(
            "DELETE",
            &format!("/organisations/{b}/rounds/{round}/intents/RICE-5KG"),
            &t.owner(b),
            None,
        )
        .await;
    assert_eq!(gone.status, 404);
    t.want(b, &round, "OIL-1L", 3).await;
    let back = t.want(b, &round, "RICE-5KG", 2).await;
    assert_eq!(back.body["version"], 3);
    assert_eq!(
        t.events()
            .await
            .iter()
            .filter(|e| e.starts_with("procurement.intent."))
            .count(),
        6
    );
    t.pump().await;
    t.pump().await;
    let view = t.view(&region.wholesaler, &round).await;
    assert_eq!(item(&view.body, "RICE-5KG")["pooled"], 11);
    assert_eq!(item(&view.body, "RICE-5KG")["shops"], 2);
    assert_eq!(item(&view.body, "OIL-1L")["pooled"], 3);
    assert_eq!(view.body["districts"][0]["shops"], 1);
    assert_eq!(view.body["districts"][1]["shops"], 1);
}

/// The pool as it should be: the held intents summed from the intent table.
async fn pool_from_intents(t: &TestApp, round: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT item_code, CAST(SUM(quantity) AS BIGINT) FROM intent WHERE round_id = $1 \
         GROUP BY item_code HAVING SUM(quantity) > 0 ORDER BY item_code",
    )
    .bind(round)
    .fetch_all(t.app.db().pool())
    .await
    .expect("sums")
}

async fn pool_counted(t: &TestApp, round: &str) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT item_code, CAST(SUM(pooled) AS BIGINT) FROM pool_item WHERE round_id = $1 \
         GROUP BY item_code HAVING SUM(pooled) > 0 ORDER BY item_code",
    )
    .bind(round)
    .fetch_all(t.app.db().pool())
    .await
    .expect("pool")
}

async fn after_a_consumer_crash_the_pool_counts_every_intent_once(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    let shops = [
        region.shop(0, 0),
        region.shop(0, 1),
        region.shop(1, 0),
        region.shop(1, 1),
    ];
    for (i, shop) in shops.iter().enumerate() {
        let i = i64::try_from(i).expect("small");
        t.want(shop, &round, "RICE-5KG", 3 + i).await;
        t.want(shop, &round, "OIL-1L", 10 + i).await;
        t.want(shop, &round, "RICE-5KG", 20 + i).await;
    }
    let events: Vec<Envelope> = t
        .outbox()
        .await
        .into_iter()
        .filter(|e| e.event_type.starts_with("procurement.intent."))
        .collect();
    assert_eq!(events.len(), 12);

    for e in &events[..5] {
        apply_once(t.app.db(), &PoolProjector, e, None)
            .await
            .expect("applies");
    }
    // The consumer dies inside its transaction for the sixth event: the
    // effect ran, the commit never came.
    {
        let mut tx = t.app.db().begin().await.expect("tx");
        PoolProjector
            .handle(&mut tx, &events[5])
            .await
            .expect("handled");
        drop(tx);
    }
    assert_ne!(
        pool_counted(&t, &round).await,
        pool_from_intents(&t, &round).await
    );

    // After the restart the bus delivers again from before the crash (at
    // least once), here even from the start, and a late copy arrives out
    // of order after a newer state of the same intent.
    let mut outcomes = Vec::new();
    for e in events.iter().chain([&events[0], &events[7]]) {
        outcomes.push(
            apply_once(t.app.db(), &PoolProjector, e, None)
                .await
                .expect("applies"),
        );
    }
    assert_eq!(
        outcomes.iter().filter(|o| **o == Applied::Applied).count(),
        7,
        "only the events not committed before apply now: {outcomes:?}"
    );
    assert_eq!(
        pool_counted(&t, &round).await,
        pool_from_intents(&t, &round).await
    );

    // A redelivery under another consumer name (a rebuilt projection that
    // lost its processed ids) still never goes back to an older state.
    let stale = events[0].clone();
    struct Rebuilt;
    impl Handler for Rebuilt {
        fn name(&self) -> &str {
            "procurement.pool.rebuilt"
        }
        fn sources(&self) -> Vec<String> {
            PoolProjector.sources()
        }
        fn handles(&self, event_type: &str) -> bool {
            PoolProjector.handles(event_type)
        }
        fn handle<'a>(
            &'a self,
            conn: &'a mut renkei_kernel::storage::Conn,
            event: &'a Envelope,
        ) -> futures::future::BoxFuture<'a, Result<(), renkei_kernel::bus::HandlerError>> {
            PoolProjector.handle(conn, event)
        }
    }
    apply_once(t.app.db(), &Rebuilt, &stale, None)
        .await
        .expect("applies");
    assert_eq!(
        pool_counted(&t, &round).await,
        pool_from_intents(&t, &round).await
    );
}

async fn two_instances_racing_at_the_cut_off_close_the_round_once(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    t.want(region.shop(0, 0), &round, "RICE-5KG", 12).await;
    t.want(region.shop(1, 0), &round, "OIL-1L", 25).await;
    let other = t.second_instance().await;
    let after_cutoff = in_an_hour() + 1;
    for _ in 0..3 {
        let (a, b, c, d) = tokio::join!(
            t.app.close_due(after_cutoff),
            other.close_due(after_cutoff),
            t.app.close_once(&round, after_cutoff),
            other.close_once(&round, after_cutoff),
        );
        let a = a.expect("first sweep") + usize::from(c.expect("first close"));
        let b = b.expect("second sweep") + usize::from(d.expect("second close"));
        assert!(a + b <= 1, "closed {a} + {b} times");
    }
    let closed: Vec<Envelope> = t
        .outbox()
        .await
        .into_iter()
        .filter(|e| e.event_type == RoundClosed::TYPE)
        .collect();
    assert_eq!(closed.len(), 1, "exactly one consolidated order");
    let event: RoundClosed = closed[0].payload_as().expect("payload");
    assert_eq!(event.outcome, "ordered");
    let order: Document = serde_json::from_str(&event.order_json).expect("an order document");
    let Document::Order(order) = order else {
        panic!("not an order: {order:?}");
    };
    assert_eq!(order.buyer.id, region.shop(0, 0));
    assert_eq!(order.seller.id, region.wholesaler);
    assert_eq!(order.lines.len(), 2);
    assert_eq!(
        order.lines[0].quantity.value,
        Decimal::new(12, 0).expect("12")
    );
    assert_eq!(
        order.lines[0].unit_price,
        Decimal::new(2_200, 0),
        "the tier reached"
    );
    assert!(renkei_edi::rules::check(&Document::Order(order)).is_empty());
    let view = t.view(&region.wholesaler, &round).await;
    assert_eq!(view.body["status"], "ordered");
    assert_eq!(view.body["closing"]["lines"][1]["quantity"], 25);
}

fn order_document(
    order: &Order,
    order_id: &str,
    kind: &str,
    version: i64,
    json: String,
) -> OrderDocument {
    OrderDocument {
        order_id: order_id.to_string(),
        document_id: org(),
        version,
        kind: kind.into(),
        number: order.number.clone(),
        order_number: order.number.clone(),
        buyer_id: order.buyer.id.clone(),
        seller_id: order.seller.id.clone(),
        sender_id: order.seller.id.clone(),
        state: "confirmed".into(),
        channel: "joint_purchase".into(),
        document_json: json,
    }
}

/// The wholesaler's answer to some lines of a consolidated order, as the
/// orders service publishes it: `None` accepts the line as ordered, `Some(0)`
/// rejects it, `Some(n)` accepts `n` units.
fn responded(
    order: &Order,
    order_id: &str,
    version: i64,
    lines: &[(u32, Option<i64>)],
) -> Envelope {
    let response = OrderResponse {
        number: format!("R-{}-{version}", order.number),
        order_number: order.number.clone(),
        issued: order.issued,
        buyer: order.buyer.clone(),
        seller: order.seller.clone(),
        currency: order.currency.clone(),
        lines: lines
            .iter()
            .filter_map(|(n, a)| order.lines.iter().find(|l| l.line == *n).map(|l| (l, a)))
            .map(|(l, a)| ResponseLine {
                line: l.line,
                status: match a {
                    None => LineStatus::Accepted,
                    Some(0) => LineStatus::Rejected,
                    Some(_) => LineStatus::Changed,
                },
                item: l.item.clone(),
                quantity: a.filter(|q| *q > 0).map(|q| Quantity {
                    value: Decimal::new(q, 0).expect("quantity"),
                    unit: l.quantity.unit.clone(),
                }),
                unit_price: None,
                confirmed_delivery: None,
                reason: a.map(|_| "在庫不足".to_string()),
            })
            .collect(),
    };
    Envelope::new(
        &order.seller.id,
        order_id,
        &OrderResponded {
            document: Some(order_document(
                order,
                order_id,
                "order_response",
                version,
                serde_json::to_string(&Document::OrderResponse(response)).expect("json"),
            )),
        },
    )
}

/// The orders service's events about a consolidated order, as it would
/// publish them: the order placed, then the wholesaler's answer to every line.
fn order_events(order: &Order, order_id: &str, accepted: &[Option<i64>]) -> Vec<Envelope> {
    let sent = Envelope::new(
        &order.buyer.id,
        order_id,
        &OrderSent {
            document: Some(order_document(
                order,
                order_id,
                "order",
                1,
                serde_json::to_string(&Document::Order(order.clone())).expect("json"),
            )),
        },
    );
    let lines: Vec<(u32, Option<i64>)> = order
        .lines
        .iter()
        .zip(accepted)
        .map(|(l, a)| (l.line, *a))
        .collect();
    vec![sent, responded(order, order_id, 2, &lines)]
}

async fn closed_order(t: &TestApp, round: &str, wholesaler: &str) -> Order {
    let closed = t
        .call(
            "POST",
            &format!("/organisations/{wholesaler}/rounds/{round}/close"),
            &t.owner(wholesaler),
            None,
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    let event = t
        .outbox()
        .await
        .into_iter()
        .find(|e| e.event_type == RoundClosed::TYPE)
        .expect("closed event");
    let event: RoundClosed = event.payload_as().expect("payload");
    match serde_json::from_str(&event.order_json).expect("order json") {
        Document::Order(order) => order,
        other => panic!("not an order: {other:?}"),
    }
}

async fn the_consolidated_order_is_allocated_back_exactly(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    let wants = [
        (region.shop(0, 0), 7),
        (region.shop(0, 1), 5),
        (region.shop(1, 0), 11),
        (region.shop(1, 1), 8),
    ];
    for (shop, quantity) in wants {
        t.want(shop, &round, "RICE-5KG", quantity).await;
        t.want(shop, &round, "OIL-1L", 6).await;
    }
    let order = closed_order(&t, &round, &region.wholesaler).await;
    assert_eq!(
        order.lines[0].quantity.value,
        Decimal::new(31, 0).expect("31")
    );
    let order_id = org();
    let events = order_events(&order, &order_id, &[Some(20), None]);
    for e in events.iter().rev().chain(events.iter()) {
        apply_once(t.app.db(), &OrderFeedback, e, None)
            .await
            .expect("applies");
    }
    let view = t.view(&region.wholesaler, &round).await;
    assert_eq!(view.body["status"], "allocated", "{}", view.body);
    assert_eq!(view.body["order_id"], order_id);
    let items = &view.body["allocation"]["items"];
    assert_eq!(items[0]["accepted"], 20);
    assert_eq!(
        items[0]["tier"]["unit_price"], 2_200,
        "20 accepted bags price at the tier they reach, not the 31 ordered"
    );
    assert_eq!(items[1]["accepted"], 24);

    let all = t.allocations(&region.wholesaler, &round).await;
    let shops = all.body.as_array().expect("allocations");
    assert_eq!(shops.len(), 4);
    let mut rice = 0;
    for s in shops {
        let line = s["participant"]["lines"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["item_code"] == "RICE-5KG"))
            .expect("rice line");
        let (allocated, requested) = (
            line["allocated"].as_i64().expect("n"),
            line["requested"].as_i64().expect("n"),
        );
        assert!((0..=requested).contains(&allocated), "{line}");
        rice += allocated;
        assert_eq!(
            s["saving"]["saving"].as_i64(),
            Some(
                s["saving"]["alone"].as_i64().expect("alone")
                    - s["saving"]["pooled"].as_i64().expect("pooled")
            )
        );
    }
    assert_eq!(rice, 20, "allocations sum to the accepted quantity");

    let shop = region.shop(1, 1);
    let own = t.view(shop, &round).await;
    assert_eq!(
        own.body["mine"]["allocation"]["participant"]["shop_id"],
        shop
    );
    let own_list = t.allocations(shop, &round).await;
    assert_eq!(
        own_list.body.as_array().map(Vec::len),
        Some(1),
        "a shop sees its own"
    );
    let organiser_list = t.allocations(region.shop(1, 0), &round).await;
    assert_eq!(
        organiser_list.body.as_array().map(Vec::len),
        Some(2),
        "a district's organiser sees its district's shops"
    );
    let plan = t
        .call(
            "GET",
            &format!(
                "/organisations/{}/rounds/{round}/delivery-plan",
                region.wholesaler
            ),
            &t.owner(&region.wholesaler),
            None,
        )
        .await;
    assert_eq!(plan.status, 200, "{}", plan.body);
    assert_eq!(
        plan.body["drops"].as_array().map(Vec::len),
        Some(2),
        "one drop per district"
    );
    assert_eq!(
        plan.body["drops"][0]["shops"].as_array().map(Vec::len),
        Some(2)
    );
    let district_plan = t
        .call(
            "GET",
            &format!(
                "/organisations/{}/rounds/{round}/delivery-plan",
                region.shop(1, 0)
            ),
            &t.owner(region.shop(1, 0)),
            None,
        )
        .await;
    assert_eq!(
        district_plan.body["drops"].as_array().map(Vec::len),
        Some(1),
        "a district's organiser sees its own drop: {}",
        district_plan.body
    );
    let shop_plan = t
        .call(
            "GET",
            &format!(
                "/organisations/{}/rounds/{round}/delivery-plan",
                region.shop(1, 1)
            ),
            &t.owner(region.shop(1, 1)),
            None,
        )
        .await;
    assert_eq!(shop_plan.status, 403);
    assert_eq!(
        t.events()
            .await
            .iter()
            .filter(|e| e.as_str() == "procurement.round.allocated")
            .count(),
        1,
        "a repeated answer is allocated once"
    );
}

async fn a_refused_consolidated_order_is_shown_with_its_reason(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    t.want(region.shop(0, 0), &round, "RICE-5KG", 9).await;
    let order = closed_order(&t, &round, &region.wholesaler).await;
    let refused = Envelope::new(
        &order.buyer.id,
        &org(),
        &OrderRefused {
            buyer_id: order.buyer.id.clone(),
            seller_id: order.seller.id.clone(),
            order_number: order.number.clone(),
            idempotency_key: format!("procurement:{round}"),
            code: "not_partners".into(),
            message: "no active partnership".into(),
        },
    );
    apply_once(t.app.db(), &OrderFeedback, &refused, None)
        .await
        .expect("applies");
    let view = t.view(region.shop(0, 0), &round).await;
    assert_eq!(view.body["status"], "refused");
    assert!(
        view.body["refusal"]
            .as_str()
            .is_some_and(|r| r.contains("not_partners"))
    );

    // The buyer reuses the refused order's number with another seller: that
    // order and its answer are not the round's.
    let mut elsewhere = order.clone();
    elsewhere.seller.id = org();
    for e in order_events(&elsewhere, &org(), &[None]) {
        apply_once(t.app.db(), &OrderFeedback, &e, None)
            .await
            .expect("applies");
    }
    let view = t.view(region.shop(0, 0), &round).await;
    assert_eq!(view.body["status"], "refused", "{}", view.body);
    assert_eq!(view.body["order_id"], Value::Null);
}

async fn items_below_their_minimum_fail_and_a_round_with_none_fails(
    backend: Backend,
    _bus: BusMode,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    t.want(region.shop(0, 0), &round, "RICE-5KG", 6).await;
    t.want(region.shop(0, 0), &round, "OIL-1L", 19).await;
    let order = closed_order(&t, &round, &region.wholesaler).await;
    assert_eq!(order.lines.len(), 1, "oil stayed below its minimum of 20");
    let view = t.view(region.shop(0, 0), &round).await;
    assert_eq!(view.body["closing"]["failed"][0]["item_code"], "OIL-1L");
    assert_eq!(view.body["closing"]["failed"][0]["reason"], "below_minimum");

    let empty = opened(&t, &region).await;
    t.want(region.shop(1, 0), &empty, "OIL-1L", 3).await;
    let closed = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds/{empty}/close", region.wholesaler),
            &t.owner(&region.wholesaler),
            None,
        )
        .await;
    assert_eq!(closed.body["status"], "failed");
    assert_eq!(closed.body["closing"]["outcome"], "failed");
    let last: RoundClosed = t
        .outbox()
        .await
        .into_iter()
        .rfind(|e| e.event_type == RoundClosed::TYPE)
        .expect("closed")
        .payload_as()
        .expect("payload");
    assert_eq!(last.outcome, "failed");
    assert!(last.order_json.is_empty(), "nothing is ordered");
}

async fn strangers_see_nothing_and_shops_see_only_their_own(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    t.want(region.shop(0, 0), &round, "RICE-5KG", 6).await;
    let stranger = org();
    for (method, path) in [
        ("GET", format!("/organisations/{stranger}/rounds/{round}")),
        (
            "POST",
            format!("/organisations/{stranger}/rounds/{round}/close"),
        ),
        (
            "GET",
            format!("/organisations/{stranger}/rounds/{round}/allocations"),
        ),
        (
            "GET",
            format!("/organisations/{stranger}/rounds/{round}/delivery-plan"),
        ),
    ] {
        let r = t.call(method, &path, &t.owner(&stranger), None).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.body);
    }
    let list = t
        .call(
            "GET",
            &format!("/organisations/{stranger}/rounds"),
            &t.owner(&stranger),
            None,
        )
        .await;
    assert_eq!(list.body, json!([]));
    let wrong_org = t
        .call(
            "GET",
            &format!("/organisations/{}/rounds/{round}", region.shop(0, 0)),
            &t.owner(&stranger),
            None,
        )
        .await;
    assert_eq!(
        wrong_org.status, 404,
        "a token for one organisation reads nothing of another"
    );
    let shop_closes = t
        .call(
            "POST",
            &format!("/organisations/{}/rounds/{round}/close", region.shop(0, 1)),
            &t.owner(region.shop(0, 1)),
            None,
        )
        .await;
    assert_eq!(shop_closes.status, 403);
    let other = t.view(region.shop(0, 1), &round).await;
    assert_eq!(
        other.body["mine"]["intents"],
        json!([]),
        "another shop's intents stay its own"
    );
    let unauthenticated = t
        .call(
            "GET",
            &format!("/organisations/{stranger}/rounds"),
            "nonsense",
            None,
        )
        .await;
    assert_eq!(unauthenticated.status, 401);
}

async fn opening_is_idempotent_by_key(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let body = json!({"buyer_id": region.shop(0, 0), "round": round_for(&region, in_an_hour())});
    let path = format!("/organisations/{}/rounds", region.wholesaler);
    let token = t.owner(&region.wholesaler);
    let first = t
        .call_keyed("POST", &path, &token, Some("round-2026-12"), Some(&body))
        .await;
    let again = t
        .call_keyed("POST", &path, &token, Some("round-2026-12"), Some(&body))
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(first.body["round_id"], again.body["round_id"]);
    assert_eq!(t.rows("round").await, 1);
    let mut other = body.clone();
    other["round"]["title"] = json!("別の回");
    let reused = t
        .call_keyed("POST", &path, &token, Some("round-2026-12"), Some(&other))
        .await;
    assert_eq!(reused.status, 409);
    assert_eq!(reused.rule(), "idempotency_key_reused");
    assert_eq!(
        t.events().await,
        vec!["procurement.round.opened".to_string()]
    );
}

async fn answers_to_some_lines_add_up_to_the_whole_answer(backend: Backend, _bus: BusMode) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    t.want(region.shop(0, 0), &round, "RICE-5KG", 12).await;
    t.want(region.shop(1, 0), &round, "OIL-1L", 25).await;
    let order = closed_order(&t, &round, &region.wholesaler).await;
    let order_id = org();
    for event in [
        responded(&order, &order_id, 2, &[(1, Some(10))]),
        responded(&order, &order_id, 3, &[(2, None)]),
        responded(&order, &order_id, 2, &[(1, Some(1))]),
    ] {
        apply_once(t.app.db(), &OrderFeedback, &event, None)
            .await
            .expect("applies");
    }
    let view = t.view(&region.wholesaler, &round).await;
    let items = &view.body["allocation"]["items"];
    assert_eq!(
        items[0]["accepted"], 10,
        "the first answer stands: {}",
        view.body
    );
    assert_eq!(
        items[1]["accepted"], 25,
        "the second answer adds the other line"
    );

    // The buyer cancels the consolidated order: the round says so, and a
    // later answer no longer changes the allocation.
    let cancelled = Envelope::new(
        &order.buyer.id,
        &order_id,
        &renkei_kernel::events::proto::OrderCancelled {
            document: Some(order_document(
                &order,
                &order_id,
                "order_cancellation",
                4,
                "{}".into(),
            )),
        },
    );
    apply_once(t.app.db(), &OrderFeedback, &cancelled, None)
        .await
        .expect("applies");
    let late = responded(&order, &order_id, 5, &[(1, Some(12))]);
    apply_once(t.app.db(), &OrderFeedback, &late, None)
        .await
        .expect("applies");
    let view = t.view(region.shop(0, 0), &round).await;
    assert_eq!(view.body["status"], "cancelled", "{}", view.body);
    assert_eq!(view.body["allocation"]["items"][0]["accepted"], 10);
}

async fn intents_capped_below_the_tier_are_left_out_of_the_order_and_the_allocation(
    backend: Backend,
    _bus: BusMode,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    let capped = |shop: &str, quantity: i64, cap: i64| {
        let (shop, round) = (shop.to_string(), round.clone());
        let t = &t;
        async move {
            let put = t
                .call(
                    "PUT",
                    &format!("/organisations/{shop}/rounds/{round}/intents/RICE-5KG"),
                    &t.owner(&shop),
                    Some(&json!({"quantity": quantity, "max_unit_price": cap})),
                )
                .await;
            assert_eq!(put.status, 200, "{}", put.body);
        }
    };
    // Rice: 2,400 yen, 2,200 from 10 bags, 2,000 from 30. The 31 bags
    // wanted reach 2,000; shop (1,1) caps at 1,900 and drops, the 23 left
    // price at 2,200, above shop (0,1)'s cap of 2,100, which drops too: 18
    // bags at 2,200 remain. Oil: 7 each from three shops, 21 of a minimum 20.
    t.want(region.shop(0, 0), &round, "RICE-5KG", 7).await;
    capped(region.shop(0, 1), 5, 2_100).await;
    t.want(region.shop(1, 0), &round, "RICE-5KG", 11).await;
    capped(region.shop(1, 1), 8, 1_900).await;
    for shop in [region.shop(0, 0), region.shop(0, 1), region.shop(1, 0)] {
        t.want(shop, &round, "OIL-1L", 7).await;
    }

    let order = closed_order(&t, &round, &region.wholesaler).await;
    let quantities: Vec<_> = order.lines.iter().map(|l| l.quantity.value).collect();
    assert_eq!(
        quantities,
        [Decimal::new(18, 0), Decimal::new(21, 0)].map(|d| d.expect("n"))
    );
    assert_eq!(order.lines[0].unit_price, Decimal::new(2_200, 0));
    let view = t.view(&region.wholesaler, &round).await;
    let closing = &view.body["closing"];
    assert_eq!(closing["dropped"], 2, "{closing}");
    assert_eq!(closing["lines"][0]["shops"], 2, "{closing}");
    assert_eq!(closing["lines"][1]["shops"], 3, "{closing}");
    assert_eq!(
        closing["shops"], 3,
        "shop (1,1) has nothing left in the order: {closing}"
    );

    // The close wrote the request book: the shops, then one part per line.
    assert_eq!(t.rows("round_book").await, 3);
    // Without it (an answer faster than the book) the allocation reads the
    // intents instead, to the same result.
    sqlx::query("DELETE FROM round_book")
        .execute(t.app.db().pool())
        .await
        .expect("book removed");

    // Half the rice: 7·9/18 = 3.5 and 11·9/18 = 5.5; the odd bag goes to
    // the earlier intent, shop (0,0)'s.
    let events = order_events(&order, &org(), &[Some(9), None]);
    for e in &events {
        apply_once(t.app.db(), &OrderFeedback, e, None)
            .await
            .expect("applies");
    }
    let all = t.allocations(&region.wholesaler, &round).await;
    let mut got: Vec<(String, String, i64, i64)> = all
        .body
        .as_array()
        .expect("allocations")
        .iter()
        .flat_map(|s| {
            let shop = s["participant"]["shop_id"]
                .as_str()
                .expect("shop")
                .to_string();
            s["participant"]["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(move |l| {
                    (
                        shop.clone(),
                        l["item_code"].as_str().expect("item").to_string(),
                        l["allocated"].as_i64().expect("allocated"),
                        l["unit_price"].as_i64().expect("price"),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    got.sort();
    let mut want = vec![
        (
            region.shop(0, 0).to_string(),
            "RICE-5KG".to_string(),
            4,
            2_400,
        ),
        (
            region.shop(1, 0).to_string(),
            "RICE-5KG".to_string(),
            5,
            2_400,
        ),
        (region.shop(0, 0).to_string(), "OIL-1L".to_string(), 7, 600),
        (region.shop(0, 1).to_string(), "OIL-1L".to_string(), 7, 600),
        (region.shop(1, 0).to_string(), "OIL-1L".to_string(), 7, 600),
    ];
    want.sort();
    assert_eq!(got, want, "9 bags price at the list price they reach");
    let dropped = t.view(region.shop(1, 1), &round).await;
    assert!(
        dropped.body["mine"]["allocation"].is_null(),
        "{}",
        dropped.body["mine"]
    );
}

async fn a_shop_that_leaves_its_district_has_its_intents_there_withdrawn(
    backend: Backend,
    _bus: BusMode,
) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let region = t.region().await;
    let round = opened(&t, &region).await;
    let (stays, leaves) = (region.shop(1, 0), region.shop(1, 1));
    t.want(stays, &round, "RICE-5KG", 11).await;
    t.want(leaves, &round, "RICE-5KG", 8).await;
    t.want(leaves, &round, "OIL-1L", 6).await;
    t.want(region.shop(0, 0), &round, "OIL-1L", 20).await;

    t.group(region.district(1), 2, "元町商店街", &[stays]).await;
    let withdrawn: Vec<PurchaseIntent> = t
        .outbox()
        .await
        .into_iter()
        .filter(|e| e.event_type == IntentWithdrawn::TYPE)
        .map(|e| {
            e.payload_as::<IntentWithdrawn>()
                .expect("payload")
                .intent
                .expect("intent")
        })
        .collect();
    let mut items: Vec<(&str, &str, i64)> = withdrawn
        .iter()
        .map(|i| (i.shop_id.as_str(), i.item_code.as_str(), i.quantity))
        .collect();
    items.sort();
    assert_eq!(items, [(leaves, "OIL-1L", 0), (leaves, "RICE-5KG", 0)]);
    assert!(withdrawn.iter().all(|i| i.version == 2));

    t.pump().await;
    let view = t.view(&region.wholesaler, &round).await;
    assert_eq!(item(&view.body, "RICE-5KG")["pooled"], 11, "{}", view.body);
    assert_eq!(item(&view.body, "OIL-1L")["pooled"], 20, "{}", view.body);
    let gone = t.view(leaves, &round).await;
    assert_eq!(gone.status, 404, "{}", gone.body);

    // The same membership again, or an older one arriving late, changes
    // nothing more.
    let events = t.outbox().await.len();
    t.group(region.district(1), 3, "元町商店街", &[stays]).await;
    assert_eq!(t.outbox().await.len(), events);

    let order = closed_order(&t, &round, &region.wholesaler).await;
    let quantities: Vec<_> = order.lines.iter().map(|l| l.quantity.value).collect();
    assert_eq!(
        quantities,
        [Decimal::new(11, 0), Decimal::new(20, 0)].map(|d| d.expect("n"))
    );
    // After the close, leaving changes nothing: the order is placed.
    t.group(
        region.district(0),
        2,
        "戸越銀座商店街",
        &[region.shop(0, 1)],
    )
    .await;
    assert_eq!(
        t.outbox()
            .await
            .iter()
            .filter(|e| e.event_type == IntentWithdrawn::TYPE)
            .count(),
        2
    );
}
