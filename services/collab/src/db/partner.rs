//! Queries for the directory, partnerships and collaboration groups.

use renkei_kernel::storage::Conn;

use super::corrupt;
use crate::domain::{
    OrganisationKind,
    partnership::{Group, GroupKind, Partnership, PartnershipKind, PartnershipStatus},
};

/// An organisation as every signed-in user may see it.
#[derive(Debug, Clone)]
pub struct DirectoryRow {
    /// Id.
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: String,
    /// English name.
    pub legal_name_en: Option<String>,
    /// Kind.
    pub kind: OrganisationKind,
    /// Category.
    pub category: Option<String>,
    /// Prefecture code.
    pub prefecture_code: String,
    /// JSIC code.
    pub jsic_code: Option<String>,
    /// Shopping district.
    pub shopping_district: Option<String>,
}

/// Organisations whose name contains `q` (any case), optionally of one kind
/// and prefecture, by name.
pub async fn directory(
    conn: &mut Conn,
    q: &str,
    kind: Option<OrganisationKind>,
    prefecture_code: Option<&str>,
    limit: i64,
) -> Result<Vec<DirectoryRow>, sqlx::Error> {
    let pattern = format!(
        "%{}%",
        q.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    /// An organisation as the directory lists it, its kind still a name.
    type Listed = (
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Listed> =
        sqlx::query_as(
            "SELECT organisation_id, legal_name, legal_name_en, kind, category, prefecture_code, \
             jsic_code, shopping_district FROM organisation \
             WHERE (LOWER(legal_name) LIKE $1 ESCAPE '\\' OR LOWER(COALESCE(legal_name_en, '')) LIKE $1 ESCAPE '\\') \
             AND ($2 = '' OR kind = $2) AND ($3 = '' OR prefecture_code = $3) \
             ORDER BY legal_name, organisation_id LIMIT $4",
        )
        .bind(pattern)
        .bind(kind.map(OrganisationKind::as_str).unwrap_or(""))
        .bind(prefecture_code.unwrap_or(""))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(DirectoryRow {
                organisation_id: r.0,
                legal_name: r.1,
                legal_name_en: r.2,
                kind: OrganisationKind::parse("kind", &r.3).map_err(corrupt)?,
                category: r.4,
                prefecture_code: r.5,
                jsic_code: r.6,
                shopping_district: r.7,
            })
        })
        .collect()
}

/// Whether an organisation exists.
pub async fn organisation_exists(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT organisation_id FROM organisation WHERE organisation_id = $1")
            .bind(organisation_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.is_some())
}

type PartnershipTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    Option<String>,
);

const PARTNERSHIP_COLUMNS: &str = "partnership_id, proposer_id, counterparty_id, kind, buyer_id, \
     status, note, version, proposed_at_ms, changed_at_ms, ended_by_id";

fn partnership_from(t: PartnershipTuple) -> Result<Partnership, sqlx::Error> {
    Ok(Partnership {
        partnership_id: t.0,
        proposer_id: t.1,
        counterparty_id: t.2,
        kind: PartnershipKind::parse("kind", &t.3).map_err(corrupt)?,
        buyer_id: t.4,
        status: PartnershipStatus::parse("status", &t.5).map_err(corrupt)?,
        note: t.6,
        version: t.7,
        proposed_at_ms: t.8,
        changed_at_ms: t.9,
        ended_by_id: t.10,
    })
}

/// Stores a new partnership.
pub async fn partnership_insert(
    conn: &mut Conn,
    p: &Partnership,
    proposed_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO partnership ({PARTNERSHIP_COLUMNS}, proposed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&p.partnership_id)
    .bind(&p.proposer_id)
    .bind(&p.counterparty_id)
    .bind(p.kind.as_str())
    .bind(p.buyer_id.as_deref())
    .bind(p.status.as_str())
    .bind(p.note.as_deref())
    .bind(p.version)
    .bind(p.proposed_at_ms)
    .bind(p.changed_at_ms)
    .bind(p.ended_by_id.as_deref())
    .bind(proposed_by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a partnership to its next status if it is still at `expected_version`;
/// false when someone changed it first.
pub async fn partnership_update(
    conn: &mut Conn,
    p: &Partnership,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE partnership SET status = $2, version = $3, changed_at_ms = $4, ended_by_id = $5 \
         WHERE partnership_id = $1 AND version = $6",
    )
    .bind(&p.partnership_id)
    .bind(p.status.as_str())
    .bind(p.version)
    .bind(p.changed_at_ms)
    .bind(p.ended_by_id.as_deref())
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One partnership that `organisation_id` is a side of.
pub async fn partnership_of(
    conn: &mut Conn,
    organisation_id: &str,
    partnership_id: &str,
) -> Result<Option<Partnership>, sqlx::Error> {
    let row: Option<PartnershipTuple> = sqlx::query_as(&format!(
        "SELECT {PARTNERSHIP_COLUMNS} FROM partnership WHERE partnership_id = $1 \
         AND (proposer_id = $2 OR counterparty_id = $2)"
    ))
    .bind(partnership_id)
    .bind(organisation_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(partnership_from).transpose()
}

/// Every partnership `organisation_id` is a side of, newest change first.
pub async fn partnerships_of(
    conn: &mut Conn,
    organisation_id: &str,
) -> Result<Vec<Partnership>, sqlx::Error> {
    let rows: Vec<PartnershipTuple> = sqlx::query_as(&format!(
        "SELECT {PARTNERSHIP_COLUMNS} FROM partnership WHERE proposer_id = $1 OR counterparty_id = $1 \
         ORDER BY changed_at_ms DESC, partnership_id"
    ))
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(partnership_from).collect()
}

/// The open (proposed or active) partnerships of a kind between two organisations.
pub async fn partnerships_open_between(
    conn: &mut Conn,
    a: &str,
    b: &str,
    kind: PartnershipKind,
) -> Result<Vec<Partnership>, sqlx::Error> {
    let rows: Vec<PartnershipTuple> = sqlx::query_as(&format!(
        "SELECT {PARTNERSHIP_COLUMNS} FROM partnership WHERE kind = $3 \
         AND status IN ('proposed', 'active') \
         AND ((proposer_id = $1 AND counterparty_id = $2) OR (proposer_id = $2 AND counterparty_id = $1))"
    ))
    .bind(a)
    .bind(b)
    .bind(kind.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(partnership_from).collect()
}

/// Stores a group's head row (version 1).
pub async fn group_insert(conn: &mut Conn, g: &Group) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO collab_group (group_id, organiser_id, name, kind, description, version, \
         created_at_ms, changed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&g.group_id)
    .bind(&g.organiser_id)
    .bind(&g.name)
    .bind(g.kind.as_str())
    .bind(g.description.as_deref())
    .bind(g.version)
    .bind(g.created_at_ms)
    .bind(g.changed_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records version `g.version` and its members.
pub async fn group_version_insert(
    conn: &mut Conn,
    g: &Group,
    changed_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO group_version (group_id, version, changed_by_id, changed_at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(&g.group_id)
    .bind(g.version)
    .bind(changed_by)
    .bind(g.changed_at_ms)
    .execute(&mut *conn)
    .await?;
    for member in &g.members {
        sqlx::query(
            "INSERT INTO group_member (group_id, version, organisation_id) VALUES ($1, $2, $3)",
        )
        .bind(&g.group_id)
        .bind(g.version)
        .bind(member)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Moves the head row to a new version if it is still at `expected_version`.
pub async fn group_advance(
    conn: &mut Conn,
    g: &Group,
    expected_version: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE collab_group SET version = $2, name = $3, description = $4, changed_at_ms = $5 \
         WHERE group_id = $1 AND version = $6",
    )
    .bind(&g.group_id)
    .bind(g.version)
    .bind(&g.name)
    .bind(g.description.as_deref())
    .bind(g.changed_at_ms)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A group at `version` (its current one when `None`).
pub async fn group_at(
    conn: &mut Conn,
    group_id: &str,
    version: Option<i64>,
) -> Result<Option<Group>, sqlx::Error> {
    let head: Option<(String, String, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT organiser_id, name, kind, description, version, created_at_ms FROM collab_group WHERE group_id = $1",
    )
    .bind(group_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((organiser_id, name, kind, description, current, created_at_ms)) = head else {
        return Ok(None);
    };
    let version = version.unwrap_or(current);
    let began: Option<(i64,)> = sqlx::query_as(
        "SELECT changed_at_ms FROM group_version WHERE group_id = $1 AND version = $2",
    )
    .bind(group_id)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((changed_at_ms,)) = began else {
        return Ok(None);
    };
    let members: Vec<(String,)> = sqlx::query_as(
        "SELECT organisation_id FROM group_member WHERE group_id = $1 AND version = $2 ORDER BY organisation_id",
    )
    .bind(group_id)
    .bind(version)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Group {
        group_id: group_id.to_string(),
        organiser_id,
        name,
        kind: GroupKind::parse("kind", &kind).map_err(corrupt)?,
        description,
        version,
        members: members.into_iter().map(|(m,)| m).collect(),
        created_at_ms,
        changed_at_ms,
    }))
}

/// Ids of the groups `organisation_id` is a member of now.
pub async fn groups_of(conn: &mut Conn, organisation_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT g.group_id FROM collab_group g JOIN group_member m \
         ON m.group_id = g.group_id AND m.version = g.version \
         WHERE m.organisation_id = $1 ORDER BY g.name, g.group_id",
    )
    .bind(organisation_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(g,)| g).collect())
}
