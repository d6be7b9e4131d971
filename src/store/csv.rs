//! A stored run's fills and equity curve as CSV, for `runs export` and the API's `.csv` routes
//! (which write them a page at a time, so an export never sits whole in memory).

use crate::run::results::{EquityRecord, TradeRecord};

pub const TRADES_HEADER: &str = "id,order_id,timestamp,symbol,side,size,price,value,commission,pnl,fee,fee_asset\n";
pub const EQUITY_HEADER: &str = "timestamp,value,cash,pnl,benchmark\n";

/// CSV of a run's fills.
pub fn trades_csv(trades: &[TradeRecord]) -> String {
    let mut out = String::from(TRADES_HEADER);
    push_trades(&mut out, trades);
    out
}

/// CSV rows of fills, without the header.
pub fn push_trades(out: &mut String, trades: &[TradeRecord]) {
    for t in trades {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            t.id,
            t.order_id,
            t.timestamp,
            t.symbol,
            t.side,
            t.size,
            t.price,
            t.value,
            t.commission,
            t.pnl.map(|p| p.to_string()).unwrap_or_default(),
            t.fee,
            t.fee_asset
        ));
    }
}

/// CSV of a run's equity curve.
pub fn equity_csv(points: &[EquityRecord]) -> String {
    let mut out = String::from(EQUITY_HEADER);
    push_equity(&mut out, points);
    out
}

/// CSV rows of equity points, without the header.
pub fn push_equity(out: &mut String, points: &[EquityRecord]) {
    for e in points {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            e.timestamp,
            e.value,
            e.cash,
            e.pnl,
            e.benchmark.map(|b| b.to_string()).unwrap_or_default()
        ));
    }
}
