//! Validated types of the collaboration layer. Built only through `parse`,
//! so a value of these types is always valid; no HTTP or SQL here.

pub mod account;
pub mod app;
pub mod audit;
pub mod consent;
pub mod organisation;
pub mod partnership;
pub mod profile;

use serde::{Deserialize, Serialize};

/// A value was not acceptable; says which field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// Input field, as a dotted path (`sites[1].municipality_code`).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Invalid {
    /// The same error for a field nested under `parent`.
    pub fn within(self, parent: &str) -> Invalid {
        Invalid {
            field: format!("{parent}.{}", self.field),
            reason: self.reason,
        }
    }
}

/// Trims a one-line text and checks it is not empty, at most `max`
/// characters long and free of control characters.
fn text(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars == 0 {
        return Err(invalid(field, "must not be empty"));
    }
    if chars > max {
        return Err(invalid(
            field,
            format!("must be at most {max} characters (got {chars})"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(value.to_string())
}

fn invalid(field: &str, reason: impl Into<String>) -> Invalid {
    Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// An organisation's legal name as registered (Japanese allowed), 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LegalName(String);

impl LegalName {
    /// Trims and checks a name.
    pub fn parse(field: &str, raw: &str) -> Result<LegalName, Invalid> {
        text(field, raw, 200).map(LegalName)
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What kind of organisation it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, async_graphql::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// Shop, wholesaler, manufacturer, service firm.
    Company,
    /// A city, town or village (or a prefecture).
    Municipality,
    /// Bank, chamber of commerce, IT coordinator.
    Supporter,
    /// A local IT vendor that plugs apps in.
    ItVendor,
    /// The provider running this platform.
    PlatformOperator,
}

impl OrganisationKind {
    /// Every kind.
    pub const ALL: [OrganisationKind; 5] = [
        OrganisationKind::Company,
        OrganisationKind::Municipality,
        OrganisationKind::Supporter,
        OrganisationKind::ItVendor,
        OrganisationKind::PlatformOperator,
    ];

    /// Its stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::Company => "company",
            OrganisationKind::Municipality => "municipality",
            OrganisationKind::Supporter => "supporter",
            OrganisationKind::ItVendor => "it_vendor",
            OrganisationKind::PlatformOperator => "platform_operator",
        }
    }

    /// Reads a stored or submitted name.
    pub fn parse(field: &str, raw: &str) -> Result<OrganisationKind, Invalid> {
        OrganisationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = OrganisationKind::ALL.iter().map(|k| k.as_str()).collect();
                invalid(field, format!("`{raw}` is not one of {}", names.join(", ")))
            })
    }
}

/// A prefecture by its JIS X 0401 code, `01` (Hokkaido) to `47` (Okinawa).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Prefecture(u8);

const PREFECTURES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

impl Prefecture {
    /// Checks a two-digit code.
    pub fn parse(field: &str, raw: &str) -> Result<Prefecture, Invalid> {
        let code = raw.trim();
        match code.parse::<u8>() {
            Ok(n @ 1..=47) if code.len() == 2 => Ok(Prefecture(n)),
            _ => Err(invalid(
                field,
                format!("`{code}` is not a JIS X 0401 prefecture code (two digits, 01 to 47)"),
            )),
        }
    }
    /// The two-digit code.
    pub fn code(self) -> String {
        format!("{:02}", self.0)
    }
    /// The prefecture's name in Japanese.
    pub fn name_ja(self) -> &'static str {
        PREFECTURES[usize::from(self.0) - 1]
    }
}

impl From<Prefecture> for String {
    fn from(p: Prefecture) -> String {
        p.code()
    }
}

impl TryFrom<String> for Prefecture {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Prefecture::parse("prefecture_code", &s)
    }
}

/// A registered organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Its id (UUID), also its tenant id.
    pub organisation_id: String,
    /// Legal name.
    pub legal_name: LegalName,
    /// Kind.
    pub kind: OrganisationKind,
    /// Prefecture of its registered address.
    pub prefecture: Prefecture,
    /// The rest of its profile.
    pub profile: organisation::Profile,
    /// When it registered (ms since the epoch).
    pub created_at_ms: i64,
    /// When its profile last changed (ms since the epoch).
    pub updated_at_ms: i64,
}

/// What a caller submits to register an organisation or replace its profile, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    /// Legal name.
    pub legal_name: LegalName,
    /// Kind.
    pub kind: OrganisationKind,
    /// Prefecture.
    pub prefecture: Prefecture,
    /// The rest of the profile.
    pub profile: organisation::Profile,
}

impl NewOrganisation {
    /// Validates every field, reporting the first that is wrong.
    pub fn parse(
        legal_name: &str,
        kind: &str,
        prefecture_code: &str,
        profile: &organisation::ProfileDraft,
    ) -> Result<NewOrganisation, Invalid> {
        let kind = OrganisationKind::parse("kind", kind)?;
        let prefecture = Prefecture::parse("prefecture_code", prefecture_code)?;
        Ok(NewOrganisation {
            legal_name: LegalName::parse("legal_name", legal_name)?,
            kind,
            prefecture,
            profile: organisation::Profile::parse(profile, kind, prefecture, || {
                uuid::Uuid::now_v7().to_string()
            })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_japanese_organisation_parses() {
        let o = NewOrganisation::parse(
            "  株式会社 山田製作所 ",
            "company",
            "13",
            &Default::default(),
        )
        .expect("valid");
        assert_eq!(o.legal_name.as_str(), "株式会社 山田製作所");
        assert_eq!(o.prefecture.name_ja(), "東京都");
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            NewOrganisation::parse("", "company", "13", &Default::default())
                .expect_err("refused")
                .field,
            "legal_name"
        );
        assert_eq!(
            NewOrganisation::parse("x", "bank", "13", &Default::default())
                .expect_err("refused")
                .field,
            "kind"
        );
        for bad in ["00", "48", "1", "013", "ab", ""] {
            let err = NewOrganisation::parse("x", "company", bad, &Default::default())
                .expect_err("refused");
            assert_eq!(err.field, "prefecture_code", "{bad}");
        }
        let long = "あ".repeat(201);
        assert!(
            LegalName::parse("legal_name", &long)
                .expect_err("refused")
                .reason
                .contains("201")
        );
        assert!(LegalName::parse("legal_name", "a\u{0}b").is_err());
    }

    #[test]
    fn prefectures_cover_01_to_47() {
        assert_eq!(
            Prefecture::parse("p", "01").expect("valid").name_ja(),
            "北海道"
        );
        assert_eq!(
            Prefecture::parse("p", "47").expect("valid").name_ja(),
            "沖縄県"
        );
    }
}
