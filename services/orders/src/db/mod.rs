//! Queries of the orders service. Each takes the caller's connection or
//! transaction; the app layer decides what commits together.

mod edi;
mod mailbox;

pub use edi::*;
pub use mailbox::*;

use prost::Message as _;
use renkei_kernel::{
    events::Envelope,
    storage::{Conn, now_ms},
};

/// What orders knows of one partnership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerLink {
    /// Collab's id.
    pub partnership_id: String,
    /// Who proposed it.
    pub proposer_id: String,
    /// Who it was proposed to.
    pub counterparty_id: String,
    /// For a buyer–supplier partnership, the side that buys; empty otherwise.
    pub buyer_id: String,
    /// proposed, active, declined, withdrawn or ended.
    pub status: String,
    /// Collab's version of it.
    pub version: i64,
}

/// Records a partnership unless a newer version is already known.
pub async fn partner_link_save(conn: &mut Conn, link: &PartnerLink) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO partner_link (partnership_id, proposer_id, counterparty_id, buyer_id, status, version) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (partnership_id) DO UPDATE SET status = excluded.status, version = excluded.version, \
         buyer_id = excluded.buyer_id WHERE partner_link.version < excluded.version",
    )
    .bind(&link.partnership_id)
    .bind(&link.proposer_id)
    .bind(&link.counterparty_id)
    .bind(&link.buyer_id)
    .bind(&link.status)
    .bind(link.version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The active partnerships between two organisations (either direction).
pub async fn active_links(
    conn: &mut Conn,
    a: &str,
    b: &str,
) -> Result<Vec<PartnerLink>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT partnership_id, proposer_id, counterparty_id, buyer_id, status, version FROM partner_link \
         WHERE status = 'active' AND ((proposer_id = $1 AND counterparty_id = $2) \
         OR (proposer_id = $2 AND counterparty_id = $1)) ORDER BY partnership_id",
    )
    .bind(a)
    .bind(b)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(partnership_id, proposer_id, counterparty_id, buyer_id, status, version)| {
                PartnerLink {
                    partnership_id,
                    proposer_id,
                    counterparty_id,
                    buyer_id,
                    status,
                    version,
                }
            },
        )
        .collect())
}

/// Replaces a group's membership with that of `version`, unless a newer
/// version is already known.
pub async fn group_save(
    conn: &mut Conn,
    group_id: &str,
    version: i64,
    members: &[String],
) -> Result<(), sqlx::Error> {
    let known: Option<(i64,)> =
        sqlx::query_as("SELECT version FROM group_head WHERE group_id = $1")
            .bind(group_id)
            .fetch_optional(&mut *conn)
            .await?;
    if known.is_some_and(|(v,)| v >= version) {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO group_head (group_id, version) VALUES ($1, $2) \
         ON CONFLICT (group_id) DO UPDATE SET version = excluded.version",
    )
    .bind(group_id)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM group_link WHERE group_id = $1")
        .bind(group_id)
        .execute(&mut *conn)
        .await?;
    for member in members {
        sqlx::query(
            "INSERT INTO group_link (group_id, organisation_id, version) VALUES ($1, $2, $3)",
        )
        .bind(group_id)
        .bind(member)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The active partnerships between `a` and `b` and the first group (by id)
/// both belong to, with its version, in one round trip: what a new order
/// records. The group is `None` when there is no partnership either.
pub async fn trade_links(
    conn: &mut Conn,
    a: &str,
    b: &str,
) -> Result<(Vec<PartnerLink>, Option<(String, i64)>), sqlx::Error> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.partnership_id, l.proposer_id, l.counterparty_id, l.buyer_id, l.status, l.version, \
         g.group_id, g.version FROM partner_link l LEFT JOIN ( \
           SELECT x.group_id AS group_id, x.version AS version FROM group_link x \
           JOIN group_link y ON y.group_id = x.group_id \
           WHERE x.organisation_id = $1 AND y.organisation_id = $2 ORDER BY x.group_id LIMIT 1 \
         ) g ON 1 = 1 \
         WHERE l.status = 'active' AND ((l.proposer_id = $1 AND l.counterparty_id = $2) \
         OR (l.proposer_id = $2 AND l.counterparty_id = $1)) ORDER BY l.partnership_id",
    )
    .bind(a)
    .bind(b)
    .fetch_all(&mut *conn)
    .await?;
    let group = rows.first().and_then(|r| r.6.clone().zip(r.7));
    let links = rows
        .into_iter()
        .map(
            |(partnership_id, proposer_id, counterparty_id, buyer_id, status, version, _, _)| {
                PartnerLink {
                    partnership_id,
                    proposer_id,
                    counterparty_id,
                    buyer_id,
                    status,
                    version,
                }
            },
        )
        .collect();
    Ok((links, group))
}

/// One order row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    /// Id.
    pub order_id: String,
    /// Buyer organisation.
    pub buyer_id: String,
    /// Seller organisation.
    pub seller_id: String,
    /// Buyer's order number.
    pub number: String,
    /// Order status name.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Partnership at creation.
    pub partnership_id: String,
    /// Its version at creation.
    pub partnership_version: i64,
    /// A group both belonged to at creation.
    pub group_id: Option<String>,
    /// Its version at creation.
    pub group_version: Option<i64>,
    /// Collab thread attached to it.
    pub thread_id: Option<String>,
    /// Number of documents.
    pub version: i64,
    /// The state machine's state, JSON.
    pub state: String,
    /// Created.
    pub created_at_ms: i64,
    /// Last document.
    pub updated_at_ms: i64,
}

const ORDER_COLUMNS: &str = "order_id, buyer_id, seller_id, number, status, currency, partnership_id, \
    partnership_version, group_id, group_version, thread_id, version, state, created_at_ms, updated_at_ms";

/// The buyer's order with this number.
pub async fn order_by_number(
    conn: &mut Conn,
    buyer_id: &str,
    number: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM purchase_order WHERE buyer_id = $1 AND number = $2"
    ))
    .bind(buyer_id)
    .bind(number)
    .fetch_optional(&mut *conn)
    .await
}

/// An order by id.
pub async fn order_get(conn: &mut Conn, order_id: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM purchase_order WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await
}

/// A query that stores rows, with its parameters bound so far.
type Insert<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds an order's values in the order of [`ORDER_COLUMNS`].
fn bind_order<'q>(query: Insert<'q>, row: &'q OrderRow) -> Insert<'q> {
    query
        .bind(&row.order_id)
        .bind(&row.buyer_id)
        .bind(&row.seller_id)
        .bind(&row.number)
        .bind(&row.status)
        .bind(&row.currency)
        .bind(&row.partnership_id)
        .bind(row.partnership_version)
        .bind(&row.group_id)
        .bind(row.group_version)
        .bind(&row.thread_id)
        .bind(row.version)
        .bind(&row.state)
        .bind(row.created_at_ms)
        .bind(row.updated_at_ms)
}

/// Binds a document's values in the order of [`DOCUMENT_COLUMNS`].
fn bind_document<'q>(query: Insert<'q>, row: &'q DocumentRow) -> Insert<'q> {
    query
        .bind(&row.document_id)
        .bind(&row.order_id)
        .bind(row.version)
        .bind(&row.kind)
        .bind(&row.number)
        .bind(&row.sender_id)
        .bind(&row.channel)
        .bind(&row.body)
        .bind(row.created_at_ms)
}

/// Inserts a new order.
pub async fn order_insert(conn: &mut Conn, row: &OrderRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO purchase_order ({ORDER_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    bind_order(sqlx::query(&sql), row)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Saves a new state over version `previous`; false if someone else saved first.
pub async fn order_advance(
    conn: &mut Conn,
    order_id: &str,
    previous: i64,
    status: &str,
    state: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE purchase_order SET version = version + 1, status = $1, state = $2, updated_at_ms = $3 \
         WHERE order_id = $4 AND version = $5",
    )
    .bind(status)
    .bind(state)
    .bind(now_ms())
    .bind(order_id)
    .bind(previous)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Attaches a collab thread to an order.
pub async fn order_thread_set(
    conn: &mut Conn,
    order_id: &str,
    thread_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE purchase_order SET thread_id = $1 WHERE order_id = $2")
        .bind(thread_id)
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Which orders of an organisation to list.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// `Some(true)`: orders it receives (inbox); `Some(false)`: orders it
    /// sends (outbox); `None`: both.
    pub inbox: Option<bool>,
    /// Only this status.
    pub status: Option<String>,
    /// Only with this partner.
    pub partner_id: Option<String>,
    /// Only order numbers containing this.
    pub number: Option<String>,
    /// Only orders last changed before this instant (for paging).
    pub before_ms: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// An organisation's orders, most recently changed first.
pub async fn orders_list(
    conn: &mut Conn,
    organisation_id: &str,
    f: &OrderFilter,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let side = match f.inbox {
        Some(true) => "seller_id = $1",
        Some(false) => "buyer_id = $1",
        None => "(buyer_id = $1 OR seller_id = $1)",
    };
    let pattern = f.number.as_deref().map(|n| {
        format!(
            "%{}%",
            n.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )
    });
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM purchase_order WHERE {side} \
         AND ($2 = '' OR status = $2) \
         AND ($3 = '' OR buyer_id = $3 OR seller_id = $3) \
         AND ($4 = '' OR number LIKE $4 ESCAPE '\\') \
         AND ($5 = 0 OR updated_at_ms < $5) \
         ORDER BY updated_at_ms DESC, order_id DESC LIMIT $6"
    ))
    .bind(organisation_id)
    .bind(f.status.as_deref().unwrap_or(""))
    .bind(f.partner_id.as_deref().unwrap_or(""))
    .bind(pattern.as_deref().unwrap_or(""))
    .bind(f.before_ms.unwrap_or(0))
    .bind(f.limit)
    .fetch_all(&mut *conn)
    .await
}

/// One stored document.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    /// Id.
    pub document_id: String,
    /// Its order.
    pub order_id: String,
    /// Position in the order's history, from 1.
    pub version: i64,
    /// Document kind.
    pub kind: String,
    /// Its own number.
    pub number: String,
    /// Who sent it.
    pub sender_id: String,
    /// How it arrived.
    pub channel: String,
    /// Canonical JSON.
    pub body: String,
    /// When it was accepted.
    pub created_at_ms: i64,
}

const DOCUMENT_COLUMNS: &str =
    "document_id, order_id, version, kind, number, sender_id, channel, body, created_at_ms";

/// Stores a document.
pub async fn document_insert(conn: &mut Conn, row: &DocumentRow) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO order_document ({DOCUMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    );
    bind_document(sqlx::query(&sql), row)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Everything a new order writes: the order, its first document, the
/// receiver's mailbox entry, the event and the remembered answer.
#[derive(Debug)]
pub struct NewOrder {
    /// The order.
    pub order: OrderRow,
    /// Its first document.
    pub document: DocumentRow,
    /// Who receives the document (its mailbox).
    pub receiver_id: String,
    /// The `orders.order.sent` event.
    pub event: Envelope,
    /// Where the idempotency key lives.
    pub key_scope: String,
    /// The key.
    pub key: String,
    /// The request's fingerprint.
    pub request_hash: String,
    /// The answer remembered under the key (status 201).
    pub answer: String,
}

/// The most new orders [`orders_insert_at_once`] writes in one statement.
pub const NEW_ORDERS_AT_ONCE: usize = 32;

/// Parameters one new order binds, in the order [`bind_new_order`] binds
/// them: the order's 15 columns, the document's 9, the receiver, the
/// event's 6 and the idempotency record's 6.
const NEW_ORDER_PARAMS: usize = 37;

/// Each part of a new order: its table, its columns and which of the
/// order's parameters (from 1) fill them. The mailbox entry reuses the
/// document's id, sender, kind and time.
const NEW_ORDER_PARTS: [(&str, &str, &[usize]); 5] = [
    (
        "purchase_order",
        ORDER_COLUMNS,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    ),
    (
        "order_document",
        DOCUMENT_COLUMNS,
        &[16, 17, 18, 19, 20, 21, 22, 23, 24],
    ),
    ("mailbox_entry", MAILBOX_COLUMNS, &[16, 25, 21, 19, 24]),
    (
        "outbox",
        renkei_kernel::events::OUTBOX_COLUMNS,
        &[26, 27, 28, 29, 30, 31],
    ),
    (
        "idempotency_key",
        renkei_kernel::idempotency::COLUMNS,
        &[32, 33, 34, 35, 36, 37],
    ),
];

/// The statement that writes `n` new orders: each part a multi-row
/// `INSERT` of a data-modifying `WITH`, the last part the main statement.
fn new_orders_sql(n: usize) -> String {
    let mut sql = String::from("WITH ");
    for (part, (table, columns, params)) in NEW_ORDER_PARTS.iter().enumerate() {
        let last = part + 1 == NEW_ORDER_PARTS.len();
        if !last {
            sql.push_str(&format!("p{part} AS ("));
        }
        sql.push_str(&format!("INSERT INTO {table} ({columns}) VALUES "));
        for order in 0..n {
            let offset = order * NEW_ORDER_PARAMS;
            let row: Vec<String> = params.iter().map(|p| format!("${}", p + offset)).collect();
            let comma = if order == 0 { "" } else { ", " };
            sql.push_str(&format!("{comma}({})", row.join(", ")));
        }
        if part + 2 < NEW_ORDER_PARTS.len() {
            sql.push_str("), ");
        } else if !last {
            sql.push_str(") ");
        }
    }
    sql
}

/// Binds one new order's values in the order of [`NEW_ORDER_PARAMS`].
fn bind_new_order<'q>(query: Insert<'q>, new: &'q NewOrder, now: i64) -> Insert<'q> {
    let e = &new.event;
    bind_document(bind_order(query, &new.order), &new.document)
        .bind(&new.receiver_id)
        .bind(&e.event_id)
        .bind(&e.event_type)
        .bind(&e.tenant_id)
        .bind(&e.key)
        .bind(e.encode_to_vec())
        .bind(e.occurred_at_ms)
        .bind(&new.key_scope)
        .bind(&new.key)
        .bind(&new.request_hash)
        .bind(201_i64)
        .bind(&new.answer)
        .bind(now)
}

/// New orders in one statement, for PostgreSQL: the five inserts of each
/// new order as the parts of one data-modifying `WITH`, so that any number
/// of orders up to [`NEW_ORDERS_AT_ONCE`] cost one round trip and no
/// `BEGIN`/`COMMIT`. It is all or nothing: one taken number or key (a
/// unique violation) leaves nothing of any of them behind, and the foreign
/// keys between the parts hold at the end of the statement.
pub async fn orders_insert_at_once(conn: &mut Conn, news: &[&NewOrder]) -> Result<(), sqlx::Error> {
    use std::sync::OnceLock;
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    assert!(
        (1..=NEW_ORDERS_AT_ONCE).contains(&news.len()),
        "1 to {NEW_ORDERS_AT_ONCE} orders at once, not {}",
        news.len()
    );
    let sql = SQL.get_or_init(|| (1..=NEW_ORDERS_AT_ONCE).map(new_orders_sql).collect());
    let now = now_ms();
    let mut query = sqlx::query(&sql[news.len() - 1]);
    for new in news {
        query = bind_new_order(query, new, now);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// The channel an order's first document came through.
pub async fn order_channel(conn: &mut Conn, order_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT channel FROM order_document WHERE order_id = $1 AND version = 1")
            .bind(order_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(c,)| c))
}

/// Document `version` of an order.
pub async fn document_at(
    conn: &mut Conn,
    order_id: &str,
    version: i64,
) -> Result<Option<DocumentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM order_document WHERE order_id = $1 AND version = $2"
    ))
    .bind(order_id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await
}

/// Every document of an order, oldest first.
pub async fn documents_of(
    conn: &mut Conn,
    order_id: &str,
) -> Result<Vec<DocumentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM order_document WHERE order_id = $1 ORDER BY version"
    ))
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await
}

/// An order document that arrived over the bus, waiting to be submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The event that carried it.
    pub event_id: String,
    /// The organisation it is submitted for (its sender).
    pub organisation_id: String,
    /// The key it is submitted under.
    pub idempotency_key: String,
    /// The canonical document, JSON.
    pub document: String,
    /// Failed tries so far.
    pub attempts: i64,
}

/// Keeps an inbound document unless the event was kept already.
pub async fn inbound_insert(conn: &mut Conn, inbound: &Inbound) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO inbound_document (event_id, organisation_id, idempotency_key, document, attempts, created_at_ms) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&inbound.event_id)
    .bind(&inbound.organisation_id)
    .bind(&inbound.idempotency_key)
    .bind(&inbound.document)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inbound documents due at `now_ms`: those tried least first, then the oldest.
pub async fn inbound_waiting(
    conn: &mut Conn,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<Inbound>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT event_id, organisation_id, idempotency_key, document, attempts FROM inbound_document \
         WHERE next_try_at_ms <= $1 ORDER BY attempts, created_at_ms, event_id LIMIT $2",
    )
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(event_id, organisation_id, idempotency_key, document, attempts)| Inbound {
                event_id,
                organisation_id,
                idempotency_key,
                document,
                attempts,
            },
        )
        .collect())
}

/// Removes an inbound document once it was submitted or refused; false if
/// it was already gone (another instance finished it first).
pub async fn inbound_done(conn: &mut Conn, event_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM inbound_document WHERE event_id = $1")
        .bind(event_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a failed try of an inbound document, which stays and is tried
/// again after a wait that doubles with every failure: 2 s, 4 s, … up to
/// five minutes.
pub async fn inbound_failed(
    conn: &mut Conn,
    event_id: &str,
    attempts_before: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE inbound_document SET attempts = attempts + 1, last_error = $2, next_try_at_ms = $3 \
         WHERE event_id = $1",
    )
    .bind(event_id)
    .bind(error)
    .bind(now_ms() + inbound_backoff_ms(attempts_before + 1))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The wait before the next try after `failures` failed tries.
pub fn inbound_backoff_ms(failures: i64) -> i64 {
    let exponent = u32::try_from(failures.clamp(1, 20)).unwrap_or(20);
    2_000i64.saturating_mul(1i64 << (exponent - 1)).min(300_000)
}
