//! Consents (scoped, time-limited, revocable, audited) and message threads
//! with read marks and notifications.

use axum::http::StatusCode;
use renkei_kernel::{
    settings::{Backend, BusMode},
    storage::now_ms,
};
use serde_json::json;

use crate::TestApp;

async fn consents(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let company = t.tenant("有限会社 八尾プレス工業", "yao.example.jp").await;
    let (bank, banker) = t
        .owner_of_kind("城南信用金庫", "supporter", "loans@jonan.example.jp")
        .await;
    let (other_company, _) = t.owner_of("株式会社 東大阪精密", "osaka@example.jp").await;
    let org = &company.organisation_id;
    let grant = |body: serde_json::Value| {
        let t = &t;
        let uri = format!("/organisations/{org}/consents");
        let token = company.admin.access.clone();
        async move { t.post(&uri, Some(&token), body).await }
    };
    let day = 86_400_000;

    let to_company = grant(json!({"grantee_id": other_company, "scopes": ["profile:read"], "purpose": "x", "expires_at_ms": now_ms() + day})).await;
    assert_eq!(to_company.body["error"]["field"], "grantee_id");
    let past = grant(json!({"grantee_id": bank, "scopes": ["profile:read"], "purpose": "x", "expires_at_ms": now_ms() - 1})).await;
    assert_eq!(past.body["error"]["field"], "expires_at_ms");
    let no_scope = grant(
        json!({"grantee_id": bank, "scopes": [], "purpose": "x", "expires_at_ms": now_ms() + day}),
    )
    .await;
    assert_eq!(no_scope.body["error"]["field"], "scopes");
    let by_member = t
        .post(&format!("/organisations/{org}/consents"), Some(&company.member.access), json!({"grantee_id": bank, "scopes": ["profile:read"], "purpose": "x", "expires_at_ms": now_ms() + day}))
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    assert_eq!(t.rows("consent").await, 0);

    let profile_uri = format!("/organisations/{bank}/consented/{org}/profile");
    let before = t.get(&profile_uri, &banker.access).await;
    assert_eq!(
        before.status,
        StatusCode::FORBIDDEN,
        "no consent, no view: {}",
        before.body
    );

    let granted = grant(json!({"grantee_id": bank, "scopes": ["profile:read"], "purpose": "事業性評価融資の審査", "expires_at_ms": now_ms() + day})).await;
    assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.body);
    let consent_id = granted.body["consent_id"].as_str().expect("id").to_string();
    let seen = t.get(&profile_uri, &banker.access).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["legal_name"], "有限会社 八尾プレス工業");
    let partners = t
        .get(
            &format!("/organisations/{bank}/consented/{org}/partnerships"),
            &banker.access,
        )
        .await;
    assert_eq!(
        partners.status,
        StatusCode::FORBIDDEN,
        "partners:read was not granted"
    );
    let audit = t
        .get(
            &format!("/organisations/{org}/audit"),
            &company.admin.access,
        )
        .await;
    assert!(
        audit.body.to_string().contains("consent.used"),
        "the company sees each use"
    );
    let listed = t
        .get(&format!("/organisations/{bank}/consents"), &banker.access)
        .await;
    assert_eq!(listed.body[0]["status"], "active");

    sqlx::query("UPDATE consent SET expires_at_ms = $1 WHERE consent_id = $2")
        .bind(now_ms() - 1)
        .bind(&consent_id)
        .execute(t.app.db().pool())
        .await
        .expect("let it expire");
    let expired = t.get(&profile_uri, &banker.access).await;
    assert_eq!(
        expired.status,
        StatusCode::FORBIDDEN,
        "an expired consent shows nothing"
    );
    let listed = t
        .get(
            &format!("/organisations/{org}/consents"),
            &company.viewer.access,
        )
        .await;
    assert_eq!(listed.body[0]["status"], "expired");

    let again = grant(json!({"grantee_id": bank, "scopes": ["profile:read", "partners:read"], "purpose": "継続審査", "expires_at_ms": now_ms() + day})).await;
    let again_id = again.body["consent_id"].as_str().expect("id").to_string();
    assert_eq!(
        t.get(&profile_uri, &banker.access).await.status,
        StatusCode::OK
    );
    let their_partners = t
        .get(
            &format!("/organisations/{bank}/consented/{org}/partnerships"),
            &banker.access,
        )
        .await;
    assert_eq!(
        their_partners.status,
        StatusCode::OK,
        "partners:read now granted: {}",
        their_partners.body
    );
    assert_eq!(their_partners.body, json!([]));
    let by_grantee = t
        .post(
            &format!("/organisations/{bank}/consents/{again_id}/revoke"),
            Some(&banker.access),
            json!({}),
        )
        .await;
    assert_eq!(
        by_grantee.status,
        StatusCode::NOT_FOUND,
        "only the grantor revokes"
    );
    let revoke_uri = format!("/organisations/{org}/consents/{again_id}/revoke");
    let revoked = t
        .post(&revoke_uri, Some(&company.admin.access), json!({}))
        .await;
    assert_eq!(revoked.body["status"], "revoked");
    assert_eq!(
        t.get(&profile_uri, &banker.access).await.status,
        StatusCode::FORBIDDEN,
        "revocation is immediate"
    );
    assert_eq!(
        t.post(&revoke_uri, Some(&company.admin.access), json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );
}
renkei_kernel::on_each_engine!(
    a_consent_shows_only_its_scopes_until_it_expires_or_is_revoked_and_every_use_is_audited,
    consents
);

async fn threads(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let buyer = t.tenant("株式会社 燕金属加工", "tsubame.example.jp").await;
    let supplier = t.tenant("株式会社 三条表面処理", "sanjo.example.jp").await;
    let (stranger, _) = t.owner_of("大須 渡辺電器", "watanabe@example.jp").await;
    let a = &buyer.organisation_id;
    let b = &supplier.organisation_id;
    let p = t
        .post(
            &format!("/organisations/{a}/partnerships"),
            Some(&buyer.admin.access),
            json!({"counterparty_id": b, "kind": "buyer_supplier", "my_side": "buyer"}),
        )
        .await;
    let pid = p.body["partnership_id"].as_str().expect("id");
    t.post(
        &format!("/organisations/{b}/partnerships/{pid}/accept"),
        Some(&supplier.admin.access),
        json!({}),
    )
    .await;
    let start = |body: serde_json::Value, token: &str| {
        let t = &t;
        let uri = format!("/organisations/{a}/threads");
        let token = token.to_string();
        async move { t.post(&uri, Some(&token), body).await }
    };
    let urn = "renkei:orders:order:01936f0e-0000-7000-8000-0000000000aa";

    let not_connected = start(
        json!({"subject": "s", "participants": [stranger], "body": "x"}),
        &buyer.member.access,
    )
    .await;
    assert_eq!(not_connected.body["error"]["field"], "participants[0]");
    let bad_urn = start(
        json!({"subject": "s", "participants": [b], "body": "x", "document_urn": "order 5"}),
        &buyer.member.access,
    )
    .await;
    assert_eq!(bad_urn.body["error"]["field"], "document_urn");
    let by_viewer = start(
        json!({"subject": "s", "participants": [b], "body": "x"}),
        &buyer.viewer.access,
    )
    .await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let empty = start(
        json!({"subject": "s", "participants": [b], "body": "  "}),
        &buyer.member.access,
    )
    .await;
    assert_eq!(empty.body["error"]["field"], "body");
    assert_eq!(t.rows("thread").await, 0);

    let started = start(json!({"subject": "納期の確認", "participants": [b], "body": "今月分の納期は予定どおりですか。", "document_urn": urn}), &buyer.member.access).await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let thread = started.body["thread"]["thread_id"]
        .as_str()
        .expect("id")
        .to_string();
    let waiting = t
        .get(
            &format!("/organisations/{b}/notifications"),
            &supplier.viewer.access,
        )
        .await;
    assert_eq!(waiting.body["unread_messages"], 1);
    let listed = t
        .get(
            &format!("/organisations/{b}/threads?document_urn={urn}"),
            &supplier.viewer.access,
        )
        .await;
    assert_eq!(listed.body[0]["unread"], 1);
    assert_eq!(listed.body[0]["document_urn"], urn);
    let reply = t
        .post(
            &format!("/organisations/{b}/threads/{thread}/messages"),
            Some(&supplier.member.access),
            json!({"body": "予定どおり25日に出荷します。"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["seq"], 2);
    assert_eq!(
        t.get(
            &format!("/organisations/{b}/notifications"),
            &supplier.viewer.access
        )
        .await
        .body["unread_messages"],
        0,
        "replying reads the thread"
    );
    assert_eq!(
        t.get(
            &format!("/organisations/{a}/notifications"),
            &buyer.viewer.access
        )
        .await
        .body["unread_messages"],
        1
    );
    let read = t
        .post(
            &format!("/organisations/{a}/threads/{thread}/read"),
            Some(&buyer.viewer.access),
            json!({}),
        )
        .await;
    assert_eq!(read.body["unread"], 0);
    let detail = t
        .get(
            &format!("/organisations/{a}/threads/{thread}"),
            &buyer.viewer.access,
        )
        .await;
    let bodies: Vec<&str> = detail.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(
        bodies,
        [
            "今月分の納期は予定どおりですか。",
            "予定どおり25日に出荷します。"
        ]
    );
    let outsider = t
        .get(
            &format!("/organisations/{stranger}/threads"),
            &t.sign_in("watanabe@example.jp", Some(&stranger))
                .await
                .access,
        )
        .await;
    assert_eq!(outsider.body, json!([]), "others see nothing");
    let (posted,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE event_type = 'collab.message.posted'")
            .fetch_one(t.app.db().pool())
            .await
            .expect("events");
    assert_eq!(posted, 2);
}
renkei_kernel::on_each_engine!(
    partners_exchange_messages_about_a_document_with_read_marks_and_notifications,
    threads
);
