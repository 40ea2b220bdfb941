//! Use cases of the orders service. A submission checks the caller, the
//! document's own rules, the partnership and the order cycle, then stores
//! the document, the order's new state, the event and the idempotency
//! record in one transaction.

mod documents;
mod edi;
mod inbound;
mod mailbox;
mod queries;
mod together;

pub use documents::{Submission, Submitted};
pub use edi::{
    AckFile, FileOut, IntakeReport, InterchangePart, InterchangeSummary, MAX_FILE_BYTES,
    MessageReport, ProfileInput,
};
pub use mailbox::{Collected, KindWaiting, MAILBOX_BATCH, MailboxPartner};
pub use queries::{DocumentMeta, DocumentView, OrderSummary, OrderView, Side};

use renkei_kernel::{
    Db,
    auth::{Caller, Denied, Role, Verifier},
    idempotency,
    settings::Backend,
};

use crate::domain::Refusal;

/// Errors of the use cases; converted to HTTP or GraphQL errors at the edge.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input did not validate: the field (JSON path) and why.
    #[error("{field}: {reason}")]
    Invalid {
        /// JSON path of the value.
        field: String,
        /// Why.
        reason: String,
    },
    /// The document breaks canonical rules (`renkei_edi::rules`): every
    /// problem, each at its JSON path. Never empty.
    #[error("{}", first_message(.0))]
    Rules(Vec<renkei_edi::Problem>),
    /// No such thing for this caller (it may exist in another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Buyer and seller have no active partnership that allows the order.
    #[error("{0}")]
    NotPartners(String),
    /// The cycle does not allow the document now.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The idempotency key was used with a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// The idempotency key is malformed or missing.
    #[error(transparent)]
    BadKey(#[from] idempotency::InvalidKey),
    /// The order changed between reading and writing, more than once.
    #[error("the order changed while this document was being applied; send it again")]
    Busy,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// Stored data that should read back did not.
    #[error("{0}")]
    Internal(String),
}

fn first_message(problems: &[renkei_edi::Problem]) -> &str {
    problems
        .first()
        .map_or("the document breaks the canonical rules", |p| {
            p.message.as_str()
        })
}

impl AppError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<AppError> for renkei_kernel::ApiError {
    fn from(e: AppError) -> Self {
        use renkei_kernel::{ApiError, Code};
        let message = e.to_string();
        match e {
            AppError::Invalid { field, reason } => ApiError::invalid(field, reason),
            AppError::Rules(problems) => ApiError::problems(
                problems
                    .into_iter()
                    .map(|p| renkei_kernel::error::Problem {
                        field: p.place.path.unwrap_or_default(),
                        rule: p.rule.unwrap_or(p.code.as_str()).to_string(),
                        message: p.message,
                    })
                    .collect(),
            ),
            AppError::NotFound(what) => ApiError::not_found(what),
            AppError::Forbidden(_) => ApiError::new(Code::Forbidden, message),
            AppError::NotPartners(_) => ApiError::new(Code::NotPartners, message),
            AppError::Refused(refusal) => ApiError {
                rule: Some(refusal.rule.to_string()),
                ..ApiError::new(Code::TransitionRefused, message)
            },
            AppError::KeyReused => ApiError::new(Code::IdempotencyKeyReused, message),
            AppError::BadKey(k) => ApiError::invalid("Idempotency-Key", k.to_string()),
            AppError::Busy => ApiError::new(Code::Conflict, message),
            AppError::Storage(s) => s.into(),
            AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// The orders service's state.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    verifier: Verifier,
    /// On PostgreSQL, the writers that store new orders together.
    new_orders: Option<together::NewOrders>,
}

impl axum::extract::FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

/// Writers of new orders on PostgreSQL: two, so that one collects the
/// next batch while the other writes.
const NEW_ORDER_WRITERS: usize = 2;

/// Scope an app needs to read orders.
pub const SCOPE_READ: &str = "orders:read";
/// Scope an app needs to send and answer orders.
pub const SCOPE_WRITE: &str = "orders:write";

impl App {
    /// State over this database, trusting tokens `verifier` accepts.
    /// On PostgreSQL it starts the writers of new orders, so it needs a
    /// Tokio runtime.
    pub fn new(db: Db, verifier: Verifier) -> App {
        let new_orders = (db.backend() == Backend::Postgres)
            .then(|| together::NewOrders::start(db.clone(), NEW_ORDER_WRITERS));
        App {
            db,
            verifier,
            new_orders,
        }
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Checks that the caller acts in `organisation_id` with at least
    /// `needed`, or as an app with `app_scope` (see [`Principal::may_act_in`]).
    ///
    /// [`Principal::may_act_in`]: renkei_kernel::auth::Principal::may_act_in
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        organisation_id: &str,
        needed: Role,
        app_scope: &str,
    ) -> Result<(), AppError> {
        caller
            .principal
            .may_act_in(organisation_id, needed, app_scope)
            .map_err(|denied| match denied {
                Denied::Elsewhere => AppError::NotFound("organisation"),
                Denied::Forbidden(why) => AppError::Forbidden(why),
            })
    }
}
