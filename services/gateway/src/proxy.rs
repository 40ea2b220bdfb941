//! Forwarding for a gateway that runs alone: `/api/<service>/…` goes to the
//! base URL configured in `gateway.upstreams.<service>`, with method, headers
//! and body passed through and the request id kept.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderName, StatusCode},
    response::{IntoResponse, Response},
    routing::any,
};
use renkei_kernel::{ApiError, Code};

use crate::Mounted;

const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Clone)]
struct Upstream {
    name: String,
    base: String,
    client: reqwest::Client,
}

/// Routes for the services configured as upstreams and not mounted here.
pub fn router(mounted: &Mounted) -> Router {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let mut router = Router::new();
    for (name, base) in &mounted.upstreams {
        let local = (name == "collab" && mounted.collab.is_some())
            || (name == "orders" && mounted.orders.is_some())
            || (name == "procurement" && mounted.procurement.is_some())
            || (name == "insights" && mounted.insights.is_some());
        if local {
            continue;
        }
        let upstream = Upstream {
            name: name.clone(),
            base: base.trim_end_matches('/').to_string(),
            client: client.clone(),
        };
        router = router.merge(
            Router::new()
                .route(&format!("/api/{name}/{{*rest}}"), any(forward))
                .with_state(upstream),
        );
    }
    router
}

fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
            | "host"
            | "content-length"
    )
}

async fn forward(State(upstream): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let url = format!("{}{}", upstream.base, path_and_query);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(Code::MalformedBody, "request body larger than 16 MiB")
                .into_response();
        }
    };
    let mut outgoing = upstream.client.request(parts.method, &url).body(body);
    for (name, value) in parts.headers.iter().filter(|(n, _)| !hop_by_hop(n)) {
        outgoing = outgoing.header(name, value);
    }
    match outgoing.send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut response = Response::builder().status(status);
            for (name, value) in answer.headers().iter().filter(|(n, _)| !hop_by_hop(n)) {
                response = response.header(name, value);
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            response
                .body(Body::from(bytes))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(e) => {
            tracing::warn!(service = %upstream.name, error = %e, "upstream unreachable");
            ApiError::new(
                Code::Unavailable,
                format!("service `{}` is not reachable right now", upstream.name),
            )
            .into_response()
        }
    }
}
