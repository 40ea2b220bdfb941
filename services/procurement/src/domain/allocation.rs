//! What the wholesaler accepted, shared back among the shops that asked.
//!
//! The wholesaler may accept less than ordered, item by item. Each item's
//! accepted quantity `A` is divided pro rata among its requests by the
//! largest-remainder rule: a request of `q` out of `T` units ordered first
//! gets `⌊A·q/T⌋` (exact, in `i128`); the units left over, fewer than the
//! number of requests, go one each to the requests with the largest
//! remainders `A·q mod T`, equal remainders to the earliest `seq`, then the
//! smallest shop id. So no share is negative, none exceeds its request (a
//! request with a remainder had `⌊A·q/T⌋ < q` since `A ≤ T`, and the
//! leftover never reaches the requests without one), the shares add up to
//! `A` exactly, and the result does not depend on the order of the input.
//!
//! The unit price is the tier the accepted quantity reaches, which may be
//! above the tier of the close, or the price the wholesaler confirmed in
//! its answer where it gave one; a line whose price is then above its cap
//! says so ([`AllocatedLine::above_cap`]). Delivery fees are shared among
//! the shops that receive something, by the round's [`FeeModel`]; a
//! district where nobody receives anything pays nothing.
//!
//! [`FeeModel`]: super::fees::FeeModel

use std::{collections::HashMap, sync::Arc};

use serde::{Deserialize, Serialize};

use super::MAX_QUANTITY;
use super::closing::{OrderedItem, Request};
use super::round::{Round, Tier};

/// How much of one ordered item the wholesaler accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Acceptance {
    /// The item.
    pub item_code: String,
    /// Units accepted, `0..=` units ordered.
    pub quantity: i64,
    /// The unit price the wholesaler confirmed, if it answered one: it is
    /// what the shops pay instead of the tier's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<i64>,
}

/// Why an acceptance cannot be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocateError {
    /// An acceptance for an item that was not ordered.
    #[error("item `{item_code}` was not ordered")]
    NotOrdered {
        /// The item.
        item_code: String,
    },
    /// Two acceptances for one item.
    #[error("item `{item_code}` is accepted twice")]
    Duplicate {
        /// The item.
        item_code: String,
    },
    /// A negative accepted quantity.
    #[error("item `{item_code}`: {quantity} units accepted is below zero")]
    Negative {
        /// The item.
        item_code: String,
        /// The quantity given.
        quantity: i64,
    },
    /// More accepted than ordered.
    #[error("item `{item_code}`: {accepted} units accepted, only {ordered} ordered")]
    AboveOrdered {
        /// The item.
        item_code: String,
        /// Units accepted.
        accepted: i64,
        /// Units ordered.
        ordered: i64,
    },
    /// A closing whose ordered item does not match the round or its own
    /// requests (it was not produced by `close`).
    #[error("the closing's item `{item_code}` does not match its round or its requests")]
    InconsistentClosing {
        /// The item.
        item_code: String,
    },
    /// A confirmed unit price below zero or above [`MAX_YEN`](super::MAX_YEN).
    #[error("item `{item_code}`: a confirmed unit price of {unit_price} yen is out of range")]
    BadPrice {
        /// The item.
        item_code: String,
        /// The price given.
        unit_price: i64,
    },
    /// An amount beyond what `i64` yen hold.
    #[error("an amount exceeds the largest number of yen that can be held")]
    Overflow,
}

/// One item as accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AllocatedItem {
    /// The item.
    pub item_code: String,
    /// Its unit.
    pub unit: String,
    /// Units ordered at the close.
    pub ordered: i64,
    /// Units the wholesaler accepted.
    pub accepted: i64,
    /// The tier the accepted quantity reaches.
    pub tier: Tier,
    /// The unit price the wholesaler confirmed, where it answered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_unit_price: Option<i64>,
    /// The item's list price.
    pub list_price: i64,
}

impl AllocatedItem {
    /// What every shop pays per unit: the confirmed price, else the tier's.
    pub fn unit_price(&self) -> i64 {
        self.confirmed_unit_price.unwrap_or(self.tier.unit_price)
    }
}

// The item's code and unit are shared with the item's other lines, not
// copied: a million lines have a few thousand items.
/// One item of one shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AllocatedLine {
    /// The item.
    #[serde(with = "super::shared_str")]
    #[schema(value_type = String)]
    pub item_code: Arc<str>,
    /// Its unit.
    #[serde(with = "super::shared_str")]
    #[schema(value_type = String)]
    pub unit: Arc<str>,
    /// Units the shop requested.
    pub requested: i64,
    /// Units it receives, `0..=requested`.
    pub allocated: i64,
    /// Yen per unit.
    pub unit_price: i64,
    /// Yen per unit ordering alone.
    pub list_price: i64,
    /// `unit_price × allocated`.
    pub amount: i64,
    /// Whether `unit_price` is above the cap the shop set.
    pub above_cap: bool,
}

/// A shop at one district's drop, with what it receives and pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participant {
    /// The shop.
    pub shop_id: String,
    /// The district it collects from.
    pub district_id: String,
    /// Its earliest submission among its requests, which ranks it for the
    /// odd yen of a shared fee.
    pub first_seq: u64,
    /// One line per item requested, in the round's item order.
    pub lines: Vec<AllocatedLine>,
    /// Sum of the lines' amounts.
    pub goods_amount: i64,
    /// Its delivery fee share (zero if it receives nothing).
    pub fee_share: i64,
    /// `goods_amount + fee_share`.
    pub total: i64,
}

impl Participant {
    /// Whether it receives at least one unit.
    pub fn receives(&self) -> bool {
        self.lines.iter().any(|l| l.allocated > 0)
    }
}

/// What a shop, a district or the round pays, against ordering alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Saving {
    /// List prices for the same units, plus the solo delivery fee of each
    /// shop that receives something.
    pub alone: i64,
    /// Tier prices plus fee shares.
    pub pooled: i64,
    /// `alone − pooled`.
    pub saving: i64,
}

impl Saving {
    fn plus(self, other: Saving) -> Result<Saving, AllocateError> {
        Ok(Saving {
            alone: add(self.alone, other.alone)?,
            pooled: add(self.pooled, other.pooled)?,
            saving: add(self.saving, other.saving)?,
        })
    }
}

/// The saving of one shop at one drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ShopSaving {
    /// The shop.
    pub shop_id: String,
    /// Its district.
    pub district_id: String,
    /// Its figures.
    #[serde(flatten)]
    pub saving: Saving,
}

/// The saving of one district's shops together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DistrictSaving {
    /// The district.
    pub district_id: String,
    /// Its figures.
    #[serde(flatten)]
    pub saving: Saving,
}

/// Savings per shop, per district and for the round; each level is the
/// sum of the one below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Savings {
    /// One per participant, in the order of [`Allocation::participants`].
    pub shops: Vec<ShopSaving>,
    /// One per invited district, in the round's order.
    pub districts: Vec<DistrictSaving>,
    /// The whole round.
    pub round: Saving,
}

/// The accepted order divided among the shops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Allocation {
    /// The items ordered, as accepted, in the round's item order.
    pub items: Vec<AllocatedItem>,
    /// Every shop that had a request, by district order then shop id.
    pub participants: Vec<Participant>,
    /// The savings of the round.
    pub savings: Savings,
}

/// One shop's part of a drop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PickList {
    /// The shop.
    pub shop_id: String,
    /// What to hand over, in the round's item order.
    pub picks: Vec<Pick>,
}

/// One item to hand over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pick {
    /// The item.
    pub item_code: String,
    /// Its name.
    pub name: String,
    /// Units.
    pub quantity: i64,
    /// Their unit.
    pub unit: String,
}

/// One delivery to a district's drop point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Drop {
    /// The district.
    pub district_id: String,
    /// Its name.
    pub district_name: String,
    /// Where to drop.
    pub drop_point: super::round::DropPoint,
    /// One pick list per shop receiving something, by shop id.
    pub shops: Vec<PickList>,
}

/// Where the accepted goods go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryPlan {
    /// The round's delivery dates.
    pub dates: Vec<String>,
    /// One drop per district receiving something, in the round's order.
    pub drops: Vec<Drop>,
}

/// One shop's lines while they are gathered: item index, line, request.
type ShopLines<'a> = Vec<(usize, AllocatedLine, &'a Request)>;

fn add(a: i64, b: i64) -> Result<i64, AllocateError> {
    a.checked_add(b).ok_or(AllocateError::Overflow)
}

fn mul(a: i64, b: i64) -> Result<i64, AllocateError> {
    a.checked_mul(b).ok_or(AllocateError::Overflow)
}

/// Divides what the wholesaler accepted among the shops that asked for
/// `ordered_items`, the items of `round`'s consolidated order (as in
/// [`Closing::items`]). An ordered item without an acceptance counts as
/// accepted zero.
///
/// [`Closing::items`]: super::closing::Closing::items
pub fn allocate(
    round: &Round,
    ordered_items: &[OrderedItem],
    accepted: &[Acceptance],
) -> Result<Allocation, AllocateError> {
    let ordered: HashMap<&str, &OrderedItem> = ordered_items
        .iter()
        .map(|i| (i.item_code.as_str(), i))
        .collect();
    let mut taken: HashMap<&str, &Acceptance> = HashMap::with_capacity(accepted.len());
    for a in accepted {
        let Some(item) = ordered.get(a.item_code.as_str()) else {
            return Err(AllocateError::NotOrdered {
                item_code: a.item_code.clone(),
            });
        };
        if a.quantity < 0 {
            return Err(AllocateError::Negative {
                item_code: a.item_code.clone(),
                quantity: a.quantity,
            });
        }
        if a.quantity > item.quantity {
            return Err(AllocateError::AboveOrdered {
                item_code: a.item_code.clone(),
                accepted: a.quantity,
                ordered: item.quantity,
            });
        }
        if let Some(unit_price) = a.unit_price
            && !(0..=super::MAX_YEN).contains(&unit_price)
        {
            return Err(AllocateError::BadPrice {
                item_code: a.item_code.clone(),
                unit_price,
            });
        }
        if taken.insert(a.item_code.as_str(), a).is_some() {
            return Err(AllocateError::Duplicate {
                item_code: a.item_code.clone(),
            });
        }
    }

    let mut items = Vec::with_capacity(ordered_items.len());
    let mut shops: HashMap<(usize, &str), ShopLines> = HashMap::new();
    for ordered in ordered_items {
        let inconsistent = || AllocateError::InconsistentClosing {
            item_code: ordered.item_code.clone(),
        };
        let index = round
            .item_index(&ordered.item_code)
            .ok_or_else(inconsistent)?;
        let offer = &round.items()[index];
        let mut total: i64 = 0;
        let mut districts = Vec::with_capacity(ordered.requests.len());
        for r in &ordered.requests {
            if !(1..=MAX_QUANTITY).contains(&r.quantity) {
                return Err(inconsistent());
            }
            districts.push(
                round
                    .district_index(&r.district_id)
                    .ok_or_else(inconsistent)?,
            );
            total = total.checked_add(r.quantity).ok_or_else(inconsistent)?;
        }
        if total != ordered.quantity {
            return Err(inconsistent());
        }
        let acceptance = taken.get(ordered.item_code.as_str());
        let accepted = acceptance.map_or(0, |a| a.quantity);
        let tier = offer.tier(accepted);
        let confirmed_unit_price = acceptance.and_then(|a| a.unit_price);
        let unit_price = confirmed_unit_price.unwrap_or(tier.unit_price);
        let shares = largest_remainder(accepted, &ordered.requests);
        let (code, unit): (Arc<str>, Arc<str>) =
            (offer.code.as_str().into(), offer.unit.as_str().into());
        for ((r, share), district) in ordered.requests.iter().zip(shares).zip(districts) {
            let line = AllocatedLine {
                item_code: Arc::clone(&code),
                unit: Arc::clone(&unit),
                requested: r.quantity,
                allocated: share,
                unit_price,
                list_price: offer.list_price,
                amount: mul(unit_price, share)?,
                above_cap: r.max_unit_price.is_some_and(|cap| unit_price > cap),
            };
            shops
                .entry((district, &*r.shop_id))
                .or_default()
                .push((index, line, r));
        }
        items.push((
            index,
            AllocatedItem {
                item_code: offer.code.clone(),
                unit: offer.unit.clone(),
                ordered: ordered.quantity,
                accepted,
                tier,
                confirmed_unit_price,
                list_price: offer.list_price,
            },
        ));
    }
    items.sort_unstable_by_key(|(index, _)| *index);

    let mut keyed: Vec<((usize, &str), ShopLines)> = shops.into_iter().collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut participants = Vec::with_capacity(keyed.len());
    let mut district_of = Vec::with_capacity(keyed.len());
    for ((district, shop_id), mut lines) in keyed {
        lines.sort_unstable_by_key(|(index, _, _)| *index);
        let first_seq = lines
            .iter()
            .map(|(_, _, r)| r.seq)
            .min()
            .unwrap_or(u64::MAX);
        let goods_amount = lines
            .iter()
            .try_fold(0, |sum, (_, line, _)| add(sum, line.amount))?;
        participants.push(Participant {
            shop_id: shop_id.to_owned(),
            district_id: round.districts()[district].group_id.clone(),
            first_seq,
            lines: lines.into_iter().map(|(_, line, _)| line).collect(),
            goods_amount,
            fee_share: 0,
            total: goods_amount,
        });
        district_of.push(district);
    }
    share_fees(round, &mut participants, &district_of)?;
    let savings = savings(round, &participants, &district_of)?;
    Ok(Allocation {
        items: items.into_iter().map(|(_, item)| item).collect(),
        participants,
        savings,
    })
}

/// The shares of `accepted` among `requests`, in their order (see the
/// module's documentation for the rule).
fn largest_remainder(accepted: i64, requests: &[Request]) -> Vec<i64> {
    let total: i128 = requests.iter().map(|r| i128::from(r.quantity)).sum();
    if total == 0 || accepted == 0 {
        return vec![0; requests.len()];
    }
    let a = i128::from(accepted);
    let mut shares = Vec::with_capacity(requests.len());
    let mut remainders = Vec::with_capacity(requests.len());
    let mut given: i128 = 0;
    for (i, r) in requests.iter().enumerate() {
        let product = a * i128::from(r.quantity);
        let share = product / total;
        given += share;
        shares.push(i64::try_from(share).unwrap_or(i64::MAX));
        let remainder = product % total;
        if remainder > 0 {
            remainders.push((remainder, i));
        }
    }
    let leftover = usize::try_from(a - given).unwrap_or(0);
    if leftover > 0 {
        let key = |&(remainder, i): &(i128, usize)| {
            let r = &requests[i];
            (
                std::cmp::Reverse(remainder),
                r.seq,
                &r.shop_id,
                &r.district_id,
            )
        };
        if leftover < remainders.len() {
            remainders.select_nth_unstable_by(leftover - 1, |x, y| key(x).cmp(&key(y)));
        }
        for &(_, i) in remainders.iter().take(leftover) {
            shares[i] += 1;
        }
    }
    shares
}

/// Gives each participant receiving something its fee share, ranked in
/// its district by first submission then shop id.
fn share_fees(
    round: &Round,
    participants: &mut [Participant],
    district_of: &[usize],
) -> Result<(), AllocateError> {
    let mut receiving: Vec<Vec<usize>> = vec![Vec::new(); round.districts().len()];
    for (i, p) in participants.iter().enumerate() {
        if p.receives() {
            receiving[district_of[i]].push(i);
        }
    }
    let model = round.fee_model();
    for members in &mut receiving {
        members.sort_unstable_by(|&x, &y| {
            let (x, y) = (&participants[x], &participants[y]);
            (x.first_seq, &x.shop_id).cmp(&(y.first_seq, &y.shop_id))
        });
        for (rank, &i) in members.iter().enumerate() {
            let p = &mut participants[i];
            p.fee_share = model.share(members.len(), rank);
            p.total = add(p.goods_amount, p.fee_share)?;
        }
    }
    Ok(())
}

fn savings(
    round: &Round,
    participants: &[Participant],
    district_of: &[usize],
) -> Result<Savings, AllocateError> {
    let mut shops = Vec::with_capacity(participants.len());
    let mut districts = vec![Saving::default(); round.districts().len()];
    for (p, &district) in participants.iter().zip(district_of) {
        let goods_alone = p
            .lines
            .iter()
            .try_fold(0, |sum, l| add(sum, mul(l.list_price, l.allocated)?))?;
        let solo_fee = if p.receives() {
            round.solo_delivery_fee()
        } else {
            0
        };
        let alone = add(goods_alone, solo_fee)?;
        let saving = Saving {
            alone,
            pooled: p.total,
            saving: alone.checked_sub(p.total).ok_or(AllocateError::Overflow)?,
        };
        districts[district] = districts[district].plus(saving)?;
        shops.push(ShopSaving {
            shop_id: p.shop_id.clone(),
            district_id: p.district_id.clone(),
            saving,
        });
    }
    let whole = districts
        .iter()
        .try_fold(Saving::default(), |sum, &d| sum.plus(d))?;
    Ok(Savings {
        shops,
        districts: round
            .districts()
            .iter()
            .zip(districts)
            .map(|(d, saving)| DistrictSaving {
                district_id: d.group_id.clone(),
                saving,
            })
            .collect(),
        round: whole,
    })
}

impl Allocation {
    /// Where the goods go: one drop per district receiving something, one
    /// pick list per shop receiving something. `round` is the round the
    /// allocation was made for.
    pub fn delivery_plan(&self, round: &Round) -> DeliveryPlan {
        let mut drops: Vec<Drop> = Vec::new();
        for p in self.participants.iter().filter(|p| p.receives()) {
            let picks = p
                .lines
                .iter()
                .filter(|l| l.allocated > 0)
                .map(|l| Pick {
                    item_code: l.item_code.to_string(),
                    name: round
                        .item(&l.item_code)
                        .map_or_else(String::new, |o| o.name.clone()),
                    quantity: l.allocated,
                    unit: l.unit.to_string(),
                })
                .collect();
            let list = PickList {
                shop_id: p.shop_id.clone(),
                picks,
            };
            match drops.last_mut() {
                Some(d) if d.district_id == p.district_id => d.shops.push(list),
                _ => {
                    let Some(district) = round
                        .district_index(&p.district_id)
                        .map(|i| &round.districts()[i])
                    else {
                        continue;
                    };
                    drops.push(Drop {
                        district_id: district.group_id.clone(),
                        district_name: district.name.clone(),
                        drop_point: district.drop_point.clone(),
                        shops: vec![list],
                    });
                }
            }
        }
        DeliveryPlan {
            dates: round.delivery_dates().to_vec(),
            drops,
        }
    }
}
