//! The tenant-isolation matrix, driven by the service's own OpenAPI
//! document: every operation that requires a bearer token is called by every
//! role of another organisation, aimed at tenant A's ids, with the example
//! body the document gives. Each must be refused exactly as if the ids did
//! not exist, disclose nothing of A, and leave A unchanged. A new endpoint
//! joins the matrix by being in the router; a new path parameter or a request
//! body without an example makes this test fail until it is covered.

use axum::http::StatusCode;
use renkei_kernel::settings::{Backend, BusMode};
use serde_json::{Value, json};

use crate::{Session, Tenant, TestApp};

struct Operation {
    method: String,
    path: String,
    params: Vec<String>,
    body: Option<Value>,
    /// Shows every organisation's public profile by design.
    directory: bool,
}

fn operations() -> Vec<Operation> {
    let doc = serde_json::to_value(renkei_collab::http::router().split_for_parts().1)
        .expect("the OpenAPI document serialises");
    let schemas = &doc["components"]["schemas"];
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if op.get("security").is_none() {
                continue;
            }
            let params: Vec<String> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_string)
                .collect();
            let body = op.get("requestBody").map(|rb| {
                let reference = rb["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: request body is not a named schema"));
                let name = reference.trim_start_matches("#/components/schemas/");
                let schema = &schemas[name];
                schema
                    .get("example")
                    .cloned()
                    .or_else(|| schema["examples"].get(0).cloned())
                    .unwrap_or_else(|| {
                        panic!("{method} {path}: schema `{name}` needs an example for the isolation matrix")
                    })
            });
            let directory = op["tags"].as_array().is_some_and(|tags| {
                tags.iter()
                    .any(|t| t == renkei_collab::http::partners::DIRECTORY_TAG)
            });
            ops.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                params,
                body,
                directory,
            });
        }
    }
    ops.sort_by_key(|o| (o.params.is_empty(), o.path.ends_with("sign-out-everywhere")));
    ops
}

fn fill(path: &str, values: &dyn Fn(&str) -> String) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => values(name),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

async fn snapshot(t: &TestApp, a: &Tenant) -> Vec<Value> {
    let org = &a.organisation_id;
    let mut out = Vec::new();
    for uri in [
        format!("/organisations/{org}"),
        format!("/organisations/{org}/members"),
        format!("/organisations/{org}/invitations"),
        format!("/organisations/{org}/audit"),
        format!("/organisations/{org}/partnerships"),
        format!("/organisations/{org}/groups"),
        format!("/organisations/{org}/consents"),
        format!("/organisations/{org}/threads"),
        format!("/organisations/{org}/installations"),
    ] {
        let r = t.get(&uri, &a.owner.access).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        out.push(r.body);
    }
    out
}

async fn isolation_matrix(backend: Backend, bus: BusMode) {
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let a = t
        .tenant("株式会社 燕金属加工", "tsubame-a.example.jp")
        .await;
    let b = t.tenant("大須 山本呉服店", "osu-b.example.jp").await;
    let (c, _) = t
        .owner_of("株式会社 三条表面処理", "owner@sanjo-c.example.jp")
        .await;
    let invited = t
        .post(
            &format!("/organisations/{}/invitations", a.organisation_id),
            Some(&a.admin.access),
            json!({"email": "pending@tsubame-a.example.jp", "role": "member"}),
        )
        .await;
    let invitation_id = invited.body["invitation"]["invitation_id"]
        .as_str()
        .expect("invitation")
        .to_string();
    let partnership = t
        .post(
            &format!("/organisations/{}/partnerships", a.organisation_id),
            Some(&a.admin.access),
            json!({"counterparty_id": c, "kind": "partner"}),
        )
        .await;
    let partnership_id = partnership.body["partnership_id"]
        .as_str()
        .expect("partnership")
        .to_string();
    let group = t
        .post(
            &format!("/organisations/{}/groups", a.organisation_id),
            Some(&a.admin.access),
            json!({"name": "燕三条 金属加工ネットワーク", "kind": "manufacturing_network", "members": [c]}),
        )
        .await;
    let group_id = group.body["group_id"].as_str().expect("group").to_string();
    let (bank, _) = t
        .owner_of_kind("城南信用金庫", "supporter", "owner@bank-s.example.jp")
        .await;
    let consent = t
        .post(
            &format!("/organisations/{}/consents", a.organisation_id),
            Some(&a.admin.access),
            json!({"grantee_id": bank, "scopes": ["profile:read"], "purpose": "融資審査", "expires_at_ms": renkei_kernel::storage::now_ms() + 86_400_000}),
        )
        .await;
    let consent_id = consent.body["consent_id"]
        .as_str()
        .expect("consent")
        .to_string();
    let thread = t
        .post(
            &format!("/organisations/{}/threads", a.organisation_id),
            Some(&a.member.access),
            json!({"subject": "試作の件", "participants": [c], "body": "図面を共有します。"}),
        )
        .await;
    let thread_id = thread.body["thread"]["thread_id"]
        .as_str()
        .expect("thread")
        .to_string();
    let (vendor, vendor_admin) = t
        .owner_of_kind(
            "株式会社 まちITサービス",
            "it_vendor",
            "dev@machi-v.example.jp",
        )
        .await;
    let registered = t
        .post(
            &format!("/organisations/{vendor}/apps"),
            Some(&vendor_admin.access),
            json!({"name": "まち受発注コネクタ", "scopes": ["organisation:read"]}),
        )
        .await;
    let app_id = registered.body["app_id"].as_str().expect("app").to_string();
    let installed = t
        .post(
            &format!("/organisations/{}/installations", a.organisation_id),
            Some(&a.admin.access),
            json!({"app_id": app_id, "scopes": ["organisation:read"]}),
        )
        .await;
    let installation_id = installed.body["installation_id"]
        .as_str()
        .expect("installation")
        .to_string();
    let a_ids = |name: &str| -> String {
        match name {
            "organisation_id" => a.organisation_id.clone(),
            "user_id" => a.owner.user_id.clone(),
            "invitation_id" => invitation_id.clone(),
            "partnership_id" => partnership_id.clone(),
            "group_id" => group_id.clone(),
            "version" => "1".to_string(),
            "consent_id" => consent_id.clone(),
            "grantor_id" => c.clone(),
            "thread_id" => thread_id.clone(),
            "app_id" => app_id.clone(),
            "installation_id" => installation_id.clone(),
            other => {
                panic!("add a tenant-A value for path parameter `{other}` to the isolation matrix")
            }
        }
    };
    let nowhere = |name: &str| -> String {
        if name == "version" {
            "1".to_string()
        } else {
            uuid::Uuid::now_v7().to_string()
        }
    };
    let private = [
        a.owner.user_id.clone(),
        a.owner.email.clone(),
        invitation_id.clone(),
        partnership_id.clone(),
        group_id.clone(),
        consent_id.clone(),
        thread_id.clone(),
        installation_id.clone(),
        "tsubame-a".to_string(),
    ];
    let identity = [a.organisation_id.clone(), a.legal_name.clone()];
    let before = snapshot(&t, &a).await;

    let ops = operations();
    let targeted = ops.iter().filter(|o| !o.params.is_empty()).count();
    assert!(
        targeted >= 9,
        "the matrix covers every tenant route ({targeted} found)"
    );
    let mut checked = 0;
    for op in &ops {
        for (role, s) in b.all() {
            let s: &Session = s;
            let uri = fill(&op.path, &a_ids);
            let r = t
                .call(&op.method, &uri, Some(&s.access), &[], op.body.as_ref())
                .await;
            let text = r.body.to_string();
            let markers = private
                .iter()
                .chain(identity.iter().filter(|_| !op.directory));
            for m in markers {
                assert!(
                    !text.contains(m.as_str()),
                    "{} {} as B's {role} disclosed `{m}`: {text}",
                    op.method,
                    op.path
                );
            }
            if !op.params.is_empty() {
                assert_eq!(
                    r.status,
                    StatusCode::NOT_FOUND,
                    "{} {} as B's {role}: {text}",
                    op.method,
                    op.path
                );
                let baseline = t
                    .call(
                        &op.method,
                        &fill(&op.path, &nowhere),
                        Some(&s.access),
                        &[],
                        op.body.as_ref(),
                    )
                    .await;
                assert_eq!(
                    (r.status, &r.body),
                    (baseline.status, &baseline.body),
                    "{} {}: A's ids must be answered exactly like ids that do not exist",
                    op.method,
                    op.path
                );
            }
            if !op.path.ends_with("sign-out-everywhere") {
                assert_eq!(
                    t.get("/auth/me", &s.access).await.status,
                    StatusCode::OK,
                    "B's {role} token still works, so the refusal was isolation"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 4 * ops.len());
    assert_eq!(snapshot(&t, &a).await, before, "tenant A is unchanged");
}
renkei_kernel::on_each_engine!(
    every_secured_endpoint_refuses_every_role_of_another_organisation_and_discloses_nothing,
    isolation_matrix
);

async fn graphql_keeps_tenants_apart(backend: Backend, bus: BusMode) {
    use async_graphql::{EmptySubscription, Request, Schema};
    use renkei_collab::http::graphql::{CollabMutation, CollabQuery};
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let a = t
        .tenant("株式会社 燕金属加工", "tsubame-a.example.jp")
        .await;
    let b = t.tenant("大須 山本呉服店", "osu-b.example.jp").await;
    let schema = Schema::build(
        CollabQuery::default(),
        CollabMutation::default(),
        EmptySubscription,
    )
    .data(t.app.clone())
    .finish();
    for (role, s) in b.all() {
        let principal = t
            .app
            .verifier()
            .verify(&s.access)
            .await
            .expect("valid token");
        let caller = renkei_kernel::auth::Caller {
            principal,
            client_addr: "test".into(),
        };
        for query in [
            format!(
                r#"{{ organisation(id: "{}") {{ legalName }} }}"#,
                a.organisation_id
            ),
            format!(
                r#"{{ members(organisationId: "{}") {{ email }} }}"#,
                a.organisation_id
            ),
        ] {
            let response = schema
                .execute(Request::new(query.clone()).data(caller.clone()))
                .await;
            let json = serde_json::to_value(&response).expect("json");
            assert_eq!(
                json["errors"][0]["extensions"]["code"], "not_found",
                "{role}: {json}"
            );
            assert!(!json.to_string().contains(&a.legal_name));
        }
        let own = schema
            .execute(
                Request::new(format!(
                    r#"{{ organisation(id: "{}") {{ legalName }} }}"#,
                    b.organisation_id
                ))
                .data(caller),
            )
            .await;
        assert!(own.errors.is_empty(), "{role}: {:?}", own.errors);
    }
    let anonymous = schema.execute(Request::new("{ me { email } }")).await;
    assert_eq!(
        serde_json::to_value(&anonymous).expect("json")["errors"][0]["extensions"]["code"],
        "unauthenticated"
    );
}
renkei_kernel::on_each_engine!(
    graphql_refuses_another_organisations_data_to_every_role,
    graphql_keeps_tenants_apart
);

async fn graphql_partners(backend: Backend, bus: BusMode) {
    use async_graphql::{EmptySubscription, Request, Schema};
    use renkei_collab::http::graphql::{CollabMutation, CollabQuery};
    let Some(t) = TestApp::spawn(backend, bus).await else {
        return;
    };
    let a = t
        .tenant("株式会社 燕金属加工", "tsubame-a.example.jp")
        .await;
    let b = t
        .tenant("株式会社 三条表面処理", "sanjo-b.example.jp")
        .await;
    let schema = Schema::build(
        CollabQuery::default(),
        CollabMutation::default(),
        EmptySubscription,
    )
    .data(t.app.clone())
    .finish();
    let as_caller = |s: &Session| {
        let t = &t;
        let token = s.access.clone();
        async move {
            renkei_kernel::auth::Caller {
                principal: t.app.verifier().verify(&token).await.expect("valid token"),
                client_addr: "test".into(),
            }
        }
    };
    let run = |query: String, caller: renkei_kernel::auth::Caller| {
        let schema = schema.clone();
        async move {
            serde_json::to_value(schema.execute(Request::new(query).data(caller)).await)
                .expect("json")
        }
    };
    let proposed = run(
        format!(r#"mutation {{ proposePartnership(organisationId: "{}", counterpartyId: "{}", kind: BUYER_SUPPLIER, iAmBuyer: true) {{ partnershipId status }} }}"#, a.organisation_id, b.organisation_id),
        as_caller(&a.admin).await,
    )
    .await;
    assert_eq!(
        proposed["data"]["proposePartnership"]["status"], "PROPOSED",
        "{proposed}"
    );
    let id = proposed["data"]["proposePartnership"]["partnershipId"]
        .as_str()
        .expect("id")
        .to_string();
    let accepted = run(
        format!(r#"mutation {{ acceptPartnership(organisationId: "{}", partnershipId: "{id}") {{ status }} }}"#, b.organisation_id),
        as_caller(&b.admin).await,
    )
    .await;
    assert_eq!(
        accepted["data"]["acceptPartnership"]["status"], "ACTIVE",
        "{accepted}"
    );
    let started = run(
        format!(r#"mutation {{ startThread(organisationId: "{}", participants: ["{}"], subject: "納期", body: "よろしくお願いします") }}"#, a.organisation_id, b.organisation_id),
        as_caller(&a.member).await,
    )
    .await;
    assert!(started["data"]["startThread"].is_string(), "{started}");
    let seen = run(
        format!(r#"{{ threads(organisationId: "{o}") {{ subject unread }} partnerships(organisationId: "{o}") {{ status }} groups(organisationId: "{o}") {{ name }} }}"#, o = b.organisation_id),
        as_caller(&b.viewer).await,
    )
    .await;
    assert_eq!(seen["data"]["threads"][0]["unread"], 1, "{seen}");
    assert_eq!(seen["data"]["partnerships"][0]["status"], "ACTIVE");
    let outsider = t.tenant("大須 山本呉服店", "osu-c.example.jp").await;
    for (role, s) in outsider.all() {
        let refused = run(
            format!(r#"{{ threads(organisationId: "{o}") {{ subject }} partnerships(organisationId: "{o}") {{ status }} groups(organisationId: "{o}") {{ name }} }}"#, o = a.organisation_id),
            as_caller(s).await,
        )
        .await;
        let errors = refused["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 3, "{role}: {refused}");
        assert!(
            errors
                .iter()
                .all(|e| e["extensions"]["code"] == "not_found"),
            "{role}: {refused}"
        );
        assert!(!refused.to_string().contains("納期"));
    }
}
renkei_kernel::on_each_engine!(
    graphql_proposes_accepts_and_messages_and_refuses_other_tenants,
    graphql_partners
);
