//! Symbol rules from `exchangeInfo`: names (`BTC/USDT` <-> `BTCUSDT`), lot step, price tick and minimum
//! notional. Orders are rounded to them before sending; what cannot be sent says why.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct SymbolRules {
    /// Exchange name, e.g. `BTCUSDT`.
    pub id: String,
    /// Our name, e.g. `BTC/USDT`.
    pub symbol: String,
    pub trading: bool,
    pub step: f64,
    pub min_qty: f64,
    pub tick: f64,
    pub min_notional: f64,
}

fn num(v: &Value) -> f64 {
    super::number(v).unwrap_or(0.0)
}

/// Parses the `symbols` array of an `exchangeInfo` answer.
pub fn parse_exchange_info(info: &Value) -> Vec<SymbolRules> {
    info["symbols"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or(&[])
        .iter()
        .filter_map(|s| {
            let (base, quote) = (s["baseAsset"].as_str()?, s["quoteAsset"].as_str()?);
            let mut r = SymbolRules {
                id: s["symbol"].as_str()?.to_string(),
                symbol: format!("{base}/{quote}"),
                trading: s["status"].as_str() == Some("TRADING"),
                step: 0.0,
                min_qty: 0.0,
                tick: 0.0,
                min_notional: 0.0,
            };
            for f in s["filters"].as_array().map(|a| a.as_slice()).unwrap_or(&[]) {
                match f["filterType"].as_str() {
                    Some("LOT_SIZE") => {
                        r.step = num(&f["stepSize"]);
                        r.min_qty = num(&f["minQty"]);
                    }
                    Some("PRICE_FILTER") => r.tick = num(&f["tickSize"]),
                    Some("NOTIONAL") | Some("MIN_NOTIONAL") => {
                        r.min_notional = r.min_notional.max(num(&f["minNotional"]))
                    }
                    _ => {}
                }
            }
            Some(r)
        })
        .collect()
}

/// Rounds down to a multiple of `step` (0 = no rule), robust to float representation of the step.
pub fn round_down(v: f64, step: f64) -> f64 {
    if step <= 0.0 {
        return v;
    }
    let n = (v / step + 1e-9).floor();
    let decimals = (-step.log10()).ceil().max(0.0) as i32;
    let p = 10f64.powi(decimals);
    (n * step * p).round() / p
}

/// Why an order cannot be sent as asked (Binance would reject it).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("{0} is not trading on Binance right now")]
    NotTrading(String),
    #[error("quantity {qty} rounds to {rounded}, below the minimum {min} (step {step})")]
    BelowMinQty {
        qty: f64,
        rounded: f64,
        min: f64,
        step: f64,
    },
    #[error("order value {value:.8} is below the minimum notional {min}")]
    BelowMinNotional { value: f64, min: f64 },
}

impl SymbolRules {
    /// The quantity and price actually sent, or why the order cannot be sent.
    pub fn fit(&self, qty: f64, price: f64) -> Result<(f64, f64), FitError> {
        if !self.trading {
            return Err(FitError::NotTrading(self.symbol.clone()));
        }
        let q = round_down(qty, self.step);
        let p = if self.tick > 0.0 {
            round_down(price, self.tick)
        } else {
            price
        };
        if q <= 0.0 || q < self.min_qty {
            return Err(FitError::BelowMinQty {
                qty,
                rounded: q,
                min: self.min_qty,
                step: self.step,
            });
        }
        if q * p < self.min_notional {
            return Err(FitError::BelowMinNotional {
                value: q * p,
                min: self.min_notional,
            });
        }
        Ok((q, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info() -> Value {
        json!({"symbols": [{
            "symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"},
                {"filterType": "LOT_SIZE", "minQty": "0.00001000", "maxQty": "9000.0", "stepSize": "0.00001000"},
                {"filterType": "NOTIONAL", "minNotional": "5.00000000"}
            ]
        }, {"symbol": "ETHBTC", "status": "BREAK", "baseAsset": "ETH", "quoteAsset": "BTC", "filters": []}]})
    }

    #[test]
    fn names_and_rounding() {
        let rules = parse_exchange_info(&info());
        assert_eq!(rules.len(), 2);
        let btc = &rules[0];
        assert_eq!(
            (
                btc.id.as_str(),
                btc.symbol.as_str(),
                btc.step,
                btc.tick,
                btc.min_notional
            ),
            ("BTCUSDT", "BTC/USDT", 0.00001, 0.01, 5.0)
        );
        assert_eq!(btc.fit(0.123456789, 43210.987).unwrap(), (0.12345, 43210.98));
        assert_eq!(
            btc.fit(0.3, 100.0).unwrap().0,
            0.3,
            "no float drift when the amount is already on the step"
        );
        assert!(matches!(btc.fit(0.000001, 43000.0), Err(FitError::BelowMinQty { .. })));
        assert!(btc
            .fit(0.0001, 43000.0)
            .unwrap_err()
            .to_string()
            .contains("minimum notional"));
        assert!(matches!(rules[1].fit(1.0, 1.0), Err(FitError::NotTrading(_))));
        assert_eq!(round_down(1.23456, 0.001), 1.234);
        assert_eq!(round_down(7.0, 1.0), 7.0);
    }
}
