//! The OpenAPI schema of `PerformanceMetrics`, written here so the engine stays free of API
//! concerns. A test keeps the property list equal to what the engine serialises.

use crate::engine::metrics::PerformanceMetrics;
use utoipa::openapi::schema::{AdditionalProperties, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};

#[derive(Clone, Copy)]
enum Kind {
    Number,
    /// A ratio that is `null` when it would divide by zero.
    Nullable,
    Count,
    PerAsset,
}

/// Name, kind, meaning (the formulas are those of `engine/metrics.rs`).
const FIELDS: &[(&str, Kind, &str)] = &[
    ("total_return", Kind::Number, "final_value / initial_cash - 1"),
    (
        "cagr",
        Kind::Nullable,
        "(final / initial)^(1 / years) - 1, years = bars x timeframe / 365 days",
    ),
    (
        "sharpe_ratio",
        Kind::Nullable,
        "mean(r) / std(r) x sqrt(bars per year) over per-bar returns, risk-free rate 0",
    ),
    (
        "sortino_ratio",
        Kind::Nullable,
        "mean(r) / downside deviation x sqrt(bars per year)",
    ),
    ("calmar_ratio", Kind::Nullable, "cagr / max_drawdown"),
    (
        "max_drawdown",
        Kind::Number,
        "largest fall from a running peak, as a fraction of the peak",
    ),
    (
        "max_drawdown_duration_bars",
        Kind::Count,
        "longest run of bars spent below a previous peak",
    ),
    ("volatility", Kind::Nullable, "std(r) x sqrt(bars per year)"),
    (
        "total_trades",
        Kind::Count,
        "completed round trips (flat -> long -> flat)",
    ),
    ("win_rate", Kind::Nullable, "winning round trips / round trips"),
    ("profit_factor", Kind::Nullable, "gross profit / gross loss"),
    (
        "expectancy",
        Kind::Nullable,
        "mean profit per round trip, in the quote currency",
    ),
    (
        "avg_trade_return",
        Kind::Nullable,
        "mean round-trip return (pnl / cost of entry)",
    ),
    ("best_trade", Kind::Nullable, "best round-trip return"),
    ("worst_trade", Kind::Nullable, "worst round-trip return"),
    (
        "avg_trade_duration_bars",
        Kind::Nullable,
        "mean bars a round trip is held",
    ),
    ("exposure", Kind::Number, "bars ending with any position open / bars"),
    (
        "total_commission",
        Kind::Number,
        "every fee valued in the quote asset (fees paid in a third asset at its price when charged)",
    ),
    (
        "buy_and_hold_return",
        Kind::Nullable,
        "equal-weight mean over symbols of last close / first close - 1",
    ),
    (
        "fees_by_asset",
        Kind::PerAsset,
        "fees as charged, per asset, e.g. {\"USDT\": 12.3, \"BTC\": 0.0002}",
    ),
];

fn double() -> Option<SchemaFormat> {
    Some(SchemaFormat::KnownFormat(KnownFormat::Double))
}

impl utoipa::PartialSchema for PerformanceMetrics {
    fn schema() -> RefOr<Schema> {
        let mut o = ObjectBuilder::new().description(Some(
            "Performance of a run. Returns are per bar; annualisation uses 365 days of the run's timeframe.",
        ));
        for (name, kind, doc) in FIELDS {
            let p = match kind {
                Kind::Number => ObjectBuilder::new().schema_type(Type::Number).format(double()),
                Kind::Nullable => ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
                    .format(double()),
                Kind::Count => ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0)),
                Kind::PerAsset => ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
                        ObjectBuilder::new().schema_type(Type::Number).format(double()).build(),
                    ))))),
            };
            o = o.property(*name, p.description(Some(*doc))).required(*name);
        }
        RefOr::T(Schema::Object(o.build()))
    }
}

impl utoipa::ToSchema for PerformanceMetrics {}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::{PartialSchema, ToSchema};

    #[test]
    fn the_schema_lists_exactly_what_the_engine_serialises() {
        let sent = serde_json::to_value(PerformanceMetrics::default()).unwrap();
        let mut sent: Vec<String> = sent.as_object().unwrap().keys().cloned().collect();
        let doc = serde_json::to_value(PerformanceMetrics::schema()).unwrap();
        let mut documented: Vec<String> = doc["properties"].as_object().unwrap().keys().cloned().collect();
        sent.sort();
        documented.sort();
        assert_eq!(sent, documented);
        assert_eq!(doc["required"].as_array().unwrap().len(), documented.len());
        assert_eq!(
            doc["properties"]["sharpe_ratio"]["type"],
            serde_json::json!(["number", "null"])
        );
        assert_eq!(PerformanceMetrics::name(), "PerformanceMetrics");
    }
}
