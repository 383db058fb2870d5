//! Security headers on every response, the portal's and the API's: a content security policy
//! that allows only this origin's scripts (and the one inline bootstrap script `cargo xtask build` writes into
//! `index.html`, by its hash), no MIME sniffing, no referrer, no framing, and HSTS under TLS.

use std::path::Path;

use axum::{
    extract::State,
    http::{HeaderName, HeaderValue, header},
    response::Response,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

/// The headers, computed once at start.
#[derive(Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    /// The headers for the portal in `dist`, served over TLS or not.
    pub fn new(dist: &Path, tls: bool) -> Self {
        let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
        let scripts: String = inline_scripts(&index).map(|s| format!(" 'sha256-{}'", hash(s))).collect();
        // `wasm-unsafe-eval` lets the page compile WebAssembly, nothing else; workers load
        // from this origin only.
        let csp = format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; worker-src 'self'; object-src 'none'; \
             base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        );
        let mut headers = vec![
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
        ];
        if let Ok(csp) = HeaderValue::from_str(&csp) {
            headers.push((header::CONTENT_SECURITY_POLICY, csp));
        }
        if tls {
            headers.push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000")));
        }
        Self { headers }
    }
}

/// Adds the headers to a response (keeping any a handler chose itself).
pub async fn add(State(security): State<SecurityHeaders>, mut response: Response) -> Response {
    for (name, value) in &security.headers {
        if !response.headers().contains_key(name) {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// The contents of every `<script>` element without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, rest) = rest.split_once('>')?;
        let (body, _) = rest.split_once("</script>")?;
        (!attributes.contains("src=")).then_some(body)
    })
}

fn hash(script: &str) -> String {
    STANDARD.encode(Sha256::digest(script.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inline_scripts_are_hashed_exactly_as_written() {
        let html = "<head><script type=\"module\">\nboot();\n</script><script src=\"/a.js\"></script></head>";
        let scripts: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(scripts, ["\nboot();\n"]);
        // The value browsers compute for the same text.
        assert_eq!(hash("alert(1)"), "bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=");
    }
}
