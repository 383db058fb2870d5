//! Throughput: RSA-2048 unwraps per second through each surface that unwraps, as its users call
//! it, against the bare native RSA-OAEP-2048 decryption rate on every core of this machine,
//! measured in the same run. Each request is the whole path: HTTP, a bearer token or session,
//! access and firewall checks, the key's state, the audit entry.

use std::time::{Duration, Instant};

use aws_lc_rs::{
    encoding::{AsDer, Pkcs8V1Der},
    rsa::{
        KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, OaepPublicEncryptingKey,
        PrivateDecryptingKey,
    },
};
use base64::Engine;
use reqwest::Client;
use serde_json::{Value, json};
use shared::{
    crypto,
    demo::{DEMO_KEY, DEMO_KEY_BITS, DEMO_VAULT},
};

use crate::{
    backend::{Load, latency, load_with, use_customer_key},
    report::{Section, Stats, ratio},
    server::{Server, cpu_seconds_of},
};

/// Clients at once, as a test suite's worker pool would be.
const CONCURRENCY: usize = 32;
const WARM_UP: Duration = Duration::from_secs(1);
const RUN: Duration = Duration::from_secs(6);
/// Key Vault unwraps and Key Protect unwraps against the bare rate; Device passwords (which
/// also decide the order's state) against a lower share.
const UNWRAP_SHARE: f64 = 0.7;
const DEVICE_PASSWORD_SHARE: f64 = 0.6;

pub async fn measure(server: &Server) -> Section {
    let mut section = Section::new(
        "Throughput",
        &format!(
            "The release server as its own process with SQLite on disk, {CONCURRENCY} clients at once from a load generator on one thread of the same machine (so the server has a little less than every core). Each unwrap is the whole path its users take: a Key Vault `unwrapkey` with a bearer token from the token endpoint, a Key Protect `unwrap` action with an IAM token, a Device password with the portal's session; each one checks access, the firewall and the key's state and writes its audit entry. The ceiling is bare RSA-OAEP-2048 decryption (AWS-LC, the key parsed once) on every core, in-process, measured in this run before and after the surfaces (the higher of the two). CPU per operation is the server process's own (user + system), from /proc, and beside it the load generator's: the two share the cores, so the server's rate is bounded by the cores divided by their sum."
        ),
        &[
            "operation",
            "per second",
            "p50 / p99",
            "ratio to the ceiling",
            "server CPU per operation",
            "load generator CPU per operation",
        ],
    );
    let ceiling_before = bare_decryptions_per_second(Duration::from_secs(3));
    let rsa_crate = rsa_crate_decryptions_per_second(Duration::from_secs(2));
    // Each phase has clients of its own, dropped after it: the server allows one address 64
    // connections, and a pool kept from the phase before would count against the next.
    let client = server.client().await;
    let order = use_customer_key(server, &client).await;
    let surfaces = Surfaces::prepare(server, &client).await;
    drop(client);

    let mut rows = Vec::new();
    let device_password = server.url(&format!("/api/orders/{order}/device-password"));
    let portal = server.client().await;
    rows.push((
        "Device password (portal)",
        DEVICE_PASSWORD_SHARE,
        run(server, move |_| portal.post(&device_password)).await,
    ));
    let Surfaces { vault_client: kv, plain: kp, key_vault: kv_request, key_protect: kp_request } = surfaces;
    rows.push((
        "Key Vault unwrapkey (RSA-OAEP-256)",
        UNWRAP_SHARE,
        run(server, move |_| kv.post(&kv_request.0).bearer_auth(&kv_request.1).json(&kv_request.2)).await,
    ));
    rows.push((
        "Key Protect unwrap action",
        UNWRAP_SHARE,
        run(server, move |_| {
            kp.post(&kp_request.0)
                .bearer_auth(&kp_request.1)
                .header("bluemix-instance", DEMO_VAULT)
                .json(&kp_request.2)
        })
        .await,
    ));
    // Measured before and after the surfaces; the higher one counts (a virtual machine's cores
    // vary by a tenth or more from minute to minute: the ratio must not gain from a slow spell).
    let ceiling = ceiling_before.max(bare_decryptions_per_second(Duration::from_secs(3)));

    section.row(vec![
        "ceiling: bare RSA-OAEP-2048 decryption, every core".into(),
        format!("{ceiling:.0}"),
        String::new(),
        "1.00x".into(),
        format!("{:.0} µs", 1e6 * cores() as f64 / ceiling),
        String::new(),
    ]);
    section.row(vec![
        "for comparison: the `rsa` crate (the browser's), every core".into(),
        format!("{rsa_crate:.0}"),
        String::new(),
        ratio(rsa_crate, ceiling),
        format!("{:.0} µs", 1e6 * cores() as f64 / rsa_crate),
        String::new(),
    ]);
    let mut figures = Vec::new();
    for (name, share, (load, cpu)) in &rows {
        let per_second = load.per_second();
        let cpu_us = 1e6 * cpu.server / load.ok.max(1) as f64;
        let clients_us = 1e6 * cpu.clients / load.ok.max(1) as f64;
        section.row(vec![
            format!("{name} ({} failed)", load.failed),
            format!("{per_second:.0}"),
            latency(load),
            ratio(per_second, ceiling),
            format!("{cpu_us:.0} µs"),
            format!("{clients_us:.0} µs"),
        ]);
        section.verdict(
            format!("{name}: at least {share:.1}x the bare RSA ceiling"),
            format!("{per_second:.0}/s, {} of {ceiling:.0}/s", ratio(per_second, ceiling)),
            per_second >= share * ceiling && load.failed == 0,
        );
        if let Some(failure) = &load.first_failure {
            section.note(format!(
                "{name}: the first failure was {}",
                failure.chars().take(300).collect::<String>()
            ));
        }
        figures.push(json!({ "operation": name, "per_second": per_second, "failed": load.failed, "latency_ms": Stats::of(&load.latencies_ms), "cpu_us": cpu_us, "load_generator_cpu_us": clients_us }));
    }
    section.figure("ceiling_per_second", json!(ceiling));
    section.figure("rsa_crate_per_second", json!(rsa_crate));
    section.figure("operations", json!(figures));
    section
}

/// CPU seconds spent during a run: the server's and the load generator's (this process).
struct Cpu {
    server: f64,
    clients: f64,
}

/// A warm-up, then the load; with the CPU seconds spent during it.
async fn run<F>(server: &Server, request: F) -> (Load, Cpu)
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + Clone + 'static,
{
    load_with(CONCURRENCY, WARM_UP, request.clone()).await;
    let before = Cpu { server: server.cpu_seconds(), clients: cpu_seconds_of(std::process::id()) };
    let load = load_with(CONCURRENCY, RUN, request).await;
    let cpu = Cpu {
        server: server.cpu_seconds() - before.server,
        clients: cpu_seconds_of(std::process::id()) - before.clients,
    };
    (load, cpu)
}

/// What the data-plane requests need: a URL, a bearer token and a body each.
struct Surfaces {
    /// Sends every request to the demo vault's data plane.
    vault_client: Client,
    plain: Client,
    key_vault: (String, String, Value),
    key_protect: (String, String, Value),
}

impl Surfaces {
    /// The seeded identity gets Get, WrapKey and UnwrapKey on the demo vault and a client
    /// secret; an API key gets Crypto User on the vault. Each wraps a data key to unwrap.
    async fn prepare(server: &Server, admin: &Client) -> Surfaces {
        let plain = Client::builder().pool_max_idle_per_host(64).build().expect("an HTTP client");
        let get = |path: String| {
            let request = admin.get(server.url(&path));
            async move { request.send().await.expect("a reply").json::<Value>().await.expect("JSON") }
        };
        let post = |path: &str, body: Value| {
            let request = admin.post(server.url(path)).json(&body);
            async move { ok(request.send().await.expect("a reply")).await }
        };
        let identity = get("/api/identities".into()).await[0].clone();
        let (principal, client_id) = (text(&identity["principal_id"]), text(&identity["client_id"]));
        let policy = json!({"principal_id": principal, "permissions": ["Get", "WrapKey", "UnwrapKey"]});
        let reply = admin
            .put(server.url(&format!("/api/vaults/{DEMO_VAULT}/access-policies")))
            .json(&policy)
            .send()
            .await
            .expect("a reply");
        ok(reply).await;
        let secret = text(
            &post("/api/api-keys", json!({"name": "bench key vault", "identity": client_id})).await["secret"],
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "https://vault.azure.net/.default"),
        ];
        let token_url = server.url(&format!("/{}/oauth2/v2.0/token", text(&identity["tenant_id"])));
        let azure_token = text(
            &ok(plain.post(&token_url).form(&form).send().await.expect("a token")).await["access_token"],
        );

        // The vault's own address (127.0.0.N) is in the Host header: that is how the server tells
        // a data-plane request, whichever local address the connection reached.
        let vault = get(format!("/api/vaults/{DEMO_VAULT}")).await;
        let address = text(&vault["data_plane_address"]);
        let host = address.trim_start_matches("https://").split(':').next().unwrap_or_default().to_owned();
        let port = server.base.rsplit_once(':').map(|(_, p)| p.to_owned()).unwrap_or_default();
        let vault_host = format!("{host}:{port}");
        let vault_client = Client::builder()
            .pool_max_idle_per_host(64)
            .default_headers(
                [(reqwest::header::HOST, vault_host.parse().expect("a host"))].into_iter().collect(),
            )
            .build()
            .expect("an HTTP client");
        let data_plane = server.base.clone();
        let key = get(format!("/api/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await;
        let version = text(&key["versions"][0]["id"]);
        let data_key = crypto::b64url(&[7u8; 32]);
        let wrap = format!("{data_plane}/keys/{DEMO_KEY}/{version}/wrapkey?api-version=7.6");
        let body = json!({"alg": "RSA-OAEP-256", "value": data_key});
        let wrapped =
            ok(vault_client.post(&wrap).bearer_auth(&azure_token).json(&body).send().await.expect("a wrap"))
                .await;
        let unwrap = format!("{data_plane}/keys/{DEMO_KEY}/{version}/unwrapkey?api-version=7.6");
        let key_vault = (unwrap, azure_token, json!({"alg": "RSA-OAEP-256", "value": wrapped["value"]}));

        let api_key = json!({"name": "bench key protect", "role": "Crypto User", "scope": format!("/vaults/{DEMO_VAULT}")});
        let apikey = text(&post("/api/api-keys", api_key).await["secret"]);
        let form = [("grant_type", "urn:ibm:params:oauth:grant-type:apikey"), ("apikey", apikey.as_str())];
        let iam = text(
            &ok(plain.post(server.url("/identity/token")).form(&form).send().await.expect("a token")).await["access_token"],
        );
        let plaintext = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        let wrap = server.url(&format!("/api/v2/keys/{DEMO_KEY}/actions/wrap"));
        let wrapped = plain
            .post(&wrap)
            .bearer_auth(&iam)
            .header("bluemix-instance", DEMO_VAULT)
            .json(&json!({"plaintext": plaintext}))
            .send()
            .await
            .expect("a wrap");
        let wrapped = ok(wrapped).await;
        let unwrap = server.url(&format!("/api/v2/keys/{DEMO_KEY}/actions/unwrap"));
        let key_protect = (unwrap, iam, json!({"ciphertext": wrapped["ciphertext"]}));
        Surfaces { vault_client, plain, key_vault, key_protect }
    }
}

async fn ok(reply: reqwest::Response) -> Value {
    let (status, url) = (reply.status(), reply.url().clone());
    let body = reply.text().await.unwrap_or_default();
    assert!(status.is_success(), "{url} answered {status}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("a string, not {value}")).to_owned()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `decrypt` on every core for `duration`: decryptions per second in all.
fn on_every_core(duration: Duration, decrypt: impl Fn() + Sync) -> f64 {
    let total: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..cores())
            .map(|_| {
                scope.spawn(|| {
                    let deadline = Instant::now() + duration;
                    let mut done = 0;
                    while Instant::now() < deadline {
                        decrypt();
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
    });
    total as f64 / duration.as_secs_f64()
}

/// The ceiling: AWS-LC decrypting with a key parsed once.
fn bare_decryptions_per_second(duration: Duration) -> f64 {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("an RSA key");
    let public = OaepPublicEncryptingKey::new(private.public_key()).expect("a public key");
    let mut wrapped = vec![0u8; public.ciphertext_size()];
    let wrapped =
        public.encrypt(&OAEP_SHA256_MGF1SHA256, &[7u8; 32], &mut wrapped, None).expect("wrapped").to_vec();
    let der = AsDer::<Pkcs8V1Der>::as_der(&private).expect("PKCS#8");
    let key = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(der.as_ref()).expect("a key"))
        .expect("an OAEP key");
    on_every_core(duration, || {
        let mut out = [0u8; 256];
        key.decrypt(&OAEP_SHA256_MGF1SHA256, &wrapped, &mut out, None).expect("an unwrap");
    })
}

/// The `rsa` crate doing the same, its key parsed once too.
fn rsa_crate_decryptions_per_second(duration: Duration) -> f64 {
    let key = crypto::generate_rsa(DEMO_KEY_BITS, &mut rng()).expect("an RSA key");
    let wrapped = crypto::oaep_wrap(&key.to_public_key(), &[7u8; 32], &mut rng()).expect("a wrapped value");
    on_every_core(duration, || {
        crypto::oaep_unwrap(&key, &wrapped, &mut rng()).expect("an unwrap");
    })
}

fn rng() -> getrandom::rand_core::UnwrapErr<getrandom::SysRng> {
    getrandom::rand_core::UnwrapErr(getrandom::SysRng)
}
