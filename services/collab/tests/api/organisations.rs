//! Registering organisations and replacing their profiles.

use axum::http::StatusCode;
use renkei_kernel::settings::{Backend, BusMode};
use serde_json::{Value, json};

use crate::{Session, TestApp};

fn yamada() -> Value {
    json!({
        "legal_name": "株式会社 山田製作所",
        "kind": "company",
        "prefecture_code": "13",
        "profile": {
            "category": "manufacturer",
            "legal_name_kana": "ヤマダセイサクショ",
            "corporate_number": "7000012050002",
            "invoice_registration_number": "T7000012050002",
            "municipality_code": "131016",
            "jsic_code": "E2422",
            "capital_yen": 400000000,
            "employees": 250,
            "sites": [{"kind": "plant", "name": "本社工場", "prefecture_code": "13",
                       "latitude": "35.681236", "longitude": "139.767125"}]
        }
    })
}

async fn signed_in(t: &TestApp) -> Session {
    t.sign_up("yamada@example.jp").await;
    t.sign_in("yamada@example.jp", None).await
}

async fn register(t: &TestApp, s: &Session, body: Value, key: Option<&str>) -> crate::Resp {
    let headers: Vec<(&str, &str)> = key
        .map(|k| vec![("idempotency-key", k)])
        .unwrap_or_default();
    t.call(
        "POST",
        "/organisations",
        Some(&s.access),
        &headers,
        Some(&body),
    )
    .await
}

async fn a_registration_stores_the_profile_owner_event_and_audit(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let s = signed_in(&t).await;

    let r = register(&t, &s, yamada(), None).await;

    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["organisation_id"].as_str().expect("id").to_string();
    assert_eq!(
        r.headers["location"].to_str().expect("ascii"),
        format!("/api/collab/organisations/{id}")
    );
    assert_eq!(r.body["prefecture_name"], "東京都");
    assert_eq!(r.body["industry_name"], "製造業");
    assert_eq!(r.body["sme_status"], "sme", "250 employees is within 300");
    assert_eq!(r.body["sites"][0]["latitude"], "35.681236");
    let s = t.switch(&s, &id).await;
    let viewed = t.get(&format!("/organisations/{id}"), &s.access).await;
    assert_eq!(viewed.status, StatusCode::OK);
    assert_eq!(viewed.body, r.body);
    let members = t
        .get(&format!("/organisations/{id}/members"), &s.access)
        .await;
    assert_eq!(members.body[0]["role"], "owner");
    let (event_type, tenant): (String, String) =
        sqlx::query_as("SELECT event_type, tenant_id FROM outbox")
            .fetch_one(t.app.db().pool())
            .await
            .expect("one event");
    assert_eq!(event_type, "collab.organisation.registered");
    assert_eq!(tenant, id);
    let audit = t
        .get(&format!("/organisations/{id}/audit"), &s.access)
        .await;
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"organisation.registered"), "{actions:?}");
}
renkei_kernel::on_each_engine!(
    a_registration_stores_the_profile_the_owner_the_event_and_an_audit_entry,
    a_registration_stores_the_profile_owner_event_and_audit
);

async fn bad_input_is_refused_and_changes_nothing(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let s = signed_in(&t).await;
    let with = |path: &[&str], value: Value| {
        let mut body = yamada();
        let mut at = &mut body;
        for p in &path[..path.len() - 1] {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        at[path[path.len() - 1]] = value;
        body
    };
    let cases = [
        (
            with(&["legal_name"], json!("")),
            "invalid_input",
            Some("legal_name"),
        ),
        (
            with(&["kind"], json!("bank")),
            "invalid_input",
            Some("kind"),
        ),
        (
            with(&["prefecture_code"], json!("48")),
            "invalid_input",
            Some("prefecture_code"),
        ),
        (
            with(&["profile", "corporate_number"], json!("1000012050002")),
            "invalid_input",
            Some("corporate_number"),
        ),
        (
            with(
                &["profile", "invoice_registration_number"],
                json!("7000012050002"),
            ),
            "invalid_input",
            Some("invoice_registration_number"),
        ),
        (
            with(&["profile", "municipality_code"], json!("131017")),
            "invalid_input",
            Some("municipality_code"),
        ),
        (
            with(&["profile", "municipality_code"], json!("011002")),
            "invalid_input",
            Some("municipality_code"),
        ),
        (
            with(&["profile", "jsic_code"], json!("E50")),
            "invalid_input",
            Some("jsic_code"),
        ),
        (
            with(&["profile", "capital_yen"], json!(-1)),
            "invalid_input",
            Some("capital_yen"),
        ),
        (
            with(&["profile", "category"], json!("bank")),
            "invalid_input",
            Some("category"),
        ),
        (
            with(&["profile", "sites", "0", "latitude"], json!("91")),
            "invalid_input",
            Some("sites[0].latitude"),
        ),
        (
            with(&["profile", "legal_name_kana"], json!("やまだ")),
            "invalid_input",
            Some("legal_name_kana"),
        ),
        (
            json!({"legal_name": "x", "kind": "company"}),
            "malformed_body",
            None,
        ),
        (with(&["capital"], json!(1)), "malformed_body", None),
    ];
    for (input, code, field) in cases {
        let r = register(&t, &s, input.clone(), None).await;
        assert!(r.status.is_client_error(), "{input} -> {}", r.status);
        assert_eq!(r.body["error"]["code"], code, "{input}: {}", r.body);
        assert_eq!(
            r.body["error"]["field"].as_str(),
            field,
            "{input}: {}",
            r.body
        );
    }
    let r = t
        .call("POST", "/organisations", Some(&s.access), &[], None)
        .await;
    assert_eq!(r.body["error"]["code"], "malformed_body");
    let r = register(&t, &s, yamada(), Some("has space")).await;
    assert_eq!(r.body["error"]["field"], "Idempotency-Key");
    let r = t
        .call("POST", "/organisations", None, &[], Some(&yamada()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"]["code"], "unauthenticated");

    assert_eq!(t.rows("organisation").await, 0, "nothing stored");
    assert_eq!(t.rows("membership").await, 0);
    assert_eq!(t.rows("outbox").await, 0, "nothing published");
    assert_eq!(t.rows("idempotency_key").await, 0, "no key consumed");

    let first = register(&t, &s, yamada(), None).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let mut same_number = yamada();
    same_number["legal_name"] = json!("別の会社");
    let dup = register(&t, &s, same_number, None).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    assert_eq!(t.rows("organisation").await, 1);
}
renkei_kernel::on_each_engine!(
    bad_input_is_refused_with_a_stable_code_and_the_field_and_changes_nothing,
    bad_input_is_refused_and_changes_nothing
);

async fn a_resubmission_has_the_effect_of_one(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let s = signed_in(&t).await;

    let first = register(&t, &s, yamada(), Some("k-1")).await;
    let again = register(&t, &s, yamada(), Some("k-1")).await;
    let mut other = yamada();
    other["legal_name"] = json!("別の会社");
    let reused = register(&t, &s, other, Some("k-1")).await;

    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(first.body, again.body);
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert_eq!(reused.body["error"]["code"], "idempotency_key_reused");
    assert_eq!(t.rows("organisation").await, 1);
    assert_eq!(t.rows("outbox").await, 1);

    // Racers with one key: without a corporate number, and with one (then
    // the losers also collide on the number's unique index, and must still
    // get the winner's answer rather than a conflict).
    for (n, profile) in [json!({}), json!({"corporate_number": "6000012050003"})]
        .into_iter()
        .enumerate()
    {
        let key = format!("same-key-{n}");
        let attempts = (0..6).map(|_| {
            let mut body = yamada();
            body["profile"] = profile.clone();
            body["legal_name"] = json!(format!("株式会社 並行登録 {n}"));
            let s = s.clone();
            let t = &t;
            let key = key.clone();
            async move { register(t, &s, body, Some(&key)).await }
        });
        let results = futures::future::join_all(attempts).await;
        let ids: std::collections::BTreeSet<String> = results
            .iter()
            .map(|r| {
                assert!(r.status.is_success(), "{}: {}", r.status, r.body);
                r.body["organisation_id"].as_str().expect("id").to_string()
            })
            .collect();
        assert_eq!(
            ids.len(),
            1,
            "every concurrent attempt answers with the same organisation"
        );
    }
    assert_eq!(t.rows("organisation").await, 3);
    assert_eq!(t.rows("outbox").await, 3);
}
renkei_kernel::on_each_engine!(
    resubmissions_with_the_same_key_even_concurrent_have_the_effect_of_one,
    a_resubmission_has_the_effect_of_one
);

async fn admins_replace_the_profile_and_others_cannot(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let a = t.tenant("株式会社 燕金属加工", "tsubame.example.jp").await;
    let uri = format!("/organisations/{}", a.organisation_id);
    let mut body = json!({"legal_name": "株式会社 燕金属加工", "kind": "company", "prefecture_code": "15",
        "profile": {"jsic_code": "I52", "capital_yen": 200000000, "employees": 150}});

    let by_member = t
        .call("PUT", &uri, Some(&a.member.access), &[], Some(&body))
        .await;
    let by_admin = t
        .call("PUT", &uri, Some(&a.admin.access), &[], Some(&body))
        .await;
    body["kind"] = json!("supporter");
    let kind_change = t
        .call("PUT", &uri, Some(&a.owner.access), &[], Some(&body))
        .await;

    assert_eq!(
        by_member.status,
        StatusCode::FORBIDDEN,
        "{}",
        by_member.body
    );
    assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.body);
    assert_eq!(
        by_admin.body["sme_status"], "not_sme",
        "wholesale over ¥100M and 100 people"
    );
    assert_eq!(kind_change.body["error"]["field"], "kind");
    let viewed = t.get(&uri, &a.viewer.access).await;
    assert_eq!(viewed.body["jsic_code"], "I52");
}
renkei_kernel::on_each_engine!(
    admins_replace_the_profile_and_members_cannot,
    admins_replace_the_profile_and_others_cannot
);
