//! The running totals of a round while intents arrive, change and are
//! withdrawn, fed one change at a time (from the bus, in production).
//!
//! Each change costs a constant number of hash-map operations, whatever
//! the size of the pool. Only a question that ranks shops (the odd yen of
//! a shared fee) looks through the lines of one district's shops. The state depends only on
//! the set of intents held, never on the order the changes came in:
//! replacing or withdrawing subtracts exactly what was added, so the pool
//! equals one rebuilt from scratch ([`Pool::from_intents`]).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::fees::FeeModel;
use super::intent::Intent;
use super::problem::Problems;
use super::round::{Round, Tier};

/// Why a change was not applied to the pool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The intent breaks a rule of the round (see [`Round::check_intent_shape`]).
    #[error("the intent does not fit the round: {0}")]
    Invalid(Problems),
    /// `add` for a shop and item that already have an intent.
    #[error("shop `{shop_id}` already has an intent for item `{item_code}`")]
    AlreadyPresent {
        /// The shop.
        shop_id: String,
        /// The item.
        item_code: String,
    },
    /// `replace` or `withdraw` for a shop and item without an intent.
    #[error("shop `{shop_id}` has no intent for item `{item_code}`")]
    NotPresent {
        /// The shop.
        shop_id: String,
        /// The item.
        item_code: String,
    },
}

/// Where one item stands in the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemProgress {
    /// The item.
    pub item_code: String,
    /// Units wanted by all shops together.
    pub pooled: i64,
    /// The tier reached.
    pub tier: Tier,
    /// The next tier, if there is one above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<NextTier>,
    /// The pooled quantity needed to order the item at all.
    pub minimum_quantity: i64,
    /// Whether the pool reaches it.
    pub minimum_reached: bool,
    /// Units still missing to reach it (zero once reached).
    pub units_to_minimum: i64,
}

/// The tier above the one reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NextTier {
    /// Index of its break.
    pub break_index: usize,
    /// Its unit price.
    pub unit_price: i64,
    /// Units missing to reach it.
    pub units_missing: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    district: usize,
    quantity: i64,
    max_unit_price: Option<i64>,
    seq: u64,
}

/// The intents of one round and their aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    round: Round,
    /// shop → item index → its line.
    lines: HashMap<String, HashMap<usize, Line>>,
    /// Item index → pooled quantity.
    totals: Vec<i64>,
    /// (item index, district index) → pooled quantity; no zero entries.
    by_district: HashMap<(usize, usize), i64>,
    /// District index → shop → how many lines it holds there; no zeros.
    shops: Vec<HashMap<String, u32>>,
    len: usize,
}

impl Pool {
    /// An empty pool for `round`.
    pub fn new(round: Round) -> Pool {
        Pool {
            totals: vec![0; round.items().len()],
            shops: vec![HashMap::new(); round.districts().len()],
            round,
            lines: HashMap::new(),
            by_district: HashMap::new(),
            len: 0,
        }
    }

    /// A pool holding `intents`, as if each had been added.
    pub fn from_intents<'a>(
        round: Round,
        intents: impl IntoIterator<Item = &'a Intent>,
    ) -> Result<Pool, PoolError> {
        let mut pool = Pool::new(round);
        for intent in intents {
            pool.add(intent.clone())?;
        }
        Ok(pool)
    }

    /// The round.
    pub fn round(&self) -> &Round {
        &self.round
    }

    /// How many intents are held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no intent is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a shop's first intent for an item.
    pub fn add(&mut self, intent: Intent) -> Result<(), PoolError> {
        let (item, district) = self.place(&intent)?;
        let line = Line {
            district,
            quantity: intent.quantity,
            max_unit_price: intent.max_unit_price,
            seq: intent.seq,
        };
        let lines = match self.lines.get_mut(intent.shop_id.as_str()) {
            Some(lines) => lines,
            None => self.lines.entry(intent.shop_id.clone()).or_default(),
        };
        if lines.contains_key(&item) {
            return Err(PoolError::AlreadyPresent {
                shop_id: intent.shop_id,
                item_code: intent.item_code,
            });
        }
        lines.insert(item, line.clone());
        self.count(&intent.shop_id, item, &line, true);
        Ok(())
    }

    /// Replaces a shop's intent for an item; returns the one it replaced.
    pub fn replace(&mut self, intent: Intent) -> Result<Intent, PoolError> {
        let (item, district) = self.place(&intent)?;
        let line = Line {
            district,
            quantity: intent.quantity,
            max_unit_price: intent.max_unit_price,
            seq: intent.seq,
        };
        let Some(old) = self
            .lines
            .get_mut(&intent.shop_id)
            .and_then(|lines| lines.insert(item, line.clone()))
        else {
            self.forget_if_empty(&intent.shop_id);
            return Err(PoolError::NotPresent {
                shop_id: intent.shop_id,
                item_code: intent.item_code,
            });
        };
        self.count(&intent.shop_id, item, &old, false);
        self.count(&intent.shop_id, item, &line, true);
        Ok(self.intent_of(&intent.shop_id, item, &old))
    }

    /// Withdraws a shop's intent for an item; returns it.
    pub fn withdraw(&mut self, shop_id: &str, item_code: &str) -> Result<Intent, PoolError> {
        let not_present = || PoolError::NotPresent {
            shop_id: shop_id.to_owned(),
            item_code: item_code.to_owned(),
        };
        let item = self.round.item_index(item_code).ok_or_else(not_present)?;
        let old = self
            .lines
            .get_mut(shop_id)
            .and_then(|lines| lines.remove(&item))
            .ok_or_else(not_present)?;
        self.forget_if_empty(shop_id);
        self.count(shop_id, item, &old, false);
        Ok(self.intent_of(shop_id, item, &old))
    }

    fn place(&self, intent: &Intent) -> Result<(usize, usize), PoolError> {
        self.round.place_intent(intent).map_err(PoolError::Invalid)
    }

    fn forget_if_empty(&mut self, shop_id: &str) {
        if self.lines.get(shop_id).is_some_and(HashMap::is_empty) {
            self.lines.remove(shop_id);
        }
    }

    /// Adds (`on`) or subtracts one line's contribution to every aggregate.
    fn count(&mut self, shop_id: &str, item: usize, line: &Line, on: bool) {
        let quantity = if on { line.quantity } else { -line.quantity };
        self.totals[item] += quantity;
        let key = (item, line.district);
        let sum = self.by_district.entry(key).or_insert(0);
        *sum += quantity;
        if *sum == 0 {
            self.by_district.remove(&key);
        }
        let shops = &mut self.shops[line.district];
        if on {
            self.len += 1;
            match shops.get_mut(shop_id) {
                Some(n) => *n += 1,
                None => {
                    shops.insert(shop_id.to_owned(), 1);
                }
            }
        } else {
            self.len -= 1;
            if let Some(n) = shops.get_mut(shop_id) {
                *n -= 1;
                if *n == 0 {
                    shops.remove(shop_id);
                }
            }
        }
    }

    fn intent_of(&self, shop_id: &str, item: usize, line: &Line) -> Intent {
        Intent {
            shop_id: shop_id.to_owned(),
            district_id: self.round.districts()[line.district].group_id.clone(),
            item_code: self.round.items()[item].code.clone(),
            quantity: line.quantity,
            max_unit_price: line.max_unit_price,
            seq: line.seq,
        }
    }

    /// Every intent held, by `seq`, then shop, then item order.
    pub fn intents(&self) -> Vec<Intent> {
        let mut all: Vec<(u64, &str, usize, &Line)> = self
            .lines
            .iter()
            .flat_map(|(shop, lines)| {
                lines
                    .iter()
                    .map(move |(&item, line)| (line.seq, shop.as_str(), item, line))
            })
            .collect();
        all.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
        all.into_iter()
            .map(|(_, shop, item, line)| self.intent_of(shop, item, line))
            .collect()
    }

    /// The intent a shop holds for an item.
    pub fn intent(&self, shop_id: &str, item_code: &str) -> Option<Intent> {
        let item = self.round.item_index(item_code)?;
        let line = self.lines.get(shop_id)?.get(&item)?;
        Some(self.intent_of(shop_id, item, line))
    }

    /// Units of `item_code` wanted by all shops; `None` for an unknown item.
    pub fn pooled(&self, item_code: &str) -> Option<i64> {
        self.round.item_index(item_code).map(|i| self.totals[i])
    }

    /// Units of `item_code` wanted by the shops of one district.
    pub fn district_pooled(&self, item_code: &str, district_id: &str) -> i64 {
        match (
            self.round.item_index(item_code),
            self.round.district_index(district_id),
        ) {
            (Some(item), Some(district)) => self
                .by_district
                .get(&(item, district))
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// How many shops of a district hold at least one intent.
    pub fn district_shops(&self, district_id: &str) -> usize {
        self.round
            .district_index(district_id)
            .map_or(0, |d| self.shops[d].len())
    }

    /// Where `item_code` stands; `None` for an unknown item.
    pub fn progress(&self, item_code: &str) -> Option<ItemProgress> {
        let index = self.round.item_index(item_code)?;
        Some(self.round.items()[index].progress(self.totals[index]))
    }

    /// The unit price every shop would pay for `item_code` if the round
    /// closed now, before intents whose cap is below it are dropped.
    pub fn expected_unit_price(&self, item_code: &str) -> Option<i64> {
        self.progress(item_code).map(|p| p.tier.unit_price)
    }

    /// The delivery fee share a shop would pay at a district's drop if
    /// every shop holding an intent there received something; `None` if
    /// the shop holds no intent there.
    pub fn expected_fee_share(&self, shop_id: &str, district_id: &str) -> Option<i64> {
        let district = self.round.district_index(district_id)?;
        let shops = &self.shops[district];
        if !shops.contains_key(shop_id) {
            return None;
        }
        let rank = match self.round.fee_model() {
            FeeModel::PerShop { .. } => 0,
            FeeModel::PerDrop { .. } => {
                let own = (self.first_seq(shop_id, district), shop_id);
                shops
                    .keys()
                    .filter(|&other| (self.first_seq(other, district), other.as_str()) < own)
                    .count()
            }
        };
        Some(self.round.fee_model().share(shops.len(), rank))
    }

    /// A shop's earliest submission among its lines at a district: what
    /// ranks it for the odd yen of a shared fee. Computed when asked, so
    /// that changes stay cheap.
    fn first_seq(&self, shop_id: &str, district: usize) -> u64 {
        self.lines.get(shop_id).map_or(u64::MAX, |lines| {
            lines
                .values()
                .filter(|l| l.district == district)
                .map(|l| l.seq)
                .min()
                .unwrap_or(u64::MAX)
        })
    }
}
