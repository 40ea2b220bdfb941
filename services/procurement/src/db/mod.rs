//! Queries of the procurement service. Each takes the caller's connection
//! or transaction; the app layer and the consumers decide what commits
//! together.

use renkei_kernel::{settings::Backend, storage::Conn};

use futures::TryStreamExt;

use crate::domain::{CapGroup, Intent, Request};

/// A collaboration group as collab's events describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictRow {
    /// Collab's group id.
    pub group_id: String,
    /// Its name.
    pub name: String,
    /// purchasing_group, manufacturing_network or region.
    pub kind: String,
    /// The organisation that formed it (the association's representative).
    pub organiser_id: String,
}

type DistrictTuple = (String, String, String, String);

fn district_row((group_id, name, kind, organiser_id): DistrictTuple) -> DistrictRow {
    DistrictRow {
        group_id,
        name,
        kind,
        organiser_id,
    }
}

/// Replaces a group's name, organiser and members with those of
/// `version`, unless a newer version is already known.
pub async fn district_save(
    conn: &mut Conn,
    group: &DistrictRow,
    version: i64,
    members: &[String],
) -> Result<(), sqlx::Error> {
    let known: Option<(i64,)> = sqlx::query_as("SELECT version FROM district WHERE group_id = $1")
        .bind(&group.group_id)
        .fetch_optional(&mut *conn)
        .await?;
    if known.is_some_and(|(v,)| v >= version) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO district (group_id, name, kind, organiser_id, version) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (group_id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
         organiser_id = excluded.organiser_id, version = excluded.version",
    )
    .bind(&group.group_id)
    .bind(&group.name)
    .bind(&group.kind)
    .bind(&group.organiser_id)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM district_member WHERE group_id = $1")
        .bind(&group.group_id)
        .execute(&mut *conn)
        .await?;
    let mut everyone: Vec<&String> = members.iter().chain([&group.organiser_id]).collect();
    everyone.sort();
    everyone.dedup();
    for member in everyone {
        sqlx::query("INSERT INTO district_member (group_id, organisation_id) VALUES ($1, $2)")
            .bind(&group.group_id)
            .bind(member)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A group by id.
pub async fn district(conn: &mut Conn, group_id: &str) -> Result<Option<DistrictRow>, sqlx::Error> {
    let row: Option<DistrictTuple> = sqlx::query_as(
        "SELECT group_id, name, kind, organiser_id FROM district WHERE group_id = $1",
    )
    .bind(group_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(district_row))
}

/// The groups `organisation_id` belongs to (as member or organiser), by name.
pub async fn districts_of(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<DistrictRow>, sqlx::Error> {
    let rows: Vec<DistrictTuple> = sqlx::query_as(
        "SELECT d.group_id, d.name, d.kind, d.organiser_id FROM district d \
         JOIN district_member m ON m.group_id = d.group_id \
         WHERE m.organisation_id = $1 ORDER BY d.name, d.group_id",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(district_row).collect())
}

/// Every purchasing group (shopping-district association), by name: the
/// districts a wholesaler may invite.
pub async fn purchasing_groups(conn: &mut Conn) -> Result<Vec<DistrictRow>, sqlx::Error> {
    let rows: Vec<DistrictTuple> = sqlx::query_as(
        "SELECT group_id, name, kind, organiser_id FROM district \
         WHERE kind = 'purchasing_group' ORDER BY name, group_id LIMIT 1000",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(district_row).collect())
}

/// One round as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundRow {
    /// Its id.
    pub round_id: String,
    /// Who opened it.
    pub organiser_id: String,
    /// The seller of the consolidated order.
    pub wholesaler_id: String,
    /// The buyer of the consolidated order.
    pub buyer_id: String,
    /// Its title.
    pub title: String,
    /// Intents are taken strictly before this instant.
    pub cutoff_ms: i64,
    /// open, ordered, failed, refused or allocated.
    pub status: String,
    /// The round as offered (RoundDraft JSON).
    pub draft: String,
    /// The consolidated order's number, chosen when the round opens.
    pub order_number: String,
    /// The consolidated order's id in the orders service, once it is there.
    pub order_id: Option<String>,
    /// The closing summary (JSON), once closed.
    pub closing: Option<String>,
    /// The allocation summary (JSON), once allocated.
    pub allocation: Option<String>,
    /// The version of the order document the allocation answers.
    pub response_version: Option<i64>,
    /// Why the orders service refused the consolidated order.
    pub refusal: Option<String>,
    /// One more per change of the row.
    pub version: i64,
    /// When it was opened.
    pub created_at_ms: i64,
    /// When it last changed.
    pub updated_at_ms: i64,
    /// When it closed.
    pub closed_at_ms: Option<i64>,
}

const ROUND_COLUMNS: &str = "round_id, organiser_id, wholesaler_id, buyer_id, title, cutoff_ms, status, \
     draft, order_number, order_id, closing, allocation, response_version, refusal, version, \
     created_at_ms, updated_at_ms, closed_at_ms";

/// Stores a new round and its invited districts.
pub async fn round_insert(
    conn: &mut Conn,
    round: &RoundRow,
    districts: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO round ({ROUND_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(&round.round_id)
    .bind(&round.organiser_id)
    .bind(&round.wholesaler_id)
    .bind(&round.buyer_id)
    .bind(&round.title)
    .bind(round.cutoff_ms)
    .bind(&round.status)
    .bind(&round.draft)
    .bind(&round.order_number)
    .bind(&round.order_id)
    .bind(&round.closing)
    .bind(&round.allocation)
    .bind(round.response_version)
    .bind(&round.refusal)
    .bind(round.version)
    .bind(round.created_at_ms)
    .bind(round.updated_at_ms)
    .bind(round.closed_at_ms)
    .execute(&mut *conn)
    .await?;
    for group_id in districts {
        sqlx::query("INSERT INTO round_district (round_id, group_id) VALUES ($1, $2)")
            .bind(&round.round_id)
            .bind(group_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A round by id.
pub async fn round(conn: &mut Conn, round_id: &str) -> Result<Option<RoundRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ROUND_COLUMNS} FROM round WHERE round_id = $1"
    ))
    .bind(round_id)
    .fetch_optional(&mut *conn)
    .await
}

/// How a transaction holds a round against its close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold<'a> {
    /// Changing an intent of this shop: many shops at once, one change of a
    /// shop at a time (its intents must agree on one district), none while
    /// the round closes.
    Intent(&'a str),
    /// Closing: alone.
    Close,
}

/// Holds `round_id` until the transaction ends, so that the close never
/// misses an intent that was acknowledged: intent changes share the hold,
/// the close takes it alone and so waits for the changes under way, and a
/// change that comes after sees the round closed. On PostgreSQL this is a
/// transaction-scoped advisory lock on the round (a share lock on the round
/// row would do the same, but every concurrent locker of one row rewrites
/// its multixact, which serialises the submissions of a busy round); on
/// SQLite every writing transaction holds the database's write lock anyway.
pub async fn hold(
    conn: &mut Conn,
    backend: Backend,
    round_id: &str,
    hold: Hold<'_>,
) -> Result<(), sqlx::Error> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    match hold {
        Hold::Intent(shop_id) => {
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1), pg_advisory_xact_lock($2)")
                .bind(lock_key(round_id))
                .bind(lock_key(&format!("{round_id}/{shop_id}")))
                .execute(&mut *conn)
                .await?;
        }
        Hold::Close => {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock_key(round_id))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Takes the right to write `round_id`'s request book until the
/// transaction ends, if no one else holds it: on PostgreSQL a
/// transaction-scoped advisory lock tried without waiting, so that a second
/// instance skips a book under way instead of reading the same intents
/// again; on SQLite the write lock already admits one writer.
pub async fn try_hold_book(
    conn: &mut Conn,
    backend: Backend,
    round_id: &str,
) -> Result<bool, sqlx::Error> {
    if backend != Backend::Postgres {
        return Ok(true);
    }
    let (held,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
        .bind(lock_key(&format!("{round_id}/book")))
        .fetch_one(&mut *conn)
        .await?;
    Ok(held)
}

/// An advisory-lock key: FNV-1a of a round's id (or of a round and a
/// shop), in the key space this service's own database has to itself.
fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

/// The rounds `organisation_id` has a part in: as organiser, wholesaler or
/// buyer, or as a member of an invited district; newest first.
pub async fn rounds_for(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<RoundRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ROUND_COLUMNS} FROM round WHERE organiser_id = $1 OR wholesaler_id = $1 OR buyer_id = $1 \
         OR round_id IN (SELECT rd.round_id FROM round_district rd \
            JOIN district_member m ON m.group_id = rd.group_id WHERE m.organisation_id = $1) \
         ORDER BY created_at_ms DESC, round_id DESC LIMIT 200"
    ))
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await
}

/// For every round that invites a group `organisation_id` belongs to: the
/// round and that group.
pub async fn invitations_of(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT rd.round_id, rd.group_id FROM round_district rd \
         JOIN district_member m ON m.group_id = rd.group_id WHERE m.organisation_id = $1",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await
}

/// Open rounds whose cut-off has passed at `now_ms`, oldest cut-off first.
pub async fn rounds_due(
    conn: &mut Conn,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT round_id FROM round WHERE status = 'open' AND cutoff_ms <= $1 \
         ORDER BY cutoff_ms, round_id LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Claims the close of an open round: true for exactly one caller, however
/// many instances race (the conditional update takes the row lock, and a
/// racer re-checks the status after the winner commits).
pub async fn round_claim_close(
    conn: &mut Conn,
    round_id: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE round SET status = 'closing', version = version + 1, updated_at_ms = $2, \
         closed_at_ms = $2 WHERE round_id = $1 AND status = 'open'",
    )
    .bind(round_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opens or declines a proposed round; false if it was answered already.
pub async fn round_answered(
    conn: &mut Conn,
    round_id: &str,
    status: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE round SET status = $2, version = version + 1, updated_at_ms = $3 \
         WHERE round_id = $1 AND status = 'proposed'",
    )
    .bind(round_id)
    .bind(status)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a round's status and closing summary after the close.
pub async fn round_closed(
    conn: &mut Conn,
    round_id: &str,
    status: &str,
    closing: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE round SET status = $2, closing = $3 WHERE round_id = $1")
        .bind(round_id)
        .bind(status)
        .bind(closing)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces a closed round's summary (completed after the close).
pub async fn round_closing_update(
    conn: &mut Conn,
    round_id: &str,
    closing: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE round SET closing = $2 WHERE round_id = $1 AND closing IS NOT NULL")
        .bind(round_id)
        .bind(closing)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The round whose consolidated order is `order_number` of `buyer_id`.
pub async fn round_by_order_number(
    conn: &mut Conn,
    buyer_id: &str,
    order_number: &str,
) -> Result<Option<RoundRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ROUND_COLUMNS} FROM round WHERE buyer_id = $1 AND order_number = $2"
    ))
    .bind(buyer_id)
    .bind(order_number)
    .fetch_optional(&mut *conn)
    .await
}

/// Records the consolidated order's id in the orders service.
pub async fn round_order_placed(
    conn: &mut Conn,
    round_id: &str,
    order_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE round SET order_id = $2, version = version + 1, updated_at_ms = $3 \
         WHERE round_id = $1 AND order_id IS NULL",
    )
    .bind(round_id)
    .bind(order_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a round whose consolidated order the orders service refused.
pub async fn round_refused(
    conn: &mut Conn,
    round_id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE round SET status = 'refused', refusal = $2, version = version + 1, updated_at_ms = $3 \
         WHERE round_id = $1 AND status = 'ordered'",
    )
    .bind(round_id)
    .bind(reason)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a round whose consolidated order its buyer cancelled.
pub async fn round_cancelled(
    conn: &mut Conn,
    round_id: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE round SET status = 'cancelled', refusal = $2, version = version + 1, updated_at_ms = $3 \
         WHERE round_id = $1 AND status IN ('ordered', 'allocated')",
    )
    .bind(round_id)
    .bind(reason)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One intent as stored: the domain's intent plus its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRow {
    /// The intent (quantity 0 once withdrawn).
    pub intent: Intent,
    /// 1 at the first submission, one more per change or withdrawal.
    pub version: i64,
    /// When it last changed.
    pub updated_at_ms: i64,
}

type IntentTuple = (String, String, String, i64, Option<i64>, i64, i64, i64);

fn intent_row(
    (shop_id, district_id, item_code, quantity, max_unit_price, seq, version, updated_at_ms): IntentTuple,
) -> IntentRow {
    IntentRow {
        intent: Intent {
            shop_id,
            district_id,
            item_code,
            quantity,
            max_unit_price,
            seq: u64::try_from(seq).unwrap_or_default(),
        },
        version,
        updated_at_ms,
    }
}

const INTENT_COLUMNS: &str =
    "shop_id, district_id, item_code, quantity, max_unit_price, seq, version, updated_at_ms";

/// A shop's intents in a round (withdrawn ones included), by item code.
pub async fn intents_of_shop(
    conn: &mut Conn,
    round_id: &str,
    shop_id: &str,
) -> Result<Vec<IntentRow>, sqlx::Error> {
    let rows: Vec<IntentTuple> = sqlx::query_as(&format!(
        "SELECT {INTENT_COLUMNS} FROM intent WHERE round_id = $1 AND shop_id = $2 ORDER BY item_code"
    ))
    .bind(round_id)
    .bind(shop_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(intent_row).collect())
}

/// The intents held in open rounds, before their cut-off at `now_ms`, by
/// shops that collect at district `group_id` but are no longer among its
/// members: (round id, intent).
pub async fn intents_of_departed(
    conn: &mut Conn,
    group_id: &str,
    now_ms: i64,
) -> Result<Vec<(String, IntentRow)>, sqlx::Error> {
    let columns = INTENT_COLUMNS
        .split(", ")
        .map(|c| format!("i.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    /// The round id, then the columns of [`INTENT_COLUMNS`].
    type Departed = (
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Departed> =
        sqlx::query_as(&format!(
            "SELECT i.round_id, {columns} FROM intent i JOIN round r ON r.round_id = i.round_id \
             WHERE i.district_id = $1 AND i.quantity > 0 AND r.status = 'open' AND r.cutoff_ms > $2 \
             AND NOT EXISTS (SELECT 1 FROM district_member m \
                 WHERE m.group_id = i.district_id AND m.organisation_id = i.shop_id) \
             ORDER BY i.round_id, i.shop_id, i.item_code"
        ))
        .bind(group_id)
        .bind(now_ms)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(round_id, a, b, c, d, e, f, g, h)| (round_id, intent_row((a, b, c, d, e, f, g, h))))
        .collect())
}

/// A shop's intent for one item, withdrawn or not.
pub async fn intent(
    conn: &mut Conn,
    round_id: &str,
    shop_id: &str,
    item_code: &str,
) -> Result<Option<IntentRow>, sqlx::Error> {
    let row: Option<IntentTuple> = sqlx::query_as(&format!(
        "SELECT {INTENT_COLUMNS} FROM intent WHERE round_id = $1 AND shop_id = $2 AND item_code = $3"
    ))
    .bind(round_id)
    .bind(shop_id)
    .bind(item_code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(intent_row))
}

/// The district of one of a shop's held intents for another item than
/// `item_code`, if it holds any: where the shop collects in this round.
pub async fn held_district(
    conn: &mut Conn,
    round_id: &str,
    shop_id: &str,
    item_code: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT district_id FROM intent WHERE round_id = $1 AND shop_id = $2 AND item_code <> $3 \
         AND quantity > 0 LIMIT 1",
    )
    .bind(round_id)
    .bind(shop_id)
    .bind(item_code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(d,)| d))
}

/// A round's held intents added up per item and cap: all the close reads.
pub async fn intent_groups(conn: &mut Conn, round_id: &str) -> Result<Vec<CapGroup>, sqlx::Error> {
    type Group = (String, Option<i64>, i64, i64);
    let rows: Vec<Group> = sqlx::query_as(
        "SELECT item_code, max_unit_price, CAST(SUM(quantity) AS BIGINT), COUNT(*) FROM intent \
         WHERE round_id = $1 AND quantity > 0 GROUP BY item_code, max_unit_price",
    )
    .bind(round_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(item_code, max_unit_price, quantity, intents)| CapGroup {
            item_code,
            max_unit_price,
            quantity,
            intents: u64::try_from(intents).unwrap_or_default(),
        })
        .collect())
}

/// One line of a closed round's consolidated order, as `round_line` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundLine {
    /// The item.
    pub item_code: String,
    /// Line number in the order, from 1.
    pub line: u32,
    /// Units ordered.
    pub quantity: i64,
    /// The tier price those units reach: the lowest cap kept.
    pub unit_price: i64,
}

const ROUND_LINES_PER_INSERT: usize = 1000;

/// Stores the lines of a round's consolidated order, at its close.
pub async fn round_lines_insert(
    conn: &mut Conn,
    round_id: &str,
    lines: &[RoundLine],
) -> Result<(), sqlx::Error> {
    for chunk in lines.chunks(ROUND_LINES_PER_INSERT) {
        let sql = format!(
            "INSERT INTO round_line (round_id, item_code, line, quantity, unit_price) VALUES {}",
            placeholders(chunk.len(), 5)
        );
        let mut query = sqlx::query(&sql);
        for l in chunk {
            query = query
                .bind(round_id)
                .bind(&l.item_code)
                .bind(i64::from(l.line))
                .bind(l.quantity)
                .bind(l.unit_price);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The lines of a closed round's consolidated order, by line number.
pub async fn round_lines(conn: &mut Conn, round_id: &str) -> Result<Vec<RoundLine>, sqlx::Error> {
    type Row = (String, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT item_code, line, quantity, unit_price FROM round_line WHERE round_id = $1 ORDER BY line",
    )
    .bind(round_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(item_code, line, quantity, unit_price)| RoundLine {
            item_code,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            quantity,
            unit_price,
        })
        .collect())
}

/// The intents of a closed round that are in its consolidated order: their
/// item has a line and their cap accepts its price.
const IN_ORDER: &str = "FROM intent i JOIN round_line l \
     ON l.round_id = i.round_id AND l.item_code = i.item_code \
     WHERE i.round_id = $1 AND i.quantity > 0 \
     AND (i.max_unit_price IS NULL OR i.max_unit_price >= l.unit_price)";

/// Hands every intent in a closed round's order to `each`, as the item
/// code and the request, in no particular order, as the rows arrive.
pub async fn requests_in_order(
    conn: &mut Conn,
    round_id: &str,
    mut each: impl FnMut(&str, Request),
) -> Result<(), sqlx::Error> {
    type Row = (String, String, String, i64, Option<i64>, i64);
    let sql = format!(
        "SELECT i.item_code, i.shop_id, i.district_id, i.quantity, i.max_unit_price, i.seq {IN_ORDER}"
    );
    let mut rows = sqlx::query_as::<_, Row>(&sql)
        .bind(round_id)
        .fetch(&mut *conn);
    while let Some((item_code, shop_id, district_id, quantity, max_unit_price, seq)) =
        rows.try_next().await?
    {
        each(
            &item_code,
            Request {
                shop_id: shop_id.into(),
                district_id: district_id.into(),
                quantity,
                max_unit_price,
                seq: u64::try_from(seq).unwrap_or_default(),
            },
        );
    }
    Ok(())
}

/// Whether a round's request book is written.
pub async fn book_exists(conn: &mut Conn, round_id: &str) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT part FROM round_book WHERE round_id = $1 AND part = 0")
            .bind(round_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.is_some())
}

const BOOK_PARTS_PER_INSERT: usize = 250;

/// Writes a round's request book, part by part.
pub async fn book_insert(
    conn: &mut Conn,
    round_id: &str,
    parts: &[(i64, String)],
) -> Result<(), sqlx::Error> {
    for chunk in parts.chunks(BOOK_PARTS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO round_book (round_id, part, body) VALUES {}",
            placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (part, body) in chunk {
            query = query.bind(round_id).bind(*part).bind(body);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A round's request book, by part; empty if it has none.
pub async fn book(conn: &mut Conn, round_id: &str) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT part, body FROM round_book WHERE round_id = $1 ORDER BY part")
        .bind(round_id)
        .fetch_all(&mut *conn)
        .await
}

/// Rounds closed with a consolidated order whose request book is missing.
pub async fn rounds_without_book(conn: &mut Conn, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT r.round_id FROM round r WHERE r.status IN ('ordered', 'allocated') \
         AND NOT EXISTS (SELECT 1 FROM round_book b WHERE b.round_id = r.round_id) \
         ORDER BY r.round_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// `rows` groups of `columns` numbered placeholders: `($1, $2), ($3, $4)`.
fn placeholders(rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * columns + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Stores a shop's first intent for an item; answers its `seq`.
pub async fn intent_insert(
    conn: &mut Conn,
    round_id: &str,
    intent: &Intent,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    let (seq,): (i64,) = sqlx::query_as(
        "INSERT INTO intent (round_id, shop_id, item_code, district_id, quantity, max_unit_price, version, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING seq",
    )
    .bind(round_id)
    .bind(&intent.shop_id)
    .bind(&intent.item_code)
    .bind(&intent.district_id)
    .bind(intent.quantity)
    .bind(intent.max_unit_price)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    Ok(seq)
}

/// Replaces an intent's district, quantity and cap if it is still at
/// `version`; false if it changed meanwhile.
pub async fn intent_update(
    conn: &mut Conn,
    round_id: &str,
    intent: &Intent,
    version: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE intent SET district_id = $4, quantity = $5, max_unit_price = $6, version = version + 1, \
         updated_at_ms = $7 WHERE round_id = $1 AND shop_id = $2 AND item_code = $3 AND version = $8",
    )
    .bind(round_id)
    .bind(&intent.shop_id)
    .bind(&intent.item_code)
    .bind(&intent.district_id)
    .bind(intent.quantity)
    .bind(intent.max_unit_price)
    .bind(now_ms)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The pool's record of one intent: its district, quantity, seq and the
/// version last applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Quantity counted in the pool.
    pub quantity: i64,
    /// Version of the intent it came from.
    pub version: i64,
}

/// What the pool counted for one intent, and in which district.
pub async fn pool_intent(
    conn: &mut Conn,
    round_id: &str,
    shop_id: &str,
    item_code: &str,
) -> Result<Option<(String, Applied)>, sqlx::Error> {
    let row: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT district_id, quantity, version FROM pool_intent \
         WHERE round_id = $1 AND shop_id = $2 AND item_code = $3",
    )
    .bind(round_id)
    .bind(shop_id)
    .bind(item_code)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(district, quantity, version)| (district, Applied { quantity, version })))
}

/// Records the state of an intent the pool now counts.
pub async fn pool_intent_put(
    conn: &mut Conn,
    round_id: &str,
    intent: &Intent,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pool_intent (round_id, shop_id, item_code, district_id, quantity, seq, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (round_id, shop_id, item_code) DO UPDATE SET district_id = excluded.district_id, \
         quantity = excluded.quantity, seq = excluded.seq, version = excluded.version",
    )
    .bind(round_id)
    .bind(&intent.shop_id)
    .bind(&intent.item_code)
    .bind(&intent.district_id)
    .bind(intent.quantity)
    .bind(i64::try_from(intent.seq).unwrap_or(i64::MAX))
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds `units` and `shops` (either may be negative) to an item's total at
/// a district.
pub async fn pool_item_add(
    conn: &mut Conn,
    round_id: &str,
    item_code: &str,
    district_id: &str,
    units: i64,
    shops: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pool_item (round_id, item_code, district_id, pooled, shops) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (round_id, item_code, district_id) DO UPDATE \
         SET pooled = pool_item.pooled + excluded.pooled, shops = pool_item.shops + excluded.shops",
    )
    .bind(round_id)
    .bind(item_code)
    .bind(district_id)
    .bind(units)
    .bind(shops)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds `lines` (±1) to the count of a shop's held intents at a district.
pub async fn pool_shop_add(
    conn: &mut Conn,
    round_id: &str,
    district_id: &str,
    shop_id: &str,
    lines: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pool_shop (round_id, district_id, shop_id, lines) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (round_id, district_id, shop_id) DO UPDATE SET lines = pool_shop.lines + excluded.lines",
    )
    .bind(round_id)
    .bind(district_id)
    .bind(shop_id)
    .bind(lines)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The pool of a round: per item and district, units and shops.
pub async fn pool_items(
    conn: &mut Conn,
    round_id: &str,
) -> Result<Vec<(String, String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT item_code, district_id, pooled, shops FROM pool_item WHERE round_id = $1 \
         ORDER BY item_code, district_id",
    )
    .bind(round_id)
    .fetch_all(&mut *conn)
    .await
}

/// Per district, how many shops hold at least one intent.
pub async fn pool_district_shops(
    conn: &mut Conn,
    round_id: &str,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT district_id, COUNT(*) FROM pool_shop WHERE round_id = $1 AND lines > 0 \
         GROUP BY district_id ORDER BY district_id",
    )
    .bind(round_id)
    .fetch_all(&mut *conn)
    .await
}

/// How many shops of a district come before `shop_id` for the odd yen of
/// a shared fee: those whose earliest held intent there is earlier.
pub async fn pool_fee_rank(
    conn: &mut Conn,
    round_id: &str,
    district_id: &str,
    shop_id: &str,
) -> Result<i64, sqlx::Error> {
    let (rank,): (i64,) = sqlx::query_as(
        "WITH firsts AS (SELECT shop_id, MIN(seq) AS first FROM pool_intent \
           WHERE round_id = $1 AND district_id = $2 AND quantity > 0 GROUP BY shop_id) \
         SELECT COUNT(*) FROM firsts o, firsts s WHERE s.shop_id = $3 \
           AND (o.first < s.first OR (o.first = s.first AND o.shop_id < s.shop_id))",
    )
    .bind(round_id)
    .bind(district_id)
    .bind(shop_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(rank)
}

/// What one shop receives, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationRow {
    /// The shop.
    pub shop_id: String,
    /// Its district.
    pub district_id: String,
    /// Its participant record (domain `Participant`, JSON).
    pub participant: String,
    /// Goods at the tier price.
    pub goods_amount: i64,
    /// Its share of the delivery fee.
    pub fee_share: i64,
    /// Goods plus fee share.
    pub total: i64,
    /// What it would have paid ordering alone.
    pub alone: i64,
}

/// Replaces a round's allocation rows.
pub async fn allocation_replace(
    conn: &mut Conn,
    round_id: &str,
    rows: &[AllocationRow],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM allocation_shop WHERE round_id = $1")
        .bind(round_id)
        .execute(&mut *conn)
        .await?;
    for chunk in rows.chunks(ALLOCATION_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO allocation_shop (round_id, shop_id, district_id, goods_amount, fee_share, total, alone, lines) VALUES {}",
            placeholders(chunk.len(), 8)
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(round_id)
                .bind(&row.shop_id)
                .bind(&row.district_id)
                .bind(row.goods_amount)
                .bind(row.fee_share)
                .bind(row.total)
                .bind(row.alone)
                .bind(&row.participant);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per statement when an allocation is written: 1,600 parameters,
/// within what both engines take in one statement.
const ALLOCATION_ROWS_PER_INSERT: usize = 200;

/// A round's allocation rows, for one shop or (with `None`) all.
pub async fn allocations(
    conn: &mut Conn,
    round_id: &str,
    shop_id: Option<&str>,
) -> Result<Vec<AllocationRow>, sqlx::Error> {
    type Row = (String, String, String, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT shop_id, district_id, lines, goods_amount, fee_share, total, alone FROM allocation_shop \
         WHERE round_id = $1 AND ($2 IS NULL OR shop_id = $2) ORDER BY district_id, shop_id",
    )
    .bind(round_id)
    .bind(shop_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(shop_id, district_id, participant, goods_amount, fee_share, total, alone)| {
                AllocationRow {
                    shop_id,
                    district_id,
                    participant,
                    goods_amount,
                    fee_share,
                    total,
                    alone,
                }
            },
        )
        .collect())
}

/// Stores the allocation summary and the response version it answers;
/// false when a response at least as new was allocated already.
pub async fn round_allocated(
    conn: &mut Conn,
    round_id: &str,
    summary: &str,
    response_version: i64,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE round SET status = 'allocated', allocation = $2, response_version = $3, \
         version = version + 1, updated_at_ms = $4 WHERE round_id = $1 \
         AND status IN ('ordered', 'allocated') \
         AND (response_version IS NULL OR response_version < $3)",
    )
    .bind(round_id)
    .bind(summary)
    .bind(response_version)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
