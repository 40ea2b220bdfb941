//! Cell values as people type them and as spreadsheet programs store them:
//! numbers with thousands separators or in exponent form, dates in the
//! forms Japanese Excel shows, date serial numbers, GTINs, units and
//! currencies.

use crate::{Date, Decimal, decimal::MAX_SCALE, problem::shown};

use super::columns::fold_width;

/// Significant decimal digits a spreadsheet keeps in a number cell (IEEE
/// double as Excel shows it); digits past these are binary noise.
const SPREADSHEET_DIGITS: usize = 15;

/// Reads a number typed in a cell: an optional sign, digits with an
/// optional `.` decimal mark, and optionally `,` thousands separators in
/// groups of three (`1,234.5`). A comma anywhere else is refused, since it
/// may be a decimal comma (`1,5`) and guessing would change the value.
pub(crate) fn typed_number(text: &str) -> Result<Decimal, String> {
    let folded = fold_width(text);
    let trimmed = folded.trim();
    if trimmed.contains(',') {
        let unsigned = trimmed.trim_start_matches(['+', '-']);
        let whole = unsigned.split('.').next().unwrap_or_default();
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or_default();
        let grouped = (1..=3).contains(&first.len())
            && groups.all(|g| g.len() == 3)
            && whole.bytes().all(|b| b.is_ascii_digit() || b == b',');
        if !grouped || unsigned[whole.len()..].contains(',') {
            return Err(format!(
                "`{}` is not a number: a comma may only group thousands (1,234.5); the decimal mark is a dot",
                shown(trimmed)
            ));
        }
        return exact(&trimmed.replace(',', ""), false)
            .map_err(|e| format!("`{}` {e}", shown(trimmed)));
    }
    exact(trimmed, false).map_err(|e| format!("`{}` {e}", shown(trimmed)))
}

/// Reads the number stored in a spreadsheet's number cell (`318.5`,
/// `4.901234567894E+12`, `0.30000000000000004`) without passing through
/// binary floating point: the text is rounded to the 15 significant digits
/// the spreadsheet itself holds.
pub(crate) fn stored_number(text: &str) -> Result<Decimal, String> {
    exact(text.trim(), true).map_err(|e| format!("the number `{}` {e}", shown(text.trim())))
}

/// Decimal digits and a power of ten: `digits × 10^exponent`.
fn exact(text: &str, spreadsheet: bool) -> Result<Decimal, String> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        Some(_) => (false, text),
        None => return Err("is empty".into()),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => {
            let power = &rest[at + 1..];
            let digits = power.trim_start_matches(['+', '-']);
            if digits.is_empty()
                || digits.len() > 4
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || power.len() - digits.len() > 1
            {
                return Err("has a malformed exponent".into());
            }
            let value: i32 = digits
                .parse()
                .map_err(|_| "has a malformed exponent".to_string())?;
            (
                &rest[..at],
                if power.starts_with('-') {
                    -value
                } else {
                    value
                },
            )
        }
        None => (rest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err("is not a number (digits with an optional sign and decimal dot)".into());
    }
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut power =
        exponent - i32::try_from(fraction.len()).map_err(|_| "is too long".to_string())?;
    let leading = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..leading);
    if spreadsheet && digits.len() > SPREADSHEET_DIGITS {
        let dropped = digits.len() - SPREADSHEET_DIGITS;
        let round_up = digits[SPREADSHEET_DIGITS] >= 5;
        digits.truncate(SPREADSHEET_DIGITS);
        power += i32::try_from(dropped).map_err(|_| "is too long".to_string())?;
        if round_up {
            let mut at = digits.len();
            loop {
                if at == 0 {
                    digits.insert(0, 1);
                    break;
                }
                at -= 1;
                if digits[at] == 9 {
                    digits[at] = 0;
                } else {
                    digits[at] += 1;
                    break;
                }
            }
        }
    }
    while power < 0 && digits.last() == Some(&0) {
        digits.pop();
        power += 1;
    }
    while digits.last() == Some(&0) && digits.len() > 1 {
        digits.pop();
        power += 1;
    }
    if digits.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let too_long = || {
        "has too many digits (at most 18, of which at most 9 after the decimal mark)".to_string()
    };
    if power < -i32::from(MAX_SCALE) {
        return Err(too_long());
    }
    let mut value: i64 = 0;
    for d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d)))
            .ok_or_else(too_long)?;
    }
    let scale = if power < 0 {
        u8::try_from(-power).map_err(|_| too_long())?
    } else {
        for _ in 0..power {
            value = value.checked_mul(10).ok_or_else(too_long)?;
        }
        0
    };
    if value > 999_999_999_999_999_999 {
        return Err(too_long());
    }
    Decimal::new(if negative { -value } else { value }, scale).ok_or_else(too_long)
}

/// Reads a date as typed: `2026-11-25`, `2026/11/25`, `2026/1/5` (Excel's
/// Japanese default), `20261125`, `2026年11月25日`, `2026.11.25`, each
/// optionally followed by a time of day (`2026/11/25 0:00`), which is ignored.
pub(crate) fn typed_date(text: &str) -> Result<Date, String> {
    let folded = fold_width(text);
    let trimmed = folded.trim();
    let refuse = || {
        format!(
            "`{}` is not a date (write it as 2026-11-25 or 2026/11/25)",
            shown(trimmed)
        )
    };
    let date_part = match trimmed.split_once([' ', 'T']) {
        Some((date, time))
            if time
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.') =>
        {
            date
        }
        Some(_) => return Err(refuse()),
        None => trimmed,
    };
    if date_part.len() == 8 && date_part.bytes().all(|b| b.is_ascii_digit()) {
        return Date::from_ccyymmdd(date_part).ok_or_else(refuse);
    }
    let unified = date_part.replace(['/', '.', '年', '月'], "-");
    let unified = unified.strip_suffix('日').unwrap_or(&unified);
    let parts: Vec<&str> = unified.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(refuse());
    };
    let number = |s: &str, max: usize| {
        (!s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    match (
        number(year, 4).filter(|_| year.len() == 4),
        number(month, 2),
        number(day, 2),
    ) {
        (Some(y), Some(m), Some(d)) => Date::new(
            y,
            u8::try_from(m).map_err(|_| refuse())?,
            u8::try_from(d).map_err(|_| refuse())?,
        )
        .ok_or_else(|| format!("`{}` is not a date that exists", shown(trimmed))),
        _ => Err(refuse()),
    }
}

/// Days between 1899-12-30 (day 0 of the 1900 date system, as spreadsheets
/// count it past 1900-02-28) and 1970-01-01.
const SERIAL_EPOCH: i64 = 25_569;

/// Days between the 1900 and the 1904 date systems.
const DATE_1904: i64 = 1_462;

/// The date a spreadsheet date serial stands for (its time of day dropped).
pub(crate) fn serial_date(text: &str, date1904: bool) -> Result<Date, String> {
    let value = stored_number(text)?;
    let refuse = || {
        format!(
            "the date serial number `{}` is not a date from 1900-03-01 to 9999-12-31",
            shown(text.trim())
        )
    };
    let rounded = value.round(0);
    let days = rounded.to_int().ok_or_else(refuse)? - i64::from(rounded > value);
    let days = if date1904 { days + DATE_1904 } else { days };
    if !(61..=2_958_465).contains(&days) {
        return Err(refuse());
    }
    Date::from_unix_days(days - SERIAL_EPOCH).ok_or_else(refuse)
}

/// The 1900-system serial number of a date.
pub(crate) fn date_serial(date: Date) -> i64 {
    date.unix_days() + SERIAL_EPOCH
}

pub(crate) use crate::rules::gtin_valid;

/// Japanese unit words read as their UN/ECE Recommendation 20 codes.
const UNIT_WORDS: &[(&str, &str)] = &[
    ("個", "H87"),
    ("ケース", "CS"),
    ("箱", "BX"),
    ("袋", "BG"),
    ("kg", "KGM"),
    ("g", "GRM"),
];

/// A unit as typed: a Recommendation 20 code in any case, or one of the
/// Japanese words of [`UNIT_WORDS`].
pub(crate) fn unit(text: &str) -> Result<String, String> {
    let folded = fold_width(text);
    let trimmed = folded.trim();
    if let Some((_, code)) = UNIT_WORDS.iter().find(|(word, _)| *word == trimmed) {
        return Ok((*code).to_string());
    }
    let code = trimmed.to_ascii_uppercase();
    if matches!(code.len(), 2 | 3)
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(code)
    } else {
        Err(format!(
            "`{}` is not a UN/ECE Recommendation 20 unit code (H87 piece, CS case, KGM kilogram, …) nor one of 個, ケース, 箱, 袋, kg, g",
            shown(trimmed)
        ))
    }
}

/// A currency as typed: an ISO 4217 code in any case, or `円` for JPY.
pub(crate) fn currency(text: &str) -> Result<String, String> {
    let folded = fold_width(text);
    let trimmed = folded.trim();
    if trimmed == "円" {
        return Ok("JPY".into());
    }
    let code = trimmed.to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(format!(
            "`{}` is not an ISO 4217 currency code (JPY, USD, …)",
            shown(trimmed)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().expect("decimal")
    }

    #[test]
    fn typed_numbers_accept_thousands_groups_only() {
        assert_eq!(typed_number("1,234"), Ok(d("1234")));
        assert_eq!(typed_number("-1,234,567.25"), Ok(d("-1234567.25")));
        assert_eq!(typed_number(" １２ "), Ok(d("12")));
        assert_eq!(typed_number("318.50"), Ok(d("318.5")));
        assert!(typed_number("1,5").is_err());
        assert!(typed_number("12,34").is_err());
        assert!(typed_number("1.234,5").is_err());
        assert!(typed_number("twelve").is_err());
        assert!(typed_number("").is_err());
        assert!(typed_number("0.0000000001").is_err());
    }

    #[test]
    fn stored_numbers_keep_what_the_spreadsheet_shows() {
        assert_eq!(stored_number("318.5"), Ok(d("318.5")));
        assert_eq!(stored_number("0.30000000000000004"), Ok(d("0.3")));
        assert_eq!(stored_number("2.9999999999999996"), Ok(d("3")));
        assert_eq!(stored_number("4.901234567894E+12"), Ok(d("4901234567894")));
        assert_eq!(stored_number("1E-3"), Ok(d("0.001")));
        assert_eq!(
            stored_number("123456789.123456789"),
            Ok(d("123456789.123457"))
        );
        assert_eq!(stored_number("0.123456789"), Ok(d("0.123456789")));
        assert_eq!(stored_number("0"), Ok(Decimal::ZERO));
        assert!(stored_number("1E+30").is_err());
        assert!(stored_number("1E99999").is_err());
        assert!(stored_number("NaN").is_err());
        assert!(stored_number("1e").is_err());
    }

    #[test]
    fn dates_are_read_in_the_forms_people_type_and_as_serials() {
        let want = Date::new(2026, 11, 25).expect("date");
        for text in [
            "2026-11-25",
            "2026/11/25",
            "２０２６/11/25",
            "20261125",
            "2026年11月25日",
            "2026/11/25 0:00",
            "2026-11-25T00:00:00",
        ] {
            assert_eq!(typed_date(text), Ok(want), "{text}");
        }
        assert_eq!(
            typed_date("2026/1/5"),
            Ok(Date::new(2026, 1, 5).expect("date"))
        );
        assert!(typed_date("2026/2/30").is_err());
        assert!(typed_date("25/11/2026").is_err());
        assert!(typed_date("2026/11/25 noon").is_err());
        assert_eq!(date_serial(want), 46_351);
        assert_eq!(serial_date("46351", false), Ok(want));
        assert_eq!(serial_date("46351.75", false), Ok(want));
        assert_eq!(
            serial_date(&(46_351 - DATE_1904).to_string(), true),
            Ok(want)
        );
        assert_eq!(
            serial_date("61", false),
            Ok(Date::new(1900, 3, 1).expect("date"))
        );
        assert!(serial_date("60", false).is_err());
        assert!(serial_date("-5", false).is_err());
        assert!(serial_date("99999999", false).is_err());
    }

    #[test]
    fn codes_are_checked() {
        assert!(gtin_valid("4901234567894"));
        assert!(gtin_valid("49012347"));
        assert!(!gtin_valid("4901234567895"));
        assert_eq!(unit("kgm"), Ok("KGM".into()));
        assert_eq!(unit("ケース"), Ok("CS".into()));
        assert!(unit("piece").is_err());
        assert_eq!(currency("円"), Ok("JPY".into()));
        assert_eq!(currency("jpy"), Ok("JPY".into()));
        assert!(currency("¥").is_err());
        assert!(currency("JPYX").is_err());
    }
}
