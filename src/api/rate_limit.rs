//! Requests per minute per API key (per client address when auth is off), as a token bucket: a burst
//! of the whole allowance, refilled evenly over the minute. `/health` is exempt.

use super::auth::Principal;
use super::error::ApiError;
use super::ApiState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `who`; `Err(seconds)` says when the next one is due.
    pub fn check(&self, who: &str, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let cap = self.per_minute as f64;
        let rate = cap / WINDOW.as_secs_f64();
        // The lock is held for a few arithmetic operations only, never across an await.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, t)| now.duration_since(*t) < WINDOW);
        }
        let (tokens, last) = buckets.entry(who.to_string()).or_insert((cap, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(cap);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

pub async fn limit(State(st): State<ApiState>, req: Request, next: Next) -> Result<Response, ApiError> {
    if req.uri().path().ends_with("/health") {
        return Ok(next.run(req).await);
    }
    let who = match req.extensions().get::<Principal>() {
        Some(p) => format!("key:{}", p.0),
        None => super::client_address(&req),
    };
    if let Err(retry) = st.limiter.check(&who, Instant::now()) {
        return Err(ApiError::rate_limited(st.limiter.per_minute, retry));
    }
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_allowance_then_refills() {
        let l = RateLimiter::new(3);
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert_eq!(l.check("a", t0), Err(20), "one token every 20 s");
        assert!(l.check("b", t0).is_ok(), "buckets are per client");
        assert!(l.check("a", t0 + Duration::from_secs(21)).is_ok());
        assert!(RateLimiter::new(0).check("a", t0).is_ok());
    }
}
