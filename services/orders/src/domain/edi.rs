//! EDI partner profiles and what they do to documents on the way in and out:
//! the interchange ids in a partner's files stand for organisations, and an
//! organisation's item codes are filled in next to its partner's. Pure: the
//! app layer loads profiles and stores what comes out.

use renkei_edi::{Code, Document, Format, Place, Problem, Reading, edifact, sheet, ubl, x12};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest interchange id a profile accepts (EDIFACT UNB S002 allows 35).
pub const MAX_WIRE_ID: usize = 35;
/// The most item-code pairs one profile holds.
pub const MAX_ITEMS: usize = 10_000;
/// The longest item code.
pub const MAX_ITEM_CODE: usize = 35;

/// One item known by both sides' codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemCode {
    /// The organisation's own code.
    #[schema(example = "TAMA-10")]
    pub ours: String,
    /// The partner's code for the same item.
    #[schema(example = "4711-ON")]
    pub theirs: String,
}

/// How an organisation exchanges EDI files with one partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    /// The organisation the profile belongs to.
    pub organisation_id: String,
    /// The partner organisation.
    pub partner_id: String,
    /// The organisation's interchange id in these files (UNB sender, ISA06,
    /// UBL endpoint): often its GLN.
    #[schema(example = "4912345000019")]
    pub own_wire_id: String,
    /// The partner's interchange id in these files.
    #[schema(example = "4998765000014")]
    pub partner_wire_id: String,
    /// The format the organisation sends its files in.
    pub sends: Format,
    /// The format it wants the partner's documents in.
    pub wants: Format,
    /// Item codes of both sides.
    pub items: Vec<ItemCode>,
    /// Increases with every change.
    pub version: i64,
    /// Last change, ms since the epoch.
    pub updated_at_ms: i64,
}

/// Checks a profile's fields before it is saved; the first problem as
/// (field, reason).
pub fn validate(profile: &Profile) -> Result<(), (String, String)> {
    let wire = |field: &str, value: &str| -> Result<(), (String, String)> {
        if value.is_empty() || value.chars().count() > MAX_WIRE_ID {
            return Err((
                field.to_string(),
                format!("an interchange id has 1 to {MAX_WIRE_ID} characters"),
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._ ".contains(&b))
        {
            return Err((
                field.to_string(),
                "an interchange id uses letters, digits, space, '-', '.' and '_' only, so that it can be written in every format".to_string(),
            ));
        }
        Ok(())
    };
    wire("own_wire_id", &profile.own_wire_id)?;
    wire("partner_wire_id", &profile.partner_wire_id)?;
    if profile.own_wire_id == profile.partner_wire_id {
        return Err((
            "partner_wire_id".to_string(),
            "the partner's interchange id must differ from yours".to_string(),
        ));
    }
    if profile.items.len() > MAX_ITEMS {
        return Err((
            "items".to_string(),
            format!("a profile holds at most {MAX_ITEMS} item codes"),
        ));
    }
    let mut ours = std::collections::HashSet::new();
    let mut theirs = std::collections::HashSet::new();
    for (i, item) in profile.items.iter().enumerate() {
        for (name, value, seen) in [
            ("ours", &item.ours, &mut ours),
            ("theirs", &item.theirs, &mut theirs),
        ] {
            let field = format!("items[{i}].{name}");
            if value.trim().is_empty() || value.chars().count() > MAX_ITEM_CODE {
                return Err((
                    field,
                    format!("an item code has 1 to {MAX_ITEM_CODE} characters"),
                ));
            }
            if !seen.insert(value.as_str()) {
                return Err((field, format!("`{value}` is listed twice")));
            }
        }
    }
    Ok(())
}

/// The families of formats a file can be in; the version comes from the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// UN/EDIFACT.
    Edifact,
    /// ANSI X12.
    X12,
    /// UBL XML.
    Ubl,
    /// The flat CSV layout.
    Csv,
    /// The flat layout as a workbook.
    Xlsx,
}

impl Family {
    /// The family a format belongs to.
    pub fn of(format: Format) -> Family {
        match format {
            Format::EdifactD96a | Format::EdifactD01b => Family::Edifact,
            Format::X12_004010 | Format::X12_005010 => Family::X12,
            Format::Ubl21 => Family::Ubl,
            Format::Csv => Family::Csv,
            Format::Xlsx => Family::Xlsx,
        }
    }

    /// Recognises a file by its first bytes: `UNA`/`UNB` (EDIFACT), `ISA`
    /// (X12), `<` (XML), a zip header (workbook); anything else is taken
    /// as CSV, whose reader says what is wrong with it.
    pub fn detect(bytes: &[u8]) -> Family {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        let head = &bytes[start..];
        if head.starts_with(b"UNA") || head.starts_with(b"UNB") {
            Family::Edifact
        } else if head.starts_with(b"ISA") {
            Family::X12
        } else if head.starts_with(b"<") {
            Family::Ubl
        } else if bytes.starts_with(b"PK\x03\x04") {
            Family::Xlsx
        } else {
            Family::Csv
        }
    }

    /// Why a file is none of the formats at all, when its first bytes say
    /// so: a compressed file, a form upload, or binary data. Such a file
    /// would otherwise be read as CSV and answered with a CSV's problems.
    pub fn unrecognised(bytes: &[u8]) -> Option<&'static str> {
        const FORMATS: &str = "EDIFACT starts with UNA or UNB, X12 with ISA, UBL with `<`, a workbook is an .xlsx file, anything else is read as CSV";
        if bytes.starts_with(b"\x1f\x8b") {
            return Some(
                "the file is gzip-compressed: send it uncompressed (EDIFACT starts with UNA or UNB, X12 with ISA, UBL with `<`)",
            );
        }
        if bytes.starts_with(b"--")
            && bytes
                .windows(20)
                .take(2048)
                .any(|w| w.eq_ignore_ascii_case(b"content-disposition:"))
        {
            return Some(
                "the body is a multipart form upload: send the file itself as the request body (curl --data-binary @file)",
            );
        }
        let head = &bytes[..bytes.len().min(4096)];
        if !bytes.starts_with(b"PK\x03\x04") && head.contains(&0) {
            return Some(FORMATS);
        }
        None
    }

    /// The format of this family a file is taken to be in: `preferred` when
    /// it is of the family, else the family's first version.
    pub fn format(self, preferred: Format) -> Format {
        if Family::of(preferred) == self {
            return preferred;
        }
        match self {
            Family::Edifact => Format::EdifactD96a,
            Family::X12 => Format::X12_005010,
            Family::Ubl => Format::Ubl21,
            Family::Csv => Format::Csv,
            Family::Xlsx => Format::Xlsx,
        }
    }

    /// The format a file read as this family is in, by what it says of
    /// itself: the EDIFACT directory of its messages (UNH S009), the X12
    /// version of its first functional group (GS08); `preferred` (or the
    /// family's first version) when it says nothing this crate reads.
    pub fn format_of(self, reading: &Reading, preferred: Format) -> Format {
        let told = match self {
            Family::Edifact => reading
                .messages
                .iter()
                .find_map(|m| match m.version.as_ref() {
                    "D:96A:UN" => Some(Format::EdifactD96a),
                    "D:01B:UN" => Some(Format::EdifactD01b),
                    _ => None,
                }),
            Family::X12 => reading
                .envelope
                .as_ref()
                .and_then(|e| e.groups.first())
                .and_then(|g| match g.version.get(..6) {
                    Some("004010") => Some(Format::X12_004010),
                    Some("005010") => Some(Format::X12_005010),
                    _ => None,
                }),
            _ => None,
        };
        told.unwrap_or_else(|| self.format(preferred))
    }

    /// Reads a whole file of this family.
    pub fn read(self, bytes: &[u8]) -> Reading {
        match self {
            Family::Edifact => edifact::read(bytes),
            Family::X12 => x12::read(bytes),
            Family::Ubl => ubl::read(bytes),
            Family::Csv => sheet::read_csv(bytes),
            Family::Xlsx => sheet::read_xlsx(bytes),
        }
    }

    /// Whether files of this family carry an interchange envelope with a
    /// control reference (a resubmission is then recognised by it).
    pub fn has_envelope(self) -> bool {
        matches!(self, Family::Edifact | Family::X12 | Family::Ubl)
    }

    /// Where the envelope names the sender, the recipient and the control
    /// reference, for problems about them.
    pub fn envelope_place(self, what: EnvelopeField) -> Place {
        let (tag, element, path) = match (self, what) {
            (Family::Edifact, EnvelopeField::Sender) => ("UNB", 2, ""),
            (Family::Edifact, EnvelopeField::Recipient) => ("UNB", 3, ""),
            (Family::Edifact, EnvelopeField::Reference) => ("UNB", 5, ""),
            (Family::X12, EnvelopeField::Sender) => ("ISA", 6, ""),
            (Family::X12, EnvelopeField::Recipient) => ("ISA", 8, ""),
            (Family::X12, EnvelopeField::Reference) => ("ISA", 13, ""),
            (_, EnvelopeField::Sender) => ("", 0, "sender"),
            (_, EnvelopeField::Recipient) => ("", 0, "recipient"),
            (_, EnvelopeField::Reference) => ("", 0, "cbc:ID"),
        };
        if tag.is_empty() {
            Place {
                path: Some(path.to_string()),
                ..Place::default()
            }
        } else {
            Place {
                tag: Some(tag.to_string()),
                element: Some(element),
                ..Place::default()
            }
        }
    }
}

/// A field of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeField {
    /// Who sent it.
    Sender,
    /// To whom.
    Recipient,
    /// Its control reference.
    Reference,
}

/// Which profile a document read from `organisation_id`'s file belongs to:
/// the one whose partner the document's other party names, by interchange
/// id or by organisation id.
pub fn profile_for<'p>(
    document: &Document,
    organisation_id: &str,
    profiles: &'p [Profile],
) -> Result<&'p Profile, Box<Problem>> {
    let (buyer, seller) = document.parties();
    let (own, other, other_side) = if document.sent_by_buyer() {
        (buyer, seller, "seller")
    } else {
        (seller, buyer, "buyer")
    };
    let kind = document.kind().as_str().replace('_', " ");
    // The other party is the uploader itself: the file holds a document
    // the organisation received, or one the other side sends.
    if profiles.iter().any(|p| p.own_wire_id == other.id) || other.id == organisation_id {
        let own_side = if other_side == "seller" {
            "buyer"
        } else {
            "seller"
        };
        return Err(party_problem(
            other_side,
            format!(
                "the {other_side} `{}` is you: {kind}s are sent by the {own_side}, so this file is one you received, not one you send; upload only the documents your organisation sends",
                other.id
            ),
        ));
    }
    let profile = profiles
        .iter()
        .find(|p| p.partner_wire_id == other.id || p.partner_id == other.id)
        .ok_or_else(|| {
            party_problem(
                other_side,
                format!(
                    "the {other_side} `{}` is none of your EDI partners; add a partner profile with this interchange id",
                    other.id
                ),
            )
        })?;
    let own_side = if other_side == "seller" {
        "buyer"
    } else {
        "seller"
    };
    if own.id != profile.own_wire_id && own.id != organisation_id {
        return Err(party_problem(
            own_side,
            format!(
                "the {own_side} `{}` is not you: your interchange id with this partner is `{}`",
                own.id, profile.own_wire_id
            ),
        ));
    }
    Ok(profile)
}

fn party_problem(side: &str, message: String) -> Box<Problem> {
    Box::new(Problem {
        code: Code::UnknownParty,
        place: Place {
            path: Some(format!("{side}.id")),
            ..Place::default()
        },
        message,
        rule: None,
    })
}

/// A document read from the organisation's file, made canonical: the
/// parties become organisation ids, and items with only the organisation's
/// own code get the partner's code from the profile.
pub fn inbound(document: &mut Document, organisation_id: &str, profile: &Profile) {
    let sent_by_buyer = document.sent_by_buyer();
    let (buyer, seller) = document.parties_mut();
    let (own, other) = if sent_by_buyer {
        (buyer, seller)
    } else {
        (seller, buyer)
    };
    own.id = organisation_id.to_string();
    other.id = profile.partner_id.clone();
    for item in document.items_mut() {
        let (ours, theirs) = codes(item, sent_by_buyer);
        fill(ours, theirs, &profile.items, |c| (&c.ours, &c.theirs));
    }
}

/// A document to be written into the organisation's file: the parties
/// become interchange ids, and items with only the partner's code get the
/// organisation's own code.
pub fn outbound(document: &mut Document, organisation_id: &str, profile: &Profile) {
    let (buyer, seller) = document.parties_mut();
    let own_is_buyer = buyer.id == organisation_id;
    let (own, theirs) = if own_is_buyer {
        (buyer, seller)
    } else {
        (seller, buyer)
    };
    own.id = profile.own_wire_id.clone();
    theirs.id = profile.partner_wire_id.clone();
    for item in document.items_mut() {
        let (ours, theirs) = codes(item, own_is_buyer);
        fill(theirs, ours, &profile.items, |c| (&c.theirs, &c.ours));
    }
}

/// The organisation's and the partner's code fields of an item, for an
/// organisation on the buyer side when `buyer` is true.
fn codes(item: &mut renkei_edi::Item, buyer: bool) -> (&mut Option<String>, &mut Option<String>) {
    if buyer {
        (&mut item.buyer_code, &mut item.seller_code)
    } else {
        (&mut item.seller_code, &mut item.buyer_code)
    }
}

/// Sets `to` from the pair whose `from` side equals `from`, when `to` is empty.
fn fill(
    from: &mut Option<String>,
    to: &mut Option<String>,
    items: &[ItemCode],
    sides: impl Fn(&ItemCode) -> (&String, &String),
) {
    if to.is_some() {
        return;
    }
    if let Some(code) = from.as_deref() {
        if let Some(pair) = items.iter().find(|c| sides(c).0 == code) {
            *to = Some(sides(pair).1.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use renkei_edi::samples;

    fn profile() -> Profile {
        Profile {
            organisation_id: "org-buyer".into(),
            partner_id: "org-seller".into(),
            own_wire_id: "4912345000019".into(),
            partner_wire_id: "4998765000014".into(),
            sends: Format::EdifactD96a,
            wants: Format::EdifactD96a,
            items: vec![ItemCode {
                ours: "B-1".into(),
                theirs: "S-1".into(),
            }],
            version: 1,
            updated_at_ms: 0,
        }
    }

    fn order_with_codes(buyer: &str, seller: &str, buyer_code: Option<&str>) -> Document {
        let mut o = samples::order();
        o.buyer.id = buyer.into();
        o.seller.id = seller.into();
        o.lines[0].item.buyer_code = buyer_code.map(str::to_string);
        o.lines[0].item.seller_code = None;
        Document::Order(o)
    }

    #[test]
    fn detects_each_family_by_its_first_bytes() {
        assert_eq!(Family::detect(b"UNA:+.? 'UNB+UNOC:3"), Family::Edifact);
        assert_eq!(Family::detect(b"\r\nUNB+UNOC:3"), Family::Edifact);
        assert_eq!(Family::detect(b"ISA*00*"), Family::X12);
        assert_eq!(Family::detect(b"\xEF\xBB\xBF<?xml"), Family::Ubl);
        assert_eq!(Family::detect(b"PK\x03\x04rest"), Family::Xlsx);
        assert_eq!(Family::detect("種別,番号".as_bytes()), Family::Csv);
        assert_eq!(Family::X12.format(Format::X12_004010), Format::X12_004010);
        assert_eq!(Family::X12.format(Format::EdifactD01b), Format::X12_005010);
    }

    #[test]
    fn inbound_maps_wire_ids_to_organisations_and_fills_partner_codes() {
        let profiles = [profile()];
        let mut order = order_with_codes("4912345000019", "4998765000014", Some("B-1"));
        let found = profile_for(&order, "org-buyer", &profiles).expect("partner found");
        inbound(&mut order, "org-buyer", found);
        let Document::Order(o) = &order else {
            unreachable!()
        };
        assert_eq!(o.buyer.id, "org-buyer");
        assert_eq!(o.seller.id, "org-seller");
        assert_eq!(o.lines[0].item.seller_code.as_deref(), Some("S-1"));
        // A code with no pair stays as it is.
        let mut other = order_with_codes("org-buyer", "4998765000014", Some("B-9"));
        inbound(&mut other, "org-buyer", &profiles[0]);
        let Document::Order(o) = &other else {
            unreachable!()
        };
        assert_eq!(o.lines[0].item.seller_code, None);
    }

    #[test]
    fn a_stranger_or_someone_else_as_sender_is_an_unknown_party_at_its_path() {
        let profiles = [profile()];
        let stranger = order_with_codes("4912345000019", "4000000000000", None);
        let problem = profile_for(&stranger, "org-buyer", &profiles).expect_err("refused");
        assert_eq!(problem.code, Code::UnknownParty);
        assert_eq!(problem.place.path.as_deref(), Some("seller.id"));
        let impostor = order_with_codes("4000000000000", "4998765000014", None);
        let problem = profile_for(&impostor, "org-buyer", &profiles).expect_err("refused");
        assert_eq!(problem.place.path.as_deref(), Some("buyer.id"));
        assert!(
            problem.message.contains("4912345000019"),
            "{}",
            problem.message
        );
    }

    #[test]
    fn a_document_the_uploader_received_is_named_as_such() {
        let profiles = [profile()];
        // The buyer's file holds a response: sent by the seller, to the buyer.
        let mut response = samples::order_response();
        response.buyer.id = "4912345000019".into();
        response.seller.id = "4998765000014".into();
        let problem = profile_for(&Document::OrderResponse(response), "org-buyer", &profiles)
            .expect_err("not the buyer's to send");
        assert_eq!(problem.place.path.as_deref(), Some("buyer.id"));
        assert!(
            problem
                .message
                .contains("order responses are sent by the seller"),
            "{}",
            problem.message
        );
        // The same by organisation id.
        let mut response = samples::order_response();
        response.buyer.id = "org-buyer".into();
        let problem = profile_for(&Document::OrderResponse(response), "org-buyer", &profiles)
            .expect_err("not the buyer's to send");
        assert!(problem.message.contains("is you"), "{}", problem.message);
    }

    #[test]
    fn a_file_is_labelled_by_the_version_it_says_it_is_in() {
        let outgoing = renkei_edi::Outgoing {
            sender: "4912345000019".into(),
            recipient: "4998765000014".into(),
            reference: "1".into(),
            prepared: "2026-11-21".parse().expect("date"),
            time: "0930".into(),
        };
        let docs = [Document::Order(samples::order())];
        let d01b =
            edifact::read(edifact::write(&outgoing, edifact::Version::D01B, &docs).as_bytes());
        assert_eq!(
            Family::Edifact.format_of(&d01b, Format::EdifactD96a),
            Format::EdifactD01b
        );
        let d96a =
            edifact::read(edifact::write(&outgoing, edifact::Version::D96A, &docs).as_bytes());
        assert_eq!(
            Family::Edifact.format_of(&d96a, Format::EdifactD01b),
            Format::EdifactD96a
        );
        let mut plain = docs[0].clone();
        x12::plain_text(&mut plain);
        let x = x12::write(&outgoing, x12::Version::V004010, &[plain]).expect("X12");
        let v4010 = x12::read(x.as_bytes());
        assert_eq!(
            Family::X12.format_of(&v4010, Format::X12_005010),
            Format::X12_004010
        );
        // Nothing read: the preferred format of the family.
        let nothing = edifact::read(b"UNB+");
        assert_eq!(
            Family::Edifact.format_of(&nothing, Format::EdifactD01b),
            Format::EdifactD01b
        );
        assert_eq!(
            Family::Edifact.format_of(&nothing, Format::Csv),
            Format::EdifactD96a
        );
    }

    #[test]
    fn files_that_are_no_format_are_recognised() {
        assert!(Family::unrecognised(b"\x1f\x8b\x08rest").is_some_and(|m| m.contains("gzip")));
        let form = b"--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nUNB+";
        assert!(Family::unrecognised(form).is_some_and(|m| m.contains("multipart")));
        assert!(Family::unrecognised(b"\x00\x01\x02").is_some());
        // Workbooks are zip files, with zero bytes in them.
        assert_eq!(Family::unrecognised(b"PK\x03\x04\x00\x00"), None);
        assert_eq!(Family::unrecognised(b"UNA:+.? 'UNB+UNOC:3"), None);
        assert_eq!(Family::unrecognised("種別,番号\n--,x".as_bytes()), None);
        assert_eq!(Family::unrecognised(b"--,comment row\n"), None);
    }

    #[test]
    fn outbound_writes_wire_ids_and_fills_own_codes() {
        let p = profile();
        let mut r = samples::order_response();
        r.buyer.id = "org-buyer".into();
        r.seller.id = "org-seller".into();
        r.lines[0].item.buyer_code = None;
        r.lines[0].item.seller_code = Some("S-1".into());
        let mut response = Document::OrderResponse(r);
        outbound(&mut response, "org-buyer", &p);
        let Document::OrderResponse(r) = &response else {
            unreachable!()
        };
        assert_eq!(r.buyer.id, "4912345000019");
        assert_eq!(r.seller.id, "4998765000014");
        assert_eq!(r.lines[0].item.buyer_code.as_deref(), Some("B-1"));
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = profile();
        assert!(validate(&p).is_ok());
        p.partner_wire_id = p.own_wire_id.clone();
        assert_eq!(validate(&p).expect_err("refused").0, "partner_wire_id");
        let mut p = profile();
        p.own_wire_id = "a+b".into();
        assert_eq!(validate(&p).expect_err("refused").0, "own_wire_id");
        let mut p = profile();
        p.items.push(ItemCode {
            ours: "B-2".into(),
            theirs: "S-1".into(),
        });
        assert_eq!(validate(&p).expect_err("refused").0, "items[1].theirs");
    }
}
