//! The candle cache: one binary file per (exchange, symbol, timeframe) under `<data dir>/candles/`.
//!
//! Layout: 8-byte magic `CTCNDL01`, u64 LE candle count, then the candles as `repr(C)` records
//! (i64 ts + five f64, little-endian). Loading maps the file and views it as `&[Candle]`: no parsing,
//! no copy.

use super::error::DataError;
use super::series::Series;
use super::validate::fmt_ts;
use crate::engine::{Candle, Timeframe};
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[cfg(target_endian = "big")]
compile_error!("the candle cache format is little-endian");

const MAGIC: &[u8; 8] = b"CTCNDL01";
const HEADER: usize = 16;
const RECORD: usize = std::mem::size_of::<Candle>();

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

/// One cached series, as `data list` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntry {
    pub exchange: String,
    pub symbol: String,
    pub timeframe: Timeframe,
    pub first: i64,
    pub last: i64,
    pub count: u64,
}

impl CacheEntry {
    pub fn describe(&self) -> String {
        format!(
            "{} {} {} {}..{} ({} candles)",
            self.exchange,
            self.symbol,
            self.timeframe,
            fmt_ts(self.first),
            fmt_ts(self.last),
            self.count
        )
    }
}

/// Import outcome: how many candles were new, replaced, and the series total after merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeStats {
    pub added: usize,
    pub replaced: usize,
    pub total: usize,
}

impl Cache {
    pub fn new(data_dir: &Path) -> Self {
        Cache {
            root: data_dir.join("candles"),
        }
    }

    fn path(&self, exchange: &str, symbol: &str, tf: Timeframe) -> PathBuf {
        self.root
            .join(exchange)
            .join(symbol.replace('/', "_"))
            .join(format!("{tf}.bin"))
    }

    /// The cached series, memory-mapped (no copy, no parsing). `None` when nothing is cached.
    pub fn map(&self, exchange: &str, symbol: &str, tf: Timeframe) -> Result<Option<Series>, DataError> {
        let path = self.path(exchange, symbol, tf);
        let mut f = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(DataError::new(&path, None, format!("cannot open cache file: {e}"))),
        };
        let count = read_header(&mut f, &path)?;
        if count == 0 {
            return Ok(Some(Series::from(Vec::new())));
        }
        // SAFETY: the map is read-only and only ever viewed as `Candle`s, for which every bit pattern
        // is valid. This program never modifies a cache file in place (`store` writes a new file and
        // renames it over the old one), so a live mapping keeps seeing the file it opened.
        let map = unsafe { memmap2::Mmap::map(&f) }
            .map_err(|e| DataError::new(&path, None, format!("cannot map cache file: {e}")))?;
        if map.len() < HEADER + count as usize * RECORD {
            return Err(DataError::new(
                &path,
                None,
                "cache file changed while loading; try again",
            ));
        }
        Ok(Some(Series::mapped(map, HEADER, count as usize)))
    }

    /// The cached series as an owned vector.
    pub fn load(&self, exchange: &str, symbol: &str, tf: Timeframe) -> Result<Option<Vec<Candle>>, DataError> {
        Ok(self.map(exchange, symbol, tf)?.map(|s| s.to_vec()))
    }

    /// Merges `new` into the cached series by timestamp (new values win) and writes it atomically.
    pub fn store(&self, exchange: &str, symbol: &str, tf: Timeframe, new: &[Candle]) -> Result<MergeStats, DataError> {
        let existing = self.load(exchange, symbol, tf)?.unwrap_or_default();
        let (merged, stats) = merge(&existing, new);
        let path = self.path(exchange, symbol, tf);
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir)
            .map_err(|e| DataError::new(dir, None, format!("cannot create cache directory: {e}")))?;
        let tmp = path.with_extension("bin.tmp");
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(MAGIC)?;
            f.write_all(&(merged.len() as u64).to_le_bytes())?;
            f.write_all(bytemuck::cast_slice(&merged))?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            DataError::new(&path, None, format!("cannot write cache file: {e}"))
        })?;
        Ok(stats)
    }

    /// Every cached series, sorted by exchange, symbol, timeframe. Reads only headers and end records.
    pub fn list(&self) -> Result<Vec<CacheEntry>, DataError> {
        let mut out = Vec::new();
        let Ok(exchanges) = fs::read_dir(&self.root) else {
            return Ok(out);
        };
        for ex in exchanges.flatten().filter(|e| e.path().is_dir()) {
            for sym in fs::read_dir(ex.path())
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().is_dir())
            {
                for file in fs::read_dir(sym.path()).into_iter().flatten().flatten() {
                    let path = file.path();
                    let Some(tf) = path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_suffix(".bin"))
                        .and_then(|n| n.parse::<Timeframe>().ok())
                    else {
                        continue;
                    };
                    if let Some((first, last, count)) = read_ends(&path)? {
                        out.push(CacheEntry {
                            exchange: ex.file_name().to_string_lossy().into_owned(),
                            symbol: sym.file_name().to_string_lossy().replacen('_', "/", 1),
                            timeframe: tf,
                            first,
                            last,
                            count,
                        });
                    }
                }
            }
        }
        out.sort_by(|a, b| (&a.exchange, &a.symbol, a.timeframe).cmp(&(&b.exchange, &b.symbol, b.timeframe)));
        Ok(out)
    }
}

fn read_header(f: &mut fs::File, path: &Path) -> Result<u64, DataError> {
    let mut h = [0u8; HEADER];
    f.read_exact(&mut h)
        .map_err(|_| DataError::new(path, None, "not a candle cache file (too short); re-import the data"))?;
    if &h[..8] != MAGIC {
        return Err(DataError::new(
            path,
            None,
            "not a candle cache file (bad magic); re-import the data",
        ));
    }
    let count = u64::from_le_bytes(h[8..16].try_into().unwrap_or([0; 8]));
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len != HEADER as u64 + count * RECORD as u64 {
        return Err(DataError::new(
            path,
            None,
            format!("cache file size {len} does not match its {count} candles; re-import the data"),
        ));
    }
    Ok(count)
}

fn read_ends(path: &Path) -> Result<Option<(i64, i64, u64)>, DataError> {
    let mut f = fs::File::open(path).map_err(|e| DataError::new(path, None, format!("cannot open cache file: {e}")))?;
    let count = read_header(&mut f, path)?;
    if count == 0 {
        return Ok(None);
    }
    let mut rec = [Candle::default(); 1];
    let mut read_at = |i: u64| -> Result<i64, DataError> {
        f.seek(SeekFrom::Start(HEADER as u64 + i * RECORD as u64))
            .and_then(|_| f.read_exact(bytemuck::cast_slice_mut(&mut rec)))
            .map_err(|e| DataError::new(path, None, format!("cannot read cache file: {e}")))?;
        Ok(rec[0].ts)
    };
    Ok(Some((read_at(0)?, read_at(count - 1)?, count)))
}

/// Cached candles that `new` would change (same time, other values): how many, first and last time.
/// Identical candles are not conflicts, so importing the same file twice is harmless.
pub fn conflicts(old: &[Candle], new: &[Candle]) -> Option<(usize, i64, i64)> {
    let (mut i, mut j) = (0, 0);
    let mut found: Option<(usize, i64, i64)> = None;
    while i < old.len() && j < new.len() {
        match old[i].ts.cmp(&new[j].ts) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if old[i] != new[j] {
                    let ts = old[i].ts;
                    found = Some(found.map_or((1, ts, ts), |(n, first, _)| (n + 1, first, ts)));
                }
                i += 1;
                j += 1;
            }
        }
    }
    found
}

/// Union of two sorted series by timestamp; on equal timestamps `new` wins.
pub fn merge(old: &[Candle], new: &[Candle]) -> (Vec<Candle>, MergeStats) {
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j, mut replaced) = (0, 0, 0);
    while i < old.len() && j < new.len() {
        match old[i].ts.cmp(&new[j].ts) {
            std::cmp::Ordering::Less => {
                out.push(old[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(new[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(new[j]);
                replaced += 1;
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&old[i..]);
    out.extend_from_slice(&new[j..]);
    let total = out.len();
    (
        out,
        MergeStats {
            added: total - old.len(),
            replaced,
            total,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(ts: i64, p: f64) -> Candle {
        Candle::new(ts, p, p, p, p, 1.0)
    }

    #[test]
    fn store_load_merge_list() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        assert_eq!(cache.load("binance", "ETH/BTC", Timeframe::M5).unwrap(), None);
        let a = vec![c(0, 1.0), c(300_000, 2.0), c(600_000, 3.0)];
        let s = cache.store("binance", "ETH/BTC", Timeframe::M5, &a).unwrap();
        assert_eq!(
            s,
            MergeStats {
                added: 3,
                replaced: 0,
                total: 3
            }
        );
        let b = vec![c(600_000, 30.0), c(900_000, 4.0)];
        let s = cache.store("binance", "ETH/BTC", Timeframe::M5, &b).unwrap();
        assert_eq!(
            s,
            MergeStats {
                added: 1,
                replaced: 1,
                total: 4
            }
        );
        let got = cache.load("binance", "ETH/BTC", Timeframe::M5).unwrap().unwrap();
        assert_eq!(got, vec![c(0, 1.0), c(300_000, 2.0), c(600_000, 30.0), c(900_000, 4.0)]);
        let list = cache.list().unwrap();
        assert_eq!(
            list,
            vec![CacheEntry {
                exchange: "binance".into(),
                symbol: "ETH/BTC".into(),
                timeframe: Timeframe::M5,
                first: 0,
                last: 900_000,
                count: 4
            }]
        );
    }

    #[test]
    fn corrupt_files_are_reported_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        cache.store("x", "A/B", Timeframe::M1, &[c(0, 1.0)]).unwrap();
        let path = dir.path().join("candles/x/A_B/1m.bin");
        let mut bytes = fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 3);
        fs::write(&path, &bytes).unwrap();
        let e = cache.load("x", "A/B", Timeframe::M1).unwrap_err();
        assert!(e.to_string().contains("re-import"), "{e}");
        fs::write(&path, b"hello world, not a cache").unwrap();
        assert!(cache
            .load("x", "A/B", Timeframe::M1)
            .unwrap_err()
            .message
            .contains("bad magic"));
    }
}
