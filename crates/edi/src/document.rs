//! The canonical documents of an order cycle.
//!
//! Every format this crate reads is mapped into these types and every format
//! it writes is produced from them, so the orders service deals with one
//! model whatever the partner sends: an order, its changes or cancellation,
//! the seller's response line by line, the despatch advice and the buyer's
//! receipt advice. Parties are named by the identifier the exchange uses
//! (inside Renkei: the organisation id; on the wire: a GLN or the id the
//! partner profile assigns); items by the codes of both sides and the GTIN.
//!
//! Quantities and prices are exact [`Decimal`]s; units are UN/ECE
//! Recommendation 20 codes; currencies ISO 4217 codes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Decimal;

/// A calendar date (proleptic Gregorian), written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, if it exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year >= 1 && day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// Year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Reads `CCYYMMDD` (EDIFACT format 102, X12 `DT` of eight digits).
    pub fn from_ccyymmdd(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u16, |acc, &c| acc * 10 + u16::from(c - b'0'))
        };
        Date::new(n(0..4), n(4..6) as u8, n(6..8) as u8)
    }

    /// Reads `YYMMDD`, taking the century as 2000–2099 (X12 `ISA09`, EDIFACT `UNB` date).
    pub fn from_yymmdd(text: &str) -> Option<Date> {
        (text.len() == 6)
            .then(|| Date::from_ccyymmdd(&format!("20{text}")))
            .flatten()
    }

    /// Days from 1970-01-01 to this date (negative before it).
    pub fn unix_days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, if it is in years 1–65535.
    pub fn from_unix_days(days: i64) -> Option<Date> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Date::new(
            u16::try_from(y).ok()?,
            u8::try_from(m).ok()?,
            u8::try_from(d).ok()?,
        )
    }

    /// Writes `CCYYMMDD`.
    pub fn ccyymmdd(self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }

    /// Writes `YYMMDD`.
    pub fn yymmdd(self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl std::str::FromStr for Date {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err("a date is written YYYY-MM-DD");
        }
        Date::from_ccyymmdd(&format!("{}{}{}", &s[0..4], &s[5..7], &s[8..10]))
            .ok_or("this date does not exist")
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .examples(["2026-12-01"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Date {}

/// A trading party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Party {
    /// The identifier the exchange uses for it.
    #[cfg_attr(feature = "openapi", schema(example = "4912345000019"))]
    pub id: String,
    /// Its name, when the document carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What a line is about: the item as both sides know it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    /// GTIN (JAN) of 8, 12, 13 or 14 digits, when the item has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "4901234567894"))]
    pub gtin: Option<String>,
    /// The buyer's own item code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_code: Option<String>,
    /// The seller's item code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_code: Option<String>,
    /// A description for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Item {
    /// Whether at least one identifier is present.
    pub fn is_identified(&self) -> bool {
        self.gtin.is_some() || self.buyer_code.is_some() || self.seller_code.is_some()
    }
}

/// An amount of something in a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quantity {
    /// How many.
    pub value: Decimal,
    /// UN/ECE Recommendation 20 unit code, e.g. `H87` (piece), `KGM`, `CS`.
    #[cfg_attr(feature = "openapi", schema(example = "H87"))]
    pub unit: String,
}

/// One line of an order (or of an order change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    /// Line number, unique within the order, from 1.
    pub line: u32,
    /// The item.
    pub item: Item,
    /// The quantity ordered.
    pub quantity: Quantity,
    /// Net price per unit in the order's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// When the buyer wants it delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_delivery: Option<Date>,
    /// Where: the delivery site's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_site: Option<String>,
}

/// A purchase order (EDIFACT ORDERS, X12 850, UBL Order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// The buyer's order number.
    #[cfg_attr(feature = "openapi", schema(example = "PO-2026-0001"))]
    pub number: String,
    /// Date of issue.
    pub issued: Date,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// ISO 4217 currency of the prices.
    #[cfg_attr(feature = "openapi", schema(example = "JPY"))]
    pub currency: String,
    /// A note for the seller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The lines, at least one.
    pub lines: Vec<OrderLine>,
}

/// What a change does to a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// A new line.
    Added,
    /// An existing line with new values.
    Changed,
    /// An existing line withdrawn.
    Deleted,
}

/// One line of an order change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeLine {
    /// What happens to the line.
    pub action: ChangeAction,
    /// The line as it is to be after the change (for a deletion: as it was).
    #[serde(flatten)]
    pub line: OrderLine,
}

/// A change to an order the seller has not yet fully despatched
/// (EDIFACT ORDCHG, X12 860, UBL OrderChange).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderChange {
    /// The change's own number.
    pub number: String,
    /// The order it changes.
    pub order_number: String,
    /// Date of issue.
    pub issued: Date,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// ISO 4217 currency of the prices.
    pub currency: String,
    /// A note for the seller: why the order changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The changed lines, at least one.
    pub lines: Vec<ChangeLine>,
}

/// Withdrawal of a whole order (EDIFACT ORDCHG with message function 1,
/// X12 860 with purpose 01, UBL OrderCancellation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderCancellation {
    /// The cancellation's own number.
    pub number: String,
    /// The order it cancels.
    pub order_number: String,
    /// Date of issue.
    pub issued: Date,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The seller's answer to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Accepted as ordered.
    Accepted,
    /// Accepted with another quantity, price or date.
    Changed,
    /// Not accepted.
    Rejected,
}

/// The seller's response to one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseLine {
    /// The order line answered.
    pub line: u32,
    /// The answer.
    pub status: LineStatus,
    /// The item as ordered.
    pub item: Item,
    /// The quantity the seller will deliver (for a rejected line: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// The price per unit the seller confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// The delivery date the seller confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_delivery: Option<Date>,
    /// Why the line was changed or rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The seller's response to an order (EDIFACT ORDRSP, X12 855, UBL OrderResponse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderResponse {
    /// The response's own number.
    pub number: String,
    /// The order it answers.
    pub order_number: String,
    /// Date of issue.
    pub issued: Date,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// ISO 4217 currency of the prices.
    pub currency: String,
    /// One answer per order line answered.
    pub lines: Vec<ResponseLine>,
}

impl OrderResponse {
    /// The answer as a whole: every line accepted, every line rejected, or a mix or changes.
    pub fn overall(&self) -> LineStatus {
        if self.lines.iter().all(|l| l.status == LineStatus::Accepted) {
            LineStatus::Accepted
        } else if self.lines.iter().all(|l| l.status == LineStatus::Rejected) {
            LineStatus::Rejected
        } else {
            LineStatus::Changed
        }
    }
}

/// One despatched line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DespatchLine {
    /// The order line shipped.
    pub line: u32,
    /// The item.
    pub item: Item,
    /// The quantity shipped.
    pub quantity: Quantity,
}

/// What the seller shipped (EDIFACT DESADV, X12 856, UBL DespatchAdvice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DespatchAdvice {
    /// The despatch advice's own number (the delivery note number).
    pub number: String,
    /// The order shipped against.
    pub order_number: String,
    /// Date of issue.
    pub issued: Date,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// When the goods left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped: Option<Date>,
    /// When they are expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_delivery: Option<Date>,
    /// The carrier's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// The carrier's tracking number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// Number of packages.
    pub packages: u32,
    /// The lines shipped, at least one.
    pub lines: Vec<DespatchLine>,
}

/// One received line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptLine {
    /// The order line received.
    pub line: u32,
    /// The item.
    pub item: Item,
    /// The quantity received in good order.
    pub received: Quantity,
    /// The quantity received damaged, in the same unit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub damaged: Decimal,
}

fn is_zero(value: &Decimal) -> bool {
    value.is_zero()
}

/// What the buyer received (EDIFACT RECADV, X12 861, UBL ReceiptAdvice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptAdvice {
    /// The receipt advice's own number.
    pub number: String,
    /// The order received against.
    pub order_number: String,
    /// The despatch advice received, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub despatch_number: Option<String>,
    /// Date of issue.
    pub issued: Date,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// When the goods arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Date>,
    /// The lines received, at least one.
    pub lines: Vec<ReceiptLine>,
}

/// Any document of the order cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Document {
    /// A purchase order.
    Order(Order),
    /// A change to an order.
    OrderChange(OrderChange),
    /// A cancellation of an order.
    OrderCancellation(OrderCancellation),
    /// The seller's response.
    OrderResponse(OrderResponse),
    /// What was shipped.
    DespatchAdvice(DespatchAdvice),
    /// What was received.
    ReceiptAdvice(ReceiptAdvice),
}

/// The kind of a [`Document`], without its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// [`Order`].
    Order,
    /// [`OrderChange`].
    OrderChange,
    /// [`OrderCancellation`].
    OrderCancellation,
    /// [`OrderResponse`].
    OrderResponse,
    /// [`DespatchAdvice`].
    DespatchAdvice,
    /// [`ReceiptAdvice`].
    ReceiptAdvice,
}

impl DocumentKind {
    /// Every kind, in the order of a cycle.
    pub const ALL: [DocumentKind; 6] = [
        DocumentKind::Order,
        DocumentKind::OrderChange,
        DocumentKind::OrderCancellation,
        DocumentKind::OrderResponse,
        DocumentKind::DespatchAdvice,
        DocumentKind::ReceiptAdvice,
    ];

    /// The snake-case name used in JSON, URLs and event names.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Order => "order",
            DocumentKind::OrderChange => "order_change",
            DocumentKind::OrderCancellation => "order_cancellation",
            DocumentKind::OrderResponse => "order_response",
            DocumentKind::DespatchAdvice => "despatch_advice",
            DocumentKind::ReceiptAdvice => "receipt_advice",
        }
    }
}

impl Document {
    /// The free text the document carries as a whole, for its reader: an
    /// order's note, a change's reason, a cancellation's reason. Responses,
    /// despatch and receipt advice give theirs per line, if at all.
    pub fn note(&self) -> Option<&str> {
        match self {
            Document::Order(o) => o.note.as_deref(),
            Document::OrderChange(c) => c.note.as_deref(),
            Document::OrderCancellation(c) => c.reason.as_deref(),
            _ => None,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> DocumentKind {
        match self {
            Document::Order(_) => DocumentKind::Order,
            Document::OrderChange(_) => DocumentKind::OrderChange,
            Document::OrderCancellation(_) => DocumentKind::OrderCancellation,
            Document::OrderResponse(_) => DocumentKind::OrderResponse,
            Document::DespatchAdvice(_) => DocumentKind::DespatchAdvice,
            Document::ReceiptAdvice(_) => DocumentKind::ReceiptAdvice,
        }
    }

    /// The document's own number.
    pub fn number(&self) -> &str {
        match self {
            Document::Order(d) => &d.number,
            Document::OrderChange(d) => &d.number,
            Document::OrderCancellation(d) => &d.number,
            Document::OrderResponse(d) => &d.number,
            Document::DespatchAdvice(d) => &d.number,
            Document::ReceiptAdvice(d) => &d.number,
        }
    }

    /// The buyer's order number the document belongs to.
    pub fn order_number(&self) -> &str {
        match self {
            Document::Order(d) => &d.number,
            Document::OrderChange(d) => &d.order_number,
            Document::OrderCancellation(d) => &d.order_number,
            Document::OrderResponse(d) => &d.order_number,
            Document::DespatchAdvice(d) => &d.order_number,
            Document::ReceiptAdvice(d) => &d.order_number,
        }
    }

    /// Buyer and seller.
    pub fn parties(&self) -> (&Party, &Party) {
        match self {
            Document::Order(d) => (&d.buyer, &d.seller),
            Document::OrderChange(d) => (&d.buyer, &d.seller),
            Document::OrderCancellation(d) => (&d.buyer, &d.seller),
            Document::OrderResponse(d) => (&d.buyer, &d.seller),
            Document::DespatchAdvice(d) => (&d.buyer, &d.seller),
            Document::ReceiptAdvice(d) => (&d.buyer, &d.seller),
        }
    }

    /// Buyer and seller, to be rewritten (e.g. from wire ids to organisation ids).
    pub fn parties_mut(&mut self) -> (&mut Party, &mut Party) {
        match self {
            Document::Order(d) => (&mut d.buyer, &mut d.seller),
            Document::OrderChange(d) => (&mut d.buyer, &mut d.seller),
            Document::OrderCancellation(d) => (&mut d.buyer, &mut d.seller),
            Document::OrderResponse(d) => (&mut d.buyer, &mut d.seller),
            Document::DespatchAdvice(d) => (&mut d.buyer, &mut d.seller),
            Document::ReceiptAdvice(d) => (&mut d.buyer, &mut d.seller),
        }
    }

    /// Whether the buyer sends it (otherwise the seller does).
    pub fn sent_by_buyer(&self) -> bool {
        matches!(
            self.kind(),
            DocumentKind::Order
                | DocumentKind::OrderChange
                | DocumentKind::OrderCancellation
                | DocumentKind::ReceiptAdvice
        )
    }

    /// Every item the document names, to be rewritten (e.g. through a
    /// partner's item-code mapping).
    pub fn items_mut(&mut self) -> Vec<&mut Item> {
        match self {
            Document::Order(d) => d.lines.iter_mut().map(|l| &mut l.item).collect(),
            Document::OrderChange(d) => d.lines.iter_mut().map(|l| &mut l.line.item).collect(),
            Document::OrderCancellation(_) => Vec::new(),
            Document::OrderResponse(d) => d.lines.iter_mut().map(|l| &mut l.item).collect(),
            Document::DespatchAdvice(d) => d.lines.iter_mut().map(|l| &mut l.item).collect(),
            Document::ReceiptAdvice(d) => d.lines.iter_mut().map(|l| &mut l.item).collect(),
        }
    }

    /// Every free text the document holds — party names, notes, reasons,
    /// item descriptions, the carrier — the values meant for people rather
    /// than for matching, which a format may need to rewrite.
    pub fn texts_mut(&mut self) -> Vec<&mut String> {
        fn description(item: &mut Item) -> Option<&mut String> {
            item.description.as_mut()
        }
        let mut texts: Vec<&mut String> = Vec::new();
        let (buyer, seller) = match self {
            Document::Order(d) => {
                texts.extend(d.note.as_mut());
                texts.extend(d.lines.iter_mut().filter_map(|l| description(&mut l.item)));
                (&mut d.buyer, &mut d.seller)
            }
            Document::OrderChange(d) => {
                texts.extend(d.note.as_mut());
                texts.extend(
                    d.lines
                        .iter_mut()
                        .filter_map(|l| description(&mut l.line.item)),
                );
                (&mut d.buyer, &mut d.seller)
            }
            Document::OrderCancellation(d) => {
                texts.extend(d.reason.as_mut());
                (&mut d.buyer, &mut d.seller)
            }
            Document::OrderResponse(d) => {
                for l in &mut d.lines {
                    texts.extend(l.reason.as_mut());
                    texts.extend(description(&mut l.item));
                }
                (&mut d.buyer, &mut d.seller)
            }
            Document::DespatchAdvice(d) => {
                texts.extend(d.carrier.as_mut());
                texts.extend(d.lines.iter_mut().filter_map(|l| description(&mut l.item)));
                (&mut d.buyer, &mut d.seller)
            }
            Document::ReceiptAdvice(d) => {
                texts.extend(d.lines.iter_mut().filter_map(|l| description(&mut l.item)));
                (&mut d.buyer, &mut d.seller)
            }
        };
        texts.extend(buyer.name.as_mut());
        texts.extend(seller.name.as_mut());
        texts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_the_epoch_count_both_ways() {
        let epoch = Date::new(1970, 1, 1).expect("date");
        assert_eq!(epoch.unix_days(), 0);
        let leap = Date::new(2028, 2, 29).expect("date");
        assert_eq!(leap.unix_days(), 21_243);
        assert_eq!(Date::from_unix_days(21_243), Some(leap));
        assert_eq!(Date::from_unix_days(-1), Date::new(1969, 12, 31));
        for days in (-719_162..3_000_000).step_by(997) {
            let date = Date::from_unix_days(days).expect("in range");
            assert_eq!(date.unix_days(), days);
        }
        assert_eq!(Date::from_unix_days(-719_162), Date::new(1, 1, 1));
        assert_eq!(Date::from_unix_days(-719_163), None, "no year 0");
        assert_eq!(Date::from_unix_days(i64::MAX), None);
    }

    #[test]
    fn dates_exist_or_are_refused() {
        assert_eq!(Date::from_ccyymmdd("20280229").map(|d| d.day()), Some(29));
        assert_eq!(Date::from_ccyymmdd("20270229"), None);
        assert_eq!(Date::from_ccyymmdd("21000229"), None);
        assert_eq!(Date::from_ccyymmdd("2026113"), None);
        assert_eq!(
            Date::from_yymmdd("261121").map(|d| d.to_string()),
            Some("2026-11-21".into())
        );
        assert_eq!(
            "2026-11-21".parse::<Date>().map(|d| d.ccyymmdd()),
            Ok("20261121".into())
        );
        assert!("2026-13-01".parse::<Date>().is_err());
        assert!("21-11-2026".parse::<Date>().is_err());
    }

    #[test]
    fn documents_are_tagged_by_type_in_json() {
        let doc = Document::OrderCancellation(OrderCancellation {
            number: "C-1".into(),
            order_number: "PO-1".into(),
            issued: Date::new(2026, 11, 21).expect("date"),
            buyer: Party {
                id: "B".into(),
                name: None,
            },
            seller: Party {
                id: "S".into(),
                name: None,
            },
            reason: Some("二重発注".into()),
        });
        let json = serde_json::to_value(&doc).expect("serialise");
        assert_eq!(json["type"], "order_cancellation");
        assert_eq!(json["issued"], "2026-11-21");
        let back: Document = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, doc);
    }

    #[test]
    fn an_order_a_change_and_a_cancellation_carry_a_note_and_the_rest_none() {
        for document in crate::samples::cycle() {
            let kind = document.kind();
            match kind {
                DocumentKind::Order
                | DocumentKind::OrderChange
                | DocumentKind::OrderCancellation => {
                    assert!(
                        document.note().is_some(),
                        "the sample {kind:?} has its text"
                    )
                }
                _ => assert_eq!(document.note(), None, "{kind:?} gives reasons per line"),
            }
        }
        let cancellation = crate::samples::cycle()
            .into_iter()
            .find_map(|d| match d {
                Document::OrderCancellation(c) => Some(c),
                _ => None,
            })
            .expect("the cycle has a cancellation");
        assert_eq!(
            Document::OrderCancellation(cancellation.clone()).note(),
            cancellation.reason.as_deref(),
            "a cancellation's note is its reason"
        );
    }

    #[test]
    fn a_change_stored_before_it_had_a_note_still_reads() {
        let mut change = crate::samples::order_change();
        change.note = None;
        let json = serde_json::to_value(Document::OrderChange(change.clone())).expect("serialise");
        assert!(json.get("note").is_none(), "no note, no key: {json}");
        let back: Document = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, Document::OrderChange(change));
    }
}
