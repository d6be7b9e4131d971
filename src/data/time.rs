//! Reading times as users and files write them.

/// The one ISO 8601 reader, for run dates and candle files alike: RFC 3339 with any offset, or a UTC
/// date and time with `T` or a space, minutes, seconds or fractions, or a plain date (midnight UTC).
pub fn parse_iso(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some(ms) = utc_seconds(t.as_bytes()) {
        return Some(ms);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// The fast path for `YYYY-MM-DDTHH:MM:SSZ`, the form this program writes (and reads back tens of
/// thousands of times when it stores or shows a backtest). Anything else, including out-of-range
/// fields, is left to chrono.
fn utc_seconds(b: &[u8]) -> Option<i64> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        b[from..from + len].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hh, mm, ss) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Days since 1970-01-01 from a civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400) + hh * 3600 + mm * 60 + ss) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        let chrono_ms = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.timestamp_millis())
        };
        let mut ms: i64 = -62_135_596_800_000;
        while ms < 253_402_300_799_000 {
            let t = crate::data::validate::fmt_ts(ms);
            assert_eq!(utc_seconds(t.as_bytes()), chrono_ms(&t), "{t}");
            ms += 86_400_000 * 89 + 3_599_000;
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:60Z",
        ] {
            assert_eq!(utc_seconds(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(parse_iso("2024-02-29T12:00:00Z"), chrono_ms("2024-02-29T12:00:00Z"));
        assert_eq!(
            parse_iso("2024-01-31T12:00:00+02:00"),
            chrono_ms("2024-01-31T12:00:00+02:00")
        );
    }
}
