//! What is wrong with a draft or an intent, and where: a stable code and
//! the path of the field, so that a form can put the message next to the
//! field and an API client can act on the code.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable name for a kind of problem. The names never change; clients
/// may rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A name, code or address that is empty or only spaces.
    Blank,
    /// A text longer than [`MAX_TEXT`](super::MAX_TEXT) characters.
    TooLong,
    /// A number beyond the limits ([`MAX_QUANTITY`](super::MAX_QUANTITY),
    /// [`MAX_YEN`](super::MAX_YEN)).
    OutOfRange,
    /// A price or fee below zero.
    Negative,
    /// A list price, quantity or minimum that must be at least one.
    NotPositive,
    /// A unit that is not a UN/ECE Recommendation 20 code (2–3 capital
    /// letters or digits, e.g. `H87`, `CS`).
    BadUnit,
    /// A round offering no item.
    NoItems,
    /// A round inviting no district.
    NoDistricts,
    /// A round with no delivery date.
    NoDeliveryDates,
    /// An item code used twice in one round.
    DuplicateItem,
    /// A district invited twice.
    DuplicateDistrict,
    /// A delivery date listed twice.
    DuplicateDeliveryDate,
    /// A delivery date that is not a calendar date written `YYYY-MM-DD`.
    BadDate,
    /// Price breaks whose quantities do not strictly rise or whose prices
    /// do not strictly fall.
    InconsistentPriceBreaks,
    /// A break price above the item's list price.
    BreakAboveListPrice,
    /// A cut-off that is not after the moment the round is opened.
    CutoffNotInFuture,
    /// An intent for an item the round does not offer.
    UnknownItem,
    /// An intent from a district the round did not invite.
    DistrictNotInvited,
    /// An intent quantity outside `1..=MAX_QUANTITY`.
    BadQuantity,
    /// An intent submitted at or after the cut-off.
    RoundClosed,
    /// A district that is not a collaboration group the platform knows.
    UnknownDistrict,
    /// A shop that is not a member of the district it names.
    NotDistrictMember,
    /// A shop naming another district than the one its other intents in
    /// the round use: a shop collects at one drop per round.
    DistrictMismatch,
    /// A buyer of the consolidated order that does not organise one of the
    /// invited districts, or an organiser that neither sells nor organises one.
    BuyerNotOrganiser,
}

impl ProblemCode {
    /// The code as written in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Blank => "blank",
            ProblemCode::TooLong => "too_long",
            ProblemCode::OutOfRange => "out_of_range",
            ProblemCode::Negative => "negative",
            ProblemCode::NotPositive => "not_positive",
            ProblemCode::BadUnit => "bad_unit",
            ProblemCode::NoItems => "no_items",
            ProblemCode::NoDistricts => "no_districts",
            ProblemCode::NoDeliveryDates => "no_delivery_dates",
            ProblemCode::DuplicateItem => "duplicate_item",
            ProblemCode::DuplicateDistrict => "duplicate_district",
            ProblemCode::DuplicateDeliveryDate => "duplicate_delivery_date",
            ProblemCode::BadDate => "bad_date",
            ProblemCode::InconsistentPriceBreaks => "inconsistent_price_breaks",
            ProblemCode::BreakAboveListPrice => "break_above_list_price",
            ProblemCode::CutoffNotInFuture => "cutoff_not_in_future",
            ProblemCode::UnknownItem => "unknown_item",
            ProblemCode::DistrictNotInvited => "district_not_invited",
            ProblemCode::BadQuantity => "bad_quantity",
            ProblemCode::RoundClosed => "round_closed",
            ProblemCode::UnknownDistrict => "unknown_district",
            ProblemCode::NotDistrictMember => "not_district_member",
            ProblemCode::DistrictMismatch => "district_mismatch",
            ProblemCode::BuyerNotOrganiser => "buyer_not_organiser",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem: its code, the path of the field (`items[2].breaks[1].unit_price`)
/// and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable code.
    pub code: ProblemCode,
    /// Path of the field, in the JSON shape of the input.
    pub path: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(code: ProblemCode, path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            code,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.code)
    }
}

/// Every problem found in one input; never empty when returned as an error.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, thiserror::Error,
)]
pub struct Problems {
    /// The problems, in the order of the input's fields.
    pub problems: Vec<Problem>,
}

impl Problems {
    /// Whether `code` was reported at `path`.
    pub fn has(&self, code: ProblemCode, path: &str) -> bool {
        self.problems
            .iter()
            .any(|p| p.code == code && p.path == path)
    }

    pub(crate) fn into_result(problems: Vec<Problem>) -> Result<(), Problems> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Problems { problems })
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [] => f.write_str("no problem"),
            [one] => write!(f, "{one}"),
            [first, rest @ ..] => write!(f, "{first}, and {} more", rest.len()),
        }
    }
}

/// Collects the problems of one input while walking its fields.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn add(
        &mut self,
        code: ProblemCode,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem::new(code, path, message));
    }

    /// A required text: not blank, not longer than the limit.
    pub(crate) fn text(&mut self, value: &str, path: impl Into<String>) {
        let path = path.into();
        if value.trim().is_empty() {
            self.add(ProblemCode::Blank, path, "must not be empty");
        } else if value.chars().count() > super::MAX_TEXT {
            self.add(
                ProblemCode::TooLong,
                path,
                format!("must be at most {} characters", super::MAX_TEXT),
            );
        }
    }

    /// A price or fee: `0..=MAX_YEN`.
    pub(crate) fn yen(&mut self, value: i64, path: impl Into<String>) {
        let path = path.into();
        if value < 0 {
            self.add(
                ProblemCode::Negative,
                path,
                format!("{value} yen is below zero"),
            );
        } else if value > super::MAX_YEN {
            self.add(
                ProblemCode::OutOfRange,
                path,
                format!("{value} yen is above the limit of {} yen", super::MAX_YEN),
            );
        }
    }

    /// A quantity: `1..=MAX_QUANTITY`.
    pub(crate) fn quantity(&mut self, value: i64, path: impl Into<String>) {
        let path = path.into();
        if value < 1 {
            self.add(
                ProblemCode::NotPositive,
                path,
                format!("{value} is below one"),
            );
        } else if value > super::MAX_QUANTITY {
            self.add(
                ProblemCode::OutOfRange,
                path,
                format!("{value} is above the limit of {}", super::MAX_QUANTITY),
            );
        }
    }
}
