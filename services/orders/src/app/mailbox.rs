//! The EDI mailbox: how an organisation that works with files rather than
//! the web UI receives what its partners sent it. Every document waits in
//! its receiver's mailbox until a collect writes the documents from one
//! partner as one interchange in the format the partner profile wants,
//! stores it and marks them collected by it in one transaction. A retried
//! collect (same `Idempotency-Key`) returns the same interchange; a lost
//! download is fetched again from the interchange list.

use renkei_edi::{Document, DocumentKind, Format, Outgoing, sheet};
use renkei_kernel::{
    auth::{Caller, Role},
    idempotency::{self, Prior},
    storage::{is_unique_violation, now_ms},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    App, AppError, FileOut, MessageReport, SCOPE_READ, SCOPE_WRITE,
    edi::{file_of, no_profile, profile_of, today, write_file},
    queries::kind_of,
};
use crate::{
    db::{self, InterchangeRow},
    domain::edi::{self, Family},
};

/// The most documents one collect writes into one interchange; the rest
/// wait for the next collect. A UBL file holds one document, so a UBL
/// collect takes one at a time.
pub const MAILBOX_BATCH: i64 = 500;

/// How many documents of one kind wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KindWaiting {
    /// The kind.
    pub kind: DocumentKind,
    /// How many of it wait.
    pub waiting: i64,
}

/// What waits in an organisation's mailbox from one partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MailboxPartner {
    /// The partner that sent the documents.
    pub partner_id: String,
    /// How many documents wait.
    pub waiting: i64,
    /// When the oldest of them arrived (ms since the epoch).
    pub oldest_at_ms: i64,
    /// How many of each kind.
    pub kinds: Vec<KindWaiting>,
    /// The format a collect writes them in: the one the partner profile
    /// wants, else CSV.
    pub format: Format,
}

/// What a collect took out of the mailbox.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The stored outbound interchange.
    pub interchange_id: String,
    /// How many documents it holds.
    pub documents: usize,
    /// How many documents from the partner still wait (more than one
    /// interchange holds, or arrived since).
    pub waiting: i64,
    /// The file.
    pub file: FileOut,
}

/// The answer a collect stores under its idempotency key.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    /// The interchange written; none when nothing was waiting.
    interchange_id: Option<String>,
}

enum Attempt {
    Done(Option<Collected>),
    Raced,
}

fn key_scope(organisation_id: &str) -> String {
    format!("orders-mailbox:{organisation_id}")
}

impl App {
    /// What waits in the organisation's mailbox, per partner.
    pub async fn mailbox(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Vec<MailboxPartner>, AppError> {
        self.authorize(caller, organisation_id, Role::Viewer, SCOPE_READ)?;
        let mut conn = self.db.acquire().await?;
        let waiting = db::mailbox_waiting(&mut conn, organisation_id).await?;
        let profiles = db::profiles_of(&mut conn, organisation_id)
            .await?
            .into_iter()
            .map(profile_of)
            .collect::<Result<Vec<_>, _>>()?;
        let mut partners: Vec<MailboxPartner> = Vec::new();
        for row in waiting {
            let kind = KindWaiting {
                kind: kind_of(&row.kind)?,
                waiting: row.waiting,
            };
            match partners.last_mut() {
                Some(p) if p.partner_id == row.partner_id => {
                    p.waiting += row.waiting;
                    p.oldest_at_ms = p.oldest_at_ms.min(row.oldest_at_ms);
                    p.kinds.push(kind);
                }
                _ => partners.push(MailboxPartner {
                    format: profiles
                        .iter()
                        .find(|p| p.partner_id == row.partner_id)
                        .map_or(Format::Csv, |p| p.wants),
                    partner_id: row.partner_id,
                    waiting: row.waiting,
                    oldest_at_ms: row.oldest_at_ms,
                    kinds: vec![kind],
                }),
            }
        }
        Ok(partners)
    }

    /// Collects the documents `partner_id` sent that wait for the
    /// organisation, oldest first, as one interchange in `format`, else in
    /// the format its profile for the partner wants, else CSV (EDIFACT and
    /// X12 need the profile: their envelopes carry both sides' interchange
    /// ids). `None` when nothing waits. The same key answers with the same
    /// interchange.
    pub async fn mailbox_collect(
        &self,
        caller: &Caller,
        organisation_id: &str,
        partner_id: &str,
        format: Option<Format>,
        language: sheet::Language,
        idempotency_key: &str,
    ) -> Result<Option<Collected>, AppError> {
        self.authorize(caller, organisation_id, Role::Member, SCOPE_WRITE)?;
        idempotency::validate_key(idempotency_key)?;
        let profile = {
            let mut conn = self.db.acquire().await?;
            db::profile_get(&mut conn, organisation_id, partner_id)
                .await?
                .map(profile_of)
                .transpose()?
        };
        let format = format
            .or(profile.as_ref().map(|p| p.wants))
            .unwrap_or(Format::Csv);
        let family = Family::of(format);
        if matches!(family, Family::Edifact | Family::X12) && profile.is_none() {
            return Err(no_profile(format, partner_id));
        }
        let language_code = match language {
            sheet::Language::Japanese => "ja",
            sheet::Language::English => "en",
        };
        let fingerprint = idempotency::fingerprint(&[
            organisation_id.as_bytes(),
            partner_id.as_bytes(),
            format.as_str().as_bytes(),
            language_code.as_bytes(),
        ]);
        let job = Job {
            organisation_id,
            partner_id,
            format,
            language,
            profile: profile.as_ref(),
            key: idempotency_key,
            fingerprint: &fingerprint,
        };
        for _ in 0..4 {
            match self.collect_once(&job).await? {
                Attempt::Done(done) => return Ok(done),
                Attempt::Raced => continue,
            }
        }
        Err(AppError::Busy)
    }

    async fn collect_once(&self, job: &Job<'_>) -> Result<Attempt, AppError> {
        let scope = key_scope(job.organisation_id);
        let mut tx = self.db.begin().await?;
        match idempotency::recall(&mut tx, &scope, job.key, job.fingerprint).await? {
            Prior::Answered { body, .. } => {
                let answer: Answer =
                    serde_json::from_str(&body).map_err(|e| AppError::Internal(e.to_string()))?;
                let Some(interchange_id) = answer.interchange_id else {
                    return Ok(Attempt::Done(None));
                };
                let row = db::interchange_get(&mut tx, job.organisation_id, &interchange_id)
                    .await?
                    .ok_or_else(|| {
                        AppError::Internal(format!("interchange {interchange_id} is gone"))
                    })?;
                let waiting =
                    db::mailbox_count(&mut tx, job.organisation_id, job.partner_id).await?;
                let documents = messages_in(&row)?;
                return Ok(Attempt::Done(Some(Collected {
                    interchange_id,
                    documents,
                    waiting,
                    file: file_of(row)?,
                })));
            }
            Prior::Mismatch => return Err(AppError::KeyReused),
            Prior::None => {}
        }
        db::counter_hold(&mut tx, job.organisation_id, job.partner_id).await?;
        let interchange_id = Uuid::now_v7().to_string();
        let now = now_ms();
        let batch = if Family::of(job.format) == Family::Ubl {
            1
        } else {
            MAILBOX_BATCH
        };
        let claimed = db::mailbox_claim(
            &mut tx,
            job.organisation_id,
            job.partner_id,
            &interchange_id,
            now,
            batch,
        )
        .await?;
        let collected = if claimed.is_empty() {
            None
        } else {
            let mut documents = Vec::with_capacity(claimed.len());
            let mut reports = Vec::with_capacity(claimed.len());
            for row in &claimed {
                let mut document: Document = serde_json::from_str(&row.body).map_err(|e| {
                    AppError::Internal(format!(
                        "document {} does not read back: {e}",
                        row.document_id
                    ))
                })?;
                if let Some(p) = job.profile {
                    edi::outbound(&mut document, job.organisation_id, p);
                }
                reports.push(MessageReport {
                    reference: row.number.clone(),
                    message_type: row.kind.clone(),
                    accepted: true,
                    order_id: Some(row.order_id.clone()),
                    document_id: Some(row.document_id.clone()),
                    version: Some(row.version),
                    status: None,
                    problems: Vec::new(),
                });
                documents.push(document);
            }
            let (sender, recipient) = match job.profile {
                Some(p) => (p.partner_wire_id.clone(), p.own_wire_id.clone()),
                None => (job.partner_id.to_string(), job.organisation_id.to_string()),
            };
            let reference =
                db::next_reference(&mut tx, job.organisation_id, job.partner_id).await?;
            let (prepared, time) = today();
            let outgoing = Outgoing {
                sender: sender.clone(),
                recipient: recipient.clone(),
                reference: reference.to_string(),
                prepared,
                time,
            };
            let body = write_file(job.format, Some(&outgoing), &mut documents, job.language)?;
            let row = InterchangeRow {
                interchange_id: interchange_id.clone(),
                organisation_id: job.organisation_id.to_string(),
                partner_id: Some(job.partner_id.to_string()),
                direction: "out".to_string(),
                format: job.format.as_str().to_string(),
                sender,
                recipient,
                reference: outgoing.reference,
                claim: None,
                status: "sent".to_string(),
                summary: serde_json::to_string(&reports)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                body,
                ack_format: None,
                ack: None,
                created_at_ms: now,
            };
            db::interchange_insert(&mut tx, &row).await?;
            Some(row)
        };
        let answer = serde_json::to_string(&Answer {
            interchange_id: collected.as_ref().map(|r| r.interchange_id.clone()),
        })
        .map_err(|e| AppError::Internal(e.to_string()))?;
        match idempotency::remember(&mut tx, &scope, job.key, job.fingerprint, 200, &answer).await {
            Ok(()) => {}
            // A collect with the same key committed first: its answer is ours.
            Err(e) if is_unique_violation(&e) => return Ok(Attempt::Raced),
            Err(e) => return Err(e.into()),
        }
        let waiting = db::mailbox_count(&mut tx, job.organisation_id, job.partner_id).await?;
        tx.commit().await?;
        Ok(Attempt::Done(match collected {
            None => None,
            Some(row) => Some(Collected {
                interchange_id: row.interchange_id.clone(),
                documents: claimed.len(),
                waiting,
                file: file_of(row)?,
            }),
        }))
    }
}

/// One collect's inputs, fixed across its attempts.
struct Job<'a> {
    organisation_id: &'a str,
    partner_id: &'a str,
    format: Format,
    language: sheet::Language,
    profile: Option<&'a edi::Profile>,
    key: &'a str,
    fingerprint: &'a str,
}

/// How many documents a stored interchange holds.
fn messages_in(row: &InterchangeRow) -> Result<usize, AppError> {
    serde_json::from_str::<Vec<MessageReport>>(&row.summary)
        .map(|m| m.len())
        .map_err(|e| AppError::Internal(format!("interchange summary does not read: {e}")))
}
