use std::{convert::Infallible, fmt, net::SocketAddr, path::PathBuf, str::FromStr};

use clap::parser::ValueSource;

/// The admin password [`Config::local`] sets, so tests and tools can sign in without racing on
/// environment variables.
pub const LOCAL_ADMIN_PASSWORD: &str = "keyblade-local-admin";

/// Server configuration: every flag can also come from a `KEYBLADE_*` environment variable.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "keyblade", about = "Keyblade: the encryption-settings portal server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "KEYBLADE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory for the database and the master key.
    #[arg(long, env = "KEYBLADE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Directory holding the built portal (the output of `cargo xtask build`).
    #[arg(long, env = "KEYBLADE_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Log filter, in `tracing` env-filter syntax.
    #[arg(long, env = "KEYBLADE_LOG", default_value = "info,tower_http=info")]
    pub log: String,
    /// Database URL; defaults to the SQLite file `keyblade.db` in the data directory. A URL
    /// with a password belongs in `KEYBLADE_DATABASE_URL` or `--database-url-file`: on the
    /// command line it would show in `ps`, so it is refused there.
    #[arg(long, env = "KEYBLADE_DATABASE_URL", conflicts_with = "database_url_file")]
    pub database_url: Option<String>,
    /// A file holding the database URL (one line), for URLs with a password.
    #[arg(long, env = "KEYBLADE_DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,
    /// Password of the `admin` account, from `KEYBLADE_ADMIN_PASSWORD` only (a flag would show in
    /// `ps`). Set, it (re)sets the password at start; unset, a password is generated at first
    /// start and written to `admin-password` (mode 0600) in the data directory.
    #[arg(skip = secret_from_env("KEYBLADE_ADMIN_PASSWORD"))]
    pub admin_password: Option<Secret>,
    /// The 32-byte master key, base64, from `KEYBLADE_MASTER_KEY` only (a flag would show in
    /// `ps`). Unset, it lives in `master.key` in the data directory (created with mode 0600 at
    /// first start).
    #[arg(skip = secret_from_env("KEYBLADE_MASTER_KEY"))]
    pub master_key: Option<Secret>,
    /// Let clients move the engine's clock forward (`POST /api/clock`), for tests and rehearsals.
    /// Moving the clock ends retention periods early, so never on data that matters.
    #[arg(long, env = "KEYBLADE_TEST_CLOCK", num_args = 0..=1, default_missing_value = "true", value_parser = truthy())]
    pub test_clock: bool,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "KEYBLADE_TLS_CERT", requires = "tls_key", conflicts_with = "tls_self_signed")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "KEYBLADE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate generated at start, signed by a local certificate authority
    /// whose certificate (`tls/ca.pem` in the data directory) clients can trust.
    #[arg(long, env = "KEYBLADE_TLS_SELF_SIGNED", num_args = 0..=1, default_missing_value = "true", value_parser = truthy())]
    pub tls_self_signed: bool,
    /// Seconds a client has to send a request's headers; also how long a connection may sit idle
    /// between requests.
    #[arg(long, env = "KEYBLADE_HEADER_READ_TIMEOUT", default_value = "15", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,
    /// Seconds from a request's headers to its answer, its body included, on every surface.
    #[arg(long, env = "KEYBLADE_REQUEST_TIMEOUT", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Most connections served at once; more are closed as they arrive.
    #[arg(long, env = "KEYBLADE_MAX_CONNECTIONS", default_value = "512", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_connections: u64,
    /// Most connections served at once for one client address, so one client cannot take them
    /// all.
    #[arg(long, env = "KEYBLADE_MAX_CONNECTIONS_PER_CLIENT", default_value = "64", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_connections_per_client: u64,
}

impl Config {
    /// A configuration for tests and tools: the given directories, any free port on 127.0.0.1,
    /// the admin password [`LOCAL_ADMIN_PASSWORD`] and a master key file in `data_dir`.
    pub fn local(data_dir: PathBuf, dist: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            dist,
            log: "warn".into(),
            database_url: None,
            database_url_file: None,
            admin_password: Some(Secret::from(LOCAL_ADMIN_PASSWORD)),
            master_key: None,
            test_clock: true,
            tls_cert: None,
            tls_key: None,
            tls_self_signed: false,
            header_read_timeout: 15,
            request_timeout: 30,
            max_connections: 512,
            max_connections_per_client: 64,
        }
    }

    /// The configuration from the command line and the environment, refusing a database
    /// password given on the command line (where every user of the machine can read it).
    pub fn from_command_line() -> Result<Self, clap::Error> {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().try_get_matches()?;
        let config = Self::from_arg_matches(&matches)?;
        let on_command_line = matches.value_source("database_url") == Some(ValueSource::CommandLine);
        if on_command_line && config.database_url.as_deref().is_some_and(has_password) {
            return Err(Self::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                "--database-url holds a password, which `ps` shows to every user of this machine; \
                 set KEYBLADE_DATABASE_URL or --database-url-file instead",
            ));
        }
        Ok(config)
    }

    /// The database to open: the configured URL (or the one in the URL file), else the SQLite
    /// file in the data directory.
    pub fn database_url(&self) -> std::io::Result<String> {
        if let Some(file) = &self.database_url_file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                std::io::Error::new(e.kind(), format!("the database URL file {}: {e}", file.display()))
            })?;
            return Ok(text.trim().to_owned());
        }
        Ok(self
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("keyblade.db").display())))
    }
}

/// Whether a database URL carries a password (`scheme://user:password@host/...`).
fn has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.rsplit_once('@').is_some_and(|(credentials, _)| credentials.contains(':'))
}

/// A switch's value: the spellings people use for yes and no (`1`, `yes`, `on`, `true`; `0`,
/// `no`, `off`, `false`), in any case.
fn truthy() -> clap::builder::BoolishValueParser {
    clap::builder::BoolishValueParser::new()
}

/// A secret from the environment, if set and not empty.
fn secret_from_env(name: &str) -> Option<Secret> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).map(|v| Secret::from(v.as_str()))
}

/// A configuration value that must never reach a log: `Debug` prints a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(value: &str) -> Result<Self, Infallible> {
        Ok(Self::from(value))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}
