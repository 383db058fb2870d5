//! One engine, two transports: a scripted sequence of requests — every route of
//! `shared::service`, successes and failures — runs through the server (the router, in
//! process, over SQLite) and through `shared::service::dispatch` (what the offline demo's engine
//! worker runs), with the same clock and the same deterministic randomness. The answers must be
//! identical, and so must the worlds.

use std::collections::BTreeSet;

use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use serde_json::Value;
use shared::{
    access::Actor,
    api::*,
    audit::{AuditAction, AuditQuery},
    catalog::FixAction,
    crypto::{self, ImportKey, Keyring, MIN_IMPORT_KEY_BITS, MasterKey},
    demo::{self, DemoKeys},
    model::{
        Account, EncryptionSettings, IdentityChoice, KeyManagement, KeyPermission, KeyType, Principal, Role,
        RoleAssignment, RotationPolicy, Scope, ShareIssuer, Subject, Timestamp, World,
    },
    ops::{self, Ctx, NoKeyProviders},
    service::{self as svc, Endpoint, Visitor, request_parts, visit_endpoints, visit_surface_endpoints},
};
use tower::ServiceExt;

use crate::{
    AppState, api, auth,
    clock::{Clock, Entropy, SeededRng},
    key_providers::HttpKeyProviders,
    runner,
    store::Store,
};

const SEED: u64 = 7;
/// The RSA engine the server unwraps with: with the same engine, both sides draw the same
/// randomness, so their worlds can be compared byte for byte.
static SERVER_RSA: std::sync::LazyLock<shared::crypto::AwsLc> = std::sync::LazyLock::new(Default::default);
const NOW: Timestamp = Timestamp(1_800_000_000);
/// The second account's name.
const READER: &str = "parity-reader";

fn token_of(user: &str) -> String {
    format!("parity-session-of-{user}")
}
/// The runner's name on both sides.
const RUNNER: &str = "parity";

struct Parity {
    router: Router,
    state: AppState,
    /// The offline side's world.
    world: World,
    master: MasterKey,
    /// The offline side's next computation; the server's entropy counts the same way.
    computation: u64,
    covered: BTreeSet<String>,
    _dir: tempfile::TempDir,
}

impl Parity {
    async fn start() -> Parity {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("p.db").display())).await.expect("a store");
        let mut rng = SeededRng::new(SEED, u64::MAX);
        let master = MasterKey::generate(&mut rng);
        let (base, ring) = ops::first_master_key(&master, NOW, &mut rng).expect("a master key");
        let customer_key = crypto::generate_rsa(demo::DEMO_KEY_BITS, &mut rng).expect("an RSA key");
        let import_key = ImportKey::generate(MIN_IMPORT_KEY_BITS, &ring, demo::DEMO_VAULT, &mut rng)
            .expect("an import key");
        let mut ctx = Ctx { rsa: &*SERVER_RSA, ..Ctx::local(NOW, &master, &ring, &mut rng) };
        let world =
            demo::demo_world(&mut ctx, base, DemoKeys { customer_key, import_key }).expect("the demo world");
        let mut world = demo::with_later_additions(&world, &mut ctx).expect("the demo stamp");
        // A second account, Reader at the instance, to compare refusals too.
        world.accounts.insert(READER.into(), Account { name: READER.into(), enabled: true, created: NOW });
        let reader = RoleAssignment {
            id: "parity-reader".into(),
            principal: Principal::user(READER),
            role: Role::Reader,
            scope: Scope::Instance,
            created: NOW,
        };
        world.role_assignments.insert(reader.id.clone(), reader);
        store.seed(&world).await.expect("seeded");
        for user in ["admin", READER] {
            store.set_password_hash(user, "unused").await.expect("an account");
            store
                .create_session(&auth::hash_token(&token_of(user)), user, i64::MAX, crate::clock::now().0)
                .await
                .expect("a session");
        }
        let entropy = Entropy::Seeded { seed: SEED, next: 0.into() };
        let providers = HttpKeyProviders::new().expect("an HTTP client");
        let state = AppState::with(store, master.clone(), providers, true, Clock::frozen(NOW), entropy);
        let router = Router::new().nest("/api", api::router(state.clone()));
        Parity { router, state, world, master, computation: 0, covered: BTreeSet::new(), _dir: dir }
    }

    /// Sends `request` both ways as `admin`; returns the (identical) answer or failure body.
    async fn both<E: Endpoint>(&mut self, request: E) -> Result<Value, Value> {
        self.both_as("admin", request).await
    }

    /// Sends `request` both ways as `user`.
    async fn both_as<E: Endpoint>(&mut self, user: &str, request: E) -> Result<Value, Value> {
        let key = E::ROUTE.key();
        self.covered.insert(key.clone());
        let server = self.server(user, &request).await;
        let json = serde_json::to_value(&request).expect("a request as JSON");
        let offline = self.offline(user, &key, json);
        assert_eq!(server, offline, "{key}: the server and the offline engine answered differently");
        server
    }

    /// Sends a surface endpoint (one the cloud adapters call, not mounted under `/api`) both
    /// ways as `principal`: through the gateway, as an adapter does, and through the offline
    /// engine's dispatch.
    async fn both_surface<E: Endpoint>(&mut self, principal: Principal, request: E) -> Result<Value, Value> {
        let key = E::ROUTE.key();
        self.covered.insert(key.clone());
        let actor = Actor { principal, name: "parity surface".into(), source: "0.0.0.0".into() };
        let json = serde_json::to_value(&request).expect("a request as JSON");
        let server = match crate::gateway::Gateway::new(self.state.clone()).call(request, &actor).await {
            Ok(answer) => Ok(serde_json::to_value(answer).expect("JSON")),
            Err(error) => Err(serde_json::to_value(error.status_and_diagnosis().1).expect("JSON")),
        };
        let offline = self.offline_as(&actor, &key, json);
        assert_eq!(server, offline, "{key}: the gateway and the offline engine answered differently");
        server
    }

    async fn server<E: Endpoint>(&self, user: &str, request: &E) -> Result<Value, Value> {
        let parts = request_parts(request).expect("request parts");
        let mut builder = Request::builder()
            .method(parts.method.as_str())
            .uri(format!("/api{}", parts.path))
            .header(header::COOKIE, format!("keyblade_session={}", token_of(user)))
            .header(auth::REQUEST_HEADER, "parity");
        if let Some(version) = parts.if_match {
            builder = builder.header(header::IF_MATCH, format!("\"{version}\""));
        }
        let body = match parts.body {
            Some(body) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let response =
            self.router.clone().oneshot(builder.body(body).expect("a request")).await.expect("an answer");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        let value: Value =
            if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON") };
        if status.is_success() { Ok(value) } else { Err(value["error"].clone()) }
    }

    fn offline(&mut self, user: &str, key: &str, request: Value) -> Result<Value, Value> {
        // The server's actor: the session's user, from no address (no socket in process).
        let actor = Actor { principal: Principal::user(user), name: user.into(), source: "0.0.0.0".into() };
        self.offline_as(&actor, key, request)
    }

    fn offline_as(&mut self, actor: &Actor, key: &str, request: Value) -> Result<Value, Value> {
        let mut rng = SeededRng::new(SEED, self.computation);
        self.computation += 1;
        let ring = self.keyring();
        let mut ctx = Ctx { rsa: &*SERVER_RSA, ..Ctx::local(NOW, &self.master, &ring, &mut rng) };
        let done = svc::dispatch(key, request, &self.world, &mut ctx, actor);
        let answer = done.result.map_err(|failure| {
            serde_json::to_value(failure.diagnose(&self.world, NOW, &self.master)).expect("JSON")
        });
        if let Some(world) = done.world {
            self.world = world;
        }
        answer
    }

    /// Runs `f` on the offline world with a context of its own, changing nothing.
    fn locally<T>(&mut self, f: impl FnOnce(&World, &mut Ctx) -> Result<T, shared::catalog::Failure>) -> T {
        let mut rng = SeededRng::new(SEED, u64::MAX - 1);
        let ring = self.keyring();
        let mut ctx = Ctx { rsa: &*SERVER_RSA, ..Ctx::local(NOW, &self.master, &ring, &mut rng) };
        f(&self.world, &mut ctx).expect("a local computation")
    }

    /// Lets both runners finish every operation (the server's runner is not started in this
    /// test; it is driven here, turn by turn, like the offline demo's tick).
    async fn run_operations(&mut self) {
        while runner::work_once(&self.state, RUNNER).await.expect("a runner turn") {
            self.offline_turn();
        }
        self.offline_turn();
    }

    /// A runner's turn as the server takes it: `advance` and the step are two computations,
    /// each with its own draw of randomness.
    fn offline_turn(&mut self) {
        let mut rng = SeededRng::new(SEED, self.computation);
        self.computation += 1;
        let ring = self.keyring();
        let advanced = ops::advance_recorded(
            &self.world,
            &mut Ctx { rsa: &*SERVER_RSA, ..Ctx::local(NOW, &self.master, &ring, &mut rng) },
        );
        let base = advanced.clone().unwrap_or_else(|| self.world.clone());
        let mut rng = SeededRng::new(SEED, self.computation);
        self.computation += 1;
        let ring = ops::keyring(&base, &self.master, &NoKeyProviders, false).expect("the keyring");
        let mut ctx = Ctx { rsa: &*SERVER_RSA, ..Ctx::local(NOW, &self.master, &ring, &mut rng) };
        if let Some(stepped) = ops::take_turn_recorded(&base, &mut ctx, RUNNER) {
            self.world = stepped;
        } else if let Some(advanced) = advanced {
            self.world = advanced;
        }
    }

    fn keyring(&self) -> Keyring {
        ops::keyring(&self.world, &self.master, &NoKeyProviders, false).expect("the keyring")
    }

    async fn assert_same_worlds(&self) {
        let stored = self.state.store().load_with_audit().await.expect("the stored world");
        assert_eq!(
            serde_json::to_value(&*stored.world).expect("JSON"),
            serde_json::to_value(&self.world).expect("JSON"),
            "the server's world and the offline engine's world differ"
        );
    }
}

fn ok(answer: Result<Value, Value>) -> Value {
    answer.unwrap_or_else(|e| panic!("expected success, got {e}"))
}

fn code(answer: Result<Value, Value>) -> String {
    answer.expect_err("expected a failure")["code"].as_str().unwrap_or_default().to_owned()
}

/// A key-transfer blob of a fresh RSA-2048 key for `vault`'s import key.
fn transfer_for(import_spki: &str, stream: u64) -> crypto::KeyTransfer {
    let mut rng = SeededRng::new(SEED + 1, stream);
    let key = crypto::generate_rsa(2048, &mut rng).expect("an RSA key");
    let pkcs8 = crypto::private_key_to_pkcs8(&key).expect("PKCS#8");
    crypto::wrap_for_transfer(import_spki, &pkcs8, &mut rng).expect("a transfer blob")
}

#[tokio::test]
async fn every_route_answers_the_same_on_the_server_and_in_the_offline_engine() {
    let mut p = Parity::start().await;
    let (vault, key) = (demo::DEMO_VAULT.to_owned(), demo::DEMO_KEY.to_owned());

    // Directory.
    let world = ok(p.both(svc::GetWorld {}).await);
    ok(p.both(svc::ListTenants {}).await);
    ok(p.both(svc::ListResourceGroups {}).await);
    let subscriptions = ok(p.both(svc::ListSubscriptions {}).await);
    let subscription = subscriptions[0]["id"].as_str().expect("a subscription").to_owned();
    ok(p.both(svc::GetSubscription { subscription: subscription.clone() }).await);
    assert_eq!(code(p.both(svc::GetSubscription { subscription: "nope".into() }).await), "NotFound");
    let other_tenant = world["tenants"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] != subscriptions[0]["tenant_id"]))
        .and_then(|t| t["id"].as_str())
        .expect("a second tenant")
        .to_owned();
    let body = MoveSubscriptionRequest { tenant_id: other_tenant };
    ok(p.both(svc::MoveSubscription { subscription: subscription.clone(), body }).await);
    ok(p.both(svc::RevertSubscription { subscription: subscription.clone() }).await);

    // Identities.
    let body =
        CreateIdentityRequest { name: "parity-uai".into(), resource_group: demo::DEMO_RESOURCE_GROUP.into() };
    let identity = ok(p.both(svc::CreateIdentity { body }).await)["id"].as_str().expect("an id").to_owned();
    let body =
        CreateIdentityRequest { name: String::new(), resource_group: demo::DEMO_RESOURCE_GROUP.into() };
    assert_eq!(code(p.both(svc::CreateIdentity { body }).await), "InvalidName");
    ok(p.both(svc::ListIdentities {}).await);
    ok(p.both(svc::GetIdentity { identity: identity.clone() }).await);

    // Vaults, with the provisioning operation.
    let body = CreateVaultRequest {
        name: "parity-kv".into(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        region: demo::DEMO_REGION.into(),
        soft_delete: true,
        purge_protection: false,
        retention_days: 30,
    };
    let created = ok(p.both(svc::CreateVault { body: body.clone() }).await);
    let operation = created["operation"].as_str().expect("a provisioning operation").to_owned();
    assert_eq!(code(p.both(svc::CreateVault { body }).await), "VaultNameTaken");
    assert_eq!(code(p.both(svc::GetImportKey { vault: "parity-kv".into() }).await), "NotFound");
    p.run_operations().await;
    assert_eq!(ok(p.both(svc::GetOperation { operation }).await)["state"], "Succeeded");
    ok(p.both(svc::ListOperations {}).await);
    assert_eq!(code(p.both(svc::GetOperation { operation: "nope".into() }).await), "NotFound");
    ok(p.both(svc::ListVaults {}).await);
    ok(p.both(svc::GetVault { vault: vault.clone() }).await);
    let patch = UpdateVaultRequest { retention_days: Some(3), ..Default::default() };
    assert_eq!(
        code(p.both(svc::UpdateVault { vault: "parity-kv".into(), body: patch }).await),
        "InvalidRetention"
    );
    let patch = UpdateVaultRequest { purge_protection: Some(true), ..Default::default() };
    ok(p.both(svc::UpdateVault { vault: "parity-kv".into(), body: patch }).await);
    let spki = ok(p.both(svc::GetImportKey { vault: "parity-kv".into() }).await)["public_spki_b64"]
        .as_str()
        .expect("an import key")
        .to_owned();
    let principal = p.world.identities.get(&identity).expect("in the world").principal_id.clone();
    let body =
        SetAccessPolicyRequest { principal_id: principal.clone(), permissions: KeyPermission::ALL.into() };
    ok(p.both(svc::SetAccessPolicy { vault: "parity-kv".into(), body }).await);
    let body = SetFirewallRequest { enabled: true, allowed_identities: [principal].into() };
    ok(p.both(svc::SetFirewall { vault: "parity-kv".into(), body }).await);

    // Keys and versions.
    let attributes = VersionAttributes::default();
    let body = CreateKeyRequest {
        name: "parity-key".into(),
        key_type: KeyType::Rsa,
        size: 2048,
        attributes: attributes.clone(),
        transfer: transfer_for(&spki, 1),
    };
    let created = ok(p.both(svc::CreateKey { vault: "parity-kv".into(), body: body.clone() }).await);
    assert_eq!(code(p.both(svc::CreateKey { vault: "parity-kv".into(), body }).await), "KeyNameTaken");
    let first = created["versions"][0]["id"].as_str().expect("a version").to_owned();
    let body = CreateVersionRequest { attributes: attributes.clone(), transfer: transfer_for(&spki, 2) };
    ok(p.both(svc::CreateVersion { vault: "parity-kv".into(), key: "parity-key".into(), body }).await);
    ok(p.both(svc::ListKeys { vault: "parity-kv".into() }).await);
    ok(p.both(svc::GetKey { vault: "parity-kv".into(), key: "parity-key".into() }).await);
    ok(p.both(svc::ListVersions { vault: "parity-kv".into(), key: "parity-key".into() }).await);
    let disabled = VersionAttributes { enabled: false, ..attributes.clone() };
    let update = svc::UpdateVersion {
        vault: "parity-kv".into(),
        key: "parity-key".into(),
        version: first,
        body: disabled,
    };
    ok(p.both(update).await);
    ok(p.both(svc::DeleteKey { vault: "parity-kv".into(), key: "parity-key".into() }).await);
    ok(p.both(svc::ListDeletedKeys { vault: "parity-kv".into() }).await);
    ok(p.both(svc::RecoverKey { vault: "parity-kv".into(), key: "parity-key".into() }).await);
    ok(p.both(svc::DeleteKey { vault: "parity-kv".into(), key: "parity-key".into() }).await);
    assert_eq!(
        code(p.both(svc::PurgeKey { vault: "parity-kv".into(), key: "parity-key".into() }).await),
        "PurgeProtected"
    );

    // Key rotation: a root key, a registration, rotate now and its rewrap, the policy.
    let (kv, root) = (String::from("parity-kv"), String::from("parity-root"));
    let body = CreateRootKeyRequest { name: root.clone(), payload: None };
    ok(p.both(svc::CreateRootKey { vault: kv.clone(), body }).await);
    let body = CreateRootKeyRequest { name: "parity-short".into(), payload: Some("AAAA".into()) };
    assert_eq!(code(p.both(svc::CreateRootKey { vault: kv.clone(), body }).await), "InvalidKeyMaterial");
    let resource = String::from("crn:v1:parity:bucket/logs");
    let body = svc::RegistrationOptions { prevent_key_deletion: true, description: "logs".into() };
    let register =
        svc::RegisterResource { vault: kv.clone(), key: root.clone(), resource: resource.clone(), body };
    ok(p.both(register).await);
    assert_eq!(
        code(p.both(svc::DeleteKey { vault: kv.clone(), key: root.clone() }).await),
        "KeyProtectedByRegistration"
    );
    let rotate =
        || svc::RotateKey { vault: kv.clone(), key: root.clone(), body: RotateKeyRequest::default() };
    assert!(ok(p.both(rotate()).await)["rewrap_operation"].is_string());
    assert_eq!(code(p.both(rotate()).await), "KeyRotationNotPermitted");
    p.run_operations().await;
    ok(p.both(svc::ListRegistrations { vault: kv.clone(), key: root.clone() }).await);
    let policy = |interval_months| svc::SetRotationPolicy {
        vault: kv.clone(),
        key: root.clone(),
        body: shared::model::RotationPolicy { enabled: true, interval_months },
    };
    assert_eq!(code(p.both(policy(13)).await), "InvalidRotationInterval");
    ok(p.both(policy(6)).await);
    ok(p.both(svc::DeregisterResource { vault: kv.clone(), key: root.clone(), resource }).await);
    let wrap = |plaintext: Option<&str>| svc::WrapDataKey {
        vault: kv.clone(),
        key: root.clone(),
        body: WrapRequest { plaintext: plaintext.map(str::to_owned) },
    };
    ok(p.both(wrap(None)).await);
    let ciphertext =
        ok(p.both(wrap(Some("c2VjcmV0"))).await)["ciphertext"].as_str().expect("wrapped").to_owned();
    assert_eq!(code(p.both(wrap(Some("not base64!"))).await), "InvalidDataKey");
    let unwrap = |ciphertext: &str| svc::UnwrapDataKey {
        vault: kv.clone(),
        key: root.clone(),
        body: UnwrapRequest { ciphertext: ciphertext.to_owned() },
    };
    assert_eq!(ok(p.both(unwrap(&ciphertext)).await)["plaintext"], "c2VjcmV0");
    let enabled = |enabled| svc::SetKeyEnabled {
        vault: kv.clone(),
        key: root.clone(),
        body: SetKeyEnabledRequest { enabled },
    };
    ok(p.both(enabled(false)).await);
    assert_eq!(code(p.both(unwrap(&ciphertext)).await), "SsemUserErrorEncryptionKeyDisabled");
    ok(p.both(enabled(true)).await);

    // The cloud surfaces' own endpoints, as their adapters call them.
    surface_endpoints(&mut p, &subscription, &kv, &root, &ciphertext).await;

    // API keys.
    let named = |name: &str| CreateApiKeyRequest { name: name.into(), ..Default::default() };
    let created = ok(p.both(svc::CreateApiKey { body: named("parity") }).await);
    let id = created["key"]["id"].as_str().expect("an id").to_owned();
    assert_eq!(code(p.both(svc::CreateApiKey { body: named("") }).await), "InvalidName");
    let bad_role = CreateApiKeyRequest { role: Some("Superuser".into()), ..named("x") };
    assert_eq!(code(p.both(svc::CreateApiKey { body: bad_role }).await), "UnknownRole");
    ok(p.both(svc::ListApiKeys {}).await);

    // The credential exchanges, called by anyone: a token for the key's secret and for an
    // identity's client secret, each traced back to its principal; a wrong secret, a forged
    // token and another tenant refused alike; where a vault's data plane answers.
    let anyone = || Principal::Anonymous;
    let secret = |text: &str| svc::Secret(text.to_owned());
    let api_key_grant =
        |apikey: &str| svc::IssueAccessToken { body: svc::ApiKeyGrant { apikey: secret(apikey) } };
    let issued =
        ok(p.both_surface(anyone(), api_key_grant(created["secret"].as_str().expect("a secret"))).await);
    let bearer = |token: &str| svc::Bearer { token: secret(token) };
    let traced = |token: &str| svc::AccessTokenCaller { body: bearer(token) };
    let caller = ok(p.both_surface(anyone(), traced(issued["token"].as_str().expect("a token"))).await);
    assert_eq!(caller["principal"], format!("apikey:{id}"));
    assert_eq!(code(p.both_surface(anyone(), api_key_grant("kb_wrong")).await), "Unauthorized");
    assert_eq!(code(p.both_surface(anyone(), traced("forged.token")).await), "Unauthorized");
    let uai = p.world.identities.get(&identity).expect("in the world").clone();
    let body = CreateApiKeyRequest { identity: Some(uai.client_id.clone()), ..named("parity-uai secret") };
    let client_secret =
        ok(p.both(svc::CreateApiKey { body }).await)["secret"].as_str().expect("a secret").to_owned();
    let client_credentials = |tenant: &str| svc::IssueIdentityToken {
        body: svc::ClientCredentials {
            client_id: uai.client_id.clone(),
            tenant: tenant.to_owned(),
            client_secret: secret(&client_secret),
        },
    };
    let issued = ok(p.both_surface(anyone(), client_credentials(&uai.tenant_id)).await);
    let named_by = svc::IdentityTokenCaller { body: bearer(issued["token"].as_str().expect("a token")) };
    let caller = ok(p.both_surface(anyone(), named_by).await);
    assert_eq!(caller["principal"], format!("identity:{}", uai.principal_id));
    assert_eq!(code(p.both_surface(anyone(), client_credentials("another-tenant")).await), "Unauthorized");
    let forged = svc::IdentityTokenCaller { body: bearer("forged.token") };
    assert_eq!(code(p.both_surface(anyone(), forged).await), "Unauthorized");
    let address = shared::model::address_of_vault(&p.world, &kv).expect("an address");
    assert_eq!(ok(p.both_surface(anyone(), svc::LocateVault { address }).await)["name"], kv.as_str());
    assert_eq!(code(p.both_surface(anyone(), svc::LocateVault { address: 1 }).await), "NotFound");

    // Access control: the same grants and the same refusals on both sides, for both accounts.
    ok(p.both(svc::ListRoles {}).await);
    ok(p.both(svc::ListAccounts {}).await);
    ok(p.both(svc::ListRoleAssignments { body: Default::default() }).await);
    let at_kv = svc::AssignmentQuery { scope: Some(format!("/vaults/{kv}")) };
    ok(p.both(svc::ListRoleAssignments { body: at_kv }).await);
    let query = svc::AccessQuery { principal: format!("user:{READER}"), scope: None };
    let access = ok(p.both_as(READER, svc::CheckAccess { body: query }).await);
    assert_eq!(access[0]["actions"], serde_json::json!(["Read"]), "{access}");
    let grant = |role: &str, scope: &str| svc::CreateRoleAssignment {
        body: svc::RoleAssignmentRequest {
            principal: format!("user:{READER}"),
            role: role.into(),
            scope: scope.into(),
        },
    };
    assert_eq!(code(p.both_as(READER, grant("Owner", "/")).await), "AccessDenied");
    assert_eq!(code(p.both(grant("Contributor", "/")).await), "UnknownRole");
    assert_eq!(code(p.both(grant("Reader", "/disks/d")).await), "InvalidScope");
    assert_eq!(code(p.both(grant("Reader", "/")).await), "RoleAssignmentExists");
    let wrap_as_reader = svc::WrapDataKey {
        vault: kv.clone(),
        key: root.clone(),
        body: WrapRequest { plaintext: Some("c2VjcmV0".into()) },
    };
    assert_eq!(code(p.both_as(READER, wrap_as_reader.clone()).await), "AccessDenied");
    let assignment = ok(p.both(grant("Key Administrator", &format!("/vaults/{kv}"))).await);
    ok(p.both_as(READER, wrap_as_reader).await);
    let id_of = |v: &Value| v["id"].as_str().expect("an id").to_owned();
    ok(p.both(svc::DeleteRoleAssignment { assignment: id_of(&assignment) }).await);
    let owner = svc::DeleteRoleAssignment { assignment: "instance-owner".into() };
    assert_eq!(code(p.both(owner).await), "LastOwnerCannotBeRemoved");
    ok(p.both(svc::RevokeApiKey { id }).await);
    assert_eq!(code(p.both(svc::RevokeApiKey { id: "nope".into() }).await), "NotFound");

    // Accounts: created with a role, disabled, refused, deleted; never the last Owner.
    let account = |name: &str, role: Option<&str>| svc::CreateAccount {
        body: svc::CreateAccountRequest {
            name: name.into(),
            password: "parity passphrase".into(),
            role: role.map(str::to_owned),
            scope: None,
        },
    };
    ok(p.both(account("parity-kim", Some("Auditor"))).await);
    assert_eq!(code(p.both(account("parity-kim", None)).await), "AccountExists");
    assert_eq!(code(p.both(account("Parity Kim", None)).await), "InvalidName");
    assert_eq!(code(p.both_as(READER, account("parity-lee", None)).await), "AccessDenied");
    let disable = |name: &str| svc::UpdateAccount {
        account: name.into(),
        body: svc::UpdateAccountRequest { enabled: false },
    };
    ok(p.both(disable("parity-kim")).await);
    assert_eq!(code(p.both(disable("admin")).await), "LastOwnerCannotBeRemoved");
    ok(p.both(svc::DeleteAccount { account: "parity-kim".into() }).await);
    assert_eq!(code(p.both(svc::DeleteAccount { account: "parity-kim".into() }).await), "NotFound");

    // Encryption at rest: key providers, a rekey followed to its end by number, its release.
    let provider = AddKeyProviderRequest {
        name: "parity-kp".into(),
        url: "http://127.0.0.1:9".into(),
        instance: "kv".into(),
        root_key_id: "root".into(),
        api_key: "secret".into(),
    };
    let added = ok(p.both(svc::AddKeyProvider { body: provider.clone() }).await);
    assert_eq!(code(p.both(svc::AddKeyProvider { body: provider }).await), "Conflict");
    ok(p.both(svc::ListKeyProviders {}).await);
    assert_eq!(code(p.both(svc::TestKeyProvider { id: "99".into() }).await), "NotFound");
    let external =
        RekeyRequest { key_management_type: Some(KeyManagement::External), ..RekeyRequest::default() };
    assert_eq!(code(p.both(svc::RekeyMasterKey { body: external }).await), "InvalidKeyManagementParameters");
    let rekey = ok(p
        .both(svc::RekeyMasterKey { body: RekeyRequest { batch_size: Some(3), ..RekeyRequest::default() } })
        .await);
    assert_eq!(
        code(p.both(svc::RekeyMasterKey { body: RekeyRequest::default() }).await),
        "MasterKeyRekeyInProgress"
    );
    let handle = rekey["handle"].to_string();
    assert_eq!(code(p.both(svc::ReleaseOperationHandle { handle: handle.clone() }).await), "Conflict");
    p.run_operations().await;
    let done = ok(p.both(svc::GetOperationByHandle { handle: handle.clone() }).await);
    assert_eq!(done["state"], "Succeeded");
    let keep = svc::TakeResultRequest { keep: true };
    let kept = ok(p.both(svc::TakeAsyncResult { handle: handle.clone(), body: keep }).await);
    assert_eq!(kept["operation"]["state"], "Succeeded");
    assert!(kept["encryption_at_rest"].is_object(), "a rekey's result names its keys: {kept}");
    ok(p.both(svc::ReleaseOperationHandle { handle: handle.clone() }).await);
    let take = svc::TakeAsyncResult { handle: handle.clone(), body: svc::TakeResultRequest::default() };
    assert_eq!(code(p.both(take).await), "NotFound");
    assert_eq!(code(p.both(svc::GetOperationByHandle { handle }).await), "NotFound");
    let at_rest = ok(p.both(svc::GetEncryptionAtRest {}).await);
    let states: Vec<&Value> = at_rest["keys"].as_array().expect("keys").iter().map(|k| &k["state"]).collect();
    assert!(states.contains(&&Value::from("Decommissioned")) && states.contains(&&Value::from("Active")));
    let provider_id = added["id"].to_string();
    ok(p.both(svc::RemoveKeyProvider { id: provider_id.clone() }).await);
    assert_eq!(code(p.both(svc::RemoveKeyProvider { id: provider_id }).await), "NotFound");

    // Orders, encryption, failures and their fixes.
    let orders = ok(p.both(svc::ListOrders {}).await);
    let order = orders[0]["id"].as_str().expect("an order").to_owned();
    let version = p.world.vaults.get(&vault).expect("in the world").keys[&key].versions[0].id.clone();
    ok(p.both(svc::GetOrder { order: order.clone() }).await);
    ok(p.both(svc::GetEncryption { order: order.clone() }).await);
    let cmk = |identity: IdentityChoice| SaveEncryptionRequest {
        settings: EncryptionSettings::CustomerManaged(shared::model::CustomerKey {
            vault: vault.clone(),
            key: key.clone(),
            version: version.clone(),
            key_url: String::new(),
            identity,
        }),
    };
    ok(p.both(svc::SaveEncryption {
        order: order.clone(),
        if_match: None,
        body: cmk(IdentityChoice::SystemAssigned),
    })
    .await);
    ok(p.both(svc::FetchDevicePassword { order: order.clone() }).await);
    let disabled = VersionAttributes { enabled: false, ..attributes };
    let update = svc::UpdateVersion {
        vault: vault.clone(),
        key: key.clone(),
        version: version.clone(),
        body: disabled,
    };
    ok(p.both(update).await);
    let failure =
        p.both(svc::FetchDevicePassword { order: order.clone() }).await.expect_err("a disabled key");
    assert_eq!(failure["code"], "SsemUserErrorEncryptionKeyDisabled");
    let fix: FixAction = serde_json::from_value(failure["fix"].clone()).expect("a fix");
    let subject: Subject = serde_json::from_value(failure["subject"].clone()).expect("a subject");
    let fix_proof: String = serde_json::from_value(failure["fix_proof"].clone()).expect("a proof");
    let elsewhere = FixAction::GrantKeyPermissions {
        vault: "another-vault".into(),
        principal_id: "someone".into(),
        permissions: vec![KeyPermission::UnwrapKey],
    };
    let forged = ApplyFixRequest { subject: subject.clone(), fix: elsewhere, fix_proof: fix_proof.clone() };
    assert_eq!(code(p.both(svc::ApplyFix { if_match: None, body: forged }).await), "FixNotApplicable");
    let offered = ApplyFixRequest { subject, fix, fix_proof };
    ok(p.both(svc::ApplyFix { if_match: None, body: offered.clone() }).await);
    ok(p.both(svc::FetchDevicePassword { order: order.clone() }).await);
    assert_eq!(code(p.both(svc::ApplyFix { if_match: Some(0), body: offered }).await), "Conflict");
    let fixes = AuditQuery { action: Some(AuditAction::FixApply), ..AuditQuery::default() };
    let page = ok(p.both(svc::ListAudit { body: fixes }).await);
    let outcomes: Vec<&Value> =
        page["entries"].as_array().expect("entries").iter().map(|e| &e["failure"]).collect();
    assert_eq!(outcomes, [&Value::from("Conflict"), &Value::Null, &Value::from("FixNotApplicable")]);
    assert_eq!(page["chain"]["intact"], true);
    let user = IdentityChoice::UserAssigned { identity_id: identity.clone() };
    let body = OrderIdentitiesRequest { identity_ids: vec![identity.clone()] };
    ok(p.both(svc::AttachUserIdentities { order: order.clone(), if_match: None, body: body.clone() }).await);
    let failure =
        code(p.both(svc::SaveEncryption { order: order.clone(), if_match: None, body: cmk(user) }).await);
    assert_eq!(failure, "SsemUserErrorKeyVaultBadRequestException");
    ok(p.both(svc::DetachUserIdentities { order: order.clone(), if_match: None, body }).await);
    let body = SaveByKeyUrlRequest {
        key_url: format!("http://{vault}.vault.azure.net/keys/{key}/{version}"),
        identity: IdentityChoice::SystemAssigned,
    };
    let failure =
        code(p.both(svc::SaveEncryptionByKeyUrl { order: order.clone(), if_match: None, body }).await);
    assert_eq!(failure, "SsemUserErrorKeyVaultUrlWithInvalidScheme");
    ok(p.both(svc::RevertEncryption { order: order.clone(), if_match: None }).await);
    assert_eq!(
        code(p.both(svc::RevertEncryption { order: order.clone(), if_match: Some(1) }).await),
        "Conflict"
    );
    ok(p.both(svc::RemoveSystemIdentity { order: order.clone(), if_match: None }).await);
    ok(p.both(svc::RecreateSystemIdentity { order: order.clone(), if_match: None }).await);
    let body = CreateOrderRequest {
        name: "Parity-Order".into(),
        subscription_id: subscription.clone(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
    };
    ok(p.both(svc::CreateOrder { body }).await);
    ok(p.both(svc::GetCatalog {}).await);
    ok(p.both(svc::DeleteIdentity { identity }).await);

    // Device key rollover, every step, the key change operation run by both runners.
    let path = svc::ManagerPath {
        subscription: subscription.clone(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        manager: demo::DEMO_DEVICE_MANAGER.into(),
    };
    let device = |name: &str| (path.clone(), name.to_owned());
    ok(p.both(svc::ListDeviceManagers {}).await);
    ok(p.both(svc::ListDevices { path: path.clone() }).await);
    let (at, name) = device("hcs-8600-02");
    assert_eq!(code(p.both(svc::AuthorizeRollover { path: at, device: name }).await), "DeviceNotOnline");
    let (at, name) = device("hcs-8100-01");
    ok(p.both(svc::AuthorizeRollover { path: at, device: name }).await);
    let (at, name) = device("hcs-8100-01");
    let change = ok(p.both(svc::InitiateKeyChange { path: at, device: name }).await);
    let key = change["serviceDataEncryptionKey"].as_str().expect("the new key").to_owned();
    p.run_operations().await;
    let settings = ok(p.both(svc::GetManagerEncryption { path: path.clone() }).await);
    assert_eq!(settings["keyRolloverStatus"], "Required");
    let (at, name) = device("hcs-8100-01");
    let body = DeviceSettingsRequest { description: "rack 4".into() };
    let blocked = code(p.both(svc::UpdateDevice { path: at, device: name, body: body.clone() }).await);
    assert_eq!(blocked, "ManagementBlockedUntilDevicesUpdated");
    let (at, name) = device("cloud-8020-01");
    let outdated = code(p.both(svc::ReadCredentials { path: at, device: name }).await);
    assert_eq!(outdated, "DeviceServiceDataEncryptionKeyOutdated");
    let wrong = ServiceKeyRequest { service_data_encryption_key: crypto::b64(&[0; 32]) };
    let (at, name) = device("hcs-8600-02");
    let mismatch = code(p.both(svc::UpdateDeviceKey { path: at, device: name, body: wrong }).await);
    assert_eq!(mismatch, "ServiceDataEncryptionKeyMismatch");
    let right = ServiceKeyRequest { service_data_encryption_key: key };
    ok(p.both(svc::UpdateCloudAppliances { path: path.clone(), body: right.clone() }).await);
    let (at, name) = device("hcs-8600-02");
    let queued = ok(p.both(svc::UpdateDeviceKey { path: at, device: name, body: right }).await);
    assert_eq!(queued["result"], "Queued");
    let (at, name) = device("hcs-8600-02");
    let online = ConnectivityRequest { online: true };
    ok(p.both(svc::SetDeviceConnectivity { path: at, device: name, body: online }).await);
    let (at, name) = device("hcs-8600-02");
    ok(p.both(svc::ReadCredentials { path: at, device: name }).await);
    let (at, name) = device("hcs-8100-01");
    ok(p.both(svc::UpdateDevice { path: at, device: name, body }).await);

    // Secret rotation: a share issued for rehearsal, a broken one refused, an external run and
    // an internal one carried out by both runners, the BMC credential.
    let stamp = demo::DEMO_STAMP.to_owned();
    ok(p.both(svc::ListStamps {}).await);
    // A share's .pfx files are salted by the PKCS#12 writer itself, so two runs never give the
    // same bytes: the route is compared on a refusal, and the share the runs use is made once.
    let share = CertificateShareRequest {
        issuer: ShareIssuer::DeploymentAuthority,
        days: 365,
        password: String::new(),
    };
    let refused = code(p.both(svc::IssueCertificateShare { stamp: stamp.clone(), body: share }).await);
    assert_eq!(refused, "InvalidSecretRotationParameters");
    let files = p.locally(|w, ctx| {
        ops::issue_certificate_share(w, ctx, &stamp, ShareIssuer::DeploymentAuthority, 365, "pw")
    });
    let mut broken = files.clone();
    broken.pop();
    let request = |pfx_files| StartSecretRotationRequest {
        pfx_files,
        certificate_password: Some("pw".into()),
        ..Default::default()
    };
    let refused =
        code(p.both(svc::StartSecretRotation { stamp: stamp.clone(), body: request(broken) }).await);
    assert_eq!(refused, "CertificateEndpointFolderMissing");
    ok(p.both(svc::StartSecretRotation { stamp: stamp.clone(), body: request(files) }).await);
    p.run_operations().await;
    let internal = StartSecretRotationRequest { internal: true, ..Default::default() };
    ok(p.both(svc::StartSecretRotation { stamp: stamp.clone(), body: internal }).await);
    p.run_operations().await;
    let bmc = SetBmcCredentialRequest { bmc_user: Some("bmc-parity".into()), bmc_password: "pw".into() };
    let after = ok(p.both(svc::SetBmcCredential { stamp: stamp.clone(), body: bmc }).await);
    assert_eq!(after["rotations"], 2);
    ok(p.both(svc::GetStamp { stamp: stamp.clone() }).await);
    let downgrade = UpdateStampRequest { version: 1803 };
    assert_eq!(code(p.both(svc::UpdateStamp { stamp: stamp.clone(), body: downgrade }).await), "Conflict");
    ok(p.both(svc::UpdateStamp { stamp, body: UpdateStampRequest { version: 1903 } }).await);
    let adfs = CreateStampRequest {
        name: "azs-adfs".into(),
        version: 1811,
        identity_provider: shared::model::IdentityProvider::Adfs,
    };
    ok(p.both(svc::CreateStamp { body: adfs }).await);

    // Vault lifecycle, then time passing: retention ends and advance purges.
    ok(p.both(svc::DeleteVault { vault: "parity-kv".into() }).await);
    ok(p.both(svc::ListDeletedVaults {}).await);
    ok(p.both(svc::RecoverVault { vault: "parity-kv".into() }).await);
    ok(p.both(svc::DeleteVault { vault: "parity-kv".into() }).await);
    assert_eq!(code(p.both(svc::PurgeVault { vault: "parity-kv".into() }).await), "PurgeProtected");
    p.assert_same_worlds().await;

    // Issuing a certificate share (private keys) and testing a key provider are recorded too.
    for action in [AuditAction::CertificateShareIssue, AuditAction::KeyProviderTest] {
        let page = ok(p
            .both(svc::ListAudit { body: AuditQuery { action: Some(action), ..AuditQuery::default() } })
            .await);
        assert!(page["entries"].as_array().is_some_and(|e| !e.is_empty()), "{action:?} is audited: {page}");
    }

    struct All(BTreeSet<String>);
    impl Visitor for All {
        fn visit<E: Endpoint>(&mut self) {
            self.0.insert(E::ROUTE.key());
        }
    }
    let mut all = All(BTreeSet::new());
    visit_endpoints(&mut all);
    visit_surface_endpoints(&mut all);
    let missed: Vec<&String> = all.0.difference(&p.covered).collect();
    assert!(missed.is_empty(), "routes the parity script does not exercise: {missed:?}");
}

/// Every endpoint only the cloud surfaces reach: the Key Vault data plane on the demo key, Data
/// Box jobs on the demo order, and Key Protect's keys named by id, successes and refusals.
async fn surface_endpoints(p: &mut Parity, subscription: &str, kv: &str, root: &str, ciphertext: &str) {
    let admin = || Principal::user("admin");
    let (vault, key) = (demo::DEMO_VAULT.to_owned(), demo::DEMO_KEY.to_owned());

    // Key Vault data plane: generate, import, wrap and unwrap with a version, update.
    let body = GenerateKeyRequest {
        name: "parity-ec".into(),
        key_type: KeyType::Ec,
        size: 256,
        attributes: VersionAttributes::default(),
    };
    ok(p.both_surface(admin(), svc::GenerateKey { vault: vault.clone(), body: body.clone() }).await);
    assert_eq!(
        code(p.both_surface(admin(), svc::GenerateKey { vault: vault.clone(), body }).await),
        "KeyNameTaken"
    );
    let jwk = RsaJsonWebKey {
        n: "AQAB".into(),
        e: "AQAB".into(),
        d: "AQAB".into(),
        p: "AQAB".into(),
        q: "AQAB".into(),
    };
    let import =
        ImportJsonWebKeyRequest { key_type: KeyType::Rsa, jwk, attributes: VersionAttributes::default() };
    let import = svc::ImportJsonWebKey { vault: vault.clone(), key: "parity-jwk".into(), body: import };
    assert!(p.both_surface(admin(), import).await.is_err(), "a broken JSON Web Key is refused alike");
    let value = crypto::b64url(&[7u8; 32]);
    let wrap = svc::WrapWithVersion {
        vault: vault.clone(),
        key: key.clone(),
        version: String::new(),
        body: KeyOperationRequest { algorithm: "RSA-OAEP-256".into(), value },
    };
    let wrapped = ok(p.both_surface(admin(), wrap.clone()).await);
    let (version, value) =
        (wrapped["version"].as_str().expect("a version"), wrapped["value"].as_str().expect("a value"));
    let unwrap = svc::UnwrapWithVersion {
        vault: vault.clone(),
        key: key.clone(),
        version: version.to_owned(),
        body: KeyOperationRequest { algorithm: "RSA-OAEP-256".into(), value: value.to_owned() },
    };
    ok(p.both_surface(admin(), unwrap).await);
    // An identity the access policy grants nothing is refused the same way on both sides.
    let stranger = Principal::Identity("00000000-0000-0000-0000-00000000dead".into());
    assert_eq!(code(p.both_surface(stranger, wrap).await), "SsemUserErrorKeyVaultBadRequestException");
    let patch = svc::VersionPatch { enabled: Some(true), ..Default::default() };
    let patched = ok(p
        .both_surface(
            admin(),
            svc::PatchVersion { vault: vault.clone(), key: key.clone(), version: String::new(), body: patch },
        )
        .await);
    assert_eq!(patched["version"]["enabled"], true);

    // Data Box jobs.
    let filter = svc::JobFilter { resource_group: None };
    ok(p.both_surface(admin(), svc::ListJobs { subscription: subscription.to_owned(), body: filter }).await);
    let path = || svc::JobPath {
        subscription: subscription.to_owned(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        job: demo::DEMO_ORDER.to_lowercase(),
    };
    ok(p.both_surface(admin(), svc::GetJob { path: path() }).await);
    let update = svc::UpdateJob { path: path(), body: svc::JobKeyChoice::MicrosoftManaged };
    ok(p.both_surface(admin(), update).await);
    assert_eq!(
        code(
            p.both_surface(
                Principal::user(READER),
                svc::UpdateJob { path: path(), body: svc::JobKeyChoice::MicrosoftManaged }
            )
            .await
        ),
        "AccessDenied"
    );

    // Key Protect: every key route by the key's id.
    let id = ok(p.both(svc::GetKey { vault: kv.to_owned(), key: root.to_owned() }).await)["id"]
        .as_str()
        .expect("a key id")
        .to_owned();
    let by_id = |request| svc::ByKeyId { request };
    let (kv, id_of) = (kv.to_owned(), id.clone());
    let read =
        ok(p.both_surface(admin(), by_id(svc::ReadKey { vault: kv.clone(), key: id_of.clone() })).await);
    assert_eq!(read["key"]["name"], root);
    let unknown = svc::ReadKey { vault: kv.clone(), key: "00000000-0000-0000-0000-000000000000".into() };
    assert_eq!(code(p.both_surface(admin(), by_id(unknown)).await), "NotFound");
    ok(p.both_surface(admin(), svc::ListVaultRegistrations { vault: kv.clone() }).await);
    ok(p.both_surface(
        admin(),
        svc::ByKeyId { request: svc::ListVersions { vault: kv.clone(), key: id.clone() } },
    )
    .await);
    ok(p.both_surface(
        admin(),
        svc::ByKeyId { request: svc::ListRegistrations { vault: kv.clone(), key: id.clone() } },
    )
    .await);
    let off = RotationPolicy { enabled: false, interval_months: 0 };
    let policy = ok(p
        .both_surface(
            admin(),
            svc::ByKeyId {
                request: svc::SetRotationPolicy { vault: kv.clone(), key: id.clone(), body: off },
            },
        )
        .await);
    assert_eq!(policy["key"]["rotation_policy"]["enabled"], false, "{policy}");
    let rotate = svc::RotateKey { vault: kv.clone(), key: id.clone(), body: RotateKeyRequest::default() };
    match p.both_surface(admin(), svc::ByKeyId { request: rotate }).await {
        Ok(rotated) => {
            assert!(rotated["key"]["versions"].as_array().is_some_and(|v| v.len() >= 2), "{rotated}")
        }
        Err(refused) => assert_eq!(refused["code"], "KeyRotationNotPermitted", "{refused}"),
    }
    let enabled = |enabled| svc::SetKeyEnabled {
        vault: kv.clone(),
        key: id.clone(),
        body: SetKeyEnabledRequest { enabled },
    };
    ok(p.both_surface(admin(), svc::ByKeyId { request: enabled(true) }).await);
    let wrap = svc::WrapDataKey {
        vault: kv.clone(),
        key: id.clone(),
        body: WrapRequest { plaintext: Some("c2VjcmV0".into()) },
    };
    ok(p.both_surface(admin(), svc::ByKeyId { request: wrap }).await);
    let unwrap = svc::UnwrapDataKey {
        vault: kv.clone(),
        key: id.clone(),
        body: UnwrapRequest { ciphertext: ciphertext.to_owned() },
    };
    assert_eq!(
        ok(p.both_surface(admin(), svc::ByKeyId { request: unwrap }).await)["answer"]["plaintext"],
        "c2VjcmV0"
    );
    let unwrap_as_reader = svc::UnwrapDataKey {
        vault: kv.clone(),
        key: id.clone(),
        body: UnwrapRequest { ciphertext: ciphertext.to_owned() },
    };
    assert_eq!(
        code(p.both_surface(Principal::user(READER), svc::ByKeyId { request: unwrap_as_reader }).await),
        "AccessDenied"
    );

    // A key of its own, deleted, restored, deleted again and purged, all by id.
    let body = CreateRootKeyRequest { name: "parity-by-id".into(), payload: None };
    let created = ok(p.both(svc::CreateRootKey { vault: kv.clone(), body }).await);
    let id = created["id"].as_str().expect("a key id").to_owned();
    let deleted = ok(p
        .both_surface(
            admin(),
            svc::ByKeyId { request: svc::DeleteKey { vault: kv.clone(), key: id.clone() } },
        )
        .await);
    assert!(deleted["key"]["deleted_at"].is_number(), "the deleted key: {deleted}");
    ok(p.both_surface(
        admin(),
        svc::ByKeyId { request: svc::RecoverKey { vault: kv.clone(), key: id.clone() } },
    )
    .await);
    ok(p.both_surface(
        admin(),
        svc::ByKeyId { request: svc::DeleteKey { vault: kv.clone(), key: id.clone() } },
    )
    .await);
    let purge = svc::ByKeyId { request: svc::PurgeKey { vault: kv.clone(), key: id.clone() } };
    match p.both_surface(admin(), purge).await {
        Ok(purged) => assert_eq!(purged["key"]["name"], "parity-by-id", "{purged}"),
        Err(refused) => assert_eq!(refused["code"], "PurgeProtected", "{refused}"),
    }
}
