//! Reading X12 interchanges into canonical documents.
//!
//! The [`Decoder`] keeps the bytes of at most one unfinished transaction
//! set. It finds where a set ends with a cheap scan for segment
//! terminators, then reads the whole set properly, checks its ST/SE control
//! count and number, and maps it. A set with problems is reported with all
//! of them and reading goes on with the next one; only a fault in the
//! envelope (ISA/IEA, GS/GE) or in the syntax between sets concerns the
//! interchange as a whole.
//!
//! [`Event::Envelope`] is reported once per functional group, when its GS
//! is read: the ISA fields with `group` set to GS06 and `groups` holding
//! that one group. An interchange whose ISA reads but that holds no group
//! is reported once, with no group, when it ends (and is rejected: an
//! interchange carries at least one functional group, unless it carries
//! TA1 interchange acknowledgements, which are read past).

use std::{borrow::Cow, fmt, ops::Range};

use super::{
    Version, functional_id,
    syntax::{
        Delimiters, ISA_LENGTH, Position, Segment, SyntaxError, interchange_header, next_segment,
        segment_end, separators,
    },
    unit_from_x12,
};
use crate::{
    ChangeAction, ChangeLine, Code, Date, Decimal, DespatchAdvice, DespatchLine, Document,
    Envelope, FunctionalGroup, Item, LineStatus, MessageOutcome, Order, OrderCancellation,
    OrderChange, OrderLine, OrderResponse, Party, Place, Problem, Quantity, Reading, ReceiptAdvice,
    ReceiptLine, ResponseLine,
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
    /// A functional group header (GS) was read: the interchange's envelope
    /// with the group's control number.
    Envelope(Envelope),
    /// A transaction set was read, well or not.
    Message(MessageOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Interchange,
    Group,
    Ended,
    Failed,
}

/// The functional group being read.
#[derive(Debug, Clone)]
struct Group {
    control: String,
    functional: String,
    /// GS08 as written.
    version: String,
    /// The segment number of the GS.
    segment: usize,
    sets: usize,
}

/// Reads an interchange fed in chunks; see the module documentation.
#[derive(Debug)]
pub struct Decoder {
    input: Buffer,
    delimiters: Delimiters,
    stage: Stage,
    interchange: Option<Envelope>,
    announced: bool,
    segments: usize,
    /// The line the ISA starts on.
    header_line: usize,
    groups: usize,
    /// Transaction sets reported so far in the interchange.
    sets: usize,
    /// TA1 interchange acknowledgements read (outside any group).
    acknowledgements: usize,
    group: Option<Group>,
    seen_groups: References,
    seen_sets: References,
    problems: Vec<Problem>,
    /// The vector each transaction set's segments are read into, kept
    /// empty between sets so that reading one allocates nothing for them.
    spare: Vec<Segment<'static>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// Reads a whole interchange in memory. The reading's envelope is the
/// first one reported (that of the first functional group), with every
/// functional group in `groups`.
pub fn read(input: &[u8]) -> Reading {
    let mut envelope: Option<Envelope> = None;
    let mut messages = Vec::new();
    let mut decoder = Decoder::new();
    let mut on = |event| match event {
        Event::Envelope(e) => match &mut envelope {
            Some(first) => first.groups.extend(e.groups),
            None => envelope = Some(e),
        },
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

/// A transaction set ends with SE, or where the next set, the group's
/// trailer or another envelope starts.
const BOUNDS: Bounds<'static> = Bounds {
    trailer: code("SE"),
    others: &codes(["ST", "GE", "GS", "IEA"]),
    tag_at: |bytes, from, separators| tag_at(bytes, from, separators).map(code_of),
};

/// The tag of the segment starting at `from` (after line breaks), or
/// `None` if the input does not reach its end yet.
fn tag_at(bytes: &[u8], from: usize, d: Separators) -> Option<&[u8]> {
    let start = Breaks::LineEnds.skip(bytes, from);
    let rest = bytes.get(start..)?;
    let window = rest.get(..rest.len().min(4))?;
    match window
        .iter()
        .position(|&b| b == d.element || b == d.segment)
    {
        Some(i) => window.get(..i),
        None if window.len() == 4 => Some(window),
        None => None,
    }
}

impl Decoder {
    /// A decoder waiting for the start of an interchange.
    pub fn new() -> Decoder {
        Decoder {
            input: Buffer::new(Breaks::LineEnds),
            delimiters: Delimiters::written(false),
            stage: Stage::Header,
            interchange: None,
            announced: false,
            segments: 0,
            header_line: 1,
            groups: 0,
            sets: 0,
            acknowledgements: 0,
            group: None,
            seen_groups: References::default(),
            seen_sets: References::default(),
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
    /// (empty when its envelopes and trailers are right).
    pub fn finish(mut self, on: &mut impl FnMut(Event)) -> Vec<Problem> {
        self.run(true, on);
        let rest = self.rest_start();
        match self.stage {
            Stage::Header => self.fail(Problem::new(
                Code::Missing,
                Place::whole(),
                "the interchange is empty: it must start with ISA",
            )),
            Stage::Failed | Stage::Ended => {}
            stage => {
                let position = self.position();
                let problem = if rest.is_some() {
                    Problem::new(
                        Code::Syntax,
                        position.place(None),
                        "the interchange ends inside a segment (no segment terminator)",
                    )
                } else if stage == Stage::Group {
                    let control = self
                        .group
                        .as_ref()
                        .map(|g| g.control.clone())
                        .unwrap_or_default();
                    Problem::new(
                        Code::Missing,
                        position.place(Some("GE")),
                        format!(
                            "the interchange ends inside functional group {control}, without GE and IEA"
                        ),
                    )
                } else {
                    Problem::new(
                        Code::Missing,
                        position.place(Some("IEA")),
                        "the interchange ends without its IEA trailer",
                    )
                };
                self.fail(problem);
            }
        }
        self.announce(false, on);
        self.problems
    }

    fn fail(&mut self, problem: Problem) {
        self.problems.push(problem);
        self.stage = Stage::Failed;
    }

    /// Reports the envelope once per group (the one being read), or once
    /// without a group.
    fn announce(&mut self, with_group: bool, on: &mut impl FnMut(Event)) {
        if !with_group && self.announced {
            return;
        }
        if let Some(interchange) = &self.interchange {
            let mut envelope = interchange.clone();
            if let Some(g) = self.group.as_ref().filter(|_| with_group) {
                envelope.group = Some(g.control.clone());
                envelope.groups = vec![FunctionalGroup {
                    functional: g.functional.clone(),
                    control: g.control.clone(),
                    version: g.version.clone(),
                    segment: g.segment,
                    first_message: self.sets,
                }];
            }
            self.announced = true;
            on(Event::Envelope(envelope));
        }
    }

    fn position(&self) -> Position {
        self.input.position(self.segments)
    }

    fn rest_start(&self) -> Option<usize> {
        self.input.rest_start()
    }

    fn line_of_next(&self) -> usize {
        self.input.line_of_next()
    }

    fn segment_end(&self) -> Option<usize> {
        segment_end(&self.input.bytes, self.input.at, self.delimiters)
    }

    /// Reads the one segment that starts at the cursor and ends before
    /// `end` with `with`, and counts it.
    fn take_one<T>(
        &mut self,
        end: usize,
        with: impl FnOnce(Result<&Segment<'_>, Problem>) -> T,
    ) -> T {
        let d = self.delimiters;
        let result = self.input.take(
            end,
            self.segments,
            separators(d),
            |scanner| match next_segment(scanner, d) {
                Some(Ok(s)) => with(Ok(&s)),
                Some(Err(e)) => with(Err(syntax_problem(&e))),
                None => with(Err(Problem::new(
                    Code::Missing,
                    Place::whole(),
                    "a segment is missing",
                ))),
            },
        );
        self.segments += 1;
        result
    }

    fn run(&mut self, at_end: bool, on: &mut impl FnMut(Event)) {
        loop {
            match self.stage {
                Stage::Failed => return,
                Stage::Ended => {
                    if let Some(start) = self.rest_start() {
                        let line = self.line_of_next();
                        self.input.at = start;
                        self.input.line = line;
                        let problem = Problem::new(
                            Code::Unexpected,
                            self.position().place(None),
                            "nothing may follow the IEA trailer",
                        );
                        self.fail(problem);
                    }
                    return;
                }
                Stage::Header => {
                    let Some(start) = self.rest_start() else {
                        return;
                    };
                    if self.input.bytes.len() - start < ISA_LENGTH && !at_end {
                        return;
                    }
                    if !self.input.bytes[start..].starts_with(b"ISA") {
                        let shown: String = String::from_utf8_lossy(&self.input.bytes[start..])
                            .chars()
                            .take(3)
                            .collect();
                        let problem = Problem::new(
                            Code::Missing,
                            Position {
                                segment: 1,
                                line: self.line_of_next(),
                                offset: start,
                            }
                            .place(None),
                            format!("an interchange starts with ISA, not `{shown}`"),
                        );
                        self.fail(problem);
                        return;
                    }
                    match interchange_header(&self.input.bytes[self.input.at..]) {
                        Ok((delimiters, length)) => {
                            self.header_line = self.line_of_next();
                            self.delimiters = delimiters;
                            let end = self.input.at + length;
                            let outcome = self.take_one(end, |s| {
                                s.map_err(Box::new).and_then(interchange_envelope)
                            });
                            match outcome {
                                Ok(envelope) => {
                                    self.interchange = Some(envelope);
                                    self.stage = Stage::Interchange;
                                }
                                Err(problem) => {
                                    self.fail(*problem);
                                    return;
                                }
                            }
                        }
                        Err(e) => {
                            self.fail(syntax_problem(&e));
                            return;
                        }
                    }
                }
                Stage::Interchange => {
                    let Some(tag) = tag_at(
                        &self.input.bytes,
                        self.input.at,
                        separators(self.delimiters),
                    ) else {
                        return;
                    };
                    let is_gs = tag == b"GS";
                    let is_iea = tag == b"IEA";
                    let is_ta1 = tag == b"TA1";
                    let Some(end) = self.segment_end() else {
                        return;
                    };
                    if is_gs {
                        let outcome =
                            self.take_one(end, |s| s.map_err(Box::new).and_then(group_header));
                        match outcome {
                            Ok((group, place)) => {
                                if !self.seen_groups.insert(&group.control) {
                                    self.problems.push(Problem::new(
                                        Code::Duplicate,
                                        place.element(6),
                                        format!("functional group control number {} is used twice in this interchange", group.control),
                                    ));
                                }
                                self.groups += 1;
                                self.seen_sets.clear();
                                self.group = Some(group);
                                self.stage = Stage::Group;
                                self.announce(true, on);
                            }
                            Err(problem) => {
                                self.fail(*problem);
                                return;
                            }
                        }
                    } else if is_iea {
                        let groups = self.groups;
                        let reference = self
                            .interchange
                            .as_ref()
                            .map(|e| e.reference.clone())
                            .unwrap_or_default();
                        let problems = self.take_one(end, |s| match s {
                            Ok(s) => interchange_trailer(s, groups, &reference),
                            Err(p) => vec![p],
                        });
                        self.announce(false, on);
                        if groups == 0 && self.acknowledgements == 0 {
                            self.problems.push(Problem::new(
                                Code::Missing,
                                Place::segment(1, "ISA", self.header_line),
                                "the interchange holds no functional group: GS … GE with at least one transaction set belongs between ISA and IEA",
                            ));
                        }
                        self.problems.extend(problems);
                        self.stage = Stage::Ended;
                    } else if is_ta1 {
                        // An interchange acknowledgement stands between ISA
                        // and the groups; it says nothing about the documents.
                        let problem = self.take_one(end, |s| s.err());
                        if let Some(problem) = problem {
                            self.fail(problem);
                            return;
                        }
                        self.acknowledgements += 1;
                    } else {
                        let problem = self.take_one(end, |s| match s {
                            Ok(s) if s.is("ST") => Problem::new(
                                Code::Unexpected,
                                place(s),
                                "ST is outside any functional group: transaction sets travel inside GS … GE",
                            ),
                            Ok(s) => Problem::new(
                                Code::Unexpected,
                                place(s),
                                format!("{} is outside any functional group: GS or IEA belongs here", s.tag),
                            ),
                            Err(p) => p,
                        });
                        self.fail(problem);
                        return;
                    }
                }
                Stage::Group => {
                    let Some(tag) = tag_at(
                        &self.input.bytes,
                        self.input.at,
                        separators(self.delimiters),
                    ) else {
                        return;
                    };
                    match tag {
                        b"ST" => {
                            let line = self.line_of_next();
                            let d = self.delimiters;
                            let Some(group) = &self.group else {
                                return;
                            };
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
                            let outcome = message(&segments, read, group);
                            self.spare = recycle(segments);
                            self.input.advance(end, next_line);
                            self.segments += count;
                            if let Some(g) = self.group.as_mut() {
                                g.sets += 1;
                            }
                            self.sets += 1;
                            let outcome = self.check_unique(outcome, line);
                            on(Event::Message(outcome));
                        }
                        b"GE" => {
                            let Some(end) = self.segment_end() else {
                                return;
                            };
                            let group = self.group.take();
                            let problems = self.take_one(end, |s| match (s, &group) {
                                (Ok(s), Some(g)) => group_trailer(s, g),
                                (Ok(_), None) => Vec::new(),
                                (Err(p), _) => vec![p],
                            });
                            self.problems.extend(problems);
                            self.stage = Stage::Interchange;
                        }
                        b"GS" | b"IEA" => {
                            let control = self
                                .group
                                .as_ref()
                                .map(|g| g.control.clone())
                                .unwrap_or_default();
                            let position = Position {
                                line: self.line_of_next(),
                                ..self.position()
                            };
                            let problem = Problem::new(
                                Code::Missing,
                                position.place(Some("GE")),
                                format!(
                                    "functional group {control} must end with GE before the next {}",
                                    String::from_utf8_lossy(tag)
                                ),
                            );
                            self.fail(problem);
                            return;
                        }
                        _ => {
                            let Some(end) = self.segment_end() else {
                                return;
                            };
                            let problem = self.take_one(end, |s| match s {
                                Ok(s) => Problem::new(
                                    Code::Unexpected,
                                    place(s),
                                    format!(
                                        "{} is outside any transaction set: ST or GE belongs here",
                                        s.tag
                                    ),
                                ),
                                Err(p) => p,
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
        if !outcome.reference.is_empty() && !self.seen_sets.insert(&outcome.reference) {
            let problem = Problem::new(
                Code::Duplicate,
                Place::segment(1, "ST", line).element(2),
                format!(
                    "transaction set control number {} is used twice in this functional group",
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

fn required(s: &Segment<'_>, e: usize, what: &str) -> Result<String, Box<Problem>> {
    s.element(e)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Box::new(Problem::new(
                Code::Missing,
                place(s).element(e + 1),
                format!("{}{:02} ({what}) is missing", s.tag, e + 1),
            ))
        })
}

fn interchange_envelope(isa: &Segment<'_>) -> Result<Envelope, Box<Problem>> {
    let version = isa.element(11).unwrap_or_default();
    if !matches!(version, "00401" | "00501") {
        return Err(Box::new(Problem::new(
            Code::Unsupported,
            place(isa).element(12),
            format!("interchange control version `{version}` is not supported (00401 or 00501)"),
        )));
    }
    let sender = required(isa, 5, "interchange sender id")?;
    let recipient = required(isa, 7, "interchange receiver id")?;
    let reference = required(isa, 12, "interchange control number")?;
    if reference.len() != 9 || !reference.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Box::new(Problem::new(
            Code::Invalid,
            place(isa).element(13),
            format!("interchange control number `{reference}` is not nine digits"),
        )));
    }
    let prepared = isa.element(8).and_then(Date::from_yymmdd);
    Ok(Envelope {
        sender,
        recipient,
        reference,
        prepared,
        time: isa
            .element(9)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        group: None,
        groups: Vec::new(),
    })
}

/// IEA: its count of groups against `groups` and its control number
/// against ISA13.
fn interchange_trailer(iea: &Segment<'_>, groups: usize, reference: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let count = iea.element(0).unwrap_or_default();
    if count.parse::<usize>().ok() != Some(groups) {
        problems.push(Problem::new(
            Code::CountMismatch,
            place(iea).element(1),
            format!("IEA counts `{count}` functional groups but the interchange holds {groups}"),
        ));
    }
    let found = iea.element(1).unwrap_or_default();
    if found != reference {
        problems.push(Problem::new(
            Code::ReferenceMismatch,
            place(iea).element(2),
            format!("IEA names interchange `{found}` but ISA named `{reference}`"),
        ));
    }
    problems
}

fn group_header(gs: &Segment<'_>) -> Result<(Group, Place), Box<Problem>> {
    if !gs.is("GS") {
        return Err(Box::new(Problem::new(
            Code::Missing,
            place(gs),
            "GS is missing",
        )));
    }
    let functional = required(gs, 0, "functional identifier code")?;
    let control = required(gs, 5, "group control number")?;
    let named = gs.element(7).unwrap_or_default().trim();
    if Version::from_group(named).is_none() {
        return Err(Box::new(Problem::new(
            Code::Unsupported,
            place(gs).element(8),
            format!("version `{named}` is not supported (004010 or 005010)"),
        )));
    }
    Ok((
        Group {
            control,
            functional,
            version: named.to_string(),
            segment: gs.position.segment,
            sets: 0,
        },
        place(gs),
    ))
}

/// GE: its count of transaction sets and its control number.
fn group_trailer(ge: &Segment<'_>, group: &Group) -> Vec<Problem> {
    let mut problems = Vec::new();
    let count = ge.element(0).unwrap_or_default();
    if count.parse::<usize>().ok() != Some(group.sets) {
        problems.push(Problem::new(
            Code::CountMismatch,
            place(ge).element(1),
            format!(
                "GE counts `{count}` transaction sets but functional group {} holds {}",
                group.control, group.sets
            ),
        ));
    }
    let found = ge.element(1).unwrap_or_default();
    if found != group.control {
        problems.push(Problem::new(
            Code::ReferenceMismatch,
            place(ge).element(2),
            format!("GE names group `{found}` but GS named `{}`", group.control),
        ));
    }
    problems
}

/// Maps one transaction set (ST up to SE) as read.
fn message(all: &[Segment<'_>], read: Message<SyntaxError>, group: &Group) -> MessageOutcome {
    let Message {
        error, has_trailer, ..
    } = read;
    let syntax = error.map(|e| syntax_problem(&e));
    let st = all.first();
    let reference = st
        .and_then(|s| s.element(1))
        .unwrap_or_default()
        .to_string();
    let message_type = st
        .and_then(|s| s.element(0))
        .unwrap_or_default()
        .to_string();
    let header = st.map(place).unwrap_or_default();
    let fail = |problems| MessageOutcome {
        reference: reference.clone(),
        message_type: message_type.clone(),
        version: Cow::Borrowed(""),
        place: header.clone(),
        result: Err(problems),
    };
    if let Some(problem) = syntax {
        return fail(vec![problem]);
    }
    let (Some(st), Some(last)) = (st, all.last()) else {
        return fail(vec![Problem::new(
            Code::Missing,
            Place::whole(),
            "the transaction set is empty",
        )]);
    };
    let mut m = Mapper {
        problems: Vec::new(),
        st: place(st),
    };
    if reference.is_empty() {
        m.missing(st, 1, "transaction set control number");
    }
    let Some(expected_group) = functional_id(&message_type).filter(|_| message_type != "997")
    else {
        m.problems.push(Problem::new(
            Code::Unsupported,
            place(st).element(1),
            format!("transaction set `{message_type}` is not supported (850, 860, 855, 856, 861)"),
        ));
        return fail(m.problems);
    };
    if expected_group != group.functional {
        m.problems.push(Problem::new(
            Code::Unexpected,
            place(st).element(1),
            format!(
                "transaction set {message_type} belongs in a functional group {expected_group}, not {}",
                group.functional
            ),
        ));
    }
    let body_end = if has_trailer {
        let counted = last.element(0).and_then(|c| c.parse::<usize>().ok());
        if counted != Some(all.len()) {
            m.problems.push(Problem::new(
                Code::CountMismatch,
                place(last).element(1),
                format!(
                    "SE counts `{}` segments but the transaction set has {}",
                    last.element(0).unwrap_or_default(),
                    all.len()
                ),
            ));
        }
        if last.element(1) != Some(reference.as_str()) {
            m.problems.push(Problem::new(
                Code::ReferenceMismatch,
                place(last).element(2),
                format!(
                    "SE names transaction set `{}` but ST named `{reference}`",
                    last.element(1).unwrap_or_default()
                ),
            ));
        }
        all.len() - 1
    } else {
        m.problems.push(Problem::new(
            Code::Missing,
            Place::segment(all.len() + 1, "SE", last.position.line),
            "the transaction set ends without SE",
        ));
        all.len()
    };
    let body = all.get(1..body_end).unwrap_or_default();
    let document = match message_type.as_str() {
        "850" => m.order(body).map(Document::Order),
        "860" => m.change(body),
        "855" => m.response(body).map(Document::OrderResponse),
        "856" => m.despatch(body).map(Document::DespatchAdvice),
        _ => m.receipt(body).map(Document::ReceiptAdvice),
    };
    let result = match document {
        Some(d) if m.problems.is_empty() => Ok(d),
        _ => Err(m.problems),
    };
    MessageOutcome {
        reference,
        message_type,
        version: Cow::Borrowed(""),
        place: header,
        result,
    }
}

/// The tags each transaction set may carry (beyond ST/SE), and the tag that
/// starts a line loop; anything else is refused.
const SETS: &[(&str, &str, TagSet)] = &[
    (
        "850",
        "PO1",
        TagSet::new(&codes([
            "BEG", "CUR", "REF", "PER", "TAX", "FOB", "CTP", "PAM", "CSH", "TC2", "SAC", "ITD",
            "DIS", "INC", "DTM", "LDT", "LIN", "SI", "PID", "MEA", "PWK", "PKG", "TD1", "TD5",
            "TD3", "TD4", "MAN", "PCT", "CTB", "TXI", "N9", "MSG", "NTE", "N1", "N2", "N3", "N4",
            "NX2", "PO1", "PO3", "PO4", "SDQ", "IT8", "SCH", "QTY", "SLN", "AMT", "CTT",
        ])),
    ),
    (
        "860",
        "POC",
        TagSet::new(&codes([
            "BCH", "CUR", "REF", "PER", "FOB", "CSH", "SAC", "ITD", "DIS", "INC", "TAX", "DTM",
            "LDT", "PID", "MEA", "PWK", "PKG", "TD1", "TD5", "TD3", "TD4", "MAN", "CTB", "TXI",
            "N9", "MSG", "NTE", "N1", "N2", "N3", "N4", "POC", "LIN", "SI", "PO3", "CTP", "PO4",
            "SCH", "QTY", "AMT", "CTT",
        ])),
    ),
    (
        "855",
        "PO1",
        TagSet::new(&codes([
            "BAK", "CUR", "REF", "PER", "TAX", "FOB", "CTP", "PAM", "CSH", "SAC", "ITD", "DIS",
            "INC", "DTM", "LDT", "PID", "MEA", "PWK", "PKG", "TD1", "TD5", "TD3", "TD4", "MAN",
            "N9", "MSG", "NTE", "N1", "N2", "N3", "N4", "PO1", "LIN", "SI", "PO3", "PO4", "ACK",
            "SCH", "AMT", "CTT",
        ])),
    ),
    (
        "856",
        "HL",
        TagSet::new(&codes([
            "BSN", "DTM", "HL", "LIN", "SN1", "SLN", "PRF", "PO4", "PID", "MEA", "PWK", "PKG",
            "TD1", "TD5", "TD3", "TD4", "REF", "PER", "MAN", "FOB", "N1", "N2", "N3", "N4", "CUR",
            "ITD", "TSD", "SAC", "CTT",
        ])),
    ),
    (
        "861",
        "RCD",
        TagSet::new(&codes([
            "BRA", "CUR", "REF", "PER", "DTM", "FOB", "PRF", "TD1", "TD5", "TD3", "TD4", "N1",
            "N2", "N3", "N4", "RCD", "SN1", "LIN", "PO4", "PID", "MEA", "N9", "MSG", "NTE", "CTT",
        ])),
    ),
];

/// A transaction set split into the segments before the first line, one
/// range per line (its first segment up to the next one or CTT), and the
/// summary from CTT on.
struct Parts<'s, 'a> {
    header: &'s [Segment<'a>],
    lines: Vec<Range<usize>>,
    body: &'s [Segment<'a>],
    summary: &'s [Segment<'a>],
}

impl<'s, 'a> Parts<'s, 'a> {
    fn groups(&self) -> impl Iterator<Item = &'s [Segment<'a>]> + '_ {
        self.lines.iter().filter_map(|r| self.body.get(r.clone()))
    }
}

fn first<'s, 'a>(
    segments: &'s [Segment<'a>],
    tag: &str,
    qualifier: &str,
) -> Option<&'s Segment<'a>> {
    let (tag, qualifier) = (code(tag), code(qualifier));
    segments
        .iter()
        .find(|s| s.key() == tag && s.element(0).is_some_and(|q| code(q) == qualifier))
}

fn first_tag<'s, 'a>(segments: &'s [Segment<'a>], tag: &str) -> Option<&'s Segment<'a>> {
    segments.iter().find(|s| s.is(tag))
}

/// Free text: every MSG01 and NTE02, in order, joined.
fn text(segments: &[Segment<'_>]) -> Option<String> {
    let mut out = String::new();
    for s in segments {
        if s.is("MSG") {
            out.push_str(s.element(0).unwrap_or_default());
        } else if s.is("NTE") {
            out.push_str(s.element(1).unwrap_or_default());
        }
    }
    (!out.is_empty()).then_some(out)
}

struct Mapper {
    problems: Vec<Problem>,
    st: Place,
}

impl Mapper {
    fn missing(&mut self, s: &Segment<'_>, e: usize, what: &str) {
        self.problems.push(Problem::new(
            Code::Missing,
            place(s).element(e + 1),
            format!("{}{:02} ({what}) is missing", s.tag, e + 1),
        ));
    }

    fn need<'a>(&mut self, s: &Segment<'a>, e: usize, what: &str) -> Option<&'a str> {
        let value = s.element(e);
        if value.is_none() {
            self.missing(s, e, what);
        }
        value
    }

    /// `found`, or a problem placed at `at` (ST when `None`) saying it is missing.
    fn need_segment<'s, 'a>(
        &mut self,
        at: Option<&Segment<'_>>,
        found: Option<&'s Segment<'a>>,
        tag: &str,
        what: impl fmt::Display,
    ) -> Option<&'s Segment<'a>> {
        if found.is_none() {
            let place = at.map_or_else(|| self.st.clone(), place);
            self.problems.push(Problem::new(
                Code::Missing,
                place,
                format!("the {tag} segment with {what} is missing"),
            ));
        }
        found
    }

    fn code<'a>(
        &mut self,
        s: &Segment<'a>,
        e: usize,
        allowed: &[&str],
        what: &str,
    ) -> Option<&'a str> {
        let value = self.need(s, e, what)?;
        if !one_of(value, allowed) {
            self.problems.push(Problem::new(
                Code::UnknownQualifier,
                place(s).element(e + 1),
                format!(
                    "{what} `{value}` is not supported here (expected {})",
                    allowed.join(", ")
                ),
            ));
            return None;
        }
        Some(value)
    }

    fn number(&mut self, s: &Segment<'_>, e: usize, what: &str) -> Option<Decimal> {
        let text = self.need(s, e, what)?;
        let parsed = Decimal::parse_point(text).map_err(|err| {
            if text.contains(',') {
                "X12 numbers take `.` as decimal mark".to_string()
            } else {
                err.to_string()
            }
        });
        match parsed {
            Ok(d) => Some(d),
            Err(err) => {
                self.problems.push(Problem::new(
                    Code::Invalid,
                    place(s).element(e + 1),
                    format!("{what} `{text}`: {err}"),
                ));
                None
            }
        }
    }

    fn count(&mut self, s: &Segment<'_>, e: usize, what: &str) -> Option<u32> {
        let text = self.need(s, e, what)?;
        match text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.problems.push(Problem::new(
                    Code::Invalid,
                    place(s).element(e + 1),
                    format!("{what} `{text}` is not a whole number"),
                ));
                None
            }
        }
    }

    /// A date element, `CCYYMMDD`.
    fn date(&mut self, s: &Segment<'_>, e: usize, what: &str) -> Option<Date> {
        let text = self.need(s, e, what)?;
        let date = Date::from_ccyymmdd(text);
        if date.is_none() {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(s).element(e + 1),
                format!("{what} `{text}` is not a date written CCYYMMDD"),
            ));
        }
        date
    }

    /// A unit: element `e`, or component 1 of the composite element `e`.
    fn unit(
        &mut self,
        s: &Segment<'_>,
        e: usize,
        composite: bool,
        what: fmt::Arguments<'_>,
    ) -> Option<String> {
        let code = if composite { s.get(e, 0) } else { s.element(e) };
        // Built only for a problem: a place holds the tag as a `String`.
        let at = || {
            if composite {
                place(s).element(e + 1).component(1)
            } else {
                place(s).element(e + 1)
            }
        };
        let Some(code) = code else {
            self.problems.push(Problem::new(
                Code::Missing,
                at(),
                format!("{}{:02} ({what}) is missing", s.tag, e + 1),
            ));
            return None;
        };
        match unit_from_x12(code) {
            Some(unit) => Some(unit.to_string()),
            None => {
                self.problems.push(Problem::new(
                    Code::UnknownQualifier,
                    at(),
                    format!("unit `{code}` is not an X12 unit code this reader knows (EA, UN, CA, KG, LB, …)"),
                ));
                None
            }
        }
    }

    /// A quantity from its value element and its unit element.
    fn quantity(
        &mut self,
        s: &Segment<'_>,
        value: usize,
        unit: usize,
        composite: bool,
        what: &str,
    ) -> Option<Quantity> {
        let number = self.number(s, value, what);
        let unit = self.unit(s, unit, composite, format_args!("unit of the {what}"));
        let number = number?;
        if number.is_negative() {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(s).element(value + 1),
                format!("{what} may not be negative"),
            ));
        }
        Some(Quantity {
            value: number,
            unit: unit?,
        })
    }

    fn split<'s, 'a>(&mut self, body: &'s [Segment<'a>], set: &str) -> Parts<'s, 'a> {
        let (line_tag, allowed) = SETS
            .iter()
            .find(|(t, _, _)| *t == set)
            .map_or(("", None), |(_, line, tags)| (*line, Some(tags)));
        // A line takes at least one segment, usually two (PO1 and DTM):
        // sized once instead of grown by doubling.
        let mut lines = Vec::with_capacity(body.len() / 2 + 1);
        let mut header_end = None;
        let mut summary_start = None;
        let mut open: Option<usize> = None;
        for (i, s) in body.iter().enumerate() {
            if !allowed.is_some_and(|tags| tags.contains(s.key())) {
                self.problems.push(Problem::new(
                    Code::Unexpected,
                    place(s),
                    format!("segment {} is not part of a {set} transaction set", s.tag),
                ));
            }
            if summary_start.is_some() {
                continue;
            }
            if s.is(line_tag) {
                if let Some(start) = open.take() {
                    lines.push(start..i);
                }
                header_end.get_or_insert(i);
                open = Some(i);
            } else if s.is("CTT") || (s.is("AMT") && open.is_some()) {
                if let Some(start) = open.take() {
                    lines.push(start..i);
                }
                header_end.get_or_insert(i);
                summary_start = Some(i);
            }
        }
        let summary_start = summary_start.unwrap_or(body.len());
        if let Some(start) = open {
            lines.push(start..summary_start);
        }
        let header_end = header_end.unwrap_or(body.len());
        Parts {
            header: body.get(..header_end).unwrap_or_default(),
            lines,
            body,
            summary: body.get(summary_start..).unwrap_or_default(),
        }
    }

    fn party(&mut self, segments: &[Segment<'_>], qualifiers: &[&str], who: &str) -> Option<Party> {
        let n1 = segments
            .iter()
            .find(|s| s.is("N1") && s.element(0).is_some_and(|q| one_of(q, qualifiers)));
        let Some(n1) = n1 else {
            let what = format!("qualifier {} ({who})", qualifiers.join(" or "));
            self.need_segment(None, None::<&Segment<'_>>, "N1", what);
            return None;
        };
        self.code(
            n1,
            2,
            &["UL", "92", "91", "1", "9", "ZZ"],
            "identification code qualifier",
        );
        let id = self.need(n1, 3, "identification code")?.to_string();
        Some(Party {
            id,
            name: n1.element(1).map(str::to_string),
        })
    }

    fn currency(&mut self, header: &[Segment<'_>]) -> Option<String> {
        let cur = first_tag(header, "CUR");
        let cur = self.need_segment(None, cur, "CUR", "the currency")?;
        let code = self.need(cur, 1, "currency code")?;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            self.problems.push(Problem::new(
                Code::Invalid,
                place(cur).element(2),
                format!("`{code}` is not an ISO 4217 currency code"),
            ));
        }
        Some(code.to_string())
    }

    /// The item of a line: the qualifier and id pairs of `ids` from element
    /// `from`, and the description of the first PID\*F in `group`.
    fn item(&mut self, group: &[Segment<'_>], ids: &Segment<'_>, from: usize) -> Item {
        let mut item = Item::default();
        let mut e = from;
        let count = ids.element_count();
        while e < count {
            let (qualifier, id) = (ids.element(e), ids.element(e + 1));
            e += 2;
            let Some(qualifier) = qualifier else { continue };
            let Some(id) = id else {
                self.missing(ids, e - 1, &format!("product id qualified `{qualifier}`"));
                continue;
            };
            let slot = match qualifier {
                _ if one_of(qualifier, &["EN", "UK", "UP"]) => {
                    if !gtin_valid(id) {
                        self.problems.push(Problem::new(
                            Code::Invalid,
                            place(ids).element(e),
                            format!("`{id}` is not a GTIN (8, 12, 13 or 14 digits with a valid check digit)"),
                        ));
                    }
                    &mut item.gtin
                }
                _ if one_of(qualifier, &["VP", "VN"]) => &mut item.seller_code,
                _ if one_of(qualifier, &["BP", "IN"]) => &mut item.buyer_code,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(id.to_string());
            }
        }
        item.description = group
            .iter()
            .find(|s| s.is("PID") && s.element(0).is_some_and(|f| code(f) == code("F")))
            .and_then(|s| s.element(4))
            .map(str::to_string);
        if !item.is_identified() {
            self.problems.push(Problem::new(
                Code::Missing,
                place(ids).element(from + 1),
                "the line names no item: give a GTIN (EN, UP, UK), a seller's code (VP, VN) or a buyer's code (BP, IN)",
            ));
        }
        item
    }

    /// Line numbers are unique; there is at least one line; CTT01, when
    /// present, counts `counted`.
    fn check_lines(
        &mut self,
        parts: &Parts<'_, '_>,
        numbers: &[(u32, &Segment<'_>)],
        counted: usize,
        what: &str,
    ) {
        if parts.lines.is_empty() {
            self.problems.push(Problem::new(
                Code::Missing,
                self.st.clone(),
                format!("the transaction set has no lines ({what})"),
            ));
        }
        for (number, s) in repeated(numbers) {
            self.problems.push(Problem::new(
                Code::Rule,
                place(s).element(1),
                format!("line number {number} is used twice"),
            ));
        }
        if let Some(ctt) = first_tag(parts.summary, "CTT") {
            let found = ctt.element(0).unwrap_or_default();
            if found.parse::<usize>().ok() != Some(counted) {
                self.problems.push(Problem::new(
                    Code::CountMismatch,
                    place(ctt).element(1),
                    format!("CTT counts `{found}` but the transaction set has {counted} {what}"),
                ));
            }
        }
    }

    fn line_numbers<'s, 'a>(parts: &Parts<'s, 'a>) -> Vec<(u32, &'s Segment<'a>)> {
        // Sized once: collecting a `filter_map` would grow it step by step.
        let mut numbers = Vec::with_capacity(parts.lines.len());
        numbers.extend(
            parts
                .groups()
                .filter_map(|g| g.first())
                .filter_map(|s| s.element(0).and_then(|n| n.parse().ok()).map(|n| (n, s))),
        );
        numbers
    }

    fn order_line(
        &mut self,
        group: &[Segment<'_>],
        line: &Segment<'_>,
        quantity: Option<Quantity>,
        price: usize,
        pairs: usize,
    ) -> Option<OrderLine> {
        let number = self.count(line, 0, "line number");
        let unit_price = line
            .element(price)
            .and_then(|_| self.number(line, price, "unit price"));
        let item = self.item(group, line, pairs);
        let requested_delivery =
            first(group, "DTM", "002").and_then(|d| self.date(d, 1, "requested delivery date"));
        let delivery_site = first(group, "N1", "ST")
            .and_then(|n| n.element(3))
            .map(str::to_string);
        Some(OrderLine {
            line: number?,
            item,
            quantity: quantity?,
            unit_price,
            requested_delivery,
            delivery_site,
        })
    }

    fn order(&mut self, body: &[Segment<'_>]) -> Option<Order> {
        let parts = self.split(body, "850");
        let beg = self.need_segment(
            None,
            first_tag(parts.header, "BEG"),
            "BEG",
            "the order's purpose, type, number and date",
        );
        let (number, issued) = match beg {
            Some(beg) => {
                self.code(beg, 0, &["00"], "transaction set purpose");
                self.code(beg, 1, &["SA", "NE"], "purchase order type");
                (
                    self.need(beg, 2, "purchase order number"),
                    self.date(beg, 4, "purchase order date"),
                )
            }
            None => (None, None),
        };
        let currency = self.currency(parts.header);
        let buyer = self.party(parts.header, &["BY"], "buyer");
        let seller = self.party(parts.header, &["SE", "SU"], "seller");
        let note = text(parts.header);
        let mut lines = Vec::with_capacity(parts.lines.len());
        for group in parts.groups() {
            let Some(po1) = group.first() else { continue };
            let quantity = self.quantity(po1, 1, 2, false, "quantity ordered");
            if let Some(line) = self.order_line(group, po1, quantity, 3, 5) {
                lines.push(line);
            }
        }
        let numbers = Mapper::line_numbers(&parts);
        self.check_lines(&parts, &numbers, parts.lines.len(), "PO1 line items");
        Some(Order {
            number: number?.to_string(),
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            currency: currency?,
            note,
            lines,
        })
    }

    fn change(&mut self, body: &[Segment<'_>]) -> Option<Document> {
        let parts = self.split(body, "860");
        let bch = self.need_segment(
            None,
            first_tag(parts.header, "BCH"),
            "BCH",
            "the change's purpose, order number and date",
        )?;
        let purpose = self.code(
            bch,
            0,
            &["01", "04"],
            "transaction set purpose (01 cancellation, 04 change)",
        );
        self.code(bch, 1, &["SA", "NE"], "purchase order type");
        let order_number = self.need(bch, 2, "purchase order number");
        let number = self.need(bch, 4, "change order sequence number");
        let issued = if bch.element(10).is_some() {
            self.date(bch, 10, "change request date")
        } else {
            self.date(bch, 5, "purchase order date")
        };
        let buyer = self.party(parts.header, &["BY"], "buyer");
        let seller = self.party(parts.header, &["SE", "SU"], "seller");
        if purpose? == "01" {
            if let Some(poc) = parts.groups().next().and_then(|g| g.first()) {
                self.problems.push(Problem::new(
                    Code::Unexpected,
                    place(poc),
                    "a cancellation (BCH01 01) carries no lines",
                ));
            }
            return Some(Document::OrderCancellation(OrderCancellation {
                number: number?.to_string(),
                order_number: order_number?.to_string(),
                issued: issued?,
                buyer: buyer?,
                seller: seller?,
                reason: text(parts.header),
            }));
        }
        let currency = self.currency(parts.header);
        let note = text(parts.header);
        let mut lines = Vec::with_capacity(parts.lines.len());
        for group in parts.groups() {
            let Some(poc) = group.first() else { continue };
            let action = self
                .code(
                    poc,
                    1,
                    &[
                        "AI", "DI", "CA", "CB", "CE", "CT", "PC", "PQ", "QD", "QI", "RZ",
                    ],
                    "change type",
                )
                .map(|code| match code {
                    "AI" => ChangeAction::Added,
                    "DI" => ChangeAction::Deleted,
                    _ => ChangeAction::Changed,
                });
            let quantity = self.quantity(poc, 2, 4, true, "quantity ordered");
            let line = self.order_line(group, poc, quantity, 5, 7);
            if let (Some(action), Some(line)) = (action, line) {
                lines.push(ChangeLine { action, line });
            }
        }
        let numbers = Mapper::line_numbers(&parts);
        self.check_lines(&parts, &numbers, parts.lines.len(), "POC line items");
        Some(Document::OrderChange(OrderChange {
            number: number?.to_string(),
            order_number: order_number?.to_string(),
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            currency: currency?,
            note,
            lines,
        }))
    }

    fn response(&mut self, body: &[Segment<'_>]) -> Option<OrderResponse> {
        let parts = self.split(body, "855");
        let bak = self.need_segment(
            None,
            first_tag(parts.header, "BAK"),
            "BAK",
            "the acknowledgment's type, order number and date",
        )?;
        self.code(bak, 0, &["00"], "transaction set purpose");
        self.code(
            bak,
            1,
            &["AC", "AD", "AE", "AK", "AT", "RD", "RJ"],
            "acknowledgment type",
        );
        let order_number = self.need(bak, 2, "purchase order number");
        let issued = self.date(bak, 3, "date");
        let number = self.need(bak, 7, "acknowledgment (seller's order) number");
        let currency = self.currency(parts.header);
        let buyer = self.party(parts.header, &["BY"], "buyer");
        let seller = self.party(parts.header, &["SE", "SU"], "seller");
        let mut lines = Vec::with_capacity(parts.lines.len());
        for group in parts.groups() {
            let Some(po1) = group.first() else { continue };
            if let Some(line) = self.response_line(group, po1) {
                lines.push(line);
            }
        }
        let numbers = Mapper::line_numbers(&parts);
        self.check_lines(&parts, &numbers, parts.lines.len(), "PO1 line items");
        Some(OrderResponse {
            number: number?.to_string(),
            order_number: order_number?.to_string(),
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            currency: currency?,
            lines,
        })
    }

    fn response_line(&mut self, group: &[Segment<'_>], po1: &Segment<'_>) -> Option<ResponseLine> {
        let line = self.count(po1, 0, "line number");
        let item = self.item(group, po1, 5);
        let unit_price = po1
            .element(3)
            .and_then(|_| self.number(po1, 3, "unit price"));
        let ack = self.need_segment(
            Some(po1),
            first_tag(group, "ACK"),
            "ACK",
            "the line's status",
        )?;
        let status = self
            .code(
                ack,
                0,
                &["IA", "IC", "IB", "IQ", "IP", "DR", "IR", "ID"],
                "line item status",
            )
            .map(|code| match code {
                "IA" => LineStatus::Accepted,
                "IR" | "ID" => LineStatus::Rejected,
                _ => LineStatus::Changed,
            })?;
        let quantity = if status == LineStatus::Rejected {
            None
        } else if ack.element(1).is_some() {
            self.quantity(ack, 1, 2, false, "confirmed quantity")
        } else if po1.element(1).is_some() {
            self.quantity(po1, 1, 2, false, "quantity")
        } else {
            self.missing(ack, 1, "confirmed quantity of an accepted or changed line");
            None
        };
        let confirmed_delivery = match ack.element(3) {
            Some("067" | "068") => self.date(ack, 4, "confirmed delivery date"),
            Some(other) => {
                self.problems.push(Problem::new(
                    Code::UnknownQualifier,
                    place(ack).element(4),
                    format!("date qualifier `{other}` is not supported here (067 current schedule delivery, 068 current schedule ship)"),
                ));
                None
            }
            None => None,
        };
        Some(ResponseLine {
            line: line?,
            status,
            item,
            quantity,
            unit_price,
            confirmed_delivery,
            reason: text(group),
        })
    }

    fn despatch(&mut self, body: &[Segment<'_>]) -> Option<DespatchAdvice> {
        let parts = self.split(body, "856");
        let bsn = self.need_segment(
            None,
            first_tag(parts.header, "BSN"),
            "BSN",
            "the shipment's number and date",
        )?;
        self.code(bsn, 0, &["00"], "transaction set purpose");
        let number = self.need(bsn, 1, "shipment identification");
        let issued = self.date(bsn, 2, "date");
        let mut levels: Vec<(&str, &str)> = Vec::new();
        let mut outer: Vec<&Segment<'_>> = parts.header.iter().collect();
        let mut order_refs: Vec<&Segment<'_>> = Vec::new();
        let mut items: Vec<&[Segment<'_>]> = Vec::new();
        for group in parts.groups() {
            let Some(hl) = group.first() else { continue };
            let Some(level) = self.hierarchy(hl, &mut levels) else {
                continue;
            };
            match level {
                "S" | "O" => {
                    outer.extend(group.iter());
                    if level == "O" {
                        order_refs.extend(group.iter().filter(|s| s.is("PRF")));
                    }
                }
                "I" => items.push(group),
                _ => {}
            }
        }
        if levels.first().map(|(_, level)| *level) != Some("S") {
            self.problems.push(Problem::new(
                Code::Missing,
                self.st.clone(),
                "the ship notice has no shipment level (HL03 S) first",
            ));
        }
        let outer: Vec<Segment<'_>> = outer.into_iter().copied().collect();
        let prf = self.need_segment(
            None,
            order_refs.first().copied(),
            "PRF",
            "the purchase order number in the order level",
        );
        let order_number = prf.and_then(|p| self.need(p, 0, "purchase order number"));
        for other in order_refs.iter().skip(1) {
            if other.element(0) != order_number {
                self.problems.push(Problem::new(
                    Code::Rule,
                    place(other).element(1),
                    "a despatch advice covers one order: every order level must name the same purchase order",
                ));
            }
        }
        let buyer = self.party(&outer, &["BY"], "buyer");
        let seller = self.party(&outer, &["SE", "SU"], "seller");
        let mut packages = 0u32;
        for td1 in outer.iter().filter(|s| s.is("TD1")) {
            if td1.element(1).is_some() {
                if let Some(n) = self.count(td1, 1, "lading quantity") {
                    packages = packages.saturating_add(n);
                }
            }
        }
        let carrier = first_tag(&outer, "TD5")
            .and_then(|s| s.element(4))
            .map(str::to_string);
        let tracking = first(&outer, "REF", "CN")
            .and_then(|s| s.element(1))
            .map(str::to_string);
        let shipped = first(&outer, "DTM", "011").and_then(|s| self.date(s, 1, "shipped date"));
        let expected_delivery =
            first(&outer, "DTM", "017").and_then(|s| self.date(s, 1, "estimated delivery date"));
        let mut lines = Vec::with_capacity(items.len());
        let mut numbers = Vec::with_capacity(items.len());
        for group in &items {
            let Some(hl) = group.first() else { continue };
            let Some(lin) = self.need_segment(Some(hl), first_tag(group, "LIN"), "LIN", "the item")
            else {
                continue;
            };
            let line = self.count(lin, 0, "line number");
            let item = self.item(group, lin, 1);
            let sn1 = self.need_segment(
                Some(hl),
                first_tag(group, "SN1"),
                "SN1",
                "the quantity shipped",
            );
            let quantity = sn1.and_then(|s| self.quantity(s, 1, 2, false, "quantity shipped"));
            if let Some(n) = line {
                numbers.push((n, lin));
            }
            if let (Some(line), Some(quantity)) = (line, quantity) {
                lines.push(DespatchLine {
                    line,
                    item,
                    quantity,
                });
            }
        }
        if items.is_empty() {
            self.problems.push(Problem::new(
                Code::Missing,
                self.st.clone(),
                "the ship notice has no item level (HL03 I)",
            ));
        }
        if !items.is_empty() {
            self.check_lines(&parts, &numbers, parts.lines.len(), "HL segments");
        }
        Some(DespatchAdvice {
            number: number?.to_string(),
            order_number: order_number?.to_string(),
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

    /// Checks an HL segment against the levels before it and returns its
    /// level code.
    fn hierarchy<'a>(
        &mut self,
        hl: &Segment<'a>,
        levels: &mut Vec<(&'a str, &'a str)>,
    ) -> Option<&'a str> {
        let id = self.need(hl, 0, "hierarchical id number")?;
        let level = self.code(hl, 2, &["S", "O", "P", "T", "I"], "hierarchical level code")?;
        if levels.iter().any(|(seen, _)| *seen == id) {
            self.problems.push(Problem::new(
                Code::Rule,
                place(hl).element(1),
                format!("hierarchical id {id} is used twice"),
            ));
        }
        let parent = match hl.element(1) {
            None => None,
            Some(p) => match levels.iter().find(|(seen, _)| *seen == p) {
                Some((_, parent_level)) => Some(*parent_level),
                None => {
                    self.problems.push(Problem::new(
                        Code::Invalid,
                        place(hl).element(2),
                        format!("HL02 names parent {p}, but no earlier HL has that id"),
                    ));
                    levels.push((id, level));
                    return Some(level);
                }
            },
        };
        let allowed: &[&str] = match level {
            "S" => &[],
            "O" => &["S"],
            "P" | "T" => &["S", "O", "P", "T"],
            _ => &["O", "P", "T"],
        };
        let fits = match parent {
            None => level == "S",
            Some(parent) => allowed.contains(&parent),
        };
        if !fits {
            self.problems.push(Problem::new(
                Code::Unexpected,
                place(hl).element(3),
                format!(
                    "level {level} cannot stand under {}: shipment (S) holds orders (O), orders hold items (I)",
                    parent.map_or("no parent".to_string(), |p| format!("level {p}"))
                ),
            ));
        }
        levels.push((id, level));
        Some(level)
    }

    fn receipt(&mut self, body: &[Segment<'_>]) -> Option<ReceiptAdvice> {
        let parts = self.split(body, "861");
        let bra = self.need_segment(
            None,
            first_tag(parts.header, "BRA"),
            "BRA",
            "the receipt's number and date",
        )?;
        let number = self.need(bra, 0, "receiving advice number");
        let issued = self.date(bra, 1, "date");
        self.code(bra, 2, &["00"], "transaction set purpose");
        self.need(bra, 3, "receiving advice type");
        let order = first(parts.header, "REF", "PO")
            .and_then(|s| s.element(1))
            .or_else(|| first_tag(parts.header, "PRF").and_then(|s| s.element(0)));
        if order.is_none() {
            self.problems.push(Problem::new(
                Code::Missing,
                self.st.clone(),
                "the purchase order number (REF*PO or PRF) is missing",
            ));
        }
        let despatch_number = first(parts.header, "REF", "PK")
            .and_then(|s| s.element(1))
            .map(str::to_string);
        let received =
            first(parts.header, "DTM", "050").and_then(|s| self.date(s, 1, "received date"));
        let buyer = self.party(parts.header, &["BY"], "buyer");
        let seller = self.party(parts.header, &["SE", "SU"], "seller");
        let mut lines = Vec::with_capacity(parts.lines.len());
        for group in parts.groups() {
            let Some(rcd) = group.first() else { continue };
            let line = self.count(rcd, 0, "line number");
            let received = self.quantity(rcd, 1, 2, true, "quantity received");
            let mut damaged = Some(Decimal::ZERO);
            for e in [5, 8, 11, 14, 17] {
                if rcd.element(e + 2) != Some("01") {
                    continue;
                }
                let quantity = self.quantity(rcd, e, e + 1, true, "quantity damaged");
                if let (Some(q), Some(r)) = (&quantity, &received) {
                    if q.unit != r.unit {
                        self.problems.push(Problem::new(
                            Code::Invalid,
                            place(rcd).element(e + 2).component(1),
                            format!("the damaged quantity is in {} but the received quantity in {}: they must share a unit", q.unit, r.unit),
                        ));
                    }
                }
                damaged = match (damaged, quantity) {
                    (Some(d), Some(q)) => d.checked_add(q.value),
                    _ => None,
                };
            }
            let lin = self.need_segment(Some(rcd), first_tag(group, "LIN"), "LIN", "the item");
            let item = lin.map(|lin| self.item(group, lin, 1));
            if let (Some(line), Some(received), Some(damaged), Some(item)) =
                (line, received, damaged, item)
            {
                lines.push(ReceiptLine {
                    line,
                    item,
                    received,
                    damaged,
                });
            }
        }
        let numbers = Mapper::line_numbers(&parts);
        self.check_lines(&parts, &numbers, parts.lines.len(), "RCD line items");
        Some(ReceiptAdvice {
            number: number?.to_string(),
            order_number: order?.to_string(),
            despatch_number,
            issued: issued?,
            buyer: buyer?,
            seller: seller?,
            received,
            lines,
        })
    }
}

/// Whether `code` is a GTIN: 8, 12, 13 or 14 digits with a valid GS1 check digit.
fn gtin_valid(code: &str) -> bool {
    let b = code.as_bytes();
    if !matches!(b.len(), 8 | 12 | 13 | 14) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let Some((&check, body)) = b.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check - b'0')
}
