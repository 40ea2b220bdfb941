//! Joint ordering end to end, as `renkei up` and `renkei serve` run it:
//! collab's groups reach procurement as events, shops of three districts
//! add intents, the pool fills from the intent events, the round closes
//! into one order that the orders service takes in over the bus, the
//! wholesaler accepts part of it through orders, and the answer comes back
//! over the bus and is allocated exactly — on the local bus and on Kafka,
//! on SQLite and PostgreSQL.

use std::time::Duration;

use renkei_collab::{
    app::{NewGroup, Proposal},
    domain::partnership::{GroupKind, PartnershipAction, PartnershipKind},
};
use renkei_edi::{Decimal, Document, Item, LineStatus, OrderResponse, Quantity, ResponseLine};
use renkei_kernel::{
    auth::Caller,
    service::Context,
    settings::{Backend, BusMode},
    storage::now_ms,
    testing,
};
use renkei_orders::{app::Submission, db::OrderFilter, domain::Channel};
use renkei_procurement::{
    app::{IntentInput, OpenRound, RoundStatus},
    domain::{District, DropPoint, FeeModel, ItemOffer, PriceBreak, RoundDraft},
};

use crate::orders::owner;

const DEADLINE: Duration = Duration::from_secs(90);

fn rice() -> ItemOffer {
    ItemOffer {
        code: "RICE-5KG".into(),
        name: "新潟県産コシヒカリ 5kg".into(),
        unit: "H87".into(),
        list_price: 2_400,
        breaks: vec![
            PriceBreak {
                min_quantity: 20,
                unit_price: 2_200,
            },
            PriceBreak {
                min_quantity: 50,
                unit_price: 2_050,
            },
        ],
        minimum_quantity: 10,
    }
}

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

    let (wholesaler, wholesaler_caller) = owner(
        &collab,
        "sales@kanto-foods.example.jp",
        "関東中央食品卸 株式会社",
    )
    .await;
    let mut districts: Vec<(String, Vec<(String, Caller)>)> = Vec::new();
    for (d, name) in ["戸越銀座", "元町", "大須"].iter().enumerate() {
        let mut shops = Vec::new();
        for s in 0..2 {
            shops.push(
                owner(
                    &collab,
                    &format!("shop{s}@district{d}.example.jp"),
                    &format!("{name} 商店{s}"),
                )
                .await,
            );
        }
        let (organiser, organiser_caller) = &shops[0];
        let group = collab
            .group_create(
                organiser_caller,
                organiser,
                NewGroup {
                    name: format!("{name}商店街 共同購入会"),
                    kind: GroupKind::PurchasingGroup,
                    description: None,
                    members: vec![shops[1].0.clone()],
                },
            )
            .await
            .expect("group formed");
        districts.push((group.group_id, shops));
    }
    let (buyer, buyer_caller) = districts[0].1[0].clone();
    let proposal = Proposal {
        counterparty_id: wholesaler.clone(),
        kind: PartnershipKind::BuyerSupplier,
        proposer_buys: true,
        note: None,
    };
    let partnership = collab
        .partnership_propose(&buyer_caller, &buyer, proposal)
        .await
        .expect("proposed");
    collab
        .partnership_act(
            &wholesaler_caller,
            &wholesaler,
            &partnership.partnership_id,
            PartnershipAction::Accept,
        )
        .await
        .expect("accepted");

    let known = testing::eventually(DEADLINE, || async {
        let listed = procurement
            .district_list(&wholesaler_caller, &wholesaler)
            .await
            .ok()?;
        (listed.len() == 3).then_some(listed)
    })
    .await
    .expect("procurement learns the three districts from collab's events");
    assert!(known.iter().all(|(_, member)| !member));

    let draft = RoundDraft {
        title: "年末 米 共同仕入れ".into(),
        cutoff_ms: now_ms() + 3_600_000,
        items: vec![rice()],
        districts: districts
            .iter()
            .map(|(group_id, _)| District {
                group_id: group_id.clone(),
                name: String::new(),
                drop_point: DropPoint {
                    name: "商店街事務所".into(),
                    address: "東京都品川区戸越1-1-1".into(),
                },
            })
            .collect(),
        delivery_dates: vec!["2026-12-20".into()],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 3_000,
        },
        solo_delivery_fee: 1_200,
    };
    let round = procurement
        .round_open(
            &wholesaler_caller,
            &wholesaler,
            OpenRound {
                wholesaler_id: None,
                buyer_id: Some(buyer.clone()),
                round: draft,
            },
            "year-end-rice",
        )
        .await
        .expect("the wholesaler opens the round");
    let round_id = round.summary.round_id.clone();
    assert_eq!(round.summary.status, RoundStatus::Proposed);
    procurement
        .round_answer(&buyer_caller, &buyer, &round_id, true)
        .await
        .expect("the association accepts to buy for the round");

    let wants = [[7, 5], [9, 4], [6, 11]];
    for ((_, shops), quantities) in districts.iter().zip(wants) {
        for ((shop, caller), quantity) in shops.iter().zip(quantities) {
            procurement
                .intent_put(
                    caller,
                    shop,
                    &round_id,
                    "RICE-5KG",
                    IntentInput {
                        quantity,
                        max_unit_price: None,
                        district_id: None,
                    },
                )
                .await
                .expect("the shop joins");
        }
    }
    let pooled: i64 = wants.iter().flatten().sum();
    let shop = &districts[2].1[1];
    let seen = testing::eventually(DEADLINE, || async {
        let view = procurement
            .round_view(&shop.1, &shop.0, &round_id)
            .await
            .ok()?;
        (view.items[0].pooled == pooled).then_some(view)
    })
    .await
    .expect("the pool counts every intent from the events");
    assert_eq!(
        seen.items[0].tier.unit_price, 2_200,
        "the pool crossed the first tier"
    );
    assert_eq!(
        seen.items[0].next.map(|n| n.units_missing),
        Some(50 - pooled)
    );

    let closed = procurement
        .round_close(&wholesaler_caller, &wholesaler, &round_id)
        .await
        .expect("closed early");
    assert_eq!(closed.summary.status, RoundStatus::Ordered);
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
            .orders(&wholesaler_caller, &wholesaler, filter)
            .await
            .ok()?;
        list.into_iter().next()
    })
    .await
    .expect("the consolidated order reaches the wholesaler through orders");

    let accepted = 30;
    let response = Document::OrderResponse(OrderResponse {
        number: "ACK-2026-0001".into(),
        order_number: order_number.clone(),
        issued: renkei_edi::Date::new(2026, 12, 1).expect("date"),
        buyer: renkei_edi::Party {
            id: buyer.clone(),
            name: None,
        },
        seller: renkei_edi::Party {
            id: wholesaler.clone(),
            name: None,
        },
        currency: "JPY".into(),
        lines: vec![ResponseLine {
            line: 1,
            status: LineStatus::Changed,
            item: Item {
                seller_code: Some("RICE-5KG".into()),
                buyer_code: Some("RICE-5KG".into()),
                ..Item::default()
            },
            quantity: Some(Quantity {
                value: Decimal::new(accepted, 0).expect("quantity"),
                unit: "H87".into(),
            }),
            unit_price: None,
            confirmed_delivery: None,
            reason: Some("在庫不足のため一部のみ".into()),
        }],
    });
    orders
        .submit(
            &wholesaler_caller,
            &wholesaler,
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
            .round_view(&wholesaler_caller, &wholesaler, &round_id)
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
        .round_allocations(&wholesaler_caller, &wholesaler, &round_id)
        .await
        .expect("allocations");
    assert_eq!(shares.len(), 6);
    let mut total = 0;
    for share in &shares {
        let line = &share.participant.lines[0];
        assert!(
            line.allocated >= 0 && line.allocated <= line.requested,
            "{line:?}"
        );
        assert_eq!(
            line.unit_price, 2_200,
            "30 accepted bags reach the first tier"
        );
        total += line.allocated;
    }
    assert_eq!(
        total, accepted,
        "the shops' allocations sum to what was accepted"
    );
    let plan = procurement
        .round_delivery_plan(&wholesaler_caller, &wholesaler, &round_id)
        .await
        .expect("plan");
    assert_eq!(plan.drops.len(), 3, "one drop per district");

    ctx.shutdown.cancel();
    ctx.join().await;
}

renkei_kernel::on_each_engine_and_bus!(
    three_districts_pool_a_round_and_share_a_partial_acceptance,
    joint_order_over_the_bus
);
