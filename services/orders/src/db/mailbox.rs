//! Queries of the EDI mailbox: the documents addressed to an organisation,
//! waiting until it collects them in an interchange.

use renkei_kernel::storage::Conn;

use super::DocumentRow;

/// The columns of a new mailbox entry, in the order [`mailbox_insert`]
/// binds them: the document, its receiver, its sender, its kind, when.
pub(crate) const MAILBOX_COLUMNS: &str =
    "document_id, organisation_id, partner_id, kind, created_at_ms";

/// Puts a document into its receiver's mailbox (in the submission's transaction).
pub async fn mailbox_insert(
    conn: &mut Conn,
    document: &DocumentRow,
    receiver_id: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!("INSERT INTO mailbox_entry ({MAILBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5)");
    sqlx::query(&sql)
        .bind(&document.document_id)
        .bind(receiver_id)
        .bind(&document.sender_id)
        .bind(&document.kind)
        .bind(document.created_at_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What waits from one partner, of one kind.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Waiting {
    /// The partner that sent them.
    pub partner_id: String,
    /// Their kind.
    pub kind: String,
    /// How many.
    pub waiting: i64,
    /// When the oldest arrived.
    pub oldest_at_ms: i64,
}

/// Everything waiting in an organisation's mailbox, by partner and kind.
pub async fn mailbox_waiting(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<Waiting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT partner_id, kind, COUNT(*) AS waiting, MIN(created_at_ms) AS oldest_at_ms \
         FROM mailbox_entry WHERE organisation_id = $1 AND interchange_id IS NULL \
         GROUP BY partner_id, kind ORDER BY partner_id, kind",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await
}

/// How many documents from `partner_id` wait for `organisation_id`.
pub async fn mailbox_count(
    conn: &mut Conn,
    organisation_id: &str,
    partner_id: &str,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM mailbox_entry \
         WHERE organisation_id = $1 AND partner_id = $2 AND interchange_id IS NULL",
    )
    .bind(organisation_id)
    .bind(partner_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n)
}

/// Holds the control-reference counter of an organisation's files from a
/// partner until the transaction ends, creating it when needed. Collectors
/// of the same mailbox take it first, so on PostgreSQL they queue on one
/// row instead of meeting on several document rows in different orders;
/// on SQLite the transaction already holds the write lock.
pub async fn counter_hold(
    conn: &mut Conn,
    organisation_id: &str,
    partner_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO edi_counter (organisation_id, partner_id, next) VALUES ($1, $2, 0) \
         ON CONFLICT (organisation_id, partner_id) DO UPDATE SET next = edi_counter.next",
    )
    .bind(organisation_id)
    .bind(partner_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Claims the oldest `limit` documents from `partner_id` waiting for
/// `organisation_id` for `interchange_id`, and returns them in the order
/// they arrived. The claim is a conditional update of each row: on
/// PostgreSQL a concurrent collector waits for this transaction's row
/// locks and then finds the rows taken (the `interchange_id IS NULL`
/// condition is checked again on the committed row); on SQLite the
/// transaction holds the write lock. Either way a document goes into one
/// interchange only.
pub async fn mailbox_claim(
    conn: &mut Conn,
    organisation_id: &str,
    partner_id: &str,
    interchange_id: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<DocumentRow>, sqlx::Error> {
    sqlx::query(
        "UPDATE mailbox_entry SET interchange_id = $1, collected_at_ms = $2 \
         WHERE interchange_id IS NULL AND document_id IN ( \
           SELECT w.document_id FROM mailbox_entry w \
           JOIN order_document o ON o.document_id = w.document_id \
           WHERE w.organisation_id = $3 AND w.partner_id = $4 AND w.interchange_id IS NULL \
           ORDER BY w.created_at_ms, o.order_id, o.version LIMIT $5)",
    )
    .bind(interchange_id)
    .bind(now_ms)
    .bind(organisation_id)
    .bind(partner_id)
    .bind(limit)
    .execute(&mut *conn)
    .await?;
    sqlx::query_as(
        "SELECT d.document_id, d.order_id, d.version, d.kind, d.number, d.sender_id, d.channel, \
         d.body, d.created_at_ms FROM mailbox_entry m \
         JOIN order_document d ON d.document_id = m.document_id \
         WHERE m.interchange_id = $1 AND m.organisation_id = $2 \
         ORDER BY m.created_at_ms, d.order_id, d.version",
    )
    .bind(interchange_id)
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await
}
