//! Keyblade's server. Thin by design: it authenticates, loads entities, calls the `shared`
//! engine and stores the result. Every rule lives in `shared`.

mod config;
mod health;
mod spa;

use std::{net::SocketAddr, time::Duration};

use axum::Router;
use tokio::net::TcpListener;
use tower_http::{
    compression::CompressionLayer, limit::RequestBodyLimitLayer, timeout::TimeoutLayer,
    trace::TraceLayer,
};

pub use config::Config;

/// Largest request body the API accepts; key-transfer blobs for RSA-4096 are a few KB.
const BODY_LIMIT: usize = 64 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Shared state handed to every handler.
#[derive(Clone)]
pub struct AppState {}

/// The whole application as a router, so tests can drive it without a socket.
pub fn app(state: AppState, config: &Config) -> Router {
    let api = Router::new().merge(health::routes()).with_state(state);
    Router::new()
        .nest("/api", api)
        .fallback_service(spa::service(&config.dist))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::new(REQUEST_TIMEOUT))
        .layer(TraceLayer::new_for_http())
}

/// A server bound to its socket, ready to run.
pub struct Server {
    listener: TcpListener,
    router: Router,
}

impl Server {
    pub async fn bind(config: &Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        let router = app(AppState {}, config);
        Ok(Self { listener, router })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Binds, prints the URL and serves until Ctrl-C.
pub async fn serve(config: Config) -> std::io::Result<()> {
    let server = Server::bind(&config).await?;
    println!("Keyblade is running at http://{}", server.local_addr()?);
    server.run(ctrl_c()).await?;
    println!("Keyblade stopped.");
    Ok(())
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}
