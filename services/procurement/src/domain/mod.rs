//! The joint-purchase round as pure functions and values.
//!
//! The life of a round, and where each step lives:
//! - [`round`]: what the organiser offers ([`RoundDraft`]), checked into a
//!   [`Round`] with every problem reported at once;
//! - [`intent`]: what one shop wants of one item ([`Intent`]);
//! - [`pool`]: the running totals while intents come and go ([`Pool`]),
//!   with the tier reached and each shop's expected price and fee;
//! - [`closing`]: the cut-off turned into one consolidated order
//!   ([`close`] → [`Closing`]), or decided from per-cap totals alone
//!   ([`settle`] → [`Settlement`]);
//! - [`allocation`]: what the wholesaler accepted shared back among the
//!   shops ([`allocate`] → [`Allocation`]), with [`Savings`] and the
//!   [`DeliveryPlan`];
//! - [`fees`]: how a delivery fee is divided, used by the pool and the
//!   allocation alike.
//!
//! Money is integer yen and quantities integer units of the item's unit,
//! both `i64`; products that could exceed `i64` are computed in `i128` or
//! checked, never wrapped. Every output is ordered by the round's own order
//! of items and districts, then by shop id, so the same inputs give the same
//! bytes whatever order they arrived in.

pub mod allocation;
pub mod closing;
pub mod fees;
pub mod intent;
pub mod pool;
pub mod problem;
pub mod round;

pub use allocation::{
    Acceptance, AllocateError, AllocatedItem, AllocatedLine, Allocation, DeliveryPlan,
    DistrictSaving, Drop, Participant, Pick, PickList, Saving, Savings, ShopSaving, allocate,
};
pub use closing::{
    CapGroup, CloseError, Closing, DroppedIntent, FailedItem, FailureReason, OrderedItem, Outcome,
    Request, SettleError, SettledItem, Settlement, close, settle,
};
pub use fees::{FeeModel, fee_share};
pub use intent::Intent;
pub use pool::{ItemProgress, NextTier, Pool, PoolError};
pub use problem::{Problem, ProblemCode, Problems};
pub use round::{District, DropPoint, ItemOffer, PriceBreak, Round, RoundDraft, Tier};

/// Serde for a shared string (`Arc<str>`) as a plain string.
pub(crate) mod shared_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}

/// The largest quantity accepted anywhere (one intent, a break, a minimum):
/// one billion units. Larger numbers are typing mistakes, not orders.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// The largest price or fee accepted anywhere: ten billion yen.
pub const MAX_YEN: i64 = 10_000_000_000;

/// The longest text accepted in a name, code or address, in characters.
pub const MAX_TEXT: usize = 200;
