//! Everything survives a restart, key material never rests in plaintext, and a write based on a
//! stale view of an order is refused instead of silently overwriting.

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use keyblade_tests::{
    Api, TestServer,
    scenario::{self, DEMO_KEY, DEMO_VAULT, Demo, cmk, system_assigned},
    test_key_pkcs8,
};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn everything_survives_a_restart_and_no_key_rests_in_plaintext() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let version = scenario::import_rsa_key(&api, DEMO_VAULT, "mine").await;
    demo.save_cmk(&api, DEMO_VAULT, "mine", &version, system_assigned()).await.ok();
    let password = demo.device_password(&api).await.ok()["password"].as_str().expect("a password").to_owned();
    let identity =
        api.post("/identities", &json!({ "name": "kept", "resource_group": "databox-rg" })).await.ok();

    let data_dir = server.stop().await;
    let server = TestServer::start_api_in(data_dir).await;
    let api = Api::signed_in(&server).await;
    assert_eq!(demo.device_password(&api).await.ok()["password"], password.as_str());
    assert_eq!(
        api.get(&format!("/identities/{}", identity["id"].as_str().unwrap_or("-"))).await.ok()["name"],
        "kept"
    );
    let order = api.get(&demo.order_path("")).await.ok();
    assert_eq!(order["encryption"]["key"], "mine");
    assert_eq!(api.get(&format!("/vaults/{DEMO_VAULT}/keys")).await.ok().as_array().map(Vec::len), Some(2));

    let database_url = server.database_url.clone();
    let data_dir = server.stop().await;
    let master_key = std::fs::read_to_string(data_dir.path().join("master.key")).expect("a master key file");
    assert_file_mode_0600(&data_dir.path().join("master.key"));
    let database = read_database(&database_url, data_dir.path()).await;
    assert!(contains(&database, b"contoso-kv"), "the scan reads the stored data");
    let passkey = passkey_bytes(&password);
    let pkcs8 = test_key_pkcs8();
    let secrets: [(&str, Vec<u8>); 8] = [
        ("the passkey", passkey.clone()),
        ("the passkey as shown", password.clone().into_bytes()),
        ("the passkey in hex", password.replace('-', "").into_bytes()),
        ("the passkey in base64", STANDARD.encode(&passkey).into_bytes()),
        ("the private key (DER)", pkcs8.to_vec()),
        ("the private key (base64)", STANDARD.encode(pkcs8).into_bytes()),
        ("the private key (base64url)", URL_SAFE_NO_PAD.encode(pkcs8).into_bytes()),
        ("the master key", master_key.trim().as_bytes().to_vec()),
    ];
    for (what, secret) in secrets {
        assert!(!contains(&database, &secret), "{what} is readable in the database");
    }
    // A chunk of the DER from the middle (the private exponent) is not there either.
    assert!(!contains(&database, &pkcs8[300..340]), "part of the private key is readable in the database");
    assert!(
        !contains(&database, backend::LOCAL_ADMIN_PASSWORD.as_bytes()),
        "the admin password is in the database"
    );
}

#[tokio::test]
async fn a_stale_write_is_a_conflict_not_an_overwrite() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let seen = api.get(&demo.order_path("")).await.etag_version();
    let save = cmk(DEMO_VAULT, DEMO_KEY, &demo.version, system_assigned());
    let saved = api.send(Method::PUT, &demo.order_path("/encryption"), Some(&save), Some(seen)).await;
    assert!(saved.etag_version() > seen);
    saved.ok();

    // A second editor still holding the old version.
    let revert = api.send(Method::POST, &demo.order_path("/encryption/revert"), None, Some(seen)).await;
    revert.error(409, "Conflict");
    let stale_body = cmk(DEMO_VAULT, DEMO_KEY, &demo.version, system_assigned());
    api.send(Method::PUT, &demo.order_path("/encryption"), Some(&stale_body), Some(seen))
        .await
        .error(409, "Conflict");
    let fix = json!({ "action": "RecoverVault", "vault": DEMO_VAULT });
    let subject = json!({ "kind": "order", "id": demo.order });
    let stale_fix = json!({ "subject": subject, "fix": fix, "fix_proof": "0".repeat(64) });
    api.send(Method::POST, "/fixes", Some(&stale_fix), Some(seen)).await.error(409, "Conflict");
    api.send(Method::DELETE, &demo.order_path("/system-identity"), None, Some(seen))
        .await
        .error(409, "Conflict");
    assert_eq!(
        api.get(&demo.order_path("")).await.ok()["encryption"]["type"],
        "CustomerManaged",
        "nothing was overwritten"
    );
}

#[tokio::test]
async fn concurrent_saves_never_lose_an_update() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let seen = api.get(&demo.order_path("")).await.etag_version();
    let save = cmk(DEMO_VAULT, DEMO_KEY, &demo.version, system_assigned());
    let path = demo.order_path("/encryption");
    let revert = demo.order_path("/encryption/revert");
    let replies = tokio::join!(
        api.send(Method::PUT, &path, Some(&save), Some(seen)),
        api.send(Method::POST, &revert, None, Some(seen)),
    );
    let statuses = [replies.0.status.as_u16(), replies.1.status.as_u16()];
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "exactly one write wins: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 1, "the other is a conflict: {statuses:?}");
    assert_eq!(api.get(&demo.order_path("")).await.etag_version(), seen + 1);
}

/// Everything the database holds: the SQLite file and its write-ahead log, whatever is on disk;
/// on PostgreSQL, every row of every table as text.
async fn read_database(url: &str, dir: &std::path::Path) -> Vec<u8> {
    if !url.starts_with("postgres") {
        return ["keyblade.db", "keyblade.db-wal", "keyblade.db-shm"]
            .iter()
            .filter_map(|name| std::fs::read(dir.join(name)).ok())
            .flatten()
            .collect();
    }
    let db = sqlx::PgPool::connect(url).await.expect("the database");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&db)
    .await
    .expect("the tables");
    let mut bytes = Vec::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT t::text FROM {table} t")))
                .fetch_all(&db)
                .await
                .expect("the rows");
        rows.iter().for_each(|row| bytes.extend_from_slice(row.as_bytes()));
    }
    db.close().await;
    bytes
}

/// "abcd-ef01-..." back to the 32 bytes.
fn passkey_bytes(shown: &str) -> Vec<u8> {
    let hex = shown.replace('-', "");
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

fn assert_file_mode_0600(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} is readable by others", path.display());
}
