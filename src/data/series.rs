//! A candle series that is either owned or a read-only view of a memory-mapped cache file. Mapping
//! means a cached million-candle series is ready in microseconds and costs no heap: the replay reads
//! straight from the page cache.

use crate::engine::Candle;
use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone)]
pub struct Series(Repr);

#[derive(Clone)]
enum Repr {
    Owned(Vec<Candle>),
    Mapped {
        map: Arc<memmap2::Mmap>,
        offset: usize,
        start: usize,
        len: usize,
    },
}

impl Series {
    /// A view of `len` candles stored from byte `offset` of `map`. The caller has checked that the
    /// mapping is large enough; misalignment or a short map yields an empty series rather than UB.
    pub(crate) fn mapped(map: memmap2::Mmap, offset: usize, len: usize) -> Series {
        Series(Repr::Mapped {
            map: Arc::new(map),
            offset,
            start: 0,
            len,
        })
    }

    /// The candles in `[lo, hi)` (clamped), without copying a mapped series.
    pub fn slice(self, lo: usize, hi: usize) -> Series {
        let hi = hi.min(self.len());
        let lo = lo.min(hi);
        match self.0 {
            Repr::Owned(mut v) => {
                v.truncate(hi);
                v.drain(..lo);
                Series(Repr::Owned(v))
            }
            Repr::Mapped { map, offset, start, .. } => Series(Repr::Mapped {
                map,
                offset,
                start: start + lo,
                len: hi - lo,
            }),
        }
    }

    pub fn is_mapped(&self) -> bool {
        matches!(self.0, Repr::Mapped { .. })
    }
}

impl Deref for Series {
    type Target = [Candle];
    fn deref(&self) -> &[Candle] {
        match &self.0 {
            Repr::Owned(v) => v,
            Repr::Mapped {
                map,
                offset,
                start,
                len,
            } => {
                let bytes = map.get(*offset..).unwrap_or(&[]);
                let usable = bytes.len() / std::mem::size_of::<Candle>() * std::mem::size_of::<Candle>();
                let all: &[Candle] = bytemuck::try_cast_slice(&bytes[..usable]).unwrap_or(&[]);
                all.get(*start..start + len).unwrap_or(&[])
            }
        }
    }
}

impl From<Vec<Candle>> for Series {
    fn from(v: Vec<Candle>) -> Self {
        Series(Repr::Owned(v))
    }
}

impl std::fmt::Debug for Series {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Series({} candles{})",
            self.len(),
            if self.is_mapped() { ", mapped" } else { "" }
        )
    }
}

impl PartialEq for Series {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
