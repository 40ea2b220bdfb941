//! The request book of a closed round: who asked for what in its
//! consolidated order, frozen at the close. The intents of a closed round
//! never change, so the requests the allocation shares out are read from
//! the intents once, after the close (while the order travels to the
//! wholesaler), and kept compact: the shops once, then per order line the
//! requests by shop index. The allocation reads the book in one pass; where
//! there is none yet (an answer faster than the book, a crash in between)
//! it reads the intents as the book would have.

use std::{collections::HashMap, sync::Arc};

use renkei_kernel::storage::{Conn, is_unique_violation};

use super::{App, AppError, views::ClosingSummary};
use crate::{
    db::{self, RoundLine, RoundRow},
    domain::{OrderedItem, Request, Round},
};

/// One request in the book: shop index, quantity, cap, seq.
type Entry = (usize, i64, Option<i64>, u64);

impl App {
    /// Writes the request book of a closed round that has a consolidated
    /// order, unless it exists or another caller is writing it; true if
    /// this call wrote it. Safe to run on every instance at once.
    pub async fn book_prepare(&self, round_id: &str) -> Result<bool, AppError> {
        let mut tx = self.db.begin().await?;
        if !db::try_hold_book(&mut tx, self.db.backend(), round_id).await?
            || db::book_exists(&mut tx, round_id).await?
        {
            return Ok(false);
        }
        let row = db::round(&mut tx, round_id)
            .await?
            .ok_or(AppError::NotFound("round"))?;
        if row.closing.is_none() {
            return Ok(false);
        }
        let round = self.round_of(&row)?;
        let started = std::time::Instant::now();
        let items = from_intents(&mut tx, &round, &row).await?;
        if items.is_empty() {
            return Ok(false);
        }
        let read_ms = started.elapsed().as_millis();
        let (parts, shops) = encode(&items)?;
        match db::book_insert(&mut tx, round_id, &parts).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        // The book knows how many shops the order serves; the summary
        // written at the close did not count them, to keep the close short.
        if let Some(closing) = row.closing.as_deref() {
            let mut summary: ClosingSummary =
                serde_json::from_str(closing).map_err(AppError::internal)?;
            summary.shops = Some(shops);
            let json = serde_json::to_string(&summary).map_err(AppError::internal)?;
            db::round_closing_update(&mut tx, round_id, &json).await?;
        }
        tx.commit().await?;
        tracing::info!(
            round_id,
            lines = items.len(),
            read_ms,
            total_ms = started.elapsed().as_millis(),
            "request book written"
        );
        Ok(true)
    }

    /// Writes the books of closed rounds that lack one (a crash between a
    /// close and its book); answers how many this call wrote.
    pub async fn books_due(&self) -> Result<usize, AppError> {
        let due = {
            let mut conn = self.db.acquire().await?;
            db::rounds_without_book(&mut conn, 5).await?
        };
        let mut written = 0;
        for round_id in due {
            match self.book_prepare(&round_id).await {
                Ok(true) => written += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(round_id, error = %e, "writing a request book failed"),
            }
        }
        Ok(written)
    }
}

/// The ordered items of a closed round with the requests they pool: from
/// its book, or from its intents where it has none.
pub(crate) async fn ordered_items(
    conn: &mut Conn,
    round: &Round,
    row: &RoundRow,
) -> Result<Vec<OrderedItem>, AppError> {
    let parts = db::book(conn, &row.round_id).await?;
    if parts.is_empty() {
        return from_intents(conn, round, row).await;
    }
    let lines = lines_of(conn, row).await?;
    decode(round, &row.round_id, lines, parts)
}

/// The consolidated order's lines as the close wrote them; for a round
/// closed before the close wrote them, taken from its summary (and kept).
async fn lines_of(conn: &mut Conn, row: &RoundRow) -> Result<Vec<RoundLine>, AppError> {
    let lines = db::round_lines(conn, &row.round_id).await?;
    if !lines.is_empty() {
        return Ok(lines);
    }
    let Some(closing) = row.closing.as_deref() else {
        return Ok(lines);
    };
    let summary: ClosingSummary = serde_json::from_str(closing).map_err(AppError::internal)?;
    let lines: Vec<RoundLine> = summary
        .lines
        .iter()
        .map(|l| RoundLine {
            item_code: l.item_code.clone(),
            line: l.line,
            quantity: l.quantity,
            unit_price: l.tier.unit_price,
        })
        .collect();
    db::round_lines_insert(conn, &row.round_id, &lines).await?;
    Ok(lines)
}

/// The ordered items with their requests, read from the intents in the
/// consolidated order.
async fn from_intents(
    conn: &mut Conn,
    round: &Round,
    row: &RoundRow,
) -> Result<Vec<OrderedItem>, AppError> {
    let mut items = items_of(round, &row.round_id, lines_of(conn, row).await?)?;
    let index: HashMap<String, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.item_code.clone(), i))
        .collect();
    db::requests_in_order(conn, &row.round_id, |item_code, request| {
        if let Some(&i) = index.get(item_code) {
            items[i].requests.push(request);
        }
    })
    .await?;
    for item in &mut items {
        item.requests
            .sort_unstable_by(|a, b| (a.seq, &a.shop_id).cmp(&(b.seq, &b.shop_id)));
    }
    Ok(items)
}

/// The ordered items of `lines`, without requests yet.
fn items_of(
    round: &Round,
    round_id: &str,
    lines: Vec<RoundLine>,
) -> Result<Vec<OrderedItem>, AppError> {
    lines
        .into_iter()
        .map(|line| {
            let offer = round.item(&line.item_code).ok_or_else(|| {
                AppError::Internal(format!(
                    "round {round_id}: line {} orders item {}, which the round does not offer",
                    line.line, line.item_code
                ))
            })?;
            Ok(OrderedItem {
                item_code: line.item_code,
                unit: offer.unit.clone(),
                quantity: line.quantity,
                tier: offer.tier(line.quantity),
                requests: Vec::new(),
            })
        })
        .collect()
}

/// The book's parts (0 the shops, then one per order line, in line order)
/// and how many shops it lists.
fn encode(items: &[OrderedItem]) -> Result<(Vec<(i64, String)>, usize), AppError> {
    let mut shops: Vec<(&str, &str)> = Vec::new();
    let mut shop_index: HashMap<(&str, &str), usize> = HashMap::new();
    let mut parts = Vec::with_capacity(items.len() + 1);
    for (line, item) in (1..).zip(items) {
        let entries: Vec<Entry> = item
            .requests
            .iter()
            .map(|r| {
                let key = (&*r.shop_id, &*r.district_id);
                let index = *shop_index.entry(key).or_insert_with(|| {
                    shops.push(key);
                    shops.len() - 1
                });
                (index, r.quantity, r.max_unit_price, r.seq)
            })
            .collect();
        parts.push((
            line,
            serde_json::to_string(&entries).map_err(AppError::internal)?,
        ));
    }
    let listed = shops.len();
    parts.insert(
        0,
        (
            0,
            serde_json::to_string(&shops).map_err(AppError::internal)?,
        ),
    );
    Ok((parts, listed))
}

/// The ordered items from the book's parts.
fn decode(
    round: &Round,
    round_id: &str,
    lines: Vec<RoundLine>,
    parts: Vec<(i64, String)>,
) -> Result<Vec<OrderedItem>, AppError> {
    let broken =
        |what: String| AppError::Internal(format!("round {round_id}: request book {what}"));
    let mut items = items_of(round, round_id, lines)?;
    let mut parts = parts.into_iter();
    let shops: Vec<(Arc<str>, Arc<str>)> = match parts.next() {
        Some((0, body)) => serde_json::from_str(&body).map_err(|e| broken(e.to_string()))?,
        _ => return Err(broken("has no list of shops".into())),
    };
    let mut read = 0;
    for (part, body) in parts {
        let item = usize::try_from(part - 1)
            .ok()
            .and_then(|i| items.get_mut(i))
            .ok_or_else(|| broken(format!("part {part} is not a line of the order")))?;
        let entries: Vec<Entry> =
            serde_json::from_str(&body).map_err(|e| broken(format!("part {part}: {e}")))?;
        item.requests = entries
            .into_iter()
            .map(|(shop, quantity, max_unit_price, seq)| {
                let (shop_id, district_id) = shops
                    .get(shop)
                    .ok_or_else(|| broken(format!("part {part}: no shop #{shop}")))?;
                Ok(Request {
                    shop_id: Arc::clone(shop_id),
                    district_id: Arc::clone(district_id),
                    quantity,
                    max_unit_price,
                    seq,
                })
            })
            .collect::<Result<_, AppError>>()?;
        read += 1;
    }
    if read != items.len() {
        return Err(broken(format!(
            "holds {read} lines of an order of {}",
            items.len()
        )));
    }
    Ok(items)
}
