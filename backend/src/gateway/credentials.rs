//! Authentication: every credential of every surface is checked here, the same way. A password
//! (portal sign-in, Element's HTTP Basic) and an API key or client secret (the token endpoints)
//! pass the sign-in throttle, are checked at the same cost whether or not the name exists, and
//! a failure is recorded in the audit trail. Tokens are issued and traced back to their
//! principal by the engine's credential endpoints (`shared::service::tokens`).

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
    service::{
        AccessTokenCaller, ApiKeyGrant, Bearer, ClientCredentials, Endpoint, IdentityTokenCaller,
        IssueAccessToken, IssueIdentityToken, IssuedToken, LocateVault, Secret, TokenCaller, VaultLocation,
    },
};
use tokio::sync::OnceCell;
use zeroize::Zeroizing;

use super::Gateway;
use crate::{
    AppState,
    auth::{self, Lane},
    error::AppError,
    throttle::Client,
};

/// How long a verified Basic credential is trusted without hashing it again (the Element SDK
/// sends it with every call, and a password hash takes tens of milliseconds on purpose).
const VERIFIED_FOR: Duration = Duration::from_secs(60);
/// How long a verified Basic credential marks its client as known (a device, for the throttle):
/// a flood of wrong passwords for the same name does not hold it back when it checks again.
const KNOWN_FOR: Duration = Duration::from_secs(12 * 3600);

/// Basic credentials verified recently, by a hash of the whole credential and the stored
/// password hash: a new password misses at once. Whether the account is still enabled is
/// checked on every use, and a disabled or deleted account's entries are dropped.
#[derive(Default)]
pub struct VerifiedCredentials {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl VerifiedCredentials {
    fn verified_within(&self, fingerprint: &str, now: Instant, within: Duration) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(fingerprint).is_some_and(|(_, at)| now.duration_since(*at) < within)
    }

    fn fresh(&self, fingerprint: &str, now: Instant) -> bool {
        self.verified_within(fingerprint, now, VERIFIED_FOR)
    }

    fn known(&self, fingerprint: &str, now: Instant) -> bool {
        self.verified_within(fingerprint, now, KNOWN_FOR)
    }

    fn remember(&self, fingerprint: String, username: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.retain(|_, (_, at)| now.duration_since(*at) < KNOWN_FOR);
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

/// Where a password comes from: the client's address, the device it signed in from before (its
/// device cookie, or the session of a signed-in user), and the surface.
#[derive(Clone, Copy)]
pub struct Attempt<'a> {
    pub ip: IpAddr,
    pub device: Option<&'a str>,
    pub surface: &'a str,
}

impl Attempt<'_> {
    fn client(&self) -> Client<'_> {
        self.device.map_or(Client::Anonymous(self.ip), Client::Device)
    }

    fn lane(&self) -> Lane {
        if self.device.is_some() { Lane::Known } else { Lane::Anonymous }
    }
}

/// Checks `username`'s `password`. Refused with 429 while the throttle holds this client back,
/// and with 401 for a wrong password, an unknown name or a disabled account alike; refusals are
/// recorded (repeated ones in aggregate, see [`Refusals`]).
pub async fn check_password(
    app: &AppState,
    attempt: Attempt<'_>,
    username: &str,
    password: Zeroizing<String>,
    remember: Remember,
) -> Result<(), AppError> {
    let snapshot = app.store().load().await?;
    let enabled = shared::access::can_sign_in(&snapshot.world, username);
    if !enabled {
        app.credentials().forget(username);
    }
    let stored = app.store().password_hash(username).await?.filter(|_| enabled);
    let fingerprint = stored.as_ref().map(|hash| fingerprint(username, &password, hash));
    let now = Instant::now();
    // A credential verified a moment ago is the right one: it needs neither the throttle nor
    // the slow check.
    if remember == Remember::Briefly
        && fingerprint.as_deref().is_some_and(|f| app.credentials().fresh(f, now))
    {
        return Ok(());
    }
    // The name as typed, bounded: a refusal names who was tried, never the password.
    let name: String = username.chars().take(64).collect();
    // A credential verified before marks its client as known (its own throttle, the first
    // queue): only the right password can.
    let known =
        fingerprint.as_deref().filter(|f| remember == Remember::Briefly && app.credentials().known(f, now));
    let attempt = Attempt { device: attempt.device.or(known), ..attempt };
    let client = attempt.client();
    if let Err(retry_after) = app.throttle().admit(client, username, now) {
        note_refusal(app, attempt, &name, ErrorCode::TooManyRequests).await?;
        return Err(AppError::TooManyRequests { retry_after });
    }
    // Counted as a failure before the slow check, so guesses sent at once are throttled too; a
    // success clears the record.
    app.throttle().failed(client, username, now);
    let (hash, known) = match stored {
        Some(hash) => (hash, true),
        None => (dummy_hash().await?, false),
    };
    if auth::verify_password(password, hash, attempt.lane()).await? && known {
        app.throttle().succeeded(client, username);
        if let (Remember::Briefly, Some(fingerprint)) = (remember, fingerprint) {
            app.credentials().remember(fingerprint, username, now);
        }
        return Ok(());
    }
    note_refusal(app, attempt, &name, ErrorCode::Unauthorized).await?;
    Err(AppError::plain(ErrorCode::Unauthorized, "The user name or password is wrong."))
}

/// Records a refused credential as a failed sign-in of `name`, unless it repeats one already
/// recorded from the same address and surface (then it is counted, see [`Refusals`]).
async fn note_refusal(
    app: &AppState,
    attempt: Attempt<'_>,
    name: &str,
    code: ErrorCode,
) -> Result<(), AppError> {
    let source = format!("{} ({})", attempt.ip, attempt.surface);
    if !app.refusals().first_of_window(&source, Instant::now()) {
        return Ok(());
    }
    let record = AuditRecord {
        at: app.now(),
        actor: name.to_owned(),
        source,
        action: AuditAction::SignIn,
        subject: format!("users/{name}"),
        failure: Some(code),
    };
    app.record_event(record).await
}

/// How long repeated refusals from one source are gathered into one record.
const REFUSAL_WINDOW: Duration = Duration::from_secs(60);

/// Refused credentials, gathered per source (address and surface): the first refusal of a
/// window is recorded on its own, the ones after it only counted, and when the window ends one
/// record says how many there were. A flood of guesses adds two records a minute per source to
/// the audit trail, not one per guess.
#[derive(Default)]
pub struct Refusals {
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    opened: Instant,
    repeated: u64,
}

impl Refusals {
    /// Counts a refusal from `source`; true when it opens a window (and is recorded itself).
    fn first_of_window(&self, source: &str, now: Instant) -> bool {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match windows.get_mut(source) {
            Some(window) if now.duration_since(window.opened) < REFUSAL_WINDOW => {
                window.repeated += 1;
                false
            }
            Some(window) if window.repeated > 0 => {
                // Ended but not summed up yet (the runner does that): this one is counted in
                // the next window.
                *window = Window { opened: now, repeated: window.repeated + 1 };
                false
            }
            _ => {
                windows.insert(source.to_owned(), Window { opened: now, repeated: 0 });
                true
            }
        }
    }

    /// Removes the windows that ended, with the refusals each counted beyond its first.
    fn ended(&self, now: Instant) -> Vec<(String, u64)> {
        let mut windows = self.windows.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut ended = Vec::new();
        windows.retain(|source, window| {
            let open = now.duration_since(window.opened) < REFUSAL_WINDOW;
            if !open && window.repeated > 0 {
                ended.push((source.clone(), window.repeated));
            }
            open
        });
        ended
    }
}

/// Records, for each source whose window of refusals ended, how many it counted beyond the
/// first (run by the background runner, every second or so).
pub async fn record_repeated_refusals(app: &AppState) -> Result<(), AppError> {
    let ended = app.refusals().ended(Instant::now());
    if ended.is_empty() {
        return Ok(());
    }
    let at = app.now();
    let records = ended
        .into_iter()
        .map(|(source, repeated)| AuditRecord {
            at,
            actor: "anonymous".into(),
            source,
            action: AuditAction::SignIn,
            subject: format!("users ({repeated} more refused sign-ins in the last minute)"),
            failure: Some(ErrorCode::Unauthorized),
        })
        .collect();
    app.store().append(records).await?;
    Ok(())
}

/// SHA-256 of user, password and stored hash: what the Basic credential cache is keyed by.
fn fingerprint(username: &str, password: &str, hash: &str) -> String {
    let digest = Sha256::digest(format!("{username}\0{password}\0{hash}"));
    shared::crypto::to_hex(&digest)
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

/// The name the audit trail gives an API key that failed: the key is secret, so only its kind
/// is named.
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
        let attempt = Attempt { ip, device: None, surface };
        check_password(&self.app, attempt, username, password, Remember::Briefly).await
    }

    /// Key Protect's token endpoint: an access token for the API key `secret`.
    pub async fn access_token(&self, ip: IpAddr, secret: String) -> Result<IssuedToken, AppError> {
        let grant = IssueAccessToken { body: ApiKeyGrant { apikey: Secret(secret) } };
        self.issued(ip, "IAM token endpoint", grant).await
    }

    /// The cloud's client-credentials grant: a token naming the identity `client_id` for its
    /// client secret.
    pub async fn identity_token(
        &self,
        ip: IpAddr,
        secret: String,
        client_id: String,
        tenant: String,
    ) -> Result<IssuedToken, AppError> {
        let client_secret = Secret(secret);
        let grant = IssueIdentityToken { body: ClientCredentials { client_id, tenant, client_secret } };
        self.issued(ip, "token endpoint", grant).await
    }

    /// A token for a secret (an API key or client secret). Secrets are random 256-bit values,
    /// checked by their SHA-256 in microseconds: a right one is never held back by wrong ones,
    /// and a wrong one is refused and recorded like a wrong password.
    async fn issued<E: Endpoint<Answer = IssuedToken>>(
        &self,
        ip: IpAddr,
        surface: &str,
        grant: E,
    ) -> Result<IssuedToken, AppError> {
        match self.call(grant, &anonymous(ip)).await {
            Ok(issued) => Ok(issued),
            Err(error) if error.code() == ErrorCode::Unauthorized => {
                let (_, diagnosis) = error.status_and_diagnosis();
                let attempt = Attempt { ip, device: None, surface };
                note_refusal(&self.app, attempt, API_KEY_NAME, ErrorCode::Unauthorized).await?;
                Err(AppError::plain(ErrorCode::Unauthorized, diagnosis.message))
            }
            Err(error) => Err(error),
        }
    }

    /// The API key a Key Protect access token names; 401 for a bad, expired or revoked one.
    pub async fn access_token_caller(&self, ip: IpAddr, token: String) -> Result<TokenCaller, AppError> {
        self.call(AccessTokenCaller { body: Bearer { token: Secret(token) } }, &anonymous(ip)).await
    }

    /// The identity a bearer token names; `None` for a bad, expired or revoked one.
    pub async fn identity_token_caller(
        &self,
        ip: IpAddr,
        token: String,
    ) -> Result<Option<TokenCaller>, AppError> {
        let named = IdentityTokenCaller { body: Bearer { token: Secret(token) } };
        match self.call(named, &anonymous(ip)).await {
            Ok(caller) => Ok(Some(caller)),
            Err(error) if error.code() == ErrorCode::Unauthorized => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The live vault whose data plane answers at 127.0.0.`address`.
    pub async fn vault_at_address(&self, ip: IpAddr, address: u8) -> Result<Option<VaultLocation>, AppError> {
        match self.call(LocateVault { address }, &anonymous(ip)).await {
            Ok(location) => Ok(Some(location)),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// A caller that has shown no credential yet.
fn anonymous(ip: IpAddr) -> shared::access::Actor {
    super::actor(Principal::Anonymous, "anonymous".into(), ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_credential_skips_the_hash_for_a_minute_and_is_known_for_hours() {
        let credentials = VerifiedCredentials::default();
        let now = Instant::now();
        credentials.remember("f1".into(), "admin", now);
        assert!(credentials.fresh("f1", now) && credentials.known("f1", now));
        let later = now + VERIFIED_FOR;
        assert!(!credentials.fresh("f1", later) && credentials.known("f1", later));
        assert!(!credentials.known("f1", now + KNOWN_FOR));
        assert!(!credentials.known("f2", now), "only a credential verified before");
        credentials.forget("admin");
        assert!(!credentials.known("f1", now));
    }

    #[test]
    fn repeated_refusals_are_counted_then_summed_up_once_their_window_ends() {
        let refusals = Refusals::default();
        let start = Instant::now();
        assert!(refusals.first_of_window("127.0.0.1 (portal)", start), "the first is recorded");
        for _ in 0..500 {
            assert!(!refusals.first_of_window("127.0.0.1 (portal)", start), "repeats are counted");
        }
        assert!(refusals.first_of_window("127.0.0.2 (portal)", start), "another source has its own");
        assert_eq!(refusals.ended(start), Vec::new(), "nothing ends early");
        let later = start + REFUSAL_WINDOW;
        assert_eq!(refusals.ended(later), vec![("127.0.0.1 (portal)".to_owned(), 500)]);
        assert_eq!(refusals.ended(later), Vec::new(), "summed up once");
        assert!(refusals.first_of_window("127.0.0.1 (portal)", later), "a new window");
    }
}
