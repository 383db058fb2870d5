//! Authentication: every credential of every surface is checked here, the same way. A password
//! (portal sign-in, Element's HTTP Basic) and an API key or client secret (the token endpoints)
//! pass the sign-in throttle, are checked at the same cost whether or not the name exists, and
//! a failure is recorded in the audit trail. Tokens are verified against the world.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};
use shared::{
    audit::{AuditAction, AuditRecord},
    catalog::ErrorCode,
    model::Principal,
    ops,
    time::Timestamp,
};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::Gateway;
use crate::{AppState, auth, clock, error::AppError};

/// How long a token from the token endpoints lasts, in seconds.
pub const TOKEN_SECONDS: i64 = ops::TOKEN_SECONDS;

/// How long a verified Basic credential is trusted without hashing it again (the Element SDK
/// sends it with every call, and a password hash takes tens of milliseconds on purpose).
const VERIFIED_FOR: Duration = Duration::from_secs(60);

/// Basic credentials verified recently, by a hash of the whole credential and the stored
/// password hash: a new password misses at once. Whether the account is still enabled is
/// checked on every use, and a disabled or deleted account's entries are dropped.
#[derive(Default)]
pub struct VerifiedCredentials {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl VerifiedCredentials {
    fn fresh(&self, fingerprint: &str, now: Instant) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(fingerprint).is_some_and(|(_, at)| now.duration_since(*at) < VERIFIED_FOR)
    }

    fn remember(&self, fingerprint: String, username: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|_, (_, at)| now.duration_since(*at) < VERIFIED_FOR);
        entries.insert(fingerprint, (username.to_owned(), now));
    }

    fn forget(&self, username: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|_, (name, _)| name != username);
    }
}

/// Whether a password may be remembered for a while (a credential sent with every call).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Remember {
    No,
    Briefly,
}

/// Checks `username`'s `password`, as the sign-in of `surface`. Refused with 429 while the
/// throttle holds this address and name back, and with 401 for a wrong password, an unknown
/// name or a disabled account alike; every refusal is recorded.
pub async fn check_password(
    app: &AppState,
    ip: IpAddr,
    surface: &str,
    username: &str,
    password: Zeroizing<String>,
    remember: Remember,
) -> Result<(), AppError> {
    app.throttle()
        .check(ip, username, Instant::now())
        .map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
    let snapshot = app.store().load().await?;
    let enabled = shared::access::can_sign_in(&snapshot.world, username);
    if !enabled {
        app.credentials().forget(username);
    }
    let stored = app.store().password_hash(username).await?.filter(|_| enabled);
    let fingerprint = stored.as_ref().map(|hash| fingerprint(username, &password, hash));
    let now = Instant::now();
    if remember == Remember::Briefly
        && fingerprint.as_deref().is_some_and(|f| app.credentials().fresh(f, now))
    {
        return Ok(());
    }
    // Counted as a failure before the slow check, so guesses sent at once are throttled too; a
    // success clears the record.
    app.throttle().failed(ip, username, now);
    let (hash, known) = match stored {
        Some(hash) => (hash, true),
        None => (dummy_hash().await?, false),
    };
    if auth::verify_password(password, hash).await? && known {
        app.throttle().succeeded(ip, username);
        if let (Remember::Briefly, Some(fingerprint)) = (remember, fingerprint) {
            app.credentials().remember(fingerprint, username, now);
        }
        return Ok(());
    }
    // The name as typed, bounded: a refusal names who was tried, never the password.
    let name: String = username.chars().take(64).collect();
    let subject = format!("users/{name}");
    refused(app, ip, surface, name, subject, "The user name or password is wrong.").await
}

/// Records a refused credential (as a failed sign-in of `name` from `surface`) and answers 401
/// with `message`.
async fn refused<T>(
    app: &AppState,
    ip: IpAddr,
    surface: &str,
    name: String,
    subject: String,
    message: &str,
) -> Result<T, AppError> {
    let record = AuditRecord {
        at: app.now(),
        actor: name,
        source: format!("{ip} ({surface})"),
        action: AuditAction::SignIn,
        subject,
        failure: Some(ErrorCode::Unauthorized),
    };
    app.record_event(record).await?;
    Err(AppError::plain(ErrorCode::Unauthorized, message))
}

/// SHA-256 of user, password and stored hash: what the Basic credential cache is keyed by.
fn fingerprint(username: &str, password: &str, hash: &str) -> String {
    let digest = Sha256::digest(format!("{username}\0{password}\0{hash}"));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash of a random password nobody knows: unknown names are checked against it, so a
/// refusal takes as long whether or not the name exists.
async fn dummy_hash() -> Result<String, AppError> {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| async { auth::hash_password(Zeroizing::new(auth::new_token()?)).await })
        .await
        .cloned()
}

/// A caller the token endpoints or a bearer token named.
pub struct Caller {
    pub principal: Principal,
    /// What the audit trail calls it.
    pub name: String,
}

/// The name the throttle and the audit trail give an API key that failed: the key is secret, so
/// only its kind is named.
const API_KEY_NAME: &str = "api key";

impl Gateway {
    /// Element's HTTP Basic credential: a Keyblade account and its password.
    pub async fn basic(
        &self,
        ip: IpAddr,
        surface: &str,
        username: &str,
        password: &str,
    ) -> Result<(), AppError> {
        let password = Zeroizing::new(password.to_owned());
        check_password(&self.app, ip, surface, username, password, Remember::Briefly).await
    }

    /// Key Protect's token endpoint: an access token for the API key `secret`.
    pub async fn access_token(&self, ip: IpAddr, secret: String) -> Result<String, AppError> {
        self.minted(ip, "IAM token endpoint", move |world, ctx, wall| {
            ops::mint_access_token(world, ctx.master, &secret, wall)
        })
        .await
    }

    /// The cloud's client-credentials grant: a token naming the identity `client_id` for its
    /// client secret.
    pub async fn identity_token(
        &self,
        ip: IpAddr,
        secret: String,
        client_id: String,
        tenant: String,
    ) -> Result<String, AppError> {
        self.minted(ip, "token endpoint", move |world, ctx, wall| {
            ops::mint_identity_token(world, ctx.master, &secret, &client_id, &tenant, wall)
        })
        .await
    }

    async fn minted(
        &self,
        ip: IpAddr,
        surface: &str,
        mint: impl FnOnce(
            &shared::model::World,
            &mut ops::Ctx,
            Timestamp,
        ) -> Result<String, shared::catalog::Failure>
        + Send
        + 'static,
    ) -> Result<String, AppError> {
        let throttle = self.app.throttle();
        throttle
            .check(ip, API_KEY_NAME, Instant::now())
            .map_err(|retry_after| AppError::TooManyRequests { retry_after })?;
        let snapshot = self.app.store().load().await?;
        // Credentials live on the wall clock: a test clock moved forward must not expire a
        // token the client, reading the wall clock, still holds for valid.
        let wall = clock::now();
        match self.app.compute(move |world, ctx| mint(world, ctx, wall), snapshot.world).await {
            Ok(token) => Ok(token),
            Err(error) => {
                throttle.failed(ip, API_KEY_NAME, Instant::now());
                let (_, diagnosis) = error.status_and_diagnosis();
                let (name, subject) = (API_KEY_NAME.to_owned(), "api-keys".to_owned());
                refused(&self.app, ip, surface, name, subject, &diagnosis.message).await
            }
        }
    }

    /// The API key a Key Protect access token names; 401 for a bad, expired or revoked one.
    pub async fn access_token_caller(&self, token: String) -> Result<Caller, AppError> {
        let snapshot = self.app.store().load().await?;
        let wall = clock::now();
        let verify = move |world: &shared::model::World, ctx: &mut ops::Ctx| {
            ops::verify_access_token(world, ctx.master, &token, wall)
                .map(|k| Caller { principal: k.principal(), name: format!("api key {} ({})", k.name, k.id) })
        };
        self.app.compute(verify, snapshot.world).await
    }

    /// The identity a bearer token names; `None` for a bad, expired or revoked one.
    pub async fn identity_token_caller(&self, token: String) -> Result<Option<Caller>, AppError> {
        let snapshot = self.app.store().load().await?;
        let wall = clock::now();
        let verify = move |world: &shared::model::World, ctx: &mut ops::Ctx| {
            Ok(ops::verify_identity_token(world, ctx.master, &token, wall)
                .ok()
                .map(|t| Caller { principal: Principal::Identity(t.principal_id), name: t.name }))
        };
        self.app.compute(verify, snapshot.world).await
    }
}
