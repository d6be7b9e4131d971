//! A backtest's orders, fills and equity curve as three compact blobs instead of one row each: a
//! backtest can be re-run from its stored configuration, so it is written once at the end, and tens of
//! thousands of rows cost far more (time and disk) than the few bytes each record needs.
//!
//! Records are written field by field, each field with its own small state: a string seen before is
//! its index, a number equal to the field's previous value is one byte, ids and timestamps are deltas.
//! Timestamps and ids that would not format back to the exact same text are kept as text, so decoding
//! always gives back what was encoded (tested).

use crate::data::time::parse_iso;
use crate::data::validate::fmt_ts;
use crate::run::results::{EquityRecord, OrderRecord, TradeRecord};
use std::collections::HashMap;

/// First byte of every blob; a different one is refused rather than misread.
const VERSION: u8 = 1;
/// More records than this in one blob means it is not ours.
const MAX_RECORDS: u64 = 100_000_000;
/// Largest inflated blob accepted (a damaged or hostile one cannot take all memory).
const MAX_INFLATED: usize = 1 << 30;
/// Deflate level: repeated texts (rejection reasons) shrink tenfold already at the fastest level.
const LEVEL: u8 = 1;

#[derive(Debug, thiserror::Error)]
#[error("stored run data is damaged ({0})")]
pub struct CodecError(&'static str);

#[derive(Default)]
struct Out {
    buf: Vec<u8>,
}

impl Out {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    fn signed(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
}

struct In<'a> {
    b: &'a [u8],
}

impl In<'_> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        let (&x, rest) = self.b.split_first().ok_or(CodecError("truncated"))?;
        self.b = rest;
        Ok(x)
    }
    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let x = self.byte()?;
            v |= u64::from(x & 0x7f) << shift;
            if x & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError("bad varint"))
    }
    fn signed(&mut self) -> Result<i64, CodecError> {
        let u = self.varint()?;
        Ok((u >> 1) as i64 ^ -((u & 1) as i64))
    }
    fn take(&mut self, n: usize) -> Result<&[u8], CodecError> {
        if n > self.b.len() {
            return Err(CodecError("truncated"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    fn string(&mut self) -> Result<String, CodecError> {
        let n = self.varint()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| CodecError("bad text"))
    }
    fn f64(&mut self) -> Result<f64, CodecError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }
}

/// Low-cardinality text (symbols, sides, statuses, reasons): each distinct value is written once.
#[derive(Default)]
struct Words {
    seen: HashMap<String, u64>,
    list: Vec<String>,
    /// The last word put, checked before hashing: runs of the same symbol or status are the norm.
    last: Option<u64>,
}

impl Words {
    fn put(&mut self, o: &mut Out, s: Option<&str>) {
        if let (Some(s), Some(i)) = (s, self.last) {
            if self.list[i as usize] == s {
                o.varint(i + 2);
                return;
            }
        }
        match s {
            None => o.varint(0),
            Some(s) => match self.seen.get(s) {
                Some(&i) => {
                    o.varint(i + 2);
                    self.last = Some(i);
                }
                None => {
                    o.varint(1);
                    o.bytes(s.as_bytes());
                    self.last = Some(self.list.len() as u64);
                    self.seen.insert(s.to_string(), self.list.len() as u64);
                    self.list.push(s.to_string());
                }
            },
        }
    }
    fn get(&mut self, i: &mut In<'_>) -> Result<Option<String>, CodecError> {
        match i.varint()? {
            0 => Ok(None),
            1 => {
                let s = i.string()?;
                self.list.push(s.clone());
                Ok(Some(s))
            }
            n => self
                .list
                .get((n - 2) as usize)
                .cloned()
                .map(Some)
                .ok_or(CodecError("unknown word")),
        }
    }
    fn need(&mut self, i: &mut In<'_>) -> Result<String, CodecError> {
        self.get(i)?.ok_or(CodecError("missing text"))
    }
}

/// Numbers: none, the field's previous value again, or the exact bits.
#[derive(Default)]
struct Num {
    prev: Option<u64>,
}

impl Num {
    fn put(&mut self, o: &mut Out, v: Option<f64>) {
        match v {
            None => o.buf.push(0),
            Some(x) if self.prev == Some(x.to_bits()) => o.buf.push(1),
            Some(x) => {
                o.buf.push(2);
                o.buf.extend_from_slice(&x.to_le_bytes());
                self.prev = Some(x.to_bits());
            }
        }
    }
    fn get(&mut self, i: &mut In<'_>) -> Result<Option<f64>, CodecError> {
        match i.byte()? {
            0 => Ok(None),
            1 => self
                .prev
                .map(|b| Some(f64::from_bits(b)))
                .ok_or(CodecError("no previous number")),
            2 => {
                let x = i.f64()?;
                self.prev = Some(x.to_bits());
                Ok(Some(x))
            }
            _ => Err(CodecError("bad number tag")),
        }
    }
    fn need(&mut self, i: &mut In<'_>) -> Result<f64, CodecError> {
        self.get(i)?.ok_or(CodecError("missing number"))
    }
    /// Like `put`, with one byte when the value equals `like` (a fee equal to its commission).
    fn put_like(&mut self, o: &mut Out, v: f64, like: f64) {
        if v.to_bits() == like.to_bits() {
            o.buf.push(3);
        } else {
            self.put(o, Some(v));
        }
    }
    fn get_like(&mut self, i: &mut In<'_>, like: f64) -> Result<f64, CodecError> {
        if i.b.first() == Some(&3) {
            i.byte()?;
            return Ok(like);
        }
        self.need(i)
    }
}

/// Text that is usually an integer (ids) or a timestamp: a delta from the previous one when it
/// formats back exactly, else the text itself.
struct Seq {
    prev: i64,
    to_int: fn(&str) -> Option<i64>,
    to_text: fn(i64) -> String,
}

impl Seq {
    fn ids() -> Seq {
        Seq {
            prev: 0,
            to_int: |s| s.parse().ok(),
            to_text: |v| v.to_string(),
        }
    }
    fn times() -> Seq {
        Seq {
            prev: 0,
            to_int: parse_iso,
            to_text: fmt_ts,
        }
    }
    fn put(&mut self, o: &mut Out, s: &str) {
        match (self.to_int)(s).filter(|&v| (self.to_text)(v) == s) {
            Some(v) => {
                o.buf.push(1);
                o.signed(v.wrapping_sub(self.prev));
                self.prev = v;
            }
            None => {
                o.buf.push(0);
                o.bytes(s.as_bytes());
            }
        }
    }
    fn get(&mut self, i: &mut In<'_>) -> Result<String, CodecError> {
        match i.byte()? {
            0 => i.string(),
            1 => {
                self.prev = self.prev.wrapping_add(i.signed()?);
                Ok((self.to_text)(self.prev))
            }
            _ => Err(CodecError("bad sequence tag")),
        }
    }
}

fn header(o: &mut Out, n: usize) {
    o.varint(n as u64);
}

/// The version byte, then the deflated records.
fn seal(o: Out) -> Vec<u8> {
    let mut b = vec![VERSION];
    b.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(&o.buf, LEVEL));
    b
}

fn inflate(b: &[u8]) -> Result<Vec<u8>, CodecError> {
    match b.split_first() {
        Some((&VERSION, body)) => miniz_oxide::inflate::decompress_to_vec_with_limit(body, MAX_INFLATED)
            .map_err(|_| CodecError("not inflatable")),
        Some(_) => Err(CodecError("unknown version")),
        None => Err(CodecError("empty")),
    }
}

fn read_header(b: &[u8]) -> Result<(In<'_>, usize), CodecError> {
    let mut i = In { b };
    let n = i.varint()?;
    if n > MAX_RECORDS || n > b.len() as u64 {
        return Err(CodecError("impossible record count"));
    }
    Ok((i, n as usize))
}

#[derive(Default)]
struct OrderCols {
    words: [Words; 6],
    nums: [Num; 6],
}

pub fn encode_orders(orders: &[OrderRecord]) -> Vec<u8> {
    let mut o = Out::default();
    header(&mut o, orders.len());
    let (mut id, mut created, mut updated) = (Seq::ids(), Seq::times(), Seq::times());
    let mut c = OrderCols::default();
    for r in orders {
        id.put(&mut o, &r.id);
        c.words[0].put(&mut o, Some(&r.symbol));
        c.words[1].put(&mut o, Some(&r.side));
        c.words[2].put(&mut o, Some(&r.order_type));
        c.words[3].put(&mut o, Some(&r.status));
        c.words[4].put(&mut o, r.reason.as_deref());
        c.words[5].put(&mut o, r.fee_asset.as_deref());
        c.nums[0].put(&mut o, Some(r.amount));
        c.nums[1].put(&mut o, r.price);
        c.nums[2].put(&mut o, r.stop_price);
        c.nums[3].put(&mut o, Some(r.filled));
        c.nums[4].put(&mut o, r.average_price);
        c.nums[5].put(&mut o, Some(r.fee));
        created.put(&mut o, &r.created_at);
        updated.put(&mut o, &r.updated_at);
    }
    seal(o)
}

pub fn decode_orders(b: &[u8]) -> Result<Vec<OrderRecord>, CodecError> {
    let body = inflate(b)?;
    let (mut i, n) = read_header(&body)?;
    let (mut id, mut created, mut updated) = (Seq::ids(), Seq::times(), Seq::times());
    let mut c = OrderCols::default();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(OrderRecord {
            id: id.get(&mut i)?,
            symbol: c.words[0].need(&mut i)?,
            side: c.words[1].need(&mut i)?,
            order_type: c.words[2].need(&mut i)?,
            status: c.words[3].need(&mut i)?,
            reason: c.words[4].get(&mut i)?,
            fee_asset: c.words[5].get(&mut i)?,
            amount: c.nums[0].need(&mut i)?,
            price: c.nums[1].get(&mut i)?,
            stop_price: c.nums[2].get(&mut i)?,
            filled: c.nums[3].need(&mut i)?,
            average_price: c.nums[4].get(&mut i)?,
            fee: c.nums[5].need(&mut i)?,
            created_at: created.get(&mut i)?,
            updated_at: updated.get(&mut i)?,
        });
    }
    Ok(out)
}

#[derive(Default)]
struct FillCols {
    words: [Words; 3],
    nums: [Num; 6],
}

pub fn encode_fills(fills: &[TradeRecord]) -> Vec<u8> {
    let mut o = Out::default();
    header(&mut o, fills.len());
    let (mut id, mut order, mut ts) = (Seq::ids(), Seq::ids(), Seq::times());
    let mut c = FillCols::default();
    for t in fills {
        id.put(&mut o, &t.id);
        order.put(&mut o, &t.order_id);
        ts.put(&mut o, &t.timestamp);
        c.words[0].put(&mut o, Some(&t.symbol));
        c.words[1].put(&mut o, Some(&t.side));
        c.words[2].put(&mut o, Some(&t.fee_asset));
        c.nums[0].put(&mut o, Some(t.size));
        c.nums[1].put(&mut o, Some(t.price));
        c.nums[2].put(&mut o, Some(t.value));
        c.nums[3].put(&mut o, Some(t.commission));
        c.nums[4].put_like(&mut o, t.fee, t.commission);
        c.nums[5].put(&mut o, t.pnl);
    }
    seal(o)
}

pub fn decode_fills(b: &[u8]) -> Result<Vec<TradeRecord>, CodecError> {
    let body = inflate(b)?;
    let (mut i, n) = read_header(&body)?;
    let (mut id, mut order, mut ts) = (Seq::ids(), Seq::ids(), Seq::times());
    let mut c = FillCols::default();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (id, order_id, timestamp) = (id.get(&mut i)?, order.get(&mut i)?, ts.get(&mut i)?);
        let (symbol, side, fee_asset) = (
            c.words[0].need(&mut i)?,
            c.words[1].need(&mut i)?,
            c.words[2].need(&mut i)?,
        );
        let (size, price, value) = (
            c.nums[0].need(&mut i)?,
            c.nums[1].need(&mut i)?,
            c.nums[2].need(&mut i)?,
        );
        let commission = c.nums[3].need(&mut i)?;
        out.push(TradeRecord {
            id,
            order_id,
            timestamp,
            symbol,
            side,
            fee_asset,
            size,
            price,
            value,
            commission,
            fee: c.nums[4].get_like(&mut i, commission)?,
            pnl: c.nums[5].get(&mut i)?,
        });
    }
    Ok(out)
}

pub fn encode_equity(points: &[EquityRecord]) -> Vec<u8> {
    let mut o = Out::default();
    header(&mut o, points.len());
    let mut ts = Seq::times();
    let mut nums: [Num; 4] = Default::default();
    for e in points {
        ts.put(&mut o, &e.timestamp);
        nums[0].put(&mut o, Some(e.value));
        nums[1].put(&mut o, Some(e.cash));
        nums[2].put(&mut o, Some(e.pnl));
        nums[3].put(&mut o, e.benchmark);
    }
    seal(o)
}

pub fn decode_equity(b: &[u8]) -> Result<Vec<EquityRecord>, CodecError> {
    let body = inflate(b)?;
    let (mut i, n) = read_header(&body)?;
    let mut ts = Seq::times();
    let mut nums: [Num; 4] = Default::default();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(EquityRecord {
            timestamp: ts.get(&mut i)?,
            value: nums[0].need(&mut i)?,
            cash: nums[1].need(&mut i)?,
            pnl: nums[2].need(&mut i)?,
            benchmark: nums[3].get(&mut i)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(i: u64) -> OrderRecord {
        OrderRecord {
            id: if i == 7 { "x-7".into() } else { i.to_string() },
            symbol: if i.is_multiple_of(3) {
                "ETH/USDT".into()
            } else {
                "BTC/USDT".into()
            },
            side: if i.is_multiple_of(2) {
                "buy".into()
            } else {
                "sell".into()
            },
            order_type: "market".into(),
            amount: 10.0,
            price: (i.is_multiple_of(4)).then_some(100.0 + i as f64 * 0.1),
            stop_price: None,
            status: if i.is_multiple_of(5) {
                "rejected".into()
            } else {
                "filled".into()
            },
            filled: if i.is_multiple_of(5) { 0.0 } else { 10.0 },
            average_price: (!i.is_multiple_of(5)).then_some(99.5 + i as f64),
            reason: (i.is_multiple_of(5)).then(|| "insufficient cash".into()),
            fee: 0.01 * i as f64,
            fee_asset: (!i.is_multiple_of(5)).then(|| "USDT".into()),
            created_at: fmt_ts(1_577_836_800_000 + i as i64 * 60_000),
            // An odd timestamp text is kept as it was.
            updated_at: if i == 3 {
                "2020-01-01T00:03:00.123+00:00".into()
            } else {
                fmt_ts(1_577_836_800_000 + i as i64 * 60_000)
            },
        }
    }

    #[test]
    fn orders_fills_and_equity_round_trip_exactly_and_small() {
        let orders: Vec<OrderRecord> = (1..=20_000).map(order).collect();
        let blob = encode_orders(&orders);
        assert_eq!(decode_orders(&blob).unwrap(), orders);
        // Well under 40 bytes an order even when every price and fee differs (SQLite rows took ~250).
        assert!(blob.len() < 20_000 * 40, "{} bytes for 20,000 orders", blob.len());

        let fills: Vec<TradeRecord> = (1..=10_000u64)
            .map(|i| TradeRecord {
                id: i.to_string(),
                order_id: (i * 2).to_string(),
                timestamp: fmt_ts(1_577_836_800_000 + i as i64 * 120_000),
                symbol: "BTC/USDT".into(),
                side: if i.is_multiple_of(2) {
                    "buy".into()
                } else {
                    "sell".into()
                },
                size: 10.0,
                price: 100.0 + (i as f64).sin(),
                value: 1000.0 + (i as f64).cos(),
                commission: 1.0,
                fee: if i.is_multiple_of(7) { 0.5 } else { 1.0 },
                fee_asset: "USDT".into(),
                pnl: (!i.is_multiple_of(2)).then_some(-0.5 * i as f64),
            })
            .collect();
        let blob = encode_fills(&fills);
        assert_eq!(decode_fills(&blob).unwrap(), fills);

        let eq: Vec<EquityRecord> = (0..5_000)
            .map(|i| EquityRecord {
                timestamp: fmt_ts(1_577_836_800_000 + i * 60_000),
                value: 10_000.0 + i as f64,
                cash: 5_000.0,
                pnl: i as f64,
                benchmark: (i > 0).then_some(f64::NAN.max(9_000.0 + i as f64)),
            })
            .collect();
        let blob = encode_equity(&eq);
        assert_eq!(decode_equity(&blob).unwrap(), eq);
        assert!(decode_equity(&encode_equity(&[])).unwrap().is_empty());
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let blob = encode_orders(&(1..=50).map(order).collect::<Vec<_>>());
        for cut in [0, 1, 2, 10, blob.len() / 2, blob.len() - 1] {
            assert!(decode_orders(&blob[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = blob.clone();
        bad[0] = 9;
        assert!(decode_orders(&bad).is_err());
        // Flipped bytes anywhere: an error or some records, never a panic.
        for k in 1..blob.len() {
            let mut b = blob.clone();
            b[k] ^= 0xff;
            let _ = decode_orders(&b);
        }
        assert!(decode_fills(&[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).is_err());
        let huge = seal(Out {
            buf: vec![0xff, 0xff, 0xff, 0xff, 0x0f],
        });
        assert!(decode_orders(&huge).is_err(), "a count larger than the data is refused");
    }
}
