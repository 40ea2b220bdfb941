//! Writing canonical documents as UBL 2.1, and acknowledgements as the
//! Peppol Message Level Response.
//!
//! Elements are written in the order the UBL 2.1 schemas prescribe, one per
//! line and indented, so that a problem's line number points at one value.
//! Text is escaped for XML; `\r` is written as a character reference so
//! that it survives line-end normalisation, and the few characters XML 1.0
//! cannot carry at all (control characters other than tab and line breaks)
//! are replaced by U+FFFD.

use std::fmt::Write as _;

use super::{NS_CAC, NS_CBC, Root, endpoint_scheme};
use crate::{
    Acknowledgement, ChangeAction, Code, Date, Decimal, Document, Item, LineStatus, Outgoing,
    Party, Problem, Quantity,
};

const NS_APPLICATION_RESPONSE: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2";

struct Xml {
    out: String,
    depth: usize,
}

fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

impl Xml {
    fn new(root: &str, namespace: &str, capacity: usize) -> Xml {
        let mut out = String::with_capacity(capacity);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<{root} xmlns=\"{namespace}\" xmlns:cac=\"{NS_CAC}\" xmlns:cbc=\"{NS_CBC}\">"
        );
        Xml { out, depth: 1 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn open(&mut self, name: &str) {
        self.start_tag(name, &[]);
        self.out.push('\n');
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn leaf_with(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start_tag(name, attrs);
        escape_into(&mut self.out, text, false);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.leaf_with(name, &[], text);
    }

    fn maybe(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.leaf(name, text);
        }
    }

    fn date(&mut self, name: &str, date: Option<Date>) {
        if let Some(date) = date {
            self.leaf(name, &date.to_string());
        }
    }

    /// `<wrapper><cbc:ID>id</cbc:ID></wrapper>`.
    fn id_in(&mut self, wrapper: &str, id: Option<&str>) {
        if let Some(id) = id {
            self.open(wrapper);
            self.leaf("cbc:ID", id);
            self.close(wrapper);
        }
    }

    /// `<wrapper><period><cbc:EndDate>…` when there is a date.
    fn period(&mut self, period: &str, date: Option<Date>) {
        if date.is_some() {
            self.open(period);
            self.date("cbc:EndDate", date);
            self.close(period);
        }
    }

    fn scheme_id(&mut self, name: &str, id: &str) {
        match endpoint_scheme(id) {
            Some(scheme) => self.leaf_with(name, &[("schemeID", scheme)], id),
            None => self.leaf(name, id),
        }
    }

    fn party(&mut self, role: &str, party: &Party) {
        self.open(role);
        self.open("cac:Party");
        self.scheme_id("cbc:EndpointID", &party.id);
        if let Some(name) = &party.name {
            self.open("cac:PartyName");
            self.leaf("cbc:Name", name);
            self.close("cac:PartyName");
        }
        self.close("cac:Party");
        self.close(role);
    }

    fn quantity(&mut self, name: &str, quantity: &Quantity) {
        self.leaf_with(
            name,
            &[("unitCode", &quantity.unit)],
            &quantity.value.to_string(),
        );
    }

    fn amount(&mut self, name: &str, value: Decimal, currency: &str) {
        self.leaf_with(name, &[("currencyID", currency)], &value.to_string());
    }

    fn price(&mut self, price: Option<Decimal>, currency: &str) {
        if let Some(price) = price {
            self.open("cac:Price");
            self.amount("cbc:PriceAmount", price, currency);
            self.close("cac:Price");
        }
    }

    fn item(&mut self, item: &Item) {
        self.open("cac:Item");
        self.maybe("cbc:Name", item.description.as_deref());
        self.id_in("cac:BuyersItemIdentification", item.buyer_code.as_deref());
        self.id_in("cac:SellersItemIdentification", item.seller_code.as_deref());
        if let Some(gtin) = &item.gtin {
            self.open("cac:StandardItemIdentification");
            self.leaf_with("cbc:ID", &[("schemeID", "0160")], gtin);
            self.close("cac:StandardItemIdentification");
        }
        self.close("cac:Item");
    }

    fn header(&mut self, root: Root, number: &str, issued: Date) {
        let (customization, profile) = root.profile();
        self.leaf("cbc:CustomizationID", customization);
        self.leaf("cbc:ProfileID", profile);
        self.leaf("cbc:ID", number);
        self.date("cbc:IssueDate", Some(issued));
    }

    fn order_line(&mut self, line: &crate::OrderLine, action: Option<&str>, currency: &str) {
        self.open("cac:OrderLine");
        self.open("cac:LineItem");
        self.leaf("cbc:ID", &line.line.to_string());
        self.maybe("cbc:LineStatusCode", action);
        self.quantity("cbc:Quantity", &line.quantity);
        if line.requested_delivery.is_some() || line.delivery_site.is_some() {
            self.open("cac:Delivery");
            if let Some(site) = &line.delivery_site {
                self.open("cac:DeliveryLocation");
                self.scheme_id("cbc:ID", site);
                self.close("cac:DeliveryLocation");
            }
            self.period("cac:RequestedDeliveryPeriod", line.requested_delivery);
            self.close("cac:Delivery");
        }
        self.price(line.unit_price, currency);
        self.item(&line.item);
        self.close("cac:LineItem");
        self.close("cac:OrderLine");
    }

    fn order_line_reference(&mut self, line: u32) {
        self.open("cac:OrderLineReference");
        self.leaf("cbc:LineID", &line.to_string());
        self.close("cac:OrderLineReference");
    }

    fn finish(mut self, root: &str) -> String {
        self.depth = 0;
        self.close(root);
        self.out
    }
}

fn root_of(document: &Document) -> Root {
    match document {
        Document::Order(_) => Root::Order,
        Document::OrderChange(_) => Root::OrderChange,
        Document::OrderCancellation(_) => Root::OrderCancellation,
        Document::OrderResponse(_) => Root::OrderResponse,
        Document::DespatchAdvice(_) => Root::DespatchAdvice,
        Document::ReceiptAdvice(_) => Root::ReceiptAdvice,
    }
}

fn anticipated_total(order: &crate::Order) -> Option<Decimal> {
    order
        .lines
        .iter()
        .filter_map(|l| l.unit_price.map(|p| (p, l.quantity.value)))
        .try_fold(Decimal::ZERO, |sum, (price, quantity)| {
            sum.checked_add(price.checked_mul(quantity)?)
        })
}

/// Writes one canonical document as a UBL 2.1 document of the Peppol BIS
/// profile for its kind (see the module documentation for the mapping).
pub fn write(document: &Document) -> String {
    let root = root_of(document);
    let lines = match document {
        Document::Order(d) => d.lines.len(),
        Document::OrderChange(d) => d.lines.len(),
        Document::OrderResponse(d) => d.lines.len(),
        Document::DespatchAdvice(d) => d.lines.len(),
        Document::ReceiptAdvice(d) => d.lines.len(),
        Document::OrderCancellation(_) => 0,
    };
    let mut w = Xml::new(root.name(), root.namespace(), 1024 + 640 * lines);
    match document {
        Document::Order(d) => {
            w.header(root, &d.number, d.issued);
            w.maybe("cbc:Note", d.note.as_deref());
            w.leaf("cbc:DocumentCurrencyCode", &d.currency);
            w.party("cac:BuyerCustomerParty", &d.buyer);
            w.party("cac:SellerSupplierParty", &d.seller);
            if let Some(total) = anticipated_total(d) {
                w.open("cac:AnticipatedMonetaryTotal");
                w.amount("cbc:LineExtensionAmount", total, &d.currency);
                w.amount("cbc:PayableAmount", total, &d.currency);
                w.close("cac:AnticipatedMonetaryTotal");
            }
            for line in &d.lines {
                w.order_line(line, None, &d.currency);
            }
        }
        Document::OrderChange(d) => {
            w.header(root, &d.number, d.issued);
            w.leaf("cbc:SequenceNumberID", "1");
            w.maybe("cbc:Note", d.note.as_deref());
            w.leaf("cbc:DocumentCurrencyCode", &d.currency);
            w.id_in("cac:OrderReference", Some(&d.order_number));
            w.party("cac:BuyerCustomerParty", &d.buyer);
            w.party("cac:SellerSupplierParty", &d.seller);
            for change in &d.lines {
                let action = match change.action {
                    ChangeAction::Added => "1",
                    ChangeAction::Deleted => "2",
                    ChangeAction::Changed => "3",
                };
                w.order_line(&change.line, Some(action), &d.currency);
            }
        }
        Document::OrderCancellation(d) => {
            w.header(root, &d.number, d.issued);
            w.maybe("cbc:CancellationNote", d.reason.as_deref());
            w.id_in("cac:OrderReference", Some(&d.order_number));
            w.party("cac:BuyerCustomerParty", &d.buyer);
            w.party("cac:SellerSupplierParty", &d.seller);
        }
        Document::OrderResponse(d) => {
            w.header(root, &d.number, d.issued);
            let code = match d.overall() {
                LineStatus::Accepted => "AP",
                LineStatus::Rejected => "RE",
                LineStatus::Changed => "CA",
            };
            w.leaf("cbc:OrderResponseCode", code);
            w.leaf("cbc:DocumentCurrencyCode", &d.currency);
            w.id_in("cac:OrderReference", Some(&d.order_number));
            w.party("cac:SellerSupplierParty", &d.seller);
            w.party("cac:BuyerCustomerParty", &d.buyer);
            for line in &d.lines {
                w.open("cac:OrderLine");
                w.maybe("cbc:Note", line.reason.as_deref());
                w.open("cac:LineItem");
                w.leaf("cbc:ID", &line.line.to_string());
                let status = match line.status {
                    LineStatus::Accepted => "5",
                    LineStatus::Changed => "3",
                    LineStatus::Rejected => "7",
                };
                w.leaf("cbc:LineStatusCode", status);
                if let Some(quantity) = &line.quantity {
                    w.quantity("cbc:Quantity", quantity);
                }
                if line.confirmed_delivery.is_some() {
                    w.open("cac:Delivery");
                    w.period("cac:PromisedDeliveryPeriod", line.confirmed_delivery);
                    w.close("cac:Delivery");
                }
                w.price(line.unit_price, &d.currency);
                w.item(&line.item);
                w.close("cac:LineItem");
                w.order_line_reference(line.line);
                w.close("cac:OrderLine");
            }
        }
        Document::DespatchAdvice(d) => {
            w.header(root, &d.number, d.issued);
            w.id_in("cac:OrderReference", Some(&d.order_number));
            w.party("cac:DespatchSupplierParty", &d.seller);
            w.party("cac:DeliveryCustomerParty", &d.buyer);
            w.open("cac:Shipment");
            w.leaf("cbc:ID", &d.number);
            w.leaf(
                "cbc:TotalTransportHandlingUnitQuantity",
                &d.packages.to_string(),
            );
            if d.carrier.is_some() || d.tracking.is_some() {
                w.open("cac:Consignment");
                w.leaf("cbc:ID", &d.number);
                w.maybe("cbc:CarrierAssignedID", d.tracking.as_deref());
                if let Some(carrier) = &d.carrier {
                    w.open("cac:CarrierParty");
                    w.open("cac:PartyName");
                    w.leaf("cbc:Name", carrier);
                    w.close("cac:PartyName");
                    w.close("cac:CarrierParty");
                }
                w.close("cac:Consignment");
            }
            if d.expected_delivery.is_some() || d.shipped.is_some() {
                w.open("cac:Delivery");
                w.period("cac:EstimatedDeliveryPeriod", d.expected_delivery);
                if d.shipped.is_some() {
                    w.open("cac:Despatch");
                    w.date("cbc:ActualDespatchDate", d.shipped);
                    w.close("cac:Despatch");
                }
                w.close("cac:Delivery");
            }
            w.close("cac:Shipment");
            for line in &d.lines {
                w.open("cac:DespatchLine");
                w.leaf("cbc:ID", &line.line.to_string());
                w.quantity("cbc:DeliveredQuantity", &line.quantity);
                w.order_line_reference(line.line);
                w.item(&line.item);
                w.close("cac:DespatchLine");
            }
        }
        Document::ReceiptAdvice(d) => {
            w.header(root, &d.number, d.issued);
            w.id_in("cac:OrderReference", Some(&d.order_number));
            w.id_in(
                "cac:DespatchDocumentReference",
                d.despatch_number.as_deref(),
            );
            w.party("cac:DeliveryCustomerParty", &d.buyer);
            w.party("cac:DespatchSupplierParty", &d.seller);
            if d.received.is_some() {
                w.open("cac:Shipment");
                w.leaf("cbc:ID", &d.number);
                w.open("cac:Delivery");
                w.date("cbc:ActualDeliveryDate", d.received);
                w.close("cac:Delivery");
                w.close("cac:Shipment");
            }
            for line in &d.lines {
                w.open("cac:ReceiptLine");
                w.leaf("cbc:ID", &line.line.to_string());
                w.quantity("cbc:ReceivedQuantity", &line.received);
                if !line.damaged.is_zero() {
                    let damaged = Quantity {
                        value: line.damaged,
                        unit: line.received.unit.clone(),
                    };
                    w.quantity("cbc:RejectedQuantity", &damaged);
                    w.leaf("cbc:RejectReasonCode", "DMG");
                }
                w.order_line_reference(line.line);
                w.item(&line.item);
                w.close("cac:ReceiptLine");
            }
        }
    }
    w.finish(root.name())
}

/// The Peppol status reason code for a problem: `SV` (syntax violation)
/// for what a schema check finds (bytes that are not well-formed XML, a
/// document or version not read, an element missing, misplaced or
/// repeated), `BV` (business rule violation) for values and the rules of
/// the order cycle (a bad date or GTIN, an unknown code, a duplicate, a
/// party that is not the partner).
fn status_reason(code: Code) -> &'static str {
    match code {
        Code::Syntax | Code::Unsupported | Code::Missing | Code::Unexpected | Code::TooMany => "SV",
        Code::Invalid
        | Code::UnknownQualifier
        | Code::CountMismatch
        | Code::ReferenceMismatch
        | Code::Duplicate
        | Code::UnknownParty
        | Code::Rule => "BV",
    }
}

/// The UNCL 1001 document name code of a message type, when it has one.
fn document_type_code(message_type: &str) -> Option<&'static str> {
    match message_type {
        "Order" | "ORDERS" | "850" => Some("220"),
        "OrderChange" | "ORDCHG" | "860" => Some("230"),
        "OrderResponse" | "ORDRSP" | "855" => Some("231"),
        "DespatchAdvice" | "DESADV" | "856" => Some("351"),
        "ReceiptAdvice" | "RECADV" | "861" => Some("632"),
        _ => None,
    }
}

fn line_responses(w: &mut Xml, problems: &[Problem]) {
    for p in problems {
        w.open("cac:LineResponse");
        w.open("cac:LineReference");
        let place = p.place.path.clone().unwrap_or_else(|| p.place.to_string());
        w.leaf("cbc:LineID", &place);
        w.close("cac:LineReference");
        w.open("cac:Response");
        w.leaf("cbc:ResponseCode", "RE");
        let description = match p.place.line {
            Some(line) => format!("{} (line {line}, {})", p.message, p.code.as_str()),
            None => format!("{} ({})", p.message, p.code.as_str()),
        };
        w.leaf("cbc:Description", &description);
        w.open("cac:Status");
        w.leaf("cbc:StatusReasonCode", status_reason(p.code));
        w.close("cac:Status");
        w.close("cac:Response");
        w.close("cac:LineResponse");
    }
}

/// Writes the Peppol Message Level Response (UBL `ApplicationResponse`,
/// `urn:fdc:peppol.eu:poacc:trns:mlr:3`) answering `ack`, sent by
/// `outgoing.sender` to `outgoing.recipient`.
///
/// One `cac:DocumentResponse` per message acknowledged (one for the input
/// as a whole when no message could be read); problems of the input as a
/// whole are reported in the first. Each problem is a `cac:LineResponse`:
/// `cbc:LineID` is its XPath (or its place in words for other formats),
/// `cbc:Description` its message with line and code, `cbc:StatusReasonCode`
/// `SV` or `BV`.
pub fn application_response(outgoing: &Outgoing, ack: &Acknowledgement) -> String {
    let problems =
        ack.problems.len() + ack.messages.iter().map(|m| m.problems.len()).sum::<usize>();
    let mut w = Xml::new(
        "ApplicationResponse",
        NS_APPLICATION_RESPONSE,
        1024 + 512 * problems,
    );
    w.leaf("cbc:CustomizationID", "urn:fdc:peppol.eu:poacc:trns:mlr:3");
    w.leaf("cbc:ProfileID", "urn:fdc:peppol.eu:poacc:bis:mlr:3");
    w.leaf("cbc:ID", &outgoing.reference);
    w.date("cbc:IssueDate", Some(outgoing.prepared));
    let time = outgoing.time.as_bytes();
    if time.len() == 4 && time.iter().all(u8::is_ascii_digit) {
        w.leaf(
            "cbc:IssueTime",
            &format!("{}:{}:00", &outgoing.time[..2], &outgoing.time[2..]),
        );
    }
    for (role, id) in [
        ("cac:SenderParty", &outgoing.sender),
        ("cac:ReceiverParty", &outgoing.recipient),
    ] {
        w.open(role);
        w.scheme_id("cbc:EndpointID", id);
        w.close(role);
    }
    let envelope_reference = ack.envelope.as_ref().map(|e| e.reference.as_str());
    let mut responses: Vec<(&str, Option<&str>, Vec<&Problem>)> = ack
        .messages
        .iter()
        .map(|m| {
            (
                m.reference.as_str(),
                Some(m.message_type.as_str()),
                m.problems.iter().collect(),
            )
        })
        .collect();
    if responses.is_empty() {
        responses.push((envelope_reference.unwrap_or("NA"), None, Vec::new()));
    }
    let whole: Vec<&Problem> = ack.problems.iter().collect();
    for (index, (reference, message_type, own)) in responses.into_iter().enumerate() {
        let mut all: Vec<Problem> = Vec::new();
        if index == 0 {
            all.extend(whole.iter().map(|p| (*p).clone()));
        }
        all.extend(own.into_iter().cloned());
        let code = if !all.is_empty() {
            "RE"
        } else if ack.messages.is_empty() {
            "AB"
        } else {
            "AP"
        };
        w.open("cac:DocumentResponse");
        w.open("cac:Response");
        w.leaf("cbc:ResponseCode", code);
        let description = match code {
            "RE" => format!("rejected: {} problem(s)", all.len()),
            "AB" => "received".to_string(),
            _ => "accepted".to_string(),
        };
        w.leaf("cbc:Description", &description);
        w.close("cac:Response");
        w.open("cac:DocumentReference");
        w.leaf(
            "cbc:ID",
            if reference.is_empty() {
                "NA"
            } else {
                reference
            },
        );
        w.maybe(
            "cbc:DocumentTypeCode",
            message_type.and_then(document_type_code),
        );
        w.close("cac:DocumentReference");
        line_responses(&mut w, &all);
        w.close("cac:DocumentResponse");
    }
    w.finish("ApplicationResponse")
}
