//! What one shop wants of one item in a round. A shop holds at most one
//! intent per item: changing it replaces the previous one.

use serde::{Deserialize, Serialize};

/// One shop's wish for one item, as submitted before the cut-off.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Intent {
    /// The shop (its organisation id).
    pub shop_id: String,
    /// The district, of those invited, whose drop point the shop collects from.
    pub district_id: String,
    /// The item's code in the round.
    pub item_code: String,
    /// Units wanted, `1..=MAX_QUANTITY`.
    pub quantity: i64,
    /// The highest unit price the shop accepts; without it the shop takes
    /// whatever tier the pool reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unit_price: Option<i64>,
    /// Submission order, given by the service: smaller is earlier. Breaks
    /// ties in favour of the earlier shop. A change may keep the old number
    /// or take a new one; that is the app layer's policy, not the domain's.
    pub seq: u64,
}

impl Intent {
    /// The cap as a number: no cap is the highest price.
    pub(crate) fn cap(&self) -> i64 {
        self.max_unit_price.unwrap_or(i64::MAX)
    }
}
