//! Serving connections, the same way for every surface: accepts TCP connections (at most a
//! configured number at once, and fewer from any one client address; more are closed straight
//! away), completes the TLS handshake when TLS is on, and serves HTTP/1.1 with a header-read
//! timeout that also ends connections left idle between requests, and a deadline for each
//! request, its body included. Shutdown stops accepting, lets requests in flight finish (for a
//! bounded time), then returns.

use std::{
    collections::HashMap,
    io,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::ConnectInfo,
    http::{HeaderValue, StatusCode, header},
    response::IntoResponse,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpListener,
    sync::Semaphore,
};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::error::AppError;

/// How long requests in flight may take to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(10);

/// What a connection may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time to send a request's headers, from the connection's start or the previous response.
    pub header_read_timeout: Duration,
    /// Time from a request's headers to its answer, the body's arrival included.
    pub request_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections served at once for one client address.
    pub max_connections_per_client: usize,
}

/// The connections each client address holds open.
#[derive(Default)]
struct Budget {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One client's place in the [`Budget`], given back when the connection ends.
struct Place {
    budget: Arc<Budget>,
    ip: IpAddr,
}

impl Budget {
    fn take(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<Place> {
        let mut open = self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let held = open.entry(ip).or_default();
        if *held >= limit {
            return None;
        }
        *held += 1;
        Some(Place { budget: self.clone(), ip })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.budget.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(held) = open.get_mut(&self.ip) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listeners` until `shutdown` completes.
pub async fn serve(
    listeners: Vec<TcpListener>,
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let budget = Arc::new(Budget::default());
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let (accepted, mut incoming) = tokio::sync::mpsc::channel(64);
    let acceptors: Vec<_> =
        listeners.into_iter().map(|listener| tokio::spawn(accept(listener, accepted.clone()))).collect();
    drop(accepted);
    loop {
        let (stream, peer) = tokio::select! {
            next = incoming.recv() => match next {
                Some(connection) => connection,
                None => break,
            },
            () = &mut shutdown => break,
        };
        let Some(place) = budget.take(peer.ip(), limits.max_connections_per_client) else {
            tracing::debug!(%peer, limit = limits.max_connections_per_client, "connection refused: too many from this client");
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = limits.max_connections, "connection refused: too many open connections");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, tls, watcher) = (router.clone(), tls.clone(), graceful.watcher());
        tokio::spawn(async move {
            let served = match tls {
                None => connection(stream, peer, router, limits, watcher).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection(stream, peer, router, limits, watcher).await,
                        Ok(Err(error)) => Err(format!("TLS handshake: {error}")),
                        Err(_) => Err("TLS handshake timed out".to_owned()),
                    }
                }
            };
            if let Err(error) = served {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop((slot, place));
        });
    }
    for acceptor in acceptors {
        acceptor.abort();
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// Accepts connections on one listener and hands them on, until nobody takes them.
async fn accept(
    listener: TcpListener,
    accepted: tokio::sync::mpsc::Sender<(tokio::net::TcpStream, SocketAddr)>,
) {
    loop {
        match listener.accept().await {
            Ok(connection) => {
                if accepted.send(connection).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The answer to a request (its body, most often) that did not arrive in time; the connection
/// is closed after it.
fn too_slow(limit: Duration) -> axum::response::Response {
    let message = format!("The request did not arrive within {} seconds.", limit.as_secs());
    let mut response = AppError::Request { status: StatusCode::REQUEST_TIMEOUT, message }.into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Serves one connection's requests, each with the peer's address (`ConnectInfo`).
async fn connection<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    stream: S,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    watcher: hyper_util::server::graceful::Watcher,
) -> Result<(), String> {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let answer = router.clone().oneshot(request);
        async move {
            match tokio::time::timeout(limits.request_timeout, answer).await {
                Ok(answer) => answer,
                Err(_) => Ok(too_slow(limits.request_timeout)),
            }
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    watcher.watch(connection).await.map_err(|e| e.to_string())
}
