//! Joint ordering end to end with the demo region, as `renkei up` and
//! `renkei serve` run it: collab's groups reach procurement as events,
//! shops of the demo's three districts add intents, the pool fills from the intent events, the round closes
//! into one order that the orders service takes in over the bus, the
//! wholesaler accepts part of it through orders, and the answer comes back
//! over the bus and is allocated exactly — on the local bus and on Kafka,
//! on SQLite and PostgreSQL.

use std::time::Duration;

use renkei_edi::{Decimal, Document, Item, LineStatus, OrderResponse, Quantity, ResponseLine};
use renkei_kernel::{
    service::Context,
    settings::{Backend, BusMode},
    testing,
};
use renkei_orders::{app::Submission, db::OrderFilter, domain::Channel};
use renkei_procurement::app::RoundStatus;

use crate::demo;

const DEADLINE: Duration = Duration::from_secs(90);

async fn joint_order_over_the_bus(backend: Backend, bus: BusMode) {
    let Some((settings, _dir)) = testing::settings(backend, bus).await else {
        return;
    };
    let ctx = Context::new(settings);
    let collab = renkei_collab::start(&ctx).await.expect("collab starts");
    let orders = renkei_orders::start(&ctx, collab.verifier().clone())
        .await
        .expect("orders starts");
    let procurement = renkei_procurement::start(&ctx, collab.verifier().clone())
        .await
        .expect("procurement starts");
    renkei_orders::follow_rounds(&ctx, &orders)
        .await
        .expect("orders follows the rounds");

    // The demo region of `renkei up --demo`: its three districts' groups
    // reach procurement as collab's events, and the demo round is opened
    // by the wholesaler, accepted by 戸越銀座's organiser, and joined by
    // shops of all three districts (rice 6 + 5 + 4 + 7, soy sauce 24 + 12,
    // sake 8).
    let region = demo::load(&collab).await.expect("the demo region loads");
    demo::load_round(&procurement, &region)
        .await
        .expect("the demo round opens");
    let (wholesaler, wholesaler_caller) = region.member(demo::WHOLESALER);
    let (buyer, _) = region.member(demo::FIRST_SHOP);
    let rounds = procurement
        .round_list(&wholesaler_caller, wholesaler)
        .await
        .expect("rounds");
    assert_eq!(rounds.len(), 1, "{rounds:?}");
    let round_id = rounds[0].round_id.clone();

    let (shop, shop_caller) = region.member(8);
    let seen = testing::eventually(DEADLINE, || async {
        let view = procurement
            .round_view(&shop_caller, shop, &round_id)
            .await
            .ok()?;
        let pooled: Vec<i64> = view.items.iter().map(|i| i.pooled).collect();
        (pooled == [22, 36, 8]).then_some(view)
    })
    .await
    .expect("the pool counts every intent from the events");
    assert_eq!(
        seen.items[0].tier.unit_price, 2_200,
        "22 bags of rice crossed the first break at 20"
    );
    assert_eq!(seen.items[0].next.map(|n| n.units_missing), Some(50 - 22));

    let closed = procurement
        .round_close(&wholesaler_caller, wholesaler, &round_id)
        .await
        .expect("closed early");
    assert_eq!(closed.summary.status, RoundStatus::Ordered);
    let closing = closed.closing.as_ref().expect("closing");
    let lines: Vec<(&str, i64)> = closing
        .lines
        .iter()
        .map(|l| (l.item_code.as_str(), l.quantity))
        .collect();
    assert_eq!(lines, [("RICE-5KG", 22), ("SOY-1L", 36)]);
    assert_eq!(
        closing.failed.len(),
        1,
        "sake stayed below its minimum of 12"
    );
    let order_number = closed.summary.order_number.clone();

    let placed = testing::eventually(DEADLINE, || async {
        let filter = OrderFilter {
            inbox: Some(true),
            status: None,
            partner_id: None,
            number: Some(order_number.clone()),
            before_ms: None,
            limit: 10,
        };
        let list = orders
            .orders(&wholesaler_caller, wholesaler, filter)
            .await
            .ok()?;
        list.into_iter().next()
    })
    .await
    .expect("the consolidated order reaches the wholesaler through orders");

    // The wholesaler has 20 bags of rice, not 22, and all the soy sauce.
    let line = |line: u32, code: &str, status, accepted: Option<i64>| ResponseLine {
        line,
        status,
        item: Item {
            seller_code: Some(code.into()),
            buyer_code: Some(code.into()),
            ..Item::default()
        },
        quantity: accepted.map(|q| Quantity {
            value: Decimal::new(q, 0).expect("quantity"),
            unit: "H87".into(),
        }),
        unit_price: None,
        confirmed_delivery: None,
        reason: accepted.map(|_| "在庫不足のため一部のみ".into()),
    };
    let response = Document::OrderResponse(OrderResponse {
        number: "ACK-2026-0001".into(),
        order_number: order_number.clone(),
        issued: renkei_edi::Date::new(2026, 12, 1).expect("date"),
        buyer: renkei_edi::Party {
            id: buyer.to_string(),
            name: None,
        },
        seller: renkei_edi::Party {
            id: wholesaler.to_string(),
            name: None,
        },
        currency: "JPY".into(),
        lines: vec![
            line(1, "RICE-5KG", LineStatus::Changed, Some(20)),
            line(2, "SOY-1L", LineStatus::Accepted, None),
        ],
    });
    orders
        .submit(
            &wholesaler_caller,
            wholesaler,
            Submission {
                document: response,
                channel: Channel::Api,
                idempotency_key: "ack-0001".into(),
            },
        )
        .await
        .expect("the wholesaler accepts part");

    let allocated = testing::eventually(DEADLINE, || async {
        let view = procurement
            .round_view(&wholesaler_caller, wholesaler, &round_id)
            .await
            .ok()?;
        (view.summary.status == RoundStatus::Allocated).then_some(view)
    })
    .await
    .expect("the answer comes back over the bus and is allocated");
    assert_eq!(
        allocated.summary.order_id.as_deref(),
        Some(placed.order_id.as_str())
    );
    let shares = procurement
        .round_allocations(&wholesaler_caller, wholesaler, &round_id)
        .await
        .expect("allocations");
    // Rice, 20 of 22 by largest remainder: 120/22, 100/22, 80/22, 140/22
    // give 5, 4, 3, 6 and remainders 10, 12, 14, 8; the two bags left go
    // to the shops with 14 and 12.
    let mut rice: Vec<(String, i64, i64)> = Vec::new();
    let mut soy = 0;
    let mut districts = std::collections::BTreeSet::new();
    for share in &shares {
        for line in &share.participant.lines {
            assert!((0..=line.requested).contains(&line.allocated), "{line:?}");
            match &*line.item_code {
                "RICE-5KG" => {
                    assert_eq!(
                        line.unit_price, 2_200,
                        "20 bags still reach the break at 20"
                    );
                    rice.push((
                        share.participant.shop_id.clone(),
                        line.requested,
                        line.allocated,
                    ));
                    districts.insert(share.participant.district_id.clone());
                }
                "SOY-1L" => {
                    assert_eq!(line.allocated, line.requested);
                    soy += line.allocated;
                }
                other => panic!("an allocation for {other}, which was not ordered"),
            }
        }
    }
    let want = |i: usize, requested: i64, allocated: i64| {
        (region.member(i).0.to_string(), requested, allocated)
    };
    let mut expected = vec![want(1, 6, 5), want(3, 5, 5), want(6, 4, 4), want(8, 7, 6)];
    rice.sort();
    expected.sort();
    assert_eq!(rice, expected);
    assert_eq!(
        rice.iter().map(|r| r.2).sum::<i64>(),
        20,
        "sums to the accepted"
    );
    assert_eq!(soy, 36);
    assert_eq!(
        districts.len(),
        3,
        "rice goes to shops of all three districts"
    );
    let plan = procurement
        .round_delivery_plan(&wholesaler_caller, wholesaler, &round_id)
        .await
        .expect("plan");
    assert_eq!(plan.drops.len(), 3, "one drop per district");

    ctx.shutdown.cancel();
    ctx.join().await;
}

renkei_kernel::on_each_engine_and_bus!(
    the_demo_regions_three_districts_pool_a_round_and_share_a_partial_acceptance,
    joint_order_over_the_bus
);
