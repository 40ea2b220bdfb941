//! The pool: progress through the tiers, expected prices and fee shares,
//! and the same state whatever order the changes came in.

use std::collections::BTreeMap;

use renkei_procurement::domain::{FeeModel, Intent, NextTier, Pool, PoolError, Tier};

use crate::rng::Rng;
use crate::support::{capped, draft, intent, open, random_intents, random_round};

#[test]
fn progress_crosses_tiers_and_counts_the_units_missing() {
    let mut pool = Pool::new(open(draft()));
    let rice = |pool: &Pool| pool.progress("RICE-5KG").expect("offered");

    let p = rice(&pool);
    assert_eq!(p.pooled, 0);
    assert_eq!(
        p.tier,
        Tier {
            break_index: None,
            unit_price: 2_400
        }
    );
    assert_eq!(
        p.next,
        Some(NextTier {
            break_index: 0,
            unit_price: 2_200,
            units_missing: 10
        })
    );
    assert!(!p.minimum_reached);
    assert_eq!(p.units_to_minimum, 5);

    pool.add(intent("s1", "a", "RICE-5KG", 6, 1))
        .expect("added");
    let p = rice(&pool);
    assert!(p.minimum_reached);
    assert_eq!(p.units_to_minimum, 0);
    assert_eq!(p.next.map(|n| n.units_missing), Some(4));
    assert_eq!(pool.expected_unit_price("RICE-5KG"), Some(2_400));

    pool.add(intent("s2", "b", "RICE-5KG", 4, 2))
        .expect("added");
    let p = rice(&pool);
    assert_eq!(p.pooled, 10);
    assert_eq!(
        p.tier,
        Tier {
            break_index: Some(0),
            unit_price: 2_200
        }
    );
    assert_eq!(
        p.next,
        Some(NextTier {
            break_index: 1,
            unit_price: 2_000,
            units_missing: 40
        })
    );
    assert_eq!(pool.expected_unit_price("RICE-5KG"), Some(2_200));

    pool.replace(intent("s2", "b", "RICE-5KG", 44, 3))
        .expect("replaced");
    let p = rice(&pool);
    assert_eq!(
        p.tier,
        Tier {
            break_index: Some(1),
            unit_price: 2_000
        }
    );
    assert_eq!(p.next, None);
    assert_eq!(pool.district_pooled("RICE-5KG", "a"), 6);
    assert_eq!(pool.district_pooled("RICE-5KG", "b"), 44);

    pool.withdraw("s2", "RICE-5KG").expect("withdrawn");
    assert_eq!(rice(&pool).tier.unit_price, 2_400);
    assert_eq!(pool.progress("TEA"), None);
}

#[test]
fn expected_fee_shares_split_the_drop_and_favour_the_earliest() {
    let mut pool = Pool::new(open(draft()));
    pool.add(intent("late", "a", "OIL-1L", 1, 30))
        .expect("added");
    pool.add(intent("early", "a", "OIL-1L", 1, 10))
        .expect("added");
    pool.add(intent("middle", "a", "OIL-1L", 1, 20))
        .expect("added");
    pool.add(intent("middle", "a", "RICE-5KG", 1, 5))
        .expect("added");
    pool.add(intent("other", "b", "OIL-1L", 1, 1))
        .expect("added");

    assert_eq!(pool.district_shops("a"), 3);
    assert_eq!(pool.expected_fee_share("middle", "a"), Some(1_000));
    assert_eq!(pool.expected_fee_share("early", "a"), Some(1_000));
    assert_eq!(pool.expected_fee_share("other", "b"), Some(3_000));
    assert_eq!(pool.expected_fee_share("other", "a"), None);

    pool.add(intent("fourth", "a", "SOY-1L", 1, 40))
        .expect("added");
    let shares: Vec<i64> = ["middle", "early", "late", "fourth"]
        .iter()
        .map(|s| pool.expected_fee_share(s, "a").expect("takes part"))
        .collect();
    assert_eq!(shares, [750, 750, 750, 750]);

    pool.withdraw("fourth", "SOY-1L").expect("withdrawn");
    pool.add(intent("fifth", "a", "SOY-1L", 1, 50))
        .expect("added");
    pool.add(intent("sixth", "a", "SOY-1L", 1, 60))
        .expect("added");
    pool.add(intent("seventh", "a", "SOY-1L", 1, 70))
        .expect("added");
    let order = ["middle", "early", "late", "fifth", "sixth", "seventh"];
    let shares: Vec<i64> = order
        .iter()
        .map(|s| pool.expected_fee_share(s, "a").expect("takes part"))
        .collect();
    assert_eq!(shares, [500; 6]);

    pool.withdraw("seventh", "SOY-1L").expect("withdrawn");
    pool.withdraw("middle", "RICE-5KG").expect("withdrawn");
    let shares: Vec<i64> = order[..5]
        .iter()
        .map(|s| pool.expected_fee_share(s, "a").expect("takes part"))
        .collect();
    assert_eq!(shares, [600; 5]);
}

#[test]
fn the_odd_yen_follow_the_earliest_submission_after_a_withdrawal() {
    let mut d = draft();
    d.fee_model = FeeModel::PerDrop {
        fee_per_drop: 1_000,
    };
    let mut pool = Pool::new(open(d));
    pool.add(intent("x", "a", "OIL-1L", 1, 3)).expect("added");
    pool.add(intent("y", "a", "OIL-1L", 1, 2)).expect("added");
    pool.add(intent("z", "a", "OIL-1L", 1, 4)).expect("added");
    pool.add(intent("x", "a", "SOY-1L", 1, 1)).expect("added");
    let shares = |pool: &Pool| -> Vec<i64> {
        ["x", "y", "z"]
            .iter()
            .map(|s| pool.expected_fee_share(s, "a").expect("takes part"))
            .collect()
    };
    assert_eq!(shares(&pool), [334, 333, 333]);
    pool.withdraw("x", "SOY-1L").expect("withdrawn");
    assert_eq!(shares(&pool), [333, 334, 333], "y (seq 2) is now first");
}

#[test]
fn changes_that_do_not_fit_are_refused_and_change_nothing() {
    let mut pool = Pool::new(open(draft()));
    pool.add(intent("s1", "a", "OIL-1L", 5, 1)).expect("added");
    let before = pool.clone();

    let twice = pool.add(intent("s1", "a", "OIL-1L", 7, 2));
    assert!(
        matches!(twice, Err(PoolError::AlreadyPresent { .. })),
        "{twice:?}"
    );
    let missing = pool.replace(intent("s2", "a", "OIL-1L", 7, 2));
    assert!(
        matches!(missing, Err(PoolError::NotPresent { .. })),
        "{missing:?}"
    );
    let missing = pool.withdraw("s1", "SOY-1L");
    assert!(
        matches!(missing, Err(PoolError::NotPresent { .. })),
        "{missing:?}"
    );
    let unknown = pool.withdraw("s1", "TEA");
    assert!(
        matches!(unknown, Err(PoolError::NotPresent { .. })),
        "{unknown:?}"
    );
    let invalid = pool.add(intent("s3", "z", "OIL-1L", 1, 3));
    assert!(matches!(invalid, Err(PoolError::Invalid(_))), "{invalid:?}");
    let invalid = pool.replace(intent("s1", "a", "OIL-1L", 0, 3));
    assert!(matches!(invalid, Err(PoolError::Invalid(_))), "{invalid:?}");
    assert_eq!(pool, before);
}

#[test]
fn replace_and_withdraw_return_what_they_removed() {
    let mut pool = Pool::new(open(draft()));
    let first = capped(intent("s1", "a", "OIL-1L", 5, 1), 550);
    pool.add(first.clone()).expect("added");
    let second = intent("s1", "b", "OIL-1L", 9, 7);
    assert_eq!(pool.replace(second.clone()), Ok(first));
    assert_eq!(pool.intent("s1", "OIL-1L"), Some(second.clone()));
    assert_eq!(pool.district_pooled("OIL-1L", "a"), 0);
    assert_eq!(pool.district_shops("a"), 0);
    assert_eq!(pool.withdraw("s1", "OIL-1L"), Ok(second));
    assert!(pool.is_empty());
    assert_eq!(pool, Pool::new(open(draft())));
}

/// A random change to `held`, applied to the pool and to the reference map.
fn random_change(
    rng: &mut Rng,
    pool: &mut Pool,
    held: &mut BTreeMap<(String, String), Intent>,
    pick: &[Intent],
    seq: &mut u64,
) {
    let candidate = &pick[rng.index(pick.len())];
    let key = (candidate.shop_id.clone(), candidate.item_code.clone());
    *seq += 1;
    let fresh = Intent {
        quantity: rng.range(1, 50),
        seq: *seq,
        district_id: pool.round().districts()[rng.index(pool.round().districts().len())]
            .group_id
            .clone(),
        ..candidate.clone()
    };
    match (held.contains_key(&key), rng.below(3)) {
        (false, _) => {
            pool.add(fresh.clone()).expect("add of an absent intent");
            held.insert(key, fresh);
        }
        (true, 0) => {
            let old = pool
                .withdraw(&key.0, &key.1)
                .expect("withdraw of a held intent");
            assert_eq!(held.remove(&key), Some(old));
        }
        (true, _) => {
            let old = pool
                .replace(fresh.clone())
                .expect("replace of a held intent");
            assert_eq!(held.insert(key, fresh), Some(old));
        }
    }
}

#[test]
fn any_sequence_of_changes_equals_the_pool_rebuilt_from_scratch() {
    for case in 0..2_000u64 {
        let seed = 0x9001_0000 + case;
        let mut rng = Rng::new(seed);
        let round = random_round(&mut rng, 5, 4);
        let shops = 1 + rng.index(12);
        let pick = random_intents(&mut rng, &round, shops);
        if pick.is_empty() {
            continue;
        }
        let mut pool = Pool::new(round.clone());
        let mut held = BTreeMap::new();
        let mut seq = 0;
        for _ in 0..rng.range(0, 80) {
            random_change(&mut rng, &mut pool, &mut held, &pick, &mut seq);
        }
        let rebuilt = Pool::from_intents(round.clone(), held.values()).expect("rebuilt");
        assert_eq!(pool, rebuilt, "seed {seed:#x}");
        assert_eq!(pool.len(), held.len(), "seed {seed:#x}");
        let mut expected: Vec<Intent> = held.values().cloned().collect();
        expected.sort_by(|a, b| (a.seq, &a.shop_id).cmp(&(b.seq, &b.shop_id)));
        assert_eq!(pool.intents(), expected, "seed {seed:#x}");
        for offer in round.items() {
            let total: i64 = held
                .values()
                .filter(|i| i.item_code == offer.code)
                .map(|i| i.quantity)
                .sum();
            assert_eq!(pool.pooled(&offer.code), Some(total), "seed {seed:#x}");
            let by_district: i64 = round
                .districts()
                .iter()
                .map(|d| pool.district_pooled(&offer.code, &d.group_id))
                .sum();
            assert_eq!(by_district, total, "seed {seed:#x}");
        }
        for d in round.districts() {
            let shares: i64 = held
                .values()
                .filter(|i| i.district_id == d.group_id)
                .map(|i| i.shop_id.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|s| pool.expected_fee_share(s, &d.group_id).expect("takes part"))
                .sum();
            let shops = pool.district_shops(&d.group_id);
            assert_eq!(
                shares,
                round.fee_model().district_total(shops),
                "seed {seed:#x}"
            );
        }
    }
}

#[test]
fn changes_of_different_shops_give_the_same_pool_in_any_interleaving() {
    for case in 0..1_000u64 {
        let seed = 0x9002_0000 + case;
        let mut rng = Rng::new(seed);
        let round = random_round(&mut rng, 5, 4);
        let shops = 1 + rng.index(10);
        let intents = random_intents(&mut rng, &round, shops);
        // Each shop's own history: add everything, then change or withdraw some.
        let mut histories: BTreeMap<&str, Vec<(u8, Intent)>> = BTreeMap::new();
        for i in &intents {
            let history = histories.entry(i.shop_id.as_str()).or_default();
            history.push((0, i.clone()));
            match rng.below(3) {
                0 => history.push((
                    1,
                    Intent {
                        quantity: i.quantity + 1,
                        ..i.clone()
                    },
                )),
                1 => history.push((2, i.clone())),
                _ => {}
            }
        }
        let run = |rng: &mut Rng| -> Pool {
            let mut queues: Vec<std::collections::VecDeque<(u8, Intent)>> = histories
                .values()
                .map(|h| h.iter().cloned().collect())
                .collect();
            let mut pool = Pool::new(round.clone());
            while !queues.is_empty() {
                let q = rng.index(queues.len());
                let Some((op, i)) = queues[q].pop_front() else {
                    queues.swap_remove(q);
                    continue;
                };
                match op {
                    0 => pool.add(i).expect("add"),
                    1 => drop(pool.replace(i).expect("replace")),
                    _ => drop(pool.withdraw(&i.shop_id, &i.item_code).expect("withdraw")),
                }
            }
            pool
        };
        let first = run(&mut rng);
        let second = run(&mut rng);
        assert_eq!(first, second, "seed {seed:#x}");
    }
}
