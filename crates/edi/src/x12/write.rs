//! Writing canonical documents as X12 interchanges, and acknowledgements
//! as 997 functional acknowledgements.
//!
//! Output uses `*` between elements, `:` between components, `^` between
//! repetitions (005010 only; 004010 writes `U` in ISA11) and `~` after each
//! segment, followed by a line break. Empty trailing elements are left out.
//! Consecutive documents of the same functional group (850; 860; 855; 856;
//! 861) share one GS/GE group; groups are numbered 1, 2, … and transaction
//! sets 0001, 0002, … through the interchange.

use std::{borrow::Cow, fmt::Write as _, ops::Range};

use super::{
    AckCode, Version, ack_code, functional_id, group_error_code, syntax::Delimiters, unit_to_x12,
};
use crate::{
    Acknowledgement, ChangeAction, Date, Document, Item, LineStatus, OrderLine, Outgoing, Party,
    Quantity,
};

/// Why a document cannot be written as X12.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// A value holds a delimiter; X12 has no release character to escape it.
    #[error(
        "document {document} ({kind} {number}): the {field} holds `{character}`, the {delimiter}; X12 has no release character, so this value cannot be written"
    )]
    Delimiter {
        /// Position of the document in the list written, from 1.
        document: usize,
        /// Its kind (`order`, `order_change`, …).
        kind: &'static str,
        /// Its number.
        number: String,
        /// The field, named for people, with the X12 element it goes to.
        field: String,
        /// The offending character.
        character: char,
        /// Which delimiter it is.
        delimiter: &'static str,
    },
    /// A unit has no X12 unit code.
    #[error(
        "document {document} ({kind} {number}): the unit `{unit}` of line {line} has no X12 unit code (see x12::UNITS)"
    )]
    Unit {
        /// Position of the document in the list written, from 1.
        document: usize,
        /// Its kind.
        kind: &'static str,
        /// Its number.
        number: String,
        /// The line.
        line: u32,
        /// The UN/ECE Recommendation 20 unit.
        unit: String,
    },
    /// A value of the envelope does not fit the fixed ISA segment.
    #[error("the envelope cannot be written: the {field} `{value}` {reason}")]
    Envelope {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// The document being written, for errors.
#[derive(Debug, Clone, Default)]
struct Context {
    document: usize,
    kind: &'static str,
    number: String,
    line: Option<u32>,
}

struct Writer {
    out: String,
    d: Delimiters,
    in_set: usize,
    context: Context,
    error: Option<WriteError>,
}

/// The field an element holds, named for people.
fn field(tag: &str, elements: &[Option<&str>], index: usize) -> String {
    let qualifier = |i: usize| elements.get(i).copied().flatten().unwrap_or_default();
    let party = match qualifier(0) {
        "BY" => "buyer",
        "ST" => "delivery site",
        _ => "seller",
    };
    let name = match (tag, index + 1) {
        ("N1", 2) => format!("{party} name"),
        ("N1", 4) => format!("{party} id"),
        ("REF", 2) => match qualifier(0) {
            "PO" => "order number".into(),
            "PK" => "despatch advice number".into(),
            _ => "tracking number".into(),
        },
        ("PRF", 1) | ("BEG", 3) | ("BCH", 3) | ("BAK", 3) => "order number".into(),
        ("BCH", 5) | ("BAK", 8) | ("BSN", 2) | ("BRA", 1) => "document number".into(),
        ("MSG", 1) => "text".into(),
        ("PID", 5) => "item description".into(),
        ("TD5", 5) => "carrier".into(),
        ("CUR", 2) => "currency".into(),
        ("PO1" | "POC" | "LIN", _) if index > 0 => match qualifier(index - 1) {
            "EN" | "UP" | "UK" => "GTIN".into(),
            "VP" => "seller's item code".into(),
            "BP" => "buyer's item code".into(),
            _ => "value".into(),
        },
        _ => "value".into(),
    };
    format!("{name} ({tag}{:02})", index + 1)
}

impl Writer {
    fn new(capacity: usize, version: Version) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            d: Delimiters::written(version.has_repetition()),
            in_set: 0,
            context: Context::default(),
            error: None,
        }
    }

    fn check(&mut self, tag: &str, elements: &[Option<&str>]) {
        if self.error.is_some() {
            return;
        }
        for (i, value) in elements.iter().enumerate() {
            let Some(value) = value else { continue };
            let Some(b) = value.bytes().find(|&b| self.d.role(b).is_some()) else {
                continue;
            };
            let line = self
                .context
                .line
                .map(|l| format!("line {l} "))
                .unwrap_or_default();
            self.error = Some(WriteError::Delimiter {
                document: self.context.document,
                kind: self.context.kind,
                number: self.context.number.clone(),
                field: format!("{line}{}", field(tag, elements, i)),
                character: char::from(b),
                delimiter: self.d.role(b).unwrap_or("delimiter"),
            });
            return;
        }
    }

    /// Writes a segment; `None` is an empty element.
    fn segment(&mut self, tag: &str, elements: &[Option<&str>]) {
        self.check(tag, elements);
        self.out.push_str(tag);
        let used = elements
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        for element in &elements[..used] {
            self.out.push(char::from(self.d.element));
            if let Some(text) = element {
                self.out.push_str(text);
            }
        }
        self.out.push(char::from(self.d.segment));
        self.out.push('\n');
        self.in_set += 1;
    }

    fn unit(&mut self, quantity: &Quantity) -> &'static str {
        match unit_to_x12(&quantity.unit) {
            Some(code) => code,
            None => {
                if self.error.is_none() {
                    self.error = Some(WriteError::Unit {
                        document: self.context.document,
                        kind: self.context.kind,
                        number: self.context.number.clone(),
                        line: self.context.line.unwrap_or_default(),
                        unit: quantity.unit.clone(),
                    });
                }
                ""
            }
        }
    }

    fn dtm(&mut self, qualifier: &str, date: Option<Date>) {
        if let Some(date) = date {
            let text = date.ccyymmdd();
            self.segment("DTM", &[Some(qualifier), Some(&text)]);
        }
    }

    fn n1(&mut self, qualifier: &str, id: &str, name: Option<&str>) {
        let gln = id.len() == 13 && id.bytes().all(|b| b.is_ascii_digit());
        self.segment(
            "N1",
            &[
                Some(qualifier),
                name,
                Some(if gln { "UL" } else { "92" }),
                Some(id),
            ],
        );
    }

    fn parties(&mut self, buyer: &Party, seller: &Party) {
        self.n1("BY", &buyer.id, buyer.name.as_deref());
        self.n1("SE", &seller.id, seller.name.as_deref());
    }

    fn cur(&mut self, currency: &str) {
        self.segment("CUR", &[Some("BY"), Some(currency)]);
    }

    /// Free text as MSG segments of at most 264 characters, after N9\*L1
    /// when `loop_head`.
    fn msg(&mut self, text: Option<&str>, loop_head: bool) {
        let Some(text) = text else { return };
        if loop_head {
            self.segment("N9", &[Some("L1"), Some("NOTE")]);
        }
        let chars: Vec<char> = text.chars().collect();
        for chunk in chars.chunks(264) {
            let part: String = chunk.iter().collect();
            self.segment("MSG", &[Some(&part)]);
        }
    }

    /// The qualifier and id pairs naming an item.
    fn ids(item: &Item) -> Vec<Option<&str>> {
        let mut ids = Vec::with_capacity(6);
        if let Some(gtin) = item.gtin.as_deref() {
            let qualifier = match gtin.len() {
                12 => "UP",
                14 => "UK",
                _ => "EN",
            };
            ids.extend([Some(qualifier), Some(gtin)]);
        }
        if let Some(code) = item.seller_code.as_deref() {
            ids.extend([Some("VP"), Some(code)]);
        }
        if let Some(code) = item.buyer_code.as_deref() {
            ids.extend([Some("BP"), Some(code)]);
        }
        ids
    }

    fn pid(&mut self, item: &Item) {
        if let Some(description) = item.description.as_deref() {
            self.segment("PID", &[Some("F"), None, None, None, Some(description)]);
        }
    }

    /// A PO1 or POC line with its item, date and site.
    fn line(&mut self, tag: &str, head: &[Option<&str>], line: &OrderLine) {
        let mut elements = head.to_vec();
        elements.extend(Writer::ids(&line.item));
        self.segment(tag, &elements);
        self.pid(&line.item);
        self.dtm("002", line.requested_delivery);
        if let Some(site) = line.delivery_site.as_deref() {
            self.n1("ST", site, None);
        }
    }

    fn ctt(&mut self, count: usize) {
        let text = count.to_string();
        self.segment("CTT", &[Some(&text)]);
    }

    fn document(&mut self, control: &str, document: &Document, time: &str) {
        let set = match document {
            Document::Order(_) => "850",
            Document::OrderChange(_) | Document::OrderCancellation(_) => "860",
            Document::OrderResponse(_) => "855",
            Document::DespatchAdvice(_) => "856",
            Document::ReceiptAdvice(_) => "861",
        };
        self.in_set = 0;
        self.segment("ST", &[Some(set), Some(control)]);
        match document {
            Document::Order(o) => {
                let issued = o.issued.ccyymmdd();
                self.segment(
                    "BEG",
                    &[Some("00"), Some("SA"), Some(&o.number), None, Some(&issued)],
                );
                self.cur(&o.currency);
                self.msg(o.note.as_deref(), true);
                self.parties(&o.buyer, &o.seller);
                for l in &o.lines {
                    self.context.line = Some(l.line);
                    let (number, qty, price) = (
                        l.line.to_string(),
                        l.quantity.value.to_string(),
                        l.unit_price.map(|p| p.to_string()),
                    );
                    let unit = self.unit(&l.quantity);
                    self.line(
                        "PO1",
                        &[
                            Some(&number),
                            Some(&qty),
                            Some(unit),
                            price.as_deref(),
                            None,
                        ],
                        l,
                    );
                }
                self.context.line = None;
                self.ctt(o.lines.len());
            }
            Document::OrderChange(c) => {
                let issued = c.issued.ccyymmdd();
                self.segment(
                    "BCH",
                    &[
                        Some("04"),
                        Some("SA"),
                        Some(&c.order_number),
                        None,
                        Some(&c.number),
                        Some(&issued),
                        None,
                        None,
                        None,
                        None,
                        Some(&issued),
                    ],
                );
                self.cur(&c.currency);
                self.msg(c.note.as_deref(), true);
                self.parties(&c.buyer, &c.seller);
                for l in &c.lines {
                    let line = &l.line;
                    self.context.line = Some(line.line);
                    let action = match l.action {
                        ChangeAction::Added => "AI",
                        ChangeAction::Deleted => "DI",
                        ChangeAction::Changed => "CA",
                    };
                    let (number, qty, price) = (
                        line.line.to_string(),
                        line.quantity.value.to_string(),
                        line.unit_price.map(|p| p.to_string()),
                    );
                    let unit = self.unit(&line.quantity);
                    self.line(
                        "POC",
                        &[
                            Some(&number),
                            Some(action),
                            Some(&qty),
                            None,
                            Some(unit),
                            price.as_deref(),
                            None,
                        ],
                        line,
                    );
                }
                self.context.line = None;
                self.ctt(c.lines.len());
            }
            Document::OrderCancellation(c) => {
                let issued = c.issued.ccyymmdd();
                self.segment(
                    "BCH",
                    &[
                        Some("01"),
                        Some("SA"),
                        Some(&c.order_number),
                        None,
                        Some(&c.number),
                        Some(&issued),
                        None,
                        None,
                        None,
                        None,
                        Some(&issued),
                    ],
                );
                self.msg(c.reason.as_deref(), true);
                self.parties(&c.buyer, &c.seller);
            }
            Document::OrderResponse(r) => {
                let issued = r.issued.ccyymmdd();
                let kind = match r.overall() {
                    LineStatus::Accepted => "AD",
                    LineStatus::Changed => "AC",
                    LineStatus::Rejected => "RJ",
                };
                self.segment(
                    "BAK",
                    &[
                        Some("00"),
                        Some(kind),
                        Some(&r.order_number),
                        Some(&issued),
                        None,
                        None,
                        None,
                        Some(&r.number),
                    ],
                );
                self.cur(&r.currency);
                self.parties(&r.buyer, &r.seller);
                for l in &r.lines {
                    self.context.line = Some(l.line);
                    let number = l.line.to_string();
                    let qty = l.quantity.as_ref().map(|q| q.value.to_string());
                    let unit = l.quantity.as_ref().map(|q| self.unit(q));
                    let price = l.unit_price.map(|p| p.to_string());
                    let mut po1 = vec![
                        Some(number.as_str()),
                        qty.as_deref(),
                        unit,
                        price.as_deref(),
                        None,
                    ];
                    po1.extend(Writer::ids(&l.item));
                    self.segment("PO1", &po1);
                    self.pid(&l.item);
                    self.msg(l.reason.as_deref(), false);
                    let status = match l.status {
                        LineStatus::Accepted => "IA",
                        LineStatus::Changed => "IC",
                        LineStatus::Rejected => "IR",
                    };
                    let date = l.confirmed_delivery.map(Date::ccyymmdd);
                    self.segment(
                        "ACK",
                        &[
                            Some(status),
                            qty.as_deref(),
                            unit,
                            date.as_ref().map(|_| "067"),
                            date.as_deref(),
                        ],
                    );
                }
                self.context.line = None;
                self.ctt(r.lines.len());
            }
            Document::DespatchAdvice(a) => {
                let issued = a.issued.ccyymmdd();
                self.segment(
                    "BSN",
                    &[
                        Some("00"),
                        Some(&a.number),
                        Some(&issued),
                        Some(time),
                        Some("0004"),
                    ],
                );
                self.segment("HL", &[Some("1"), None, Some("S"), Some("1")]);
                let packages = a.packages.to_string();
                self.segment("TD1", &[Some("CTN"), Some(&packages)]);
                if let Some(carrier) = a.carrier.as_deref() {
                    self.segment("TD5", &[None, None, None, None, Some(carrier)]);
                }
                if let Some(tracking) = a.tracking.as_deref() {
                    self.segment("REF", &[Some("CN"), Some(tracking)]);
                }
                self.dtm("011", a.shipped);
                self.dtm("017", a.expected_delivery);
                self.parties(&a.buyer, &a.seller);
                self.segment("HL", &[Some("2"), Some("1"), Some("O"), Some("1")]);
                self.segment("PRF", &[Some(&a.order_number)]);
                for (i, l) in a.lines.iter().enumerate() {
                    self.context.line = Some(l.line);
                    let (id, number, qty) = (
                        (i + 3).to_string(),
                        l.line.to_string(),
                        l.quantity.value.to_string(),
                    );
                    let unit = self.unit(&l.quantity);
                    self.segment("HL", &[Some(&id), Some("2"), Some("I"), Some("0")]);
                    let mut lin = vec![Some(number.as_str())];
                    lin.extend(Writer::ids(&l.item));
                    self.segment("LIN", &lin);
                    self.segment("SN1", &[Some(&number), Some(&qty), Some(unit)]);
                    self.pid(&l.item);
                }
                self.context.line = None;
                self.ctt(a.lines.len() + 2);
            }
            Document::ReceiptAdvice(a) => {
                let issued = a.issued.ccyymmdd();
                self.segment(
                    "BRA",
                    &[Some(&a.number), Some(&issued), Some("00"), Some("1")],
                );
                self.segment("REF", &[Some("PO"), Some(&a.order_number)]);
                if let Some(despatch) = a.despatch_number.as_deref() {
                    self.segment("REF", &[Some("PK"), Some(despatch)]);
                }
                self.dtm("050", a.received);
                self.parties(&a.buyer, &a.seller);
                for l in &a.lines {
                    self.context.line = Some(l.line);
                    let (number, qty) = (l.line.to_string(), l.received.value.to_string());
                    let unit = self.unit(&l.received);
                    let damaged = (!l.damaged.is_zero()).then(|| l.damaged.to_string());
                    let has = damaged.is_some();
                    self.segment(
                        "RCD",
                        &[
                            Some(&number),
                            Some(&qty),
                            Some(unit),
                            None,
                            None,
                            damaged.as_deref(),
                            has.then_some(unit),
                            has.then_some("01"),
                        ],
                    );
                    let mut lin: Vec<Option<&str>> = vec![None];
                    lin.extend(Writer::ids(&l.item));
                    self.segment("LIN", &lin);
                    self.pid(&l.item);
                }
                self.context.line = None;
                self.ctt(a.lines.len());
            }
        }
        let count = (self.in_set + 1).to_string();
        self.segment("SE", &[Some(&count), Some(control)]);
    }
}

/// The envelope's values, checked to fit ISA and GS.
struct Envelope<'o> {
    sender: Cow<'o, str>,
    recipient: Cow<'o, str>,
    reference: String,
    date: Date,
    time: Cow<'o, str>,
}

fn envelope(outgoing: &Outgoing, d: Delimiters) -> Result<Envelope<'_>, WriteError> {
    let id = |field: &'static str, value: &str| {
        let fault = if value.is_empty() || value.len() > 15 {
            Some("must be 1 to 15 characters long")
        } else if !value.is_ascii()
            || value
                .bytes()
                .any(|b| d.role(b).is_some() || b.is_ascii_control())
        {
            Some("must be printable ASCII without delimiters")
        } else {
            None
        };
        match fault {
            Some(reason) => Err(WriteError::Envelope {
                field,
                value: value.to_string(),
                reason,
            }),
            None => Ok(()),
        }
    };
    id("sender id", &outgoing.sender)?;
    id("recipient id", &outgoing.recipient)?;
    let reference = &outgoing.reference;
    if reference.is_empty() || reference.len() > 9 || !reference.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(WriteError::Envelope {
            field: "interchange control number",
            value: reference.clone(),
            reason: "must be 1 to 9 digits",
        });
    }
    if outgoing.time.len() != 4 || !outgoing.time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WriteError::Envelope {
            field: "time",
            value: outgoing.time.clone(),
            reason: "must be written HHMM",
        });
    }
    Ok(Envelope {
        sender: Cow::Borrowed(&outgoing.sender),
        recipient: Cow::Borrowed(&outgoing.recipient),
        reference: format!("{reference:0>9}"),
        date: outgoing.prepared,
        time: Cow::Borrowed(&outgoing.time),
    })
}

fn isa(out: &mut String, e: &Envelope<'_>, version: Version, d: Delimiters) {
    let repetition = d.repetition.map_or('U', char::from);
    let _ = writeln!(
        out,
        "ISA*00*          *00*          *ZZ*{:<15}*ZZ*{:<15}*{}*{}*{repetition}*{}*{}*0*P*{}{}",
        e.sender,
        e.recipient,
        e.date.yymmdd(),
        e.time,
        version.interchange_version(),
        e.reference,
        char::from(d.component),
        char::from(d.segment),
    );
}

fn gs(w: &mut Writer, e: &Envelope<'_>, functional: &str, control: &str, version: Version) {
    let date = e.date.ccyymmdd();
    w.segment(
        "GS",
        &[
            Some(functional),
            Some(&e.sender),
            Some(&e.recipient),
            Some(&date),
            Some(&e.time),
            Some(control),
            Some("X"),
            Some(version.group_version()),
        ],
    );
}

/// Writes `documents` as one interchange in `version`; refuses values that
/// hold a delimiter, units without an X12 code and envelope values that do
/// not fit ISA.
pub fn write(
    outgoing: &Outgoing,
    version: Version,
    documents: &[Document],
) -> Result<String, WriteError> {
    let mut w = Writer::new(256 + documents.len() * 1024, version);
    let e = envelope(outgoing, w.d)?;
    isa(&mut w.out, &e, version, w.d);
    let mut groups = 0usize;
    let mut index = 0usize;
    while index < documents.len() {
        let set = set_of(&documents[index]);
        let run = documents[index..]
            .iter()
            .take_while(|d| set_of(d) == set)
            .count();
        groups += 1;
        let control = groups.to_string();
        gs(
            &mut w,
            &e,
            functional_id(set).unwrap_or_default(),
            &control,
            version,
        );
        for (offset, document) in documents[index..index + run].iter().enumerate() {
            let number = index + offset + 1;
            w.context = Context {
                document: number,
                kind: document.kind().as_str(),
                number: document.number().to_string(),
                line: None,
            };
            w.document(&format!("{number:04}"), document, &e.time);
            if let Some(error) = w.error.take() {
                return Err(error);
            }
        }
        let count = run.to_string();
        w.segment("GE", &[Some(&count), Some(&control)]);
        index += run;
    }
    let count = groups.to_string();
    w.segment("IEA", &[Some(&count), Some(&e.reference)]);
    Ok(w.out)
}

fn set_of(document: &Document) -> &'static str {
    match document {
        Document::Order(_) => "850",
        Document::OrderChange(_) | Document::OrderCancellation(_) => "860",
        Document::OrderResponse(_) => "855",
        Document::DespatchAdvice(_) => "856",
        Document::ReceiptAdvice(_) => "861",
    }
}

/// Writes a 997 in 004010 answering `ack`; see [`ack997_in`].
pub fn ack997(outgoing: &Outgoing, ack: &Acknowledgement) -> String {
    ack997_in(outgoing, ack, Version::V004010)
}

/// Writes the acknowledgement interchange answering `ack` in `version`:
///
/// - a TA1 interchange acknowledgement (TA101–TA103 the received ISA13,
///   ISA09 and ISA10, TA104 `R`, TA105 the note code) when a problem of the
///   interchange envelope has a [`ta1_note_code`](super::ta1_note_code);
/// - one functional group `FA` holding one 997 per functional group
///   received (`ack.envelope.groups`): AK1 its GS01, GS06 and, in 005010,
///   GS08; one AK2 … AK5 loop per transaction set of the group with an AK3
///   (and AK4) per problem as [`ack_code`](super::ack_code) maps it; AK9
///   accepted (`A`), partly (`P`) or rejected (`R`) with the group error
///   codes of the problems in that group. When the interchange as a whole
///   is rejected, no AK2 loops are written. Without group information (an
///   acknowledgement not read from X12), one 997 answers every message,
///   its AK1 named from the first set's type (`PO` when there is none) and
///   the envelope's group (`0` when unknown); a rejected interchange that
///   held no group gets the TA1 alone.
///
/// Envelope values that do not fit ISA are cut or padded to fit, and
/// delimiters in echoed values become `?`, since an acknowledgement must
/// always be written.
pub fn ack997_in(outgoing: &Outgoing, ack: &Acknowledgement, version: Version) -> String {
    let note = ack.problems.iter().find_map(super::ta1_note_code);
    let mut w = Writer::new(1024, version);
    let e = ack_envelope(outgoing, w.d);
    isa(&mut w.out, &e, version, w.d);
    if let Some(note) = note {
        ta1_segment(&mut w, ack.envelope.as_ref(), note);
    }
    let groups = ack_groups(ack, version, note.is_some());
    if !groups.is_empty() {
        gs(&mut w, &e, "FA", "1", version);
        for (index, group) in groups.iter().enumerate() {
            ack997_set(&mut w, ack, group, index + 1, version);
        }
        let count = groups.len().to_string();
        w.segment("GE", &[Some(&count), Some("1")]);
    }
    let count = if groups.is_empty() { "0" } else { "1" };
    w.segment("IEA", &[Some(count), Some(&e.reference)]);
    w.out
}

/// Writes an interchange holding only a TA1 that rejects the interchange
/// of `envelope` with the interchange note code `note` (TA105, code list
/// I18: `025` duplicate control number, `006` invalid sender, `009`
/// unknown receiver, …), for a caller that decides about an interchange
/// outside this crate and owes no 997 for it.
pub fn ta1(
    outgoing: &Outgoing,
    envelope: &crate::Envelope,
    note: &str,
    version: Version,
) -> String {
    let mut w = Writer::new(256, version);
    let e = ack_envelope(outgoing, w.d);
    isa(&mut w.out, &e, version, w.d);
    let note = clean(note, 3, w.d);
    ta1_segment(&mut w, Some(envelope), &note);
    w.segment("IEA", &[Some("0"), Some(&e.reference)]);
    w.out
}

/// `text` without control characters, delimiters replaced by `?`, at most
/// `max` characters.
fn clean(text: &str, max: usize, d: Delimiters) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if c.is_ascii() && d.role(c as u8).is_some() {
                '?'
            } else {
                c
            }
        })
        .take(max)
        .collect()
}

/// The envelope of an acknowledgement, made to fit ISA whatever
/// `outgoing` holds.
fn ack_envelope(outgoing: &Outgoing, d: Delimiters) -> Envelope<'static> {
    let ascii = |text: &str| {
        let text = clean(text, 15, d).replace(|c: char| !c.is_ascii(), "?");
        if text.is_empty() {
            "?".to_string()
        } else {
            text
        }
    };
    let digits: String = outgoing
        .reference
        .chars()
        .filter(char::is_ascii_digit)
        .take(9)
        .collect();
    let time = if outgoing.time.len() == 4 && outgoing.time.bytes().all(|b| b.is_ascii_digit()) {
        outgoing.time.as_str()
    } else {
        "0000"
    };
    Envelope {
        sender: Cow::Owned(ascii(&outgoing.sender)),
        recipient: Cow::Owned(ascii(&outgoing.recipient)),
        reference: format!("{digits:0>9}"),
        date: outgoing.prepared,
        time: Cow::Owned(time.to_string()),
    }
}

/// TA1 for the interchange of `received`: its control number, date and
/// time, rejected with `note`.
fn ta1_segment(w: &mut Writer, received: Option<&crate::Envelope>, note: &str) {
    let d = w.d;
    let reference = received.map_or_else(String::new, |r| {
        let digits: String = r
            .reference
            .chars()
            .filter(char::is_ascii_digit)
            .take(9)
            .collect();
        format!("{digits:0>9}")
    });
    let date = received
        .and_then(|r| r.prepared)
        .map_or_else(|| "000000".to_string(), |p| p.yymmdd());
    let time = received
        .and_then(|r| r.time.as_deref())
        .filter(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(|| "0000".to_string(), |t| clean(t, 4, d));
    w.segment(
        "TA1",
        &[
            Some(if reference.is_empty() {
                "000000000"
            } else {
                &reference
            }),
            Some(&date),
            Some(&time),
            Some("R"),
            Some(note),
        ],
    );
}

/// One functional group received, as its 997 answers it.
struct AckGroup {
    functional: String,
    control: String,
    version: String,
    messages: Range<usize>,
    /// Its segments in the interchange (GS up to the next GS), for the
    /// group-level problems.
    segments: Range<usize>,
}

/// The groups `ack` answers: those of its envelope, or one for every
/// message when it names none (none at all when a TA1 rejects an
/// interchange that held nothing).
fn ack_groups(ack: &Acknowledgement, version: Version, has_ta1: bool) -> Vec<AckGroup> {
    let total = ack.messages.len();
    let listed = ack.envelope.as_ref().map_or(&[][..], |e| &e.groups[..]);
    if listed.is_empty() {
        if total == 0 && has_ta1 {
            return Vec::new();
        }
        let functional = ack
            .messages
            .first()
            .and_then(|m| functional_id(&m.message_type))
            .unwrap_or("PO");
        let control = ack
            .envelope
            .as_ref()
            .and_then(|e| e.group.as_deref())
            .unwrap_or("0");
        return vec![AckGroup {
            functional: functional.to_string(),
            control: control.to_string(),
            version: version.group_version().to_string(),
            messages: 0..total,
            segments: 0..usize::MAX,
        }];
    }
    listed
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let next = listed.get(i + 1);
            let end = next.map_or(total, |n| n.first_message).min(total);
            AckGroup {
                functional: g.functional.clone(),
                control: g.control.clone(),
                version: g.version.clone(),
                messages: g.first_message.min(end)..end,
                segments: if i == 0 { 0 } else { g.segment }
                    ..next.map_or(usize::MAX, |n| n.segment),
            }
        })
        .collect()
}

/// One 997 transaction set (ST … SE, control number `number`) answering
/// `group`.
fn ack997_set(
    w: &mut Writer,
    ack: &Acknowledgement,
    group: &AckGroup,
    number: usize,
    version: Version,
) {
    let d = w.d;
    let control_number = format!("{number:04}");
    w.in_set = 0;
    w.segment("ST", &[Some("997"), Some(&control_number)]);
    let functional = clean(&group.functional, 2, d);
    let control = clean(&group.control, 9, d);
    let ak103 = (version == Version::V005010).then(|| {
        let named = clean(&group.version, 12, d);
        if named.is_empty() {
            version.group_version().to_string()
        } else {
            named
        }
    });
    w.segment(
        "AK1",
        &[
            Some(if functional.is_empty() {
                "PO"
            } else {
                &functional
            }),
            Some(if control.is_empty() { "0" } else { &control }),
            ak103.as_deref(),
        ],
    );
    let rejected_whole = !ack.problems.is_empty();
    let messages = ack.messages.get(group.messages.clone()).unwrap_or_default();
    let mut accepted = 0usize;
    for m in messages {
        if m.accepted() {
            accepted += 1;
        }
        if rejected_whole {
            continue;
        }
        let (set, control) = (clean(&m.message_type, 3, d), clean(&m.reference, 9, d));
        w.segment("AK2", &[Some(&set), Some(&control)]);
        let mut set_codes: Vec<&str> = Vec::new();
        for p in &m.problems {
            match ack_code(p) {
                AckCode::TransactionSet(code) => set_codes.push(code),
                AckCode::Segment(segment_code, element_code) => {
                    let (Some(tag), Some(position)) = (p.place.tag.as_deref(), p.place.segment)
                    else {
                        continue;
                    };
                    let (tag, position) = (clean(tag, 3, d), position.to_string());
                    w.segment(
                        "AK3",
                        &[Some(&tag), Some(&position), None, Some(segment_code)],
                    );
                    if let (Some(code), Some(element)) = (element_code, p.place.element) {
                        let at = match p.place.component {
                            Some(c) => format!("{element}{}{c}", char::from(d.component)),
                            None => element.to_string(),
                        };
                        w.segment("AK4", &[Some(&at), None, Some(code)]);
                    }
                }
            }
        }
        if !m.accepted() && set_codes.is_empty() {
            set_codes.push("5");
        }
        set_codes.dedup();
        let mut ak5 = vec![Some(if m.accepted() { "A" } else { "R" })];
        ak5.extend(set_codes.iter().take(5).map(|c| Some(*c)));
        w.segment("AK5", &ak5);
    }
    if rejected_whole {
        accepted = 0;
    }
    let received = messages.len();
    let status = if accepted == received && !rejected_whole {
        "A"
    } else if accepted == 0 {
        "R"
    } else {
        "P"
    };
    let (included, received_text, accepted_text) = (
        received.to_string(),
        received.to_string(),
        accepted.to_string(),
    );
    let mut ak9 = vec![
        Some(status),
        Some(included.as_str()),
        Some(received_text.as_str()),
        Some(accepted_text.as_str()),
    ];
    let mut codes: Vec<&str> = ack
        .problems
        .iter()
        .filter(|p| p.place.segment.is_none_or(|s| group.segments.contains(&s)))
        .filter_map(group_error_code)
        .collect();
    codes.dedup();
    ak9.extend(codes.iter().take(5).map(|c| Some(*c)));
    w.segment("AK9", &ak9);
    let count = (w.in_set + 1).to_string();
    w.segment("SE", &[Some(&count), Some(&control_number)]);
}

/// The characters X12 uses as delimiters when Renkei writes it; X12 has no
/// release character, so they cannot appear inside a value.
const DELIMITER_CHARACTERS: [char; 4] = ['*', '~', ':', '^'];

/// Replaces the X12 delimiters in the document's free texts (names, notes,
/// reasons, descriptions, carrier) with `-`, so that it can be written;
/// identifiers and codes are left alone, and the writer still refuses a
/// delimiter there. Returns how many texts changed.
pub fn plain_text(document: &mut Document) -> usize {
    let mut changed = 0;
    for text in document.texts_mut() {
        if text.contains(DELIMITER_CHARACTERS) {
            *text = text.replace(DELIMITER_CHARACTERS, "-");
            changed += 1;
        }
    }
    changed
}
