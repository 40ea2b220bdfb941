//! The real `renkei` binary, started as an operator would: it answers health
//! checks and serves the UI, refuses bad settings with one clear line, and an
//! acknowledged write survives `kill -9` on both engines.

use std::{process::Stdio, time::Duration};

use renkei_kernel::testing::{self, TempDir};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_renkei");

pub(crate) struct Running {
    pub(crate) child: Child,
    pub(crate) url: String,
}

fn command(dir: &TempDir, envs: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("RENKEI_CONFIG")
        .env("RENKEI__LOG__FORMAT", "json")
        .current_dir(dir.path())
        .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Starts `renkei up` and waits until it prints its URL.
pub(crate) async fn up(dir: &TempDir, envs: &[(&str, String)], extra: &[&str]) -> Running {
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let mut args = vec!["up", "--data-dir", data, "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    start(dir, "up", envs, &args).await
}

/// Starts the binary with `args` and waits until it prints its URL; its log
/// goes to `<dir>/<label>.log`.
async fn start(dir: &TempDir, label: &str, envs: &[(&str, String)], args: &[&str]) -> Running {
    let log_path = dir.path().join(format!("{label}.log"));
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut cmd = command(dir, envs);
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    let mut child = cmd.spawn().expect("renkei starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(rest) = line.strip_prefix("Renkei is running at ") {
                return rest.trim_end_matches('/').to_string();
            }
        }
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        panic!("renkei {label} exited before listening:\n{log}");
    })
    .await
    .expect("renkei listens within 60 s");
    // Keep draining stdout so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running { child, url }
}

/// Environment that puts the binary on a PostgreSQL database.
pub(crate) fn on_postgres(url: String) -> Vec<(&'static str, String)> {
    vec![
        ("RENKEI__STORAGE__BACKEND", "postgres".into()),
        ("RENKEI__STORAGE__POSTGRES_URL", url),
    ]
}

/// The regional directory's rows, through the API at `base`.
async fn regions(client: &reqwest::Client, base: &str) -> Option<Vec<serde_json::Value>> {
    let rows: serde_json::Value = client
        .get(format!("{base}/api/insights/regions"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    rows.as_array().cloned()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

#[tokio::test]
async fn renkei_up_answers_health_and_serves_the_web_ui_then_stops_on_sigterm() {
    let dir = TempDir::new();
    let mut running = up(&dir, &[], &["--demo"]).await;
    let client = http();

    let health = client
        .get(format!("{}/healthz", running.url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    let ready = client
        .get(format!("{}/readyz", running.url))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    assert!(
        ready.headers().contains_key("x-request-id"),
        "every answer carries a request id"
    );

    let home = client
        .get(format!("{}/", running.url))
        .send()
        .await
        .expect("home");
    assert_eq!(home.status(), 200);
    let html = home.text().await.expect("html");
    assert!(html.contains("<html lang=\"ja\">"), "Japanese by default");
    assert!(html.contains("商店街の共同発注"), "{html}");
    let english = client
        .get(format!("{}/?lang=en", running.url))
        .send()
        .await
        .expect("home en");
    assert!(
        english.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .starts_with("lang=en")
    );
    assert!(
        english
            .text()
            .await
            .expect("html")
            .contains("Joint ordering for shopping districts")
    );

    let regions = testing::eventually(Duration::from_secs(30), || async {
        let page = client
            .get(format!("{}/regions", running.url))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        page.contains("id=\"regions\"").then_some(page)
    })
    .await
    .expect("the demo region's organisations reach the regional directory");
    assert!(
        regions.contains("<td>13</td>"),
        "Tokyo is listed: {regions}"
    );
    for (email, role) in [
        ("aoki@togoshi.demo.renkei.jp", "owner"),
        ("admin@togoshi.demo.renkei.jp", "admin"),
        ("member@togoshi.demo.renkei.jp", "member"),
        ("viewer@togoshi.demo.renkei.jp", "viewer"),
        ("operator@renkei.demo.renkei.jp", "owner"),
    ] {
        let pair: serde_json::Value = client
            .post(format!("{}/api/collab/auth/sign-in", running.url))
            .json(&serde_json::json!({"email": email, "password": "renkei-demo-2026"}))
            .send()
            .await
            .expect("sign-in")
            .json()
            .await
            .expect("json");
        assert_eq!(pair["role"], role, "printed demo sign-in {email}: {pair}");
    }
    let shop = signed_in(&client, &running.url, "aoki@togoshi.demo.renkei.jp", None).await;
    let org = shop["organisation_id"]
        .as_str()
        .expect("the shop owner acts in the shop");
    // The demo shop's view of `/api/{path}`.
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}/api/{path}", running.url);
        let token = bearer(&shop);
        async move {
            let v: serde_json::Value = client
                .get(url)
                .header("authorization", token)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {path}: {e}"))
                .json()
                .await
                .expect("json");
            v
        }
    };
    let list = |what: &'static str| {
        let v = get(format!("collab/organisations/{org}/{what}"));
        async move { v.await.as_array().cloned().unwrap_or_default() }
    };
    let partnerships = list("partnerships").await;
    assert!(
        partnerships.iter().any(|p| p["status"] == "active"),
        "the demo shop buys from the wholesaler: {partnerships:?}"
    );
    assert_eq!(
        list("groups").await.len(),
        2,
        "its district's purchasing group and the municipality's region"
    );
    assert_eq!(
        list("installations").await.len(),
        1,
        "the IT vendor's app is installed"
    );
    assert_eq!(
        list("threads").await.len(),
        1,
        "the wholesaler's announcement"
    );
    let orders = get(format!("orders/organisations/{org}/orders")).await;
    let orders = orders.as_array().expect("a list");
    assert_eq!(orders.len(), 1, "the demo shop's order: {orders:?}");
    assert_eq!(orders[0]["side"], "buyer");
    assert_eq!(
        orders[0]["status"], "despatched",
        "answered and despatched, waiting for its receipt"
    );
    assert_eq!(orders[0]["version"], 3);

    let rounds = get(format!("procurement/organisations/{org}/rounds")).await;
    let round = &rounds.as_array().expect("a list")[0];
    assert_eq!(round["status"], "open", "the demo round: {rounds}");
    assert_eq!(
        round["parts"],
        serde_json::json!(["buyer", "district_organiser", "shop"]),
        "the first shop organises its district and buys for the round"
    );
    let round_id = round["round_id"].as_str().expect("id");
    let rice = testing::eventually(Duration::from_secs(30), || {
        let (client, url, token) = (
            client.clone(),
            format!(
                "{}/api/procurement/organisations/{org}/rounds/{round_id}",
                running.url
            ),
            bearer(&shop),
        );
        async move {
            let view: serde_json::Value = client
                .get(url)
                .header("authorization", token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let rice = view["items"][0].clone();
            (rice["pooled"] == 22).then_some(rice)
        }
    })
    .await
    .expect("the demo intents reach the pool");
    assert_eq!(rice["tier"]["unit_price"], 2_200, "past the first break");
    assert_eq!(rice["next"]["units_missing"], 28);

    for path in [
        "/docs",
        "/openapi.json",
        "/graphql",
        "/metrics",
        "/assets/app.css",
    ] {
        let r = client
            .get(format!("{}{path}", running.url))
            .send()
            .await
            .expect(path);
        assert_eq!(r.status(), 200, "{path}");
    }
    let missing = client
        .get(format!("{}/api/nowhere", running.url))
        .send()
        .await
        .expect("404");
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "not_found");

    let pid = running.child.id().expect("pid");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), running.child.wait())
        .await
        .expect("stops within 30 s of SIGTERM")
        .expect("exit status");
    assert!(exit.success(), "graceful stop exits 0, got {exit}");
}

/// Signs up `email` over HTTP and signs in, acting in `organisation` if
/// given; returns the token pair as JSON.
async fn signed_in(
    client: &reqwest::Client,
    url: &str,
    email: &str,
    organisation: Option<&str>,
) -> serde_json::Value {
    let password = if email.contains(".demo.renkei.jp") {
        "renkei-demo-2026"
    } else {
        "kill-nine-survivor"
    };
    let up = client
        .post(format!("{url}/api/collab/auth/sign-up"))
        .json(
            &serde_json::json!({"email": email, "password": password, "display_name": "試験 太郎"}),
        )
        .send()
        .await
        .expect("sign-up");
    assert!(
        up.status() == 201 || up.status() == 409,
        "sign-up: {}",
        up.status()
    );
    let pair = client
        .post(format!("{url}/api/collab/auth/sign-in"))
        .json(&serde_json::json!({"email": email, "password": password, "organisation_id": organisation}))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(pair.status(), 200);
    pair.json().await.expect("tokens")
}

fn bearer(pair: &serde_json::Value) -> String {
    format!(
        "Bearer {}",
        pair["access_token"].as_str().expect("access token")
    )
}

async fn acknowledged_write_survives_kill_9(envs: Vec<(&'static str, String)>) {
    let dir = TempDir::new();
    let client = http();
    let mut first = up(&dir, &envs, &[]).await;
    let before = signed_in(&client, &first.url, "crash@example.jp", None).await;
    let created = client
        .post(format!("{}/api/collab/organisations", first.url))
        .header("idempotency-key", "crash-test-1")
        .header("authorization", bearer(&before))
        .json(&serde_json::json!({"legal_name": "株式会社 クラッシュ試験", "kind": "company", "prefecture_code": "27"}))
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.expect("json");
    let id = body["organisation_id"].as_str().expect("id").to_string();
    first.child.start_kill().expect("kill -9");
    first.child.wait().await.expect("killed");

    let second = up(&dir, &envs, &[]).await;
    let after = signed_in(&client, &second.url, "crash@example.jp", Some(&id)).await;
    let found = client
        .get(format!("{}/api/collab/organisations/{id}", second.url))
        .header("authorization", bearer(&after))
        .send()
        .await
        .expect("get");
    assert_eq!(
        found.status(),
        200,
        "the acknowledged organisation is still there"
    );
    let again = client
        .post(format!("{}/api/collab/organisations", second.url))
        .header("idempotency-key", "crash-test-1")
        .header("authorization", bearer(&before))
        .json(&serde_json::json!({"legal_name": "株式会社 クラッシュ試験", "kind": "company", "prefecture_code": "27"}))
        .send()
        .await
        .expect("retry");
    assert_eq!(
        again.status(),
        200,
        "a retry after the crash, with a token signed before it, is recognised, not applied twice"
    );
    let again: serde_json::Value = again.json().await.expect("json");
    assert_eq!(again["organisation_id"], id.as_str());

    let counted = testing::eventually(Duration::from_secs(60), || async {
        regions(&client, &second.url)
            .await?
            .into_iter()
            .find(|r| r["prefecture_code"] == "27")
    })
    .await
    .expect("the event of the acknowledged write is delivered after the restart");
    assert_eq!(counted["organisations"], 1, "delivered once: {counted}");
}

#[tokio::test]
async fn an_acknowledged_write_and_its_event_survive_kill_9_on_sqlite() {
    acknowledged_write_survives_kill_9(vec![]).await;
}

#[tokio::test]
async fn an_acknowledged_write_and_its_event_survive_kill_9_on_postgres() {
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    acknowledged_write_survives_kill_9(on_postgres(url)).await;
}

async fn run_to_end(envs: &[(&str, String)], args: &[&str]) -> (i32, String, String) {
    let dir = TempDir::new();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        command(&dir, envs)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output(),
    )
    .await
    .expect("finishes within 60 s")
    .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_invalid_setting_is_refused_with_its_key_and_reason() {
    let (code, _, err) = run_to_end(
        &[("RENKEI__SERVER__LISTEN", "nowhere".into())],
        &["config", "check"],
    )
    .await;
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("server.listen") && err.contains("nowhere"),
        "{err}"
    );

    let (code, _, err) = run_to_end(
        &[("RENKEI__SERVER__LISTEN", "nowhere".into())],
        &["up", "--listen", "127.0.0.1:0"],
    )
    .await;
    assert_ne!(code, 0, "up does not start with an invalid setting");
    assert!(err.contains("server.listen"), "{err}");

    let (code, _, err) = run_to_end(
        &[("RENKEI__STORAGE__SPEED", "fast".into())],
        &["config", "check"],
    )
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("speed"), "an unknown key is named: {err}");
}

#[tokio::test]
async fn config_check_prints_the_effective_settings_with_secrets_masked() {
    let (code, out, err) = run_to_end(
        &[(
            "RENKEI__STORAGE__POSTGRES_URL",
            "postgres://renkei:hunter2@db/renkei".into(),
        )],
        &["config", "check"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("[storage]") && out.contains("backend = \"sqlite\""),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "the password never prints: {out}");
}

#[tokio::test]
async fn an_unknown_service_lists_the_valid_ones() {
    let (code, _, err) = run_to_end(&[], &["serve", "billing"]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains("billing") && err.contains("collab, orders, procurement, insights, gateway"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_database_stops_the_process_with_one_clear_line() {
    let (code, _, err) = run_to_end(
        &[
            ("RENKEI__STORAGE__BACKEND", "postgres".into()),
            (
                "RENKEI__STORAGE__POSTGRES_URL",
                "postgres://renkei@127.0.0.1:1/renkei".into(),
            ),
            ("RENKEI__STORAGE__CONNECT_TIMEOUT_SECS", "2".into()),
        ],
        &["up", "--listen", "127.0.0.1:0"],
    )
    .await;
    assert_ne!(code, 0);
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("renkei: error:") && last.contains("127.0.0.1:1"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_broker_stops_serve_with_one_clear_line() {
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    let (code, _, err) = run_to_end(
        &[
            ("RENKEI__STORAGE__BACKEND", "postgres".into()),
            ("RENKEI__STORAGE__POSTGRES_URL", url),
            ("RENKEI__BUS__MODE", "kafka".into()),
            ("RENKEI__BUS__KAFKA_BROKERS", "127.0.0.1:1".into()),
            ("RENKEI__SERVER__LISTEN", "127.0.0.1:0".into()),
        ],
        &["serve", "collab"],
    )
    .await;
    assert_ne!(code, 0);
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(
        last.contains("Kafka broker 127.0.0.1:1 is not reachable"),
        "{err}"
    );
}

#[tokio::test]
async fn serve_refuses_the_embedded_default() {
    let (code, _, err) = run_to_end(&[], &["serve", "collab"]).await;
    assert_ne!(code, 0);
    assert!(
        err.contains("storage.backend") && err.contains("renkei up"),
        "{err}"
    );
}

#[tokio::test]
async fn one_process_per_service_on_postgres_and_kafka_behind_the_gateway() {
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    let Some(brokers) = testing::kafka().await else {
        return;
    };
    let dir = TempDir::new();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut envs = on_postgres(url);
    envs.extend([
        ("RENKEI__BUS__MODE", "kafka".into()),
        ("RENKEI__BUS__KAFKA_BROKERS", brokers),
        ("RENKEI__BUS__TOPIC_PREFIX", format!("t{run}")),
        ("RENKEI__BUS__GROUP_PREFIX", format!("g{run}")),
        ("RENKEI__SERVER__LISTEN", "127.0.0.1:0".into()),
    ]);
    let collab = start(&dir, "collab", &envs, &["serve", "collab"]).await;
    let insights = start(&dir, "insights", &envs, &["serve", "insights"]).await;
    let mut gateway_env = envs.clone();
    gateway_env.push(("RENKEI__GATEWAY__UPSTREAMS__COLLAB", collab.url.clone()));
    gateway_env.push(("RENKEI__GATEWAY__UPSTREAMS__INSIGHTS", insights.url.clone()));
    let gateway = start(&dir, "gateway", &gateway_env, &["serve", "gateway"]).await;
    let client = http();
    let pair = signed_in(&client, &gateway.url, "yao@example.jp", None).await;

    let created = client
        .post(format!("{}/api/collab/organisations", gateway.url))
        .header("x-request-id", "trace-me-1")
        .header("authorization", bearer(&pair))
        .json(&serde_json::json!({"legal_name": "有限会社 八尾プレス工業", "kind": "company", "prefecture_code": "27"}))
        .send()
        .await
        .expect("post through the gateway");
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["x-request-id"],
        "trace-me-1",
        "the request id crosses the gateway"
    );
    let bad = client
        .post(format!("{}/api/collab/organisations", gateway.url))
        .header("authorization", bearer(&pair))
        .json(&serde_json::json!({"legal_name": "x", "kind": "company", "prefecture_code": "99"}))
        .send()
        .await
        .expect("bad post");
    assert_eq!(bad.status(), 422, "errors pass through unchanged");

    let regions = testing::eventually(Duration::from_secs(60), || async {
        let rows = regions(&client, &gateway.url).await?;
        (!rows.is_empty()).then_some(rows)
    })
    .await
    .expect("the event crosses Kafka from the collab process to the insights process");
    assert_eq!(regions[0]["prefecture_code"], "27");
    assert_eq!(regions[0]["organisations"], 1);
    drop((collab, insights, gateway));
}

#[tokio::test]
async fn a_migration_that_fails_stops_the_process_with_one_clear_line() {
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
    conn.execute("CREATE SCHEMA collab; CREATE TABLE collab.organisation (something_else TEXT)")
        .await
        .expect("a conflicting table");
    let (code, _, err) = run_to_end(&on_postgres(url), &["up", "--listen", "127.0.0.1:0"]).await;
    assert_ne!(code, 0, "never starts half-working");
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("renkei: error:")
            && last.contains("migration of service `collab` on postgres failed"),
        "{err}"
    );
}

#[tokio::test]
async fn graphql_signs_in_registers_and_reads_an_organisation_with_coded_errors() {
    let dir = TempDir::new();
    let running = up(&dir, &[], &[]).await;
    let client = http();
    let gql = |query: String, token: Option<String>| {
        let client = client.clone();
        let url = format!("{}/graphql", running.url);
        async move {
            let mut request = client
                .post(url)
                .json(&serde_json::json!({ "query": query }));
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let response = request.send().await.expect("graphql");
            assert_eq!(response.status(), 200);
            response.json::<serde_json::Value>().await.expect("json")
        }
    };
    let sign_in = |organisation: Option<String>| {
        let org = organisation
            .map(|o| format!(r#", organisationId: "{o}""#))
            .unwrap_or_default();
        gql(
            format!(
                r#"mutation {{ signIn(email: "tsubame@example.jp", password: "kinzoku-kako-88"{org}) {{ accessToken role }} }}"#
            ),
            None,
        )
    };

    let anonymous = gql(r#"mutation { registerOrganisation(legalName: "株式会社 燕金属加工", kind: COMPANY, prefectureCode: "15") { organisationId } }"#.into(), None).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "unauthenticated",
        "{anonymous}"
    );
    let forged = gql("{ me { email } }".into(), Some("not.a.token".into())).await;
    assert_eq!(
        forged["errors"][0]["extensions"]["code"], "unauthenticated",
        "{forged}"
    );
    let signed_up = gql(r#"mutation { signUp(email: "tsubame@example.jp", password: "kinzoku-kako-88", displayName: "燕 太郎") }"#.into(), None).await;
    assert!(signed_up["data"]["signUp"].is_string(), "{signed_up}");
    let token = sign_in(None).await["data"]["signIn"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
    let created = gql(r#"mutation { registerOrganisation(legalName: "株式会社 燕金属加工", kind: COMPANY, prefectureCode: "15", corporateNumber: "7000012050002") { organisationId prefectureName } }"#.into(), Some(token.clone())).await;
    let id = created["data"]["registerOrganisation"]["organisationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no organisation id in {created}"))
        .to_string();
    assert_eq!(
        created["data"]["registerOrganisation"]["prefectureName"],
        "新潟県"
    );
    let in_org = sign_in(Some(id.clone())).await;
    assert_eq!(in_org["data"]["signIn"]["role"], "OWNER");
    let token = in_org["data"]["signIn"]["accessToken"]
        .as_str()
        .expect("token")
        .to_string();
    let read = gql(
        format!(r#"{{ organisation(id: "{id}") {{ legalName kind }} me {{ email }} }}"#),
        Some(token.clone()),
    )
    .await;
    assert_eq!(
        read["data"]["organisation"]["legalName"],
        "株式会社 燕金属加工"
    );
    assert_eq!(read["data"]["organisation"]["kind"], "COMPANY");
    assert_eq!(read["data"]["me"]["email"], "tsubame@example.jp");

    let refused = gql(r#"mutation { registerOrganisation(legalName: "x", kind: COMPANY, prefectureCode: "00") { organisationId } }"#.into(), Some(token.clone())).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "invalid_input",
        "{refused}"
    );
    assert_eq!(
        refused["errors"][0]["extensions"]["field"], "prefecture_code",
        "{refused}"
    );
    let missing = gql(
        r#"{ organisation(id: "nope") { legalName } }"#.into(),
        Some(token),
    )
    .await;
    assert_eq!(
        missing["errors"][0]["extensions"]["code"], "not_found",
        "{missing}"
    );
}
