//! Builders shared by the tests: a good draft, rounds and intents, and
//! random rounds and intents for property tests.

use renkei_procurement::domain::{
    District, DropPoint, FeeModel, Intent, ItemOffer, PriceBreak, Round, RoundDraft,
};

use crate::rng::Rng;

/// The moment drafts are opened at in tests.
pub const NOW: i64 = 1_750_000_000_000;

/// An item with breaks given as `(min_quantity, unit_price)`.
pub fn item(code: &str, list_price: i64, breaks: &[(i64, i64)], minimum: i64) -> ItemOffer {
    ItemOffer {
        code: code.into(),
        name: format!("品目 {code}"),
        unit: "H87".into(),
        list_price,
        breaks: breaks
            .iter()
            .map(|&(min_quantity, unit_price)| PriceBreak {
                min_quantity,
                unit_price,
            })
            .collect(),
        minimum_quantity: minimum,
    }
}

/// A district with its drop point.
pub fn district(id: &str) -> District {
    District {
        group_id: id.into(),
        name: format!("{id}商店街"),
        drop_point: DropPoint {
            name: format!("{id}商店街振興組合 事務所"),
            address: format!("東京都{id}区1-2-3"),
        },
    }
}

/// A draft that passes every rule: three items, two districts, per-drop fees.
pub fn draft() -> RoundDraft {
    RoundDraft {
        title: "秋の共同仕入れ".into(),
        cutoff_ms: NOW + 86_400_000,
        items: vec![
            item("RICE-5KG", 2_400, &[(10, 2_200), (50, 2_000)], 5),
            item("OIL-1L", 600, &[(20, 520)], 10),
            item("SOY-1L", 450, &[], 1),
        ],
        districts: vec![district("a"), district("b")],
        delivery_dates: vec!["2025-10-01".into(), "2025-10-15".into()],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 3_000,
        },
        solo_delivery_fee: 1_200,
    }
}

/// A round opened from `draft` at [`NOW`].
pub fn open(draft: RoundDraft) -> Round {
    Round::open(draft, NOW).expect("the test draft is valid")
}

/// An intent without a cap.
pub fn intent(shop: &str, district: &str, item: &str, quantity: i64, seq: u64) -> Intent {
    Intent {
        shop_id: shop.into(),
        district_id: district.into(),
        item_code: item.into(),
        quantity,
        max_unit_price: None,
        seq,
    }
}

/// An intent with a cap.
pub fn capped(intent: Intent, cap: i64) -> Intent {
    Intent {
        max_unit_price: Some(cap),
        ..intent
    }
}

/// A random valid round of 1 to `max_items` items and 1 to
/// `max_districts` districts, with breaks low enough for random pools to
/// cross them.
pub fn random_round(rng: &mut Rng, max_items: usize, max_districts: usize) -> Round {
    let items = 1 + rng.index(max_items);
    let districts = 1 + rng.index(max_districts);
    let items = (0..items)
        .map(|i| {
            let list_price = rng.range(1, 5_000);
            let mut breaks = Vec::new();
            let (mut quantity, mut price) = (0, list_price);
            for _ in 0..rng.range(0, 4) {
                quantity += rng.range(1, 40);
                price -= rng.range(0, price / 4 + 1);
                if price < 0 || breaks.last().is_some_and(|b: &(i64, i64)| b.1 <= price) {
                    break;
                }
                breaks.push((quantity, price));
            }
            item(&format!("I{i}"), list_price, &breaks, rng.range(1, 30))
        })
        .collect();
    let fee_model = if rng.one_in(2) {
        FeeModel::PerDrop {
            fee_per_drop: rng.range(0, 10_000),
        }
    } else {
        FeeModel::PerShop {
            fee_per_shop: rng.range(0, 2_000),
        }
    };
    open(RoundDraft {
        title: "random".into(),
        cutoff_ms: NOW + 1,
        items,
        districts: (0..districts).map(|d| district(&format!("D{d}"))).collect(),
        delivery_dates: vec!["2026-01-05".into()],
        fee_model,
        solo_delivery_fee: rng.range(0, 3_000),
    })
}

/// Random intents for `round`: each of `shops` shops wants some items,
/// collecting from one district. Quantities are often equal and seqs
/// sometimes shared, so that ties are common; caps appear now and then.
pub fn random_intents(rng: &mut Rng, round: &Round, shops: usize) -> Vec<Intent> {
    let mut intents = Vec::new();
    let mut seq = 0;
    let small = rng.one_in(2);
    for s in 0..shops {
        let district = &round.districts()[rng.index(round.districts().len())].group_id;
        for offer in round.items() {
            if rng.one_in(3) {
                continue;
            }
            if !rng.one_in(4) {
                seq += 1;
            }
            let quantity = if small {
                rng.range(1, 3)
            } else {
                rng.range(1, 60)
            };
            let max_unit_price = rng
                .one_in(4)
                .then(|| rng.range(offer.list_price / 2, offer.list_price));
            intents.push(Intent {
                shop_id: format!("S{s:03}"),
                district_id: district.clone(),
                item_code: offer.code.clone(),
                quantity,
                max_unit_price,
                seq,
            });
        }
    }
    intents
}
