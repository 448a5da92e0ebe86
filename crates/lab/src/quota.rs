//! What the browser lets the lab keep: how much of its quota the lab's storage uses and whether the
//! browser has agreed to keep it for good, so a teacher can tell before a workshop whether a long
//! history fits and will still be there.

/// The browser's answer to "how much may this site store, and will you keep it?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageUse {
    /// Bytes this site stores now, as the browser counts them.
    pub usage_bytes: u64,
    /// Bytes the browser lets this site store.
    pub quota_bytes: u64,
    /// Whether the browser keeps the data until the user clears it, rather than clearing it
    /// when the device runs short of space.
    pub persisted: bool,
}

impl StorageUse {
    /// "Uses 1.2 MB of about 10 GB."
    pub fn used(&self) -> String {
        format!(
            "Uses {} of about {}.",
            bytes(self.usage_bytes),
            bytes(self.quota_bytes)
        )
    }

    /// Whether the events stay.
    pub fn kept(&self) -> &'static str {
        if self.persisted {
            "The browser keeps them until you reset the lab."
        } else {
            "The browser may clear them if the device runs short of space."
        }
    }
}

/// A byte count the way a person reads it: 1,000-based units with one decimal below ten, rounded
/// half to even. Whole numbers only: formatting a float would bring the float printer into the
/// first download (about 10 KB raw) for this one line.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let n = u128::from(n);
    let mut unit = 0;
    let mut size = 1u128;
    while n >= size * 1000 && unit + 1 < UNITS.len() {
        size *= 1000;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else if n < 10 * size {
        let tenths = divide_rounded(n * 10, size);
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    } else {
        format!("{} {}", divide_rounded(n, size), UNITS[unit])
    }
}

/// `a / b` rounded to the nearest whole number, a tie to the even one.
fn divide_rounded(a: u128, b: u128) -> u128 {
    let (q, r) = (a / b, a % b);
    if 2 * r > b || (2 * r == b && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(usage_bytes: u64, quota_bytes: u64, persisted: bool) -> StorageUse {
        StorageUse {
            usage_bytes,
            quota_bytes,
            persisted,
        }
    }

    #[test]
    fn sizes_read_as_a_person_reads_them() {
        assert_eq!(bytes(0), "0 bytes");
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(bytes(1_250), "1.2 KB");
        assert_eq!(bytes(1_200_000), "1.2 MB");
        assert_eq!(bytes(48_000_000), "48 MB");
        assert_eq!(bytes(10_000_000_000), "10 GB");
        assert_eq!(bytes(1_350), "1.4 KB");
        assert_eq!(bytes(9_960), "10.0 KB");
        assert_eq!(bytes(999_999), "1000 KB");
        assert_eq!(bytes(u64::MAX), "18446744 TB");
    }

    #[test]
    fn the_sentences_say_whether_the_browser_keeps_the_events() {
        assert_eq!(
            usage(1_200_000, 10_000_000_000, true).used(),
            "Uses 1.2 MB of about 10 GB."
        );
        assert!(usage(1, 2, true).kept().contains("until you reset"));
        assert!(usage(1, 2, false).kept().contains("may clear them"));
    }
}
