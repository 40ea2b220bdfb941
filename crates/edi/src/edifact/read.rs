//! Reading EDIFACT interchanges into canonical documents.
//!
//! The [`Decoder`] keeps the bytes of at most one unfinished message. It
//! finds where a message ends with a cheap scan for segment terminators,
//! then reads the whole message properly, checks its UNH/UNT control count
//! and reference, and maps it. A message with problems is reported with all
//! of them and reading goes on with the next one; only a fault in the
//! envelope or in the syntax between messages concerns the interchange as a
//! whole.

// A `Problem` is large, but it is built only when input is bad; boxing it
// would cost every caller an allocation on that path for no gain.
#![allow(clippy::result_large_err)]

use std::{borrow::Cow, fmt, ops::Range};

use super::{
    Version,
    syntax::{
        Delimiters, Position, Segment, SyntaxError, next_segment, segment_end, separators,
        service_string_advice,
    },
};
use crate::{
    ChangeAction, ChangeLine, Code, Date, Decimal, DespatchAdvice, DespatchLine, Document,
    Envelope, Item, LineStatus, MessageOutcome, Order, OrderCancellation, OrderChange, OrderLine,
    OrderResponse, Party, Place, Problem, Quantity, Reading, ReceiptAdvice, ReceiptLine,
    ResponseLine,
    rules::{gtin_valid, unit_valid},
    scan::{
        Bounds, Breaks, Buffer, Message, References, Separators, TagSet, code, code_of, codes,
        one_of, read_message, recycle, repeated,
    },
};

/// What the decoder reports while reading.
///
/// A message event is much larger than the others; each event is built
/// once and handed to the callback by value, so boxing it would only add
/// an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The interchange header (UNB) was read.
    Envelope(Envelope),
    /// A message was read, well or not.
    Message(MessageOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Advice,
    Header,
    Body,
    Ended,
    Failed,
}

/// Reads an interchange fed in chunks; see the module documentation.
#[derive(Debug)]
pub struct Decoder {
    input: Buffer,
    delimiters: Delimiters,
    stage: Stage,
    reference: Option<String>,
    segments: usize,
    /// The line UNB starts on.
    header_line: usize,
    messages: usize,
    seen: References,
    problems: Vec<Problem>,
    /// The vector each message's segments are read into, kept empty
    /// between messages so that reading one allocates nothing for them.
    spare: Vec<Segment<'static>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// Reads a whole interchange in memory.
pub fn read(input: &[u8]) -> Reading {
    let mut envelope = None;
    let mut messages = Vec::new();
    let mut decoder = Decoder::new();
    let mut on = |event| match event {
        Event::Envelope(e) => envelope = Some(e),
        Event::Message(m) => messages.push(m),
    };
    decoder.feed(input, &mut on);
    let problems = decoder.finish(&mut on);
    Reading {
        envelope,
        messages,
        problems,
    }
}

/// A message ends with UNT, or where the next message or the trailer starts.
const BOUNDS: Bounds<'static> = Bounds {
    trailer: code("UNT"),
    others: &codes(["UNH", "UNZ"]),
    tag_at: |bytes, from, separators| tag_at(bytes, from, separators).map(code_of),
};

/// The first three bytes of the segment at `from`, after blanks.
fn tag_at(bytes: &[u8], from: usize, _: Separators) -> Option<&[u8]> {
    let start = Breaks::Blanks.skip(bytes, from);
    bytes.get(start..start + 3)
}

impl Decoder {
    /// A decoder waiting for the start of an interchange.
    pub fn new() -> Decoder {
        Decoder {
            input: Buffer::new(Breaks::Blanks),
            delimiters: Delimiters::default(),
            stage: Stage::Advice,
            reference: None,
            segments: 0,
            header_line: 1,
            messages: 0,
            seen: References::default(),
            problems: Vec::new(),
            spare: Vec::new(),
        }
    }

    /// Adds the next bytes of the interchange and reports what they complete.
    pub fn feed(&mut self, chunk: &[u8], on: &mut impl FnMut(Event)) {
        self.input.push(chunk);
        self.run(false, on);
    }

    /// Ends the input; returns the problems of the interchange as a whole
    /// (empty when its envelope and trailer are right).
    pub fn finish(mut self, on: &mut impl FnMut(Event)) -> Vec<Problem> {
        self.run(true, on);
        let rest = self.input.rest_start();
        match self.stage {
            Stage::Advice | Stage::Header if rest.is_none() => self.fail(Problem::new(
                Code::Missing,
                Place::whole(),
                "the interchange is empty: it must start with UNB (after an optional UNA)",
            )),
            Stage::Failed | Stage::Ended => {}
            _ => {
                let position = self.position();
                let problem = if rest.is_some() {
                    Problem::new(
                        Code::Syntax,
                        position.place(None),
                        "the interchange ends inside a segment (no segment terminator)",
                    )
                } else {
                    Problem::new(
                        Code::Missing,
                        position.place(Some("UNZ")),
                        "the interchange ends without its UNZ trailer",
                    )
                };
                self.fail(problem);
            }
        }
        self.problems
    }

    fn fail(&mut self, problem: Problem) {
        self.problems.push(problem);
        self.stage = Stage::Failed;
    }

    fn position(&self) -> Position {
        self.input.position(self.segments)
    }

    /// Reads the one segment that starts at the cursor and ends before
    /// `end` with `with`, and counts it.
    fn take_one<T>(
        &mut self,
        end: usize,
        with: impl FnOnce(Option<Result<Segment<'_>, SyntaxError>>) -> T,
    ) -> T {
        let d = self.delimiters;
        let result = self
            .input
            .take(end, self.segments, separators(d), |scanner| {
                with(next_segment(scanner, d))
            });
        self.segments += 1;
        result
    }

    fn segment_end(&self) -> Option<usize> {
        segment_end(&self.input.bytes, self.input.at, self.delimiters)
    }

    fn run(&mut self, at_end: bool, on: &mut impl FnMut(Event)) {
        loop {
            match self.stage {
                Stage::Ended => {
                    if let Some(start) = self.input.rest_start() {
                        self.input.at = start;
                        let problem = Problem::new(
                            Code::Unexpected,
                            self.position().place(None),
                            "nothing may follow the UNZ trailer",
                        );
                        self.fail(problem);
                    }
                    return;
                }
                Stage::Failed => return,
                Stage::Advice => {
                    let Some(start) = self.input.rest_start() else {
                        return;
                    };
                    if self.input.bytes.len() - start < 9 && !at_end {
                        return;
                    }
                    let at = self.input.at;
                    match service_string_advice(&self.input.bytes[at..]) {
                        Ok((delimiters, skip)) => {
                            self.input.line += self.input.bytes[at..at + skip]
                                .iter()
                                .filter(|&&b| b == b'\n')
                                .count();
                            self.input.at += skip;
                            self.delimiters = delimiters;
                            self.stage = Stage::Header;
                        }
                        Err(e) => {
                            let problem = syntax_problem(&e);
                            self.fail(problem);
                            return;
                        }
                    }
                }
                Stage::Header => {
                    let Some(end) = self.segment_end() else {
                        return;
                    };
                    self.header_line = self.input.line_of_next();
                    let outcome = self.take_one(end, |segment| match segment {
                        Some(Ok(s)) => envelope(&s),
                        Some(Err(e)) => Err(syntax_problem(&e)),
                        None => Err(Problem::new(
                            Code::Missing,
                            Place::whole(),
                            "UNB is missing",
                        )),
                    });
                    match outcome {
                        Ok(envelope) => {
                            self.reference = Some(envelope.reference.clone());
                            self.stage = Stage::Body;
                            on(Event::Envelope(envelope));
                        }
                        Err(problem) => {
                            self.fail(problem);
                            return;
                        }
                    }
                }
                Stage::Body => {
                    let Some(tag) = tag_at(
                        &self.input.bytes,
                        self.input.at,
                        separators(self.delimiters),
                    ) else {
                        return;
                    };
                    match tag {
                        b"UNH" => {
                            let line = self.input.line_of_next();
                            let d = self.delimiters;
                            let mut segments = recycle(std::mem::take(&mut self.spare));
                            let read = read_message(
                                &self.input,
                                separators(d),
                                at_end,
                                &BOUNDS,
                                &mut segments,
                                |scanner| next_segment(scanner, d),
                            );
                            let Some(read) = read else {
                                self.spare = recycle(segments);
                                return;
                            };
                            let (end, next_line, count) = (read.end, read.line, read.count);
                            let outcome = message(&segments, read);
                            self.spare = recycle(segments);
                            self.input.advance(end, next_line);
                            self.segments += count;
                            self.messages += 1;
                            let outcome = self.check_unique(outcome, line);
                            on(Event::Message(outcome));
                        }
                        b"UNZ" => {
                            let Some(end) = self.segment_end() else {
                                return;
                            };
                            let messages = self.messages;
                            let reference = self.reference.clone().unwrap_or_default();
                            let mut problems = self.take_one(end, |segment| match segment {
                                Some(Ok(s)) => trailer(&s, messages)
                                    .into_iter()
                                    .chain(reference_check(&s, &reference))
                                    .collect(),
                                Some(Err(e)) => vec![syntax_problem(&e)],
                                None => Vec::new(),
                            });
                            if messages == 0 {
                                problems.insert(
                                    0,
                                    Problem::new(
                                        Code::Missing,
                                        Place::segment(1, "UNB", self.header_line),
                                        "the interchange holds no message: at least one UNH … UNT belongs between UNB and UNZ",
                                    ),
                                );
                            }
                            self.stage = Stage::Ended;
                            if !problems.is_empty() {
                                self.problems.extend(problems);
                                self.stage = Stage::Failed;
                            }
                        }
                        _ => {
                            let Some(end) = self.segment_end() else {
                                return;
                            };
                            let problem = self.take_one(end, |segment| match segment {
                                Some(Ok(s)) if s.is("UNG") => Problem::new(
                                    Code::Unsupported,
                                    place(&s),
                                    "functional groups (UNG/UNE) are not supported: send the messages directly in the interchange",
                                ),
                                Some(Ok(s)) => Problem::new(
                                    Code::Unexpected,
                                    place(&s),
                                    format!("{} is outside any message: a message starts with UNH", s.tag),
                                ),
                                Some(Err(e)) => syntax_problem(&e),
                                None => Problem::new(Code::Missing, Place::whole(), "a segment is missing"),
                            });
                            self.fail(problem);
                            return;
                        }
                    }
                }
            }
        }
    }

    fn check_unique(&mut self, mut outcome: MessageOutcome, line: usize) -> MessageOutcome {
        if !outcome.reference.is_empty() && !self.seen.insert(&outcome.reference) {
            let problem = Problem::new(
                Code::Duplicate,
                Place::segment(1, "UNH", line).element(1),
                format!(
                    "message reference {} is used twice in this interchange",
                    outcome.reference
                ),
            );
            outcome.reject(problem);
        }
        outcome
    }
}

fn place(segment: &Segment<'_>) -> Place {
    Place::segment(segment.position.segment, segment.tag, segment.position.line)
}

fn syntax_problem(e: &SyntaxError) -> Problem {
    Problem::new(
        Code::Syntax,
        e.position.place(None),
        super::syntax::describe(&e.kind),
    )
}

fn envelope(unb: &Segment<'_>) -> Result<Envelope, Problem> {
    if !unb.is("UNB") {
        return Err(Problem::new(
            Code::Missing,
            place(unb),
            format!("an interchange starts with UNB, not {}", unb.tag),
        ));
    }
    let syntax = unb.get(0, 0).unwrap_or_default();
    if !(syntax.len() == 4 && syntax.starts_with("UNO")) {
        return Err(Problem::new(
            Code::UnknownQualifier,
            place(unb).element(1).component(1),
            format!("`{syntax}` is not a syntax identifier (UNOA to UNOY)"),
        ));
    }
    let field = |e: usize, c: usize, what: &str| {
        unb.get(e, c).map(Cow::into_owned).ok_or_else(|| {
            Problem::new(
                Code::Missing,
                place(unb).element(e + 1).component(c + 1),
                format!("UNB has no {what}"),
            )
        })
    };
    let sender = field(1, 0, "sender identification")?;
    let recipient = field(2, 0, "recipient identification")?;
    let reference = field(4, 0, "interchange control reference")?;
    // S004 0017 is YYMMDD up to syntax version 3 and CCYYMMDD from
    // version 4; either form is read whatever version UNB declares, since
    // the date is not checked against anything.
    let prepared = unb.get(3, 0).and_then(|d| match d.len() {
        6 => Date::from_yymmdd(&d),
        _ => Date::from_ccyymmdd(&d),
    });
    Ok(Envelope {
        sender,
        recipient,
        reference,
        prepared,
        time: unb.get(3, 1).map(Cow::into_owned),
        group: None,
        groups: Vec::new(),
    })
}

/// UNZ: its count of messages against `messages`.
fn trailer(unz: &Segment<'_>, messages: usize) -> Option<Problem> {
    let count = unz.get(0, 0).and_then(|c| c.parse::<usize>().ok());
    (count != Some(messages)).then(|| {
        Problem::new(
            Code::CountMismatch,
            place(unz).element(1),
            format!(
                "UNZ counts {} messages but the interchange holds {messages}",
                unz.get(0, 0).unwrap_or_default()
            ),
        )
    })
}

fn reference_check(unz: &Segment<'_>, reference: &str) -> Option<Problem> {
    let found = unz.get(1, 0).unwrap_or_default();
    (found != reference).then(|| {
        Problem::new(
            Code::ReferenceMismatch,
            place(unz).element(2),
            format!("UNZ names interchange `{found}` but UNB named `{reference}`"),
        )
    })
}

/// Maps one message (UNH up to UNT) as read.
fn message(all: &[Segment<'_>], read: Message<SyntaxError>) -> MessageOutcome {
    let Message {
        error, has_trailer, ..
    } = read;
    let syntax = error.map(|e| syntax_problem(&e));
    let unh = all.first();
    let reference = unh
        .and_then(|s| s.get(0, 0))
        .map(Cow::into_owned)
        .unwrap_or_default();
    let message_type = unh
        .and_then(|s| s.get(1, 0))
        .map(Cow::into_owned)
        .unwrap_or_default();
    let parts = unh.map(|s| (s.get(1, 1), s.get(1, 2), s.get(1, 3)));
    let version = match &parts {
        Some((Some(v), Some(release), Some(agency))) if v == "D" && agency == "UN" => {
            Version::from_release(release)
        }
        _ => None,
    };
    let identifier: Cow<'static, str> = match (version, &parts) {
        (Some(v), _) => Cow::Borrowed(v.identifier()),
        (None, Some((v, release, agency)))
            if v.is_some() || release.is_some() || agency.is_some() =>
        {
            Cow::Owned(
                [v, release, agency]
                    .map(|c| c.as_deref().unwrap_or_default().replace(':', "?"))
                    .join(":"),
            )
        }
        _ => Cow::Borrowed(""),
    };
    let header = unh.map(place).unwrap_or_default();
    let fail = |problems| MessageOutcome {
        reference: reference.clone(),
        message_type: message_type.clone(),
        version: identifier.clone(),
        place: header.clone(),
        result: Err(problems),
    };
    if let Some(problem) = syntax {
        return fail(vec![problem]);
    }
    let Some(unh) = unh else {
        return fail(vec![Problem::new(
            Code::Missing,
            Place::whole(),
            "the message is empty",
        )]);
    };
    let mut m = Mapper {
        problems: Vec::new(),
        numbers: Vec::new(),
        group_start: 0,
    };
    if reference.is_empty() {
        m.missing(unh, 0, 0, "the message reference number");
    }
    let Some(version) = version else {
        m.problems.push(Problem::new(
            Code::Unsupported,
            place(unh).element(2),
            format!(
                "message {}:{}:{}:{} is not supported: this interchange partner sends D:96A:UN or D:01B:UN",
                message_type,
                unh.get(1, 1).unwrap_or_default(),
                unh.get(1, 2).unwrap_or_default(),
                unh.get(1, 3).unwrap_or_default()
            ),
        ));
        return fail(m.problems);
    };
    let body_end = if has_trailer {
        let unt = &all[all.len() - 1];
        let counted = unt.get(0, 0).and_then(|c| c.parse::<usize>().ok());
        if counted != Some(all.len()) {
            m.problems.push(Problem::new(
                Code::CountMismatch,
                place(unt).element(1),
                format!(
                    "UNT counts {} segments but the message has {}",
                    unt.get(0, 0).unwrap_or_default(),
                    all.len()
                ),
            ));
        }
        if unt.get(1, 0).as_deref() != Some(reference.as_str()) {
            m.problems.push(Problem::new(
                Code::ReferenceMismatch,
                place(unt).element(2),
                format!(
                    "UNT names message `{}` but UNH named `{reference}`",
                    unt.get(1, 0).unwrap_or_default()
                ),
            ));
        }
        all.len() - 1
    } else {
        let last = &all[all.len() - 1];
        m.problems.push(Problem::new(
            Code::Missing,
            place(last),
            "the message ends without UNT",
        ));
        all.len()
    };
    let body = &all[1..body_end];
    let document = match message_type.as_str() {
        "ORDERS" => m.orders(body, version).map(Document::Order),
        "ORDCHG" => m.ordchg(body, version),
        "ORDRSP" => m.ordrsp(body, version).map(Document::OrderResponse),
        "DESADV" => m.desadv(body, version).map(Document::DespatchAdvice),
        "RECADV" => m.recadv(body, version).map(Document::ReceiptAdvice),
        other => {
            m.problems.push(Problem::new(
                Code::Unsupported,
                place(unh).element(2).component(1),
                format!("message type `{other}` is not supported (ORDERS, ORDCHG, ORDRSP, DESADV, RECADV)"),
            ));
            None
        }
    };
    let result = match document {
        Some(d) if m.problems.is_empty() => Ok(d),
        _ => Err(m.problems),
    };
    MessageOutcome {
        reference,
        message_type,
        version: identifier,
        place: header,
        result,
    }
}

/// The longest party name NAD can carry: five components of 35 characters.
pub const MAX_PARTY_NAME: usize = 175;

/// The most data elements the segments the mapper reads may have, the
/// same in D.96A and D.01B: BGM (C002, 1004/C106, 1225, 4343), DTM (C507),
/// NAD (3035, C082, C058, C080, C059, 3164, 3229/C819, 3251, 3207), LIN
/// (1082, 1229, C212, C829, 1222, 7083), PIA (4347, C212 five times), QTY
/// (C186), PRI (C509, 5213).
const LIMITS: [(u32, u32); 7] = [
    (code("BGM"), 4),
    (code("DTM"), 1),
    (code("NAD"), 9),
    (code("LIN"), 6),
    (code("PIA"), 6),
    (code("QTY"), 1),
    (code("PRI"), 2),
];

/// The tags each message may carry (beyond UNH/UNT), with the [`LIMITS`]
/// of those the mapper reads; anything else is refused.
const ALLOWED: &[(&str, TagSet)] = &[
    (
        "ORDERS",
        TagSet::new(&codes([
            "BGM", "DTM", "PAI", "ALI", "FTX", "RFF", "NAD", "CTA", "COM", "TAX", "CUX", "PAT",
            "TOD", "TDT", "LOC", "LIN", "PIA", "IMD", "MEA", "QTY", "PRI", "MOA", "ALC", "UNS",
            "CNT",
        ]))
        .with_limits(&LIMITS),
    ),
    (
        "ORDCHG",
        TagSet::new(&codes([
            "BGM", "DTM", "PAI", "ALI", "FTX", "RFF", "NAD", "CTA", "COM", "TAX", "CUX", "LOC",
            "LIN", "PIA", "IMD", "QTY", "PRI", "MOA", "UNS", "CNT",
        ]))
        .with_limits(&LIMITS),
    ),
    (
        "ORDRSP",
        TagSet::new(&codes([
            "BGM", "DTM", "FTX", "RFF", "NAD", "CTA", "COM", "TAX", "CUX", "LOC", "LIN", "PIA",
            "IMD", "QTY", "PRI", "MOA", "UNS", "CNT",
        ]))
        .with_limits(&LIMITS),
    ),
    (
        "DESADV",
        TagSet::new(&codes([
            "BGM", "DTM", "RFF", "NAD", "CTA", "COM", "TOD", "TDT", "LOC", "EQD", "CPS", "PAC",
            "PCI", "GIN", "MEA", "LIN", "PIA", "IMD", "QTY", "FTX", "CNT",
        ]))
        .with_limits(&LIMITS),
    ),
    (
        "RECADV",
        TagSet::new(&codes([
            "BGM", "DTM", "RFF", "NAD", "CTA", "COM", "TDT", "LOC", "CPS", "PAC", "LIN", "PIA",
            "IMD", "QTY", "QVR", "FTX", "CNT",
        ]))
        .with_limits(&LIMITS),
    ),
];

const LIN: u32 = code("LIN");
const UNS: u32 = code("UNS");
const CNT: u32 = code("CNT");
const F102: u32 = code("102");
const F203: u32 = code("203");
const PIA: u32 = code("PIA");
const IMD: u32 = code("IMD");
// Item number types (7143).
const EN: u32 = code("EN");
const SRV: u32 = code("SRV");
const UP: u32 = code("UP");
const SA: u32 = code("SA");
const BP: u32 = code("BP");
const IN: u32 = code("IN");

/// A message split into the segments before the first LIN, one range per
/// line (LIN up to the next LIN or UNS), and the rest.
struct Parts<'s, 'a> {
    header: &'s [Segment<'a>],
    lines: Vec<Range<usize>>,
    body: &'s [Segment<'a>],
}

fn first<'s, 'a>(
    segments: &'s [Segment<'a>],
    tag: &str,
    qualifier: &str,
) -> Option<&'s Segment<'a>> {
    first_with::<1>(segments, tag, &[qualifier]).map(|(s, _)| s)
}

/// The first of `segments` tagged `tag` whose qualifier (the first
/// component of the first element) is one of `qualifiers`, with the first
/// `N` components of that element: a mapper that needs the qualifier and
/// the values beside it (QTY, DTM) splits the element once, not twice.
fn first_with<'s, 'a, const N: usize>(
    segments: &'s [Segment<'a>],
    tag: &str,
    qualifiers: &[&str],
) -> Option<(&'s Segment<'a>, [Option<Cow<'a, str>>; N])> {
    let tag = code(tag);
    segments.iter().filter(|s| s.key() == tag).find_map(|s| {
        let parts = s.components::<N>(0);
        let qualifier = parts.first()?.as_deref()?;
        one_of(qualifier, qualifiers).then_some((s, parts))
    })
}

/// The qualifiers (first component of the first element) that this reader
/// knows per segment tag: those it reads, and those partners commonly send
/// (EANCOM) that it reads past. When a segment the message needs is
/// missing, a segment of that tag with a qualifier outside this list is
/// named as the likely culprit ([`Code::UnknownQualifier`]) instead of
/// reporting the segment missing.
const KNOWN_QUALIFIERS: &[(&str, &[&str])] = &[
    (
        "QTY",
        &[
            "21", "113", "12", "48", "124", "1", "46", "47", "52", "59", "61", "131", "170", "192",
            "194", "195",
        ],
    ),
    (
        "DTM",
        &[
            "137", "2", "69", "11", "17", "50", "4", "10", "35", "63", "64", "132", "133", "171",
            "191", "200", "318", "358", "361",
        ],
    ),
    (
        "NAD",
        &[
            "BY", "SU", "DP", "IV", "SE", "ST", "UC", "CN", "CZ", "CA", "DL", "FW", "II", "MF",
            "OB", "PE", "PR", "SF", "UD",
        ],
    ),
    (
        "RFF",
        &[
            "ON", "AAK", "CN", "CT", "VN", "DQ", "PL", "PD", "AAU", "ACD", "IV", "AAN", "ALO",
            "CR", "API", "IT",
        ],
    ),
];

/// Item number types (7143) this reader reads in LIN and PIA.
const ITEM_TYPES: &[&str] = &["EN", "SRV", "UP", "SA", "BP", "IN"];

/// The first of `segments` tagged `tag` whose qualifier this reader does
/// not know, with that qualifier.
fn unknown_qualifier<'s, 'a>(
    segments: &'s [Segment<'a>],
    tag: &str,
) -> Option<(&'s Segment<'a>, Cow<'a, str>)> {
    let known = KNOWN_QUALIFIERS
        .iter()
        .find(|(t, _)| *t == tag)
        .map_or(&[][..], |(_, known)| *known);
    let key = code(tag);
    segments.iter().filter(|s| s.key() == key).find_map(|s| {
        let qualifier = s.get(0, 0)?;
        (!one_of(&qualifier, known)).then_some((s, qualifier))
    })
}

struct Mapper {
    problems: Vec<Problem>,
    /// The line numbers read so far, with the index of their LIN in the
    /// message body, for the check that no number is used twice.
    numbers: Vec<(u32, usize)>,
    /// The index of the LIN of the line group being read.
    group_start: usize,
}

impl Mapper {
    fn missing(&mut self, s: &Segment<'_>, e: usize, c: usize, what: &str) {
        self.problems.push(Problem::new(
            Code::Missing,
            place(s).element(e + 1).component(c + 1),
            format!("{} has no {what}", s.tag),
        ));
    }

    /// Reports `s`, which does not fit a message of `message_type` whose
    /// tag set gives it `bound` ([`TagSet::bound`]): not part of the
    /// message at all, or with more data elements than it may have.
    #[cold]
    #[inline(never)]
    fn refuse(&mut self, s: &Segment<'_>, bound: u32, message_type: &str) {
        let problem = if bound == 0 {
            Problem::new(
                Code::Unexpected,
                place(s),
                format!("segment {} is not part of a {message_type} message", s.tag),
            )
        } else {
            let limit = bound - 1;
            Problem::new(
                Code::TooMany,
                place(s).element(limit as usize + 1),
                format!(
                    "{} has {} data elements, but the segment defines {limit}",
                    s.tag,
                    s.element_count()
                ),
            )
        };
        self.problems.push(problem);
    }

    fn need<'a>(
        &mut self,
        s: &Segment<'a>,
        e: usize,
        c: usize,
        what: &str,
    ) -> Option<Cow<'a, str>> {
        let value = s.get(e, c);
        if value.is_none() {
            self.missing(s, e, c, what);
        }
        value
    }

    fn need_segment<'s, 'a>(
        &mut self,
        at: &Segment<'_>,
        found: Option<&'s Segment<'a>>,
        tag: &str,
        what: impl fmt::Display,
    ) -> Option<&'s Segment<'a>> {
        if found.is_none() {
            self.problems.push(Problem::new(
                Code::Missing,
                place(at),
                format!("the {tag} segment with {what} is missing"),
            ));
        }
        found
    }

    /// [`need_segment`](Self::need_segment) for a segment found by its
    /// qualifier, one of `qualifiers`, among `segments`: when it is missing
    /// but a segment of that tag has a qualifier this reader does not
    /// know, that qualifier is the problem, at its segment.
    fn need_qualified<'s, 'a>(
        &mut self,
        at: &Segment<'_>,
        found: Option<&'s Segment<'a>>,
        segments: &[Segment<'_>],
        tag: &str,
        qualifiers: &[&str],
        what: &str,
    ) -> Option<&'s Segment<'a>> {
        if found.is_some() {
            return found;
        }
        if let Some((other, qualifier)) = unknown_qualifier(segments, tag) {
            self.problems.push(Problem::new(
                Code::UnknownQualifier,
                place(other).element(1).component(1),
                format!(
                    "{tag} qualifier `{}` is not known here: the {tag} segment with qualifier {} ({what}) is expected",
                    crate::problem::shown(&qualifier),
                    qualifiers.join(" or ")
                ),
            ));
            return None;
        }
        self.need_segment(
            at,
            found,
            tag,
            format_args!("qualifier {} ({what})", qualifiers[0]),
        )
    }

    /// A number: `value`, component `c` of element `e` of `s` (read
    /// already, with its siblings), with `.` or `,` as decimal mark.
    fn decimal_of(
        &mut self,
        s: &Segment<'_>,
        e: usize,
        c: usize,
        what: &str,
        value: Option<Cow<'_, str>>,
    ) -> Option<Decimal> {
        let Some(text) = value else {
            self.missing(s, e, c, what);
            return None;
        };
        match Decimal::parse_point_or_comma(&text) {
            Ok(d) => Some(d),
            Err(err) => {
                self.problems.push(Problem::new(
                    Code::Invalid,
                    place(s).element(e + 1).component(c + 1),
                    format!("{what} `{text}`: {err}"),
                ));
                None
            }
        }
    }

    fn count(&mut self, s: &Segment<'_>, e: usize, c: usize, what: &str) -> Option<u32> {
        let text = self.need(s, e, c, what)?;
        match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.problems.push(Problem::new(
                    Code::Invalid,
                    place(s).element(e + 1).component(c + 1),
                    format!("{what} `{text}` is not a whole number"),
                ));
                None
            }
        }
    }

    /// A DTM segment's date (formats 102 `CCYYMMDD` and 203 `CCYYMMDDHHMM`).
    fn date(&mut self, s: &Segment<'_>) -> Option<Date> {
        self.date_from(s, s.components(0))
    }

    /// [`date`](Self::date) of element 1's components, read already.
    fn date_from(&mut self, s: &Segment<'_>, parts: [Option<Cow<'_, str>>; 3]) -> Option<Date> {
        let [_, text, format] = parts;
        let Some(text) = text else {
            self.missing(s, 0, 1, "date");
            return None;
        };
        let date = match format.as_deref().map(|f| (code(f), f)) {
            None => Date::from_ccyymmdd(&text),
            Some((F102, _)) => Date::from_ccyymmdd(&text),
            Some((F203, _)) if text.len() == 12 => Date::from_ccyymmdd(&text[..8]),
            Some((_, other)) => {
                self.problems.push(Problem::new(
                    Code::UnknownQualifier,
                    place(s).element(1).component(3),
                    format!("date format `{other}` is not supported (102 or 203)"),
                ));
                return None;
            }
        };
        if date.is_none() {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(s).element(1).component(2),
                format!("`{text}` is not a date in the stated format"),
            ));
        }
        date
    }

    fn split<'s, 'a>(&mut self, body: &'s [Segment<'a>], message_type: &str) -> Parts<'s, 'a> {
        let allowed = ALLOWED
            .iter()
            .find(|(t, _)| *t == message_type)
            .map(|(_, tags)| tags);
        // A line group takes at least two segments (LIN and QTY), usually
        // four or five: sized once instead of grown by doubling.
        let mut lines = Vec::with_capacity(body.len() / 4 + 1);
        let mut header_end = body.len();
        let mut open: Option<usize> = None;
        for (i, s) in body.iter().enumerate() {
            let bound = allowed.map_or(0, |tags| tags.bound(s.key()));
            if s.element_count() >= bound as usize {
                self.refuse(s, bound, message_type);
            }
            match s.key() {
                LIN => {
                    if let Some(start) = open.take() {
                        lines.push(start..i);
                    }
                    header_end = header_end.min(i);
                    open = Some(i);
                }
                UNS | CNT => {
                    if let Some(start) = open.take() {
                        lines.push(start..i);
                    }
                }
                _ => {}
            }
        }
        if let Some(start) = open {
            lines.push(start..body.len());
        }
        Parts {
            header: &body[..header_end],
            lines,
            body,
        }
    }

    /// Checks BGM's document code and returns (number, message function).
    fn bgm<'a>(
        &mut self,
        at: &Segment<'_>,
        header: &[Segment<'a>],
        codes: &[&str],
    ) -> Option<(String, Option<Cow<'a, str>>)> {
        let bgm = header.iter().find(|s| s.is("BGM"));
        let bgm = self.need_segment(at, bgm, "BGM", "the document code and number")?;
        let code = self.need(bgm, 0, 0, "document name code")?;
        if !one_of(&code, codes) {
            self.problems.push(Problem::new(
                Code::UnknownQualifier,
                place(bgm).element(1).component(1),
                format!(
                    "document name code `{code}` does not belong here (expected {})",
                    codes.join(" or ")
                ),
            ));
        }
        let number = self.need(bgm, 1, 0, "document number")?.into_owned();
        Some((number, bgm.get(2, 0)))
    }

    fn issued(&mut self, at: &Segment<'_>, header: &[Segment<'_>]) -> Option<Date> {
        let dtm = first(header, "DTM", "137");
        let dtm = self.need_qualified(at, dtm, header, "DTM", &["137"], "document date")?;
        self.date(dtm)
    }

    fn party(
        &mut self,
        at: &Segment<'_>,
        header: &[Segment<'_>],
        qualifier: &str,
        who: &str,
    ) -> Option<Party> {
        let nad = first(header, "NAD", qualifier);
        let nad = self.need_qualified(at, nad, header, "NAD", &[qualifier], who)?;
        let id = self.need(nad, 1, 0, "party identification")?.into_owned();
        let name = nad.text(3);
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_PARTY_NAME)
        {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(nad).element(4),
                format!(
                    "a party name has at most {MAX_PARTY_NAME} characters (five components of 35)"
                ),
            ));
        }
        Some(Party { id, name })
    }

    fn reference(
        &mut self,
        at: &Segment<'_>,
        header: &[Segment<'_>],
        qualifier: &str,
        what: &str,
    ) -> Option<String> {
        let rff = first(header, "RFF", qualifier);
        let rff = self.need_qualified(at, rff, header, "RFF", &[qualifier], what)?;
        self.need(rff, 0, 1, what).map(Cow::into_owned)
    }

    fn currency(&mut self, at: &Segment<'_>, header: &[Segment<'_>]) -> Option<String> {
        let cux = header.iter().find(|s| s.is("CUX"));
        let cux = self.need_segment(at, cux, "CUX", "the currency")?;
        let code = self.need(cux, 0, 1, "currency code")?;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(cux).element(1).component(2),
                format!("`{code}` is not an ISO 4217 currency code"),
            ));
        }
        Some(code.into_owned())
    }

    /// The item of a line group: LIN's item number and every PIA.
    fn item(&mut self, group: &[Segment<'_>], version: Version) -> Item {
        let mut item = Item::default();
        let lin = &group[0];
        if let [Some(code), kind] = lin.components(2) {
            let kind = kind.unwrap_or(Cow::Borrowed(version.gtin_type()));
            self.item_code(&mut item, code, &kind, lin, 2);
        }
        for s in &group[1..] {
            match s.key() {
                // Elements 2 to 6 (PIA02–PIA06) name items; those past the
                // segment's last element are absent.
                PIA => {
                    for e in 1..=s.element_count().saturating_sub(1).min(5) {
                        if let [Some(code), Some(kind)] = s.components(e) {
                            self.item_code(&mut item, code, &kind, s, e);
                        }
                    }
                }
                IMD if item.description.is_none() => {
                    item.description = s.get(2, 3).map(Cow::into_owned);
                }
                _ => {}
            }
        }
        if !item.is_identified() {
            self.no_item(group, lin);
        }
        item
    }

    /// Reports a line group that names no item: at the first item number
    /// of a type this reader does not know (LIN element 3, PIA elements 2
    /// to 6), or as missing at LIN.
    #[cold]
    fn no_item(&mut self, group: &[Segment<'_>], lin: &Segment<'_>) {
        let unknown = std::iter::once((lin, 2))
            .chain(
                group[1..]
                    .iter()
                    .filter(|s| s.key() == PIA)
                    .flat_map(|s| (1..s.element_count().min(6)).map(move |e| (s, e))),
            )
            .find_map(|(s, e)| match s.components::<2>(e) {
                [Some(_), Some(kind)] if !one_of(&kind, ITEM_TYPES) => Some((s, e, kind)),
                _ => None,
            });
        match unknown {
            Some((s, e, kind)) => self.problems.push(Problem::new(
                Code::UnknownQualifier,
                place(s).element(e + 1).component(2),
                format!(
                    "item number type `{}` is not known here: the line names its item by EN or SRV (GTIN), UP, SA (seller's code), BP or IN (buyer's code)",
                    crate::problem::shown(&kind)
                ),
            )),
            None => self.problems.push(Problem::new(
                Code::Missing,
                place(lin).element(3),
                "the line names no item: give a GTIN in LIN or a buyer's or seller's code in PIA",
            )),
        }
    }

    /// Puts an item code of type `kind` (7143: EN/SRV/UP a GTIN, SA the
    /// seller's, BP/IN the buyer's) from element `e` of `s` into `item`;
    /// other types are not kept.
    fn item_code(
        &mut self,
        item: &mut Item,
        value: Cow<'_, str>,
        kind: &str,
        s: &Segment<'_>,
        e: usize,
    ) {
        let slot = match code(kind) {
            EN | SRV | UP => {
                if !gtin_valid(&value) {
                    self.problems.push(Problem::new(
                        Code::Invalid,
                        place(s).element(e + 1).component(1),
                        format!(
                            "`{value}` is not a GTIN (8, 12, 13 or 14 digits with a valid check digit)"
                        ),
                    ));
                }
                &mut item.gtin
            }
            SA => &mut item.seller_code,
            BP | IN => &mut item.buyer_code,
            _ => return,
        };
        *slot = Some(value.into_owned());
    }

    /// The number of the line group being read (its LIN), noted for
    /// [`check_lines`](Self::check_lines).
    fn line_number(&mut self, lin: &Segment<'_>) -> Option<u32> {
        let number = self.count(lin, 0, 0, "line item number");
        if let Some(n) = number {
            self.numbers.push((n, self.group_start));
        }
        number
    }

    fn quantity(
        &mut self,
        at: &Segment<'_>,
        group: &[Segment<'_>],
        qualifiers: &[&str],
        what: &str,
    ) -> Option<Quantity> {
        let found = first_with(group, "QTY", qualifiers);
        let qty = self.need_qualified(
            at,
            found.as_ref().map(|(qty, _)| *qty),
            group,
            "QTY",
            qualifiers,
            what,
        )?;
        let (_, parts) = found?;
        self.quantity_from(qty, parts, what)
    }

    fn quantity_of(&mut self, qty: &Segment<'_>, what: &str) -> Option<Quantity> {
        self.quantity_from(qty, qty.components(0), what)
    }

    /// [`quantity_of`](Self::quantity_of) of QTY's first element, split already.
    fn quantity_from(
        &mut self,
        qty: &Segment<'_>,
        parts: [Option<Cow<'_, str>>; 3],
        what: &str,
    ) -> Option<Quantity> {
        let [_, value, unit] = parts;
        let value = self.decimal_of(qty, 0, 1, what, value)?;
        if value.is_negative() {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(qty).element(1).component(2),
                format!("{what} may not be negative"),
            ));
        }
        let unit = unit.map_or_else(|| "H87".to_string(), Cow::into_owned);
        if !unit_valid(&unit) {
            self.problems.push(Problem::new(
                Code::UnknownQualifier,
                place(qty).element(1).component(3),
                format!("`{unit}` is not a UN/ECE Recommendation 20 unit code"),
            ));
        }
        Some(Quantity { value, unit })
    }

    fn price(&mut self, group: &[Segment<'_>]) -> Option<Decimal> {
        let pri = group.iter().find(|s| s.is("PRI"))?;
        let [qualifier, value] = pri.components(0);
        match qualifier.as_deref() {
            Some(q) if one_of(q, &["AAA", "AAB"]) => self.decimal_of(pri, 0, 1, "price", value),
            other => {
                self.problems.push(Problem::new(
                    Code::UnknownQualifier,
                    place(pri).element(1).component(1),
                    format!(
                        "price qualifier `{}` is not supported (AAA net, AAB gross)",
                        other.unwrap_or_default()
                    ),
                ));
                None
            }
        }
    }

    /// The date of the first DTM of `segments` with `qualifier`, if any.
    fn dated(&mut self, segments: &[Segment<'_>], qualifier: &str) -> Option<Date> {
        let (dtm, parts) = first_with(segments, "DTM", &[qualifier])?;
        self.date_from(dtm, parts)
    }

    fn line_text(
        group: &[Segment<'_>],
        tag: &str,
        qualifier: &str,
        element: usize,
    ) -> Option<String> {
        first(group, tag, qualifier).and_then(|s| s.text(element))
    }

    /// Checks the line groups read with [`lines`](Self::lines): there is
    /// one, no number is used twice, and CNT counts them.
    fn check_lines(&mut self, at: &Segment<'_>, parts: &Parts<'_, '_>) {
        if parts.lines.is_empty() {
            self.problems.push(Problem::new(
                Code::Missing,
                place(at),
                "the message has no line items (LIN)",
            ));
        }
        let numbers = std::mem::take(&mut self.numbers);
        for (number, index) in repeated(&numbers) {
            let lin = &parts.body[index];
            self.problems.push(Problem::new(
                Code::Rule,
                place(lin).element(1),
                format!("line number {number} is used twice"),
            ));
        }
        if let Some(cnt) = first(parts.body, "CNT", "2") {
            let counted = cnt
                .get(0, 1)
                .and_then(|c| Decimal::parse_point_or_comma(&c).ok());
            if counted != Some(Decimal::from_int(parts.lines.len() as i64)) {
                self.problems.push(Problem::new(
                    Code::CountMismatch,
                    place(cnt).element(1).component(2),
                    format!(
                        "CNT counts {} line items but the message has {}",
                        cnt.get(0, 1).unwrap_or_default(),
                        parts.lines.len()
                    ),
                ));
            }
        }
    }

    fn order_line(&mut self, group: &[Segment<'_>], version: Version) -> Option<OrderLine> {
        let lin = &group[0];
        let line = self.line_number(lin);
        let item = self.item(group, version);
        let quantity = self.quantity(lin, group, &["21"], "ordered quantity");
        let unit_price = self.price(group);
        let requested_delivery = self.dated(group, "2");
        let delivery_site = first(group, "LOC", "7")
            .and_then(|s| s.get(1, 0))
            .map(Cow::into_owned);
        Some(OrderLine {
            line: line?,
            item,
            quantity: quantity?,
            unit_price,
            requested_delivery,
            delivery_site,
        })
    }

    fn lines<T>(
        &mut self,
        parts: &Parts<'_, '_>,
        mut each: impl FnMut(&mut Mapper, &[Segment<'_>]) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(parts.lines.len());
        self.numbers.clear();
        self.numbers.reserve(parts.lines.len());
        for range in &parts.lines {
            self.group_start = range.start;
            if let Some(line) = each(self, &parts.body[range.clone()]) {
                out.push(line);
            }
        }
        out
    }

    fn orders(&mut self, body: &[Segment<'_>], version: Version) -> Option<Order> {
        let at = body.first()?;
        let parts = self.split(body, "ORDERS");
        let bgm = self.bgm(at, parts.header, &["220"]);
        let issued = self.issued(at, parts.header);
        let buyer = self.party(at, parts.header, "BY", "buyer");
        let seller = self.party(at, parts.header, "SU", "supplier");
        let currency = self.currency(at, parts.header);
        let note = Mapper::line_text(parts.header, "FTX", "AAI", 3);
        let lines = self.lines(&parts, |m, g| m.order_line(g, version));
        self.check_lines(at, &parts);
        Some(Order {
            number: bgm?.0,
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            currency: currency?,
            note,
            lines,
        })
    }

    fn ordchg(&mut self, body: &[Segment<'_>], version: Version) -> Option<Document> {
        let at = body.first()?;
        let parts = self.split(body, "ORDCHG");
        let (number, function) = self.bgm(at, parts.header, &["230"])?;
        let issued = self.issued(at, parts.header);
        let buyer = self.party(at, parts.header, "BY", "buyer");
        let seller = self.party(at, parts.header, "SU", "supplier");
        let order_number = self.reference(at, parts.header, "ON", "order number");
        if function.as_deref() == Some("1") {
            if let Some(lin) = parts.lines.first() {
                self.problems.push(Problem::new(
                    Code::Unexpected,
                    place(&parts.body[lin.start]),
                    "a cancellation (BGM message function 1) carries no lines",
                ));
            }
            return Some(Document::OrderCancellation(OrderCancellation {
                number,
                order_number: order_number?,
                issued: issued?,
                buyer: buyer?,
                seller: seller?,
                reason: Mapper::line_text(parts.header, "FTX", "ACD", 3),
            }));
        }
        let currency = self.currency(at, parts.header);
        let note = Mapper::line_text(parts.header, "FTX", "AAI", 3);
        let lines = self.lines(&parts, |m, g| {
            let lin = &g[0];
            let action =
                match lin.get(1, 0).as_deref() {
                    Some("1") => Some(ChangeAction::Added),
                    Some("2") => Some(ChangeAction::Deleted),
                    Some("3") => Some(ChangeAction::Changed),
                    other => {
                        m.problems.push(Problem::new(
                        if other.is_some() { Code::UnknownQualifier } else { Code::Missing },
                        place(lin).element(2),
                        "an order change line needs action 1 (added), 2 (deleted) or 3 (changed)",
                    ));
                        None
                    }
                };
            let line = m.order_line(g, version);
            Some(ChangeLine {
                action: action?,
                line: line?,
            })
        });
        self.check_lines(at, &parts);
        Some(Document::OrderChange(OrderChange {
            number,
            order_number: order_number?,
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            currency: currency?,
            note,
            lines,
        }))
    }

    fn ordrsp(&mut self, body: &[Segment<'_>], version: Version) -> Option<OrderResponse> {
        let at = body.first()?;
        let parts = self.split(body, "ORDRSP");
        let bgm = self.bgm(at, parts.header, &["231"]);
        let issued = self.issued(at, parts.header);
        let buyer = self.party(at, parts.header, "BY", "buyer");
        let seller = self.party(at, parts.header, "SU", "supplier");
        let order_number = self.reference(at, parts.header, "ON", "order number");
        let currency = self.currency(at, parts.header);
        let lines = self.lines(&parts, |m, g| {
            let lin = &g[0];
            let line = m.line_number(lin);
            let status = match lin.get(1, 0).as_deref() {
                Some("5") => Some(LineStatus::Accepted),
                Some("3" | "6") => Some(LineStatus::Changed),
                Some("7") => Some(LineStatus::Rejected),
                other => {
                    m.problems.push(Problem::new(
                        if other.is_some() { Code::UnknownQualifier } else { Code::Missing },
                        place(lin).element(2),
                        "a response line needs action 5 (accepted), 3 or 6 (changed) or 7 (not accepted)",
                    ));
                    None
                }
            };
            let item = m.item(g, version);
            let quantity = g
                .iter()
                .find(|s| s.is("QTY") && s.get(0, 0).is_some_and(|q| q == "113" || q == "21"))
                .and_then(|q| m.quantity_of(q, "confirmed quantity"));
            let status = status?;
            if status != LineStatus::Rejected && quantity.is_none() {
                m.problems.push(Problem::new(
                    Code::Missing,
                    place(lin),
                    "an accepted or changed line needs QTY 113 (quantity to be delivered)",
                ));
            }
            Some(ResponseLine {
                line: line?,
                status,
                item,
                quantity,
                unit_price: m.price(g),
                confirmed_delivery: m.dated(g, "69"),
                reason: Mapper::line_text(g, "FTX", "ACD", 3),
            })
        });
        self.check_lines(at, &parts);
        Some(OrderResponse {
            number: bgm?.0,
            order_number: order_number?,
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            currency: currency?,
            lines,
        })
    }

    fn desadv(&mut self, body: &[Segment<'_>], version: Version) -> Option<DespatchAdvice> {
        let at = body.first()?;
        let parts = self.split(body, "DESADV");
        let bgm = self.bgm(at, parts.header, &["351"]);
        let issued = self.issued(at, parts.header);
        let buyer = self.party(at, parts.header, "BY", "buyer");
        let seller = self.party(at, parts.header, "SU", "supplier");
        let order_number = self.reference(at, parts.header, "ON", "order number");
        let shipped = self.dated(parts.header, "11");
        let expected_delivery = self.dated(parts.header, "17");
        let carrier = parts
            .header
            .iter()
            .find(|s| s.is("TDT"))
            .and_then(|s| s.get(4, 3))
            .map(Cow::into_owned);
        let tracking = first(parts.header, "RFF", "CN")
            .and_then(|s| s.get(0, 1))
            .map(Cow::into_owned);
        let mut packages = 0u32;
        for pac in parts.body.iter().filter(|s| s.is("PAC")) {
            if let Some(n) = self.count(pac, 0, 0, "number of packages") {
                packages = packages.saturating_add(n);
            }
        }
        let lines = self.lines(&parts, |m, g| {
            let lin = &g[0];
            let line = m.line_number(lin);
            let item = m.item(g, version);
            let quantity = m.quantity(lin, g, &["12"], "despatched quantity");
            Some(DespatchLine {
                line: line?,
                item,
                quantity: quantity?,
            })
        });
        self.check_lines(at, &parts);
        Some(DespatchAdvice {
            number: bgm?.0,
            order_number: order_number?,
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            shipped,
            expected_delivery,
            carrier,
            tracking,
            packages,
            lines,
        })
    }

    fn recadv(&mut self, body: &[Segment<'_>], version: Version) -> Option<ReceiptAdvice> {
        let at = body.first()?;
        let parts = self.split(body, "RECADV");
        let bgm = self.bgm(at, parts.header, &["632"]);
        let issued = self.issued(at, parts.header);
        let buyer = self.party(at, parts.header, "BY", "buyer");
        let seller = self.party(at, parts.header, "SU", "supplier");
        let order_number = self.reference(at, parts.header, "ON", "order number");
        let despatch_number = first(parts.header, "RFF", "AAK")
            .and_then(|s| s.get(0, 1))
            .map(Cow::into_owned);
        let received = self.dated(parts.header, "50");
        let lines = self.lines(&parts, |m, g| {
            let lin = &g[0];
            let line = m.line_number(lin);
            let item = m.item(g, version);
            let received = m.quantity(lin, g, &["48"], "received quantity");
            let damaged = match first(g, "QTY", "124") {
                Some(q) => m.quantity_of(q, "damaged quantity").map(|q| q.value),
                None => Some(Decimal::ZERO),
            };
            Some(ReceiptLine {
                line: line?,
                item,
                received: received?,
                damaged: damaged?,
            })
        });
        self.check_lines(at, &parts);
        Some(ReceiptAdvice {
            number: bgm?.0,
            order_number: order_number?,
            despatch_number,
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            received,
            lines,
        })
    }
}
