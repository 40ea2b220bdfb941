//! `gateway`: the HTTP edge. It composes the REST routes of the services that
//! run in this process under `/api/<service>/…`, the merged GraphQL schema at
//! `/graphql`, the OpenAPI document and its browsable page, health and
//! metrics endpoints, and the server-rendered web UI. When it runs alone
//! (`renkei serve gateway`) it forwards `/api/<service>/…` to each service's
//! own process instead.

pub mod docs;
pub mod graphql;
pub mod proxy;
pub mod ui;

use std::collections::BTreeMap;

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use renkei_collab as collab;
use renkei_insights as insights;
use renkei_kernel::{ApiError, Code, error::ErrorBody, http::Metrics};
use renkei_orders as orders;
use renkei_procurement as procurement;
use utoipa::OpenApi as _;

/// Every service the binary knows, in start-up order (sources before their consumers).
pub const SERVICES: &[&str] = &[
    collab::NAME,
    orders::NAME,
    procurement::NAME,
    insights::NAME,
    "gateway",
];

/// The services that run in this process, with their state.
#[derive(Clone, Default)]
pub struct Mounted {
    /// Collaboration layer.
    pub collab: Option<collab::app::App>,
    /// Order exchange.
    pub orders: Option<orders::app::App>,
    /// Joint ordering.
    pub procurement: Option<procurement::app::App>,
    /// Regional insights.
    pub insights: Option<insights::app::App>,
    /// Where to forward `/api/<service>/…` for services that run elsewhere.
    pub upstreams: BTreeMap<String, String>,
    /// Verifies access tokens when collab runs in another process.
    pub verifier: Option<renkei_kernel::auth::Verifier>,
}

impl Mounted {
    /// The verifier of access tokens: collab's own when it runs here.
    pub fn verifier(&self) -> Option<renkei_kernel::auth::Verifier> {
        self.collab
            .as_ref()
            .map(|c| c.verifier().clone())
            .or_else(|| self.verifier.clone())
    }

    fn databases(&self) -> Vec<&renkei_kernel::Db> {
        let mut dbs = Vec::new();
        if let Some(app) = &self.collab {
            dbs.push(app.db());
        }
        if let Some(app) = &self.orders {
            dbs.push(app.db());
        }
        if let Some(app) = &self.procurement {
            dbs.push(app.db());
        }
        if let Some(app) = &self.insights {
            dbs.push(app.db());
        }
        dbs
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Renkei API",
        description = "Business collaboration for small and medium enterprises. Every error has the body `ErrorBody` with a stable `code`."
    ),
    paths(healthz, readyz),
    components(schemas(ErrorBody, Code)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme the services' operations refer to.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            collab::http::BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from `POST /api/collab/auth/sign-in` or `/auth/refresh`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of the whole platform (every service, mounted or not).
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
        .nest("/api/collab", collab::http::router().split_for_parts().1)
        .nest("/api/orders", orders::http::router().split_for_parts().1)
        .nest(
            "/api/procurement",
            procurement::http::router().split_for_parts().1,
        )
        .nest(
            "/api/insights",
            insights::http::router().split_for_parts().1,
        )
}

#[derive(Clone)]
struct Edge {
    mounted: Mounted,
    metrics: Metrics,
}

/// The whole HTTP surface of this process.
pub fn router(mounted: Mounted, metrics: Metrics) -> Router {
    let mut api = Router::new();
    if let Some(app) = &mounted.collab {
        api = api.nest(
            "/api/collab",
            collab::http::router()
                .split_for_parts()
                .0
                .with_state(app.clone()),
        );
    }
    if let Some(app) = &mounted.orders {
        api = api.nest(
            "/api/orders",
            orders::http::router()
                .split_for_parts()
                .0
                .with_state(app.clone()),
        );
    }
    if let Some(app) = &mounted.procurement {
        api = api.nest(
            "/api/procurement",
            procurement::http::router()
                .split_for_parts()
                .0
                .with_state(app.clone()),
        );
    }
    if let Some(app) = &mounted.insights {
        api = api.nest(
            "/api/insights",
            insights::http::router()
                .split_for_parts()
                .0
                .with_state(app.clone()),
        );
    }
    let edge = Edge {
        mounted: mounted.clone(),
        metrics: metrics.clone(),
    };
    let operations = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(edge);
    let router = Router::new()
        .merge(api)
        .merge(proxy::router(&mounted))
        .merge(graphql::router(&mounted))
        .merge(docs::router())
        .merge(ui::router(mounted.clone()))
        .merge(operations)
        .fallback(not_found);
    renkei_kernel::http::edge_layers(router, metrics)
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: every database of this process answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = String),
        (status = 503, description = "A dependency is down", body = ErrorBody)
    )
)]
async fn readyz(State(edge): State<Edge>) -> Response {
    for db in edge.mounted.databases() {
        if let Err(e) = db.ping().await {
            tracing::warn!(service = db.service(), error = %e, "not ready");
            return ApiError::new(
                Code::Unavailable,
                format!("the database of service `{}` does not answer", db.service()),
            )
            .into_response();
        }
    }
    (StatusCode::OK, "ready").into_response()
}

async fn metrics_text(State(edge): State<Edge>) -> impl IntoResponse {
    (
        [renkei_kernel::http::content_type(
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        edge.metrics.render(),
    )
}

async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        ApiError::new(Code::NotFound, format!("no API route {}", uri.path())).into_response()
    } else {
        ui::not_found(&headers, &uri).into_response()
    }
}

/// Serves `openapi()` as JSON.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
