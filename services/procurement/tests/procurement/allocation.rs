//! The allocation: the largest-remainder rule by hand and by property, the
//! price of the accepted tier, fee shares, savings and the delivery plan.

use std::collections::HashMap;

use renkei_procurement::domain::{
    Acceptance, AllocateError, Allocation, Closing, FeeModel, Round, RoundDraft, allocate, close,
};

use crate::rng::Rng;
use crate::support::{capped, district, draft, intent, item, open, random_intents, random_round};

fn accept(item_code: &str, quantity: i64) -> Acceptance {
    Acceptance {
        item_code: item_code.into(),
        quantity,
        unit_price: None,
    }
}

fn allocated(allocation: &Allocation, shop: &str, item_code: &str) -> i64 {
    allocation
        .participants
        .iter()
        .filter(|p| p.shop_id == shop)
        .flat_map(|p| &p.lines)
        .filter(|l| &*l.item_code == item_code)
        .map(|l| l.allocated)
        .sum()
}

fn one_item(breaks: &[(i64, i64)]) -> Round {
    open(RoundDraft {
        items: vec![item("X", 100, breaks, 1)],
        ..draft()
    })
}

#[test]
fn equal_remainders_go_to_the_earliest_submissions() {
    let round = one_item(&[]);
    // Four requests of 3 (12 units), 10 accepted: 2 each and 2 left over,
    // all remainders equal (6/12); seqs 1 and 2 (shops b and d) get them.
    let intents = [
        intent("a", "a", "X", 3, 4),
        intent("b", "a", "X", 3, 1),
        intent("c", "b", "X", 3, 3),
        intent("d", "b", "X", 3, 2),
    ];
    let closing = close(&round, &intents).expect("closes");
    let allocation =
        allocate(&closing.round, &closing.items, &[accept("X", 10)]).expect("allocates");
    let got: Vec<i64> = ["a", "b", "c", "d"]
        .iter()
        .map(|s| allocated(&allocation, s, "X"))
        .collect();
    assert_eq!(got, [2, 3, 2, 3]);
}

#[test]
fn with_equal_seqs_the_smaller_shop_id_wins_the_tie() {
    let round = one_item(&[]);
    let intents = [
        intent("m", "a", "X", 1, 7),
        intent("k", "a", "X", 1, 7),
        intent("z", "a", "X", 1, 7),
    ];
    let closing = close(&round, &intents).expect("closes");
    let allocation =
        allocate(&closing.round, &closing.items, &[accept("X", 1)]).expect("allocates");
    let got: Vec<i64> = ["k", "m", "z"]
        .iter()
        .map(|s| allocated(&allocation, s, "X"))
        .collect();
    assert_eq!(got, [1, 0, 0]);
}

#[test]
fn the_largest_remainder_beats_an_earlier_submission() {
    let round = one_item(&[]);
    // 7 of 10: 5 → 3.5, 3 → 2.1, 2 → 1.4. One unit left over goes to the
    // remainder .5 although the shop holding it submitted last.
    let intents = [
        intent("late", "a", "X", 5, 9),
        intent("p", "a", "X", 3, 1),
        intent("q", "a", "X", 2, 2),
    ];
    let closing = close(&round, &intents).expect("closes");
    let allocation =
        allocate(&closing.round, &closing.items, &[accept("X", 7)]).expect("allocates");
    let got: Vec<i64> = ["late", "p", "q"]
        .iter()
        .map(|s| allocated(&allocation, s, "X"))
        .collect();
    assert_eq!(got, [4, 2, 1]);
}

#[test]
fn the_price_follows_the_accepted_quantity_and_caps_are_flagged() {
    let round = one_item(&[(10, 90), (50, 80)]);
    let intents = [
        capped(intent("a", "a", "X", 30, 1), 85),
        intent("b", "b", "X", 30, 2),
    ];
    let closing = close(&round, &intents).expect("closes");
    assert_eq!(closing.items[0].tier.unit_price, 80);

    let allocation =
        allocate(&closing.round, &closing.items, &[accept("X", 30)]).expect("allocates");
    let x = &allocation.items[0];
    assert_eq!((x.ordered, x.accepted, x.tier.unit_price), (60, 30, 90));
    let a = &allocation.participants[0];
    assert_eq!(a.shop_id, "a");
    assert_eq!(a.lines[0].allocated, 15);
    assert_eq!(a.lines[0].amount, 15 * 90);
    assert!(a.lines[0].above_cap, "90 yen is above the cap of 85");
    assert!(!allocation.participants[1].lines[0].above_cap);
}

#[test]
fn acceptances_must_match_the_order() {
    let round = open(draft());
    let closing = close(&round, &[intent("s", "a", "RICE-5KG", 10, 1)]).expect("closes");
    let errors = [
        (vec![accept("RICE-5KG", 11)], "above"),
        (vec![accept("OIL-1L", 1)], "not ordered"),
        (vec![accept("RICE-5KG", 1), accept("RICE-5KG", 2)], "twice"),
        (vec![accept("RICE-5KG", -1)], "negative"),
    ];
    for (acceptance, what) in errors {
        let error = allocate(&closing.round, &closing.items, &acceptance).expect_err(what);
        let expected = match what {
            "above" => matches!(
                error,
                AllocateError::AboveOrdered {
                    accepted: 11,
                    ordered: 10,
                    ..
                }
            ),
            "not ordered" => matches!(error, AllocateError::NotOrdered { .. }),
            "twice" => matches!(error, AllocateError::Duplicate { .. }),
            _ => matches!(error, AllocateError::Negative { .. }),
        };
        assert!(expected, "{what}: {error}");
    }
    let nothing = allocate(&closing.round, &closing.items, &[])
        .expect("an item not mentioned is accepted zero");
    assert_eq!(nothing.items[0].accepted, 0);
    assert!(
        nothing
            .participants
            .iter()
            .all(|p| p.fee_share == 0 && p.total == 0)
    );
    assert!(nothing.delivery_plan(&round).drops.is_empty());

    let mut forged = closing.clone();
    forged.items[0].quantity = 11;
    let error =
        allocate(&forged.round, &forged.items, &[accept("RICE-5KG", 11)]).expect_err("forged");
    assert!(
        matches!(error, AllocateError::InconsistentClosing { .. }),
        "{error}"
    );
}

#[test]
fn fees_savings_and_the_delivery_plan_by_hand() {
    let round = open(RoundDraft {
        items: vec![item("X", 100, &[(10, 80)], 1), item("Y", 50, &[], 1)],
        districts: vec![district("a"), district("b"), district("c")],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 1_000,
        },
        solo_delivery_fee: 800,
        ..draft()
    });
    let intents = [
        intent("s1", "a", "X", 4, 3),
        intent("s2", "a", "X", 4, 1),
        intent("s3", "a", "Y", 2, 2),
        intent("s4", "b", "X", 2, 4),
        intent("s5", "c", "Y", 1, 5),
    ];
    let closing = close(&round, &intents).expect("closes");
    let allocation = allocate(
        &closing.round,
        &closing.items,
        &[accept("X", 10), accept("Y", 0)],
    )
    .expect("allocates");

    // X: 10 units at 80 yen, all of it. Y: nothing, so s3 and s5 receive
    // nothing and pay no fee; district c pays nothing at all.
    let rows: Vec<(&str, i64, i64, i64)> = allocation
        .participants
        .iter()
        .map(|p| (p.shop_id.as_str(), p.goods_amount, p.fee_share, p.total))
        .collect();
    assert_eq!(
        rows,
        [
            ("s1", 320, 500, 820),
            ("s2", 320, 500, 820),
            ("s3", 0, 0, 0),
            ("s4", 160, 1_000, 1_160),
            ("s5", 0, 0, 0),
        ]
    );

    let s = &allocation.savings;
    let shop: Vec<(&str, i64, i64, i64)> = s
        .shops
        .iter()
        .map(|x| {
            (
                x.shop_id.as_str(),
                x.saving.alone,
                x.saving.pooled,
                x.saving.saving,
            )
        })
        .collect();
    assert_eq!(
        shop,
        [
            ("s1", 1_200, 820, 380),
            ("s2", 1_200, 820, 380),
            ("s3", 0, 0, 0),
            ("s4", 1_000, 1_160, -160),
            ("s5", 0, 0, 0),
        ]
    );
    let district: Vec<i64> = s.districts.iter().map(|d| d.saving.saving).collect();
    assert_eq!(district, [760, -160, 0]);
    assert_eq!(
        (s.round.alone, s.round.pooled, s.round.saving),
        (3_400, 2_800, 600)
    );

    let plan = allocation.delivery_plan(&round);
    assert_eq!(plan.dates, round.delivery_dates());
    let drops: Vec<(&str, Vec<&str>)> = plan
        .drops
        .iter()
        .map(|d| {
            (
                d.district_id.as_str(),
                d.shops.iter().map(|p| p.shop_id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(drops, [("a", vec!["s1", "s2"]), ("b", vec!["s4"])]);
    assert_eq!(plan.drops[0].drop_point, round.districts()[0].drop_point);
    let pick = &plan.drops[1].shops[0].picks[0];
    assert_eq!(
        (pick.item_code.as_str(), pick.quantity, pick.unit.as_str()),
        ("X", 2, "H87")
    );
    assert_eq!(pick.name, "品目 X");

    let json = serde_json::to_value(&allocation).expect("serialises");
    assert_eq!(json["savings"]["round"]["saving"], 600);
    assert_eq!(
        json["savings"]["shops"][0]["alone"], 1_200,
        "figures are flattened"
    );
}

/// Checks every guarantee of one allocation; `seed` names the case.
fn check(closing: &Closing, acceptance: &[Acceptance], allocation: &Allocation, seed: u64) {
    let round = &closing.round;
    let accepted: HashMap<&str, i64> = acceptance
        .iter()
        .map(|a| (a.item_code.as_str(), a.quantity))
        .collect();
    let mut shares: HashMap<(&str, &str, &str), i64> = HashMap::new();
    for p in &allocation.participants {
        for l in &p.lines {
            assert!(l.allocated >= 0, "seed {seed:#x}: negative share");
            assert!(
                l.allocated <= l.requested,
                "seed {seed:#x}: above the request"
            );
            assert_eq!(l.amount, l.allocated * l.unit_price, "seed {seed:#x}");
            shares.insert(
                (&*l.item_code, p.shop_id.as_str(), p.district_id.as_str()),
                l.allocated,
            );
        }
        assert_eq!(
            p.goods_amount,
            p.lines.iter().map(|l| l.amount).sum::<i64>(),
            "seed {seed:#x}"
        );
        assert_eq!(p.total, p.goods_amount + p.fee_share, "seed {seed:#x}");
        if !p.receives() {
            assert_eq!(
                p.fee_share, 0,
                "seed {seed:#x}: a shop that receives nothing pays no fee"
            );
        }
    }
    for ordered in &closing.items {
        let a = accepted
            .get(ordered.item_code.as_str())
            .copied()
            .unwrap_or(0);
        let total = i128::from(ordered.quantity);
        let mut sum = 0;
        // Each share is the floor of its exact part or one more, and a
        // request that got the extra unit ranks before every one that did
        // not: larger remainder, or equal remainder and earlier seq.
        let mut ranked = Vec::new();
        for r in &ordered.requests {
            let share = shares[&(ordered.item_code.as_str(), &*r.shop_id, &*r.district_id)];
            let exact = i128::from(a) * i128::from(r.quantity);
            let floor = (exact / total) as i64;
            assert!(
                share == floor || share == floor + 1,
                "seed {seed:#x}: {share} vs floor {floor}"
            );
            ranked.push((
                share > floor,
                std::cmp::Reverse(exact % total),
                r.seq,
                &*r.shop_id,
            ));
            sum += share;
        }
        assert_eq!(
            sum, a,
            "seed {seed:#x}: shares of {} add up to {sum}, not {a}",
            ordered.item_code
        );
        let worst_lucky = ranked.iter().filter(|x| x.0).map(|x| (x.1, x.2, x.3)).max();
        let best_unlucky = ranked
            .iter()
            .filter(|x| !x.0)
            .map(|x| (x.1, x.2, x.3))
            .min();
        if let (Some(lucky), Some(unlucky)) = (worst_lucky, best_unlucky) {
            assert!(
                lucky < unlucky,
                "seed {seed:#x}: {lucky:?} got a unit before {unlucky:?}"
            );
        }
        let item = allocation
            .items
            .iter()
            .find(|i| i.item_code == ordered.item_code)
            .expect("every ordered item is allocated");
        let offer = round.item(&ordered.item_code).expect("offered");
        assert_eq!(item.tier, offer.tier(a), "seed {seed:#x}");
    }
    for (d, district) in round.districts().iter().enumerate() {
        let receivers: Vec<_> = allocation
            .participants
            .iter()
            .filter(|p| p.district_id == district.group_id && p.receives())
            .collect();
        let fees: i64 = receivers.iter().map(|p| p.fee_share).sum();
        assert_eq!(
            fees,
            round.fee_model().district_total(receivers.len()),
            "seed {seed:#x}"
        );
        let savings = &allocation.savings;
        let shops: i64 = savings
            .shops
            .iter()
            .filter(|s| s.district_id == district.group_id)
            .map(|s| s.saving.saving)
            .sum();
        assert_eq!(savings.districts[d].saving.saving, shops, "seed {seed:#x}");
    }
    let s = &allocation.savings;
    assert_eq!(
        s.round.alone,
        s.districts.iter().map(|d| d.saving.alone).sum::<i64>(),
        "seed {seed:#x}"
    );
    assert_eq!(
        s.round.pooled,
        s.districts.iter().map(|d| d.saving.pooled).sum::<i64>(),
        "seed {seed:#x}"
    );
    assert_eq!(
        s.round.saving,
        s.round.alone - s.round.pooled,
        "seed {seed:#x}"
    );
    assert_eq!(
        s.round.pooled,
        allocation.participants.iter().map(|p| p.total).sum::<i64>(),
        "seed {seed:#x}"
    );
    let plan = allocation.delivery_plan(round);
    for ordered in &closing.items {
        let picked: i64 = plan
            .drops
            .iter()
            .flat_map(|d| &d.shops)
            .flat_map(|s| &s.picks)
            .filter(|p| p.item_code == ordered.item_code)
            .map(|p| p.quantity)
            .sum();
        assert_eq!(
            picked,
            accepted
                .get(ordered.item_code.as_str())
                .copied()
                .unwrap_or(0),
            "seed {seed:#x}"
        );
    }
}

/// An acceptance for each ordered item, often at the edges: nothing, all,
/// one unit short, or anything between.
fn random_acceptance(rng: &mut Rng, closing: &Closing) -> Vec<Acceptance> {
    let mut acceptance = Vec::new();
    for i in &closing.items {
        if rng.one_in(8) {
            continue;
        }
        let quantity = match rng.below(5) {
            0 => 0,
            1 => i.quantity,
            2 => i.quantity - 1,
            _ => rng.range(0, i.quantity),
        };
        acceptance.push(accept(&i.item_code, quantity));
    }
    rng.shuffle(&mut acceptance);
    acceptance
}

#[test]
fn allocations_never_go_negative_nor_above_requests_and_add_up_exactly() {
    for case in 0..5_000u64 {
        let seed = 0xA110_0000 + case;
        let mut rng = Rng::new(seed);
        let round = random_round(&mut rng, 4, 4);
        let shops = if rng.one_in(5) { 1 } else { 1 + rng.index(25) };
        let mut intents = random_intents(&mut rng, &round, shops);
        let closing = close(&round, &intents).expect("closes");
        let mut acceptance = random_acceptance(&mut rng, &closing);
        let allocation = allocate(&closing.round, &closing.items, &acceptance).expect("allocates");
        check(&closing, &acceptance, &allocation, seed);

        rng.shuffle(&mut intents);
        rng.shuffle(&mut acceptance);
        let mut reordered = close(&round, &intents).expect("closes");
        for item in &mut reordered.items {
            rng.shuffle(&mut item.requests);
        }
        let again = allocate(&reordered.round, &reordered.items, &acceptance).expect("allocates");
        assert_eq!(
            again, allocation,
            "seed {seed:#x}: the input order changed the allocation"
        );
    }
}

#[test]
fn many_equal_requests_share_by_seq_alone() {
    for case in 0..500u64 {
        let seed = 0xA111_0000 + case;
        let mut rng = Rng::new(seed);
        let round = one_item(&[]);
        let n = 1 + rng.index(200);
        let mut seqs: Vec<u64> = (0..n as u64).collect();
        rng.shuffle(&mut seqs);
        let intents: Vec<_> = seqs
            .iter()
            .enumerate()
            .map(|(s, &seq)| intent(&format!("S{s:03}"), "a", "X", 2, seq))
            .collect();
        let accepted = rng.range(0, 2 * n as i64);
        let closing = close(&round, &intents).expect("closes");
        let allocation =
            allocate(&closing.round, &closing.items, &[accept("X", accepted)]).expect("allocates");
        check(&closing, &[accept("X", accepted)], &allocation, seed);
        // Equal requests: everyone gets ⌊A/n⌋ units, and the A mod n earliest get one more.
        for (s, &seq) in seqs.iter().enumerate() {
            let got = allocated(&allocation, &format!("S{s:03}"), "X");
            let half = accepted / n as i64;
            let extra = i64::from((seq as i64) < accepted % n as i64);
            assert_eq!(got, half + extra, "seed {seed:#x}: seq {seq}");
        }
    }
}

#[test]
fn a_price_the_wholesaler_confirmed_replaces_the_tier_price() {
    let round = one_item(&[(10, 90)]);
    let intents = [
        capped(intent("a", "a", "X", 6, 1), 95),
        intent("b", "b", "X", 6, 2),
    ];
    let closing = close(&round, &intents).expect("closes");
    let confirmed = Acceptance {
        unit_price: Some(97),
        ..accept("X", 12)
    };
    let allocation = allocate(&closing.round, &closing.items, &[confirmed]).expect("allocates");
    let item = &allocation.items[0];
    assert_eq!(item.tier.unit_price, 90, "12 units reach 90 yen");
    assert_eq!(item.confirmed_unit_price, Some(97));
    assert_eq!(item.unit_price(), 97);
    for p in &allocation.participants {
        assert_eq!(p.lines[0].unit_price, 97);
        assert_eq!(p.lines[0].amount, 6 * 97);
        assert_eq!(
            p.lines[0].above_cap,
            p.shop_id == "a",
            "shop a capped at 95 is told the confirmed price is above it"
        );
    }

    for bad in [-1, renkei_procurement::domain::MAX_YEN + 1] {
        let refused = allocate(
            &closing.round,
            &closing.items,
            &[Acceptance {
                unit_price: Some(bad),
                ..accept("X", 12)
            }],
        );
        assert_eq!(
            refused.map(|_| ()),
            Err(AllocateError::BadPrice {
                item_code: "X".into(),
                unit_price: bad,
            })
        );
    }
}
