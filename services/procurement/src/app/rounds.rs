//! Opening a round, looking at it, and closing it once.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use renkei_edi::{Date, Decimal, Document, Item, Order, OrderLine, Party, Quantity};
use renkei_kernel::{
    auth::{Caller, Role},
    idempotency::{self, Prior},
    storage::{Conn, is_unique_violation, now_ms},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    App, AppError, SCOPE_READ, SCOPE_WRITE,
    views::{
        AllocationSummary, ClosingSummary, ConsolidatedLine, DistrictView, FailedLine, ItemView,
        MyPart, Part, RoundStatus, RoundSummary, RoundView,
    },
};
use crate::{
    db::{self, RoundRow},
    domain::{Outcome, Problem, ProblemCode, Problems, Round, RoundDraft, Settlement, settle},
    events,
};

/// What an organiser sends to open a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OpenRound {
    /// The seller. Omitted (or your own id) when you are the wholesaler;
    /// a district association opening a round names its wholesaler here.
    #[serde(default)]
    pub wholesaler_id: Option<String>,
    /// The organisation the consolidated order is placed in the name of:
    /// the organiser of one of the invited districts. Required when the
    /// wholesaler opens the round; an association opening one is the buyer
    /// itself.
    #[serde(default)]
    pub buyer_id: Option<String>,
    /// Items with price breaks, cut-off, districts with drop points, delivery
    /// dates and the fee model. District names are taken from the groups.
    pub round: RoundDraft,
}

/// Milliseconds in a day, and Japan's offset from UTC: the consolidated
/// order is dated by the Japanese calendar day.
const DAY_MS: i64 = 86_400_000;
const JST_MS: i64 = 9 * 3_600_000;

impl App {
    /// Opens a round as `organisation_id`. Every problem of the draft and
    /// of the parties is reported at once; nothing is stored unless there
    /// is none. The same idempotency key with the same input answers the
    /// round opened the first time.
    pub async fn round_open(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: OpenRound,
        key: &str,
    ) -> Result<RoundView, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        idempotency::validate_key(key)?;
        let body = serde_json::to_string(&input).map_err(AppError::internal)?;
        let fingerprint = idempotency::fingerprint(&[organisation_id.as_bytes(), body.as_bytes()]);
        let scope = format!("procurement:{organisation_id}");
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        match idempotency::recall(&mut tx, &scope, key, &fingerprint).await? {
            Prior::Answered { body, .. } => {
                drop(tx);
                return self.round_view(caller, organisation_id, &body).await;
            }
            Prior::Mismatch => return Err(AppError::KeyReused),
            Prior::None => {}
        }
        let OpenRound {
            wholesaler_id,
            buyer_id,
            round: mut draft,
        } = input;
        let mut problems = Vec::new();
        let mut organisers = Vec::new();
        for (i, district) in draft.districts.iter_mut().enumerate() {
            match db::district(&mut tx, &district.group_id).await? {
                Some(group) => {
                    district.name = group.name;
                    organisers.push(group.organiser_id);
                }
                None => problems.push(Problem::new(
                    ProblemCode::UnknownDistrict,
                    format!("round.districts[{i}].group_id"),
                    format!(
                        "`{}` is not a collaboration group known here; invite districts by their group id",
                        district.group_id
                    ),
                )),
            }
        }
        let mut all: Vec<Problem> = draft
            .problems(now)
            .into_iter()
            .map(|p| Problem {
                path: format!("round.{}", p.path),
                ..p
            })
            .collect();
        all.append(&mut problems);
        let mut problems = all;
        let wholesaler_id = wholesaler_id
            .filter(|w| !w.trim().is_empty())
            .unwrap_or_else(|| organisation_id.to_string());
        let buyer_id = parties(
            organisation_id,
            &wholesaler_id,
            buyer_id,
            &organisers,
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(Problems { problems }.into());
        }
        let round = Round::open(draft, now)?;
        let round_id = Uuid::now_v7().to_string();
        // A round the wholesaler opens in an association's name waits for
        // the association to accept it.
        let status = if buyer_id == organisation_id {
            RoundStatus::Open
        } else {
            RoundStatus::Proposed
        };
        let row = RoundRow {
            round_id: round_id.clone(),
            organiser_id: organisation_id.to_string(),
            wholesaler_id,
            buyer_id,
            title: round.title().to_string(),
            cutoff_ms: round.cutoff_ms(),
            status: status.as_str().to_string(),
            draft: serde_json::to_string(round.draft()).map_err(AppError::internal)?,
            order_number: order_number(&round_id),
            order_id: None,
            closing: None,
            allocation: None,
            response_version: None,
            refusal: None,
            version: 1,
            created_at_ms: now,
            updated_at_ms: now,
            closed_at_ms: None,
        };
        let districts: Vec<String> = round
            .districts()
            .iter()
            .map(|d| d.group_id.clone())
            .collect();
        db::round_insert(&mut tx, &row, &districts).await?;
        events::round_opened(&mut tx, &row, &districts).await?;
        match idempotency::remember(&mut tx, &scope, key, &fingerprint, 201, &round_id).await {
            Ok(()) => tx.commit().await?,
            Err(e) if is_unique_violation(&e) => {
                drop(tx);
                let mut conn = self.db.acquire().await?;
                return match idempotency::recall(&mut conn, &scope, key, &fingerprint).await? {
                    Prior::Answered { body, .. } => {
                        drop(conn);
                        self.round_view(caller, organisation_id, &body).await
                    }
                    Prior::Mismatch => Err(AppError::KeyReused),
                    Prior::None => Err(AppError::Busy),
                };
            }
            Err(e) => return Err(e.into()),
        }
        self.round_view(caller, organisation_id, &round_id).await
    }

    /// The districts a round may invite (every purchasing group) and the
    /// groups `organisation_id` belongs to, each with whether it is a member.
    pub async fn district_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<(db::DistrictRow, bool)>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let mine = db::districts_of(&mut conn, organisation_id).await?;
        let mut out: Vec<(db::DistrictRow, bool)> =
            mine.iter().cloned().map(|d| (d, true)).collect();
        for d in db::purchasing_groups(&mut conn).await? {
            if !mine.iter().any(|m| m.group_id == d.group_id) {
                out.push((d, false));
            }
        }
        Ok(out)
    }

    /// The rounds `organisation_id` has a part in, newest first.
    pub async fn round_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<RoundSummary>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let rows = db::rounds_for(&mut conn, organisation_id).await?;
        let districts = db::districts_of(&mut conn, organisation_id).await?;
        let mut invited: HashMap<String, Vec<String>> = HashMap::new();
        for (round_id, group_id) in db::invitations_of(&mut conn, organisation_id).await? {
            invited.entry(round_id).or_default().push(group_id);
        }
        rows.iter()
            .map(|row| {
                let groups = invited.get(&row.round_id).map_or(&[][..], Vec::as_slice);
                summary(row, parts(row, organisation_id, &districts, groups))
            })
            .collect()
    }

    /// A round with its live pool and everything `organisation_id` may see
    /// of it: a shop its own intents and allocation, a district's organiser
    /// its district, the organiser, wholesaler and buyer the whole round.
    pub async fn round_view(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
    ) -> Result<RoundView, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let (row, round, parts, shop_districts) =
            self.round_for(&mut conn, organisation_id, round_id).await?;
        let pool = db::pool_items(&mut conn, round_id).await?;
        let mut per_item: HashMap<&str, (i64, i64)> = HashMap::new();
        for (item, _, pooled, shops) in &pool {
            let e = per_item.entry(item.as_str()).or_default();
            e.0 += pooled;
            e.1 += shops;
        }
        let items: Vec<ItemView> = round
            .items()
            .iter()
            .map(|offer| {
                let (pooled, shops) = per_item.get(offer.code.as_str()).copied().unwrap_or((0, 0));
                let progress = offer.progress(pooled);
                ItemView {
                    item_code: offer.code.clone(),
                    name: offer.name.clone(),
                    unit: offer.unit.clone(),
                    list_price: offer.list_price,
                    pooled,
                    shops,
                    tier: progress.tier,
                    next: progress.next,
                    minimum_quantity: progress.minimum_quantity,
                    units_to_minimum: progress.units_to_minimum,
                }
            })
            .collect();
        let shops_at: HashMap<String, i64> = db::pool_district_shops(&mut conn, round_id)
            .await?
            .into_iter()
            .collect();
        let allocation: Option<AllocationSummary> = row
            .allocation
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(AppError::internal)?;
        let whole = sees_whole(&parts);
        let organised: BTreeSet<String> = if whole {
            BTreeSet::new()
        } else {
            db::districts_of(&mut conn, organisation_id)
                .await?
                .into_iter()
                .filter(|d| d.organiser_id == organisation_id)
                .map(|d| d.group_id)
                .collect()
        };
        let districts = round
            .districts()
            .iter()
            .map(|d| DistrictView {
                group_id: d.group_id.clone(),
                name: d.name.clone(),
                drop_point: d.drop_point.clone(),
                shops: shops_at.get(&d.group_id).copied().unwrap_or(0),
                saving: allocation
                    .as_ref()
                    .filter(|_| whole || organised.contains(&d.group_id))
                    .and_then(|a| a.districts.iter().find(|s| s.district_id == d.group_id))
                    .map(|s| s.saving),
            })
            .collect();
        let mine = if parts.contains(&Part::Shop) {
            Some(
                my_part(
                    &mut conn,
                    &Shown {
                        row: &row,
                        round: &round,
                        items: &items,
                        shops_at: &shops_at,
                    },
                    organisation_id,
                    shop_districts,
                )
                .await?,
            )
        } else {
            None
        };
        let closing: Option<ClosingSummary> = row
            .closing
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(AppError::internal)?;
        let allocation = allocation.map(|mut a| {
            if !whole {
                a.districts.retain(|d| organised.contains(&d.district_id));
            }
            a
        });
        Ok(RoundView {
            summary: summary(&row, parts)?,
            round: round.draft().clone(),
            items,
            districts,
            mine,
            closing,
            allocation,
            refusal: row.refusal,
        })
    }

    /// The round, read for `organisation_id`, with the parts it plays and
    /// the invited districts it is a member of; "not found" if it plays none.
    pub(crate) async fn round_for(
        &self,
        conn: &mut Conn,
        organisation_id: &str,
        round_id: &str,
    ) -> Result<(RoundRow, Arc<Round>, Vec<Part>, Vec<String>), AppError> {
        let row = db::round(conn, round_id)
            .await?
            .ok_or(AppError::NotFound("round"))?;
        let round = self.round_of(&row)?;
        let districts = db::districts_of(conn, organisation_id).await?;
        let invited: Vec<String> = round
            .districts()
            .iter()
            .map(|d| d.group_id.clone())
            .collect();
        let parts = parts(&row, organisation_id, &districts, &invited);
        if parts.is_empty() {
            return Err(AppError::NotFound("round"));
        }
        let member_of = districts
            .into_iter()
            .filter(|d| invited.contains(&d.group_id))
            .map(|d| d.group_id)
            .collect();
        Ok((row, round, parts, member_of))
    }

    /// The buyer's answer to a round a wholesaler opened in its name: with
    /// `accept` the round opens for intents, otherwise it is declined and
    /// nothing is ever ordered. Only the buyer answers, once, before the
    /// cut-off.
    pub async fn round_answer(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
        accept: bool,
    ) -> Result<RoundView, AppError> {
        self.authorize(caller, organisation_id, Role::Admin, SCOPE_WRITE)?;
        {
            let mut conn = self.db.acquire().await?;
            let (row, _, parts, _) = self.round_for(&mut conn, organisation_id, round_id).await?;
            if !parts.contains(&Part::Buyer) {
                return Err(AppError::Forbidden(
                    "only the buyer of the consolidated order accepts or declines the round".into(),
                ));
            }
            if row.status != RoundStatus::Proposed.as_str() {
                return Err(AppError::Refused {
                    rule: "round_not_proposed",
                    message: format!("the round was answered already (status `{}`)", row.status),
                });
            }
            if accept && row.cutoff_ms <= now_ms() {
                return Err(AppError::Refused {
                    rule: "round_closed",
                    message: "the round's cut-off has passed".into(),
                });
            }
            let to = if accept {
                RoundStatus::Open
            } else {
                RoundStatus::Declined
            };
            if !db::round_answered(&mut conn, round_id, to.as_str(), now_ms()).await? {
                return Err(AppError::Refused {
                    rule: "round_not_proposed",
                    message: "the round was answered meanwhile".into(),
                });
            }
        }
        self.round_view(caller, organisation_id, round_id).await
    }

    /// Closes a round before its cut-off, as its organiser or wholesaler.
    pub async fn round_close(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
    ) -> Result<RoundView, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        {
            let mut conn = self.db.acquire().await?;
            let (row, _, parts, _) = self.round_for(&mut conn, organisation_id, round_id).await?;
            if !parts.contains(&Part::Organiser) && !parts.contains(&Part::Wholesaler) {
                return Err(AppError::Forbidden(
                    "only the round's organiser or its wholesaler may close it early".into(),
                ));
            }
            if row.status != RoundStatus::Open.as_str() {
                return Err(AppError::Refused {
                    rule: "round_not_open",
                    message: format!("the round is already closed (status `{}`)", row.status),
                });
            }
        }
        if self.close_once(round_id, now_ms()).await? {
            self.book_after_close(round_id).await;
        }
        self.round_view(caller, organisation_id, round_id).await
    }

    /// Closes every open round whose cut-off has passed at `now_ms`;
    /// answers how many this call closed. Safe to run on every instance at
    /// once: each round closes once.
    pub async fn close_due(&self, now_ms: i64) -> Result<usize, AppError> {
        let due = {
            let mut conn = self.db.acquire().await?;
            db::rounds_due(&mut conn, now_ms, 20).await?
        };
        let mut closed = 0;
        for round_id in due {
            // One round that cannot close must not keep the others open.
            match self.close_once(&round_id, now_ms).await {
                Ok(true) => {
                    closed += 1;
                    self.book_after_close(&round_id).await;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(round_id, error = %e, "closing a round past its cut-off failed");
                }
            }
        }
        Ok(closed)
    }

    /// Writes a just-closed round's request book. The close is done
    /// whatever happens here: a failure is logged and the sweep, or the
    /// allocation itself, makes up for it.
    async fn book_after_close(&self, round_id: &str) {
        if let Err(e) = self.book_prepare(round_id).await {
            tracing::warn!(round_id, error = %e, "the request book was not written after the close; the sweep retries");
        }
    }

    /// Closes one round unless another caller did: the claim, the close
    /// over every intent held, the consolidated order's lines, the summary
    /// and the `procurement.round.closed` event (with the consolidated
    /// order) commit together. True if this call closed it.
    ///
    /// The close reads the intents added up per item and cap, not one by
    /// one: that decides every quantity and tier ([`settle`]), and the
    /// lines written say which intents are in the order for the
    /// allocation to read later.
    pub async fn close_once(&self, round_id: &str, now_ms: i64) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        db::hold(&mut tx, self.db.backend(), round_id, db::Hold::Close).await?;
        if !db::round_claim_close(&mut tx, round_id, now_ms).await? {
            return Ok(false);
        }
        let row = db::round(&mut tx, round_id)
            .await?
            .ok_or(AppError::NotFound("round"))?;
        let round: Round = serde_json::from_str(&row.draft)
            .map_err(|e| AppError::Internal(format!("round {round_id} does not read back: {e}")))?;
        let started = std::time::Instant::now();
        let groups = db::intent_groups(&mut tx, round_id).await?;
        let read_ms = started.elapsed().as_millis();
        let settlement = settle(&round, &groups).map_err(AppError::internal)?;
        let lines = order_lines(&settlement);
        db::round_lines_insert(&mut tx, round_id, &lines).await?;
        let summary = closing_summary(&round, &settlement, &lines);
        let (status, order) = match settlement.outcome {
            Outcome::Ordered => (
                RoundStatus::Ordered,
                serde_json::to_string(&consolidated_order(&row, &round, &summary, now_ms)?)
                    .map_err(AppError::internal)?,
            ),
            Outcome::Failed => (RoundStatus::Failed, String::new()),
        };
        let summary_json = serde_json::to_string(&summary).map_err(AppError::internal)?;
        db::round_closed(&mut tx, round_id, status.as_str(), &summary_json).await?;
        events::round_closed(&mut tx, &row, status, &summary_json, &order).await?;
        tx.commit().await?;
        tracing::info!(
            round_id,
            outcome = status.as_str(),
            groups = groups.len(),
            lines = summary.lines.len(),
            read_ms,
            total_ms = started.elapsed().as_millis(),
            "round closed"
        );
        Ok(true)
    }
}

/// A round as its view shows it: what a shop's own part is worked out
/// from.
struct Shown<'a> {
    row: &'a RoundRow,
    round: &'a Round,
    items: &'a [ItemView],
    /// Shops with intents, per district.
    shops_at: &'a HashMap<String, i64>,
}

/// A shop's own part of a round: its districts, its intents at the
/// current tier's prices, its expected share of the delivery fee and, once
/// allocated, what it gets.
async fn my_part(
    conn: &mut Conn,
    shown: &Shown<'_>,
    shop_id: &str,
    districts: Vec<String>,
) -> Result<MyPart, AppError> {
    let Shown {
        row,
        round,
        items,
        shops_at,
    } = *shown;
    let rows = db::intents_of_shop(conn, &row.round_id, shop_id).await?;
    let price: HashMap<&str, i64> = items
        .iter()
        .map(|i| (i.item_code.as_str(), i.tier.unit_price))
        .collect();
    let intents: Vec<super::IntentView> = rows
        .into_iter()
        .map(|r| {
            let expected = price.get(r.intent.item_code.as_str()).copied();
            super::IntentView::new(&row.round_id, r, expected)
        })
        .collect();
    let held = intents.iter().find(|i| i.quantity > 0);
    let expected_fee = match held {
        Some(held) => {
            let shops = shops_at.get(&held.district_id).copied().unwrap_or(0);
            let rank = db::pool_fee_rank(conn, &row.round_id, &held.district_id, shop_id).await?;
            // Until the pool has counted the shop, it is one more.
            let counted = db::pool_intent(conn, &row.round_id, shop_id, &held.item_code)
                .await?
                .is_some_and(|(_, a)| a.quantity > 0);
            let shops = if counted { shops } else { shops + 1 };
            Some(round.fee_model().share(
                usize::try_from(shops).unwrap_or(usize::MAX),
                usize::try_from(rank).unwrap_or(usize::MAX),
            ))
        }
        None => None,
    };
    let goods: Option<i64> = intents
        .iter()
        .map(|i| i.expected_amount)
        .try_fold(0i64, |sum, a| a.and_then(|a| sum.checked_add(a)));
    let allocation = match row.status.as_str() {
        "allocated" => super::allocation::shop_allocation(conn, row, shop_id).await?,
        _ => None,
    };
    Ok(MyPart {
        districts,
        expected_total: expected_fee.zip(goods).map(|(f, g)| f.saturating_add(g)),
        expected_fee,
        intents,
        allocation,
    })
}

/// Settles the buyer and checks the parties: the wholesaler opening a
/// round names an invited district's organiser as buyer; anyone else must
/// organise an invited district and is the buyer.
fn parties(
    organiser: &str,
    wholesaler: &str,
    buyer: Option<String>,
    district_organisers: &[String],
    problems: &mut Vec<Problem>,
) -> String {
    let buyer = buyer.filter(|b| !b.trim().is_empty());
    if wholesaler == organiser {
        let Some(buyer) = buyer else {
            problems.push(Problem::new(
                ProblemCode::BuyerNotOrganiser,
                "buyer_id",
                "name the organisation the consolidated order is placed for: the organiser of one of the invited districts",
            ));
            return String::new();
        };
        if !district_organisers.contains(&buyer) {
            problems.push(Problem::new(
                ProblemCode::BuyerNotOrganiser,
                "buyer_id",
                format!("`{buyer}` does not organise any of the invited districts"),
            ));
        }
        buyer
    } else {
        if !district_organisers.iter().any(|o| o == organiser) {
            problems.push(Problem::new(
                ProblemCode::BuyerNotOrganiser,
                "wholesaler_id",
                "you may open a round as its wholesaler, or for an invited district you organise; you are neither",
            ));
        }
        if buyer.as_deref().is_some_and(|b| b != organiser) {
            problems.push(Problem::new(
                ProblemCode::BuyerNotOrganiser,
                "buyer_id",
                "an association opening a round places the consolidated order itself: leave buyer_id out",
            ));
        }
        organiser.to_string()
    }
}

/// A consolidated order's number: `P` and 16 hex digits of the round id's
/// random part, short enough for every EDI format's order number.
fn order_number(round_id: &str) -> String {
    let hex: String = round_id.chars().filter(|c| *c != '-').collect();
    format!("P{}", hex.get(16..32).unwrap_or(&hex).to_uppercase())
}

fn parts(
    row: &RoundRow,
    organisation_id: &str,
    districts: &[db::DistrictRow],
    invited: &[String],
) -> Vec<Part> {
    let mut parts = Vec::new();
    if row.organiser_id == organisation_id {
        parts.push(Part::Organiser);
    }
    if row.wholesaler_id == organisation_id {
        parts.push(Part::Wholesaler);
    }
    if row.buyer_id == organisation_id {
        parts.push(Part::Buyer);
    }
    let mine: Vec<&db::DistrictRow> = districts
        .iter()
        .filter(|d| invited.contains(&d.group_id))
        .collect();
    if mine.iter().any(|d| d.organiser_id == organisation_id) {
        parts.push(Part::DistrictOrganiser);
    }
    if !mine.is_empty() && row.wholesaler_id != organisation_id {
        parts.push(Part::Shop);
    }
    parts
}

/// Whether these parts see every shop and district of the round.
pub(crate) fn sees_whole(parts: &[Part]) -> bool {
    parts
        .iter()
        .any(|p| matches!(p, Part::Organiser | Part::Wholesaler | Part::Buyer))
}

fn summary(row: &RoundRow, parts: Vec<Part>) -> Result<RoundSummary, AppError> {
    Ok(RoundSummary {
        round_id: row.round_id.clone(),
        title: row.title.clone(),
        organiser_id: row.organiser_id.clone(),
        wholesaler_id: row.wholesaler_id.clone(),
        buyer_id: row.buyer_id.clone(),
        cutoff_ms: row.cutoff_ms,
        status: RoundStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal(format!("unknown round status `{}`", row.status)))?,
        order_number: row.order_number.clone(),
        order_id: row.order_id.clone(),
        parts,
        created_at_ms: row.created_at_ms,
    })
}

/// The consolidated order's lines: the items settled as ordered, numbered
/// from 1 in the round's order.
fn order_lines(settlement: &Settlement) -> Vec<db::RoundLine> {
    settlement
        .items
        .iter()
        .filter(|i| i.failure.is_none())
        .zip(1..)
        .map(|(item, line)| db::RoundLine {
            item_code: item.item_code.clone(),
            line,
            quantity: item.pooled,
            unit_price: item.tier.unit_price,
        })
        .collect()
}

fn closing_summary(
    round: &Round,
    settlement: &Settlement,
    lines: &[db::RoundLine],
) -> ClosingSummary {
    let mut ordered = settlement.items.iter().filter(|i| i.failure.is_none());
    ClosingSummary {
        outcome: settlement.outcome,
        lines: lines
            .iter()
            .zip(&mut ordered)
            .map(|(line, item)| ConsolidatedLine {
                line: line.line,
                item_code: item.item_code.clone(),
                name: round
                    .item(&item.item_code)
                    .map_or_else(String::new, |o| o.name.clone()),
                unit: item.unit.clone(),
                quantity: item.pooled,
                tier: item.tier,
                shops: usize::try_from(item.kept).unwrap_or(usize::MAX),
            })
            .collect(),
        failed: settlement
            .items
            .iter()
            .filter_map(|i| {
                i.failure.map(|reason| FailedLine {
                    item_code: i.item_code.clone(),
                    reason,
                    pooled: i.pooled,
                    minimum_quantity: i.minimum_quantity,
                })
            })
            .collect(),
        dropped: settlement
            .items
            .iter()
            .map(|i| usize::try_from(i.dropped).unwrap_or(usize::MAX))
            .sum(),
        shops: None,
    }
}

/// The consolidated order as a canonical order document: one line per
/// ordered item at its tier price, both item codes the round's code,
/// delivery requested for the round's first delivery date.
fn consolidated_order(
    row: &RoundRow,
    round: &Round,
    summary: &ClosingSummary,
    now_ms: i64,
) -> Result<Document, AppError> {
    let first_date = round
        .delivery_dates()
        .first()
        .and_then(|d| Date::from_ccyymmdd(&d.replace('-', "")));
    let issued = Date::from_unix_days((now_ms + JST_MS).div_euclid(DAY_MS))
        .ok_or_else(|| AppError::Internal(format!("{now_ms} is not a calendar day")))?;
    let lines = summary
        .lines
        .iter()
        .map(|line| OrderLine {
            line: line.line,
            item: Item {
                gtin: None,
                buyer_code: Some(line.item_code.clone()),
                seller_code: Some(line.item_code.clone()),
                description: Some(line.name.clone()),
            },
            quantity: Quantity {
                value: Decimal::new(line.quantity, 0).unwrap_or_default(),
                unit: line.unit.clone(),
            },
            unit_price: Decimal::new(line.tier.unit_price, 0),
            requested_delivery: first_date,
            delivery_site: None,
        })
        .collect();
    Ok(Document::Order(Order {
        number: row.order_number.clone(),
        issued,
        buyer: Party {
            id: row.buyer_id.clone(),
            name: None,
        },
        seller: Party {
            id: row.wholesaler_id.clone(),
            name: None,
        },
        currency: "JPY".into(),
        note: Some(format!("共同発注「{}」(round {})", row.title, row.round_id)),
        lines,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_fit_every_format_and_differ_per_round() {
        let a = order_number(&Uuid::now_v7().to_string());
        let b = order_number(&Uuid::now_v7().to_string());
        assert_eq!(a.len(), 17);
        assert!(a.starts_with('P'));
        assert_ne!(a, b);
    }

    #[test]
    fn a_wholesaler_must_name_a_district_organiser_as_buyer() {
        let mut problems = Vec::new();
        parties("w", "w", None, &["a".into()], &mut problems);
        assert_eq!(problems[0].code, ProblemCode::BuyerNotOrganiser);
        assert_eq!(problems[0].path, "buyer_id");
        problems.clear();
        assert_eq!(
            parties("w", "w", Some("a".into()), &["a".into()], &mut problems),
            "a"
        );
        assert!(problems.is_empty());
    }

    #[test]
    fn an_association_is_its_own_buyer_and_must_organise_a_district() {
        let mut problems = Vec::new();
        assert_eq!(parties("a", "w", None, &["a".into()], &mut problems), "a");
        assert!(problems.is_empty());
        parties("x", "w", None, &["a".into()], &mut problems);
        assert_eq!(problems[0].path, "wholesaler_id");
    }
}
