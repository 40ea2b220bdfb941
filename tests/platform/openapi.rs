//! The OpenAPI document is committed (docs/openapi.json) so that API changes
//! show up in review; this fails when the code and the file drift apart.

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    let generated = renkei_gateway::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi.json is out of date: run `cargo run -q -- openapi > docs/openapi.json` and review the diff"
    );
}

#[test]
fn every_api_operation_documents_its_error_body() {
    let doc = renkei_gateway::openapi();
    let json = serde_json::to_value(&doc).expect("serialise");
    let paths = json["paths"].as_object().expect("paths");
    assert!(
        paths.keys().any(|p| p.starts_with("/api/collab/")),
        "collab routes are documented"
    );
    assert!(
        paths.keys().any(|p| p.starts_with("/api/insights/")),
        "insights routes are documented"
    );
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/")) {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            let has_error = responses.iter().any(|(status, r)| {
                !status.starts_with('2') && r.to_string().contains("#/components/schemas/ErrorBody")
            });
            assert!(
                has_error,
                "{method} {path} documents no error response with ErrorBody"
            );
        }
    }
}
