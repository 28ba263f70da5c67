//! The optional bearer token (`network.api_token`): when one is configured,
//! a request must carry `Authorization: Bearer <token>` or gets 401.
//!
//! Owns the header check and the constant-time comparison. Which routes are
//! guarded is decided where the router is built (`routes`).

use super::error::RequestError;
use super::state::AppState;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware: lets the request through when no token is configured or when
/// its `Authorization` header carries the token; 401 otherwise.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, RequestError> {
    if let Some(expected) = &state.token {
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token);
        if !presented.is_some_and(|presented| tokens_match(presented.as_bytes(), expected.as_bytes())) {
            return Err(RequestError::Unauthorized);
        }
    }
    Ok(next.run(request).await)
}

/// The token of an `Authorization: Bearer <token>` value (scheme matched
/// case-insensitively).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Whether `presented` equals `expected`, taking time that depends only on
/// the length of `presented`, never on where the first differing byte is.
fn tokens_match(presented: &[u8], expected: &[u8]) -> bool {
    let mut difference = presented.len() ^ expected.len();
    for (index, byte) in presented.iter().enumerate() {
        let wanted = expected.get(index).copied().unwrap_or(0);
        difference |= usize::from(byte ^ wanted);
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_required() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn only_the_exact_token_matches() {
        assert!(tokens_match(b"s3cret", b"s3cret"));
        assert!(!tokens_match(b"s3cres", b"s3cret"));
        assert!(!tokens_match(b"s3cre", b"s3cret"));
        assert!(!tokens_match(b"s3cret!", b"s3cret"));
        assert!(!tokens_match(b"", b"s3cret"));
    }
}
