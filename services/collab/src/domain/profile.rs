//! Value types for a Japanese company profile.
//!
//! A profile is filled from forms, registries and imports, so every identifier
//! in it (corporate number, invoice registration number, municipality code,
//! industry code), every reading and every figure is checked once, here, and
//! afterwards carried around as a type that cannot hold a bad value. The same
//! checks run when a value is deserialized, so stored data cannot bypass them.
//! Coordinates are kept as integer micro-degrees so that no float is stored.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use super::{Invalid, invalid};

/// Largest capital, in yen, accepted by [`non_negative`] (¥10^15).
pub const MAX_CAPITAL_YEN: i64 = 1_000_000_000_000_000;

/// Largest head count accepted by [`employee_count`].
pub const MAX_EMPLOYEES: i64 = 10_000_000;

/// Implements `Display` and a validating `Deserialize` (through `parse`) for a
/// newtype that exposes `as_str`.
macro_rules! validated_string {
    ($ty:ident, $field:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse($field, &raw).map_err(de::Error::custom)
            }
        }
    };
}

/// Check digit shared by corporate numbers and invoice registration numbers.
///
/// `base` holds the ASCII digits the check digit protects, most significant
/// first. Counting from the right, odd positions weigh 1 and even positions 2;
/// the check digit is 9 minus the weighted sum modulo 9.
fn mod9_check_digit(base: &[u8]) -> u8 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    9 - (sum % 9) as u8
}

fn check_digit_reason(found: u8, expected: u8) -> String {
    format!("check digit is {}, expected {expected}", found - b'0')
}

fn is_ascii_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// A 13-digit corporate number (法人番号) assigned by the National Tax Agency.
///
/// The first digit is a check digit over the other twelve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CorporateNumber(String);

impl CorporateNumber {
    /// Parses a corporate number: surrounding whitespace is ignored, then
    /// exactly 13 ASCII digits with a valid leading check digit are required.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if !is_ascii_digits(s, 13) {
            return Err(invalid(
                field,
                format!("`{s}` is not a corporate number: it must be 13 digits"),
            ));
        }
        let bytes = s.as_bytes();
        let expected = mod9_check_digit(&bytes[1..]);
        if bytes[0] - b'0' != expected {
            return Err(invalid(field, check_digit_reason(bytes[0], expected)));
        }
        Ok(Self(s.to_owned()))
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

validated_string!(CorporateNumber, "corporate_number");

/// A qualified invoice issuer registration number (適格請求書発行事業者登録番号):
/// an uppercase `T` followed by 13 digits whose first digit is a check digit.
///
/// For a corporation the digits are its corporate number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct InvoiceRegistrationNumber(String);

impl InvoiceRegistrationNumber {
    /// Parses a registration number: surrounding whitespace is ignored, then an
    /// uppercase `T` and 13 ASCII digits with a valid check digit are required.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let Some(digits) = s.strip_prefix('T') else {
            return Err(invalid(
                field,
                format!(
                    "`{s}` is not an invoice registration number: it must start with an uppercase `T`"
                ),
            ));
        };
        if !is_ascii_digits(digits, 13) {
            return Err(invalid(
                field,
                format!(
                    "`{s}` is not an invoice registration number: `T` must be followed by 13 digits"
                ),
            ));
        }
        let bytes = digits.as_bytes();
        let expected = mod9_check_digit(&bytes[1..]);
        if bytes[0] - b'0' != expected {
            return Err(invalid(field, check_digit_reason(bytes[0], expected)));
        }
        Ok(Self(s.to_owned()))
    }

    /// The full number, `T` included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 13 digits after the `T`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// Whether this registration number was issued on the given corporate number.
    pub fn matches_corporate_number(&self, corporate_number: &CorporateNumber) -> bool {
        self.digits() == corporate_number.as_str()
    }
}

validated_string!(InvoiceRegistrationNumber, "invoice_registration_number");

/// A local government code (全国地方公共団体コード, JIS X 0402): five digits
/// followed by a check digit. The first two digits are the prefecture code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    /// Parses a municipality code: surrounding whitespace is ignored, then six
    /// ASCII digits are required, starting with a prefecture code 01–47 and
    /// ending with a valid check digit.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if !is_ascii_digits(s, 6) {
            return Err(invalid(
                field,
                format!("`{s}` is not a municipality code: it must be 6 digits"),
            ));
        }
        let bytes = s.as_bytes();
        let prefecture = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !(1..=47).contains(&prefecture) {
            return Err(invalid(
                field,
                format!(
                    "`{s}` is not a municipality code: its first two digits must be a prefecture code from 01 to 47"
                ),
            ));
        }
        let sum: u32 = bytes[..5]
            .iter()
            .zip([6u32, 5, 4, 3, 2])
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let expected = ((11 - sum % 11) % 10) as u8;
        if bytes[5] - b'0' != expected {
            return Err(invalid(field, check_digit_reason(bytes[5], expected)));
        }
        Ok(Self(s.to_owned()))
    }

    /// The six digits, check digit included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit prefecture code (`01` Hokkaido … `47` Okinawa).
    pub fn prefecture_code(&self) -> &str {
        &self.0[..2]
    }
}

validated_string!(MunicipalityCode, "municipality_code");

/// Division letter, first and last major group, and official Japanese name of
/// each major division of JSIC Rev. 14.
const JSIC_DIVISIONS: [(char, u8, u8, &str); 20] = [
    ('A', 1, 2, "農業，林業"),
    ('B', 3, 4, "漁業"),
    ('C', 5, 5, "鉱業，採石業，砂利採取業"),
    ('D', 6, 8, "建設業"),
    ('E', 9, 32, "製造業"),
    ('F', 33, 36, "電気・ガス・熱供給・水道業"),
    ('G', 37, 41, "情報通信業"),
    ('H', 42, 49, "運輸業，郵便業"),
    ('I', 50, 61, "卸売業，小売業"),
    ('J', 62, 67, "金融業，保険業"),
    ('K', 68, 70, "不動産業，物品賃貸業"),
    ('L', 71, 74, "学術研究，専門・技術サービス業"),
    ('M', 75, 77, "宿泊業，飲食サービス業"),
    ('N', 78, 80, "生活関連サービス業，娯楽業"),
    ('O', 81, 82, "教育，学習支援業"),
    ('P', 83, 85, "医療，福祉"),
    ('Q', 86, 87, "複合サービス事業"),
    ('R', 88, 96, "サービス業（他に分類されないもの）"),
    ('S', 97, 98, "公務（他に分類されるものを除く）"),
    ('T', 99, 99, "分類不能の産業"),
];

/// An industry code of the Japan Standard Industrial Classification, Rev. 14
/// (日本標準産業分類 第14回改定): a major-division letter `A`–`T`, optionally
/// followed by a 2-digit major group, 3-digit minor group or 4-digit industry
/// code, whose first two digits lie within that division. Stored as e.g. `E0911`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jsic {
    code: String,
    division: usize,
    major_group: Option<u8>,
}

impl Jsic {
    /// Parses a JSIC code such as `E`, `E09`, `E091` or `E0911`: surrounding
    /// whitespace is ignored and a lowercase division letter is uppercased;
    /// inner spaces are not allowed.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let mut chars = s.chars();
        let Some(first) = chars.next() else {
            return Err(invalid(
                field,
                "is empty: expected a JSIC code such as `E` or `E0911`",
            ));
        };
        let letter = first.to_ascii_uppercase();
        let Some(division) = JSIC_DIVISIONS.iter().position(|d| d.0 == letter) else {
            return Err(invalid(
                field,
                format!("`{s}` is not a JSIC code: it must start with a division letter A–T"),
            ));
        };
        let digits = chars.as_str();
        if !matches!(digits.len(), 0 | 2..=4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                field,
                format!(
                    "`{s}` is not a JSIC code: the division letter may only be followed by 2, 3 or 4 digits"
                ),
            ));
        }
        let (_, low, high, _) = JSIC_DIVISIONS[division];
        let major_group = match digits.as_bytes() {
            [tens, ones, ..] => {
                let major = (tens - b'0') * 10 + (ones - b'0');
                if !(low..=high).contains(&major) {
                    return Err(invalid(
                        field,
                        format!(
                            "`{s}` is not a JSIC code: major group {major:02} is not in division {letter}, which covers {low:02}–{high:02}"
                        ),
                    ));
                }
                Some(major)
            }
            _ => None,
        };
        Ok(Self {
            code: format!("{letter}{digits}"),
            division,
            major_group,
        })
    }

    /// The normalized code, e.g. `E0911`.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The major-division letter `A`–`T`.
    pub fn division(&self) -> char {
        JSIC_DIVISIONS[self.division].0
    }

    /// The two-digit major group (中分類), if the code goes that deep.
    pub fn major_group(&self) -> Option<u8> {
        self.major_group
    }

    /// The official Japanese name of the major division, e.g. `製造業` for `E`.
    pub fn division_name_ja(&self) -> &'static str {
        JSIC_DIVISIONS[self.division].3
    }

    /// The sector whose thresholds decide whether the enterprise is an SME
    /// under the SME Basic Act (中小企業基本法 第2条), or `None` when the code is
    /// too coarse to tell (`I` or `M` without a major group).
    ///
    /// Follows the SME Agency's reading of the Act by JSIC division: wholesale
    /// is I 50–55; retail is I 56–61 and M 76–77 (eating and drinking places
    /// count as retail); services are divisions G, K, L, N, O, P, Q, R and
    /// M 75 (accommodation); every other division is manufacturing and others.
    /// This is a simplification: the special cases set by Cabinet Order (rubber
    /// products, software and information processing, inns) are not applied.
    pub fn sme_sector(&self) -> Option<SmeSector> {
        match (self.division(), self.major_group) {
            ('I', Some(50..=55)) => Some(SmeSector::Wholesale),
            ('I', Some(_)) => Some(SmeSector::Retail),
            ('M', Some(75)) => Some(SmeSector::Services),
            ('M', Some(_)) => Some(SmeSector::Retail),
            ('I' | 'M', None) => None,
            ('G' | 'K' | 'L' | 'N' | 'O' | 'P' | 'Q' | 'R', _) => Some(SmeSector::Services),
            _ => Some(SmeSector::ManufacturingAndOthers),
        }
    }
}

impl Serialize for Jsic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code)
    }
}

validated_string!(Jsic, "jsic");

/// The industry groups of the SME Basic Act, each with its own capital and
/// head-count thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmeSector {
    /// Manufacturing, construction, transport and every industry not listed below.
    ManufacturingAndOthers,
    /// Wholesale trade.
    Wholesale,
    /// Retail trade, including eating and drinking places.
    Retail,
    /// Service industries.
    Services,
}

impl SmeSector {
    /// The snake_case name used in storage and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ManufacturingAndOthers => "manufacturing_and_others",
            Self::Wholesale => "wholesale",
            Self::Retail => "retail",
            Self::Services => "services",
        }
    }

    /// The largest stated capital, in yen, at which an enterprise of this
    /// sector is still an SME.
    pub fn capital_limit_yen(self) -> i64 {
        match self {
            Self::ManufacturingAndOthers => 300_000_000,
            Self::Wholesale => 100_000_000,
            Self::Retail | Self::Services => 50_000_000,
        }
    }

    /// The largest number of regular employees at which an enterprise of this
    /// sector is still an SME.
    pub fn employee_limit(self) -> i64 {
        match self {
            Self::ManufacturingAndOthers => 300,
            Self::Wholesale | Self::Services => 100,
            Self::Retail => 50,
        }
    }
}

/// Whether an enterprise is an SME under the SME Basic Act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmeStatus {
    /// Capital or head count is within the sector's limit.
    Sme,
    /// Both capital and head count exceed the sector's limits.
    NotSme,
    /// Not enough is known to decide.
    Unknown,
}

impl SmeStatus {
    /// The snake_case name used in storage and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sme => "sme",
            Self::NotSme => "not_sme",
            Self::Unknown => "unknown",
        }
    }
}

/// Decides SME status: an enterprise is an SME when its capital or its head
/// count is within the sector's limit. A single known figure within its limit
/// is enough; both figures must be known and over their limits for `NotSme`;
/// anything else, including an unknown sector, is `Unknown`.
pub fn sme_status(
    sector: Option<SmeSector>,
    capital_yen: Option<i64>,
    employees: Option<i64>,
) -> SmeStatus {
    let Some(sector) = sector else {
        return SmeStatus::Unknown;
    };
    let capital_within = capital_yen.map(|c| c <= sector.capital_limit_yen());
    let employees_within = employees.map(|e| e <= sector.employee_limit());
    match (capital_within, employees_within) {
        (Some(true), _) | (_, Some(true)) => SmeStatus::Sme,
        (Some(false), Some(false)) => SmeStatus::NotSme,
        _ => SmeStatus::Unknown,
    }
}

fn bounded(field: &'static str, value: i64, max: i64) -> Result<i64, Invalid> {
    if value < 0 {
        return Err(invalid(
            field,
            format!("{value} is negative: it must be 0 or more"),
        ));
    }
    if value > max {
        return Err(invalid(
            field,
            format!("{value} is too large: it must be at most {max}"),
        ));
    }
    Ok(value)
}

/// Checks a yen amount such as stated capital: it must lie between 0 and
/// [`MAX_CAPITAL_YEN`].
pub fn non_negative(field: &'static str, value: i64) -> Result<i64, Invalid> {
    bounded(field, value, MAX_CAPITAL_YEN)
}

/// Checks a head count: it must lie between 0 and [`MAX_EMPLOYEES`].
pub fn employee_count(field: &'static str, value: i64) -> Result<i64, Invalid> {
    bounded(field, value, MAX_EMPLOYEES)
}

/// A furigana reading of a name in katakana (フリガナ).
///
/// Besides katakana (U+30A0–U+30FF, which includes `ー` and `・`) it may hold
/// ASCII and full-width spaces, digits and Latin letters, since company names
/// contain them. 1 to 200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Kana(String);

impl Kana {
    /// Longest accepted reading, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Parses a reading: surrounding whitespace is ignored, then 1 to 200
    /// allowed characters are required.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(invalid(field, "is empty: expected a reading in katakana"));
        }
        if let Some(c) = s.chars().find(|&c| !is_kana_char(c)) {
            return Err(invalid(
                field,
                format!(
                    "`{c}` (U+{:04X}) is not allowed in a reading: use katakana, spaces, digits or Latin letters",
                    u32::from(c)
                ),
            ));
        }
        let len = s.chars().count();
        if len > Self::MAX_CHARS {
            return Err(invalid(
                field,
                format!(
                    "is {len} characters long: a reading may have at most {}",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The reading.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_kana_char(c: char) -> bool {
    matches!(c,
        '\u{30A0}'..='\u{30FF}'
        | ' ' | '\u{3000}'
        | '0'..='9' | 'A'..='Z' | 'a'..='z'
        | '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')
}

validated_string!(Kana, "kana");

const MICRO: i64 = 1_000_000;

/// A position as latitude and longitude in integer micro-degrees
/// (millionths of a degree), so that no float is ever stored.
///
/// Serialized as `{"latitude": "35.681236", "longitude": "139.767125"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "CoordinatesText", into = "CoordinatesText")]
pub struct Coordinates {
    lat_micro: i64,
    lon_micro: i64,
}

impl Coordinates {
    /// Parses latitude and longitude from plain decimal strings such as
    /// `35.681236` and `-0.5`: an optional sign, digits, and at most six
    /// decimals. Latitude must lie in −90..=90 and longitude in −180..=180.
    pub fn parse(field: &'static str, lat: &str, lon: &str) -> Result<Self, Invalid> {
        Ok(Self {
            lat_micro: parse_micro_degrees(field, "latitude", lat, 90)?,
            lon_micro: parse_micro_degrees(field, "longitude", lon, 180)?,
        })
    }

    /// Coordinates read back from storage, if they are in range.
    pub fn from_micro(lat_micro: i64, lon_micro: i64) -> Option<Self> {
        ((-90 * MICRO..=90 * MICRO).contains(&lat_micro)
            && (-180 * MICRO..=180 * MICRO).contains(&lon_micro))
        .then_some(Self {
            lat_micro,
            lon_micro,
        })
    }

    /// Latitude in micro-degrees.
    pub fn lat_micro(&self) -> i64 {
        self.lat_micro
    }

    /// Longitude in micro-degrees.
    pub fn lon_micro(&self) -> i64 {
        self.lon_micro
    }

    /// Latitude as a decimal string with exactly six decimals, e.g. `35.681236`.
    pub fn lat_string(&self) -> String {
        format_micro_degrees(self.lat_micro)
    }

    /// Longitude as a decimal string with exactly six decimals, e.g. `-0.500000`.
    pub fn lon_string(&self) -> String {
        format_micro_degrees(self.lon_micro)
    }
}

fn parse_micro_degrees(
    field: &'static str,
    axis: &str,
    raw: &str,
    limit_degrees: i64,
) -> Result<i64, Invalid> {
    let s = raw.trim();
    let not_decimal = || {
        invalid(
            field,
            format!(
                "{axis} `{s}` is not a decimal number: expected digits with an optional sign and up to 6 decimals, e.g. `35.681236`"
            ),
        )
    };
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let has_point = unsigned.contains('.');
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || (has_point && fraction.is_empty())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(not_decimal());
    }
    if fraction.len() > 6 {
        return Err(invalid(
            field,
            format!(
                "{axis} `{s}` has {} decimals: at most 6 are allowed",
                fraction.len()
            ),
        ));
    }
    let out_of_range = || {
        invalid(
            field,
            format!(
                "{axis} `{s}` is out of range: it must be between -{limit_degrees} and {limit_degrees}"
            ),
        )
    };
    let whole = whole.trim_start_matches('0');
    if whole.len() > 3 {
        return Err(out_of_range());
    }
    let degrees = whole
        .bytes()
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    let fraction_micro = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    let magnitude = degrees * MICRO + fraction_micro;
    if magnitude > limit_degrees * MICRO {
        return Err(out_of_range());
    }
    Ok(if negative { -magnitude } else { magnitude })
}

fn format_micro_degrees(micro: i64) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    let magnitude = micro.unsigned_abs();
    let micro = MICRO.unsigned_abs();
    format!("{sign}{}.{:06}", magnitude / micro, magnitude % micro)
}

/// Wire form of [`Coordinates`]: both axes as decimal strings.
#[derive(Serialize, Deserialize)]
struct CoordinatesText {
    latitude: String,
    longitude: String,
}

impl From<Coordinates> for CoordinatesText {
    fn from(c: Coordinates) -> Self {
        Self {
            latitude: c.lat_string(),
            longitude: c.lon_string(),
        }
    }
}

impl TryFrom<CoordinatesText> for Coordinates {
    type Error = Invalid;

    fn try_from(text: CoordinatesText) -> Result<Self, Invalid> {
        Self::parse("coordinates", &text.latitude, &text.longitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, MapDeserializer, StrDeserializer};

    fn reason<T: fmt::Debug>(result: Result<T, Invalid>) -> String {
        match result {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.reason,
        }
    }

    fn from_str<'de, T: Deserialize<'de>>(s: &'de str) -> Result<T, DeError> {
        let d: StrDeserializer<'de, DeError> = s.into_deserializer();
        T::deserialize(d)
    }

    fn jsic(s: &str) -> Jsic {
        match Jsic::parse("industry", s) {
            Ok(j) => j,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn corporate_number_of_the_national_tax_agency_is_valid() {
        let n = CorporateNumber::parse("corporate_number", " 7000012050002\n");
        assert_eq!(n.map(|n| n.as_str().to_owned()), Ok("7000012050002".into()));
    }

    #[test]
    fn corporate_number_with_a_changed_check_digit_names_the_expected_digit() {
        let err = CorporateNumber::parse("corporate_number", "3000012050002");
        assert_eq!(
            err,
            Err(invalid("corporate_number", "check digit is 3, expected 7"))
        );
    }

    #[test]
    fn corporate_number_with_a_changed_base_digit_is_rejected() {
        let r = reason(CorporateNumber::parse("corp", "7000012050003"));
        assert!(r.contains("check digit is 7"), "{r}");
    }

    #[test]
    fn corporate_number_of_the_wrong_length_or_with_letters_is_rejected() {
        for bad in [
            "123",
            "70000120500021",
            "700001205000A",
            "",
            "７000012050002",
        ] {
            let err = CorporateNumber::parse("corp", bad);
            assert!(
                matches!(&err, Err(e) if e.field == "corp" && e.reason.contains("must be 13 digits")),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            reason(CorporateNumber::parse("corp", "123")),
            "`123` is not a corporate number: it must be 13 digits"
        );
    }

    #[test]
    fn corporate_number_deserialization_runs_the_same_checks() {
        let ok: Result<CorporateNumber, _> = from_str("7000012050002");
        assert!(ok.is_ok());
        let bad: Result<CorporateNumber, _> = from_str("1000012050002");
        assert!(bad.is_err());
    }

    #[test]
    fn invoice_registration_number_is_t_and_a_valid_thirteen_digit_number() {
        let n = InvoiceRegistrationNumber::parse("invoice", "  T7000012050002 ");
        let Ok(n) = n else { panic!("{n:?}") };
        assert_eq!(n.as_str(), "T7000012050002");
        assert_eq!(n.digits(), "7000012050002");
        assert_eq!(n.to_string(), "T7000012050002");
    }

    #[test]
    fn invoice_registration_number_with_a_changed_check_digit_is_rejected() {
        assert_eq!(
            reason(InvoiceRegistrationNumber::parse(
                "invoice",
                "T8000012050002"
            )),
            "check digit is 8, expected 7"
        );
    }

    #[test]
    fn invoice_registration_number_requires_an_uppercase_t() {
        for bad in ["t7000012050002", "7000012050002", "", "Ｔ7000012050002"] {
            let r = reason(InvoiceRegistrationNumber::parse("invoice", bad));
            assert!(r.contains("uppercase `T`"), "{bad}: {r}");
        }
    }

    #[test]
    fn invoice_registration_number_requires_thirteen_digits_after_the_t() {
        for bad in ["T700001205000", "T70000120500021", "T 7000012050002"] {
            let r = reason(InvoiceRegistrationNumber::parse("invoice", bad));
            assert!(r.contains("followed by 13 digits"), "{bad}: {r}");
        }
    }

    #[test]
    fn invoice_registration_number_matches_only_its_own_corporate_number() {
        let Ok(t) = InvoiceRegistrationNumber::parse("invoice", "T7000012050002") else {
            panic!()
        };
        let Ok(same) = CorporateNumber::parse("corp", "7000012050002") else {
            panic!()
        };
        let Ok(other) = CorporateNumber::parse("corp", "9000000000000") else {
            panic!()
        };
        assert!(t.matches_corporate_number(&same));
        assert!(!t.matches_corporate_number(&other));
    }

    #[test]
    fn known_municipality_codes_are_valid() {
        for (code, pref) in [
            ("011002", "01"),
            ("131016", "13"),
            ("141003", "14"),
            ("271004", "27"),
            ("130001", "13"),
            ("310000", "31"),
            ("220001", "22"),
            ("200000", "20"),
        ] {
            let parsed = MunicipalityCode::parse("municipality", code);
            let Ok(m) = parsed else {
                panic!("{code}: {parsed:?}")
            };
            assert_eq!(m.as_str(), code);
            assert_eq!(m.prefecture_code(), pref);
        }
    }

    #[test]
    fn municipality_code_with_a_changed_check_digit_names_the_expected_digit() {
        assert_eq!(
            MunicipalityCode::parse("municipality", "131017"),
            Err(invalid("municipality", "check digit is 7, expected 6"))
        );
        assert_eq!(
            reason(MunicipalityCode::parse("municipality", "011012")),
            "check digit is 2, expected 1"
        );
    }

    #[test]
    fn municipality_code_outside_prefectures_one_to_forty_seven_is_rejected() {
        for bad in ["000000", "481001", "990001"] {
            let r = reason(MunicipalityCode::parse("municipality", bad));
            assert!(r.contains("prefecture code from 01 to 47"), "{bad}: {r}");
        }
    }

    #[test]
    fn municipality_code_must_be_six_digits() {
        for bad in ["13101", "1310160", "13101a", " "] {
            let r = reason(MunicipalityCode::parse("municipality", bad));
            assert!(r.contains("must be 6 digits"), "{bad}: {r}");
        }
    }

    #[test]
    fn jsic_accepts_a_division_alone_or_with_two_three_or_four_digits() {
        for (raw, code, major) in [
            ("E", "E", None),
            ("E09", "E09", Some(9)),
            ("e091", "E091", Some(9)),
            (" E0911 ", "E0911", Some(9)),
            ("T99", "T99", Some(99)),
            ("A01", "A01", Some(1)),
        ] {
            let j = jsic(raw);
            assert_eq!(j.as_str(), code);
            assert_eq!(j.major_group(), major);
            assert_eq!(j.division(), code.chars().next().unwrap_or('?'));
        }
    }

    #[test]
    fn jsic_rejects_a_major_group_outside_its_division() {
        assert_eq!(
            reason(Jsic::parse("industry", "E05")),
            "`E05` is not a JSIC code: major group 05 is not in division E, which covers 09–32"
        );
        for bad in ["A03", "I62", "M74", "T00", "C06"] {
            assert!(Jsic::parse("industry", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn jsic_rejects_bad_letters_digit_counts_and_inner_spaces() {
        for bad in ["", "U", "1", "E9", "E09111", "I 56", "E0A", "Ｅ09"] {
            let err = Jsic::parse("industry", bad);
            assert!(
                matches!(&err, Err(e) if e.field == "industry"),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn jsic_division_ranges_cover_every_major_group_exactly_once() {
        for major in 1u8..=99 {
            let owners = JSIC_DIVISIONS
                .iter()
                .filter(|d| (d.1..=d.2).contains(&major))
                .count();
            assert_eq!(owners, 1, "major group {major:02}");
        }
    }

    #[test]
    fn jsic_names_divisions_in_japanese() {
        assert_eq!(jsic("E").division_name_ja(), "製造業");
        assert_eq!(jsic("I56").division_name_ja(), "卸売業，小売業");
        assert_eq!(
            jsic("R").division_name_ja(),
            "サービス業（他に分類されないもの）"
        );
    }

    #[test]
    fn jsic_round_trips_through_deserialization_normalized() {
        let j: Result<Jsic, _> = from_str("g39");
        assert_eq!(j.map(|j| j.as_str().to_owned()), Ok("G39".to_owned()));
        assert!(from_str::<Jsic>("G50").is_err());
    }

    #[test]
    fn sme_sector_follows_the_division_mapping() {
        use SmeSector::*;
        for (code, sector) in [
            ("I50", Some(Wholesale)),
            ("I55", Some(Wholesale)),
            ("I56", Some(Retail)),
            ("I6111", Some(Retail)),
            ("M75", Some(Services)),
            ("M76", Some(Retail)),
            ("M77", Some(Retail)),
            ("I", None),
            ("M", None),
            ("G", Some(Services)),
            ("K68", Some(Services)),
            ("L", Some(Services)),
            ("N", Some(Services)),
            ("O", Some(Services)),
            ("P", Some(Services)),
            ("Q", Some(Services)),
            ("R95", Some(Services)),
            ("A", Some(ManufacturingAndOthers)),
            ("D06", Some(ManufacturingAndOthers)),
            ("E0911", Some(ManufacturingAndOthers)),
            ("F", Some(ManufacturingAndOthers)),
            ("H44", Some(ManufacturingAndOthers)),
            ("J", Some(ManufacturingAndOthers)),
            ("S", Some(ManufacturingAndOthers)),
            ("T", Some(ManufacturingAndOthers)),
        ] {
            assert_eq!(jsic(code).sme_sector(), sector, "{code}");
        }
    }

    #[test]
    fn sme_sector_names_and_limits_match_the_act() {
        use SmeSector::*;
        let table = [
            (
                ManufacturingAndOthers,
                "manufacturing_and_others",
                300_000_000,
                300,
            ),
            (Wholesale, "wholesale", 100_000_000, 100),
            (Retail, "retail", 50_000_000, 50),
            (Services, "services", 50_000_000, 100),
        ];
        for (sector, name, capital, employees) in table {
            assert_eq!(sector.as_str(), name);
            assert_eq!(sector.capital_limit_yen(), capital);
            assert_eq!(sector.employee_limit(), employees);
            let d: StrDeserializer<DeError> = name.into_deserializer();
            assert_eq!(SmeSector::deserialize(d), Ok(sector));
        }
    }

    #[test]
    fn manufacturer_at_exactly_the_capital_limit_is_an_sme() {
        let s = Some(SmeSector::ManufacturingAndOthers);
        assert_eq!(sme_status(s, Some(300_000_000), None), SmeStatus::Sme);
        assert_eq!(
            sme_status(s, Some(300_000_000), Some(100_000)),
            SmeStatus::Sme
        );
    }

    #[test]
    fn manufacturer_one_yen_and_one_employee_over_both_limits_is_not_an_sme() {
        let s = Some(SmeSector::ManufacturingAndOthers);
        assert_eq!(
            sme_status(s, Some(300_000_001), Some(301)),
            SmeStatus::NotSme
        );
        assert_eq!(sme_status(s, Some(300_000_001), Some(300)), SmeStatus::Sme);
    }

    #[test]
    fn retail_with_fifty_employees_is_an_sme_and_fifty_one_with_large_capital_is_not() {
        let s = Some(SmeSector::Retail);
        assert_eq!(sme_status(s, None, Some(50)), SmeStatus::Sme);
        assert_eq!(sme_status(s, Some(50_000_001), Some(51)), SmeStatus::NotSme);
        assert_eq!(sme_status(s, Some(50_000_000), Some(51)), SmeStatus::Sme);
    }

    #[test]
    fn wholesale_and_services_use_their_own_limits() {
        let w = Some(SmeSector::Wholesale);
        assert_eq!(sme_status(w, Some(100_000_000), Some(101)), SmeStatus::Sme);
        assert_eq!(
            sme_status(w, Some(100_000_001), Some(101)),
            SmeStatus::NotSme
        );
        assert_eq!(sme_status(w, Some(100_000_001), Some(100)), SmeStatus::Sme);
        let s = Some(SmeSector::Services);
        assert_eq!(sme_status(s, Some(50_000_001), Some(100)), SmeStatus::Sme);
        assert_eq!(
            sme_status(s, Some(50_000_001), Some(101)),
            SmeStatus::NotSme
        );
    }

    #[test]
    fn sme_status_is_unknown_when_it_cannot_be_decided() {
        let s = Some(SmeSector::ManufacturingAndOthers);
        assert_eq!(sme_status(None, Some(1), Some(1)), SmeStatus::Unknown);
        assert_eq!(sme_status(s, None, None), SmeStatus::Unknown);
        assert_eq!(sme_status(s, Some(300_000_001), None), SmeStatus::Unknown);
        assert_eq!(sme_status(s, None, Some(301)), SmeStatus::Unknown);
    }

    #[test]
    fn sme_status_names_are_snake_case() {
        assert_eq!(SmeStatus::Sme.as_str(), "sme");
        assert_eq!(SmeStatus::NotSme.as_str(), "not_sme");
        assert_eq!(SmeStatus::Unknown.as_str(), "unknown");
    }

    #[test]
    fn capital_must_be_between_zero_and_ten_to_the_fifteenth() {
        assert_eq!(non_negative("capital", 0), Ok(0));
        assert_eq!(
            non_negative("capital", MAX_CAPITAL_YEN),
            Ok(MAX_CAPITAL_YEN)
        );
        assert_eq!(
            non_negative("capital", -1),
            Err(invalid("capital", "-1 is negative: it must be 0 or more"))
        );
        assert_eq!(
            reason(non_negative("capital", MAX_CAPITAL_YEN + 1)),
            "1000000000000001 is too large: it must be at most 1000000000000000"
        );
    }

    #[test]
    fn employee_count_must_be_between_zero_and_ten_million() {
        assert_eq!(employee_count("employees", 10_000_000), Ok(10_000_000));
        assert!(employee_count("employees", 10_000_001).is_err());
        assert!(employee_count("employees", -5).is_err());
    }

    #[test]
    fn kana_accepts_katakana_spaces_digits_and_latin_letters() {
        for ok in [
            "カブシキガイシャ　エービーシー",
            "ヤマダ・タロウ",
            "ラーメン 123",
            "エヌティティ ＤＡＴＡ ２０２４",
            "ＡＢＣ abc",
            "ヴァ゠ヿ",
        ] {
            let k = Kana::parse("kana", ok);
            assert_eq!(k.map(|k| k.as_str().to_owned()), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn kana_is_trimmed() {
        let k = Kana::parse("kana", "　カナ ");
        assert_eq!(k.map(|k| k.as_str().to_owned()), Ok("カナ".to_owned()));
    }

    #[test]
    fn kana_names_the_first_character_that_is_not_allowed() {
        assert_eq!(
            reason(Kana::parse("kana", "ヤマダ太郎")),
            "`太` (U+592A) is not allowed in a reading: use katakana, spaces, digits or Latin letters"
        );
        for bad in ["やまだ", "ｶﾅ", "カナ（株）", "A-B", "カナ\tカナ"] {
            assert!(Kana::parse("kana", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kana_must_have_between_one_and_two_hundred_characters() {
        assert!(Kana::parse("kana", "  ").is_err());
        assert!(Kana::parse("kana", &"ア".repeat(200)).is_ok());
        assert_eq!(
            reason(Kana::parse("kana", &"ア".repeat(201))),
            "is 201 characters long: a reading may have at most 200"
        );
    }

    fn coords(lat: &str, lon: &str) -> Coordinates {
        match Coordinates::parse("location", lat, lon) {
            Ok(c) => c,
            Err(e) => panic!("{lat}, {lon}: {e}"),
        }
    }

    #[test]
    fn coordinates_are_stored_as_micro_degrees_and_formatted_with_six_decimals() {
        let c = coords("35.681236", "139.767125");
        assert_eq!((c.lat_micro(), c.lon_micro()), (35_681_236, 139_767_125));
        assert_eq!(c.lat_string(), "35.681236");
        assert_eq!(c.lon_string(), "139.767125");
    }

    #[test]
    fn coordinates_pad_short_fractions_and_keep_the_sign_of_values_below_one() {
        let c = coords("-0.5", "+7");
        assert_eq!((c.lat_micro(), c.lon_micro()), (-500_000, 7_000_000));
        assert_eq!(c.lat_string(), "-0.500000");
        assert_eq!(c.lon_string(), "7.000000");
        assert_eq!(coords("-0", "-0.000001").lat_string(), "0.000000");
        assert_eq!(coords("0", "-0.000001").lon_string(), "-0.000001");
    }

    #[test]
    fn coordinates_accept_the_exact_limits() {
        let c = coords("-90", "180.000000");
        assert_eq!((c.lat_micro(), c.lon_micro()), (-90_000_000, 180_000_000));
        let c = coords("90.0", "-180");
        assert_eq!(
            (c.lat_string(), c.lon_string()),
            ("90.000000".into(), "-180.000000".into())
        );
    }

    #[test]
    fn coordinates_out_of_range_are_rejected() {
        assert_eq!(
            reason(Coordinates::parse("location", "90.000001", "0")),
            "latitude `90.000001` is out of range: it must be between -90 and 90"
        );
        assert!(Coordinates::parse("location", "0", "-180.000001").is_err());
        assert!(Coordinates::parse("location", "0", "99999999999999999999999").is_err());
        assert!(Coordinates::parse("location", "00000000000000000045", "0").is_ok());
    }

    #[test]
    fn coordinates_with_more_than_six_decimals_are_rejected() {
        assert_eq!(
            reason(Coordinates::parse("location", "35.6812361", "0")),
            "latitude `35.6812361` has 7 decimals: at most 6 are allowed"
        );
    }

    #[test]
    fn coordinates_that_are_not_plain_decimals_are_rejected() {
        for bad in [
            "", " ", "NaN", "inf", "-inf", "1e5", "3.5e1", ".5", "5.", "--5", "-+5", "+-5",
            "35,68", "３５.6", "0x10", "1 2",
        ] {
            let err = Coordinates::parse("location", "0", bad);
            assert!(
                matches!(&err, Err(e) if e.field == "location" && e.reason.starts_with("longitude")),
                "{bad:?}: {err:?}"
            );
        }
    }

    #[test]
    fn coordinates_deserialize_from_strings_and_are_validated() {
        let ok = Coordinates::deserialize(MapDeserializer::<_, DeError>::new(
            [("latitude", "35.681236"), ("longitude", "139.767125")].into_iter(),
        ));
        assert_eq!(ok, Ok(coords("35.681236", "139.767125")));
        let bad = Coordinates::deserialize(MapDeserializer::<_, DeError>::new(
            [("latitude", "91"), ("longitude", "0")].into_iter(),
        ));
        assert!(bad.is_err());
    }
}
