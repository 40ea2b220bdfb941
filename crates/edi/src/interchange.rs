//! What every format shares above the documents: the envelope an
//! interchange travels in, the outcome of reading each message in it, and the
//! acknowledgement the receiver owes the sender.
//!
//! A reader reports each message on its own: a bad message is rejected with
//! its problems while the good ones in the same interchange go through. The
//! [`Acknowledgement`] built from those outcomes is format-neutral; each
//! format writes it as the acknowledgement its standard prescribes.

use std::borrow::Cow;

use serde::Serialize;

use crate::{Date, Document, Place, Problem};

/// The formats a partner can exchange in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// UN/EDIFACT directory D.96A.
    EdifactD96a,
    /// UN/EDIFACT directory D.01B.
    EdifactD01b,
    /// ANSI ASC X12 version 004010.
    X12_004010,
    /// ANSI ASC X12 version 005010.
    X12_005010,
    /// UBL 2.1, Peppol BIS ordering profile.
    Ubl21,
    /// Renkei's flat CSV layout.
    Csv,
    /// Renkei's flat layout as an Excel workbook.
    Xlsx,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 7] = [
        Format::EdifactD96a,
        Format::EdifactD01b,
        Format::X12_004010,
        Format::X12_005010,
        Format::Ubl21,
        Format::Csv,
        Format::Xlsx,
    ];

    /// The name used in JSON and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::EdifactD96a => "edifact_d96a",
            Format::EdifactD01b => "edifact_d01b",
            Format::X12_004010 => "x12_004010",
            Format::X12_005010 => "x12_005010",
            Format::Ubl21 => "ubl21",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// Reads a name written by [`Format::as_str`].
    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// Who sent an interchange to whom, under which control reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope {
    /// The sender's interchange id (EDIFACT UNB S002, X12 ISA06).
    pub sender: String,
    /// The recipient's interchange id (EDIFACT UNB S003, X12 ISA08).
    pub recipient: String,
    /// The interchange control reference (UNB 0020, ISA13).
    pub reference: String,
    /// When it was prepared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prepared: Option<Date>,
    /// The time it was prepared, `HHMM` as written (EDIFACT UNB 0019, X12
    /// ISA10), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// X12 only: the functional group control number (GS06).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// X12 only: every functional group of the interchange, in order, as
    /// far as it was read (a decoder's [`Event::Envelope`](crate::x12::Event)
    /// holds the one group just opened).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<FunctionalGroup>,
}

/// X12 only: one functional group (GS … GE) of an interchange, as far as
/// its 997 needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunctionalGroup {
    /// The functional identifier code (GS01: `PO`, `PC`, …).
    pub functional: String,
    /// The group control number (GS06).
    pub control: String,
    /// The version, release and industry identifier (GS08: `005010`).
    pub version: String,
    /// The segment number of its GS in the interchange, from 1.
    pub segment: usize,
    /// The index, in the interchange's messages, of its first transaction
    /// set: its sets run up to the next group's first (or to the end).
    pub first_message: usize,
}

/// One message as read: its reference, its type, and either the document
/// or what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageOutcome {
    /// Message reference (EDIFACT UNH 0062, X12 ST02, UBL ID).
    pub reference: String,
    /// Message type as named on the wire (`ORDERS`, `850`, `Order`).
    pub message_type: String,
    /// EDIFACT only: the message version, release and controlling agency
    /// of UNH S009 (0052, 0054, 0051) joined by `:` whatever the
    /// interchange's separators (`D:96A:UN`), for the CONTRL; empty in the
    /// other formats.
    pub version: Cow<'static, str>,
    /// Where the message starts: its UNH or ST segment, the root element
    /// of a UBL document, the first row of a spreadsheet's document. A
    /// problem found after reading that belongs to no one segment (the
    /// order cycle refused the document, say) is placed here.
    pub place: Place,
    /// The document, or the problems that keep it from being one.
    pub result: Result<Document, Vec<Problem>>,
}

impl MessageOutcome {
    /// Adds a problem found after the message was read (a reference used
    /// twice, say): a document that read well is rejected, a rejected one
    /// gets one more problem.
    pub fn reject(&mut self, problem: Problem) {
        match &mut self.result {
            Ok(_) => self.result = Err(vec![problem]),
            Err(problems) => problems.push(problem),
        }
    }
}

/// An interchange read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The envelope, when the header could be read.
    pub envelope: Option<Envelope>,
    /// Each message, in order.
    pub messages: Vec<MessageOutcome>,
    /// Problems of the interchange as a whole (envelope, trailer counts,
    /// syntax that stops reading).
    pub problems: Vec<Problem>,
}

impl Reading {
    /// Whether the interchange as a whole was rejected; its messages are
    /// then not to be applied even if they read well.
    pub fn rejected(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The documents that read well.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.messages.iter().filter_map(|m| m.result.as_ref().ok())
    }

    /// The acknowledgement owed for this reading.
    pub fn acknowledgement(&self) -> Acknowledgement {
        Acknowledgement {
            envelope: self.envelope.clone(),
            problems: self.problems.clone(),
            messages: self
                .messages
                .iter()
                .map(|m| MessageAck {
                    reference: m.reference.clone(),
                    message_type: m.message_type.clone(),
                    version: m.version.to_string(),
                    problems: m.result.as_ref().err().cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// The receiver's answer to one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageAck {
    /// The message reference acknowledged.
    pub reference: String,
    /// Its type as named on the wire.
    pub message_type: String,
    /// EDIFACT only: its version, release and agency (`D:96A:UN`); see
    /// [`MessageOutcome::version`].
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Empty when accepted.
    pub problems: Vec<Problem>,
}

impl MessageAck {
    /// Whether the message was accepted.
    pub fn accepted(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The receiver's answer to an interchange, in no particular format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Acknowledgement {
    /// The envelope acknowledged, when it could be read.
    pub envelope: Option<Envelope>,
    /// Problems of the interchange as a whole; when any, everything is rejected.
    pub problems: Vec<Problem>,
    /// One answer per message.
    pub messages: Vec<MessageAck>,
}

impl Acknowledgement {
    /// Whether everything was accepted.
    pub fn all_accepted(&self) -> bool {
        self.problems.is_empty() && self.messages.iter().all(MessageAck::accepted)
    }

    /// Whether nothing was accepted.
    pub fn all_rejected(&self) -> bool {
        !self.problems.is_empty() || self.messages.iter().all(|m| !m.accepted())
    }
}

/// The envelope to write an interchange in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The sender's interchange id.
    pub sender: String,
    /// The recipient's interchange id.
    pub recipient: String,
    /// The interchange control reference, unique per sender (digits only
    /// for X12, at most nine).
    pub reference: String,
    /// Date of preparation.
    pub prepared: Date,
    /// Time of preparation, `HHMM`.
    pub time: String,
}
