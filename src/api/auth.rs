//! The optional bearer token (`network.api_token`): when one is configured,
//! a request must carry `Authorization: Bearer <token>`, or the token as the
//! `access_token` query parameter (RFC 6750 §2.3), or gets 401.
//!
//! The query form exists for the pages: a browser loads a page, its videos
//! and its poster images without letting it set a header, so a page opened as
//! `/player/<ce>?access_token=<token>` passes the token on in the URLs it uses.
//!
//! Owns the header and query checks and the constant-time comparison. Which
//! routes are guarded is decided where the router is built (`routes`).

use super::error::RequestError;
use super::state::AppState;
use axum::extract::{Query, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;

/// The query parameters the token may come in.
#[derive(Deserialize)]
struct TokenQuery {
    /// RFC 6750's URI query parameter.
    access_token: Option<String>,
}

/// Middleware: lets the request through when no token is configured or when
/// its `Authorization` header or its `access_token` query parameter carries
/// the token; 401 otherwise.
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
        let in_query = Query::<TokenQuery>::try_from_uri(request.uri())
            .ok()
            .and_then(|Query(query)| query.access_token);
        let matches = |presented: &str| tokens_match(presented.as_bytes(), expected.as_bytes());
        if !(presented.is_some_and(matches) || in_query.as_deref().is_some_and(matches)) {
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
