//! The web UI shell: server-rendered pages, Japanese by default with an
//! English switch (`?lang=en`, remembered in a cookie), one layout that the
//! pages of every service plug into. No build step and no external scripts.

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;

use crate::Mounted;

pub mod collab;
pub mod orders;
pub mod procurement;
pub mod session;

/// Display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 日本語 (default).
    Ja,
    /// English.
    En,
}

impl Lang {
    fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// From `?lang=`, else the `lang` cookie, else Japanese.
    pub fn pick(query: Option<&str>, headers: &HeaderMap) -> Lang {
        query.and_then(Lang::parse).unwrap_or_else(|| {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|kv| kv.trim().strip_prefix("lang="))
                .find_map(Lang::parse)
                .unwrap_or(Lang::Ja)
        })
    }
}

/// Every UI string, in both languages.
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "連携 Renkei", "Renkei 連携"),
    (
        "app.tagline",
        "中小企業のための企業間連携クラウド",
        "Business collaboration cloud for small and medium enterprises",
    ),
    ("nav.home", "ホーム", "Home"),
    ("nav.regions", "地域の状況", "Regions"),
    ("nav.workspace", "マイページ", "My workspace"),
    ("nav.api", "API", "API"),
    ("nav.graphql", "GraphQL", "GraphQL"),
    ("lang.switch", "English", "日本語"),
    (
        "home.intro",
        "商店街の共同発注、受発注・EDI、技術情報の共有、設備の空き共有、災害時の代替調達を、ひとつの基盤で。",
        "Joint ordering for shopping districts, orders and EDI, shared drawings, spare capacity and substitute suppliers after a disaster — on one platform.",
    ),
    ("home.services", "サービス", "Services"),
    (
        "svc.collab",
        "連携基盤（組織・利用者・取引先・グループ・メッセージ）",
        "Collaboration layer (organisations, people, partners, groups, messages)",
    ),
    ("svc.orders", "受発注・EDI", "Orders and EDI"),
    ("svc.procurement", "共同発注", "Joint ordering"),
    (
        "svc.techinfo",
        "技術情報共有",
        "Technical information sharing",
    ),
    ("svc.marketplace", "電子商取引市場", "E-marketplace"),
    ("svc.insights", "地域の取引動向", "Regional insights"),
    ("status.running", "稼働中", "running"),
    (
        "status.remote",
        "別プロセスで稼働",
        "runs in another process",
    ),
    ("status.planned", "準備中", "coming"),
    (
        "regions.title",
        "地域別の参加組織数",
        "Organisations by prefecture",
    ),
    (
        "regions.empty",
        "まだ参加組織はありません。",
        "No organisations have joined yet.",
    ),
    ("regions.prefecture", "都道府県", "Prefecture"),
    ("regions.kind", "種別", "Kind"),
    ("regions.count", "組織数", "Organisations"),
    (
        "regions.unavailable",
        "地域の集計はこのプロセスでは提供されていません。",
        "Regional figures are not served by this process.",
    ),
    ("notfound.title", "ページが見つかりません", "Page not found"),
    (
        "notfound.body",
        "お探しのページはありません。",
        "There is no page at this address.",
    ),
    ("kind.company", "企業", "Company"),
    ("kind.municipality", "自治体", "Municipality"),
    ("kind.supporter", "支援機関", "Supporter"),
    ("kind.it_vendor", "ITベンダー", "IT vendor"),
    ("kind.platform_operator", "基盤運営者", "Platform operator"),
];

/// The text for `key` in `lang` (the key itself if it is missing, so a gap shows).
pub fn t(lang: Lang, key: &str) -> &str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, ja, en)| match lang {
            Lang::Ja => *ja,
            Lang::En => *en,
        })
        .unwrap_or(key)
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The address of the page at `here` (its path and query) in `lang`: every
/// parameter of the query but `lang` and a one-time `notice` or `error`
/// kept, in order, and `lang` set last.
fn in_language(here: &str, lang: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut kept = form_urlencoded::Serializer::new(String::new());
    // A notice or error was said once, in the page's language: it is not
    // said again in the other.
    kept.extend_pairs(
        form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| !matches!(k.as_ref(), "lang" | "notice" | "error")),
    );
    kept.append_pair("lang", lang.code());
    format!("{path}?{}", kept.finish())
}

/// Where a page is, as its language switch should keep it: the request's
/// path with its query.
fn here(uri: &Uri) -> &str {
    uri.path_and_query().map_or(uri.path(), |pq| pq.as_str())
}

/// Wraps a page body in the common layout; `here` is the page's path with
/// the query it was asked for, which the language switch keeps.
pub fn layout(lang: Lang, title: &str, here: &str, body: &str) -> String {
    let other = match lang {
        Lang::Ja => Lang::En,
        Lang::En => Lang::Ja,
    };
    format!(
        "<!doctype html>\n<html lang=\"{lang_code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\
         <body><header><a class=\"brand\" href=\"/\">{app}</a><nav>\
         <a href=\"/\">{home}</a><a href=\"/app\">{workspace}</a><a href=\"/regions\">{regions}</a><a href=\"/docs\">{api}</a><a href=\"/graphql\">{graphql}</a>\
         <a class=\"lang\" id=\"lang-switch\" href=\"{switch_href}\">{switch}</a></nav></header>\
         <main>{body}</main><footer>{tagline}</footer></body></html>",
        lang_code = lang.code(),
        title = escape(title),
        app = t(lang, "app.name"),
        home = t(lang, "nav.home"),
        workspace = t(lang, "nav.workspace"),
        regions = t(lang, "nav.regions"),
        api = t(lang, "nav.api"),
        graphql = t(lang, "nav.graphql"),
        switch_href = escape(&in_language(here, other)),
        switch = t(lang, "lang.switch"),
        tagline = t(lang, "app.tagline"),
    )
}

/// A page response that also remembers an explicit language choice.
pub fn page(lang: Lang, chosen: bool, status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    if chosen {
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        )) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    response
}

#[derive(Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// The UI routes.
pub fn router(mounted: Mounted) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/regions", get(regions))
        .route("/assets/app.css", get(css))
        .with_state(mounted.clone())
        .merge(collab::router(mounted.clone()))
        .merge(orders::router(mounted.clone()))
        .merge(procurement::router(mounted))
}

async fn home(
    State(mounted): State<Mounted>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let status_of = |name: &str, local: bool| {
        if local {
            ("running", t(lang, "status.running"))
        } else if mounted.upstreams.contains_key(name) {
            ("remote", t(lang, "status.remote"))
        } else {
            ("planned", t(lang, "status.planned"))
        }
    };
    let services = [
        ("collab", mounted.collab.is_some()),
        ("orders", false),
        ("procurement", mounted.procurement.is_some()),
        ("techinfo", false),
        ("marketplace", false),
        ("insights", mounted.insights.is_some()),
    ];
    let mut list = String::new();
    for (name, local) in services {
        let (class, label) = status_of(name, local);
        list.push_str(&format!(
            "<li data-service=\"{name}\"><span>{}</span> <span class=\"status {class}\">{label}</span></li>",
            t(lang, &format!("svc.{name}"))
        ));
    }
    let body = format!(
        "<h1>{}</h1><p class=\"lead\">{}</p><h2>{}</h2><ul class=\"services\">{list}</ul>",
        t(lang, "app.name"),
        t(lang, "home.intro"),
        t(lang, "home.services"),
    );
    page(
        lang,
        q.lang.is_some(),
        StatusCode::OK,
        layout(lang, t(lang, "nav.home"), here(&uri), &body),
    )
}

async fn regions(
    State(mounted): State<Mounted>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let title = t(lang, "regions.title");
    let body = match &mounted.insights {
        None => format!("<h1>{title}</h1><p>{}</p>", t(lang, "regions.unavailable")),
        Some(app) => match app.regions().await {
            Err(e) => {
                tracing::error!(error = %e, "regions page");
                return page(
                    lang,
                    false,
                    StatusCode::SERVICE_UNAVAILABLE,
                    layout(lang, title, here(&uri), "<p>503</p>"),
                );
            }
            Ok(rows) if rows.is_empty() => {
                format!("<h1>{title}</h1><p>{}</p>", t(lang, "regions.empty"))
            }
            Ok(rows) => {
                let mut table = format!(
                    "<h1>{title}</h1><table id=\"regions\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                    t(lang, "regions.prefecture"),
                    t(lang, "regions.kind"),
                    t(lang, "regions.count")
                );
                for r in rows {
                    table.push_str(&format!(
                        "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                        escape(&r.prefecture_code),
                        t(lang, &format!("kind.{}", r.kind)),
                        r.organisations
                    ));
                }
                table.push_str("</tbody></table>");
                table
            }
        },
    };
    page(
        lang,
        q.lang.is_some(),
        StatusCode::OK,
        layout(lang, title, here(&uri), &body),
    )
}

/// The HTML 404 page.
pub fn not_found(headers: &HeaderMap, uri: &Uri) -> Response {
    let lang = Lang::pick(None, headers);
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><code>{}</code></p>",
        t(lang, "notfound.title"),
        t(lang, "notfound.body"),
        escape(uri.path())
    );
    page(
        lang,
        false,
        StatusCode::NOT_FOUND,
        layout(lang, t(lang, "notfound.title"), "/", &body),
    )
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages_and_unique_keys() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), TEXTS.len());
        assert!(
            TEXTS
                .iter()
                .all(|(_, ja, en)| !ja.is_empty() && !en.is_empty())
        );
    }

    #[test]
    fn language_comes_from_query_then_cookie_then_default() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::pick(None, &headers), Lang::Ja);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        assert_eq!(Lang::pick(None, &headers), Lang::En);
        assert_eq!(Lang::pick(Some("ja"), &headers), Lang::Ja);
        assert_eq!(Lang::pick(Some("xx"), &headers), Lang::En);
    }

    #[test]
    fn the_language_switch_keeps_every_other_parameter_of_the_query() {
        let page = layout(
            Lang::Ja,
            "受発注",
            "/app/orders?box=inbox&lang=ja&status=awaiting_response&number=PO+1%26%E6%A1%83",
            "",
        );
        assert!(
            page.contains(
                "id=\"lang-switch\" href=\"/app/orders?box=inbox&amp;status=awaiting_response&amp;number=PO+1%26%E6%A1%83&amp;lang=en\""
            ),
            "{page}"
        );
        assert_eq!(in_language("/regions", Lang::Ja), "/regions?lang=ja");
        assert_eq!(in_language("/?lang=en", Lang::Ja), "/?lang=ja");
        assert_eq!(
            in_language(
                "/app/edi?lang=ja&notice=%E5%8F%97&collected=1&error=x",
                Lang::En
            ),
            "/app/edi?collected=1&lang=en",
            "what was said once in Japanese is not said again in English"
        );
        let uri: Uri = "/app/partners?q=%E5%B1%B1%E7%94%B0".parse().expect("a uri");
        assert_eq!(here(&uri), "/app/partners?q=%E5%B1%B1%E7%94%B0");
        let uri: Uri = "/app".parse().expect("a uri");
        assert_eq!(here(&uri), "/app");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
