//! The one error shape of the HTTP API and the table of its stable codes.
//!
//! App-layer errors know nothing of HTTP; each service converts them into an
//! [`ApiError`] at the edge. The body is always
//! `{"error": {"code": "...", "message": "...", "field": "..."}}` (the request id
//! travels in the `x-request-id` header),
//! and internal causes are logged, never returned.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

/// Every error code the API can return, with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A field is missing, malformed or out of range.
    InvalidInput,
    /// The body is not valid JSON or does not match the expected shape.
    MalformedBody,
    /// No such resource (or it belongs to another tenant).
    NotFound,
    /// The request conflicts with existing data (e.g. a duplicate).
    Conflict,
    /// The idempotency key was used before with a different request.
    IdempotencyKeyReused,
    /// The caller is not signed in or the token is invalid.
    Unauthenticated,
    /// The access token has expired; refresh it.
    TokenExpired,
    /// Email and password do not match an account (which of them is wrong is not said).
    InvalidCredentials,
    /// Too many failed attempts; wait before trying again.
    TooManyAttempts,
    /// An account with this email already exists.
    EmailTaken,
    /// The new password does not meet the password policy.
    WeakPassword,
    /// The caller may not do this.
    Forbidden,
    /// The two organisations have no active partnership that allows this.
    NotPartners,
    /// The document may not follow the ones before it; `rule` names the
    /// rule and the message the state that stopped it.
    TransitionRefused,
    /// The service or one of its dependencies is not available now.
    Unavailable,
    /// An unexpected failure; details are in the server log under the request id.
    Internal,
}

impl Code {
    /// The HTTP status this code maps to.
    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidInput => StatusCode::UNPROCESSABLE_ENTITY,
            Code::MalformedBody => StatusCode::BAD_REQUEST,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::Conflict | Code::IdempotencyKeyReused => StatusCode::CONFLICT,
            Code::Unauthenticated | Code::TokenExpired | Code::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            Code::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Code::EmailTaken => StatusCode::CONFLICT,
            Code::WeakPassword => StatusCode::UNPROCESSABLE_ENTITY,
            Code::Forbidden | Code::NotPartners => StatusCode::FORBIDDEN,
            Code::TransitionRefused => StatusCode::CONFLICT,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code as it appears in the body.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "invalid_input",
            Code::MalformedBody => "malformed_body",
            Code::NotFound => "not_found",
            Code::Conflict => "conflict",
            Code::IdempotencyKeyReused => "idempotency_key_reused",
            Code::Unauthenticated => "unauthenticated",
            Code::TokenExpired => "token_expired",
            Code::InvalidCredentials => "invalid_credentials",
            Code::TooManyAttempts => "too_many_attempts",
            Code::EmailTaken => "email_taken",
            Code::WeakPassword => "weak_password",
            Code::Forbidden => "forbidden",
            Code::NotPartners => "not_partners",
            Code::TransitionRefused => "transition_refused",
            Code::Unavailable => "unavailable",
            Code::Internal => "internal",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [Code; 16] = [
        Code::InvalidInput,
        Code::MalformedBody,
        Code::NotFound,
        Code::Conflict,
        Code::IdempotencyKeyReused,
        Code::Unauthenticated,
        Code::TokenExpired,
        Code::InvalidCredentials,
        Code::TooManyAttempts,
        Code::EmailTaken,
        Code::WeakPassword,
        Code::Forbidden,
        Code::NotPartners,
        Code::TransitionRefused,
        Code::Unavailable,
        Code::Internal,
    ];
}

/// The error body of every API response that is not 2xx.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// Code, message and, where it applies, the field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: Code,
    /// What went wrong, for a person.
    pub message: String,
    /// The input field (dotted path) the error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The business rule that refused the request, when one did (a stable name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Every problem of the input, when it was checked as a whole (the
    /// first is also in `field`, `rule` and `message`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// One problem of the input: where, which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// The input field (dotted path with indexes, e.g. `items[2].unit`).
    pub field: String,
    /// The stable name of the rule it breaks.
    pub rule: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// An error on its way out of a handler.
#[derive(Debug)]
pub struct ApiError {
    /// Stable code.
    pub code: Code,
    /// Message for the caller.
    pub message: String,
    /// Field at fault.
    pub field: Option<String>,
    /// Business rule that refused it.
    pub rule: Option<String>,
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    pub retry_after_secs: Option<u64>,
    /// Every problem of the input, when there are several.
    pub problems: Vec<Problem>,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
            rule: None,
            retry_after_secs: None,
            problems: Vec::new(),
        }
    }

    /// Invalid input in `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: Code::InvalidInput,
            message: message.into(),
            field: Some(field.into()),
            rule: None,
            retry_after_secs: None,
            problems: Vec::new(),
        }
    }

    /// Invalid input with one or more problems: the first is the error's
    /// own field, rule and message, and all are listed in `problems`.
    pub fn problems(problems: Vec<Problem>) -> Self {
        let Some(first) = problems.first().cloned() else {
            return ApiError::new(Code::InvalidInput, "the input is invalid");
        };
        ApiError {
            code: Code::InvalidInput,
            message: first.message,
            field: Some(first.field),
            rule: Some(first.rule),
            retry_after_secs: None,
            problems,
        }
    }

    /// Logs `cause` and returns an `internal` error that discloses nothing of it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            Code::Internal,
            "an unexpected error occurred; the server log has the details under this request's id",
        )
    }

    /// A resource that does not exist for this caller.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(Code::NotFound, format!("{what} not found"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(
                    Code::Unavailable,
                    "the database is not available; try again shortly",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                rule: self.rule,
                problems: self.problems,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// JSON body extractor whose rejections use the API error shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::new(Code::MalformedBody, rejection.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_name_and_an_error_status() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        for code in Code::ALL {
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert_eq!(serde_json::to_value(code).expect("valid"), code.as_str());
        }
    }
}
