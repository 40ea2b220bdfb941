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

fn describe(kind: &SyntaxErrorKind) -> String {
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

/// One data element: its components in order (at least one, possibly empty).
pub type Element<'a> = Vec<Cow<'a, str>>;

/// One segment with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Tag, e.g. `UNH`, `BGM`, `LIN`.
    pub tag: &'a str,
    /// Data elements after the tag.
    pub elements: Vec<Element<'a>>,
    /// Where it starts.
    pub position: Position,
}

impl<'a> Segment<'a> {
    /// Component `component` of element `element` (both from 0), if present
    /// and not empty.
    pub fn get(&self, element: usize, component: usize) -> Option<&str> {
        self.elements
            .get(element)
            .and_then(|e| e.get(component))
            .map(|c| c.as_ref())
            .filter(|c| !c.is_empty())
    }
}

/// Reads the segments of an interchange one after another.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    input: &'a [u8],
    at: usize,
    line: usize,
    count: usize,
    delimiters: Delimiters,
    failed: bool,
}

impl<'a> Segments<'a> {
    /// Starts reading `input`, taking the delimiters from its `UNA` advice if
    /// it has one.
    pub fn new(input: &'a [u8]) -> Result<Segments<'a>, SyntaxError> {
        let mut reader = Segments {
            input,
            at: 0,
            line: 1,
            count: 0,
            delimiters: Delimiters::default(),
            failed: false,
        };
        let start = reader.skip_breaks(0);
        if input[start..].starts_with(b"UNA") {
            let advice = input.get(start + 3..start + 9).ok_or(SyntaxError {
                position: reader.position_at(start),
                kind: SyntaxErrorKind::BadServiceStringAdvice,
            })?;
            let d = Delimiters {
                component: advice[0],
                element: advice[1],
                decimal: advice[2],
                release: advice[3],
                segment: advice[5],
            };
            let mut distinct = [d.component, d.element, d.release, d.segment];
            distinct.sort_unstable();
            if distinct.windows(2).any(|w| w[0] == w[1]) {
                return Err(SyntaxError {
                    position: reader.position_at(start),
                    kind: SyntaxErrorKind::BadServiceStringAdvice,
                });
            }
            reader.delimiters = d;
            reader.at = start + 9;
        } else {
            reader.at = start;
        }
        Ok(reader)
    }

    /// The delimiters in force.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    fn position_at(&self, offset: usize) -> Position {
        Position {
            segment: self.count + 1,
            line: self.line,
            offset,
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

    fn text(&self, bytes: &'a [u8], position: Position) -> Result<Cow<'a, str>, SyntaxError> {
        let release = self.delimiters.release;
        let not_utf8 = || SyntaxError {
            position,
            kind: SyntaxErrorKind::NotUtf8,
        };
        if !bytes.contains(&release) {
            return std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|_| not_utf8());
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut escaped = false;
        for &b in bytes {
            if !escaped && b == release {
                escaped = true;
                continue;
            }
            escaped = false;
            out.push(b);
        }
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| not_utf8())
    }

    fn read(&mut self) -> Result<Option<Segment<'a>>, SyntaxError> {
        let start = self.skip_breaks(self.at);
        if start >= self.input.len() {
            self.at = start;
            return Ok(None);
        }
        let position = self.position_at(start);
        let d = self.delimiters;
        let mut elements: Vec<Element<'a>> = Vec::new();
        let mut components: Element<'a> = Vec::new();
        let mut tag: Option<&'a str> = None;
        let mut from = start;
        let mut i = start;
        let mut line = self.line;
        loop {
            let Some(&b) = self.input.get(i) else {
                return Err(SyntaxError {
                    position,
                    kind: SyntaxErrorKind::Unterminated,
                });
            };
            if b == d.release {
                if i + 1 >= self.input.len() {
                    return Err(SyntaxError {
                        position,
                        kind: SyntaxErrorKind::DanglingRelease,
                    });
                }
                if self.input[i + 1] == b'\n' {
                    line += 1;
                }
                i += 2;
                continue;
            }
            if b == b'\n' {
                line += 1;
            }
            if b == d.component || b == d.element || b == d.segment {
                let value = self.text(&self.input[from..i], position)?;
                match tag {
                    None => {
                        let t = match value {
                            Cow::Borrowed(t) => t,
                            Cow::Owned(t) => {
                                return Err(SyntaxError {
                                    position,
                                    kind: SyntaxErrorKind::BadTag(t),
                                });
                            }
                        };
                        let valid = t.len() == 3
                            && t.bytes()
                                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
                        if !valid || b == d.component {
                            return Err(SyntaxError {
                                position,
                                kind: SyntaxErrorKind::BadTag(t.to_string()),
                            });
                        }
                        tag = Some(t);
                    }
                    Some(_) => {
                        components.push(value);
                        if b != d.component {
                            elements.push(std::mem::take(&mut components));
                        }
                    }
                }
                from = i + 1;
                if b == d.segment {
                    self.at = i + 1;
                    self.line = line;
                    self.count += 1;
                    return Ok(Some(Segment {
                        tag: tag.unwrap_or_default(),
                        elements,
                        position,
                    }));
                }
            }
            i += 1;
        }
    }
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
        assert_eq!(segments[0].get(0, 0), Some("UNOC"));
        assert_eq!(segments[0].get(0, 1), Some("3"));
        assert_eq!(segments[0].get(4, 0), Some("42"));
        assert_eq!(segments[1].get(1, 2), Some("96A"));
        assert_eq!(segments[1].position.segment, 2);
        assert!(
            matches!(segments[1].elements[1][0], Cow::Borrowed(_)),
            "nothing copied"
        );
    }

    #[test]
    fn the_una_advice_sets_other_delimiters() {
        let segments = all("UNA*|.! ~UNH|1|ORDERS*D*96A*UN~BGM|220|PO!|1~").expect("valid");
        assert_eq!(segments[0].get(1, 1), Some("D"));
        assert_eq!(
            segments[1].get(1, 0),
            Some("PO|1"),
            "the released separator is text"
        );
        assert_eq!(segments[0].position.segment, 1, "UNA is not counted");
    }

    #[test]
    fn the_release_character_makes_separators_literal() {
        let segments = all("FTX+AAI+++Smith?+Sons?'s ?:best??'").expect("valid");
        assert_eq!(segments[0].get(3, 0), Some("Smith+Sons's :best?"));
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
