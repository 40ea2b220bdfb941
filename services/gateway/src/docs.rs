//! `/openapi.json` and a browsable page of it, rendered on the server so that
//! it works without loading scripts from elsewhere.

use axum::{Router, response::Html, routing::get};
use utoipa::openapi::{PathItem, path::Operation};

use crate::{openapi, openapi_json, ui::escape};

/// The document and its page.
pub fn router() -> Router {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/docs", get(page))
}

fn operations(item: &PathItem) -> Vec<(&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("POST", &item.post),
        ("PUT", &item.put),
        ("PATCH", &item.patch),
        ("DELETE", &item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
    .collect()
}

async fn page() -> Html<String> {
    let doc = openapi();
    let mut body = String::new();
    body.push_str(&format!(
        "<h1>{} <small>{}</small></h1><p>{}</p><p><a href=\"/openapi.json\">openapi.json</a> · <a href=\"/graphql\">GraphQL</a></p>",
        escape(&doc.info.title),
        escape(&doc.info.version),
        escape(doc.info.description.as_deref().unwrap_or_default())
    ));
    body.push_str("<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Responses</th></tr></thead><tbody>");
    for (path, item) in doc.paths.paths.iter() {
        for (method, op) in operations(item) {
            let responses: Vec<String> = op.responses.responses.keys().cloned().collect();
            body.push_str(&format!(
                "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(path),
                escape(op.summary.as_deref().or(op.description.as_deref()).unwrap_or_default()),
                escape(&responses.join(", "))
            ));
        }
    }
    body.push_str("</tbody></table>");
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Renkei API</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main>{body}</main></body></html>"
    ))
}
