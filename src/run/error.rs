//! Why a run could not be configured or started. The codes are the Web API's error codes, so the CLI,
//! the API and the dashboard report the same problem the same way.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    ValidationError,
    UnknownStrategy,
    InvalidParams,
    InvalidSymbol,
    InvalidTimeframe,
    UnknownExchange,
    InvalidDateRange,
    MissingCredentials,
    NoData,
    RunAlreadyActive,
    NoActiveRun,
    RunActive,
    LiveTradingDisabled,
    NotPaused,
    NoResults,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    RequestTimeout,
    Unauthorized,
    Forbidden,
    RateLimited,
    InvalidMessage,
    InvalidChannel,
    SubscriptionLimit,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::UnknownStrategy => "UNKNOWN_STRATEGY",
            ErrorCode::InvalidParams => "INVALID_PARAMS",
            ErrorCode::InvalidSymbol => "INVALID_SYMBOL",
            ErrorCode::InvalidTimeframe => "INVALID_TIMEFRAME",
            ErrorCode::UnknownExchange => "UNKNOWN_EXCHANGE",
            ErrorCode::InvalidDateRange => "INVALID_DATE_RANGE",
            ErrorCode::MissingCredentials => "MISSING_CREDENTIALS",
            ErrorCode::NoData => "NO_DATA",
            ErrorCode::RunAlreadyActive => "RUN_ALREADY_ACTIVE",
            ErrorCode::NoActiveRun => "NO_ACTIVE_RUN",
            ErrorCode::RunActive => "RUN_ACTIVE",
            ErrorCode::LiveTradingDisabled => "LIVE_TRADING_DISABLED",
            ErrorCode::NotPaused => "NOT_PAUSED",
            ErrorCode::NoResults => "NO_RESULTS",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::InvalidMessage => "INVALID_MESSAGE",
            ErrorCode::InvalidChannel => "INVALID_CHANNEL",
            ErrorCode::SubscriptionLimit => "SUBSCRIPTION_LIMIT",
            ErrorCode::Internal => "INTERNAL_ERROR",
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
}

impl RunError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RunError {
            code,
            message: message.into(),
            details: json!({}),
        }
    }
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
    /// A field-level validation failure (`details.field` names it).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        RunError::new(ErrorCode::ValidationError, message).with_details(json!({ "field": field }))
    }
}

impl From<crate::data::source::InputError> for RunError {
    fn from(e: crate::data::source::InputError) -> Self {
        use crate::data::source::InputError;
        match e {
            InputError::Symbol(_) => RunError::new(ErrorCode::InvalidSymbol, e.to_string())
                .with_details(serde_json::json!({ "supported_symbols": ["any BASE/QUOTE pair, e.g. BTC/USDT"] })),
            InputError::Exchange(_) => RunError::new(ErrorCode::UnknownExchange, e.to_string()),
            InputError::Date(_) => RunError::new(ErrorCode::InvalidDateRange, e.to_string()),
        }
    }
}
