//! Who is calling: access tokens, the keys that sign them, and the principal
//! every handler receives.
//!
//! The collaboration service issues short-lived access tokens (JWT, EdDSA over
//! Ed25519) and publishes its public keys as a JWKS document. Every service
//! verifies tokens locally with a [`Verifier`]: a key set keyed by `kid`,
//! reloaded from its source when a token names a key it does not know yet, so
//! that a rotated key is picked up without a restart and tokens signed with
//! the previous key stay valid until they expire.
//!
//! Handlers take a [`Principal`] extractor; it refuses a missing, forged or
//! expired token with `401 unauthenticated` and a message that says which of
//! those it was, and nothing more.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, Code};

/// The `iss` of every token this platform issues.
pub const ISSUER: &str = "renkei";

/// A member's role in one organisation, from most to least powerful.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Full control, including closing the organisation and managing owners.
    Owner,
    /// Manages members, invitations, apps, partnerships and the profile.
    Admin,
    /// Does the organisation's business: orders, messages, groups.
    Member,
    /// Reads only.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Viewer];

    /// Its stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Reads a stored or submitted name.
    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Whether this role may do what `needed` may do.
    pub fn at_least(self, needed: Role) -> bool {
        self <= needed
    }
}

/// Whether a token speaks for a person or for an installed app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A signed-in user.
    User,
    /// An app installation acting through OAuth2 client credentials.
    App,
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// User id, or app installation id.
    pub sub: String,
    /// User or app.
    pub kind: PrincipalKind,
    /// The organisation the token acts in (none right after sign-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The user's role in `org`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Space-separated scopes granted to an app installation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The sign-in session (refresh-token family) the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// Token id.
    pub jti: String,
}

/// The verified caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User or app.
    pub kind: PrincipalKind,
    /// User id or app installation id.
    pub subject: String,
    /// The organisation it acts in.
    pub organisation_id: Option<String>,
    /// The user's role there.
    pub role: Option<Role>,
    /// An app's granted scopes.
    pub scopes: Vec<String>,
    /// The sign-in session, for users.
    pub session_id: Option<String>,
}

impl Principal {
    fn from_claims(c: Claims) -> Principal {
        Principal {
            kind: c.kind,
            subject: c.sub,
            organisation_id: c.org,
            role: c.role,
            scopes: c
                .scope
                .map(|s| s.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
            session_id: c.sid,
        }
    }

    /// Whether an app principal was granted `scope`; users hold no scopes and
    /// are governed by their role instead.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Checks that the principal acts in `organisation_id`: a person with
    /// at least `needed` there, or an app installed there with `app_scope`.
    /// The token is the authority: collab signs the organisation, role and
    /// scopes into it. A principal acting elsewhere learns nothing
    /// ([`Denied::Elsewhere`], to be answered as "not found").
    pub fn may_act_in(
        &self,
        organisation_id: &str,
        needed: Role,
        app_scope: &str,
    ) -> Result<(), Denied> {
        if self.organisation_id.as_deref() != Some(organisation_id) {
            return Err(Denied::Elsewhere);
        }
        match self.kind {
            PrincipalKind::App if !self.has_scope(app_scope) => Err(Denied::Forbidden(format!(
                "this app was not granted the scope `{app_scope}`"
            ))),
            PrincipalKind::App => Ok(()),
            PrincipalKind::User => {
                let role = self.role.unwrap_or(Role::Viewer);
                if role.at_least(needed) {
                    Ok(())
                } else {
                    Err(Denied::Forbidden(format!(
                        "this needs the role `{}` or higher; yours is `{}`",
                        needed.as_str(),
                        role.as_str()
                    )))
                }
            }
        }
    }
}

/// Why a principal may not act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// It acts in another organisation.
    #[error("organisation not found")]
    Elsewhere,
    /// Its role or scopes do not allow it; the message says what is missing.
    #[error("{0}")]
    Forbidden(String),
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header.
    #[error("sign in first: this request needs an `Authorization: Bearer <access token>` header")]
    Missing,
    /// The token has expired.
    #[error("the access token has expired; get a new one with the refresh token")]
    Expired,
    /// Malformed, forged, wrongly signed or from another issuer.
    #[error("the access token is not valid")]
    Invalid,
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let code = match e {
            AuthError::Expired => Code::TokenExpired,
            AuthError::Missing | AuthError::Invalid => Code::Unauthenticated,
        };
        ApiError::new(code, e.to_string())
    }
}

/// One public key of the JWKS document (an Ed25519 octet key pair, RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Jwk {
    /// Key type, `OKP`.
    pub kty: String,
    /// Curve, `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// Key id, as in the `kid` header of the tokens it signs.
    pub kid: String,
    /// Algorithm, `EdDSA`.
    pub alg: String,
    /// Use, `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// The JWKS document: every key a valid token may be signed with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// A private signing key with its id. The seed never leaves the issuing service.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    seed: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key with a fresh id.
    pub fn generate() -> SigningKey {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        SigningKey {
            kid: uuid::Uuid::now_v7().simple().to_string(),
            seed,
        }
    }

    /// A stored key.
    pub fn from_seed(kid: impl Into<String>, seed: &[u8]) -> Option<SigningKey> {
        Some(SigningKey {
            kid: kid.into(),
            seed: seed.try_into().ok()?,
        })
    }

    /// Its id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private seed, for storage.
    pub fn seed(&self) -> &[u8] {
        &self.seed
    }

    /// Its public half as a JWK.
    pub fn jwk(&self) -> Jwk {
        let public = ed25519_dalek::SigningKey::from_bytes(&self.seed).verifying_key();
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            kid: self.kid.clone(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
        }
    }

    /// Signs `claims` into a compact JWT with this key's `kid`.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let der = ed25519_dalek::SigningKey::from_bytes(&self.seed)
            .to_pkcs8_der()
            .map_err(|_| jsonwebtoken::errors::ErrorKind::InvalidEddsaKey)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
    }
}

/// Where a [`Verifier`] gets its keys: the issuing service's database in the
/// same process, or its JWKS endpoint over HTTP.
pub trait KeySource: Send + Sync {
    /// The current key set.
    fn load(&self) -> BoxFuture<'_, Result<Jwks, String>>;
}

/// Fetches a JWKS document over HTTP (for services in their own process).
#[derive(Debug, Clone)]
pub struct JwksUrl {
    url: String,
    client: reqwest::Client,
}

impl JwksUrl {
    /// A source reading `url`.
    pub fn new(url: impl Into<String>) -> JwksUrl {
        JwksUrl {
            url: url.into(),
            client: reqwest::Client::new(),
        }
    }
}

impl KeySource for JwksUrl {
    fn load(&self) -> BoxFuture<'_, Result<Jwks, String>> {
        Box::pin(async move {
            let response = self
                .client
                .get(&self.url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .map_err(|e| format!("fetching {}: {e}", self.url))?;
            if !response.status().is_success() {
                return Err(format!("fetching {}: HTTP {}", self.url, response.status()));
            }
            response
                .json::<Jwks>()
                .await
                .map_err(|e| format!("reading {}: {e}", self.url))
        })
    }
}

/// How long a verifier waits between two reloads triggered by unknown key ids
/// (explicit reloads do not count),
/// so that tokens with made-up `kid`s cannot hammer the key source.
const RELOAD_PAUSE: Duration = Duration::from_secs(5);

/// Seconds of clock difference an expiry check allows.
const LEEWAY_SECS: i64 = 5;

/// How many verified tokens a verifier remembers; when full it starts
/// again (a token's owner then pays one more signature check).
const VERIFIED_TOKENS: usize = 4096;

/// A token that passed the signature, issuer and claims checks.
struct Verified {
    principal: Principal,
    exp: i64,
    generation: u64,
}

struct VerifierInner {
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// Bumped whenever the key set is replaced: a verified token stays
    /// verified only under the keys it was verified with.
    generation: AtomicU64,
    /// Tokens verified already, by their exact text ([`Verifier::verify`]).
    verified: Mutex<HashMap<String, Verified>>,
    source: Option<Arc<dyn KeySource>>,
    last_reload: Mutex<Option<Instant>>,
    reload_lock: tokio::sync::Mutex<()>,
}

/// Verifies access tokens against a key set (cheap to clone; clones share keys).
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self
            .inner
            .keys
            .read()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("Verifier").field("kids", &kids).finish()
    }
}

impl Verifier {
    /// A verifier whose keys come from `source`, loaded on first use and
    /// again whenever a token names an unknown key.
    pub fn new(source: Arc<dyn KeySource>) -> Verifier {
        Verifier {
            inner: Arc::new(VerifierInner {
                keys: RwLock::new(HashMap::new()),
                generation: AtomicU64::new(0),
                verified: Mutex::new(HashMap::new()),
                source: Some(source),
                last_reload: Mutex::new(None),
                reload_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// A verifier with a fixed key set and no source (tests, tools).
    pub fn fixed(jwks: &Jwks) -> Verifier {
        let verifier = Verifier {
            inner: Arc::new(VerifierInner {
                keys: RwLock::new(HashMap::new()),
                generation: AtomicU64::new(0),
                verified: Mutex::new(HashMap::new()),
                source: None,
                last_reload: Mutex::new(None),
                reload_lock: tokio::sync::Mutex::new(()),
            }),
        };
        verifier.install(jwks);
        verifier
    }

    /// Replaces the key set.
    pub fn install(&self, jwks: &Jwks) {
        let keys: HashMap<String, DecodingKey> = jwks
            .keys
            .iter()
            .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
            .filter_map(|k| {
                DecodingKey::from_ed_components(&k.x)
                    .ok()
                    .map(|d| (k.kid.clone(), d))
            })
            .collect();
        if let Ok(mut slot) = self.inner.keys.write() {
            *slot = keys;
            self.inner.generation.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Reloads the keys from the source now.
    pub async fn reload(&self) -> Result<(), String> {
        let Some(source) = &self.inner.source else {
            return Ok(());
        };
        let jwks = source.load().await?;
        self.install(&jwks);
        Ok(())
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.inner.keys.read().ok()?.get(kid).cloned()
    }

    async fn key_reloading(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.key(kid) {
            return Some(key);
        }
        let _one_at_a_time = self.inner.reload_lock.lock().await;
        if let Some(key) = self.key(kid) {
            return Some(key);
        }
        let recently = self
            .inner
            .last_reload
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < RELOAD_PAUSE);
        if recently {
            return None;
        }
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "could not reload signing keys");
        }
        if let Ok(mut at) = self.inner.last_reload.lock() {
            *at = Some(Instant::now());
        }
        self.key(kid)
    }

    /// Checks signature, issuer and expiry, and returns the caller.
    ///
    /// A token verified before under the same key set is not checked
    /// again but for its expiry: its text, signature included, is the
    /// cache key, so any other token (one byte changed) is checked in
    /// full. The Ed25519 check is most of what authenticating a request
    /// costs.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify_at(token, crate::storage::now_ms() / 1000).await
    }

    async fn verify_at(&self, token: &str, now: i64) -> Result<Principal, AuthError> {
        let generation = self.inner.generation.load(Ordering::Acquire);
        if let Ok(verified) = self.inner.verified.lock()
            && let Some(hit) = verified.get(token)
            && hit.generation == generation
        {
            return if hit.exp < now - LEEWAY_SECS {
                Err(AuthError::Expired)
            } else {
                Ok(hit.principal.clone())
            };
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid)?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Invalid);
        }
        let kid = header.kid.ok_or(AuthError::Invalid)?;
        let key = self.key_reloading(&kid).await.ok_or(AuthError::Invalid)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = LEEWAY_SECS.unsigned_abs();
        match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
            Ok(data) => {
                let exp = data.claims.exp;
                let principal = Principal::from_claims(data.claims);
                if let Ok(mut verified) = self.inner.verified.lock() {
                    if verified.len() >= VERIFIED_TOKENS {
                        verified.clear();
                    }
                    verified.insert(
                        token.to_string(),
                        Verified {
                            principal: principal.clone(),
                            exp,
                            generation,
                        },
                    );
                }
                Ok(principal)
            }
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
                Err(AuthError::Expired)
            }
            Err(_) => Err(AuthError::Invalid),
        }
    }
}

/// Reads the bearer token of a request, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Invalid)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid);
    }
    Ok(token.trim())
}

impl<S> FromRequestParts<S> for Principal
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        Ok(Verifier::from_ref(state).verify(token).await?)
    }
}

/// Where a request came from, for the audit log: the peer address, and the
/// `X-Forwarded-For` chain a proxy in front added, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            });
        Ok(ClientAddr(match (peer, forwarded) {
            (Some(p), Some(f)) => format!("{p} (for {f})"),
            (Some(p), None) => p,
            (None, Some(f)) => format!("unknown (for {f})"),
            (None, None) => "unknown".to_string(),
        }))
    }
}

/// A verified caller and where its request came from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// From where.
    pub client_addr: String,
}

impl<S> FromRequestParts<S> for Caller
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let Ok(ClientAddr(client_addr)) = ClientAddr::from_request_parts(parts, state).await;
        Ok(Caller {
            principal,
            client_addr,
        })
    }
}

/// Claims for a token valid from now for `ttl`.
pub fn claims(
    kind: PrincipalKind,
    subject: &str,
    organisation: Option<(&str, Option<Role>)>,
    scopes: Option<&str>,
    session_id: Option<&str>,
    ttl: Duration,
) -> Claims {
    let now = crate::storage::now_ms() / 1000;
    Claims {
        iss: ISSUER.into(),
        sub: subject.into(),
        kind,
        org: organisation.map(|(o, _)| o.to_string()),
        role: organisation.and_then(|(_, r)| r),
        scope: scopes.map(str::to_string),
        sid: session_id.map(str::to_string),
        iat: now,
        exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        jti: uuid::Uuid::now_v7().to_string(),
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lower-case hexadecimal of `bytes` (hashes, MACs).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh random secret of `bytes` bytes, base64url-encoded (for refresh
/// tokens, invitation tokens and client secrets).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_claims(ttl_secs: u64) -> Claims {
        claims(
            PrincipalKind::User,
            "u1",
            Some(("o1", Some(Role::Admin))),
            None,
            Some("s1"),
            Duration::from_secs(ttl_secs),
        )
    }

    #[tokio::test]
    async fn a_token_signed_by_a_known_key_verifies_to_its_principal() {
        let key = SigningKey::generate();
        let verifier = Verifier::fixed(&Jwks {
            keys: vec![key.jwk()],
        });
        let token = key.sign(&user_claims(60)).expect("sign");
        let p = verifier.verify(&token).await.expect("valid");
        assert_eq!(p.subject, "u1");
        assert_eq!(p.organisation_id.as_deref(), Some("o1"));
        assert_eq!(p.role, Some(Role::Admin));
        assert_eq!(p.session_id.as_deref(), Some("s1"));
    }

    #[tokio::test]
    async fn a_token_from_an_unknown_key_or_tampered_is_invalid() {
        let known = SigningKey::generate();
        let stranger = SigningKey::generate();
        let verifier = Verifier::fixed(&Jwks {
            keys: vec![known.jwk()],
        });
        let forged = stranger.sign(&user_claims(60)).expect("sign");
        assert_eq!(verifier.verify(&forged).await, Err(AuthError::Invalid));

        let token = known.sign(&user_claims(60)).expect("sign");
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut elevated = user_claims(60);
        elevated.role = Some(Role::Owner);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&elevated).expect("json"));
        parts[1] = &payload;
        assert_eq!(
            verifier.verify(&parts.join(".")).await,
            Err(AuthError::Invalid)
        );
        assert_eq!(
            verifier.verify("not.a.token").await,
            Err(AuthError::Invalid)
        );
    }

    #[tokio::test]
    async fn a_verified_token_is_remembered_until_it_expires_or_the_keys_change() {
        let key = SigningKey::generate();
        let verifier = Verifier::fixed(&Jwks {
            keys: vec![key.jwk()],
        });
        let claims = user_claims(60);
        let token = key.sign(&claims).expect("sign");
        let first = verifier.verify(&token).await.expect("valid");
        assert_eq!(
            verifier.verify(&token).await,
            Ok(first.clone()),
            "remembered"
        );
        assert_eq!(verifier.inner.verified.lock().expect("lock").len(), 1);
        // Past its expiry (and the leeway) the remembered token is refused.
        assert_eq!(
            verifier.verify_at(&token, claims.exp + LEEWAY_SECS).await,
            Ok(first)
        );
        assert_eq!(
            verifier
                .verify_at(&token, claims.exp + LEEWAY_SECS + 1)
                .await,
            Err(AuthError::Expired)
        );
        // A new key set without the signing key: the token is no longer
        // good, remembered or not.
        let other = SigningKey::generate();
        verifier.install(&Jwks {
            keys: vec![other.jwk()],
        });
        assert_eq!(verifier.verify(&token).await, Err(AuthError::Invalid));
        // A token one character off is checked in full, not matched.
        verifier.install(&Jwks {
            keys: vec![key.jwk()],
        });
        assert!(verifier.verify(&token).await.is_ok());
        let mut forged = token.clone().into_bytes();
        let last = forged.len() - 2;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).expect("ascii");
        assert_eq!(verifier.verify(&forged).await, Err(AuthError::Invalid));
    }

    #[tokio::test]
    async fn an_expired_token_says_so() {
        let key = SigningKey::generate();
        let verifier = Verifier::fixed(&Jwks {
            keys: vec![key.jwk()],
        });
        let mut c = user_claims(60);
        c.exp = c.iat - 60;
        let token = key.sign(&c).expect("sign");
        assert_eq!(verifier.verify(&token).await, Err(AuthError::Expired));
    }

    #[test]
    fn roles_are_ordered_from_owner_to_viewer() {
        assert!(Role::Owner.at_least(Role::Admin));
        assert!(Role::Admin.at_least(Role::Admin));
        assert!(!Role::Member.at_least(Role::Admin));
        assert!(Role::Member.at_least(Role::Viewer));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
