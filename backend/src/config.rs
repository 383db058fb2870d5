use std::{net::SocketAddr, path::PathBuf};

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
    /// Directory holding the built portal (the output of `trunk build`).
    #[arg(long, env = "KEYBLADE_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Log filter, in `tracing` env-filter syntax.
    #[arg(long, env = "KEYBLADE_LOG", default_value = "info,tower_http=info")]
    pub log: String,
}

impl Config {
    /// A configuration for tests and tools: the given directories, any free port on 127.0.0.1.
    pub fn local(data_dir: PathBuf, dist: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            dist,
            log: "warn".into(),
        }
    }
}
