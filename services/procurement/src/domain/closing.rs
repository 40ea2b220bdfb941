//! The cut-off: the intents held become one consolidated order.
//!
//! Per item, intents whose cap (`max_unit_price`) is below the tier price
//! are dropped. Dropping lowers the pooled quantity, which may fall below
//! a break and raise the price, which may drop more intents; [`close`]
//! repeats until nothing more is dropped. This ends, and quickly: the tier
//! price never falls while intents are dropped (fewer units never reach a
//! lower price), so an intent once dropped would be dropped again, and
//! each pass that does not stop drops at least one intent — at most one
//! pass per intent, plus the last. What remains is the largest set of an
//! item's intents whose caps all accept the price that set itself reaches.
//! Sorting an item's intents by cap makes every drop a prefix, so the whole
//! fixed point costs one sort.
//!
//! Then an item whose remaining total is below its minimum is not ordered
//! ([`FailureReason::BelowMinimum`]); if no item is ordered the round
//! fails. Items are independent: a cap only concerns its own item.

use std::{collections::HashSet, sync::Arc};

use serde::{Deserialize, Serialize};

use super::intent::Intent;
use super::problem::Problems;
use super::round::{ItemOffer, Round, Tier};

/// Why the intents given to [`close`] cannot be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    /// An intent that breaks a rule of the round.
    #[error(
        "the intent of shop `{shop_id}` for item `{item_code}` does not fit the round: {problems}"
    )]
    Invalid {
        /// The shop.
        shop_id: String,
        /// The item.
        item_code: String,
        /// What is wrong.
        problems: Problems,
    },
    /// Two intents of one shop for one item; a change must replace.
    #[error("shop `{shop_id}` has two intents for item `{item_code}`")]
    Duplicate {
        /// The shop.
        shop_id: String,
        /// The item.
        item_code: String,
    },
}

/// Whether anything is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// At least one item reached its minimum and goes to the wholesaler.
    Ordered,
    /// No item reached its minimum: nothing is ordered.
    Failed,
}

// A shop asks for many items: its ids are shared, not copied, between its
// requests (a round of a million requests has ten thousand shops).
/// What one shop asked of an ordered item, kept for the allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Request {
    /// The shop.
    #[serde(with = "super::shared_str")]
    #[schema(value_type = String)]
    pub shop_id: Arc<str>,
    /// The district it collects from.
    #[serde(with = "super::shared_str")]
    #[schema(value_type = String)]
    pub district_id: Arc<str>,
    /// Units requested.
    pub quantity: i64,
    /// Its cap, if it set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unit_price: Option<i64>,
    /// Its submission order.
    pub seq: u64,
}

/// One line of the consolidated order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderedItem {
    /// The item.
    pub item_code: String,
    /// Its unit.
    pub unit: String,
    /// Units ordered from the wholesaler: the sum of `requests`.
    pub quantity: i64,
    /// The tier that quantity reaches.
    pub tier: Tier,
    /// The shops' requests, by `seq` then shop.
    pub requests: Vec<Request>,
}

/// Why an item is not ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The pooled quantity (after dropping capped intents) stayed below
    /// the item's minimum.
    BelowMinimum,
}

/// An item not ordered, and whom to tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FailedItem {
    /// The item.
    pub item_code: String,
    /// Why.
    pub reason: FailureReason,
    /// The pooled quantity reached.
    pub pooled: i64,
    /// The minimum it needed.
    pub minimum_quantity: i64,
    /// The requests that are not ordered, by `seq` then shop.
    pub requests: Vec<Request>,
}

/// An intent dropped because its cap is below the tier price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DroppedIntent {
    /// The intent.
    pub intent: Intent,
    /// The unit price of the item's tier when it was dropped, above its cap.
    pub unit_price: i64,
}

/// The round after its cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    /// The round closed.
    pub round: Round,
    /// Whether anything is ordered.
    pub outcome: Outcome,
    /// The consolidated order, in the round's item order.
    pub items: Vec<OrderedItem>,
    /// Items not ordered, in the round's item order.
    pub failed: Vec<FailedItem>,
    /// Intents dropped for their caps, by item order, then `seq`, then shop.
    pub dropped: Vec<DroppedIntent>,
}

impl Closing {
    /// The ordered item `item_code` (a linear search; for a few look-ups).
    pub fn item(&self, item_code: &str) -> Option<&OrderedItem> {
        self.items.iter().find(|i| i.item_code == item_code)
    }
}

/// Closes `round` over the intents held at its cut-off. The result
/// depends only on the set of intents, not on their order.
pub fn close(round: &Round, intents: &[Intent]) -> Result<Closing, CloseError> {
    let mut by_item: Vec<Vec<&Intent>> = vec![Vec::new(); round.items().len()];
    let mut seen = HashSet::with_capacity(intents.len());
    for intent in intents {
        let (item, _) = round
            .place_intent(intent)
            .map_err(|problems| CloseError::Invalid {
                shop_id: intent.shop_id.clone(),
                item_code: intent.item_code.clone(),
                problems,
            })?;
        if !seen.insert((intent.shop_id.as_str(), item)) {
            return Err(CloseError::Duplicate {
                shop_id: intent.shop_id.clone(),
                item_code: intent.item_code.clone(),
            });
        }
        by_item[item].push(intent);
    }
    drop(seen);

    let mut closing = Closing {
        round: round.clone(),
        outcome: Outcome::Failed,
        items: Vec::new(),
        failed: Vec::new(),
        dropped: Vec::new(),
    };
    for (offer, mut wanted) in round.items().iter().zip(by_item) {
        wanted.sort_unstable_by(|a, b| {
            (a.cap(), a.seq, &a.shop_id).cmp(&(b.cap(), b.seq, &b.shop_id))
        });
        let cut = cut(offer, wanted.iter().map(|i| (i.cap(), i.quantity)));
        let mut dropped: Vec<DroppedIntent> = wanted[..cut.dropped]
            .iter()
            .zip(cut.drop_prices)
            .map(|(&intent, unit_price)| DroppedIntent {
                intent: intent.clone(),
                unit_price,
            })
            .collect();
        dropped.sort_unstable_by(|a, b| {
            (a.intent.seq, &a.intent.shop_id).cmp(&(b.intent.seq, &b.intent.shop_id))
        });
        closing.dropped.extend(dropped);

        let mut kept = wanted.split_off(cut.dropped);
        kept.sort_unstable_by(|a, b| (a.seq, &a.shop_id).cmp(&(b.seq, &b.shop_id)));
        let requests: Vec<Request> = kept.into_iter().map(request).collect();
        if cut.pooled >= offer.minimum_quantity {
            closing.items.push(OrderedItem {
                item_code: offer.code.clone(),
                unit: offer.unit.clone(),
                quantity: cut.pooled,
                tier: offer.tier(cut.pooled),
                requests,
            });
        } else {
            closing.failed.push(FailedItem {
                item_code: offer.code.clone(),
                reason: FailureReason::BelowMinimum,
                pooled: cut.pooled,
                minimum_quantity: offer.minimum_quantity,
                requests,
            });
        }
    }
    if !closing.items.is_empty() {
        closing.outcome = Outcome::Ordered;
    }
    Ok(closing)
}

fn request(intent: &Intent) -> Request {
    Request {
        shop_id: Arc::from(intent.shop_id.as_str()),
        district_id: Arc::from(intent.district_id.as_str()),
        quantity: intent.quantity,
        max_unit_price: intent.max_unit_price,
        seq: intent.seq,
    }
}

/// Where one item's intents, taken in ascending order of cap, are cut.
struct Cut {
    /// How many of them, from the lowest cap, are dropped.
    dropped: usize,
    /// The units of the rest.
    pooled: i64,
    /// The tier price each dropped one was dropped at, in order.
    drop_prices: Vec<i64>,
}

/// The fixed point of the module's documentation for one item, over its
/// intents (or groups of intents with one cap) as `(cap, quantity)` in
/// ascending order of cap. Both [`close`] and [`settle`] cut here.
fn cut(offer: &ItemOffer, by_cap: impl Iterator<Item = (i64, i64)>) -> Cut {
    let by_cap: Vec<(i64, i64)> = by_cap.collect();
    let mut pooled: i64 = by_cap.iter().map(|&(_, quantity)| quantity).sum();
    let mut dropped = 0;
    let mut drop_prices = Vec::new();
    loop {
        let price = offer.tier(pooled).unit_price;
        let before = dropped;
        while dropped < by_cap.len() && by_cap[dropped].0 < price {
            pooled -= by_cap[dropped].1;
            drop_prices.push(price);
            dropped += 1;
        }
        if dropped == before {
            break;
        }
    }
    Cut {
        dropped,
        pooled,
        drop_prices,
    }
}

/// The intents of one item with one cap, added up: all the close needs to
/// decide (a database adds them up far faster than it hands out the rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapGroup {
    /// The item.
    pub item_code: String,
    /// The intents' cap; `None` for those without one.
    pub max_unit_price: Option<i64>,
    /// Their units together.
    pub quantity: i64,
    /// How many intents (one per shop).
    pub intents: u64,
}

/// One item of the round at the cut-off, decided from its [`CapGroup`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledItem {
    /// The item.
    pub item_code: String,
    /// Its unit.
    pub unit: String,
    /// Units of the intents kept: ordered if `failure` is `None`.
    pub pooled: i64,
    /// The tier they reach. An intent is kept if and only if its cap is at
    /// least this tier's price (no cap counts as the highest).
    pub tier: Tier,
    /// Why it is not ordered, if it is not.
    pub failure: Option<FailureReason>,
    /// The minimum it needed.
    pub minimum_quantity: i64,
    /// Intents kept.
    pub kept: u64,
    /// Intents dropped for their caps.
    pub dropped: u64,
}

impl SettledItem {
    /// Whether an intent with cap `max_unit_price` is kept.
    pub fn keeps(&self, max_unit_price: Option<i64>) -> bool {
        max_unit_price.unwrap_or(i64::MAX) >= self.tier.unit_price
    }
}

/// The cut-off decided from per-cap totals: the same outcome, quantities
/// and tiers as [`close`] over the intents those totals add up, without
/// the intents themselves. Every item of the round is in `items`, in the
/// round's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// Whether anything is ordered.
    pub outcome: Outcome,
    /// Every item of the round.
    pub items: Vec<SettledItem>,
}

/// Why per-cap totals cannot be settled: they name an item the round does
/// not offer, or hold a quantity no intent could have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the intents for item `{item_code}` do not fit the round: {reason}")]
pub struct SettleError {
    /// The item.
    pub item_code: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// Settles `round` from the totals of its intents per item and cap. Groups
/// of one item and cap given twice are added together.
pub fn settle(round: &Round, groups: &[CapGroup]) -> Result<Settlement, SettleError> {
    let mut by_item: Vec<Vec<(i64, i64, u64)>> = vec![Vec::new(); round.items().len()];
    for g in groups {
        let bad = |reason| SettleError {
            item_code: g.item_code.clone(),
            reason,
        };
        let index = round
            .item_index(&g.item_code)
            .ok_or_else(|| bad("the round does not offer it"))?;
        // Every intent holds at least one unit; no intents hold none.
        let possible = match i64::try_from(g.intents) {
            Ok(0) => g.quantity == 0,
            Ok(n) => g.quantity >= n,
            Err(_) => false,
        };
        if !possible {
            return Err(bad("fewer units than intents, or units without intents"));
        }
        if g.max_unit_price.is_some_and(|cap| cap < 0) {
            return Err(bad("a negative cap"));
        }
        by_item[index].push((g.max_unit_price.unwrap_or(i64::MAX), g.quantity, g.intents));
    }
    let mut settlement = Settlement {
        outcome: Outcome::Failed,
        items: Vec::with_capacity(by_item.len()),
    };
    for (offer, mut groups) in round.items().iter().zip(by_item) {
        groups.sort_unstable();
        let cut = cut(
            offer,
            groups.iter().map(|&(cap, quantity, _)| (cap, quantity)),
        );
        let dropped: u64 = groups[..cut.dropped].iter().map(|g| g.2).sum();
        let kept: u64 = groups[cut.dropped..].iter().map(|g| g.2).sum();
        let ordered = cut.pooled >= offer.minimum_quantity;
        if ordered {
            settlement.outcome = Outcome::Ordered;
        }
        settlement.items.push(SettledItem {
            item_code: offer.code.clone(),
            unit: offer.unit.clone(),
            pooled: cut.pooled,
            tier: offer.tier(cut.pooled),
            failure: (!ordered).then_some(FailureReason::BelowMinimum),
            minimum_quantity: offer.minimum_quantity,
            kept,
            dropped,
        });
    }
    Ok(settlement)
}
