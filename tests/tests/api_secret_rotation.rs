//! Secret rotation through the API (issue 17): the demo stamp's inventory, alerts raised by the
//! test clock, an internal run, an external run from a certificate share with one file whose key
//! is not its certificate's (it fails partway, only a re-run may follow), the re-run with the
//! fixed share, a share refused before anything changes, and the BMC credential.

use keyblade_tests::{Api, TestServer, scenario::wait_for_operation};
use serde_json::{Value, json};
use shared::{crypto, pki};

const STAMP: &str = "/stamps/azs-east";
const PASSWORD: &str = "Sh4re-Passw0rd";

async fn share(api: &Api) -> Vec<Value> {
    let body = json!({"issuer": "DeploymentAuthority", "days": 365, "password": PASSWORD});
    api.post(&format!("{STAMP}/certificate-share"), &body).await.ok().as_array().expect("files").clone()
}

async fn rotate(api: &Api, body: Value) -> Value {
    let started = api.post(&format!("{STAMP}/secret-rotation"), &body).await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    wait_for_operation(api, started.body["id"].as_str().expect("an operation")).await
}

fn external(files: &[Value], re_run: bool) -> Value {
    json!({"pfxFilesPath": "\\\\10.0.0.5\\share", "pfxFiles": files, "certificatePassword": PASSWORD, "reRun": re_run})
}

/// The same file with a private key that is not its certificate's.
fn with_a_strangers_key(file: &Value) -> Value {
    let bytes = crypto::unb64(file["content"].as_str().expect("content")).expect("base64");
    let opened = pki::read_pfx(&bytes, PASSWORD).expect("the share's password opens it");
    let rng = &mut keyblade_tests::rng();
    let stranger =
        pki::KeyedCertificate { der: opened.certificate, key: pki::new_key(2048, rng).expect("a key") };
    let chain: Vec<&[u8]> = opened.chain.iter().map(Vec::as_slice).collect();
    let pfx = pki::write_pfx(&stranger, &chain, PASSWORD).expect("a pfx");
    json!({"path": file["path"], "content": crypto::b64(&pfx)})
}

#[tokio::test]
async fn internal_and_external_runs_alerts_a_failure_and_its_re_run() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let stamp = api.get(STAMP).await.ok();
    assert_eq!(stamp["version"], 1811);
    assert_eq!(stamp["certificates"].as_array().map(Vec::len), Some(11));
    assert_eq!(stamp["certificates"][0]["issuer_kind"], "Enterprise");
    assert_eq!(stamp["internal_secrets"].as_array().map(Vec::len), Some(6));
    assert_eq!(stamp["alerts"], json!([]));
    let table = stamp["authority_changes"].as_array().expect("the CA table");
    assert!(table.iter().any(|row| row["from"] == "SelfSigned"
        && row["to"] == "Enterprise"
        && row["rule"] == "1903 and later"));

    // 16 days on, the service account passwords are within 30 days of expiry.
    api.post("/clock", &json!({"advance_seconds": 16 * 86_400})).await.ok();
    let alerts = api.get(STAMP).await.ok()["alerts"].clone();
    assert_eq!(alerts.as_array().map(Vec::len), Some(3), "{alerts}");
    assert_eq!(alerts[0]["title"], "Pending service account password expiration");

    let run = rotate(&api, json!({"internal": true})).await;
    assert_eq!(run["state"], "Succeeded", "{run}");
    assert_eq!(
        run["steps"].as_array().and_then(|s| s.last()).expect("steps")["label"],
        "Overall action status"
    );
    let stamp = api.get(STAMP).await.ok();
    assert_eq!(stamp["alerts"], json!([]));
    assert_eq!(stamp["rotations"], 1);

    // A share with a wrong password is refused before anything changes.
    let files = share(&api).await;
    let mut wrong = external(&files, false);
    wrong["certificatePassword"] = json!("nope");
    api.post(&format!("{STAMP}/secret-rotation"), &wrong).await.error(422, "CertificatePasswordInvalid");

    // One file's key is not its certificate's: the run fails at that endpoint.
    let before = api.get(STAMP).await.ok()["certificates"].clone();
    let mut broken = files.clone();
    broken[3] = with_a_strangers_key(&files[3]);
    let failed = rotate(&api, external(&broken, false)).await;
    assert_eq!(failed["state"], "Failed");
    assert_eq!(failed["error"]["code"], "CertificateKeyMismatch", "{failed}");
    let after = api.get(STAMP).await.ok();
    assert_eq!(after["failed_run"], "External");
    let thumbprints = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("certificates")
            .iter()
            .map(|c| c["thumbprint"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (old, now) = (thumbprints(&before), thumbprints(&after["certificates"]));
    assert!(old[..3].iter().zip(&now[..3]).all(|(o, n)| o != n), "the first three endpoints switched");
    assert_eq!(old[3..], now[3..], "the rest still use their old certificates");

    api.post(&format!("{STAMP}/secret-rotation"), &external(&files, false))
        .await
        .error(409, "SecretRotationReRunRequired");
    let run = rotate(&api, external(&files, true)).await;
    assert_eq!(run["state"], "Succeeded", "{run}");
    assert_eq!(api.get(STAMP).await.ok()["failed_run"], Value::Null);
    api.post(&format!("{STAMP}/secret-rotation"), &json!({"internal": true, "reRun": true}))
        .await
        .error(409, "SecretRotationReRunNotAllowed");

    // The BMC credential.
    let long = json!({"bmcUser": "a-user-name-of-17", "bmcPassword": "x"});
    api.put(&format!("{STAMP}/bmc-credential"), &long).await.error(422, "InvalidBmcCredential");
    let set = json!({"bmcUser": "bmc-ops", "bmcPassword": "n3w"});
    assert_eq!(api.put(&format!("{STAMP}/bmc-credential"), &set).await.ok()["bmc_user"], "bmc-ops");
    let audit = api.get("/audit?action=stamp.secret_rotation").await.ok();
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(6), "{audit}");
}
