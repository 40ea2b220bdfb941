//! How long a large round takes: 1,000,000 intent lines from 10,000 shops
//! in 100 districts over 5,000 items. Prints the time of the close, of the
//! allocation of a partial acceptance, and the rate of pool updates on a
//! pool of 10k lines and on one of 1M lines (the intents are cloned
//! before the clock starts).
//!
//! Run in release: `cargo run --release -p renkei-procurement --example bench_round`.
//! Arguments (optional): shops, lines per shop, items, districts, seed.

use std::time::{Duration, Instant};

use renkei_procurement::domain::{
    Acceptance, District, DropPoint, FeeModel, Intent, ItemOffer, Pool, PriceBreak, Round,
    RoundDraft, allocate, close,
};

#[allow(dead_code)]
#[path = "../tests/procurement/rng.rs"]
mod rng;

use rng::Rng;

const NOW: i64 = 1_750_000_000_000;

fn round(items: usize, districts: usize, rng: &mut Rng) -> Round {
    let items = (0..items)
        .map(|i| {
            let list_price = rng.range(100, 20_000);
            ItemOffer {
                code: format!("ITEM-{i:05}"),
                name: format!("品目 {i}"),
                unit: if i % 3 == 0 { "CS" } else { "H87" }.into(),
                list_price,
                breaks: [(500, 95), (1_000, 90), (2_000, 80)]
                    .iter()
                    .map(|&(min_quantity, percent)| PriceBreak {
                        min_quantity,
                        unit_price: list_price * percent / 100,
                    })
                    .collect(),
                minimum_quantity: rng.range(100, 800),
            }
        })
        .collect();
    let districts = (0..districts)
        .map(|d| District {
            group_id: format!("district-{d:03}"),
            name: format!("第{d}商店街"),
            drop_point: DropPoint {
                name: "振興組合事務所".into(),
                address: format!("大阪府大阪市{d}-1-1"),
            },
        })
        .collect();
    let draft = RoundDraft {
        title: "bench".into(),
        cutoff_ms: NOW + 1,
        items,
        districts,
        delivery_dates: vec!["2026-04-01".into()],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 8_000,
        },
        solo_delivery_fee: 1_500,
    };
    match Round::open(draft, NOW) {
        Ok(round) => round,
        Err(problems) => panic!("the bench round is invalid: {problems}"),
    }
}

fn intents(round: &Round, shops: usize, per_shop: usize, rng: &mut Rng) -> Vec<Intent> {
    let items = round.items();
    let districts = round.districts();
    let mut all = Vec::with_capacity(shops * per_shop);
    let mut chosen = Vec::with_capacity(per_shop);
    for s in 0..shops {
        let district = &districts[s % districts.len()].group_id;
        chosen.clear();
        while chosen.len() < per_shop.min(items.len()) {
            let i = rng.index(items.len());
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        for &i in &chosen {
            let offer = &items[i];
            all.push(Intent {
                shop_id: format!("shop-{s:05}"),
                district_id: district.clone(),
                item_code: offer.code.clone(),
                quantity: rng.range(1, 10),
                max_unit_price: rng
                    .one_in(10)
                    .then(|| offer.list_price * rng.range(80, 100) / 100),
                seq: all.len() as u64,
            });
        }
    }
    rng.shuffle(&mut all);
    all
}

fn rate(lines: usize, took: Duration) -> f64 {
    lines as f64 / took.as_secs_f64()
}

/// Fills a pool with `lines`, and times the last `window` adds, then
/// `window` replaces and `window` withdrawals on the full pool. Returns
/// lines per second for each.
fn pool_updates(round: &Round, lines: &[Intent], window: usize) -> [f64; 3] {
    let window = window.min(lines.len());
    let (before, last) = lines.split_at(lines.len() - window);
    let mut pool = Pool::new(round.clone());
    for intent in before {
        if let Err(e) = pool.add(intent.clone()) {
            panic!("pool add failed: {e}");
        }
    }
    let last: Vec<Intent> = last.to_vec();
    let changed: Vec<Intent> = last
        .iter()
        .map(|i| Intent {
            quantity: i.quantity + 1,
            ..i.clone()
        })
        .collect();

    let started = Instant::now();
    for intent in last {
        if let Err(e) = pool.add(intent) {
            panic!("pool add failed: {e}");
        }
    }
    let add = started.elapsed();
    let started = Instant::now();
    for intent in changed {
        if let Err(e) = pool.replace(intent) {
            panic!("pool replace failed: {e}");
        }
    }
    let replace = started.elapsed();
    let started = Instant::now();
    for intent in &lines[lines.len() - window..] {
        if let Err(e) = pool.withdraw(&intent.shop_id, &intent.item_code) {
            panic!("pool withdraw failed: {e}");
        }
    }
    let withdraw = started.elapsed();
    [
        rate(window, add),
        rate(window, replace),
        rate(window, withdraw),
    ]
}

/// The same last-`window` inserts into a bare `HashMap` keyed like the
/// pool's lines, for comparison: what the memory of a large map costs by
/// itself.
fn bare_map_inserts(lines: &[Intent], window: usize) -> f64 {
    let window = window.min(lines.len());
    let key = |i: &Intent| (i.shop_id.clone(), i.item_code.clone());
    let mut map = std::collections::HashMap::new();
    let (before, last) = lines.split_at(lines.len() - window);
    for i in before {
        map.insert(key(i), i.quantity);
    }
    let keys: Vec<_> = last.iter().map(|i| (key(i), i.quantity)).collect();
    let started = Instant::now();
    for (k, q) in keys {
        map.insert(k, q);
    }
    rate(window, started.elapsed())
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (shops, per_shop, items, districts) =
        (arg(0, 10_000), arg(1, 100), arg(2, 5_000), arg(3, 100));
    let mut rng = Rng::new(arg(4, 42) as u64);

    let round = round(items, districts, &mut rng);
    let intents = intents(&round, shops, per_shop, &mut rng);
    println!(
        "{} intent lines, {shops} shops, {districts} districts, {items} items",
        intents.len()
    );

    let started = Instant::now();
    let closing = match close(&round, &intents) {
        Ok(closing) => closing,
        Err(e) => panic!("close failed: {e}"),
    };
    let close_took = started.elapsed();
    let kept: usize = closing.items.iter().map(|i| i.requests.len()).sum();
    println!(
        "close:    {:>8.1} ms  ({} items ordered, {} failed, {} lines kept, {} dropped for caps)",
        close_took.as_secs_f64() * 1e3,
        closing.items.len(),
        closing.failed.len(),
        kept,
        closing.dropped.len()
    );

    let acceptance: Vec<Acceptance> = closing
        .items
        .iter()
        .map(|i| Acceptance {
            item_code: i.item_code.clone(),
            quantity: i.quantity * rng.range(50, 100) / 100,
            unit_price: None,
        })
        .collect();
    let started = Instant::now();
    let allocation = match allocate(&closing.round, &closing.items, &acceptance) {
        Ok(allocation) => allocation,
        Err(e) => panic!("allocate failed: {e}"),
    };
    let allocate_took = started.elapsed();
    println!(
        "allocate: {:>8.1} ms  ({} participants, round saving {} yen)",
        allocate_took.as_secs_f64() * 1e3,
        allocation.participants.len(),
        allocation.savings.round.saving
    );
    let started = Instant::now();
    let plan = allocation.delivery_plan(&round);
    println!(
        "delivery plan: {:>3.1} ms  ({} drops)",
        started.elapsed().as_secs_f64() * 1e3,
        plan.drops.len()
    );

    const WINDOW: usize = 10_000;
    for size in [WINDOW, intents.len()] {
        let mut best = [0.0f64; 4];
        for _ in 0..3 {
            let rates = pool_updates(&round, &intents[..size], WINDOW);
            let bare = bare_map_inserts(&intents[..size], WINDOW);
            for (b, r) in best.iter_mut().zip(rates.into_iter().chain([bare])) {
                *b = b.max(r);
            }
        }
        println!(
            "pool at {size:>9} lines, best of 3: add {:>9.0}/s  replace {:>9.0}/s  withdraw {:>9.0}/s  (bare HashMap insert {:>9.0}/s)",
            best[0], best[1], best[2], best[3]
        );
    }
}
