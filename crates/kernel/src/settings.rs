//! Typed, layered settings: built-in defaults, then an optional TOML file, then
//! `RENKEI__SECTION__KEY` environment variables. Every section is validated at
//! start-up so that a bad value stops the process with the key and the reason,
//! instead of surfacing later as a half-working service.

use std::{fmt, net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// A value that must never be printed: `Debug` shows `********`, and
/// [`Settings::to_masked_toml`] masks every key listed in [`Settings::SECRETS`].
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself; call only where it is handed to the component that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Which database engine the services keep their data in.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// One SQLite file per service under `storage.data_dir` (the embedded default).
    Sqlite,
    /// One schema per service in one PostgreSQL database.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// How events travel between services.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BusMode {
    /// In one process: consumers read the other services' outbox logs directly.
    Local,
    /// A relay publishes each outbox to Kafka topics; consumers use consumer groups.
    Kafka,
}

impl fmt::Display for BusMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BusMode::Local => "local",
            BusMode::Kafka => "kafka",
        })
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The whole settings tree.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP listener.
    pub server: ServerSettings,
    /// Databases.
    pub storage: StorageSettings,
    /// Event bus.
    pub bus: BusSettings,
    /// Logging.
    pub log: LogSettings,
    /// The HTTP edge when it runs on its own (`renkei serve gateway`).
    pub gateway: GatewaySettings,
    /// Sign-in, tokens and lockout.
    pub auth: AuthSettings,
    /// Delivery of events to installed apps.
    pub webhooks: WebhookSettings,
}

/// `[webhooks]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Wait before the first retry in milliseconds; doubles with each attempt.
    pub first_retry_ms: u64,
    /// Longest wait between two attempts in milliseconds.
    pub max_retry_ms: u64,
    /// Attempts before a delivery is given up as failed.
    pub max_attempts: u32,
    /// Seconds an app's endpoint gets to answer.
    pub timeout_secs: u64,
    /// Milliseconds between looks for due deliveries.
    pub poll_interval_ms: u64,
}

/// `[auth]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Lifetime of an access token in seconds; also how long a signed-out
    /// session's last access token can still reach services other than collab.
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token (and so of an idle sign-in) in seconds.
    pub refresh_token_ttl_secs: u64,
    /// Consecutive failed sign-ins for one email before it is locked.
    pub max_failed_sign_ins: u32,
    /// Seconds a locked email stays locked.
    pub lockout_secs: u64,
    /// Seconds an invitation stays open.
    pub invitation_ttl_secs: u64,
    /// Where services in their own process fetch the signing keys; empty =
    /// `gateway.upstreams.collab` + `/.well-known/jwks.json`.
    pub jwks_url: String,
}

/// `[server]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub listen: String,
    /// Seconds that in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Public base URL printed at start-up and used in links; empty = derived from `listen`.
    pub public_url: String,
}

/// `[storage]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// `sqlite` or `postgres`.
    pub backend: Backend,
    /// Folder for the SQLite files (one per service).
    pub data_dir: PathBuf,
    /// PostgreSQL connection URL, e.g. `postgres://renkei@db:5432/renkei`.
    pub postgres_url: Secret,
    /// Connections per service pool.
    pub max_connections: u32,
    /// Seconds to wait for a connection before giving up.
    pub connect_timeout_secs: u64,
}

/// `[bus]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BusSettings {
    /// `local` or `kafka`.
    pub mode: BusMode,
    /// Kafka bootstrap servers, comma-separated `host:port`.
    pub kafka_brokers: String,
    /// Prefix of every topic name (`<prefix>.<service>`).
    pub topic_prefix: String,
    /// Prefix of every consumer-group id.
    pub group_prefix: String,
    /// Milliseconds between polls of the outbox when it was empty.
    pub poll_interval_ms: u64,
    /// Rows the relay moves per round.
    pub batch_size: u32,
}

/// `[log]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `renkei=debug,sqlx=warn`.
    pub filter: String,
}

/// `[gateway]`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySettings {
    /// Base URL of each service's own process, by service name, used when the
    /// gateway runs alone and forwards `/api/<service>/…` to it.
    pub upstreams: std::collections::BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            server: ServerSettings {
                listen: "127.0.0.1:8080".into(),
                shutdown_grace_secs: 20,
                public_url: String::new(),
            },
            storage: StorageSettings {
                backend: Backend::Sqlite,
                data_dir: PathBuf::from("data"),
                postgres_url: Secret::new("postgres://127.0.0.1:5432/renkei"),
                max_connections: 8,
                connect_timeout_secs: 5,
            },
            bus: BusSettings {
                mode: BusMode::Local,
                kafka_brokers: "127.0.0.1:9092".into(),
                topic_prefix: "renkei".into(),
                group_prefix: "renkei".into(),
                poll_interval_ms: 200,
                batch_size: 500,
            },
            log: LogSettings {
                format: LogFormat::Text,
                filter: "info,sqlx=warn,rdkafka=warn".into(),
            },
            gateway: GatewaySettings::default(),
            auth: AuthSettings {
                access_token_ttl_secs: 600,
                refresh_token_ttl_secs: 30 * 24 * 3600,
                max_failed_sign_ins: 5,
                lockout_secs: 900,
                invitation_ttl_secs: 7 * 24 * 3600,
                jwks_url: String::new(),
            },
            webhooks: WebhookSettings {
                first_retry_ms: 5_000,
                max_retry_ms: 3_600_000,
                max_attempts: 10,
                timeout_secs: 10,
                poll_interval_ms: 500,
            },
        }
    }
}

/// A setting that cannot be used, with the dotted key and the reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid setting `{key}`: {reason}")]
pub struct SettingsError {
    /// Dotted key, e.g. `storage.postgres_url`.
    pub key: String,
    /// Why the value is not usable.
    pub reason: String,
}

impl SettingsError {
    fn new(key: &str, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl Settings {
    /// Loads defaults, then `file` (if given; it must exist), then the
    /// `RENKEI__…` environment, and validates the result.
    pub fn load(file: Option<&std::path::Path>) -> Result<Settings, SettingsError> {
        Self::load_with_env(file, Env::prefixed("RENKEI__").split("__"))
    }

    fn load_with_env(file: Option<&std::path::Path>, env: Env) -> Result<Settings, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError::new(
                    "--config",
                    format!("file {} does not exist", path.display()),
                ));
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment.merge(env).extract().map_err(|e| {
            let key = e.path.join(".");
            let key = if key.is_empty() {
                "settings".into()
            } else {
                key
            };
            SettingsError::new(&key, e.kind.to_string())
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every section; the first problem found is returned.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.server.listen.parse::<SocketAddr>().is_err() {
            return Err(SettingsError::new(
                "server.listen",
                format!(
                    "`{}` is not an address like 127.0.0.1:8080",
                    self.server.listen
                ),
            ));
        }
        if !self.server.public_url.is_empty() && !is_http_url(&self.server.public_url) {
            return Err(SettingsError::new(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        if self.storage.max_connections == 0 {
            return Err(SettingsError::new(
                "storage.max_connections",
                "must be at least 1",
            ));
        }
        match self.storage.backend {
            Backend::Sqlite if self.storage.data_dir.as_os_str().is_empty() => {
                return Err(SettingsError::new("storage.data_dir", "must not be empty"));
            }
            Backend::Postgres => {
                let url = self.storage.postgres_url.expose();
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(SettingsError::new(
                        "storage.postgres_url",
                        "must start with postgres:// or postgresql://",
                    ));
                }
            }
            Backend::Sqlite => {}
        }
        if self.bus.mode == BusMode::Kafka {
            let brokers: Vec<&str> = self.bus.kafka_brokers.split(',').map(str::trim).collect();
            if let Some(bad) = brokers.iter().find(|b| {
                b.rsplit_once(':')
                    .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
            }) {
                return Err(SettingsError::new(
                    "bus.kafka_brokers",
                    format!("`{bad}` is not host:port"),
                ));
            }
        }
        let is_topic_name = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        };
        if !is_topic_name(&self.bus.topic_prefix) {
            return Err(SettingsError::new(
                "bus.topic_prefix",
                "use only letters, digits, `.`, `_` and `-`",
            ));
        }
        if !is_topic_name(&self.bus.group_prefix) {
            return Err(SettingsError::new(
                "bus.group_prefix",
                "use only letters, digits, `.`, `_` and `-`",
            ));
        }
        if self.bus.batch_size == 0 {
            return Err(SettingsError::new("bus.batch_size", "must be at least 1"));
        }
        if self.bus.poll_interval_ms == 0 {
            return Err(SettingsError::new(
                "bus.poll_interval_ms",
                "must be at least 1",
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return Err(SettingsError::new(
                "log.filter",
                format!("`{}` is not a tracing filter", self.log.filter),
            ));
        }
        for (name, url) in &self.gateway.upstreams {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(SettingsError::new(
                    &format!("gateway.upstreams.{name}"),
                    "must start with http:// or https://",
                ));
            }
        }
        let auth = &self.auth;
        if !(30..=86_400).contains(&auth.access_token_ttl_secs) {
            return Err(SettingsError::new(
                "auth.access_token_ttl_secs",
                "must be between 30 seconds and one day",
            ));
        }
        if auth.refresh_token_ttl_secs <= auth.access_token_ttl_secs {
            return Err(SettingsError::new(
                "auth.refresh_token_ttl_secs",
                "must be longer than auth.access_token_ttl_secs",
            ));
        }
        if auth.max_failed_sign_ins == 0 {
            return Err(SettingsError::new(
                "auth.max_failed_sign_ins",
                "must be at least 1",
            ));
        }
        if auth.lockout_secs == 0 {
            return Err(SettingsError::new(
                "auth.lockout_secs",
                "must be at least 1",
            ));
        }
        if auth.invitation_ttl_secs < 60 {
            return Err(SettingsError::new(
                "auth.invitation_ttl_secs",
                "must be at least 60",
            ));
        }
        let hooks = &self.webhooks;
        if hooks.first_retry_ms == 0 || hooks.max_retry_ms < hooks.first_retry_ms {
            return Err(SettingsError::new(
                "webhooks.max_retry_ms",
                "must be at least webhooks.first_retry_ms, which must be at least 1",
            ));
        }
        if hooks.max_attempts == 0 {
            return Err(SettingsError::new(
                "webhooks.max_attempts",
                "must be at least 1",
            ));
        }
        if !(1..=120).contains(&hooks.timeout_secs) {
            return Err(SettingsError::new(
                "webhooks.timeout_secs",
                "must be between 1 and 120",
            ));
        }
        if hooks.poll_interval_ms == 0 {
            return Err(SettingsError::new(
                "webhooks.poll_interval_ms",
                "must be at least 1",
            ));
        }
        if !auth.jwks_url.is_empty() && !is_http_url(&auth.jwks_url) {
            return Err(SettingsError::new(
                "auth.jwks_url",
                "must start with http:// or https://",
            ));
        }
        Ok(())
    }

    /// The parsed listen address (validated by [`Settings::validate`]).
    pub fn listen_addr(&self) -> SocketAddr {
        self.server
            .listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    /// Dotted keys whose values are secrets.
    pub const SECRETS: &'static [&'static str] = &["storage.postgres_url"];

    /// The effective settings as TOML with every secret masked.
    pub fn to_masked_toml(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        for key in Self::SECRETS {
            let pointer = format!("/{}", key.replace('.', "/"));
            if let Some(secret) = value.pointer_mut(&pointer) {
                *secret = serde_json::Value::String("********".into());
            }
        }
        toml_render(&value, "")
    }
}

fn toml_render(value: &serde_json::Value, section: &str) -> String {
    let serde_json::Value::Object(map) = value else {
        return String::new();
    };
    let mut out = String::new();
    let mut tables = Vec::new();
    for (k, v) in map {
        match v {
            serde_json::Value::Object(_) => tables.push((k, v)),
            other => out.push_str(&format!("{k} = {other}\n")),
        }
    }
    for (k, v) in tables {
        let name = if section.is_empty() {
            k.clone()
        } else {
            format!("{section}.{k}")
        };
        out.push_str(&format!("\n[{name}]\n"));
        out.push_str(&toml_render(v, &name));
    }
    out
}

/// Whether a configured URL is an HTTP one.
fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(
        clippy::result_large_err,
        reason = "figment's Jail fixes the closure's error type"
    )]
    fn load_env(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut result = None;
        figment::Jail::expect_with(|jail| {
            for (k, v) in vars {
                jail.set_env(k, v);
            }
            result = Some(Settings::load(None));
            Ok(())
        });
        result.expect("the jail ran")
    }

    #[test]
    fn defaults_are_valid_and_embedded() {
        let s = Settings::load_with_env(None, Env::prefixed("RENKEI_TEST_NONE__")).expect("valid");
        assert_eq!(s.storage.backend, Backend::Sqlite);
        assert_eq!(s.bus.mode, BusMode::Local);
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let s = load_env(&[
            ("RENKEI__STORAGE__BACKEND", "postgres"),
            ("RENKEI__BUS__BATCH_SIZE", "7"),
        ])
        .expect("valid");
        assert_eq!(s.storage.backend, Backend::Postgres);
        assert_eq!(s.bus.batch_size, 7);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = load_env(&[("RENKEI__SERVER__LISTEN", "not-an-address")]).expect_err("refused");
        assert_eq!(err.key, "server.listen");
        let err = load_env(&[("RENKEI__STORAGE__BACKEND", "oracle")]).expect_err("refused");
        assert_eq!(err.key, "storage.backend");
        assert!(err.reason.contains("oracle"), "{}", err.reason);
        let err = load_env(&[
            ("RENKEI__BUS__MODE", "kafka"),
            ("RENKEI__BUS__KAFKA_BROKERS", "localhost"),
        ])
        .expect_err("refused");
        assert_eq!(err.key, "bus.kafka_brokers");
    }

    #[test]
    fn secrets_never_print() {
        let mut s = Settings::default();
        s.storage.postgres_url = Secret::new("postgres://u:hunter2@h/db");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!s.to_masked_toml().contains("hunter2"));
        assert!(s.to_masked_toml().contains("[storage]"));
    }
}
