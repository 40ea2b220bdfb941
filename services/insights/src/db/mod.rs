//! Queries of the insights service.

use renkei_kernel::storage::Conn;

use crate::domain::RegionCount;

/// Adds one organisation to its prefecture and kind.
pub async fn region_count_increment(
    conn: &mut Conn,
    prefecture_code: &str,
    kind: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO region_count (prefecture_code, kind, organisations) VALUES ($1, $2, 1) \
         ON CONFLICT (prefecture_code, kind) DO UPDATE SET organisations = region_count.organisations + 1",
    )
    .bind(prefecture_code)
    .bind(kind)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every prefecture and kind with at least one organisation.
pub async fn region_count_list(conn: &mut Conn) -> Result<Vec<RegionCount>, sqlx::Error> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT prefecture_code, kind, organisations FROM region_count ORDER BY prefecture_code, kind",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(prefecture_code, kind, organisations)| RegionCount {
            prefecture_code,
            kind,
            organisations,
        })
        .collect())
}
