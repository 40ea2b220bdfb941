//! HTTP edge of the collaboration service: thin REST handlers (documented
//! with utoipa) and its part of the GraphQL schema. Handlers only extract,
//! call the app layer and map the result.
//!
//! Every operation that needs a signed-in caller declares the `bearer`
//! security requirement in the OpenAPI document; the tenant-isolation test
//! walks exactly those.

pub mod apps;
pub mod graphql;
pub mod messages;
pub mod partners;
mod views;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use renkei_kernel::{
    ApiError, JsonBody,
    auth::{Caller, ClientAddr, Jwks},
    error::ErrorBody,
    idempotency,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use views::*;

use crate::{
    app::{App, AppError, Invite, Registered, SignUp},
    domain::{NewOrganisation, account::Email},
};

/// Tag of every collab operation in the OpenAPI document.
pub const TAG: &str = "collab";

/// Name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";

/// Routes under `/api/collab`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(user_sign_up))
        .routes(routes!(session_sign_in))
        .routes(routes!(session_refresh))
        .routes(routes!(session_sign_out))
        .routes(routes!(session_sign_out_everywhere))
        .routes(routes!(me_view))
        .routes(routes!(jwks_view))
        .routes(routes!(signing_key_rotate))
        .routes(routes!(organisation_create))
        .routes(routes!(organisation_view, organisation_update))
        .routes(routes!(member_list))
        .routes(routes!(member_update, member_remove))
        .routes(routes!(invitation_create, invitation_list))
        .routes(routes!(invitation_revoke))
        .routes(routes!(invitation_accept))
        .routes(routes!(audit_list))
        .merge(partners::router())
        .merge(messages::router())
        .merge(apps::router())
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    headers
        .get(idempotency::HEADER)
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))
        })
        .transpose()
}

/// Creates an account. The password needs at least 10 characters, 5 of them
/// different, and must not be a well-known password or contain the email.
#[utoipa::path(
    post,
    path = "/auth/sign-up",
    tag = TAG,
    request_body = SignUpRequest,
    responses(
        (status = 201, description = "Account created; sign in next", body = UserView),
        (status = 400, description = "Body is not valid JSON of this shape", body = ErrorBody),
        (status = 409, description = "`email_taken`: an account with this email exists", body = ErrorBody),
        (status = 422, description = "`invalid_input` or `weak_password`", body = ErrorBody),
    )
)]
async fn user_sign_up(
    State(app): State<App>,
    ClientAddr(addr): ClientAddr,
    JsonBody(body): JsonBody<SignUpRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let input = SignUp::parse(&body.email, &body.password, &body.display_name)?;
    let user = app.sign_up(input, &addr).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Signs in. Wrong email and wrong password get the same answer; after
/// repeated failures the email is locked for a while (`429`, `Retry-After`).
#[utoipa::path(
    post,
    path = "/auth/sign-in",
    tag = TAG,
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPairView),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 404, description = "Not a member of the requested organisation", body = ErrorBody),
        (status = 422, description = "The email is not an email address", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: locked; see `Retry-After`", body = ErrorBody),
    )
)]
async fn session_sign_in(
    State(app): State<App>,
    ClientAddr(addr): ClientAddr,
    JsonBody(body): JsonBody<SignInRequest>,
) -> Result<Json<TokenPairView>, ApiError> {
    let pair = app
        .sign_in(
            &body.email,
            &body.password,
            body.organisation_id.as_deref(),
            &addr,
        )
        .await?;
    Ok(Json(pair.into()))
}

/// Exchanges a refresh token for a new pair; the old one is spent. Give
/// `organisation_id` to switch to another of your organisations. Presenting a
/// spent token ends the whole sign-in session.
#[utoipa::path(
    post,
    path = "/auth/refresh",
    tag = TAG,
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPairView),
        (status = 401, description = "Refresh token unknown, spent, expired or revoked", body = ErrorBody),
        (status = 404, description = "Not a member of the requested organisation", body = ErrorBody),
    )
)]
async fn session_refresh(
    State(app): State<App>,
    ClientAddr(addr): ClientAddr,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Result<Json<TokenPairView>, ApiError> {
    let pair = app
        .refresh(&body.refresh_token, body.organisation_id.as_deref(), &addr)
        .await?;
    Ok(Json(pair.into()))
}

/// Ends the sign-in session of a refresh token.
#[utoipa::path(
    post,
    path = "/auth/sign-out",
    tag = TAG,
    request_body = SignOutRequest,
    responses(
        (status = 204, description = "Signed out (also when it already was)"),
        (status = 400, description = "Body is not valid JSON of this shape", body = ErrorBody),
    )
)]
async fn session_sign_out(
    State(app): State<App>,
    ClientAddr(addr): ClientAddr,
    JsonBody(body): JsonBody<SignOutRequest>,
) -> Result<StatusCode, ApiError> {
    app.sign_out(&body.refresh_token, &addr).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every sign-in session of the caller, on every device. Access tokens
/// already handed out stop working in collab at once and elsewhere when they
/// expire (`auth.access_token_ttl_secs`).
#[utoipa::path(
    post,
    path = "/auth/sign-out-everywhere",
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Sessions ended", body = SignedOutView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn session_sign_out_everywhere(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<SignedOutView>, ApiError> {
    let sessions_ended = app.sign_out_everywhere(&caller).await?;
    Ok(Json(SignedOutView { sessions_ended }))
}

/// The signed-in user and their organisations.
#[utoipa::path(
    get,
    path = "/auth/me",
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn me_view(State(app): State<App>, caller: Caller) -> Result<Json<MeView>, ApiError> {
    Ok(Json(app.me(&caller).await?.into()))
}

/// The public keys that sign access tokens (JWKS, RFC 7517). Cache it; fetch
/// again when a token names a key id you do not have.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = TAG,
    responses(
        (status = 200, description = "The key set", body = Jwks),
        (status = 503, description = "The database is not available", body = ErrorBody),
    )
)]
async fn jwks_view(State(app): State<App>) -> Result<impl IntoResponse, ApiError> {
    let jwks = app.jwks().await?;
    Ok(([(header::CACHE_CONTROL, "public, max-age=60")], Json(jwks)))
}

/// Starts signing tokens with a new key (platform operators' admins). Tokens
/// signed with the previous key stay valid until they expire.
#[utoipa::path(
    post,
    path = "/auth/keys/rotate",
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rotated", body = KeyRotatedView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin of the platform operator", body = ErrorBody),
    )
)]
async fn signing_key_rotate(
    State(app): State<App>,
    caller: Caller,
) -> Result<Json<KeyRotatedView>, ApiError> {
    let kid = app.keys_rotate_by(&caller).await?;
    Ok(Json(KeyRotatedView { kid }))
}

/// Registers an organisation with the caller as its owner. Send an
/// `Idempotency-Key` header to make retries safe: a repeat returns the first
/// result (200) and changes nothing. Switch to the new organisation with
/// `POST /auth/refresh` and its `organisation_id`.
#[utoipa::path(
    post,
    path = "/organisations",
    tag = TAG,
    security(("bearer" = [])),
    request_body = OrganisationCreate,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Registered", body = OrganisationView),
        (status = 200, description = "Same request with the same Idempotency-Key: the first result", body = OrganisationView),
        (status = 400, description = "Body is not valid JSON of this shape", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Idempotency-Key reused, or corporate number already registered", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn organisation_create(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(body): JsonBody<OrganisationCreate>,
) -> Result<impl IntoResponse, ApiError> {
    let input = NewOrganisation::parse(
        &body.legal_name,
        &body.kind,
        &body.prefecture_code,
        &body.profile,
    )
    .map_err(AppError::from)?;
    let fingerprint = idempotency::fingerprint(&[&serde_json::to_vec(&body).unwrap_or_default()]);
    let key = idempotency_key(&headers)?;
    let (organisation, outcome) = app
        .organisation_register(&caller, input, &fingerprint, key)
        .await?;
    let status = match outcome {
        Registered::Created => StatusCode::CREATED,
        Registered::Replayed => StatusCode::OK,
    };
    let location = format!("/api/collab/organisations/{}", organisation.organisation_id);
    Ok((
        status,
        [(header::LOCATION, location)],
        Json(OrganisationView::from(organisation)),
    ))
}

/// One organisation, for its members.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Found", body = OrganisationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The token acts in another of your organisations", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn organisation_view(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<OrganisationView>, ApiError> {
    let organisation = app.organisation_view(&caller, &organisation_id).await?;
    Ok(Json(organisation.into()))
}

/// Replaces the organisation's profile (admins and owners). The kind stays.
#[utoipa::path(
    put,
    path = "/organisations/{organisation_id}",
    tag = TAG,
    security(("bearer" = [])),
    request_body = OrganisationCreate,
    params(("organisation_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Updated", body = OrganisationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 409, description = "Corporate number registered by another organisation", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn organisation_update(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<OrganisationCreate>,
) -> Result<Json<OrganisationView>, ApiError> {
    let input = NewOrganisation::parse(
        &body.legal_name,
        &body.kind,
        &body.prefecture_code,
        &body.profile,
    )
    .map_err(AppError::from)?;
    let organisation = app
        .organisation_update(&caller, &organisation_id, input)
        .await?;
    Ok(Json(organisation.into()))
}

/// The organisation's members, owners first.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/members",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Members", body = [MemberView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn member_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let members = app.member_list(&caller, &organisation_id).await?;
    Ok(Json(members.into_iter().map(MemberView::from).collect()))
}

/// Changes a member's role (admins; only owners make or unmake owners; the
/// last owner stays).
#[utoipa::path(
    put,
    path = "/organisations/{organisation_id}/members/{user_id}",
    tag = TAG,
    security(("bearer" = [])),
    request_body = RoleChange,
    params(
        ("organisation_id" = String, Path, description = "Organisation id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "Would leave no owner", body = ErrorBody),
    )
)]
async fn member_update(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, user_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<RoleChange>,
) -> Result<StatusCode, ApiError> {
    app.member_set_role(&caller, &organisation_id, &user_id, body.role)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member (admins), or leaves the organisation (your own user id).
#[utoipa::path(
    delete,
    path = "/organisations/{organisation_id}/members/{user_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Organisation id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such member", body = ErrorBody),
        (status = 409, description = "Would leave no owner", body = ErrorBody),
    )
)]
async fn member_remove(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.member_remove(&caller, &organisation_id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invites someone by email (admins; owners for the owner role). The token
/// in the answer is shown only once: pass it to the invitee.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/invitations",
    tag = TAG,
    security(("bearer" = [])),
    request_body = InvitationCreate,
    params(("organisation_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 201, description = "Invited", body = InvitationCreated),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 409, description = "Already a member", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn invitation_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<InvitationCreate>,
) -> Result<(StatusCode, Json<InvitationCreated>), ApiError> {
    let input = Invite {
        email: Email::parse("email", &body.email).map_err(AppError::from)?,
        role: body.role,
    };
    let invited = app
        .invitation_create(&caller, &organisation_id, input)
        .await?;
    Ok((StatusCode::CREATED, Json(invited.into())))
}

/// The organisation's invitations, newest first (admins).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/invitations",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "Invitations", body = [InvitationView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn invitation_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<InvitationView>>, ApiError> {
    let invitations = app.invitation_list(&caller, &organisation_id).await?;
    Ok(Json(
        invitations.into_iter().map(InvitationView::from).collect(),
    ))
}

/// Withdraws an open invitation (admins).
#[utoipa::path(
    delete,
    path = "/organisations/{organisation_id}/invitations/{invitation_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Organisation id"),
        ("invitation_id" = String, Path, description = "Invitation id"),
    ),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such invitation", body = ErrorBody),
        (status = 409, description = "Already accepted or withdrawn", body = ErrorBody),
    )
)]
async fn invitation_revoke(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, invitation_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    app.invitation_revoke(&caller, &organisation_id, &invitation_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Accepts an invitation as the signed-in user (whose email must be the
/// invited one). Then switch to the organisation with `POST /auth/refresh`.
#[utoipa::path(
    post,
    path = "/invitations/accept",
    tag = TAG,
    security(("bearer" = [])),
    request_body = InvitationAccept,
    responses(
        (status = 200, description = "Now a member", body = MembershipView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Invitation is for another email", body = ErrorBody),
        (status = 404, description = "No such invitation", body = ErrorBody),
        (status = 409, description = "Expired, withdrawn or used", body = ErrorBody),
    )
)]
async fn invitation_accept(
    State(app): State<App>,
    caller: Caller,
    JsonBody(body): JsonBody<InvitationAccept>,
) -> Result<Json<MembershipView>, ApiError> {
    let (organisation_id, role) = app.invitation_accept(&caller, &body.token).await?;
    Ok(Json(MembershipView {
        organisation_id,
        role,
    }))
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AuditPage {
    /// Only entries before this sequence number (for the next page).
    pub before: Option<i64>,
    /// How many entries (1–500, default 100).
    pub limit: Option<i64>,
}

/// The organisation's audit log, newest first (admins).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/audit",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Organisation id"), AuditPage),
    responses(
        (status = 200, description = "Entries", body = [AuditEntryView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn audit_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    Query(page): Query<AuditPage>,
) -> Result<Json<Vec<AuditEntryView>>, ApiError> {
    let entries = app
        .audit_list(&caller, &organisation_id, page.before, page.limit)
        .await?;
    Ok(Json(
        entries.into_iter().map(AuditEntryView::from).collect(),
    ))
}
