//! Handlers for apps of IT vendors, installations, delivery logs and the
//! OAuth2 token endpoint.

use axum::{
    Form, Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use renkei_kernel::{ApiError, JsonBody, auth::Caller, error::ErrorBody};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{TAG, partners::DIRECTORY_TAG};
use crate::{
    app::{App, AppCredentials, NewApp, OAuthError},
    db::app::{AppRow, DeliveryRow, InstallationRow},
    domain::app::AppScope,
};

/// Routes of this module.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(app_create, app_list))
        .routes(routes!(app_catalogue))
        .routes(routes!(app_installation_list))
        .routes(routes!(app_credentials_create))
        .routes(routes!(app_delivery_list))
        .routes(routes!(installation_create, installation_list))
        .routes(routes!(installation_remove))
        .routes(routes!(oauth_token))
}

/// Request to register an app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "まち受発注コネクタ", "description": "販売管理ソフトと受発注をつなぎます", "webhook_url": "https://hooks.machi-it.example.jp/renkei", "scopes": ["organisation:read", "messages:read"], "events": ["collab.message.posted"]}))]
pub struct AppCreate {
    /// Name, 1–200 characters.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
    /// Where events are delivered: `https://…` (or `http://127.0.0.1…` for development).
    pub webhook_url: Option<String>,
    /// Scopes it asks installing organisations for.
    pub scopes: Vec<AppScope>,
    /// Event types it subscribes to, e.g. `collab.message.posted`.
    #[serde(default)]
    pub events: Vec<String>,
}

/// An app.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AppView {
    /// Id.
    pub app_id: String,
    /// The IT vendor.
    pub vendor_id: String,
    /// Name.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
    /// Where events go.
    pub webhook_url: Option<String>,
    /// Scopes it asks for.
    pub scopes: Vec<AppScope>,
    /// Event types it subscribes to.
    pub events: Vec<String>,
}

impl From<AppRow> for AppView {
    fn from(a: AppRow) -> Self {
        AppView {
            app_id: a.app_id,
            vendor_id: a.vendor_id,
            name: a.name,
            description: a.description,
            webhook_url: a.webhook_url,
            scopes: a.scopes,
            events: a.events,
        }
    }
}

/// Request to install an app.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"app_id": "01936f0e-0000-7000-8000-000000000006", "scopes": ["organisation:read"]}))]
pub struct InstallationCreate {
    /// The app (from the catalogue).
    pub app_id: String,
    /// The scopes you grant; a subset of what it asks for.
    pub scopes: Vec<AppScope>,
}

/// An installation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InstallationView {
    /// Id.
    pub installation_id: String,
    /// The app.
    pub app_id: String,
    /// The organisation that installed it.
    pub organisation_id: String,
    /// Granted scopes.
    pub scopes: Vec<AppScope>,
    /// OAuth2 client id of this installation.
    pub client_id: String,
    /// `installed` or `uninstalled`.
    pub status: String,
    /// Installed (ms).
    pub installed_at_ms: i64,
}

impl From<InstallationRow> for InstallationView {
    fn from(i: InstallationRow) -> Self {
        InstallationView {
            status: if i.uninstalled_at_ms.is_some() {
                "uninstalled"
            } else {
                "installed"
            }
            .into(),
            installation_id: i.installation_id,
            app_id: i.app_id,
            organisation_id: i.organisation_id,
            scopes: i.scopes,
            client_id: i.client_id,
            installed_at_ms: i.installed_at_ms,
        }
    }
}

/// Credentials of an installation; the secrets are shown only here.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CredentialsView {
    /// Installation.
    pub installation_id: String,
    /// OAuth2 client id.
    pub client_id: String,
    /// OAuth2 client secret.
    pub client_secret: String,
    /// Key of the `Renkei-Signature` HMAC on deliveries.
    pub webhook_secret: String,
}

impl From<AppCredentials> for CredentialsView {
    fn from(c: AppCredentials) -> Self {
        CredentialsView {
            installation_id: c.installation_id,
            client_id: c.client_id,
            client_secret: c.client_secret,
            webhook_secret: c.webhook_secret,
        }
    }
}

/// One webhook delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// Id (also sent as `Renkei-Delivery`).
    pub delivery_id: String,
    /// To which installation.
    pub installation_id: String,
    /// The event.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Next attempt (ms), while pending.
    pub next_attempt_at_ms: Option<i64>,
    /// Last HTTP status the app answered.
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Queued (ms).
    pub created_at_ms: i64,
    /// Delivered (ms).
    pub delivered_at_ms: Option<i64>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        DeliveryView {
            next_attempt_at_ms: (d.status == "pending").then_some(d.next_attempt_at_ms),
            delivery_id: d.delivery_id,
            installation_id: d.installation_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at_ms: d.created_at_ms,
            delivered_at_ms: d.delivered_at_ms,
        }
    }
}

/// Registers an app (admins of an IT vendor).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/apps",
    tag = TAG,
    security(("bearer" = [])),
    request_body = AppCreate,
    params(("organisation_id" = String, Path, description = "Your IT vendor organisation")),
    responses(
        (status = 201, description = "Registered", body = AppView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an IT vendor's admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn app_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<AppCreate>,
) -> Result<(StatusCode, Json<AppView>), ApiError> {
    let registered = app
        .app_register(
            &caller,
            &organisation_id,
            NewApp {
                name: body.name,
                description: body.description,
                webhook_url: body.webhook_url,
                scopes: body.scopes,
                events: body.events,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(registered.into())))
}

/// The vendor's apps.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/apps",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your IT vendor organisation")),
    responses(
        (status = 200, description = "Apps", body = [AppView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn app_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<AppView>>, ApiError> {
    let list = app.app_list(&caller, &organisation_id).await?;
    Ok(Json(list.into_iter().map(AppView::from).collect()))
}

/// Every app, to choose one to install.
#[utoipa::path(
    get,
    path = "/apps",
    tag = DIRECTORY_TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The catalogue", body = [AppView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn app_catalogue(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<Vec<AppView>>, ApiError> {
    let list = app.app_catalogue(&caller).await?;
    Ok(Json(list.into_iter().map(AppView::from).collect()))
}

/// Installations of one of the vendor's apps (its admins).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/apps/{app_id}/installations",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your IT vendor organisation"),
        ("app_id" = String, Path, description = "App id"),
    ),
    responses(
        (status = 200, description = "Installations", body = [InstallationView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not one of your apps", body = ErrorBody),
    )
)]
async fn app_installation_list(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, app_id)): Path<(String, String)>,
) -> Result<Json<Vec<InstallationView>>, ApiError> {
    let list = app
        .app_installations(&caller, &organisation_id, &app_id)
        .await?;
    Ok(Json(list.into_iter().map(InstallationView::from).collect()))
}

/// Issues new credentials for an installation of your app (its admins). The
/// secrets are shown once; the previous ones stop working.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/apps/{app_id}/installations/{installation_id}/credentials",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your IT vendor organisation"),
        ("app_id" = String, Path, description = "App id"),
        ("installation_id" = String, Path, description = "Installation id"),
    ),
    responses(
        (status = 200, description = "New credentials", body = CredentialsView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not an installation of your app", body = ErrorBody),
    )
)]
async fn app_credentials_create(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, app_id, installation_id)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let c = app
        .app_credentials(&caller, &organisation_id, &app_id, &installation_id)
        .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(CredentialsView::from(c)),
    ))
}

/// The delivery log of one of your apps, newest first (its admins).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/apps/{app_id}/deliveries",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your IT vendor organisation"),
        ("app_id" = String, Path, description = "App id"),
    ),
    responses(
        (status = 200, description = "Deliveries", body = [DeliveryView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not one of your apps", body = ErrorBody),
    )
)]
async fn app_delivery_list(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, app_id)): Path<(String, String)>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    let list = app
        .app_deliveries(&caller, &organisation_id, &app_id)
        .await?;
    Ok(Json(list.into_iter().map(DeliveryView::from).collect()))
}

/// Installs an app and grants it scopes (admins).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/installations",
    tag = TAG,
    security(("bearer" = [])),
    request_body = InstallationCreate,
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 201, description = "Installed", body = InstallationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 409, description = "Already installed", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn installation_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<InstallationCreate>,
) -> Result<(StatusCode, Json<InstallationView>), ApiError> {
    let i = app
        .installation_create(&caller, &organisation_id, &body.app_id, &body.scopes)
        .await?;
    Ok((StatusCode::CREATED, Json(i.into())))
}

/// The organisation's installed (and uninstalled) apps.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/installations",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Installations", body = [InstallationView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn installation_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<InstallationView>>, ApiError> {
    let list = app.installation_list(&caller, &organisation_id).await?;
    Ok(Json(list.into_iter().map(InstallationView::from).collect()))
}

/// Uninstalls an app (admins): its tokens stop working at once.
#[utoipa::path(
    delete,
    path = "/organisations/{organisation_id}/installations/{installation_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("installation_id" = String, Path, description = "Installation id"),
    ),
    responses(
        (status = 204, description = "Uninstalled"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
        (status = 409, description = "Already uninstalled", body = ErrorBody),
    )
)]
async fn installation_remove(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, installation_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.installation_remove(&caller, &organisation_id, &installation_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A token request (RFC 6749 §4.4), form-encoded.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: String,
    /// The installation's client id (or use HTTP Basic).
    pub client_id: Option<String>,
    /// Its client secret (or use HTTP Basic).
    pub client_secret: Option<String>,
    /// Space-separated subset of the granted scopes; all when omitted.
    pub scope: Option<String>,
}

/// A token answer (RFC 6749 §5.1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// The scopes it carries.
    pub scope: String,
}

/// A refusal (RFC 6749 §5.2).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenError {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    /// What was wrong.
    pub error_description: String,
}

fn token_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(TokenError {
            error: error.into(),
            error_description: description.into(),
        }),
    )
        .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// OAuth2 client credentials for one app installation: exchanges its client
/// id and secret (form fields or HTTP Basic) for an access token carrying the
/// installation's organisation and granted scopes. Errors follow RFC 6749.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = TAG,
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "A token", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_scope`", body = TokenError),
        (status = 401, description = "`invalid_client`: unknown client, wrong secret or uninstalled", body = TokenError),
        (status = 500, description = "Unexpected failure", body = ErrorBody),
    )
)]
async fn oauth_token(
    State(app): State<App>,
    headers: HeaderMap,
    form: Result<Form<TokenRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(request)) = form else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send grant_type, client_id and client_secret as application/x-www-form-urlencoded",
        );
    };
    if request.grant_type != "client_credentials" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only grant_type=client_credentials is supported",
        );
    }
    let credentials = basic_credentials(&headers).or(request.client_id.zip(request.client_secret));
    let Some((client_id, client_secret)) = credentials else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id and client_secret are required",
        );
    };
    match app
        .oauth_token(&client_id, &client_secret, request.scope.as_deref())
        .await
    {
        Ok((access_token, scopes, expires_in)) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(TokenResponse {
                access_token,
                token_type: "Bearer".into(),
                expires_in,
                scope: AppScope::join(&scopes),
            }),
        )
            .into_response(),
        Err(OAuthError::InvalidClient) => token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client, wrong secret, or the app was uninstalled",
        ),
        Err(OAuthError::InvalidScope(why)) => {
            token_error(StatusCode::BAD_REQUEST, "invalid_scope", why)
        }
        Err(OAuthError::App(e)) => ApiError::from(e).into_response(),
    }
}
