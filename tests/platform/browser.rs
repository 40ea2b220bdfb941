//! The web UI as people use it, in headless Chromium driven through
//! chromedriver: an owner signs up and registers a company, invites a
//! colleague who joins through the invitation link, another company proposes
//! a partnership that the first accepts, the first forms a group and sends a
//! message that the partner reads, and an IT vendor's app is registered and
//! installed. Run against `renkei up` on SQLite and on PostgreSQL.

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
            ]
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
            if field.tag_name().await.unwrap_or_default() == "select" {
                field.select_by_value(value).await.expect("select");
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
        self.go("/app/signin").await;
        self.fill("signin-form", &[("email", email), ("password", PASSWORD)])
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
