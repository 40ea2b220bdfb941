//! A round of a hundred thousand intents closes and allocates correctly.
//! Correctness only: speed is measured by `examples/bench_round.rs`.

use renkei_procurement::domain::{Acceptance, FeeModel, Intent, Pool, RoundDraft, allocate, close};

use crate::rng::Rng;
use crate::support::{district, draft, item, open};

#[test]
fn a_hundred_thousand_intents_close_and_allocate_exactly() {
    let mut rng = Rng::new(0x5CA1E);
    let round = open(RoundDraft {
        items: (0..500)
            .map(|i| item(&format!("I{i:04}"), 1_000, &[(200, 900), (1_000, 800)], 50))
            .collect(),
        districts: (0..20).map(|d| district(&format!("D{d:02}"))).collect(),
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 5_000,
        },
        ..draft()
    });
    let mut intents = Vec::with_capacity(100_000);
    for shop in 0..1_000 {
        let district = format!("D{:02}", shop % 20);
        let mut items: Vec<usize> = (0..500).collect();
        rng.shuffle(&mut items);
        for &i in &items[..100] {
            intents.push(Intent {
                shop_id: format!("S{shop:04}"),
                district_id: district.clone(),
                item_code: format!("I{i:04}"),
                quantity: rng.range(1, 12),
                max_unit_price: None,
                seq: intents.len() as u64,
            });
        }
    }

    let pool = Pool::from_intents(round.clone(), &intents).expect("pooled");
    let closing = close(&round, &intents).expect("closes");
    assert_eq!(pool.len(), 100_000);
    for ordered in &closing.items {
        assert_eq!(pool.pooled(&ordered.item_code), Some(ordered.quantity));
        assert_eq!(
            pool.expected_unit_price(&ordered.item_code),
            Some(ordered.tier.unit_price)
        );
    }
    let acceptance: Vec<Acceptance> = closing
        .items
        .iter()
        .map(|i| Acceptance {
            item_code: i.item_code.clone(),
            quantity: i.quantity * 2 / 3,
            unit_price: None,
        })
        .collect();
    let allocation = allocate(&closing.round, &closing.items, &acceptance).expect("allocates");

    let lines: usize = allocation.participants.iter().map(|p| p.lines.len()).sum();
    let kept: usize = closing.items.iter().map(|i| i.requests.len()).sum();
    assert_eq!(lines, kept);
    for (item, a) in allocation.items.iter().zip(&acceptance) {
        assert_eq!(item.accepted, a.quantity);
        let given: i64 = allocation
            .participants
            .iter()
            .flat_map(|p| &p.lines)
            .filter(|l| *l.item_code == *item.item_code)
            .map(|l| l.allocated)
            .sum();
        assert_eq!(given, a.quantity, "{}", item.item_code);
    }
    let fees: i64 = allocation.participants.iter().map(|p| p.fee_share).sum();
    let districts_served = allocation.delivery_plan(&round).drops.len() as i64;
    assert_eq!(fees, 5_000 * districts_served);
    assert!(
        allocation
            .participants
            .iter()
            .all(|p| p.lines.iter().all(|l| l.allocated <= l.requested))
    );
}
