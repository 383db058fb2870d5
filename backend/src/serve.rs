//! Serving connections: accepts TCP connections (at most a configured number at once; more are
//! closed straight away), completes the TLS handshake when TLS is on, and serves HTTP/1.1 with a
//! header-read timeout that also ends connections left idle between requests. Shutdown stops
//! accepting, lets requests in flight finish (for a bounded time), then returns.

use std::{io, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::ConnectInfo};
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

/// How long requests in flight may take to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(10);

/// What a connection may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time to send a request's headers, from the connection's start or the previous response.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
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
            drop(slot);
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
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    watcher.watch(connection).await.map_err(|e| e.to_string())
}
