//! HTTP-level tests of the orders service through its real router, on
//! SQLite and PostgreSQL. Tokens are signed with a test key the service is
//! told to trust, and partnerships arrive as the collab events the service
//! consumes in production, applied through the same handler.

mod cycle;
mod edi;
mod isolation;
mod joint;
mod mailbox;
mod rules;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use renkei_edi::{Document, samples};
use renkei_kernel::{
    auth::{Jwks, PrincipalKind, Role, SigningKey, Verifier, claims},
    bus::{Applied, apply_once},
    events::{
        Envelope,
        proto::{GroupChanged, Partnership, PartnershipAccepted, PartnershipEnded},
    },
    service::Context,
    settings::{Backend, BusMode},
    storage::Migrations,
    testing,
};
use renkei_orders::{app::App, events::CollabLinks};
use serde_json::Value;
use tower::ServiceExt;

/// An answer: status and JSON body (or null).
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

/// The answer to a collect: status, headers, the file, and the error body
/// when there is one.
pub(crate) struct Collect {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) bytes: Vec<u8>,
    pub(crate) body: Value,
}

impl Collect {
    /// A `renkei-…` header as text.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// The service on a fresh database, behind its real router.
pub(crate) struct TestApp {
    router: Router,
    pub(crate) app: App,
    key: SigningKey,
    _dir: testing::TempDir,
}

/// A fresh organisation id.
pub(crate) fn org() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The sample cycle with the parties replaced by `buyer` and `seller`.
pub(crate) fn cycle_between(buyer: &str, seller: &str) -> Vec<Document> {
    samples::cycle()
        .into_iter()
        .map(|mut d| {
            let (b, s) = d.parties_mut();
            b.id = buyer.to_string();
            s.id = seller.to_string();
            d
        })
        .collect()
}

impl TestApp {
    pub(crate) async fn spawn(backend: Backend, bus: BusMode) -> Option<TestApp> {
        TestApp::spawn_at(backend, bus, &renkei_orders::migrations()).await
    }

    /// [`TestApp::spawn`] on a database that has had only `migrations`, as
    /// one of an earlier release has.
    pub(crate) async fn spawn_at(
        backend: Backend,
        bus: BusMode,
        migrations: &Migrations,
    ) -> Option<TestApp> {
        let (settings, dir) = testing::settings(backend, bus).await?;
        let ctx = Context::new(settings);
        let db = ctx
            .migrate(renkei_orders::NAME, migrations)
            .await
            .expect("orders migrates");
        let key = SigningKey::generate();
        let verifier = Verifier::fixed(&Jwks {
            keys: vec![key.jwk()],
        });
        let app = App::new(db, verifier);
        let router = Router::new().nest(
            "/api/orders",
            renkei_orders::http::router()
                .split_for_parts()
                .0
                .with_state(app.clone()),
        );
        Some(TestApp {
            router,
            app,
            key,
            _dir: dir,
        })
    }

    /// An access token of a person with `role` in `organisation_id`.
    pub(crate) fn token(&self, organisation_id: &str, role: Role) -> String {
        let c = claims(
            PrincipalKind::User,
            &org(),
            Some((organisation_id, Some(role))),
            None,
            None,
            std::time::Duration::from_secs(600),
        );
        self.key.sign(&c).expect("signs")
    }

    /// An access token of an app installed in `organisation_id` with `scopes`.
    pub(crate) fn app_token(&self, organisation_id: &str, scopes: &str) -> String {
        let c = claims(
            PrincipalKind::App,
            &org(),
            Some((organisation_id, None)),
            Some(scopes),
            None,
            std::time::Duration::from_secs(600),
        );
        self.key.sign(&c).expect("signs")
    }

    async fn collab_event(&self, envelope: Envelope) {
        let applied = apply_once(self.app.db(), &CollabLinks, &envelope, None)
            .await
            .expect("applies");
        assert_eq!(applied, Applied::Applied);
    }

    /// Collab accepted a partnership (`buyer` buys from `seller` when
    /// `directed`); returns its id.
    pub(crate) async fn partners(&self, buyer: &str, seller: &str, directed: bool) -> String {
        let partnership = Partnership {
            partnership_id: org(),
            proposer_id: seller.to_string(),
            counterparty_id: buyer.to_string(),
            kind: if directed {
                "buyer_supplier"
            } else {
                "partner"
            }
            .into(),
            buyer_id: if directed {
                buyer.to_string()
            } else {
                String::new()
            },
            status: "active".into(),
            version: 2,
        };
        let id = partnership.partnership_id.clone();
        self.collab_event(Envelope::new(
            seller,
            &id,
            &PartnershipAccepted {
                partnership: Some(partnership),
            },
        ))
        .await;
        id
    }

    /// Collab ended partnership `id` between the two.
    pub(crate) async fn end(&self, id: &str, buyer: &str, seller: &str) {
        let partnership = Partnership {
            partnership_id: id.to_string(),
            proposer_id: seller.to_string(),
            counterparty_id: buyer.to_string(),
            kind: "partner".into(),
            buyer_id: String::new(),
            status: "ended".into(),
            version: 3,
        };
        self.collab_event(Envelope::new(
            seller,
            id,
            &PartnershipEnded {
                partnership: Some(partnership),
            },
        ))
        .await;
    }

    /// Collab formed or changed a group.
    pub(crate) async fn group(&self, group_id: &str, version: i64, members: &[&str]) {
        self.collab_event(Envelope::new(
            members[0],
            group_id,
            &GroupChanged {
                group_id: group_id.to_string(),
                version,
                name: "戸越銀座 共同仕入".into(),
                kind: "purchasing_group".into(),
                organiser_id: members[0].to_string(),
                member_ids: members.iter().map(|m| m.to_string()).collect(),
            },
        ))
        .await;
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/orders{uri}"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let body = body.map(Value::to_string).unwrap_or_default();
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Sends a file as `organisation_id`; `query` is appended as is.
    pub(crate) async fn upload(
        &self,
        organisation_id: &str,
        token: &str,
        query: &str,
        bytes: impl Into<Vec<u8>>,
    ) -> Resp {
        let request = Request::builder()
            .method("POST")
            .uri(format!(
                "/api/orders/organisations/{organisation_id}/interchanges{query}"
            ))
            .header("content-type", "application/octet-stream")
            .header("authorization", format!("Bearer {token}"));
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(bytes.into())).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A GET whose answer is a file: status, content type and bytes.
    pub(crate) async fn fetch(&self, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
        let request = Request::builder()
            .uri(format!("/api/orders{uri}"))
            .header("authorization", format!("Bearer {token}"));
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body");
        (status, kind, bytes.to_vec())
    }

    /// Collects from `organisation_id`'s mailbox what `partner_id` sent;
    /// `query` is appended as is.
    pub(crate) async fn collect(
        &self,
        organisation_id: &str,
        partner_id: &str,
        token: &str,
        key: Option<&str>,
        query: &str,
    ) -> Collect {
        let mut request = Request::builder()
            .method("POST")
            .uri(format!(
                "/api/orders/organisations/{organisation_id}/edi/mailbox/{partner_id}/collect{query}"
            ))
            .header("authorization", format!("Bearer {token}"));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body")
            .to_vec();
        Collect {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
            bytes,
        }
    }

    pub(crate) async fn get(&self, uri: &str, token: &str) -> Resp {
        self.call("GET", uri, token, None, None).await
    }

    /// Sends `document` as `organisation_id` with a fresh idempotency key.
    pub(crate) async fn send(
        &self,
        organisation_id: &str,
        token: &str,
        document: &Document,
    ) -> Resp {
        let body = serde_json::to_value(document).expect("json");
        let key = uuid::Uuid::new_v4().to_string();
        self.call(
            "POST",
            &format!("/organisations/{organisation_id}/documents"),
            token,
            Some(&key),
            Some(&body),
        )
        .await
    }

    pub(crate) async fn rows(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.app.db().pool())
            .await
            .expect("count");
        n
    }

    /// Event types in the outbox, oldest first.
    pub(crate) async fn events(&self) -> Vec<String> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT event_type FROM outbox ORDER BY outbox_id")
                .fetch_all(self.app.db().pool())
                .await
                .expect("outbox");
        rows.into_iter().map(|(t,)| t).collect()
    }
}
