//! People: email addresses, display names and the password policy. A password
//! is only ever held long enough to be checked and hashed.

use super::{Invalid, invalid};

/// An email address, trimmed and lower-cased, used as the sign-in name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks the shape `local@domain.tld`; no attempt is made to prove the
    /// mailbox exists.
    pub fn parse(field: &str, raw: &str) -> Result<Email, Invalid> {
        let email = raw.trim().to_lowercase();
        let bad = |why: &str| {
            invalid(
                field,
                format!("`{}` is not an email address: {why}", raw.trim()),
            )
        };
        if email.is_empty() {
            return Err(invalid(field, "must not be empty"));
        }
        if email.len() > 254 {
            return Err(invalid(field, "must be at most 254 characters"));
        }
        let (local, domain) = email.split_once('@').ok_or_else(|| bad("it has no `@`"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(bad("the part before `@` must be 1 to 64 characters"));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains spaces or control characters"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(bad("the domain after `@` must look like example.co.jp"));
        }
        Ok(Email(email))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}

/// A person's name as shown to colleagues and partners, 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and checks a name.
    pub fn parse(field: &str, raw: &str) -> Result<DisplayName, Invalid> {
        super::text(field, raw, 100).map(DisplayName)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Most characters a password may have (hashing cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords that are long enough but guessed first by every attacker.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "password123",
    "password1234",
    "passw0rd123",
    "qwertyuiop",
    "1q2w3e4r5t",
    "qwerty1234",
    "iloveyou123",
    "abcdefghij",
    "abcd123456",
    "1111111111",
    "0000000000",
    "aaaaaaaaaa",
    "administrator",
    "letmein123",
    "welcome123",
    "changeme123",
    "renkeirenkei",
];

/// Why a password was refused; the caller shows it as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WeakPassword(pub String);

/// Checks a new password against the policy: 10–128 characters, at least 5
/// different characters, not a well-known password, not the email's name part.
pub fn check_password(password: &str, email: &Email) -> Result<(), WeakPassword> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(WeakPassword(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters (it has {chars})"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(WeakPassword(format!(
            "the password must have at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(WeakPassword(
            "the password must use at least 5 different characters".into(),
        ));
    }
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(WeakPassword(
            "this password is on the list of the most common passwords".into(),
        ));
    }
    let local = email.local_part();
    if local.chars().count() >= 4 && lower.contains(local) {
        return Err(WeakPassword(
            "the password must not contain your email address".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        let e = Email::parse("email", "  Taro.Yamada@Example.CO.JP ").expect("valid");
        assert_eq!(e.as_str(), "taro.yamada@example.co.jp");
        for bad in [
            "",
            "taro",
            "taro@",
            "@example.jp",
            "taro@example",
            "ta ro@example.jp",
            "taro@-x.jp",
        ] {
            let err = Email::parse("email", bad).expect_err(bad);
            assert_eq!(err.field, "email", "{bad}");
        }
    }

    #[test]
    fn the_password_policy_explains_each_refusal() {
        let email = Email::parse("email", "hanako@example.jp").expect("valid");
        assert!(
            check_password("short", &email)
                .expect_err("refused")
                .0
                .contains("at least 10")
        );
        assert!(
            check_password("abababababab", &email)
                .expect_err("refused")
                .0
                .contains("5 different")
        );
        assert!(
            check_password("Password123", &email)
                .expect_err("refused")
                .0
                .contains("common")
        );
        assert!(
            check_password("hanako-2026!", &email)
                .expect_err("refused")
                .0
                .contains("email")
        );
        assert!(check_password("梅の花が咲く三月です", &email).is_ok());
        assert!(check_password("correct horse battery", &email).is_ok());
    }
}
