//! The X12 syntax layer (ASC X12.5 and X12.6).
//!
//! An interchange opens with the fixed-length `ISA` segment of 106
//! characters, which names the delimiters by example: the byte after `ISA`
//! is the element separator, `ISA11` is the repetition separator (from
//! version 00402 on; before that it holds the code `U`), `ISA16` is the
//! component separator, and the byte after `ISA16` ends every segment.
//! X12 has no release character: a delimiter can never be data. Line
//! breaks (CR, LF) after a segment terminator are ignored.
//!
//! [`Segments`] reads segments one after another from a byte slice and
//! borrows their text from it; nothing is copied and nothing allocated per
//! segment. Every segment and every error carries its [`Position`]: the
//! segment's number, its line and its byte offset.

pub use crate::scan::Position;
use crate::scan::{
    self, Breaks, Elements, Fault, Scanner, Separators, code, nth_part, split, tag_byte,
};

/// Length of the `ISA` segment, terminator included.
pub const ISA_LENGTH: usize = 106;

/// Offsets of the 16 element separators in the `ISA` segment.
const ISA_SEPARATORS: [usize; 16] = [
    3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103,
];

/// Offset of `ISA11` (repetition separator from 00402 on).
const ISA_REPETITION: usize = 82;

/// Offset of `ISA16` (component separator).
const ISA_COMPONENT: usize = 104;

/// The characters that structure an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Separates data elements (this crate writes `*`).
    pub element: u8,
    /// Separates components of a composite element (this crate writes `:`).
    pub component: u8,
    /// Separates repetitions of an element, when the version has one
    /// (this crate writes `^` in 00501).
    pub repetition: Option<u8>,
    /// Ends a segment (this crate writes `~`).
    pub segment: u8,
}

impl Delimiters {
    /// The delimiters this crate writes; `repetition` tells whether the
    /// version has a repetition separator.
    pub fn written(repetition: bool) -> Delimiters {
        Delimiters {
            element: b'*',
            component: b':',
            repetition: repetition.then_some(b'^'),
            segment: b'~',
        }
    }

    /// Which delimiter `byte` is, if any, named for people.
    pub fn role(&self, byte: u8) -> Option<&'static str> {
        if byte == self.element {
            Some("element separator")
        } else if byte == self.component {
            Some("component separator")
        } else if Some(byte) == self.repetition {
            Some("repetition separator")
        } else if byte == self.segment {
            Some("segment terminator")
        } else {
            None
        }
    }
}

/// What is wrong with the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The `ISA` segment is not the fixed 106 characters with its
    /// separators in place; the text says what is wrong.
    BadInterchangeHeader(String),
    /// A segment tag is not two or three upper-case letters or digits.
    BadTag(String),
    /// The input ends inside a segment.
    Unterminated,
    /// A segment is not valid UTF-8.
    NotUtf8,
}

/// A syntax error and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {}", describe(&self.kind))]
pub struct SyntaxError {
    /// Where.
    pub position: Position,
    /// What.
    pub kind: SyntaxErrorKind,
}

pub(crate) fn describe(kind: &SyntaxErrorKind) -> String {
    match kind {
        SyntaxErrorKind::BadInterchangeHeader(why) => {
            format!("the ISA interchange header is not valid: {why}")
        }
        SyntaxErrorKind::BadTag(tag) => {
            format!("`{tag}` is not a segment tag (two or three upper-case letters or digits)")
        }
        SyntaxErrorKind::Unterminated => "the interchange ends inside this segment".into(),
        SyntaxErrorKind::NotUtf8 => "a value is not valid UTF-8".into(),
    }
}

/// One segment: its tag, its data elements, and its position.
///
/// Reading a segment notes where its elements start, in the same pass
/// that finds its end; an element is then a slice, repetitions and
/// components are split within it when asked for, and values are borrowed
/// from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Tag, e.g. `ST`, `BEG`, `PO1`.
    pub tag: &'a str,
    /// The tag as a [`code`], for comparing tags cheaply.
    key: u32,
    /// The whole text of the segment, tag included, terminator not.
    text: &'a str,
    elements: Elements,
    delimiters: Delimiters,
    /// Where it starts.
    pub position: Position,
}

impl scan::Tagged for Segment<'_> {
    fn key(&self) -> u32 {
        self.key
    }
}

impl<'a> Segment<'a> {
    fn raw(&self, element: usize) -> Option<&'a str> {
        self.elements
            .raw(self.text, element, self.delimiters.element, None)
    }

    /// Whether the segment's tag is `tag`.
    pub(crate) fn is(&self, tag: &str) -> bool {
        self.key == code(tag)
    }

    /// The tag as a [`code`].
    pub(crate) fn key(&self) -> u32 {
        self.key
    }

    /// How many data elements follow the tag.
    pub fn element_count(&self) -> usize {
        self.elements.count()
    }

    /// The whole text of element `element` (from 0, the first after the
    /// tag), if present and not empty, separators of repetitions and
    /// components included. Simple elements are read with this: a
    /// component separator means nothing in them.
    pub fn element(&self, element: usize) -> Option<&'a str> {
        self.raw(element).filter(|e| !e.is_empty())
    }

    /// The first repetition of element `element`.
    fn first_repetition(&self, element: usize) -> Option<&'a str> {
        let raw = self.raw(element)?;
        Some(match self.delimiters.repetition {
            Some(r) => nth_part(raw, r, 0).unwrap_or(raw),
            None => raw,
        })
    }

    /// How many components element `element` (from 0) has in its first
    /// repetition.
    pub fn component_count(&self, element: usize) -> usize {
        self.first_repetition(element)
            .map_or(0, |raw| split(raw, self.delimiters.component, None).count())
    }

    /// Component `component` of the first repetition of element `element`
    /// (both from 0), if present and not empty.
    pub fn get(&self, element: usize, component: usize) -> Option<&'a str> {
        let raw = self.first_repetition(element)?;
        nth_part(raw, self.delimiters.component, component).filter(|c| !c.is_empty())
    }

    /// The delimiters the segment was read with.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }
}

/// How the shared scanner sees X12 with `delimiters`.
pub(crate) fn separators(delimiters: Delimiters) -> Separators {
    Separators {
        element: delimiters.element,
        segment: delimiters.segment,
        release: None,
        breaks: Breaks::LineEnds,
    }
}

/// Checks the tag at the start of a segment's text: two or three
/// upper-case letters or digits up to the first element separator. Returns
/// the tag's length, or the text to show in the error.
#[inline]
fn check_tag(text: &str, tag_end: usize, element: u8) -> Result<usize, String> {
    // The common case, inlined: the scanner saw an element separator after
    // two or three tag characters.
    if let Some(tag) = text.as_bytes().get(..tag_end)
        && matches!(tag_end, 2 | 3)
        && tag_end < text.len()
        && tag.iter().all(|&b| tag_byte(b))
    {
        return Ok(tag_end);
    }
    check_tag_slowly(text, tag_end, element)
}

/// [`check_tag`] when the scanner's hint is not enough.
#[cold]
#[inline(never)]
fn check_tag_slowly(text: &str, tag_end: usize, element: u8) -> Result<usize, String> {
    // `tag_end` is where the scanner saw the first element separator; when
    // it noted none (none there, or one too far in) the text is searched.
    let tag_end = if tag_end < text.len() {
        tag_end
    } else {
        text.bytes()
            .position(|b| b == element)
            .unwrap_or(text.len())
    };
    let tag = &text[..tag_end];
    let valid = matches!(tag.len(), 2 | 3) && tag.bytes().all(tag_byte);
    if valid {
        Ok(tag_end)
    } else {
        Err(tag.chars().take(8).collect())
    }
}

/// Reads the next segment with `scanner`, as the X12 segment it is.
#[inline]
pub(crate) fn next_segment<'a>(
    scanner: &mut Scanner<'a>,
    delimiters: Delimiters,
) -> Option<Result<Segment<'a>, SyntaxError>> {
    match scanner.read(|text, tag_end| check_tag(text, tag_end, delimiters.element)) {
        Ok(None) => None,
        Ok(Some(s)) => Some(Ok(Segment {
            tag: s.tag,
            key: code(s.tag),
            text: s.text,
            elements: s.elements,
            delimiters,
            position: s.position,
        })),
        Err((position, fault)) => Some(Err(SyntaxError {
            position,
            kind: match fault {
                Fault::Unterminated | Fault::DanglingRelease => SyntaxErrorKind::Unterminated,
                Fault::NotUtf8 => SyntaxErrorKind::NotUtf8,
                Fault::Tag(shown) => SyntaxErrorKind::BadTag(shown),
            },
        })),
    }
}

/// Reads the segments of an interchange one after another.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    scanner: Scanner<'a>,
    delimiters: Delimiters,
    failed: bool,
}

impl<'a> Segments<'a> {
    /// Starts reading `input`, an interchange, taking the delimiters from
    /// its `ISA` segment (which is read again as segment 1).
    pub fn new(input: &'a [u8]) -> Result<Segments<'a>, SyntaxError> {
        let (delimiters, _) = interchange_header(input)?;
        let mut reader = Segments::resume(input, delimiters, Position::default());
        reader.scanner.skip_to(first_non_break(input));
        Ok(reader)
    }

    /// Reads `input`, a part of a larger interchange whose delimiters are
    /// known: segments are numbered after `start.segment`, lines counted from
    /// `start.line` and offsets from `start.offset`.
    pub fn resume(input: &'a [u8], delimiters: Delimiters, start: Position) -> Segments<'a> {
        Segments {
            scanner: Scanner::new(input, separators(delimiters), start),
            delimiters,
            failed: false,
        }
    }

    /// The delimiters in force.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Where the next segment would start (its number is the one it would get).
    pub fn position(&self) -> Position {
        self.scanner.position()
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = next_segment(&mut self.scanner, self.delimiters);
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

/// Where the first non-break byte of `input` is (leading CR and LF skipped).
pub fn first_non_break(input: &[u8]) -> usize {
    Breaks::LineEnds.skip(input, 0)
}

/// Reads the delimiters from the `ISA` segment at the start of `input`
/// (after optional line breaks) and returns them with the offset just past
/// its terminator. The segment must be exactly [`ISA_LENGTH`] ASCII bytes
/// with its 16 element separators where the standard puts them.
pub fn interchange_header(input: &[u8]) -> Result<(Delimiters, usize), SyntaxError> {
    let start = first_non_break(input);
    let line = 1 + input[..start].iter().filter(|&&b| b == b'\n').count();
    let bad = |why: String| SyntaxError {
        position: Position {
            segment: 1,
            line,
            offset: start,
        },
        kind: SyntaxErrorKind::BadInterchangeHeader(why),
    };
    let rest = input.get(start..).unwrap_or_default();
    if !rest.starts_with(b"ISA") {
        return Err(bad("an interchange starts with ISA".into()));
    }
    let Some(isa) = rest.get(..ISA_LENGTH) else {
        return Err(bad(format!(
            "ISA is {ISA_LENGTH} characters long, but the input ends after {}",
            rest.len()
        )));
    };
    if !isa.is_ascii() {
        return Err(bad("ISA may hold only ASCII characters".into()));
    }
    let element = isa[3];
    let component = isa[ISA_COMPONENT];
    let segment = isa[ISA_LENGTH - 1];
    if element.is_ascii_alphanumeric() || element == b' ' {
        return Err(bad(format!(
            "`{}` cannot be the element separator",
            char::from(element)
        )));
    }
    for (at, &b) in isa[..ISA_COMPONENT].iter().enumerate() {
        let expected = ISA_SEPARATORS.contains(&at);
        if expected && b != element {
            return Err(bad(format!(
                "an element separator `{}` belongs at character {}, found `{}`: every ISA element has a fixed length",
                char::from(element),
                at + 1,
                char::from(b)
            )));
        }
        if !expected && b == element {
            return Err(bad(format!(
                "the element separator `{}` occurs at character {}, inside a fixed-length element",
                char::from(element),
                at + 1
            )));
        }
    }
    if let Some(at) = isa[..ISA_LENGTH - 1].iter().position(|&b| b == segment) {
        return Err(bad(format!(
            "the segment terminator `{}` occurs at character {}, inside the segment",
            char::from(segment).escape_default(),
            at + 1
        )));
    }
    let repetition_byte = isa[ISA_REPETITION];
    let repetition = (!repetition_byte.is_ascii_alphanumeric()).then_some(repetition_byte);
    let mut all = vec![element, component, segment];
    all.extend(repetition);
    for &b in &all {
        if b.is_ascii_alphanumeric() || b == b' ' {
            return Err(bad(format!("`{}` cannot be a delimiter", char::from(b))));
        }
    }
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != all.len() {
        return Err(bad(
            "the element, component, repetition and segment delimiters must differ".into(),
        ));
    }
    Ok((
        Delimiters {
            element,
            component,
            repetition,
            segment,
        },
        start + ISA_LENGTH,
    ))
}

/// Where the segment that starts at `from` ends (the index just past its
/// terminator), or `None` if `input` ends first: the cheap scan a streaming
/// reader uses to find whole transaction sets before reading them properly.
pub fn segment_end(input: &[u8], from: usize, delimiters: Delimiters) -> Option<usize> {
    scan::segment_end(input, from, separators(delimiters))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*4912345000019  *ZZ*4998765000011  *261121*0930*^*00501*000000417*0*P*:~";

    fn all(input: &str) -> Result<Vec<Segment<'_>>, SyntaxError> {
        Segments::new(input.as_bytes())?.collect()
    }

    #[test]
    fn the_isa_segment_names_the_delimiters() {
        assert_eq!(ISA.len(), ISA_LENGTH);
        let (d, end) = interchange_header(ISA.as_bytes()).expect("valid");
        assert_eq!(d, Delimiters::written(true));
        assert_eq!(end, ISA_LENGTH);
        let other = ISA
            .replace('*', "|")
            .replace(":~", ">\n")
            .replace("*^*", "|U|");
        let (d, _) = interchange_header(other.as_bytes()).expect("valid");
        assert_eq!((d.element, d.component, d.segment), (b'|', b'>', b'\n'));
    }

    #[test]
    fn elements_repetitions_and_components_split_on_demand() {
        let text = format!(
            "{ISA}\r\nGS*PO*A*B*20261121*0930*1*X*005010~\r\nPO1*1*12*CA*2480**EN*4901234567894^X~"
        );
        let segments = all(&text).expect("valid");
        assert_eq!(segments.len(), 3);
        assert_eq!(
            segments[0].element(5).map(str::trim_end),
            Some("4912345000019")
        );
        assert_eq!(segments[1].tag, "GS");
        assert_eq!(segments[1].position.line, 2);
        assert_eq!(segments[2].position.segment, 3);
        assert_eq!(segments[2].element(1), Some("12"));
        assert_eq!(segments[2].element(4), None, "empty element");
        assert_eq!(
            segments[2].get(6, 0),
            Some("4901234567894"),
            "first repetition"
        );
        assert_eq!(segments[2].element_count(), 7);
        let composite = format!("{ISA}POC*1*CA*5**CA:1:2~");
        let segments = all(&composite).expect("valid");
        assert_eq!(segments[1].get(4, 0), Some("CA"));
        assert_eq!(segments[1].get(4, 2), Some("2"));
        assert_eq!(segments[1].component_count(4), 3);
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = all(&format!("{ISA}\nGS*PO*A")).expect_err("unterminated");
        assert_eq!(e.kind, SyntaxErrorKind::Unterminated);
        assert_eq!(
            (e.position.segment, e.position.line, e.position.offset),
            (2, 2, 107)
        );
        assert!(
            e.to_string().starts_with("segment 2, line 2, byte 107:"),
            "{e}"
        );
        let e = all(&format!("{ISA}gs*PO~")).expect_err("lower case");
        assert_eq!(e.kind, SyntaxErrorKind::BadTag("gs".into()));
        let bytes = [ISA.as_bytes(), b"GS*\xff~"].concat();
        let e = Segments::new(&bytes)
            .expect("header")
            .nth(1)
            .expect("one")
            .expect_err("not utf-8");
        assert_eq!(e.kind, SyntaxErrorKind::NotUtf8);
        let short = interchange_header(&ISA.as_bytes()[..50]).expect_err("short");
        assert!(
            matches!(short.kind, SyntaxErrorKind::BadInterchangeHeader(ref w) if w.contains("ends after 50"))
        );
        let moved = ISA.replacen("*ZZ*4912345000019  ", "*ZZ*4912345000019 *", 1);
        let e = interchange_header(moved.as_bytes()).expect_err("misplaced");
        assert!(
            e.to_string().contains("inside a fixed-length element"),
            "{e}"
        );
        let same = ISA.replace(":~", "*~");
        assert!(
            interchange_header(same.as_bytes()).is_err(),
            "component equals element separator"
        );
        assert!(interchange_header(b"UNB+UNOC").is_err());
    }

    #[test]
    fn reading_stops_after_the_first_error() {
        let text = format!("{ISA}GS*PO~x*1~GE*1*1~");
        let mut segments = Segments::new(text.as_bytes()).expect("start");
        assert!(segments.next().expect("ISA").is_ok());
        assert!(segments.next().expect("GS").is_ok());
        assert!(segments.next().expect("x").is_err());
        assert!(segments.next().is_none());
    }
}
