//! Consents and messages.
//!
//! A consent lets a supporter (bank, chamber of commerce, IT coordinator) or
//! a municipality see named parts of a company's data, for a stated purpose,
//! until a date; the company can revoke it at any time and sees every use.
//!
//! Messages live in threads between organisations, optionally about a
//! business document named by a URN `renkei:<service>:<entity>:<id>`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Invalid, invalid};

/// What a consent lets the grantee see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum ConsentScope {
    /// The full organisation profile (capital, employees, sites, numbers).
    #[serde(rename = "profile:read")]
    ProfileRead,
    /// The list of its partnerships.
    #[serde(rename = "partners:read")]
    PartnersRead,
    /// Its trade figures, for regional statistics.
    #[serde(rename = "trade:read")]
    TradeRead,
}

impl ConsentScope {
    const ALL: [ConsentScope; 3] = [
        ConsentScope::ProfileRead,
        ConsentScope::PartnersRead,
        ConsentScope::TradeRead,
    ];

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentScope::ProfileRead => "profile:read",
            ConsentScope::PartnersRead => "partners:read",
            ConsentScope::TradeRead => "trade:read",
        }
    }

    /// Reads a stored name.
    pub fn parse(field: &str, raw: &str) -> Result<ConsentScope, Invalid> {
        ConsentScope::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = ConsentScope::ALL.iter().map(|s| s.as_str()).collect();
                invalid(field, format!("`{raw}` is not one of {}", names.join(", ")))
            })
    }

    /// Scopes stored as one space-separated string.
    pub fn parse_list(field: &str, raw: &str) -> Result<Vec<ConsentScope>, Invalid> {
        raw.split_whitespace()
            .map(|s| ConsentScope::parse(field, s))
            .collect()
    }

    /// The stored form of a list.
    pub fn join(scopes: &[ConsentScope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Longest a consent may run: two years.
pub const MAX_CONSENT_MS: i64 = 2 * 366 * 24 * 3600 * 1000;

/// A consent as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// Id.
    pub consent_id: String,
    /// The company that grants.
    pub grantor_id: String,
    /// The supporter or municipality that may see.
    pub grantee_id: String,
    /// What it may see.
    pub scopes: Vec<ConsentScope>,
    /// Why.
    pub purpose: String,
    /// Granted (ms).
    pub granted_at_ms: i64,
    /// Ends (ms).
    pub expires_at_ms: i64,
    /// Revoked (ms).
    pub revoked_at_ms: Option<i64>,
}

impl Consent {
    /// `active`, `expired` or `revoked` at `now_ms`.
    pub fn status(&self, now_ms: i64) -> &'static str {
        if self.revoked_at_ms.is_some() {
            "revoked"
        } else if self.expires_at_ms <= now_ms {
            "expired"
        } else {
            "active"
        }
    }

    /// Whether it lets the grantee see `scope` at `now_ms`.
    pub fn allows(&self, scope: ConsentScope, now_ms: i64) -> bool {
        self.status(now_ms) == "active" && self.scopes.contains(&scope)
    }
}

/// Checks and normalises the scopes of a new consent (at least one, no repeats).
pub fn consent_scopes(scopes: &[ConsentScope]) -> Result<Vec<ConsentScope>, Invalid> {
    let mut list = scopes.to_vec();
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(invalid("scopes", "name at least one scope"));
    }
    Ok(list)
}

/// Checks the end of a new consent: after `now_ms`, at most two years on.
pub fn consent_expiry(expires_at_ms: i64, now_ms: i64) -> Result<i64, Invalid> {
    if expires_at_ms <= now_ms {
        return Err(invalid("expires_at_ms", "must be in the future"));
    }
    if expires_at_ms - now_ms > MAX_CONSENT_MS {
        return Err(invalid(
            "expires_at_ms",
            "a consent runs for at most two years",
        ));
    }
    Ok(expires_at_ms)
}

/// A URN naming a business document: `renkei:<service>:<entity>:<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentUrn(String);

impl DocumentUrn {
    /// Checks the shape: lower-case service and entity names, and an id of
    /// letters, digits, `-`, `_` and `.` (1–100 characters).
    pub fn parse(field: &str, raw: &str) -> Result<DocumentUrn, Invalid> {
        let raw = raw.trim();
        let parts: Vec<&str> = raw.split(':').collect();
        let name_ok = |s: &str| {
            !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        };
        let id_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        match parts.as_slice() {
            ["renkei", service, entity, id] if name_ok(service) && name_ok(entity) && id_ok(id) => {
                Ok(DocumentUrn(raw.to_string()))
            }
            _ => Err(invalid(
                field,
                format!("`{raw}` is not a document URN like renkei:orders:order:<id>"),
            )),
        }
    }

    /// The URN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Id.
    pub message_id: String,
    /// Position in its thread, from 1.
    pub seq: i64,
    /// The organisation that wrote it.
    pub author_org_id: String,
    /// The person who wrote it.
    pub author_user_id: String,
    /// Text.
    pub body: String,
    /// Written (ms).
    pub created_at_ms: i64,
}

/// A thread as one participant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// Id.
    pub thread_id: String,
    /// Subject.
    pub subject: String,
    /// The document it is about.
    pub document_urn: Option<String>,
    /// Who started it.
    pub created_by_id: String,
    /// Participants.
    pub participants: Vec<String>,
    /// Messages so far.
    pub last_seq: i64,
    /// How far this participant has read.
    pub last_read_seq: i64,
    /// Started (ms).
    pub created_at_ms: i64,
    /// Last message (ms).
    pub last_message_at_ms: i64,
}

/// Checks a message text: 1–5000 characters after trimming.
pub fn message_body(raw: &str) -> Result<String, Invalid> {
    let body = raw.trim();
    let chars = body.chars().count();
    if chars == 0 {
        return Err(invalid("body", "must not be empty"));
    }
    if chars > 5000 {
        return Err(invalid(
            "body",
            format!("must be at most 5000 characters (got {chars})"),
        ));
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_urns_name_service_entity_and_id() {
        assert!(DocumentUrn::parse("u", "renkei:orders:order:01936f0e-aaaa").is_ok());
        for bad in [
            "",
            "orders:order:1",
            "renkei:Orders:order:1",
            "renkei:orders:order:",
            "renkei:orders:order:a b",
            "renkei:a:b:c:d",
        ] {
            assert!(DocumentUrn::parse("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_consent_allows_its_scopes_until_it_expires_or_is_revoked() {
        let c = Consent {
            consent_id: "c".into(),
            grantor_id: "a".into(),
            grantee_id: "b".into(),
            scopes: vec![ConsentScope::ProfileRead],
            purpose: "融資審査".into(),
            granted_at_ms: 0,
            expires_at_ms: 100,
            revoked_at_ms: None,
        };
        assert!(c.allows(ConsentScope::ProfileRead, 99));
        assert!(!c.allows(ConsentScope::PartnersRead, 99));
        assert!(!c.allows(ConsentScope::ProfileRead, 100));
        let revoked = Consent {
            revoked_at_ms: Some(50),
            ..c
        };
        assert_eq!(revoked.status(10), "revoked");
        assert!(consent_expiry(10, 20).is_err());
        assert!(consent_expiry(20 + MAX_CONSENT_MS + 1, 20).is_err());
        assert!(consent_scopes(&[]).is_err());
    }
}
