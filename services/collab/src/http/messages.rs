//! Handlers for consents, message threads and notifications.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use renkei_kernel::{ApiError, JsonBody, auth::Caller, error::ErrorBody, storage::now_ms};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{OrganisationView, TAG, partners::PartnershipView};
use crate::{
    app::{App, AppError, Grant, NewThread},
    domain::consent::{Consent, ConsentScope, DocumentUrn, Message, Thread},
};

/// Routes of this module.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(consent_create, consent_list))
        .routes(routes!(consent_revoke))
        .routes(routes!(consented_profile_view))
        .routes(routes!(consented_partnership_list))
        .routes(routes!(thread_create, thread_list))
        .routes(routes!(thread_view))
        .routes(routes!(message_create))
        .routes(routes!(thread_read))
        .routes(routes!(notification_view))
}

/// Request to grant a consent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"grantee_id": "01936f0e-0000-7000-8000-000000000003", "scopes": ["profile:read"], "purpose": "事業性評価融資の審査のため", "expires_at_ms": 1893456000000_i64}))]
pub struct ConsentCreate {
    /// The supporter or municipality.
    pub grantee_id: String,
    /// `profile:read`, `partners:read`, `trade:read`.
    pub scopes: Vec<ConsentScope>,
    /// Why (shown to both sides and in the audit log).
    pub purpose: String,
    /// When it ends (ms since the epoch); at most two years ahead.
    pub expires_at_ms: i64,
}

/// A consent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentView {
    /// Id.
    pub consent_id: String,
    /// The company that granted it.
    pub grantor_id: String,
    /// Who may see.
    pub grantee_id: String,
    /// What.
    pub scopes: Vec<ConsentScope>,
    /// Why.
    pub purpose: String,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    /// Granted (ms).
    pub granted_at_ms: i64,
    /// Ends (ms).
    pub expires_at_ms: i64,
}

impl From<Consent> for ConsentView {
    fn from(c: Consent) -> Self {
        ConsentView {
            status: c.status(now_ms()).to_string(),
            consent_id: c.consent_id,
            grantor_id: c.grantor_id,
            grantee_id: c.grantee_id,
            scopes: c.scopes,
            purpose: c.purpose,
            granted_at_ms: c.granted_at_ms,
            expires_at_ms: c.expires_at_ms,
        }
    }
}

/// Grants a supporter or municipality a scoped, time-limited view of the
/// organisation's data (admins). Every use appears in your audit log.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/consents",
    tag = TAG,
    security(("bearer" = [])),
    request_body = ConsentCreate,
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 201, description = "Granted", body = ConsentView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn consent_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<ConsentCreate>,
) -> Result<(StatusCode, Json<ConsentView>), ApiError> {
    let consent = app
        .consent_grant(
            &caller,
            &organisation_id,
            Grant {
                grantee_id: body.grantee_id,
                scopes: body.scopes,
                purpose: body.purpose,
                expires_at_ms: body.expires_at_ms,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(consent.into())))
}

/// Consents the organisation granted or received.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/consents",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Consents", body = [ConsentView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn consent_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<ConsentView>>, ApiError> {
    let list = app.consent_list(&caller, &organisation_id).await?;
    Ok(Json(list.into_iter().map(ConsentView::from).collect()))
}

/// Revokes a consent the organisation granted (admins); effective at once.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/consents/{consent_id}/revoke",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("consent_id" = String, Path, description = "Consent id"),
    ),
    responses(
        (status = 200, description = "Revoked", body = ConsentView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not a consent you granted", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody),
    )
)]
async fn consent_revoke(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, consent_id)): Path<(String, String)>,
) -> Result<Json<ConsentView>, ApiError> {
    let c = app
        .consent_revoke(&caller, &organisation_id, &consent_id)
        .await?;
    Ok(Json(c.into()))
}

/// A company's profile, seen through its consent (`profile:read`).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/consented/{grantor_id}/profile",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation (the grantee)"),
        ("grantor_id" = String, Path, description = "The company that consented"),
    ),
    responses(
        (status = 200, description = "Its profile", body = OrganisationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No active consent covers this", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn consented_profile_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, grantor_id)): Path<(String, String)>,
) -> Result<Json<OrganisationView>, ApiError> {
    let o = app
        .consented_profile(&caller, &organisation_id, &grantor_id)
        .await?;
    Ok(Json(o.into()))
}

/// A company's partnerships, seen through its consent (`partners:read`).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/consented/{grantor_id}/partnerships",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation (the grantee)"),
        ("grantor_id" = String, Path, description = "The company that consented"),
    ),
    responses(
        (status = 200, description = "Its partnerships", body = [PartnershipView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "No active consent covers this", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn consented_partnership_list(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, grantor_id)): Path<(String, String)>,
) -> Result<Json<Vec<PartnershipView>>, ApiError> {
    let list = app
        .consented_partnerships(&caller, &organisation_id, &grantor_id)
        .await?;
    Ok(Json(list.into_iter().map(PartnershipView::from).collect()))
}

/// Request to start a thread.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"subject": "11月分の納期について", "participants": ["01936f0e-0000-7000-8000-000000000004"], "document_urn": "renkei:orders:order:01936f0e-0000-7000-8000-000000000005", "body": "納期を1日早められますか。"}))]
pub struct ThreadCreate {
    /// Subject, 1–200 characters.
    pub subject: String,
    /// The other organisations (partners or fellow group members).
    pub participants: Vec<String>,
    /// The business document it is about, e.g. `renkei:orders:order:<id>`.
    pub document_urn: Option<String>,
    /// First message, 1–5000 characters.
    pub body: String,
}

/// Request to post a message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "承知しました。"}))]
pub struct MessageCreate {
    /// Text, 1–5000 characters.
    pub body: String,
}

/// Request to mark a thread read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct ThreadRead {
    /// Read up to this message (all when omitted).
    pub up_to_seq: Option<i64>,
}

/// A thread as your organisation sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreadView {
    /// Id.
    pub thread_id: String,
    /// Subject.
    pub subject: String,
    /// The document it is about.
    pub document_urn: Option<String>,
    /// Who started it.
    pub created_by_id: String,
    /// Participants.
    pub participants: Vec<String>,
    /// Messages so far.
    pub message_count: i64,
    /// Messages your organisation has not read.
    pub unread: i64,
    /// Last message (ms).
    pub last_message_at_ms: i64,
}

impl From<Thread> for ThreadView {
    fn from(t: Thread) -> Self {
        ThreadView {
            unread: t.last_seq - t.last_read_seq,
            thread_id: t.thread_id,
            subject: t.subject,
            document_urn: t.document_urn,
            created_by_id: t.created_by_id,
            participants: t.participants,
            message_count: t.last_seq,
            last_message_at_ms: t.last_message_at_ms,
        }
    }
}

/// A message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    /// Id.
    pub message_id: String,
    /// Position in the thread, from 1.
    pub seq: i64,
    /// The writing organisation.
    pub author_organisation_id: String,
    /// The writer.
    pub author_user_id: String,
    /// Text.
    pub body: String,
    /// Written (ms).
    pub created_at_ms: i64,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        MessageView {
            message_id: m.message_id,
            seq: m.seq,
            author_organisation_id: m.author_org_id,
            author_user_id: m.author_user_id,
            body: m.body,
            created_at_ms: m.created_at_ms,
        }
    }
}

/// A thread with its messages.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreadDetail {
    /// The thread.
    pub thread: ThreadView,
    /// Its messages in order.
    pub messages: Vec<MessageView>,
}

/// Starts a thread with partners or fellow group members (members and up).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/threads",
    tag = TAG,
    security(("bearer" = [])),
    request_body = ThreadCreate,
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 201, description = "Started", body = ThreadDetail),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn thread_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<ThreadCreate>,
) -> Result<(StatusCode, Json<ThreadDetail>), ApiError> {
    let document_urn = body
        .document_urn
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| DocumentUrn::parse("document_urn", u))
        .transpose()
        .map_err(AppError::from)?;
    let (thread, message) = app
        .thread_start(
            &caller,
            &organisation_id,
            NewThread {
                subject: body.subject,
                participants: body.participants,
                document_urn,
                body: body.body,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ThreadDetail {
            thread: thread.into(),
            messages: vec![message.into()],
        }),
    ))
}

/// Filter of the thread list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadFilter {
    /// Only threads about this document.
    pub document_urn: Option<String>,
}

/// The organisation's threads, latest message first.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/threads",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation"), ThreadFilter),
    responses(
        (status = 200, description = "Threads with unread counts", body = [ThreadView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "The URN is invalid", body = ErrorBody),
    )
)]
async fn thread_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    Query(filter): Query<ThreadFilter>,
) -> Result<Json<Vec<ThreadView>>, ApiError> {
    let urn = filter
        .document_urn
        .as_deref()
        .map(|u| DocumentUrn::parse("document_urn", u))
        .transpose()
        .map_err(AppError::from)?;
    let list = app
        .thread_list(&caller, &organisation_id, urn.as_ref())
        .await?;
    Ok(Json(list.into_iter().map(ThreadView::from).collect()))
}

/// A thread and its messages.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/threads/{thread_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("thread_id" = String, Path, description = "Thread id"),
    ),
    responses(
        (status = 200, description = "The thread", body = ThreadDetail),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
    )
)]
async fn thread_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, thread_id)): Path<(String, String)>,
) -> Result<Json<ThreadDetail>, ApiError> {
    let (thread, messages) = app
        .thread_view(&caller, &organisation_id, &thread_id)
        .await?;
    Ok(Json(ThreadDetail {
        thread: thread.into(),
        messages: messages.into_iter().map(MessageView::from).collect(),
    }))
}

/// Posts a message to a thread (members and up).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/threads/{thread_id}/messages",
    tag = TAG,
    security(("bearer" = [])),
    request_body = MessageCreate,
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("thread_id" = String, Path, description = "Thread id"),
    ),
    responses(
        (status = 201, description = "Posted", body = MessageView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Viewers cannot write", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
        (status = 422, description = "The text is invalid", body = ErrorBody),
    )
)]
async fn message_create(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, thread_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<MessageCreate>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let m = app
        .message_post(&caller, &organisation_id, &thread_id, &body.body)
        .await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

/// Marks a thread read for the organisation.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/threads/{thread_id}/read",
    tag = TAG,
    security(("bearer" = [])),
    request_body = ThreadRead,
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("thread_id" = String, Path, description = "Thread id"),
    ),
    responses(
        (status = 200, description = "Read marks updated", body = ThreadView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
    )
)]
async fn thread_read(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, thread_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ThreadRead>,
) -> Result<Json<ThreadView>, ApiError> {
    let t = app
        .thread_read(&caller, &organisation_id, &thread_id, body.up_to_seq)
        .await?;
    Ok(Json(t.into()))
}

/// What waits for the organisation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    /// Threads with unread messages.
    pub unread_threads: i64,
    /// Unread messages.
    pub unread_messages: i64,
    /// Partnership proposals waiting for your answer.
    pub proposals_waiting: i64,
}

/// Counts for the notification badge.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/notifications",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Counts", body = NotificationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn notification_view(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<NotificationView>, ApiError> {
    let n = app.notifications(&caller, &organisation_id).await?;
    Ok(Json(NotificationView {
        unread_threads: n.unread_threads,
        unread_messages: n.unread_messages,
        proposals_waiting: n.proposals_waiting,
    }))
}
