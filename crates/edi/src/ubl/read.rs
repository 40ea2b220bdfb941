//! Reading a UBL document into a canonical document.
//!
//! The input is streamed once with `quick_xml`'s namespace-resolving
//! reader. The elements of the header are kept (their path, text,
//! attributes, XPath and line); the elements of a line are kept only until
//! the line closes, when it is mapped and dropped, so memory grows with the
//! canonical lines, not with the XML. Nesting is bounded, so is nothing
//! else: every step is linear in the input.

use std::collections::HashSet;

use quick_xml::{
    NsReader,
    events::{BytesStart, Event},
    name::ResolveResult,
};

use super::{NS_CAC, NS_CBC, Root, gln_shaped};
use crate::rules::{currency_valid, gtin_valid, unit_valid};
use crate::{
    ChangeAction, ChangeLine, Code, Date, Decimal, DespatchAdvice, DespatchLine, Document,
    Envelope, Item, LineStatus, MessageOutcome, Order, OrderCancellation, OrderChange, OrderLine,
    OrderResponse, Party, Place, Problem, Quantity, Reading, ReceiptAdvice, ReceiptLine,
    ResponseLine,
};

/// The deepest nesting read; UBL documents need about a dozen levels.
const MAX_DEPTH: usize = 64;

/// One element as read.
#[derive(Debug)]
struct Node {
    /// Its path below the group, canonical prefixes, no indexes.
    key: String,
    /// Its text with surrounding white space removed (empty for aggregates).
    text: String,
    /// Its attributes by local name, `xmlns` declarations left out.
    attrs: Vec<(String, String)>,
    xpath: String,
    line: usize,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn place(&self) -> Place {
        Place::xml(self.xpath.clone(), self.line)
    }

    fn attr_place(&self, name: &str) -> Place {
        Place::xml(format!("{}/@{name}", self.xpath), self.line)
    }

    fn value(&self) -> Option<&str> {
        (!self.text.is_empty()).then_some(self.text.as_str())
    }
}

/// The header (the root's own elements) or one line.
#[derive(Debug)]
struct Group {
    xpath: String,
    line: usize,
    nodes: Vec<Node>,
}

impl Group {
    fn get(&self, key: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.key == key)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Node::value).map(str::to_string)
    }

    fn joined(&self, key: &str) -> Option<String> {
        let parts: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| n.key == key)
            .filter_map(Node::value)
            .collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    }

    /// Where an absent element would be: below its nearest present ancestor.
    fn missing(&self, key: &str) -> Place {
        let ancestor = self
            .nodes
            .iter()
            .filter(|n| {
                key.len() > n.key.len()
                    && key.starts_with(&n.key)
                    && key.as_bytes().get(n.key.len()) == Some(&b'/')
            })
            .max_by_key(|n| n.key.len());
        match ancestor {
            Some(n) => Place::xml(format!("{}{}", n.xpath, &key[n.key.len()..]), n.line),
            None => Place::xml(format!("{}/{key}", self.xpath), self.line),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    Cac,
    Cbc,
    Document,
    Other,
}

#[derive(Debug)]
struct Frame {
    recorded: bool,
    line: usize,
    text: String,
    attrs: Vec<(String, String)>,
    has_child: bool,
    xpath_len: usize,
    key_len: usize,
    children: Vec<(String, u32)>,
    group: bool,
}

/// The lines read so far, of the document's kind.
#[derive(Debug)]
enum Lines {
    None,
    Order(Vec<OrderLine>),
    Change(Vec<ChangeLine>),
    Response(Vec<ResponseLine>),
    Despatch(Vec<DespatchLine>),
    Receipt(Vec<ReceiptLine>),
}

struct Mapper {
    root: Root,
    problems: Vec<Problem>,
    seen: HashSet<u32>,
    count: usize,
    lines: Lines,
    currencies: Vec<(String, Place)>,
}

struct Parser<'i> {
    input: &'i [u8],
    counted_to: usize,
    line: usize,
    stack: Vec<Frame>,
    xpath: String,
    key: String,
    group_key: usize,
    root_seen: bool,
    header: Option<Group>,
    group: Option<Group>,
    mapper: Option<Mapper>,
    /// A known root element in another namespace: the document is refused
    /// with this, but read on so that its parties can be answered.
    foreign_root: Option<Fatal>,
}

/// A problem that stops reading.
type Fatal = Box<Problem>;

fn syntax(path: &str, line: usize, message: impl Into<String>) -> Fatal {
    let path = if path.is_empty() { "/" } else { path };
    Box::new(Problem::new(Code::Syntax, Place::xml(path, line), message))
}

fn space_of(namespace: &[u8]) -> Space {
    if namespace == NS_CAC.as_bytes() {
        Space::Cac
    } else if namespace == NS_CBC.as_bytes() {
        Space::Cbc
    } else if Root::ALL
        .iter()
        .any(|r| r.namespace().as_bytes() == namespace)
    {
        Space::Document
    } else {
        Space::Other
    }
}

impl<'i> Parser<'i> {
    fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.input.len());
        if offset < self.counted_to {
            self.counted_to = 0;
            self.line = 1;
        }
        let newlines = self
            .input
            .get(self.counted_to..offset)
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        self.line += newlines;
        self.counted_to = offset;
        self.line
    }

    fn run(&mut self) -> Result<(), Fatal> {
        let mut reader = NsReader::from_reader(self.input);
        reader.config_mut().expand_empty_elements = true;
        loop {
            let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let (space, namespace, event) = match reader.read_resolved_event() {
                Ok((ResolveResult::Bound(ns), event)) => {
                    let namespace = String::from_utf8_lossy(ns.as_ref()).into_owned();
                    (space_of(ns.as_ref()), Some(namespace), event)
                }
                Ok((ResolveResult::Unbound, event)) => (Space::Other, None, event),
                Ok((ResolveResult::Unknown(prefix), _)) => {
                    let line = self.line_at(offset);
                    return Err(syntax(
                        &self.xpath,
                        line,
                        format!(
                            "the prefix `{}` is not bound to a namespace",
                            String::from_utf8_lossy(&prefix)
                        ),
                    ));
                }
                Err(e) => {
                    let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                    let line = self.line_at(at);
                    return Err(syntax(&self.xpath, line, format!("malformed XML: {e}")));
                }
            };
            let line = self.line_at(offset);
            match event {
                Event::Start(e) => self.start(space, namespace, &e, line)?,
                Event::End(_) => self.end(),
                Event::Text(t) => {
                    let text = t
                        .xml_content()
                        .map_err(|_| syntax(&self.xpath, line, "the text is not UTF-8"))?;
                    self.text(&text, line)?;
                }
                Event::CData(t) => {
                    let text = t
                        .xml_content()
                        .map_err(|_| syntax(&self.xpath, line, "the text is not UTF-8"))?;
                    self.text(&text, line)?;
                }
                Event::GeneralRef(r) => {
                    let name = r
                        .decode()
                        .map_err(|_| syntax(&self.xpath, line, "the text is not UTF-8"))?;
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match name.as_ref() {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "apos" => '\'',
                            "quot" => '"',
                            other => {
                                return Err(syntax(
                                    &self.xpath,
                                    line,
                                    format!(
                                        "the entity `&{other};` is not defined (XML defines lt, gt, amp, apos, quot)"
                                    ),
                                ));
                            }
                        },
                        Err(_) => {
                            return Err(syntax(
                                &self.xpath,
                                line,
                                format!("`&{name};` is not a character reference"),
                            ));
                        }
                    };
                    self.text(c.encode_utf8(&mut [0; 4]), line)?;
                }
                Event::Decl(d) => {
                    if let Some(Ok(encoding)) = d.encoding() {
                        let encoding = String::from_utf8_lossy(&encoding).to_ascii_lowercase();
                        if !matches!(encoding.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii") {
                            return Err(Box::new(Problem::new(
                                Code::Unsupported,
                                Place::xml("/", line),
                                format!(
                                    "the document is declared as {encoding}: UBL documents are read in UTF-8"
                                ),
                            )));
                        }
                    }
                }
                Event::Eof => return self.eof(line),
                Event::Empty(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }

    fn eof(&mut self, line: usize) -> Result<(), Fatal> {
        if let Some(frame) = self.stack.last() {
            let at = self.xpath.clone();
            return Err(syntax(
                &at,
                line,
                format!(
                    "the document ends inside {at} (opened on line {}): it is cut short",
                    frame.line
                ),
            ));
        }
        if !self.root_seen {
            return Err(Box::new(Problem::new(
                Code::Missing,
                Place::whole(),
                "the input holds no XML element",
            )));
        }
        Ok(())
    }

    fn root(&mut self, namespace: Option<String>, local: &str, line: usize) -> Result<(), Fatal> {
        let path = format!("/{local}");
        let known = Root::ALL.iter().copied().find(|r| r.name() == local);
        let namespace = namespace.unwrap_or_default();
        let root = match known {
            Some(root) if root.namespace() == namespace => root,
            Some(root) => {
                self.foreign_root = Some(Box::new(Problem::new(
                    Code::Unsupported,
                    Place::xml(&path, line),
                    format!(
                        "the root element {local} is in namespace `{namespace}`; a UBL 2.1 {local} is in `{}`",
                        root.namespace()
                    ),
                )));
                root
            }
            None => {
                return Err(Box::new(Problem::new(
                    Code::Unsupported,
                    Place::xml(path, line),
                    format!(
                        "the root element {local} (namespace `{namespace}`) is not a document this reader knows: Order, OrderChange, OrderCancellation, OrderResponse, DespatchAdvice or ReceiptAdvice"
                    ),
                )));
            }
        };
        self.root_seen = true;
        self.xpath = path.clone();
        self.header = Some(Group {
            xpath: path,
            line,
            nodes: Vec::new(),
        });
        self.mapper = Some(Mapper::new(root));
        self.stack.push(Frame {
            recorded: true,
            line,
            text: String::new(),
            attrs: Vec::new(),
            has_child: false,
            xpath_len: 0,
            key_len: 0,
            children: Vec::new(),
            group: false,
        });
        Ok(())
    }

    fn start(
        &mut self,
        space: Space,
        namespace: Option<String>,
        e: &BytesStart<'_>,
        line: usize,
    ) -> Result<(), Fatal> {
        let local = std::str::from_utf8(e.local_name().into_inner())
            .map_err(|_| syntax(&self.xpath, line, "an element name is not UTF-8"))?
            .to_string();
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| {
                syntax(
                    &self.xpath,
                    line,
                    format!("malformed attribute on {local}: {err}"),
                )
            })?;
            if a.key.as_namespace_binding().is_some() {
                continue;
            }
            let key = std::str::from_utf8(a.key.local_name().into_inner())
                .map_err(|_| syntax(&self.xpath, line, "an attribute name is not UTF-8"))?
                .to_string();
            let value = a
                .unescape_value()
                .map_err(|err| {
                    syntax(
                        &self.xpath,
                        line,
                        format!("malformed attribute {key} on {local}: {err}"),
                    )
                })?
                .trim()
                .to_string();
            attrs.push((key, value));
        }
        if self.stack.is_empty() {
            if self.root_seen {
                return Err(syntax(
                    &self.xpath,
                    line,
                    format!("a second root element {local} after the document"),
                ));
            }
            return self.root(namespace, &local, line);
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(Box::new(Problem::new(
                Code::Unsupported,
                Place::xml(self.xpath.clone(), line),
                format!("elements are nested deeper than {MAX_DEPTH} levels"),
            )));
        }
        let depth = self.stack.len();
        let line_element = self.mapper.as_ref().and_then(|m| m.root.line_element());
        let Some(parent) = self.stack.last_mut() else {
            return Ok(());
        };
        parent.has_child = true;
        parent.text.clear();
        let name = match space {
            Space::Cac => format!("cac:{local}"),
            Space::Cbc => format!("cbc:{local}"),
            Space::Document | Space::Other => {
                String::from_utf8_lossy(e.name().into_inner()).into_owned()
            }
        };
        let recorded = parent.recorded && matches!(space, Space::Cac | Space::Cbc);
        let index = match parent.children.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => {
                *count = count.saturating_add(1);
                *count
            }
            None => {
                parent.children.push((name.clone(), 1));
                1
            }
        };
        let misplaced = parent.recorded && space == Space::Document;
        let group = depth == 1 && recorded && Some(name.as_str()) == line_element;
        let frame = Frame {
            recorded,
            line,
            text: String::new(),
            attrs: if recorded { attrs } else { Vec::new() },
            has_child: false,
            xpath_len: self.xpath.len(),
            key_len: self.key.len(),
            children: Vec::new(),
            group,
        };
        self.xpath.push('/');
        self.xpath.push_str(&name);
        if group || index > 1 {
            self.xpath.push_str(&format!("[{index}]"));
        }
        if !self.key.is_empty() {
            self.key.push('/');
        }
        self.key.push_str(&name);
        if misplaced {
            if let Some(m) = self.mapper.as_mut() {
                m.problems.push(Problem::new(
                    Code::Unexpected,
                    Place::xml(self.xpath.clone(), line),
                    format!("{local} is in the document's own namespace; UBL puts it in the cac or cbc namespace"),
                ));
            }
        }
        if group {
            self.group = Some(Group {
                xpath: self.xpath.clone(),
                line,
                nodes: Vec::new(),
            });
            self.group_key = self.key.len() + 1;
        }
        self.stack.push(frame);
        Ok(())
    }

    fn text(&mut self, text: &str, line: usize) -> Result<(), Fatal> {
        match self.stack.last_mut() {
            Some(frame) => {
                if frame.recorded && !frame.has_child {
                    frame.text.push_str(text);
                }
                Ok(())
            }
            None if text.trim().is_empty() => Ok(()),
            None => Err(syntax(&self.xpath, line, "text outside the root element")),
        }
    }

    fn end(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if frame.group {
            if let (Some(group), Some(mapper)) = (self.group.take(), self.mapper.as_mut()) {
                mapper.line(&group);
            }
        } else if frame.recorded && !self.stack.is_empty() {
            let text = if frame.has_child {
                String::new()
            } else {
                frame.text.trim().to_string()
            };
            let (target, key) = match self.group.as_mut() {
                Some(group) => (
                    Some(group),
                    self.key.get(self.group_key..).unwrap_or_default(),
                ),
                None => (self.header.as_mut(), self.key.as_str()),
            };
            if let Some(target) = target {
                target.nodes.push(Node {
                    key: key.to_string(),
                    text,
                    attrs: frame.attrs,
                    xpath: self.xpath.clone(),
                    line: frame.line,
                });
            }
        }
        self.xpath.truncate(frame.xpath_len);
        self.key.truncate(frame.key_len);
    }
}

/// Reads one UBL document: see the module documentation for what is read
/// where, and how problems are reported.
pub fn read(input: &[u8]) -> Reading {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut parser = Parser {
        input,
        counted_to: 0,
        line: 1,
        stack: Vec::new(),
        xpath: String::new(),
        key: String::new(),
        group_key: 0,
        root_seen: false,
        header: None,
        group: None,
        mapper: None,
        foreign_root: None,
    };
    let fatal = match parser.run() {
        Err(problem) => Some(problem),
        Ok(()) => parser.foreign_root.take(),
    };
    if let Some(problem) = fatal {
        // A document refused as a whole whose header named both parties
        // and its number (one cut short in its lines, one in another
        // namespace) is still a message from someone: it is rejected as
        // such, so that the sender gets a response. Without them there is
        // no one to answer.
        let addressed =
            parser
                .header
                .as_ref()
                .zip(parser.mapper.as_ref())
                .and_then(|(header, mapper)| {
                    Some((mapper.root, header, envelope(mapper.root, header)?))
                });
        return match addressed {
            Some((root, header, envelope)) => Reading {
                envelope: Some(envelope),
                messages: vec![outcome(root, header, Err(vec![*problem]))],
                problems: Vec::new(),
            },
            None => Reading {
                envelope: None,
                messages: Vec::new(),
                problems: vec![*problem],
            },
        };
    }
    let (Some(header), Some(mapper)) = (parser.header, parser.mapper) else {
        return Reading {
            envelope: None,
            messages: Vec::new(),
            problems: vec![Problem::new(
                Code::Missing,
                Place::whole(),
                "the input holds no UBL document",
            )],
        };
    };
    let root = mapper.root;
    let envelope = envelope(root, &header);
    let (document, mut problems) = mapper.document(&header);
    problems.sort_by_key(|p| p.place.line);
    let result = match document {
        Some(d) if problems.is_empty() => Ok(d),
        _ => Err(problems),
    };
    Reading {
        envelope,
        messages: vec![outcome(root, &header, result)],
        problems: Vec::new(),
    }
}

/// The document as the one message of its input.
fn outcome(root: Root, header: &Group, result: Result<Document, Vec<Problem>>) -> MessageOutcome {
    MessageOutcome {
        reference: header.text("cbc:ID").unwrap_or_default(),
        message_type: root.name().to_string(),
        version: std::borrow::Cow::Borrowed(""),
        place: Place {
            path: Some(format!("/{}", root.name())),
            ..Place::default()
        },
        result,
    }
}

/// The party roles of a document: (buyer, seller), each as the preferred
/// element and the one the schema requires.
fn roles(root: Root) -> [(&'static str, &'static str); 2] {
    match root {
        Root::DespatchAdvice | Root::ReceiptAdvice => [
            ("cac:BuyerCustomerParty", "cac:DeliveryCustomerParty"),
            ("cac:SellerSupplierParty", "cac:DespatchSupplierParty"),
        ],
        _ => [
            ("cac:BuyerCustomerParty", "cac:BuyerCustomerParty"),
            ("cac:SellerSupplierParty", "cac:SellerSupplierParty"),
        ],
    }
}

fn role(header: &Group, (preferred, required): (&'static str, &'static str)) -> &'static str {
    if header.has(preferred) {
        preferred
    } else {
        required
    }
}

fn party_id(header: &Group, role: &str) -> Option<String> {
    header
        .text(&format!("{role}/cac:Party/cbc:EndpointID"))
        .or_else(|| header.text(&format!("{role}/cac:Party/cac:PartyIdentification/cbc:ID")))
}

fn envelope(root: Root, header: &Group) -> Option<Envelope> {
    let [buyer, seller] = roles(root);
    let buyer = party_id(header, role(header, buyer))?;
    let seller = party_id(header, role(header, seller))?;
    let (sender, recipient) = if root.sent_by_buyer() {
        (buyer, seller)
    } else {
        (seller, buyer)
    };
    Some(Envelope {
        sender,
        recipient,
        reference: header.text("cbc:ID")?,
        prepared: header
            .get("cbc:IssueDate")
            .and_then(Node::value)
            .and_then(parse_date),
        time: None,
        group: None,
        groups: Vec::new(),
    })
}

/// `YYYY-MM-DD`, optionally followed by a time zone (`Z`, `+09:00`).
fn parse_date(text: &str) -> Option<Date> {
    let (date, zone) = (text.get(..10)?, text.get(10..)?);
    let zone_ok = match zone.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    if zone_ok { date.parse().ok() } else { None }
}

impl Mapper {
    fn new(root: Root) -> Mapper {
        let lines = match root {
            Root::Order => Lines::Order(Vec::new()),
            Root::OrderChange => Lines::Change(Vec::new()),
            Root::OrderResponse => Lines::Response(Vec::new()),
            Root::DespatchAdvice => Lines::Despatch(Vec::new()),
            Root::ReceiptAdvice => Lines::Receipt(Vec::new()),
            Root::OrderCancellation => Lines::None,
        };
        Mapper {
            root,
            problems: Vec::new(),
            seen: HashSet::new(),
            count: 0,
            lines,
            currencies: Vec::new(),
        }
    }

    fn push(&mut self, code: Code, place: Place, message: impl Into<String>) {
        self.problems.push(Problem::new(code, place, message));
    }

    /// A required element with a value.
    fn need<'g>(&mut self, g: &'g Group, key: &str, what: &str) -> Option<&'g Node> {
        match g.get(key) {
            Some(n) if n.value().is_some() => Some(n),
            Some(n) => {
                self.push(Code::Missing, n.place(), format!("{what} is empty"));
                None
            }
            None => {
                self.push(Code::Missing, g.missing(key), format!("{what} is missing"));
                None
            }
        }
    }

    fn need_text(&mut self, g: &Group, key: &str, what: &str) -> Option<String> {
        self.need(g, key, what).map(|n| n.text.clone())
    }

    fn date_of(&mut self, n: &Node, what: &str) -> Option<Date> {
        let date = parse_date(&n.text);
        if date.is_none() {
            self.push(
                Code::Invalid,
                n.place(),
                format!("{what} `{}` is not a date written YYYY-MM-DD", n.text),
            );
        }
        date
    }

    fn date(&mut self, g: &Group, key: &str, what: &str) -> Option<Date> {
        let n = g.get(key).filter(|n| n.value().is_some())?;
        self.date_of(n, what)
    }

    fn need_date(&mut self, g: &Group, key: &str, what: &str) -> Option<Date> {
        let n = self.need(g, key, what)?;
        self.date_of(n, what)
    }

    fn decimal(&mut self, n: &Node, what: &str) -> Option<Decimal> {
        let parsed = if n.text.contains(',') {
            None
        } else {
            n.text.parse::<Decimal>().ok()
        };
        if parsed.is_none() {
            self.push(
                Code::Invalid,
                n.place(),
                format!("{what} `{}` is not a decimal number (digits, an optional sign and `.`, at most 18 digits)", n.text),
            );
        }
        parsed
    }

    fn quantity_of(&mut self, n: &Node, what: &str) -> Option<Quantity> {
        let value = self.decimal(n, what);
        if value.is_some_and(Decimal::is_negative) {
            self.push(
                Code::Invalid,
                n.place(),
                format!("{what} may not be negative"),
            );
        }
        let unit = match n.attr("unitCode").filter(|u| !u.is_empty()) {
            Some(unit) if unit_valid(unit) => Some(unit.to_string()),
            Some(unit) => {
                self.push(
                    Code::UnknownQualifier,
                    n.attr_place("unitCode"),
                    format!("`{unit}` is not a UN/ECE Recommendation 20 unit code"),
                );
                None
            }
            None => {
                self.push(
                    Code::Missing,
                    n.attr_place("unitCode"),
                    format!("{what} has no unitCode"),
                );
                None
            }
        };
        Some(Quantity {
            value: value?,
            unit: unit?,
        })
    }

    fn quantity(&mut self, g: &Group, key: &str, what: &str) -> Option<Quantity> {
        let n = self.need(g, key, what)?;
        self.quantity_of(n, what)
    }

    fn price(&mut self, g: &Group, key: &str) -> Option<Decimal> {
        let n = g.get(key).filter(|n| n.value().is_some())?;
        let value = self.decimal(n, "the price");
        match n.attr("currencyID") {
            Some(c) if currency_valid(c) => self
                .currencies
                .push((c.to_string(), n.attr_place("currencyID"))),
            Some(c) => self.push(
                Code::Invalid,
                n.attr_place("currencyID"),
                format!("`{c}` is not an ISO 4217 currency code"),
            ),
            None => self.push(
                Code::Missing,
                n.attr_place("currencyID"),
                "the price has no currencyID",
            ),
        }
        value
    }

    fn line_number(&mut self, n: &Node, what: &str) -> Option<u32> {
        let number = if n.text.bytes().all(|b| b.is_ascii_digit()) {
            n.text.parse::<u32>().ok()
        } else {
            None
        };
        if number.is_none() {
            self.push(
                Code::Invalid,
                n.place(),
                format!("{what} `{}` is not a line number (a whole number, as the order numbers its lines)", n.text),
            );
        }
        number
    }

    /// The line number at `key`, checked to be used once.
    fn numbered(&mut self, g: &Group, keys: &[&str], what: &str) -> Option<u32> {
        let Some(n) = keys
            .iter()
            .find_map(|k| g.get(k).filter(|n| n.value().is_some()))
        else {
            self.need(g, keys.first().copied().unwrap_or_default(), what);
            return None;
        };
        let number = self.line_number(n, what)?;
        if !self.seen.insert(number) {
            let message = match self.root {
                Root::Order | Root::OrderChange => format!("line number {number} is used twice"),
                _ => format!("order line {number} is answered twice in this document"),
            };
            self.push(Code::Rule, n.place(), message);
        }
        Some(number)
    }

    fn item(&mut self, g: &Group, base: &str) -> Item {
        let at = |leaf: &str| format!("{base}/{leaf}");
        let gtin_key = at("cac:StandardItemIdentification/cbc:ID");
        let gtin = match g.get(&gtin_key).filter(|n| n.value().is_some()) {
            Some(n) => {
                match n.attr("schemeID") {
                    None | Some("0160") => {
                        if !gtin_valid(&n.text) {
                            self.push(
                                Code::Invalid,
                                n.place(),
                                format!("`{}` is not a GTIN (8, 12, 13 or 14 digits with a valid check digit)", n.text),
                            );
                        }
                    }
                    Some(other) => self.push(
                        Code::UnknownQualifier,
                        n.attr_place("schemeID"),
                        format!("item scheme `{other}` is not read: a standard item identification is a GTIN (schemeID 0160)"),
                    ),
                }
                Some(n.text.clone())
            }
            None => None,
        };
        let item = Item {
            gtin,
            buyer_code: g.text(&at("cac:BuyersItemIdentification/cbc:ID")),
            seller_code: g.text(&at("cac:SellersItemIdentification/cbc:ID")),
            description: g
                .text(&at("cbc:Name"))
                .or_else(|| g.text(&at("cbc:Description"))),
        };
        if !item.is_identified() {
            let place = g.get(base).map_or_else(|| g.missing(base), Node::place);
            self.push(
                Code::Missing,
                place,
                "the line names no item: give cac:StandardItemIdentification (GTIN), cac:BuyersItemIdentification or cac:SellersItemIdentification",
            );
        }
        item
    }

    fn order_line(&mut self, g: &Group) -> Option<OrderLine> {
        let line = self.numbered(g, &["cac:LineItem/cbc:ID"], "the line number");
        let quantity = self.quantity(g, "cac:LineItem/cbc:Quantity", "the ordered quantity");
        let unit_price = self.price(g, "cac:LineItem/cac:Price/cbc:PriceAmount");
        let requested_delivery = self.date(
            g,
            "cac:LineItem/cac:Delivery/cac:RequestedDeliveryPeriod/cbc:EndDate",
            "the requested delivery date",
        );
        let item = self.item(g, "cac:LineItem/cac:Item");
        Some(OrderLine {
            line: line?,
            item,
            quantity: quantity?,
            unit_price,
            requested_delivery,
            delivery_site: g.text("cac:LineItem/cac:Delivery/cac:DeliveryLocation/cbc:ID"),
        })
    }

    fn code<T: Copy>(
        &mut self,
        g: &Group,
        key: &str,
        what: &str,
        codes: &[(&str, T)],
        expected: &str,
    ) -> Option<T> {
        let n = self.need(g, key, what)?;
        let found = codes.iter().find(|(c, _)| *c == n.text).map(|(_, v)| *v);
        if found.is_none() {
            self.push(
                Code::UnknownQualifier,
                n.place(),
                format!(
                    "{what} `{}` is not known here (expected {expected})",
                    n.text
                ),
            );
        }
        found
    }

    /// Maps one closed line element.
    fn line(&mut self, g: &Group) {
        self.count += 1;
        match self.root {
            Root::Order => {
                let line = self.order_line(g);
                if let (Some(line), Lines::Order(lines)) = (line, &mut self.lines) {
                    lines.push(line);
                }
            }
            Root::OrderChange => {
                let action = self.code(
                    g,
                    "cac:LineItem/cbc:LineStatusCode",
                    "the line status code",
                    &[
                        ("1", ChangeAction::Added),
                        ("2", ChangeAction::Deleted),
                        ("3", ChangeAction::Changed),
                    ],
                    "UNCL 1229 1 added, 2 deleted or 3 changed",
                );
                let line = self.order_line(g);
                if let (Some(action), Some(line), Lines::Change(lines)) =
                    (action, line, &mut self.lines)
                {
                    lines.push(ChangeLine { action, line });
                }
            }
            Root::OrderResponse => {
                let line = self.response_line(g);
                if let (Some(line), Lines::Response(lines)) = (line, &mut self.lines) {
                    lines.push(line);
                }
            }
            Root::DespatchAdvice => {
                let line = self.numbered(
                    g,
                    &["cac:OrderLineReference/cbc:LineID"],
                    "the order line reference",
                );
                let quantity = self.quantity(g, "cbc:DeliveredQuantity", "the delivered quantity");
                let item = self.item(g, "cac:Item");
                if let (Some(line), Some(quantity), Lines::Despatch(lines)) =
                    (line, quantity, &mut self.lines)
                {
                    lines.push(DespatchLine {
                        line,
                        item,
                        quantity,
                    });
                }
            }
            Root::ReceiptAdvice => {
                let line = self.numbered(
                    g,
                    &["cac:OrderLineReference/cbc:LineID"],
                    "the order line reference",
                );
                let received = self.quantity(g, "cbc:ReceivedQuantity", "the received quantity");
                let damaged = match g
                    .get("cbc:RejectedQuantity")
                    .filter(|n| n.value().is_some())
                {
                    Some(n) => {
                        let rejected = self.quantity_of(n, "the rejected quantity");
                        let mismatch = match (&rejected, &received) {
                            (Some(r), Some(q)) if r.unit != q.unit => Some(format!(
                                "the rejected quantity is in {} but the received quantity in {}",
                                r.unit, q.unit
                            )),
                            _ => None,
                        };
                        if let Some(message) = mismatch {
                            self.push(Code::Invalid, n.attr_place("unitCode"), message);
                        }
                        rejected.map(|q| q.value)
                    }
                    None => Some(Decimal::ZERO),
                };
                let item = self.item(g, "cac:Item");
                if let (Some(line), Some(received), Some(damaged), Lines::Receipt(lines)) =
                    (line, received, damaged, &mut self.lines)
                {
                    lines.push(ReceiptLine {
                        line,
                        item,
                        received,
                        damaged,
                    });
                }
            }
            Root::OrderCancellation => {}
        }
    }

    fn response_line(&mut self, g: &Group) -> Option<ResponseLine> {
        let status = self.code(
            g,
            "cac:LineItem/cbc:LineStatusCode",
            "the line status code",
            &[
                ("5", LineStatus::Accepted),
                ("3", LineStatus::Changed),
                ("6", LineStatus::Changed),
                ("7", LineStatus::Rejected),
            ],
            "UNCL 1229 5 accepted, 3 changed or 7 not accepted",
        );
        let line = self.numbered(
            g,
            &["cac:OrderLineReference/cbc:LineID", "cac:LineItem/cbc:ID"],
            "the order line reference",
        );
        let quantity = match g
            .get("cac:LineItem/cbc:Quantity")
            .filter(|n| n.value().is_some())
        {
            Some(n) => self.quantity_of(n, "the confirmed quantity"),
            None => {
                if status.is_some_and(|s| s != LineStatus::Rejected) {
                    self.push(
                        Code::Missing,
                        g.missing("cac:LineItem/cbc:Quantity"),
                        "an accepted or changed line needs the quantity to be delivered",
                    );
                }
                None
            }
        };
        let quantity =
            quantity.filter(|q| !(status == Some(LineStatus::Rejected) && q.value.is_zero()));
        let unit_price = self.price(g, "cac:LineItem/cac:Price/cbc:PriceAmount");
        let confirmed_delivery = self.date(
            g,
            "cac:LineItem/cac:Delivery/cac:PromisedDeliveryPeriod/cbc:EndDate",
            "the promised delivery date",
        );
        let item = self.item(g, "cac:LineItem/cac:Item");
        Some(ResponseLine {
            line: line?,
            status: status?,
            item,
            quantity,
            unit_price,
            confirmed_delivery,
            reason: g
                .joined("cbc:Note")
                .or_else(|| g.joined("cac:LineItem/cbc:Note")),
        })
    }

    fn party(
        &mut self,
        header: &Group,
        roles: (&'static str, &'static str),
        who: &str,
    ) -> Option<Party> {
        let role = role(header, roles);
        let endpoint = format!("{role}/cac:Party/cbc:EndpointID");
        let id = match header.get(&endpoint).filter(|n| n.value().is_some()) {
            Some(n) => {
                if n.attr("schemeID") == Some("0088") && !gln_shaped(&n.text) {
                    self.push(
                        Code::Invalid,
                        n.place(),
                        format!("the {who}'s endpoint `{}` is declared a GLN (0088) but is not 13 digits", n.text),
                    );
                }
                Some(n.text.clone())
            }
            None => header.text(&format!("{role}/cac:Party/cac:PartyIdentification/cbc:ID")),
        };
        if id.is_none() {
            self.push(
                Code::Missing,
                header.missing(&endpoint),
                format!("the {who} has no cbc:EndpointID"),
            );
        }
        let name = header
            .text(&format!("{role}/cac:Party/cac:PartyName/cbc:Name"))
            .or_else(|| {
                header.text(&format!(
                    "{role}/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
                ))
            });
        Some(Party { id: id?, name })
    }

    fn currency(&mut self, header: &Group) -> Option<String> {
        let n = self.need(header, "cbc:DocumentCurrencyCode", "the document currency")?;
        if !currency_valid(&n.text) {
            self.push(
                Code::Invalid,
                n.place(),
                format!("`{}` is not an ISO 4217 currency code", n.text),
            );
            return None;
        }
        let currency = n.text.clone();
        for (other, place) in std::mem::take(&mut self.currencies) {
            if other != currency {
                self.push(
                    Code::Invalid,
                    place,
                    format!("the price is in {other} but the document currency is {currency}"),
                );
            }
        }
        Some(currency)
    }

    fn check_lines(&mut self, header: &Group) {
        let element = self.root.line_element().filter(|_| self.count == 0);
        if let Some(element) = element {
            self.push(
                Code::Rule,
                Place::xml(format!("{}/{element}[1]", header.xpath), header.line),
                format!("the document has no lines ({element})"),
            );
        }
    }

    /// Maps the header once every line is read.
    fn document(mut self, header: &Group) -> (Option<Document>, Vec<Problem>) {
        let number = self.need_text(header, "cbc:ID", "the document number (cbc:ID)");
        let issued = self.need_date(header, "cbc:IssueDate", "the issue date");
        let [buyer_roles, seller_roles] = roles(self.root);
        let buyer = self.party(header, buyer_roles, "buyer");
        let seller = self.party(header, seller_roles, "seller");
        let order_number = match self.root {
            Root::Order => None,
            _ => self.need_text(header, "cac:OrderReference/cbc:ID", "the order reference"),
        };
        let currency = match self.root {
            Root::Order | Root::OrderChange | Root::OrderResponse => self.currency(header),
            _ => None,
        };
        let response_code = header
            .get("cbc:OrderResponseCode")
            .filter(|n| self.root == Root::OrderResponse && n.value().is_some())
            .filter(|n| {
                !["AP", "RE", "CA", "AB", "29", "27", "4", "30"].contains(&n.text.as_str())
            });
        if let Some(n) = response_code {
            self.push(
                Code::UnknownQualifier,
                n.place(),
                format!(
                    "order response code `{}` is not known (AP, RE, CA or AB; 29, 27, 4 or 30)",
                    n.text
                ),
            );
        }
        self.check_lines(header);
        let (shipped, expected_delivery, packages, received) = match self.root {
            Root::DespatchAdvice => (
                self.date(
                    header,
                    "cac:Shipment/cac:Delivery/cac:Despatch/cbc:ActualDespatchDate",
                    "the despatch date",
                ),
                self.date(
                    header,
                    "cac:Shipment/cac:Delivery/cac:EstimatedDeliveryPeriod/cbc:EndDate",
                    "the estimated delivery date",
                ),
                self.packages(header),
                None,
            ),
            Root::ReceiptAdvice => (
                None,
                None,
                None,
                self.date(
                    header,
                    "cac:Shipment/cac:Delivery/cbc:ActualDeliveryDate",
                    "the delivery date",
                ),
            ),
            _ => (None, None, None, None),
        };
        let document = (|| {
            let (number, issued, buyer, seller) = (number?, issued?, buyer?, seller?);
            Some(match std::mem::replace(&mut self.lines, Lines::None) {
                Lines::Order(lines) => Document::Order(Order {
                    number,
                    issued,
                    buyer,
                    seller,
                    currency: currency?,
                    note: header.joined("cbc:Note"),
                    lines,
                }),
                Lines::Change(lines) => Document::OrderChange(OrderChange {
                    number,
                    order_number: order_number?,
                    issued,
                    buyer,
                    seller,
                    currency: currency?,
                    note: header.joined("cbc:Note"),
                    lines,
                }),
                Lines::Response(lines) => Document::OrderResponse(OrderResponse {
                    number,
                    order_number: order_number?,
                    issued,
                    buyer,
                    seller,
                    currency: currency?,
                    lines,
                }),
                Lines::Despatch(lines) => Document::DespatchAdvice(DespatchAdvice {
                    number,
                    order_number: order_number?,
                    issued,
                    buyer,
                    seller,
                    shipped,
                    expected_delivery,
                    carrier: header.text(
                        "cac:Shipment/cac:Consignment/cac:CarrierParty/cac:PartyName/cbc:Name",
                    ),
                    tracking: header
                        .text("cac:Shipment/cac:Consignment/cbc:CarrierAssignedID")
                        .or_else(|| header.text("cac:Shipment/cac:Delivery/cbc:TrackingID")),
                    packages: packages?,
                    lines,
                }),
                Lines::Receipt(lines) => Document::ReceiptAdvice(ReceiptAdvice {
                    number,
                    order_number: order_number?,
                    despatch_number: header.text("cac:DespatchDocumentReference/cbc:ID"),
                    issued,
                    buyer,
                    seller,
                    received,
                    lines,
                }),
                Lines::None => Document::OrderCancellation(OrderCancellation {
                    number,
                    order_number: order_number?,
                    issued,
                    buyer,
                    seller,
                    reason: header.joined("cbc:CancellationNote"),
                }),
            })
        })();
        (document, self.problems)
    }

    fn packages(&mut self, header: &Group) -> Option<u32> {
        let Some(n) = header
            .get("cac:Shipment/cbc:TotalTransportHandlingUnitQuantity")
            .filter(|n| n.value().is_some())
        else {
            return Some(0);
        };
        let count = n
            .text
            .parse::<Decimal>()
            .ok()
            .and_then(Decimal::to_int)
            .and_then(|v| u32::try_from(v).ok());
        if count.is_none() {
            self.push(
                Code::Invalid,
                n.place(),
                format!("the number of packages `{}` is not a whole number", n.text),
            );
        }
        count
    }
}
