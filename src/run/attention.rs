//! Things a person should look at after the fact: orders of interrupted live runs whose real state
//! differs from the records, and balances the exchange corrected.

use serde::Serialize;

/// Something a person should look at: an order of an interrupted live run whose real state differs
/// from the records (`kind: "order"`), or a balance that differed from the engine's books and was
/// corrected to the exchange's (`kind: "balance"`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Attention {
    #[serde(default = "order_kind")]
    pub kind: String,
    pub run_id: String,
    pub order_id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub amount: f64,
    /// What the run had recorded before it died.
    pub recorded_status: String,
    /// What the exchange says (null when it could not be asked).
    pub exchange_status: Option<String>,
    pub filled: Option<f64>,
    pub detail: String,
}

fn order_kind() -> String {
    "order".into()
}
