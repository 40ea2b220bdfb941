//! Message threads between organisations that work together (an active
//! partnership or a shared group), with read marks per organisation.

use renkei_kernel::{
    auth::{Caller, Role},
    events,
    storage::now_ms,
};
use serde_json::json;

use super::{Actor, App, AppError};
use crate::{
    db::consent as q,
    domain::{
        Invalid,
        consent::{DocumentUrn, Message, Thread, message_body},
    },
};

/// A validated new thread.
#[derive(Debug, Clone)]
pub struct NewThread {
    /// Subject.
    pub subject: String,
    /// The other organisations.
    pub participants: Vec<String>,
    /// The document it is about.
    pub document_urn: Option<DocumentUrn>,
    /// First message.
    pub body: String,
}

/// Most organisations in one thread.
pub const MAX_PARTICIPANTS: usize = 20;

/// Counts for the notification badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifications {
    /// Threads with unread messages.
    pub unread_threads: i64,
    /// Unread messages.
    pub unread_messages: i64,
    /// Partnership proposals waiting for an answer.
    pub proposals_waiting: i64,
}

fn posted(thread: &Thread, message: &Message) -> renkei_kernel::events::proto::MessagePosted {
    renkei_kernel::events::proto::MessagePosted {
        thread_id: thread.thread_id.clone(),
        message_id: message.message_id.clone(),
        seq: message.seq,
        author_organisation_id: message.author_org_id.clone(),
        participant_ids: thread.participants.clone(),
        subject: thread.subject.clone(),
        document_urn: thread.document_urn.clone().unwrap_or_default(),
    }
}

impl App {
    /// Starts a thread with its first message (members and up).
    pub async fn thread_start(
        &self,
        caller: &Caller,
        organisation_id: &str,
        input: NewThread,
    ) -> Result<(Thread, Message), AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize_or_app(
            &mut tx,
            caller,
            organisation_id,
            Role::Member,
            Some(crate::domain::app::AppScope::MessagesWrite),
        )
        .await?;
        let subject = input.subject.trim().to_string();
        if subject.is_empty() || subject.chars().count() > 200 {
            return Err(Invalid {
                field: "subject".into(),
                reason: "must be 1 to 200 characters".into(),
            }
            .into());
        }
        let body = message_body(&input.body)?;
        let mut participants: Vec<String> = input.participants.clone();
        participants.push(organisation_id.to_string());
        participants.sort();
        participants.dedup();
        if participants.len() < 2 || participants.len() > MAX_PARTICIPANTS {
            return Err(Invalid {
                field: "participants".into(),
                reason: format!("name 1 to {} other organisations", MAX_PARTICIPANTS - 1),
            }
            .into());
        }
        for (i, other) in input.participants.iter().enumerate() {
            if other != organisation_id && !q::connected(&mut tx, organisation_id, other).await? {
                return Err(Invalid {
                    field: format!("participants[{i}]"),
                    reason: "you can write to organisations you have an active partnership or a group with".into(),
                }
                .into());
            }
        }
        let now = now_ms();
        let mut thread = Thread {
            thread_id: uuid::Uuid::now_v7().to_string(),
            subject,
            document_urn: input.document_urn.map(|u| u.as_str().to_string()),
            created_by_id: organisation_id.to_string(),
            participants,
            last_seq: 0,
            last_read_seq: 0,
            created_at_ms: now,
            last_message_at_ms: now,
        };
        q::thread_insert(&mut tx, &thread).await?;
        let message = self
            .append(&mut tx, caller, organisation_id, &mut thread, body)
            .await?;
        self.audit(
            &mut tx,
            &Actor::of(caller),
            Some(organisation_id),
            "thread.started",
            &thread.thread_id,
            json!({ "participants": thread.participants, "document_urn": thread.document_urn }),
        )
        .await?;
        tx.commit().await?;
        Ok((thread, message))
    }

    async fn append(
        &self,
        tx: &mut renkei_kernel::storage::Tx,
        caller: &Caller,
        organisation_id: &str,
        thread: &mut Thread,
        body: String,
    ) -> Result<Message, AppError> {
        let mut message = Message {
            message_id: uuid::Uuid::now_v7().to_string(),
            seq: 0,
            author_org_id: organisation_id.to_string(),
            author_user_id: caller.principal.subject.clone(),
            body,
            created_at_ms: now_ms(),
        };
        message.seq = q::message_append(tx, &thread.thread_id, &message).await?;
        thread.last_seq = message.seq;
        thread.last_read_seq = message.seq;
        thread.last_message_at_ms = message.created_at_ms;
        events::publish(
            tx,
            organisation_id,
            &thread.thread_id,
            &posted(thread, &message),
        )
        .await?;
        Ok(message)
    }

    /// Adds a message to a thread the organisation takes part in (members and up).
    pub async fn message_post(
        &self,
        caller: &Caller,
        organisation_id: &str,
        thread_id: &str,
        body: &str,
    ) -> Result<Message, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize_or_app(
            &mut tx,
            caller,
            organisation_id,
            Role::Member,
            Some(crate::domain::app::AppScope::MessagesWrite),
        )
        .await?;
        let body = message_body(body)?;
        let mut thread = q::thread_of(&mut tx, organisation_id, thread_id)
            .await?
            .ok_or(AppError::NotFound("thread"))?;
        let message = self
            .append(&mut tx, caller, organisation_id, &mut thread, body)
            .await?;
        tx.commit().await?;
        Ok(message)
    }

    /// The organisation's threads, latest first, optionally about one document.
    pub async fn thread_list(
        &self,
        caller: &Caller,
        organisation_id: &str,
        document_urn: Option<&DocumentUrn>,
    ) -> Result<Vec<Thread>, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize_or_app(
            &mut conn,
            caller,
            organisation_id,
            Role::Viewer,
            Some(crate::domain::app::AppScope::MessagesRead),
        )
        .await?;
        Ok(q::threads_of(
            &mut conn,
            organisation_id,
            document_urn.map(DocumentUrn::as_str),
            200,
        )
        .await?)
    }

    /// A thread and its messages.
    pub async fn thread_view(
        &self,
        caller: &Caller,
        organisation_id: &str,
        thread_id: &str,
    ) -> Result<(Thread, Vec<Message>), AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize_or_app(
            &mut conn,
            caller,
            organisation_id,
            Role::Viewer,
            Some(crate::domain::app::AppScope::MessagesRead),
        )
        .await?;
        let thread = q::thread_of(&mut conn, organisation_id, thread_id)
            .await?
            .ok_or(AppError::NotFound("thread"))?;
        let messages = q::messages(&mut conn, thread_id).await?;
        Ok((thread, messages))
    }

    /// Marks the thread read for the organisation, up to `up_to` (all when `None`).
    pub async fn thread_read(
        &self,
        caller: &Caller,
        organisation_id: &str,
        thread_id: &str,
        up_to: Option<i64>,
    ) -> Result<Thread, AppError> {
        let mut tx = self.db.begin().await?;
        self.authorize(&mut tx, caller, organisation_id, Role::Viewer)
            .await?;
        let thread = q::thread_of(&mut tx, organisation_id, thread_id)
            .await?
            .ok_or(AppError::NotFound("thread"))?;
        let up_to = up_to.unwrap_or(thread.last_seq).clamp(0, thread.last_seq);
        q::mark_read(&mut tx, thread_id, organisation_id, up_to).await?;
        let thread = q::thread_of(&mut tx, organisation_id, thread_id)
            .await?
            .ok_or(AppError::NotFound("thread"))?;
        tx.commit().await?;
        Ok(thread)
    }

    /// What waits for the organisation: unread messages and proposals.
    pub async fn notifications(
        &self,
        caller: &Caller,
        organisation_id: &str,
    ) -> Result<Notifications, AppError> {
        let mut conn = self.db.acquire().await?;
        self.authorize(&mut conn, caller, organisation_id, Role::Viewer)
            .await?;
        let (unread_threads, unread_messages) = q::unread(&mut conn, organisation_id).await?;
        Ok(Notifications {
            unread_threads,
            unread_messages,
            proposals_waiting: q::proposals_waiting(&mut conn, organisation_id).await?,
        })
    }
}
