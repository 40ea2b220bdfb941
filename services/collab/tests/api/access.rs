//! Sign-up, sign-in, lockout, refresh-token rotation and reuse detection,
//! sign-out everywhere, switching organisation, key rotation, and tokens
//! that are expired or forged.

use axum::http::StatusCode;
use base64::Engine as _;
use renkei_kernel::{
    auth::{PrincipalKind, SigningKey, claims},
    settings::{Backend, BusMode},
};
use serde_json::json;

use crate::{PASSWORD, TestApp};

async fn sign_up_refuses_bad_input(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    t.sign_up("taken@example.jp").await;
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD, "display_name": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "email",
        ),
        (
            json!({"email": "a@example.jp", "password": "short", "display_name": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.jp", "password": "password123", "display_name": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            "password",
        ),
        (
            json!({"email": "a@example.jp", "password": PASSWORD, "display_name": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "display_name",
        ),
        (
            json!({"email": "Taken@Example.jp", "password": PASSWORD, "display_name": "x"}),
            StatusCode::CONFLICT,
            "email_taken",
            "email",
        ),
    ];
    for (body, status, code, field) in cases {
        let r = t.post("/auth/sign-up", None, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.body["error"]["code"], code, "{body}");
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    assert_eq!(
        t.rows("user_account").await,
        1,
        "only the first account exists"
    );
}
renkei_kernel::on_each_engine!(
    sign_up_refuses_bad_emails_weak_passwords_and_taken_emails_and_stores_nothing,
    sign_up_refuses_bad_input
);

async fn sign_in_is_no_oracle_and_locks_out(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    t.sign_up("hanako@example.jp").await;
    let attempt = |email: &'static str, password: &'static str| {
        let t = &t;
        async move {
            t.post(
                "/auth/sign-in",
                None,
                json!({"email": email, "password": password}),
            )
            .await
        }
    };

    let wrong_password = attempt("hanako@example.jp", "wrong-password-1").await;
    let unknown_email = attempt("nobody@example.jp", "wrong-password-1").await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.status, unknown_email.status);
    assert_eq!(
        wrong_password.body, unknown_email.body,
        "the same answer either way"
    );
    assert_eq!(wrong_password.body["error"]["code"], "invalid_credentials");

    let max = t.settings.auth.max_failed_sign_ins;
    for _ in 1..max {
        attempt("hanako@example.jp", "wrong-password-1").await;
        attempt("nobody@example.jp", "wrong-password-1").await;
    }
    let locked = attempt("hanako@example.jp", PASSWORD).await;
    let locked_unknown = attempt("nobody@example.jp", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert_eq!(locked.body["error"]["code"], "too_many_attempts");
    assert!(locked.headers.contains_key("retry-after"));
    assert_eq!(
        locked_unknown.status, locked.status,
        "lockout is no oracle either"
    );
    assert_eq!(t.rows("user_session").await, 0, "no session was opened");
}
renkei_kernel::on_each_engine!(
    sign_in_answers_alike_for_unknown_emails_and_wrong_passwords_and_locks_after_repeated_failures,
    sign_in_is_no_oracle_and_locks_out
);

async fn a_reused_refresh_token_revokes_its_family(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (organisation_id, s1) = t
        .owner_of("株式会社 三条表面処理", "hyomen@example.jp")
        .await;
    let refresh = |token: &str| {
        let t = &t;
        let body = json!({"refresh_token": token});
        async move { t.post("/auth/refresh", None, body).await }
    };

    let r2 = refresh(&s1.refresh).await;
    assert_eq!(r2.status, StatusCode::OK, "{}", r2.body);
    assert_eq!(
        r2.body["organisation_id"],
        organisation_id.as_str(),
        "stays in its organisation"
    );
    let second = r2.body["refresh_token"].as_str().expect("next").to_string();
    assert_ne!(second, s1.refresh, "rotated");

    let replay = refresh(&s1.refresh).await;
    let after = refresh(&second).await;
    let me = t
        .get(
            "/auth/me",
            r2.body["access_token"].as_str().expect("access"),
        )
        .await;

    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "the whole family is revoked"
    );
    assert_eq!(
        me.status,
        StatusCode::UNAUTHORIZED,
        "its access tokens stop working in collab"
    );
    let (reason,): (String,) = sqlx::query_as("SELECT revoked_reason FROM user_session")
        .fetch_one(t.app.db().pool())
        .await
        .expect("session");
    assert_eq!(reason, "refresh_token_reused");
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_entry WHERE action = 'auth.refresh_token_reused'",
    )
    .fetch_one(t.app.db().pool())
    .await
    .expect("audit");
    assert_eq!(n, 1);
}
renkei_kernel::on_each_engine!(
    a_reused_refresh_token_revokes_its_whole_family,
    a_reused_refresh_token_revokes_its_family
);

async fn sign_out_everywhere_ends_every_session(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (_, laptop) = t
        .owner_of("有限会社 八尾プレス工業", "yao@example.jp")
        .await;
    let phone = t.sign_in("yao@example.jp", None).await;

    let r = t
        .post("/auth/sign-out-everywhere", Some(&phone.access), json!({}))
        .await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sessions_ended"], 2);
    for s in [&laptop, &phone] {
        let refreshed = t
            .post("/auth/refresh", None, json!({"refresh_token": s.refresh}))
            .await;
        assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            t.get("/auth/me", &s.access).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let again = t.sign_in("yao@example.jp", None).await;
    assert_eq!(
        t.get("/auth/me", &again.access).await.status,
        StatusCode::OK
    );
    let out = t
        .post(
            "/auth/sign-out",
            None,
            json!({"refresh_token": again.refresh}),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/auth/me", &again.access).await.status,
        StatusCode::UNAUTHORIZED
    );
}
renkei_kernel::on_each_engine!(
    sign_out_everywhere_ends_every_session_and_sign_out_ends_one,
    sign_out_everywhere_ends_every_session
);

async fn a_user_switches_between_organisations(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (first, owner) = t.owner_of("株式会社 東大阪精密", "osaka@example.jp").await;
    let r = t
        .post("/organisations", Some(&owner.access), json!({"legal_name": "東大阪精密 第二工場", "kind": "company", "prefecture_code": "27"}))
        .await;
    let second = r.body["organisation_id"].as_str().expect("id").to_string();

    let in_first = t
        .get(&format!("/organisations/{second}"), &owner.access)
        .await;
    let switched = t.switch(&owner, &second).await;
    let in_second = t
        .get(&format!("/organisations/{second}"), &switched.access)
        .await;
    let me = t.get("/auth/me", &switched.access).await;
    t.sign_up("stranger@example.jp").await;
    let stranger = t.sign_in("stranger@example.jp", None).await;
    let not_mine = t
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": stranger.refresh, "organisation_id": first}),
        )
        .await;

    assert_eq!(
        in_first.status,
        StatusCode::FORBIDDEN,
        "the token acts in the first one"
    );
    assert!(
        in_first.body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("switch")
    );
    assert_eq!(in_second.status, StatusCode::OK);
    assert_eq!(me.body["current_organisation_id"], second.as_str());
    assert_eq!(me.body["organisations"].as_array().expect("list").len(), 2);
    assert_eq!(not_mine.status, StatusCode::NOT_FOUND);
}
renkei_kernel::on_each_engine!(
    a_user_in_two_organisations_switches_between_them_and_a_stranger_cannot,
    a_user_switches_between_organisations
);

async fn key_rotation_logs_nobody_out(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (shop, shop_owner) = t.owner_of("戸越銀座 青木青果店", "aoki@example.jp").await;
    t.sign_up("operator@example.jp").await;
    let op = t.sign_in("operator@example.jp", None).await;
    let r = t
        .post("/organisations", Some(&op.access), json!({"legal_name": "Renkei 運営", "kind": "platform_operator", "prefecture_code": "13"}))
        .await;
    let op = t
        .switch(&op, r.body["organisation_id"].as_str().expect("id"))
        .await;
    let before = t.get("/.well-known/jwks.json", &op.access).await.body;

    let refused = t
        .post("/auth/keys/rotate", Some(&shop_owner.access), json!({}))
        .await;
    let rotated = t
        .post("/auth/keys/rotate", Some(&op.access), json!({}))
        .await;

    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_kid = rotated.body["kid"].as_str().expect("kid");
    let jwks = t.get("/.well-known/jwks.json", &op.access).await.body;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert_eq!(kids.len(), 2, "old and new key are both published: {jwks}");
    assert!(kids.contains(&new_kid));
    assert_eq!(
        t.get(&format!("/organisations/{shop}"), &shop_owner.access)
            .await
            .status,
        StatusCode::OK,
        "a token signed before the rotation still works"
    );
    let fresh = t.sign_in("aoki@example.jp", None).await;
    let header = jsonwebtoken_header_kid(&fresh.access);
    assert_eq!(header, new_kid, "new tokens are signed with the new key");
    let old_kid = before["keys"][0]["kid"].as_str().expect("kid");
    let ttl_ms = i64::try_from(t.settings.auth.access_token_ttl_secs).expect("ttl") * 1000;
    let later = t
        .app
        .jwks_at(renkei_kernel::storage::now_ms() + ttl_ms + 61_000)
        .await
        .expect("jwks");
    let later_kids: Vec<&str> = later.keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(
        later_kids,
        vec![new_kid],
        "the old key is dropped once its tokens expired"
    );
    assert_ne!(old_kid, new_kid);
}
renkei_kernel::on_each_engine!(
    key_rotation_keeps_earlier_tokens_valid_until_they_expire,
    key_rotation_logs_nobody_out
);

fn jsonwebtoken_header_kid(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64");
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    v["kid"].as_str().expect("kid").to_string()
}

async fn expired_and_forged_tokens_are_refused(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let (organisation_id, owner) = t.owner_of("大須 渡辺電器", "watanabe@example.jp").await;
    let uri = format!("/organisations/{organisation_id}");
    let known = SigningKey::generate();
    sqlx::query("INSERT INTO signing_key (kid, seed_b64, public_x, created_at_ms, retired_at_ms) VALUES ($1, $2, $3, 0, NULL)")
        .bind(known.kid())
        .bind(base64::engine::general_purpose::STANDARD.encode(known.seed()))
        .bind(known.jwk().x)
        .execute(t.app.db().pool())
        .await
        .expect("a published key");
    let mut c = claims(
        PrincipalKind::User,
        &owner.user_id,
        Some((&organisation_id, Some(renkei_kernel::auth::Role::Owner))),
        None,
        None,
        std::time::Duration::from_secs(60),
    );
    c.exp = c.iat - 3600;
    let expired = known.sign(&c).expect("sign");
    c.exp = c.iat + 3600;
    let forged = SigningKey::generate().sign(&c).expect("sign");
    let mut tampered: Vec<String> = owner.access.split('.').map(str::to_string).collect();
    tampered[2] = tampered[2].chars().rev().collect();

    let cases = [
        (Some(expired.as_str()), "token_expired"),
        (Some(forged.as_str()), "unauthenticated"),
        (Some("garbage"), "unauthenticated"),
        (None, "unauthenticated"),
    ];
    for (token, code) in cases {
        let r = t.call("GET", &uri, token, &[], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(r.body["error"]["code"], code, "{token:?}");
    }
    let r = t.get(&uri, &tampered.join(".")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t
        .call(
            "GET",
            &uri,
            None,
            &[("authorization", &format!("Basic {}", owner.access))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
renkei_kernel::on_each_engine!(
    expired_forged_tampered_and_missing_tokens_are_refused,
    expired_and_forged_tokens_are_refused
);
