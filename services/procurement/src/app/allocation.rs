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
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{
    db::{self, AllocationRow, RoundRow},
    domain::{
        Acceptance, AllocatedItem, AllocatedLine, Allocation, DeliveryPlan, Participant, Round,
        Saving, Savings, ShopSaving, allocate,
    },
    events,
};

/// Allocates the order response `response` (version `version` of the
/// consolidated order's history), together with the lines earlier
/// responses answered, to the shops of `row`'s round, in the consumer's
/// transaction: the requests in the consolidated order are read from the
/// round's request book (or its intents, where it has none yet), the
/// accepted quantities are shared out, and the rows, the summary and `procurement.round.allocated` are
/// written. A response older than the one already allocated is ignored. A
/// response that cannot be allocated is an error for the dead-letter table.
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
    let (mut answered, mut confirmed_prices) = allocation_of(row)?
        .map(|e| (e.answered, e.confirmed_prices))
        .unwrap_or_default();
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
        // A price only comes with a changed line; any other answer to the
        // line takes back a price confirmed earlier.
        match (l.status, l.unit_price) {
            (LineStatus::Changed, Some(price)) => {
                let yen = price.to_int().ok_or_else(|| {
                    AppError::Internal(format!(
                        "line {}: confirmed unit price {price:?} is not a whole number of yen",
                        line.line
                    ))
                })?;
                confirmed_prices.insert(line.line, yen);
            }
            _ => {
                confirmed_prices.remove(&line.line);
            }
        }
    }
    let accepted: Vec<Acceptance> = summary
        .lines
        .iter()
        .map(|line| Acceptance {
            item_code: line.item_code.clone(),
            quantity: answered.get(&line.line).copied().unwrap_or(0),
            unit_price: confirmed_prices.get(&line.line).copied(),
        })
        .collect();
    let round: Round = serde_json::from_str(&row.draft).map_err(AppError::internal)?;
    let started = std::time::Instant::now();
    let ordered = super::book::ordered_items(conn, &round, row).await?;
    let read_ms = started.elapsed().as_millis();
    let allocation = allocate(&round, &ordered, &accepted).map_err(AppError::internal)?;
    let allocate_ms = started.elapsed().as_millis() - read_ms;
    let requests: usize = ordered.iter().map(|i| i.requests.len()).sum();
    drop(ordered);
    let savings: std::collections::HashMap<(&str, &str), Saving> = allocation
        .savings
        .shops
        .iter()
        .map(|s| ((s.shop_id.as_str(), s.district_id.as_str()), s.saving))
        .collect();
    let item_index: std::collections::HashMap<&str, usize> = allocation
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.item_code.as_str(), i))
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
            participant: StoredLines::of(p, &item_index)?,
            goods_amount: p.goods_amount,
            fee_share: p.fee_share,
            total: p.total,
            alone: saving.alone,
        });
    }
    let encode_ms = started.elapsed().as_millis() - read_ms - allocate_ms;
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
        confirmed_prices,
    };
    let totals_json = serde_json::to_string(&totals).map_err(AppError::internal)?;
    if !db::round_allocated(conn, &row.round_id, &totals_json, version, now_ms()).await? {
        return Ok(false);
    }
    db::allocation_replace(conn, &row.round_id, &rows).await?;
    events::round_allocated(conn, row, &totals_json).await?;
    let write_ms = started.elapsed().as_millis() - read_ms - allocate_ms - encode_ms;
    let shops = rows.len();
    drop((allocation, rows));
    tracing::info!(
        round_id = %row.round_id,
        requests,
        shops,
        read_ms,
        allocate_ms,
        encode_ms,
        write_ms,
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

/// One shop's allocated lines as `allocation_shop.lines` keeps them: per
/// line the index of its item in the round's [`AllocationSummary::items`],
/// the units requested and allocated, and whether the price is above the
/// shop's cap. The item's code, unit and prices are the summary's, so a
/// million lines take a few bytes each instead of a whole object.
#[derive(Debug, Serialize, Deserialize)]
struct StoredLines {
    first_seq: u64,
    lines: Vec<(usize, i64, i64, bool)>,
}

/// `allocation_shop.lines` as it reads: compact, or a whole participant as
/// rounds allocated before the compact form were stored.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stored {
    Compact(StoredLines),
    Whole(Participant),
}

impl StoredLines {
    fn of(p: &Participant, item_index: &HashMap<&str, usize>) -> Result<String, AppError> {
        let lines = p
            .lines
            .iter()
            .map(|l| {
                let index = item_index.get(&*l.item_code).copied().ok_or_else(|| {
                    AppError::Internal(format!(
                        "shop {} has a line for item {}, which is not allocated",
                        p.shop_id, l.item_code
                    ))
                })?;
                Ok((index, l.requested, l.allocated, l.above_cap))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        serde_json::to_string(&StoredLines {
            first_seq: p.first_seq,
            lines,
        })
        .map_err(AppError::internal)
    }
}

fn shop_of(row: AllocationRow, items: &[AllocatedItem]) -> Result<ShopAllocation, AppError> {
    let participant = match serde_json::from_str(&row.participant).map_err(AppError::internal)? {
        Stored::Whole(participant) => participant,
        Stored::Compact(stored) => Participant {
            lines: stored
                .lines
                .into_iter()
                .map(|(index, requested, allocated, above_cap)| {
                    let item = items.get(index).ok_or_else(|| {
                        AppError::Internal(format!(
                            "shop {}: line of item #{index}, of {} allocated",
                            row.shop_id,
                            items.len()
                        ))
                    })?;
                    Ok(AllocatedLine {
                        item_code: item.item_code.as_str().into(),
                        unit: item.unit.as_str().into(),
                        requested,
                        allocated,
                        unit_price: item.unit_price(),
                        list_price: item.list_price,
                        amount: item.unit_price().saturating_mul(allocated),
                        above_cap,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            shop_id: row.shop_id,
            district_id: row.district_id,
            first_seq: stored.first_seq,
            goods_amount: row.goods_amount,
            fee_share: row.fee_share,
            total: row.total,
        },
    };
    Ok(ShopAllocation {
        saving: Saving {
            alone: row.alone,
            pooled: row.total,
            saving: row.alone - row.total,
        },
        participant,
    })
}

/// The allocation summary of a round, if the wholesaler answered.
fn allocation_of(row: &RoundRow) -> Result<Option<AllocationSummary>, AppError> {
    row.allocation
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)
}

/// What one shop receives in an allocated round.
pub(crate) async fn shop_allocation(
    conn: &mut Conn,
    row: &RoundRow,
    shop_id: &str,
) -> Result<Option<ShopAllocation>, AppError> {
    let Some(summary) = allocation_of(row)? else {
        return Ok(None);
    };
    let rows = db::allocations(conn, &row.round_id, Some(shop_id)).await?;
    rows.into_iter()
        .next()
        .map(|r| shop_of(r, &summary.items))
        .transpose()
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
        let (row, _, parts, districts) =
            self.round_for(&mut conn, organisation_id, round_id).await?;
        let Some(summary) = allocation_of(&row)? else {
            return Ok(Vec::new());
        };
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
            .map(|r| shop_of(r, &summary.items))
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
        let Some(summary) = allocation_of(&row)? else {
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
