//! HTTP edge of the orders service: thin handlers over the use cases.

mod edi;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use renkei_edi::Document;
use renkei_kernel::{
    ApiError,
    auth::Caller,
    error::{ErrorBody, JsonBody},
    idempotency,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::{App, AppError, DocumentView, OrderSummary, OrderView, Submission, Submitted},
    db::OrderFilter,
    domain::{Channel, OrderStatus},
};

/// Tag of every orders operation in the OpenAPI document.
pub const TAG: &str = "orders";

/// Routes under `/api/orders`.
pub fn router() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(document_create))
        .routes(routes!(order_list))
        .routes(routes!(order_view))
        .routes(routes!(document_view))
        .routes(routes!(order_thread_update))
        .routes(routes!(edi::profile_list))
        .routes(routes!(edi::profile_put, edi::profile_delete))
        .routes(routes!(edi::interchange_create, edi::interchange_list))
        .routes(routes!(edi::interchange_part))
        .routes(routes!(edi::document_file))
        .routes(routes!(edi::mailbox_list))
        .routes(routes!(edi::mailbox_collect))
        .routes(routes!(edi::template))
}

/// Sends a document of the order cycle: an order, a change or cancellation
/// (by the buyer), a response or despatch advice (by the seller), a receipt
/// advice (by the buyer). Buyer and seller are organisation ids; only
/// partners trade, and the cycle decides which document may come next.
#[utoipa::path(
    post,
    path = "/organisations/{organisation_id}/documents",
    tag = TAG,
    security(("bearer" = [])),
    request_body(content = Document, example = json!(example_order())),
    params(
        ("organisation_id" = String, Path, description = "Your organisation, the sender"),
        ("Idempotency-Key" = String, Header, description = "A key you choose; repeating it with the same document returns the first answer"),
    ),
    responses(
        (status = 201, description = "Accepted and applied", body = Submitted),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or the parties are not partners (`not_partners`)", body = ErrorBody),
        (status = 404, description = "No such organisation or order among yours", body = ErrorBody),
        (status = 409, description = "The cycle refuses it now (`transition_refused`, with `rule`), or the key was used for another document", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
async fn document_create(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    headers: HeaderMap,
    JsonBody(document): JsonBody<Document>,
) -> Result<(StatusCode, Json<Submitted>), ApiError> {
    let submission = Submission {
        document,
        channel: Channel::Api,
        idempotency_key: idempotency::required_key(&headers)?,
    };
    let done = app.submit(&caller, &organisation_id, submission).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// An example order body for the API documentation and tests.
pub fn example_order() -> serde_json::Value {
    serde_json::json!({
        "type": "order",
        "number": "PO-2026-0001",
        "issued": "2026-11-21",
        "buyer": {"id": "01930000-0000-7000-8000-000000000001"},
        "seller": {"id": "01930000-0000-7000-8000-000000000002"},
        "currency": "JPY",
        "lines": [{
            "line": 1,
            "item": {"gtin": "4901234567894", "description": "国産 玉ねぎ 10kg箱"},
            "quantity": {"value": "12", "unit": "CS"},
            "unit_price": "2480",
            "requested_delivery": "2026-11-25"
        }]
    })
}

/// Filters of the order list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// `inbox` (orders you receive as seller), `outbox` (orders you send as buyer); both when absent.
    #[param(example = "inbox")]
    pub r#box: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only with this partner organisation.
    pub partner: Option<String>,
    /// Only order numbers containing this text.
    pub number: Option<String>,
    /// Only orders changed before this instant (ms since the epoch): the
    /// `updated_at_ms` of the last order of the previous page.
    pub before: Option<i64>,
    /// At most this many (1–200, default 50).
    pub limit: Option<i64>,
}

impl OrderQuery {
    fn filter(self) -> Result<OrderFilter, AppError> {
        let inbox = match self.r#box.as_deref() {
            None | Some("") => None,
            Some("inbox") => Some(true),
            Some("outbox") => Some(false),
            Some(other) => {
                return Err(AppError::invalid(
                    "box",
                    format!("`{other}` is neither inbox nor outbox"),
                ));
            }
        };
        if let Some(status) = self.status.as_deref().filter(|s| !s.is_empty()) {
            if OrderStatus::parse(status).is_none() {
                let names: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
                return Err(AppError::invalid(
                    "status",
                    format!(
                        "`{status}` is not a status; use one of {}",
                        names.join(", ")
                    ),
                ));
            }
        }
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(AppError::invalid("limit", "limit is between 1 and 200"));
        }
        Ok(OrderFilter {
            inbox,
            status: self.status.filter(|s| !s.is_empty()),
            partner_id: self.partner.filter(|s| !s.is_empty()),
            number: self.number.filter(|s| !s.is_empty()),
            before_ms: self.before,
            limit,
        })
    }
}

/// Your orders, most recently changed first: the inbox (you sell), the
/// outbox (you buy), or both.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/orders",
    tag = TAG,
    security(("bearer" = [])),
    params(("organisation_id" = String, Path, description = "Your organisation"), OrderQuery),
    responses(
        (status = 200, description = "Orders", body = [OrderSummary]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such organisation among yours", body = ErrorBody),
        (status = 422, description = "A filter is invalid", body = ErrorBody),
    )
)]
async fn order_list(
    State(app): State<App>,
    caller: Caller,
    Path(organisation_id): Path<String>,
    Query(query): Query<OrderQuery>,
) -> Result<Json<Vec<OrderSummary>>, ApiError> {
    let filter = query.filter()?;
    Ok(Json(app.orders(&caller, &organisation_id, filter).await?))
}

/// One order: its lines with what happened to each, and its history.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/orders/{order_id}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("order_id" = String, Path, description = "The order"),
    ),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such order among yours", body = ErrorBody),
    )
)]
async fn order_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, order_id)): Path<(String, String)>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(app.order(&caller, &organisation_id, &order_id).await?))
}

/// One document of an order's history, as it was sent.
#[utoipa::path(
    get,
    path = "/organisations/{organisation_id}/orders/{order_id}/documents/{version}",
    tag = TAG,
    security(("bearer" = [])),
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("order_id" = String, Path, description = "The order"),
        ("version" = i64, Path, description = "Position in the history, from 1"),
    ),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such order or document among yours", body = ErrorBody),
    )
)]
async fn document_view(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, order_id, version)): Path<(String, String, i64)>,
) -> Result<Json<DocumentView>, ApiError> {
    Ok(Json(
        app.document(&caller, &organisation_id, &order_id, version)
            .await?,
    ))
}

/// The thread to attach.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"thread_id": "01930000-0000-7000-8000-00000000000a"}))]
pub struct ThreadAttach {
    /// A collab message thread id, or null to detach.
    pub thread_id: Option<String>,
}

/// Attaches a collab message thread to an order, so both sides find the
/// conversation from the order (members).
#[utoipa::path(
    put,
    path = "/organisations/{organisation_id}/orders/{order_id}/thread",
    tag = TAG,
    security(("bearer" = [])),
    request_body = ThreadAttach,
    params(
        ("organisation_id" = String, Path, description = "Your organisation"),
        ("order_id" = String, Path, description = "The order"),
    ),
    responses(
        (status = 204, description = "Attached"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Needs member", body = ErrorBody),
        (status = 404, description = "No such order among yours", body = ErrorBody),
        (status = 422, description = "Not a thread id", body = ErrorBody),
    )
)]
async fn order_thread_update(
    State(app): State<App>,
    caller: Caller,
    Path((organisation_id, order_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ThreadAttach>,
) -> Result<StatusCode, ApiError> {
    app.attach_thread(
        &caller,
        &organisation_id,
        &order_id,
        body.thread_id.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
