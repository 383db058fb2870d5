//! The `keyblade` server as its own process (so its CPU and memory are its own), on a free
//! 127.0.0.1 port with a fresh data directory and the seeded demo.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use tempfile::TempDir;

/// `sysconf(_SC_CLK_TCK)` on Linux (USER_HZ, fixed at 100 for user space).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

pub const ADMIN_PASSWORD: &str = "keyblade-bench-admin";

/// What replicas of one deployment share: the database and the master key. The default is a
/// server of its own (the SQLite file and `master.key` in its data directory).
#[derive(Default)]
pub struct Replica {
    pub database_url: Option<String>,
    pub master_key: Option<String>,
}

pub struct Server {
    pub base: String,
    child: Child,
    _data: TempDir,
    /// How the server was started, to start it again on the same data.
    command: Command,
}

impl Server {
    pub async fn start(binary: &Path, dist: &Path) -> Server {
        Server::start_replica(binary, dist, &Replica::default()).await
    }

    /// A server over `replica`'s database and master key, with a data directory of its own.
    pub async fn start_replica(binary: &Path, dist: &Path, replica: &Replica) -> Server {
        let data = tempfile::tempdir().expect("a data directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut command = Command::new(binary);
        command
            .env("KEYBLADE_ADDR", format!("127.0.0.1:{port}"))
            .env("KEYBLADE_DATA_DIR", data.path())
            .env("KEYBLADE_DIST", dist)
            .env("KEYBLADE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = &replica.database_url {
            command.env("KEYBLADE_DATABASE_URL", url);
        }
        if let Some(key) = &replica.master_key {
            command.env("KEYBLADE_MASTER_KEY", key);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let server = Server { base: format!("http://127.0.0.1:{port}"), child, _data: data, command };
        server.wait_until_up().await;
        server
    }

    async fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while reqwest::get(self.url("/api/health")).await.is_err() {
            assert!(Instant::now() < deadline, "the server did not answer /api/health within 60 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and starts it again on the same data; how long until it answered.
    pub async fn restart(&mut self) -> Duration {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let started = Instant::now();
        self.child = self.command.spawn().expect("the server starts again");
        self.wait_until_up().await;
        started.elapsed()
    }

    pub fn data_dir(&self) -> &Path {
        self._data.path()
    }

    /// The server's SQLite database, for suites that arrange data directly.
    pub fn database_url(&self) -> String {
        format!("sqlite://{}", self._data.path().join("keyblade.db").display())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's resident memory (`VmRSS`) and its peak (`VmHWM`), in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// The CPU time the server process has used so far (user + system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(self.child.id())
    }

    /// A client signed in as `admin`.
    pub async fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-keyblade-request", reqwest::header::HeaderValue::from_static("bench"));
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .cookie_store(true)
            .pool_max_idle_per_host(64)
            .build()
            .expect("an HTTP client");
        let reply = client
            .post(self.url("/api/session"))
            .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
            .send()
            .await
            .expect("sign-in request");
        assert!(reply.status().is_success(), "sign-in failed: {}", reply.status());
        client
    }
}

/// The id of the seeded order.
pub async fn demo_order(server: &Server, client: &reqwest::Client) -> String {
    let orders: serde_json::Value =
        client.get(server.url("/api/orders")).send().await.expect("a reply").json().await.expect("JSON");
    orders[0]["id"].as_str().expect("a seeded order").to_string()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) that process `pid` has used.
pub fn cpu_seconds_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) end with `)`.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the command name.
    (ticks(11) + ticks(12)) / CLOCK_TICKS_PER_SECOND
}
