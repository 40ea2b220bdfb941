//! Handlers for the directory, partnerships and collaboration groups.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use renkei_kernel::{ApiError, JsonBody, auth::Caller, error::ErrorBody};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::TAG;
use crate::{
    app::{App, AppError, NewGroup, Proposal},
    db::partner::DirectoryRow,
    domain::{
        Invalid, OrganisationKind, Prefecture,
        partnership::{
            Group, GroupKind, Partnership, PartnershipAction, PartnershipKind, PartnershipStatus,
        },
        profile::Jsic,
    },
};

/// Tag of operations that show every organisation's public profile by design.
pub const DIRECTORY_TAG: &str = "directory";

/// Routes of this module.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(directory_search))
        .routes(routes!(partnership_create, partnership_list))
        .routes(routes!(partnership_view))
        .routes(routes!(partnership_accept))
        .routes(routes!(partnership_decline))
        .routes(routes!(partnership_end))
        .routes(routes!(group_create, group_list))
        .routes(routes!(group_view))
        .routes(routes!(group_version_view))
        .routes(routes!(group_members_change))
}

/// Search of the directory.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Part of the legal name (Japanese or English), any case.
    pub q: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this prefecture (JIS X 0401).
    pub prefecture_code: Option<String>,
}

/// An organisation's public profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DirectoryEntry {
    /// Id.
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: String,
    /// English legal name.
    pub legal_name_en: Option<String>,
    /// Kind.
    pub kind: OrganisationKind,
    /// Category.
    pub category: Option<String>,
    /// Prefecture code.
    pub prefecture_code: String,
    /// Prefecture name.
    pub prefecture_name: String,
    /// JSIC division name.
    pub industry_name: Option<String>,
    /// Shopping district.
    pub shopping_district: Option<String>,
}

impl From<DirectoryRow> for DirectoryEntry {
    fn from(r: DirectoryRow) -> Self {
        DirectoryEntry {
            prefecture_name: Prefecture::parse("prefecture_code", &r.prefecture_code)
                .map(|p| p.name_ja().to_string())
                .unwrap_or_default(),
            industry_name: r
                .jsic_code
                .as_deref()
                .and_then(|c| Jsic::parse("jsic_code", c).ok())
                .map(|j| j.division_name_ja().to_string()),
            organisation_id: r.organisation_id,
            legal_name: r.legal_name,
            legal_name_en: r.legal_name_en,
            kind: r.kind,
            category: r.category,
            prefecture_code: r.prefecture_code,
            shopping_district: r.shopping_district,
        }
    }
}

/// Finds organisations to work with: the public part of their profiles (name,
/// kind, prefecture, industry, shopping district), at most 50, by name.
#[utoipa::path(
    get,
    path = "/directory",
    tag = DIRECTORY_TAG,
    security(("bearer" = [])),
    params(DirectoryQuery),
    responses(
        (status = 200, description = "Matching organisations", body = [DirectoryEntry]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "A filter is invalid", body = ErrorBody),
    )
)]
async fn directory_search(
    State(app): State<App>,
    caller: Caller,
    Query(query): Query<DirectoryQuery>,
) -> Result<Json<Vec<DirectoryEntry>>, ApiError> {
    let kind = query
        .kind
        .as_deref()
        .map(|k| OrganisationKind::parse("kind", k))
        .transpose()
        .map_err(AppError::from)?;
    let prefecture = query
        .prefecture_code
        .as_deref()
        .map(|p| Prefecture::parse("prefecture_code", p))
        .transpose()
        .map_err(AppError::from)?;
    let rows = app
        .directory(
            &caller,
            query.q.as_deref().unwrap_or(""),
            kind,
            prefecture.map(|p| p.code()).as_deref(),
        )
        .await?;
    Ok(Json(rows.into_iter().map(DirectoryEntry::from).collect()))
}

/// Request to propose a partnership.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"counterparty_id": "01936f0e-0000-7000-8000-000000000001", "kind": "buyer_supplier", "my_side": "buyer", "note": "定期的に発注したいと考えています"}))]
pub struct PartnershipCreate {
    /// The organisation to propose to (from the directory).
    pub counterparty_id: String,
    /// `buyer_supplier` or `partner`.
    pub kind: PartnershipKind,
    /// For `buyer_supplier`: `buyer` or `supplier` (your side).
    pub my_side: Option<String>,
    /// A note for them, up to 500 characters.
    pub note: Option<String>,
}

/// A partnership.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PartnershipView {
    /// Id.
    pub partnership_id: String,
    /// Who proposed it.
    pub proposer_id: String,
    /// To whom.
    pub counterparty_id: String,
    /// Kind.
    pub kind: PartnershipKind,
    /// The buying side, for buyer–supplier.
    pub buyer_id: Option<String>,
    /// Status.
    pub status: PartnershipStatus,
    /// The proposer's note.
    pub note: Option<String>,
    /// Increases with every change.
    pub version: i64,
    /// Proposed (ms).
    pub proposed_at_ms: i64,
    /// Last change (ms).
    pub changed_at_ms: i64,
}

impl From<Partnership> for PartnershipView {
    fn from(p: Partnership) -> Self {
        PartnershipView {
            partnership_id: p.partnership_id,
            proposer_id: p.proposer_id,
            counterparty_id: p.counterparty_id,
            kind: p.kind,
            buyer_id: p.buyer_id,
            status: p.status,
            note: p.note,
            version: p.version,
            proposed_at_ms: p.proposed_at_ms,
            changed_at_ms: p.changed_at_ms,
        }
    }
}

fn proposal(body: PartnershipCreate) -> Result<Proposal, AppError> {
    let proposer_buys = match (body.kind, body.my_side.as_deref()) {
        (PartnershipKind::BuyerSupplier, Some("buyer")) => true,
        (PartnershipKind::BuyerSupplier, Some("supplier")) => false,
        (PartnershipKind::BuyerSupplier, _) => {
            return Err(Invalid {
                field: "my_side".into(),
                reason: "say whether you are the `buyer` or the `supplier`".into(),
            }
            .into());
        }
        (PartnershipKind::Partner, None) => false,
        (PartnershipKind::Partner, Some(_)) => {
            return Err(Invalid {
                field: "my_side".into(),
                reason: "a `partner` partnership has no sides".into(),
            }
            .into());
        }
    };
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(Invalid {
            field: "note".into(),
            reason: "must be at most 500 characters".into(),
        }
        .into());
    }
    Ok(Proposal {
        counterparty_id: body.counterparty_id.trim().to_string(),
        kind: body.kind,
        proposer_buys,
        note,
    })
}

/// Proposes a partnership to another organisation (admins).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/partnerships",
    tag = TAG,
    security(("bearer" = [])),
    request_body = PartnershipCreate,
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 201, description = "Proposed", body = PartnershipView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 409, description = "Already proposed or active", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn partnership_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<PartnershipCreate>,
) -> Result<(StatusCode, Json<PartnershipView>), ApiError> {
    let p = app
        .partnership_propose(&caller, &organisation_id, proposal(body)?)
        .await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// The organisation's partnerships, both directions, newest change first.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/partnerships",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Partnerships", body = [PartnershipView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn partnership_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<PartnershipView>>, ApiError> {
    let list = app.partnership_list(&caller, &organisation_id).await?;
    Ok(Json(list.into_iter().map(PartnershipView::from).collect()))
}

/// One of the organisation's partnerships.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/partnerships/{partnership_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("partnership_id" = String, Path, description = "Partnership id"),
    ),
    responses(
        (status = 200, description = "The partnership", body = PartnershipView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
    )
)]
async fn partnership_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partnership_id)): Path<(String, String)>,
) -> Result<Json<PartnershipView>, ApiError> {
    let p = app
        .partnership_view(&caller, &organisation_id, &partnership_id)
        .await?;
    Ok(Json(p.into()))
}

async fn act(
    app: &App,
    caller: &Caller,
    organisation_id: &str,
    partnership_id: &str,
    action: PartnershipAction,
) -> Result<Json<PartnershipView>, ApiError> {
    let p = app
        .partnership_act(caller, organisation_id, partnership_id, action)
        .await?;
    Ok(Json(p.into()))
}

/// Accepts a partnership proposed to the organisation (admins).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/partnerships/{partnership_id}/accept",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("partnership_id" = String, Path, description = "Partnership id"),
    ),
    responses(
        (status = 200, description = "Active", body = PartnershipView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
        (status = 409, description = "Not yours to accept, or not proposed", body = ErrorBody),
    )
)]
async fn partnership_accept(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partnership_id)): Path<(String, String)>,
) -> Result<Json<PartnershipView>, ApiError> {
    act(
        &app,
        &caller,
        &organisation_id,
        &partnership_id,
        PartnershipAction::Accept,
    )
    .await
}

/// Declines a partnership proposed to the organisation (admins).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/partnerships/{partnership_id}/decline",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("partnership_id" = String, Path, description = "Partnership id"),
    ),
    responses(
        (status = 200, description = "Declined", body = PartnershipView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
        (status = 409, description = "Not yours to decline, or not proposed", body = ErrorBody),
    )
)]
async fn partnership_decline(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partnership_id)): Path<(String, String)>,
) -> Result<Json<PartnershipView>, ApiError> {
    act(
        &app,
        &caller,
        &organisation_id,
        &partnership_id,
        PartnershipAction::Decline,
    )
    .await
}

/// Withdraws the organisation's proposal or ends an active partnership (admins of either side).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/partnerships/{partnership_id}/end",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("partnership_id" = String, Path, description = "Partnership id"),
    ),
    responses(
        (status = 200, description = "Ended, withdrawn or declined", body = PartnershipView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
        (status = 409, description = "Already over", body = ErrorBody),
    )
)]
async fn partnership_end(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, partnership_id)): Path<(String, String)>,
) -> Result<Json<PartnershipView>, ApiError> {
    act(
        &app,
        &caller,
        &organisation_id,
        &partnership_id,
        PartnershipAction::End,
    )
    .await
}

/// Request to form a group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "戸越銀座商店街 共同購入会", "kind": "purchasing_group", "description": "青果・精肉・酒類の共同仕入れ", "members": []}))]
pub struct GroupCreate {
    /// Name, 1–100 characters.
    pub name: String,
    /// `purchasing_group`, `manufacturing_network` or `region`.
    pub kind: GroupKind,
    /// What it is for.
    pub description: Option<String>,
    /// Members besides your organisation (organisation ids).
    #[serde(default)]
    pub members: Vec<String>,
}

/// Request to change a group's membership.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"add": [], "remove": ["01936f0e-0000-7000-8000-000000000002"]}))]
pub struct GroupMembersChange {
    /// Organisations to add (organiser only).
    #[serde(default)]
    pub add: Vec<String>,
    /// Organisations to remove (organiser), or your own id to leave.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A group at one version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupView {
    /// Id.
    pub group_id: String,
    /// Organiser.
    pub organiser_id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: GroupKind,
    /// Description.
    pub description: Option<String>,
    /// This version; documents record it to keep their membership.
    pub version: i64,
    /// Members at this version.
    pub members: Vec<String>,
    /// Formed (ms).
    pub created_at_ms: i64,
    /// This version began (ms).
    pub changed_at_ms: i64,
}

impl From<Group> for GroupView {
    fn from(g: Group) -> Self {
        GroupView {
            group_id: g.group_id,
            organiser_id: g.organiser_id,
            name: g.name,
            kind: g.kind,
            description: g.description,
            version: g.version,
            members: g.members,
            created_at_ms: g.created_at_ms,
            changed_at_ms: g.changed_at_ms,
        }
    }
}

/// Forms a collaboration group organised by the organisation (admins).
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/groups",
    tag = TAG,
    security(("bearer" = [])),
    request_body = GroupCreate,
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 201, description = "Formed, version 1", body = GroupView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs admin", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn group_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    JsonBody(body): JsonBody<GroupCreate>,
) -> Result<(StatusCode, Json<GroupView>), ApiError> {
    let name = crate::domain::LegalName::parse("name", &body.name).map_err(AppError::from)?;
    if name.as_str().chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be at most 100 characters"));
    }
    let description = body
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1000)
    {
        return Err(ApiError::invalid(
            "description",
            "must be at most 1000 characters",
        ));
    }
    let group = app
        .group_create(
            &caller,
            &organisation_id,
            NewGroup {
                name: name.as_str().to_string(),
                kind: body.kind,
                description,
                members: body.members,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(group.into())))
}

/// The groups the organisation belongs to now.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/groups",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Groups at their current version", body = [GroupView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn group_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    let groups = app.group_list(&caller, &organisation_id).await?;
    Ok(Json(groups.into_iter().map(GroupView::from).collect()))
}

/// A group the organisation belongs to, at its current version.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/groups/{group_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("group_id" = String, Path, description = "Group id"),
    ),
    responses(
        (status = 200, description = "The group", body = GroupView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
    )
)]
async fn group_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, group_id)): Path<(String, String)>,
) -> Result<Json<GroupView>, ApiError> {
    let g = app
        .group_view(&caller, &organisation_id, &group_id, None)
        .await?;
    Ok(Json(g.into()))
}

/// A group's membership at an earlier version, for members now or then.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/groups/{group_id}/versions/{version}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("group_id" = String, Path, description = "Group id"),
        ("version" = i64, Path, description = "Version, from 1"),
    ),
    responses(
        (status = 200, description = "The group at that version", body = GroupView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
    )
)]
async fn group_version_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, group_id, version)): Path<(String, String, String)>,
) -> Result<Json<GroupView>, ApiError> {
    let version: i64 = version
        .parse()
        .map_err(|_| ApiError::invalid("version", "must be a whole number from 1"))?;
    let g = app
        .group_view(&caller, &organisation_id, &group_id, Some(version))
        .await?;
    Ok(Json(g.into()))
}

/// Adds and removes members (the organiser's admins), or leaves the group
/// (your own organisation id in `remove`). Makes a new version; documents made
/// under earlier versions keep theirs.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/groups/{group_id}/members",
    tag = TAG,
    security(("bearer" = [])),
    request_body = GroupMembersChange,
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("group_id" = String, Path, description = "Group id"),
    ),
    responses(
        (status = 200, description = "The group at its new (or unchanged) version", body = GroupView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only the organiser changes membership", body = ErrorBody),
        (status = 404, description = "Not found among yours", body = ErrorBody),
        (status = 409, description = "Changed meanwhile", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn group_members_change(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, group_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<GroupMembersChange>,
) -> Result<Json<GroupView>, ApiError> {
    let g = app
        .group_reform(&caller, &organisation_id, &group_id, body.add, body.remove)
        .await?;
    Ok(Json(g.into()))
}
