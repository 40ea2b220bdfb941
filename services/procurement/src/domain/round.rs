//! What the organiser offers: items with their price breaks, the invited
//! districts, the delivery dates and the fee model. A [`RoundDraft`] is
//! what a form or an API client sends; a [`Round`] is a draft that passed
//! every rule, and the only thing the rest of the domain accepts.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::fees::FeeModel;
use super::intent::Intent;
use super::problem::{ProblemCode, Problems, Report};
use super::{MAX_QUANTITY, MAX_YEN};

/// A lower unit price from a pooled quantity on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriceBreak {
    /// The pooled quantity (all shops together) from which the price applies.
    pub min_quantity: i64,
    /// Yen per unit once the pooled quantity reaches `min_quantity`.
    pub unit_price: i64,
}

/// One item offered in a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemOffer {
    /// The wholesaler's item code, unique in the round.
    pub code: String,
    /// Name shown to shops.
    pub name: String,
    /// Unit of every quantity of the item (UN/ECE Rec 20, e.g. `H87`, `CS`).
    pub unit: String,
    /// Yen per unit a shop pays ordering alone; also the price below the
    /// first break.
    pub list_price: i64,
    /// Price breaks by pooled quantity, quantities strictly rising and
    /// prices strictly falling.
    #[serde(default)]
    pub breaks: Vec<PriceBreak>,
    /// The pooled quantity below which the item is not ordered at all.
    pub minimum_quantity: i64,
}

/// The price tier a pooled quantity reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tier {
    /// Index of the break reached in [`ItemOffer::breaks`]; `None` below
    /// the first break (the list price applies).
    pub break_index: Option<usize>,
    /// Yen per unit at this tier.
    pub unit_price: i64,
}

impl ItemOffer {
    /// The tier `pooled` units reach: the last break whose minimum is at
    /// most `pooled`, else the list price.
    pub fn tier(&self, pooled: i64) -> Tier {
        match self.breaks.partition_point(|b| b.min_quantity <= pooled) {
            0 => Tier {
                break_index: None,
                unit_price: self.list_price,
            },
            n => Tier {
                break_index: Some(n - 1),
                unit_price: self.breaks[n - 1].unit_price,
            },
        }
    }

    /// Where the item stands with `pooled` units: the tier reached, the next
    /// break and how many units reach it, and the minimum.
    pub fn progress(&self, pooled: i64) -> super::pool::ItemProgress {
        super::pool::ItemProgress {
            item_code: self.code.clone(),
            pooled,
            tier: self.tier(pooled),
            next: self
                .next_break(pooled)
                .map(|(break_index, b)| super::pool::NextTier {
                    break_index,
                    unit_price: b.unit_price,
                    units_missing: b.min_quantity - pooled,
                }),
            minimum_quantity: self.minimum_quantity,
            minimum_reached: pooled >= self.minimum_quantity,
            units_to_minimum: (self.minimum_quantity - pooled).max(0),
        }
    }

    /// The first break above what `pooled` units reach, with its index.
    pub fn next_break(&self, pooled: i64) -> Option<(usize, &PriceBreak)> {
        let next = self.breaks.partition_point(|b| b.min_quantity <= pooled);
        self.breaks.get(next).map(|b| (next, b))
    }
}

/// Where a district's shops collect their delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DropPoint {
    /// Name of the place (the association's office, a shop's back door).
    pub name: String,
    /// Postal address.
    pub address: String,
}

/// A shopping district invited to a round: one of collab's collaboration
/// groups, with its drop point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct District {
    /// The collaboration group's id.
    pub group_id: String,
    /// The district's name.
    pub name: String,
    /// Where its delivery is dropped.
    pub drop_point: DropPoint,
}

/// A round as proposed, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoundDraft {
    /// Title shown to shops.
    pub title: String,
    /// The cut-off, unix milliseconds: intents are taken strictly before it.
    pub cutoff_ms: i64,
    /// The items offered.
    pub items: Vec<ItemOffer>,
    /// The districts invited.
    pub districts: Vec<District>,
    /// Delivery dates, `YYYY-MM-DD`, at least one.
    pub delivery_dates: Vec<String>,
    /// How delivery is charged in the pooled order.
    pub fee_model: FeeModel,
    /// What one shop pays for its own delivery when ordering alone; the
    /// reference for savings.
    pub solo_delivery_fee: i64,
}

impl RoundDraft {
    /// Every problem of the draft, in field order, for a round opened at
    /// `now_ms` (unix milliseconds). Empty when the draft may be opened.
    pub fn problems(&self, now_ms: i64) -> Vec<super::Problem> {
        let mut report = self.structure();
        if self.cutoff_ms <= now_ms {
            report.add(
                ProblemCode::CutoffNotInFuture,
                "cutoff_ms",
                "the cut-off must be after the moment the round is opened",
            );
        }
        report.problems
    }

    /// Every rule but the cut-off's, which only holds when the round opens.
    fn structure(&self) -> Report {
        let mut r = Report::default();
        r.text(&self.title, "title");
        if self.items.is_empty() {
            r.add(
                ProblemCode::NoItems,
                "items",
                "a round offers at least one item",
            );
        }
        let mut codes = HashSet::new();
        for (i, item) in self.items.iter().enumerate() {
            let at = format!("items[{i}]");
            r.text(&item.code, format!("{at}.code"));
            if !codes.insert(item.code.as_str()) {
                r.add(
                    ProblemCode::DuplicateItem,
                    format!("{at}.code"),
                    format!("item `{}` is offered twice", item.code),
                );
            }
            r.text(&item.name, format!("{at}.name"));
            if !is_unit_code(&item.unit) {
                r.add(
                    ProblemCode::BadUnit,
                    format!("{at}.unit"),
                    format!("`{}` is not a UN/ECE Rec 20 unit code", item.unit),
                );
            }
            if item.list_price == 0 {
                r.add(
                    ProblemCode::NotPositive,
                    format!("{at}.list_price"),
                    "the list price must be above zero",
                );
            } else {
                r.yen(item.list_price, format!("{at}.list_price"));
            }
            r.quantity(item.minimum_quantity, format!("{at}.minimum_quantity"));
            check_breaks(&mut r, item, &at);
        }
        if self.districts.is_empty() {
            r.add(
                ProblemCode::NoDistricts,
                "districts",
                "a round invites at least one district",
            );
        }
        let mut groups = HashSet::new();
        for (i, d) in self.districts.iter().enumerate() {
            let at = format!("districts[{i}]");
            r.text(&d.group_id, format!("{at}.group_id"));
            if !groups.insert(d.group_id.as_str()) {
                r.add(
                    ProblemCode::DuplicateDistrict,
                    format!("{at}.group_id"),
                    format!("district `{}` is invited twice", d.group_id),
                );
            }
            r.text(&d.name, format!("{at}.name"));
            r.text(&d.drop_point.name, format!("{at}.drop_point.name"));
            r.text(&d.drop_point.address, format!("{at}.drop_point.address"));
        }
        if self.delivery_dates.is_empty() {
            r.add(
                ProblemCode::NoDeliveryDates,
                "delivery_dates",
                "a round has at least one delivery date",
            );
        }
        let mut dates = HashSet::new();
        for (i, date) in self.delivery_dates.iter().enumerate() {
            let at = format!("delivery_dates[{i}]");
            if !is_calendar_date(date) {
                r.add(
                    ProblemCode::BadDate,
                    at,
                    format!("`{date}` is not a calendar date written YYYY-MM-DD"),
                );
            } else if !dates.insert(date.as_str()) {
                r.add(
                    ProblemCode::DuplicateDeliveryDate,
                    at,
                    format!("{date} is listed twice"),
                );
            }
        }
        match self.fee_model {
            FeeModel::PerDrop { fee_per_drop } => r.yen(fee_per_drop, "fee_model.fee_per_drop"),
            FeeModel::PerShop { fee_per_shop } => r.yen(fee_per_shop, "fee_model.fee_per_shop"),
        }
        r.yen(self.solo_delivery_fee, "solo_delivery_fee");
        r
    }
}

/// The rules of an item's breaks. A break is compared with the list price
/// only when the list price itself is valid, so one mistake is one problem.
fn check_breaks(r: &mut Report, item: &ItemOffer, at: &str) {
    let list_price_valid = (1..=super::MAX_YEN).contains(&item.list_price);
    let mut previous: Option<&PriceBreak> = None;
    for (j, b) in item.breaks.iter().enumerate() {
        let quantity_at = format!("{at}.breaks[{j}].min_quantity");
        let price_at = format!("{at}.breaks[{j}].unit_price");
        r.quantity(b.min_quantity, quantity_at.clone());
        r.yen(b.unit_price, price_at.clone());
        if list_price_valid && b.unit_price > item.list_price {
            r.add(
                ProblemCode::BreakAboveListPrice,
                price_at.clone(),
                format!(
                    "{} yen is above the list price of {} yen",
                    b.unit_price, item.list_price
                ),
            );
        }
        if let Some(p) = previous {
            if b.min_quantity <= p.min_quantity {
                r.add(
                    ProblemCode::InconsistentPriceBreaks,
                    quantity_at,
                    format!(
                        "break quantities must rise: {} follows {}",
                        b.min_quantity, p.min_quantity
                    ),
                );
            }
            if b.unit_price >= p.unit_price {
                r.add(
                    ProblemCode::InconsistentPriceBreaks,
                    price_at,
                    format!(
                        "break prices must fall: {} yen follows {} yen",
                        b.unit_price, p.unit_price
                    ),
                );
            }
        }
        previous = Some(b);
    }
}

/// A UN/ECE Rec 20 code: two or three capital letters or digits.
fn is_unit_code(unit: &str) -> bool {
    (2..=3).contains(&unit.len())
        && unit
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `YYYY-MM-DD` naming a day of the proleptic Gregorian calendar, years
/// 1900 to 9999 (the calendar rules are the EDI crate's, which the
/// consolidated order's dates go through anyway).
pub(crate) fn is_calendar_date(text: &str) -> bool {
    let b = text.as_bytes();
    if !text.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = [&text[0..4], &text[5..7], &text[8..10]].concat();
    renkei_edi::Date::from_ccyymmdd(&digits).is_some_and(|d| d.year() >= 1900)
}

/// A round whose draft passed every rule, with its items and districts
/// indexed. Serialises as its draft; deserialising checks the draft again,
/// all rules but the cut-off's (a stored round stays readable after it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RoundDraft", into = "RoundDraft")]
pub struct Round {
    draft: RoundDraft,
    items: HashMap<String, usize>,
    districts: HashMap<String, usize>,
}

impl Round {
    /// Opens a round at `now_ms`: the draft must pass every rule, the
    /// cut-off included.
    pub fn open(draft: RoundDraft, now_ms: i64) -> Result<Round, Problems> {
        Problems::into_result(draft.problems(now_ms))?;
        Ok(Round::indexed(draft))
    }

    fn indexed(draft: RoundDraft) -> Round {
        let items = draft
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.code.clone(), i))
            .collect();
        let districts = draft
            .districts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.group_id.clone(), i))
            .collect();
        Round {
            draft,
            items,
            districts,
        }
    }

    /// The draft the round was opened from.
    pub fn draft(&self) -> &RoundDraft {
        &self.draft
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.draft.title
    }

    /// The cut-off, unix milliseconds.
    pub fn cutoff_ms(&self) -> i64 {
        self.draft.cutoff_ms
    }

    /// Whether intents are still taken at `now_ms`.
    pub fn is_open_at(&self, now_ms: i64) -> bool {
        now_ms < self.draft.cutoff_ms
    }

    /// The items, in the order offered.
    pub fn items(&self) -> &[ItemOffer] {
        &self.draft.items
    }

    /// The districts, in the order invited.
    pub fn districts(&self) -> &[District] {
        &self.draft.districts
    }

    /// The delivery dates.
    pub fn delivery_dates(&self) -> &[String] {
        &self.draft.delivery_dates
    }

    /// The fee model of the pooled order.
    pub fn fee_model(&self) -> FeeModel {
        self.draft.fee_model
    }

    /// A shop's delivery fee when ordering alone.
    pub fn solo_delivery_fee(&self) -> i64 {
        self.draft.solo_delivery_fee
    }

    /// Position of item `code` among [`Round::items`].
    pub fn item_index(&self, code: &str) -> Option<usize> {
        self.items.get(code).copied()
    }

    /// The offer of item `code`.
    pub fn item(&self, code: &str) -> Option<&ItemOffer> {
        self.item_index(code).map(|i| &self.draft.items[i])
    }

    /// Position of district `group_id` among [`Round::districts`].
    pub fn district_index(&self, group_id: &str) -> Option<usize> {
        self.districts.get(group_id).copied()
    }

    /// Checks an intent submitted at `now_ms`: every rule of
    /// [`Round::check_intent_shape`], and the round must still be open.
    pub fn check_intent(&self, intent: &Intent, now_ms: i64) -> Result<(), Problems> {
        let mut r = self.intent_report(intent);
        if !self.is_open_at(now_ms) {
            r.add(
                ProblemCode::RoundClosed,
                "",
                "the round's cut-off has passed",
            );
        }
        Problems::into_result(r.problems)
    }

    /// Checks an intent against the round regardless of time: a known
    /// item, an invited district, a shop, a quantity in `1..=MAX_QUANTITY`
    /// and a cap that is not negative. The pool and the close apply this to
    /// what was accepted before the cut-off.
    pub fn check_intent_shape(&self, intent: &Intent) -> Result<(), Problems> {
        self.place_intent(intent).map(drop)
    }

    /// [`Round::check_intent_shape`], answering with the positions of the
    /// intent's item and district.
    pub(crate) fn place_intent(&self, intent: &Intent) -> Result<(usize, usize), Problems> {
        let report = self.intent_report(intent);
        match (
            self.item_index(&intent.item_code),
            self.district_index(&intent.district_id),
        ) {
            (Some(item), Some(district)) if report.problems.is_empty() => Ok((item, district)),
            _ => Err(Problems {
                problems: report.problems,
            }),
        }
    }

    fn intent_report(&self, intent: &Intent) -> Report {
        let mut r = Report::default();
        r.text(&intent.shop_id, "shop_id");
        if self.district_index(&intent.district_id).is_none() {
            r.add(
                ProblemCode::DistrictNotInvited,
                "district_id",
                format!(
                    "district `{}` is not invited to this round",
                    intent.district_id
                ),
            );
        }
        if self.item_index(&intent.item_code).is_none() {
            r.add(
                ProblemCode::UnknownItem,
                "item_code",
                format!("item `{}` is not offered in this round", intent.item_code),
            );
        }
        if !(1..=MAX_QUANTITY).contains(&intent.quantity) {
            r.add(
                ProblemCode::BadQuantity,
                "quantity",
                format!(
                    "{} is not a quantity from 1 to {MAX_QUANTITY}",
                    intent.quantity
                ),
            );
        }
        if let Some(offer) = self.item(&intent.item_code) {
            let at_list = offer.list_price.checked_mul(intent.quantity);
            if (1..=MAX_QUANTITY).contains(&intent.quantity)
                && at_list.is_none_or(|yen| yen > MAX_YEN)
            {
                r.add(
                    ProblemCode::BadQuantity,
                    "quantity",
                    format!(
                        "{} units at the list price of {} yen come to more than {MAX_YEN} yen for one line",
                        intent.quantity, offer.list_price
                    ),
                );
            }
        }
        if let Some(cap) = intent.max_unit_price {
            r.yen(cap, "max_unit_price");
        }
        r
    }
}

impl TryFrom<RoundDraft> for Round {
    type Error = Problems;

    fn try_from(draft: RoundDraft) -> Result<Round, Problems> {
        Problems::into_result(draft.structure().problems)?;
        Ok(Round::indexed(draft))
    }
}

impl From<Round> for RoundDraft {
    fn from(round: Round) -> RoundDraft {
        round.draft
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(breaks: &[(i64, i64)]) -> ItemOffer {
        ItemOffer {
            code: "A".into(),
            name: "A".into(),
            unit: "H87".into(),
            list_price: 100,
            breaks: breaks
                .iter()
                .map(|&(min_quantity, unit_price)| PriceBreak {
                    min_quantity,
                    unit_price,
                })
                .collect(),
            minimum_quantity: 1,
        }
    }

    #[test]
    fn the_tier_is_the_last_break_reached_or_the_list_price() {
        let o = offer(&[(10, 90), (50, 80)]);
        assert_eq!(
            o.tier(0),
            Tier {
                break_index: None,
                unit_price: 100
            }
        );
        assert_eq!(o.tier(9).unit_price, 100);
        assert_eq!(
            o.tier(10),
            Tier {
                break_index: Some(0),
                unit_price: 90
            }
        );
        assert_eq!(o.tier(49).unit_price, 90);
        assert_eq!(
            o.tier(50),
            Tier {
                break_index: Some(1),
                unit_price: 80
            }
        );
        assert_eq!(o.tier(MAX_QUANTITY).unit_price, 80);
        assert_eq!(o.next_break(9).map(|(i, _)| i), Some(0));
        assert_eq!(o.next_break(10).map(|(i, _)| i), Some(1));
        assert_eq!(o.next_break(50), None);
        assert_eq!(offer(&[]).tier(1_000).unit_price, 100);
    }

    #[test]
    fn calendar_dates_know_month_lengths_and_leap_years() {
        for good in ["2025-01-31", "2024-02-29", "2000-02-29", "2025-12-01"] {
            assert!(is_calendar_date(good), "{good}");
        }
        for bad in [
            "2025-02-29",
            "1900-02-29",
            "2025-04-31",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "2025-1-01",
            "2025/01/01",
            "２０２５-01-01",
            "2０-01-01",
            "",
            "20250101xx",
            "1899-12-31",
        ] {
            assert!(!is_calendar_date(bad), "{bad}");
        }
    }

    #[test]
    fn unit_codes_are_two_or_three_capitals_or_digits() {
        assert!(is_unit_code("H87"));
        assert!(is_unit_code("CS"));
        assert!(is_unit_code("KGM"));
        assert!(!is_unit_code("kg"));
        assert!(!is_unit_code("C"));
        assert!(!is_unit_code("CASE"));
        assert!(!is_unit_code("個"));
    }
}
