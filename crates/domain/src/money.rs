//! Money as a whole number of cents, so sums and comparisons are exact.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// An amount of money in integer cents. It may be zero or negative: whether an amount is acceptable
/// is a business rule, decided by the aggregates, not by this type.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// An amount of `cents`.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// The amount `quantity` times over, as on an order line. It saturates instead of overflowing,
    /// so an absurd quantity yields an absurd total that `decide` refuses, never a panic.
    pub const fn times(self, quantity: u32) -> Money {
        Money(self.0.saturating_mul(quantity as i64))
    }

    /// Whether the amount is greater than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Parses what a person types in a form: `250`, `250.5`, `1,250.50`, `$12.99`, `-3`, or with a
    /// decimal comma, `5,00` or `12,5`. A comma followed by one or two digits, with no dot in the
    /// amount, is a decimal comma; otherwise commas must group thousands (`1,250`), so a comma is
    /// never dropped silently. At most two decimals; the sign is kept so that the aggregate can
    /// explain why it refuses it.
    pub fn parse(text: &str) -> Result<Money, MoneyParseError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(MoneyParseError::Empty);
        }
        let (negative, rest) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed),
        };
        let rest = rest.strip_prefix('$').unwrap_or(rest);
        let not_a_number = || MoneyParseError::NotANumber(trimmed.to_string());
        let (whole, fraction) = split_decimals(rest).ok_or_else(not_a_number)?;
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(&whole) || !digits(fraction) {
            return Err(not_a_number());
        }
        if fraction.len() > 2 {
            return Err(MoneyParseError::TooManyDecimals(trimmed.to_string()));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyParseError::TooLarge)?
        };
        let fraction: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        let cents = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction))
            .filter(|c| *c <= Money::MAX_CENTS)
            .ok_or(MoneyParseError::TooLarge)?;
        Ok(Money(if negative { -cents } else { cents }))
    }

    /// The largest amount a form accepts: one trillion, far beyond any lab scenario and far from
    /// overflowing when many are added.
    pub const MAX_CENTS: i64 = 100_000_000_000_000;
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / 100;
        let mut grouped = String::new();
        for (i, c) in whole.to_string().chars().enumerate() {
            let remaining = whole.to_string().len() - i;
            if i > 0 && remaining % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}${grouped}.{:02}", abs % 100)
    }
}

/// Why a typed amount is not an amount of money.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MoneyParseError {
    /// Nothing was typed.
    Empty,
    /// The text is not a number.
    NotANumber(String),
    /// More than two digits after the decimal point.
    TooManyDecimals(String),
    /// Larger than [`Money::MAX_CENTS`].
    TooLarge,
}

impl fmt::Display for MoneyParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyParseError::Empty => f.write_str("Enter an amount, for example 250 or 99.95."),
            MoneyParseError::NotANumber(text) => {
                let text = shortened(text);
                write!(f, "\u{201c}{text}\u{201d} is not an amount: use digits, for example 250 or 99.95.")
            }
            MoneyParseError::TooManyDecimals(text) => {
                let text = shortened(text);
                write!(f, "\u{201c}{text}\u{201d} has more than two decimals: amounts are kept in whole cents.")
            }
            MoneyParseError::TooLarge => {
                f.write_str("That amount is too large for this lab (at most $1,000,000,000,000).")
            }
        }
    }
}

impl std::error::Error for MoneyParseError {}

/// The whole part (thousands separators removed) and the decimals of an amount typed without its
/// sign or `$`, or `None` when its commas are neither one decimal comma nor thousands separators.
fn split_decimals(text: &str) -> Option<(String, &str)> {
    let grouped = |whole: &str| -> Option<String> {
        let mut groups = whole.split(',');
        let first = groups.next().unwrap_or_default();
        let mut joined = first.to_string();
        for group in groups {
            if first.is_empty() || first.len() > 3 || group.len() != 3 {
                return None;
            }
            joined.push_str(group);
        }
        Some(joined)
    };
    match text.split_once('.') {
        Some((whole, fraction)) if !fraction.contains(',') => Some((grouped(whole)?, fraction)),
        Some(_) => None,
        None => match text.rsplit_once(',') {
            Some((whole, fraction))
                if (1..=2).contains(&fraction.len()) && !whole.contains(',') =>
            {
                Some((whole.to_string(), fraction))
            }
            _ => Some((grouped(text)?, "")),
        },
    }
}

/// What was typed, as quoted back in a message: at most 24 characters, then "…", so that a pasted
/// page of text gives a message of one line.
fn shortened(text: &str) -> String {
    const QUOTED: usize = 24;
    match text.char_indices().nth(QUOTED) {
        Some((end, _)) => format!("{}\u{2026}", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_parses_what_people_type() {
        assert_eq!(Money::parse("250"), Ok(Money::from_cents(25_000)));
        assert_eq!(Money::parse(" 99.95 "), Ok(Money::from_cents(9_995)));
        assert_eq!(Money::parse("12.5"), Ok(Money::from_cents(1_250)));
        assert_eq!(Money::parse(".5"), Ok(Money::from_cents(50)));
        assert_eq!(Money::parse("$1,250.00"), Ok(Money::from_cents(125_000)));
        assert_eq!(Money::parse("-3"), Ok(Money::from_cents(-300)));
        assert_eq!(Money::parse("0"), Ok(Money::ZERO));
    }

    #[test]
    fn a_decimal_comma_is_read_as_cents_not_dropped() {
        assert_eq!(Money::parse("5,00"), Ok(Money::from_cents(500)));
        assert_eq!(Money::parse("12,5"), Ok(Money::from_cents(1_250)));
        assert_eq!(Money::parse("$7,25"), Ok(Money::from_cents(725)));
        assert_eq!(Money::parse("-0,5"), Ok(Money::from_cents(-50)));
        assert_eq!(Money::parse("1,250"), Ok(Money::from_cents(125_000)));
        assert_eq!(
            Money::parse("1,250,000.5"),
            Ok(Money::from_cents(125_000_050))
        );
        for ambiguous in [
            "1.250,00", "5,0000", "12,34,56", "1,2,3", ",", "1,25.00", "1234,567",
        ] {
            assert!(
                matches!(Money::parse(ambiguous), Err(MoneyParseError::NotANumber(_))),
                "{ambiguous} should be refused, not guessed"
            );
        }
    }

    #[test]
    fn a_long_refused_text_is_quoted_shortened() {
        let long = "9".repeat(30) + "x";
        let message = Money::parse(&long).expect_err("not a number").to_string();
        assert_eq!(
            message,
            format!("\u{201c}{}\u{2026}\u{201d} is not an amount: use digits, for example 250 or 99.95.", "9".repeat(24))
        );
        let short = Money::parse("12.345")
            .expect_err("three decimals")
            .to_string();
        assert!(
            short.starts_with("\u{201c}12.345\u{201d} has more"),
            "{short}"
        );
    }

    #[test]
    fn it_refuses_text_that_is_not_an_amount() {
        assert_eq!(Money::parse(""), Err(MoneyParseError::Empty));
        assert!(matches!(
            Money::parse("abc"),
            Err(MoneyParseError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1e5"),
            Err(MoneyParseError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("."),
            Err(MoneyParseError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1.2.3"),
            Err(MoneyParseError::NotANumber(_))
        ));
        assert!(matches!(
            Money::parse("1.234"),
            Err(MoneyParseError::TooManyDecimals(_))
        ));
        assert_eq!(
            Money::parse("99999999999999999999"),
            Err(MoneyParseError::TooLarge)
        );
    }

    #[test]
    fn it_displays_dollars_and_cents() {
        assert_eq!(Money::from_cents(125_050).to_string(), "$1,250.50");
        assert_eq!(Money::from_cents(5).to_string(), "$0.05");
        assert_eq!(Money::from_cents(-100).to_string(), "-$1.00");
        assert_eq!(Money::from_cents(100_000_000).to_string(), "$1,000,000.00");
    }

    #[test]
    fn it_multiplies_by_a_quantity_without_overflowing() {
        assert_eq!(Money::from_cents(250).times(3), Money::from_cents(750));
        assert_eq!(Money::from_cents(250).times(0), Money::ZERO);
        assert_eq!(
            Money::from_cents(i64::MAX / 2).times(3),
            Money::from_cents(i64::MAX)
        );
    }
}
