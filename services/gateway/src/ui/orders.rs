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
    extract::{DefaultBodyLimit, Multipart, Path, Query, RawQuery, State},
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
    app::{
        App, AppError, Collected, DocumentView, IntakeReport, InterchangePart, OrderView,
        ProfileInput, Submission,
    },
    db::OrderFilter,
    domain::{Channel, Line, LineState, OrderStatus, edi::ItemCode},
};
use serde::Deserialize;
use serde_json::Value;

use super::{
    Lang,
    collab::{
        FormData, PageQuery, ServicePages, Ui, Visit, active_partners, input, l, names, post_form,
        redirect, select, visit, with,
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

/// The EDI page's query: a page's, and the interchange just collected from
/// the mailbox, to download.
#[derive(Debug, Default, Deserialize)]
struct EdiQuery {
    #[serde(flatten)]
    page: PageQuery,
    collected: Option<String>,
}

/// The EDI page in `lang` with `message` as its `key` (notice or error).
fn edi_with(lang: Lang, key: &str, message: &str) -> String {
    with(&format!("/app/edi?lang={}", lang.code()), key, message)
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

/// What the fields of a document are called on the page, in both languages.
const FIELD_LABELS: [(&str, &str, &str); 27] = [
    ("quantity", "数量", "quantity"),
    ("quantity.value", "数量", "quantity"),
    ("quantity.unit", "単位", "unit"),
    ("unit_price", "単価", "unit price"),
    ("requested_delivery", "希望納期", "requested delivery"),
    ("confirmed_delivery", "納期", "delivery date"),
    ("item", "品目", "item"),
    ("item.gtin", "GTIN/JAN", "GTIN/JAN"),
    ("item.buyer_code", "発注者の品番", "buyer's item code"),
    ("item.seller_code", "受注者の品番", "seller's item code"),
    ("item.description", "品名", "item name"),
    ("received", "受領数", "quantity received"),
    ("received.value", "受領数", "quantity received"),
    ("received.unit", "単位", "unit"),
    ("damaged", "破損数", "quantity damaged"),
    ("reason", "理由", "reason"),
    ("line", "明細番号", "line number"),
    ("lines", "明細", "lines"),
    ("number", "文書番号", "document number"),
    ("order_number", "注文番号", "order number"),
    ("note", "備考", "note"),
    ("currency", "通貨", "currency"),
    ("carrier", "運送会社", "carrier"),
    ("tracking", "送り状番号", "tracking number"),
    ("packages", "個口数", "packages"),
    ("buyer.id", "発注者", "buyer"),
    ("seller.id", "受注者", "seller"),
];

/// What each canonical document rule ([`renkei_edi::rules::RULES`]) says,
/// in Japanese, by the rule's stable name; the field it is about is named
/// before it. (In English the rule's own message is shown.)
const REASONS_JA: [(&str, &str); 20] = [
    ("number_required", "番号を入れてください"),
    ("number_too_long", "番号は35文字以内で入れてください"),
    (
        "number_control_character",
        "番号に改行やタブなどの制御文字は使えません",
    ),
    ("text_too_long", "2000文字以内で入れてください"),
    ("party_required", "取引先を選んでください"),
    ("party_too_long", "取引先の識別子が長すぎます（64文字まで）"),
    ("parties_same", "発注者と受注者は別の組織にしてください"),
    (
        "currency_unknown",
        "ISO 4217 の通貨コード（JPY など）を入れてください",
    ),
    ("item_unidentified", "GTIN/JANか品番を入れてください"),
    (
        "gtin_invalid",
        "GTIN/JANではありません（8・12・13・14桁で、最後の桁はチェックデジット）",
    ),
    ("item_code_length", "品番は1〜35文字で入れてください"),
    ("quantity_negative", "0以上で入れてください"),
    ("quantity_not_positive", "0より大きい数を入れてください"),
    (
        "unit_unknown",
        "単位コードが正しくありません（H87、KGM、CS など）",
    ),
    ("price_negative", "単価は0以上で入れてください"),
    ("lines_required", "明細を1行以上入れてください"),
    ("line_number_zero", "明細番号は1から始まります"),
    ("line_number_twice", "明細番号が重なっています"),
    ("receipt_line_empty", "受領数か破損数を入れてください"),
    ("carrier_or_tracking_too_long", "35文字以内で入れてください"),
];

/// What a document field (`quantity.value`, `carrier`) is called in `lang`.
fn field_label(lang: Lang, field: &str) -> Option<&'static str> {
    FIELD_LABELS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, ja, en)| l(lang, ja, en))
}

/// A field of the line the user sees as `n`: "明細 2 の数量", "line 2 quantity".
fn line_field(lang: Lang, n: impl std::fmt::Display, what: &str) -> String {
    match lang {
        Lang::Ja => format!("明細 {n} の{what}"),
        Lang::En => format!("line {n} {what}"),
    }
}

/// A message about line `n` as a whole: "明細 2: …", "line 2: …".
fn on_line(lang: Lang, n: impl std::fmt::Display, text: &str) -> String {
    format!("{} {n}: {text}", l(lang, "明細", "line"))
}

/// A document's field path (`lines[1].damaged`) in words, with the line it
/// is about: `lines` holds, per index of the document's lines, the number
/// the user sees for it.
fn field_words(lang: Lang, path: &str, lines: &[u32]) -> (Option<u32>, String) {
    let at_line = path.strip_prefix("lines[").and_then(|rest| {
        let (index, field) = rest.split_once(']')?;
        let n = *lines.get(index.parse::<usize>().ok()?)?;
        Some((n, field.trim_start_matches('.')))
    });
    match at_line {
        Some((n, "")) => (Some(n), format!("{} {n}", l(lang, "明細", "line"))),
        Some((n, field)) => (
            Some(n),
            line_field(lang, n, field_label(lang, field).unwrap_or(field)),
        ),
        None => (None, field_label(lang, path).unwrap_or(path).to_string()),
    }
}

/// The line number a refusal's message names ("line 2 is …").
fn line_named(text: &str) -> Option<u32> {
    let rest = &text[text.find("line ")? + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Every rule the order cycle (and the orders service around it) refuses a
/// document by, and what it means in both languages: an answer of a line
/// in the words the response form uses.
const RULES: [(&str, &str, &str); 28] = [
    (
        "accepted_quantity_differs",
        "数量が注文と違います。変えるなら「変更して承諾」を選んでください",
        "the quantity differs from the order's; to change it choose \"accept with changes\"",
    ),
    (
        "accepted_price_differs",
        "単価が注文と違います。変えるなら「変更して承諾」を選んでください",
        "the price differs from the order's; to change it choose \"accept with changes\"",
    ),
    (
        "accepted_date_differs",
        "納期が希望納期と違います。変えるなら「変更して承諾」を選んでください",
        "the date differs from the one asked for; to change it choose \"accept with changes\"",
    ),
    (
        "changed_without_change",
        "数量・単価・納期が注文のままです。変えないなら「承諾」を選んでください",
        "the quantity, price and date are those ordered; change one or choose \"accept\"",
    ),
    (
        "changed_to_nothing",
        "確定数量が0です。出せないなら「不可」を選んでください",
        "the confirmed quantity is zero; choose \"reject\" instead",
    ),
    (
        "confirmed_above_ordered",
        "確定数量が注文数を超えています",
        "the confirmed quantity is above the quantity ordered",
    ),
    (
        "line_not_awaiting_response",
        "この明細は回答待ちではありません（回答済みか削除済みです）。画面を読み込み直してください",
        "the line does not wait for an answer (it was answered or deleted); reload the page",
    ),
    (
        "line_repeated",
        "同じ明細に2回回答しています",
        "the line is answered twice",
    ),
    (
        "line_deleted",
        "この明細は削除されています",
        "the line was deleted",
    ),
    (
        "no_change_after_despatch",
        "出荷された明細は変更できません",
        "the line has been shipped against and can no longer change",
    ),
    (
        "no_change_after_full_despatch",
        "確定した分はすべて出荷済みのため、注文は変更できません",
        "everything confirmed has been shipped; the order can no longer change",
    ),
    (
        "line_exists",
        "この明細番号はすでにあります。新しい明細には新しい番号を付けてください",
        "the line number exists; a new line needs a new number",
    ),
    (
        "unknown_line",
        "注文にない明細です",
        "the order has no such line",
    ),
    (
        "no_cancellation_after_despatch",
        "出荷された明細があるため取り消せません。残りの明細は注文の変更で削除してください",
        "goods have been shipped against the order; delete the remaining lines with an order change instead",
    ),
    (
        "order_cancelled",
        "この注文は取り消されています",
        "the order was cancelled; nothing may follow",
    ),
    (
        "no_despatch_for_rejected_line",
        "受注不可と回答した明細は出荷できません",
        "a rejected line cannot be shipped",
    ),
    (
        "no_despatch_before_response",
        "回答していない明細は出荷できません。先に回答してください",
        "a line cannot be shipped before it is answered",
    ),
    (
        "despatch_exceeds_confirmed",
        "出荷数の合計が確定数量を超えます",
        "the quantity shipped would exceed what was confirmed",
    ),
    (
        "no_receipt_before_despatch",
        "まだ出荷されていない明細は受領できません",
        "nothing was shipped on the line to be received",
    ),
    (
        "receipt_exceeds_despatched",
        "受領数と破損数の合計が出荷数を超えます",
        "received and damaged together would exceed what was shipped",
    ),
    (
        "unknown_despatch",
        "この注文にその番号の出荷案内はありません",
        "no despatch advice with that number was sent for the order",
    ),
    (
        "unit_mismatch",
        "単位が注文と違います",
        "the unit differs from the order's",
    ),
    (
        "item_mismatch",
        "品目が注文の明細と違います",
        "the item differs from the one ordered on the line",
    ),
    (
        "currency_mismatch",
        "通貨が注文と違います",
        "the currency differs from the order's",
    ),
    (
        "document_number_repeated",
        "同じ番号の文書がこの注文ですでに送られています",
        "a document of this kind with this number was already sent for the order",
    ),
    (
        "order_number_taken",
        "この注文番号はすでに使われています。注文を変えるなら注文の変更を送ってください",
        "the order number is taken; to change the order send an order change",
    ),
    (
        "unknown_order",
        "該当する注文がありません",
        "there is no such order",
    ),
    (
        "joint_purchase_change",
        "共同発注の注文は変更できません（取り消すことはできます）",
        "a joint-purchase order cannot be changed, only cancelled",
    ),
];

/// What a refusal by `rule` means, in `lang`.
fn rule_text(lang: Lang, rule: &str) -> Option<&'static str> {
    RULES
        .iter()
        .find(|(r, _, _)| *r == rule)
        .map(|(_, ja, en)| l(lang, ja, en))
}

/// A use case's refusal of a document the page built, in `lang`, with the
/// line it is about: a field path reads as the line and field the user
/// sees (`lines` numbers the document's lines as in [`field_words`]), a
/// refusal by the order cycle as [`RULES`] words it, on the line its
/// message names, with the rule's name after it for support.
fn explain(lang: Lang, e: AppError, lines: &[u32]) -> FormError {
    if let AppError::Refused(r) = &e {
        let line = line_named(&r.message);
        let text = rule_text(lang, r.rule).unwrap_or(&r.message);
        let said = match line {
            Some(n) => on_line(lang, n, text),
            None => text.to_string(),
        };
        return FormError {
            line,
            message: format!("{said} ({})", r.rule),
        };
    }
    let api: renkei_kernel::ApiError = e.into();
    match (&api.field, &api.rule) {
        (Some(field), _) if !field.is_empty() => {
            let (line, words) = field_words(lang, field, lines);
            let reason = match (lang, &api.rule) {
                (Lang::Ja, Some(rule)) => REASONS_JA
                    .iter()
                    .find(|(name, _)| name == rule)
                    .map_or(api.message.as_str(), |(_, ja)| ja),
                _ => api.message.as_str(),
            };
            FormError {
                line,
                message: format!("{words}: {reason}"),
            }
        }
        (_, Some(rule)) => FormError {
            line: line_named(&api.message),
            message: format!("{} ({rule})", api.message),
        },
        _ => api.message.into(),
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

/// A unit as the page shows it: by the name the forms use, with its code
/// as the title; a code not in [`UNITS`] as it is.
fn unit_html(lang: Lang, code: &str) -> String {
    if UNITS.iter().any(|(c, _, _)| *c == code) {
        format!(
            "<span class=\"unit\" title=\"{}\">{}</span>",
            escape(code),
            escape(&unit_name(lang, code))
        )
    } else {
        format!("<span class=\"unit\">{}</span>", escape(code))
    }
}

/// The unit picker of a table row, named `label` for screen readers.
pub(super) fn unit_select(lang: Lang, name: &str, chosen: &str, label: &str) -> String {
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
    format!(
        "<select name=\"{name}\" aria-label=\"{}\">{options}</select>",
        escape(label)
    )
}

/// A bare input (no label, no id), for forms repeated on one page.
pub(super) fn field(name: &str, kind: &str, value: &str, extra: &str) -> String {
    format!(
        "<input type=\"{kind}\" name=\"{name}\" value=\"{}\" {extra}>",
        escape(value)
    )
}

/// A bare input of line `n` of a table form, named for screen readers by
/// its line and `what` it holds ("明細 2 の数量").
fn line_input(
    lang: Lang,
    n: impl std::fmt::Display,
    what: &str,
    name: &str,
    kind: &str,
    value: &str,
    extra: &str,
) -> String {
    let label = format!("aria-label=\"{}\"", escape(&line_field(lang, n, what)));
    field(name, kind, value, format!("{extra} {label}").trim_start())
}

/// The row under a table form's row that says what is wrong with it, across
/// the whole table so that it is never cut off.
fn row_error(id: &str, columns: usize, text: &str) -> String {
    format!(
        "<tr class=\"error line-error-row\"><td colspan=\"{columns}\" class=\"line-error\" id=\"{id}\" role=\"alert\">{}</td></tr>",
        escape(text)
    )
}

/// A wide table in a box that scrolls sideways on a narrow screen.
fn scroll(table: &str) -> String {
    format!("<div class=\"scroll\">{table}</div>")
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

/// Gives a party the name collab knows it by (`names`, by organisation
/// id), so that every file written from a document the page builds carries
/// it; a party collab does not name keeps the name it has.
fn name_party(p: &mut Party, names: &HashMap<String, String>) {
    if let Some(name) = names.get(&p.id) {
        p.name = Some(name.clone());
    }
}

/// [`name_party`] for a document's buyer and seller.
fn name_parties(document: &mut Document, names: &HashMap<String, String>) {
    let (buyer, seller) = document.parties_mut();
    name_party(buyer, names);
    name_party(seller, names);
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
    Query(mut q): Query<ListQuery>,
    RawQuery(asked): RawQuery,
) -> Response {
    q.page.asked = asked;
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
    let table = scroll(&table);
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
    let rows = order_rows(lang, &form);
    let inner = format!(
        "<input type=\"hidden\" name=\"key\" value=\"{key}\">\
         <label>{partner_label}<select name=\"partner\" id=\"partner\">{options}</select></label>\
         {number}{delivery}{note}\
         <div class=\"scroll\"><table id=\"order-lines\"><thead><tr><th>#</th><th>{item}</th><th>{code}</th><th>GTIN/JAN</th><th>{qty}</th><th>{unit}</th><th>{price}</th></tr></thead><tbody>{rows}</tbody></table></div>",
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

/// The line rows of the new-order form with what was typed; a row's error
/// in a row of its own under it.
fn order_rows(lang: Lang, form: &OrderForm) -> String {
    let value = |name: &str| form.values.get(name).cloned().unwrap_or_default();
    let mut rows = String::new();
    for r in 1..=ORDER_ROWS {
        let error = match &form.line_error {
            Some((row, text)) if *row == r => Some(text),
            _ => None,
        };
        let input = |what: &str, name: &str, extra: &str| {
            let name = format!("{name}_{r}");
            line_input(lang, r, what, &name, "text", &value(&name), extra)
        };
        rows.push_str(&format!(
            "<tr{} id=\"line-{r}\"><td>{r}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if error.is_some() { " class=\"error\"" } else { "" },
            input(l(lang, "品名", "item"), "item", ""),
            input(l(lang, "自社品番", "your code"), "code", "size=\"10\""),
            input("GTIN/JAN", "gtin", "size=\"14\" inputmode=\"numeric\""),
            input(l(lang, "数量", "quantity"), "qty", "size=\"6\" inputmode=\"decimal\""),
            unit_select(
                lang,
                &format!("unit_{r}"),
                &value(&format!("unit_{r}")),
                &line_field(lang, r, l(lang, "単位", "unit"))
            ),
            input(l(lang, "単価", "unit price"), "price", "size=\"8\" inputmode=\"decimal\""),
        ));
        if let Some(text) = error {
            rows.push_str(&row_error(&format!("line-error-{r}"), 7, text));
        }
    }
    rows
}

async fn new_order(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    q: PageQuery,
) -> Response {
    let (v, caller, org, _) = match p.page(&headers, &client, &q, "/app/orders/new").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_order_form(&v, &caller, &org, &q, OrderForm::default()).await
}

/// The order the form describes, its parties named as in `names`, with the
/// form row of each line; or the first problem, with its row when it is
/// about one.
fn order_from(
    f: &FormData,
    org: &str,
    names: &HashMap<String, String>,
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
        let price = f.opt(&format!("price_{r}"));
        if qty.is_none() && item.is_none() && code.is_none() && gtin.is_none() && price.is_none() {
            continue;
        }
        let quantity = decimal(
            f,
            &format!("qty_{r}"),
            &line_field(lang, r, l(lang, "数量", "quantity")),
            lang,
        )
        .map_err(|e| (Some(r), e))?
        .ok_or_else(|| {
            (
                Some(r),
                on_line(lang, r, l(lang, "数量を入れてください", "enter a quantity")),
            )
        })?;
        let unit_price = decimal(
            f,
            &format!("price_{r}"),
            &line_field(lang, r, l(lang, "単価", "unit price")),
            lang,
        )
        .map_err(|e| (Some(r), e))?;
        if item.is_none() && code.is_none() && gtin.is_none() {
            return Err((
                Some(r),
                on_line(
                    lang,
                    r,
                    l(
                        lang,
                        "品番かGTIN/JANを入れてください",
                        "enter the item's code or GTIN/JAN",
                    ),
                ),
            ));
        }
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
    let mut order = Order {
        number: f.get("number").trim().to_string(),
        issued: today(),
        buyer: party(org),
        seller: party(&partner),
        currency: "JPY".into(),
        note: f.opt("note"),
        lines,
    };
    name_party(&mut order.buyer, names);
    name_party(&mut order.seller, names);
    Ok((order, rows))
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
    let partner = f.get("partner").to_string();
    let named = names(&v, &caller, vec![org.clone(), partner]).await;
    let (order, rows) = match order_from(&f, &org, &named, v.lang) {
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
        Err(e) => {
            let rows: Vec<u32> = rows.iter().filter_map(|r| u32::try_from(*r).ok()).collect();
            let e = explain(v.lang, e, &rows);
            let row = e.line.and_then(|n| usize::try_from(n).ok());
            render_order_form(&v, &caller, &org, &q, failed(row, e.message)).await
        }
    }
}

fn decimal_text(d: &Decimal) -> String {
    d.to_string()
}

/// The links that download document `version` of an order in each format.
/// EDIFACT and X12 files carry both sides' interchange ids, so without an
/// EDI profile for the partner (`edi` false) a note that links to the EDI
/// page stands in their place.
fn download_links(lang: Lang, order_id: &str, version: i64, edi: bool) -> String {
    let link = |format: &str, label: &str| {
        format!(
            "<a class=\"download\" href=\"/app/orders/{}/documents/{version}/file?format={format}\">{label}</a>",
            escape(order_id)
        )
    };
    let mut links = vec![link("csv", "CSV"), link("xlsx", "Excel")];
    if edi {
        links.push(link("edifact_d96a", "EDIFACT"));
        links.push(link("x12_004010", "X12"));
    } else {
        links.push(format!(
            "<span class=\"edi-missing\">EDIFACT/X12: <a href=\"/app/edi#profile-form\">{}</a></span>",
            l(
                lang,
                "先にEDIプロファイルを設定してください",
                "set up an EDI profile first"
            )
        ));
    }
    links.push(link("ubl21", "UBL"));
    links.join(" ")
}

async fn detail(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
    q: PageQuery,
) -> Response {
    let here = format!("/app/orders/{id}");
    let (v, caller, org, orders) = match p.page(&headers, &client, &q, &here).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_detail(&v, &caller, &org, &orders, &id, q, None).await
}

/// A form of the order page as it was posted, when it was refused: the
/// action it posts to, the values typed, the error and the line it is about.
struct Refused {
    action: String,
    values: HashMap<String, String>,
    error: String,
    line: Option<u32>,
}

/// What was typed into `name` of a refused form, else `current`.
fn typed(refused: Option<&Refused>, name: &str, current: String) -> String {
    refused
        .and_then(|r| r.values.get(name).cloned())
        .unwrap_or(current)
}

/// The error of a refused form when it is about line `n`.
fn error_on(refused: Option<&Refused>, n: u32) -> Option<&str> {
    refused
        .filter(|r| r.line == Some(n))
        .map(|r| r.error.as_str())
}

/// ` class="error"` for a row that has an error.
fn error_class(error: Option<&str>) -> &'static str {
    if error.is_some() {
        " class=\"error\""
    } else {
        ""
    }
}

/// The order page; with `refused`, that form keeps what was typed, marks
/// its line and shows its error (422).
async fn render_detail(
    v: &Visit,
    caller: &Caller,
    org: &str,
    orders: &App,
    id: &str,
    mut q: PageQuery,
    refused: Option<Refused>,
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
    let mut despatches = HashMap::new();
    for d in &view.documents {
        if d.kind != DocumentKind::DespatchAdvice {
            continue;
        }
        if let Ok(DocumentView {
            document: Document::DespatchAdvice(advice),
            ..
        }) = orders.document(caller, org, id, d.version).await
        {
            despatches.insert(d.version, advice);
        }
    }
    let s = &view.summary;
    let named = names(v, caller, vec![s.buyer.id.clone(), s.seller.id.clone()]).await;
    let name = |id: &str| named.get(id).cloned().unwrap_or_else(|| id.to_string());
    let selling = s.seller.id == org;
    let partner = if selling { &s.buyer.id } else { &s.seller.id };
    let edi = orders
        .profiles(caller, org)
        .await
        .is_ok_and(|profiles| profiles.iter().any(|p| p.partner_id == *partner));
    let html = format!(
        "<p><a href=\"/app/orders\">← {}</a></p>\
         <h1>{} <span id=\"order-number\">{}</span></h1>\
         <p>{}: {} → {}: {} · {}: <strong id=\"order-status\" data-status=\"{}\">{}</strong></p>{}{}<h2>{}</h2>{}",
        l(lang, "一覧へ", "All orders"),
        l(lang, "注文", "Order"),
        escape(&s.number),
        l(lang, "発注者", "Buyer"),
        escape(&name(&s.buyer.id)),
        l(lang, "受注者", "Seller"),
        escape(&name(&s.seller.id)),
        l(lang, "状態", "Status"),
        s.status.as_str(),
        status_text(lang, s.status),
        scroll(&lines_table(lang, &view)),
        actions(lang, &v.visitor.csrf, &view, selling, refused.as_ref()),
        l(lang, "文書の履歴", "Document history"),
        scroll(&history_table(lang, &view, &despatches, &name, edi)),
    );
    if let Some(refused) = &refused {
        q.error = Some(refused.error.clone());
    }
    let mut r = v.respond(&s.number, &here, &q, &html);
    if refused.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `ordered`, and beside it what the seller confirmed when that is given
/// and differs.
fn with_confirmed<T: PartialEq + ToString>(
    lang: Lang,
    ordered: Option<T>,
    confirmed: Option<T>,
    class: &str,
) -> String {
    let mut out = ordered.as_ref().map(T::to_string).unwrap_or_default();
    if let Some(c) = confirmed.filter(|c| Some(c) != ordered.as_ref()) {
        out.push_str(&format!(
            " <span class=\"{class}\">→ {} {}</span>",
            l(lang, "確定", "confirmed"),
            escape(&c.to_string())
        ));
    }
    out
}

/// The lines of an order: what was ordered, what the seller confirmed
/// beside it where it differs, and what was shipped, received and damaged.
fn lines_table(lang: Lang, view: &OrderView) -> String {
    let mut html = format!(
        "<table id=\"lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "品名・品番", "Item"),
        l(lang, "注文数", "Ordered"),
        l(lang, "単価", "Price"),
        l(lang, "納期", "Delivery"),
        l(lang, "状態", "State"),
        l(lang, "確定数", "Confirmed"),
        l(lang, "出荷数", "Shipped"),
        l(lang, "受領数", "Received"),
        l(lang, "破損数", "Damaged"),
        l(lang, "理由", "Reason"),
    );
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
        let confirmed = line.confirmed.map(|c| {
            if c == line.ordered {
                decimal_text(&c)
            } else {
                format!("<span class=\"changed\">{}</span>", decimal_text(&c))
            }
        });
        html.push_str(&format!(
            "<tr id=\"line-{n}\"><td>{n}</td><td>{}</td><td class=\"ordered\">{} {}</td><td class=\"price\">{}</td><td class=\"delivery\">{}</td><td class=\"state\">{}</td><td class=\"confirmed\">{}</td><td class=\"shipped\">{}</td><td class=\"received\">{}</td><td class=\"damaged\">{}</td><td>{}</td></tr>",
            escape(&label),
            decimal_text(&line.ordered),
            unit_html(lang, &line.unit),
            with_confirmed(lang, line.unit_price, line.confirmed_price, "confirmed-price"),
            with_confirmed(lang, line.requested_delivery, line.confirmed_delivery, "confirmed-delivery"),
            line_state_text(lang, line.state),
            confirmed.unwrap_or_default(),
            decimal_text(&line.shipped),
            decimal_text(&line.received),
            decimal_text(&line.damaged),
            escape(line.reason.as_deref().unwrap_or("")),
            n = line.line,
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// How a despatch advice travels: carrier, tracking number, packages and
/// the day it is expected, those it gives.
fn despatch_text(lang: Lang, d: &DespatchAdvice) -> String {
    [
        (l(lang, "運送会社", "Carrier"), d.carrier.clone()),
        (l(lang, "送り状番号", "Tracking number"), d.tracking.clone()),
        (l(lang, "個口数", "Packages"), Some(d.packages.to_string())),
        (
            l(lang, "到着予定日", "Expected"),
            d.expected_delivery.map(|e| e.to_string()),
        ),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| format!("{label}: {v}")))
    .collect::<Vec<_>>()
    .join(" · ")
}

/// The documents of an order, oldest first, with each one's note and, for
/// a despatch advice (`despatches` by version), how it travels; `edi` says
/// whether the caller has an EDI profile for the partner (see
/// [`download_links`]).
fn history_table(
    lang: Lang,
    view: &OrderView,
    despatches: &HashMap<i64, DespatchAdvice>,
    name: &dyn Fn(&str) -> String,
    edi: bool,
) -> String {
    let mut html = format!(
        "<table id=\"history\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "文書", "Document"),
        l(lang, "番号", "Number"),
        l(lang, "送信者", "Sent by"),
        l(lang, "経路", "Channel"),
        l(lang, "備考・出荷の詳細", "Note or despatch details"),
        l(lang, "ダウンロード", "Download"),
    );
    for d in &view.documents {
        let note = match despatches.get(&d.version) {
            Some(advice) => format!(
                "<span class=\"despatch\">{}</span>",
                escape(&despatch_text(lang, advice))
            ),
            None => escape(d.note.as_deref().unwrap_or("")),
        };
        html.push_str(&format!(
            "<tr id=\"document-{v}\"><td>{v}</td><td class=\"kind\" data-kind=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"note\">{note}</td><td>{}</td></tr>",
            d.kind.as_str(),
            kind_text(lang, d.kind),
            escape(&d.number),
            escape(&name(&d.sender_id)),
            escape(&d.channel),
            download_links(lang, &view.summary.order_id, d.version, edi),
            v = d.version,
        ));
    }
    html.push_str("</tbody></table>");
    html
}

/// The forms the caller's side may use now, posting with the visitor's
/// `csrf` token; `refused` is a refused form to show again.
fn actions(
    lang: Lang,
    csrf: &str,
    view: &OrderView,
    selling: bool,
    refused: Option<&Refused>,
) -> String {
    let s = &view.summary;
    let key = format!(
        "<input type=\"hidden\" name=\"key\" value=\"{}\">",
        form_key()
    );
    let refused_for = |action: &str| refused.filter(|r| r.action == action);
    let form = |action: &str, form_id: &str, title: &str, inner: &str, submit: &str| {
        format!(
            "<h2>{}</h2>{}",
            escape(title),
            post_form(
                csrf,
                &format!("/app/orders/{}/{action}", s.order_id),
                form_id,
                &format!("{key}{inner}"),
                submit
            )
        )
    };
    let mut out = String::new();
    let awaiting: Vec<_> = view
        .line_states
        .iter()
        .filter(|l| l.state == LineState::AwaitingResponse)
        .collect();
    if selling && !awaiting.is_empty() {
        out.push_str(&form(
            "respond",
            "response-form",
            l(lang, "明細ごとに回答する", "Answer line by line"),
            &response_rows(lang, &awaiting, refused_for("respond")),
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
        out.push_str(&form(
            "despatch",
            "despatch-form",
            l(lang, "出荷を登録する", "Record a despatch"),
            &despatch_rows(lang, &to_ship, refused_for("despatch")),
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
        out.push_str(&form(
            "receive",
            "receipt-form",
            l(lang, "受領を登録する", "Record a receipt"),
            &receipt_rows(lang, &to_receive, refused_for("receive")),
            l(lang, "受領通知を送る", "Send receipt advice"),
        ));
    }
    let changeable = view.changeable_lines();
    if !selling && !changeable.is_empty() {
        out.push_str(&form(
            "change",
            "change-form",
            l(lang, "注文を変更する", "Change the order"),
            &change_rows(lang, &changeable, refused_for("change")),
            l(lang, "変更を送る", "Send the change"),
        ));
    }
    let shipped_any = view.line_states.iter().any(|l| !l.shipped.is_zero());
    if !selling
        && !shipped_any
        && !matches!(s.status, OrderStatus::Cancelled | OrderStatus::Rejected)
    {
        let inner = format!(
            "<label>{}<input type=\"text\" name=\"reason\" id=\"cancel-reason\" value=\"{}\" required></label>",
            l(lang, "取消の理由（必須）", "Reason (required)"),
            escape(&typed(refused_for("cancel"), "reason", String::new())),
        );
        out.push_str(&form(
            "cancel",
            "cancel-form",
            l(lang, "注文を取り消す", "Cancel the order"),
            &inner,
            l(lang, "取り消す", "Cancel order"),
        ));
    }
    out
}

/// The response form's table: per line awaiting an answer, the answer and
/// the quantity, price and date prefilled with those ordered, and the
/// reason (after a refusal, what was typed, the error under its line).
fn response_rows(lang: Lang, lines: &[&Line], refused: Option<&Refused>) -> String {
    let mut rows = String::new();
    for line in lines {
        let n = line.line;
        let error = error_on(refused, n);
        let value = |name: &str, current: String| typed(refused, &format!("{name}_{n}"), current);
        let chosen = value("status", "accepted".into());
        let options: String = [
            ("accepted", l(lang, "承諾", "accept")),
            ("changed", l(lang, "変更して承諾", "accept with changes")),
            ("rejected", l(lang, "不可", "reject")),
        ]
        .iter()
        .map(|(v, text)| {
            format!(
                "<option value=\"{v}\"{}>{text}</option>",
                if *v == chosen { " selected" } else { "" }
            )
        })
        .collect();
        rows.push_str(&format!(
            "<tr id=\"respond-line-{n}\"{}><td>{n}</td><td>{}</td><td><select name=\"status_{n}\" aria-label=\"{}\">{options}</select></td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            error_class(error),
            escape(line.item.description.as_deref().unwrap_or("")),
            escape(&line_field(lang, n, l(lang, "回答", "answer"))),
            line_input(lang, n, l(lang, "数量", "quantity"), &format!("qty_{n}"), "text", &value("qty", decimal_text(&line.ordered)), "size=\"6\" inputmode=\"decimal\""),
            escape(&unit_name(lang, &line.unit)),
            line_input(lang, n, l(lang, "単価", "unit price"), &format!("price_{n}"), "text", &value("price", line.unit_price.as_ref().map(decimal_text).unwrap_or_default()), "size=\"8\" inputmode=\"decimal\""),
            line_input(lang, n, l(lang, "納期", "delivery date"), &format!("date_{n}"), "date", &value("date", line.requested_delivery.map(|d| d.to_string()).unwrap_or_default()), ""),
            line_input(lang, n, l(lang, "理由", "reason"), &format!("reason_{n}"), "text", &value("reason", String::new()), ""),
        ));
        if let Some(text) = error {
            rows.push_str(&row_error(&format!("respond-error-{n}"), 7, text));
        }
    }
    format!(
        "<p>{}</p><div class=\"scroll\"><table id=\"response-lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table></div>",
        l(
            lang,
            "数量・単価・納期を変えるときは「変更して承諾」を、不可のときは理由を入れてください。",
            "To change the quantity, price or date choose \"accept with changes\"; to reject a line give the reason."
        ),
        l(lang, "品名", "Item"),
        l(lang, "回答", "Answer"),
        l(lang, "数量", "Quantity"),
        l(lang, "単価", "Price"),
        l(lang, "納期", "Delivery"),
        l(lang, "理由", "Reason"),
    )
}

/// The despatch form: how the goods travel and, per line left to ship, the
/// quantity shipped (prefilled with what is left).
fn despatch_rows(lang: Lang, lines: &[(&Line, Decimal)], refused: Option<&Refused>) -> String {
    let value = |name: &str, current: &str| typed(refused, name, current.to_string());
    let mut rows = String::new();
    for (line, left) in lines {
        let n = line.line;
        let error = error_on(refused, n);
        let name = format!("ship_{n}");
        rows.push_str(&format!(
            "<tr id=\"despatch-line-{n}\"{}><td>{n}</td><td>{}</td><td>{} {}</td></tr>",
            error_class(error),
            escape(line.item.description.as_deref().unwrap_or("")),
            line_input(
                lang,
                n,
                l(lang, "出荷数", "quantity shipped"),
                &name,
                "text",
                &value(&name, &decimal_text(left)),
                "size=\"6\" inputmode=\"decimal\""
            ),
            escape(&unit_name(lang, &line.unit)),
        ));
        if let Some(text) = error {
            rows.push_str(&row_error(&format!("despatch-error-{n}"), 3, text));
        }
    }
    format!(
        "<label>{}<input type=\"text\" name=\"packages\" id=\"packages\" value=\"{}\" inputmode=\"numeric\" size=\"4\" required></label>{}{}{}\
         <div class=\"scroll\"><table id=\"despatch-lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table></div>",
        l(lang, "個口数", "Packages"),
        escape(&value("packages", "1")),
        input(
            "carrier",
            l(lang, "運送会社", "Carrier"),
            "text",
            &value("carrier", "")
        ),
        input(
            "tracking",
            l(lang, "送り状番号", "Tracking number"),
            "text",
            &value("tracking", "")
        ),
        input(
            "expected",
            l(lang, "到着予定日", "Expected delivery"),
            "date",
            &value("expected", "")
        ),
        l(lang, "品名", "Item"),
        l(lang, "出荷数", "Quantity shipped"),
    )
}

/// The receipt form: per line shipped and not yet received, the quantity
/// received in good order (prefilled with what is left) and damaged.
fn receipt_rows(lang: Lang, lines: &[(&Line, Decimal)], refused: Option<&Refused>) -> String {
    let mut rows = String::new();
    for (line, left) in lines {
        let n = line.line;
        let error = error_on(refused, n);
        let received = format!("received_{n}");
        let damaged = format!("damaged_{n}");
        rows.push_str(&format!(
            "<tr id=\"receipt-line-{n}\"{}><td>{n}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            error_class(error),
            escape(line.item.description.as_deref().unwrap_or("")),
            line_input(
                lang,
                n,
                l(lang, "受領数", "quantity received"),
                &received,
                "text",
                &typed(refused, &received, decimal_text(left)),
                "size=\"6\" inputmode=\"decimal\""
            ),
            line_input(
                lang,
                n,
                l(lang, "破損数", "quantity damaged"),
                &damaged,
                "text",
                &typed(refused, &damaged, "0".into()),
                "size=\"6\" inputmode=\"decimal\""
            ),
        ));
        if let Some(text) = error {
            rows.push_str(&row_error(&format!("receipt-error-{n}"), 4, text));
        }
    }
    format!(
        "<div class=\"scroll\"><table id=\"receipt-lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table></div>",
        l(lang, "品名", "Item"),
        l(lang, "受領数（良品）", "Received in good order"),
        l(lang, "破損数", "Damaged"),
    )
}

/// The buyer's order change: per line it may still change, the quantity,
/// unit price and requested delivery, prefilled with the current values,
/// and the reason for the change (after a refusal, what was typed, the
/// error under its line).
fn change_rows(lang: Lang, lines: &[&Line], refused: Option<&Refused>) -> String {
    let mut rows = String::new();
    for line in lines {
        let n = line.line;
        let error = error_on(refused, n);
        let qty = format!("qty_{n}");
        let price = format!("price_{n}");
        let date = format!("date_{n}");
        rows.push_str(&format!(
            "<tr id=\"change-line-{n}\"{}><td>{n}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            error_class(error),
            escape(line.item.description.as_deref().unwrap_or("")),
            line_input(lang, n, l(lang, "数量", "quantity"), &qty, "text", &typed(refused, &qty, decimal_text(&line.ordered)), "size=\"6\" inputmode=\"decimal\""),
            escape(&unit_name(lang, &line.unit)),
            line_input(lang, n, l(lang, "単価", "unit price"), &price, "text", &typed(refused, &price, line.unit_price.as_ref().map(decimal_text).unwrap_or_default()), "size=\"8\" inputmode=\"decimal\""),
            line_input(lang, n, l(lang, "希望納期", "requested delivery"), &date, "date", &typed(refused, &date, line.requested_delivery.map(|d| d.to_string()).unwrap_or_default()), ""),
        ));
        if let Some(text) = error {
            rows.push_str(&row_error(&format!("change-error-{n}"), 5, text));
        }
    }
    format!(
        "<p>{}</p><div class=\"scroll\"><table id=\"change-lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table></div>\
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
        escape(&typed(refused, "note", String::new())),
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
#[derive(Debug)]
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

/// The numbers of a document's lines, in its order: what its field paths'
/// indexes (`lines[1]`) stand for.
fn line_numbers(document: &Document) -> Vec<u32> {
    match document {
        Document::Order(d) => d.lines.iter().map(|l| l.line).collect(),
        Document::OrderChange(d) => d.lines.iter().map(|l| l.line.line).collect(),
        Document::OrderResponse(d) => d.lines.iter().map(|l| l.line).collect(),
        Document::DespatchAdvice(d) => d.lines.iter().map(|l| l.line).collect(),
        Document::ReceiptAdvice(d) => d.lines.iter().map(|l| l.line).collect(),
        Document::OrderCancellation(_) => Vec::new(),
    }
}

/// A number typed into the field `{prefix}_{n}` of line `n`; a mistyped
/// one is an error on the line.
fn line_decimal(
    f: &FormData,
    prefix: &str,
    n: u32,
    what: &str,
    lang: Lang,
) -> Result<Option<Decimal>, FormError> {
    decimal(
        f,
        &format!("{prefix}_{n}"),
        &line_field(lang, n, what),
        lang,
    )
    .map_err(|message| FormError {
        line: Some(n),
        message,
    })
}

/// The document the form of `action` describes, its buyer and seller named
/// as in `names`; or the first problem, with its line.
fn document_for(
    f: &FormData,
    action: &str,
    view: &OrderView,
    names: &HashMap<String, String>,
    lang: Lang,
) -> Result<Document, FormError> {
    let mut document = unnamed_document_for(f, action, view, lang)?;
    name_parties(&mut document, names);
    Ok(document)
}

/// [`document_for`] before its parties are named.
fn unnamed_document_for(
    f: &FormData,
    action: &str,
    view: &OrderView,
    lang: Lang,
) -> Result<Document, FormError> {
    let s = &view.summary;
    match action {
        "change" => change_from(f, view, lang).map(Document::OrderChange),
        "respond" => response_from(f, view, lang).map(Document::OrderResponse),
        "despatch" => despatch_from(f, view, lang).map(Document::DespatchAdvice),
        "receive" => {
            let mut lines = Vec::new();
            for line in &view.line_states {
                let n = line.line;
                let received = line_decimal(
                    f,
                    "received",
                    n,
                    l(lang, "受領数", "quantity received"),
                    lang,
                )?;
                let damaged =
                    line_decimal(f, "damaged", n, l(lang, "破損数", "quantity damaged"), lang)?;
                if received.is_none() && damaged.is_none() {
                    continue;
                }
                lines.push(ReceiptLine {
                    line: n,
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
                buyer: s.buyer.clone(),
                seller: s.seller.clone(),
                received: Some(today()),
                lines,
            }))
        }
        "cancel" => {
            let reason = f.opt("reason").ok_or_else(|| {
                l(
                    lang,
                    "取消の理由を入れてください。",
                    "Give the reason for cancelling the order.",
                )
                .to_string()
            })?;
            Ok(Document::OrderCancellation(OrderCancellation {
                number: number_for("CXL", view),
                order_number: s.number.clone(),
                issued: today(),
                buyer: s.buyer.clone(),
                seller: s.seller.clone(),
                reason: Some(reason),
            }))
        }
        _ => Err(l(lang, "この操作はありません。", "No such action.")
            .to_string()
            .into()),
    }
}

/// The seller's answer the response form describes, line by line: an
/// accepted line keeps what was ordered (a price or date may fill in one
/// the order left open), a changed one must change something, a rejected
/// one needs its reason; or the first problem, with its line.
fn response_from(f: &FormData, view: &OrderView, lang: Lang) -> Result<OrderResponse, FormError> {
    let s = &view.summary;
    let mut lines = Vec::new();
    for line in view
        .line_states
        .iter()
        .filter(|l| l.state == LineState::AwaitingResponse)
    {
        let n = line.line;
        let refuse = |text: &str| FormError {
            line: Some(n),
            message: on_line(lang, n, text),
        };
        let rule = |rule: &str| refuse(rule_text(lang, rule).unwrap_or(rule));
        let reason = f.opt(&format!("reason_{n}"));
        let status = match f.get(&format!("status_{n}")) {
            "changed" => LineStatus::Changed,
            "rejected" => LineStatus::Rejected,
            _ => LineStatus::Accepted,
        };
        if status == LineStatus::Rejected {
            if reason.is_none() {
                return Err(refuse(l(
                    lang,
                    "不可の理由を入れてください",
                    "enter the reason for rejecting it",
                )));
            }
            lines.push(ResponseLine {
                line: n,
                status,
                item: line.item.clone(),
                quantity: None,
                unit_price: None,
                confirmed_delivery: None,
                reason,
            });
            continue;
        }
        let qty_what = l(lang, "数量", "quantity");
        let quantity = line_decimal(f, "qty", n, qty_what, lang)?;
        let price_what = l(lang, "単価", "unit price");
        let price = line_decimal(f, "price", n, price_what, lang)?;
        let date = date(
            f,
            &format!("date_{n}"),
            &line_field(lang, n, l(lang, "納期", "delivery date")),
            lang,
        )
        .map_err(|message| FormError {
            line: Some(n),
            message,
        })?;
        if let Some(p) = price.filter(|p| p.is_negative()) {
            return Err(FormError {
                line: Some(n),
                message: format!(
                    "{}: `{p}` {}",
                    line_field(lang, n, price_what),
                    l(
                        lang,
                        "— 単価は0以上で入れてください",
                        "— a price may not be negative"
                    )
                ),
            });
        }
        let price_differs = matches!((price, line.unit_price), (Some(p), Some(o)) if p != o);
        let date_differs = matches!((date, line.requested_delivery), (Some(d), Some(o)) if d != o);
        let confirmed = if status == LineStatus::Accepted {
            if quantity.is_some_and(|q| q != line.ordered) {
                return Err(rule("accepted_quantity_differs"));
            }
            if price_differs {
                return Err(rule("accepted_price_differs"));
            }
            if date_differs {
                return Err(rule("accepted_date_differs"));
            }
            line.ordered
        } else {
            let q = quantity.ok_or_else(|| {
                refuse(l(
                    lang,
                    "確定数量を入れてください",
                    "enter the confirmed quantity",
                ))
            })?;
            if q.is_negative() {
                return Err(FormError {
                    line: Some(n),
                    message: format!(
                        "{}: `{q}` {}",
                        line_field(lang, n, qty_what),
                        l(
                            lang,
                            "— 0より大きい数を入れてください",
                            "— a quantity must be above zero"
                        )
                    ),
                });
            }
            if q.is_zero() {
                return Err(rule("changed_to_nothing"));
            }
            if q > line.ordered {
                return Err(rule("confirmed_above_ordered"));
            }
            let new_price = price.is_some_and(|p| Some(p) != line.unit_price);
            let new_date = date.is_some_and(|d| Some(d) != line.requested_delivery);
            if q == line.ordered && !new_price && !new_date {
                return Err(rule("changed_without_change"));
            }
            q
        };
        lines.push(ResponseLine {
            line: n,
            status,
            item: line.item.clone(),
            quantity: Some(Quantity {
                value: confirmed,
                unit: line.unit.clone(),
            }),
            unit_price: price,
            confirmed_delivery: date,
            reason,
        });
    }
    Ok(OrderResponse {
        number: number_for("RSP", view),
        order_number: s.number.clone(),
        issued: today(),
        buyer: s.buyer.clone(),
        seller: s.seller.clone(),
        currency: s.currency.clone(),
        lines,
    })
}

/// The despatch advice the despatch form describes: the lines with a
/// quantity shipped, and at least one package; or the first problem, with
/// its line.
fn despatch_from(f: &FormData, view: &OrderView, lang: Lang) -> Result<DespatchAdvice, FormError> {
    let s = &view.summary;
    let mut lines = Vec::new();
    for line in &view.line_states {
        let n = line.line;
        let what = l(lang, "出荷数", "quantity shipped");
        let Some(q) = line_decimal(f, "ship", n, what, lang)? else {
            continue;
        };
        if q.is_negative() {
            return Err(FormError {
                line: Some(n),
                message: format!(
                    "{}: `{q}` {}",
                    line_field(lang, n, what),
                    l(
                        lang,
                        "— 0以上で入れてください",
                        "— a quantity may not be negative"
                    )
                ),
            });
        }
        if !q.is_zero() {
            lines.push(DespatchLine {
                line: n,
                item: line.item.clone(),
                quantity: Quantity {
                    value: q,
                    unit: line.unit.clone(),
                },
            });
        }
    }
    let label = l(lang, "個口数", "Packages");
    let typed = f.get("packages").trim();
    if typed.is_empty() {
        return Err(format!(
            "{label}: {}",
            l(
                lang,
                "個口数を入れてください",
                "enter the number of packages"
            )
        )
        .into());
    }
    let packages: u32 = typed.parse().map_err(|_| {
        format!(
            "{label}: `{typed}` {}",
            l(lang, "は整数ではありません", "is not a whole number")
        )
    })?;
    if packages == 0 {
        return Err(format!(
            "{label}: `0` — {}",
            l(lang, "1個口以上で入れてください", "at least 1 package")
        )
        .into());
    }
    Ok(DespatchAdvice {
        number: number_for("DSP", view),
        order_number: s.number.clone(),
        issued: today(),
        buyer: s.buyer.clone(),
        seller: s.seller.clone(),
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
    })
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
        let at = |what: &str| line_field(lang, n, what);
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
        buyer: s.buyer.clone(),
        seller: s.seller.clone(),
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
    let refused = |error: FormError| Refused {
        action: action.clone(),
        values: f.0.iter().cloned().collect(),
        error: error.message,
        line: error.line,
    };
    let named = names(
        &v,
        &caller,
        vec![
            view.summary.buyer.id.clone(),
            view.summary.seller.id.clone(),
        ],
    )
    .await;
    let document = match document_for(&f, &action, &view, &named, v.lang) {
        Ok(d) => d,
        Err(e) => {
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
    };
    let lines = line_numbers(&document);
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
        Err(e) => {
            let error = explain(v.lang, e, &lines);
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
        "<div class=\"scroll\"><table id=\"upload-messages\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
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
    html.push_str("</tbody></table></div>");
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

/// The banner over an upload's report: a notice when a message was
/// applied or the file was a duplicate, an error when nothing was.
fn upload_outcome(lang: Lang, r: &IntakeReport) -> Result<String, String> {
    let accepted = r.messages.iter().filter(|m| m.accepted).count();
    let count = format!(
        "{} {accepted} / {}",
        l(lang, "受け付けたメッセージ:", "Messages accepted:"),
        r.messages.len()
    );
    if r.duplicate {
        Ok(format!(
            "{} {count}",
            l(
                lang,
                "このファイルは受信済みです。何も反映していません。",
                "This file was received before; nothing was applied again."
            )
        ))
    } else if accepted == 0 {
        Err(format!(
            "{} {count}",
            if r.problems.is_empty() {
                l(
                    lang,
                    "ファイルのどのメッセージも受け付けられませんでした。",
                    "No message of the file was accepted.",
                )
            } else {
                l(
                    lang,
                    "ファイル全体が受け付けられませんでした。",
                    "The file as a whole was refused.",
                )
            }
        ))
    } else {
        Ok(count)
    }
}

/// The EDI page; `collected` is the interchange a collect just wrote, to
/// download.
async fn edi_body(
    v: &Visit,
    orders: &App,
    caller: &Caller,
    org: &str,
    collected: Option<&str>,
) -> String {
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
    if let Some(id) = collected {
        html.push_str(&format!(
            "<p id=\"collected\"><a class=\"download\" href=\"/app/edi/interchanges/{}/file\">{}</a></p>",
            escape(id),
            l(
                lang,
                "受け取ったファイルをダウンロード",
                "Download the file collected"
            )
        ));
    }
    html.push_str(&mailbox_html(v, orders, caller, org, &partner_name).await);
    html.push_str(&format!(
        "<h2>{}</h2><div class=\"scroll\"><table id=\"profiles\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
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
    html.push_str("</tbody></table></div>");
    let partner_options: Vec<(&str, String)> = partners
        .iter()
        .map(|(id, n)| (id.as_str(), n.clone()))
        .collect();
    let label = |field: &'static str| profile_label(lang, field).unwrap_or(field);
    let profile_inner = format!(
        "{}{}{}{}{}<label>{}{}<textarea name=\"items\" rows=\"4\" placeholder=\"TAMA-10,4711-ON\"></textarea></label>",
        select("partner", label("partner"), &partner_options),
        input("own_wire_id", label("own_wire_id"), "text", ""),
        input("partner_wire_id", label("partner_wire_id"), "text", ""),
        select("sends", label("sends"), &format_options(lang, false)),
        select("wants", label("wants"), &format_options(lang, false)),
        label("items"),
        l(
            lang,
            "（1行に「自社品番,取引先品番」）",
            " (one \"yours,theirs\" per line)"
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
        "<h2>{}</h2><div class=\"scroll\"><table id=\"interchanges\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
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
    html.push_str("</tbody></table></div>");
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
        "<h2>{}</h2><p>{}</p><div class=\"scroll\"><table id=\"mailbox\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>",
        l(lang, "受信箱", "Mailbox"),
        l(
            lang,
            "取引先から届き、まだファイルで受け取っていない文書です。「受け取る」で取引先ごとに1つのファイルにまとめ、そのダウンロードのリンクを表示します（受け取った文書は次から含まれません。ファイルは下の記録からもう一度ダウンロードできます）。",
            "Documents your partners sent that you have not collected as a file yet. Collect makes them one file per partner and links to it for download (they are not included again; the file stays downloadable from the record below)."
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
    html.push_str("</tbody></table></div>");
    html
}

/// Where a collect from `partner` (named so) sends the browser: back to the
/// EDI page in `lang`, which shows the mailbox as it is now, with what was
/// collected as a notice and the file to download, or why nothing was.
fn after_collect(lang: Lang, partner: &str, result: Result<Option<Collected>, AppError>) -> String {
    match result {
        Ok(Some(c)) => {
            let mut notice = match lang {
                Lang::Ja => format!(
                    "{partner}からの文書 {} 件を1つのファイルにまとめました。",
                    c.documents
                ),
                Lang::En => format!(
                    "Collected {} documents from {partner} as one file.",
                    c.documents
                ),
            };
            if c.waiting > 0 {
                notice.push_str(&match lang {
                    Lang::Ja => format!(
                        " まだ {} 件あります。もう一度「受け取る」を押してください。",
                        c.waiting
                    ),
                    Lang::En => format!(" {} more wait: collect again.", c.waiting),
                });
            }
            with(
                &edi_with(lang, "notice", &notice),
                "collected",
                &c.interchange_id,
            )
        }
        Ok(None) => edi_with(
            lang,
            "notice",
            l(
                lang,
                "この取引先から受け取る文書はありません。",
                "Nothing from this partner waits.",
            ),
        ),
        Err(e) => edi_with(lang, "error", &message(e)),
    }
}

/// Collects what one partner sent as one file and goes back to the EDI
/// page, which links to the file; the form's key makes a second click
/// answer as the first.
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
    let result = orders
        .mailbox_collect(&caller, &org, &partner, None, language, &key)
        .await;
    let named = names(&v, &caller, vec![partner.clone()]).await;
    let name = named.get(&partner).map_or(partner.as_str(), String::as_str);
    redirect(&after_collect(v.lang, name, result), v.visitor.cookies)
}

async fn edi_page(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Query(mut q): Query<EdiQuery>,
    RawQuery(asked): RawQuery,
) -> Response {
    q.page.asked = asked;
    let (v, caller, org, orders) = match p.page(&headers, &client, &q.page, "/app/edi").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let body = edi_body(&v, &orders, &caller, &org, q.collected.as_deref()).await;
    v.respond("EDI", "/app/edi", &q.page, &body)
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
    let mut rows = Vec::new();
    for (i, row) in f.get("items").lines().enumerate() {
        if row.trim().is_empty() {
            continue;
        }
        match row.split_once(',') {
            Some((ours, theirs)) => {
                items.push(ItemCode {
                    ours: ours.trim().to_string(),
                    theirs: theirs.trim().to_string(),
                });
                rows.push(i + 1);
            }
            None => {
                let text = format!("{}: `{}`", item_row(v.lang, i + 1), row.trim());
                return redirect(&edi_with(v.lang, "error", &text), v.visitor.cookies);
            }
        }
    }
    let (Some(sends), Some(wants)) = (Format::parse(f.get("sends")), Format::parse(f.get("wants")))
    else {
        return redirect(
            &edi_with(
                v.lang,
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
            &edi_with(v.lang, "notice", l(v.lang, "保存しました。", "Saved.")),
            v.visitor.cookies,
        ),
        Err(e) => redirect(
            &edi_with(v.lang, "error", &profile_problem(v.lang, e, &rows)),
            v.visitor.cookies,
        ),
    }
}

/// What the fields of the EDI profile form are called on it, in both
/// languages.
const PROFILE_LABELS: [(&str, &str, &str); 6] = [
    ("partner", "取引先", "Partner"),
    (
        "own_wire_id",
        "自社の識別子（GLN等）",
        "Your interchange id (GLN, …)",
    ),
    (
        "partner_wire_id",
        "取引先の識別子",
        "Partner's interchange id",
    ),
    ("sends", "送る形式", "You send"),
    ("wants", "受け取る形式", "You want"),
    ("items", "品番対応", "Item codes"),
];

/// The reasons a profile is refused for, in Japanese: whole reasons, and
/// the ends of those that begin with the value (`` `X` is listed twice``).
const PROFILE_REASONS_JA: [(&str, &str); 5] = [
    (
        "an interchange id has 1 to 35 characters",
        "1〜35文字で入れてください",
    ),
    (
        "an interchange id uses letters, digits, space, '-', '.' and '_' only, so that it can be written in every format",
        "英数字・空白・「-」「.」「_」だけで入れてください（どの形式のファイルにも書けるように）",
    ),
    (
        "the partner's interchange id must differ from yours",
        "自社の識別子とは違うものを入れてください",
    ),
    (
        "a profile holds at most 10000 item codes",
        "品番対応は10000件までです",
    ),
    (
        "an item code has 1 to 35 characters",
        "品番は1〜35文字で入れてください",
    ),
];

/// The ends of profile reasons that begin with the value, in Japanese.
const PROFILE_REASON_ENDS_JA: [(&str, &str); 2] = [
    (" is listed twice", " が2回あります"),
    (
        " is already the interchange id of another of your partners",
        " はすでに別の取引先の識別子です",
    ),
];

/// What the profile form calls `field`, in `lang`.
fn profile_label(lang: Lang, field: &str) -> Option<&'static str> {
    PROFILE_LABELS
        .iter()
        .find(|(f, _, _)| *f == field)
        .map(|(_, ja, en)| l(lang, ja, en))
}

/// Row `n` of the item codes box: "品番対応の行 3", "item code row 3".
fn item_row(lang: Lang, n: usize) -> String {
    format!("{} {n}", l(lang, "品番対応の行", "item code row"))
}

/// A refused profile in the words of its form: the field by its label (an
/// item code by its row of the box, `rows` giving the row of each item),
/// the reason in `lang`.
fn profile_problem(lang: Lang, e: AppError, rows: &[usize]) -> String {
    let AppError::Invalid { field, reason } = e else {
        return message(e);
    };
    let item = field.strip_prefix("items[").and_then(|rest| {
        let (index, side) = rest.split_once("].")?;
        Some((*rows.get(index.parse::<usize>().ok()?)?, side))
    });
    let words = match item {
        Some((row, side)) => {
            let code = match side {
                "ours" => l(lang, "自社品番", "your code"),
                _ => l(lang, "取引先品番", "partner's code"),
            };
            match lang {
                Lang::Ja => format!("{} の{code}", item_row(lang, row)),
                Lang::En => format!("{}, {code}", item_row(lang, row)),
            }
        }
        None => profile_label(lang, &field).map_or_else(|| field.clone(), str::to_string),
    };
    let reason = match lang {
        Lang::En => reason,
        Lang::Ja => PROFILE_REASONS_JA
            .iter()
            .find(|(en, _)| *en == reason)
            .map(|(_, ja)| ja.to_string())
            .or_else(|| {
                PROFILE_REASON_ENDS_JA.iter().find_map(|(en, ja)| {
                    reason.strip_suffix(en).map(|value| format!("{value}{ja}"))
                })
            })
            .unwrap_or(reason),
    };
    format!("{words}: {reason}")
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
                            &edi_with(v.lang, "error", &e.body_text()),
                            v.visitor.cookies,
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                return redirect(
                    &edi_with(v.lang, "error", &e.body_text()),
                    v.visitor.cookies,
                );
            }
        }
    }
    if !session::csrf_ok(&headers, &csrf) {
        return redirect(
            &edi_with(
                v.lang,
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
            match upload_outcome(v.lang, &report) {
                Ok(notice) => query.notice = Some(notice),
                Err(error) => query.error = Some(error),
            }
            body.push_str(&report_html(v.lang, &report));
        }
        Err(e) => query.error = Some(message(e)),
    }
    body.push_str(&edi_body(&v, &orders, &caller, &org, None).await);
    v.respond("EDI", "/app/edi", &query, &body)
}

async fn interchange_part(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, part)): Path<(String, String)>,
    q: PageQuery,
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
        Err(e) => redirect(&edi_with(v.lang, "error", &message(e)), v.visitor.cookies),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every canonical rule reads in Japanese, keyed by its stable name:
    /// a rule added to the document rules must get its words here.
    #[test]
    fn every_document_rule_reads_in_japanese() {
        for rule in renkei_edi::rules::RULES {
            let ja = REASONS_JA.iter().find(|(name, _)| *name == rule);
            assert!(
                ja.is_some_and(|(_, text)| !text.is_ascii()),
                "{rule} has no Japanese text"
            );
        }
        for (name, _) in REASONS_JA {
            assert!(
                renkei_edi::rules::RULES.contains(&name),
                "{name} is no document rule"
            );
        }
        // As a refused form shows it.
        let mut zero = renkei_edi::samples::order();
        zero.lines[1].quantity.value = renkei_edi::Decimal::ZERO;
        let problems = renkei_edi::rules::check(&renkei_edi::Document::Order(zero));
        let shown = explain(Lang::Ja, AppError::Rules(problems), &[1, 3]);
        assert_eq!(shown.line, Some(3));
        assert_eq!(
            shown.message,
            "明細 3 の数量: 0より大きい数を入れてください"
        );
    }

    #[test]
    fn a_field_path_names_the_line_the_user_sees_and_the_field_in_words() {
        // Rows 2 and 4 were filled in: the document's lines[1] is row 4.
        let at = |lang, path| field_words(lang, path, &[2, 4]);
        assert_eq!(
            at(Lang::Ja, "lines[1].quantity.value"),
            (Some(4), "明細 4 の数量".to_string())
        );
        assert_eq!(
            at(Lang::En, "lines[1].damaged"),
            (Some(4), "line 4 quantity damaged".to_string())
        );
        assert_eq!(at(Lang::Ja, "lines[0].item").0, Some(2));
        assert_eq!(at(Lang::En, "lines[0]"), (Some(2), "line 2".to_string()));
        assert_eq!(at(Lang::En, "lines[7].item").0, None);
        assert_eq!(at(Lang::Ja, "carrier"), (None, "運送会社".to_string()));
        assert_eq!(
            at(Lang::En, "number"),
            (None, "document number".to_string())
        );
    }

    #[test]
    fn a_refusal_reads_in_the_pages_language_with_its_line() {
        // A receipt whose second line has a negative damaged quantity, and
        // whose first reports nothing, as the rules refuse them.
        let refusal = |first_empty: bool, damaged: i64| {
            let mut receipt = renkei_edi::samples::receipt_advice();
            if first_empty {
                receipt.lines[0].received.value = Decimal::ZERO;
                receipt.lines[0].damaged = Decimal::ZERO;
            }
            receipt.lines[1].damaged = Decimal::from_int(damaged);
            AppError::Rules(renkei_edi::rules::check(&Document::ReceiptAdvice(receipt)))
        };
        let e = explain(Lang::Ja, refusal(false, -1), &[1, 3]);
        assert_eq!(e.line, Some(3));
        assert_eq!(e.message, "明細 3 の破損数: 0以上で入れてください");
        assert!(!e.message.contains("lines["), "{}", e.message);
        let e = explain(Lang::En, refusal(true, 0), &[2, 3]);
        assert_eq!(
            e.message,
            "line 2 quantity received: a receipt line reports something received or damaged"
        );
        let refused = AppError::Refused(renkei_orders::domain::Refusal {
            rule: "accepted_price_differs",
            state: "line 2 was ordered at 2480".into(),
            message: "line 2 is accepted at 2000; answer it as changed".into(),
        });
        let e = explain(Lang::Ja, refused, &[1, 2]);
        assert_eq!(e.line, Some(2));
        assert!(
            e.message.starts_with("明細 2: 単価が注文と違います"),
            "{}",
            e.message
        );
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

    /// The row `<tr id="{id}"…>…</tr>` of `html`.
    fn row<'a>(html: &'a str, id: &str) -> &'a str {
        let at = html
            .find(&format!(" id=\"{id}\""))
            .unwrap_or_else(|| panic!("no row {id} in {html}"));
        let start = html[..at].rfind("<tr").expect("a row");
        let end = start + html[start..].find("</tr>").expect("a closed row") + 5;
        &html[start..end]
    }

    fn date(text: &str) -> Date {
        text.parse().expect("a date")
    }

    #[test]
    fn the_lines_table_shows_what_the_seller_confirmed_beside_what_was_ordered() {
        let mut accepted = line(1, 12);
        accepted.state = LineState::Accepted;
        accepted.confirmed = Some(Decimal::from_int(12));
        accepted.confirmed_price = accepted.unit_price;
        accepted.confirmed_delivery = accepted.requested_delivery;
        let mut changed = line(2, 20);
        changed.state = LineState::Changed;
        changed.confirmed = Some(Decimal::from_int(15));
        changed.confirmed_price = Some(Decimal::from_int(2300));
        changed.confirmed_delivery = Some(date("2026-11-27"));
        changed.reason = Some("在庫不足".into());
        changed.shipped = Decimal::from_int(15);
        changed.received = Decimal::from_int(13);
        changed.damaged = Decimal::from_int(2);
        let v = view(vec![accepted, changed], OrderStatus::Received, "web");
        let html = lines_table(Lang::Ja, &v);
        let same = row(&html, "line-1");
        assert!(
            same.contains(
                "<td class=\"ordered\">12 <span class=\"unit\" title=\"CS\">ケース</span></td>"
            ),
            "{same}"
        );
        assert!(same.contains("<td class=\"confirmed\">12</td>"), "{same}");
        assert!(
            !same.contains("→"),
            "nothing differs, nothing beside: {same}"
        );
        let other = row(&html, "line-2");
        for part in [
            "<td class=\"ordered\">20 <span class=\"unit\" title=\"CS\">ケース</span></td>",
            "<span class=\"changed\">15</span>",
            "2480 <span class=\"confirmed-price\">→ 確定 2300</span>",
            "2026-11-25 <span class=\"confirmed-delivery\">→ 確定 2026-11-27</span>",
            "<td class=\"shipped\">15</td>",
            "<td class=\"received\">13</td>",
            "<td class=\"damaged\">2</td>",
            "在庫不足",
        ] {
            assert!(other.contains(part), "{part} in {other}");
        }
        let english = lines_table(Lang::En, &v);
        assert!(english.contains("→ confirmed 2300"), "{english}");
        assert!(english.contains("<th>Damaged</th>"), "{english}");
    }

    #[test]
    fn the_history_shows_how_a_despatch_travels() {
        let mut v = view(vec![line(1, 12)], OrderStatus::Despatched, "web");
        v.documents.push(renkei_orders::app::DocumentMeta {
            document_id: "doc-2".into(),
            version: 2,
            kind: DocumentKind::DespatchAdvice,
            number: "DSP-1".into(),
            sender_id: "wholesaler".into(),
            channel: "web".into(),
            created_at_ms: 2,
            note: None,
        });
        let advice = DespatchAdvice {
            number: "DSP-1".into(),
            order_number: "PO-1".into(),
            issued: date("2026-11-24"),
            buyer: party("shop"),
            seller: party("wholesaler"),
            shipped: Some(date("2026-11-24")),
            expected_delivery: Some(date("2026-11-26")),
            carrier: Some("ヤマト運輸".into()),
            tracking: Some("1234-5678".into()),
            packages: 3,
            lines: Vec::new(),
        };
        let despatches = HashMap::from([(2, advice)]);
        let html = history_table(Lang::Ja, &v, &despatches, &|id: &str| id.to_string(), true);
        let despatch = row(&html, "document-2");
        assert!(
            despatch.contains(
                "運送会社: ヤマト運輸 · 送り状番号: 1234-5678 · 個口数: 3 · 到着予定日: 2026-11-26"
            ),
            "{despatch}"
        );
        assert!(!row(&html, "document-1").contains("運送会社"));
        let english = history_table(Lang::En, &v, &despatches, &|id: &str| id.to_string(), true);
        assert!(english.contains("Carrier: ヤマト運輸"), "{english}");
    }

    /// An order of `lines` as the cycle holds it after the order, and the
    /// view the seller's page is built from.
    fn ordered(lines: &[(u32, i64)]) -> (renkei_orders::domain::OrderState, OrderView) {
        let order = Order {
            number: "PO-1".into(),
            issued: date("2026-11-20"),
            buyer: party("shop"),
            seller: party("wholesaler"),
            currency: "JPY".into(),
            note: None,
            lines: lines
                .iter()
                .map(|(n, qty)| {
                    let l = line(*n, *qty);
                    OrderLine {
                        line: l.line,
                        item: l.item,
                        quantity: Quantity {
                            value: l.ordered,
                            unit: l.unit,
                        },
                        unit_price: l.unit_price,
                        requested_delivery: l.requested_delivery,
                        delivery_site: None,
                    }
                })
                .collect(),
        };
        let state = renkei_orders::domain::apply(None, &Document::Order(order)).expect("an order");
        let v = view(state.lines.clone(), OrderStatus::AwaitingResponse, "web");
        (state, v)
    }

    /// The response form as the page prefills it (every line accepted),
    /// with `changes` typed over it.
    fn answered(v: &OrderView, changes: &[(&str, &str)]) -> FormData {
        let mut f = typed(v, &[]);
        for l in &v.line_states {
            f.0.push((format!("status_{}", l.line), "accepted".into()));
            f.0.push((format!("reason_{}", l.line), String::new()));
        }
        for (name, value) in changes {
            if let Some(field) = f.0.iter_mut().find(|(k, _)| k == name) {
                field.1 = value.to_string();
            }
        }
        f
    }

    fn cycle_takes(state: &renkei_orders::domain::OrderState, r: OrderResponse) -> bool {
        let response = Document::OrderResponse(r);
        rules_accept(response.clone())
            && renkei_orders::domain::apply(Some(state), &response).is_ok()
    }

    #[test]
    fn an_unchanged_accept_and_a_real_change_pass_the_order_cycle() {
        let (state, v) = ordered(&[(1, 12), (2, 20)]);
        let r = response_from(&answered(&v, &[]), &v, Lang::Ja)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(r.lines[0].status, LineStatus::Accepted);
        assert_eq!(
            r.lines[0].quantity.as_ref().map(|q| q.value),
            Some(Decimal::from_int(12))
        );
        assert!(cycle_takes(&state, r));
        let change = [
            ("status_2", "changed"),
            ("qty_2", "15"),
            ("reason_2", "在庫不足"),
        ];
        let r = response_from(&answered(&v, &change), &v, Lang::Ja)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(r.lines[1].status, LineStatus::Changed);
        assert_eq!(r.lines[1].reason.as_deref(), Some("在庫不足"));
        assert!(cycle_takes(&state, r));
        let later = [("status_1", "changed"), ("date_1", "2026-11-27")];
        let r = response_from(&answered(&v, &later), &v, Lang::Ja)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(cycle_takes(&state, r), "a later date alone is a change");
    }

    #[test]
    fn a_changed_line_with_its_quantity_cleared_is_refused_on_its_line() {
        let (_, v) = ordered(&[(1, 12), (2, 20)]);
        let f = answered(&v, &[("status_2", "changed"), ("qty_2", "")]);
        let e = response_from(&f, &v, Lang::En).expect_err("no confirmed quantity");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.message, "line 2: enter the confirmed quantity");
        let e = response_from(&f, &v, Lang::Ja).expect_err("no confirmed quantity");
        assert_eq!(e.message, "明細 2: 確定数量を入れてください");
    }

    #[test]
    fn answers_the_cycle_would_refuse_are_refused_on_their_line_in_words() {
        let (state, v) = ordered(&[(1, 12), (2, 20)]);
        for (changes, line, words) in [
            (
                vec![("price_1", "2000")],
                1,
                "the price differs from the order's",
            ),
            (
                vec![("date_2", "2026-12-01")],
                2,
                "the date differs from the one asked for",
            ),
            (
                vec![("qty_2", "18")],
                2,
                "the quantity differs from the order's",
            ),
            (
                vec![("status_1", "changed")],
                1,
                "the quantity, price and date are those ordered",
            ),
            (
                vec![("status_2", "changed"), ("qty_2", "25")],
                2,
                "above the quantity ordered",
            ),
            (
                vec![("status_2", "changed"), ("qty_2", "0")],
                2,
                "choose \"reject\"",
            ),
            (vec![("status_2", "changed"), ("qty_2", "十")], 2, "`十`"),
        ] {
            let e = response_from(&answered(&v, &changes), &v, Lang::En)
                .err()
                .unwrap_or_else(|| panic!("{changes:?} is refused"));
            assert_eq!(e.line, Some(line), "{changes:?}: {}", e.message);
            assert!(e.message.contains(words), "{words} in {}", e.message);
            assert!(
                e.message.starts_with(&format!("line {line}")),
                "{}",
                e.message
            );
        }
        // A price the order left open may be filled in on an accept.
        let mut open = state.clone();
        open.lines[0].unit_price = None;
        let v = view(open.lines.clone(), OrderStatus::AwaitingResponse, "web");
        let r = response_from(&answered(&v, &[("price_1", "2300")]), &v, Lang::En)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(cycle_takes(&open, r));
    }

    #[test]
    fn a_rejected_line_needs_its_reason() {
        let (state, v) = ordered(&[(1, 12), (2, 20)]);
        let e = response_from(&answered(&v, &[("status_1", "rejected")]), &v, Lang::Ja)
            .expect_err("no reason");
        assert_eq!(e.line, Some(1));
        assert_eq!(e.message, "明細 1: 不可の理由を入れてください");
        let with_reason = [("status_1", "rejected"), ("reason_1", "取扱終了")];
        let r = response_from(&answered(&v, &with_reason), &v, Lang::Ja)
            .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(r.lines[0].quantity, None);
        assert!(cycle_takes(&state, r));
    }

    fn refused(action: &str, values: &[(&str, &str)], line: Option<u32>) -> Refused {
        Refused {
            action: action.into(),
            values: values
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            error: "line 2: enter the confirmed quantity".into(),
            line,
        }
    }

    #[test]
    fn a_refused_response_keeps_what_was_typed_and_marks_its_line() {
        let (_, v) = ordered(&[(1, 12), (2, 20)]);
        let typed = refused(
            "respond",
            &[
                ("status_2", "changed"),
                ("qty_2", ""),
                ("price_2", "2,300"),
                ("reason_2", "在庫 <少>"),
            ],
            Some(2),
        );
        let html = actions(Lang::En, "token", &v, true, Some(&typed));
        let marked = row(&html, "respond-line-2");
        assert!(marked.contains(" class=\"error\""), "{marked}");
        assert!(
            marked.contains("<option value=\"changed\" selected>"),
            "{marked}"
        );
        assert!(marked.contains("name=\"qty_2\" value=\"\""), "{marked}");
        assert!(marked.contains("value=\"2,300\""), "{marked}");
        assert!(marked.contains("value=\"在庫 &lt;少&gt;\""), "{marked}");
        let error_row = &html[html.find(marked).expect("the row") + marked.len()..];
        assert!(
            error_row.starts_with(
                "<tr class=\"error line-error-row\"><td colspan=\"7\" class=\"line-error\" id=\"respond-error-2\""
            ),
            "the error is under its line, across the table: {error_row}"
        );
        assert!(!row(&html, "respond-line-1").contains("error"));
        assert!(html.contains("name=\"csrf\" value=\"token\""));
        // The error of another form leaves this one as prefilled.
        let other = refused("change", &[("qty_2", "")], Some(2));
        let html = actions(Lang::En, "token", &v, true, Some(&other));
        assert!(row(&html, "respond-line-2").contains("name=\"qty_2\" value=\"20\""));
        assert!(!html.contains("respond-error-2"));
    }

    /// The seller's view once every line is accepted.
    fn confirmed(lines: &[(u32, i64)]) -> OrderView {
        let lines = lines
            .iter()
            .map(|(n, qty)| {
                let mut l = line(*n, *qty);
                l.state = LineState::Accepted;
                l.confirmed = Some(l.ordered);
                l
            })
            .collect();
        view(lines, OrderStatus::Confirmed, "web")
    }

    #[test]
    fn a_despatch_needs_at_least_one_package_and_shows_what_was_typed() {
        let v = confirmed(&[(1, 12), (2, 20)]);
        let despatch = |fields: &[(&str, &str)]| despatch_from(&form(fields), &v, Lang::En);
        let e = despatch(&[("ship_1", "12"), ("packages", "0")]).expect_err("no package");
        assert!(e.message.contains("at least 1 package"), "{}", e.message);
        let e = despatch(&[("ship_1", "12"), ("packages", "three")]).expect_err("not a number");
        assert!(e.message.contains("`three`"), "{}", e.message);
        let e = despatch(&[("ship_1", "12"), ("packages", " ")]).expect_err("none");
        assert!(e.message.contains("number of packages"), "{}", e.message);
        let e = despatch(&[("ship_2", "-1"), ("packages", "1")]).expect_err("negative");
        assert_eq!(e.line, Some(2), "{}", e.message);
        let d = despatch(&[
            ("ship_1", "12"),
            ("ship_2", "0"),
            ("packages", "2"),
            ("carrier", "ヤマト運輸"),
        ])
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!((d.packages, d.lines.len()), (2, 1));
        assert!(rules_accept(Document::DespatchAdvice(d)));
        // What is typed reaches the server: a number input would send
        // nothing for "three".
        let html = actions(Lang::En, "t", &v, true, None);
        assert!(
            html.contains("<input type=\"text\" name=\"packages\""),
            "{html}"
        );
        let typed = refused(
            "despatch",
            &[("packages", "three"), ("carrier", "佐川"), ("ship_2", "5")],
            None,
        );
        let html = actions(Lang::En, "t", &v, true, Some(&typed));
        assert!(html.contains("value=\"three\""), "{html}");
        assert!(html.contains("value=\"佐川\""), "{html}");
        assert!(row(&html, "despatch-line-2").contains("value=\"5\""));
    }

    #[test]
    fn a_refused_receipt_keeps_what_was_typed_and_marks_its_line() {
        let mut shipped = confirmed(&[(1, 12), (2, 20)]);
        for l in &mut shipped.line_states {
            l.shipped = l.ordered;
        }
        let typed = refused(
            "receive",
            &[("received_2", "20"), ("damaged_2", "-1")],
            Some(2),
        );
        let html = actions(Lang::Ja, "t", &shipped, false, Some(&typed));
        let marked = row(&html, "receipt-line-2");
        assert!(marked.contains(" class=\"error\""), "{marked}");
        assert!(
            marked.contains("name=\"damaged_2\" value=\"-1\""),
            "{marked}"
        );
        assert!(html.contains("id=\"receipt-error-2\""), "{html}");
        assert!(!row(&html, "receipt-line-1").contains("error"));
    }

    #[test]
    fn cancelling_asks_for_a_reason() {
        let v = view(vec![line(1, 12)], OrderStatus::AwaitingResponse, "web");
        let e = document_for(
            &form(&[("reason", "  ")]),
            "cancel",
            &v,
            &HashMap::new(),
            Lang::En,
        )
        .expect_err("no reason");
        assert!(e.message.contains("reason"), "{}", e.message);
        let ok = document_for(
            &form(&[("reason", "発注ミス")]),
            "cancel",
            &v,
            &HashMap::new(),
            Lang::Ja,
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(
            matches!(ok, Document::OrderCancellation(c) if c.reason.as_deref() == Some("発注ミス"))
        );
        let html = actions(Lang::Ja, "t", &v, false, None);
        let cancel = &html[html.find("id=\"cancel-form\"").expect("the cancel form")..];
        assert!(cancel.contains("name=\"reason\""), "{cancel}");
        assert!(cancel.contains(" required>"), "{cancel}");
    }

    fn report(status: &str, accepted: &[bool], problems: usize) -> IntakeReport {
        IntakeReport {
            interchange_id: "i-1".into(),
            format: Format::parse("edifact_d96a").expect("a format"),
            status: status.into(),
            duplicate: status == "duplicate",
            partner_id: None,
            envelope: None,
            problems: vec![serde_json::json!({"code": "syntax"}); problems],
            messages: accepted
                .iter()
                .enumerate()
                .map(|(i, a)| renkei_orders::app::MessageReport {
                    reference: format!("{}", i + 1),
                    message_type: "ORDERS".into(),
                    accepted: *a,
                    order_id: None,
                    document_id: None,
                    version: None,
                    status: None,
                    problems: Vec::new(),
                })
                .collect(),
            acknowledgement: None,
        }
    }

    #[test]
    fn a_file_with_nothing_accepted_gets_an_error_banner() {
        let whole =
            upload_outcome(Lang::En, &report("rejected", &[], 1)).expect_err("refused as a whole");
        assert!(whole.contains("refused"), "{whole}");
        assert!(whole.contains("0 / 0"), "{whole}");
        let none = upload_outcome(Lang::Ja, &report("rejected", &[false, false], 0))
            .expect_err("nothing accepted");
        assert!(none.contains("0 / 2"), "{none}");
        let some = upload_outcome(Lang::En, &report("partly_accepted", &[true, false], 0))
            .expect("something applied");
        assert!(some.contains("1 / 2"), "{some}");
        assert!(upload_outcome(Lang::En, &report("duplicate", &[false], 0)).is_ok());
    }

    #[test]
    fn a_row_with_only_a_price_is_reported_on_its_row() {
        let filled = [
            ("partner", "wholesaler"),
            ("item_1", "玉ねぎ"),
            ("code_1", "TAMA-10"),
            ("qty_1", "12"),
        ];
        let (order, rows) = order_from(&form(&filled), "shop", &HashMap::new(), Lang::En)
            .unwrap_or_else(|e| panic!("{}", e.1));
        assert_eq!((order.lines.len(), rows), (1, vec![1]));
        let mut with_price = filled.to_vec();
        with_price.push(("price_3", "480"));
        let (row, text) = order_from(&form(&with_price), "shop", &HashMap::new(), Lang::En)
            .expect_err("an incomplete row");
        assert_eq!(row, Some(3));
        assert_eq!(text, "line 3: enter a quantity");
        with_price.push(("qty_3", "2"));
        let (row, text) =
            order_from(&form(&with_price), "shop", &HashMap::new(), Lang::Ja).expect_err("no item");
        assert_eq!(row, Some(3));
        assert!(text.starts_with("明細 3:"), "{text}");
    }

    #[test]
    fn a_new_order_rows_error_is_a_full_width_row_under_it() {
        let form = OrderForm {
            values: HashMap::from([("qty_2".to_string(), "二十".to_string())]),
            error: Some("line 2 quantity: `二十` is not a number".into()),
            line_error: Some((2, "line 2 quantity: `二十` is not a number".into())),
        };
        let html = order_rows(Lang::En, &form);
        let marked = row(&html, "line-2");
        assert!(
            marked.starts_with("<tr class=\"error\" id=\"line-2\">"),
            "{marked}"
        );
        assert_eq!(
            marked.matches("<td").count(),
            7,
            "no column is added: {marked}"
        );
        let after = &html[html.find(marked).expect("the row") + marked.len()..];
        assert!(
            after.starts_with(
                "<tr class=\"error line-error-row\"><td colspan=\"7\" class=\"line-error\" id=\"line-error-2\""
            ),
            "{after}"
        );
        assert!(after.contains("`二十`"), "{after}");
        assert_eq!(row(&html, "line-1").matches("<td").count(), 7);
    }

    /// Every visible input and select of `html` that no `<label>` holds.
    fn unnamed(html: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut open_labels = 0i32;
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let end = rest[start..]
                .find('>')
                .map_or(rest.len(), |e| start + e + 1);
            let tag = &rest[start..end];
            if tag.starts_with("<label") {
                open_labels += 1;
            } else if tag.starts_with("</label") {
                open_labels -= 1;
            } else if (tag.starts_with("<input")
                || tag.starts_with("<select")
                || tag.starts_with("<textarea"))
                && !tag.contains("type=\"hidden\"")
                && !tag.contains("aria-label=\"")
                && open_labels == 0
            {
                found.push(tag.to_string());
            }
            rest = &rest[end..];
        }
        found
    }

    #[test]
    fn every_line_input_is_named_for_screen_readers() {
        let (_, awaiting) = ordered(&[(1, 12), (2, 20)]);
        let mut shipped = confirmed(&[(1, 12), (2, 20)]);
        shipped.line_states[0].shipped = Decimal::from_int(12);
        shipped.summary.status = OrderStatus::PartiallyDespatched;
        for lang in [Lang::Ja, Lang::En] {
            let pages = [
                order_rows(lang, &OrderForm::default()),
                actions(lang, "t", &awaiting, true, None),
                actions(lang, "t", &awaiting, false, None),
                actions(lang, "t", &shipped, true, None),
                actions(lang, "t", &shipped, false, None),
            ];
            for html in &pages {
                assert_eq!(unnamed(html), Vec::<String>::new(), "{html}");
            }
        }
        let html = actions(Lang::Ja, "t", &awaiting, true, None);
        assert!(html.contains("name=\"qty_2\" value=\"20\" size=\"6\" inputmode=\"decimal\" aria-label=\"明細 2 の数量\""), "{html}");
        assert!(
            html.contains("<select name=\"status_1\" aria-label=\"明細 1 の回答\">"),
            "{html}"
        );
        let html = order_rows(Lang::En, &OrderForm::default());
        assert!(html.contains("aria-label=\"line 3 unit price\""), "{html}");
        assert!(
            html.contains("<select name=\"unit_5\" aria-label=\"line 5 unit\">"),
            "{html}"
        );
    }

    #[test]
    fn wide_tables_scroll_and_a_narrow_screen_has_its_own_layout() {
        let css = include_str!("../../assets/app.css");
        let narrow = &css[css
            .find("@media (max-width: 600px)")
            .expect("a narrow layout")..];
        for rule in ["header", "nav", "form", "div.scroll"] {
            assert!(narrow.contains(rule), "{rule} in {narrow}");
        }
        assert_eq!(
            scroll("<table></table>"),
            "<div class=\"scroll\"><table></table></div>"
        );
        let (_, v) = ordered(&[(1, 12)]);
        for html in [
            actions(Lang::Ja, "t", &v, true, None),
            actions(Lang::Ja, "t", &v, false, None),
        ] {
            assert_eq!(
                html.matches("<table").count(),
                html.matches("<div class=\"scroll\"><table").count(),
                "{html}"
            );
        }
    }

    #[test]
    fn edifact_and_x12_are_offered_only_with_a_profile_for_the_partner() {
        let v = view(vec![line(1, 12)], OrderStatus::AwaitingResponse, "web");
        let name = |id: &str| id.to_string();
        let without = history_table(Lang::Ja, &v, &HashMap::new(), &name, false);
        let links = row(&without, "document-1");
        for format in ["csv", "xlsx", "ubl21"] {
            assert!(links.contains(&format!("?format={format}\"")), "{links}");
        }
        assert!(!links.contains("format=edifact"), "{links}");
        assert!(!links.contains("format=x12"), "{links}");
        assert!(
            links.contains(
                "EDIFACT/X12: <a href=\"/app/edi#profile-form\">先にEDIプロファイルを設定してください</a>"
            ),
            "{links}"
        );
        let english = history_table(Lang::En, &v, &HashMap::new(), &name, false);
        assert!(
            english.contains(">set up an EDI profile first</a>"),
            "{english}"
        );
        let with = history_table(Lang::Ja, &v, &HashMap::new(), &name, true);
        let links = row(&with, "document-1");
        for format in ["csv", "xlsx", "edifact_d96a", "x12_004010", "ubl21"] {
            assert!(links.contains(&format!("?format={format}\"")), "{links}");
        }
        assert!(!links.contains("edi-missing"), "{links}");
    }

    #[test]
    fn every_document_the_page_builds_names_its_buyer_and_seller() {
        let names = HashMap::from([
            ("shop".to_string(), "山田商店".to_string()),
            ("wholesaler".to_string(), "東京青果卸".to_string()),
        ]);
        let named = |d: &Document| {
            let (buyer, seller) = d.parties();
            (buyer.name.clone(), seller.name.clone())
        };
        let expected = (Some("山田商店".to_string()), Some("東京青果卸".to_string()));
        let filled = [
            ("partner", "wholesaler"),
            ("item_1", "玉ねぎ"),
            ("code_1", "TAMA-10"),
            ("qty_1", "12"),
        ];
        let (order, _) = order_from(&form(&filled), "shop", &names, Lang::Ja)
            .unwrap_or_else(|e| panic!("{}", e.1));
        assert_eq!(named(&Document::Order(order)), expected, "order");
        let (_, awaiting) = ordered(&[(1, 12)]);
        let mut shipped = confirmed(&[(1, 12)]);
        shipped.line_states[0].shipped = Decimal::from_int(12);
        let cases = [
            ("change", &awaiting, typed(&awaiting, &[("qty_1", "15")])),
            ("respond", &awaiting, answered(&awaiting, &[])),
            ("cancel", &awaiting, form(&[("reason", "発注ミス")])),
            (
                "despatch",
                &confirmed(&[(1, 12)]),
                form(&[("ship_1", "12"), ("packages", "1")]),
            ),
            ("receive", &shipped, form(&[("received_1", "12")])),
        ];
        for (action, v, f) in &cases {
            let d = document_for(f, action, v, &names, Lang::Ja)
                .unwrap_or_else(|e| panic!("{action}: {}", e.message));
            assert_eq!(named(&d), expected, "{action}");
        }
        // A party collab does not name keeps the name the order carries.
        let mut from_edi = awaiting.clone();
        from_edi.summary.seller.name = Some("卸（EDI）".into());
        let only_shop = HashMap::from([("shop".to_string(), "山田商店".to_string())]);
        let d = document_for(
            &form(&[("reason", "発注ミス")]),
            "cancel",
            &from_edi,
            &only_shop,
            Lang::Ja,
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            named(&d),
            (Some("山田商店".to_string()), Some("卸（EDI）".to_string()))
        );
    }

    fn collected(documents: usize, waiting: i64) -> Collected {
        Collected {
            interchange_id: "0193-ic 1".into(),
            documents,
            waiting,
            file: renkei_orders::app::FileOut {
                content_type: "text/csv",
                file_name: "x.csv".into(),
                bytes: Vec::new(),
            },
        }
    }

    #[test]
    fn collecting_goes_back_to_the_edi_page_with_the_outcome_and_the_file() {
        let to = after_collect(Lang::En, "Tokyo Produce", Ok(Some(collected(3, 0))));
        assert_eq!(
            to,
            "/app/edi?lang=en&notice=Collected+3+documents+from+Tokyo+Produce+as+one+file.&collected=0193-ic+1"
        );
        let to = after_collect(Lang::Ja, "東京青果", Ok(Some(collected(500, 20))));
        assert!(to.starts_with("/app/edi?lang=ja&notice="), "{to}");
        let notice: HashMap<String, String> =
            form_urlencoded::parse(to.split_once('?').map_or("", |(_, q)| q).as_bytes())
                .into_owned()
                .collect();
        assert_eq!(
            notice.get("notice").map(String::as_str),
            Some(
                "東京青果からの文書 500 件を1つのファイルにまとめました。 まだ 20 件あります。もう一度「受け取る」を押してください。"
            )
        );
        assert_eq!(
            notice.get("collected").map(String::as_str),
            Some("0193-ic 1")
        );
        let nothing = after_collect(Lang::Ja, "東京青果", Ok(None));
        assert!(nothing.starts_with("/app/edi?lang=ja&notice="), "{nothing}");
        let refused = after_collect(
            Lang::En,
            "Tokyo Produce",
            Err(AppError::NotFound("organisation")),
        );
        assert_eq!(refused, "/app/edi?lang=en&error=organisation+not+found");
    }

    #[test]
    fn the_edi_page_links_to_the_file_just_collected() {
        let uri: axum::http::Uri = "/app/edi?lang=ja&notice=x&collected=ic-1"
            .parse()
            .expect("a uri");
        let Query(q) = Query::<EdiQuery>::try_from_uri(&uri).expect("a query");
        assert_eq!(q.collected.as_deref(), Some("ic-1"));
        assert_eq!(q.page.notice.as_deref(), Some("x"));
        assert_eq!(q.page.lang.as_deref(), Some("ja"));
    }

    #[test]
    fn a_refused_profile_names_its_field_as_the_form_labels_it() {
        let invalid = |field: &str, reason: &str| AppError::Invalid {
            field: field.into(),
            reason: reason.into(),
        };
        let e = profile_problem(
            Lang::Ja,
            invalid("own_wire_id", "an interchange id has 1 to 35 characters"),
            &[],
        );
        assert_eq!(e, "自社の識別子（GLN等）: 1〜35文字で入れてください");
        let e = profile_problem(
            Lang::En,
            invalid(
                "partner_wire_id",
                "the partner's interchange id must differ from yours",
            ),
            &[],
        );
        assert_eq!(
            e,
            "Partner's interchange id: the partner's interchange id must differ from yours"
        );
        let e = profile_problem(
            Lang::Ja,
            invalid("items[1].theirs", "`4711` is listed twice"),
            &[1, 4],
        );
        assert_eq!(e, "品番対応の行 4 の取引先品番: `4711` が2回あります");
        let e = profile_problem(
            Lang::En,
            invalid("items[0].ours", "an item code has 1 to 35 characters"),
            &[2],
        );
        assert_eq!(
            e,
            "item code row 2, your code: an item code has 1 to 35 characters"
        );
        for field in ["own_wire_id", "partner_wire_id", "sends", "wants", "items"] {
            for lang in [Lang::Ja, Lang::En] {
                let e = profile_problem(lang, invalid(field, "x"), &[]);
                assert!(!e.contains(field), "{e}");
            }
        }
    }

    /// The Japanese profile reasons are keyed on the validation's English
    /// wording: a reason reworded there must fail here.
    #[test]
    fn every_translated_profile_reason_is_one_validation_gives() {
        use renkei_orders::domain::edi::{Profile, validate};
        let base = Profile {
            organisation_id: "shop".into(),
            partner_id: "wholesaler".into(),
            own_wire_id: "4912345000019".into(),
            partner_wire_id: "4998765000014".into(),
            sends: Format::Csv,
            wants: Format::Csv,
            items: Vec::new(),
            version: 1,
            updated_at_ms: 0,
        };
        let code = |ours: &str, theirs: &str| ItemCode {
            ours: ours.into(),
            theirs: theirs.into(),
        };
        let mut said = Vec::new();
        let mut refuse = |change: &dyn Fn(&mut Profile)| {
            let mut p = base.clone();
            change(&mut p);
            let (_, reason) = validate(&p).expect_err("refused");
            said.push(reason);
        };
        refuse(&|p| p.own_wire_id.clear());
        refuse(&|p| p.own_wire_id = "a/b".into());
        refuse(&|p| p.partner_wire_id = p.own_wire_id.clone());
        refuse(&|p| {
            p.items = (0..=renkei_orders::domain::edi::MAX_ITEMS)
                .map(|i| code(&i.to_string(), &i.to_string()))
                .collect()
        });
        refuse(&|p| p.items = vec![code("", "x")]);
        refuse(&|p| p.items = vec![code("a", "x"), code("b", "x")]);
        for (english, _) in PROFILE_REASONS_JA {
            assert!(
                said.iter().any(|s| s == english),
                "`{english}` is no longer what validation says: {said:?}"
            );
        }
        let (twice, _) = PROFILE_REASON_ENDS_JA[0];
        assert!(said.iter().any(|s| s.ends_with(twice)), "{said:?}");
    }

    /// A rule added to the order cycle must get its words here, not fall
    /// back to English on the Japanese pages without a word. (The orders
    /// service's own test keeps its list to the rules it refuses by.)
    #[test]
    fn every_rule_the_order_cycle_refuses_by_reads_in_both_languages() {
        for rule in renkei_orders::domain::RULES {
            let ja = rule_text(Lang::Ja, rule);
            let en = rule_text(Lang::En, rule);
            assert!(
                ja.is_some_and(|t| !t.is_ascii()),
                "{rule} has no Japanese text"
            );
            assert!(
                en.is_some_and(|t| !t.is_empty()),
                "{rule} has no English text"
            );
        }
        for (rule, _, _) in RULES {
            assert!(
                renkei_orders::domain::RULES.contains(&rule),
                "{rule} is refused by no one"
            );
        }
    }

    #[test]
    fn a_refusal_by_the_cycle_reads_in_japanese_with_its_rule_for_support() {
        let despatch_rejected = || {
            AppError::Refused(renkei_orders::domain::Refusal {
                rule: "no_despatch_for_rejected_line",
                state: "line 2 is rejected".into(),
                message: "nothing may be shipped against line 2".into(),
            })
        };
        let e = explain(Lang::Ja, despatch_rejected(), &[1, 2]);
        assert_eq!(e.line, Some(2));
        assert_eq!(
            e.message,
            "明細 2: 受注不可と回答した明細は出荷できません (no_despatch_for_rejected_line)"
        );
        let e = explain(Lang::En, despatch_rejected(), &[1, 2]);
        assert_eq!(
            e.message,
            "line 2: a rejected line cannot be shipped (no_despatch_for_rejected_line)"
        );
        let cancel = AppError::Refused(renkei_orders::domain::Refusal {
            rule: "no_cancellation_after_despatch",
            state: "line 1 has 4 CS shipped".into(),
            message: "goods have been shipped against this order; delete the remaining lines with an order change instead".into(),
        });
        let e = explain(Lang::Ja, cancel, &[]);
        assert_eq!(e.line, None);
        assert!(
            e.message
                .starts_with("出荷された明細があるため取り消せません")
                && e.message.ends_with(" (no_cancellation_after_despatch)"),
            "{}",
            e.message
        );
    }

    /// The declarations of every rule of `css` whose selector matches `what`.
    fn declarations<'a>(css: &'a str, what: &dyn Fn(&str) -> bool) -> Vec<(&'a str, &'a str)> {
        css.split('}')
            .filter_map(|rule| rule.split_once('{'))
            .map(|(selector, body)| (selector.trim(), body.trim()))
            .filter(|(selector, _)| selector.split(',').any(|s| what(s.trim())))
            .collect()
    }

    /// The contrast ratio (WCAG 2) of a `#rrggbb` colour on white.
    fn contrast_on_white(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c =
                f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).expect("hex")) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
        1.05 / (luminance + 0.05)
    }

    #[test]
    fn a_status_in_an_order_table_is_plain_text_with_enough_contrast() {
        let css = include_str!("../../assets/app.css");
        let in_tables = |s: &str| {
            (s.contains(".status") && !s.starts_with("ul.services")) || s.contains("#order-status")
        };
        let rules = declarations(css, &in_tables);
        assert!(!rules.is_empty(), "td.status is styled");
        for (selector, body) in &rules {
            for look in ["background", "border", "padding", "box-shadow", "cursor"] {
                assert!(!body.contains(look), "{selector} has {look}: {body}");
            }
            for colour in body
                .split(';')
                .filter_map(|d| d.trim().strip_prefix("color:"))
                .map(str::trim)
                .filter(|c| c.starts_with('#'))
            {
                let ratio = contrast_on_white(colour);
                assert!(
                    ratio >= 4.5,
                    "{selector}: {colour} is {ratio:.2}:1 on white"
                );
            }
        }
        let v = view(vec![line(1, 12)], OrderStatus::AwaitingResponse, "web");
        let html = lines_table(Lang::Ja, &v);
        assert!(!html.contains("<button"), "{html}");
    }

    #[test]
    fn the_lines_table_names_units_as_the_forms_do_with_the_code_as_title() {
        let mut kg = line(1, 3);
        kg.unit = "KGM".into();
        let mut odd = line(2, 5);
        odd.unit = "XYZ".into();
        let v = view(vec![kg, odd], OrderStatus::AwaitingResponse, "web");
        let ja = lines_table(Lang::Ja, &v);
        assert!(
            row(&ja, "line-1").contains(
                "<td class=\"ordered\">3 <span class=\"unit\" title=\"KGM\">kg</span></td>"
            ),
            "{ja}"
        );
        assert!(
            row(&ja, "line-2")
                .contains("<td class=\"ordered\">5 <span class=\"unit\">XYZ</span></td>"),
            "a code the forms do not offer shows as it is: {ja}"
        );
        let mut piece = line(1, 2);
        piece.unit = "H87".into();
        let en = lines_table(
            Lang::En,
            &view(vec![piece], OrderStatus::AwaitingResponse, "web"),
        );
        assert!(en.contains("title=\"H87\">piece</span>"), "{en}");
        assert!(!en.contains(">H87<"), "{en}");
    }
}
