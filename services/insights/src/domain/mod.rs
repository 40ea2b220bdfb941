//! Types of the insights views.

use serde::Serialize;

/// Organisations of one kind in one prefecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema, async_graphql::SimpleObject)]
pub struct RegionCount {
    /// JIS X 0401 prefecture code.
    pub prefecture_code: String,
    /// Organisation kind (`company`, `municipality`, …).
    pub kind: String,
    /// How many have registered.
    pub organisations: i64,
}
