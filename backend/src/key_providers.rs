//! External key providers over HTTP: a Key Protect-compatible service (another Keyblade, for
//! one) keeps the master key wrapped under one of its root keys. Keyblade signs in with the
//! provider's API key (`POST /identity/token`) and calls the key's `wrap` and `unwrap` actions.
//!
//! The engine calls these synchronously, so each call drives its request to the end on a runtime
//! of this client's own (from a runtime thread, after handing that thread's other tasks on; such
//! work then counts as long and goes to the blocking pool, see `placement`). Unwrapped master keys are kept in memory, by ciphertext: the provider is
//! contacted at start (and for a key another replica created), not on every request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Value, json};
use shared::{
    catalog::Failure,
    crypto::{self, KEY_LEN, MasterKey},
    model::KeyProvider,
    ops::{KeyProviders, unreachable_provider},
};
use zeroize::Zeroizing;

/// How long one call to a provider may take.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct HttpKeyProviders {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    /// Master keys unwrapped (or wrapped) so far, by the provider's ciphertext.
    unwrapped: Arc<Mutex<HashMap<String, MasterKey>>>,
}

impl HttpKeyProviders {
    /// A client on the current runtime.
    pub fn new() -> std::io::Result<HttpKeyProviders> {
        // A redirect is an answer, never followed: following one would send the API key to
        // wherever the provider (or whoever answers at its address) points.
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(std::io::Error::other)?;
        Ok(HttpKeyProviders { client, runtime: tokio::runtime::Handle::current(), unwrapped: Arc::default() })
    }

    fn remember(&self, ciphertext: &str, key: &[u8]) {
        if let Ok(key) = MasterKey::from_slice(key) {
            let mut cache = self.unwrapped.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            cache.insert(ciphertext.to_owned(), key);
        }
    }

    fn remembered(&self, ciphertext: &str) -> Option<MasterKey> {
        let cache = self.unwrapped.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(ciphertext).cloned()
    }

    /// One key action (`wrap` or `unwrap`) with a fresh token.
    async fn action(
        &self,
        provider: &KeyProvider,
        api_key: &str,
        action: &str,
        body: Value,
    ) -> Result<Value, String> {
        let token = self.token(provider, api_key).await?;
        let url = format!("{}/api/v2/keys/{}/actions/{action}", provider.url, provider.root_key_id);
        let response = self
            .client
            .post(url)
            .bearer_auth(token.as_str())
            .header("Bluemix-Instance", &provider.instance)
            .header("Content-Type", "application/vnd.ibm.kms.key_action+json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| step_failed(&format!("the {action} call"), e))?;
        let step = format!("the {action} call");
        answer_of(response, &step).await
    }

    async fn token(&self, provider: &KeyProvider, api_key: &str) -> Result<Zeroizing<String>, String> {
        let form = serde_urlencoded::to_string([
            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
            ("apikey", api_key),
        ])
        .map_err(|e| e.to_string())?;
        let response = self
            .client
            .post(format!("{}/identity/token", provider.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| step_failed(SIGN_IN, e))?;
        let body = answer_of(response, SIGN_IN).await?;
        body["access_token"].as_str().map(|t| Zeroizing::new(t.to_owned())).ok_or_else(|| unusable(SIGN_IN))
    }

    /// Waits for `future` on this client's own runtime. Engine work may run on a runtime
    /// thread (see `placement`): that thread hands its other tasks on while it waits.
    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        CALLS.with(|calls| calls.set(calls.get() + 1));
        let flavor = tokio::runtime::Handle::try_current().map(|runtime| runtime.runtime_flavor());
        if flavor.is_ok_and(|flavor| flavor == tokio::runtime::RuntimeFlavor::MultiThread) {
            tokio::task::block_in_place(|| self.runtime.block_on(future))
        } else {
            self.runtime.block_on(future)
        }
    }
}

thread_local! {
    static CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many calls to key providers this thread has waited for: work that waited on the network
/// is long, whatever CPU time it used.
pub fn calls_on_this_thread() -> u64 {
    CALLS.with(std::cell::Cell::get)
}

/// The step that exchanges the API key for a token.
const SIGN_IN: &str = "signing in with the API key";

/// A successful JSON answer of `step`. What the far side said is never passed on: the message
/// names the step only, so a provider URL cannot be used to probe what answers where (the
/// detail goes to the server's debug log, which never holds a secret).
async fn answer_of(response: reqwest::Response, step: &str) -> Result<Value, String> {
    let status = response.status();
    if !status.is_success() {
        tracing::debug!(%status, step, "a key provider refused");
        return Err(format!("{step} failed"));
    }
    let text = Zeroizing::new(response.text().await.map_err(|e| step_failed(step, e))?);
    serde_json::from_str(&text).map_err(|_| unusable(step))
}

fn step_failed(step: &str, error: reqwest::Error) -> String {
    tracing::debug!(error = %error.without_url(), step, "a key provider call failed");
    format!("{step} failed")
}

fn unusable(step: &str) -> String {
    format!("{step} answered something Keyblade cannot use")
}

impl KeyProviders for HttpKeyProviders {
    fn wrap(&self, provider: &KeyProvider, api_key: &str, plaintext: &[u8]) -> Result<String, Failure> {
        let body = json!({"plaintext": crypto::b64(plaintext)});
        let answer = self
            .block_on(self.action(provider, api_key, "wrap", body))
            .map_err(|why| unreachable_provider(provider, &why))?;
        let ciphertext = answer["ciphertext"]
            .as_str()
            .ok_or_else(|| unreachable_provider(provider, &unusable("the wrap call")))?
            .to_owned();
        if plaintext.len() == KEY_LEN {
            self.remember(&ciphertext, plaintext);
        }
        Ok(ciphertext)
    }

    fn unwrap(
        &self,
        provider: &KeyProvider,
        api_key: &str,
        ciphertext: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        if let Some(key) = self.remembered(ciphertext) {
            return Ok(Zeroizing::new(key.expose().to_vec()));
        }
        let answer = self
            .block_on(self.action(provider, api_key, "unwrap", json!({"ciphertext": ciphertext})))
            .map_err(|why| unreachable_provider(provider, &why))?;
        let plaintext = answer["plaintext"]
            .as_str()
            .and_then(|p| crypto::unb64(p).ok())
            .map(Zeroizing::new)
            .ok_or_else(|| unreachable_provider(provider, &unusable("the unwrap call")))?;
        self.remember(ciphertext, &plaintext);
        Ok(plaintext)
    }
}
