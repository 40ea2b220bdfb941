//! The UN/EDIFACT syntax layer (ISO 9735).
//!
//! An interchange is a run of segments. Each segment is a three-character
//! tag followed by data elements; an element may have components. The
//! separators are the defaults (`:` component, `+` element, `.` decimal mark,
//! `?` release, `'` segment terminator) unless the interchange opens with a
//! `UNA` service string advice that names others. A release character makes
//! the next character literal. Line breaks between segments are ignored.
//!
//! [`Segments`] reads segments one after another from a byte slice and
//! borrows their text from it unless a release character had to be removed.
//! Every segment and every error carries its [`Position`]: the segment's
//! number in the interchange, its line and its byte offset.

use std::borrow::Cow;

pub use crate::scan::Position;
use crate::scan::{
    self, Breaks, Elements, Fault, Scanner, Separators, code, nth_part, split, tag_byte,
};

/// The characters that structure an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Separates components of an element (default `:`).
    pub component: u8,
    /// Separates data elements (default `+`).
    pub element: u8,
    /// Decimal mark of numbers (default `.`).
    pub decimal: u8,
    /// Makes the next character literal (default `?`).
    pub release: u8,
    /// Ends a segment (default `'`).
    pub segment: u8,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: b'?',
            segment: b'\'',
        }
    }
}

/// What is wrong with the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The `UNA` advice is shorter than its nine characters or repeats a delimiter.
    BadServiceStringAdvice,
    /// A segment tag is not three upper-case letters or digits.
    BadTag(String),
    /// The input ends inside a segment.
    Unterminated,
    /// The input ends right after a release character.
    DanglingRelease,
    /// A value is not valid UTF-8.
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
        SyntaxErrorKind::BadServiceStringAdvice => {
            "the UNA service string advice must be `UNA` and six distinct characters".into()
        }
        SyntaxErrorKind::BadTag(tag) => {
            format!("`{tag}` is not a segment tag (three upper-case letters or digits)")
        }
        SyntaxErrorKind::Unterminated => "the interchange ends inside this segment".into(),
        SyntaxErrorKind::DanglingRelease => {
            "the interchange ends right after a release character".into()
        }
        SyntaxErrorKind::NotUtf8 => "a value is not valid UTF-8".into(),
    }
}

/// One segment: its tag, its data elements, and its position.
///
/// Reading a segment notes where its elements start, in the same pass
/// that finds its end; an element is then a slice, components are split
/// within it when asked for, and a value is copied only if a release
/// character has to be removed from it. That keeps reading a large
/// interchange free of allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Tag, e.g. `UNH`, `BGM`, `LIN`.
    pub tag: &'a str,
    /// The tag as a [`code`], for comparing tags cheaply.
    key: u32,
    /// The whole text of the segment, tag included, terminator not.
    text: &'a str,
    elements: Elements,
    delimiters: Delimiters,
    released: bool,
    /// Where it starts.
    pub position: Position,
}

impl scan::Tagged for Segment<'_> {
    fn key(&self) -> u32 {
        self.key
    }
}

impl<'a> Segment<'a> {
    fn release(&self) -> Option<u8> {
        self.released.then_some(self.delimiters.release)
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

    /// The raw text of element `element` (from 0), separators and release
    /// characters still in it.
    #[inline]
    fn raw_element(&self, element: usize) -> Option<&'a str> {
        self.elements
            .raw(self.text, element, self.delimiters.element, self.release())
    }

    /// How many components element `element` (from 0) has.
    pub fn component_count(&self, element: usize) -> usize {
        self.raw_element(element).map_or(0, |raw| {
            split(raw, self.delimiters.component, self.release()).count()
        })
    }

    /// Component `component` of element `element` (both from 0), if present
    /// and not empty, with release characters removed.
    pub fn get(&self, element: usize, component: usize) -> Option<Cow<'a, str>> {
        let raw = self.raw_element(element)?;
        if !self.released {
            // Nothing to unescape in the whole segment: a plain search.
            return nth_part(raw, self.delimiters.component, component)
                .filter(|value| !value.is_empty())
                .map(Cow::Borrowed);
        }
        let value = split(raw, self.delimiters.component, self.release()).nth(component)?;
        if value.is_empty() {
            return None;
        }
        Some(self.unescape(value))
    }

    /// The first `N` components of element `element`, each as [`get`]
    /// would return it, from one look at the element: a mapper that needs
    /// a qualifier, a value and a unit from one element finds and splits
    /// it once instead of three times.
    ///
    /// [`get`]: Segment::get
    #[inline(always)]
    pub(crate) fn components<const N: usize>(&self, element: usize) -> [Option<Cow<'a, str>>; N] {
        let mut out = [const { None }; N];
        let Some(raw) = self.raw_element(element) else {
            return out;
        };
        let separator = self.delimiters.component;
        if !self.released {
            let mut rest = raw;
            for slot in &mut out {
                let end = rest.bytes().position(|b| b == separator);
                let value = rest.get(..end.unwrap_or(rest.len())).unwrap_or_default();
                if !value.is_empty() {
                    *slot = Some(Cow::Borrowed(value));
                }
                match end {
                    Some(end) => rest = rest.get(end + 1..).unwrap_or_default(),
                    None => break,
                }
            }
            return out;
        }
        for (slot, value) in out.iter_mut().zip(split(raw, separator, self.release())) {
            if !value.is_empty() {
                *slot = Some(self.unescape(value));
            }
        }
        out
    }

    /// Every non-empty component of element `element`, joined (free text
    /// spread over several components).
    pub fn text(&self, element: usize) -> Option<String> {
        let raw = self.raw_element(element)?;
        let joined: String = split(raw, self.delimiters.component, self.release())
            .map(|c| self.unescape(c))
            .collect();
        (!joined.is_empty()).then_some(joined)
    }

    fn unescape(&self, value: &'a str) -> Cow<'a, str> {
        let release = self.delimiters.release;
        if !self.released || !value.as_bytes().contains(&release) {
            return Cow::Borrowed(value);
        }
        let mut out = String::with_capacity(value.len());
        let mut escaped = false;
        for c in value.chars() {
            if !escaped && c as u32 == u32::from(release) {
                escaped = true;
                continue;
            }
            escaped = false;
            out.push(c);
        }
        Cow::Owned(out)
    }

    /// The delimiters the segment was read with.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }
}

/// How the shared scanner sees EDIFACT with `delimiters`.
pub(crate) fn separators(delimiters: Delimiters) -> Separators {
    Separators {
        element: delimiters.element,
        segment: delimiters.segment,
        release: Some(delimiters.release),
        breaks: Breaks::Blanks,
    }
}

/// Checks the tag at the start of a segment's text: three upper-case
/// letters or digits, then an element separator or the end. `tag_end` is
/// where the scanner saw the first element separator. Returns the tag's
/// length, or the text to show in the error.
#[inline]
fn check_tag(text: &str, tag_end: usize, d: Delimiters) -> Result<usize, String> {
    if let [x, y, z, ..] = text.as_bytes()
        && tag_end == 3
        && tag_byte(*x)
        && tag_byte(*y)
        && tag_byte(*z)
    {
        return Ok(3);
    }
    check_tag_slowly(text, d)
}

/// [`check_tag`] without the scanner's hint.
#[cold]
#[inline(never)]
fn check_tag_slowly(text: &str, d: Delimiters) -> Result<usize, String> {
    let b = text.as_bytes();
    let valid = b.len() >= 3
        && b[..3]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.get(3).is_none_or(|&c| c == d.element);
    if valid {
        return Ok(3);
    }
    let tag_end = b
        .iter()
        .position(|&c| c == d.element || c == d.component || c == d.release)
        .unwrap_or(b.len());
    Err(text.chars().take(tag_end.clamp(1, 8)).collect())
}

/// Reads the next segment with `scanner`, as the EDIFACT segment it is.
#[inline]
pub(crate) fn next_segment<'a>(
    scanner: &mut Scanner<'a>,
    delimiters: Delimiters,
) -> Option<Result<Segment<'a>, SyntaxError>> {
    match scanner.read(|text, tag_end| check_tag(text, tag_end, delimiters)) {
        Ok(None) => None,
        Ok(Some(s)) => Some(Ok(Segment {
            tag: s.tag,
            key: code(s.tag),
            text: s.text,
            elements: s.elements,
            delimiters,
            released: s.released,
            position: s.position,
        })),
        Err((position, fault)) => Some(Err(SyntaxError {
            position,
            kind: match fault {
                Fault::Unterminated => SyntaxErrorKind::Unterminated,
                Fault::DanglingRelease => SyntaxErrorKind::DanglingRelease,
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
    /// Starts reading `input`, taking the delimiters from its `UNA` advice if
    /// it has one.
    pub fn new(input: &'a [u8]) -> Result<Segments<'a>, SyntaxError> {
        let (delimiters, at) = service_string_advice(input)?;
        let mut reader = Segments::resume(input, delimiters, Position::default());
        let start = Breaks::Blanks.skip(input, 0);
        reader.scanner.skip_to(start);
        reader.scanner.jump(at);
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

/// Where the segment that starts at `from` ends (the index just past its
/// terminator), or `None` if `input` ends first. Released terminators are
/// skipped.
pub fn segment_end(input: &[u8], from: usize, delimiters: Delimiters) -> Option<usize> {
    scan::segment_end(input, from, separators(delimiters))
}

/// Reads the `UNA` advice at the start of `input`: the delimiters and the
/// offset of the first segment. Input that does not start with `UNA` has
/// the default delimiters.
pub fn service_string_advice(input: &[u8]) -> Result<(Delimiters, usize), SyntaxError> {
    let start = Breaks::Blanks.skip(input, 0);
    if !input[start..].starts_with(b"UNA") {
        return Ok((Delimiters::default(), start));
    }
    let bad = SyntaxError {
        position: Position {
            segment: 1,
            line: 1 + input[..start].iter().filter(|&&b| b == b'\n').count(),
            offset: start,
        },
        kind: SyntaxErrorKind::BadServiceStringAdvice,
    };
    let advice = input.get(start + 3..start + 9).ok_or(bad.clone())?;
    let d = Delimiters {
        component: advice[0],
        element: advice[1],
        decimal: advice[2],
        release: advice[3],
        segment: advice[5],
    };
    let mut distinct = [d.component, d.element, d.release, d.segment];
    distinct.sort_unstable();
    let printable = distinct.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
    if distinct.windows(2).any(|w| w[0] == w[1])
        || !printable
        || distinct.iter().any(|b| b.is_ascii_alphanumeric())
    {
        return Err(bad);
    }
    Ok((d, start + 9))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str) -> Result<Vec<Segment<'_>>, SyntaxError> {
        Segments::new(input.as_bytes())?.collect()
    }

    #[test]
    fn default_delimiters_split_segments_elements_and_components() {
        let segments =
            all("UNB+UNOC:3+SENDER:14+RECEIVER:14+261121:1200+42'UNH+1+ORDERS:D:96A:UN'")
                .expect("valid");
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0].tag, "UNB");
        assert_eq!(segments[0].get(0, 0).as_deref(), Some("UNOC"));
        assert_eq!(segments[0].get(0, 1).as_deref(), Some("3"));
        assert_eq!(segments[0].get(4, 0).as_deref(), Some("42"));
        assert_eq!(segments[1].get(1, 2).as_deref(), Some("96A"));
        assert_eq!(segments[1].position.segment, 2);
        assert!(
            matches!(segments[1].get(1, 0), Some(Cow::Borrowed(_))),
            "nothing copied"
        );
        assert_eq!(segments[0].element_count(), 5);
        assert_eq!(segments[1].component_count(1), 4);
    }

    #[test]
    fn components_are_what_get_returns_one_by_one() {
        let segments = all("QTY+21:2:H87'PIA+5+S?:1:SA++:x'FTX+AAI+++a?+b:?:c::'").expect("valid");
        for s in &segments {
            for e in 0..s.element_count() + 1 {
                let parts: [Option<Cow<'_, str>>; 4] = s.components(e);
                for (c, part) in parts.iter().enumerate() {
                    assert_eq!(part, &s.get(e, c), "{} element {e} component {c}", s.tag);
                }
            }
        }
        let [value, unit] = segments[0].components(0);
        assert_eq!((value.as_deref(), unit.as_deref()), (Some("21"), Some("2")));
    }

    #[test]
    fn the_una_advice_sets_other_delimiters() {
        let segments = all("UNA*|.! ~UNH|1|ORDERS*D*96A*UN~BGM|220|PO!|1~").expect("valid");
        assert_eq!(segments[0].get(1, 1).as_deref(), Some("D"));
        assert_eq!(
            segments[1].get(1, 0).as_deref(),
            Some("PO|1"),
            "the released separator is text"
        );
        assert_eq!(segments[0].position.segment, 1, "UNA is not counted");
    }

    #[test]
    fn the_release_character_makes_separators_literal() {
        let segments = all("FTX+AAI+++Smith?+Sons?'s ?:best??'").expect("valid");
        assert_eq!(
            segments[0].get(3, 0).as_deref(),
            Some("Smith+Sons's :best?")
        );
        assert_eq!(segments[0].get(1, 0), None, "empty element");
    }

    #[test]
    fn line_breaks_between_segments_are_ignored_and_lines_counted() {
        let segments =
            all("UNH+1+ORDERS:D:96A:UN'\r\nBGM+220+PO1'\nDTM+137:20261121:102'\n").expect("valid");
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[2].position.line, 3);
        assert_eq!(segments[2].tag, "DTM");
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = all("UNH+1'BGM+220").expect_err("unterminated");
        assert_eq!(e.kind, SyntaxErrorKind::Unterminated);
        assert_eq!(e.position.segment, 2);
        assert!(
            e.to_string().starts_with("segment 2, line 1, byte 6:"),
            "{e}"
        );
        let e = all("UNH+1'bgm+220'").expect_err("lower case");
        assert_eq!(e.kind, SyntaxErrorKind::BadTag("bgm".into()));
        let e = all("UNH+1'BGM+22?").expect_err("dangling");
        assert_eq!(e.kind, SyntaxErrorKind::DanglingRelease);
        let e = Segments::new(b"UNA:+").expect_err("short advice");
        assert_eq!(e.kind, SyntaxErrorKind::BadServiceStringAdvice);
        let e = Segments::new(b"UNA::.? 'UNH'").expect_err("repeated");
        assert_eq!(e.kind, SyntaxErrorKind::BadServiceStringAdvice);
        let bytes = b"UNH+\xff\xfe'";
        let e = Segments::new(bytes)
            .expect("advice")
            .next()
            .expect("one")
            .expect_err("not utf-8");
        assert_eq!(e.kind, SyntaxErrorKind::NotUtf8);
    }

    #[test]
    fn reading_stops_after_the_first_error() {
        let mut segments = Segments::new(b"UNH+1'x+1'UNT+2+1'").expect("start");
        assert!(segments.next().expect("first").is_ok());
        assert!(segments.next().expect("second").is_err());
        assert!(segments.next().is_none());
    }
}
