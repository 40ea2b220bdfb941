//! Writing canonical documents as EDIFACT interchanges, and acknowledgements
//! as CONTRL.
//!
//! Output uses the default delimiters, announced by a `UNA` advice, one
//! segment per line, and releases every delimiter that occurs in a value.
//! Empty trailing components and elements are left out, as ISO 9735 asks.

use super::{Version, error_code, syntax::Delimiters};
use crate::{
    Acknowledgement, ChangeAction, Date, Decimal, Document, Item, LineStatus, Outgoing, Party,
    Quantity,
};

struct Writer {
    out: String,
    d: Delimiters,
    in_message: usize,
    messages: usize,
}

impl Writer {
    fn new(capacity: usize) -> Writer {
        let d = Delimiters::default();
        let mut out = String::with_capacity(capacity);
        out.push_str("UNA");
        for b in [
            d.component,
            d.element,
            d.decimal,
            d.release,
            b' ',
            d.segment,
        ] {
            out.push(char::from(b));
        }
        out.push('\n');
        Writer::body(out)
    }

    fn body(out: String) -> Writer {
        let d = Delimiters::default();
        Writer {
            out,
            d,
            in_message: 0,
            messages: 0,
        }
    }

    fn value(&mut self, text: &str) {
        let d = self.d;
        for c in text.chars() {
            if c.is_ascii() && [d.component, d.element, d.release, d.segment].contains(&(c as u8)) {
                self.out.push(char::from(d.release));
            }
            self.out.push(c);
        }
    }

    /// Writes a segment; `elements` are lists of components, `None` for empty.
    fn segment(&mut self, tag: &str, elements: &[&[Option<&str>]]) {
        self.out.push_str(tag);
        let used = elements
            .iter()
            .rposition(|e| e.iter().any(Option::is_some))
            .map_or(0, |i| i + 1);
        for element in &elements[..used] {
            self.out.push(char::from(self.d.element));
            let components = element
                .iter()
                .rposition(Option::is_some)
                .map_or(0, |i| i + 1);
            for (i, component) in element[..components].iter().enumerate() {
                if i > 0 {
                    self.out.push(char::from(self.d.component));
                }
                if let Some(text) = component {
                    self.value(text);
                }
            }
        }
        self.out.push(char::from(self.d.segment));
        self.out.push('\n');
        self.in_message += 1;
    }

    fn begin(&mut self, reference: &str, message_type: &str, version: Version) {
        self.in_message = 0;
        self.segment(
            "UNH",
            &[
                &[Some(reference)],
                &[
                    Some(message_type),
                    Some("D"),
                    Some(version.release()),
                    Some("UN"),
                ],
            ],
        );
    }

    fn end(&mut self, reference: &str) {
        let count = (self.in_message + 1).to_string();
        self.segment("UNT", &[&[Some(&count)], &[Some(reference)]]);
        self.messages += 1;
    }

    fn bgm(&mut self, code: &str, number: &str, function: &str) {
        self.segment("BGM", &[&[Some(code)], &[Some(number)], &[Some(function)]]);
    }

    fn dtm(&mut self, qualifier: &str, date: Option<Date>) {
        if let Some(date) = date {
            let text = date.ccyymmdd();
            self.segment("DTM", &[&[Some(qualifier), Some(&text), Some("102")]]);
        }
    }

    fn rff(&mut self, qualifier: &str, reference: Option<&str>) {
        if let Some(reference) = reference {
            self.segment("RFF", &[&[Some(qualifier), Some(reference)]]);
        }
    }

    fn ftx(&mut self, qualifier: &str, text: Option<&str>) {
        let Some(text) = text else { return };
        let chunks: Vec<String> = chunks(text, 512);
        let parts: Vec<Option<&str>> = chunks.iter().take(5).map(|c| Some(c.as_str())).collect();
        self.segment("FTX", &[&[Some(qualifier)], &[], &[], &parts]);
    }

    fn nad(&mut self, qualifier: &str, party: &Party) {
        let agency = if party.id.len() == 13 && party.id.bytes().all(|b| b.is_ascii_digit()) {
            "9"
        } else {
            "ZZZ"
        };
        let name = party.name.as_deref().map(|n| chunks(n, 35));
        let name_parts: Vec<Option<&str>> = name
            .iter()
            .flatten()
            .take(5)
            .map(|c| Some(c.as_str()))
            .collect();
        self.segment(
            "NAD",
            &[
                &[Some(qualifier)],
                &[Some(&party.id), None, Some(agency)],
                &[],
                &name_parts,
            ],
        );
    }

    fn cux(&mut self, currency: &str) {
        self.segment("CUX", &[&[Some("2"), Some(currency), Some("9")]]);
    }

    fn lin(&mut self, line: u32, action: Option<&str>, item: &Item, version: Version) {
        let number = line.to_string();
        let gtin = item.gtin.as_deref();
        self.segment(
            "LIN",
            &[
                &[Some(&number)],
                &[action],
                &[gtin, gtin.map(|_| version.gtin_type())],
            ],
        );
        let mut ids: Vec<&[Option<&str>]> = vec![&[Some("5")]];
        let seller = [item.seller_code.as_deref(), Some("SA")];
        let buyer = [item.buyer_code.as_deref(), Some("BP")];
        if item.seller_code.is_some() {
            ids.push(&seller);
        }
        if item.buyer_code.is_some() {
            ids.push(&buyer);
        }
        if ids.len() > 1 {
            self.segment("PIA", &ids);
        }
        if let Some(description) = &item.description {
            self.segment(
                "IMD",
                &[&[Some("F")], &[], &[None, None, None, Some(description)]],
            );
        }
    }

    fn qty(&mut self, qualifier: &str, value: Decimal, unit: &str) {
        let text = value.to_string();
        self.segment("QTY", &[&[Some(qualifier), Some(&text), Some(unit)]]);
    }

    fn quantity(&mut self, qualifier: &str, quantity: Option<&Quantity>) {
        if let Some(q) = quantity {
            self.qty(qualifier, q.value, &q.unit);
        }
    }

    fn pri(&mut self, price: Option<Decimal>) {
        if let Some(price) = price {
            let text = price.to_string();
            self.segment("PRI", &[&[Some("AAA"), Some(&text)]]);
        }
    }

    fn loc(&mut self, site: Option<&str>) {
        if let Some(site) = site {
            self.segment("LOC", &[&[Some("7")], &[Some(site)]]);
        }
    }

    fn summary(&mut self, lines: usize) {
        self.segment("UNS", &[&[Some("S")]]);
        let count = lines.to_string();
        self.segment("CNT", &[&[Some("2"), Some(&count)]]);
    }

    fn document(&mut self, reference: &str, document: &Document, version: Version) {
        match document {
            Document::Order(o) => {
                self.begin(reference, "ORDERS", version);
                self.bgm("220", &o.number, "9");
                self.dtm("137", Some(o.issued));
                self.ftx("AAI", o.note.as_deref());
                self.nad("BY", &o.buyer);
                self.nad("SU", &o.seller);
                self.cux(&o.currency);
                for l in &o.lines {
                    self.lin(l.line, None, &l.item, version);
                    self.qty("21", l.quantity.value, &l.quantity.unit);
                    self.dtm("2", l.requested_delivery);
                    self.pri(l.unit_price);
                    self.loc(l.delivery_site.as_deref());
                }
                self.summary(o.lines.len());
            }
            Document::OrderChange(c) => {
                self.begin(reference, "ORDCHG", version);
                self.bgm("230", &c.number, "4");
                self.dtm("137", Some(c.issued));
                self.ftx("AAI", c.note.as_deref());
                self.rff("ON", Some(&c.order_number));
                self.nad("BY", &c.buyer);
                self.nad("SU", &c.seller);
                self.cux(&c.currency);
                for l in &c.lines {
                    let action = match l.action {
                        ChangeAction::Added => "1",
                        ChangeAction::Deleted => "2",
                        ChangeAction::Changed => "3",
                    };
                    let line = &l.line;
                    self.lin(line.line, Some(action), &line.item, version);
                    self.qty("21", line.quantity.value, &line.quantity.unit);
                    self.dtm("2", line.requested_delivery);
                    self.pri(line.unit_price);
                    self.loc(line.delivery_site.as_deref());
                }
                self.summary(c.lines.len());
            }
            Document::OrderCancellation(c) => {
                self.begin(reference, "ORDCHG", version);
                self.bgm("230", &c.number, "1");
                self.dtm("137", Some(c.issued));
                self.ftx("ACD", c.reason.as_deref());
                self.rff("ON", Some(&c.order_number));
                self.nad("BY", &c.buyer);
                self.nad("SU", &c.seller);
            }
            Document::OrderResponse(r) => {
                self.begin(reference, "ORDRSP", version);
                let function = match r.overall() {
                    LineStatus::Accepted => "29",
                    LineStatus::Rejected => "27",
                    LineStatus::Changed => "4",
                };
                self.bgm("231", &r.number, function);
                self.dtm("137", Some(r.issued));
                self.rff("ON", Some(&r.order_number));
                self.nad("BY", &r.buyer);
                self.nad("SU", &r.seller);
                self.cux(&r.currency);
                for l in &r.lines {
                    let action = match l.status {
                        LineStatus::Accepted => "5",
                        LineStatus::Changed => "3",
                        LineStatus::Rejected => "7",
                    };
                    self.lin(l.line, Some(action), &l.item, version);
                    self.quantity("113", l.quantity.as_ref());
                    self.dtm("69", l.confirmed_delivery);
                    self.ftx("ACD", l.reason.as_deref());
                    self.pri(l.unit_price);
                }
                self.summary(r.lines.len());
            }
            Document::DespatchAdvice(a) => {
                self.begin(reference, "DESADV", version);
                self.bgm("351", &a.number, "9");
                self.dtm("137", Some(a.issued));
                self.dtm("11", a.shipped);
                self.dtm("17", a.expected_delivery);
                self.rff("ON", Some(&a.order_number));
                self.rff("CN", a.tracking.as_deref());
                self.nad("BY", &a.buyer);
                self.nad("SU", &a.seller);
                if let Some(carrier) = &a.carrier {
                    self.segment(
                        "TDT",
                        &[
                            &[Some("20")],
                            &[],
                            &[],
                            &[],
                            &[None, None, None, Some(carrier)],
                        ],
                    );
                }
                self.segment("CPS", &[&[Some("1")]]);
                let packages = a.packages.to_string();
                self.segment("PAC", &[&[Some(&packages)], &[], &[Some("CT")]]);
                for l in &a.lines {
                    self.lin(l.line, None, &l.item, version);
                    self.qty("12", l.quantity.value, &l.quantity.unit);
                }
                let count = a.lines.len().to_string();
                self.segment("CNT", &[&[Some("2"), Some(&count)]]);
            }
            Document::ReceiptAdvice(a) => {
                self.begin(reference, "RECADV", version);
                self.bgm("632", &a.number, "9");
                self.dtm("137", Some(a.issued));
                self.dtm("50", a.received);
                self.rff("ON", Some(&a.order_number));
                self.rff("AAK", a.despatch_number.as_deref());
                self.nad("BY", &a.buyer);
                self.nad("SU", &a.seller);
                for l in &a.lines {
                    self.lin(l.line, None, &l.item, version);
                    self.qty("48", l.received.value, &l.received.unit);
                    if !l.damaged.is_zero() {
                        self.qty("124", l.damaged, &l.received.unit);
                    }
                }
                let count = a.lines.len().to_string();
                self.segment("CNT", &[&[Some("2"), Some(&count)]]);
            }
        }
        self.end(reference);
    }
}

/// Splits `text` into pieces of at most `size` characters.
fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// Writes UNB. The syntax identifier is UNOC (Latin-1) in syntax version 3
/// when the whole interchange is ASCII, otherwise UNOW (UTF-8), which ISO
/// 9735 defines from syntax version 4. The date of preparation (S004 0017)
/// takes the form of the version written: YYMMDD in version 3, CCYYMMDD in
/// version 4.
fn unb(w: &mut Writer, outgoing: &Outgoing, ascii: bool) {
    let qualifier = |id: &str| {
        if id.len() == 13 && id.bytes().all(|b| b.is_ascii_digit()) {
            "14"
        } else {
            "ZZZ"
        }
    };
    let date = if ascii {
        outgoing.prepared.yymmdd()
    } else {
        outgoing.prepared.ccyymmdd()
    };
    w.segment(
        "UNB",
        &[
            if ascii {
                &[Some("UNOC"), Some("3")]
            } else {
                &[Some("UNOW"), Some("4")]
            },
            &[Some(&outgoing.sender), Some(qualifier(&outgoing.sender))],
            &[
                Some(&outgoing.recipient),
                Some(qualifier(&outgoing.recipient)),
            ],
            &[Some(&date), Some(&outgoing.time)],
            &[Some(&outgoing.reference)],
        ],
    );
}

fn unz(w: &mut Writer, outgoing: &Outgoing) {
    let count = w.messages.to_string();
    w.segment("UNZ", &[&[Some(&count)], &[Some(&outgoing.reference)]]);
}

/// Writes `documents` as one interchange, message references `1`, `2`, ….
pub fn write(outgoing: &Outgoing, version: Version, documents: &[Document]) -> String {
    let mut body = Writer::body(String::with_capacity(documents.len() * 1024));
    for (i, document) in documents.iter().enumerate() {
        body.document(&(i + 1).to_string(), document, version);
    }
    let mut w = Writer::new(256 + body.out.len());
    unb(
        &mut w,
        outgoing,
        body.out.is_ascii() && outgoing.sender.is_ascii() && outgoing.recipient.is_ascii(),
    );
    w.out.push_str(&body.out);
    w.messages = body.messages;
    unz(&mut w, outgoing);
    w.out
}

/// Writes a CONTRL message answering `ack` (the interchange it
/// acknowledges came from `ack.envelope.sender`): accepted (action 7) or
/// rejected (action 4) per interchange and per message (UCM naming the
/// message's reference and its type, version, release and agency), with
/// each problem's segment and element and its syntax error code as
/// [`error_code`](super::error_code) maps it.
pub fn contrl(outgoing: &Outgoing, ack: &Acknowledgement) -> String {
    let mut w = Writer::new(512);
    unb(&mut w, outgoing, false);
    w.in_message = 0;
    w.segment(
        "UNH",
        &[
            &[Some("1")],
            &[Some("CONTRL"), Some("D"), Some("3"), Some("UN")],
        ],
    );
    let (reference, sender, recipient) = ack.envelope.as_ref().map_or(("", "", ""), |e| {
        (
            e.reference.as_str(),
            e.sender.as_str(),
            e.recipient.as_str(),
        )
    });
    let first = ack.problems.first();
    let action = if first.is_some() { "4" } else { "7" };
    let error = first.map(error_code);
    w.segment(
        "UCI",
        &[
            &[Some(reference)],
            &[Some(sender)],
            &[Some(recipient)],
            &[Some(action)],
            &[error],
        ],
    );
    if ack.problems.is_empty() {
        for m in &ack.messages {
            let action = if m.accepted() { "7" } else { "4" };
            let error = m.problems.first().map(error_code);
            let mut identifier: Vec<Option<&str>> = vec![Some(&m.message_type)];
            identifier.extend(
                m.version
                    .split(':')
                    .map(|c| Some(c).filter(|c| !c.is_empty())),
            );
            w.segment(
                "UCM",
                &[
                    &[Some(&m.reference)],
                    &identifier,
                    &[Some(action)],
                    &[error],
                ],
            );
            for p in &m.problems {
                let Some(position) = p.place.segment else {
                    continue;
                };
                let position = position.to_string();
                let code = error_code(p);
                w.segment("UCS", &[&[Some(&position)], &[Some(code)]]);
                if let Some(element) = p.place.element {
                    let element = element.to_string();
                    let component = p.place.component.map(|c| c.to_string());
                    w.segment(
                        "UCD",
                        &[&[Some(code)], &[Some(&element), component.as_deref()]],
                    );
                }
            }
        }
    }
    let count = (w.in_message + 1).to_string();
    w.segment("UNT", &[&[Some(&count)], &[Some("1")]]);
    w.messages = 1;
    unz(&mut w, outgoing);
    w.out
}
