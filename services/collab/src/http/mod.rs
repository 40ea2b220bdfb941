//! HTTP edge of the collaboration service: thin REST handlers (documented
//! with utoipa) and its part of the GraphQL schema. Handlers only extract,
//! call the app layer and map the result.

pub mod graphql;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use renkei_kernel::{ApiError, JsonBody, error::ErrorBody, idempotency};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::{App, Registered},
    domain::{NewOrganisation, Organisation, OrganisationKind},
};

/// Tag of every collab operation in the OpenAPI document.
pub const TAG: &str = "collab";

/// Routes under `/api/collab`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(organisation_create))
        .routes(routes!(organisation_view))
}

/// Request to register an organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationCreate {
    /// Legal name as registered (Japanese allowed), 1–200 characters.
    #[schema(example = "株式会社 山田製作所")]
    pub legal_name: String,
    /// `company`, `municipality`, `supporter`, `it_vendor` or `platform_operator`.
    #[schema(example = "company")]
    pub kind: String,
    /// JIS X 0401 prefecture code, `01`–`47`.
    #[schema(example = "13")]
    pub prefecture_code: String,
}

/// An organisation as the API shows it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationView {
    /// Id (also the tenant id).
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: String,
    /// Kind.
    pub kind: OrganisationKind,
    /// JIS X 0401 prefecture code.
    pub prefecture_code: String,
    /// Prefecture name in Japanese.
    pub prefecture_name: String,
    /// Registration time in milliseconds since the Unix epoch (UTC).
    pub created_at_ms: i64,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        OrganisationView {
            organisation_id: o.organisation_id,
            legal_name: o.legal_name.as_str().to_string(),
            kind: o.kind,
            prefecture_code: o.prefecture.code(),
            prefecture_name: o.prefecture.name_ja().to_string(),
            created_at_ms: o.created_at_ms,
        }
    }
}

/// Registers an organisation. Send an `Idempotency-Key` header to make
/// retries safe: a repeat returns the first result (200) and changes nothing.
#[utoipa::path(
    post,
    path = "/organisations",
    tag = TAG,
    request_body = OrganisationCreate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Registered", body = OrganisationView),
        (status = 200, description = "Same request with the same Idempotency-Key: the first result", body = OrganisationView),
        (status = 400, description = "Body is not valid JSON of this shape", body = ErrorBody),
        (status = 409, description = "Idempotency-Key reused for another request", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn organisation_create(
    State(app): State<App>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<OrganisationCreate>,
) -> Result<impl IntoResponse, ApiError> {
    let input = NewOrganisation::parse(&body.legal_name, &body.kind, &body.prefecture_code)
        .map_err(crate::app::AppError::from)?;
    let key = headers
        .get(idempotency::HEADER)
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))
        })
        .transpose()?;
    let (organisation, outcome) = app.organisation_register(input, key).await?;
    let status = match outcome {
        Registered::Created => StatusCode::CREATED,
        Registered::Replayed => StatusCode::OK,
    };
    let location = format!("/api/collab/organisations/{}", organisation.organisation_id);
    Ok((
        status,
        [(header::LOCATION, location)],
        axum::Json(OrganisationView::from(organisation)),
    ))
}

/// One organisation by id.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}",
    tag = TAG,
    params(("organisation_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Found", body = OrganisationView),
        (status = 404, description = "No such organisation", body = ErrorBody),
    )
)]
async fn organisation_view(
    State(app): State<App>,
    Path(organisation_id): Path<String>,
) -> Result<axum::Json<OrganisationView>, ApiError> {
    let organisation = app.organisation_view(&organisation_id).await?;
    Ok(axum::Json(organisation.into()))
}
