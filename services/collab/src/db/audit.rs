//! Appending to and reading the audit log.

use renkei_kernel::storage::Conn;

use crate::domain::audit::AuditEntry;

/// Appends an entry to the chain inside the caller's transaction. The head
/// row is updated first, so concurrent appends wait for each other.
pub async fn append(conn: &mut Conn, mut entry: AuditEntry) -> Result<AuditEntry, sqlx::Error> {
    let (seq, prev_hash): (i64, String) = sqlx::query_as(
        "UPDATE audit_head SET last_seq = last_seq + 1 WHERE chain = 'main' \
         RETURNING last_seq, last_hash",
    )
    .fetch_one(&mut *conn)
    .await?;
    entry.seq = seq;
    entry.prev_hash = prev_hash;
    entry.entry_hash = entry.compute_hash();
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE chain = 'main'")
        .bind(&entry.entry_hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO audit_entry (audit_seq, at_ms, actor_kind, actor_id, organisation_id, action, \
         target, client_addr, detail, prev_hash, entry_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.seq)
    .bind(entry.at_ms)
    .bind(&entry.actor_kind)
    .bind(&entry.actor_id)
    .bind(entry.organisation_id.as_deref())
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(&entry.client_addr)
    .bind(&entry.detail)
    .bind(&entry.prev_hash)
    .bind(&entry.entry_hash)
    .execute(&mut *conn)
    .await?;
    Ok(entry)
}

type EntryTuple = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
);

const COLUMNS: &str = "audit_seq, at_ms, actor_kind, actor_id, organisation_id, action, target, \
     client_addr, detail, prev_hash, entry_hash";

fn from_tuple(t: EntryTuple) -> AuditEntry {
    AuditEntry {
        seq: t.0,
        at_ms: t.1,
        actor_kind: t.2,
        actor_id: t.3,
        organisation_id: t.4,
        action: t.5,
        target: t.6,
        client_addr: t.7,
        detail: t.8,
        prev_hash: t.9,
        entry_hash: t.10,
    }
}

/// Entries about one organisation, newest first, before `before_seq`.
pub async fn of_organisation(
    conn: &mut Conn,
    organisation_id: &str,
    before_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows: Vec<EntryTuple> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_entry WHERE organisation_id = $1 AND audit_seq < $2 \
         ORDER BY audit_seq DESC LIMIT $3"
    ))
    .bind(organisation_id)
    .bind(before_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(from_tuple).collect())
}

/// A page of the whole chain in order, after `after_seq`.
pub async fn page(
    conn: &mut Conn,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows: Vec<EntryTuple> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_entry WHERE audit_seq > $1 ORDER BY audit_seq LIMIT $2"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(from_tuple).collect())
}

/// The recorded head: how many entries were written and the last hash.
pub async fn head(conn: &mut Conn) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as("SELECT last_seq, last_hash FROM audit_head WHERE chain = 'main'")
        .fetch_one(&mut *conn)
        .await
}
