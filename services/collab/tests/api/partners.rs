//! The directory, partnerships between two organisations, and groups whose
//! membership is kept per version.

use axum::http::StatusCode;
use renkei_kernel::settings::{Backend, BusMode};
use serde_json::{Value, json};

use crate::TestApp;

fn ids(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v[key].as_str().map(str::to_string))
        .collect()
}

async fn directory_and_partnerships(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let buyer = t.tenant("大須 中村乾物店", "nakamura.example.jp").await;
    let supplier = t
        .tenant("株式会社 関東中央食品卸", "kanto.example.jp")
        .await;
    let org_a = &buyer.organisation_id;
    let org_b = &supplier.organisation_id;

    let found = t
        .get("/directory?q=%E9%A3%9F%E5%93%81", &buyer.viewer.access)
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(
        ids(&found.body, "organisation_id"),
        vec![org_b.clone()],
        "食品 finds the wholesaler"
    );
    assert!(
        !found.body.to_string().contains("owner@"),
        "no private data in the directory"
    );
    let by_prefecture = t
        .get("/directory?prefecture_code=15", &buyer.viewer.access)
        .await;
    assert_eq!(
        by_prefecture.body.as_array().expect("list").len(),
        2,
        "both test tenants are in Niigata"
    );
    let bad = t
        .get("/directory?prefecture_code=99", &buyer.viewer.access)
        .await;
    assert_eq!(bad.body["error"]["field"], "prefecture_code");

    let propose = |body: Value| {
        let t = &t;
        let uri = format!("/organisations/{org_a}/partnerships");
        let token = buyer.admin.access.clone();
        async move { t.post(&uri, Some(&token), body).await }
    };
    assert_eq!(
        propose(json!({"counterparty_id": org_a, "kind": "partner"}))
            .await
            .body["error"]["field"],
        "counterparty_id"
    );
    assert_eq!(
        propose(json!({"counterparty_id": "nope", "kind": "partner"}))
            .await
            .body["error"]["field"],
        "counterparty_id"
    );
    assert_eq!(
        propose(json!({"counterparty_id": org_b, "kind": "buyer_supplier"}))
            .await
            .body["error"]["field"],
        "my_side"
    );
    let by_member = t
        .post(
            &format!("/organisations/{org_a}/partnerships"),
            Some(&buyer.member.access),
            json!({"counterparty_id": org_b, "kind": "partner"}),
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    assert_eq!(t.rows("partnership").await, 0, "refusals change nothing");

    let proposed = propose(json!({"counterparty_id": org_b, "kind": "buyer_supplier", "my_side": "buyer", "note": "乾物の定期発注"})).await;
    assert_eq!(proposed.status, StatusCode::CREATED, "{}", proposed.body);
    assert_eq!(proposed.body["buyer_id"], org_a.as_str());
    let id = proposed.body["partnership_id"]
        .as_str()
        .expect("id")
        .to_string();
    let twice =
        propose(json!({"counterparty_id": org_b, "kind": "buyer_supplier", "my_side": "buyer"}))
            .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    let act = |org: &str, token: &str, action: &str| {
        let t = &t;
        let uri = format!("/organisations/{org}/partnerships/{id}/{action}");
        let token = token.to_string();
        async move { t.post(&uri, Some(&token), json!({})).await }
    };
    let own = act(org_a, &buyer.admin.access, "accept").await;
    assert_eq!(
        own.status,
        StatusCode::CONFLICT,
        "the proposer cannot accept: {}",
        own.body
    );
    assert_eq!(
        act(org_b, &supplier.member.access, "accept").await.status,
        StatusCode::FORBIDDEN
    );
    let seen = t
        .get(
            &format!("/organisations/{org_b}/partnerships"),
            &supplier.viewer.access,
        )
        .await;
    assert_eq!(
        ids(&seen.body, "partnership_id"),
        vec![id.clone()],
        "the counterparty sees the proposal"
    );
    let accepted = act(org_b, &supplier.admin.access, "accept").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "active");
    assert_eq!(accepted.body["version"], 2);
    let viewed = t
        .get(
            &format!("/organisations/{org_b}/partnerships/{id}"),
            &supplier.viewer.access,
        )
        .await;
    assert_eq!(viewed.body["status"], "active", "{}", viewed.body);
    let ended = act(org_a, &buyer.owner.access, "end").await;
    assert_eq!(ended.body["status"], "ended");
    let again = act(org_b, &supplier.admin.access, "end").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("already ended")
    );

    let events: Vec<(String,)> = sqlx::query_as(
        "SELECT event_type FROM outbox WHERE event_type LIKE 'collab.partnership.%' ORDER BY outbox_id",
    )
    .fetch_all(t.app.db().pool())
    .await
    .expect("events");
    let events: Vec<&str> = events.iter().map(|(e,)| e.as_str()).collect();
    assert_eq!(
        events,
        [
            "collab.partnership.proposed",
            "collab.partnership.accepted",
            "collab.partnership.ended"
        ]
    );
}
renkei_kernel::on_each_engine!(
    organisations_find_each_other_and_a_partnership_is_proposed_accepted_and_ended_by_the_rules,
    directory_and_partnerships
);

async fn group_versions(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let assoc = t.tenant("戸越銀座商店街振興組合", "assoc.example.jp").await;
    let (shop1, s1) = t.owner_of("戸越銀座 青木青果店", "aoki@example.jp").await;
    let (shop2, s2) = t.owner_of("戸越銀座 佐藤精肉店", "sato@example.jp").await;
    let (shop3, _) = t.owner_of("戸越銀座 鈴木酒店", "suzuki@example.jp").await;
    let org = &assoc.organisation_id;

    let formed = t
        .post(&format!("/organisations/{org}/groups"), Some(&assoc.admin.access), json!({"name": "戸越銀座 共同購入会", "kind": "purchasing_group", "members": [shop1, shop2]}))
        .await;
    assert_eq!(formed.status, StatusCode::CREATED, "{}", formed.body);
    assert_eq!(formed.body["version"], 1);
    let group = formed.body["group_id"].as_str().expect("id").to_string();
    let members_uri = |o: &str| format!("/organisations/{o}/groups/{group}/members");

    let not_organiser = t
        .post(
            &members_uri(&shop1),
            Some(&s1.access),
            json!({"add": [shop3]}),
        )
        .await;
    assert_eq!(not_organiser.status, StatusCode::FORBIDDEN);
    let organiser_out = t
        .post(
            &members_uri(org),
            Some(&assoc.admin.access),
            json!({"remove": [org]}),
        )
        .await;
    assert_eq!(organiser_out.body["error"]["field"], "remove");
    let left = t
        .post(
            &members_uri(&shop2),
            Some(&s2.access),
            json!({"remove": [shop2]}),
        )
        .await;
    assert_eq!(left.status, StatusCode::OK, "{}", left.body);
    assert_eq!(left.body["version"], 2);
    let added = t
        .post(
            &members_uri(org),
            Some(&assoc.admin.access),
            json!({"add": [shop3]}),
        )
        .await;
    assert_eq!(added.body["version"], 3);
    let unchanged = t
        .post(
            &members_uri(org),
            Some(&assoc.admin.access),
            json!({"add": [shop3]}),
        )
        .await;
    assert_eq!(unchanged.body["version"], 3, "no change, no new version");

    let mut v1_expected = vec![org.clone(), shop1.clone(), shop2.clone()];
    v1_expected.sort();
    let v1 = t
        .get(
            &format!("/organisations/{org}/groups/{group}/versions/1"),
            &assoc.viewer.access,
        )
        .await;
    assert_eq!(
        v1.body["members"],
        json!(v1_expected),
        "version 1 keeps its membership"
    );
    let then = t
        .get(
            &format!("/organisations/{shop2}/groups/{group}/versions/1"),
            &s2.access,
        )
        .await;
    assert_eq!(
        then.status,
        StatusCode::OK,
        "a member then may read what it was a member of"
    );
    let now = t
        .get(
            &format!("/organisations/{shop2}/groups/{group}"),
            &s2.access,
        )
        .await;
    assert_eq!(
        now.status,
        StatusCode::NOT_FOUND,
        "but not the group it left"
    );
    let listed = t
        .get(&format!("/organisations/{shop1}/groups"), &s1.access)
        .await;
    assert_eq!(listed.body[0]["version"], 3);
    let bad_version = t
        .get(
            &format!("/organisations/{org}/groups/{group}/versions/x"),
            &assoc.viewer.access,
        )
        .await;
    assert_eq!(bad_version.body["error"]["field"], "version");

    let versions: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT envelope FROM outbox WHERE event_type = 'collab.group.changed' ORDER BY outbox_id",
    )
    .fetch_all(t.app.db().pool())
    .await
    .expect("events");
    assert_eq!(versions.len(), 3, "one event per version");
}
renkei_kernel::on_each_engine!(
    a_group_keeps_every_versions_membership_as_members_leave_and_join,
    group_versions
);
