//! HTTP edge of the procurement service: thin handlers over the use cases.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use renkei_kernel::{
    ApiError,
    auth::Caller,
    error::{ErrorBody, JsonBody},
    idempotency,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::{App, IntentInput, IntentView, OpenRound, RoundSummary, RoundView, ShopAllocation},
    domain::DeliveryPlan,
};

/// Tag of every procurement operation in the OpenAPI document.
pub const TAG: &str = "procurement";

/// Routes under `/api/procurement`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(district_list))
        .routes(routes!(round_open, round_list))
        .routes(routes!(round_view))
        .routes(routes!(round_close))
        .routes(routes!(round_answer))
        .routes(routes!(intent_put, intent_withdraw))
        .routes(routes!(allocation_list))
        .routes(routes!(delivery_plan_view))
}

/// A district a round may invite: a collaboration group.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DistrictEntry {
    /// The group's id, to put in a round's `districts[].group_id`.
    pub group_id: String,
    /// Its name.
    pub name: String,
    /// purchasing_group, manufacturing_network or region.
    pub kind: String,
    /// The organisation that formed it.
    pub organiser_id: String,
    /// Whether your organisation belongs to it.
    pub member: bool,
}

/// The districts (purchasing groups) a round may invite, and the groups
/// your organisation belongs to.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/districts",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Districts", body = [DistrictEntry]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn district_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<DistrictEntry>>, ApiError> {
    let rows = app.district_list(&caller, &organisation_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(d, member)| DistrictEntry {
                group_id: d.group_id,
                name: d.name,
                kind: d.kind,
                organiser_id: d.organiser_id,
                member,
            })
            .collect(),
    ))
}

/// Opens a joint-purchase round: items with price breaks, the cut-off,
/// the invited districts with their drop points, delivery dates and the
/// delivery fee model. Every problem is reported at once, each with its
/// field and rule; nothing is stored unless there is none.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/rounds",
    tag = TAG,
    security(("bearer" = [])),
    request_body = OpenRound,
    params(
        ("organisation_id" = String, Path, description = "Your organisation: the wholesaler, or an association organising an invited district"),
        ("Idempotency-Key" = String, Header, description = "A key you choose; repeating it with the same body returns the round opened the first time"),
    ),
    responses(
        (status = 201, description = "Opened", body = RoundView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Your role or scopes do not allow it", body = ErrorBody),
        (status = 409, description = "The key was used for another body", body = ErrorBody),
        (status = 422, description = "`invalid_input`: every problem in `problems`, each with `field` and `rule`", body = ErrorBody),
    )
)]
async fn round_open(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    headers: HeaderMap,
    JsonBody(input): JsonBody<OpenRound>,
) -> Result<(StatusCode, Json<RoundView>), ApiError> {
    let key = idempotency::required_key(&headers)?;
    let view = app
        .round_open(&caller, &organisation_id, input, &key)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The rounds your organisation takes part in, newest first, with the
/// parts it plays (organiser, wholesaler, buyer, district organiser, shop).
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/rounds",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation")),
    responses(
        (status = 200, description = "Rounds", body = [RoundSummary]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
    )
)]
async fn round_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
) -> Result<Json<Vec<RoundSummary>>, ApiError> {
    Ok(Json(app.round_list(&caller, &organisation_id).await?))
}

/// A round with its live pool: per item the pooled quantity, the tier
/// reached and how many units reach the next; for a shop its intents,
/// expected prices and delivery fee; after the close the consolidated
/// order, and after the wholesaler's answer the allocation and savings.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/rounds/{round_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("round_id" = String, Path, description = "The round"),
    ),
    responses(
        (status = 200, description = "The round", body = RoundView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such round that your organisation takes part in", body = ErrorBody),
    )
)]
async fn round_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id)): Path<(String, String)>,
) -> Result<Json<RoundView>, ApiError> {
    Ok(Json(
        app.round_view(&caller, &organisation_id, &round_id).await?,
    ))
}

/// Closes a round before its cut-off (organiser or wholesaler). The round
/// closes once however many ask at the same time; its consolidated order
/// goes to the wholesaler through the orders service.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/rounds/{round_id}/close",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("round_id" = String, Path, description = "The round"),
    ),
    responses(
        (status = 200, description = "Closed", body = RoundView),
        (status = 403, description = "Neither its organiser nor its wholesaler", body = ErrorBody),
        (status = 404, description = "No such round", body = ErrorBody),
        (status = 409, description = "`transition_refused` (`round_not_open`): already closed", body = ErrorBody),
    )
)]
async fn round_close(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id)): Path<(String, String)>,
) -> Result<Json<RoundView>, ApiError> {
    Ok(Json(
        app.round_close(&caller, &organisation_id, &round_id)
            .await?,
    ))
}

/// The buyer's answer to a round the wholesaler opened in its name:
/// `accept` opens it for intents, `decline` ends it. Until then the round
/// is `proposed` and takes no intents.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/rounds/{round_id}/{answer}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation, the buyer"),
        ("round_id" = String, Path, description = "The round"),
        ("answer" = String, Path, description = "`accept` or `decline`"),
    ),
    responses(
        (status = 200, description = "Answered", body = RoundView),
        (status = 403, description = "Not the round's buyer, or not an admin there", body = ErrorBody),
        (status = 404, description = "No such round, or no such answer", body = ErrorBody),
        (status = 409, description = "`transition_refused` (`round_not_proposed`, `round_closed`)", body = ErrorBody),
    )
)]
async fn round_answer(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id, answer)): Path<(String, String, String)>,
) -> Result<Json<RoundView>, ApiError> {
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(ApiError::not_found("answer")),
    };
    Ok(Json(
        app.round_answer(&caller, &organisation_id, &round_id, accept)
            .await?,
    ))
}

/// Adds or changes your shop's intent for one item. Sending the same
/// values again changes nothing.
#[utoipa::path(
    put,
    path = "/organisations/{organisation_id}/rounds/{round_id}/intents/{item_code}",
    tag = TAG,
    security(("bearer" = [])),
    request_body = IntentInput,
    params(
        ("organisation_id" = String, Path, description = "Your shop"),
        ("round_id" = String, Path, description = "The round"),
        ("item_code" = String, Path, description = "The item's code in the round"),
    ),
    responses(
        (status = 200, description = "The intent as it stands", body = IntentView),
        (status = 404, description = "No such round open to your shop", body = ErrorBody),
        (status = 422, description = "`invalid_input` with the rule: `round_closed`, `unknown_item`, `bad_quantity`, `not_district_member`, `district_mismatch`, …", body = ErrorBody),
    )
)]
async fn intent_put(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id, item_code)): Path<(String, String, String)>,
    JsonBody(input): JsonBody<IntentInput>,
) -> Result<Json<IntentView>, ApiError> {
    Ok(Json(
        app.intent_put(&caller, &organisation_id, &round_id, &item_code, input)
            .await?,
    ))
}

/// Withdraws your shop's intent for one item.
#[utoipa::path(
    delete,
    path = "/organisations/{organisation_id}/rounds/{round_id}/intents/{item_code}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your shop"),
        ("round_id" = String, Path, description = "The round"),
        ("item_code" = String, Path, description = "The item's code in the round"),
    ),
    responses(
        (status = 200, description = "Withdrawn (quantity 0)", body = IntentView),
        (status = 404, description = "No such round, or no intent held for the item", body = ErrorBody),
        (status = 422, description = "`round_closed`: after the cut-off", body = ErrorBody),
    )
)]
async fn intent_withdraw(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id, item_code)): Path<(String, String, String)>,
) -> Result<Json<IntentView>, ApiError> {
    Ok(Json(
        app.intent_withdraw(&caller, &organisation_id, &round_id, &item_code)
            .await?,
    ))
}

/// What each shop receives once the wholesaler answered: all shops for
/// the organiser, wholesaler and buyer; a district's shops for its
/// organiser; a shop's own.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/rounds/{round_id}/allocations",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("round_id" = String, Path, description = "The round"),
    ),
    responses(
        (status = 200, description = "Allocations (empty before the answer)", body = [ShopAllocation]),
        (status = 404, description = "No such round", body = ErrorBody),
    )
)]
async fn allocation_list(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id)): Path<(String, String)>,
) -> Result<Json<Vec<ShopAllocation>>, ApiError> {
    Ok(Json(
        app.round_allocations(&caller, &organisation_id, &round_id)
            .await?,
    ))
}

/// The consolidated delivery plan: one drop per district, with each
/// shop's pick list.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/rounds/{round_id}/delivery-plan",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("round_id" = String, Path, description = "The round"),
    ),
    responses(
        (status = 200, description = "The plan", body = DeliveryPlan),
        (status = 403, description = "Shops see their own allocation instead", body = ErrorBody),
        (status = 404, description = "No such round", body = ErrorBody),
        (status = 409, description = "`not_allocated`: the wholesaler has not answered yet", body = ErrorBody),
    )
)]
async fn delivery_plan_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, round_id)): Path<(String, String)>,
) -> Result<Json<DeliveryPlan>, ApiError> {
    Ok(Json(
        app.round_delivery_plan(&caller, &organisation_id, &round_id)
            .await?,
    ))
}
