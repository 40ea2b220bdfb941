//! Queries of the collaboration service. Each takes the caller's connection
//! or transaction; none opens its own.

use renkei_kernel::storage::Conn;

use crate::domain::{LegalName, Organisation, OrganisationKind, Prefecture};

type OrganisationRow = (String, String, String, String, i64);

fn from_row(
    (id, name, kind, prefecture, created): OrganisationRow,
) -> Result<Organisation, sqlx::Error> {
    let corrupt = |e: crate::domain::Invalid| sqlx::Error::Decode(Box::new(e));
    Ok(Organisation {
        organisation_id: id,
        legal_name: LegalName::parse("legal_name", &name).map_err(corrupt)?,
        kind: OrganisationKind::parse("kind", &kind).map_err(corrupt)?,
        prefecture: Prefecture::parse("prefecture_code", &prefecture).map_err(corrupt)?,
        created_at_ms: created,
    })
}

/// Inserts a new organisation.
pub async fn organisation_insert(conn: &mut Conn, o: &Organisation) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO organisation (organisation_id, legal_name, kind, prefecture_code, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&o.organisation_id)
    .bind(o.legal_name.as_str())
    .bind(o.kind.as_str())
    .bind(o.prefecture.code())
    .bind(o.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One organisation by id.
pub async fn organisation_get(
    conn: &mut Conn,
    id: &str,
) -> Result<Option<Organisation>, sqlx::Error> {
    let row: Option<OrganisationRow> = sqlx::query_as(
        "SELECT organisation_id, legal_name, kind, prefecture_code, created_at_ms \
         FROM organisation WHERE organisation_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(from_row).transpose()
}
