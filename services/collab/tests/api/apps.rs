//! Apps of IT vendors: registration, installation with granted scopes,
//! OAuth2 client credentials for one installation, scope checks, uninstall
//! revoking at once, and signed webhook deliveries with retries.

use std::sync::{Arc, Mutex};

use axum::{http::StatusCode, routing::post};
use renkei_kernel::{
    settings::{Backend, BusMode},
    testing,
};
use serde_json::{Value, json};

use crate::{Session, TestApp};

struct Market {
    vendor: String,
    vendor_admin: Session,
    company: crate::Tenant,
    app_id: String,
    installation_id: String,
    client_id: String,
    client_secret: String,
    webhook_secret: String,
}

async fn market(t: &TestApp, webhook_url: &str, scopes: Value, events: Value) -> Market {
    let (vendor, vendor_admin) = t
        .owner_of_kind(
            "株式会社 まちITサービス",
            "it_vendor",
            "dev@machi-it.example.jp",
        )
        .await;
    let registered = t
        .post(
            &format!("/organisations/{vendor}/apps"),
            Some(&vendor_admin.access),
            json!({"name": "まち受発注コネクタ", "webhook_url": webhook_url, "scopes": scopes, "events": events}),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{}",
        registered.body
    );
    let app_id = registered.body["app_id"].as_str().expect("app").to_string();
    let company = t.tenant("戸越銀座 青木青果店", "aoki.example.jp").await;
    let installed = t
        .post(
            &format!("/organisations/{}/installations", company.organisation_id),
            Some(&company.admin.access),
            json!({"app_id": app_id, "scopes": ["organisation:read", "messages:read"]}),
        )
        .await;
    assert_eq!(installed.status, StatusCode::CREATED, "{}", installed.body);
    let installation_id = installed.body["installation_id"]
        .as_str()
        .expect("installation")
        .to_string();
    let credentials = t
        .post(
            &format!(
                "/organisations/{vendor}/apps/{app_id}/installations/{installation_id}/credentials"
            ),
            Some(&vendor_admin.access),
            json!({}),
        )
        .await;
    assert_eq!(credentials.status, StatusCode::OK, "{}", credentials.body);
    let field = |k: &str| credentials.body[k].as_str().expect(k).to_string();
    Market {
        vendor,
        vendor_admin,
        company,
        app_id,
        installation_id,
        client_id: field("client_id"),
        client_secret: field("client_secret"),
        webhook_secret: field("webhook_secret"),
    }
}

async fn token(t: &TestApp, form: &str) -> crate::Resp {
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/api/collab/oauth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form.to_string()))
        .expect("request");
    t.raw(request).await
}

async fn apps_and_tokens(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let m = market(
        &t,
        "https://hooks.machi-it.example.jp/renkei",
        json!(["organisation:read", "messages:read", "messages:write"]),
        json!([]),
    )
    .await;
    let company = &m.company.organisation_id;

    let not_vendor = t
        .post(
            &format!("/organisations/{company}/apps"),
            Some(&m.company.admin.access),
            json!({"name": "x", "scopes": ["organisation:read"]}),
        )
        .await;
    assert_eq!(not_vendor.status, StatusCode::FORBIDDEN);
    let plain_http = t
        .post(&format!("/organisations/{}/apps", m.vendor), Some(&m.vendor_admin.access), json!({"name": "x", "scopes": ["organisation:read"], "webhook_url": "http://hooks.example.jp/"}))
        .await;
    assert_eq!(plain_http.body["error"]["field"], "webhook_url");
    let no_hook = t
        .post(&format!("/organisations/{}/apps", m.vendor), Some(&m.vendor_admin.access), json!({"name": "x", "scopes": ["organisation:read"], "events": ["collab.message.posted"]}))
        .await;
    assert_eq!(no_hook.body["error"]["field"], "webhook_url");
    let over_grant = t
        .post(
            &format!("/organisations/{company}/installations"),
            Some(&m.company.owner.access),
            json!({"app_id": m.app_id, "scopes": ["orders:write"]}),
        )
        .await;
    assert_eq!(over_grant.body["error"]["field"], "scopes");
    let twice = t
        .post(
            &format!("/organisations/{company}/installations"),
            Some(&m.company.owner.access),
            json!({"app_id": m.app_id, "scopes": ["organisation:read"]}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let own = t
        .get(
            &format!("/organisations/{}/apps", m.vendor),
            &m.vendor_admin.access,
        )
        .await;
    assert_eq!(own.body.as_array().expect("apps").len(), 1);
    let installs = t
        .get(
            &format!(
                "/organisations/{}/apps/{}/installations",
                m.vendor, m.app_id
            ),
            &m.vendor_admin.access,
        )
        .await;
    assert_eq!(
        installs.body[0]["organisation_id"],
        company.as_str(),
        "{}",
        installs.body
    );
    assert_eq!(installs.body[0]["status"], "installed");
    let catalogue = t.get("/apps", &m.company.viewer.access).await;
    assert_eq!(catalogue.body[0]["name"], "まち受発注コネクタ");

    let wrong = token(
        &t,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret=nope",
            m.client_id
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"], "invalid_client");
    let grant = token(&t, "grant_type=password&username=x&password=y").await;
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    let too_much = token(
        &t,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=messages%3Awrite",
            m.client_id, m.client_secret
        ),
    )
    .await;
    assert_eq!(too_much.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        too_much.body["error"], "invalid_scope",
        "granted only read scopes"
    );
    let ok = token(
        &t,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            m.client_id, m.client_secret
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["scope"], "organisation:read messages:read");
    let app_token = ok.body["access_token"].as_str().expect("token").to_string();

    let profile = t
        .get(&format!("/organisations/{company}"), &app_token)
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.body);
    assert_eq!(profile.body["legal_name"], "戸越銀座 青木青果店");
    let members = t
        .get(&format!("/organisations/{company}/members"), &app_token)
        .await;
    assert_eq!(
        members.status,
        StatusCode::FORBIDDEN,
        "apps cannot list people"
    );
    let partners = t
        .get(
            &format!("/organisations/{company}/partnerships"),
            &app_token,
        )
        .await;
    assert_eq!(
        partners.status,
        StatusCode::FORBIDDEN,
        "partners:read was not granted"
    );
    let elsewhere = t
        .get(&format!("/organisations/{}", m.vendor), &app_token)
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "only its installation's organisation"
    );
    let write = t
        .post(
            &format!("/organisations/{company}/threads"),
            Some(&app_token),
            json!({"subject": "s", "participants": [m.vendor], "body": "x"}),
        )
        .await;
    assert_eq!(
        write.status,
        StatusCode::FORBIDDEN,
        "messages:write was not granted"
    );

    let by_member = t
        .call(
            "DELETE",
            &format!(
                "/organisations/{company}/installations/{}",
                m.installation_id
            ),
            Some(&m.company.member.access),
            &[],
            None,
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let removed = t
        .call(
            "DELETE",
            &format!(
                "/organisations/{company}/installations/{}",
                m.installation_id
            ),
            Some(&m.company.admin.access),
            &[],
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let after = t
        .get(&format!("/organisations/{company}"), &app_token)
        .await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "uninstalling revokes the token at once"
    );
    let no_more = token(
        &t,
        &format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            m.client_id, m.client_secret
        ),
    )
    .await;
    assert_eq!(no_more.body["error"], "invalid_client");
}
renkei_kernel::on_each_engine!(
    an_installed_app_gets_tokens_for_its_installation_only_within_its_scopes_until_uninstalled,
    apps_and_tokens
);

#[derive(Clone, Default)]
struct Hook {
    received: Arc<Mutex<Vec<(String, String)>>>,
}

async fn receiver() -> (String, Hook) {
    let hook = Hook::default();
    let state = hook.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let signature = headers
                    .get("renkei-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let mut received = state.received.lock().expect("lock");
                received.push((signature, body));
                if received.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, hook)
}

async fn webhooks(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn_running(backend, bus, 50).await else {
        return;
    };
    let (url, hook) = receiver().await;
    let m = market(
        &t,
        &url,
        json!(["organisation:read", "messages:read"]),
        json!(["collab.message.posted"]),
    )
    .await;
    let company = &m.company.organisation_id;
    let supplier = t
        .tenant("株式会社 関東中央食品卸", "kanto.example.jp")
        .await;
    let p = t
        .post(&format!("/organisations/{company}/partnerships"), Some(&m.company.admin.access), json!({"counterparty_id": supplier.organisation_id, "kind": "buyer_supplier", "my_side": "buyer"}))
        .await;
    let pid = p.body["partnership_id"].as_str().expect("id");
    t.post(
        &format!(
            "/organisations/{}/partnerships/{pid}/accept",
            supplier.organisation_id
        ),
        Some(&supplier.admin.access),
        json!({}),
    )
    .await;

    let started = t
        .post(
            &format!("/organisations/{}/threads", supplier.organisation_id),
            Some(&supplier.member.access),
            json!({"subject": "入荷のご案内", "participants": [company], "body": "新米が入荷しました。"}),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);

    let log = testing::eventually(std::time::Duration::from_secs(20), || async {
        let r = t
            .get(
                &format!("/organisations/{}/apps/{}/deliveries", m.vendor, m.app_id),
                &m.vendor_admin.access,
            )
            .await;
        (r.body[0]["status"] == "delivered").then_some(r.body)
    })
    .await
    .expect("the message reaches the company's installed app after a retry");
    assert_eq!(
        log.as_array().expect("log").len(),
        1,
        "one delivery for one event"
    );
    assert_eq!(
        log[0]["attempts"], 2,
        "the first attempt got HTTP 500: {log}"
    );
    assert_eq!(log[0]["event_type"], "collab.message.posted");
    let received = hook.received.lock().expect("lock").clone();
    assert_eq!(received.len(), 2);
    let (signature, body) = &received[1];
    let t_secs: i64 = signature
        .split(',')
        .next()
        .and_then(|p| p.strip_prefix("t="))
        .and_then(|s| s.parse().ok())
        .expect("timestamp");
    assert_eq!(
        signature,
        &renkei_collab::domain::app::signature(&m.webhook_secret, t_secs, body),
        "the HMAC verifies with the installation's webhook secret"
    );
    let payload: Value = serde_json::from_str(body).expect("json");
    assert_eq!(payload["organisation_id"], company.as_str());
    assert_eq!(payload["data"]["subject"], "入荷のご案内");

    t.call(
        "DELETE",
        &format!(
            "/organisations/{company}/installations/{}",
            m.installation_id
        ),
        Some(&m.company.admin.access),
        &[],
        None,
    )
    .await;
    let again = t
        .post(
            &format!("/organisations/{}/threads", supplier.organisation_id),
            Some(&supplier.member.access),
            json!({"subject": "追加のご案内", "participants": [company], "body": "まだあります。"}),
        )
        .await;
    let thread = again.body["thread"]["thread_id"]
        .as_str()
        .expect("thread")
        .to_string();
    let pool = t.app.db().pool().clone();
    testing::eventually(std::time::Duration::from_secs(20), || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM processed_event p JOIN outbox o ON o.event_id = p.event_id \
             WHERE p.consumer = 'collab.webhooks' AND o.event_type = 'collab.message.posted' AND o.event_key LIKE $1",
        )
        .bind(format!("%{thread}"))
        .fetch_one(&pool)
        .await
        .ok()?;
        (n == 1).then_some(())
    })
    .await
    .expect("the second message is processed by the fan-out");
    assert_eq!(
        t.rows("webhook_delivery").await,
        1,
        "nothing is queued for an uninstalled app"
    );
}
renkei_kernel::on_each_engine!(
    events_reach_installed_apps_signed_and_retried_and_stop_at_uninstall,
    webhooks
);
