//! The joint-ordering pages of the web UI (`/app/rounds…`): the rounds an
//! organisation takes part in; opening a round (items with price breaks,
//! invited districts with their drop points, delivery dates, fees), where
//! every problem the service finds is shown next to its field; and a round
//! with its live pool — per item the pooled quantity, the tier reached and
//! how far the next one is — where a shop adds, changes and withdraws what
//! it wants, the organiser or wholesaler closes early, and every party sees
//! the consolidated order and, once the wholesaler answered, what it
//! receives and saves. Rendered on the server from the procurement
//! service's use cases; the pool is fed by events, so a reload shows it
//! moving, without scripts.

use std::collections::{BTreeMap, HashMap};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    routing::{get, post},
};
use renkei_edi::Date;
use renkei_kernel::{
    auth::{Caller, ClientAddr},
    storage::now_ms,
};
use renkei_procurement::{
    app::{App, AppError, IntentInput, ItemView, OpenRound, Part, RoundStatus, RoundView},
    domain::{
        District, DropPoint, FailureReason, FeeModel, ItemOffer, Outcome, PriceBreak, Problem,
        ProblemCode, RoundDraft, Saving,
    },
};

use super::{
    Lang,
    collab::{
        FormData, PageQuery, ServicePages, Ui, Visit, active_partners, l, names, redirect, with,
    },
    escape,
    orders::{field, form_key, message, unit_name, unit_select},
};
use crate::Mounted;

type Pages = ServicePages<App>;

/// The `/app/rounds…` routes.
pub fn router(mounted: Mounted) -> Router {
    Router::new()
        .route("/app/rounds", get(list).post(open))
        .route("/app/rounds/new", get(new_round))
        .route("/app/rounds/{id}", get(detail))
        .route("/app/rounds/{id}/{action}", post(act))
        .with_state(Pages {
            ui: Ui {
                app: mounted.collab.clone(),
            },
            service: mounted.procurement,
            home: "/app/rounds",
            name: ("共同発注", "joint-ordering"),
        })
}

/// Japan's offset from UTC, and a day, in milliseconds: cut-offs are typed
/// and shown in Japanese time.
const JST_MS: i64 = 9 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// An instant as a Japanese calendar date (`YYYY-MM-DD`) and time of day (`HH:MM`).
fn jst(ms: i64) -> (String, String) {
    let local = ms + JST_MS;
    let day = Date::from_unix_days(local.div_euclid(DAY_MS))
        .map(|d| d.to_string())
        .unwrap_or_default();
    let minutes = local.rem_euclid(DAY_MS) / 60_000;
    (day, format!("{:02}:{:02}", minutes / 60, minutes % 60))
}

fn jst_text(lang: Lang, ms: i64) -> String {
    let (day, time) = jst(ms);
    format!("{day} {time}{}", l(lang, "（日本時間）", " JST"))
}

/// The instant of a date (`YYYY-MM-DD`) and a time of day (`HH:MM`,
/// seconds ignored) in Japan.
fn cutoff_ms(date: &str, time: &str) -> Option<i64> {
    let date: Date = date.trim().parse().ok()?;
    let mut parts = time.trim().split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    if !(0..24).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    Some(date.unix_days() * DAY_MS + (hours * 60 + minutes) * 60_000 - JST_MS)
}

/// Yen with thousands separators: `¥12,400`.
fn yen(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}¥{grouped}", if amount < 0 { "-" } else { "" })
}

/// A whole number as people type it: full-width digits, thousands
/// separators, a yen sign or `円` are fine.
fn whole(text: &str) -> Option<i64> {
    let ascii: String = text
        .trim()
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
            ',' | '，' | '¥' | '￥' | '円' | ' ' | '　' => None,
            c => Some(c),
        })
        .collect();
    ascii.parse().ok()
}

fn status_text(lang: Lang, s: RoundStatus) -> &'static str {
    match s {
        RoundStatus::Proposed => l(lang, "承諾待ち", "awaiting the buyer"),
        RoundStatus::Declined => l(lang, "辞退", "declined"),
        RoundStatus::Open => l(lang, "受付中", "open"),
        RoundStatus::Ordered => l(lang, "発注済み", "ordered"),
        RoundStatus::Failed => l(lang, "不成立", "not ordered"),
        RoundStatus::Refused => l(lang, "発注不可", "order refused"),
        RoundStatus::Allocated => l(lang, "配分済み", "allocated"),
        RoundStatus::Cancelled => l(lang, "発注取消", "order cancelled"),
    }
}

fn part_text(lang: Lang, p: Part) -> &'static str {
    match p {
        Part::Organiser => l(lang, "主催", "organiser"),
        Part::Wholesaler => l(lang, "卸売", "wholesaler"),
        Part::Buyer => l(lang, "発注名義", "buyer"),
        Part::DistrictOrganiser => l(lang, "商店街の代表", "district organiser"),
        Part::Shop => l(lang, "参加店", "shop"),
    }
}

fn parts_text(lang: Lang, parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| part_text(lang, *p))
        .collect::<Vec<_>>()
        .join(l(lang, "・", ", "))
}

fn group_kind_text(lang: Lang, kind: &str) -> &'static str {
    match kind {
        "purchasing_group" => l(lang, "共同購入会", "purchasing group"),
        "manufacturing_network" => l(lang, "ものづくりネットワーク", "manufacturing network"),
        _ => l(lang, "地域", "region"),
    }
}

/// What a problem code means, in Japanese (the service's own sentences
/// are English).
fn code_text(code: ProblemCode) -> &'static str {
    match code {
        ProblemCode::Blank => "入力してください",
        ProblemCode::TooLong => "長すぎます",
        ProblemCode::OutOfRange => "大きすぎる数値です",
        ProblemCode::Negative => "0 以上で入力してください",
        ProblemCode::NotPositive => "1 以上で入力してください",
        ProblemCode::BadUnit => "単位が正しくありません",
        ProblemCode::NoItems => "商品を 1 つ以上入れてください",
        ProblemCode::NoDistricts => "招待する商店街を 1 つ以上選んでください",
        ProblemCode::NoDeliveryDates => "納品日を 1 つ以上入れてください",
        ProblemCode::DuplicateItem => "同じ品番が 2 回あります",
        ProblemCode::DuplicateDistrict => "同じ商店街が 2 回選ばれています",
        ProblemCode::DuplicateDeliveryDate => "同じ納品日が 2 回あります",
        ProblemCode::BadDate => "日付が正しくありません",
        ProblemCode::InconsistentPriceBreaks => {
            "数量段階は数量が増えるほど単価が下がるように入れてください"
        }
        ProblemCode::BreakAboveListPrice => "段階の単価が定価を上回っています",
        ProblemCode::CutoffNotInFuture => "締切は今より後にしてください",
        ProblemCode::UnknownItem => "この共同発注にない商品です",
        ProblemCode::DistrictNotInvited => "招待されていない商店街です",
        ProblemCode::BadQuantity => "数量は 1 以上 10 億以下で入れてください",
        ProblemCode::RoundClosed => "締切を過ぎています",
        ProblemCode::UnknownDistrict => "登録されていないグループです",
        ProblemCode::NotDistrictMember => "この商店街の会員ではありません",
        ProblemCode::DistrictMismatch => "ほかの申込みと同じ商店街（受け取り場所）を選んでください",
        ProblemCode::BuyerNotOrganiser => {
            "発注名義は招待した商店街の代表、主催は卸売業者か商店街の代表にしてください"
        }
    }
}

/// One problem for people: in Japanese the meaning of its code with the
/// service's sentence, in English the sentence.
fn problem_text(lang: Lang, p: &Problem) -> String {
    match lang {
        Lang::Ja => format!("{}（{}）", code_text(p.code), p.message),
        Lang::En => p.message.clone(),
    }
}

/// A refusal of a use case as one line.
fn refusal_text(lang: Lang, e: AppError) -> String {
    match e {
        AppError::Invalid(problems) => problems
            .problems
            .iter()
            .map(|p| problem_text(lang, p))
            .collect::<Vec<_>>()
            .join(" / "),
        e => message(e),
    }
}

/// A `<select>` whose option `chosen` is selected.
fn choice(name: &str, options: &[(String, String)], chosen: &str) -> String {
    let options: String = options
        .iter()
        .map(|(value, text)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(value),
                if value == chosen { " selected" } else { "" },
                escape(text)
            )
        })
        .collect();
    format!("<select name=\"{name}\" id=\"{name}\">{options}</select>")
}

async fn list(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    q: PageQuery,
) -> Response {
    let (v, caller, org, app) = match p.page(&headers, &client, &q, "/app/rounds").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let mut query = q;
    let rounds = match app.round_list(&caller, &org).await {
        Ok(rounds) => rounds,
        Err(e) => {
            query.error = Some(message(e));
            Vec::new()
        }
    };
    let named = names(
        &v,
        &caller,
        rounds.iter().map(|r| r.wholesaler_id.clone()).collect(),
    )
    .await;
    let mut table = format!(
        "<table id=\"rounds\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "件名", "Title"),
        l(lang, "状態", "Status"),
        l(lang, "締切", "Cut-off"),
        l(lang, "卸売業者", "Wholesaler"),
        l(lang, "あなたの立場", "Your part"),
    );
    for r in &rounds {
        table.push_str(&format!(
            "<tr><td><a href=\"/app/rounds/{}\">{}</a></td><td class=\"status\" data-status=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"parts\">{}</td></tr>",
            escape(&r.round_id),
            escape(&r.title),
            r.status.as_str(),
            status_text(lang, r.status),
            jst_text(lang, r.cutoff_ms),
            escape(named.get(&r.wholesaler_id).unwrap_or(&r.wholesaler_id)),
            parts_text(lang, &r.parts),
        ));
    }
    if rounds.is_empty() {
        table.push_str(&format!(
            "<tr><td colspan=\"5\">{}</td></tr>",
            l(
                lang,
                "参加している共同発注はまだありません。",
                "You take part in no round yet."
            )
        ));
    }
    table.push_str("</tbody></table>");
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/app/rounds/new\" id=\"open-round\">{}</a></p>{table}",
        l(lang, "共同発注", "Joint ordering"),
        l(
            lang,
            "商店街の参加店の注文をまとめて、1店では届かない数量割引の単価で仕入れます。",
            "Shops of several shopping districts pool their orders and reach price breaks no shop reaches alone."
        ),
        l(lang, "共同発注を始める", "Open a round"),
    );
    v.respond(
        l(lang, "共同発注", "Joint ordering"),
        "/app/rounds",
        &query,
        &body,
    )
}

/// Item rows of the open-a-round form.
const ITEM_ROWS: usize = 5;
/// Price breaks per item row.
const BREAKS: usize = 3;
/// Delivery date fields.
const DATES: usize = 3;

/// What the open-a-round form shows: the values typed so far and the
/// problems, by form field; problems about no field go above the form.
struct RoundForm {
    values: FormData,
    errors: BTreeMap<String, Vec<String>>,
    general: Vec<String>,
}

impl RoundForm {
    /// A blank form, closing a week from today at 17:00 Japanese time.
    fn blank() -> RoundForm {
        let (week, _) = jst(now_ms() + 7 * DAY_MS);
        RoundForm {
            values: FormData(vec![
                ("key".into(), form_key()),
                ("cutoff_date".into(), week),
                ("cutoff_time".into(), "17:00".into()),
            ]),
            errors: BTreeMap::new(),
            general: Vec::new(),
        }
    }

    fn problem(&mut self, field: Option<String>, text: String) {
        match field {
            Some(f) => self.errors.entry(f).or_default().push(text),
            None => self.general.push(text),
        }
    }

    /// The messages about `name`, to put next to it.
    fn error(&self, name: &str) -> String {
        self.errors
            .get(name)
            .map(|texts| {
                format!(
                    "<span class=\"field-error\" id=\"error-{}\">{}</span>",
                    escape(name),
                    escape(&texts.join(" / "))
                )
            })
            .unwrap_or_default()
    }

    /// A bare input holding its value, followed by its messages.
    fn input(&self, name: &str, kind: &str, extra: &str) -> String {
        format!(
            "{}{}",
            field(name, kind, self.values.get(name), extra),
            self.error(name)
        )
    }

    fn labelled(&self, name: &str, label: &str, kind: &str, extra: &str) -> String {
        format!(
            "<label>{}{}</label>",
            escape(label),
            self.input(name, kind, extra)
        )
    }

    fn problems(&self) -> usize {
        self.errors.values().map(Vec::len).sum::<usize>() + self.general.len()
    }
}

async fn render_round_form(
    v: &Visit,
    caller: &Caller,
    org: &str,
    app: &App,
    q: &PageQuery,
    form: RoundForm,
) -> Response {
    let lang = v.lang;
    let districts = app.district_list(caller, org).await.unwrap_or_default();
    let mut ids: Vec<String> = districts
        .iter()
        .map(|(d, _)| d.organiser_id.clone())
        .collect();
    let partners = active_partners(v, caller, org).await;
    ids.push(org.to_string());
    let named = names(v, caller, ids).await;
    let name = |id: &str| named.get(id).cloned().unwrap_or_else(|| id.to_string());
    let chosen: Vec<String> = form.values.all("district");
    let mut rows = String::new();
    for (d, member) in &districts {
        let gid = &d.group_id;
        rows.push_str(&format!(
            "<tr id=\"district-row-{gid}\"><td><input type=\"checkbox\" name=\"district\" value=\"{gid}\" id=\"district-{gid}\"{}></td>\
             <td><label for=\"district-{gid}\" class=\"check\">{}</label> <small>{}{}</small>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if chosen.contains(gid) { " checked" } else { "" },
            escape(&d.name),
            group_kind_text(lang, &d.kind),
            if *member { l(lang, "・会員", ", member") } else { "" },
            form.error(&format!("district_{gid}")),
            escape(&name(&d.organiser_id)),
            form.input(&format!("drop_name_{gid}"), "text", "size=\"14\""),
            form.input(&format!("drop_address_{gid}"), "text", "size=\"28\""),
            gid = escape(gid),
        ));
    }
    if districts.is_empty() {
        rows.push_str(&format!(
            "<tr><td colspan=\"5\">{}</td></tr>",
            l(
                lang,
                "招待できる共同購入グループがまだありません。商店街の代表がグループページで「共同購入会」を作ると表示されます。",
                "No purchasing group to invite yet: one appears once a district's organiser forms a purchasing group on the Groups page."
            )
        ));
    }
    let mut buyers: Vec<(String, String)> = vec![(
        String::new(),
        l(
            lang,
            "— 選んでください（商店街の代表として主催するときは空欄）",
            "— choose (leave empty when you open it as a district's organiser)",
        )
        .to_string(),
    )];
    for (d, _) in &districts {
        if !buyers.iter().any(|(id, _)| *id == d.organiser_id) {
            let label = match lang {
                Lang::Ja => format!("{}（{}の代表）", name(&d.organiser_id), d.name),
                Lang::En => format!("{} (organiser of {})", name(&d.organiser_id), d.name),
            };
            buyers.push((d.organiser_id.clone(), label));
        }
    }
    let mut wholesalers: Vec<(String, String)> = vec![(
        String::new(),
        match lang {
            Lang::Ja => format!("{}（自組織が卸売業者）", name(org)),
            Lang::En => format!("{} (we are the wholesaler)", name(org)),
        },
    )];
    wholesalers.extend(partners);
    let fee_kinds = [
        (
            "per_drop".to_string(),
            l(
                lang,
                "1便ごと（商店街の参加店で割り勘）",
                "Per drop (shared by the district's shops)",
            )
            .to_string(),
        ),
        (
            "per_shop".to_string(),
            l(lang, "1店ごと", "Per shop").to_string(),
        ),
    ];
    let dates: String = (1..=DATES)
        .map(|s| form.input(&format!("delivery_{s}"), "date", ""))
        .collect();
    let mut items = String::new();
    for r in 1..=ITEM_ROWS {
        let names: Vec<String> = ["row", "code", "name", "unit", "list", "min"]
            .iter()
            .map(|w| format!("{w}_{r}"))
            .chain((1..=BREAKS).flat_map(|j| [format!("bq{j}_{r}"), format!("bp{j}_{r}")]))
            .collect();
        let class = if names.iter().any(|n| form.errors.contains_key(n)) {
            " class=\"error\""
        } else {
            ""
        };
        let breaks: String = (1..=BREAKS)
            .map(|j| {
                format!(
                    "<td class=\"break\">{} → {}</td>",
                    form.input(
                        &format!("bq{j}_{r}"),
                        "text",
                        "size=\"5\" inputmode=\"numeric\""
                    ),
                    form.input(
                        &format!("bp{j}_{r}"),
                        "text",
                        "size=\"7\" inputmode=\"numeric\""
                    ),
                )
            })
            .collect();
        items.push_str(&format!(
            "<tr id=\"item-row-{r}\"{class}><td>{r}{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td>{breaks}</tr>",
            form.error(&format!("row_{r}")),
            form.input(&format!("code_{r}"), "text", "size=\"10\""),
            form.input(&format!("name_{r}"), "text", "size=\"18\""),
            unit_select(
                lang,
                &format!("unit_{r}"),
                form.values.get(&format!("unit_{r}")),
                &format!("{} {r} {}", l(lang, "品目", "item"), l(lang, "の単位", "unit"))
            ),
            form.error(&format!("unit_{r}")),
            form.input(&format!("list_{r}"), "text", "size=\"7\" inputmode=\"numeric\""),
            form.input(&format!("min_{r}"), "text", "size=\"5\" inputmode=\"numeric\""),
        ));
    }
    let breaks_head: String = (1..=BREAKS)
        .map(|j| {
            format!(
                "<th>{} {j}<br><small>{}</small></th>",
                l(lang, "段階", "Break"),
                l(lang, "数量 → 単価（円）", "quantity → price (JPY)")
            )
        })
        .collect();
    let inner = format!(
        "<input type=\"hidden\" name=\"key\" value=\"{key}\">\
         {title}\
         <fieldset id=\"cutoff\"><legend>{cutoff_label}</legend>{cutoff_date}{cutoff_time}{cutoff_error}</fieldset>\
         <label>{wholesaler_label}{wholesaler}{wholesaler_error}</label>\
         <label>{buyer_label}{buyer}{buyer_error}</label>\
         <fieldset id=\"districts\"><legend>{districts_label}</legend>{districts_error}\
         <table id=\"district-choices\"><thead><tr><th></th><th>{group}</th><th>{organiser}</th><th>{drop_name}</th><th>{drop_address}</th></tr></thead><tbody>{rows}</tbody></table></fieldset>\
         <fieldset id=\"delivery\"><legend>{delivery_label}</legend>{dates}{delivery_error}</fieldset>\
         <fieldset id=\"fees\"><legend>{fees_label}</legend><label>{fee_kind_label}{fee_kind}</label>{fee_amount}{solo_fee}</fieldset>\
         <fieldset id=\"items\"><legend>{items_label}</legend>{items_error}\
         <table id=\"round-items\"><thead><tr><th>#</th><th>{code}</th><th>{item}</th><th>{unit}</th><th>{list}</th><th>{minimum}</th>{breaks_head}</tr></thead><tbody>{items}</tbody></table></fieldset>",
        key = escape(form.values.get("key")),
        title = form.labelled("title", l(lang, "件名", "Title"), "text", "size=\"40\""),
        cutoff_label = l(lang, "締切（日本時間）", "Cut-off (Japan time)"),
        cutoff_date = form.input("cutoff_date", "date", ""),
        cutoff_time = form.input("cutoff_time", "time", ""),
        cutoff_error = form.error("cutoff"),
        wholesaler_label = l(lang, "卸売業者", "Wholesaler"),
        wholesaler = choice(
            "wholesaler_id",
            &wholesalers,
            form.values.get("wholesaler_id")
        ),
        wholesaler_error = form.error("wholesaler_id"),
        buyer_label = l(
            lang,
            "発注名義（まとめた注文を出す商店街の代表）",
            "Buyer (the district organiser the consolidated order is placed for)"
        ),
        buyer = choice("buyer_id", &buyers, form.values.get("buyer_id")),
        buyer_error = form.error("buyer_id"),
        districts_label = l(
            lang,
            "招待する商店街と荷受け場所",
            "Districts invited, and where each receives its delivery"
        ),
        districts_error = form.error("districts"),
        group = l(lang, "商店街（グループ）", "District (group)"),
        organiser = l(lang, "代表", "Organiser"),
        drop_name = l(lang, "荷受け場所", "Drop point"),
        drop_address = l(lang, "住所", "Address"),
        delivery_label = l(lang, "納品日", "Delivery dates"),
        delivery_error = form.error("delivery"),
        fees_label = l(lang, "配送料", "Delivery fees"),
        fee_kind_label = l(lang, "まとめ配送の料金", "Pooled delivery charged"),
        fee_kind = choice("fee_kind", &fee_kinds, form.values.get("fee_kind")),
        fee_amount = form.labelled(
            "fee_amount",
            l(lang, "金額（円）", "Amount (JPY)"),
            "text",
            "size=\"8\" inputmode=\"numeric\""
        ),
        solo_fee = form.labelled(
            "solo_fee",
            l(
                lang,
                "1店だけで注文した場合の配送料（円）",
                "Delivery fee for a shop ordering alone (JPY)"
            ),
            "text",
            "size=\"8\" inputmode=\"numeric\""
        ),
        items_label = l(
            lang,
            "商品と数量段階（合計数量がその数に届くとその単価）",
            "Items and price breaks (the price applies once the pooled quantity reaches the break)"
        ),
        items_error = form.error("items"),
        code = l(lang, "品番", "Code"),
        item = l(lang, "品名", "Name"),
        unit = l(lang, "単位", "Unit"),
        list = l(lang, "定価（円）", "List price (JPY)"),
        minimum = l(lang, "最低数量", "Minimum"),
    );
    let mut query = PageQuery::default();
    query.lang = q.lang.clone();
    let count = form.problems();
    if count > 0 {
        query.error = Some(match lang {
            Lang::Ja => format!("入力内容を確認してください（{count} 件）。"),
            Lang::En => format!("Please check the form ({count} problems)."),
        });
    }
    let general = if form.general.is_empty() {
        String::new()
    } else {
        format!(
            "<ul id=\"problems\">{}</ul>",
            form.general
                .iter()
                .map(|t| format!("<li>{}</li>", escape(t)))
                .collect::<String>()
        )
    };
    let body = format!(
        "<p><a href=\"/app/rounds\">← {}</a></p><h1>{}</h1><p>{}</p>{general}{}",
        l(lang, "一覧へ", "All rounds"),
        l(lang, "共同発注を始める", "Open a round"),
        l(
            lang,
            "卸売業者、または商店街の代表が始められます。締切までに参加店が数量を申し込み、合計数量で単価が決まります。",
            "A wholesaler or a district's organiser opens a round; shops add what they want until the cut-off and the pooled quantity sets the price."
        ),
        v.form(
            "/app/rounds",
            "open-round-form",
            &inner,
            l(lang, "共同発注を始める", "Open the round")
        )
    );
    let mut r = v.respond(
        l(lang, "共同発注を始める", "Open a round"),
        "/app/rounds/new",
        &query,
        &body,
    );
    if count > 0 {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

async fn new_round(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    q: PageQuery,
) -> Response {
    let (v, caller, org, app) = match p.page(&headers, &client, &q, "/app/rounds/new").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_round_form(&v, &caller, &org, &app, &q, RoundForm::blank()).await
}

/// Where each part of the draft came from in the form, so that the
/// service's problems go back next to their fields.
#[derive(Debug, Default)]
struct Layout {
    /// The group id of `districts[i]`.
    districts: Vec<String>,
    /// The field slot of `delivery_dates[i]`.
    dates: Vec<usize>,
    /// The row of `items[i]`, and the slot of each of its breaks.
    items: Vec<(usize, Vec<usize>)>,
}

/// A number field; blank reads as 0 (the service says what 0 breaks), and
/// text that is no number is a problem of the form.
fn number(f: &FormData, name: &str, lang: Lang, bad: &mut Vec<(String, String)>) -> i64 {
    match f.opt(name) {
        None => 0,
        Some(text) => whole(&text).unwrap_or_else(|| {
            bad.push((
                name.to_string(),
                format!(
                    "{}: `{text}`",
                    l(lang, "整数で入れてください", "not a whole number")
                ),
            ));
            0
        }),
    }
}

/// The round the form describes, where its parts came from, and the
/// fields the service cannot be asked about (no number, no time).
fn round_from(f: &FormData, lang: Lang) -> (OpenRound, Layout, Vec<(String, String)>) {
    let mut bad = Vec::new();
    let mut layout = Layout::default();
    let cutoff = match (f.opt("cutoff_date"), f.opt("cutoff_time")) {
        (Some(date), Some(time)) => cutoff_ms(&date, &time).unwrap_or_else(|| {
            bad.push((
                "cutoff".into(),
                l(
                    lang,
                    "締切の日付か時刻が正しくありません",
                    "the cut-off's date or time is not valid",
                )
                .into(),
            ));
            0
        }),
        _ => {
            bad.push((
                "cutoff".into(),
                l(
                    lang,
                    "締切の日付と時刻を入れてください",
                    "enter the cut-off's date and time",
                )
                .into(),
            ));
            0
        }
    };
    let mut items = Vec::new();
    for r in 1..=ITEM_ROWS {
        let at = |what: &str| format!("{what}_{r}");
        let slots: Vec<usize> = (1..=BREAKS)
            .filter(|j| {
                f.opt(&format!("bq{j}_{r}")).is_some() || f.opt(&format!("bp{j}_{r}")).is_some()
            })
            .collect();
        let typed = ["code", "name", "list", "min"]
            .iter()
            .any(|w| f.opt(&at(w)).is_some());
        if !typed && slots.is_empty() {
            continue;
        }
        let breaks = slots
            .iter()
            .map(|j| PriceBreak {
                min_quantity: number(f, &format!("bq{j}_{r}"), lang, &mut bad),
                unit_price: number(f, &format!("bp{j}_{r}"), lang, &mut bad),
            })
            .collect();
        items.push(ItemOffer {
            code: f.get(&at("code")).trim().to_string(),
            name: f.get(&at("name")).trim().to_string(),
            unit: f.opt(&at("unit")).unwrap_or_else(|| "H87".into()),
            list_price: number(f, &at("list"), lang, &mut bad),
            breaks,
            minimum_quantity: number(f, &at("min"), lang, &mut bad),
        });
        layout.items.push((r, slots));
    }
    let districts = f
        .all("district")
        .into_iter()
        .map(|gid| {
            let district = District {
                name: String::new(),
                drop_point: DropPoint {
                    name: f.get(&format!("drop_name_{gid}")).trim().to_string(),
                    address: f.get(&format!("drop_address_{gid}")).trim().to_string(),
                },
                group_id: gid.clone(),
            };
            layout.districts.push(gid);
            district
        })
        .collect();
    let mut delivery_dates = Vec::new();
    for s in 1..=DATES {
        if let Some(date) = f.opt(&format!("delivery_{s}")) {
            delivery_dates.push(date);
            layout.dates.push(s);
        }
    }
    let mut fee = |name: &str| {
        if f.opt(name).is_none() {
            bad.push((
                name.to_string(),
                l(
                    lang,
                    "金額を入れてください（無料なら 0）",
                    "enter an amount (0 if free)",
                )
                .into(),
            ));
        }
        number(f, name, lang, &mut bad)
    };
    let amount = fee("fee_amount");
    let fee_model = if f.get("fee_kind") == "per_shop" {
        FeeModel::PerShop {
            fee_per_shop: amount,
        }
    } else {
        FeeModel::PerDrop {
            fee_per_drop: amount,
        }
    };
    let solo_delivery_fee = fee("solo_fee");
    let input = OpenRound {
        wholesaler_id: f.opt("wholesaler_id"),
        buyer_id: f.opt("buyer_id"),
        round: RoundDraft {
            title: f.get("title").trim().to_string(),
            cutoff_ms: cutoff,
            items,
            districts,
            delivery_dates,
            fee_model,
            solo_delivery_fee,
        },
    };
    (input, layout, bad)
}

/// A path segment such as `items[2]`: its name and index.
fn indexed(segment: &str) -> (&str, Option<usize>) {
    match segment.split_once('[') {
        Some((name, rest)) => (name, rest.strip_suffix(']').and_then(|n| n.parse().ok())),
        None => (segment, None),
    }
}

/// The form field a problem's path is about: `round.items[1].breaks[0].unit_price`
/// is `bp1_3` when the second item came from row 3. The `round.` prefix is
/// optional, as the service reports draft rules without it. `None` when
/// the path names no field of the form.
fn field_of(path: &str, layout: &Layout) -> Option<String> {
    let path = path.strip_prefix("round.").unwrap_or(path);
    let mut segments = path.split('.');
    let (head, index) = indexed(segments.next()?);
    let rest: Vec<&str> = segments.collect();
    let top = |name: &str| rest.is_empty().then(|| name.to_string());
    match (head, index) {
        ("title", None) => top("title"),
        ("cutoff_ms", None) => top("cutoff"),
        ("buyer_id", None) => top("buyer_id"),
        ("wholesaler_id", None) => top("wholesaler_id"),
        ("solo_delivery_fee", None) => top("solo_fee"),
        ("fee_model", None) => Some("fee_amount".into()),
        ("items", None) => top("items"),
        ("districts", None) => top("districts"),
        ("delivery_dates", None) => top("delivery"),
        ("delivery_dates", Some(i)) => Some(format!("delivery_{}", layout.dates.get(i)?)),
        ("districts", Some(i)) => {
            let gid = layout.districts.get(i)?;
            Some(match rest.as_slice() {
                ["drop_point", "name"] => format!("drop_name_{gid}"),
                ["drop_point", "address"] => format!("drop_address_{gid}"),
                _ => format!("district_{gid}"),
            })
        }
        ("items", Some(i)) => {
            let (row, slots) = layout.items.get(i)?;
            Some(match rest.as_slice() {
                ["code"] => format!("code_{row}"),
                ["name"] => format!("name_{row}"),
                ["unit"] => format!("unit_{row}"),
                ["list_price"] => format!("list_{row}"),
                ["minimum_quantity"] => format!("min_{row}"),
                [b, what] if b.starts_with("breaks[") => {
                    let slot = indexed(b).1.and_then(|j| slots.get(j));
                    match (slot, *what) {
                        (Some(s), "min_quantity") => format!("bq{s}_{row}"),
                        (Some(s), "unit_price") => format!("bp{s}_{row}"),
                        _ => format!("row_{row}"),
                    }
                }
                _ => format!("row_{row}"),
            })
        }
        _ => None,
    }
}

async fn open(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    body: Bytes,
) -> Response {
    let (v, f, caller, org, app) = match p.posted(&headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let q = PageQuery::default();
    let (input, layout, bad) = round_from(&f, lang);
    let key = format!("web-{}", f.get("key"));
    let mut form = RoundForm {
        values: f,
        errors: BTreeMap::new(),
        general: Vec::new(),
    };
    if !bad.is_empty() {
        for (name, text) in bad {
            form.problem(Some(name), text);
        }
        return render_round_form(&v, &caller, &org, &app, &q, form).await;
    }
    match app.round_open(&caller, &org, input, &key).await {
        Ok(view) => redirect(
            &with(
                &format!("/app/rounds/{}", view.summary.round_id),
                "notice",
                l(lang, "共同発注を始めました。", "The round is open."),
            ),
            v.visitor.cookies,
        ),
        Err(AppError::Invalid(problems)) => {
            for p in &problems.problems {
                form.problem(field_of(&p.path, &layout), problem_text(lang, p));
            }
            render_round_form(&v, &caller, &org, &app, &q, form).await
        }
        Err(e) => {
            form.problem(None, message(e));
            render_round_form(&v, &caller, &org, &app, &q, form).await
        }
    }
}

async fn detail(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path(id): Path<String>,
    q: PageQuery,
) -> Response {
    let here = format!("/app/rounds/{id}");
    let (v, caller, org, app) = match p.page(&headers, &client, &q, &here).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render_round(&v, &caller, &org, &app, &id, &q, None).await
}

/// The progress of an item towards its next price break.
fn next_tier(lang: Lang, item: &ItemView, has_breaks: bool) -> String {
    match &item.next {
        Some(n) => {
            let text = match lang {
                Lang::Ja => format!(
                    "あと {} {}で {}",
                    n.units_missing,
                    unit_name(lang, &item.unit),
                    yen(n.unit_price)
                ),
                Lang::En => format!("{} more units reach {}", n.units_missing, yen(n.unit_price)),
            };
            format!(
                "<progress value=\"{}\" max=\"{}\"></progress> <span class=\"to-next\">{text}</span>",
                item.pooled,
                item.pooled + n.units_missing,
            )
        }
        None if has_breaks => format!(
            "<span class=\"to-next\">{}</span>",
            l(lang, "最も安い単価に到達", "lowest price reached")
        ),
        None => format!(
            "<span class=\"to-next\">{}</span>",
            l(lang, "数量割引なし", "no price breaks")
        ),
    }
}

fn minimum_text(lang: Lang, item: &ItemView) -> String {
    if item.units_to_minimum > 0 {
        match lang {
            Lang::Ja => format!(
                "{}（あと {}）",
                item.minimum_quantity, item.units_to_minimum
            ),
            Lang::En => format!(
                "{} ({} to go)",
                item.minimum_quantity, item.units_to_minimum
            ),
        }
    } else {
        format!(
            "{}{}",
            item.minimum_quantity,
            l(lang, "（達成）", " (reached)")
        )
    }
}

fn fee_text(lang: Lang, fee: FeeModel) -> String {
    match (fee, lang) {
        (FeeModel::PerDrop { fee_per_drop }, Lang::Ja) => {
            format!("1便 {}（商店街の参加店で割り勘）", yen(fee_per_drop))
        }
        (FeeModel::PerDrop { fee_per_drop }, Lang::En) => {
            format!(
                "{} per drop, shared by the district's shops",
                yen(fee_per_drop)
            )
        }
        (FeeModel::PerShop { fee_per_shop }, Lang::Ja) => format!("1店 {}", yen(fee_per_shop)),
        (FeeModel::PerShop { fee_per_shop }, Lang::En) => {
            format!("{} per shop", yen(fee_per_shop))
        }
    }
}

/// Three cells: alone, pooled, saved.
fn saving_cells(s: &Saving) -> String {
    format!(
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num saving\">{}</td>",
        yen(s.alone),
        yen(s.pooled),
        yen(s.saving)
    )
}

fn saving_head(lang: Lang) -> String {
    format!(
        "<th>{}</th><th>{}</th><th>{}</th>",
        l(lang, "1店で注文した場合", "Ordering alone"),
        l(lang, "共同発注", "Pooled"),
        l(lang, "節約額", "Saved")
    )
}

/// The round page; `trouble` is an item code and why the caller's change
/// to it was refused, shown on the item's row.
async fn render_round(
    v: &Visit,
    caller: &Caller,
    org: &str,
    app: &App,
    id: &str,
    q: &PageQuery,
    trouble: Option<(String, String)>,
) -> Response {
    let lang = v.lang;
    let here = format!("/app/rounds/{id}");
    let view = match app.round_view(caller, org, id).await {
        Ok(view) => view,
        Err(e) => {
            let body = format!(
                "<p><a href=\"/app/rounds\">← {}</a></p><h1>{}</h1><p id=\"error\">{}</p>",
                l(lang, "一覧へ", "All rounds"),
                l(lang, "共同発注", "Joint ordering"),
                escape(&message(e))
            );
            let mut r = v.respond(l(lang, "共同発注", "Joint ordering"), &here, q, &body);
            *r.status_mut() = StatusCode::NOT_FOUND;
            return r;
        }
    };
    let s = &view.summary;
    let mut ids = vec![
        s.organiser_id.clone(),
        s.wholesaler_id.clone(),
        s.buyer_id.clone(),
    ];
    let whole = s
        .parts
        .iter()
        .any(|p| matches!(p, Part::Organiser | Part::Wholesaler | Part::Buyer));
    let organises = whole || s.parts.contains(&Part::DistrictOrganiser);
    let plan = if organises && s.status == RoundStatus::Allocated {
        app.round_delivery_plan(caller, org, id).await.ok()
    } else {
        None
    };
    if let Some(plan) = &plan {
        ids.extend(
            plan.drops
                .iter()
                .flat_map(|d| d.shops.iter().map(|s| s.shop_id.clone())),
        );
    }
    let named = names(v, caller, ids).await;
    let name = |id: &str| named.get(id).cloned().unwrap_or_else(|| id.to_string());
    let district_name: HashMap<&str, &str> = view
        .districts
        .iter()
        .map(|d| (d.group_id.as_str(), d.name.as_str()))
        .collect();
    let open_now = s.status == RoundStatus::Open && now_ms() < s.cutoff_ms;
    let mut html = format!(
        "<p><a href=\"/app/rounds\">← {}</a></p><h1 id=\"round-title\">{}</h1>\
         <p>{}: <strong id=\"round-status\" data-status=\"{}\">{}</strong> · {}: <span id=\"cutoff\">{}</span></p>",
        l(lang, "一覧へ", "All rounds"),
        escape(&s.title),
        l(lang, "状態", "Status"),
        s.status.as_str(),
        status_text(lang, s.status),
        l(lang, "締切", "Cut-off"),
        jst_text(lang, s.cutoff_ms),
    );
    if let Some(refusal) = &view.refusal {
        html.push_str(&format!(
            "<p class=\"error\" id=\"refusal\">{}: {}</p>",
            l(
                lang,
                "まとめた注文は受け付けられませんでした",
                "The consolidated order was refused"
            ),
            escape(refusal)
        ));
    }
    html.push_str(&format!(
        "<table id=\"round-facts\"><tbody>\
         <tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>\
         <tr><th>{}</th><td id=\"your-part\">{}</td></tr><tr><th>{}</th><td>{}</td></tr>\
         <tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></tbody></table>",
        l(lang, "主催", "Organiser"),
        escape(&name(&s.organiser_id)),
        l(lang, "卸売業者", "Wholesaler"),
        escape(&name(&s.wholesaler_id)),
        l(lang, "発注名義", "Buyer"),
        escape(&name(&s.buyer_id)),
        l(lang, "あなたの立場", "Your part"),
        parts_text(lang, &s.parts),
        l(lang, "納品日", "Delivery"),
        escape(&view.round.delivery_dates.join(", ")),
        l(lang, "まとめ配送の料金", "Pooled delivery"),
        fee_text(lang, view.round.fee_model),
        l(lang, "1店で注文した場合の配送料", "Delivery when ordering alone"),
        yen(view.round.solo_delivery_fee),
    ));
    html.push_str(&pool_table(v, &view, open_now, trouble.as_ref()));
    if let Some(mine) = view.mine.as_ref().filter(|_| open_now) {
        if let (Some(fee), Some(total)) = (mine.expected_fee, mine.expected_total) {
            html.push_str(&format!(
                "<p id=\"my-expected\">{}: <span id=\"expected-fee\">{}</span> · {}: <strong id=\"expected-total\">{}</strong> <small>{}</small></p>",
                l(lang, "見込みの配送料", "Expected delivery fee"),
                yen(fee),
                l(lang, "見込みの合計", "Expected total"),
                yen(total),
                l(
                    lang,
                    "いま締め切った場合の金額です。単価は締切時の合計数量で決まります。",
                    "If the round closed now; prices are set by the pooled quantity at the cut-off."
                ),
            ));
        }
    }
    html.push_str(&format!(
        "<h2>{}</h2><table id=\"districts\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        l(lang, "招待された商店街", "Districts invited"),
        l(lang, "商店街", "District"),
        l(lang, "荷受け場所", "Drop point"),
        l(lang, "参加店", "Shops"),
        l(lang, "節約額", "Saved"),
    ));
    for d in &view.districts {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}<br><small>{}</small></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&d.name),
            escape(&d.drop_point.name),
            escape(&d.drop_point.address),
            d.shops,
            d.saving.map(|s| yen(s.saving)).unwrap_or_default(),
        ));
    }
    html.push_str("</tbody></table>");
    if open_now
        && s.parts
            .iter()
            .any(|p| matches!(p, Part::Organiser | Part::Wholesaler))
    {
        html.push_str(&format!(
            "<h2>{}</h2><p>{}</p>{}",
            l(lang, "締切", "Close"),
            l(
                lang,
                "締切を待たずに締め切り、最低数量に届いた商品をまとめて発注します。",
                "Close before the cut-off: the items that reached their minimum are ordered together."
            ),
            v.form(
                &format!("/app/rounds/{id}/close"),
                "close-form",
                "",
                l(lang, "今すぐ締め切る", "Close now")
            )
        ));
    }
    if s.status == RoundStatus::Proposed && s.parts.contains(&Part::Buyer) {
        html.push_str(&format!(
            "<h2>{}</h2><p>{}</p>{}{}",
            l(lang, "発注者としての承諾", "Accept as the buyer"),
            l(
                lang,
                "卸売業者が、この共同発注のまとめ注文をあなたの組織の名前で発注するよう提案しています。承諾すると参加店の申込みを受け付けます。",
                "The wholesaler proposes to place this round's consolidated order in your organisation's name. Once you accept, shops can add their quantities."
            ),
            v.form(
                &format!("/app/rounds/{id}/accept"),
                "accept-form",
                "",
                l(lang, "承諾する", "Accept")
            ),
            v.form(
                &format!("/app/rounds/{id}/decline"),
                "decline-form",
                "",
                l(lang, "辞退する", "Decline")
            )
        ));
    } else if s.status == RoundStatus::Proposed {
        html.push_str(&format!(
            "<p class=\"notice\">{}</p>",
            l(
                lang,
                "発注者（商店街の代表）の承諾待ちです。承諾されると申込みを受け付けます。",
                "Waiting for the buyer (the district's representative) to accept; shops can add quantities once it does."
            )
        ));
    }
    html.push_str(&closing_html(lang, &view));
    html.push_str(&allocation_html(lang, &view, organises, &district_name));
    if let Some(plan) = &plan {
        html.push_str(&format!(
            "<h2>{}</h2><p>{}: {}</p>",
            l(lang, "配送計画", "Delivery plan"),
            l(lang, "納品日", "Delivery"),
            escape(&plan.dates.join(", "))
        ));
        html.push_str("<div id=\"delivery-plan\">");
        for drop in &plan.drops {
            html.push_str(&format!(
                "<h3>{}</h3><p>{} · {}</p><table><tbody>",
                escape(&drop.district_name),
                escape(&drop.drop_point.name),
                escape(&drop.drop_point.address)
            ));
            for shop in &drop.shops {
                let picks = shop
                    .picks
                    .iter()
                    .map(|p| {
                        format!(
                            "{} × {} {}",
                            escape(&p.name),
                            p.quantity,
                            escape(&unit_name(lang, &p.unit))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                html.push_str(&format!(
                    "<tr><td>{}</td><td>{picks}</td></tr>",
                    escape(&name(&shop.shop_id))
                ));
            }
            html.push_str("</tbody></table>");
        }
        html.push_str("</div>");
    }
    let mut r = v.respond(&s.title, &here, q, &html);
    if trouble.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The live pool, per item; for a shop its own quantities and, while the
/// round is open, the forms to change them.
fn pool_table(
    v: &Visit,
    view: &RoundView,
    open_now: bool,
    trouble: Option<&(String, String)>,
) -> String {
    let lang = v.lang;
    let id = &view.summary.round_id;
    let mine = view.mine.as_ref();
    let mut head = format!(
        "<th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
        l(lang, "商品（品番・単位）", "Item (code, unit)"),
        l(lang, "定価", "List price"),
        l(lang, "合計数量", "Pooled"),
        l(lang, "参加店", "Shops"),
        l(lang, "現在の単価", "Price now"),
        l(lang, "次の段階まで", "Next price break"),
        l(lang, "最低数量", "Minimum"),
    );
    if mine.is_some() {
        head.push_str(&format!(
            "<th>{}</th>",
            l(lang, "あなたの数量", "Your quantity")
        ));
        if open_now {
            head.push_str(&format!(
                "<th>{}</th><th>{}</th><th>{}</th>",
                l(lang, "見込み単価", "Expected price"),
                l(lang, "見込み金額", "Expected amount"),
                l(lang, "申込み", "Your order"),
            ));
        }
    }
    let mut html = format!(
        "<h2>{}</h2><div class=\"scroll\"><table id=\"pool\"><thead><tr>{head}</tr></thead><tbody>",
        l(lang, "商品と集まった数量", "Items and the pool")
    );
    for (i, item) in view.items.iter().enumerate() {
        let n = i + 1;
        let has_breaks = view
            .round
            .items
            .iter()
            .find(|o| o.code == item.item_code)
            .is_some_and(|o| !o.breaks.is_empty());
        html.push_str(&format!(
            "<tr id=\"item-{n}\"><td>{}<br><small><code class=\"code\">{}</code> · {}</small></td><td class=\"num\">{}</td>\
             <td class=\"num pooled\">{}</td><td class=\"num shops\">{}</td><td class=\"num tier\">{}</td><td class=\"next\">{}</td><td class=\"minimum\">{}</td>",
            escape(&item.name),
            escape(&item.item_code),
            escape(&unit_name(lang, &item.unit)),
            yen(item.list_price),
            item.pooled,
            item.shops,
            yen(item.tier.unit_price),
            if open_now {
                next_tier(lang, item, has_breaks)
            } else {
                "—".to_string()
            },
            minimum_text(lang, item),
        ));
        if let Some(mine) = mine {
            let held = mine
                .intents
                .iter()
                .find(|x| x.item_code == item.item_code && x.quantity > 0);
            html.push_str(&format!(
                "<td class=\"num mine\">{}</td>",
                held.map(|h| h.quantity.to_string()).unwrap_or_default(),
            ));
            if open_now {
                html.push_str(&format!(
                    "<td class=\"num expected-price\">{}</td><td class=\"num expected-amount\">{}</td>",
                    held.and_then(|h| h.expected_unit_price).map(yen).unwrap_or_default(),
                    held.and_then(|h| h.expected_amount).map(yen).unwrap_or_default(),
                ));
                let item_field = format!(
                    "<input type=\"hidden\" name=\"item\" value=\"{}\">",
                    escape(&item.item_code)
                );
                let district = if mine.districts.len() > 1 {
                    let options: Vec<(String, String)> = mine
                        .districts
                        .iter()
                        .map(|d| {
                            let name = view
                                .districts
                                .iter()
                                .find(|x| x.group_id == *d)
                                .map_or(d.as_str(), |x| x.name.as_str());
                            (d.clone(), name.to_string())
                        })
                        .collect();
                    let held_at = held.map(|h| h.district_id.as_str()).unwrap_or("");
                    format!(
                        "<label>{}{}</label>",
                        l(lang, "受け取る商店街", "Collect at"),
                        choice("district_id", &options, held_at).replace(" id=\"district_id\"", "")
                    )
                } else {
                    String::new()
                };
                let inner = format!(
                    "{item_field}<label>{}{}</label><label>{}{}</label>{district}",
                    l(lang, "数量", "Quantity"),
                    field(
                        "quantity",
                        "text",
                        &held.map(|h| h.quantity.to_string()).unwrap_or_default(),
                        "size=\"5\" inputmode=\"numeric\""
                    ),
                    l(lang, "上限単価（任意）", "Highest price (optional)"),
                    field(
                        "max_unit_price",
                        "text",
                        &held
                            .and_then(|h| h.max_unit_price)
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        "size=\"7\" inputmode=\"numeric\""
                    ),
                );
                let mut cell = v.form(
                    &format!("/app/rounds/{id}/intent"),
                    &format!("intent-{n}"),
                    &inner,
                    if held.is_some() {
                        l(lang, "変更する", "Change")
                    } else {
                        l(lang, "申し込む", "Add")
                    },
                );
                if held.is_some() {
                    cell.push_str(&v.form(
                        &format!("/app/rounds/{id}/withdraw"),
                        &format!("withdraw-{n}"),
                        &item_field,
                        l(lang, "取り消す", "Withdraw"),
                    ));
                }
                if let Some((_, text)) = trouble.filter(|(code, _)| *code == item.item_code) {
                    cell.push_str(&format!(
                        "<p class=\"field-error\" id=\"item-error-{n}\">{}</p>",
                        escape(text)
                    ));
                }
                html.push_str(&format!("<td>{cell}</td>"));
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html
}

/// What the close produced: the consolidated order's lines and the items
/// not ordered. The order itself is linked for its two parties, the
/// wholesaler and the buyer; the orders service shows it to no one else.
fn closing_html(lang: Lang, view: &RoundView) -> String {
    let Some(closing) = &view.closing else {
        return String::new();
    };
    let s = &view.summary;
    let mut html = format!(
        "<section id=\"closing\" data-outcome=\"{}\"><h2>{}</h2>",
        match closing.outcome {
            Outcome::Ordered => "ordered",
            Outcome::Failed => "failed",
        },
        l(lang, "まとめた注文", "Consolidated order"),
    );
    if closing.outcome == Outcome::Failed {
        html.push_str(&format!(
            "<p>{}</p>",
            l(
                lang,
                "最低数量に届いた商品がなく、発注しませんでした。",
                "No item reached its minimum; nothing was ordered."
            )
        ));
    } else {
        let party = s
            .parts
            .iter()
            .any(|p| matches!(p, Part::Wholesaler | Part::Buyer));
        let link = match &s.order_id {
            Some(order_id) if party => format!(
                " · <a id=\"order-link\" href=\"/app/orders/{}\">{}</a>",
                escape(order_id),
                l(lang, "注文を開く", "Open the order")
            ),
            Some(_) => String::new(),
            None => format!(
                " · {}",
                l(
                    lang,
                    "受発注サービスへ送信中",
                    "on its way to the orders service"
                )
            ),
        };
        html.push_str(&format!(
            "<p>{}: <span id=\"order-number\">{}</span>{link} · {}: {}</p>",
            l(lang, "注文番号", "Order number"),
            escape(&s.order_number),
            l(lang, "参加店", "Shops"),
            closing
                .shops
                .map_or_else(|| "—".to_string(), |n| n.to_string()),
        ));
        html.push_str(&format!(
            "<table id=\"order-lines\"><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l(lang, "品番", "Code"),
            l(lang, "品名", "Item"),
            l(lang, "数量", "Quantity"),
            l(lang, "単価", "Price"),
            l(lang, "参加店", "Shops"),
        ));
        for line in &closing.lines {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                line.line,
                escape(&line.item_code),
                escape(&line.name),
                line.quantity,
                escape(&unit_name(lang, &line.unit)),
                yen(line.tier.unit_price),
                line.shops,
            ));
        }
        html.push_str("</tbody></table>");
    }
    if !closing.failed.is_empty() {
        html.push_str(&format!(
            "<h3>{}</h3><table id=\"failed-items\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l(lang, "発注しなかった商品", "Items not ordered"),
            l(lang, "品番", "Code"),
            l(lang, "理由", "Reason"),
            l(lang, "合計数量", "Pooled"),
            l(lang, "最低数量", "Minimum"),
        ));
        for f in &closing.failed {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&f.item_code),
                match f.reason {
                    FailureReason::BelowMinimum => l(lang, "最低数量に届かず", "below its minimum"),
                },
                f.pooled,
                f.minimum_quantity,
            ));
        }
        html.push_str("</tbody></table>");
    }
    if closing.dropped > 0 {
        html.push_str(&format!(
            "<p>{}: {}</p>",
            l(
                lang,
                "上限単価が決まった単価より低く、外れた申込み",
                "Intents left out because their highest price was below the price reached"
            ),
            closing.dropped
        ));
    }
    html.push_str("</section>");
    html
}

/// Once the wholesaler answered: what the shop receives and saves; for
/// those who organise, the items accepted and the districts' and the
/// round's savings.
fn allocation_html(
    lang: Lang,
    view: &RoundView,
    organises: bool,
    district_name: &HashMap<&str, &str>,
) -> String {
    let Some(allocation) = &view.allocation else {
        return String::new();
    };
    let mut html = String::new();
    if let Some(mine) = view.mine.as_ref().and_then(|m| m.allocation.as_ref()) {
        let p = &mine.participant;
        html.push_str(&format!(
            "<section id=\"my-allocation\"><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l(lang, "あなたの受け取り", "What you receive"),
            l(lang, "品番", "Code"),
            l(lang, "申込み", "Asked"),
            l(lang, "配分", "Allocated"),
            l(lang, "単価", "Price"),
            l(lang, "金額", "Amount"),
        ));
        for line in &p.lines {
            html.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num allocated\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&line.item_code),
                line.requested,
                line.allocated,
                yen(line.unit_price),
                yen(line.amount),
            ));
        }
        html.push_str(&format!(
            "</tbody></table><p>{}: {} · {}: {} · {}: <strong id=\"my-total\">{}</strong></p>\
             <table id=\"my-saving\"><thead><tr>{}</tr></thead><tbody><tr>{}</tr></tbody></table></section>",
            l(lang, "商品代", "Goods"),
            yen(p.goods_amount),
            l(lang, "配送料", "Delivery"),
            yen(p.fee_share),
            l(lang, "合計", "Total"),
            yen(p.total),
            saving_head(lang),
            saving_cells(&mine.saving),
        ));
    }
    if organises {
        html.push_str(&format!(
            "<section id=\"savings\"><h2>{}</h2><table id=\"accepted-items\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            l(lang, "卸売業者の回答と節約額", "The wholesaler's answer and the savings"),
            l(lang, "品番", "Code"),
            l(lang, "注文数", "Ordered"),
            l(lang, "受注数", "Accepted"),
            l(lang, "単価", "Price"),
        ));
        for item in &allocation.items {
            html.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&item.item_code),
                item.ordered,
                escape(&unit_name(lang, &item.unit)),
                item.accepted,
                match item.confirmed_unit_price {
                    Some(confirmed) if confirmed != item.tier.unit_price => format!(
                        "{} <small>({} {})</small>",
                        yen(confirmed),
                        l(lang, "段階価格", "tier"),
                        yen(item.tier.unit_price)
                    ),
                    _ => yen(item.unit_price()),
                },
            ));
        }
        html.push_str(&format!(
            "</tbody></table><h3>{}</h3><table id=\"district-savings\"><thead><tr><th>{}</th>{}</tr></thead><tbody>",
            l(lang, "商店街ごとの節約額", "Savings per district"),
            l(lang, "商店街", "District"),
            saving_head(lang),
        ));
        for d in &allocation.districts {
            html.push_str(&format!(
                "<tr><td>{}</td>{}</tr>",
                escape(
                    district_name
                        .get(d.district_id.as_str())
                        .copied()
                        .unwrap_or(&d.district_id)
                ),
                saving_cells(&d.saving),
            ));
        }
        html.push_str(&format!(
            "<tr id=\"round-saving\"><th>{}</th>{}</tr></tbody></table><p>{}: {}</p></section>",
            l(lang, "共同発注全体", "The whole round"),
            saving_cells(&allocation.round),
            l(lang, "受け取る参加店", "Shops receiving goods"),
            allocation.shops,
        ));
    }
    html
}

async fn act(
    State(p): State<Pages>,
    headers: HeaderMap,
    client: ClientAddr,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (v, f, caller, org, app) = match p.posted(&headers, &client, &body).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lang = v.lang;
    let back = format!("/app/rounds/{id}");
    let item = f.get("item").to_string();
    let result = match action.as_str() {
        "intent" => {
            let quantity = whole(f.get("quantity"));
            let cap = f.opt("max_unit_price").map(|t| whole(&t));
            match (quantity, cap) {
                (Some(quantity), None | Some(Some(_))) => {
                    let input = IntentInput {
                        quantity,
                        max_unit_price: cap.flatten(),
                        district_id: f.opt("district_id"),
                    };
                    app.intent_put(&caller, &org, &id, &item, input)
                        .await
                        .map(|_| l(lang, "申込みを受け付けました。", "Your quantity is in."))
                }
                _ => {
                    let text = l(
                        lang,
                        "数量と上限単価は整数で入れてください。",
                        "Quantity and highest price are whole numbers.",
                    );
                    let q = PageQuery::default();
                    let trouble = Some((item, text.to_string()));
                    return render_round(&v, &caller, &org, &app, &id, &q, trouble).await;
                }
            }
        }
        "withdraw" => app
            .intent_withdraw(&caller, &org, &id, &item)
            .await
            .map(|_| l(lang, "申込みを取り消しました。", "Withdrawn.")),
        "close" => app
            .round_close(&caller, &org, &id)
            .await
            .map(|_| l(lang, "締め切りました。", "The round is closed.")),
        "accept" => app.round_answer(&caller, &org, &id, true).await.map(|_| {
            l(
                lang,
                "承諾しました。申込みの受付を始めます。",
                "Accepted: shops can now join.",
            )
        }),
        "decline" => app
            .round_answer(&caller, &org, &id, false)
            .await
            .map(|_| l(lang, "辞退しました。", "Declined.")),
        _ => {
            return redirect(
                &with(
                    &back,
                    "error",
                    l(lang, "この操作はありません。", "No such action."),
                ),
                v.visitor.cookies,
            );
        }
    };
    match result {
        Ok(done) => redirect(&with(&back, "notice", done), v.visitor.cookies),
        Err(e) if action == "intent" => {
            let trouble = Some((item, refusal_text(lang, e)));
            render_round(&v, &caller, &org, &app, &id, &PageQuery::default(), trouble).await
        }
        Err(e) => redirect(
            &with(&back, "error", &refusal_text(lang, e)),
            v.visitor.cookies,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_offs_are_read_and_shown_in_japanese_time() {
        let ms = cutoff_ms("2026-12-20", "17:30").expect("a cut-off");
        assert_eq!(ms, 1_797_755_400_000, "08:30 UTC");
        assert_eq!(jst(ms), ("2026-12-20".to_string(), "17:30".to_string()));
        assert_eq!(cutoff_ms("2026-12-20", "17:30:00"), Some(ms));
        assert_eq!(
            jst(cutoff_ms("2027-01-01", "00:00").expect("midnight")),
            ("2027-01-01".to_string(), "00:00".to_string())
        );
        assert_eq!(cutoff_ms("2026-02-30", "10:00"), None);
        assert_eq!(cutoff_ms("2026-12-20", "24:00"), None);
        assert_eq!(cutoff_ms("2026-12-20", "noon"), None);
    }

    #[test]
    fn amounts_read_as_typed_and_show_with_separators() {
        assert_eq!(whole("１２"), Some(12));
        assert_eq!(whole(" 2,400円 "), Some(2_400));
        assert_eq!(whole("¥3,000"), Some(3_000));
        assert_eq!(whole("二十"), None);
        assert_eq!(yen(0), "¥0");
        assert_eq!(yen(2_700), "¥2,700");
        assert_eq!(yen(1_234_567), "¥1,234,567");
        assert_eq!(yen(-1_200), "-¥1,200");
    }

    #[test]
    fn a_problem_path_names_the_form_field_it_came_from() {
        let layout = Layout {
            districts: vec!["g-1".into(), "g-2".into()],
            dates: vec![2],
            items: vec![(2, vec![1, 3]), (4, vec![])],
        };
        let at = |path: &str| field_of(path, &layout);
        assert_eq!(
            at("round.items[0].breaks[1].unit_price").as_deref(),
            Some("bp3_2")
        );
        assert_eq!(
            at("items[0].breaks[0].min_quantity").as_deref(),
            Some("bq1_2")
        );
        assert_eq!(at("items[1].list_price").as_deref(), Some("list_4"));
        assert_eq!(at("items[1].minimum_quantity").as_deref(), Some("min_4"));
        assert_eq!(
            at("items[1].breaks[0].unit_price").as_deref(),
            Some("row_4")
        );
        assert_eq!(
            at("round.districts[1].drop_point.address").as_deref(),
            Some("drop_address_g-2")
        );
        assert_eq!(
            at("round.districts[0].group_id").as_deref(),
            Some("district_g-1")
        );
        assert_eq!(at("delivery_dates[0]").as_deref(), Some("delivery_2"));
        assert_eq!(at("fee_model.fee_per_drop").as_deref(), Some("fee_amount"));
        assert_eq!(at("cutoff_ms").as_deref(), Some("cutoff"));
        assert_eq!(at("buyer_id").as_deref(), Some("buyer_id"));
        assert_eq!(at("items").as_deref(), Some("items"));
        assert_eq!(at("items[5].code"), None);
        assert_eq!(at("somewhere.else"), None);
    }

    #[test]
    fn the_form_becomes_a_draft_and_remembers_where_each_part_came_from() {
        let f = FormData(
            [
                ("title", "年末 海苔"),
                ("cutoff_date", "2026-12-20"),
                ("cutoff_time", "17:00"),
                ("buyer_id", "org-a"),
                ("district", "g-2"),
                ("drop_name_g-2", "事務所"),
                ("drop_address_g-2", "品川区"),
                ("delivery_3", "2026-12-24"),
                ("fee_kind", "per_shop"),
                ("fee_amount", "500"),
                ("solo_fee", "800"),
                ("code_2", "NORI"),
                ("name_2", "焼海苔"),
                ("unit_2", "H87"),
                ("list_2", "3,000"),
                ("min_2", "５"),
                ("bq2_2", "20"),
                ("bp2_2", "2700"),
                ("unit_3", "H87"),
                ("code_4", "X"),
                ("list_4", "たくさん"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
        let (input, layout, bad) = round_from(&f, Lang::En);
        assert_eq!(input.buyer_id.as_deref(), Some("org-a"));
        assert_eq!(input.wholesaler_id, None);
        let draft = &input.round;
        assert_eq!(
            draft.cutoff_ms,
            cutoff_ms("2026-12-20", "17:00").expect("ok")
        );
        assert_eq!(draft.items.len(), 2, "rows 2 and 4; row 3 only has a unit");
        assert_eq!(draft.items[0].list_price, 3_000);
        assert_eq!(draft.items[0].minimum_quantity, 5);
        assert_eq!(
            draft.items[0].breaks,
            vec![PriceBreak {
                min_quantity: 20,
                unit_price: 2_700
            }]
        );
        assert_eq!(draft.fee_model, FeeModel::PerShop { fee_per_shop: 500 });
        assert_eq!(draft.districts[0].drop_point.name, "事務所");
        assert_eq!(layout.items, vec![(2, vec![2]), (4, vec![])]);
        assert_eq!(layout.dates, vec![3]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "list_4");
    }
}
