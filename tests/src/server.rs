use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use backend::{Config, Server};
use tempfile::TempDir;
use tokio::{sync::oneshot, task::JoinHandle};

/// A running Keyblade server on a free 127.0.0.1 port, stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port`, or `https://` under TLS.
    base: String,
    /// The same application in process: API tests call it without a socket.
    pub router: axum::Router,
    /// The database the server stores its world in.
    pub database_url: String,
    data_dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        Self::start_in(data_dir).await
    }

    /// Starts a server over an existing data directory (used to test restarts).
    pub async fn start_in(data_dir: TempDir) -> Self {
        Self::start_with(data_dir, dist()).await
    }

    /// A server for API tests, which need no portal build.
    pub async fn start_api() -> Self {
        let data_dir = tempfile::tempdir().expect("a temporary data directory");
        Self::start_api_in(data_dir).await
    }

    /// [`TestServer::start_api`] over an existing data directory (used to test restarts).
    pub async fn start_api_in(data_dir: TempDir) -> Self {
        let no_portal = data_dir.path().join("no-portal");
        Self::start_with(data_dir, no_portal).await
    }

    async fn start_with(data_dir: TempDir, dist: PathBuf) -> Self {
        let config = Config::local(data_dir.path().to_path_buf(), dist);
        Self::start_with_config(data_dir, config).await
    }

    /// A server over `data_dir` with a configuration of the test's own.
    pub async fn start_with_config(data_dir: TempDir, mut config: Config) -> Self {
        if config.database_url.is_none() {
            config.database_url = postgres_database(data_dir.path()).await;
        }
        let database_url = config.database_url().expect("the database URL");
        let server = Server::bind(&config).await.expect("the server binds to 127.0.0.1");
        let addr = server.local_addr().expect("a bound address");
        let base = server.url().expect("the server's URL");
        let router = server.router();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Self { addr, base, router, database_url, data_dir, stop: Some(stop), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server gracefully and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        self.shutdown().await;
        let placeholder = tempfile::tempdir().expect("a temporary directory");
        std::mem::replace(&mut self.data_dir, placeholder)
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// With `KEYBLADE_TEST_STORE=postgres` (the PostgreSQL pass of `cargo xtask test`), a test
/// server stores its world in a database of its own on the PostgreSQL server that
/// `KEYBLADE_TEST_POSTGRES` names, created at its first start and remembered in its data
/// directory so that a restart finds it again. Otherwise `None`: the SQLite file.
async fn postgres_database(data_dir: &Path) -> Option<String> {
    if std::env::var("KEYBLADE_TEST_STORE").ok()? != "postgres" {
        return None;
    }
    let remembered = data_dir.join("test-database.url");
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Some(url);
    }
    let url = new_postgres_database();
    std::fs::write(&remembered, &url).expect("the database's URL written to the data directory");
    Some(url)
}

/// The URL of a new database on the PostgreSQL server `KEYBLADE_TEST_POSTGRES` names
/// (`postgres://user@host:port`); Keyblade creates it when it first connects.
pub fn new_postgres_database() -> String {
    let server = std::env::var("KEYBLADE_TEST_POSTGRES").expect(
        "KEYBLADE_TEST_POSTGRES must name a PostgreSQL server (postgres://user@host:port); \
         `cargo xtask test` starts one",
    );
    format!("{server}/keyblade_{}", shared::crypto::random_hex(&mut crate::rng(), 8))
}

/// The built portal. The end-to-end tests need it; `cargo xtask test` builds it first.
pub fn dist() -> PathBuf {
    let dist = std::env::var_os("KEYBLADE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    assert!(
        dist.join("index.html").exists(),
        "the portal is not built at {} — run the tests with `cargo xtask test`",
        dist.display()
    );
    dist
}
