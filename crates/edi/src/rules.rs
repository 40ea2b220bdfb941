//! The rules every canonical document must meet, whatever format it came
//! in: numbers that EDI can carry, at least one line, line numbers used
//! once, positive quantities in Recommendation 20 units, GTINs with a valid
//! check digit, ISO 4217 currencies. A format reader reports where the
//! value was in its own terms; [`check`] reports where it is in the
//! document, as a JSON path (`lines[2].quantity.value`), for documents that
//! arrive as JSON through the API.

use std::collections::HashSet;

use crate::{Code, Decimal, Document, Item, Place, Problem, Quantity};

/// The longest document number (EDIFACT `an..35`).
pub const MAX_NUMBER: usize = 35;
/// The longest party identifier: room for a UUID (inside Renkei parties
/// are organisation ids); on the wire the partner profile maps them to
/// the partner's own identifiers.
pub const MAX_PARTY: usize = 64;
/// The longest free text.
pub const MAX_TEXT: usize = 2000;

/// Whether `code` is a GTIN: 8, 12, 13 or 14 digits with a valid GS1 check digit.
pub fn gtin_valid(code: &str) -> bool {
    let b = code.as_bytes();
    if !matches!(b.len(), 8 | 12 | 13 | 14) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = b.split_at(b.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check[0] - b'0')
}

/// Whether `unit` has the shape of a UN/ECE Recommendation 20 code (two or
/// three upper-case letters or digits).
pub fn unit_valid(unit: &str) -> bool {
    matches!(unit.len(), 2 | 3)
        && unit
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The alphabetic codes of ISO 4217 (current, plus those recently
/// withdrawn that old documents may still carry: ANG, SLL, ZWL), sorted.
const CURRENCIES: [[u8; 3]; 182] = [
    *b"AED", *b"AFN", *b"ALL", *b"AMD", *b"ANG", *b"AOA", *b"ARS", *b"AUD", *b"AWG", *b"AZN",
    *b"BAM", *b"BBD", *b"BDT", *b"BGN", *b"BHD", *b"BIF", *b"BMD", *b"BND", *b"BOB", *b"BOV",
    *b"BRL", *b"BSD", *b"BTN", *b"BWP", *b"BYN", *b"BZD", *b"CAD", *b"CDF", *b"CHE", *b"CHF",
    *b"CHW", *b"CLF", *b"CLP", *b"CNY", *b"COP", *b"COU", *b"CRC", *b"CUC", *b"CUP", *b"CVE",
    *b"CZK", *b"DJF", *b"DKK", *b"DOP", *b"DZD", *b"EGP", *b"ERN", *b"ETB", *b"EUR", *b"FJD",
    *b"FKP", *b"GBP", *b"GEL", *b"GHS", *b"GIP", *b"GMD", *b"GNF", *b"GTQ", *b"GYD", *b"HKD",
    *b"HNL", *b"HTG", *b"HUF", *b"IDR", *b"ILS", *b"INR", *b"IQD", *b"IRR", *b"ISK", *b"JMD",
    *b"JOD", *b"JPY", *b"KES", *b"KGS", *b"KHR", *b"KMF", *b"KPW", *b"KRW", *b"KWD", *b"KYD",
    *b"KZT", *b"LAK", *b"LBP", *b"LKR", *b"LRD", *b"LSL", *b"LYD", *b"MAD", *b"MDL", *b"MGA",
    *b"MKD", *b"MMK", *b"MNT", *b"MOP", *b"MRU", *b"MUR", *b"MVR", *b"MWK", *b"MXN", *b"MXV",
    *b"MYR", *b"MZN", *b"NAD", *b"NGN", *b"NIO", *b"NOK", *b"NPR", *b"NZD", *b"OMR", *b"PAB",
    *b"PEN", *b"PGK", *b"PHP", *b"PKR", *b"PLN", *b"PYG", *b"QAR", *b"RON", *b"RSD", *b"RUB",
    *b"RWF", *b"SAR", *b"SBD", *b"SCR", *b"SDG", *b"SEK", *b"SGD", *b"SHP", *b"SLE", *b"SLL",
    *b"SOS", *b"SRD", *b"SSP", *b"STN", *b"SVC", *b"SYP", *b"SZL", *b"THB", *b"TJS", *b"TMT",
    *b"TND", *b"TOP", *b"TRY", *b"TTD", *b"TWD", *b"TZS", *b"UAH", *b"UGX", *b"USD", *b"USN",
    *b"UYI", *b"UYU", *b"UYW", *b"UZS", *b"VED", *b"VES", *b"VND", *b"VUV", *b"WST", *b"XAF",
    *b"XAG", *b"XAU", *b"XBA", *b"XBB", *b"XBC", *b"XBD", *b"XCD", *b"XCG", *b"XDR", *b"XOF",
    *b"XPD", *b"XPF", *b"XPT", *b"XSU", *b"XTS", *b"XUA", *b"XXX", *b"YER", *b"ZAR", *b"ZMW",
    *b"ZWG", *b"ZWL",
];

/// Whether `code` is an ISO 4217 currency code: `YEN` or `JYP` is not.
pub fn currency_valid(code: &str) -> bool {
    <[u8; 3]>::try_from(code.as_bytes()).is_ok_and(|c| CURRENCIES.binary_search(&c).is_ok())
}

/// The stable name of every rule [`check`] applies, as its problems carry
/// it in [`Problem::rule`]: API clients and the web UI's translations key
/// on these, never on the wording of the message.
pub const RULES: [&str; 20] = [
    "number_required",
    "number_too_long",
    "number_control_character",
    "text_too_long",
    "party_required",
    "party_too_long",
    "parties_same",
    "currency_unknown",
    "item_unidentified",
    "gtin_invalid",
    "item_code_length",
    "quantity_negative",
    "quantity_not_positive",
    "unit_unknown",
    "price_negative",
    "lines_required",
    "line_number_zero",
    "line_number_twice",
    "receipt_line_empty",
    "carrier_or_tracking_too_long",
];

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, code: Code, rule: &'static str, path: &str, message: impl Into<String>) {
        debug_assert!(RULES.contains(&rule), "{rule} is listed in RULES");
        self.problems.push(
            Problem::new(
                code,
                Place {
                    path: Some(path.to_string()),
                    ..Place::default()
                },
                message,
            )
            .breaking(rule),
        );
    }

    fn number(&mut self, path: &str, value: &str) {
        if value.trim().is_empty() {
            self.fail(
                Code::Missing,
                "number_required",
                path,
                "a document number is required",
            );
        } else if value.chars().count() > MAX_NUMBER {
            self.fail(
                Code::Invalid,
                "number_too_long",
                path,
                format!("a document number has at most {MAX_NUMBER} characters"),
            );
        } else if value.chars().any(char::is_control) {
            self.fail(
                Code::Invalid,
                "number_control_character",
                path,
                "a document number may not contain control characters",
            );
        }
    }

    fn text(&mut self, path: &str, value: Option<&str>) {
        if value.is_some_and(|v| v.chars().count() > MAX_TEXT) {
            self.fail(
                Code::Invalid,
                "text_too_long",
                path,
                format!("text has at most {MAX_TEXT} characters"),
            );
        }
    }

    fn party(&mut self, path: &str, id: &str) {
        if id.trim().is_empty() {
            self.fail(
                Code::Missing,
                "party_required",
                path,
                "the party's identifier is required",
            );
        } else if id.chars().count() > MAX_PARTY {
            self.fail(
                Code::Invalid,
                "party_too_long",
                path,
                format!("a party identifier has at most {MAX_PARTY} characters"),
            );
        }
    }

    fn currency(&mut self, path: &str, code: &str) {
        if !currency_valid(code) {
            self.fail(
                Code::Invalid,
                "currency_unknown",
                path,
                format!("`{code}` is not an ISO 4217 currency code such as JPY"),
            );
        }
    }

    fn item(&mut self, path: &str, item: &Item) {
        if !item.is_identified() {
            self.fail(
                Code::Missing,
                "item_unidentified",
                path,
                "the item needs a GTIN, a buyer's code or a seller's code",
            );
        }
        if let Some(gtin) = &item.gtin {
            if !gtin_valid(gtin) {
                self.fail(
                    Code::Invalid,
                    "gtin_invalid",
                    &format!("{path}.gtin"),
                    format!(
                        "`{gtin}` is not a GTIN (8, 12, 13 or 14 digits with a valid check digit)"
                    ),
                );
            }
        }
        for (field, value) in [
            ("buyer_code", &item.buyer_code),
            ("seller_code", &item.seller_code),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.trim().is_empty() || v.chars().count() > MAX_NUMBER)
            {
                self.fail(
                    Code::Invalid,
                    "item_code_length",
                    &format!("{path}.{field}"),
                    format!("an item code has 1 to {MAX_NUMBER} characters"),
                );
            }
        }
        self.text(&format!("{path}.description"), item.description.as_deref());
    }

    fn quantity(&mut self, path: &str, q: &Quantity, zero_allowed: bool) {
        if q.value.is_negative() || (!zero_allowed && q.value.is_zero()) {
            self.fail(
                Code::Invalid,
                if zero_allowed {
                    "quantity_negative"
                } else {
                    "quantity_not_positive"
                },
                &format!("{path}.value"),
                if zero_allowed {
                    "a quantity may not be negative"
                } else {
                    "a quantity must be above zero"
                },
            );
        }
        if !unit_valid(&q.unit) {
            self.fail(
                Code::UnknownQualifier,
                "unit_unknown",
                &format!("{path}.unit"),
                format!(
                    "`{}` is not a UN/ECE Recommendation 20 unit code such as H87, KGM or CS",
                    q.unit
                ),
            );
        }
    }

    fn price(&mut self, path: &str, price: Option<Decimal>) {
        if price.is_some_and(Decimal::is_negative) {
            self.fail(
                Code::Invalid,
                "price_negative",
                path,
                "a price may not be negative",
            );
        }
    }

    fn lines(&mut self, numbers: impl Iterator<Item = u32>, count: usize) {
        if count == 0 {
            self.fail(
                Code::Missing,
                "lines_required",
                "lines",
                "the document needs at least one line",
            );
        }
        let mut seen = HashSet::new();
        for (i, n) in numbers.enumerate() {
            if n == 0 {
                self.fail(
                    Code::Invalid,
                    "line_number_zero",
                    &format!("lines[{i}].line"),
                    "line numbers start at 1",
                );
            } else if !seen.insert(n) {
                self.fail(
                    Code::Rule,
                    "line_number_twice",
                    &format!("lines[{i}].line"),
                    format!("line number {n} is used twice"),
                );
            }
        }
    }
}

/// Every rule the document breaks, each with the JSON path of the value.
pub fn check(document: &Document) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    let (buyer, seller) = document.parties();
    c.number("number", document.number());
    c.party("buyer.id", &buyer.id);
    c.party("seller.id", &seller.id);
    if buyer.id == seller.id && !buyer.id.is_empty() {
        c.fail(
            Code::Rule,
            "parties_same",
            "seller.id",
            "buyer and seller must be different parties",
        );
    }
    match document {
        Document::Order(o) => {
            c.currency("currency", &o.currency);
            c.text("note", o.note.as_deref());
            c.lines(o.lines.iter().map(|l| l.line), o.lines.len());
            for (i, l) in o.lines.iter().enumerate() {
                c.item(&format!("lines[{i}].item"), &l.item);
                c.quantity(&format!("lines[{i}].quantity"), &l.quantity, false);
                c.price(&format!("lines[{i}].unit_price"), l.unit_price);
            }
        }
        Document::OrderChange(o) => {
            c.number("order_number", &o.order_number);
            c.currency("currency", &o.currency);
            c.text("note", o.note.as_deref());
            c.lines(o.lines.iter().map(|l| l.line.line), o.lines.len());
            for (i, l) in o.lines.iter().enumerate() {
                c.item(&format!("lines[{i}].item"), &l.line.item);
                c.quantity(&format!("lines[{i}].quantity"), &l.line.quantity, false);
                c.price(&format!("lines[{i}].unit_price"), l.line.unit_price);
            }
        }
        Document::OrderCancellation(o) => {
            c.number("order_number", &o.order_number);
            c.text("reason", o.reason.as_deref());
        }
        Document::OrderResponse(o) => {
            c.number("order_number", &o.order_number);
            c.currency("currency", &o.currency);
            c.lines(o.lines.iter().map(|l| l.line), o.lines.len());
            for (i, l) in o.lines.iter().enumerate() {
                if let Some(q) = &l.quantity {
                    c.quantity(
                        &format!("lines[{i}].quantity"),
                        q,
                        l.status == crate::LineStatus::Rejected,
                    );
                }
                c.price(&format!("lines[{i}].unit_price"), l.unit_price);
                c.text(&format!("lines[{i}].reason"), l.reason.as_deref());
            }
        }
        Document::DespatchAdvice(o) => {
            c.number("order_number", &o.order_number);
            c.lines(o.lines.iter().map(|l| l.line), o.lines.len());
            for (i, l) in o.lines.iter().enumerate() {
                c.quantity(&format!("lines[{i}].quantity"), &l.quantity, false);
            }
            for (field, value) in [("carrier", &o.carrier), ("tracking", &o.tracking)] {
                if value
                    .as_ref()
                    .is_some_and(|v| v.chars().count() > MAX_NUMBER)
                {
                    c.fail(
                        Code::Invalid,
                        "carrier_or_tracking_too_long",
                        field,
                        format!("the {field} has at most {MAX_NUMBER} characters"),
                    );
                }
            }
        }
        Document::ReceiptAdvice(o) => {
            c.number("order_number", &o.order_number);
            c.lines(o.lines.iter().map(|l| l.line), o.lines.len());
            for (i, l) in o.lines.iter().enumerate() {
                c.quantity(&format!("lines[{i}].received"), &l.received, true);
                if l.damaged.is_negative() {
                    c.fail(
                        Code::Invalid,
                        "quantity_negative",
                        &format!("lines[{i}].damaged"),
                        "a quantity may not be negative",
                    );
                }
                if l.received.value.is_zero() && l.damaged.is_zero() {
                    c.fail(
                        Code::Invalid,
                        "receipt_line_empty",
                        &format!("lines[{i}].received.value"),
                        "a receipt line reports something received or damaged",
                    );
                }
            }
        }
    }
    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    #[test]
    fn the_sample_cycle_meets_every_rule() {
        for d in samples::cycle() {
            assert_eq!(check(&d), Vec::new(), "{:?}", d.kind());
        }
    }

    #[test]
    fn currencies_are_those_of_iso_4217() {
        assert!(
            CURRENCIES.windows(2).all(|w| w[0] < w[1]),
            "sorted, once each"
        );
        for code in [
            "JPY", "USD", "EUR", "CNY", "KRW", "TWD", "AED", "ZWG", "XXX",
        ] {
            assert!(currency_valid(code), "{code}");
        }
        for code in ["YEN", "JYP", "jpy", "JP", "JPYY", "", "ＪＰＹ"] {
            assert!(!currency_valid(code), "{code}");
        }
    }

    #[test]
    fn broken_rules_name_the_json_path() {
        let mut o = samples::order();
        o.lines[1].line = 1;
        o.lines[0].quantity.value = Decimal::ZERO;
        o.lines[2].item.gtin = Some("4901234567890".into());
        o.currency = "yen".into();
        let problems = check(&Document::Order(o));
        let paths: Vec<&str> = problems
            .iter()
            .filter_map(|p| p.place.path.as_deref())
            .collect();
        assert_eq!(
            paths,
            [
                "currency",
                "lines[1].line",
                "lines[0].quantity.value",
                "lines[2].item.gtin"
            ]
        );
    }

    /// Documents that break every rule between them: each problem names
    /// a rule of [`RULES`], and each rule of it is named by some problem,
    /// so the list is the rules there are.
    #[test]
    fn every_rule_is_named_and_every_name_is_a_rule() {
        let negative: Decimal = "-1".parse().expect("decimal");
        let long = |n: usize| "x".repeat(n + 1);
        let mut documents = Vec::new();
        for number in [String::new(), long(MAX_NUMBER), "PO\u{7}1".to_string()] {
            let mut o = samples::order();
            o.number = number;
            documents.push(Document::Order(o));
        }
        let mut o = samples::order();
        o.note = Some(long(MAX_TEXT));
        o.buyer.id = String::new();
        o.seller.id = long(MAX_PARTY);
        o.currency = "YEN".into();
        o.lines[0].item = Item::default();
        o.lines[1].item.gtin = Some("4901234567895".into());
        o.lines[2].item.buyer_code = Some(" ".into());
        o.lines[0].quantity.value = Decimal::ZERO;
        o.lines[1].quantity.unit = "kilo".into();
        o.lines[2].unit_price = Some(negative);
        o.lines[1].line = 0;
        o.lines[2].line = 1;
        documents.push(Document::Order(o));
        let mut o = samples::order();
        o.seller = o.buyer.clone();
        o.lines.clear();
        documents.push(Document::Order(o));
        let mut r = samples::order_response();
        r.lines[2].quantity = Some(Quantity {
            value: negative,
            unit: "H87".into(),
        });
        documents.push(Document::OrderResponse(r));
        let mut d = samples::despatch_advice();
        d.carrier = Some(long(MAX_NUMBER));
        documents.push(Document::DespatchAdvice(d));
        let mut r = samples::receipt_advice();
        r.lines[0].received.value = Decimal::ZERO;
        r.lines[0].damaged = Decimal::ZERO;
        documents.push(Document::ReceiptAdvice(r));

        let mut named = HashSet::new();
        for d in &documents {
            for p in check(d) {
                let rule = p.rule.unwrap_or_else(|| panic!("no rule name: {p:?}"));
                assert!(RULES.contains(&rule), "{rule} is not in RULES");
                named.insert(rule);
            }
        }
        let unnamed: Vec<&str> = RULES
            .iter()
            .copied()
            .filter(|r| !named.contains(r))
            .collect();
        assert!(unnamed.is_empty(), "rules no document broke: {unnamed:?}");
        assert_eq!(
            RULES.iter().collect::<HashSet<_>>().len(),
            RULES.len(),
            "each rule once"
        );
    }

    #[test]
    fn gtins_need_their_check_digit() {
        assert!(gtin_valid("4901234567894"));
        assert!(gtin_valid("49012347"));
        assert!(!gtin_valid("4901234567895"));
        assert!(!gtin_valid("490123456789"));
        assert!(!gtin_valid("49O1234567894"));
    }
}
