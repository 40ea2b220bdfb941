//! The order cycle as a state machine: which document may follow which,
//! per order and per line.
//!
//! An order's state is the state of its lines. A line is ordered (awaiting
//! the seller's response), then accepted, accepted with changes or
//! rejected; the buyer may change or delete it until goods have been
//! shipped against it; the seller ships at most what was confirmed; the
//! buyer reports at most what was shipped as received. [`apply`] takes the
//! state before a document and returns the state after it, or a
//! [`Refusal`] that names the rule and the state that stopped it. Nothing
//! here touches storage; the app layer loads, applies and saves in one
//! transaction.

use std::collections::HashSet;

use renkei_edi::{ChangeAction, Date, Decimal, Document, Item, LineStatus as Answer, Order, Party};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an order stands as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// At least one line waits for the seller's response.
    AwaitingResponse,
    /// Every line is answered, some accepted; nothing shipped yet.
    Confirmed,
    /// Every line was rejected.
    Rejected,
    /// Some of what was confirmed has been shipped.
    PartiallyDespatched,
    /// Everything confirmed has been shipped.
    Despatched,
    /// Everything shipped has been reported received.
    Received,
    /// The buyer withdrew the order (or deleted every line).
    Cancelled,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::AwaitingResponse,
        OrderStatus::Confirmed,
        OrderStatus::Rejected,
        OrderStatus::PartiallyDespatched,
        OrderStatus::Despatched,
        OrderStatus::Received,
        OrderStatus::Cancelled,
    ];

    /// The name used in JSON, filters and events.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::AwaitingResponse => "awaiting_response",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::PartiallyDespatched => "partially_despatched",
            OrderStatus::Despatched => "despatched",
            OrderStatus::Received => "received",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Reads a name written by [`OrderStatus::as_str`].
    pub fn parse(name: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether an order in this status still takes an order change: not
    /// once cancelled (rule `order_cancelled`) nor once everything
    /// confirmed has been shipped (`no_change_after_full_despatch`).
    pub fn takes_changes(self) -> bool {
        !matches!(
            self,
            OrderStatus::Cancelled | OrderStatus::Despatched | OrderStatus::Received
        )
    }
}

/// Where one line stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineState {
    /// Waiting for the seller's response.
    AwaitingResponse,
    /// Accepted as ordered.
    Accepted,
    /// Accepted with another quantity, price or date.
    Changed,
    /// Not accepted by the seller.
    Rejected,
    /// Withdrawn by the buyer.
    Deleted,
}

impl LineState {
    fn as_str(self) -> &'static str {
        match self {
            LineState::AwaitingResponse => "awaiting a response",
            LineState::Accepted => "accepted",
            LineState::Changed => "accepted with changes",
            LineState::Rejected => "rejected",
            LineState::Deleted => "deleted",
        }
    }

    fn confirmed(self) -> bool {
        matches!(self, LineState::Accepted | LineState::Changed)
    }
}

/// One line of an order with everything that happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Line {
    /// Line number.
    pub line: u32,
    /// Where it stands.
    pub state: LineState,
    /// The item.
    pub item: Item,
    /// Unit of every quantity of the line (UN/ECE Rec 20).
    pub unit: String,
    /// Quantity ordered (after the latest change).
    pub ordered: Decimal,
    /// Price per unit the buyer stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// Delivery date the buyer asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_delivery: Option<Date>,
    /// Delivery site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_site: Option<String>,
    /// Quantity the seller confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Decimal>,
    /// Price per unit the seller confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_price: Option<Decimal>,
    /// Delivery date the seller confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_delivery: Option<Date>,
    /// Why the seller changed or rejected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Quantity shipped so far.
    pub shipped: Decimal,
    /// Quantity reported received in good order.
    pub received: Decimal,
    /// Quantity reported received damaged.
    pub damaged: Decimal,
}

impl Line {
    fn new(l: &renkei_edi::OrderLine) -> Line {
        Line {
            line: l.line,
            state: LineState::AwaitingResponse,
            item: l.item.clone(),
            unit: l.quantity.unit.clone(),
            ordered: l.quantity.value,
            unit_price: l.unit_price,
            requested_delivery: l.requested_delivery,
            delivery_site: l.delivery_site.clone(),
            confirmed: None,
            confirmed_price: None,
            confirmed_delivery: None,
            reason: None,
            shipped: Decimal::ZERO,
            received: Decimal::ZERO,
            damaged: Decimal::ZERO,
        }
    }

    fn describe(&self) -> String {
        format!("line {} is {}", self.line, self.state.as_str())
    }

    /// Whether an order change may change or delete this line: not once
    /// deleted (rule `line_deleted`) nor once shipped against
    /// (`no_change_after_despatch`).
    pub fn changeable(&self) -> bool {
        self.change_refusal().is_none()
    }

    fn change_refusal(&self) -> Option<Refusal> {
        let number = self.line;
        if self.state == LineState::Deleted {
            return Some(refuse(
                "line_deleted",
                self.describe(),
                format!("line {number} was deleted"),
            ));
        }
        if !self.shipped.is_zero() {
            return Some(refuse(
                "no_change_after_despatch",
                format!("line {number} has {} {} shipped", self.shipped, self.unit),
                format!("line {number} has been shipped against and can no longer change"),
            ));
        }
        None
    }
}

/// An order and its lines after every document so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderState {
    /// The buyer's order number.
    pub number: String,
    /// Who buys.
    pub buyer: Party,
    /// Who sells.
    pub seller: Party,
    /// Currency of every price.
    pub currency: String,
    /// Where the order stands.
    pub status: OrderStatus,
    /// The lines in order of their numbers.
    pub lines: Vec<Line>,
    /// Kind and number of every document so far, to refuse a number twice.
    #[schema(value_type = Vec<Vec<String>>)]
    pub documents: Vec<(String, String)>,
}

/// Why a document may not follow the ones before it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (rule `{rule}`; {state})")]
pub struct Refusal {
    /// The rule, as a stable name.
    pub rule: &'static str,
    /// The state that stopped it, in words.
    pub state: String,
    /// What was refused.
    pub message: String,
}

/// The stable name of every rule a document can be refused by, here or
/// by the service (`joint_purchase_change`): API clients and the web UI's
/// words for them key on these.
pub const RULES: [&str; 28] = [
    "accepted_quantity_differs",
    "accepted_price_differs",
    "accepted_date_differs",
    "changed_without_change",
    "changed_to_nothing",
    "confirmed_above_ordered",
    "line_not_awaiting_response",
    "line_repeated",
    "line_deleted",
    "no_change_after_despatch",
    "no_change_after_full_despatch",
    "line_exists",
    "unknown_line",
    "no_cancellation_after_despatch",
    "order_cancelled",
    "no_despatch_for_rejected_line",
    "no_despatch_before_response",
    "despatch_exceeds_confirmed",
    "no_receipt_before_despatch",
    "receipt_exceeds_despatched",
    "unknown_despatch",
    "unit_mismatch",
    "item_mismatch",
    "currency_mismatch",
    "document_number_repeated",
    "order_number_taken",
    "unknown_order",
    "joint_purchase_change",
];

fn refuse(rule: &'static str, state: impl Into<String>, message: impl Into<String>) -> Refusal {
    debug_assert!(RULES.contains(&rule), "{rule} is listed in RULES");
    Refusal {
        rule,
        state: state.into(),
        message: message.into(),
    }
}

fn fits(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_add(b)
}

impl OrderState {
    /// The state an order starts in.
    pub fn open(order: &Order) -> OrderState {
        OrderState {
            number: order.number.clone(),
            buyer: order.buyer.clone(),
            seller: order.seller.clone(),
            currency: order.currency.clone(),
            status: OrderStatus::AwaitingResponse,
            lines: order.lines.iter().map(Line::new).collect(),
            documents: vec![("order".into(), order.number.clone())],
        }
    }

    fn status_words(&self) -> String {
        format!("the order is {}", self.status.as_str().replace('_', " "))
    }

    fn line_mut(&mut self, number: u32) -> Result<&mut Line, Refusal> {
        let words = self.status_words();
        self.lines
            .iter_mut()
            .find(|l| l.line == number)
            .ok_or_else(|| {
                refuse(
                    "unknown_line",
                    words,
                    format!("the order has no line {number}"),
                )
            })
    }

    fn derive_status(&mut self) {
        let live: Vec<&Line> = self
            .lines
            .iter()
            .filter(|l| l.state != LineState::Deleted)
            .collect();
        self.status = if self.status == OrderStatus::Cancelled || live.is_empty() {
            OrderStatus::Cancelled
        } else if live.iter().any(|l| l.state == LineState::AwaitingResponse) {
            OrderStatus::AwaitingResponse
        } else if live.iter().all(|l| l.state == LineState::Rejected) {
            OrderStatus::Rejected
        } else {
            let active: Vec<&&Line> = live.iter().filter(|l| l.state.confirmed()).collect();
            let shipped_all = active
                .iter()
                .all(|l| l.shipped >= l.confirmed.unwrap_or(l.ordered));
            if active.iter().all(|l| l.shipped.is_zero()) {
                OrderStatus::Confirmed
            } else if !shipped_all {
                OrderStatus::PartiallyDespatched
            } else if active
                .iter()
                .all(|l| fits(l.received, l.damaged).is_some_and(|r| r >= l.shipped))
            {
                OrderStatus::Received
            } else {
                OrderStatus::Despatched
            }
        };
    }

    fn document_number_free(&self, kind: &str, number: &str) -> Result<(), Refusal> {
        if self.documents.iter().any(|(k, n)| k == kind && n == number) {
            return Err(refuse(
                "document_number_repeated",
                self.status_words(),
                format!(
                    "a {} numbered {number} was already sent for this order",
                    kind.replace('_', " ")
                ),
            ));
        }
        Ok(())
    }

    fn unit_matches(line: &Line, unit: &str) -> Result<(), Refusal> {
        if line.unit != unit {
            return Err(refuse(
                "unit_mismatch",
                format!("line {} is in {}", line.line, line.unit),
                format!("line {} is counted in {}, not {unit}", line.line, line.unit),
            ));
        }
        Ok(())
    }

    /// A document's line names the order's item: where both name an item
    /// by the same kind of code (GTIN, buyer's or seller's code), the codes
    /// agree. A line that names the item by no code is taken as the
    /// order's (despatch and receipt advices often carry only the line
    /// number).
    fn item_matches(line: &Line, item: &Item) -> Result<(), Refusal> {
        let codes = [
            ("GTIN", &line.item.gtin, &item.gtin),
            ("buyer's code", &line.item.buyer_code, &item.buyer_code),
            ("seller's code", &line.item.seller_code, &item.seller_code),
        ];
        for (kind, ordered, named) in codes {
            if let (Some(ordered), Some(named)) = (ordered, named)
                && ordered != named
            {
                return Err(refuse(
                    "item_mismatch",
                    format!("line {} is item {ordered} ({kind})", line.line),
                    format!(
                        "line {} names item {named} ({kind}), not the item ordered on that line",
                        line.line
                    ),
                ));
            }
        }
        Ok(())
    }

    fn not_cancelled(&self) -> Result<(), Refusal> {
        if self.status == OrderStatus::Cancelled {
            return Err(refuse(
                "order_cancelled",
                self.status_words(),
                "nothing may follow the cancellation of an order",
            ));
        }
        Ok(())
    }
}

/// The state after `document`, given the state before it (`None` for an
/// order that does not exist yet). Parties are checked by the caller.
pub fn apply(before: Option<&OrderState>, document: &Document) -> Result<OrderState, Refusal> {
    let Some(before) = before else {
        return match document {
            Document::Order(order) => Ok(OrderState::open(order)),
            other => Err(refuse(
                "unknown_order",
                "no such order",
                format!(
                    "there is no order {} to follow with a {}",
                    other.order_number(),
                    other.kind().as_str().replace('_', " ")
                ),
            )),
        };
    };
    let mut s = before.clone();
    let kind = document.kind().as_str();
    match document {
        Document::Order(o) => {
            return Err(refuse(
                "order_number_taken",
                before.status_words(),
                format!(
                    "order {} already exists; send an order change instead",
                    o.number
                ),
            ));
        }
        Document::OrderChange(change) => {
            s.not_cancelled()?;
            s.document_number_free(kind, &change.number)?;
            if !s.status.takes_changes() {
                return Err(refuse(
                    "no_change_after_full_despatch",
                    s.status_words(),
                    "everything confirmed has been shipped; a change is no longer possible",
                ));
            }
            if change.currency != s.currency {
                return Err(refuse(
                    "currency_mismatch",
                    format!("the order is in {}", s.currency),
                    format!(
                        "the change is in {}, the order in {}",
                        change.currency, s.currency
                    ),
                ));
            }
            for c in &change.lines {
                let number = c.line.line;
                match c.action {
                    ChangeAction::Added => {
                        if let Some(existing) = s.lines.iter().find(|l| l.line == number) {
                            return Err(refuse(
                                "line_exists",
                                existing.describe(),
                                format!("line {number} exists; a new line needs a new number"),
                            ));
                        }
                        s.lines.push(Line::new(&c.line));
                    }
                    ChangeAction::Changed | ChangeAction::Deleted => {
                        let line = s.line_mut(number)?;
                        if let Some(refusal) = line.change_refusal() {
                            return Err(refusal);
                        }
                        if c.action == ChangeAction::Deleted {
                            line.state = LineState::Deleted;
                        } else {
                            let shipped = line.shipped;
                            *line = Line::new(&c.line);
                            line.shipped = shipped;
                        }
                    }
                }
            }
            s.lines.sort_by_key(|l| l.line);
        }
        Document::OrderCancellation(c) => {
            s.not_cancelled()?;
            s.document_number_free(kind, &c.number)?;
            if let Some(shipped) = s.lines.iter().find(|l| !l.shipped.is_zero()) {
                return Err(refuse(
                    "no_cancellation_after_despatch",
                    format!(
                        "line {} has {} {} shipped",
                        shipped.line, shipped.shipped, shipped.unit
                    ),
                    "goods have been shipped against this order; delete the remaining lines with an order change instead",
                ));
            }
            for line in &mut s.lines {
                line.state = LineState::Deleted;
            }
            s.status = OrderStatus::Cancelled;
        }
        Document::OrderResponse(r) => {
            s.not_cancelled()?;
            s.document_number_free(kind, &r.number)?;
            if r.currency != s.currency {
                return Err(refuse(
                    "currency_mismatch",
                    format!("the order is in {}", s.currency),
                    format!(
                        "the response is in {}, the order in {}",
                        r.currency, s.currency
                    ),
                ));
            }
            let mut seen = HashSet::new();
            for answer in &r.lines {
                if !seen.insert(answer.line) {
                    return Err(refuse(
                        "line_repeated",
                        s.status_words(),
                        format!("line {} is answered twice", answer.line),
                    ));
                }
                let line = s.line_mut(answer.line)?;
                if line.state != LineState::AwaitingResponse {
                    return Err(refuse(
                        "line_not_awaiting_response",
                        line.describe(),
                        format!("line {} does not wait for a response", answer.line),
                    ));
                }
                if let Some(q) = &answer.quantity {
                    OrderState::unit_matches(line, &q.unit)?;
                }
                OrderState::item_matches(line, &answer.item)?;
                let quantity = answer.quantity.as_ref().map(|q| q.value);
                // What an answer gives that differs from the order; a
                // price or date where the order gave none differs too.
                let new_quantity = quantity.filter(|q| *q != line.ordered);
                let new_price = answer.unit_price.filter(|p| Some(*p) != line.unit_price);
                let new_date = answer
                    .confirmed_delivery
                    .filter(|d| Some(*d) != line.requested_delivery);
                match answer.status {
                    Answer::Accepted => {
                        // Filling in a price or date the order left open is
                        // not a change; replacing one is.
                        if let (Some(price), Some(ordered)) = (new_price, line.unit_price) {
                            return Err(refuse(
                                "accepted_price_differs",
                                format!("line {} was ordered at {ordered}", line.line),
                                format!(
                                    "line {} is accepted at {price}; answer it as changed",
                                    line.line
                                ),
                            ));
                        }
                        if let (Some(date), Some(asked)) = (new_date, line.requested_delivery) {
                            return Err(refuse(
                                "accepted_date_differs",
                                format!("line {} was asked for by {asked}", line.line),
                                format!(
                                    "line {} is accepted for {date}; answer it as changed",
                                    line.line
                                ),
                            ));
                        }
                        if new_quantity.is_some() {
                            return Err(refuse(
                                "accepted_quantity_differs",
                                format!(
                                    "line {} was ordered {} {}",
                                    line.line, line.ordered, line.unit
                                ),
                                format!(
                                    "line {} is accepted with another quantity; answer it as changed",
                                    line.line
                                ),
                            ));
                        }
                        line.state = LineState::Accepted;
                        line.confirmed = Some(line.ordered);
                    }
                    Answer::Changed => {
                        if new_quantity.is_none() && new_price.is_none() && new_date.is_none() {
                            return Err(refuse(
                                "changed_without_change",
                                line.describe(),
                                format!(
                                    "line {} is answered as changed, but its quantity, price and date are those ordered; answer it as accepted",
                                    line.line
                                ),
                            ));
                        }
                        let confirmed = quantity.unwrap_or(line.ordered);
                        if confirmed.is_zero() {
                            return Err(refuse(
                                "changed_to_nothing",
                                line.describe(),
                                format!(
                                    "line {} is confirmed with nothing; reject it instead",
                                    line.line
                                ),
                            ));
                        }
                        if confirmed > line.ordered {
                            return Err(refuse(
                                "confirmed_above_ordered",
                                format!(
                                    "line {} was ordered {} {}",
                                    line.line, line.ordered, line.unit
                                ),
                                format!(
                                    "line {} cannot be confirmed for more than was ordered",
                                    line.line
                                ),
                            ));
                        }
                        line.state = LineState::Changed;
                        line.confirmed = Some(confirmed);
                    }
                    Answer::Rejected => {
                        line.state = LineState::Rejected;
                        line.confirmed = None;
                    }
                }
                line.confirmed_price = answer.unit_price.or(line.unit_price);
                line.confirmed_delivery = answer.confirmed_delivery;
                line.reason = answer.reason.clone();
            }
        }
        Document::DespatchAdvice(d) => {
            s.not_cancelled()?;
            s.document_number_free(kind, &d.number)?;
            for shipped in &d.lines {
                let line = s.line_mut(shipped.line)?;
                let rule = match line.state {
                    LineState::Rejected => Some("no_despatch_for_rejected_line"),
                    LineState::AwaitingResponse => Some("no_despatch_before_response"),
                    LineState::Deleted => Some("line_deleted"),
                    LineState::Accepted | LineState::Changed => None,
                };
                if let Some(rule) = rule {
                    return Err(refuse(
                        rule,
                        line.describe(),
                        format!("nothing may be shipped against line {}", line.line),
                    ));
                }
                OrderState::unit_matches(line, &shipped.quantity.unit)?;
                OrderState::item_matches(line, &shipped.item)?;
                let confirmed = line.confirmed.unwrap_or(line.ordered);
                let total = fits(line.shipped, shipped.quantity.value);
                if total.is_none_or(|t| t > confirmed) {
                    return Err(refuse(
                        "despatch_exceeds_confirmed",
                        format!(
                            "line {}: {} {} confirmed, {} shipped before",
                            line.line, confirmed, line.unit, line.shipped
                        ),
                        format!(
                            "shipping {} {} more on line {} would exceed what was confirmed",
                            shipped.quantity.value, line.unit, line.line
                        ),
                    ));
                }
                line.shipped = total.unwrap_or(line.shipped);
            }
        }
        Document::ReceiptAdvice(r) => {
            s.not_cancelled()?;
            s.document_number_free(kind, &r.number)?;
            if let Some(despatch) = &r.despatch_number {
                if !s
                    .documents
                    .iter()
                    .any(|(k, n)| k == "despatch_advice" && n == despatch)
                {
                    return Err(refuse(
                        "unknown_despatch",
                        s.status_words(),
                        format!("no despatch advice numbered {despatch} was sent for this order"),
                    ));
                }
            }
            for got in &r.lines {
                let line = s.line_mut(got.line)?;
                if line.shipped.is_zero() {
                    return Err(refuse(
                        "no_receipt_before_despatch",
                        format!("line {} has nothing shipped", line.line),
                        format!(
                            "nothing was shipped against line {} to be received",
                            line.line
                        ),
                    ));
                }
                OrderState::unit_matches(line, &got.received.unit)?;
                OrderState::item_matches(line, &got.item)?;
                let reported = fits(line.received, line.damaged)
                    .and_then(|r| fits(r, got.received.value))
                    .and_then(|r| fits(r, got.damaged));
                if reported.is_none_or(|r| r > line.shipped) {
                    return Err(refuse(
                        "receipt_exceeds_despatched",
                        format!(
                            "line {}: {} {} shipped, {} reported before",
                            line.line,
                            line.shipped,
                            line.unit,
                            fits(line.received, line.damaged).unwrap_or(line.received)
                        ),
                        format!(
                            "line {} would be reported received beyond what was shipped",
                            line.line
                        ),
                    ));
                }
                line.received = fits(line.received, got.received.value).unwrap_or(line.received);
                line.damaged = fits(line.damaged, got.damaged).unwrap_or(line.damaged);
            }
        }
    }
    s.documents
        .push((kind.to_string(), document.number().to_string()));
    s.derive_status();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_edi::samples;

    fn run(documents: &[Document]) -> Result<OrderState, Refusal> {
        let mut state: Option<OrderState> = None;
        for d in documents {
            state = Some(apply(state.as_ref(), d)?);
        }
        state.ok_or_else(|| refuse("unknown_order", "", "no documents"))
    }

    /// Every name this file refuses by is in [`RULES`], and every name
    /// there is refused by here or by the service, so the list is the
    /// rules there are. A name is a literal given to `refuse(` or as
    /// `rule: `, or a `Some("…")` chosen into the variable `rule` (the
    /// one argument of `refuse` that is not a literal).
    #[test]
    fn rules_lists_every_rule_and_only_those() {
        let used = |source: &'static str| -> Vec<String> {
            let code = source.split("#[cfg(test)]").next().unwrap_or(source);
            let mut names = Vec::new();
            for opener in ["refuse(", "rule: ", "Some("] {
                for (at, _) in code.match_indices(opener) {
                    let rest = code[at + opener.len()..].trim_start();
                    match rest.strip_prefix('"') {
                        Some(literal) => {
                            let name = literal.split('"').next().unwrap_or("");
                            if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                                names.push(name.to_string());
                            }
                        }
                        None if opener == "refuse(" => assert!(
                            rest.starts_with("rule,") || rest.starts_with("rule: &"),
                            "a rule given by other than a literal or `rule`: {rest:.60}"
                        ),
                        None => {}
                    }
                }
            }
            names
        };
        let mut named = used(include_str!("cycle.rs"));
        named.extend(used(include_str!("../app/documents.rs")));
        assert!(named.len() >= RULES.len(), "{named:?}");
        for rule in &named {
            assert!(RULES.contains(&rule.as_str()), "{rule} is not in RULES");
        }
        for rule in RULES {
            assert!(
                named.iter().any(|n| n == rule),
                "{rule} is refused by no one"
            );
        }
    }

    fn order() -> Document {
        Document::Order(samples::order())
    }

    #[test]
    fn the_sample_cycle_ends_received() {
        let mut response = samples::order_response();
        response.lines.truncate(2);
        let added = samples::order_change().lines[2].line.item.clone();
        let rejected = renkei_edi::ResponseLine {
            line: 4,
            item: added,
            ..samples::order_response().lines[2].clone()
        };
        response.lines.push(rejected);
        let mut receipt = samples::receipt_advice();
        receipt.lines[1].received.value = Decimal::from_int(20);
        let state = run(&[
            order(),
            Document::OrderChange(samples::order_change()),
            Document::OrderResponse(response),
            Document::DespatchAdvice(samples::despatch_advice()),
            Document::ReceiptAdvice(receipt),
        ])
        .expect("a valid cycle");
        assert_eq!(state.status, OrderStatus::Received);
        let states: Vec<LineState> = state.lines.iter().map(|l| l.state).collect();
        assert_eq!(
            states,
            [
                LineState::Accepted,
                LineState::Changed,
                LineState::Deleted,
                LineState::Rejected
            ]
        );
        assert_eq!(state.lines[0].damaged, Decimal::from_int(1));
        assert_eq!(state.documents.len(), 5);
    }

    #[test]
    fn a_rejected_line_cannot_be_shipped() {
        let mut despatch = samples::despatch_advice();
        despatch.lines[0].line = 3;
        despatch.lines[0].quantity.unit = "H87".into();
        let refusal = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(despatch),
        ])
        .expect_err("refused");
        assert_eq!(refusal.rule, "no_despatch_for_rejected_line");
        assert_eq!(refusal.state, "line 3 is rejected");
    }

    #[test]
    fn nothing_ships_before_the_response_and_never_more_than_confirmed() {
        let refusal = run(&[
            order(),
            Document::DespatchAdvice(samples::despatch_advice()),
        ])
        .expect_err("early");
        assert_eq!(refusal.rule, "no_despatch_before_response");
        let mut more = samples::despatch_advice();
        more.lines[1].quantity.value = Decimal::from_int(21);
        let refusal = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(more),
        ])
        .expect_err("too much");
        assert_eq!(refusal.rule, "despatch_exceeds_confirmed");
        assert!(
            refusal.state.contains("20 KGM confirmed"),
            "{}",
            refusal.state
        );
    }

    #[test]
    fn partial_despatch_then_the_rest() {
        let mut first = samples::despatch_advice();
        first.lines.truncate(1);
        let mut second = samples::despatch_advice();
        second.number = "DN-55013".into();
        second.lines.remove(0);
        let after_first = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(first.clone()),
        ])
        .expect("first");
        assert_eq!(after_first.status, OrderStatus::PartiallyDespatched);
        let after_both =
            apply(Some(&after_first), &Document::DespatchAdvice(second)).expect("second");
        assert_eq!(after_both.status, OrderStatus::Despatched);
        let again =
            apply(Some(&after_both), &Document::DespatchAdvice(first)).expect_err("same number");
        assert_eq!(again.rule, "document_number_repeated");
    }

    #[test]
    fn no_change_after_despatch_and_no_cancellation_either() {
        let shipped = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(samples::despatch_advice()),
        ])
        .expect("shipped");
        assert_eq!(shipped.status, OrderStatus::Despatched);
        let change = apply(
            Some(&shipped),
            &Document::OrderChange(samples::order_change()),
        )
        .expect_err("change");
        assert_eq!(change.rule, "no_change_after_full_despatch");
        let mut cancel = samples::order_cancellation();
        cancel.order_number = shipped.number.clone();
        let cancel =
            apply(Some(&shipped), &Document::OrderCancellation(cancel)).expect_err("cancel");
        assert_eq!(cancel.rule, "no_cancellation_after_despatch");
    }

    #[test]
    fn the_change_rules_a_form_mirrors_are_those_apply_enforces() {
        let mut first = samples::despatch_advice();
        first.lines.truncate(1);
        let partly = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(first),
        ])
        .expect("partly shipped");
        assert!(partly.status.takes_changes());
        let changeable: Vec<u32> = partly
            .lines
            .iter()
            .filter(|l| l.changeable())
            .map(|l| l.line)
            .collect();
        let shipped = partly.lines[0].line;
        assert!(!changeable.contains(&shipped), "{changeable:?}");
        let mut change = samples::order_change();
        change.lines.truncate(1);
        change.lines[0].line = samples::order().lines[0].clone();
        let refusal = apply(Some(&partly), &Document::OrderChange(change.clone()))
            .expect_err("a shipped line");
        assert_eq!(refusal.rule, "no_change_after_despatch");
        change.lines[0].line = samples::order().lines[changeable[0] as usize - 1].clone();
        change.lines[0].line.quantity.value = Decimal::from_int(7);
        apply(Some(&partly), &Document::OrderChange(change)).expect("an unshipped line");
        for status in OrderStatus::ALL {
            let mut state = partly.clone();
            state.status = status;
            let refused = apply(
                Some(&state),
                &Document::OrderChange(samples::order_change()),
            )
            .err()
            .map(|r| r.rule);
            let by_status = matches!(
                refused,
                Some("order_cancelled" | "no_change_after_full_despatch")
            );
            assert_eq!(
                by_status,
                !status.takes_changes(),
                "{status:?}: {refused:?}"
            );
        }
    }

    #[test]
    fn a_cancelled_order_takes_nothing_more() {
        let mut cancel = samples::order_cancellation();
        cancel.order_number = samples::order().number;
        let state = run(&[order(), Document::OrderCancellation(cancel)]).expect("cancelled");
        assert_eq!(state.status, OrderStatus::Cancelled);
        let refusal = apply(
            Some(&state),
            &Document::OrderResponse(samples::order_response()),
        )
        .expect_err("after");
        assert_eq!(refusal.rule, "order_cancelled");
        assert_eq!(refusal.state, "the order is cancelled");
    }

    #[test]
    fn responses_answer_only_lines_that_wait_and_in_their_unit() {
        let answered =
            run(&[order(), Document::OrderResponse(samples::order_response())]).expect("answered");
        assert_eq!(answered.status, OrderStatus::Confirmed);
        let mut again = samples::order_response();
        again.number = "RSP-2".into();
        let refusal = apply(Some(&answered), &Document::OrderResponse(again)).expect_err("twice");
        assert_eq!(refusal.rule, "line_not_awaiting_response");
        let mut unit = samples::order_response();
        unit.lines[0].quantity.as_mut().expect("qty").unit = "H87".into();
        let refusal = run(&[order(), Document::OrderResponse(unit)]).expect_err("unit");
        assert_eq!(refusal.rule, "unit_mismatch");
        let refusal =
            run(&[Document::OrderResponse(samples::order_response())]).expect_err("no order");
        assert_eq!(refusal.rule, "unknown_order");
    }

    #[test]
    fn receipts_stay_within_what_was_shipped() {
        let mut receipt = samples::receipt_advice();
        receipt.lines[0].received.value = Decimal::from_int(12);
        let refusal = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(samples::despatch_advice()),
            Document::ReceiptAdvice(receipt),
        ])
        .expect_err("12 + 1 damaged > 12 shipped");
        assert_eq!(refusal.rule, "receipt_exceeds_despatched");
        let mut unknown = samples::receipt_advice();
        unknown.despatch_number = Some("DN-0".into());
        let refusal = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(samples::despatch_advice()),
            Document::ReceiptAdvice(unknown),
        ])
        .expect_err("unknown despatch");
        assert_eq!(refusal.rule, "unknown_despatch");
    }

    #[test]
    fn an_acceptance_changes_nothing_and_a_change_changes_something() {
        let refused = |edit: &dyn Fn(&mut renkei_edi::ResponseLine)| {
            let mut response = samples::order_response();
            edit(&mut response.lines[0]);
            run(&[order(), Document::OrderResponse(response)]).map(|_| ())
        };
        // Line 1 of the sample is accepted at the price and date ordered.
        assert_eq!(refused(&|_| {}), Ok(()));
        let price = refused(&|l| l.unit_price = Some(Decimal::from_int(2000))).expect_err("price");
        assert_eq!(price.rule, "accepted_price_differs");
        assert!(price.message.contains("answer it as changed"), "{price:?}");
        let date =
            refused(&|l| l.confirmed_delivery = "2026-12-01".parse().ok()).expect_err("date");
        assert_eq!(date.rule, "accepted_date_differs");
        // Leaving them out accepts what was ordered.
        assert_eq!(
            refused(&|l| {
                l.unit_price = None;
                l.confirmed_delivery = None;
            }),
            Ok(())
        );
        // A change that changes nothing is refused; any one change will do.
        let nothing = refused(&|l| l.status = Answer::Changed).expect_err("no change");
        assert_eq!(nothing.rule, "changed_without_change");
        assert_eq!(
            refused(&|l| {
                l.status = Answer::Changed;
                l.unit_price = Some(Decimal::from_int(2300));
            }),
            Ok(())
        );
        assert_eq!(
            refused(&|l| {
                l.status = Answer::Changed;
                l.quantity = None;
                l.confirmed_delivery = "2026-11-27".parse().ok();
            }),
            Ok(())
        );
    }

    #[test]
    fn every_answer_names_the_item_of_its_line() {
        let mut response = samples::order_response();
        response.lines[0].item.gtin = Some("4006381333931".into());
        let refusal = run(&[order(), Document::OrderResponse(response)]).expect_err("item");
        assert_eq!(refusal.rule, "item_mismatch");
        assert!(refusal.message.contains("4006381333931"), "{refusal:?}");
        let mut despatch = samples::despatch_advice();
        despatch.lines[0].item.seller_code = Some("OTHER".into());
        let refusal = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(despatch),
        ])
        .expect_err("despatch of another item");
        assert_eq!(refusal.rule, "item_mismatch");
        // A line that names no code is the line's item.
        let mut despatch = samples::despatch_advice();
        despatch.lines[0].item = renkei_edi::Item::default();
        let mut receipt = samples::receipt_advice();
        receipt.lines[0].item.buyer_code = Some("NOT-MINE".into());
        let refusal = run(&[
            order(),
            Document::OrderResponse(samples::order_response()),
            Document::DespatchAdvice(despatch),
            Document::ReceiptAdvice(receipt),
        ])
        .expect_err("receipt of another item");
        assert_eq!(refusal.rule, "item_mismatch");
    }
}
