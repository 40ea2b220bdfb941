//! Signing in through the browser: the access and refresh tokens live in
//! HttpOnly cookies, an expired access token is refreshed on the way in, and
//! every form carries a CSRF token that must match its cookie
//! (double-submit), on top of `SameSite=Lax`.

use axum::http::{HeaderMap, HeaderValue, header};
use renkei_collab::app::{App, TokenPair};
use renkei_kernel::auth::{AuthError, Caller, ClientAddr};

/// Cookie of the access token.
pub const ACCESS: &str = "rk_at";
/// Cookie of the refresh token.
pub const REFRESH: &str = "rk_rt";
/// Cookie of the CSRF token.
pub const CSRF: &str = "rk_csrf";

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn set(name: &str, value: &str, max_age_secs: u64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax"
    ))
    .ok()
}

/// `Set-Cookie` headers that store a token pair.
pub fn store(pair: &TokenPair, refresh_ttl_secs: u64) -> Vec<HeaderValue> {
    [
        set(ACCESS, &pair.access_token, pair.expires_in),
        set(REFRESH, &pair.refresh_token, refresh_ttl_secs),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `Set-Cookie` headers that forget the tokens.
pub fn forget() -> Vec<HeaderValue> {
    [set(ACCESS, "", 0), set(REFRESH, "", 0)]
        .into_iter()
        .flatten()
        .collect()
}

/// The signed-in caller of a page, refreshing an expired access token with
/// the refresh cookie; the `Set-Cookie` headers to send back when it did.
pub struct Visitor {
    /// Who (none when not signed in).
    pub caller: Option<Caller>,
    /// New cookies to send.
    pub cookies: Vec<HeaderValue>,
    /// The CSRF token forms must carry.
    pub csrf: String,
}

/// Works out who is visiting.
pub async fn visitor(
    app: &App,
    headers: &HeaderMap,
    client: &ClientAddr,
    refresh_ttl_secs: u64,
) -> Visitor {
    let mut cookies = Vec::new();
    let csrf = match cookie(headers, CSRF) {
        Some(v) => v.to_string(),
        None => {
            let fresh = renkei_kernel::auth::random_token(18);
            cookies.extend(set(CSRF, &fresh, 86_400 * 30));
            fresh
        }
    };
    let verified = match cookie(headers, ACCESS) {
        Some(token) => app.verifier().verify(token).await,
        None => Err(AuthError::Missing),
    };
    let principal = match verified {
        Ok(p) => Some(p),
        Err(_) => match cookie(headers, REFRESH) {
            Some(rt) => match app.refresh(rt, None, &client.0).await {
                Ok(pair) => {
                    cookies.extend(store(&pair, refresh_ttl_secs));
                    app.verifier().verify(&pair.access_token).await.ok()
                }
                Err(_) => {
                    cookies.extend(forget());
                    None
                }
            },
            None => None,
        },
    };
    Visitor {
        caller: principal.map(|principal| Caller {
            principal,
            client_addr: client.0.clone(),
        }),
        cookies,
        csrf,
    }
}

/// Whether a submitted form carries the CSRF token of its cookie.
pub fn csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    cookie(headers, CSRF)
        .is_some_and(|c| renkei_kernel::auth::same_secret(c.as_bytes(), submitted.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("rk_at_x=1; rk_at=abc; lang=en"),
        );
        assert_eq!(cookie(&h, ACCESS), Some("abc"));
        assert_eq!(cookie(&h, REFRESH), None);
        assert!(!csrf_ok(&h, "abc"));
        h.insert(header::COOKIE, HeaderValue::from_static("rk_csrf=tok"));
        assert!(csrf_ok(&h, "tok"));
        assert!(!csrf_ok(&h, "tox"));
    }
}
