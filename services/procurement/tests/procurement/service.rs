//! The service on a fresh database behind its real router, on SQLite and
//! PostgreSQL. Tokens are signed with a test key the service trusts;
//! collab's groups arrive as the events the service consumes in
//! production, and the pool is fed by applying the service's own outbox
//! through its projector, as the bus does.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use renkei_kernel::{
    Db,
    auth::{Jwks, PrincipalKind, Role, SigningKey, Verifier, claims},
    bus::{Applied, Handler, apply_once},
    events::{Envelope, proto::GroupChanged},
    service::Context,
    settings::{Backend, BusMode},
    testing,
};
use renkei_procurement::{
    app::App,
    domain::{FeeModel, RoundDraft},
    events::{Districts, PoolProjector},
};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{district, item};

/// An answer: status and JSON body (or null).
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
}

impl Resp {
    /// The error's rule, or its code when it names no rule.
    pub fn rule(&self) -> &str {
        self.body["error"]["rule"]
            .as_str()
            .or_else(|| self.body["error"]["code"].as_str())
            .unwrap_or("")
    }
}

/// The service on a fresh database.
pub struct TestApp {
    router: Router,
    pub app: App,
    pub settings: renkei_kernel::Settings,
    key: SigningKey,
    _dir: testing::TempDir,
}

/// A fresh organisation id.
pub fn org() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Two districts of two shops each, organised by their first shop, and a
/// wholesaler.
pub struct Region {
    pub wholesaler: String,
    pub districts: Vec<(String, Vec<String>)>,
}

impl Region {
    pub fn shop(&self, district: usize, i: usize) -> &str {
        &self.districts[district].1[i]
    }

    pub fn district(&self, d: usize) -> &str {
        &self.districts[d].0
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        let (settings, dir) = testing::settings(backend, BusMode::Local).await?;
        let db = TestApp::connect(&settings).await;
        let key = SigningKey::generate();
        let app = App::new(db, TestApp::verifier(&key));
        let router = Router::new().nest(
            "/api/procurement",
            renkei_procurement::http::router()
                .split_for_parts()
                .0
                .with_state(app.clone()),
        );
        Some(TestApp {
            router,
            app,
            settings,
            key,
            _dir: dir,
        })
    }

    async fn connect(settings: &renkei_kernel::Settings) -> Db {
        Context::new(settings.clone())
            .migrate(renkei_procurement::NAME, &renkei_procurement::migrations())
            .await
            .expect("procurement migrates")
    }

    fn verifier(key: &SigningKey) -> Verifier {
        Verifier::fixed(&Jwks {
            keys: vec![key.jwk()],
        })
    }

    /// Another instance of the service on the same database, with its own
    /// connections, as a second process would have.
    pub async fn second_instance(&self) -> App {
        App::new(
            TestApp::connect(&self.settings).await,
            TestApp::verifier(&self.key),
        )
    }

    /// An access token of a person with `role` in `organisation_id`.
    pub fn token(&self, organisation_id: &str, role: Role) -> String {
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

    /// The owner's token of `organisation_id`.
    pub fn owner(&self, organisation_id: &str) -> String {
        self.token(organisation_id, Role::Owner)
    }

    async fn apply(&self, handler: &dyn Handler, envelope: &Envelope) -> Applied {
        apply_once(self.app.db(), handler, envelope, None)
            .await
            .expect("applies")
    }

    /// Collab formed or changed a purchasing group organised by `members[0]`.
    pub async fn group(&self, group_id: &str, version: i64, name: &str, members: &[&str]) {
        let envelope = Envelope::new(
            members[0],
            group_id,
            &GroupChanged {
                group_id: group_id.to_string(),
                version,
                name: name.into(),
                kind: "purchasing_group".into(),
                organiser_id: members[0].to_string(),
                member_ids: members.iter().map(|m| m.to_string()).collect(),
            },
        );
        assert_eq!(self.apply(&Districts, &envelope).await, Applied::Applied);
    }

    /// A wholesaler and two districts of two shops.
    pub async fn region(&self) -> Region {
        let mut districts = Vec::new();
        for name in ["戸越銀座商店街", "元町商店街"] {
            let group = org();
            let shops = vec![org(), org()];
            let members: Vec<&str> = shops.iter().map(String::as_str).collect();
            self.group(&group, 1, name, &members).await;
            districts.push((group, shops));
        }
        Region {
            wholesaler: org(),
            districts,
        }
    }

    /// The service's own outbox, oldest first.
    pub async fn outbox(&self) -> Vec<Envelope> {
        let rows: Vec<(Vec<u8>,)> =
            sqlx::query_as("SELECT envelope FROM outbox ORDER BY outbox_id")
                .fetch_all(self.app.db().pool())
                .await
                .expect("outbox");
        rows.into_iter()
            .map(|(bytes,)| prost::Message::decode(bytes.as_slice()).expect("envelope"))
            .collect()
    }

    /// Event types in the outbox, oldest first.
    pub async fn events(&self) -> Vec<String> {
        self.outbox()
            .await
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    /// Delivers the outbox to the pool projector, as the bus does (events
    /// delivered before are recognised as duplicates).
    pub async fn pump(&self) {
        for envelope in self.outbox().await {
            self.apply(&PoolProjector, &envelope).await;
        }
    }

    pub async fn call(&self, method: &str, uri: &str, token: &str, body: Option<&Value>) -> Resp {
        self.call_keyed(method, uri, token, None, body).await
    }

    pub async fn call_keyed(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/api/procurement{uri}"))
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
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .expect("body");
        Resp {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Opens `draft` as the wholesaler, for the first district's organiser.
    pub async fn open(&self, region: &Region, draft: &RoundDraft) -> Resp {
        let body = json!({"buyer_id": region.shop(0, 0), "round": draft});
        self.call_keyed(
            "POST",
            &format!("/organisations/{}/rounds", region.wholesaler),
            &self.owner(&region.wholesaler),
            Some(&uuid::Uuid::new_v4().to_string()),
            Some(&body),
        )
        .await
    }

    /// The buyer (the first district's organiser) accepts a proposed round.
    pub async fn accept(&self, region: &Region, round_id: &str) -> Resp {
        let buyer = region.shop(0, 0);
        self.call(
            "POST",
            &format!("/organisations/{buyer}/rounds/{round_id}/accept"),
            &self.owner(buyer),
            None,
        )
        .await
    }

    /// `shop` asks for `quantity` of `item`.
    pub async fn want(&self, shop: &str, round_id: &str, item: &str, quantity: i64) -> Resp {
        self.call(
            "PUT",
            &format!("/organisations/{shop}/rounds/{round_id}/intents/{item}"),
            &self.owner(shop),
            Some(&json!({"quantity": quantity})),
        )
        .await
    }

    /// The round's allocations as `organisation_id` sees them.
    pub async fn allocations(&self, organisation_id: &str, round_id: &str) -> Resp {
        self.call(
            "GET",
            &format!("/organisations/{organisation_id}/rounds/{round_id}/allocations"),
            &self.owner(organisation_id),
            None,
        )
        .await
    }

    /// The round as `organisation_id` sees it.
    pub async fn view(&self, organisation_id: &str, round_id: &str) -> Resp {
        self.call(
            "GET",
            &format!("/organisations/{organisation_id}/rounds/{round_id}"),
            &self.owner(organisation_id),
            None,
        )
        .await
    }

    pub async fn rows(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.app.db().pool())
            .await
            .expect("count");
        n
    }
}

/// A round over the region's two districts: rice with breaks at 10 and
/// 30 bags, oil with a minimum of 20 bottles, a per-drop fee.
pub fn round_for(region: &Region, cutoff_ms: i64) -> RoundDraft {
    let mut a = district(region.district(0));
    a.name = String::new();
    let mut b = district(region.district(1));
    b.name = String::new();
    RoundDraft {
        title: "年末 乾物・油 共同仕入れ".into(),
        cutoff_ms,
        items: vec![
            item("RICE-5KG", 2_400, &[(10, 2_200), (30, 2_000)], 5),
            item("OIL-1L", 600, &[(40, 520)], 20),
        ],
        districts: vec![a, b],
        delivery_dates: vec!["2026-12-20".into()],
        fee_model: FeeModel::PerDrop {
            fee_per_drop: 3_001,
        },
        solo_delivery_fee: 1_200,
    }
}

/// A cut-off an hour from now.
pub fn in_an_hour() -> i64 {
    renkei_kernel::storage::now_ms() + 3_600_000
}
