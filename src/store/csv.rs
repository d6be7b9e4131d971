//! A stored run's fills and equity curve as CSV, for `runs export` and the API's `.csv` routes.

use crate::run::results::{EquityRecord, TradeRecord};

/// CSV of a run's fills.
pub fn trades_csv(trades: &[TradeRecord]) -> String {
    let mut out = String::from("id,order_id,timestamp,symbol,side,size,price,value,commission,pnl,fee,fee_asset\n");
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
    out
}

/// CSV of a run's equity curve.
pub fn equity_csv(points: &[EquityRecord]) -> String {
    let mut out = String::from("timestamp,value,cash,pnl,benchmark\n");
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
    out
}
