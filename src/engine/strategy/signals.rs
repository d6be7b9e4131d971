//! Signals computed ahead of a sweep. A strategy whose decisions depend only on indicator series of
//! the candles (MovingAverageCross: the sign of SMA(fast) - SMA(slow)) splits into those series and a
//! `Signal` that turns their values into actions. A sweep computes each distinct series once per
//! chunk of candles for a whole batch of combinations (`SeriesBank`), runs every combination's
//! `Signal` over the columns, and then replays the engine with a `Replayed` strategy that acts at
//! the recorded timestamps. The plain strategy runs the same `Signal` on its own indicators, so a
//! combination's orders, fills and metrics equal a plain backtest's bit for bit.

use super::{Ctx, Strategy};
use crate::engine::indicators::Sma;
use crate::engine::types::Candle;

/// What a signal asks of the engine on a bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    EnterLong,
    ExitLong,
}

impl Action {
    #[inline(always)]
    pub fn apply(self, bar: &Candle, ctx: &mut Ctx<'_>) {
        match self {
            Action::EnterLong => ctx.enter_long(bar.close),
            Action::ExitLong => ctx.exit_long(),
        }
    }
}

/// The decision part of a strategy: indicator values of one bar (in the order of its series keys,
/// `None` while warming up) in, an action or nothing out.
pub trait Signal: Send {
    fn step(&mut self, values: &[Option<f64>]) -> Option<Action>;

    /// `step` over a chunk of bars, recording each action with its bar's timestamp; `columns[k][j]`
    /// is series k at bar j (missing values are `None`). One dynamic call per chunk: inside, `step`
    /// is the implementor's own.
    fn run(&mut self, columns: &[&[Option<f64>]], bars: &[Candle], out: &mut Vec<(i64, Action)>) {
        run_each(self, columns, bars, out);
    }
}

/// What `Signal::run` does unless an implementor has a faster way to the same actions.
pub fn run_each<S: Signal + ?Sized>(
    signal: &mut S,
    columns: &[&[Option<f64>]],
    bars: &[Candle],
    out: &mut Vec<(i64, Action)>,
) {
    const INLINE: usize = 4;
    let mut values = [None; INLINE];
    let mut spill = Vec::new();
    for (j, bar) in bars.iter().enumerate() {
        let value = |c: &&[Option<f64>]| c.get(j).copied().flatten();
        let action = if columns.len() <= INLINE {
            for (v, c) in values.iter_mut().zip(columns) {
                *v = value(c);
            }
            signal.step(&values[..columns.len()])
        } else {
            spill.clear();
            spill.extend(columns.iter().map(value));
            signal.step(&spill)
        };
        if let Some(action) = action {
            out.push((bar.ts, action));
        }
    }
}

/// An indicator series a sweep may compute once for every combination that uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeriesKey {
    /// `Sma::new(period)` over the closes.
    SmaOfClose(usize),
}

impl SeriesKey {
    fn indicator(self) -> Sma {
        match self {
            SeriesKey::SmaOfClose(p) => Sma::new(p),
        }
    }
}

/// The distinct series of a batch of combinations, computed one chunk of candles at a time.
pub struct SeriesBank {
    keys: Vec<SeriesKey>,
    indicators: Vec<Sma>,
    columns: Vec<Vec<Option<f64>>>,
}

impl SeriesBank {
    /// A bank for `keys` (each distinct key computed once).
    pub fn new(keys: impl IntoIterator<Item = SeriesKey>) -> Self {
        let mut keys: Vec<SeriesKey> = keys.into_iter().collect();
        keys.sort_unstable();
        keys.dedup();
        SeriesBank {
            indicators: keys.iter().map(|k| k.indicator()).collect(),
            columns: vec![Vec::new(); keys.len()],
            keys,
        }
    }

    pub fn distinct(&self) -> usize {
        self.keys.len()
    }

    /// Where `key`'s column is, for `value`.
    pub fn index(&self, key: SeriesKey) -> Option<usize> {
        self.keys.binary_search(&key).ok()
    }

    /// Computes every series over the next `bars`. Bar by bar across the series: each average's
    /// running sum is a chain of dependent additions, and interleaving the series lets them overlap.
    pub fn fill(&mut self, bars: &[Candle]) {
        for column in &mut self.columns {
            column.clear();
        }
        for bar in bars {
            for (indicator, column) in self.indicators.iter_mut().zip(&mut self.columns) {
                column.push(indicator.update(bar.close));
            }
        }
    }

    /// The value of series `index` at bar `j` of the last chunk filled.
    pub fn value(&self, index: usize, j: usize) -> Option<f64> {
        self.column(index).get(j).copied().flatten()
    }

    /// Series `index` over the last chunk filled (empty for an unknown index).
    pub fn column(&self, index: usize) -> &[Option<f64>] {
        self.columns.get(index).map_or(&[], |c| &c[..])
    }
}

/// One combination's signal over a bank: which columns it reads, and the actions it took.
pub struct SignalRun {
    signal: Box<dyn Signal>,
    columns: Vec<usize>,
    pub events: Vec<(i64, Action)>,
}

impl SignalRun {
    /// `None` when the bank lacks one of `keys`.
    pub fn new(signal: Box<dyn Signal>, keys: &[SeriesKey], bank: &SeriesBank) -> Option<Self> {
        let columns = keys.iter().map(|&k| bank.index(k)).collect::<Option<Vec<_>>>()?;
        Some(SignalRun {
            signal,
            columns,
            events: Vec::new(),
        })
    }

    /// Runs the signal over the chunk `bars` the bank was last filled with.
    pub fn advance(&mut self, bank: &SeriesBank, bars: &[Candle]) {
        let columns: Vec<&[Option<f64>]> = self.columns.iter().map(|&c| bank.column(c)).collect();
        self.signal.run(&columns, bars, &mut self.events);
    }
}

/// A strategy acting at recorded timestamps: what its signal decided, replayed through the engine.
/// Only sweeps replay, and they report no warmup progress, so it keeps the default warmup of 0.
pub struct Replayed {
    events: Vec<(i64, Action)>,
    next: usize,
}

impl Replayed {
    pub fn new(events: Vec<(i64, Action)>) -> Self {
        Replayed { events, next: 0 }
    }
}

impl Strategy for Replayed {
    fn quiet_before(&self) -> Option<i64> {
        Some(self.events.get(self.next).map_or(i64::MAX, |e| e.0))
    }

    #[inline]
    fn on_bar(&mut self, bar: &Candle, ctx: &mut Ctx<'_>) {
        // Events are in bar order and every bar is seen in order: the next event is this bar's or
        // a later one's.
        if let Some(&(ts, action)) = self.events.get(self.next) {
            if ts == bar.ts {
                self.next += 1;
                action.apply(bar, ctx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buys when the value rises above 10, sells when it falls below.
    struct Threshold(bool);
    impl Signal for Threshold {
        fn step(&mut self, v: &[Option<f64>]) -> Option<Action> {
            let above = v[0]? > 10.0;
            (above != std::mem::replace(&mut self.0, above)).then_some(if above {
                Action::EnterLong
            } else {
                Action::ExitLong
            })
        }
    }

    /// Columns give exactly what each series' own indicator gives, across chunks, and a signal run
    /// over them records what the signal decides on its own indicator.
    #[test]
    fn a_signal_over_the_bank_decides_what_it_decides_on_its_own_indicator() {
        let bars: Vec<Candle> = (0..1000)
            .map(|i| {
                let c = 10.0 + ((i * 7919) % 97) as f64 / 40.0 - 1.0;
                Candle::new(i, c, c, c, c, 1.0)
            })
            .collect();
        // Windows shorter than a chunk and longer than two.
        let keys = [
            SeriesKey::SmaOfClose(3),
            SeriesKey::SmaOfClose(50),
            SeriesKey::SmaOfClose(3),
            SeriesKey::SmaOfClose(150),
        ];
        let mut bank = SeriesBank::new(keys);
        assert_eq!(bank.distinct(), 3);
        let mut run = SignalRun::new(Box::new(Threshold(false)), &keys[0..1], &bank).unwrap();
        let mut own = [Sma::new(3), Sma::new(50), Sma::new(150)];
        let (mut reference, mut alone) = (Vec::new(), Threshold(false));
        for chunk in bars.chunks(64) {
            bank.fill(chunk);
            run.advance(&bank, chunk);
            for (j, b) in chunk.iter().enumerate() {
                let v: Vec<Option<f64>> = own.iter_mut().map(|s| s.update(b.close)).collect();
                assert_eq!(bank.value(bank.index(keys[0]).unwrap(), j), v[0], "bar {}", b.ts);
                assert_eq!(bank.value(bank.index(keys[1]).unwrap(), j), v[1], "bar {}", b.ts);
                let long = bank.value(bank.index(keys[3]).unwrap(), j);
                assert_eq!(long.map(f64::to_bits), v[2].map(f64::to_bits), "bar {}", b.ts);
                if let Some(a) = alone.step(&v[0..1]) {
                    reference.push((b.ts, a));
                }
            }
        }
        assert!(reference.len() > 4, "the data crosses the threshold");
        assert_eq!(run.events, reference);
        assert!(SignalRun::new(Box::new(Threshold(false)), &[SeriesKey::SmaOfClose(4)], &bank).is_none());
    }
}
