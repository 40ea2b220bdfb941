//! HTTP-level tests of the collaboration service through its real router,
//! on SQLite and PostgreSQL: what is accepted, what is refused and that a
//! refusal changes nothing, and idempotent registration under concurrency.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use renkei_collab::app::App;
use renkei_kernel::{
    service::Context,
    settings::{Backend, BusMode},
    testing,
};
use serde_json::{Value, json};
use tower::ServiceExt;

struct TestApp {
    router: Router,
    app: App,
    _dir: testing::TempDir,
}

impl TestApp {
    async fn spawn(backend: Backend, bus: BusMode) -> Option<TestApp> {
        let (settings, dir) = testing::settings(backend, bus).await?;
        let ctx = Context::new(settings);
        let db = ctx
            .migrate(renkei_collab::NAME, &renkei_collab::migrations())
            .await
            .expect("collab migrates");
        let app = App::new(db);
        let router = renkei_collab::http::router()
            .split_for_parts()
            .0
            .with_state(app.clone());
        Some(TestApp {
            router: Router::new().nest("/api/collab", router),
            app,
            _dir: dir,
        })
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (StatusCode, Value, Option<String>) {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body.to_string())).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().expect("ascii").to_string());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value, location)
    }

    async fn register(
        &self,
        body: Value,
        key: Option<&str>,
    ) -> (StatusCode, Value, Option<String>) {
        let headers: Vec<(&str, &str)> = key
            .map(|k| vec![("idempotency-key", k)])
            .unwrap_or_default();
        self.call(
            "POST",
            "/api/collab/organisations",
            &headers,
            &body.to_string(),
        )
        .await
    }

    async fn rows(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.app.db().pool())
            .await
            .expect("count");
        n
    }
}

fn yamada() -> Value {
    json!({"legal_name": "株式会社 山田製作所", "kind": "company", "prefecture_code": "27"})
}

async fn a_registration_is_stored_with_its_event(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };

    let (status, body, location) = t.register(yamada(), None).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["organisation_id"].as_str().expect("id");
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/collab/organisations/{id}").as_str())
    );
    assert_eq!(body["legal_name"], "株式会社 山田製作所");
    assert_eq!(body["prefecture_name"], "大阪府");
    let (status, viewed, _) = t
        .call("GET", &format!("/api/collab/organisations/{id}"), &[], "")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(viewed, body);
    let (event_type, tenant): (String, String) =
        sqlx::query_as("SELECT event_type, tenant_id FROM outbox")
            .fetch_one(t.app.db().pool())
            .await
            .expect("one event");
    assert_eq!(event_type, "collab.organisation.registered");
    assert_eq!(tenant, id);
}
renkei_kernel::on_each_engine!(
    a_registration_is_stored_with_its_event_in_one_transaction,
    a_registration_is_stored_with_its_event
);

async fn bad_input_is_refused_and_changes_nothing(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let cases = [
        (
            json!({"legal_name": "", "kind": "company", "prefecture_code": "13"}),
            "invalid_input",
            Some("legal_name"),
        ),
        (
            json!({"legal_name": "x", "kind": "bank", "prefecture_code": "13"}),
            "invalid_input",
            Some("kind"),
        ),
        (
            json!({"legal_name": "x", "kind": "company", "prefecture_code": "48"}),
            "invalid_input",
            Some("prefecture_code"),
        ),
        (
            json!({"legal_name": "x", "kind": "company"}),
            "malformed_body",
            None,
        ),
        (
            json!({"legal_name": "x", "kind": "company", "prefecture_code": "13", "capital": 1}),
            "malformed_body",
            None,
        ),
    ];
    for (input, code, field) in cases {
        let (status, body, _) = t.register(input.clone(), None).await;
        assert!(status.is_client_error(), "{input} -> {status}");
        assert_eq!(body["error"]["code"], code, "{input}: {body}");
        assert_eq!(body["error"]["field"].as_str(), field, "{input}: {body}");
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
    let (status, body, _) = t
        .call("POST", "/api/collab/organisations", &[], "{not json")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "malformed_body");
    let (status, body, _) = t.register(yamada(), Some("has space")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "Idempotency-Key");

    assert_eq!(t.rows("organisation").await, 0, "nothing stored");
    assert_eq!(t.rows("outbox").await, 0, "nothing published");
    assert_eq!(t.rows("idempotency_key").await, 0, "no key consumed");

    let (status, body, _) = t
        .call(
            "GET",
            "/api/collab/organisations/00000000-0000-0000-0000-000000000000",
            &[],
            "",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
}
renkei_kernel::on_each_engine!(
    bad_input_is_refused_with_a_stable_code_and_changes_nothing,
    bad_input_is_refused_and_changes_nothing
);

async fn a_resubmission_has_the_effect_of_one(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };

    let (first, body1, _) = t.register(yamada(), Some("k-1")).await;
    let (again, body2, _) = t.register(yamada(), Some("k-1")).await;
    let mut other = yamada();
    other["legal_name"] = json!("別の会社");
    let (reused, body3, _) = t.register(other, Some("k-1")).await;

    assert_eq!(first, StatusCode::CREATED);
    assert_eq!(again, StatusCode::OK);
    assert_eq!(body1, body2);
    assert_eq!(reused, StatusCode::CONFLICT);
    assert_eq!(body3["error"]["code"], "idempotency_key_reused");
    assert_eq!(t.rows("organisation").await, 1);
    assert_eq!(t.rows("outbox").await, 1);
}
renkei_kernel::on_each_engine!(
    a_resubmission_with_the_same_key_has_the_effect_of_one,
    a_resubmission_has_the_effect_of_one
);

async fn concurrent_resubmissions_create_one(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };

    let attempts = (0..8).map(|_| t.register(yamada(), Some("same-key")));
    let results = futures::future::join_all(attempts).await;

    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(status, body, _)| {
            assert!(status.is_success(), "{status}: {body}");
            body["organisation_id"].as_str().expect("id").to_string()
        })
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "every attempt answers with the same organisation"
    );
    assert_eq!(
        results
            .iter()
            .filter(|(s, _, _)| *s == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(t.rows("organisation").await, 1);
    assert_eq!(t.rows("outbox").await, 1);
}
renkei_kernel::on_each_engine!(
    concurrent_resubmissions_with_one_key_create_one_organisation,
    concurrent_resubmissions_create_one
);
