//! What is wrong with an input and exactly where, the same way for every
//! format, so that the orders service, the web UI and the acknowledgements
//! (CONTRL, 997, UBL application response) all work from one list.

use std::{borrow::Cow, fmt};

use serde::Serialize;

/// A stable code for a kind of problem. The names never change; API
/// clients and partners may rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The bytes do not follow the syntax (a segment not terminated, a bad
    /// tag, malformed XML, text that is not UTF-8).
    Syntax,
    /// A message type, version or format this crate does not read.
    Unsupported,
    /// A segment, element or XML element the structure requires is absent.
    Missing,
    /// A segment or element that the structure does not allow here.
    Unexpected,
    /// More elements or components than the segment defines.
    TooMany,
    /// A value that cannot be what it stands for (a number, a date, a GTIN).
    Invalid,
    /// A code that is not in the code list for its position.
    UnknownQualifier,
    /// A control count (segments, messages, groups) that does not match.
    CountMismatch,
    /// A control reference in a trailer that does not match its header.
    ReferenceMismatch,
    /// An interchange or message already received.
    Duplicate,
    /// A sender or recipient that is not the expected partner.
    UnknownParty,
    /// A document that breaks a rule of the canonical model (no lines, a
    /// line number used twice).
    Rule,
}

impl Code {
    /// The code as written in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "syntax",
            Code::Unsupported => "unsupported",
            Code::Missing => "missing",
            Code::Unexpected => "unexpected",
            Code::TooMany => "too_many",
            Code::Invalid => "invalid",
            Code::UnknownQualifier => "unknown_qualifier",
            Code::CountMismatch => "count_mismatch",
            Code::ReferenceMismatch => "reference_mismatch",
            Code::Duplicate => "duplicate",
            Code::UnknownParty => "unknown_party",
            Code::Rule => "rule",
        }
    }
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    /// Segment number in the interchange, from 1 (EDIFACT, X12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<usize>,
    /// Segment tag (EDIFACT, X12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Data element position in the segment, from 1 (EDIFACT, X12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<usize>,
    /// Component position in the element, from 1 (EDIFACT, X12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<usize>,
    /// XPath of the element (UBL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Spreadsheet column name (CSV, xlsx).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Line of the file (row of a spreadsheet), from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Place {
    /// The whole input, nowhere in particular.
    pub fn whole() -> Place {
        Place::default()
    }

    /// A segment of a segment-based format.
    pub fn segment(number: usize, tag: &str, line: usize) -> Place {
        Place::at(number, Some(tag), line)
    }

    /// A segment by number and line, its tag when known.
    pub fn at(number: usize, tag: Option<&str>, line: usize) -> Place {
        Place {
            segment: Some(number),
            tag: tag.map(str::to_string),
            line: Some(line),
            ..Place::default()
        }
    }

    /// This place narrowed to data element `element` (from 1).
    pub fn element(mut self, element: usize) -> Place {
        self.element = Some(element);
        self
    }

    /// This place narrowed to component `component` (from 1).
    pub fn component(mut self, component: usize) -> Place {
        self.component = Some(component);
        self
    }

    /// An element of an XML document.
    pub fn xml(path: impl Into<String>, line: usize) -> Place {
        Place {
            path: Some(path.into()),
            line: Some(line),
            ..Place::default()
        }
    }

    /// A cell of a spreadsheet.
    pub fn cell(line: usize, column: impl Into<String>) -> Place {
        Place {
            column: Some(column.into()),
            line: Some(line),
            ..Place::default()
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        match (self.segment, &self.tag) {
            (Some(n), Some(tag)) => parts.push(format!("segment {n} ({tag})")),
            (Some(n), None) => parts.push(format!("segment {n}")),
            (None, Some(tag)) => parts.push(format!("segment {tag}")),
            (None, None) => {}
        }
        if let Some(e) = self.element {
            parts.push(format!("element {e}"));
        }
        if let Some(c) = self.component {
            parts.push(format!("component {c}"));
        }
        if let Some(p) = &self.path {
            parts.push(p.clone());
        }
        if let Some(c) = &self.column {
            parts.push(format!("column {c}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if parts.is_empty() {
            f.write_str("the whole input")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// One problem: what, where, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{place}: {message}")]
pub struct Problem {
    /// Stable code.
    pub code: Code,
    /// Where.
    pub place: Place,
    /// What, in a sentence.
    pub message: String,
    /// The stable name of the rule broken: one of the canonical rules
    /// ([`rules::RULES`](crate::rules::RULES)) for problems [`check`]
    /// finds, or the rule a service refused a document by. The wording of
    /// `message` may change; this does not.
    ///
    /// [`check`]: crate::rules::check
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

impl Problem {
    /// A problem at `place`.
    pub fn new(code: Code, place: Place, message: impl Into<String>) -> Problem {
        Problem {
            code,
            place,
            message: message.into(),
            rule: None,
        }
    }

    /// The problem as a break of the canonical rule `rule`.
    pub fn breaking(self, rule: &'static str) -> Problem {
        Problem {
            rule: Some(rule),
            ..self
        }
    }
}

/// The most characters of an input's text that a problem echoes.
pub const SHOWN_CHARS: usize = 60;

/// `text` as a problem echoes it: whole when it has at most
/// [`SHOWN_CHARS`] characters, otherwise its first ones followed by `…`, so
/// that a huge value (a 20 MB cell) does not make a huge answer.
pub fn shown(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(SHOWN_CHARS) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_as_a_path_to_the_value() {
        let p = Problem::new(
            Code::Invalid,
            Place::segment(14, "QTY", 12).element(1).component(2),
            "`twelve` is not a number",
        );
        assert_eq!(
            p.to_string(),
            "segment 14 (QTY), element 1, component 2, line 12: `twelve` is not a number"
        );
        assert_eq!(
            Place::cell(3, "quantity").to_string(),
            "column quantity, line 3"
        );
        assert_eq!(Place::whole().to_string(), "the whole input");
    }

    #[test]
    fn long_text_is_shown_cut_on_a_character_boundary() {
        assert_eq!(shown("JPY"), "JPY");
        let exact = "あ".repeat(SHOWN_CHARS);
        assert_eq!(shown(&exact), exact.as_str());
        let long = format!("{exact}い");
        assert_eq!(shown(&long), format!("{exact}…"));
        assert_eq!(
            shown(&"x".repeat(20_000_000)).chars().count(),
            SHOWN_CHARS + 1
        );
    }
}
