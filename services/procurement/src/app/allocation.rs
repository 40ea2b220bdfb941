//! The wholesaler's answer shared out: what each shop receives, at what
//! price and fee, what it saves, and where the goods are dropped.

use renkei_edi::{Document, LineStatus, OrderResponse};
use renkei_kernel::{
    auth::{Caller, Role},
    storage::{Conn, now_ms},
};

use super::{
    App, AppError, SCOPE_READ,
    rounds::sees_whole,
    views::{AllocationSummary, ClosingSummary, Part, ShopAllocation},
};
use crate::{
    db::{self, AllocationRow, RoundRow},
    domain::{
        Acceptance, Allocation, DeliveryPlan, Participant, Round, Saving, Savings, ShopSaving,
        allocate, close,
    },
    events,
};

/// Allocates the order response `response` (version `version` of the
/// consolidated order's history), together with the lines earlier
/// responses answered, to the shops of `row`'s round, in the
/// consumer's transaction: the close is run again on the intents held (they
/// no longer change once the round is closed, and the close is a pure
/// function of them), the accepted quantities are shared out, and the rows,
/// the summary and `procurement.round.allocated` are written. A response
/// older than the one already allocated is ignored. A response that cannot
/// be allocated is an error for the dead-letter table.
pub async fn apply_response(
    conn: &mut Conn,
    row: &RoundRow,
    response: &OrderResponse,
    version: i64,
) -> Result<bool, AppError> {
    if row.response_version.is_some_and(|v| v >= version) {
        return Ok(false);
    }
    let summary: ClosingSummary = row
        .closing
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::Internal(format!("round {} has no closing", row.round_id)))?;
    let earlier: Option<AllocationSummary> = row
        .allocation
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    let mut answered = earlier.map(|e| e.answered).unwrap_or_default();
    for line in &summary.lines {
        let Some(l) = response.lines.iter().find(|l| l.line == line.line) else {
            continue;
        };
        let quantity = match l.status {
            LineStatus::Rejected => 0,
            LineStatus::Accepted => line.quantity,
            LineStatus::Changed => match &l.quantity {
                None => line.quantity,
                Some(q) => q.value.to_int().ok_or_else(|| {
                    AppError::Internal(format!(
                        "line {}: accepted quantity {:?} is not a whole number of units",
                        line.line, q.value
                    ))
                })?,
            },
        };
        answered.insert(line.line, quantity.clamp(0, line.quantity));
    }
    let accepted: Vec<Acceptance> = summary
        .lines
        .iter()
        .map(|line| Acceptance {
            item_code: line.item_code.clone(),
            quantity: answered.get(&line.line).copied().unwrap_or(0),
        })
        .collect();
    let round: Round = serde_json::from_str(&row.draft).map_err(AppError::internal)?;
    let started = std::time::Instant::now();
    let intents = db::intents_held(conn, &row.round_id).await?;
    let read_ms = started.elapsed().as_millis();
    let closing = close(&round, &intents).map_err(AppError::internal)?;
    let close_ms = started.elapsed().as_millis() - read_ms;
    let allocation = allocate(&closing, &accepted).map_err(AppError::internal)?;
    let allocate_ms = started.elapsed().as_millis() - read_ms - close_ms;
    let savings: std::collections::HashMap<(&str, &str), Saving> = allocation
        .savings
        .shops
        .iter()
        .map(|s| ((s.shop_id.as_str(), s.district_id.as_str()), s.saving))
        .collect();
    let mut rows = Vec::with_capacity(allocation.participants.len());
    for p in &allocation.participants {
        let saving = savings
            .get(&(p.shop_id.as_str(), p.district_id.as_str()))
            .copied()
            .unwrap_or_default();
        rows.push(AllocationRow {
            shop_id: p.shop_id.clone(),
            district_id: p.district_id.clone(),
            participant: serde_json::to_string(p).map_err(AppError::internal)?,
            goods_amount: p.goods_amount,
            fee_share: p.fee_share,
            total: p.total,
            alone: saving.alone,
        });
    }
    let totals = AllocationSummary {
        items: allocation.items.clone(),
        districts: allocation.savings.districts.clone(),
        round: allocation.savings.round,
        shops: allocation
            .participants
            .iter()
            .filter(|p| p.receives())
            .count(),
        answered,
    };
    let totals_json = serde_json::to_string(&totals).map_err(AppError::internal)?;
    if !db::round_allocated(conn, &row.round_id, &totals_json, version, now_ms()).await? {
        return Ok(false);
    }
    db::allocation_replace(conn, &row.round_id, &rows).await?;
    events::round_allocated(conn, row, &totals_json).await?;
    tracing::info!(
        round_id = %row.round_id,
        intents = intents.len(),
        shops = rows.len(),
        read_ms,
        close_ms,
        allocate_ms,
        total_ms = started.elapsed().as_millis(),
        "round allocated"
    );
    Ok(true)
}

/// The canonical order response in an `orders.order.responded` event.
pub fn response_of(document_json: &str) -> Result<OrderResponse, String> {
    match serde_json::from_str::<Document>(document_json) {
        Ok(Document::OrderResponse(r)) => Ok(r),
        Ok(other) => Err(format!(
            "expected an order response, got {}",
            other.kind().as_str()
        )),
        Err(e) => Err(format!("the order response does not read: {e}")),
    }
}

fn shop_of(row: AllocationRow) -> Result<ShopAllocation, AppError> {
    let participant: Participant =
        serde_json::from_str(&row.participant).map_err(AppError::internal)?;
    Ok(ShopAllocation {
        participant,
        saving: Saving {
            alone: row.alone,
            pooled: row.total,
            saving: row.alone - row.total,
        },
    })
}

/// What one shop receives in an allocated round.
pub(crate) async fn shop_allocation(
    conn: &mut Conn,
    round_id: &str,
    shop_id: &str,
) -> Result<Option<ShopAllocation>, AppError> {
    let rows = db::allocations(conn, round_id, Some(shop_id)).await?;
    rows.into_iter().next().map(shop_of).transpose()
}

impl App {
    /// What each shop receives: every shop for the organiser, wholesaler
    /// and buyer; its district's shops for a district's organiser; its own
    /// lines for a shop. Empty until the wholesaler answered.
    pub async fn round_allocations(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
    ) -> Result<Vec<ShopAllocation>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let (_, _, parts, districts) = self.round_for(&mut conn, organisation_id, round_id).await?;
        let rows = db::allocations(&mut conn, round_id, None).await?;
        let organised: Vec<String> = if parts.contains(&Part::DistrictOrganiser) {
            db::districts_of(&mut conn, organisation_id)
                .await?
                .into_iter()
                .filter(|d| d.organiser_id == organisation_id && districts.contains(&d.group_id))
                .map(|d| d.group_id)
                .collect()
        } else {
            Vec::new()
        };
        let whole = sees_whole(&parts);
        rows.into_iter()
            .filter(|r| whole || r.shop_id == organisation_id || organised.contains(&r.district_id))
            .map(shop_of)
            .collect()
    }

    /// The consolidated delivery plan: one drop per district receiving
    /// something, with each shop's pick list. For the wholesaler, organiser
    /// and buyer all drops; for a district's organiser its own.
    pub async fn round_delivery_plan(
        &self,
        caller: &Caller,
        organisation_id: &str,
        round_id: &str,
    ) -> Result<DeliveryPlan, AppError> {
        let shops = self
            .round_allocations(caller, organisation_id, round_id)
            .await?;
        let mut conn = self.db.acquire().await?;
        let (row, round, parts, _) = self.round_for(&mut conn, organisation_id, round_id).await?;
        if !sees_whole(&parts) && !parts.contains(&Part::DistrictOrganiser) {
            return Err(AppError::Forbidden(
                "the delivery plan is for the wholesaler, the organiser and the districts' organisers"
                    .into(),
            ));
        }
        let summary: Option<AllocationSummary> = row
            .allocation
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(AppError::internal)?;
        let Some(summary) = summary else {
            return Err(AppError::Refused {
                rule: "not_allocated",
                message: "the wholesaler has not answered the consolidated order yet".into(),
            });
        };
        let order = |p: &Participant| {
            (
                round.district_index(&p.district_id).unwrap_or(usize::MAX),
                p.shop_id.clone(),
            )
        };
        let mut participants: Vec<Participant> = Vec::with_capacity(shops.len());
        let mut shop_savings: Vec<ShopSaving> = Vec::with_capacity(shops.len());
        for s in shops {
            shop_savings.push(ShopSaving {
                shop_id: s.participant.shop_id.clone(),
                district_id: s.participant.district_id.clone(),
                saving: s.saving,
            });
            participants.push(s.participant);
        }
        participants.sort_by_key(order);
        let allocation = Allocation {
            items: summary.items,
            participants,
            savings: Savings {
                shops: shop_savings,
                districts: summary.districts,
                round: summary.round,
            },
        };
        Ok(allocation.delivery_plan(&round))
    }
}
