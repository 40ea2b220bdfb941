//! What the service answers about rounds: the shapes of its API, built
//! from the stored rows, the live pool and the domain.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    DistrictSaving, DropPoint, FailureReason, NextTier, Outcome, Participant, RoundDraft, Saving,
    Tier,
};

/// Where a round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Opened by the wholesaler; waits for the buyer to accept placing the
    /// consolidated order in its name. No intents yet.
    Proposed,
    /// The buyer declined; nothing happens.
    Declined,
    /// Taking intents until the cut-off.
    Open,
    /// Closed; the consolidated order went to the wholesaler.
    Ordered,
    /// Closed; no item reached its minimum, nothing was ordered.
    Failed,
    /// Closed, but the orders service refused the consolidated order.
    Refused,
    /// The wholesaler answered and the accepted quantities were shared out.
    Allocated,
    /// The buyer cancelled the consolidated order in the orders service.
    Cancelled,
}

impl RoundStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Proposed => "proposed",
            RoundStatus::Declined => "declined",
            RoundStatus::Open => "open",
            RoundStatus::Ordered => "ordered",
            RoundStatus::Failed => "failed",
            RoundStatus::Refused => "refused",
            RoundStatus::Allocated => "allocated",
            RoundStatus::Cancelled => "cancelled",
        }
    }

    /// The status named `raw`.
    pub fn parse(raw: &str) -> Option<RoundStatus> {
        [
            RoundStatus::Proposed,
            RoundStatus::Declined,
            RoundStatus::Open,
            RoundStatus::Ordered,
            RoundStatus::Failed,
            RoundStatus::Refused,
            RoundStatus::Allocated,
            RoundStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// The part an organisation plays in a round; one may play several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// It opened the round.
    Organiser,
    /// It sells: the consolidated order goes to it.
    Wholesaler,
    /// The consolidated order is placed in its name.
    Buyer,
    /// It organises one of the invited districts.
    DistrictOrganiser,
    /// It belongs to an invited district and may add intents.
    Shop,
}

/// A round in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoundSummary {
    /// Its id.
    pub round_id: String,
    /// Its title.
    pub title: String,
    /// Who opened it.
    pub organiser_id: String,
    /// The seller.
    pub wholesaler_id: String,
    /// The buyer of the consolidated order.
    pub buyer_id: String,
    /// Intents are taken strictly before this instant (Unix milliseconds).
    pub cutoff_ms: i64,
    /// Where it stands.
    pub status: RoundStatus,
    /// The consolidated order's number.
    pub order_number: String,
    /// The consolidated order's id in the orders service, once placed.
    pub order_id: Option<String>,
    /// The parts the caller's organisation plays in it.
    pub parts: Vec<Part>,
    /// When it was opened.
    pub created_at_ms: i64,
}

/// One item's live state in the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemView {
    /// The item's code in the round.
    pub item_code: String,
    /// Its name.
    pub name: String,
    /// Its unit (UN/ECE Rec 20).
    pub unit: String,
    /// Price per unit alone, in yen.
    pub list_price: i64,
    /// Units pooled so far, all districts together.
    pub pooled: i64,
    /// Shops holding an intent for it.
    pub shops: i64,
    /// The tier the pooled quantity reaches now.
    pub tier: Tier,
    /// The next lower price and how many more units reach it.
    pub next: Option<NextTier>,
    /// Units the item needs to be ordered at all.
    pub minimum_quantity: i64,
    /// Units still missing to the minimum (0 once reached).
    pub units_to_minimum: i64,
}

/// An invited district as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DistrictView {
    /// The collaboration group.
    pub group_id: String,
    /// Its name.
    pub name: String,
    /// Where its goods are dropped.
    pub drop_point: DropPoint,
    /// Shops holding at least one intent.
    pub shops: i64,
    /// What the district saves, once allocated.
    pub saving: Option<Saving>,
}

/// The caller's own part as a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MyPart {
    /// The invited districts the shop belongs to; its intents use one.
    pub districts: Vec<String>,
    /// Its intents (withdrawn ones included, at quantity 0).
    pub intents: Vec<super::IntentView>,
    /// Its share of the delivery fee if the round closed now (yen).
    pub expected_fee: Option<i64>,
    /// Goods at the expected prices plus the expected fee (yen).
    pub expected_total: Option<i64>,
    /// What it receives, once allocated.
    pub allocation: Option<ShopAllocation>,
}

/// One consolidated order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConsolidatedLine {
    /// Line number in the consolidated order, from 1.
    pub line: u32,
    /// The item.
    pub item_code: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Units ordered.
    pub quantity: i64,
    /// The tier reached.
    pub tier: Tier,
    /// Shops whose intents it pools.
    pub shops: usize,
}

/// An item not ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailedLine {
    /// The item.
    pub item_code: String,
    /// Why.
    pub reason: FailureReason,
    /// Units pooled.
    pub pooled: i64,
    /// Units it needed.
    pub minimum_quantity: i64,
}

/// What the close produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClosingSummary {
    /// Ordered or failed.
    pub outcome: Outcome,
    /// The consolidated order's lines.
    pub lines: Vec<ConsolidatedLine>,
    /// Items not ordered.
    pub failed: Vec<FailedLine>,
    /// Intents left out because their cap was below the tier price.
    pub dropped: usize,
    /// Shops with at least one line in the order: counted with the request
    /// book, written just after the close; absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shops: Option<usize>,
}

/// What one shop receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShopAllocation {
    /// Its lines, goods amount, fee share and total.
    pub participant: Participant,
    /// Alone against pooled.
    pub saving: Saving,
}

/// The allocation of a round, without the shops' lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AllocationSummary {
    /// Per item: ordered, accepted, tier.
    pub items: Vec<crate::domain::AllocatedItem>,
    /// Per district.
    pub districts: Vec<DistrictSaving>,
    /// The whole round.
    pub round: Saving,
    /// Shops that receive something.
    pub shops: usize,
    /// The units accepted per consolidated order line, by line number, as
    /// answered so far: a wholesaler may answer some lines now and the
    /// others later, and each answer adds to the earlier ones.
    #[serde(default)]
    pub answered: std::collections::BTreeMap<u32, i64>,
    /// The unit prices the wholesaler confirmed, by line number, where an
    /// answer changed a line's price.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub confirmed_prices: std::collections::BTreeMap<u32, i64>,
}

/// A round with everything the caller may see of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoundView {
    /// The round in a list.
    #[serde(flatten)]
    pub summary: RoundSummary,
    /// The round as offered.
    pub round: RoundDraft,
    /// The live pool, per item.
    pub items: Vec<ItemView>,
    /// The invited districts.
    pub districts: Vec<DistrictView>,
    /// The caller's own part, when it is a shop of an invited district.
    pub mine: Option<MyPart>,
    /// What the close produced.
    pub closing: Option<ClosingSummary>,
    /// The allocation's totals.
    pub allocation: Option<AllocationSummary>,
    /// Why the orders service refused the consolidated order.
    pub refusal: Option<String>,
}
