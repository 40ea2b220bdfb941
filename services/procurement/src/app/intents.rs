//! A shop's intents: add, change and withdraw until the cut-off. Each
//! change is stored with its new version and published in the same
//! transaction; the pool follows from the events.

use renkei_kernel::{
    auth::{Caller, Role},
    storage::{is_unique_violation, now_ms},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, AppError, SCOPE_WRITE, views::RoundStatus};
use crate::{
    db::{self, IntentRow},
    domain::{Intent, Problem, ProblemCode, Problems},
    events::{self, IntentChange},
};

/// What a shop wants of one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IntentInput {
    /// Units wanted, 1 to 1,000,000,000.
    pub quantity: i64,
    /// The highest unit price (yen) you accept; without it you take the
    /// tier the pool reaches.
    #[serde(default)]
    pub max_unit_price: Option<i64>,
    /// The invited district you collect at; may be left out when you
    /// belong to only one of them.
    #[serde(default)]
    pub district_id: Option<String>,
}

/// One intent as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IntentView {
    /// The round.
    pub round_id: String,
    /// The item.
    pub item_code: String,
    /// The district it is collected at.
    pub district_id: String,
    /// Units wanted; 0 once withdrawn.
    pub quantity: i64,
    /// The cap, when set.
    pub max_unit_price: Option<i64>,
    /// Its place in submission order (earlier wins ties).
    pub seq: u64,
    /// 1 at the first submission, one more per change.
    pub version: i64,
    /// When it last changed.
    pub updated_at_ms: i64,
    /// The unit price if the round closed now, when known.
    pub expected_unit_price: Option<i64>,
    /// Quantity times that price.
    pub expected_amount: Option<i64>,
}

impl IntentView {
    pub(crate) fn new(round_id: &str, row: IntentRow, expected: Option<i64>) -> IntentView {
        let Intent {
            district_id,
            item_code,
            quantity,
            max_unit_price,
            seq,
            ..
        } = row.intent;
        IntentView {
            round_id: round_id.to_string(),
            item_code,
            district_id,
            quantity,
            max_unit_price,
            seq,
            version: row.version,
            updated_at_ms: row.updated_at_ms,
            expected_unit_price: expected,
            expected_amount: expected.and_then(|p| p.checked_mul(quantity)),
        }
    }
}

/// What a change does to a stored intent.
enum Change {
    /// Add or change to this quantity and cap.
    Put(IntentInput),
    /// Withdraw.
    Withdraw,
}

impl App {
    /// Adds or changes `organisation_id`'s intent for `item_code`. Sending
    /// what is already held changes nothing and publishes nothing, so a
    /// retry is harmless.
    pub async fn intent_put(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
        item_code: &str,
        input: IntentInput,
    ) -> Result<IntentView, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        self.change(organisation_id, round_id, item_code, Change::Put(input))
            .await
    }

    /// Withdraws `organisation_id`'s intent for `item_code`.
    pub async fn intent_withdraw(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
        item_code: &str,
    ) -> Result<IntentView, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        self.change(organisation_id, round_id, item_code, Change::Withdraw)
            .await
    }

    async fn change(
        &self,
        shop_id: &str,
        round_id: &str,
        item_code: &str,
        change: Change,
    ) -> Result<IntentView, AppError> {
        for _ in 0..4 {
            if let Some(done) = self.attempt(shop_id, round_id, item_code, &change).await? {
                return Ok(done);
            }
        }
        Err(AppError::Busy)
    }

    /// One try; `None` when another change of the same intent won the race.
    async fn attempt(
        &self,
        shop_id: &str,
        round_id: &str,
        item_code: &str,
        change: &Change,
    ) -> Result<Option<IntentView>, AppError> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        db::hold(
            &mut tx,
            self.db.backend(),
            round_id,
            db::Hold::Intent(shop_id),
        )
        .await?;
        let row = db::round(&mut tx, round_id)
            .await?
            .ok_or(AppError::NotFound("round"))?;
        let round = self.round_of(&row)?;
        let member_of: Vec<String> = db::districts_of(&mut tx, shop_id)
            .await?
            .into_iter()
            .filter(|d| round.district_index(&d.group_id).is_some())
            .map(|d| d.group_id)
            .collect();
        if member_of.is_empty() || row.wholesaler_id == shop_id {
            return Err(AppError::NotFound("round"));
        }
        let current = db::intent(&mut tx, round_id, shop_id, item_code).await?;
        let current = current.as_ref();
        if row.status == RoundStatus::Proposed.as_str() {
            return Err(AppError::Refused {
                rule: "round_not_accepted",
                message: "the round's buyer has not accepted it yet; intents open once it does"
                    .into(),
            });
        }
        if row.status != RoundStatus::Open.as_str() || !round.is_open_at(now) {
            return Err(AppError::problem(
                ProblemCode::RoundClosed,
                "",
                "the round's cut-off has passed; intents can no longer be added, changed or withdrawn",
            ));
        }
        let (intent, event) = match change {
            Change::Withdraw => {
                let Some(current) = current.filter(|c| c.intent.quantity > 0) else {
                    return Err(AppError::NotFound("intent"));
                };
                let intent = Intent {
                    quantity: 0,
                    ..current.intent.clone()
                };
                (intent, IntentChange::Withdrawn)
            }
            Change::Put(input) => {
                let elsewhere = db::held_district(&mut tx, round_id, shop_id, item_code).await?;
                let district_id = district(input, &member_of, elsewhere.as_deref())?;
                let intent = Intent {
                    shop_id: shop_id.to_string(),
                    district_id,
                    item_code: item_code.to_string(),
                    quantity: input.quantity,
                    max_unit_price: input.max_unit_price,
                    seq: current.map_or(0, |c| c.intent.seq),
                };
                round.check_intent(&intent, now)?;
                match current {
                    Some(c) if c.intent == intent => {
                        return Ok(Some(IntentView::new(round_id, c.clone(), None)));
                    }
                    Some(c) if c.intent.quantity > 0 => (intent, IntentChange::Changed),
                    _ => (intent, IntentChange::Submitted),
                }
            }
        };
        let (intent, version) = match current {
            Some(c) => {
                if !db::intent_update(&mut tx, round_id, &intent, c.version, now).await? {
                    return Ok(None);
                }
                (intent, c.version + 1)
            }
            None => match db::intent_insert(&mut tx, round_id, &intent, now).await {
                Ok(seq) => (
                    Intent {
                        seq: u64::try_from(seq).unwrap_or_default(),
                        ..intent
                    },
                    1,
                ),
                Err(e) if is_unique_violation(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            },
        };
        events::intent_changed(&mut tx, round_id, &intent, version, event).await?;
        tx.commit().await?;
        let stored = IntentRow {
            intent,
            version,
            updated_at_ms: now,
        };
        Ok(Some(IntentView::new(round_id, stored, None)))
    }
}

/// The district an intent is collected at: the one named (which the shop
/// must belong to), else the shop's only invited district; and the same
/// one as the shop's other held intents in the round.
fn district(
    input: &IntentInput,
    member_of: &[String],
    elsewhere: Option<&str>,
) -> Result<String, AppError> {
    let district_id = match &input.district_id {
        Some(d) if !d.trim().is_empty() => {
            if !member_of.contains(d) {
                return Err(AppError::problem(
                    ProblemCode::NotDistrictMember,
                    "district_id",
                    format!("your organisation is not a member of the invited district `{d}`"),
                ));
            }
            d.clone()
        }
        _ => match member_of {
            [only] => only.clone(),
            _ => {
                return Err(AppError::problem(
                    ProblemCode::NotDistrictMember,
                    "district_id",
                    format!(
                        "you belong to {} invited districts; name the one you collect at",
                        member_of.len()
                    ),
                ));
            }
        },
    };
    if let Some(other) = elsewhere.filter(|d| *d != district_id) {
        return Err(Problems {
            problems: vec![Problem::new(
                ProblemCode::DistrictMismatch,
                "district_id",
                format!(
                    "your other intents in this round are collected at `{other}`; a shop collects at one drop per round"
                ),
            )],
        }
        .into());
    }
    Ok(district_id)
}
