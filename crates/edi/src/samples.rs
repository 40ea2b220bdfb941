//! One complete order cycle between a shop and a wholesaler, as canonical
//! documents: the reference every format's round-trip test, fixture,
//! benchmark and fuzz seed starts from.
//!
//! The values are chosen to reach into the corners a writer can get wrong:
//! Japanese text, delimiters of every format inside values (`'`, `+`, `:`,
//! `?`, `*`, `~`, `<`, `&`, `,`, `"`), decimals, optional fields both present
//! and absent, and every line status.

use crate::{
    ChangeAction, ChangeLine, Date, Decimal, DespatchAdvice, DespatchLine, Document, Item,
    LineStatus, Order, OrderCancellation, OrderChange, OrderLine, OrderResponse, Party, Quantity,
    ReceiptAdvice, ReceiptLine, ResponseLine,
};

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap_or_else(|| unreachable!("sample dates exist"))
}

fn dec(mantissa: i64, scale: u8) -> Decimal {
    Decimal::new(mantissa, scale).unwrap_or_else(|| unreachable!("sample decimals fit"))
}

fn qty(value: Decimal, unit: &str) -> Quantity {
    Quantity {
        value,
        unit: unit.to_string(),
    }
}

/// The buying shop.
pub fn buyer() -> Party {
    Party {
        id: "4912345000019".into(),
        name: Some("戸越銀座 青果まるやま".into()),
    }
}

/// The selling wholesaler.
pub fn seller() -> Party {
    Party {
        id: "4998765000011".into(),
        name: Some("品川中央卸 株式会社".into()),
    }
}

fn items() -> [Item; 3] {
    [
        Item {
            gtin: Some("4901234567894".into()),
            buyer_code: Some("MY-0012".into()),
            seller_code: Some("W-7781".into()),
            description: Some("国産 玉ねぎ 10kg箱 (L'玉+M:玉?混載*~<&>,\"特選\")".into()),
        },
        Item {
            gtin: None,
            buyer_code: None,
            seller_code: Some("W-1200".into()),
            description: Some("じゃがいも 男爵".into()),
        },
        Item {
            gtin: Some("49012347".into()),
            buyer_code: Some("MY-0099".into()),
            seller_code: None,
            description: None,
        },
    ]
}

/// The order: three lines, one per kind of item identification.
pub fn order() -> Order {
    let [onion, potato, garlic] = items();
    Order {
        number: "PO-2026-0001".into(),
        issued: date(2026, 11, 21),
        buyer: buyer(),
        seller: seller(),
        currency: "JPY".into(),
        note: Some("午前中着でお願いします。".into()),
        lines: vec![
            OrderLine {
                line: 1,
                item: onion,
                quantity: qty(Decimal::from_int(12), "CS"),
                unit_price: Some(Decimal::from_int(2480)),
                requested_delivery: Some(date(2026, 11, 25)),
                delivery_site: Some("4912345000026".into()),
            },
            OrderLine {
                line: 2,
                item: potato,
                quantity: qty(dec(255, 1), "KGM"),
                unit_price: Some(dec(31850, 2)),
                requested_delivery: Some(date(2026, 11, 25)),
                delivery_site: None,
            },
            OrderLine {
                line: 3,
                item: garlic,
                quantity: qty(Decimal::from_int(40), "H87"),
                unit_price: None,
                requested_delivery: None,
                delivery_site: None,
            },
        ],
    }
}

/// A change: line 2 more, line 3 withdrawn, a line 4 added, with the
/// buyer's reason.
pub fn order_change() -> OrderChange {
    let o = order();
    let mut more = o.lines[1].clone();
    more.quantity.value = Decimal::from_int(30);
    OrderChange {
        number: "PO-2026-0001-C1".into(),
        order_number: o.number.clone(),
        issued: date(2026, 11, 22),
        buyer: buyer(),
        seller: seller(),
        currency: "JPY".into(),
        note: Some("週末の特売: じゃがいも増量+にんじん追加、にんにくは取りやめ".into()),
        lines: vec![
            ChangeLine {
                action: ChangeAction::Changed,
                line: more,
            },
            ChangeLine {
                action: ChangeAction::Deleted,
                line: o.lines[2].clone(),
            },
            ChangeLine {
                action: ChangeAction::Added,
                line: OrderLine {
                    line: 4,
                    item: Item {
                        gtin: Some("4909876543214".into()),
                        buyer_code: None,
                        seller_code: None,
                        description: Some("にんじん".into()),
                    },
                    quantity: qty(Decimal::from_int(5), "CS"),
                    unit_price: Some(Decimal::from_int(1980)),
                    requested_delivery: Some(date(2026, 11, 26)),
                    delivery_site: Some("4912345000026".into()),
                },
            },
        ],
    }
}

/// A cancellation of another order.
pub fn order_cancellation() -> OrderCancellation {
    OrderCancellation {
        number: "PO-2026-0002-X".into(),
        order_number: "PO-2026-0002".into(),
        issued: date(2026, 11, 22),
        buyer: buyer(),
        seller: seller(),
        reason: Some("二重発注のため取消".into()),
    }
}

/// The response: line 1 accepted, line 2 fewer and later, line 3 rejected.
pub fn order_response() -> OrderResponse {
    let o = order();
    OrderResponse {
        number: "RSP-88120".into(),
        order_number: o.number.clone(),
        issued: date(2026, 11, 21),
        buyer: buyer(),
        seller: seller(),
        currency: "JPY".into(),
        lines: vec![
            ResponseLine {
                line: 1,
                status: LineStatus::Accepted,
                item: o.lines[0].item.clone(),
                quantity: Some(o.lines[0].quantity.clone()),
                unit_price: Some(Decimal::from_int(2480)),
                confirmed_delivery: Some(date(2026, 11, 25)),
                reason: None,
            },
            ResponseLine {
                line: 2,
                status: LineStatus::Changed,
                item: o.lines[1].item.clone(),
                quantity: Some(qty(Decimal::from_int(20), "KGM")),
                unit_price: Some(dec(31850, 2)),
                confirmed_delivery: Some(date(2026, 11, 26)),
                reason: Some("在庫不足: 20kgのみ".into()),
            },
            ResponseLine {
                line: 3,
                status: LineStatus::Rejected,
                item: o.lines[2].item.clone(),
                quantity: None,
                unit_price: None,
                confirmed_delivery: None,
                reason: Some("取扱終了".into()),
            },
        ],
    }
}

/// The despatch of the two accepted lines.
pub fn despatch_advice() -> DespatchAdvice {
    let r = order_response();
    DespatchAdvice {
        number: "DN-55012".into(),
        order_number: r.order_number.clone(),
        issued: date(2026, 11, 24),
        buyer: buyer(),
        seller: seller(),
        shipped: Some(date(2026, 11, 24)),
        expected_delivery: Some(date(2026, 11, 25)),
        carrier: Some("ヤマト運輸".into()),
        tracking: Some("4455-6677-8899".into()),
        packages: 13,
        lines: vec![
            DespatchLine {
                line: 1,
                item: r.lines[0].item.clone(),
                quantity: qty(Decimal::from_int(12), "CS"),
            },
            DespatchLine {
                line: 2,
                item: r.lines[1].item.clone(),
                quantity: qty(Decimal::from_int(20), "KGM"),
            },
        ],
    }
}

/// The receipt: one case of onions arrived damaged.
pub fn receipt_advice() -> ReceiptAdvice {
    let d = despatch_advice();
    ReceiptAdvice {
        number: "RC-2026-0001".into(),
        order_number: d.order_number.clone(),
        despatch_number: Some(d.number.clone()),
        issued: date(2026, 11, 25),
        buyer: buyer(),
        seller: seller(),
        received: Some(date(2026, 11, 25)),
        lines: vec![
            ReceiptLine {
                line: 1,
                item: d.lines[0].item.clone(),
                received: qty(Decimal::from_int(11), "CS"),
                damaged: Decimal::from_int(1),
            },
            ReceiptLine {
                line: 2,
                item: d.lines[1].item.clone(),
                received: qty(Decimal::from_int(20), "KGM"),
                damaged: Decimal::ZERO,
            },
        ],
    }
}

/// Every document of the cycle, one of each kind.
pub fn cycle() -> Vec<Document> {
    vec![
        Document::Order(order()),
        Document::OrderChange(order_change()),
        Document::OrderCancellation(order_cancellation()),
        Document::OrderResponse(order_response()),
        Document::DespatchAdvice(despatch_advice()),
        Document::ReceiptAdvice(receipt_advice()),
    ]
}

/// A large order, for benchmarks and size tests: `lines` lines with
/// generated item codes, numbered from `seed` so orders differ.
pub fn large_order(seed: u64, lines: u32) -> Order {
    let mut o = order();
    o.number = format!("PO-{seed:08}");
    o.note = None;
    o.lines = (1..=lines)
        .map(|n| OrderLine {
            line: n,
            item: Item {
                gtin: None,
                buyer_code: Some(format!("B-{seed}-{n}")),
                seller_code: Some(format!("S-{:05}", (seed * 31 + u64::from(n)) % 50_000)),
                description: None,
            },
            quantity: qty(Decimal::from_int(i64::from(n % 17 + 1)), "H87"),
            unit_price: Some(dec(i64::from(n) * 125 + 990, 1)),
            requested_delivery: Some(date(2026, 12, 1)),
            delivery_site: None,
        })
        .collect();
    o
}
