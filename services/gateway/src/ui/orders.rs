//! The order pages of the web UI: the inbox and outbox with filters, a new
//! order, an order with its lines and history, the seller's line-by-line
//! response and despatch, the buyer's change, receipt and cancellation,
//! documents downloaded in any format, and the EDI page (the mailbox of
//! documents partners sent, collected as one file per partner; partner
//! profiles, file upload with its acknowledgement and errors per message,
//! stored interchanges, spreadsheet templates). Rendered on the server from
//! the orders service's use cases, signed in through collab's session.

use std::collections::HashMap;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Multipart, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use renkei_edi::{
    ChangeAction, ChangeLine, Date, Decimal, DespatchAdvice, DespatchLine, Document, DocumentKind,
    Format, Item, LineStatus, Order, OrderCancellation, OrderChange, OrderLine, OrderResponse,
    Party, Quantity, ReceiptAdvice, ReceiptLine, ResponseLine, sheet,
};
use renkei_kernel::auth::{Caller, ClientAddr};
use renkei_orders::{
    app::{App, AppError, IntakeReport, InterchangePart, OrderView, ProfileInput, Submission},
    db::OrderFilter,
    domain::{Channel, Line, LineState, OrderStatus, edi::ItemCode},
};
use serde::Deserialize;
use serde_json::Value;

use super::{
    Lang,
    collab::{
        FormData, PageQuery, ServicePages, Ui, Visit, active_partners, input, l, names, redirect,
        select, visit, with,
    },
    escape, session,
};
use crate::Mounted;

type Pages = ServicePages<App>;

/// The `/app/orders…` and `/app/edi…` routes.
pub fn router(mounted: Mounted) -> Router {
    let upload_limit = renkei_orders::app::MAX_FILE_BYTES + 64 * 1024;
    Router::new()
        .route("/app/orders", get(list).post(create))
        .route("/app/orders/new", get(new_order))
        .route("/app/orders/{id}", get(detail))
        .route("/app/orders/{id}/{action}", post(act))
        .route("/app/orders/{id}/documents/{version}/file", get(download))
        .route("/app/edi", get(edi_page))
        .route("/app/edi/profiles", post(profile_save))
        .route(
            "/app/edi/upload",
            post(upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/app/edi/interchanges/{id}/{part}", get(interchange_part))
        .route("/app/edi/mailbox/{partner}/collect", post(mailbox_collect))
        .with_state(Pages {
            ui: Ui {
                app: mounted.collab.clone(),
            },
            service: mounted.orders,
            home: "/app/orders",
            name: ("受発注", "orders"),
        })
}

/// The filters of the order list.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    r#box: Option<String>,
    status: Option<String>,
    number: Option<String>,
    format: Option<String>,
}

/// A use case's refusal as one line: the message, with the field or the
/// rule it is about.
pub(super) fn message(e: impl Into<renkei_kernel::ApiError>) -> String {
    let api: renkei_kernel::ApiError = e.into();
    match (&api.field, &api.rule) {
        (Some(field), _) if !field.is_empty() => format!("{field}: {}", api.message),
        (_, Some(rule)) => format!("{} ({rule})", api.message),
        _ => api.message,
    }
}

fn status_text(lang: Lang, s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::AwaitingResponse => l(lang, "回答待ち", "awaiting response"),
        OrderStatus::Confirmed => l(lang, "受注確定", "confirmed"),
        OrderStatus::Rejected => l(lang, "受注不可", "rejected"),
        OrderStatus::PartiallyDespatched => l(lang, "一部出荷", "partly despatched"),
        OrderStatus::Despatched => l(lang, "出荷済み", "despatched"),
        OrderStatus::Received => l(lang, "検収済み", "received"),
        OrderStatus::Cancelled => l(lang, "取消", "cancelled"),
    }
}

fn line_state_text(lang: Lang, s: LineState) -> &'static str {
    match s {
        LineState::AwaitingResponse => l(lang, "回答待ち", "awaiting response"),
        LineState::Accepted => l(lang, "承諾", "accepted"),
        LineState::Changed => l(lang, "変更して承諾", "accepted with changes"),
        LineState::Rejected => l(lang, "不可", "rejected"),
        LineState::Deleted => l(lang, "削除", "deleted"),
    }
}

fn kind_text(lang: Lang, k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Order => l(lang, "注文", "order"),
        DocumentKind::OrderChange => l(lang, "注文変更", "order change"),
        DocumentKind::OrderCancellation => l(lang, "注文取消", "cancellation"),
        DocumentKind::OrderResponse => l(lang, "注文回答", "order response"),
        DocumentKind::DespatchAdvice => l(lang, "出荷案内", "despatch advice"),
        DocumentKind::ReceiptAdvice => l(lang, "受領通知", "receipt advice"),
    }
}

/// Units a shop picks from (UN/ECE Rec 20), in both languages.
const UNITS: [(&str, &str, &str); 6] = [
    ("H87", "個", "piece"),
    ("CS", "ケース", "case"),
    ("KGM", "kg", "kg"),
    ("BX", "箱", "box"),
    ("SET", "セット", "set"),
    ("MTR", "m", "metre"),
];

/// How a unit code reads in `lang`; the code itself when it is not one of [`UNITS`].
pub(super) fn unit_name(lang: Lang, code: &str) -> String {
    UNITS.iter().find(|(c, _, _)| *c == code).map_or_else(
        || code.to_string(),
        |(_, ja, en)| if lang == Lang::Ja { ja } else { en }.to_string(),
    )
}

pub(super) fn unit_select(lang: Lang, name: &str, chosen: &str) -> String {
    let options: String = UNITS
        .iter()
        .map(|(code, ja, en)| {
            format!(
                "<option value=\"{code}\"{}>{}</option>",
                if *code == chosen { " selected" } else { "" },
                if lang == Lang::Ja { ja } else { en }
            )
        })
        .collect();
    format!("<select name=\"{name}\">{options}</select>")
}

/// A bare input (no label, no id), for forms repeated on one page.
pub(super) fn field(name: &str, kind: &str, value: &str, extra: &str) -> String {
    format!(
        "<input type=\"{kind}\" name=\"{name}\" value=\"{}\" {extra}>",
        escape(value)
    )
}

fn today() -> Date {
    day_of(renkei_kernel::storage::now_ms())
}

/// The day (UTC) of an instant in ms since the epoch.
fn day_of(ms: i64) -> Date {
    Date::from_unix_days(ms.div_euclid(86_400_000))
        .unwrap_or_else(|| Date::new(1970, 1, 1).expect("a date"))
}

fn decimal(f: &FormData, name: &str, what: &str, lang: Lang) -> Result<Option<Decimal>, String> {
    match f.opt(name) {
        None => Ok(None),
        Some(text) => text
            .replace(',', "")
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| {
                format!(
                    "{what}: `{text}` {}",
                    l(lang, "は数値ではありません", "is not a number")
                )
            }),
    }
}

fn date(f: &FormData, name: &str, what: &str, lang: Lang) -> Result<Option<Date>, String> {
    match f.opt(name) {
        None => Ok(None),
        Some(text) => text.parse::<Date>().map(Some).map_err(|_| {
            format!(
                "{what}: `{text}` {}",
                l(
                    lang,
                    "は日付ではありません（YYYY-MM-DD）",
                    "is not a date (YYYY-MM-DD)"
                )
            )
        }),
    }
}

fn party(id: &str) -> Party {
    Party {
        id: id.to_string(),
        name: None,
    }
}

/// A fresh key for one rendering of a form: submitting it twice (a double
/// click, a reload) applies it once.
pub(super) fn form_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn list(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Query(q): Query<ListQuery>,
) -> Response {
    let (v, caller, org, orders) = match p.page(&headers, &client, &q.page, "/app/orders").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let inbox = match q.r#box.as_deref() {
        Some("inbox") => Some(true),
        Some("outbox") => Some(false),
        _ => None,
    };
    let status = q
        .status
        .as_deref()
        .filter(|s| OrderStatus::parse(s).is_some())
        .map(str::to_string);
    let filter = OrderFilter {
        inbox,
        status: status.clone(),
        partner_id: None,
        number: q.number.clone().filter(|n| !n.is_empty()),
        before_ms: None,
        limit: 100,
    };
    let found = orders.orders(&caller, &org, filter).await;
    let mut page_query = q.page;
    let rows = match found {
        Err(e) => {
            page_query.error = Some(message(e));
            Vec::new()
        }
        Ok(rows) => rows,
    };
    let ids: Vec<String> = rows
        .iter()
        .flat_map(|o| [o.buyer.id.clone(), o.seller.id.clone()])
        .collect();
    let named = names(&v, &caller, ids).await;
    let name = |id: &str| named.get(id).cloned().unwrap_or_else(|| id.to_string());
    let box_options: Vec<(&str, String)> = vec![
        ("", l(lang, "すべて", "All").to_string()),
        (
            "inbox",
            l(lang, "受注（受信）", "Inbox (you sell)").to_string(),
        ),
        (
            "outbox",
            l(lang, "発注（送信）", "Outbox (you buy)").to_string(),
        ),
    ];
    let mut status_options: Vec<(&str, String)> = vec![("", l(lang, "すべて", "All").to_string())];
    status_options.extend(
        OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), status_text(lang, *s).to_string())),
    );
    let chosen = |html: String, value: &str| {
        html.replace(
            &format!("<option value=\"{value}\">"),
            &format!("<option value=\"{value}\" selected>"),
        )
    };
    let filters = format!(
        "<form method=\"get\" action=\"/app/orders\" id=\"order-filter\" class=\"inline\">{}{}{}<button type=\"submit\">{}</button></form>",
        chosen(
            select("box", l(lang, "区分", "Box"), &box_options),
            q.r#box.as_deref().unwrap_or("")
        ),
        chosen(
            select("status", l(lang, "状態", "Status"), &status_options),
            status.as_deref().unwrap_or("")
        ),
        input(
            "number",
            l(lang, "注文番号", "Order number"),
            "text",
            q.number.as_deref().unwrap_or("")
        ),
        l(lang, "絞り込む", "Filter")
    );
    let mut table = format!(
        "<table id=\"orders\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "注文番号", "Number"),
        l(lang, "区分", "Side"),
        l(lang, "取引先", "Partner"),
        l(lang, "状態", "Status"),
        l(lang, "明細", "Lines"),
        l(lang, "文書", "Documents"),
    );
    for o in &rows {
        let (side, partner) = if o.buyer.id == org {
            (l(lang, "発注", "buying"), name(&o.seller.id))
        } else {
            (l(lang, "受注", "selling"), name(&o.buyer.id))
        };
        table.push_str(&format!(
            "<tr><td><a href=\"/app/orders/{}\">{}</a></td><td>{side}</td><td>{}</td><td class=\"status\" data-status=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&o.order_id),
            escape(&o.number),
            escape(&partner),
            o.status.as_str(),
            status_text(lang, o.status),
            o.lines,
            o.version
        ));
    }
    if rows.is_empty() {
        table.push_str(&format!(
            "<tr><td colspan=\"6\">{}</td></tr>",
            l(lang, "該当する注文はありません。", "No orders match.")
        ));
    }
    table.push_str("</tbody></table>");
    let body = format!(
        "<h1>{}</h1><p><a href=\"/app/orders/new\" id=\"new-order\">{}</a> · <a href=\"/app/edi\">{}</a></p>{filters}{table}",
        l(lang, "受発注", "Orders"),
        l(lang, "新しい注文", "New order"),
        l(lang, "EDI・ファイル連携", "EDI and files"),
    );
    v.respond(
        l(lang, "受発注", "Orders"),
        "/app/orders",
        &page_query,
        &body,
    )
}

/// Rows of the new-order form.
const ORDER_ROWS: usize = 5;

/// What the new-order form shows: the values typed so far and an error,
/// per line when it is about one.
#[derive(Default)]
struct OrderForm {
    values: HashMap<String, String>,
    error: Option<String>,
    line_error: Option<(usize, String)>,
}

async fn render_order_form(
    v: &Visit,
    caller: &Caller,
    org: &str,
    q: &PageQuery,
    form: OrderForm,
) -> Response {
    let lang = v.lang;
    let value = |name: &str| form.values.get(name).cloned().unwrap_or_default();
    let partners = active_partners(v, caller, org).await;
    let chosen_partner = value("partner");
    let options: String = partners
        .iter()
        .map(|(id, name)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(id),
                if *id == chosen_partner {
                    " selected"
                } else {
                    ""
                },
                escape(name)
            )
        })
        .collect();
    let number = form
        .values
        .get("number")
        .cloned()
        .unwrap_or_else(|| format!("PO-{}-{}", today().ccyymmdd(), &form_key()[..4]));
    let mut rows = String::new();
    for r in 1..=ORDER_ROWS {
        let (class, note) = match &form.line_error {
            Some((row, text)) if *row == r => (
                " class=\"error\"",
                format!(
                    "<td class=\"line-error\" id=\"line-error-{r}\">{}</td>",
                    escape(text)
                ),
            ),
            _ => ("", "<td></td>".to_string()),
        };
        rows.push_str(&format!(
            "<tr{class} id=\"line-{r}\"><td>{r}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{note}</tr>",
            field(&format!("item_{r}"), "text", &value(&format!("item_{r}")), ""),
            field(&format!("code_{r}"), "text", &value(&format!("code_{r}")), "size=\"10\""),
            field(&format!("gtin_{r}"), "text", &value(&format!("gtin_{r}")), "size=\"14\" inputmode=\"numeric\""),
            field(&format!("qty_{r}"), "text", &value(&format!("qty_{r}")), "size=\"6\" inputmode=\"decimal\""),
            unit_select(lang, &format!("unit_{r}"), &value(&format!("unit_{r}"))),
            field(&format!("price_{r}"), "text", &value(&format!("price_{r}")), "size=\"8\" inputmode=\"decimal\""),
        ));
    }
    let inner = format!(
        "<input type=\"hidden\" name=\"key\" value=\"{key}\">\
         <label>{partner_label}<select name=\"partner\" id=\"partner\">{options}</select></label>\
         {number}{delivery}{note}\
         <table id=\"order-lines\"><thead><tr><th>#</th><th>{item}</th><th>{code}</th><th>GTIN/JAN</th><th>{qty}</th><th>{unit}</th><th>{price}</th><th></th></tr></thead><tbody>{rows}</tbody></table>",
        key = escape(&form.values.get("key").cloned().unwrap_or_else(form_key)),
        partner_label = l(lang, "発注先", "Supplier"),
        number = input(
            "number",
            l(lang, "注文番号", "Order number"),
            "text",
            &number
        ),
        delivery = input(
            "delivery",
            l(lang, "希望納期", "Requested delivery"),
            "date",
            &value("delivery")
        ),
        note = input("note", l(lang, "備考", "Note"), "text", &value("note")),
        item = l(lang, "品名", "Item"),
        code = l(lang, "自社品番", "Your code"),
        qty = l(lang, "数量", "Quantity"),
        unit = l(lang, "単位", "Unit"),
        price = l(lang, "単価（円）", "Unit price (JPY)"),
    );
    let mut query = PageQuery::default();
    query.lang = q.lang.clone();
    query.error = form.error.clone();
    let body = format!(
        "<h1>{}</h1>{}{}",
        l(lang, "新しい注文", "New order"),
        if partners.is_empty() {
            format!(
                "<p>{}</p>",
                l(
                    lang,
                    "取引先がまだありません。取引先ページで申請し、承認されると発注できます。",
                    "No partners yet: propose a partnership on the Partners page; once accepted you can order."
                )
            )
        } else {
            String::new()
        },
        v.form(
            "/app/orders",
            "order-form",
            &inner,
            l(lang, "注文を送る", "Send order")
        )
    );
    let mut r = v.respond(
        l(lang, "新しい注文", "New order"),
        "/app/orders/new",
        &query,
        &body,
    );
    if form.error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn new_order(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Query(q): Query<PageQuery>,
) -> Response {
    let (v, caller, org, _) = match p.page(&headers, &client, &q, "/app/orders/new").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_order_form(&v, &caller, &org, &q, OrderForm::default()).await
}

/// The order the form describes, with the form row of each line; or the
/// first problem, with its row when it is about one.
fn order_from(
    f: &FormData,
    org: &str,
    lang: Lang,
) -> Result<(Order, Vec<usize>), (Option<usize>, String)> {
    let partner = f.opt("partner").ok_or((
        None,
        l(lang, "発注先を選んでください。", "Choose a supplier.").to_string(),
    ))?;
    let requested = date(
        f,
        "delivery",
        l(lang, "希望納期", "Requested delivery"),
        lang,
    )
    .map_err(|e| (None, e))?;
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for r in 1..=ORDER_ROWS {
        let qty = f.opt(&format!("qty_{r}"));
        let item = f.opt(&format!("item_{r}"));
        let code = f.opt(&format!("code_{r}"));
        let gtin = f.opt(&format!("gtin_{r}"));
        if qty.is_none() && item.is_none() && code.is_none() && gtin.is_none() {
            continue;
        }
        let quantity = decimal(f, &format!("qty_{r}"), l(lang, "数量", "quantity"), lang)
            .map_err(|e| (Some(r), e))?
            .ok_or((
                Some(r),
                l(lang, "数量を入れてください。", "Enter a quantity.").to_string(),
            ))?;
        let unit_price = decimal(
            f,
            &format!("price_{r}"),
            l(lang, "単価", "unit price"),
            lang,
        )
        .map_err(|e| (Some(r), e))?;
        lines.push(OrderLine {
            line: lines.len() as u32 + 1,
            item: Item {
                gtin,
                buyer_code: code,
                seller_code: None,
                description: item,
            },
            quantity: Quantity {
                value: quantity,
                unit: f.opt(&format!("unit_{r}")).unwrap_or_else(|| "H87".into()),
            },
            unit_price,
            requested_delivery: requested,
            delivery_site: None,
        });
        rows.push(r);
    }
    if lines.is_empty() {
        return Err((
            Some(1),
            l(
                lang,
                "明細を1行以上入れてください。",
                "Enter at least one line.",
            )
            .to_string(),
        ));
    }
    Ok((
        Order {
            number: f.get("number").trim().to_string(),
            issued: today(),
            buyer: party(org),
            seller: party(&partner),
            currency: "JPY".into(),
            note: f.opt("note"),
            lines,
        },
        rows,
    ))
}

/// The form row a field path such as `lines[2].quantity.value` is about.
fn row_of(field: &str, rows: &[usize]) -> Option<usize> {
    let rest = field.strip_prefix("lines[")?;
    let index: usize = rest[..rest.find(']')?].parse().ok()?;
    rows.get(index).copied()
}

async fn create(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org, orders) = match p.posted(&headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let values: HashMap<String, String> = f.0.iter().cloned().collect();
    let q = PageQuery::default();
    let failed = |row: Option<usize>, text: String| OrderForm {
        values: values.clone(),
        error: Some(text.clone()),
        line_error: row.map(|r| (r, text)),
    };
    let (order, rows) = match order_from(&f, &org, v.lang) {
        Ok(x) => x,
        Err((row, text)) => {
            return render_order_form(&v, &caller, &org, &q, failed(row, text)).await;
        }
    };
    let submission = Submission {
        document: Document::Order(order),
        channel: Channel::Web,
        idempotency_key: format!("web-{}", f.get("key")),
    };
    match orders.submit(&caller, &org, submission).await {
        Ok(done) => redirect(
            &with(
                &format!("/app/orders/{}", done.order_id),
                "notice",
                l(v.lang, "注文を送りました。", "Order sent."),
            ),
            v.visitor.cookies,
        ),
        Err(AppError::Invalid { field, reason }) => {
            let row = row_of(&field, &rows);
            render_order_form(
                &v,
                &caller,
                &org,
                &q,
                failed(row, format!("{field}: {reason}")),
            )
            .await
        }
        Err(e) => render_order_form(&v, &caller, &org, &q, failed(None, message(e))).await,
    }
}

fn decimal_text(d: &Decimal) -> String {
    d.to_string()
}

fn download_links(order_id: &str, version: i64) -> String {
    [("csv", "CSV"), ("xlsx", "Excel"), ("edifact_d96a", "EDIFACT"), ("x12_004010", "X12"), ("ubl21", "UBL")]
        .iter()
        .map(|(format, label)| {
            format!(
                "<a class=\"download\" href=\"/app/orders/{}/documents/{version}/file?format={format}\">{label}</a>",
                escape(order_id)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

async fn detail(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let here = format!("/app/orders/{id}");
    let (v, caller, org, orders) = match p.page(&headers, &client, &q, &here).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_detail(&v, &caller, &org, &orders, &id, q, None).await
}

/// The order change form as it was posted, when it was refused: the values
/// typed, the error and the line it is about.
struct ChangeForm {
    values: HashMap<String, String>,
    error: String,
    line: Option<u32>,
}

/// The order page; with `change`, the change form keeps what was typed and
/// shows its error (422).
async fn render_detail(
    v: &Visit,
    caller: &Caller,
    org: &str,
    orders: &App,
    id: &str,
    mut q: PageQuery,
    change: Option<ChangeForm>,
) -> Response {
    let here = format!("/app/orders/{id}");
    let lang = v.lang;
    let view = match orders.order(caller, org, id).await {
        Ok(view) => view,
        Err(e) => {
            let body = format!(
                "<h1>{}</h1><p id=\"error\">{}</p>",
                l(lang, "注文", "Order"),
                escape(&message(e))
            );
            let mut r = v.respond(l(lang, "注文", "Order"), &here, &q, &body);
            *r.status_mut() = StatusCode::NOT_FOUND;
            return r;
        }
    };
    let s = &view.summary;
    let named = names(v, caller, vec![s.buyer.id.clone(), s.seller.id.clone()]).await;
    let name = |id: &str| named.get(id).cloned().unwrap_or_else(|| id.to_string());
    let selling = s.seller.id == org;
    let mut html = format!(
        "<h1>{} <span id=\"order-number\">{}</span></h1>\
         <p>{}: {} → {}: {} · {}: <strong id=\"order-status\" data-status=\"{}\">{}</strong></p>",
        l(lang, "注文", "Order"),
        escape(&s.number),
        l(lang, "発注者", "Buyer"),
        escape(&name(&s.buyer.id)),
        l(lang, "受注者", "Seller"),
        escape(&name(&s.seller.id)),
        l(lang, "状態", "Status"),
        s.status.as_str(),
        status_text(lang, s.status),
    );
    html.push_str(&format!(
        "<table id=\"lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "品名・品番", "Item"),
        l(lang, "注文数", "Ordered"),
        l(lang, "単価", "Price"),
        l(lang, "状態", "State"),
        l(lang, "確定数", "Confirmed"),
        l(lang, "出荷数", "Shipped"),
        l(lang, "受領数", "Received"),
        l(lang, "理由", "Reason"),
    ));
    for line in &view.line_states {
        let item = &line.item;
        let label = [
            item.description.clone(),
            item.buyer_code.clone(),
            item.seller_code.clone(),
            item.gtin.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
        html.push_str(&format!(
            "<tr id=\"line-{n}\"><td>{n}</td><td>{}</td><td class=\"ordered\">{} {}</td><td>{}</td><td class=\"state\">{}</td><td>{}</td><td class=\"shipped\">{}</td><td class=\"received\">{}</td><td>{}</td></tr>",
            escape(&label),
            decimal_text(&line.ordered),
            escape(&line.unit),
            line.unit_price.as_ref().map(decimal_text).unwrap_or_default(),
            line_state_text(lang, line.state),
            line.confirmed.as_ref().map(decimal_text).unwrap_or_default(),
            decimal_text(&line.shipped),
            decimal_text(&line.received),
            escape(line.reason.as_deref().unwrap_or("")),
            n = line.line,
        ));
    }
    html.push_str("</tbody></table>");
    html.push_str(&actions(v, &view, selling, change.as_ref()));
    html.push_str(&format!(
        "<h2>{}</h2><table id=\"history\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "文書の履歴", "Document history"),
        l(lang, "文書", "Document"),
        l(lang, "番号", "Number"),
        l(lang, "送信者", "Sent by"),
        l(lang, "経路", "Channel"),
        l(lang, "備考", "Note"),
        l(lang, "ダウンロード", "Download"),
    ));
    for d in &view.documents {
        html.push_str(&format!(
            "<tr id=\"document-{}\"><td>{}</td><td class=\"kind\" data-kind=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"note\">{}</td><td>{}</td></tr>",
            d.version,
            d.version,
            d.kind.as_str(),
            kind_text(lang, d.kind),
            escape(&d.number),
            escape(&name(&d.sender_id)),
            escape(&d.channel),
            escape(d.note.as_deref().unwrap_or("")),
            download_links(&s.order_id, d.version),
        ));
    }
    html.push_str("</tbody></table>");
    if let Some(change) = &change {
        q.error = Some(change.error.clone());
    }
    let mut r = v.respond(
        &s.number,
        &here,
        &q,
        &format!(
            "<p><a href=\"/app/orders\">← {}</a></p>{html}",
            l(lang, "一覧へ", "All orders")
        ),
    );
    if change.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The forms the caller's side may use now; `change` is a refused order
/// change to show again.
fn actions(v: &Visit, view: &OrderView, selling: bool, change: Option<&ChangeForm>) -> String {
    let lang = v.lang;
    let s = &view.summary;
    let id = &s.order_id;
    let key = format!(
        "<input type=\"hidden\" name=\"key\" value=\"{}\">",
        form_key()
    );
    let mut out = String::new();
    let awaiting: Vec<_> = view
        .line_states
        .iter()
        .filter(|l| l.state == LineState::AwaitingResponse)
        .collect();
    if selling && !awaiting.is_empty() {
        let mut rows = String::new();
        for line in &awaiting {
            let n = line.line;
            rows.push_str(&format!(
                "<tr id=\"respond-line-{n}\"><td>{n}</td><td><select name=\"status_{n}\"><option value=\"accepted\">{}</option><option value=\"changed\">{}</option><option value=\"rejected\">{}</option></select></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                l(lang, "承諾", "accept"),
                l(lang, "変更して承諾", "accept with changes"),
                l(lang, "不可", "reject"),
                field(&format!("qty_{n}"), "text", &decimal_text(&line.ordered), "size=\"6\""),
                field(&format!("price_{n}"), "text", &line.unit_price.as_ref().map(decimal_text).unwrap_or_default(), "size=\"8\""),
                field(&format!("date_{n}"), "date", &line.requested_delivery.map(|d| d.to_string()).unwrap_or_default(), ""),
                field(&format!("reason_{n}"), "text", "", ""),
            ));
        }
        let inner = format!(
            "{key}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            l(lang, "回答", "Answer"),
            l(lang, "数量", "Quantity"),
            l(lang, "単価", "Price"),
            l(lang, "納期", "Delivery"),
            l(lang, "理由", "Reason"),
        );
        out.push_str(&action_form(
            v,
            id,
            "respond",
            "response-form",
            l(lang, "明細ごとに回答する", "Answer line by line"),
            &inner,
            l(lang, "回答を送る", "Send response"),
        ));
    }
    let to_ship: Vec<_> = view
        .line_states
        .iter()
        .filter(|l| matches!(l.state, LineState::Accepted | LineState::Changed))
        .filter_map(|l| {
            let left = l.confirmed.unwrap_or(l.ordered).checked_sub(l.shipped)?;
            (!left.is_zero() && !left.is_negative()).then_some((l, left))
        })
        .collect();
    if selling && awaiting.is_empty() && !to_ship.is_empty() {
        let mut rows = String::new();
        for (line, left) in &to_ship {
            let n = line.line;
            rows.push_str(&format!(
                "<tr><td>{n}</td><td>{}</td><td>{} {}</td></tr>",
                escape(line.item.description.as_deref().unwrap_or("")),
                field(
                    &format!("ship_{n}"),
                    "text",
                    &decimal_text(left),
                    "size=\"6\""
                ),
                escape(&line.unit),
            ));
        }
        let inner = format!(
            "{key}{}{}{}{}<table><thead><tr><th>#</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            input("packages", l(lang, "個口数", "Packages"), "number", "1"),
            input("carrier", l(lang, "運送会社", "Carrier"), "text", ""),
            input(
                "tracking",
                l(lang, "送り状番号", "Tracking number"),
                "text",
                ""
            ),
            input(
                "expected",
                l(lang, "到着予定日", "Expected delivery"),
                "date",
                ""
            ),
            l(lang, "品名", "Item"),
            l(lang, "出荷数", "Quantity shipped"),
        );
        out.push_str(&action_form(
            v,
            id,
            "despatch",
            "despatch-form",
            l(lang, "出荷を登録する", "Record a despatch"),
            &inner,
            l(lang, "出荷案内を送る", "Send despatch advice"),
        ));
    }
    let to_receive: Vec<_> = view
        .line_states
        .iter()
        .filter_map(|l| {
            let left = l.shipped.checked_sub(l.received)?.checked_sub(l.damaged)?;
            (!left.is_zero() && !left.is_negative()).then_some((l, left))
        })
        .collect();
    if !selling && !to_receive.is_empty() {
        let mut rows = String::new();
        for (line, left) in &to_receive {
            let n = line.line;
            rows.push_str(&format!(
                "<tr><td>{n}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(line.item.description.as_deref().unwrap_or("")),
                field(
                    &format!("received_{n}"),
                    "text",
                    &decimal_text(left),
                    "size=\"6\""
                ),
                field(&format!("damaged_{n}"), "text", "0", "size=\"6\""),
            ));
        }
        let inner = format!(
            "{key}<table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            l(lang, "品名", "Item"),
            l(lang, "受領数（良品）", "Received in good order"),
            l(lang, "破損数", "Damaged"),
        );
        out.push_str(&action_form(
            v,
            id,
            "receive",
            "receipt-form",
            l(lang, "受領を登録する", "Record a receipt"),
            &inner,
            l(lang, "受領通知を送る", "Send receipt advice"),
        ));
    }
    let changeable = view.changeable_lines();
    if !selling && !changeable.is_empty() {
        out.push_str(&change_form(v, view, &changeable, &key, change));
    }
    let shipped_any = view.line_states.iter().any(|l| !l.shipped.is_zero());
    if !selling
        && !shipped_any
        && !matches!(s.status, OrderStatus::Cancelled | OrderStatus::Rejected)
    {
        let inner = format!(
            "{key}{}",
            input("reason", l(lang, "取消の理由", "Reason"), "text", "")
        );
        out.push_str(&action_form(
            v,
            id,
            "cancel",
            "cancel-form",
            l(lang, "注文を取り消す", "Cancel the order"),
            &inner,
            l(lang, "取り消す", "Cancel order"),
        ));
    }
    out
}

/// The buyer's order change: per line it may still change, the quantity,
/// unit price and requested delivery, prefilled with the current values,
/// and the reason for the change (after a refusal, what was typed, the
/// error on its line).
fn change_form(
    v: &Visit,
    view: &OrderView,
    lines: &[&Line],
    key: &str,
    change: Option<&ChangeForm>,
) -> String {
    let lang = v.lang;
    let typed = |name: &str, current: String| {
        change
            .and_then(|c| c.values.get(name).cloned())
            .unwrap_or(current)
    };
    let mut rows = String::new();
    for line in lines {
        let n = line.line;
        let (class, note) = match change {
            Some(c) if c.line == Some(n) => (
                " class=\"error\"",
                format!(
                    "<td class=\"line-error\" id=\"change-error-{n}\">{}</td>",
                    escape(&c.error)
                ),
            ),
            _ => ("", "<td></td>".to_string()),
        };
        let qty = format!("qty_{n}");
        let price = format!("price_{n}");
        let date = format!("date_{n}");
        rows.push_str(&format!(
            "<tr id=\"change-line-{n}\"{class}><td>{n}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td>{note}</tr>",
            escape(line.item.description.as_deref().unwrap_or("")),
            field(&qty, "text", &typed(&qty, decimal_text(&line.ordered)), "size=\"6\" inputmode=\"decimal\""),
            escape(&unit_name(lang, &line.unit)),
            field(&price, "text", &typed(&price, line.unit_price.as_ref().map(decimal_text).unwrap_or_default()), "size=\"8\" inputmode=\"decimal\""),
            field(&date, "date", &typed(&date, line.requested_delivery.map(|d| d.to_string()).unwrap_or_default()), ""),
        ));
    }
    let inner = format!(
        "{key}<p>{}</p><table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table>\
         <label>{}<textarea name=\"note\" id=\"change-note\" rows=\"3\">{}</textarea></label>",
        l(
            lang,
            "変える明細の値を書き換えてください。変えていない明細は送られません。変更した明細は受注者の回答待ちに戻ります。",
            "Change the values of the lines to change; lines left as they are are not sent. A changed line waits for the seller's answer again."
        ),
        l(lang, "品名", "Item"),
        l(lang, "数量", "Quantity"),
        l(lang, "単価", "Unit price"),
        l(lang, "希望納期", "Requested delivery"),
        l(lang, "変更の理由", "Reason for the change"),
        escape(&typed("note", String::new())),
    );
    action_form(
        v,
        &view.summary.order_id,
        "change",
        "change-form",
        l(lang, "注文を変更する", "Change the order"),
        &inner,
        l(lang, "変更を送る", "Send the change"),
    )
}

/// One of an order's forms under its heading: it posts to
/// `/app/orders/{order_id}/{action}`.
fn action_form(
    v: &Visit,
    order_id: &str,
    action: &str,
    form_id: &str,
    title: &str,
    inner: &str,
    submit: &str,
) -> String {
    format!(
        "<h2>{}</h2>{}",
        escape(title),
        v.form(
            &format!("/app/orders/{order_id}/{action}"),
            form_id,
            inner,
            submit
        )
    )
}

/// A document number for the caller's answer to an order: its kind, the
/// order's id tail and the next version, unique per order and short
/// enough for every format.
fn number_for(prefix: &str, view: &OrderView) -> String {
    let id = &view.summary.order_id;
    format!(
        "{prefix}-{}-{}",
        &id[id.len().saturating_sub(12)..],
        view.summary.version + 1
    )
}

/// Why a form does not make a document: the message, and the order line
/// it is about.
struct FormError {
    line: Option<u32>,
    message: String,
}

impl From<String> for FormError {
    fn from(message: String) -> FormError {
        FormError {
            line: None,
            message,
        }
    }
}

fn document_for(
    f: &FormData,
    action: &str,
    view: &OrderView,
    lang: Lang,
) -> Result<Document, FormError> {
    let s = &view.summary;
    let (buyer, seller) = (party(&s.buyer.id), party(&s.seller.id));
    let line_value = |prefix: &str, n: u32, what: &str| {
        decimal(
            f,
            &format!("{prefix}_{n}"),
            &format!("{what} ({} {n})", l(lang, "明細", "line")),
            lang,
        )
    };
    match action {
        "change" => change_from(f, view, lang).map(Document::OrderChange),
        "respond" => {
            let mut lines = Vec::new();
            for line in view
                .line_states
                .iter()
                .filter(|l| l.state == LineState::AwaitingResponse)
            {
                let n = line.line;
                let status = match f.get(&format!("status_{n}")) {
                    "changed" => LineStatus::Changed,
                    "rejected" => LineStatus::Rejected,
                    _ => LineStatus::Accepted,
                };
                let rejected = status == LineStatus::Rejected;
                let quantity =
                    line_value("qty", n, l(lang, "数量", "quantity"))?.unwrap_or(line.ordered);
                lines.push(ResponseLine {
                    line: n,
                    status,
                    item: line.item.clone(),
                    quantity: (!rejected).then(|| Quantity {
                        value: quantity,
                        unit: line.unit.clone(),
                    }),
                    unit_price: if rejected {
                        None
                    } else {
                        line_value("price", n, l(lang, "単価", "price"))?.or(line.unit_price)
                    },
                    confirmed_delivery: if rejected {
                        None
                    } else {
                        date(f, &format!("date_{n}"), l(lang, "納期", "delivery"), lang)?
                    },
                    reason: f.opt(&format!("reason_{n}")),
                });
            }
            Ok(Document::OrderResponse(OrderResponse {
                number: number_for("RSP", view),
                order_number: s.number.clone(),
                issued: today(),
                buyer,
                seller,
                currency: s.currency.clone(),
                lines,
            }))
        }
        "despatch" => {
            let mut lines = Vec::new();
            for line in &view.line_states {
                if let Some(q) =
                    line_value("ship", line.line, l(lang, "出荷数", "quantity shipped"))?
                {
                    if !q.is_zero() {
                        lines.push(DespatchLine {
                            line: line.line,
                            item: line.item.clone(),
                            quantity: Quantity {
                                value: q,
                                unit: line.unit.clone(),
                            },
                        });
                    }
                }
            }
            let packages = f.get("packages").trim();
            let packages: u32 = packages.parse().map_err(|_| {
                format!(
                    "{}: `{packages}`",
                    l(
                        lang,
                        "個口数は整数で入れてください",
                        "packages is a whole number"
                    )
                )
            })?;
            Ok(Document::DespatchAdvice(DespatchAdvice {
                number: number_for("DSP", view),
                order_number: s.number.clone(),
                issued: today(),
                buyer,
                seller,
                shipped: Some(today()),
                expected_delivery: date(
                    f,
                    "expected",
                    l(lang, "到着予定日", "expected delivery"),
                    lang,
                )?,
                carrier: f.opt("carrier"),
                tracking: f.opt("tracking"),
                packages,
                lines,
            }))
        }
        "receive" => {
            let mut lines = Vec::new();
            for line in &view.line_states {
                let received = line_value("received", line.line, l(lang, "受領数", "received"))?;
                let damaged = line_value("damaged", line.line, l(lang, "破損数", "damaged"))?;
                if received.is_none() && damaged.is_none() {
                    continue;
                }
                lines.push(ReceiptLine {
                    line: line.line,
                    item: line.item.clone(),
                    received: Quantity {
                        value: received.unwrap_or(Decimal::from_int(0)),
                        unit: line.unit.clone(),
                    },
                    damaged: damaged.unwrap_or(Decimal::from_int(0)),
                });
            }
            Ok(Document::ReceiptAdvice(ReceiptAdvice {
                number: number_for("RCV", view),
                order_number: s.number.clone(),
                despatch_number: None,
                issued: today(),
                buyer,
                seller,
                received: Some(today()),
                lines,
            }))
        }
        "cancel" => Ok(Document::OrderCancellation(OrderCancellation {
            number: number_for("CXL", view),
            order_number: s.number.clone(),
            issued: today(),
            buyer,
            seller,
            reason: f.opt("reason"),
        })),
        _ => Err(l(lang, "この操作はありません。", "No such action.")
            .to_string()
            .into()),
    }
}

/// The order change the buyer's form describes: a `changed` line for each
/// line whose quantity, unit price or requested delivery differs from the
/// order's, with the reason typed as its note; or the first problem, with
/// its line.
fn change_from(f: &FormData, view: &OrderView, lang: Lang) -> Result<OrderChange, FormError> {
    let s = &view.summary;
    let mut lines = Vec::new();
    for line in view.changeable_lines() {
        let n = line.line;
        let at = |what: &str| match lang {
            Lang::Ja => format!("明細 {n} の{what}"),
            Lang::En => format!("line {n} {what}"),
        };
        let on_line = |message: String| FormError {
            line: Some(n),
            message,
        };
        let what = at(l(lang, "数量", "quantity"));
        let quantity = decimal(f, &format!("qty_{n}"), &what, lang)
            .map_err(on_line)?
            .ok_or_else(|| {
                on_line(format!(
                    "{what}: {}",
                    l(lang, "数量を入れてください", "enter a quantity")
                ))
            })?;
        if quantity.is_negative() || quantity.is_zero() {
            return Err(on_line(format!(
                "{what}: `{quantity}` {}",
                l(
                    lang,
                    "— 0より大きい数を入れてください",
                    "— a quantity must be above zero"
                )
            )));
        }
        let what = at(l(lang, "単価", "unit price"));
        let unit_price = decimal(f, &format!("price_{n}"), &what, lang).map_err(on_line)?;
        if let Some(price) = unit_price.filter(|p| p.is_negative()) {
            return Err(on_line(format!(
                "{what}: `{price}` {}",
                l(
                    lang,
                    "— 単価は0以上で入れてください",
                    "— a price may not be negative"
                )
            )));
        }
        let requested = date(
            f,
            &format!("date_{n}"),
            &at(l(lang, "希望納期", "requested delivery")),
            lang,
        )
        .map_err(on_line)?;
        if quantity == line.ordered
            && unit_price == line.unit_price
            && requested == line.requested_delivery
        {
            continue;
        }
        lines.push(ChangeLine {
            action: ChangeAction::Changed,
            line: OrderLine {
                line: n,
                item: line.item.clone(),
                quantity: Quantity {
                    value: quantity,
                    unit: line.unit.clone(),
                },
                unit_price,
                requested_delivery: requested,
                delivery_site: line.delivery_site.clone(),
            },
        });
    }
    if lines.is_empty() {
        return Err(l(
            lang,
            "変更がありません。変える明細の数量・単価・希望納期を書き換えてください。",
            "Nothing was changed: change the quantity, unit price or requested delivery of a line.",
        )
        .to_string()
        .into());
    }
    Ok(OrderChange {
        number: number_for("CHG", view),
        order_number: s.number.clone(),
        issued: today(),
        buyer: party(&s.buyer.id),
        seller: party(&s.seller.id),
        currency: s.currency.clone(),
        note: f.opt("note"),
        lines,
    })
}

async fn act(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (v, f, caller, org, orders) = match p.posted(&headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let back = format!("/app/orders/{id}");
    let view = match orders.order(&caller, &org, &id).await {
        Ok(view) => view,
        Err(e) => {
            return redirect(
                &with("/app/orders", "error", &message(e)),
                v.visitor.cookies,
            );
        }
    };
    let refused = |error: FormError| ChangeForm {
        values: f.0.iter().cloned().collect(),
        error: error.message,
        line: error.line,
    };
    let document = match document_for(&f, &action, &view, v.lang) {
        Ok(d) => d,
        Err(e) if action == "change" => {
            return render_detail(
                &v,
                &caller,
                &org,
                &orders,
                &id,
                PageQuery::default(),
                Some(refused(e)),
            )
            .await;
        }
        Err(e) => return redirect(&with(&back, "error", &e.message), v.visitor.cookies),
    };
    let changed: Vec<usize> = match &document {
        Document::OrderChange(c) => c.lines.iter().map(|l| l.line.line as usize).collect(),
        _ => Vec::new(),
    };
    let done = match action.as_str() {
        "change" => l(v.lang, "注文の変更を送りました。", "Order change sent."),
        "respond" => l(v.lang, "回答を送りました。", "Response sent."),
        "despatch" => l(v.lang, "出荷案内を送りました。", "Despatch advice sent."),
        "receive" => l(v.lang, "受領通知を送りました。", "Receipt advice sent."),
        _ => l(v.lang, "注文を取り消しました。", "Order cancelled."),
    };
    let submission = Submission {
        document,
        channel: Channel::Web,
        idempotency_key: format!("web-{}", f.get("key")),
    };
    match orders.submit(&caller, &org, submission).await {
        Ok(_) => redirect(&with(&back, "notice", done), v.visitor.cookies),
        Err(e) if action == "change" => {
            let line = match &e {
                AppError::Invalid { field, .. } => {
                    row_of(field, &changed).and_then(|n| u32::try_from(n).ok())
                }
                _ => None,
            };
            let error = FormError {
                line,
                message: message(e),
            };
            render_detail(
                &v,
                &caller,
                &org,
                &orders,
                &id,
                PageQuery::default(),
                Some(refused(error)),
            )
            .await
        }
        Err(e) => redirect(&with(&back, "error", &message(e)), v.visitor.cookies),
    }
}

async fn download(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, version)): Path<(String, i64)>,
    Query(q): Query<ListQuery>,
) -> Response {
    let back = format!("/app/orders/{id}");
    let (v, caller, org, orders) = match p.page(&headers, &client, &q.page, &back).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let format = q.format.as_deref().and_then(Format::parse);
    let language = if v.lang == Lang::Ja {
        sheet::Language::Japanese
    } else {
        sheet::Language::English
    };
    match orders
        .document_file(&caller, &org, &id, version, format, language)
        .await
    {
        Ok(out) => out.into_response(),
        Err(e) => redirect(&with(&back, "error", &message(e)), v.visitor.cookies),
    }
}

fn format_options(lang: Lang, auto: bool) -> Vec<(&'static str, String)> {
    let mut options = Vec::new();
    if auto {
        options.push(("", l(lang, "自動判別", "Recognise").to_string()));
    }
    options.extend([
        ("edifact_d96a", "UN/EDIFACT D.96A".to_string()),
        ("edifact_d01b", "UN/EDIFACT D.01B".to_string()),
        ("x12_004010", "ANSI X12 004010".to_string()),
        ("x12_005010", "ANSI X12 005010".to_string()),
        ("ubl21", "UBL 2.1 (Peppol)".to_string()),
        ("csv", "CSV".to_string()),
        ("xlsx", "Excel (.xlsx)".to_string()),
    ]);
    options
}

/// Renders one problem of an upload: its code, where, and what.
fn problem_text(p: &Value) -> String {
    let place = &p["place"];
    let mut at = Vec::new();
    for (key, label) in [
        ("segment", "segment"),
        ("tag", ""),
        ("element", "element"),
        ("component", "component"),
        ("path", ""),
        ("column", "column"),
        ("line", "line"),
    ] {
        match &place[key] {
            Value::Null => {}
            Value::String(s) => at.push(if label.is_empty() {
                s.clone()
            } else {
                format!("{label} {s}")
            }),
            other => at.push(format!("{label} {other}")),
        }
    }
    format!(
        "<li class=\"problem\"><code>{}</code> <span class=\"place\">{}</span>: {}</li>",
        escape(p["code"].as_str().unwrap_or("")),
        escape(&at.join(" ")),
        escape(p["message"].as_str().unwrap_or(""))
    )
}

fn report_html(lang: Lang, r: &IntakeReport) -> String {
    let mut html = format!(
        "<section id=\"upload-result\" data-status=\"{}\"><h2>{}: {}</h2>",
        escape(&r.status),
        l(lang, "受信結果", "Result"),
        escape(&r.status)
    );
    if !r.problems.is_empty() {
        html.push_str(&format!(
            "<p>{}</p><ul id=\"interchange-problems\">{}</ul>",
            l(
                lang,
                "ファイル全体が受け付けられませんでした:",
                "The file as a whole was refused:"
            ),
            r.problems.iter().map(problem_text).collect::<String>()
        ));
    }
    html.push_str(&format!(
        "<table id=\"upload-messages\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "メッセージ", "Message"),
        l(lang, "種類", "Type"),
        l(lang, "結果", "Result"),
        l(lang, "詳細", "Details"),
    ));
    for m in &r.messages {
        let details = if m.accepted {
            m.order_id
                .as_ref()
                .map(|o| {
                    format!(
                        "<a href=\"/app/orders/{}\">{}</a>",
                        escape(o),
                        l(lang, "注文を見る", "Open the order")
                    )
                })
                .unwrap_or_default()
        } else {
            format!(
                "<ul>{}</ul>",
                m.problems.iter().map(problem_text).collect::<String>()
            )
        };
        html.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{details}</td></tr>",
            if m.accepted { "accepted" } else { "rejected" },
            escape(&m.reference),
            escape(&m.message_type),
            if m.accepted {
                l(lang, "受付", "accepted")
            } else {
                l(lang, "不受理", "rejected")
            },
        ));
    }
    html.push_str("</tbody></table>");
    if let Some(ack) = &r.acknowledgement {
        html.push_str(&format!(
            "<p>{} ({}): <a href=\"/app/edi/interchanges/{}/acknowledgement\">{}</a></p><pre id=\"acknowledgement\">{}</pre>",
            l(lang, "受領確認", "Acknowledgement"),
            escape(&ack.format),
            escape(&r.interchange_id),
            l(lang, "ダウンロード", "Download"),
            escape(&ack.content)
        ));
    }
    html.push_str("</section>");
    html
}

async fn edi_body(v: &Visit, orders: &App, caller: &Caller, org: &str) -> String {
    let lang = v.lang;
    let partners = active_partners(v, caller, org).await;
    let partner_name: HashMap<&str, &str> = partners
        .iter()
        .map(|(id, n)| (id.as_str(), n.as_str()))
        .collect();
    let profiles = orders.profiles(caller, org).await.unwrap_or_default();
    let mut html = format!(
        "<h1>{}</h1><p>{}</p>",
        l(lang, "EDI・ファイル連携", "EDI and files"),
        l(
            lang,
            "取引先ごとに、ファイルで使う識別子と形式を設定します。EDIFACT・X12・UBLのファイルや表計算（CSV・Excel）で注文を送ると、受領確認が返ります。",
            "Set, per partner, the ids and formats your files use. Send orders as EDIFACT, X12, UBL or a spreadsheet (CSV, Excel) and get the acknowledgement back."
        )
    );
    html.push_str(&mailbox_html(v, orders, caller, org, &partner_name).await);
    html.push_str(&format!(
        "<h2>{}</h2><table id=\"profiles\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "取引先ごとの設定", "Partner profiles"),
        l(lang, "取引先", "Partner"),
        l(lang, "自社の識別子", "Your id"),
        l(lang, "取引先の識別子", "Partner's id"),
        l(lang, "送る形式", "You send"),
        l(lang, "受け取る形式", "You want"),
        l(lang, "品番対応", "Item codes"),
    ));
    for p in &profiles {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(
                partner_name
                    .get(p.partner_id.as_str())
                    .copied()
                    .unwrap_or(&p.partner_id)
            ),
            escape(&p.own_wire_id),
            escape(&p.partner_wire_id),
            p.sends.as_str(),
            p.wants.as_str(),
            p.items.len()
        ));
    }
    html.push_str("</tbody></table>");
    let partner_options: Vec<(&str, String)> = partners
        .iter()
        .map(|(id, n)| (id.as_str(), n.clone()))
        .collect();
    let profile_inner = format!(
        "{}{}{}{}{}<label>{}<textarea name=\"items\" rows=\"4\" placeholder=\"TAMA-10,4711-ON\"></textarea></label>",
        select("partner", l(lang, "取引先", "Partner"), &partner_options),
        input(
            "own_wire_id",
            l(
                lang,
                "自社の識別子（GLN等）",
                "Your interchange id (GLN, …)"
            ),
            "text",
            ""
        ),
        input(
            "partner_wire_id",
            l(lang, "取引先の識別子", "Partner's interchange id"),
            "text",
            ""
        ),
        select(
            "sends",
            l(lang, "送る形式", "You send"),
            &format_options(lang, false)
        ),
        select(
            "wants",
            l(lang, "受け取る形式", "You want"),
            &format_options(lang, false)
        ),
        l(
            lang,
            "品番対応（1行に「自社品番,取引先品番」）",
            "Item codes (one \"yours,theirs\" per line)"
        ),
    );
    html.push_str(&v.form(
        "/app/edi/profiles",
        "profile-form",
        &profile_inner,
        l(lang, "保存", "Save"),
    ));
    html.push_str(&format!(
        "<h2>{}</h2><form method=\"post\" action=\"/app/edi/upload\" id=\"upload-form\" enctype=\"multipart/form-data\">{}<label>{}<input type=\"file\" name=\"file\" id=\"file\"></label>{}<button type=\"submit\">{}</button></form>",
        l(lang, "ファイルを送る", "Send a file"),
        v.csrf_field(),
        l(lang, "ファイル", "File"),
        select("format", l(lang, "形式", "Format"), &format_options(lang, true)),
        l(lang, "送信", "Send"),
    ));
    let code = if lang == Lang::Ja { "ja" } else { "en" };
    html.push_str(&format!(
        "<h3>{}</h3><ul id=\"templates\">{}</ul>",
        l(lang, "表計算のひな形", "Spreadsheet templates"),
        DocumentKind::ALL
            .iter()
            .map(|k| format!(
                "<li>{}: <a href=\"/api/orders/templates/{k}?format=xlsx&lang={code}\">Excel</a> · <a href=\"/api/orders/templates/{k}?format=csv&lang={code}\">CSV</a></li>",
                kind_text(lang, *k),
                k = k.as_str()
            ))
            .collect::<String>()
    ));
    let interchanges = orders
        .interchanges(caller, org, 50)
        .await
        .unwrap_or_default();
    html.push_str(&format!(
        "<h2>{}</h2><table id=\"interchanges\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        l(lang, "送受信の記録", "Files sent and received"),
        l(lang, "方向", "Direction"),
        l(lang, "形式", "Format"),
        l(lang, "管理番号", "Reference"),
        l(lang, "結果", "Result"),
        l(lang, "メッセージ", "Messages"),
    ));
    for i in &interchanges {
        let ack = if i.acknowledged {
            format!(
                " · <a href=\"/app/edi/interchanges/{}/acknowledgement\">{}</a>",
                escape(&i.interchange_id),
                l(lang, "受領確認", "acknowledgement")
            )
        } else {
            String::new()
        };
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"status\">{}</td><td>{} / {}</td><td><a href=\"/app/edi/interchanges/{}/file\">{}</a>{ack}</td></tr>",
            if i.direction == "in" { l(lang, "送信", "sent by you") } else { l(lang, "受信", "for you") },
            escape(&i.format),
            escape(&i.reference),
            escape(&i.status),
            i.messages - i.rejected,
            i.messages,
            escape(&i.interchange_id),
            l(lang, "ファイル", "file"),
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// The mailbox: per partner, the documents it sent that wait to be
/// collected, with a button that collects them as one file.
async fn mailbox_html(
    v: &Visit,
    orders: &App,
    caller: &Caller,
    org: &str,
    partner_name: &HashMap<&str, &str>,
) -> String {
    let lang = v.lang;
    let waiting = orders.mailbox(caller, org).await.unwrap_or_default();
    let mut html = format!(
        "<h2>{}</h2><p>{}</p><table id=\"mailbox\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        l(lang, "受信箱", "Mailbox"),
        l(
            lang,
            "取引先から届き、まだファイルで受け取っていない文書です。「受け取る」で取引先ごとに1つのファイルにまとめてダウンロードします（受け取った文書は次から含まれません。ファイルは下の記録からもう一度ダウンロードできます）。",
            "Documents your partners sent that you have not collected as a file yet. Collect downloads them as one file per partner (they are not included again; the file stays downloadable from the record below)."
        ),
        l(lang, "取引先", "Partner"),
        l(lang, "未受取", "Waiting"),
        l(lang, "文書", "Documents"),
        l(lang, "最も古い文書", "Oldest"),
        l(lang, "形式", "Format"),
    );
    for p in &waiting {
        let kinds = p
            .kinds
            .iter()
            .map(|k| format!("{} {}", kind_text(lang, k.kind), k.waiting))
            .collect::<Vec<_>>()
            .join(" · ");
        let inner = format!(
            "<input type=\"hidden\" name=\"key\" value=\"{}\">",
            form_key()
        );
        html.push_str(&format!(
            "<tr class=\"mailbox-partner\" data-partner=\"{id}\"><td>{}</td><td class=\"waiting\">{}</td><td class=\"kinds\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(partner_name.get(p.partner_id.as_str()).copied().unwrap_or(&p.partner_id)),
            p.waiting,
            escape(&kinds),
            day_of(p.oldest_at_ms),
            p.format.as_str(),
            v.form(
                &format!("/app/edi/mailbox/{}/collect", p.partner_id),
                &format!("collect-{}", p.partner_id),
                &inner,
                l(lang, "受け取る", "Collect"),
            ),
            id = escape(&p.partner_id),
        ));
    }
    if waiting.is_empty() {
        html.push_str(&format!(
            "<tr><td colspan=\"6\">{}</td></tr>",
            l(
                lang,
                "受け取っていない文書はありません。",
                "Nothing waits to be collected."
            )
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// Collects what one partner sent as one file and downloads it; the form's
/// key makes a second click return the same file.
async fn mailbox_collect(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path(partner): Path<String>,
    body: Bytes,
) -> Response {
    let (v, f, caller, org, orders) = match p.posted(&headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let language = if v.lang == Lang::Ja {
        sheet::Language::Japanese
    } else {
        sheet::Language::English
    };
    let key = format!("web-{}", f.get("key"));
    match orders
        .mailbox_collect(&caller, &org, &partner, None, language, &key)
        .await
    {
        Ok(Some(collected)) => collected.file.into_response(),
        Ok(None) => redirect(
            &with(
                "/app/edi",
                "notice",
                l(
                    v.lang,
                    "この取引先から受け取る文書はありません。",
                    "Nothing from this partner waits.",
                ),
            ),
            v.visitor.cookies,
        ),
        Err(e) => redirect(&with("/app/edi", "error", &message(e)), v.visitor.cookies),
    }
}

async fn edi_page(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Query(q): Query<PageQuery>,
) -> Response {
    let (v, caller, org, orders) = match p.page(&headers, &client, &q, "/app/edi").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let body = edi_body(&v, &orders, &caller, &org).await;
    v.respond("EDI", "/app/edi", &q, &body)
}

async fn profile_save(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org, orders) = match p.posted(&headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut items = Vec::new();
    for (i, row) in f.get("items").lines().enumerate() {
        if row.trim().is_empty() {
            continue;
        }
        match row.split_once(',') {
            Some((ours, theirs)) => items.push(ItemCode {
                ours: ours.trim().to_string(),
                theirs: theirs.trim().to_string(),
            }),
            None => {
                let text = format!(
                    "{} {}: `{}`",
                    l(v.lang, "品番対応の行", "item code row"),
                    i + 1,
                    row.trim()
                );
                return redirect(&with("/app/edi", "error", &text), v.visitor.cookies);
            }
        }
    }
    let (Some(sends), Some(wants)) = (Format::parse(f.get("sends")), Format::parse(f.get("wants")))
    else {
        return redirect(
            &with(
                "/app/edi",
                "error",
                l(v.lang, "形式を選んでください。", "Choose the formats."),
            ),
            v.visitor.cookies,
        );
    };
    let input = ProfileInput {
        own_wire_id: f.get("own_wire_id").to_string(),
        partner_wire_id: f.get("partner_wire_id").to_string(),
        sends,
        wants,
        items,
    };
    match orders
        .profile_put(&caller, &org, f.get("partner"), input)
        .await
    {
        Ok(_) => redirect(
            &with("/app/edi", "notice", l(v.lang, "保存しました。", "Saved.")),
            v.visitor.cookies,
        ),
        Err(e) => redirect(&with("/app/edi", "error", &message(e)), v.visitor.cookies),
    }
}

async fn upload(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    mut multipart: Multipart,
) -> Response {
    let q = PageQuery::default();
    let v = match visit(&p.ui, &headers, &client, &q).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (Some(caller), Some(org)) = (v.caller().cloned(), v.organisation().map(str::to_string))
    else {
        return redirect("/app", v.visitor.cookies);
    };
    let Some(orders) = p.service.clone() else {
        return p.unavailable(&v, &q);
    };
    let mut csrf = String::new();
    let mut format = String::new();
    let mut file: Option<Vec<u8>> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                        "format" => format = String::from_utf8_lossy(&bytes).into_owned(),
                        "file" => file = Some(bytes.to_vec()),
                        _ => {}
                    },
                    Err(e) => {
                        return redirect(
                            &with("/app/edi", "error", &e.body_text()),
                            v.visitor.cookies,
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return redirect(
                    &with("/app/edi", "error", &e.body_text()),
                    v.visitor.cookies,
                );
            }
        }
    }
    if !session::csrf_ok(&headers, &csrf) {
        return redirect(
            &with(
                "/app/edi",
                "error",
                l(
                    v.lang,
                    "フォームの有効期限が切れました。もう一度お試しください。",
                    "The form expired; please try again.",
                ),
            ),
            v.visitor.cookies,
        );
    }
    let bytes = file.unwrap_or_default();
    let result = orders
        .intake(&caller, &org, bytes, Format::parse(&format))
        .await;
    let mut query = PageQuery::default();
    let mut body = String::new();
    match result {
        Ok(report) => {
            let accepted = report.messages.iter().filter(|m| m.accepted).count();
            query.notice = Some(format!(
                "{} {accepted} / {}",
                l(v.lang, "受け付けたメッセージ:", "Messages accepted:"),
                report.messages.len()
            ));
            body.push_str(&report_html(v.lang, &report));
        }
        Err(e) => query.error = Some(message(e)),
    }
    body.push_str(&edi_body(&v, &orders, &caller, &org).await);
    v.respond("EDI", "/app/edi", &query, &body)
}

async fn interchange_part(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, part)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Response {
    let (v, caller, org, orders) = match p.page(&headers, &client, &q, "/app/edi").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let part = if part == "acknowledgement" {
        InterchangePart::Acknowledgement
    } else {
        InterchangePart::File
    };
    match orders.interchange_file(&caller, &org, &id, part).await {
        Ok(out) => out.into_response(),
        Err(e) => redirect(&with("/app/edi", "error", &message(e)), v.visitor.cookies),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_path_names_the_form_row_it_came_from() {
        // Rows 2 and 4 were filled in: the document's lines[1] is row 4.
        assert_eq!(row_of("lines[1].quantity.value", &[2, 4]), Some(4));
        assert_eq!(row_of("lines[0].item", &[2, 4]), Some(2));
        assert_eq!(row_of("lines[7].item", &[2, 4]), None);
        assert_eq!(row_of("number", &[2, 4]), None);
    }

    fn line(n: u32, ordered: i64) -> Line {
        Line {
            line: n,
            state: LineState::AwaitingResponse,
            item: Item {
                gtin: None,
                buyer_code: Some(format!("CODE-{n}")),
                seller_code: None,
                description: Some("国産 玉ねぎ".into()),
            },
            unit: "CS".into(),
            ordered: Decimal::from_int(ordered),
            unit_price: Some(Decimal::from_int(2480)),
            requested_delivery: Some("2026-11-25".parse().expect("date")),
            delivery_site: None,
            confirmed: None,
            confirmed_price: None,
            confirmed_delivery: None,
            reason: None,
            shipped: Decimal::ZERO,
            received: Decimal::ZERO,
            damaged: Decimal::ZERO,
        }
    }

    fn view(lines: Vec<Line>, status: OrderStatus, channel: &str) -> OrderView {
        let meta = |version: i64| renkei_orders::app::DocumentMeta {
            document_id: format!("doc-{version}"),
            version,
            kind: DocumentKind::Order,
            number: "PO-1".into(),
            sender_id: "shop".into(),
            channel: channel.into(),
            created_at_ms: 1,
            note: None,
        };
        OrderView {
            summary: renkei_orders::app::OrderSummary {
                order_id: "0193aaaa-0000-7000-8000-000000000001".into(),
                number: "PO-1".into(),
                buyer: party("shop"),
                seller: party("wholesaler"),
                side: renkei_orders::app::Side::Buyer,
                status,
                currency: "JPY".into(),
                lines: lines.len(),
                version: 1,
                created_at_ms: 1,
                updated_at_ms: 1,
            },
            line_states: lines,
            partnership_id: "p".into(),
            partnership_version: 1,
            group_id: None,
            group_version: None,
            thread_id: None,
            documents: vec![meta(1)],
        }
    }

    fn form(fields: &[(&str, &str)]) -> FormData {
        FormData(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The form as the page prefills it, with `changes` typed over it.
    fn typed(v: &OrderView, changes: &[(&str, &str)]) -> FormData {
        let mut fields: Vec<(String, String)> = Vec::new();
        for l in &v.line_states {
            let n = l.line;
            fields.push((format!("qty_{n}"), decimal_text(&l.ordered)));
            fields.push((format!("price_{n}"), "2,480".into()));
            fields.push((format!("date_{n}"), "2026-11-25".into()));
        }
        for (name, value) in changes {
            if let Some(f) = fields.iter_mut().find(|(k, _)| k == name) {
                f.1 = value.to_string();
            }
        }
        FormData(fields)
    }

    #[test]
    fn only_changed_lines_go_into_the_order_change() {
        let v = view(
            vec![line(1, 12), line(2, 20)],
            OrderStatus::AwaitingResponse,
            "web",
        );
        let change = change_from(&typed(&v, &[("qty_2", "25")]), &v, Lang::Ja)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(change.order_number, "PO-1");
        assert_eq!(change.lines.len(), 1, "line 1 is as it was");
        let changed = &change.lines[0];
        assert_eq!(changed.action, ChangeAction::Changed);
        assert_eq!(changed.line.line, 2);
        assert_eq!(changed.line.quantity.value, Decimal::from_int(25));
        assert_eq!(changed.line.quantity.unit, "CS");
        assert_eq!(changed.line.item, v.line_states[1].item);
        assert_eq!(changed.line.unit_price, Some(Decimal::from_int(2480)));
        let date = change_from(
            &typed(&v, &[("date_1", "2026-12-01"), ("price_1", "")]),
            &v,
            Lang::En,
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(date.lines[0].line.line, 1);
        assert_eq!(date.lines[0].line.unit_price, None, "a cleared price");
        assert_eq!(
            date.lines[0].line.requested_delivery,
            Some("2026-12-01".parse().expect("date"))
        );
        assert_eq!(change.note, None, "no reason typed");
        assert!(rules_accept(Document::OrderChange(change)));
    }

    #[test]
    fn the_reason_typed_goes_with_the_change_as_its_note() {
        let v = view(vec![line(1, 12)], OrderStatus::AwaitingResponse, "web");
        let mut f = typed(&v, &[("qty_1", "15")]);
        f.0.push((
            "note".into(),
            "  特売のため増量 <急ぎ>\r\n週末着で  ".into(),
        ));
        let change = change_from(&f, &v, Lang::Ja).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            change.note.as_deref(),
            Some("特売のため増量 <急ぎ>\r\n週末着で"),
            "trimmed, otherwise as typed"
        );
        assert!(rules_accept(Document::OrderChange(change)));
        f.0.retain(|(k, _)| k != "qty_1");
        f.0.push(("qty_1".into(), "12".into()));
        let e = change_from(&f, &v, Lang::Ja).expect_err("a reason alone changes nothing");
        assert!(e.message.contains("変更がありません"), "{}", e.message);
    }

    fn rules_accept(document: Document) -> bool {
        renkei_edi::rules::check(&document).is_empty()
    }

    #[test]
    fn bad_values_name_their_line_and_field() {
        let v = view(
            vec![line(1, 12), line(2, 20)],
            OrderStatus::Confirmed,
            "web",
        );
        for (field, value, words) in [
            ("qty_2", "二十", ["明細 2", "数量", "二十"]),
            ("qty_2", "-3", ["明細 2", "数量", "-3"]),
            ("qty_1", "0", ["明細 1", "数量", "0"]),
            ("qty_1", "", ["明細 1", "数量", "入れて"]),
            ("price_2", "-1", ["明細 2", "単価", "-1"]),
            ("date_1", "2026-02-30", ["明細 1", "希望納期", "2026-02-30"]),
        ] {
            let e = change_from(&typed(&v, &[(field, value)]), &v, Lang::Ja)
                .err()
                .unwrap_or_else(|| panic!("{field}={value} is refused"));
            let n: u32 = field[field.len() - 1..].parse().expect("a line");
            assert_eq!(e.line, Some(n), "{field}={value}: {}", e.message);
            for w in words {
                assert!(e.message.contains(w), "{w} in {}", e.message);
            }
        }
        let e = change_from(&typed(&v, &[("qty_2", "abc")]), &v, Lang::En).expect_err("refused");
        assert!(e.message.contains("line 2 quantity"), "{}", e.message);
    }

    #[test]
    fn nothing_changed_is_refused_without_a_line() {
        let v = view(vec![line(1, 12)], OrderStatus::AwaitingResponse, "web");
        let e = change_from(&typed(&v, &[]), &v, Lang::Ja).expect_err("refused");
        assert_eq!(e.line, None);
        assert!(e.message.contains("変更がありません"), "{}", e.message);
        let e = change_from(&form(&[]), &v, Lang::Ja).expect_err("refused");
        assert_eq!(e.line, Some(1), "an empty quantity: {}", e.message);
    }

    #[test]
    fn the_form_offers_only_what_the_rules_take() {
        let mut shipped = line(1, 12);
        shipped.state = LineState::Accepted;
        shipped.shipped = Decimal::from_int(4);
        let mut deleted = line(3, 5);
        deleted.state = LineState::Deleted;
        let lines = vec![shipped, line(2, 20), deleted];
        let open = view(lines.clone(), OrderStatus::PartiallyDespatched, "web");
        let offered: Vec<u32> = open.changeable_lines().iter().map(|l| l.line).collect();
        assert_eq!(offered, [2]);
        let e = change_from(&typed(&open, &[("qty_1", "99")]), &open, Lang::Ja)
            .expect_err("line 1 is not offered, so nothing changed");
        assert_eq!(e.line, None);
        for status in [
            OrderStatus::Despatched,
            OrderStatus::Received,
            OrderStatus::Cancelled,
        ] {
            assert!(
                view(lines.clone(), status, "web")
                    .changeable_lines()
                    .is_empty()
            );
        }
        let joint = view(lines, OrderStatus::AwaitingResponse, "joint_purchase");
        assert!(joint.joint_purchase());
        assert!(joint.changeable_lines().is_empty());
    }
}
