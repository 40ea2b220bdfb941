//! Queries for consents and message threads.

use renkei_kernel::storage::Conn;

use super::corrupt;
use crate::domain::consent::{Consent, ConsentScope, Message, Thread};

type ConsentTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

const CONSENT_COLUMNS: &str = "consent_id, grantor_id, grantee_id, scopes, purpose, granted_at_ms, expires_at_ms, revoked_at_ms";

fn consent_from(t: ConsentTuple) -> Result<Consent, sqlx::Error> {
    Ok(Consent {
        consent_id: t.0,
        grantor_id: t.1,
        grantee_id: t.2,
        scopes: ConsentScope::parse_list("scopes", &t.3).map_err(corrupt)?,
        purpose: t.4,
        granted_at_ms: t.5,
        expires_at_ms: t.6,
        revoked_at_ms: t.7,
    })
}

/// Stores a consent.
pub async fn consent_insert(
    conn: &mut Conn,
    c: &Consent,
    granted_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO consent ({CONSENT_COLUMNS}, granted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&c.consent_id)
    .bind(&c.grantor_id)
    .bind(&c.grantee_id)
    .bind(ConsentScope::join(&c.scopes))
    .bind(&c.purpose)
    .bind(c.granted_at_ms)
    .bind(c.expires_at_ms)
    .bind(c.revoked_at_ms)
    .bind(granted_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Consents the organisation granted or received, newest first.
pub async fn consents_of(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<Consent>, sqlx::Error> {
    let rows: Vec<ConsentTuple> = sqlx::query_as(&format!(
        "SELECT {CONSENT_COLUMNS} FROM consent WHERE grantor_id = $1 OR grantee_id = $1 \
         ORDER BY granted_at_ms DESC, consent_id"
    ))
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(consent_from).collect()
}

/// One consent the organisation granted.
pub async fn consent_granted(
    conn: &mut Conn,
    grantor_id: &str,
    consent_id: &str,
) -> Result<Option<Consent>, sqlx::Error> {
    let row: Option<ConsentTuple> = sqlx::query_as(&format!(
        "SELECT {CONSENT_COLUMNS} FROM consent WHERE consent_id = $1 AND grantor_id = $2"
    ))
    .bind(consent_id)
    .bind(grantor_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(consent_from).transpose()
}

/// Every consent from `grantor_id` to `grantee_id`.
pub async fn consents_between(
    conn: &mut Conn,
    grantor_id: &str,
    grantee_id: &str,
) -> Result<Vec<Consent>, sqlx::Error> {
    let rows: Vec<ConsentTuple> = sqlx::query_as(&format!(
        "SELECT {CONSENT_COLUMNS} FROM consent WHERE grantor_id = $1 AND grantee_id = $2"
    ))
    .bind(grantor_id)
    .bind(grantee_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(consent_from).collect()
}

/// Revokes a consent; false if it already was.
pub async fn consent_revoke(
    conn: &mut Conn,
    consent_id: &str,
    by: &str,
    at_ms: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE consent SET revoked_at_ms = $2, revoked_by = $3 WHERE consent_id = $1 AND revoked_at_ms IS NULL",
    )
    .bind(consent_id)
    .bind(at_ms)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the two have an active partnership or share a group now.
pub async fn connected(conn: &mut Conn, a: &str, b: &str) -> Result<bool, sqlx::Error> {
    let partners: Option<(String,)> = sqlx::query_as(
        "SELECT partnership_id FROM partnership WHERE status = 'active' \
         AND ((proposer_id = $1 AND counterparty_id = $2) OR (proposer_id = $2 AND counterparty_id = $1)) LIMIT 1",
    )
    .bind(a)
    .bind(b)
    .fetch_optional(&mut *conn)
    .await?;
    if partners.is_some() {
        return Ok(true);
    }
    let group: Option<(String,)> = sqlx::query_as(
        "SELECT g.group_id FROM collab_group g \
         JOIN group_member x ON x.group_id = g.group_id AND x.version = g.version AND x.organisation_id = $1 \
         JOIN group_member y ON y.group_id = g.group_id AND y.version = g.version AND y.organisation_id = $2 LIMIT 1",
    )
    .bind(a)
    .bind(b)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(group.is_some())
}

/// Starts a thread with its participants (nothing read yet).
pub async fn thread_insert(conn: &mut Conn, t: &Thread) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO thread (thread_id, subject, document_urn, created_by_id, created_at_ms, last_seq, last_message_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 0, $5)",
    )
    .bind(&t.thread_id)
    .bind(&t.subject)
    .bind(t.document_urn.as_deref())
    .bind(&t.created_by_id)
    .bind(t.created_at_ms)
    .execute(&mut *conn)
    .await?;
    for p in &t.participants {
        sqlx::query("INSERT INTO thread_participant (thread_id, organisation_id, last_read_seq) VALUES ($1, $2, 0)")
            .bind(&t.thread_id)
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Appends a message: takes the next position (this row update also
/// serialises concurrent posts to one thread) and marks it read by its author.
pub async fn message_append(
    conn: &mut Conn,
    thread_id: &str,
    m: &Message,
) -> Result<i64, sqlx::Error> {
    let (seq,): (i64,) = sqlx::query_as(
        "UPDATE thread SET last_seq = last_seq + 1, last_message_at_ms = $2 WHERE thread_id = $1 RETURNING last_seq",
    )
    .bind(thread_id)
    .bind(m.created_at_ms)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO message (thread_id, seq, message_id, author_org_id, author_user_id, body, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(thread_id)
    .bind(seq)
    .bind(&m.message_id)
    .bind(&m.author_org_id)
    .bind(&m.author_user_id)
    .bind(&m.body)
    .bind(m.created_at_ms)
    .execute(&mut *conn)
    .await?;
    mark_read(conn, thread_id, &m.author_org_id, seq).await?;
    Ok(seq)
}

/// Moves an organisation's read mark forward (never back).
pub async fn mark_read(
    conn: &mut Conn,
    thread_id: &str,
    organisation_id: &str,
    up_to: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE thread_participant SET last_read_seq = $3 \
         WHERE thread_id = $1 AND organisation_id = $2 AND last_read_seq < $3",
    )
    .bind(thread_id)
    .bind(organisation_id)
    .bind(up_to)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

type ThreadTuple = (String, String, Option<String>, String, i64, i64, i64, i64);

async fn with_participants(conn: &mut Conn, t: ThreadTuple) -> Result<Thread, sqlx::Error> {
    let participants: Vec<(String,)> = sqlx::query_as(
        "SELECT organisation_id FROM thread_participant WHERE thread_id = $1 ORDER BY organisation_id",
    )
    .bind(&t.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Thread {
        thread_id: t.0,
        subject: t.1,
        document_urn: t.2,
        created_by_id: t.3,
        participants: participants.into_iter().map(|(p,)| p).collect(),
        created_at_ms: t.4,
        last_seq: t.5,
        last_message_at_ms: t.6,
        last_read_seq: t.7,
    })
}

const THREAD_SELECT: &str = "SELECT t.thread_id, t.subject, t.document_urn, t.created_by_id, t.created_at_ms, \
     t.last_seq, t.last_message_at_ms, p.last_read_seq FROM thread t \
     JOIN thread_participant p ON p.thread_id = t.thread_id AND p.organisation_id = $1";

/// One thread the organisation takes part in.
pub async fn thread_of(
    conn: &mut Conn,
    organisation_id: &str,
    thread_id: &str,
) -> Result<Option<Thread>, sqlx::Error> {
    let row: Option<ThreadTuple> =
        sqlx::query_as(&format!("{THREAD_SELECT} WHERE t.thread_id = $2"))
            .bind(organisation_id)
            .bind(thread_id)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some(t) => with_participants(conn, t).await.map(Some),
        None => Ok(None),
    }
}

/// The organisation's threads, latest message first, optionally about one document.
pub async fn threads_of(
    conn: &mut Conn,
    organisation_id: &str,
    document_urn: Option<&str>,
    limit: i64,
) -> Result<Vec<Thread>, sqlx::Error> {
    let rows: Vec<ThreadTuple> = sqlx::query_as(&format!(
        "{THREAD_SELECT} WHERE ($2 = '' OR t.document_urn = $2) ORDER BY t.last_message_at_ms DESC, t.thread_id LIMIT $3"
    ))
    .bind(organisation_id)
    .bind(document_urn.unwrap_or(""))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut threads = Vec::with_capacity(rows.len());
    for t in rows {
        threads.push(with_participants(conn, t).await?);
    }
    Ok(threads)
}

/// Messages of a thread in order.
pub async fn messages(conn: &mut Conn, thread_id: &str) -> Result<Vec<Message>, sqlx::Error> {
    let rows: Vec<(String, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT message_id, seq, author_org_id, author_user_id, body, created_at_ms FROM message \
         WHERE thread_id = $1 ORDER BY seq",
    )
    .bind(thread_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Message {
            message_id: r.0,
            seq: r.1,
            author_org_id: r.2,
            author_user_id: r.3,
            body: r.4,
            created_at_ms: r.5,
        })
        .collect())
}

/// How many threads have unread messages for the organisation, and how many messages.
pub async fn unread(conn: &mut Conn, organisation_id: &str) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(t.last_seq - p.last_read_seq), 0) AS BIGINT) \
         FROM thread_participant p JOIN thread t ON t.thread_id = p.thread_id \
         WHERE p.organisation_id = $1 AND t.last_seq > p.last_read_seq",
    )
    .bind(organisation_id)
    .fetch_one(&mut *conn)
    .await
}

/// Partnerships proposed to the organisation and waiting for its answer.
pub async fn proposals_waiting(conn: &mut Conn, organisation_id: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM partnership WHERE counterparty_id = $1 AND status = 'proposed'",
    )
    .bind(organisation_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n)
}
