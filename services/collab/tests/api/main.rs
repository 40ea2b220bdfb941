//! HTTP-level tests of the collaboration service through its real router,
//! on SQLite and PostgreSQL: organisations, accounts and tokens, members and
//! invitations, the audit chain, and the tenant-isolation matrix.

mod access;
mod apps;
mod audit;
mod isolation;
mod members;
mod messages;
mod organisations;
mod partners;

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode},
};
use renkei_collab::app::App;
use renkei_kernel::{
    service::Context,
    settings::{Backend, BusMode, Settings},
    testing,
};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Password of every test account.
pub(crate) const PASSWORD: &str = "tsubame-sanjo-2026";

/// An answer: status, JSON body (or null) and headers.
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) headers: HeaderMap,
}

/// The service on a fresh database, behind its real router.
pub(crate) struct TestApp {
    router: Router,
    ctx: Option<Context>,
    pub(crate) app: App,
    pub(crate) settings: Settings,
    _dir: testing::TempDir,
}

/// A signed-in user acting in an organisation.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) user_id: String,
    pub(crate) email: String,
    pub(crate) access: String,
    pub(crate) refresh: String,
}

/// An organisation with one signed-in member per role.
pub(crate) struct Tenant {
    pub(crate) organisation_id: String,
    pub(crate) legal_name: String,
    pub(crate) owner: Session,
    pub(crate) admin: Session,
    pub(crate) member: Session,
    pub(crate) viewer: Session,
}

impl Tenant {
    pub(crate) fn all(&self) -> [(&'static str, &Session); 4] {
        [
            ("owner", &self.owner),
            ("admin", &self.admin),
            ("member", &self.member),
            ("viewer", &self.viewer),
        ]
    }
}

impl TestApp {
    pub(crate) async fn spawn(backend: Backend, bus: BusMode) -> Option<TestApp> {
        let (settings, dir) = testing::settings(backend, bus).await?;
        let ctx = Context::new(settings.clone());
        let db = ctx
            .migrate(renkei_collab::NAME, &renkei_collab::migrations())
            .await
            .expect("collab migrates");
        let app = App::new(db, settings.auth.clone());
        app.keys_ensure().await.expect("a signing key");
        Some(TestApp::over(app, settings, None, dir))
    }

    /// The service as `renkei up` runs it: relay, webhook fan-out and
    /// dispatcher included, with retries `first_retry_ms` apart.
    pub(crate) async fn spawn_running(
        backend: Backend,
        bus: BusMode,
        first_retry_ms: u64,
    ) -> Option<TestApp> {
        let (mut settings, dir) = testing::settings(backend, bus).await?;
        settings.webhooks.first_retry_ms = first_retry_ms;
        settings.webhooks.poll_interval_ms = 20;
        let ctx = Context::new(settings.clone());
        let app = renkei_collab::start(&ctx).await.expect("collab starts");
        Some(TestApp::over(app, settings, Some(ctx), dir))
    }

    fn over(app: App, settings: Settings, ctx: Option<Context>, dir: testing::TempDir) -> TestApp {
        let router = renkei_collab::http::router()
            .split_for_parts()
            .0
            .with_state(app.clone());
        TestApp {
            router: Router::new().nest("/api/collab", router),
            ctx,
            app,
            settings,
            _dir: dir,
        }
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Resp {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/collab{uri}"))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let body = body.map(Value::to_string).unwrap_or_default();
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
        }
    }

    /// Sends a request as built, through the router.
    pub(crate) async fn raw(&self, request: Request<Body>) -> Resp {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("body");
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
        }
    }

    pub(crate) async fn get(&self, uri: &str, token: &str) -> Resp {
        self.call("GET", uri, Some(token), &[], None).await
    }

    pub(crate) async fn post(&self, uri: &str, token: Option<&str>, body: Value) -> Resp {
        self.call("POST", uri, token, &[], Some(&body)).await
    }

    pub(crate) async fn rows(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.app.db().pool())
            .await
            .expect("count");
        n
    }

    /// Signs up (201 expected) and returns the user id.
    pub(crate) async fn sign_up(&self, email: &str) -> String {
        let r = self
            .post(
                "/auth/sign-up",
                None,
                json!({"email": email, "password": PASSWORD, "display_name": "テスト 太郎"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "sign-up {email}: {}", r.body);
        r.body["user_id"].as_str().expect("user_id").to_string()
    }

    /// Signs in (200 expected), acting in `organisation_id` if given.
    pub(crate) async fn sign_in(&self, email: &str, organisation_id: Option<&str>) -> Session {
        let r = self
            .post(
                "/auth/sign-in",
                None,
                json!({"email": email, "password": PASSWORD, "organisation_id": organisation_id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "sign-in {email}: {}", r.body);
        session(email, &r.body)
    }

    /// Refreshes, switching to `organisation_id` if given.
    pub(crate) async fn switch(&self, s: &Session, organisation_id: &str) -> Session {
        let r = self
            .post(
                "/auth/refresh",
                None,
                json!({"refresh_token": s.refresh, "organisation_id": organisation_id}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "switch: {}", r.body);
        session(&s.email, &r.body)
    }

    /// A new user owning a new company, signed in to it.
    pub(crate) async fn owner_of(&self, legal_name: &str, email: &str) -> (String, Session) {
        self.owner_of_kind(legal_name, "company", email).await
    }

    /// A new user owning a new organisation of `kind`, signed in to it.
    pub(crate) async fn owner_of_kind(
        &self,
        legal_name: &str,
        kind: &str,
        email: &str,
    ) -> (String, Session) {
        self.sign_up(email).await;
        let s = self.sign_in(email, None).await;
        let r = self
            .post(
                "/organisations",
                Some(&s.access),
                json!({"legal_name": legal_name, "kind": kind, "prefecture_code": "15"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "register: {}", r.body);
        let id = r.body["organisation_id"].as_str().expect("id").to_string();
        let s = self.switch(&s, &id).await;
        (id, s)
    }

    /// Invites `email` as `role`, signs them up, accepts, and signs them in to the organisation.
    pub(crate) async fn join(
        &self,
        organisation_id: &str,
        by: &Session,
        email: &str,
        role: &str,
    ) -> Session {
        let r = self
            .post(
                &format!("/organisations/{organisation_id}/invitations"),
                Some(&by.access),
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "invite: {}", r.body);
        let token = r.body["token"].as_str().expect("token").to_string();
        self.sign_up(email).await;
        let s = self.sign_in(email, None).await;
        let r = self
            .post(
                "/invitations/accept",
                Some(&s.access),
                json!({"token": token}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "accept: {}", r.body);
        self.switch(&s, organisation_id).await
    }

    /// An organisation with a member in every role; emails end in `@<domain>`.
    pub(crate) async fn tenant(&self, legal_name: &str, domain: &str) -> Tenant {
        let (organisation_id, owner) = self.owner_of(legal_name, &format!("owner@{domain}")).await;
        let admin = self
            .join(
                &organisation_id,
                &owner,
                &format!("admin@{domain}"),
                "admin",
            )
            .await;
        let member = self
            .join(
                &organisation_id,
                &owner,
                &format!("member@{domain}"),
                "member",
            )
            .await;
        let viewer = self
            .join(
                &organisation_id,
                &owner,
                &format!("viewer@{domain}"),
                "viewer",
            )
            .await;
        Tenant {
            organisation_id,
            legal_name: legal_name.to_string(),
            owner,
            admin,
            member,
            viewer,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(ctx) = &self.ctx {
            ctx.shutdown.cancel();
        }
    }
}

fn session(email: &str, body: &Value) -> Session {
    Session {
        user_id: body["user_id"].as_str().expect("user_id").to_string(),
        email: email.to_string(),
        access: body["access_token"].as_str().expect("access").to_string(),
        refresh: body["refresh_token"].as_str().expect("refresh").to_string(),
    }
}
