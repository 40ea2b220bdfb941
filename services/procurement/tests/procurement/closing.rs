//! The close: caps dropped to a fixed point, items below their minimum,
//! failed rounds, and a result that depends only on the set of intents.

use renkei_procurement::domain::{
    CapGroup, CloseError, FailureReason, Intent, Outcome, RoundDraft, SettleError, Tier, close,
    settle,
};

use crate::rng::Rng;
use crate::support::{capped, district, draft, intent, item, open, random_intents, random_round};

fn one_item_round(breaks: &[(i64, i64)], minimum: i64) -> RoundDraft {
    RoundDraft {
        items: vec![item("X", 100, breaks, minimum)],
        ..draft()
    }
}

#[test]
fn dropping_a_capped_intent_can_lower_the_tier_and_drop_another() {
    let round = open(one_item_round(&[(10, 80), (20, 60)], 5));
    let intents = [
        capped(intent("a", "a", "X", 8, 1), 60),
        capped(intent("b", "b", "X", 4, 2), 55),
        intent("c", "a", "X", 9, 3),
    ];

    let closing = close(&round, &intents).expect("closes");

    // 21 units reach 60 yen: b (cap 55) drops; 17 units are at 80 yen: a
    // (cap 60) drops; 9 units are at the list price, which c accepts.
    let dropped: Vec<(&str, i64)> = closing
        .dropped
        .iter()
        .map(|d| (d.intent.shop_id.as_str(), d.unit_price))
        .collect();
    assert_eq!(dropped, [("a", 80), ("b", 60)]);
    assert_eq!(closing.outcome, Outcome::Ordered);
    let x = closing.item("X").expect("ordered");
    assert_eq!(x.quantity, 9);
    assert_eq!(
        x.tier,
        Tier {
            break_index: None,
            unit_price: 100
        }
    );
    assert_eq!(x.requests.len(), 1);
    assert_eq!(&*x.requests[0].shop_id, "c");
}

#[test]
fn a_cap_equal_to_the_price_is_kept() {
    let round = open(one_item_round(&[(10, 80)], 1));
    let intents = [
        capped(intent("a", "a", "X", 6, 1), 80),
        intent("b", "a", "X", 4, 2),
    ];
    let closing = close(&round, &intents).expect("closes");
    assert!(closing.dropped.is_empty());
    assert_eq!(closing.items[0].tier.unit_price, 80);
    assert_eq!(closing.items[0].quantity, 10);
}

#[test]
fn items_below_their_minimum_are_not_ordered_and_their_shops_are_named() {
    let round = open(draft());
    let intents = [
        intent("s1", "a", "RICE-5KG", 3, 1),
        intent("s2", "b", "RICE-5KG", 3, 2),
        intent("s1", "a", "OIL-1L", 4, 3),
        intent("s3", "a", "OIL-1L", 5, 4),
    ];
    let closing = close(&round, &intents).expect("closes");
    assert_eq!(closing.outcome, Outcome::Ordered);
    assert_eq!(closing.items.len(), 1);
    assert_eq!(closing.items[0].item_code, "RICE-5KG");
    assert_eq!(closing.items[0].quantity, 6);

    let failed: Vec<(&str, i64, i64)> = closing
        .failed
        .iter()
        .map(|f| (f.item_code.as_str(), f.pooled, f.minimum_quantity))
        .collect();
    assert_eq!(failed, [("OIL-1L", 9, 10), ("SOY-1L", 0, 1)]);
    assert!(
        closing
            .failed
            .iter()
            .all(|f| f.reason == FailureReason::BelowMinimum)
    );
    let told: Vec<&str> = closing.failed[0]
        .requests
        .iter()
        .map(|r| &*r.shop_id)
        .collect();
    assert_eq!(told, ["s1", "s3"]);
}

#[test]
fn a_round_where_no_item_reaches_its_minimum_fails() {
    let round = open(one_item_round(&[], 50));
    let closing = close(&round, &[intent("s1", "a", "X", 49, 1)]).expect("closes");
    assert_eq!(closing.outcome, Outcome::Failed);
    assert!(closing.items.is_empty());
    assert_eq!(closing.failed.len(), 1);

    let empty = close(&round, &[]).expect("closes");
    assert_eq!(empty.outcome, Outcome::Failed);
    let json = serde_json::to_value(&empty).expect("serialises");
    assert_eq!(json["outcome"], "failed");
    assert_eq!(json["failed"][0]["reason"], "below_minimum");
}

#[test]
fn caps_can_sink_an_item_below_its_minimum() {
    let round = open(one_item_round(&[(10, 50)], 8));
    let intents = [
        capped(intent("a", "a", "X", 5, 1), 49),
        intent("b", "a", "X", 5, 2),
    ];
    let closing = close(&round, &intents).expect("closes");
    assert_eq!(closing.outcome, Outcome::Failed);
    assert_eq!(closing.dropped.len(), 1);
    assert_eq!(closing.dropped[0].unit_price, 50);
    assert_eq!(closing.failed[0].pooled, 5);
    assert_eq!(&*closing.failed[0].requests[0].shop_id, "b");
}

#[test]
fn two_intents_of_one_shop_for_one_item_or_a_bad_intent_are_refused() {
    let round = open(draft());
    let twice = close(
        &round,
        &[
            intent("s1", "a", "OIL-1L", 1, 1),
            intent("s1", "b", "OIL-1L", 2, 2),
        ],
    );
    assert!(
        matches!(twice, Err(CloseError::Duplicate { .. })),
        "{twice:?}"
    );
    let bad = close(&round, &[intent("s1", "z", "OIL-1L", 1, 1)]);
    assert!(matches!(bad, Err(CloseError::Invalid { .. })), "{bad:?}");
}

/// The fixed point computed the slow way: drop every intent whose cap is
/// below the price, recompute, until nothing changes.
fn slow_fixed_point(
    round: &renkei_procurement::domain::Round,
    intents: &[Intent],
) -> Vec<(String, String)> {
    let mut kept_all = Vec::new();
    for offer in round.items() {
        let mut kept: Vec<&Intent> = intents
            .iter()
            .filter(|i| i.item_code == offer.code)
            .collect();
        loop {
            let total: i64 = kept.iter().map(|i| i.quantity).sum();
            let price = offer.tier(total).unit_price;
            let before = kept.len();
            kept.retain(|i| i.max_unit_price.is_none_or(|cap| cap >= price));
            if kept.len() == before {
                break;
            }
        }
        let total: i64 = kept.iter().map(|i| i.quantity).sum();
        if total >= offer.minimum_quantity {
            kept_all.extend(
                kept.iter()
                    .map(|i| (i.item_code.clone(), i.shop_id.clone())),
            );
        }
    }
    kept_all.sort();
    kept_all
}

#[test]
fn the_close_matches_the_slow_fixed_point_and_ignores_input_order() {
    for case in 0..3_000u64 {
        let seed = 0xC105_0000 + case;
        let mut rng = Rng::new(seed);
        let round = random_round(&mut rng, 4, 3);
        let shops = rng.index(15);
        let mut intents = random_intents(&mut rng, &round, shops);
        let closing = close(&round, &intents).expect("closes");

        let mut kept: Vec<(String, String)> = closing
            .items
            .iter()
            .flat_map(|i| {
                i.requests
                    .iter()
                    .map(|r| (i.item_code.clone(), r.shop_id.to_string()))
            })
            .collect();
        kept.sort();
        assert_eq!(kept, slow_fixed_point(&round, &intents), "seed {seed:#x}");
        for ordered in &closing.items {
            let offer = round.item(&ordered.item_code).expect("offered");
            assert_eq!(ordered.tier, offer.tier(ordered.quantity), "seed {seed:#x}");
            assert!(ordered.quantity >= offer.minimum_quantity, "seed {seed:#x}");
            assert_eq!(
                ordered.quantity,
                ordered.requests.iter().map(|r| r.quantity).sum::<i64>()
            );
            for r in &ordered.requests {
                assert!(
                    r.max_unit_price
                        .is_none_or(|cap| cap >= ordered.tier.unit_price),
                    "seed {seed:#x}"
                );
            }
        }
        for d in &closing.dropped {
            assert!(
                d.intent
                    .max_unit_price
                    .is_some_and(|cap| cap < d.unit_price),
                "seed {seed:#x}"
            );
        }
        let accounted = closing.dropped.len()
            + closing
                .items
                .iter()
                .map(|i| i.requests.len())
                .sum::<usize>()
            + closing
                .failed
                .iter()
                .map(|f| f.requests.len())
                .sum::<usize>();
        assert_eq!(
            accounted,
            intents.len(),
            "seed {seed:#x}: every intent accounted for once"
        );
        assert_eq!(
            closing.outcome == Outcome::Ordered,
            !closing.items.is_empty(),
            "seed {seed:#x}"
        );

        rng.shuffle(&mut intents);
        assert_eq!(
            close(&round, &intents).expect("closes"),
            closing,
            "seed {seed:#x}"
        );
    }
}

/// The intents added up per item and cap, split at random into several
/// groups of one item and cap (the settlement must add those up too).
fn groups_of(rng: &mut Rng, intents: &[Intent]) -> Vec<CapGroup> {
    let mut sums: std::collections::BTreeMap<(String, Option<i64>), (i64, u64)> =
        std::collections::BTreeMap::new();
    let mut groups = Vec::new();
    for i in intents {
        if rng.index(4) == 0 {
            groups.push(CapGroup {
                item_code: i.item_code.clone(),
                max_unit_price: i.max_unit_price,
                quantity: i.quantity,
                intents: 1,
            });
            continue;
        }
        let sum = sums
            .entry((i.item_code.clone(), i.max_unit_price))
            .or_default();
        sum.0 += i.quantity;
        sum.1 += 1;
    }
    groups.extend(
        sums.into_iter().map(
            |((item_code, max_unit_price), (quantity, intents))| CapGroup {
                item_code,
                max_unit_price,
                quantity,
                intents,
            },
        ),
    );
    rng.shuffle(&mut groups);
    groups
}

#[test]
fn settling_from_totals_per_cap_agrees_with_the_close_over_the_intents() {
    for case in 0..3_000u64 {
        let seed = 0x5E77_0000 + case;
        let mut rng = Rng::new(seed);
        let round = random_round(&mut rng, 4, 3);
        let shops = rng.index(15);
        let intents = random_intents(&mut rng, &round, shops);
        let closing = close(&round, &intents).expect("closes");
        let settlement = settle(&round, &groups_of(&mut rng, &intents)).expect("settles");

        assert_eq!(settlement.outcome, closing.outcome, "seed {seed:#x}");
        assert_eq!(
            settlement.items.len(),
            round.items().len(),
            "seed {seed:#x}"
        );
        for item in &settlement.items {
            let dropped = closing
                .dropped
                .iter()
                .filter(|d| d.intent.item_code == item.item_code)
                .count();
            assert_eq!(item.dropped as usize, dropped, "seed {seed:#x}");
            match closing.item(&item.item_code) {
                Some(ordered) => {
                    assert_eq!(item.failure, None, "seed {seed:#x}");
                    assert_eq!(item.pooled, ordered.quantity, "seed {seed:#x}");
                    assert_eq!(item.tier, ordered.tier, "seed {seed:#x}");
                    assert_eq!(item.kept as usize, ordered.requests.len(), "seed {seed:#x}");
                    for r in &ordered.requests {
                        assert!(item.keeps(r.max_unit_price), "seed {seed:#x}");
                    }
                }
                None => {
                    let failed = closing
                        .failed
                        .iter()
                        .find(|f| f.item_code == item.item_code)
                        .expect("every item is ordered or failed");
                    assert_eq!(item.failure, Some(failed.reason), "seed {seed:#x}");
                    assert_eq!(item.pooled, failed.pooled, "seed {seed:#x}");
                    assert_eq!(item.kept as usize, failed.requests.len(), "seed {seed:#x}");
                }
            }
            // The tier says which intents are kept: none dropped passes it.
            for d in closing
                .dropped
                .iter()
                .filter(|d| d.intent.item_code == item.item_code)
            {
                assert!(!item.keeps(d.intent.max_unit_price), "seed {seed:#x}");
            }
        }
    }
}

#[test]
fn totals_for_an_item_not_offered_or_with_impossible_counts_are_refused() {
    let round = open(one_item_round(&[(10, 80)], 5));
    let group = |item_code: &str, quantity: i64, intents: u64| CapGroup {
        item_code: item_code.into(),
        max_unit_price: None,
        quantity,
        intents,
    };
    assert_eq!(
        settle(&round, &[group("Y", 3, 1)]),
        Err(SettleError {
            item_code: "Y".into(),
            reason: "the round does not offer it",
        })
    );
    for bad in [group("X", -1, 1), group("X", 3, 0), group("X", 0, 2)] {
        let refused = settle(&round, &[bad]).expect_err("refused");
        assert_eq!(refused.item_code, "X");
    }
    let nothing = settle(&round, &[]).expect("settles");
    assert_eq!(nothing.outcome, Outcome::Failed);
    assert_eq!(nothing.items[0].failure, Some(FailureReason::BelowMinimum));
}

#[test]
fn a_closing_travels_as_json_and_back() {
    let round = open(RoundDraft {
        districts: vec![district("a"), district("b"), district("c")],
        ..draft()
    });
    let closing = close(
        &round,
        &[
            intent("s1", "c", "RICE-5KG", 12, 1),
            capped(intent("s2", "a", "RICE-5KG", 1, 2), 2_300),
        ],
    )
    .expect("closes");
    let json = serde_json::to_string(&closing).expect("serialises");
    let back: renkei_procurement::domain::Closing = serde_json::from_str(&json).expect("reads");
    assert_eq!(back, closing);
}
