//! The one error type of the API. Every failure, including the framework's own rejections (bad JSON,
//! wrong content type, unknown route, wrong method, body too large, timeout), leaves as
//! `{"error": {"code", "message", "details"}}` with the matching HTTP status.

use crate::run::error::{ErrorCode, RunError};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    pub retry_after: Option<u64>,
}

/// Marks responses that already carry the envelope, so the catch-all leaves them alone.
#[derive(Clone, Copy)]
pub struct Enveloped;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Value,
}

/// The error envelope every failing response carries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
        }
    }
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
    /// 429 with `Retry-After` and the limit in `details`.
    pub fn rate_limited(per_minute: u32, retry: u64) -> Self {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!("rate limit of {per_minute} requests per minute exceeded; retry in {retry} s"),
        )
        .details(json!({ "limit_per_minute": per_minute, "retry_after_seconds": retry }));
        e.retry_after = Some(retry);
        e
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }
    /// A server-side failure: the message is generic, the cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal server error",
        )
    }

    /// The envelope for a status the framework produced on its own.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such route; see /api/v1/openapi.json"),
            StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::MethodNotAllowed, "this route does not accept that method"),
            StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "request body too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (ErrorCode::InvalidRequest, "Content-Type must be application/json"),
            StatusCode::REQUEST_TIMEOUT => (ErrorCode::RequestTimeout, "the request took too long"),
            StatusCode::UNAUTHORIZED => (ErrorCode::Unauthorized, "missing or unknown API key"),
            StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "not allowed"),
            StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests"),
            s if s.is_server_error() => (ErrorCode::Internal, "internal server error"),
            _ => (ErrorCode::InvalidRequest, "invalid request"),
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse {
            error: ErrorBody {
                code: self.code.as_str().to_string(),
                message: self.message,
                details: self.details,
            },
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cracktrader\", X-API-Key"),
            );
        }
        res.extensions_mut().insert(Enveloped);
        res
    }
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        let status = match e.code {
            ErrorCode::RunAlreadyActive | ErrorCode::NoActiveRun | ErrorCode::RunActive | ErrorCode::NotPaused => {
                StatusCode::CONFLICT
            }
            ErrorCode::LiveTradingDisabled => StatusCode::FORBIDDEN,
            ErrorCode::Internal => return ApiError::internal(e.message),
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            status,
            code: e.code,
            message: e.message,
            details: e.details,
            retry_after: None,
        }
    }
}

/// Middleware: wraps any error response that does not carry the envelope yet.
pub async fn envelope_errors(res: Response) -> Response {
    let status = res.status();
    if (status.is_client_error() || status.is_server_error()) && res.extensions().get::<Enveloped>().is_none() {
        let mut e = ApiError::for_status(status);
        if let Some(v) = res
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            e.retry_after = Some(v);
        }
        return e.into_response();
    }
    res
}

/// JSON body extractor whose every rejection is an `ApiError`: wrong content type -> 415, unreadable
/// or oversized body -> 400/413, invalid JSON -> 400 `INVALID_REQUEST`, wrong shape -> 400
/// `VALIDATION_ERROR` naming the field.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidRequest,
                "Content-Type must be application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rej| {
            let status = rej.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(status, ErrorCode::PayloadTooLarge, "request body too large")
                    .details(json!({ "max_bytes": super::BODY_LIMIT }))
            } else {
                ApiError::invalid(format!("cannot read the request body: {}", rej.body_text()))
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                ApiError::invalid(format!("request body is not valid JSON: {inner}"))
            } else {
                // serde reports missing and unknown fields at the enclosing object; name the field itself.
                let msg = inner.to_string();
                let named = ["missing field `", "unknown field `"]
                    .iter()
                    .find_map(|p| msg.strip_prefix(p).and_then(|r| r.split('`').next()))
                    .map(String::from);
                let field = match (path.as_str(), named) {
                    (".", Some(f)) => f,
                    (".", None) => String::new(),
                    (p, Some(f)) if !p.ends_with(f.as_str()) => format!("{p}.{f}"),
                    (p, _) => p.to_string(),
                };
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::ValidationError,
                    format!(
                        "{}{inner}",
                        if field.is_empty() {
                            String::new()
                        } else {
                            format!("{field}: ")
                        }
                    ),
                )
                .details(json!({ "field": field }))
            }
        })?;
        de.end()
            .map_err(|e| ApiError::invalid(format!("request body is not valid JSON: {e}")))?;
        Ok(ApiJson(value))
    }
}
