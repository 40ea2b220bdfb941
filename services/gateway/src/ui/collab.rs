//! The collaboration pages of the web UI (`/app/…`): sign-up and sign-in,
//! the organisation's dashboard, members and invitations, partners and the
//! directory, collaboration groups, messages, and apps. Pages are rendered
//! on the server from collab's use cases, forms post back and redirect
//! (303) with a notice or an error in the query string, so every page works
//! without JavaScript and every refusal is the use case's own message.

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequestParts, Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use renkei_collab::{
    app::{App, AppError, Invite, NewApp, NewGroup, NewThread, Proposal, SignUp},
    domain::{
        NewOrganisation, OrganisationKind,
        account::Email,
        app::AppScope,
        consent::DocumentUrn,
        organisation::ProfileDraft,
        partnership::{GroupKind, PartnershipAction, PartnershipKind, PartnershipStatus},
    },
};
use renkei_kernel::auth::{Caller, ClientAddr, Role};
use serde::Deserialize;

use super::{Lang, escape, layout, session};
use crate::Mounted;

/// The pages' state: collab's use cases when collab runs in this process.
#[derive(Clone)]
pub(super) struct Ui {
    pub(super) app: Option<App>,
}

/// The `/app/…` routes.
pub fn router(mounted: Mounted) -> Router {
    Router::new()
        .route("/app", get(dashboard))
        .route("/app/signup", get(signup_form).post(signup))
        .route("/app/signin", get(signin_form).post(signin))
        .route("/app/signout", post(signout))
        .route("/app/switch", post(switch))
        .route("/app/organisations", post(organisation_create))
        .route("/app/members", get(members))
        .route("/app/invitations", post(invite))
        .route("/app/invitations/accept", get(accept_form).post(accept))
        .route("/app/partners", get(partners))
        .route("/app/partnerships", post(propose))
        .route("/app/partnerships/{id}/{action}", post(partnership_act))
        .route("/app/groups", get(groups).post(group_create))
        .route("/app/messages", get(threads).post(thread_create))
        .route("/app/messages/{id}", get(thread).post(reply))
        .route("/app/apps", get(apps).post(app_register))
        .route("/app/installations", post(install))
        .route("/app/installations/{id}/remove", post(uninstall))
        .with_state(Ui {
            app: mounted.collab,
        })
}

/// Both languages side by side at the place of use.
pub(super) fn l(lang: Lang, ja: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// Percent-encodes a query value.
pub(super) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The query of every page: language, and the outcome of the last form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    pub(super) lang: Option<String>,
    pub(super) notice: Option<String>,
    pub(super) error: Option<String>,
    q: Option<String>,
    token: Option<String>,
    next: Option<String>,
    link: Option<String>,
    /// The whole query string the page was asked with, which its language
    /// switch keeps (list filters and all); none for a page shown in
    /// answer to a form.
    #[serde(skip)]
    pub(super) asked: Option<String>,
}

/// A page's query, with the query string as asked.
impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(mut q) = Query::<PageQuery>::from_request_parts(parts, state).await?;
        q.asked = parts.uri.query().map(str::to_string);
        Ok(q)
    }
}

/// Where the page at `path` was asked for: the path with the query as asked.
fn address(path: &str, q: &PageQuery) -> String {
    match q.asked.as_deref() {
        Some(asked) if !asked.is_empty() => format!("{path}?{asked}"),
        _ => path.to_string(),
    }
}

/// A submitted form, with repeated fields (check boxes) kept.
pub(super) struct FormData(pub(super) Vec<(String, String)>);

impl FormData {
    pub(super) fn parse(body: &Bytes) -> FormData {
        FormData(form_urlencoded::parse(body).into_owned().collect())
    }
    pub(super) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
    pub(super) fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_string()).filter(|v| !v.is_empty())
    }
}

/// Everything a page handler needs about the request.
pub(super) struct Visit {
    pub(super) app: App,
    pub(super) lang: Lang,
    pub(super) visitor: session::Visitor,
}

impl Visit {
    pub(super) fn caller(&self) -> Option<&Caller> {
        self.visitor.caller.as_ref()
    }

    pub(super) fn organisation(&self) -> Option<&str> {
        self.caller()
            .and_then(|c| c.principal.organisation_id.as_deref())
    }

    pub(super) fn csrf_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
            escape(&self.visitor.csrf)
        )
    }

    pub(super) fn form(&self, action: &str, id: &str, inner: &str, submit: &str) -> String {
        post_form(&self.visitor.csrf, action, id, inner, submit)
    }

    pub(super) fn respond(&self, title: &str, path: &str, q: &PageQuery, body: &str) -> Response {
        let mut flash = String::new();
        if let Some(n) = &q.notice {
            flash.push_str(&format!(
                "<p class=\"notice\" id=\"notice\">{}</p>",
                escape(n)
            ));
        }
        if let Some(e) = &q.error {
            flash.push_str(&format!(
                "<p class=\"error\" id=\"error\">{}</p>",
                escape(e)
            ));
        }
        let nav = match self.caller() {
            None => format!(
                "<p class=\"account\"><a href=\"/app/signin\">{}</a> · <a href=\"/app/signup\">{}</a></p>",
                l(self.lang, "サインイン", "Sign in"),
                l(self.lang, "新規登録", "Sign up")
            ),
            Some(_) => format!(
                "<nav class=\"sub\"><a href=\"/app\">{}</a><a href=\"/app/members\">{}</a><a href=\"/app/partners\">{}</a>\
                 <a href=\"/app/groups\">{}</a><a href=\"/app/messages\">{}</a><a href=\"/app/orders\">{}</a><a href=\"/app/edi\">EDI</a><a href=\"/app/rounds\">{}</a><a href=\"/app/apps\">{}</a></nav>{}",
                l(self.lang, "ダッシュボード", "Dashboard"),
                l(self.lang, "メンバー", "Members"),
                l(self.lang, "取引先", "Partners"),
                l(self.lang, "グループ", "Groups"),
                l(self.lang, "メッセージ", "Messages"),
                l(self.lang, "受発注", "Orders"),
                l(self.lang, "共同発注", "Joint ordering"),
                l(self.lang, "アプリ", "Apps"),
                self.form(
                    "/app/signout",
                    "signout",
                    "",
                    l(self.lang, "サインアウト", "Sign out")
                )
            ),
        };
        let html = layout(
            self.lang,
            title,
            &address(path, q),
            &format!("{nav}{flash}{body}"),
        );
        let mut response = super::page(self.lang, q.lang.is_some(), StatusCode::OK, html);
        for c in &self.visitor.cookies {
            response.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        response
    }
}

/// A form that posts `inner` to `action` with the visitor's CSRF token
/// (`csrf`) and one submit button.
pub(super) fn post_form(csrf: &str, action: &str, id: &str, inner: &str, submit: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\" id=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{inner}<button type=\"submit\">{}</button></form>",
        escape(action),
        escape(id),
        escape(csrf),
        escape(submit)
    )
}

/// A 303 to `to`, carrying cookies.
pub(super) fn redirect(to: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

pub(super) fn with(path: &str, key: &str, message: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={}", enc(message))
}

fn unavailable(lang: Lang) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p>",
        l(lang, "ご利用いただけません", "Not available"),
        l(
            lang,
            "このプロセスでは連携基盤が動いていません。",
            "The collaboration layer does not run in this process."
        )
    );
    super::page(
        lang,
        false,
        StatusCode::SERVICE_UNAVAILABLE,
        layout(lang, "503", "/app", &body),
    )
}

pub(super) async fn visit(
    ui: &Ui,
    headers: &HeaderMap,
    client: &ClientAddr,
    q: &PageQuery,
) -> Result<Visit, Response> {
    let lang = Lang::pick(q.lang.as_deref(), headers);
    let Some(app) = ui.app.clone() else {
        return Err(unavailable(lang));
    };
    let ttl = app.auth_settings().refresh_token_ttl_secs;
    let visitor = session::visitor(&app, headers, client, ttl).await;
    Ok(Visit { app, lang, visitor })
}

/// The sign-in page, coming back after it to the page at `here` as it was
/// asked for (a filtered list stays filtered).
fn signin_then(here: &str, q: &PageQuery) -> String {
    format!("/app/signin?next={}", enc(&address(here, q)))
}

/// A page that needs a signed-in caller acting in an organisation.
pub(super) async fn member_visit(
    ui: &Ui,
    headers: &HeaderMap,
    client: &ClientAddr,
    q: &PageQuery,
    here: &str,
) -> Result<(Visit, Caller, String), Response> {
    let v = visit(ui, headers, client, q).await?;
    let Some(caller) = v.caller().cloned() else {
        return Err(redirect(&signin_then(here, q), v.visitor.cookies));
    };
    let Some(org) = v.organisation().map(str::to_string) else {
        return Err(redirect("/app", v.visitor.cookies));
    };
    Ok((v, caller, org))
}

/// A form post: checks CSRF and sign-in; returns the visit and the form.
pub(super) async fn posted(
    ui: &Ui,
    headers: &HeaderMap,
    client: &ClientAddr,
    body: &Bytes,
) -> Result<(Visit, FormData), Response> {
    let v = visit(ui, headers, client, &PageQuery::default()).await?;
    let form = FormData::parse(body);
    if !session::csrf_ok(headers, form.get("csrf")) {
        return Err(redirect(
            &with(
                "/app",
                "error",
                l(
                    v.lang,
                    "フォームの有効期限が切れました。もう一度お試しください。",
                    "The form expired; please try again.",
                ),
            ),
            v.visitor.cookies,
        ));
    }
    Ok((v, form))
}

/// A form post by a signed-in caller acting in an organisation.
pub(super) async fn posted_member(
    ui: &Ui,
    headers: &HeaderMap,
    client: &ClientAddr,
    body: &Bytes,
) -> Result<(Visit, FormData, Caller, String), Response> {
    let (v, f) = posted(ui, headers, client, body).await?;
    match (v.caller().cloned(), v.organisation().map(str::to_string)) {
        (Some(caller), Some(org)) => Ok((v, f, caller, org)),
        _ => Err(redirect("/app", v.visitor.cookies)),
    }
}

/// The pages of a service other than collab: collab's session, and the
/// service's use cases when it runs in this process.
#[derive(Clone)]
pub(super) struct ServicePages<S> {
    pub(super) ui: Ui,
    pub(super) service: Option<S>,
    /// Where its pages start.
    pub(super) home: &'static str,
    /// Its name in Japanese and English, for the page that says it is missing.
    pub(super) name: (&'static str, &'static str),
}

impl<S: Clone> ServicePages<S> {
    /// The 503 page: the service does not run in this process.
    pub(super) fn unavailable(&self, v: &Visit, q: &PageQuery) -> Response {
        let why = match v.lang {
            Lang::Ja => format!("このプロセスでは{}サービスが動いていません。", self.name.0),
            Lang::En => format!("The {} service does not run in this process.", self.name.1),
        };
        let body = format!(
            "<h1>{}</h1><p>{}</p>",
            l(v.lang, "ご利用いただけません", "Not available"),
            escape(&why)
        );
        let mut r = v.respond("503", self.home, q, &body);
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r
    }

    /// A page for a signed-in member with the service at hand; or the
    /// answer that stands instead (sign in first, 503).
    pub(super) async fn page(
        &self,
        headers: &HeaderMap,
        client: &ClientAddr,
        q: &PageQuery,
        here: &str,
    ) -> Result<(Visit, Caller, String, S), Response> {
        let (v, caller, org) = member_visit(&self.ui, headers, client, q, here).await?;
        match self.service.clone() {
            Some(service) => Ok((v, caller, org, service)),
            None => Err(self.unavailable(&v, q)),
        }
    }

    /// A form posted by a signed-in member, with the service at hand.
    pub(super) async fn posted(
        &self,
        headers: &HeaderMap,
        client: &ClientAddr,
        body: &Bytes,
    ) -> Result<(Visit, FormData, Caller, String, S), Response> {
        let (v, f, caller, org) = posted_member(&self.ui, headers, client, body).await?;
        match self.service.clone() {
            Some(service) => Ok((v, f, caller, org, service)),
            None => Err(self.unavailable(&v, &PageQuery::default())),
        }
    }
}

fn message(e: AppError) -> String {
    renkei_kernel::ApiError::from(e).message
}

/// Redirects back with the outcome of a use case.
fn outcome<T>(v: Visit, result: Result<T, AppError>, back: &str, done: &str) -> Response {
    match result {
        Ok(_) => redirect(&with(back, "notice", done), v.visitor.cookies),
        Err(e) => redirect(&with(back, "error", &message(e)), v.visitor.cookies),
    }
}

fn safe_next(next: &str) -> &str {
    if next.starts_with("/app") && !next.starts_with("//") {
        next
    } else {
        "/app"
    }
}

pub(super) fn input(name: &str, label: &str, kind: &str, value: &str) -> String {
    format!(
        "<label>{}<input type=\"{kind}\" name=\"{name}\" id=\"{name}\" value=\"{}\"></label>",
        escape(label),
        escape(value)
    )
}

pub(super) fn select(name: &str, label: &str, options: &[(&str, String)]) -> String {
    let opts: String = options
        .iter()
        .map(|(v, text)| format!("<option value=\"{v}\">{}</option>", escape(text)))
        .collect();
    format!(
        "<label>{}<select name=\"{name}\" id=\"{name}\">{opts}</select></label>",
        escape(label)
    )
}

async fn signup_form(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let v = match visit(&ui, &headers, &client, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let lang = v.lang;
    let next = q.next.clone().unwrap_or_default();
    let inner = format!(
        "{}{}{}<input type=\"hidden\" name=\"next\" value=\"{}\"><p class=\"hint\">{}</p>",
        input("email", l(lang, "メールアドレス", "Email"), "email", ""),
        input("display_name", l(lang, "お名前", "Your name"), "text", ""),
        input(
            "password",
            l(lang, "パスワード", "Password"),
            "password",
            ""
        ),
        escape(&next),
        l(
            lang,
            "10文字以上、5種類以上の文字を使ってください。",
            "At least 10 characters, 5 of them different."
        )
    );
    let body = format!(
        "<h1>{}</h1>{}",
        l(lang, "新規登録", "Sign up"),
        v.form(
            "/app/signup",
            "signup-form",
            &inner,
            l(lang, "登録する", "Sign up")
        )
    );
    v.respond(l(lang, "新規登録", "Sign up"), "/app/signup", &q, &body)
}

async fn signup(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f) = match posted(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let next = safe_next(f.get("next")).to_string();
    let back = format!("/app/signup?next={}", enc(&next));
    let input = match SignUp::parse(f.get("email"), f.get("password"), f.get("display_name")) {
        Ok(i) => i,
        Err(e) => return redirect(&with(&back, "error", &message(e)), v.visitor.cookies),
    };
    let email = input.email.as_str().to_string();
    let password = input.password.clone();
    if let Err(e) = v.app.sign_up(input, &client.0).await {
        return redirect(&with(&back, "error", &message(e)), v.visitor.cookies);
    }
    match v.app.sign_in(&email, &password, None, &client.0).await {
        Ok(pair) => {
            let mut cookies = v.visitor.cookies;
            cookies.extend(session::store(
                &pair,
                v.app.auth_settings().refresh_token_ttl_secs,
            ));
            redirect(&next, cookies)
        }
        Err(e) => redirect(
            &with("/app/signin", "error", &message(e)),
            v.visitor.cookies,
        ),
    }
}

async fn signin_form(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let v = match visit(&ui, &headers, &client, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let lang = v.lang;
    let next = q.next.clone().unwrap_or_default();
    let inner = format!(
        "{}{}<input type=\"hidden\" name=\"next\" value=\"{}\">",
        input("email", l(lang, "メールアドレス", "Email"), "email", ""),
        input(
            "password",
            l(lang, "パスワード", "Password"),
            "password",
            ""
        ),
        escape(&next)
    );
    let body = format!(
        "<h1>{}</h1>{}<p><a href=\"/app/signup?next={}\">{}</a></p>",
        l(lang, "サインイン", "Sign in"),
        v.form(
            "/app/signin",
            "signin-form",
            &inner,
            l(lang, "サインイン", "Sign in")
        ),
        enc(&next),
        l(
            lang,
            "アカウントをお持ちでない方",
            "No account yet? Sign up"
        )
    );
    v.respond(l(lang, "サインイン", "Sign in"), "/app/signin", &q, &body)
}

async fn signin(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f) = match posted(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let next = safe_next(f.get("next")).to_string();
    match v
        .app
        .sign_in(f.get("email"), f.get("password"), None, &client.0)
        .await
    {
        Ok(pair) => {
            let mut cookies = v.visitor.cookies;
            cookies.extend(session::store(
                &pair,
                v.app.auth_settings().refresh_token_ttl_secs,
            ));
            redirect(&next, cookies)
        }
        Err(e) => redirect(
            &with(
                &format!("/app/signin?next={}", enc(&next)),
                "error",
                &message(e),
            ),
            v.visitor.cookies,
        ),
    }
}

async fn signout(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, _) = match posted(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(rt) = session::cookie(&headers, session::REFRESH)
        && let Err(e) = v.app.sign_out(rt, &client.0).await
    {
        tracing::warn!(error = %e, "sign-out");
    }
    let mut cookies = v.visitor.cookies;
    cookies.extend(session::forget());
    redirect("/app/signin", cookies)
}

/// Exchanges the refresh cookie for tokens acting in `organisation_id`.
async fn act_in(
    v: Visit,
    headers: &HeaderMap,
    client: &ClientAddr,
    organisation_id: &str,
    to: &str,
) -> Response {
    let Some(rt) = session::cookie(headers, session::REFRESH) else {
        return redirect("/app/signin", v.visitor.cookies);
    };
    match v.app.refresh(rt, Some(organisation_id), &client.0).await {
        Ok(pair) => {
            let mut cookies = v.visitor.cookies;
            cookies.extend(session::store(
                &pair,
                v.app.auth_settings().refresh_token_ttl_secs,
            ));
            redirect(to, cookies)
        }
        Err(e) => redirect(&with("/app", "error", &message(e)), v.visitor.cookies),
    }
}

async fn switch(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f) = match posted(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let org = f.get("organisation_id").to_string();
    act_in(v, &headers, &client, &org, "/app").await
}

async fn dashboard(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let v = match visit(&ui, &headers, &client, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let lang = v.lang;
    let Some(caller) = v.caller().cloned() else {
        return redirect("/app/signin?next=%2Fapp", v.visitor.cookies);
    };
    let me = match v.app.me(&caller).await {
        Ok(me) => me,
        Err(_) => {
            let mut cookies = v.visitor.cookies;
            cookies.extend(session::forget());
            return redirect("/app/signin", cookies);
        }
    };
    let mut body = format!(
        "<h1>{}</h1><p id=\"signed-in-as\">{} ({})</p>",
        l(lang, "ダッシュボード", "Dashboard"),
        escape(&me.user.display_name),
        escape(&me.user.email)
    );
    if let Some(org) = &me.current_organisation_id {
        let current = me.memberships.iter().find(|m| &m.organisation_id == org);
        if let Some(m) = current {
            body.push_str(&format!(
                "<h2 id=\"current-organisation\">{}</h2><p>{}: <span id=\"current-role\">{}</span></p>",
                escape(&m.legal_name),
                l(lang, "あなたの役割", "Your role"),
                m.role.as_str()
            ));
        }
        if let Ok(n) = v.app.notifications(&caller, org).await {
            body.push_str(&format!(
                "<ul class=\"counts\"><li>{} <strong id=\"unread-messages\">{}</strong></li><li>{} <strong id=\"proposals-waiting\">{}</strong></li></ul>",
                l(lang, "未読メッセージ", "Unread messages"),
                n.unread_messages,
                l(lang, "回答待ちの取引提案", "Partnership proposals waiting"),
                n.proposals_waiting
            ));
        }
    }
    if me.memberships.len() > 1
        || me.current_organisation_id.is_none() && !me.memberships.is_empty()
    {
        body.push_str(&format!(
            "<h2>{}</h2><ul>",
            l(lang, "所属組織", "Your organisations")
        ));
        for m in &me.memberships {
            body.push_str(&format!(
                "<li>{} ({}) {}</li>",
                escape(&m.legal_name),
                m.role.as_str(),
                v.form(
                    "/app/switch",
                    &format!("switch-{}", m.organisation_id),
                    &format!(
                        "<input type=\"hidden\" name=\"organisation_id\" value=\"{}\">",
                        escape(&m.organisation_id)
                    ),
                    l(lang, "切り替える", "Switch")
                )
            ));
        }
        body.push_str("</ul>");
    }
    let kinds: Vec<(&str, String)> = OrganisationKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str(),
                super::t(lang, &format!("kind.{}", k.as_str())).to_string(),
            )
        })
        .collect();
    let inner = format!(
        "{}{}{}",
        input("legal_name", l(lang, "正式名称", "Legal name"), "text", ""),
        select("kind", l(lang, "種別", "Kind"), &kinds),
        input(
            "prefecture_code",
            l(lang, "都道府県コード（01〜47）", "Prefecture code (01–47)"),
            "text",
            "13"
        ),
    );
    body.push_str(&format!(
        "<h2>{}</h2>{}",
        l(lang, "組織を登録する", "Register an organisation"),
        v.form(
            "/app/organisations",
            "organisation-form",
            &inner,
            l(lang, "登録する", "Register")
        )
    ));
    v.respond(l(lang, "ダッシュボード", "Dashboard"), "/app", &q, &body)
}

async fn organisation_create(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f) = match posted(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(caller) = v.caller().cloned() else {
        return redirect("/app/signin", v.visitor.cookies);
    };
    let input = match NewOrganisation::parse(
        f.get("legal_name"),
        f.get("kind"),
        f.get("prefecture_code"),
        &ProfileDraft::default(),
    ) {
        Ok(i) => i,
        Err(e) => {
            return redirect(
                &with("/app", "error", &message(e.into())),
                v.visitor.cookies,
            );
        }
    };
    let fingerprint = renkei_kernel::idempotency::fingerprint(&[body.as_ref()]);
    match v
        .app
        .organisation_register(&caller, input, &fingerprint, None)
        .await
    {
        Ok((o, _)) => {
            let done = with(
                "/app",
                "notice",
                l(v.lang, "組織を登録しました。", "Organisation registered."),
            );
            act_in(v, &headers, &client, &o.organisation_id, &done).await
        }
        Err(e) => redirect(&with("/app", "error", &message(e)), v.visitor.cookies),
    }
}

async fn members(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let (v, caller, org) = match member_visit(&ui, &headers, &client, &q, "/app/members").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let list = match v.app.member_list(&caller, &org).await {
        Ok(list) => list,
        Err(e) => return redirect(&with("/app", "error", &message(e)), v.visitor.cookies),
    };
    let mut body = format!(
        "<h1>{}</h1><table id=\"members\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "メンバー", "Members"),
        l(lang, "お名前", "Name"),
        l(lang, "メールアドレス", "Email"),
        l(lang, "役割", "Role")
    );
    for m in &list {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&m.display_name),
            escape(&m.email),
            m.role.as_str()
        ));
    }
    body.push_str("</tbody></table>");
    if let Some(link) = &q.link {
        body.push_str(&format!(
            "<p>{}</p><p><code id=\"invitation-link\">{}</code></p>",
            l(
                lang,
                "招待リンクをお相手に送ってください（一度だけ表示されます）：",
                "Send this invitation link to them (shown only once):"
            ),
            escape(link)
        ));
    }
    let roles: Vec<(&str, String)> = [Role::Member, Role::Viewer, Role::Admin, Role::Owner]
        .iter()
        .map(|r| (r.as_str(), r.as_str().to_string()))
        .collect();
    let inner = format!(
        "{}{}",
        input(
            "email",
            l(lang, "招待するメールアドレス", "Email to invite"),
            "email",
            ""
        ),
        select("role", l(lang, "役割", "Role"), &roles)
    );
    body.push_str(&format!(
        "<h2>{}</h2>{}",
        l(lang, "同僚を招待する", "Invite a colleague"),
        v.form(
            "/app/invitations",
            "invite-form",
            &inner,
            l(lang, "招待する", "Invite")
        )
    ));
    v.respond(l(lang, "メンバー", "Members"), "/app/members", &q, &body)
}

async fn invite(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let parsed = Email::parse("email", f.get("email")).map_err(AppError::from);
    let role = Role::parse(f.get("role")).unwrap_or(Role::Member);
    let result = match parsed {
        Ok(email) => {
            v.app
                .invitation_create(&caller, &org, Invite { email, role })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(invited) => {
            let base = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| format!("http://{h}"))
                .unwrap_or_default();
            let link = format!(
                "{base}/app/invitations/accept?token={}",
                enc(&invited.token)
            );
            redirect(
                &format!(
                    "/app/members?notice={}&link={}",
                    enc(l(v.lang, "招待を作成しました。", "Invitation created.")),
                    enc(&link)
                ),
                v.visitor.cookies,
            )
        }
        Err(e) => redirect(
            &with("/app/members", "error", &message(e)),
            v.visitor.cookies,
        ),
    }
}

async fn accept_form(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let v = match visit(&ui, &headers, &client, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let lang = v.lang;
    let token = q.token.clone().unwrap_or_default();
    let here = format!("/app/invitations/accept?token={}", enc(&token));
    let body = if v.caller().is_none() {
        format!(
            "<h1>{}</h1><p>{}</p><p><a id=\"signup-to-accept\" href=\"/app/signup?next={n}\">{}</a> · <a href=\"/app/signin?next={n}\">{}</a></p>",
            l(lang, "招待", "Invitation"),
            l(
                lang,
                "招待を受けるには、招待されたメールアドレスで登録またはサインインしてください。",
                "To accept, sign up or sign in with the invited email address."
            ),
            l(lang, "新規登録して受ける", "Sign up to accept"),
            l(lang, "サインインして受ける", "Sign in to accept"),
            n = enc(&here)
        )
    } else {
        format!(
            "<h1>{}</h1>{}",
            l(lang, "招待", "Invitation"),
            v.form(
                "/app/invitations/accept",
                "accept-form",
                &format!(
                    "<input type=\"hidden\" name=\"token\" value=\"{}\">",
                    escape(&token)
                ),
                l(lang, "招待を受ける", "Accept the invitation")
            )
        )
    };
    v.respond(
        l(lang, "招待", "Invitation"),
        "/app/invitations/accept",
        &q,
        &body,
    )
}

async fn accept(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f) = match posted(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(caller) = v.caller().cloned() else {
        return redirect("/app/signin", v.visitor.cookies);
    };
    match v.app.invitation_accept(&caller, f.get("token")).await {
        Ok((org, _)) => {
            let done = with(
                "/app",
                "notice",
                l(v.lang, "メンバーになりました。", "You are now a member."),
            );
            act_in(v, &headers, &client, &org, &done).await
        }
        Err(e) => redirect(&with("/app", "error", &message(e)), v.visitor.cookies),
    }
}

pub(super) async fn names(v: &Visit, caller: &Caller, ids: Vec<String>) -> HashMap<String, String> {
    v.app
        .organisation_names(caller, &ids)
        .await
        .unwrap_or_default()
}

fn status_text(lang: Lang, s: PartnershipStatus) -> &'static str {
    match s {
        PartnershipStatus::Proposed => l(lang, "提案中", "proposed"),
        PartnershipStatus::Active => l(lang, "取引中", "active"),
        PartnershipStatus::Declined => l(lang, "辞退", "declined"),
        PartnershipStatus::Withdrawn => l(lang, "取り下げ", "withdrawn"),
        PartnershipStatus::Ended => l(lang, "終了", "ended"),
    }
}

async fn partners(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let (v, caller, org) = match member_visit(&ui, &headers, &client, &q, "/app/partners").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let list = v
        .app
        .partnership_list(&caller, &org)
        .await
        .unwrap_or_default();
    let others: Vec<String> = list.iter().map(|p| p.other(&org).to_string()).collect();
    let named = names(&v, &caller, others).await;
    let mut body = format!(
        "<h1>{}</h1><table id=\"partnerships\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        l(lang, "取引先", "Partners"),
        l(lang, "相手", "With"),
        l(lang, "種類", "Kind"),
        l(lang, "状態", "Status")
    );
    for p in &list {
        let other = p.other(&org);
        let mut actions = String::new();
        let act = |action: &str, label: &str| {
            v.form(
                &format!("/app/partnerships/{}/{action}", p.partnership_id),
                &format!("{action}-{}", p.partnership_id),
                "",
                label,
            )
        };
        if p.status == PartnershipStatus::Proposed && p.counterparty_id == org {
            actions.push_str(&act("accept", l(lang, "承認", "Accept")));
            actions.push_str(&act("decline", l(lang, "辞退", "Decline")));
        }
        if p.status.is_open()
            && !(p.status == PartnershipStatus::Proposed && p.counterparty_id == org)
        {
            actions.push_str(&act("end", l(lang, "終了", "End")));
        }
        body.push_str(&format!(
            "<tr data-partner=\"{}\"><td>{}</td><td>{}</td><td class=\"status\">{}</td><td>{actions}</td></tr>",
            escape(other),
            escape(named.get(other).map_or(other, String::as_str)),
            match p.kind {
                PartnershipKind::BuyerSupplier => l(lang, "売買", "buyer–supplier"),
                PartnershipKind::Partner => l(lang, "協力", "partner"),
            },
            status_text(lang, p.status)
        ));
    }
    body.push_str("</tbody></table>");
    let query = q.q.clone().unwrap_or_default();
    body.push_str(&format!(
        "<h2>{}</h2><form method=\"get\" action=\"/app/partners\" id=\"directory-search\">{}<button type=\"submit\">{}</button></form>",
        l(lang, "組織を探す", "Find organisations"),
        input("q", l(lang, "名称", "Name"), "search", &query),
        l(lang, "検索", "Search")
    ));
    if !query.is_empty() {
        let found = v
            .app
            .directory(&caller, &query, None, None)
            .await
            .unwrap_or_default();
        body.push_str("<ul id=\"directory\">");
        for d in found.iter().filter(|d| d.organisation_id != org) {
            let inner = format!(
                "<input type=\"hidden\" name=\"counterparty_id\" value=\"{}\">{}{}",
                escape(&d.organisation_id),
                select(
                    "kind",
                    l(lang, "種類", "Kind"),
                    &[
                        (
                            "buyer_supplier",
                            l(lang, "売買", "buyer–supplier").to_string()
                        ),
                        ("partner", l(lang, "協力", "partner").to_string())
                    ]
                ),
                select(
                    "my_side",
                    l(lang, "こちらの立場", "Your side"),
                    &[
                        ("buyer", l(lang, "買い手", "buyer").to_string()),
                        ("supplier", l(lang, "売り手", "supplier").to_string())
                    ]
                )
            );
            body.push_str(&format!(
                "<li>{} ({}) {}</li>",
                escape(&d.legal_name),
                escape(&d.prefecture_code),
                v.form(
                    "/app/partnerships",
                    &format!("propose-{}", d.organisation_id),
                    &inner,
                    l(lang, "取引を提案する", "Propose a partnership")
                )
            ));
        }
        body.push_str("</ul>");
    }
    v.respond(l(lang, "取引先", "Partners"), "/app/partners", &q, &body)
}

async fn propose(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let kind = if f.get("kind") == "partner" {
        PartnershipKind::Partner
    } else {
        PartnershipKind::BuyerSupplier
    };
    let proposal = Proposal {
        counterparty_id: f.get("counterparty_id").to_string(),
        kind,
        proposer_buys: f.get("my_side") != "supplier",
        note: None,
    };
    let result = v.app.partnership_propose(&caller, &org, proposal).await;
    let done = l(v.lang, "取引を提案しました。", "Partnership proposed.");
    outcome(v, result, "/app/partners", done)
}

async fn partnership_act(
    State(ui): State<Ui>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, _, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let action = match action.as_str() {
        "accept" => PartnershipAction::Accept,
        "decline" => PartnershipAction::Decline,
        _ => PartnershipAction::End,
    };
    let result = v.app.partnership_act(&caller, &org, &id, action).await;
    let done = l(v.lang, "取引先を更新しました。", "Partnership updated.");
    outcome(v, result, "/app/partners", done)
}

pub(super) async fn active_partners(
    v: &Visit,
    caller: &Caller,
    org: &str,
) -> Vec<(String, String)> {
    let list = v
        .app
        .partnership_list(caller, org)
        .await
        .unwrap_or_default();
    let ids: Vec<String> = list
        .iter()
        .filter(|p| p.status == PartnershipStatus::Active)
        .map(|p| p.other(org).to_string())
        .collect();
    let named = names(v, caller, ids.clone()).await;
    let mut out: Vec<(String, String)> = ids
        .into_iter()
        .map(|id| {
            let name = named.get(&id).cloned().unwrap_or_else(|| id.clone());
            (id, name)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn checkboxes(name: &str, items: &[(String, String)]) -> String {
    items
        .iter()
        .map(|(id, label)| {
            format!(
                "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\" value=\"{}\" id=\"{name}-{}\">{}</label>",
                escape(id),
                escape(id),
                escape(label)
            )
        })
        .collect()
}

async fn groups(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let (v, caller, org) = match member_visit(&ui, &headers, &client, &q, "/app/groups").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let list = v.app.group_list(&caller, &org).await.unwrap_or_default();
    let all_members: Vec<String> = list.iter().flat_map(|g| g.members.clone()).collect();
    let named = names(&v, &caller, all_members).await;
    let mut body = format!(
        "<h1>{}</h1><ul id=\"groups\">",
        l(lang, "連携グループ", "Collaboration groups")
    );
    for g in &list {
        let members: Vec<String> = g
            .members
            .iter()
            .map(|m| escape(named.get(m).map_or(m.as_str(), String::as_str)))
            .collect();
        body.push_str(&format!(
            "<li><strong>{}</strong> (v{}) — {}</li>",
            escape(&g.name),
            g.version,
            members.join("、")
        ));
    }
    body.push_str("</ul>");
    let partners = active_partners(&v, &caller, &org).await;
    let kinds = [
        (
            "purchasing_group",
            l(lang, "共同購入グループ", "Purchasing group").to_string(),
        ),
        (
            "manufacturing_network",
            l(lang, "製造ネットワーク", "Manufacturing network").to_string(),
        ),
        ("region", l(lang, "地域", "Region").to_string()),
    ];
    let inner = format!(
        "{}{}<fieldset><legend>{}</legend>{}</fieldset>",
        input("name", l(lang, "グループ名", "Group name"), "text", ""),
        select("kind", l(lang, "種類", "Kind"), &kinds),
        l(
            lang,
            "メンバー（取引先から）",
            "Members (from your partners)"
        ),
        checkboxes("members", &partners)
    );
    body.push_str(&format!(
        "<h2>{}</h2>{}",
        l(lang, "グループを作る", "Form a group"),
        v.form(
            "/app/groups",
            "group-form",
            &inner,
            l(lang, "作成する", "Create")
        )
    ));
    v.respond(l(lang, "連携グループ", "Groups"), "/app/groups", &q, &body)
}

async fn group_create(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let kind = match f.get("kind") {
        "manufacturing_network" => GroupKind::ManufacturingNetwork,
        "region" => GroupKind::Region,
        _ => GroupKind::PurchasingGroup,
    };
    let name = f.get("name").trim().to_string();
    let result = if name.is_empty() {
        Err(AppError::Invalid(renkei_collab::domain::Invalid {
            field: "name".into(),
            reason: l(
                v.lang,
                "グループ名を入れてください",
                "give the group a name",
            )
            .into(),
        }))
    } else {
        v.app
            .group_create(
                &caller,
                &org,
                NewGroup {
                    name,
                    kind,
                    description: None,
                    members: f.all("members"),
                },
            )
            .await
    };
    let done = l(v.lang, "グループを作成しました。", "Group formed.");
    outcome(v, result, "/app/groups", done)
}

async fn threads(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let (v, caller, org) = match member_visit(&ui, &headers, &client, &q, "/app/messages").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let list = v
        .app
        .thread_list(&caller, &org, None)
        .await
        .unwrap_or_default();
    let mut body = format!(
        "<h1>{}</h1><ul id=\"threads\">",
        l(lang, "メッセージ", "Messages")
    );
    for t in &list {
        let unread = t.last_seq - t.last_read_seq;
        body.push_str(&format!(
            "<li><a href=\"/app/messages/{}\">{}</a>{}</li>",
            escape(&t.thread_id),
            escape(&t.subject),
            if unread > 0 {
                format!(" <span class=\"badge unread\">{unread}</span>")
            } else {
                String::new()
            }
        ));
    }
    body.push_str("</ul>");
    let partners = active_partners(&v, &caller, &org).await;
    let inner = format!(
        "<fieldset><legend>{}</legend>{}</fieldset>{}{}<label>{}<textarea name=\"body\" id=\"body\"></textarea></label>",
        l(lang, "宛先", "To"),
        checkboxes("participants", &partners),
        input("subject", l(lang, "件名", "Subject"), "text", ""),
        input(
            "document_urn",
            l(
                lang,
                "関連する文書（任意、URN）",
                "About a document (optional URN)"
            ),
            "text",
            ""
        ),
        l(lang, "本文", "Message")
    );
    body.push_str(&format!(
        "<h2>{}</h2>{}",
        l(lang, "新しいメッセージ", "New message"),
        v.form(
            "/app/messages",
            "thread-form",
            &inner,
            l(lang, "送信", "Send")
        )
    ));
    v.respond(
        l(lang, "メッセージ", "Messages"),
        "/app/messages",
        &q,
        &body,
    )
}

async fn thread_create(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let urn = match f
        .opt("document_urn")
        .map(|u| DocumentUrn::parse("document_urn", &u))
        .transpose()
    {
        Ok(u) => u,
        Err(e) => {
            return redirect(
                &with("/app/messages", "error", &message(e.into())),
                v.visitor.cookies,
            );
        }
    };
    let input = NewThread {
        subject: f.get("subject").to_string(),
        participants: f.all("participants"),
        document_urn: urn,
        body: f.get("body").to_string(),
    };
    match v.app.thread_start(&caller, &org, input).await {
        Ok((t, _)) => redirect(
            &with(
                &format!("/app/messages/{}", t.thread_id),
                "notice",
                l(v.lang, "送信しました。", "Sent."),
            ),
            v.visitor.cookies,
        ),
        Err(e) => redirect(
            &with("/app/messages", "error", &message(e)),
            v.visitor.cookies,
        ),
    }
}

async fn thread(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let here = format!("/app/messages/{id}");
    let (v, caller, org) = match member_visit(&ui, &headers, &client, &q, &here).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let (t, messages) = match v.app.thread_view(&caller, &org, &id).await {
        Ok(x) => x,
        Err(e) => {
            return redirect(
                &with("/app/messages", "error", &message(e)),
                v.visitor.cookies,
            );
        }
    };
    if let Err(e) = v.app.thread_read(&caller, &org, &id, None).await {
        tracing::warn!(error = %e, "marking a thread read");
    }
    let named = names(&v, &caller, t.participants.clone()).await;
    let mut body = format!("<h1 id=\"thread-subject\">{}</h1>", escape(&t.subject));
    if let Some(urn) = &t.document_urn {
        body.push_str(&format!(
            "<p class=\"urn\"><code>{}</code></p>",
            escape(urn)
        ));
    }
    body.push_str("<ol id=\"messages\">");
    for m in &messages {
        body.push_str(&format!(
            "<li><span class=\"who\">{}</span><p>{}</p></li>",
            escape(
                named
                    .get(&m.author_org_id)
                    .map_or(m.author_org_id.as_str(), String::as_str)
            ),
            escape(&m.body)
        ));
    }
    body.push_str("</ol>");
    let inner = format!(
        "<label>{}<textarea name=\"body\" id=\"body\"></textarea></label>",
        l(lang, "返信", "Reply")
    );
    body.push_str(&v.form(&here, "reply-form", &inner, l(lang, "送信", "Send")));
    v.respond(&t.subject, &here, &q, &body)
}

async fn reply(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = v.app.message_post(&caller, &org, &id, f.get("body")).await;
    let done = l(v.lang, "送信しました。", "Sent.");
    outcome(v, result, &format!("/app/messages/{id}"), done)
}

fn scope_name(lang: Lang, s: AppScope) -> &'static str {
    match s {
        AppScope::OrganisationRead => l(lang, "組織情報の参照", "read the organisation profile"),
        AppScope::PartnersRead => l(lang, "取引先の参照", "read partnerships"),
        AppScope::MessagesRead => l(lang, "メッセージの参照", "read messages"),
        AppScope::MessagesWrite => l(lang, "メッセージの送信", "send messages"),
        AppScope::OrdersRead => l(lang, "受発注の参照", "read orders"),
        AppScope::OrdersWrite => l(lang, "受発注の操作", "send and answer orders"),
    }
}

async fn apps(
    State(ui): State<Ui>,
    q: PageQuery,
    headers: HeaderMap,
    client: ClientAddr,
) -> Response {
    let (v, caller, org) = match member_visit(&ui, &headers, &client, &q, "/app/apps").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let installed = v
        .app
        .installation_list(&caller, &org)
        .await
        .unwrap_or_default();
    let catalogue = v.app.app_catalogue(&caller).await.unwrap_or_default();
    let name_of = |app_id: &str| {
        catalogue
            .iter()
            .find(|a| a.app_id == app_id)
            .map_or(app_id.to_string(), |a| a.name.clone())
    };
    let mut body = format!(
        "<h1>{}</h1><h2>{}</h2><ul id=\"installed\">",
        l(lang, "アプリ", "Apps"),
        l(lang, "導入済み", "Installed")
    );
    for i in installed.iter().filter(|i| i.uninstalled_at_ms.is_none()) {
        let scopes: Vec<&str> = i.scopes.iter().map(|s| scope_name(lang, *s)).collect();
        body.push_str(&format!(
            "<li>{} — {} {}</li>",
            escape(&name_of(&i.app_id)),
            escape(&scopes.join("、")),
            v.form(
                &format!("/app/installations/{}/remove", i.installation_id),
                &format!("uninstall-{}", i.installation_id),
                "",
                l(lang, "削除", "Uninstall")
            )
        ));
    }
    body.push_str(&format!(
        "</ul><h2>{}</h2><ul id=\"catalogue\">",
        l(lang, "アプリ一覧", "Catalogue")
    ));
    for a in &catalogue {
        let boxes: Vec<(String, String)> = a
            .scopes
            .iter()
            .map(|s| (s.as_str().to_string(), scope_name(lang, *s).to_string()))
            .collect();
        let inner = format!(
            "<input type=\"hidden\" name=\"app_id\" value=\"{}\">{}",
            escape(&a.app_id),
            checkboxes("scopes", &boxes)
        );
        body.push_str(&format!(
            "<li><strong>{}</strong> {}{}</li>",
            escape(&a.name),
            escape(a.description.as_deref().unwrap_or("")),
            v.form(
                "/app/installations",
                &format!("install-{}", a.app_id),
                &inner,
                l(lang, "導入する", "Install")
            )
        ));
    }
    body.push_str("</ul>");
    let boxes: Vec<(String, String)> = [
        AppScope::OrganisationRead,
        AppScope::PartnersRead,
        AppScope::MessagesRead,
        AppScope::MessagesWrite,
        AppScope::OrdersRead,
        AppScope::OrdersWrite,
    ]
    .iter()
    .map(|s| (s.as_str().to_string(), scope_name(lang, *s).to_string()))
    .collect();
    let inner = format!(
        "{}{}{}<fieldset><legend>{}</legend>{}</fieldset>",
        input("name", l(lang, "アプリ名", "App name"), "text", ""),
        input("description", l(lang, "説明", "Description"), "text", ""),
        input(
            "webhook_url",
            l(lang, "Webhook URL（任意）", "Webhook URL (optional)"),
            "url",
            ""
        ),
        l(lang, "必要な権限", "Scopes it needs"),
        checkboxes("scopes", &boxes)
    );
    body.push_str(&format!(
        "<h2>{}</h2><p>{}</p>{}",
        l(
            lang,
            "アプリを登録する（ITベンダー）",
            "Register an app (IT vendors)"
        ),
        l(
            lang,
            "ITベンダーの組織だけが登録できます。",
            "Only IT vendor organisations can register apps."
        ),
        v.form(
            "/app/apps",
            "app-form",
            &inner,
            l(lang, "登録する", "Register")
        )
    ));
    v.respond(l(lang, "アプリ", "Apps"), "/app/apps", &q, &body)
}

fn scopes_of(f: &FormData) -> Result<Vec<AppScope>, AppError> {
    f.all("scopes")
        .iter()
        .map(|s| AppScope::parse("scopes", s).map_err(AppError::from))
        .collect()
}

async fn app_register(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = match scopes_of(&f) {
        Ok(scopes) => {
            v.app
                .app_register(
                    &caller,
                    &org,
                    NewApp {
                        name: f.get("name").to_string(),
                        description: f.opt("description"),
                        webhook_url: f.opt("webhook_url"),
                        scopes,
                        events: Vec::new(),
                    },
                )
                .await
        }
        Err(e) => Err(e),
    };
    let done = l(v.lang, "アプリを登録しました。", "App registered.");
    outcome(v, result, "/app/apps", done)
}

async fn install(
    State(ui): State<Ui>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = match scopes_of(&f) {
        Ok(scopes) => {
            v.app
                .installation_create(&caller, &org, f.get("app_id"), &scopes)
                .await
        }
        Err(e) => Err(e),
    };
    let done = l(v.lang, "アプリを導入しました。", "App installed.");
    outcome(v, result, "/app/apps", done)
}

async fn uninstall(
    State(ui): State<Ui>,
    Path(id): Path<String>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, _, caller, org) = match posted_member(&ui, &headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let result = v.app.installation_remove(&caller, &org, &id).await;
    let done = l(v.lang, "アプリを削除しました。", "App uninstalled.");
    outcome(v, result, "/app/apps", done)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn asked(uri: &str) -> PageQuery {
        let (mut parts, ()) = axum::http::Request::builder()
            .uri(uri)
            .body(())
            .expect("a request")
            .into_parts();
        PageQuery::from_request_parts(&mut parts, &())
            .await
            .expect("a page query")
    }

    #[tokio::test]
    async fn a_page_keeps_the_query_it_was_asked_with_for_its_language_switch() {
        let q = asked("/app/partners?q=%E5%B1%B1%E7%94%B0&lang=en").await;
        assert_eq!(q.lang.as_deref(), Some("en"));
        assert_eq!(q.q.as_deref(), Some("山田"));
        assert_eq!(
            address("/app/partners", &q),
            "/app/partners?q=%E5%B1%B1%E7%94%B0&lang=en"
        );
        let plain = asked("/app/partners").await;
        assert_eq!(address("/app/partners", &plain), "/app/partners");
        // Signing in first comes back to the page as it was asked for.
        let filtered = asked("/app/orders?box=inbox&status=confirmed").await;
        assert_eq!(
            signin_then("/app/orders", &filtered),
            "/app/signin?next=%2Fapp%2Forders%3Fbox%3Dinbox%26status%3Dconfirmed"
        );
        assert_eq!(
            signin_then("/app/orders", &plain),
            "/app/signin?next=%2Fapp%2Forders"
        );
        assert_eq!(
            address("/app/orders/new", &PageQuery::default()),
            "/app/orders/new",
            "a page shown in answer to a form has no query to keep"
        );
    }
}
