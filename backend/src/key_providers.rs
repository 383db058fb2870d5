//! External key providers over HTTP: a Key Protect-compatible service (another Keyblade, for
//! one) keeps the master key wrapped under one of its root keys. Keyblade signs in with the
//! provider's API key (`POST /identity/token`) and calls the key's `wrap` and `unwrap` actions.
//!
//! The engine calls these on its blocking threads, so each call drives its request to the end on
//! the server's runtime. Unwrapped master keys are kept in memory, by ciphertext: the provider is
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
        let client = reqwest::Client::builder().timeout(TIMEOUT).build().map_err(std::io::Error::other)?;
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
            .map_err(|e| format!("the request failed ({})", without_url(e)))?;
        let status = response.status();
        let text =
            response.text().await.map_err(|e| format!("the answer was cut off ({})", without_url(e)))?;
        if !status.is_success() {
            return Err(format!("{action} answered {status}{}", reason(&text)));
        }
        serde_json::from_str(&text).map_err(|_| format!("{action} answered something that is not JSON"))
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
            .map_err(|e| format!("signing in failed ({})", without_url(e)))?;
        let status = response.status();
        let text = Zeroizing::new(response.text().await.unwrap_or_default());
        if !status.is_success() {
            return Err(format!("signing in with the API key answered {status}{}", reason(&text)));
        }
        let body: Value =
            serde_json::from_str(&text).map_err(|_| "the token answer is not JSON".to_string())?;
        body["access_token"]
            .as_str()
            .map(|t| Zeroizing::new(t.to_owned()))
            .ok_or_else(|| "the token answer has no access_token".to_string())
    }

    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }
}

/// A provider's error message, when it gave one.
fn reason(text: &str) -> String {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let message = body["resources"][0]["errorMsg"].as_str().or(body["errorMessage"].as_str());
    message.map(|m| format!(": {m}")).unwrap_or_default()
}

/// A transport error without the URL (the configuration says which one it was).
fn without_url(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        error.without_url().to_string()
    }
}

impl KeyProviders for HttpKeyProviders {
    fn wrap(&self, provider: &KeyProvider, api_key: &str, plaintext: &[u8]) -> Result<String, Failure> {
        let body = json!({"plaintext": crypto::b64(plaintext)});
        let answer = self
            .block_on(self.action(provider, api_key, "wrap", body))
            .map_err(|why| unreachable_provider(provider, &why))?;
        let ciphertext = answer["ciphertext"]
            .as_str()
            .ok_or_else(|| unreachable_provider(provider, "wrap answered no ciphertext"))?
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
            .ok_or_else(|| unreachable_provider(provider, "unwrap answered no plaintext"))?;
        self.remember(ciphertext, &plaintext);
        Ok(plaintext)
    }
}
