//! EDI: partner profiles, files received (each good message applied as a
//! document, the acknowledgement written in the standard's own form) and
//! documents written out in the partner profile's format.

use renkei_edi::{
    Acknowledgement, Code, Date, Document, Envelope, Format, Outgoing, Problem, edifact, sheet,
    ubl, x12,
};
use renkei_kernel::{
    auth::{Caller, Role},
    idempotency,
    storage::{is_unique_violation, now_ms},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{App, AppError, SCOPE_READ, SCOPE_WRITE, Submission};
use crate::{
    db::{self, InterchangeRow, ProfileRow},
    domain::{
        Channel, OrderStatus,
        edi::{self, EnvelopeField, Family, ItemCode, Profile},
    },
};

/// The largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// The control references of acknowledgements answered from an
/// interchange id that is no partner's are counted per id, under this
/// prefix and the id (partners' sequences are keyed by organisation id).
const UNKNOWN_PARTY_SEQUENCE: &str = "wire:";

/// A partner profile as sent by its owner.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({
    "own_wire_id": "4912345000019",
    "partner_wire_id": "4998765000014",
    "sends": "edifact_d96a",
    "wants": "edifact_d96a",
    "items": [{"ours": "TAMA-10", "theirs": "4711-ON"}]
}))]
pub struct ProfileInput {
    /// Your interchange id in these files.
    pub own_wire_id: String,
    /// The partner's interchange id in these files.
    pub partner_wire_id: String,
    /// The format you send in.
    pub sends: Format,
    /// The format you want the partner's documents in.
    pub wants: Format,
    /// Your item codes next to the partner's.
    #[serde(default)]
    pub items: Vec<ItemCode>,
}

/// What became of one message of a file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageReport {
    /// Its reference on the wire (UNH, ST02, document id, or its number in the file).
    pub reference: String,
    /// Its type on the wire (`ORDERS`, `850`, `Order`, `order`).
    pub message_type: String,
    /// Whether it was applied.
    pub accepted: bool,
    /// The order it was applied to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The document it became.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    /// Its version in the order's history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The order's status after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// Why it was rejected, each with its place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<serde_json::Value>,
}

/// A file received: what became of it and its acknowledgement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntakeReport {
    /// The stored interchange.
    pub interchange_id: String,
    /// The format it was read as.
    pub format: Format,
    /// `accepted`, `partly_accepted`, `rejected` or `duplicate`.
    pub status: String,
    /// True when the same control reference from the same sender was
    /// received before: nothing was applied again.
    pub duplicate: bool,
    /// The partner it came from, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// Sender, recipient and control reference, when the file has an envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub envelope: Option<serde_json::Value>,
    /// Problems of the file as a whole: when any, nothing was applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub problems: Vec<serde_json::Value>,
    /// Each message in the file.
    pub messages: Vec<MessageReport>,
    /// The acknowledgement (CONTRL, 997 or Peppol message-level response),
    /// when the format has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<AckFile>,
}

/// An acknowledgement as written.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AckFile {
    /// `edifact_contrl`, `x12_997` or `peppol_mlr`.
    pub format: String,
    /// The text to send back to the sender's EDI system.
    pub content: String,
}

/// An interchange in a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InterchangeSummary {
    /// Id.
    pub interchange_id: String,
    /// `in` (you uploaded it) or `out` (written for you).
    pub direction: String,
    /// Format name.
    pub format: String,
    /// The partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<String>,
    /// Sender's interchange id.
    pub sender: String,
    /// Recipient's interchange id.
    pub recipient: String,
    /// Control reference.
    pub reference: String,
    /// `accepted`, `partly_accepted`, `rejected`, `duplicate` or `sent`.
    pub status: String,
    /// Messages in it.
    pub messages: usize,
    /// Messages rejected.
    pub rejected: usize,
    /// Whether an acknowledgement was written.
    pub acknowledged: bool,
    /// When (ms since the epoch).
    pub created_at_ms: i64,
}

/// A file to hand to the caller.
#[derive(Debug, Clone)]
pub struct FileOut {
    /// Media type.
    pub content_type: &'static str,
    /// File name to save it as.
    pub file_name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl axum::response::IntoResponse for FileOut {
    /// The bytes, with their media type and a file name to save them as.
    fn into_response(self) -> axum::response::Response {
        use axum::http::header;
        (
            [
                (header::CONTENT_TYPE, self.content_type.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", self.file_name),
                ),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// Which part of a stored interchange to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterchangePart {
    /// The file as received or sent.
    File,
    /// The acknowledgement written for it.
    Acknowledgement,
}

pub(super) fn profile_of(row: ProfileRow) -> Result<Profile, AppError> {
    let format = |name: &str| {
        Format::parse(name)
            .ok_or_else(|| AppError::Internal(format!("stored format `{name}` is unknown")))
    };
    Ok(Profile {
        sends: format(&row.sends)?,
        wants: format(&row.wants)?,
        items: serde_json::from_str(&row.items)
            .map_err(|e| AppError::Internal(format!("stored item codes do not read: {e}")))?,
        organisation_id: row.organisation_id,
        partner_id: row.partner_id,
        own_wire_id: row.own_wire_id,
        partner_wire_id: row.partner_wire_id,
        version: row.version,
        updated_at_ms: row.updated_at_ms,
    })
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(value).map_err(|e| AppError::Internal(e.to_string()))
}

/// Today in UTC, and the time as `HHMM`.
pub(super) fn today() -> (Date, String) {
    let ms = now_ms();
    let days = ms.div_euclid(86_400_000);
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    let date = Date::from_unix_days(days).unwrap_or_else(|| Date::new(1970, 1, 1).expect("a date"));
    (date, format!("{:02}{:02}", minutes / 60, minutes % 60))
}

/// A problem the platform found in a message that read well: the cycle or
/// the partnership refused it.
fn refusal(e: AppError, order_number: &str) -> Result<Vec<Problem>, AppError> {
    let place = |path: &str| renkei_edi::Place {
        path: (!path.is_empty()).then(|| path.to_string()),
        ..renkei_edi::Place::default()
    };
    Ok(vec![match e {
        AppError::Invalid { field, reason } => Problem::new(Code::Rule, place(&field), reason),
        // Every rule the document breaks, each with its own code and path.
        AppError::Rules(problems) => return Ok(problems),
        AppError::Refused(r) => Problem::new(
            Code::Rule,
            place(""),
            format!("order cycle rule `{}`: {}", r.rule, r.message),
        )
        .breaking(r.rule),
        AppError::NotPartners(m) => Problem::new(Code::UnknownParty, place(""), m),
        AppError::NotFound(what) => Problem::new(
            Code::Rule,
            place("order_number"),
            format!("no {what} numbered `{order_number}` between you and this partner"),
        ),
        AppError::KeyReused => Problem::new(
            Code::Duplicate,
            place(""),
            "this message was received before with different content",
        ),
        AppError::Forbidden(m) => Problem::new(Code::UnknownParty, place(""), m),
        other => return Err(other),
    }])
}

impl App {
    /// The organisation's EDI profiles, one per partner.
    pub async fn profiles(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<Profile>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        db::profiles_of(&mut conn, organisation_id)
            .await?
            .into_iter()
            .map(profile_of)
            .collect()
    }

    /// Creates or replaces the profile for one partner (admins).
    pub async fn profile_put(
        &self,
        caller: &Caller,
        organisation_id: &str,
        partner_id: &str,
        input: ProfileInput,
    ) -> Result<Profile, AppError> {
        self.authorize(caller, organisation_id, Role::Admin, SCOPE_WRITE)?;
        let mut profile = Profile {
            organisation_id: organisation_id.to_string(),
            partner_id: partner_id.to_string(),
            own_wire_id: input.own_wire_id.trim().to_string(),
            partner_wire_id: input.partner_wire_id.trim().to_string(),
            sends: input.sends,
            wants: input.wants,
            items: input.items,
            version: 1,
            updated_at_ms: now_ms(),
        };
        edi::validate(&profile).map_err(|(field, reason)| AppError::invalid(field, reason))?;
        let mut tx = self.db.begin().await?;
        if db::active_links(&mut tx, organisation_id, partner_id)
            .await?
            .is_empty()
        {
            return Err(AppError::NotPartners(format!(
                "{partner_id} is not an active partner of {organisation_id}; EDI profiles are for partners"
            )));
        }
        if let Some(old) = db::profile_get(&mut tx, organisation_id, partner_id).await? {
            profile.version = old.version + 1;
        }
        let row = ProfileRow {
            organisation_id: profile.organisation_id.clone(),
            partner_id: profile.partner_id.clone(),
            own_wire_id: profile.own_wire_id.clone(),
            partner_wire_id: profile.partner_wire_id.clone(),
            sends: profile.sends.as_str().to_string(),
            wants: profile.wants.as_str().to_string(),
            items: serde_json::to_string(&profile.items)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            version: profile.version,
            updated_at_ms: profile.updated_at_ms,
        };
        match db::profile_save(&mut tx, &row).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::invalid(
                    "partner_wire_id",
                    format!(
                        "`{}` is already the interchange id of another of your partners",
                        profile.partner_wire_id
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(profile)
    }

    /// Removes the profile for one partner (admins).
    pub async fn profile_delete(
        &self,
        caller: &Caller,
        organisation_id: &str,
        partner_id: &str,
    ) -> Result<(), AppError> {
        self.authorize(caller, organisation_id, Role::Admin, SCOPE_WRITE)?;
        let mut conn = self.db.acquire().await?;
        if !db::profile_delete(&mut conn, organisation_id, partner_id).await? {
            return Err(AppError::NotFound("EDI profile"));
        }
        Ok(())
    }

    /// Receives a file the organisation sends (EDIFACT, X12, UBL, CSV or a
    /// workbook): each message that reads well and that the cycle allows is
    /// applied as a document from the organisation; the others are rejected
    /// alone, each problem at its place. A file whose envelope was already
    /// received (same sender, same control reference) applies nothing
    /// again. The acknowledgement comes back in the file's own standard.
    pub async fn intake(
        &self,
        caller: &Caller,
        organisation_id: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
    ) -> Result<IntakeReport, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        if bytes.is_empty() {
            return Err(AppError::invalid("body", "the file is empty"));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(AppError::invalid(
                "body",
                format!(
                    "the file has {} bytes; at most {MAX_FILE_BYTES} are accepted at once — split it into several interchanges",
                    bytes.len()
                ),
            ));
        }
        if let Some(why) = Family::unrecognised(&bytes) {
            return Err(AppError::invalid(
                "body",
                format!("the file is none of the formats Renkei reads: {why}"),
            ));
        }
        let family = format.map_or_else(|| Family::detect(&bytes), Family::of);
        let mut reading = family.read(&bytes);
        let profiles: Vec<Profile> = {
            let mut conn = self.db.acquire().await?;
            db::profiles_of(&mut conn, organisation_id)
                .await?
                .into_iter()
                .map(profile_of)
                .collect::<Result<_, _>>()?
        };
        let envelope = reading.envelope.clone().filter(|_| family.has_envelope());
        // The envelope names the partner; it must be one of the profiles.
        let mut profile: Option<&Profile> = None;
        if let Some(env) = &envelope {
            match profiles.iter().find(|p| p.partner_wire_id == env.recipient) {
                None if profiles.iter().any(|p| p.own_wire_id == env.recipient) => {
                    reading.problems.push(Problem::new(
                        Code::UnknownParty,
                        family.envelope_place(EnvelopeField::Recipient),
                        format!(
                            "the recipient `{}` is you: this is a file you received, not one you send; upload only the files your organisation sends",
                            env.recipient
                        ),
                    ))
                }
                None => reading.problems.push(Problem::new(
                    Code::UnknownParty,
                    family.envelope_place(EnvelopeField::Recipient),
                    format!(
                        "the recipient `{}` is none of your EDI partners; add a partner profile with this interchange id",
                        env.recipient
                    ),
                )),
                Some(p) if p.own_wire_id != env.sender => reading.problems.push(Problem::new(
                    Code::UnknownParty,
                    family.envelope_place(EnvelopeField::Sender),
                    format!(
                        "the sender `{}` is not you: your interchange id with this partner is `{}`",
                        env.sender, p.own_wire_id
                    ),
                )),
                Some(p) => profile = Some(p),
            }
        }
        let preferred = profile
            .or_else(|| profiles.first())
            .map_or(Format::Csv, |p| p.sends);
        // The file's own word on its version outranks the profile's, and a
        // format asked for that the file contradicts.
        let format = match format {
            Some(asked) => family.format_of(&reading, asked),
            None => family.format_of(&reading, preferred),
        };
        // A control reference is unique per sender and recipient: a sender
        // may number its interchanges per partner, as Renkei does.
        let claim = envelope
            .as_ref()
            .map(|env| format!("in:{}:{}:{}", env.sender, env.recipient, env.reference));
        // A file without an envelope (CSV, a workbook) is known by its
        // content: the same file again applies nothing again, and says so.
        // (`claim` is there exactly when the envelope is.)
        let known_as = claim
            .clone()
            .unwrap_or_else(|| format!("file:{}", idempotency::fingerprint(&[&bytes[..]])));
        // An envelope from no partner of the organisation is not looked up.
        if envelope.is_none() || profile.is_some() {
            let mut conn = self.db.acquire().await?;
            if let Some(first) =
                db::interchange_claimed(&mut conn, organisation_id, &known_as).await?
            {
                drop(conn);
                return self
                    .duplicate(
                        organisation_id,
                        profile,
                        format,
                        family,
                        envelope.as_ref(),
                        bytes,
                        reading,
                        &first,
                    )
                    .await;
            }
        }
        // Apply each message that read well, unless the file as a whole failed.
        let mut reports = Vec::with_capacity(reading.messages.len());
        let rejected_whole = reading.rejected();
        let base_key = idempotency::fingerprint(&[
            organisation_id.as_bytes(),
            claim.as_deref().unwrap_or("").as_bytes(),
            if claim.is_some() { &[] } else { &bytes[..] },
        ]);
        let mut partner_id = profile.map(|p| p.partner_id.clone());
        for (index, message) in reading.messages.iter_mut().enumerate() {
            let mut report = MessageReport {
                reference: message.reference.clone(),
                message_type: message.message_type.clone(),
                accepted: false,
                order_id: None,
                document_id: None,
                version: None,
                status: None,
                problems: Vec::new(),
            };
            if let (Ok(document), false) = (&message.result, rejected_whole) {
                let mut document: Document = document.clone();
                let direct = profile.is_none() && names_itself(&document, organisation_id);
                let target = match edi::profile_for(&document, organisation_id, &profiles) {
                    // Without an envelope or a profile, a file may name both
                    // sides by organisation id; the partnership is checked
                    // as for any document.
                    Err(_) if direct => Ok(None),
                    Err(problem) => Err(*problem),
                    Ok(p) if profile.is_some_and(|e| e.partner_id != p.partner_id) => {
                        Err(Problem::new(
                            Code::UnknownParty,
                            renkei_edi::Place::default(),
                            format!(
                                "this message is for {}, but the interchange is addressed to {}",
                                p.partner_wire_id,
                                profile.map_or("", |e| e.partner_wire_id.as_str())
                            ),
                        ))
                    }
                    Ok(p) => Ok(Some(p)),
                };
                let applied = match target {
                    Err(problem) => Err(vec![problem]),
                    Ok(p) => {
                        if let Some(p) = p {
                            partner_id.get_or_insert_with(|| p.partner_id.clone());
                            edi::inbound(&mut document, organisation_id, p);
                        }
                        let order_number = document.order_number().to_string();
                        let submission = Submission {
                            document,
                            channel: Channel::File(format),
                            idempotency_key: format!("edi-{base_key}-{index}"),
                        };
                        match self.submit_as(organisation_id, submission).await {
                            Ok(done) => Ok(done),
                            Err(e) => Err(refusal(e, &order_number)?),
                        }
                    }
                };
                // A refusal of the document as a whole is placed at the
                // message's start, keeping the path it names.
                let applied = applied.map_err(|mut problems| {
                    let at = &message.place;
                    for place in problems.iter_mut().map(|p| &mut p.place) {
                        if place.segment.is_none() && place.line.is_none() {
                            place.segment = at.segment;
                            place.tag = at.tag.clone();
                            place.line = at.line;
                            if place.path.is_none() {
                                place.path = at.path.clone();
                            }
                        }
                    }
                    problems
                });
                match applied {
                    Ok(done) => {
                        report.accepted = true;
                        report.order_id = Some(done.order_id);
                        report.document_id = Some(done.document_id);
                        report.version = Some(done.version);
                        report.status = Some(done.status);
                    }
                    Err(problems) => problems.into_iter().for_each(|p| message.reject(p)),
                }
            }
            if let Err(problems) = &message.result {
                report.problems = problems.iter().map(json).collect::<Result<_, _>>()?;
            }
            reports.push(report);
        }
        let accepted = reports.iter().filter(|r| r.accepted).count();
        let status = if accepted == 0 {
            "rejected"
        } else if accepted == reports.len() {
            "accepted"
        } else {
            "partly_accepted"
        };
        let ack = reading.acknowledgement();
        let acknowledgement = match (&envelope, profile) {
            (Some(env), profile) => {
                self.acknowledge(organisation_id, profile, family, format, env, &ack)
                    .await?
            }
            _ => None,
        };
        let report = IntakeReport {
            interchange_id: Uuid::now_v7().to_string(),
            format,
            status: status.to_string(),
            duplicate: false,
            partner_id: partner_id.clone(),
            envelope: envelope.as_ref().map(json).transpose()?,
            problems: reading
                .problems
                .iter()
                .map(json)
                .collect::<Result<_, _>>()?,
            messages: reports,
            acknowledgement,
        };
        // Only a file that applied something holds its reference: a
        // corrected resend of a rejected one may reuse it.
        let claim = (accepted > 0).then_some(known_as);
        let row = received(organisation_id, &report, envelope.as_ref(), claim, bytes)?;
        let mut conn = self.db.acquire().await?;
        match db::interchange_insert(&mut conn, &row).await {
            Ok(()) => Ok(report),
            Err(e) if is_unique_violation(&e) => {
                // The same interchange was being received at the same time;
                // its documents were applied once (their keys are the same).
                let row = InterchangeRow {
                    claim: None,
                    status: "duplicate".to_string(),
                    ..row
                };
                db::interchange_insert(&mut conn, &row).await?;
                Ok(IntakeReport {
                    duplicate: true,
                    status: "duplicate".to_string(),
                    ..report
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Answers a resubmitted interchange: nothing applied, the
    /// acknowledgement rejects it as a duplicate.
    #[allow(clippy::too_many_arguments)]
    async fn duplicate(
        &self,
        organisation_id: &str,
        profile: Option<&Profile>,
        format: Format,
        family: Family,
        envelope: Option<&Envelope>,
        bytes: Vec<u8>,
        reading: renkei_edi::Reading,
        first: &InterchangeRow,
    ) -> Result<IntakeReport, AppError> {
        let problem = match envelope {
            Some(envelope) => Problem::new(
                Code::Duplicate,
                family.envelope_place(EnvelopeField::Reference),
                format!(
                    "interchange `{}` from `{}` was received before (interchange {}); nothing in it is applied again",
                    envelope.reference, envelope.sender, first.interchange_id
                ),
            ),
            None => Problem::new(
                Code::Duplicate,
                renkei_edi::Place::whole(),
                format!(
                    "this file was received before with the same content (interchange {}); nothing in it is applied again",
                    first.interchange_id
                ),
            ),
        };
        let acknowledgement = match (envelope, profile) {
            (Some(envelope), Some(profile)) => {
                let ack = Acknowledgement {
                    envelope: Some(envelope.clone()),
                    problems: vec![problem.clone()],
                    messages: reading.acknowledgement().messages,
                };
                self.acknowledge(
                    organisation_id,
                    Some(profile),
                    family,
                    format,
                    envelope,
                    &ack,
                )
                .await?
            }
            _ => None,
        };
        let messages: Vec<MessageReport> = reading
            .messages
            .iter()
            .map(|m| MessageReport {
                reference: m.reference.clone(),
                message_type: m.message_type.clone(),
                accepted: false,
                order_id: None,
                document_id: None,
                version: None,
                status: None,
                problems: Vec::new(),
            })
            .collect();
        let report = IntakeReport {
            interchange_id: Uuid::now_v7().to_string(),
            format,
            status: "duplicate".to_string(),
            duplicate: true,
            partner_id: profile
                .map(|p| p.partner_id.clone())
                .or_else(|| first.partner_id.clone()),
            envelope: envelope.map(json).transpose()?,
            problems: vec![json(&problem)?],
            messages,
            acknowledgement,
        };
        let row = received(organisation_id, &report, envelope, None, bytes)?;
        let mut conn = self.db.acquire().await?;
        db::interchange_insert(&mut conn, &row).await?;
        Ok(report)
    }

    /// Writes the acknowledgement of `ack` with the next control reference
    /// of the partner's files to the organisation. A file addressed to no
    /// partner of the organisation is answered from the id it names, with
    /// a reference of that id's own sequence: never the file's reference,
    /// which is the sender's and may be met again from it.
    async fn acknowledge(
        &self,
        organisation_id: &str,
        profile: Option<&Profile>,
        family: Family,
        format: Format,
        envelope: &Envelope,
        ack: &Acknowledgement,
    ) -> Result<Option<AckFile>, AppError> {
        if !family.has_envelope() {
            return Ok(None);
        }
        let sequence = profile.map_or_else(
            || format!("{UNKNOWN_PARTY_SEQUENCE}{}", envelope.recipient),
            |p| p.partner_id.clone(),
        );
        let mut conn = self.db.acquire().await?;
        let reference = db::next_reference(&mut conn, organisation_id, &sequence).await?;
        Ok(write_ack(
            family,
            format,
            envelope,
            reference.to_string(),
            ack,
        ))
    }

    /// The organisation's interchanges, newest first.
    pub async fn interchanges(
        &self,
        caller: &Caller,
        organisation_id: &str,
        limit: i64,
    ) -> Result<Vec<InterchangeSummary>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        db::interchanges_of(&mut conn, organisation_id, limit)
            .await?
            .into_iter()
            .map(|row| {
                let messages: Vec<MessageReport> =
                    serde_json::from_str(&row.summary).map_err(|e| {
                        AppError::Internal(format!("interchange summary does not read: {e}"))
                    })?;
                Ok(InterchangeSummary {
                    interchange_id: row.interchange_id,
                    direction: row.direction,
                    format: row.format,
                    partner_id: row.partner_id,
                    sender: row.sender,
                    recipient: row.recipient,
                    reference: row.reference,
                    status: row.status,
                    rejected: messages.iter().filter(|m| !m.accepted).count(),
                    messages: messages.len(),
                    acknowledged: row.ack_format.is_some(),
                    created_at_ms: row.created_at_ms,
                })
            })
            .collect()
    }

    /// A stored interchange's file or acknowledgement.
    pub async fn interchange_file(
        &self,
        caller: &Caller,
        organisation_id: &str,
        interchange_id: &str,
        part: InterchangePart,
    ) -> Result<FileOut, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let row = db::interchange_get(&mut conn, organisation_id, interchange_id)
            .await?
            .ok_or(AppError::NotFound("interchange"))?;
        let format = stored_format(&row)?;
        match part {
            InterchangePart::File => file_of(row),
            InterchangePart::Acknowledgement => {
                let bytes = row.ack.ok_or(AppError::NotFound("acknowledgement"))?;
                Ok(FileOut {
                    content_type: media_type(format),
                    file_name: format!("{}-ack.{}", row.interchange_id, extension(format)),
                    bytes,
                })
            }
        }
    }

    /// One document of an order written as a file: in `format`, else in the
    /// format the partner profile wants, else CSV. EDIFACT and X12 need a
    /// profile (their envelopes carry the interchange ids). Writing the
    /// same document in the same format again returns the same file.
    pub async fn document_file(
        &self,
        caller: &Caller,
        organisation_id: &str,
        order_id: &str,
        version: i64,
        format: Option<Format>,
        language: sheet::Language,
    ) -> Result<FileOut, AppError> {
        let view = self
            .document(caller, organisation_id, order_id, version)
            .await?;
        let mut document = view.document;
        let (buyer, seller) = document.parties();
        let partner_id = if buyer.id == organisation_id {
            seller.id.clone()
        } else {
            buyer.id.clone()
        };
        let mut conn = self.db.acquire().await?;
        let profile = db::profile_get(&mut conn, organisation_id, &partner_id)
            .await?
            .map(profile_of)
            .transpose()?;
        let format = format
            .or(profile.as_ref().map(|p| p.wants))
            .unwrap_or(Format::Csv);
        let stem = format!(
            "{}-{}-{}",
            document.order_number(),
            version,
            document.kind().as_str()
        )
        .replace(
            |c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "_",
        );
        let file_name = |ext: &str| format!("{stem}.{ext}");
        let family = Family::of(format);
        if !family.has_envelope() || family == Family::Ubl && profile.is_none() {
            if let Some(p) = &profile {
                edi::outbound(&mut document, organisation_id, p);
            }
            let name = file_name(extension(format));
            let bytes = write_file(format, None, std::slice::from_mut(&mut document), language)?;
            return Ok(FileOut {
                content_type: media_type(format),
                file_name: name,
                bytes,
            });
        }
        let profile = profile.ok_or_else(|| no_profile(format, &partner_id))?;
        let claim = format!("out:{}:{}", view.meta.document_id, format.as_str());
        if let Some(row) = db::interchange_claimed(&mut conn, organisation_id, &claim).await? {
            return Ok(FileOut {
                content_type: media_type(format),
                file_name: file_name(extension(format)),
                bytes: row.body,
            });
        }
        let sent_by_us = view.meta.sender_id == organisation_id;
        edi::outbound(&mut document, organisation_id, &profile);
        let (sender, recipient) = if sent_by_us {
            (profile.own_wire_id.clone(), profile.partner_wire_id.clone())
        } else {
            (profile.partner_wire_id.clone(), profile.own_wire_id.clone())
        };
        let reference = db::next_reference(&mut conn, organisation_id, &partner_id).await?;
        let (prepared, time) = today();
        let outgoing = Outgoing {
            sender: sender.clone(),
            recipient: recipient.clone(),
            reference: reference.to_string(),
            prepared,
            time,
        };
        let body = write_file(
            format,
            Some(&outgoing),
            std::slice::from_mut(&mut document),
            language,
        )?;
        let row = InterchangeRow {
            interchange_id: Uuid::now_v7().to_string(),
            organisation_id: organisation_id.to_string(),
            partner_id: Some(partner_id),
            direction: "out".to_string(),
            format: format.as_str().to_string(),
            sender,
            recipient,
            reference: outgoing.reference.clone(),
            claim: Some(claim.clone()),
            status: "sent".to_string(),
            summary: serde_json::to_string(&[MessageReport {
                reference: document.number().to_string(),
                message_type: document.kind().as_str().to_string(),
                accepted: true,
                order_id: Some(order_id.to_string()),
                document_id: Some(view.meta.document_id.clone()),
                version: Some(version),
                status: None,
                problems: Vec::new(),
            }])
            .map_err(|e| AppError::Internal(e.to_string()))?,
            body,
            ack_format: None,
            ack: None,
            created_at_ms: now_ms(),
        };
        match db::interchange_insert(&mut conn, &row).await {
            Ok(()) => {}
            Err(e) if is_unique_violation(&e) => {
                // Written at the same time by another request: hand out that one.
                let first = db::interchange_claimed(&mut conn, organisation_id, &claim)
                    .await?
                    .ok_or(AppError::Busy)?;
                return Ok(FileOut {
                    content_type: media_type(format),
                    file_name: file_name(extension(format)),
                    bytes: first.body,
                });
            }
            Err(e) => return Err(e.into()),
        }
        Ok(FileOut {
            content_type: media_type(format),
            file_name: file_name(extension(format)),
            bytes: row.body,
        })
    }
}

/// The stored form of a file received and what became of it.
fn received(
    organisation_id: &str,
    report: &IntakeReport,
    envelope: Option<&Envelope>,
    claim: Option<String>,
    body: Vec<u8>,
) -> Result<InterchangeRow, AppError> {
    let part = |f: fn(&Envelope) -> &String| envelope.map_or(String::new(), |e| f(e).clone());
    Ok(InterchangeRow {
        interchange_id: report.interchange_id.clone(),
        organisation_id: organisation_id.to_string(),
        partner_id: report.partner_id.clone(),
        direction: "in".to_string(),
        format: report.format.as_str().to_string(),
        sender: part(|e| &e.sender),
        recipient: part(|e| &e.recipient),
        reference: part(|e| &e.reference),
        claim,
        status: report.status.clone(),
        summary: serde_json::to_string(&report.messages)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        body,
        ack_format: report.acknowledgement.as_ref().map(|a| a.format.clone()),
        ack: report
            .acknowledgement
            .as_ref()
            .map(|a| a.content.clone().into_bytes()),
        created_at_ms: now_ms(),
    })
}

/// Whether the sending side of `document` is named by organisation id.
fn names_itself(document: &Document, organisation_id: &str) -> bool {
    let (buyer, seller) = document.parties();
    let own = if document.sent_by_buyer() {
        buyer
    } else {
        seller
    };
    own.id == organisation_id
}

/// The acknowledgement of `ack` in the standard of `family`, from the
/// interchange's recipient back to its sender.
fn write_ack(
    family: Family,
    format: Format,
    envelope: &Envelope,
    reference: String,
    ack: &Acknowledgement,
) -> Option<AckFile> {
    let (prepared, time) = today();
    let outgoing = Outgoing {
        sender: envelope.recipient.clone(),
        recipient: envelope.sender.clone(),
        reference,
        prepared,
        time,
    };
    let (kind, content) = match family {
        Family::Edifact => ("edifact_contrl", edifact::contrl(&outgoing, ack)),
        Family::X12 => (
            "x12_997",
            x12::ack997_in(
                &outgoing,
                ack,
                x12::Version::of(format).unwrap_or(x12::Version::V005010),
            ),
        ),
        Family::Ubl => ("peppol_mlr", ubl::application_response(&outgoing, ack)),
        Family::Csv | Family::Xlsx => return None,
    };
    Some(AckFile {
        format: kind.to_string(),
        content,
    })
}

/// The format an interchange was stored in.
fn stored_format(row: &InterchangeRow) -> Result<Format, AppError> {
    Format::parse(&row.format)
        .ok_or_else(|| AppError::Internal(format!("stored format `{}`", row.format)))
}

/// A stored interchange's file, named after it.
pub(super) fn file_of(row: InterchangeRow) -> Result<FileOut, AppError> {
    let format = stored_format(&row)?;
    Ok(FileOut {
        content_type: media_type(format),
        file_name: format!("{}.{}", row.interchange_id, extension(format)),
        bytes: row.body,
    })
}

/// Why a file in `format` cannot be written for the documents of
/// `partner_id` without a profile.
pub(super) fn no_profile(format: Format, partner_id: &str) -> AppError {
    AppError::invalid(
        "format",
        format!(
            "{} files carry both sides' interchange ids: set up an EDI profile for partner {partner_id} first (your interchange id and theirs)",
            format.as_str()
        ),
    )
}

/// `documents` written as one file in `format`: EDIFACT and X12 in the
/// envelope of `outgoing`, UBL as its one document (the first), CSV and
/// xlsx with headers in `language`. X12 cannot escape its delimiters: in
/// texts meant for people they become `-` rather than keep the file from
/// being written; in an identifier the writer refuses them.
pub(super) fn write_file(
    format: Format,
    outgoing: Option<&Outgoing>,
    documents: &mut [Document],
    language: sheet::Language,
) -> Result<Vec<u8>, AppError> {
    let enveloped = || AppError::Internal(format!("{} is written in an envelope", format.as_str()));
    Ok(match Family::of(format) {
        Family::Edifact => edifact::write(
            outgoing.ok_or_else(enveloped)?,
            edifact::Version::of(format).ok_or_else(enveloped)?,
            documents,
        )
        .into_bytes(),
        Family::X12 => {
            for document in documents.iter_mut() {
                x12::plain_text(document);
            }
            x12::write(
                outgoing.ok_or_else(enveloped)?,
                x12::Version::of(format).ok_or_else(enveloped)?,
                documents,
            )
            .map_err(|e| AppError::invalid("format", e.to_string()))?
            .into_bytes()
        }
        Family::Ubl => documents
            .first()
            .map(ubl::write)
            .unwrap_or_default()
            .into_bytes(),
        Family::Csv => sheet::write_csv(documents, language),
        Family::Xlsx => sheet::write_xlsx(documents, language),
    })
}

pub(super) fn media_type(format: Format) -> &'static str {
    match Family::of(format) {
        Family::Edifact => "application/EDIFACT",
        Family::X12 => "application/EDI-X12",
        Family::Ubl => "application/xml",
        Family::Csv => "text/csv; charset=utf-8",
        Family::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
}

pub(super) fn extension(format: Format) -> &'static str {
    match Family::of(format) {
        Family::Edifact => "edi",
        Family::X12 => "x12",
        Family::Ubl => "xml",
        Family::Csv => "csv",
        Family::Xlsx => "xlsx",
    }
}
