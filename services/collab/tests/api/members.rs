//! Invitations and roles: who may invite, accept, promote and remove.

use axum::http::StatusCode;
use renkei_kernel::settings::{Backend, BusMode};
use serde_json::json;

use crate::TestApp;

async fn invitations_and_roles(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let a = t.tenant("元町 高橋ベーカリー", "bakery.example.jp").await;
    let org = &a.organisation_id;
    let invite = |by: &str, email: &str, role: &str| {
        let t = &t;
        let uri = format!("/organisations/{org}/invitations");
        let body = json!({"email": email, "role": role});
        let by = by.to_string();
        async move { t.post(&uri, Some(&by), body).await }
    };

    let by_viewer = invite(&a.viewer.access, "x@example.jp", "member").await;
    let owner_by_admin = invite(&a.admin.access, "x@example.jp", "owner").await;
    let existing = invite(&a.admin.access, "member@bakery.example.jp", "viewer").await;
    let bad_email = invite(&a.admin.access, "nope", "viewer").await;
    let ok = invite(&a.admin.access, "Jiro@Example.jp", "member").await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    assert_eq!(owner_by_admin.status, StatusCode::FORBIDDEN);
    assert_eq!(existing.status, StatusCode::CONFLICT);
    assert_eq!(bad_email.body["error"]["field"], "email");
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ok.body["invitation"]["email"], "jiro@example.jp");
    let token = ok.body["token"].as_str().expect("token").to_string();

    t.sign_up("someone-else@example.jp").await;
    let other = t.sign_in("someone-else@example.jp", None).await;
    let wrong_person = t
        .post(
            "/invitations/accept",
            Some(&other.access),
            json!({"token": token}),
        )
        .await;
    let unknown = t
        .post(
            "/invitations/accept",
            Some(&other.access),
            json!({"token": "made-up"}),
        )
        .await;
    assert_eq!(wrong_person.status, StatusCode::FORBIDDEN);
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    t.sign_up("jiro@example.jp").await;
    let jiro = t.sign_in("jiro@example.jp", None).await;
    let accepted = t
        .post(
            "/invitations/accept",
            Some(&jiro.access),
            json!({"token": token}),
        )
        .await;
    let twice = t
        .post(
            "/invitations/accept",
            Some(&jiro.access),
            json!({"token": token}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["role"], "member");
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let listed = t
        .get(
            &format!("/organisations/{org}/invitations"),
            &a.admin.access,
        )
        .await;
    let statuses: Vec<&str> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["status"].as_str())
        .collect();
    assert!(statuses.iter().all(|s| *s == "accepted"), "{statuses:?}");

    let withdrawn = invite(&a.admin.access, "saburo@example.jp", "viewer").await;
    let id = withdrawn.body["invitation"]["invitation_id"]
        .as_str()
        .expect("id");
    let revoke = t
        .call(
            "DELETE",
            &format!("/organisations/{org}/invitations/{id}"),
            Some(&a.admin.access),
            &[],
            None,
        )
        .await;
    assert_eq!(revoke.status, StatusCode::NO_CONTENT);
    t.sign_up("saburo@example.jp").await;
    let saburo = t.sign_in("saburo@example.jp", None).await;
    let late = t
        .post(
            "/invitations/accept",
            Some(&saburo.access),
            json!({"token": withdrawn.body["token"]}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);

    let member_uri = |user: &str| format!("/organisations/{org}/members/{user}");
    let set = |by: &str, user: &str, role: &str| {
        let t = &t;
        let uri = member_uri(user);
        let by = by.to_string();
        let body = json!({"role": role});
        async move { t.call("PUT", &uri, Some(&by), &[], Some(&body)).await }
    };
    assert_eq!(
        set(&a.member.access, &a.viewer.user_id, "member")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set(&a.admin.access, &a.viewer.user_id, "owner")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set(&a.admin.access, &a.owner.user_id, "viewer")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let last_owner = set(&a.owner.access, &a.owner.user_id, "admin").await;
    assert_eq!(
        last_owner.status,
        StatusCode::CONFLICT,
        "{}",
        last_owner.body
    );
    assert_eq!(
        set(&a.admin.access, &a.viewer.user_id, "member")
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let removed = t
        .call(
            "DELETE",
            &member_uri(&a.viewer.user_id),
            Some(&a.admin.access),
            &[],
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&format!("/organisations/{org}"), &a.viewer.access)
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a removed member no longer sees the organisation"
    );
    let left = t
        .call(
            "DELETE",
            &member_uri(&a.member.user_id),
            Some(&a.member.access),
            &[],
            None,
        )
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "members may leave");
    let members = t
        .get(&format!("/organisations/{org}/members"), &a.owner.access)
        .await;
    let roles: Vec<&str> = members
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["role"].as_str())
        .collect();
    assert_eq!(
        roles,
        vec!["owner", "admin", "member"],
        "owner, admin and jiro remain"
    );
}
renkei_kernel::on_each_engine!(
    admins_invite_invitees_accept_and_roles_change_only_within_the_rules,
    invitations_and_roles
);
