//! The Key Vault data plane and Data Box jobs driven by the unmodified Azure SDKs
//! (`azure-keyvault-keys` 4.11.3, `azure-mgmt-databox` 4.0.0, `azure-identity` 1.27.0, installed
//! by `cargo xtask test` into the virtualenv named by `KEYBLADE_VENV`) over HTTPS with
//! Keyblade's local CA: a key created with the SDK is put on the order with the management SDK,
//! the Device password reads through the portal's API, UnwrapKey taken away in the portal makes
//! the SDK's unwrap and the management update fail with the catalog's code, and given back both
//! work again. A token minted before the test clock moved past its expiry is refused with the
//! challenge.

use backend::Config;
use keyblade_tests::{
    Api, TestServer, run_sdk_script,
    scenario::{Demo, create_vault},
};
use serde_json::{Value, json};
use shared::demo::DEMO_VAULT;

const SECOND_VAULT: &str = "sdk-second-kv";
const RBAC_VAULT: &str = "sdk-rbac-kv";

/// Gives `role` to the identity `principal` at `scope`; answers the assignment's id.
async fn grant(api: &Api, principal: &str, role: &str, scope: &str) -> String {
    let body = json!({"principal": format!("identity:{principal}"), "role": role, "scope": scope});
    api.post("/role-assignments", &body).await.ok()["id"].as_str().expect("an id").to_owned()
}

/// Everything the SDK script needs to know, as environment variables.
struct Setting {
    env: Vec<(&'static str, String)>,
}

impl Setting {
    async fn run(&self, phase: &str, extra: &[(&str, &str)]) -> Value {
        let env = self.env.iter().map(|(k, v)| (*k, v.as_str())).chain(extra.iter().copied());
        let stdout = run_sdk_script("azure_client.py", env.chain([("AZ_PHASE", phase)])).await;
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the script's facts")
    }
}

async fn set_policy(api: &Api, vault: &str, principal: &str, permissions: &[&str]) {
    let body = json!({"principal_id": principal, "permissions": permissions});
    api.put(&format!("/vaults/{vault}/access-policies"), &body).await.ok();
}

const ALL: [&str; 8] = ["Get", "List", "Create", "WrapKey", "UnwrapKey", "Delete", "Recover", "Purge"];

#[tokio::test(flavor = "multi_thread")]
async fn the_azure_sdks_run_unchanged_against_keyblade() {
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = Config::local(data_dir.path().to_path_buf(), data_dir.path().join("no-portal"));
    config.tls_self_signed = true;
    let server = TestServer::start_with_config(data_dir, config).await;
    let port = server.addr.port();
    let ca = server.data_dir().join("tls/ca.pem");
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let order = api.get(&format!("/orders/{}", demo.order)).await.ok();
    let identity = api.get("/identities").await.ok()[0].clone();
    let principal = identity["principal_id"].as_str().expect("a principal").to_owned();
    let vault = api.get(&format!("/vaults/{DEMO_VAULT}")).await.ok();
    let second = create_vault(&api, SECOND_VAULT, true, false).await;
    set_policy(&api, DEMO_VAULT, &principal, &ALL).await;
    let no_get: Vec<&str> = ALL.iter().copied().filter(|p| *p != "Get").collect();
    set_policy(&api, SECOND_VAULT, &principal, &no_get).await;
    // The client secret is issued to the identity: its tokens name that identity only.
    let client_id = identity["client_id"].as_str().expect("a client id");
    let issued = json!({"name": "azure sdk", "identity": client_id});
    let issued = api.post("/api-keys", &issued).await.ok();
    let secret = issued["secret"].as_str().expect("a secret").to_owned();
    // Listing a subscription's Data Box jobs needs Reader there; changing one is managing the
    // order, Key Administrator on its resource group.
    let subscription_id = order["subscription_id"].as_str().expect("a subscription");
    let subscription_reader =
        grant(&api, &principal, "Reader", &format!("/subscriptions/{subscription_id}")).await;
    let group_scope = format!("/resourceGroups/{}", order["resource_group"].as_str().expect("a group"));
    let group_admin = grant(&api, &principal, "Key Administrator", &group_scope).await;
    let rbac = create_vault(&api, RBAC_VAULT, true, false).await;
    let body = json!({"rbac_authorization": true});
    api.patch(&format!("/vaults/{RBAC_VAULT}"), &body).await.ok();
    let rbac_admin = grant(&api, &principal, "Key Administrator", &format!("/vaults/{RBAC_VAULT}")).await;
    let text = |v: &Value| v.as_str().expect("text").to_owned();
    let subscription = text(&order["subscription_id"]);
    let vault_url = |v: &Value| format!("https://{}:{port}", text(&v["data_plane_address"]));
    let setting = Setting {
        env: vec![
            ("AZ_CA", ca.display().to_string()),
            ("AZ_TENANT", text(&identity["tenant_id"])),
            ("AZ_CLIENT_ID", text(&identity["client_id"])),
            ("AZ_SECRET", secret.clone()),
            ("AZ_AUTHORITY", format!("https://127.0.0.1:{port}")),
            ("AZ_VAULT", vault_url(&vault)),
            ("AZ_SECOND_VAULT", vault_url(&second)),
            ("AZ_RBAC_VAULT", vault_url(&rbac)),
            ("AZ_ARM", format!("https://127.0.0.1:{port}")),
            ("AZ_SUBSCRIPTION", subscription.clone()),
            ("AZ_RESOURCE_GROUP", text(&order["resource_group"])),
            ("AZ_JOB", text(&order["name"])),
            (
                "AZ_VAULT_RESOURCE_ID",
                format!(
                    "/subscriptions/{subscription}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{DEMO_VAULT}",
                    text(&vault["resource_group"])
                ),
            ),
            (
                "AZ_IDENTITY_RESOURCE_ID",
                format!(
                    "/subscriptions/{subscription}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}",
                    text(&identity["resource_group"]),
                    text(&identity["name"])
                ),
            ),
        ],
    };

    let facts = setting.run("main", &[]).await;
    let key_id = text(&facts["key"]);
    // The key the SDK created is the portal's key, and the order now uses it.
    let keys = api.get(&format!("/vaults/{DEMO_VAULT}/keys/sdk-key")).await.ok();
    assert_eq!(keys["versions"].as_array().map(Vec::len), Some(2), "{keys}");
    let settings = api.get(&demo.order_path("/encryption")).await.ok();
    assert_eq!(settings["version"], facts["version"], "{settings}");
    assert_eq!(settings["key_url"], facts["kek_url"]);
    let password = demo.device_password(&api).await.ok()["password"].clone();
    assert!(password.is_string());

    let without_unwrap: Vec<&str> = ALL.iter().copied().filter(|p| *p != "UnwrapKey").collect();
    set_policy(&api, DEMO_VAULT, &principal, &without_unwrap).await;
    setting.run("denied", &[("AZ_KEY", &key_id)]).await;
    demo.device_password(&api).await.error(422, "SsemUserErrorKeyVaultBadRequestException");
    set_policy(&api, DEMO_VAULT, &principal, &ALL).await;
    setting.run("fixed", &[("AZ_KEY", &key_id)]).await;
    assert_eq!(demo.device_password(&api).await.ok()["password"], password);

    // A vault on role-based access: Crypto User on one key reaches that key only.
    setting.run("rbac-setup", &[]).await;
    // Roles above the vault would cover it too: only the key's role is left.
    for assignment in [&rbac_admin, &group_admin, &subscription_reader] {
        api.delete(&format!("/role-assignments/{assignment}")).await.ok();
    }
    grant(&api, &principal, "Crypto User", &format!("/vaults/{RBAC_VAULT}/keys/rbac-one")).await;
    let before = api.get(&format!("/vaults/{RBAC_VAULT}")).await.ok();
    setting.run("rbac", &[]).await;
    let after = api.get(&format!("/vaults/{RBAC_VAULT}")).await.ok();
    assert_eq!(before["keys"], after["keys"], "a refused create changed nothing");
    let unwraps = api.get("/audit?action=key.unwrap").await.ok();
    assert!(unwraps.to_string().contains("rbac-one"), "every unwrap is audited: {unwraps}");
    // The job is read below with a raw token: Reader on its group is enough.
    grant(&api, &principal, "Reader", &group_scope).await;

    // A secret issued to no identity cannot pose as one.
    let service = api.post("/api-keys", &json!({"name": "not an identity"})).await.ok();

    // The SDK's calls are in the audit trail under the identity's name.
    let audit = api.get("/audit?action=key.create").await.ok();
    assert!(audit.to_string().contains(&text(&identity["name"])), "{audit}");

    // A token minted now outlives a move of the test clock (credentials keep the wall clock),
    // and is refused once its secret is revoked.
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&ca).expect("the CA")).expect("a PEM"),
        )
        .build()
        .expect("a client");
    let token_url = format!("https://127.0.0.1:{port}/{}/oauth2/v2.0/token", text(&identity["tenant_id"]));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", identity["client_id"].as_str().unwrap_or_default()),
        ("client_secret", secret.as_str()),
        ("scope", "https://vault.azure.net/.default"),
    ];
    let token: Value =
        client.post(&token_url).form(&form).send().await.expect("a token").json().await.expect("JSON");
    let token = text(&token["access_token"]);
    let list = format!("{}/keys?api-version=7.6", vault_url(&vault));
    let fresh = client.get(&list).bearer_auth(&token).send().await.expect("an answer");
    assert_eq!(fresh.status(), 200);
    // The management API matches its path segments in any case, as the cloud does.
    let job = format!(
        "https://127.0.0.1:{port}/SUBSCRIPTIONS/{subscription}/resourcegroups/{}/PROVIDERS/microsoft.databox/Jobs/{}?api-version=2025-07-01",
        text(&order["resource_group"]),
        text(&order["name"])
    );
    let read: Value =
        client.get(&job).bearer_auth(&token).send().await.expect("an answer").json().await.expect("JSON");
    assert_eq!(read["properties"]["details"]["keyEncryptionKey"]["kekType"], "CustomerManaged", "{read}");
    let anonymous = client.get(&job).send().await.expect("an answer");
    assert_eq!(anonymous.status(), 401);
    api.post("/clock", &json!({"advance_seconds": 2 * 3600})).await.ok();
    let later = client.get(&list).bearer_auth(&token).send().await.expect("an answer");
    assert_eq!(later.status(), 200, "the test clock expired a token");
    api.delete(&format!("/api-keys/{}", text(&issued["key"]["id"]))).await.ok();
    let stale = client.get(&list).bearer_auth(&token).send().await.expect("an answer");
    assert_eq!(stale.status(), 401);
    let challenge = stale.headers()["www-authenticate"].to_str().unwrap_or_default().to_owned();
    assert!(challenge.contains(&format!("authorization=\"https://127.0.0.1:{port}/")), "{challenge}");
    assert!(challenge.contains("resource=\"https://vault.azure.net\""), "{challenge}");
    let revoked = client.post(&token_url).form(&form).send().await.expect("an answer");
    assert_eq!(revoked.status(), 401, "a revoked secret mints no token");
    let wrong_secret = [("client_secret", "kb_wrong"), form[0], form[1], form[3]];
    let refused = client.post(&token_url).form(&wrong_secret).send().await.expect("an answer");
    assert_eq!(refused.status(), 401);
    let posing_secret = service["secret"].as_str().expect("a secret");
    let posing = [("client_secret", posing_secret), form[0], form[1], form[3]];
    let refused = client.post(&token_url).form(&posing).send().await.expect("an answer");
    assert_eq!(refused.status(), 401, "a service key cannot mint a token for an identity");
}
