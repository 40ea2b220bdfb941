//! Idempotent writes: a client sends an `Idempotency-Key` header; the first
//! request's response is stored in the same transaction as its effect, and a
//! repeat with the same key and the same request gets that response back
//! without doing anything again. The same key with a different request is
//! refused.

use crate::storage::{Conn, now_ms};

/// The header clients use.
pub const HEADER: &str = "idempotency-key";

/// The key of a request that must carry one: a missing or unreadable
/// header is an `invalid_input` error naming the header.
pub fn required_key(headers: &axum::http::HeaderMap) -> Result<String, crate::ApiError> {
    let value = headers.get(HEADER).ok_or_else(|| {
        crate::ApiError::invalid(
            "Idempotency-Key",
            "this request needs an Idempotency-Key header, so that a retry is not applied twice",
        )
    })?;
    value
        .to_str()
        .map(str::to_string)
        .map_err(|_| crate::ApiError::invalid("Idempotency-Key", InvalidKey.to_string()))
}

/// What an earlier request with the same key left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prior {
    /// The key is new: do the work and [`remember`] the response.
    None,
    /// The same request was answered before with this status and JSON body.
    Answered {
        /// HTTP status of the stored response.
        status: u16,
        /// JSON body of the stored response.
        body: String,
    },
    /// The key was used for a different request.
    Mismatch,
}

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the Idempotency-Key header must be 1 to 255 visible ASCII characters")]
pub struct InvalidKey;

/// Checks a client-supplied key.
pub fn validate_key(key: &str) -> Result<(), InvalidKey> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InvalidKey);
    }
    Ok(())
}

/// A stable fingerprint of a request body (FNV-1a, 64 bit, hex).
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().chain(std::iter::once(&0xffu8)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Looks the key up inside the caller's transaction.
pub async fn recall(
    conn: &mut Conn,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Prior, sqlx::Error> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT request_hash, status, body FROM idempotency_key WHERE scope = $1 AND idem_key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        None => Prior::None,
        Some((hash, status, body)) if hash == request_hash => Prior::Answered {
            status: u16::try_from(status).unwrap_or(200),
            body,
        },
        Some(_) => Prior::Mismatch,
    })
}

/// The columns a remembered answer is written to, in the order
/// [`remember`] binds them: scope, key, request hash, status, body, when.
/// For a service that remembers an answer within a larger statement.
pub const COLUMNS: &str = "scope, idem_key, request_hash, status, body, created_at_ms";

/// Stores the response in the caller's transaction. If a concurrent request
/// with the same key committed first, this fails with a unique violation and
/// the caller's transaction must roll back.
pub async fn remember(
    conn: &mut Conn,
    scope: &str,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!("INSERT INTO idempotency_key ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
    sqlx::query(&sql)
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(i64::from(status))
        .bind(body)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_visible_ascii() {
        assert!(validate_key("order-2026-11-21-0001").is_ok());
        assert_eq!(validate_key(""), Err(InvalidKey));
        assert_eq!(validate_key("has space"), Err(InvalidKey));
        assert_eq!(validate_key(&"k".repeat(256)), Err(InvalidKey));
    }

    #[test]
    fn fingerprints_separate_parts() {
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_eq!(fingerprint(&[b"x"]), fingerprint(&[b"x"]));
    }
}
