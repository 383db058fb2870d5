//! A signed-in HTTP client for the API tests, and key material in the key-transfer format.

use std::sync::{Mutex, OnceLock};

use axum::http::{HeaderMap, Method, StatusCode, header};
use getrandom::{SysRng, rand_core::UnwrapErr};
use serde_json::Value;
use shared::crypto::{self, KeyTransfer};
use tower::ServiceExt;

use crate::{TestServer, offline::Mirror};

/// The header that marks a state-changing request as a client's own (see the server's CSRF rule).
pub const REQUEST_HEADER: &str = "x-keyblade-request";

/// A signed-in client of one server. Requests go to the application in process
/// (`tower::ServiceExt::oneshot`, as axum's testing example does), with the session cookie kept
/// here; [`Api::raw`] goes over the socket, for malformed requests where HTTP itself is the point.
pub struct Api {
    router: axum::Router,
    /// The session cookie (`name=value`), once signed in.
    cookie: Mutex<Option<String>>,
    http: reqwest::Client,
    base: String,
    /// Offline-mode tests: the browser world this server's world mirrors.
    mirror: Option<Mirror>,
}

/// A response: status, headers and the JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Api {
    /// A client without a session.
    pub fn anonymous(server: &TestServer) -> Self {
        let http = reqwest::Client::new();
        Self {
            router: server.router.clone(),
            cookie: Mutex::default(),
            http,
            base: server.url("/api"),
            mirror: None,
        }
    }

    /// Keeps the server's world and an offline demo's world the same around every request.
    pub fn mirrored(self, mirror: Mirror) -> Self {
        Self { mirror: Some(mirror), ..self }
    }

    /// A client signed in as `admin`.
    pub async fn signed_in(server: &TestServer) -> Self {
        let api = Self::anonymous(server);
        let reply = api.sign_in("admin", backend::LOCAL_ADMIN_PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "sign-in failed: {:?}", reply.body);
        api
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Reply {
        self.post("/session", &serde_json::json!({ "username": username, "password": password })).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), None).await
    }

    pub async fn post_empty(&self, path: &str) -> Reply {
        self.send(Method::POST, path, None, None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body), None).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, Some(body), None).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, None).await
    }

    /// Any request; `if_match` sends `If-Match: "<version>"`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<u64>,
    ) -> Reply {
        let mut request = axum::http::Request::builder()
            .method(method)
            .uri(format!("/api{path}"))
            .header(REQUEST_HEADER, "tests");
        if let Some(cookie) = self.cookie.lock().unwrap_or_else(|p| p.into_inner()).as_deref() {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(version) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{version}\""));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                axum::body::Body::from(body.to_string())
            }
            None => axum::body::Body::empty(),
        };
        if let Some(mirror) = &self.mirror {
            mirror.pull().await;
        }
        let request = request.body(body).expect("a request");
        let response = self.router.clone().oneshot(request).await.expect("the application answers");
        if let Some(cookie) = response.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()) {
            let pair = cookie.split(';').next().unwrap_or_default().to_owned();
            *self.cookie.lock().unwrap_or_else(|p| p.into_inner()) = Some(pair);
        }
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("a response body");
        let reply = Reply::parse(parts.status, parts.headers, &bytes);
        if let Some(mirror) = &self.mirror {
            mirror.push().await;
        }
        reply
    }

    /// A raw request builder, for malformed requests.
    pub fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request =
            self.http.request(method, format!("{}{path}", self.base)).header(REQUEST_HEADER, "tests");
        match self.cookie.lock().unwrap_or_else(|p| p.into_inner()).as_deref() {
            Some(cookie) => request.header(header::COOKIE, cookie),
            None => request,
        }
    }
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a response body");
        Self::parse(status, headers, &bytes)
    }

    fn parse(status: StatusCode, headers: HeaderMap, bytes: &[u8]) -> Self {
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(bytes)))
        };
        Self { status, headers, body }
    }

    /// The body of a successful reply; fails the test with the error otherwise.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "expected success, got {}: {}", self.status, self.body);
        self.body
    }

    /// Asserts an error envelope with this status and code; returns the error object.
    #[track_caller]
    pub fn error(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        assert_envelope(&self.body);
        assert_eq!(self.body["error"]["code"], code, "unexpected code: {}", self.body);
        self.body["error"].clone()
    }

    /// The `ETag` as an order version.
    #[track_caller]
    pub fn etag_version(&self) -> u64 {
        let tag = self.headers.get("etag").and_then(|v| v.to_str().ok()).expect("an ETag header");
        tag.trim_matches('"').parse().expect("a numeric ETag")
    }
}

/// Every failure has `{"error": {code, message, recoverable, remediation, fix}}`.
#[track_caller]
pub fn assert_envelope(body: &Value) {
    let error = &body["error"];
    assert!(error["code"].is_string(), "no code in {body}");
    assert!(error["message"].is_string(), "no message in {body}");
    assert!(error["recoverable"].is_boolean(), "no recoverable in {body}");
    assert!(error["remediation"].is_array(), "no remediation in {body}");
    assert!(error.get("fix").is_some(), "no fix in {body}");
}

/// One RSA-2048 key per test binary (PKCS#8 DER): generating keys is slow.
pub fn test_key_pkcs8() -> &'static [u8] {
    static KEY: OnceLock<Vec<u8>> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = crypto::generate_rsa(2048, &mut rng()).expect("an RSA key");
        crypto::private_key_to_pkcs8(&key).expect("PKCS#8 DER").to_vec()
    })
}

/// Wraps a PKCS#8 key for a vault's import key (what the browser does).
pub fn transfer(import_key_spki_b64: &str, pkcs8: &[u8]) -> KeyTransfer {
    crypto::wrap_for_transfer(import_key_spki_b64, pkcs8, &mut rng()).expect("a key-transfer blob")
}

/// A P-256 key, to produce the "key type not supported" state.
pub fn ec_key_pkcs8() -> Vec<u8> {
    crypto::ec_p256_pkcs8(&mut rng()).to_vec()
}

pub fn rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}
