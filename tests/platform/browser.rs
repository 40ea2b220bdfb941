//! The web UI as people use it, in headless Chromium driven through
//! chromedriver: an owner signs up and registers a company, invites a
//! colleague who joins through the invitation link, another company proposes
//! a partnership that the first accepts, the first forms a group and sends a
//! message that the partner reads, and an IT vendor's app is registered and
//! installed; a shop and a wholesaler complete an order cycle; a shop of
//! the demo region joins a joint-ordering round and watches its pool. Run
//! against `renkei up` on SQLite and on PostgreSQL.

use std::{process::Stdio, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use renkei_kernel::testing::{self, TempDir};
use tokio::process::{Child, Command};

use crate::binary::{on_postgres, up};

const PASSWORD: &str = "ブラウザ試験のパスワード";

struct Browser {
    client: Client,
    base: String,
    _driver: Child,
    _profile: TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver and a headless Chromium session, or skips (fails in CI).
async fn browser(base: &str) -> Option<Browser> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(chromium) = chromium else {
        return testing::unavailable(
            "Chromium",
            "install the Debian packages chromium and chromium-driver",
        );
    };
    let port = free_port();
    let driver = match Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return testing::unavailable("chromedriver", e),
    };
    let profile = TempDir::new();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,2000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {
                "download.default_directory": profile.path().join("downloads").display().to_string(),
                "download.prompt_for_download": false,
            }
        }
    });
    let caps = match caps {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object"),
    };
    let url = format!("http://127.0.0.1:{port}");
    let client = testing::eventually(Duration::from_secs(20), || {
        let caps = caps.clone();
        let url = url.clone();
        async move {
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&url)
                .await
                .ok()
        }
    })
    .await
    .expect("chromedriver starts a Chromium session within 20 s");
    Some(Browser {
        client,
        base: base.to_string(),
        _driver: driver,
        _profile: profile,
    })
}

impl Browser {
    async fn go(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    async fn fill(&self, form: &str, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let field = self
                .client
                .find(Locator::Css(&format!("#{form} [name=\"{name}\"]")))
                .await
                .unwrap_or_else(|e| panic!("#{form} has no field {name}: {e}"));
            let kind = field.attr("type").await.ok().flatten().unwrap_or_default();
            if field.tag_name().await.unwrap_or_default() == "select" {
                field.select_by_value(value).await.expect("select");
            } else if kind == "date" || kind == "time" {
                // Typing into date and time pickers depends on the
                // browser's locale; their value is set as a form sends it.
                self.client
                    .execute(
                        "document.querySelector(arguments[0]).value = arguments[1];",
                        vec![
                            serde_json::json!(format!("#{form} [name=\"{name}\"]")),
                            serde_json::json!(value),
                        ],
                    )
                    .await
                    .expect("set the value");
            } else {
                field.clear().await.expect("clear");
                field.send_keys(value).await.expect("type");
            }
        }
    }

    /// Clicks `css` and waits until the browser has left the current page
    /// (its old `<body>` is gone), so later lookups see the next page.
    async fn click_away(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("body"))
            .await
            .expect("a page is open");
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {css}: {e}"))
            .click()
            .await
            .expect("click");
        testing::eventually(Duration::from_secs(10), || {
            let old = old.clone();
            async move { old.tag_name().await.is_err().then_some(()) }
        })
        .await
        .unwrap_or_else(|| panic!("clicking {css} did not lead to another page"));
    }

    async fn submit(&self, form_css: &str) {
        self.click_away(&format!("{form_css} button[type=submit]"))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let found = testing::eventually(Duration::from_secs(10), || async {
            self.client
                .find(Locator::Css(css))
                .await
                .ok()?
                .text()
                .await
                .ok()
        })
        .await;
        match found {
            Some(text) => text,
            None => panic!("no {css} on the page:\n{}", self.page().await),
        }
    }

    async fn tick(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no check box at {css}: {e}"))
            .click()
            .await
            .expect("tick");
    }

    async fn page(&self) -> String {
        self.client.source().await.expect("page source")
    }

    async fn sign_up(&self, email: &str, name: &str) {
        self.go("/app/signup").await;
        self.fill(
            "signup-form",
            &[
                ("email", email),
                ("display_name", name),
                ("password", PASSWORD),
            ],
        )
        .await;
        self.submit("#signup-form").await;
    }

    async fn sign_in(&self, email: &str) {
        self.sign_in_with(email, PASSWORD).await;
    }

    async fn sign_in_with(&self, email: &str, password: &str) {
        self.go("/app/signin").await;
        self.fill("signin-form", &[("email", email), ("password", password)])
            .await;
        self.submit("#signin-form").await;
        self.text("#signed-in-as").await;
    }

    async fn sign_out(&self) {
        self.go("/app").await;
        self.submit("#signout").await;
        self.text("#signin-form").await;
    }

    async fn register(&self, name: &str, kind: &str) {
        self.fill(
            "organisation-form",
            &[
                ("legal_name", name),
                ("kind", kind),
                ("prefecture_code", "15"),
            ],
        )
        .await;
        self.submit("#organisation-form").await;
        assert_eq!(self.text("#current-organisation").await, name);
    }
}

async fn people_work_together(envs: Vec<(&'static str, String)>) {
    let dir = TempDir::new();
    let running = up(&dir, &envs, &[]).await;
    let Some(b) = browser(&running.url).await else {
        return;
    };

    b.sign_up("owner@tsubame-ui.example.jp", "燕 一郎").await;
    b.text("#organisation-form").await;
    b.register("UI試験 燕金属", "company").await;
    assert_eq!(b.text("#current-role").await, "owner");

    b.go("/app/members").await;
    b.fill(
        "invite-form",
        &[
            ("email", "colleague@tsubame-ui.example.jp"),
            ("role", "member"),
        ],
    )
    .await;
    b.submit("#invite-form").await;
    let link = b.text("#invitation-link").await;
    assert!(link.contains("/app/invitations/accept?token="), "{link}");
    b.sign_out().await;

    b.client
        .goto(&link)
        .await
        .expect("open the invitation link");
    b.click_away("#signup-to-accept").await;
    b.fill(
        "signup-form",
        &[
            ("email", "colleague@tsubame-ui.example.jp"),
            ("display_name", "燕 次郎"),
            ("password", PASSWORD),
        ],
    )
    .await;
    b.submit("#signup-form").await;
    b.submit("#accept-form").await;
    assert_eq!(b.text("#current-organisation").await, "UI試験 燕金属");
    assert_eq!(
        b.text("#current-role").await,
        "member",
        "the colleague joined as invited"
    );
    b.sign_out().await;

    b.sign_up("owner@sanjo-ui.example.jp", "三条 花子").await;
    b.register("UI試験 三条商事", "company").await;
    b.go(&format!(
        "/app/partners?q={}",
        "UI%E8%A9%A6%E9%A8%93%20%E7%87%95"
    ))
    .await;
    b.submit("#directory form").await;
    assert!(b.text("#notice").await.len() > 1);
    b.sign_out().await;

    b.sign_in("owner@tsubame-ui.example.jp").await;
    b.go("/app").await;
    assert_eq!(b.text("#proposals-waiting").await, "1");
    b.go("/app/partners").await;
    b.submit("#partnerships form[id^=accept-]").await;
    assert_eq!(
        b.text("#partnerships td.status").await,
        "取引中",
        "the partnership is active"
    );

    b.go("/app/groups").await;
    b.fill(
        "group-form",
        &[
            ("name", "燕三条 試作ネットワーク"),
            ("kind", "manufacturing_network"),
        ],
    )
    .await;
    b.tick("#group-form input[name=members]").await;
    b.submit("#group-form").await;
    let groups = b.text("#groups").await;
    assert!(
        groups.contains("燕三条 試作ネットワーク") && groups.contains("UI試験 三条商事"),
        "{groups}"
    );

    b.go("/app/messages").await;
    b.tick("#thread-form input[name=participants]").await;
    b.fill(
        "thread-form",
        &[
            ("subject", "試作品の納期"),
            ("body", "来週の試作品、納期はいかがですか。"),
        ],
    )
    .await;
    b.submit("#thread-form").await;
    assert_eq!(b.text("#thread-subject").await, "試作品の納期");
    b.sign_out().await;

    b.sign_in("owner@sanjo-ui.example.jp").await;
    assert_eq!(
        b.text("#unread-messages").await,
        "1",
        "the partner is notified"
    );
    b.go("/app/messages").await;
    b.click_away("#threads a").await;
    assert!(b.text("#messages").await.contains("来週の試作品"));
    b.sign_out().await;

    b.sign_up("dev@machi-ui.example.jp", "まち 開発").await;
    b.register("UI試験 まちIT", "it_vendor").await;
    b.go("/app/apps").await;
    b.fill(
        "app-form",
        &[
            ("name", "UI試験 受発注コネクタ"),
            ("description", "販売管理とつなぐ"),
        ],
    )
    .await;
    b.tick("#app-form input[value=\"organisation:read\"]").await;
    b.submit("#app-form").await;
    assert!(b.text("#notice").await.len() > 1);
    b.sign_out().await;

    b.sign_in("owner@tsubame-ui.example.jp").await;
    b.go("/app/apps").await;
    b.tick("#catalogue input[name=scopes]").await;
    b.submit("#catalogue form").await;
    assert!(
        b.text("#installed").await.contains("UI試験 受発注コネクタ"),
        "{}",
        b.page().await
    );

    b.client.clone().close().await.expect("close the browser");
    drop(running);
}

#[tokio::test]
async fn people_sign_up_invite_partner_group_message_and_install_an_app_in_the_browser_on_sqlite() {
    people_work_together(vec![]).await;
}

#[tokio::test]
async fn people_sign_up_invite_partner_group_message_and_install_an_app_in_the_browser_on_postgres()
{
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    people_work_together(on_postgres(url)).await;
}

/// Waits until `css` holds `attribute` = `value` (pages are re-rendered
/// after each form, so the element is looked up afresh).
async fn attribute_is(b: &Browser, css: &str, attribute: &str, value: &str) {
    let seen = testing::eventually(Duration::from_secs(10), || async {
        let found = b.client.find(Locator::Css(css)).await.ok()?;
        let v = found.attr(attribute).await.ok()??;
        (v == value).then_some(())
    })
    .await;
    if seen.is_none() {
        panic!("{css} never had {attribute}={value}:\n{}", b.page().await);
    }
}

/// A shop and a wholesaler complete an order cycle in the browser: the
/// shop orders (a mistyped quantity is shown on its line first) and
/// changes a line (a negative quantity is shown on its line first), the
/// wholesaler sees the change, answers line by line and despatches, the
/// shop records the receipt; both see the same history. Then the shop sets
/// up EDI with the wholesaler, collects the wholesaler's documents from its
/// mailbox, and uploads an EDIFACT interchange: a good one is accepted with
/// its CONTRL, a broken one is shown with the problem's place.
async fn an_order_cycle_in_the_browser(envs: Vec<(&'static str, String)>) {
    let dir = TempDir::new();
    let running = up(&dir, &envs, &[]).await;
    let Some(b) = browser(&running.url).await else {
        return;
    };

    b.sign_up("owner@wholesale-ui.example.jp", "品川 卸太郎")
        .await;
    b.register("UI試験 品川中央卸", "company").await;
    b.sign_out().await;
    b.sign_up("owner@shop-ui.example.jp", "丸山 青果").await;
    b.register("UI試験 まるやま青果", "company").await;
    b.go(&format!(
        "/app/partners?q={}",
        "UI%E8%A9%A6%E9%A8%93%20%E5%93%81%E5%B7%9D"
    ))
    .await;
    b.submit("#directory form").await;
    b.sign_out().await;
    b.sign_in("owner@wholesale-ui.example.jp").await;
    b.go("/app/partners").await;
    b.submit("#partnerships form[id^=accept-]").await;
    b.sign_out().await;

    // The shop orders; the partnership reaches the orders service over the
    // bus, so the first try may come before it.
    b.sign_in("owner@shop-ui.example.jp").await;
    let lines = [
        ("number", "PO-UI-0001"),
        ("note", "午前中着でお願いします"),
        ("item_1", "国産 玉ねぎ 10kg箱"),
        ("code_1", "TAMA-10"),
        ("qty_1", "12"),
        ("unit_1", "CS"),
        ("price_1", "2480"),
        ("item_2", "じゃがいも 男爵"),
        ("gtin_2", "4901234567894"),
        ("qty_2", "二十"),
        ("unit_2", "KGM"),
    ];
    b.go("/app/orders/new").await;
    b.fill("order-form", &lines).await;
    b.submit("#order-form").await;
    let error = b.text("#line-error-2").await;
    assert!(
        error.contains("二十"),
        "the mistyped quantity is named on its line: {error}"
    );
    let mut ordered = false;
    for _ in 0..20 {
        b.go("/app/orders/new").await;
        b.fill("order-form", &lines).await;
        b.fill("order-form", &[("qty_2", "30")]).await;
        b.submit("#order-form").await;
        if b.page().await.contains("id=\"order-status\"") {
            ordered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ordered, "the order was not accepted:\n{}", b.page().await);
    attribute_is(&b, "#order-status", "data-status", "awaiting_response").await;

    // Before the answer the shop changes line 1, saying why: a negative
    // quantity is named on its line, stores nothing and keeps the reason
    // typed; then 15 cases instead of 12.
    let reason = "週末の特売で増量 <b>急ぎ</b> & 追加";
    b.fill("change-form", &[("qty_1", "-3"), ("note", reason)])
        .await;
    b.submit("#change-form").await;
    let error = b.text("#change-error-1").await;
    assert!(
        error.contains("明細 1") && error.contains("数量") && error.contains("-3"),
        "the line and the field are named: {error}"
    );
    let kept = b
        .client
        .find(Locator::Css("#change-form [name=\"note\"]"))
        .await
        .expect("the reason field")
        .prop("value")
        .await
        .expect("its value");
    assert_eq!(kept.as_deref(), Some(reason), "the reason typed is kept");
    assert_eq!(b.text("#line-1 .ordered").await, "12 ケース");
    assert!(!b.text("#history").await.contains("注文変更"));
    b.fill("change-form", &[("qty_1", "15")]).await;
    b.submit("#change-form").await;
    assert_eq!(b.text("#line-1 .ordered").await, "15 ケース");
    assert_eq!(
        b.text("#history [data-kind=order_change]").await,
        "注文変更"
    );
    assert_eq!(b.text("#document-2 .note").await, reason);
    b.sign_out().await;

    // The wholesaler finds it in the inbox, sees the change and answers
    // line by line.
    b.sign_in("owner@wholesale-ui.example.jp").await;
    b.go("/app/orders?box=inbox").await;
    b.click_away("#orders a").await;
    assert_eq!(
        b.text("#line-1 .ordered").await,
        "15 ケース",
        "the seller sees the changed quantity"
    );
    assert_eq!(
        b.text("#history [data-kind=order_change]").await,
        "注文変更"
    );
    assert_eq!(
        b.text("#document-2 .note").await,
        reason,
        "the seller sees why, as text, not markup"
    );
    assert_eq!(b.text("#document-1 .note").await, "午前中着でお願いします");
    b.fill(
        "response-form",
        &[
            ("status_2", "changed"),
            ("qty_2", "20"),
            ("reason_2", "在庫不足"),
        ],
    )
    .await;
    b.submit("#response-form").await;
    attribute_is(&b, "#order-status", "data-status", "confirmed").await;
    assert_eq!(b.text("#line-2 .state").await, "変更して承諾");
    b.fill(
        "despatch-form",
        &[("carrier", "ヤマト運輸"), ("packages", "13")],
    )
    .await;
    b.submit("#despatch-form").await;
    attribute_is(&b, "#order-status", "data-status", "despatched").await;
    assert_eq!(b.text("#line-2 .shipped").await, "20");
    b.sign_out().await;

    // The shop records the receipt; both sides keep the same history.
    b.sign_in("owner@shop-ui.example.jp").await;
    b.go("/app/orders?box=outbox&status=despatched").await;
    // Switching the language keeps the filters.
    b.click_away("#lang-switch").await;
    let switched = b.client.current_url().await.expect("the list's address");
    assert_eq!(
        switched.query(),
        Some("box=outbox&status=despatched&lang=en")
    );
    assert_eq!(b.text("#orders .status").await, "despatched");
    b.click_away("#lang-switch").await;
    b.click_away("#orders a").await;
    b.submit("#receipt-form").await;
    attribute_is(&b, "#order-status", "data-status", "received").await;
    let history = b.text("#history").await;
    for kind in ["注文", "注文回答", "出荷案内", "受領通知"] {
        assert!(history.contains(kind), "{kind} in {history}");
    }
    let page = b.page().await;
    assert!(
        page.contains("file?format=csv") && page.contains("file?format=ubl21"),
        "every document can be downloaded"
    );
    assert!(
        !page.contains("file?format=edifact_d96a")
            && page.contains("href=\"/app/edi#profile-form\""),
        "EDIFACT and X12 wait for an EDI profile for the partner"
    );
    let order_page = b.client.current_url().await.expect("the order's address");

    // EDI: the shop's profile for the wholesaler, then files.
    b.go("/app/edi").await;
    b.fill(
        "profile-form",
        &[
            ("own_wire_id", "4912345000019"),
            ("partner_wire_id", "4998765000011"),
            ("sends", "edifact_d96a"),
            ("wants", "edifact_d96a"),
        ],
    )
    .await;
    b.submit("#profile-form").await;
    assert!(b.text("#profiles").await.contains("4998765000011"));
    b.go(order_page.path()).await;
    assert!(
        b.page().await.contains("file?format=edifact_d96a"),
        "with the profile, every document can be downloaded as EDIFACT"
    );
    b.go("/app/edi").await;
    // The wholesaler's response and despatch advice wait in the shop's
    // mailbox; collecting makes them one EDIFACT file, empties the mailbox
    // and comes back to the page as it is now, with the file to download.
    assert_eq!(b.text("#mailbox .waiting").await, "2");
    let row = b.text("#mailbox .mailbox-partner").await;
    assert!(
        row.contains("UI試験 品川中央卸") && row.contains("edifact_d96a"),
        "{row}"
    );
    b.click_away("#mailbox form button[type=submit]").await;
    let mailbox = b.text("#mailbox").await;
    assert!(
        mailbox.contains("受け取っていない文書はありません"),
        "{mailbox}"
    );
    assert!(b.text("#notice").await.contains("2 件"));
    let file = b
        .client
        .find(Locator::Css("#collected a"))
        .await
        .expect("a link to the file collected")
        .attr("href")
        .await
        .expect("its address")
        .unwrap_or_default();
    assert!(file.starts_with("/app/edi/interchanges/"), "{file}");
    assert!(
        b.text("#interchanges").await.contains("edifact_d96a"),
        "the collected file is kept with the shop's files"
    );
    let outgoing = renkei_edi::Outgoing {
        sender: "4912345000019".into(),
        recipient: "4998765000011".into(),
        reference: "7001".into(),
        prepared: "2026-11-21".parse().expect("date"),
        time: "0930".into(),
    };
    let mut order = renkei_edi::samples::order();
    order.number = "PO-UI-EDI-1".into();
    let good = renkei_edi::edifact::write(
        &outgoing,
        renkei_edi::edifact::Version::D96A,
        &[renkei_edi::Document::Order(order)],
    );
    let files = TempDir::new();
    let good_path = files.path().join("order.edi");
    std::fs::write(&good_path, &good).expect("write the file");
    let broken_path = files.path().join("broken.edi");
    std::fs::write(
        &broken_path,
        good.replace("7001", "7002").replace("QTY+21:", "QTY+99:"),
    )
    .expect("write the file");
    for (path, status) in [(&good_path, "accepted"), (&broken_path, "rejected")] {
        b.go("/app/edi").await;
        b.client
            .find(Locator::Css("#upload-form input[type=file]"))
            .await
            .expect("a file field")
            .send_keys(&path.display().to_string())
            .await
            .expect("choose the file");
        b.submit("#upload-form").await;
        attribute_is(&b, "#upload-result", "data-status", status).await;
    }
    let problems = b.text("#upload-messages").await;
    assert!(
        problems.contains("unknown_qualifier")
            && problems.contains("segment 11 QTY element 1 component 1")
            && problems.contains("`99`"),
        "the problem is shown at the segment that carries it: {problems}"
    );
    b.go("/app/edi").await;
    let received = b.text("#interchanges").await;
    assert!(
        received.contains("7001") && received.contains("7002"),
        "{received}"
    );
    b.go("/app/orders?number=PO-UI-EDI").await;
    assert!(b.text("#orders").await.contains("PO-UI-EDI-1"));

    b.client.clone().close().await.expect("close the browser");
    drop(running);
}

#[tokio::test]
async fn an_order_cycle_and_an_edi_upload_in_the_browser_on_sqlite() {
    an_order_cycle_in_the_browser(vec![]).await;
}

#[tokio::test]
async fn an_order_cycle_and_an_edi_upload_in_the_browser_on_postgres() {
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    an_order_cycle_in_the_browser(on_postgres(url)).await;
}

/// Password of the demo region's accounts (`renkei up --demo`).
const DEMO_PASSWORD: &str = "renkei-demo-2026";

/// The text at `css` on `path`, loaded afresh until `done` holds for it.
async fn reload_until(b: &Browser, path: &str, css: &str, done: impl Fn(&str) -> bool) -> String {
    let seen = testing::eventually(Duration::from_secs(30), || async {
        b.go(path).await;
        let text = b
            .client
            .find(Locator::Css(css))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        done(&text).then_some(text)
    })
    .await;
    match seen {
        Some(text) => text,
        None => panic!("{css} on {path} never got there:\n{}", b.page().await),
    }
}

/// In the demo region, the wholesaler opens a joint-ordering round through
/// the form, inviting the three shopping districts with 戸越銀座's
/// organiser as the buyer (a break priced above the list price is shown
/// on its field first, and nothing is stored); a shop of 戸越銀座 adds a
/// quantity and, reloading, sees the pool count it and how many more
/// units reach the next price, in Japanese and in English.
async fn a_shop_joins_a_round_in_the_browser(envs: Vec<(&'static str, String)>) {
    let dir = TempDir::new();
    let running = up(&dir, &envs, &["--demo"]).await;
    let Some(b) = browser(&running.url).await else {
        return;
    };

    b.sign_in_with("kanto@wholesale.demo.renkei.jp", DEMO_PASSWORD)
        .await;
    b.go("/app/rounds").await;
    b.click_away("#open-round").await;
    // The districts reach procurement as collab's group events.
    reload_until(&b, "/app/rounds/new", "#district-choices", |t| {
        ["戸越銀座", "元町", "大須"].iter().all(|d| t.contains(d))
    })
    .await;
    let ticks = b
        .client
        .find_all(Locator::Css("#open-round-form input[name=district]"))
        .await
        .expect("district check boxes");
    assert_eq!(ticks.len(), 3, "the demo region's purchasing groups");
    for tick in &ticks {
        tick.click().await.expect("tick");
    }
    for (css, text) in [
        ("input[name^=drop_name_]", "商店街事務所"),
        ("input[name^=drop_address_]", "東京都品川区戸越1-1-1"),
    ] {
        for input in b
            .client
            .find_all(Locator::Css(&format!("#open-round-form {css}")))
            .await
            .expect("drop point fields")
        {
            input.send_keys(text).await.expect("type");
        }
    }
    let mut buyer = None;
    for option in b
        .client
        .find_all(Locator::Css(
            "#open-round-form select[name=buyer_id] option",
        ))
        .await
        .expect("buyer options")
    {
        if option.text().await.expect("text").contains("戸越銀座") {
            buyer = option.attr("value").await.expect("value");
        }
    }
    let buyer = buyer.expect("戸越銀座's organiser may be the buyer");
    b.fill(
        "open-round-form",
        &[
            ("title", "年末 焼海苔 共同仕入れ"),
            ("buyer_id", &buyer),
            ("delivery_1", "2026-12-24"),
            ("fee_kind", "per_drop"),
            ("fee_amount", "3000"),
            ("solo_fee", "800"),
            ("code_1", "NORI-100"),
            ("name_1", "焼海苔 全形100枚"),
            ("unit_1", "H87"),
            ("list_1", "3000"),
            ("min_1", "10"),
            ("bq1_1", "20"),
            ("bp1_1", "3200"),
        ],
    )
    .await;
    b.submit("#open-round-form").await;
    let error = b.text("#error-bp1_1").await;
    assert!(
        error.contains("定価") && error.contains("3200"),
        "the break above the list price is named on its field: {error}"
    );
    b.fill("open-round-form", &[("bp1_1", "2700")]).await;
    b.submit("#open-round-form").await;
    assert_eq!(b.text("#round-title").await, "年末 焼海苔 共同仕入れ");
    assert_eq!(
        b.text("#round-status").await,
        "承諾待ち",
        "opened in 戸越銀座's name, the round waits for it"
    );
    let round = b
        .client
        .current_url()
        .await
        .expect("url")
        .path()
        .to_string();
    b.go("/app/rounds").await;
    let listed = b.text("#rounds").await;
    assert_eq!(
        listed.matches("年末 焼海苔").count(),
        1,
        "the form's error stored nothing: {listed}"
    );
    b.sign_out().await;

    // The wholesaler proposed the round in 戸越銀座's name: its
    // representative accepts before shops can join.
    b.sign_in_with("aoki@togoshi.demo.renkei.jp", DEMO_PASSWORD)
        .await;
    b.go(&round).await;
    b.submit("#accept-form").await;
    assert_eq!(b.text("#round-status").await, "受付中");
    assert_eq!(b.text("#item-1 .to-next").await, "あと 20 個で ¥2,700");
    b.sign_out().await;

    b.sign_in_with("sato@togoshi.demo.renkei.jp", DEMO_PASSWORD)
        .await;
    b.go("/app/rounds").await;
    assert!(
        b.text("#rounds").await.contains("参加店"),
        "{}",
        b.page().await
    );
    b.go(&round).await;
    b.fill("intent-1", &[("quantity", "8")]).await;
    b.submit("#intent-1").await;
    reload_until(&b, &round, "#item-1 .pooled", |t| t == "8").await;
    assert_eq!(b.text("#item-1 .to-next").await, "あと 12 個で ¥2,700");
    assert_eq!(b.text("#item-1 .tier").await, "¥3,000");
    assert_eq!(b.text("#item-1 .shops").await, "1");
    assert_eq!(b.text("#item-1 .minimum").await, "10（あと 2）");
    assert_eq!(b.text("#item-1 .mine").await, "8");
    assert_eq!(b.text("#item-1 .expected-amount").await, "¥24,000");
    b.go(&format!("{round}?lang=en")).await;
    assert_eq!(
        b.text("#item-1 .to-next").await,
        "12 more units reach ¥2,700"
    );

    b.client.clone().close().await.expect("close the browser");
    drop(running);
}

#[tokio::test]
async fn a_shop_joins_a_round_and_sees_its_tier_progress_in_the_browser_on_sqlite() {
    a_shop_joins_a_round_in_the_browser(vec![]).await;
}

#[tokio::test]
async fn a_shop_joins_a_round_and_sees_its_tier_progress_in_the_browser_on_postgres() {
    let Some(url) = testing::fresh_postgres().await else {
        return;
    };
    a_shop_joins_a_round_in_the_browser(on_postgres(url)).await;
}
