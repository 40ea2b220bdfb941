//! HTTP edge of the insights service.

use async_graphql::{Context, Object};
use axum::{Json, extract::State};
use renkei_kernel::{ApiError, error::ErrorBody};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{app::App, domain::RegionCount};

/// Tag of every insights operation in the OpenAPI document.
pub const TAG: &str = "insights";

/// Routes under `/api/insights`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(region_list))
}

/// Organisations per prefecture and kind (counts only; no single firm).
#[utoipa::path(
    get,
    path = "/regions",
    tag = TAG,
    responses(
        (status = 200, description = "Counts per prefecture and kind", body = [RegionCount]),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
async fn region_list(State(app): State<App>) -> Result<Json<Vec<RegionCount>>, ApiError> {
    Ok(Json(app.regions().await?))
}

/// Queries of the insights service.
#[derive(Default)]
pub struct InsightsQuery;

#[Object]
impl InsightsQuery {
    /// Organisations per prefecture and kind.
    async fn regions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RegionCount>> {
        let app = ctx.data::<App>().map_err(|_| {
            async_graphql::Error::new("the insights service does not run in this process")
        })?;
        app.regions()
            .await
            .map_err(|e| async_graphql::Error::new(ApiError::from(e).message))
    }
}
