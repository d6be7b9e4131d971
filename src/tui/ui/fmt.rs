//! Number and time formatting shared by the panels.

/// Money with thousands separators and two decimals (more for small amounts).
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v.abs() < 1.0 && v != 0.0 {
        return format!("{v:.6}");
    }
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
}

pub fn signed_money(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", money(v))
    } else {
        money(v)
    }
}

/// Prices keep significant digits whatever their size (BTC at 40,000 or a token at 0.00005).
pub fn price(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.2}")
    } else if a >= 1.0 {
        format!("{v:.4}")
    } else {
        format!("{v:.8}")
    }
}

pub fn size(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.6}")
    }
}

pub fn pct(v: f64) -> String {
    format!("{:+.2}%", v * 100.0)
}

pub fn duration(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// A short wait: `42s`, `3m 05s`, `1h 02m`.
pub fn countdown(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..120 => format!("{s}s"),
        120..7200 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

/// `2024-01-02T13:00:00Z` -> `2024-01-02 13:00`.
pub fn short_time(iso: &str) -> String {
    iso.get(..16)
        .map(|s| s.replace('T', " "))
        .unwrap_or_else(|| iso.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-1234.5), "-1,234.50");
        assert_eq!(signed_money(12.0), "+12.00");
        assert_eq!(money(0.00012345), "0.000123");
        assert_eq!(price(0.00005330), "0.00005330");
        assert_eq!(price(41234.5), "41234.50");
        assert_eq!(pct(-0.0512), "-5.12%");
        assert_eq!(duration(3725.0), "01:02:05");
        assert_eq!(short_time("2024-01-02T13:00:00Z"), "2024-01-02 13:00");
    }
}
