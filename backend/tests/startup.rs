//! Starting the `keyblade` binary the ways its README shows: a database password is never taken
//! from the command line (where `ps` shows it), and switches accept the usual spellings.

mod support;

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use support::{Keyblade, Settings};

#[test]
fn a_database_password_on_the_command_line_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = Command::new(env!("CARGO_BIN_EXE_keyblade"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            "postgres://keyblade:hunter2-secret@127.0.0.1:9/kb",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("KEYBLADE_DATABASE_URL")
        .stdout(Stdio::null())
        .output()
        .expect("the binary runs");
    assert!(!output.status.success(), "a password on the command line was accepted");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("KEYBLADE_DATABASE_URL") && said.contains("--database-url-file"), "{said}");
    assert!(!said.contains("hunter2-secret"), "the refusal repeats the password: {said}");
    assert!(!dir.path().join("master.key").exists(), "nothing was started");
}

#[tokio::test]
async fn the_database_url_may_come_from_a_file_and_switches_take_the_usual_spellings() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url_file = dir.path().join("database-url");
    std::fs::write(&url_file, format!("sqlite://{}\n", dir.path().join("from-file.db").display()))
        .expect("written");
    let settings = Settings {
        environment: vec![
            ("KEYBLADE_TEST_CLOCK".into(), "1".into()),
            ("KEYBLADE_DATABASE_URL_FILE".into(), url_file.display().to_string()),
        ],
        ..Settings::default()
    };
    let server = Keyblade::start_with(dir.path(), settings).await;
    let health = server.get("/health").await;
    assert_eq!(health["test_clock"], true, "KEYBLADE_TEST_CLOCK=1 turns the test clock on: {health}");
    assert!(dir.path().join("from-file.db").exists(), "the database named in the file is used");
    server.kill();

    for (spelling, on) in [("yes", true), ("ON", true), ("0", false), ("off", false)] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let settings = Settings {
            environment: vec![("KEYBLADE_TEST_CLOCK".into(), spelling.into())],
            ..Settings::default()
        };
        let server = Keyblade::start_with(dir.path(), settings).await;
        let health = server.get("/health").await;
        assert_eq!(health["test_clock"], on, "KEYBLADE_TEST_CLOCK={spelling}: {health}");
        server.kill();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
