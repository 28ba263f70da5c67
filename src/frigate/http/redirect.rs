//! The redirect rule: a redirect is followed only when it stays on Frigate's own origin (the scheme,
//! host and port of `network.frigate_url`), so no answer can send the service to fetch from, or
//! send Frigate's paths to, another host.
//!
//! Owns the resolution of a `Location` against the URL that answered it and the origin comparison;
//! pure functions, no I/O. Following the redirect is the transport's business (`client`).

use ureq::http::Uri;

/// Most redirects followed for one request; a longer chain fails that try.
pub const MAX_REDIRECTS: u32 = 5;

/// Scheme, host and port of a URL: what a redirect must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`, lower case.
    scheme: String,
    /// The host as written, lower case.
    host: String,
    /// The port, the scheme's default when the URL names none.
    port: u16,
}

impl Origin {
    /// The origin of an absolute `http(s)` URL, or `None` when `url` is not one.
    pub fn of(url: &str) -> Option<Origin> {
        let uri: Uri = url.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let host = uri.host()?.to_ascii_lowercase();
        Some(Origin {
            port: uri.port_u16().unwrap_or(default_port),
            scheme,
            host,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// The absolute URL a redirect from `from` to `location` leads to, when it stays on `origin`;
/// otherwise the reason it is refused.
pub fn target(origin: &Origin, from: &str, location: &str) -> Result<String, String> {
    let location = location.trim();
    let from_uri: Uri = from.parse().map_err(|_| format!("{from} is not a URL"))?;
    let (Some(scheme), Some(authority)) = (from_uri.scheme_str(), from_uri.authority()) else {
        return Err(format!("{from} is not an absolute URL"));
    };
    let absolute = if location.starts_with("//") {
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else if has_scheme(location) {
        location.to_string()
    } else {
        let folder = from_uri.path().rsplit_once('/').map_or("", |(folder, _)| folder);
        format!("{scheme}://{authority}{folder}/{location}")
    };
    match Origin::of(&absolute) {
        Some(target) if target == *origin => Ok(absolute),
        Some(target) => Err(format!(
            "redirect to {target} refused: only {origin} (network.frigate_url) is followed"
        )),
        None => Err(format!("redirect to {location:?} refused: not an http(s) URL")),
    }
}

/// Whether `location` starts with a URI scheme (`letter *( letter / digit / + / - / . ) ":"`).
fn has_scheme(location: &str) -> bool {
    let Some((scheme, _)) = location.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "http://127.0.0.1:5000/api/events/1-a/clip.mp4";

    fn origin() -> Origin {
        Origin::of("http://127.0.0.1:5000").unwrap()
    }

    #[test]
    fn same_origin_redirects_are_followed_in_every_spelling() {
        let cases = [
            (
                "http://127.0.0.1:5000/exports/a.mp4",
                "http://127.0.0.1:5000/exports/a.mp4",
            ),
            ("/exports/a.mp4", "http://127.0.0.1:5000/exports/a.mp4"),
            ("//127.0.0.1:5000/exports/a.mp4", "http://127.0.0.1:5000/exports/a.mp4"),
            ("other.mp4", "http://127.0.0.1:5000/api/events/1-a/other.mp4"),
            ("HTTP://127.0.0.1:5000/x", "HTTP://127.0.0.1:5000/x"),
        ];
        for (location, expected) in cases {
            assert_eq!(target(&origin(), FROM, location).as_deref(), Ok(expected), "{location}");
        }
    }

    #[test]
    fn the_default_port_matches_an_explicit_one() {
        let origin = Origin::of("http://Frigate").unwrap();
        assert_eq!(
            target(&origin, "http://frigate/api/x", "http://frigate:80/y").as_deref(),
            Ok("http://frigate:80/y")
        );
    }

    #[test]
    fn another_host_port_or_scheme_is_refused_with_both_origins_named() {
        for location in [
            "http://localhost:5000/exports/a.mp4",
            "http://127.0.0.1:5001/exports/a.mp4",
            "https://127.0.0.1:5000/exports/a.mp4",
            "//evil.example/exports/a.mp4",
            "http://127.0.0.1:5000@evil.example/exports/a.mp4",
        ] {
            let reason = target(&origin(), FROM, location).unwrap_err();
            assert!(reason.starts_with("redirect to "), "{reason}");
            assert!(
                reason.ends_with("only http://127.0.0.1:5000 (network.frigate_url) is followed"),
                "{reason}"
            );
        }
        assert_eq!(
            target(&origin(), FROM, "http://localhost:5000/x").unwrap_err(),
            "redirect to http://localhost:5000 refused: only http://127.0.0.1:5000 (network.frigate_url) is followed"
        );
    }

    #[test]
    fn a_non_http_target_is_refused() {
        let reason = target(&origin(), FROM, "file:///etc/passwd").unwrap_err();
        assert_eq!(reason, "redirect to \"file:///etc/passwd\" refused: not an http(s) URL");
    }
}
