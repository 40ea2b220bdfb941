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

use std::{borrow::Cow, fmt};

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

/// Where something is in an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// Segment number, from 1 (the `UNA` advice is not counted).
    pub segment: usize,
    /// Line, from 1.
    pub line: usize,
    /// Byte offset of the segment's first character.
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment {}, line {}, byte {}",
            self.segment, self.line, self.offset
        )
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

/// One segment: its tag, its data elements read on demand, and its position.
///
/// Reading a segment only finds its end; elements and components are split
/// when asked for, and a value is copied only if a release character has to
/// be removed from it. That keeps reading a large interchange free of
/// allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Tag, e.g. `UNH`, `BGM`, `LIN`.
    pub tag: &'a str,
    /// The text after the tag: empty, or the first element separator and
    /// everything up to (not including) the terminator.
    data: &'a str,
    delimiters: Delimiters,
    released: bool,
    /// Where it starts.
    pub position: Position,
}

/// Splits `text` at `separator`, leaving released characters in place.
fn split_at(text: &str, separator: u8, release: Option<u8>) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut i = from;
        while i < bytes.len() {
            let b = bytes[i];
            if Some(b) == release {
                i += 2;
                continue;
            }
            if b == separator {
                let part = &text[from..i];
                from = i + 1;
                return Some(part);
            }
            i += 1;
        }
        done = true;
        Some(&text[from.min(text.len())..])
    })
}

impl<'a> Segment<'a> {
    fn release(&self) -> Option<u8> {
        self.released.then_some(self.delimiters.release)
    }

    /// How many data elements follow the tag.
    pub fn element_count(&self) -> usize {
        if self.data.is_empty() {
            return 0;
        }
        split_at(&self.data[1..], self.delimiters.element, self.release()).count()
    }

    /// The raw text of element `element` (from 0), separators and release
    /// characters still in it.
    fn raw_element(&self, element: usize) -> Option<&'a str> {
        if self.data.is_empty() {
            return None;
        }
        split_at(&self.data[1..], self.delimiters.element, self.release()).nth(element)
    }

    /// How many components element `element` (from 0) has.
    pub fn component_count(&self, element: usize) -> usize {
        self.raw_element(element).map_or(0, |raw| {
            split_at(raw, self.delimiters.component, self.release()).count()
        })
    }

    /// Component `component` of element `element` (both from 0), if present
    /// and not empty, with release characters removed.
    pub fn get(&self, element: usize, component: usize) -> Option<Cow<'a, str>> {
        let raw = self.raw_element(element)?;
        let value = split_at(raw, self.delimiters.component, self.release()).nth(component)?;
        if value.is_empty() {
            return None;
        }
        Some(self.unescape(value))
    }

    /// Every non-empty component of element `element`, joined (free text
    /// spread over several components).
    pub fn text(&self, element: usize) -> Option<String> {
        let raw = self.raw_element(element)?;
        let joined: String = split_at(raw, self.delimiters.component, self.release())
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

/// Reads the segments of an interchange one after another.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    input: &'a [u8],
    at: usize,
    base: usize,
    line: usize,
    count: usize,
    delimiters: Delimiters,
    failed: bool,
}

impl<'a> Segments<'a> {
    /// Starts reading `input`, taking the delimiters from its `UNA` advice if
    /// it has one.
    pub fn new(input: &'a [u8]) -> Result<Segments<'a>, SyntaxError> {
        let mut reader = Segments::resume(input, Delimiters::default(), Position::default());
        let (delimiters, at) = advice(input, &mut reader)?;
        reader.delimiters = delimiters;
        reader.at = at;
        Ok(reader)
    }

    /// Reads `input`, a part of a larger interchange whose delimiters are
    /// known: segments are numbered after `start.segment`, lines counted from
    /// `start.line` and offsets from `start.offset`.
    pub fn resume(input: &'a [u8], delimiters: Delimiters, start: Position) -> Segments<'a> {
        Segments {
            input,
            at: 0,
            base: start.offset,
            line: start.line.max(1),
            count: start.segment,
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
        self.position_at(self.at)
    }

    fn position_at(&self, offset: usize) -> Position {
        Position {
            segment: self.count + 1,
            line: self.line,
            offset: self.base + offset,
        }
    }

    fn skip_breaks(&mut self, mut at: usize) -> usize {
        while let Some(&b) = self.input.get(at) {
            match b {
                b'\n' => {
                    self.line += 1;
                    at += 1;
                }
                b'\r' | b' ' | b'\t' => at += 1,
                _ => break,
            }
        }
        at
    }

    fn read(&mut self) -> Result<Option<Segment<'a>>, SyntaxError> {
        let start = self.skip_breaks(self.at);
        if start >= self.input.len() {
            self.at = start;
            return Ok(None);
        }
        let position = self.position_at(start);
        let d = self.delimiters;
        let fail = |kind| SyntaxError { position, kind };
        let mut released = false;
        let mut lines = 0;
        let mut i = start;
        let end = loop {
            let Some(&b) = self.input.get(i) else {
                return Err(fail(SyntaxErrorKind::Unterminated));
            };
            if b == d.segment {
                break i;
            }
            if b == d.release {
                released = true;
                match self.input.get(i + 1) {
                    None => return Err(fail(SyntaxErrorKind::DanglingRelease)),
                    Some(b'\n') => lines += 1,
                    Some(_) => {}
                }
                i += 2;
                continue;
            }
            if b == b'\n' {
                lines += 1;
            }
            i += 1;
        };
        let text = std::str::from_utf8(&self.input[start..end])
            .map_err(|_| fail(SyntaxErrorKind::NotUtf8))?;
        let tag_end = text
            .bytes()
            .position(|b| b == d.element || b == d.component || b == d.release)
            .unwrap_or(text.len());
        let tag = &text[..tag_end];
        let valid = tag.len() == 3
            && tag
                .bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && text.as_bytes().get(tag_end).is_none_or(|&b| b == d.element);
        if !valid {
            let shown: String = text.chars().take(tag_end.clamp(1, 8)).collect();
            return Err(fail(SyntaxErrorKind::BadTag(shown)));
        }
        self.at = end + 1;
        self.line += lines;
        self.count += 1;
        Ok(Some(Segment {
            tag,
            data: &text[tag_end..],
            delimiters: d,
            released,
            position,
        }))
    }
}

/// Reads the `UNA` advice at the start of `input`, if any: the delimiters
/// and where the first segment starts.
fn advice(input: &[u8], reader: &mut Segments<'_>) -> Result<(Delimiters, usize), SyntaxError> {
    let start = reader.skip_breaks(0);
    if !input[start..].starts_with(b"UNA") {
        return Ok((Delimiters::default(), start));
    }
    let bad = SyntaxError {
        position: reader.position_at(start),
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

/// Where the segment that starts at `from` ends (the index just past its
/// terminator), or `None` if `input` ends first. Released terminators are
/// skipped. This is the cheap scan a streaming reader uses to find whole
/// messages before reading them properly.
pub fn segment_end(input: &[u8], from: usize, delimiters: Delimiters) -> Option<usize> {
    let mut i = from;
    while i < input.len() {
        let b = input[i];
        if b == delimiters.segment {
            return Some(i + 1);
        }
        i += if b == delimiters.release { 2 } else { 1 };
    }
    None
}

/// Reads the `UNA` advice at the start of `input`: the delimiters and the
/// offset of the first segment. Input that does not start with `UNA` has
/// the default delimiters.
pub fn service_string_advice(input: &[u8]) -> Result<(Delimiters, usize), SyntaxError> {
    let mut reader = Segments::resume(input, Delimiters::default(), Position::default());
    advice(input, &mut reader)
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.read() {
            Ok(Some(segment)) => Some(Ok(segment)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
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
