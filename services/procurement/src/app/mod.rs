//! Use cases of the procurement service: opening a round, shops' intents,
//! the close (once, at the cut-off or early), the allocation of the
//! wholesaler's answer, and what each party may see of a round.

mod allocation;
mod book;
mod intents;
mod rounds;
mod views;

pub use allocation::{apply_response, response_of};
pub use intents::{IntentInput, IntentView};
pub use rounds::OpenRound;
pub use views::{
    AllocationSummary, ClosingSummary, ConsolidatedLine, DistrictView, FailedLine, ItemView,
    MyPart, Part, RoundStatus, RoundSummary, RoundView, ShopAllocation,
};

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use renkei_kernel::{
    Db,
    auth::{Caller, Denied, Role, Verifier},
    idempotency,
};

use crate::{
    db,
    domain::{Problem, ProblemCode, Problems, Round},
};

/// Errors of the use cases; converted to HTTP errors at the edge.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input did not validate: every problem, with its code and path.
    #[error(transparent)]
    Invalid(#[from] Problems),
    /// No such thing for this caller (it may exist in another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// The round's state does not allow it now; `rule` names why.
    #[error("{message}")]
    Refused {
        /// Stable name of the rule.
        rule: &'static str,
        /// What stopped it.
        message: String,
    },
    /// The idempotency key was used with a different request.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// The idempotency key is malformed or missing.
    #[error(transparent)]
    BadKey(#[from] idempotency::InvalidKey),
    /// The intent changed between reading and writing, more than once.
    #[error("the intent changed while this change was being applied; send it again")]
    Busy,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] sqlx::Error),
    /// Stored data that should read back did not.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// One problem as an error.
    pub(crate) fn problem(
        code: ProblemCode,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> AppError {
        AppError::Invalid(Problems {
            problems: vec![Problem::new(code, path, message)],
        })
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl From<AppError> for renkei_kernel::ApiError {
    fn from(e: AppError) -> Self {
        use renkei_kernel::{ApiError, Code, error::Problem as Listed};
        let message = e.to_string();
        match e {
            AppError::Invalid(problems) => ApiError::problems(
                problems
                    .problems
                    .into_iter()
                    .map(|p| Listed {
                        field: p.path,
                        rule: p.code.as_str().to_string(),
                        message: p.message,
                    })
                    .collect(),
            ),
            AppError::NotFound(what) => ApiError::not_found(what),
            AppError::Forbidden(_) => ApiError::new(Code::Forbidden, message),
            AppError::Refused { rule, .. } => ApiError {
                rule: Some(rule.to_string()),
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

/// Scope an app needs to read rounds.
pub const SCOPE_READ: &str = "procurement:read";
/// Scope an app needs to open rounds and submit intents.
pub const SCOPE_WRITE: &str = "procurement:write";

/// The procurement service's state.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    verifier: Verifier,
    rounds: Arc<Mutex<HashMap<String, Arc<Round>>>>,
}

/// Rounds kept parsed in memory: a round's offer never changes once
/// opened, and a large one (thousands of items) costs milliseconds to read
/// from JSON, which every intent would otherwise pay.
const ROUNDS_KEPT: usize = 256;

impl axum::extract::FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

impl App {
    /// State over this database, trusting tokens `verifier` accepts.
    pub fn new(db: Db, verifier: Verifier) -> App {
        App {
            db,
            verifier,
            rounds: Arc::default(),
        }
    }

    /// The round a stored row offers, parsed once per process.
    pub(crate) fn round_of(&self, row: &db::RoundRow) -> Result<Arc<Round>, AppError> {
        let mut kept = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(round) = kept.get(&row.round_id) {
            return Ok(round.clone());
        }
        let round: Round = serde_json::from_str(&row.draft).map_err(|e| {
            AppError::Internal(format!("round {} does not read back: {e}", row.round_id))
        })?;
        if kept.len() >= ROUNDS_KEPT {
            kept.clear();
        }
        let round = Arc::new(round);
        kept.insert(row.round_id.clone(), round.clone());
        Ok(round)
    }

    /// The service's database.
    pub fn db(&self) -> &Db {
        &self.db
    }

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
