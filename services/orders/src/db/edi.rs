//! Queries of EDI profiles and interchanges.

use renkei_kernel::storage::Conn;

/// One stored profile; `items` and the formats as stored text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileRow {
    /// Owner.
    pub organisation_id: String,
    /// Partner.
    pub partner_id: String,
    /// Owner's interchange id.
    pub own_wire_id: String,
    /// Partner's interchange id.
    pub partner_wire_id: String,
    /// Format name the owner sends.
    pub sends: String,
    /// Format name the owner wants.
    pub wants: String,
    /// Item-code pairs, JSON.
    pub items: String,
    /// Version.
    pub version: i64,
    /// Last change.
    pub updated_at_ms: i64,
}

const PROFILE_COLUMNS: &str = "organisation_id, partner_id, own_wire_id, partner_wire_id, sends, wants, items, version, updated_at_ms";

/// Every profile of an organisation, by partner.
pub async fn profiles_of(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<ProfileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROFILE_COLUMNS} FROM edi_profile WHERE organisation_id = $1 ORDER BY partner_id"
    ))
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await
}

/// An organisation's profile for one partner.
pub async fn profile_get(
    conn: &mut Conn,
    organisation_id: &str,
    partner_id: &str,
) -> Result<Option<ProfileRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PROFILE_COLUMNS} FROM edi_profile WHERE organisation_id = $1 AND partner_id = $2"
    ))
    .bind(organisation_id)
    .bind(partner_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Creates or replaces a profile; the row's version is the new version.
pub async fn profile_save(conn: &mut Conn, row: &ProfileRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO edi_profile ({PROFILE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (organisation_id, partner_id) DO UPDATE SET own_wire_id = excluded.own_wire_id, \
         partner_wire_id = excluded.partner_wire_id, sends = excluded.sends, wants = excluded.wants, \
         items = excluded.items, version = excluded.version, updated_at_ms = excluded.updated_at_ms"
    ))
    .bind(&row.organisation_id)
    .bind(&row.partner_id)
    .bind(&row.own_wire_id)
    .bind(&row.partner_wire_id)
    .bind(&row.sends)
    .bind(&row.wants)
    .bind(&row.items)
    .bind(row.version)
    .bind(row.updated_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes a profile; false when there was none.
pub async fn profile_delete(
    conn: &mut Conn,
    organisation_id: &str,
    partner_id: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM edi_profile WHERE organisation_id = $1 AND partner_id = $2")
            .bind(organisation_id)
            .bind(partner_id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// One interchange, either way.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InterchangeRow {
    /// Id.
    pub interchange_id: String,
    /// The organisation that uploaded or downloaded it.
    pub organisation_id: String,
    /// The partner, when known.
    pub partner_id: Option<String>,
    /// `in` or `out`.
    pub direction: String,
    /// Format name.
    pub format: String,
    /// Sender's interchange id.
    pub sender: String,
    /// Recipient's interchange id.
    pub recipient: String,
    /// Control reference (empty for files without one).
    pub reference: String,
    /// What makes it count once; see the migration.
    pub claim: Option<String>,
    /// `accepted`, `partly_accepted`, `rejected`, `duplicate` or `sent`.
    pub status: String,
    /// What became of each message, JSON.
    pub summary: String,
    /// The file as it was.
    pub body: Vec<u8>,
    /// Format of the acknowledgement, when one was written.
    pub ack_format: Option<String>,
    /// The acknowledgement.
    pub ack: Option<Vec<u8>>,
    /// When.
    pub created_at_ms: i64,
}

const INTERCHANGE_COLUMNS: &str = "interchange_id, organisation_id, partner_id, direction, format, sender, recipient, \
    reference, claim, status, summary, body, ack_format, ack, created_at_ms";

/// Stores an interchange.
pub async fn interchange_insert(conn: &mut Conn, row: &InterchangeRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO edi_interchange ({INTERCHANGE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(&row.interchange_id)
    .bind(&row.organisation_id)
    .bind(&row.partner_id)
    .bind(&row.direction)
    .bind(&row.format)
    .bind(&row.sender)
    .bind(&row.recipient)
    .bind(&row.reference)
    .bind(&row.claim)
    .bind(&row.status)
    .bind(&row.summary)
    .bind(&row.body)
    .bind(&row.ack_format)
    .bind(&row.ack)
    .bind(row.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The interchange holding a claim.
pub async fn interchange_claimed(
    conn: &mut Conn,
    organisation_id: &str,
    claim: &str,
) -> Result<Option<InterchangeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {INTERCHANGE_COLUMNS} FROM edi_interchange WHERE organisation_id = $1 AND claim = $2"
    ))
    .bind(organisation_id)
    .bind(claim)
    .fetch_optional(&mut *conn)
    .await
}

/// An interchange of an organisation by id.
pub async fn interchange_get(
    conn: &mut Conn,
    organisation_id: &str,
    interchange_id: &str,
) -> Result<Option<InterchangeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {INTERCHANGE_COLUMNS} FROM edi_interchange WHERE organisation_id = $1 AND interchange_id = $2"
    ))
    .bind(organisation_id)
    .bind(interchange_id)
    .fetch_optional(&mut *conn)
    .await
}

/// An interchange as listed: everything but the file and the acknowledgement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InterchangeListed {
    /// Id.
    pub interchange_id: String,
    /// The partner, when known.
    pub partner_id: Option<String>,
    /// `in` or `out`.
    pub direction: String,
    /// Format name.
    pub format: String,
    /// Sender's interchange id.
    pub sender: String,
    /// Recipient's interchange id.
    pub recipient: String,
    /// Control reference.
    pub reference: String,
    /// Status.
    pub status: String,
    /// What became of each message, JSON.
    pub summary: String,
    /// Format of the acknowledgement, when one was written.
    pub ack_format: Option<String>,
    /// When.
    pub created_at_ms: i64,
}

/// An organisation's interchanges, newest first.
pub async fn interchanges_of(
    conn: &mut Conn,
    organisation_id: &str,
    limit: i64,
) -> Result<Vec<InterchangeListed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT interchange_id, partner_id, direction, format, sender, recipient, reference, status, \
         summary, ack_format, created_at_ms FROM edi_interchange WHERE organisation_id = $1 \
         ORDER BY created_at_ms DESC, interchange_id DESC LIMIT $2",
    )
    .bind(organisation_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// The next outbound control reference for an organisation's files from a
/// partner, from 1.
pub async fn next_reference(
    conn: &mut Conn,
    organisation_id: &str,
    partner_id: &str,
) -> Result<i64, sqlx::Error> {
    let (next,): (i64,) = sqlx::query_as(
        "INSERT INTO edi_counter (organisation_id, partner_id, next) VALUES ($1, $2, 1) \
         ON CONFLICT (organisation_id, partner_id) DO UPDATE SET next = edi_counter.next + 1 \
         RETURNING next",
    )
    .bind(organisation_id)
    .bind(partner_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(next)
}
