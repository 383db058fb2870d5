//! Keyblade's server. Thin by design: it authenticates, loads entities, calls the `shared`
//! engine and stores the result. Every rule lives in `shared`.

mod accounts;
mod api;
mod at_rest;
mod auth;
mod clock;
mod config;
mod device_cookie;
mod error;
mod extract;
mod gateway;
mod headers;
mod health;
mod key_providers;
mod master_key;
#[cfg(test)]
mod parity;
mod placement;
mod runner;
mod seed;
mod serve;
mod service;
mod session;
mod spa;
mod state;
mod store;
mod surfaces;
mod throttle;
mod tls;

use std::{io, net::SocketAddr, path::Path};

use axum::Router;
use tokio::net::TcpListener;
use tower_http::{
    compression::{
        CompressionLayer,
        predicate::{NotForContentType, Predicate, SizeAbove},
    },
    trace::TraceLayer,
};

use surfaces::{azure, element, keyprotect};

pub use auth::hash_token;
pub use config::{Config, LOCAL_ADMIN_PASSWORD, Secret};
pub use state::AppState;
/// The persistence layer, for black-box tests that mirror a world in and out of a server's
/// database (the offline-mode end-to-end tests).
pub use store::{Store, StoreError};

/// The whole application as a router (`/api` plus the built portal), so it can also be driven
/// without a socket.
pub fn app(state: AppState, dist: &Path) -> Router {
    let security = headers::SecurityHeaders::new(dist, state.is_tls());
    let gateway = gateway::Gateway::new(state.clone());
    let surfaces = azure::Surfaces::new(gateway.clone());
    Router::new()
        .nest("/api/v2", keyprotect::router(gateway.clone()))
        .merge(azure::token_router(gateway.clone()))
        .merge(keyprotect::token_router(gateway.clone()))
        .merge(element::router(gateway))
        .nest("/api", api::router(state))
        .fallback_service(spa::service(dist))
        .layer(axum::middleware::from_fn_with_state(surfaces, azure::route))
        .layer(axum::middleware::from_fn(one_request))
        .layer(axum::middleware::map_response_with_state(security, headers::add))
        .layer(CompressionLayer::new().compress_when(worth_compressing()))
        .layer(TraceLayer::new_for_http())
}

/// Which answers are compressed: those of at least 1 KiB (tower-http's own exclusions kept). Every
/// SDK and browser accepts gzip, and compressing a short JSON answer costs the server more than
/// the sending it saves: a new encoder for each, for a few dozen bytes at most. Measured on a
/// Key Vault unwrap (about 400 bytes): 30 µs more server CPU per request, and 4x fewer
/// `/api/health` answers per second.
fn worth_compressing() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
}

/// Every surface's request loads the world as of its arrival, however often it looks.
async fn one_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    store::in_request(next.run(request)).await
}

/// Checks the audit trail at start, beside serving (a long trail takes a while to read): a
/// trail cut short, added to or edited outside Keyblade is reported on the terminal (and by
/// every audit page), not hidden until someone looks.
fn report_audit_chain(store: Store, master: shared::crypto::MasterKey) {
    tokio::spawn(async move {
        match store.check_audit_chain(&master).await {
            Ok(chain) => {
                if let Some(problem) = chain.problem {
                    eprintln!("keyblade: the audit trail failed its integrity check: {problem}");
                    tracing::error!(%problem, "the audit trail failed its integrity check");
                }
            }
            Err(error) => tracing::error!(%error, "the audit trail could not be checked"),
        }
    });
}

/// A server bound to its socket, with its data directory opened, migrated and seeded.
pub struct Server {
    listener: TcpListener,
    /// The key vaults' data-plane addresses (127.0.0.N on the same port), under TLS on loopback.
    vault_listeners: Vec<TcpListener>,
    router: Router,
    store: Store,
    runner: tokio::task::JoinHandle<()>,
    tls: Option<tls::Tls>,
    limits: serve::Limits,
}

impl Server {
    /// Prepares everything a request needs: the data directory, the master key, the database
    /// (migrated, checked against the master key, seeded on first start) and the admin account.
    pub async fn bind(config: &Config) -> io::Result<Self> {
        create_private_dir(&config.data_dir)?;
        let master = master_key::load(config)?;
        let store = Store::open(&config.database_url()?).await.map_err(io::Error::other)?;
        master_key::verify(&store, &master).await?;
        store.seal_audit_with(&master).await?;
        report_audit_chain(store.clone(), master.clone());
        auth::ensure_admin(&store, config).await.map_err(|e| io::Error::other(format!("{e:?}")))?;
        seed::seed_if_empty(&store, &master).await?;
        let providers = key_providers::HttpKeyProviders::new()?;
        at_rest::prepare(&store, &master, &providers).await?;
        seed::add_later_additions(&store, &master, &providers).await?;
        seed::grant_first_roles(&store).await?;
        let tls = tls::from_config(config)?;
        let listener = TcpListener::bind(config.addr).await?;
        let vault_listeners = match tls {
            Some(_) => bind_vault_addresses(listener.local_addr()?).await,
            None => Vec::new(),
        };
        let state = AppState::new(store.clone(), master, providers, config.test_clock, tls.is_some());
        let holder = runner::instance_id(&config.data_dir)?;
        let runner = tokio::spawn(runner::run(state.clone(), holder));
        let router = app(state, &config.dist);
        let limits = serve::Limits {
            header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout),
            request_timeout: std::time::Duration::from_secs(config.request_timeout),
            max_connections: usize::try_from(config.max_connections).unwrap_or(usize::MAX),
            max_connections_per_client: usize::try_from(config.max_connections_per_client)
                .unwrap_or(usize::MAX),
        };
        Ok(Self { listener, vault_listeners, router, store, runner, tls, limits })
    }

    /// The address clients use: `https://` under TLS.
    pub fn url(&self) -> io::Result<String> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        Ok(format!("{scheme}://{}", self.local_addr()?))
    }

    /// The certificate clients should trust, when Keyblade generated its own.
    pub fn ca_file(&self) -> Option<&Path> {
        self.tls.as_ref().and_then(|tls| tls.ca_file.as_deref())
    }

    /// The application, to drive in process (`tower::ServiceExt::oneshot`) next to the socket.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, finishes in-flight requests, then closes the database.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let acceptor = self.tls.map(|tls| tls.acceptor);
        let mut listeners = vec![self.listener];
        listeners.extend(self.vault_listeners);
        let served = serve::serve(listeners, self.router, acceptor, self.limits, shutdown).await;
        self.runner.abort();
        self.store.close().await;
        served
    }
}

/// When the server listens on 127.0.0.1, each vault's data plane gets its own origin on the same
/// port at 127.0.0.N (Linux routes all of 127.0.0.0/8 to the loopback interface; a listener on
/// 0.0.0.0 receives them all already). An address another program holds is skipped.
async fn bind_vault_addresses(main: SocketAddr) -> Vec<TcpListener> {
    if main.ip() != std::net::IpAddr::from([127, 0, 0, 1]) {
        return Vec::new();
    }
    let mut listeners = Vec::new();
    for n in shared::model::VAULT_ADDRESSES {
        match TcpListener::bind(SocketAddr::from(([127, 0, 0, n], main.port()))).await {
            Ok(listener) => listeners.push(listener),
            Err(error) => tracing::warn!(%error, address = n, "a vault's data-plane address is taken"),
        }
    }
    listeners
}

/// Creates the data directory readable by its owner only (an existing one is left as it is).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Binds, prints the URL and serves until Ctrl-C.
pub async fn serve(config: Config) -> io::Result<()> {
    let server = Server::bind(&config).await?;
    println!("Keyblade is running at {}", server.url()?);
    if let Some(ca) = server.ca_file() {
        println!("Its TLS certificate is signed by a local CA: trust {} in your clients", ca.display());
        println!("  (for example REQUESTS_CA_BUNDLE={} for Python SDKs built on requests).", ca.display());
    }
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
