//! The transport: HTTPS with a generated certificate from a local CA (and the session cookie it
//! calls for), security headers on every response, and connections that cannot be held open
//! forever or in unbounded numbers.

use std::time::{Duration, Instant};

use keyblade_tests::TestServer;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn config(dir: &tempfile::TempDir) -> backend::Config {
    backend::Config::local(dir.path().to_path_buf(), dir.path().join("no-portal"))
}

fn https_client(ca_pem: &[u8]) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(ca_pem).expect("the CA certificate");
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .tls_built_in_root_certs(false)
        .build()
        .expect("an HTTPS client")
}

#[tokio::test]
async fn https_with_a_generated_certificate_secure_cookies_and_security_headers() {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut tls = config(&dir);
    tls.tls_self_signed = true;
    let server = TestServer::start_with_config(dir, tls).await;
    assert!(server.url("").starts_with("https://127.0.0.1:"));
    let ca_file = server.data_dir().join("tls/ca.pem");
    let ca = std::fs::read(&ca_file).expect("the CA certificate is written for clients");
    let http = https_client(&ca);

    let signed_in = http
        .post(server.url("/api/session"))
        .json(&json!({ "username": "admin", "password": backend::LOCAL_ADMIN_PASSWORD }))
        .send()
        .await
        .expect("sign-in over HTTPS");
    assert_eq!(signed_in.status(), 200);
    let cookie = signed_in.headers()["set-cookie"].to_str().expect("a cookie").to_owned();
    assert!(cookie.starts_with("__Host-keyblade_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/;"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value").to_owned();
    let session =
        http.get(server.url("/api/session")).header("cookie", &pair).send().await.expect("an answer");
    assert_eq!(session.status(), 200);
    // The plain-HTTP cookie name means nothing here: a page over HTTP cannot plant a session.
    let token = pair.split_once('=').expect("a token").1;
    let plain = http
        .get(server.url("/api/session"))
        .header("cookie", format!("keyblade_session={token}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(plain.status(), 401);

    let headers = session.headers();
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let csp = headers["content-security-policy"].to_str().expect("a policy");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");

    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::get(format!("http://{}/api/health", server.addr)).await;
    assert!(plain.is_err() || plain.is_ok_and(|r| !r.status().is_success()));

    // A restart keeps the CA, so clients configured once keep trusting Keyblade.
    let dir = server.stop().await;
    let mut again = config(&dir);
    again.tls_self_signed = true;
    let server = TestServer::start_with_config(dir, again).await;
    assert_eq!(std::fs::read(&ca_file).ok(), Some(ca.clone()));
    let health = http.get(server.url("/api/health")).send().await.expect("HTTPS after a restart");
    assert!(health.status().is_success());
}

#[tokio::test]
async fn plain_http_has_the_security_headers_but_no_hsts() {
    let server = TestServer::start_api().await;
    let reply = reqwest::get(server.url("/api/health")).await.expect("an answer");
    assert_eq!(reply.headers()["x-frame-options"], "DENY");
    assert!(reply.headers().contains_key("content-security-policy"));
    assert!(!reply.headers().contains_key("strict-transport-security"));
}

/// Waits for the server to close `stream`; returns how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the server kept the connection open for {limit:?}"),
        }
    }
}

#[tokio::test]
async fn slow_idle_and_surplus_connections_are_closed() {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut limited = config(&dir);
    limited.header_read_timeout = 1;
    limited.max_connections = 2;
    let server = TestServer::start_with_config(dir, limited).await;
    let limit = Duration::from_secs(5);

    // Silent after connecting; a header that never ends (slowloris).
    let mut silent = TcpStream::connect(server.addr).await.expect("a connection");
    let mut slow = TcpStream::connect(server.addr).await.expect("a connection");
    slow.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n").await.expect("part of a header");
    // Both slots are taken: a third connection is closed at once.
    let mut surplus = TcpStream::connect(server.addr).await.expect("a connection");
    assert!(closed_within(&mut surplus, limit).await < Duration::from_millis(900));
    assert!(closed_within(&mut silent, limit).await >= Duration::from_millis(900));
    closed_within(&mut slow, limit).await;

    // Idle after a complete exchange: the connection ends too.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut idle = TcpStream::connect(server.addr).await.expect("a connection once slots are free");
    idle.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("a request");
    let mut answer = [0u8; 12];
    idle.read_exact(&mut answer).await.expect("an answer");
    assert_eq!(&answer, b"HTTP/1.1 200");
    closed_within(&mut idle, limit).await;
}

/// A connection from `source` (any 127.x address) to the server.
async fn connect_from(source: [u8; 4], server: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(std::net::SocketAddr::from((source, 0)))?;
    socket.connect(server).await
}

/// Whether a plain `GET /api/health` from `source` is answered.
async fn health_answered_from(source: [u8; 4], server: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = connect_from(source, server).await else { return false };
    if stream.write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.is_err() {
        return false;
    }
    let mut answer = [0u8; 12];
    matches!(tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut answer)).await, Ok(Ok(_)))
        && &answer == b"HTTP/1.1 200"
}

/// A POST to `path` from 127.0.0.1 whose headers promise a body that never comes.
async fn slow_body(server: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut stream = connect_from([127, 0, 0, 1], server).await.expect("a connection");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.expect("the headers");
    stream
}

/// Everything the server sends on `stream` until it closes it (within `limit`).
async fn answer_of(mut stream: TcpStream, limit: Duration) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was kept open for {limit:?}");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn slow_bodies_end_on_every_surface_and_one_client_cannot_take_every_connection() {
    let dir = tempfile::tempdir().expect("a data directory");
    let mut limited = config(&dir);
    // Long enough that the four slow bodies are surely still held when the fifth connects,
    // however busy the machine.
    limited.request_timeout = 4;
    limited.max_connections = 12;
    limited.max_connections_per_client = 4;
    let server = TestServer::start_with_config(dir, limited).await;
    let limit = Duration::from_secs(20);

    // Headers sent whole, then a body that never comes, on each surface that reads one (the
    // token endpoint twice: Key Protect's API checks its token before any body, below).
    let mut slow = Vec::new();
    for path in ["/identity/token", "/json-rpc/v1", "/api/session", "/identity/token"] {
        slow.push((path, slow_body(server.addr, path).await));
    }
    // This client holds its four: a fifth from it is closed at once, while another client
    // is still served.
    let mut fifth = connect_from([127, 0, 0, 1], server.addr).await.expect("a connection");
    assert!(
        closed_within(&mut fifth, limit).await < Duration::from_millis(900),
        "a fifth connection was kept"
    );
    assert!(health_answered_from([127, 0, 0, 2], server.addr).await, "another client was not served");
    for (path, stream) in slow {
        assert!(answer_of(stream, limit).await.starts_with("HTTP/1.1 408"), "{path}");
    }
    // A surface that refuses before reading the body does not wait for it either.
    let refused = answer_of(slow_body(server.addr, "/api/v2/keys").await, limit).await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
}
