//! Apps of local IT vendors: what an app may ask for (scopes), which events
//! it may subscribe to, how its webhook deliveries are signed, and how long
//! to wait before the next attempt.

use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

use super::{Invalid, invalid};

/// What an installed app may do in the organisation that installed it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum AppScope {
    /// Read the organisation's profile.
    #[serde(rename = "organisation:read")]
    OrganisationRead,
    /// Read its partnerships.
    #[serde(rename = "partners:read")]
    PartnersRead,
    /// Read its message threads.
    #[serde(rename = "messages:read")]
    MessagesRead,
    /// Start threads and post messages.
    #[serde(rename = "messages:write")]
    MessagesWrite,
    /// Read its orders.
    #[serde(rename = "orders:read")]
    OrdersRead,
    /// Send and answer orders.
    #[serde(rename = "orders:write")]
    OrdersWrite,
}

impl AppScope {
    const ALL: [AppScope; 6] = [
        AppScope::OrganisationRead,
        AppScope::PartnersRead,
        AppScope::MessagesRead,
        AppScope::MessagesWrite,
        AppScope::OrdersRead,
        AppScope::OrdersWrite,
    ];

    /// Its name, as in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            AppScope::OrganisationRead => "organisation:read",
            AppScope::PartnersRead => "partners:read",
            AppScope::MessagesRead => "messages:read",
            AppScope::MessagesWrite => "messages:write",
            AppScope::OrdersRead => "orders:read",
            AppScope::OrdersWrite => "orders:write",
        }
    }

    /// Reads a name.
    pub fn parse(field: &str, raw: &str) -> Result<AppScope, Invalid> {
        AppScope::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = AppScope::ALL.iter().map(|s| s.as_str()).collect();
                invalid(field, format!("`{raw}` is not one of {}", names.join(", ")))
            })
    }

    /// Reads a space-separated list.
    pub fn parse_list(field: &str, raw: &str) -> Result<Vec<AppScope>, Invalid> {
        raw.split_whitespace()
            .map(|s| AppScope::parse(field, s))
            .collect()
    }

    /// The space-separated form of a list.
    pub fn join(scopes: &[AppScope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Sorts and de-duplicates a scope list; at least one.
pub fn scope_set(field: &str, scopes: &[AppScope]) -> Result<Vec<AppScope>, Invalid> {
    let mut list = scopes.to_vec();
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(invalid(field, "name at least one scope"));
    }
    Ok(list)
}

/// Checks event type names an app subscribes to: `<service>.<entity>.<verb>`.
pub fn event_types(field: &str, types: &[String]) -> Result<Vec<String>, Invalid> {
    let mut list: Vec<String> = types.iter().map(|t| t.trim().to_string()).collect();
    for (i, t) in list.iter().enumerate() {
        let parts: Vec<&str> = t.split('.').collect();
        let ok = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        if !ok {
            return Err(invalid(
                &format!("{field}[{i}]"),
                format!("`{t}` is not an event type like collab.message.posted"),
            ));
        }
    }
    list.sort();
    list.dedup();
    Ok(list)
}

/// Checks a webhook address: `https://…`, or `http://` to a loopback host
/// (for development); at most 500 characters.
pub fn webhook_url(field: &str, raw: &str) -> Result<String, Invalid> {
    let url = raw.trim();
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let loopback = matches!(hostname, "127.0.0.1" | "localhost" | "[::1]");
    if url.len() > 500
        || host.is_empty()
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid(field, format!("`{url}` is not a web address")));
    }
    if !url.starts_with("https://") && !loopback {
        return Err(invalid(
            field,
            "use https:// (plain http:// only to 127.0.0.1 or localhost)",
        ));
    }
    Ok(url.to_string())
}

/// The `Renkei-Signature` header of a delivery: `t=<unix seconds>,v1=<hex>`
/// where the hex is HMAC-SHA256 with the installation's webhook secret over
/// `<t>.<body>`. Receivers recompute it and reject old timestamps.
pub fn signature(secret: &str, unix_secs: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as hmac::Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let mac = renkei_kernel::auth::hex(&mac.finalize().into_bytes());
    format!("t={unix_secs},v1={mac}")
}

/// Wait before attempt `attempts + 1`: `first_ms` doubled per earlier
/// attempt, at most `max_ms`.
pub fn retry_delay_ms(attempts: u32, first_ms: u64, max_ms: u64) -> u64 {
    let factor = 1u64
        .checked_shl(attempts.saturating_sub(1))
        .unwrap_or(u64::MAX);
    first_ms.saturating_mul(factor).min(max_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_time_and_body() {
        let a = signature("secret", 1_700_000_000, "{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("secret", 1_700_000_001, "{}"));
        assert_ne!(a, signature("secret", 1_700_000_000, "{ }"));
        assert_ne!(a, signature("other", 1_700_000_000, "{}"));
    }

    #[test]
    fn retries_back_off_doubling_up_to_the_cap() {
        assert_eq!(retry_delay_ms(1, 1000, 60_000), 1000);
        assert_eq!(retry_delay_ms(2, 1000, 60_000), 2000);
        assert_eq!(retry_delay_ms(4, 1000, 60_000), 8000);
        assert_eq!(retry_delay_ms(30, 1000, 60_000), 60_000);
        assert_eq!(retry_delay_ms(200, 1000, 60_000), 60_000);
    }

    #[test]
    fn webhook_addresses_are_https_or_loopback() {
        assert!(webhook_url("u", "https://hooks.machi-it.jp/renkei").is_ok());
        assert!(webhook_url("u", "http://127.0.0.1:9000/hook").is_ok());
        assert!(webhook_url("u", "http://hooks.machi-it.jp/renkei").is_err());
        assert!(webhook_url("u", "ftp://x").is_err());
        assert!(webhook_url("u", "https://").is_err());
    }

    #[test]
    fn event_types_have_three_parts() {
        assert!(event_types("events", &["collab.message.posted".into()]).is_ok());
        let e = event_types("events", &["ok.one.two".into(), "Bad".into()]).expect_err("bad");
        assert_eq!(e.field, "events[1]");
    }
}
