//! The equity curve prepared for drawing: bucketed to a few hundred columns keeping each bucket's
//! low and high, so a million points draw as fast as a hundred and no spike disappears.

use crate::run::results::EquityRecord;

/// Columns the curve is reduced to; more than any terminal is wide.
pub const BUCKETS: usize = 600;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquitySeries {
    /// (seconds since the epoch, value), time-ordered.
    pub points: Vec<(f64, f64)>,
    /// Buy-and-hold, same x, when known.
    pub benchmark: Vec<(f64, f64)>,
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub first: Option<f64>,
    pub last: Option<f64>,
}

fn secs(ts: &str) -> Option<f64> {
    chrono::DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|d| d.timestamp_millis() as f64 / 1000.0)
}

/// Min/max per bucket, in time order within the bucket.
fn reduce(xs: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    if xs.len() <= buckets * 2 {
        return xs.to_vec();
    }
    let per = xs.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 2);
    for chunk in xs.chunks(per) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    out
}

pub fn prepare(curve: &[EquityRecord]) -> EquitySeries {
    let pts: Vec<(f64, f64)> = curve
        .iter()
        .filter_map(|e| Some((secs(&e.timestamp)?, e.value)))
        .collect();
    let bench: Vec<(f64, f64)> = curve
        .iter()
        .filter_map(|e| Some((secs(&e.timestamp)?, e.benchmark?)))
        .collect();
    let points = reduce(&pts, BUCKETS);
    let benchmark = reduce(&bench, BUCKETS);
    let all = points.iter().chain(&benchmark);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in all {
        lo = lo.min(p.1);
        hi = hi.max(p.1);
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-6).max(1e-9);
    let x = (points.first().map_or(0.0, |p| p.0), points.last().map_or(1.0, |p| p.0));
    EquitySeries {
        first: pts.first().map(|p| p.1),
        last: pts.last().map(|p| p.1),
        points,
        benchmark,
        x: (x.0, x.1.max(x.0 + 1.0)),
        y: (lo - pad, hi + pad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: i64, v: f64) -> EquityRecord {
        EquityRecord {
            timestamp: crate::data::validate::fmt_ts(1_700_000_000_000 + i * 60_000),
            value: v,
            cash: v,
            pnl: 0.0,
            benchmark: Some(v / 2.0),
        }
    }

    #[test]
    fn reduction_keeps_extremes_and_order() {
        let mut curve: Vec<EquityRecord> = (0..100_000).map(|i| rec(i, 100.0 + (i % 7) as f64)).collect();
        curve[54_321].value = 10_000.0;
        curve[77_777].value = 1.0;
        let s = prepare(&curve);
        assert!(s.points.len() <= BUCKETS * 2);
        assert!(
            s.points.iter().any(|p| p.1 == 10_000.0) && s.points.iter().any(|p| p.1 == 1.0),
            "spikes survive"
        );
        assert!(s.points.windows(2).all(|w| w[0].0 <= w[1].0));
        assert!(s.y.0 < 1.0 && s.y.1 > 10_000.0);
        assert_eq!((s.first, s.last), (Some(100.0), Some(100.0 + (99_999 % 7) as f64)));
        assert!(!s.benchmark.is_empty());
        assert_eq!(prepare(&[]).points.len(), 0);
    }
}
