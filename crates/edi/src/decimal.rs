//! Exact decimal numbers for quantities and prices.
//!
//! EDI carries numbers as text (`12.5`, `1200`, `0,75`); money and
//! quantities must never pass through floating point. [`Decimal`] keeps an
//! integer mantissa and a count of decimal places, normalised so that equal
//! values are equal structurally (`1.50` and `1.5` are the same value, kept
//! as mantissa 15, scale 1). That makes a round trip through any format an
//! identity on the canonical documents.

use std::{cmp::Ordering, fmt, str::FromStr};

/// The most decimal places a value may have.
pub const MAX_SCALE: u8 = 9;

/// An exact decimal number: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Decimal {
    mantissa: i64,
    scale: u8,
}

/// Why text is not a decimal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Empty text.
    #[error("the number is empty")]
    Empty,
    /// A character other than digits, one sign and one decimal mark.
    #[error("the number contains a character that is not a digit, a sign or a decimal mark")]
    Invalid,
    /// More digits than fit, or more than nine decimal places.
    #[error("the number has too many digits (at most 18, of which at most 9 after the mark)")]
    TooLong,
}

const POW10: [i64; 19] = {
    let mut p = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// `mantissa × 10^-scale`, normalised.
    pub fn new(mantissa: i64, scale: u8) -> Option<Decimal> {
        (scale <= MAX_SCALE).then(|| Decimal { mantissa, scale }.normalised())
    }

    /// A whole number.
    pub const fn from_int(value: i64) -> Decimal {
        Decimal {
            mantissa: value,
            scale: 0,
        }
    }

    /// The mantissa (value × 10^scale).
    pub fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// Decimal places after normalisation.
    pub fn scale(self) -> u8 {
        self.scale
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether the value has no fractional part.
    pub fn is_integer(self) -> bool {
        self.scale == 0
    }

    /// The value as a whole number, if it is one.
    pub fn to_int(self) -> Option<i64> {
        self.is_integer().then_some(self.mantissa)
    }

    fn normalised(mut self) -> Decimal {
        if self.mantissa == 0 {
            self.scale = 0;
        }
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    fn aligned(self, scale: u8) -> Option<i64> {
        self.mantissa
            .checked_mul(*POW10.get(usize::from(scale - self.scale))?)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let sum = self.aligned(scale)?.checked_add(other.aligned(scale)?)?;
        Decimal::new(sum, scale)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(Decimal {
            mantissa: other.mantissa.checked_neg()?,
            scale: other.scale,
        })
    }

    /// `self × other`, or `None` on overflow or beyond nine decimal places.
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        let mantissa = self.mantissa.checked_mul(other.mantissa)?;
        Decimal::new(mantissa, self.scale + other.scale)
    }

    /// Rounds half away from zero to `places` decimal places.
    pub fn round(self, places: u8) -> Decimal {
        if self.scale <= places {
            return self;
        }
        let divisor = POW10[usize::from(self.scale - places)];
        let quotient = self.mantissa / divisor;
        let remainder = self.mantissa % divisor;
        let adjust = if remainder.abs() * 2 >= divisor {
            self.mantissa.signum()
        } else {
            0
        };
        Decimal {
            mantissa: quotient + adjust,
            scale: places,
        }
        .normalised()
    }

    /// Reads a number whose decimal mark is `.` or `,` (EDIFACT, where an
    /// interchange may use either: ISO 9735 allows both, whatever UNA says).
    pub fn parse_point_or_comma(text: &str) -> Result<Decimal, DecimalError> {
        Decimal::parse_marks(text, [b'.', b','])
    }

    /// Reads a number whose only decimal mark is `.` (X12, where a `,` is
    /// not part of a number).
    pub fn parse_point(text: &str) -> Result<Decimal, DecimalError> {
        Decimal::parse_marks(text, [b'.'; 2])
    }

    /// Reads a number whose decimal mark is either of `marks`.
    fn parse_marks(text: &str, marks: [u8; 2]) -> Result<Decimal, DecimalError> {
        let bytes = text.as_bytes();
        let (negative, digits) = match bytes.first() {
            None => return Err(DecimalError::Empty),
            Some(b'-') => (true, &bytes[1..]),
            Some(b'+') => (false, &bytes[1..]),
            Some(_) => (false, bytes),
        };
        if digits.is_empty() {
            return Err(DecimalError::Invalid);
        }
        let mut mantissa: i64 = 0;
        let mut scale: Option<u8> = None;
        let mut count = 0u8;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    if mantissa == 0 && b == b'0' && scale.is_none() {
                        continue;
                    }
                    count += 1;
                    if count > 18 {
                        return Err(DecimalError::TooLong);
                    }
                    mantissa = mantissa * 10 + i64::from(b - b'0');
                    if let Some(s) = scale.as_mut() {
                        *s += 1;
                    }
                }
                b if (b == marks[0] || b == marks[1]) && scale.is_none() => scale = Some(0),
                _ => return Err(DecimalError::Invalid),
            }
        }
        let scale = scale.unwrap_or(0);
        if scale > MAX_SCALE {
            return Err(DecimalError::TooLong);
        }
        if digits.len() == 1 && scale == 0 && (digits[0] == marks[0] || digits[0] == marks[1]) {
            return Err(DecimalError::Invalid);
        }
        Ok(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale,
        }
        .normalised())
    }

    /// Writes the value with `mark` as decimal mark, without exponent and
    /// without trailing zeros.
    pub fn write_with_mark(self, mark: char, out: &mut impl fmt::Write) -> fmt::Result {
        if self.scale == 0 {
            return write!(out, "{}", self.mantissa);
        }
        let divisor = POW10[usize::from(self.scale)];
        let whole = self.mantissa / divisor;
        let fraction = (self.mantissa % divisor).abs();
        if self.mantissa < 0 && whole == 0 {
            out.write_char('-')?;
        }
        write!(
            out,
            "{whole}{mark}{fraction:0width$}",
            width = usize::from(self.scale)
        )
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        match (self.aligned(scale), other.aligned(scale)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => i128::from(self.mantissa)
                .saturating_mul(i128::from(POW10[usize::from(scale - self.scale)]))
                .cmp(
                    &i128::from(other.mantissa)
                        .saturating_mul(i128::from(POW10[usize::from(scale - other.scale)])),
                ),
        }
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decimal::parse_point_or_comma(s)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_with_mark('.', f)
    }
}

impl From<i64> for Decimal {
    fn from(value: i64) -> Self {
        Decimal::from_int(value)
    }
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number as a string such as \"12.5\", or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal::from_int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                i64::try_from(v)
                    .map(Decimal::from_int)
                    .map_err(|_| E::custom(DecimalError::TooLong))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Decimal {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[+-]?[0-9]{1,18}([.][0-9]{1,9})?$"))
            .description(Some(
                "An exact decimal number written as text, e.g. \"12.5\".",
            ))
            .examples(["12.5"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Decimal {}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("valid decimal")
    }

    #[test]
    fn equal_values_are_equal_whatever_their_trailing_zeros() {
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("0012"), d("12.000"));
        assert_eq!(d("-0.0"), Decimal::ZERO);
        assert_eq!(d("1.50").to_string(), "1.5");
        assert_eq!(d("-0.05").to_string(), "-0.05");
        assert_eq!(d(",5"), d("0.5"));
    }

    #[test]
    fn arithmetic_is_exact() {
        assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
        assert_eq!(d("12").checked_mul(d("1200.50")), Some(d("14406")));
        assert_eq!(d("2.5").round(0), d("3"));
        assert_eq!(d("-2.5").round(0), d("-3"));
        assert_eq!(d("2.449").round(1), d("2.4"));
        assert!(d("1.5") < d("1.51"));
        assert_eq!(
            Decimal::from_int(i64::MAX).checked_add(Decimal::from_int(1)),
            None
        );
    }

    #[test]
    fn bad_numbers_are_refused_with_the_reason() {
        assert_eq!("".parse::<Decimal>(), Err(DecimalError::Empty));
        assert_eq!("1.2.3".parse::<Decimal>(), Err(DecimalError::Invalid));
        assert_eq!("1e5".parse::<Decimal>(), Err(DecimalError::Invalid));
        assert_eq!("-".parse::<Decimal>(), Err(DecimalError::Invalid));
        assert_eq!(".".parse::<Decimal>(), Err(DecimalError::Invalid));
        assert_eq!(
            "1234567890123456789".parse::<Decimal>(),
            Err(DecimalError::TooLong)
        );
        assert_eq!(
            "0.1234567891".parse::<Decimal>(),
            Err(DecimalError::TooLong)
        );
        // A lone mark is no number, whichever of the two it is.
        assert_eq!(",".parse::<Decimal>(), Err(DecimalError::Invalid));
        assert_eq!(
            Decimal::parse_point_or_comma("-,"),
            Err(DecimalError::Invalid)
        );
    }

    #[test]
    fn x12_numbers_take_only_a_point() {
        assert_eq!(Decimal::parse_point("111.5"), Ok(d("111.5")));
        assert_eq!(Decimal::parse_point("-0.25"), Ok(d("-0.25")));
        assert_eq!(Decimal::parse_point("1,5"), Err(DecimalError::Invalid));
        assert_eq!(Decimal::parse_point(","), Err(DecimalError::Invalid));
        assert_eq!(Decimal::parse_point("."), Err(DecimalError::Invalid));
        // EDIFACT takes either mark.
        assert_eq!(Decimal::parse_point_or_comma("1,5"), Ok(d("1.5")));
    }
}
