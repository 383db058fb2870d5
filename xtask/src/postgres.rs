//! A throwaway PostgreSQL server for the tests and the benchmark: Debian's server installed when
//! missing, a new cluster initialised in a temporary directory, run by an unprivileged user on a
//! free loopback port, and stopped and removed when dropped.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{
    build::check,
    tools::{announce, is_root, sudo_if_needed},
};

/// The system user Debian's package creates; the server refuses to run as root.
const SERVICE_USER: &str = "postgres";

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    as_root: bool,
    /// `postgres://keyblade@127.0.0.1:port`, a superuser that needs no password on loopback.
    pub url: String,
}

impl Cluster {
    pub fn start() -> Result<Cluster, String> {
        let bin = ensure_server()?;
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let dir = std::env::temp_dir().join(format!("keyblade-pg-{port}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let as_root = is_root();
        if as_root {
            check(Command::new("chown").arg(format!("{SERVICE_USER}:")).arg(&dir))?;
        }
        let cluster = Cluster { bin, dir, as_root, url: format!("postgres://keyblade@127.0.0.1:{port}") };
        announce(&format!("starting a throwaway PostgreSQL server on 127.0.0.1:{port}"));
        let data = cluster.dir.join("data");
        check(cluster.command("initdb").arg("-D").arg(&data).args([
            "-U",
            "keyblade",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ]))?;
        // synchronous_commit off matches SQLite's WAL with synchronous=NORMAL: a commit is
        // durable against a crash of Keyblade, not of the machine.
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c max_connections=400 -c synchronous_commit=off",
            cluster.dir.display()
        );
        check(
            cluster
                .command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(cluster.dir.join("server.log"))
                .args(["-w", "-o", &options, "start"]),
        )
        .map_err(|e| format!("{e}; see {}", cluster.dir.join("server.log").display()))?;
        Ok(cluster)
    }

    /// One of the server's programs, run as the unprivileged user.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVICE_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .status();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The directory of the newest installed server's programs, installing Debian's server first
/// when there is none.
fn ensure_server() -> Result<PathBuf, String> {
    if let Some(bin) = installed_server() {
        println!("PostgreSQL server: present ({})", bin.display());
        return Ok(bin);
    }
    announce("installing the PostgreSQL server (Debian package postgresql)");
    let apt = |args: &[&str]| {
        let mut command = sudo_if_needed("apt-get");
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        check(&mut command)
    };
    apt(&["update"]).and_then(|()| apt(&["install", "-y", "postgresql"])).map_err(|e| {
        format!(
            "PostgreSQL is required for the PostgreSQL and two-replica tests and could not be \
             installed ({e}). Install the Debian package `postgresql` and run again."
        )
    })?;
    installed_server().ok_or_else(|| "apt-get finished but no /usr/lib/postgresql/*/bin/initdb exists".into())
}

fn installed_server() -> Option<PathBuf> {
    let versions = fs::read_dir("/usr/lib/postgresql").ok()?;
    versions
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok().map(|v| (v, entry.path())))
        .filter(|(_, path)| Path::new(&path.join("bin/initdb")).exists())
        .max_by_key(|(version, _)| *version)
        .map(|(_, path)| path.join("bin"))
}
