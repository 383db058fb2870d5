//! Sign-in: the local `admin` account (argon2 password hash), session cookies (random 256-bit
//! tokens of which only the SHA-256 is stored) and the middleware that guards the API.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use shared::{access::Actor, audit::AuditAction, model::Principal};

use crate::{AppState, Config, clock, error::AppError, store::Store};

/// The one account.
pub const ADMIN: &str = "admin";
const SESSION_COOKIE: &str = "keyblade_session";
/// The session cookie's name over TLS: browsers accept it only from a secure origin, for the
/// whole host, and never from a sibling domain.
const SECURE_SESSION_COOKIE: &str = "__Host-keyblade_session";
/// How long a session lasts, in seconds.
pub const SESSION_LIFETIME: i64 = 12 * 3600;
/// A session not used for this many seconds ends.
pub const SESSION_IDLE: i64 = 30 * 60;

/// The signed-in user, placed in the request's extensions by [`require_session`].
#[derive(Clone, Debug)]
pub struct Session {
    pub username: String,
    pub expires_at: i64,
    pub token_hash: String,
}

impl Session {
    /// The signed-in user as the actor of a request from `ip`.
    pub fn actor(&self, ip: std::net::IpAddr) -> Actor {
        Actor {
            principal: Principal::user(&self.username),
            name: self.username.clone(),
            source: ip.to_string(),
        }
    }
}

/// Rejects requests without a live session (401) and hands the [`Session`] to the handler.
pub async fn require_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    // Every cookie of the session's name counts: one planted by a sibling origin can neither
    // shadow the real session nor end it.
    let tokens: Vec<String> = state.cookie().tokens(request.headers()).map(str::to_owned).collect();
    for token in tokens {
        let token_hash = hash_token(&token);
        if let Some((username, expires_at)) =
            state.store().session_user(&token_hash, clock::now().0, SESSION_IDLE).await?
        {
            // A disabled or deleted account's sessions end at their next request.
            let snapshot = state.store().load().await?;
            if !shared::access::can_sign_in(&snapshot.world, &username) {
                state.store().delete_session(&token_hash).await?;
                continue;
            }
            request.extensions_mut().insert(Session { username, expires_at, token_hash });
            return Ok(next.run(request).await);
        }
    }
    Err(AppError::unauthorized())
}

/// The header every state-changing request must carry (or send a JSON body): a browser adds
/// neither to a cross-site form or image request without asking the server first.
pub const REQUEST_HEADER: &str = "x-keyblade-request";

/// Refuses state-changing requests that a foreign page could have made: a foreign `Origin`, or
/// neither a JSON body nor [`REQUEST_HEADER`] (a "simple" request needs no CORS preflight).
pub async fn require_same_origin(request: Request, next: Next) -> Result<Response, AppError> {
    let method = request.method();
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return Ok(next.run(request).await);
    }
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Err(AppError::plain(
                shared::catalog::ErrorCode::Forbidden,
                format!("Requests from {origin} may not change anything here."),
            ));
        }
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
    if !json && !headers.contains_key(REQUEST_HEADER) {
        return Err(AppError::plain(
            shared::catalog::ErrorCode::Forbidden,
            format!("A request that changes something must send JSON or the {REQUEST_HEADER} header."),
        ));
    }
    Ok(next.run(request).await)
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    shared::crypto::to_hex(&Sha256::digest(token.as_bytes()))
}

/// A fresh random 256-bit session token, base64url.
pub fn new_token() -> Result<String, AppError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(AppError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// The cookie that carries a session: invisible to scripts, never sent cross-site. Over TLS it is
/// `Secure` and `__Host-` prefixed, so neither a plain-HTTP page nor a sibling domain can set or
/// overwrite it.
#[derive(Clone, Copy, Debug)]
pub struct SessionCookie {
    tls: bool,
}

impl SessionCookie {
    /// The cookie of a server reached over TLS (`tls`) or plain HTTP.
    pub fn new(tls: bool) -> Self {
        Self { tls }
    }

    fn name(self) -> &'static str {
        if self.tls { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
    }

    fn attributes(self) -> &'static str {
        if self.tls {
            "Path=/; Secure; HttpOnly; SameSite=Strict"
        } else {
            "Path=/; HttpOnly; SameSite=Strict"
        }
    }

    /// `Set-Cookie` for a new session.
    pub fn issue(self, token: &str) -> Result<HeaderValue, AppError> {
        let (name, attributes) = (self.name(), self.attributes());
        HeaderValue::from_str(&format!("{name}={token}; {attributes}; Max-Age={SESSION_LIFETIME}"))
            .map_err(AppError::internal)
    }

    /// `Set-Cookie` that makes the browser forget the session.
    pub fn expire(self) -> Result<HeaderValue, AppError> {
        let (name, attributes) = (self.name(), self.attributes());
        HeaderValue::from_str(&format!("{name}=; {attributes}; Max-Age=0")).map_err(AppError::internal)
    }

    /// The session tokens in the `Cookie` header(s).
    fn tokens(self, headers: &HeaderMap) -> impl Iterator<Item = &str> {
        cookie_values(headers, self.name())
    }
}

/// The non-empty values of every cookie called `name` in the `Cookie` header(s).
pub fn cookie_values<'h>(headers: &'h HeaderMap, name: &'static str) -> impl Iterator<Item = &'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(cookie, value)| *cookie == name && !value.is_empty())
        .map(|(_, value)| value)
}

/// Password hashing runs on one thread of its own, never on the pool that serves key
/// operations, so a flood of guesses costs one core at most while Device password and the other
/// routes keep answering. Checks wait in two short queues: one for anonymous clients, one for
/// the rest (a known device, a signed-in user setting a password), which the thread serves
/// first. A full queue refuses at once, so guesses crowding theirs never delay the owner's.
struct Hasher {
    queues: std::sync::Mutex<Queues>,
    ready: std::sync::Condvar,
}

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queues {
    known: std::collections::VecDeque<Job>,
    anonymous: std::collections::VecDeque<Job>,
}

/// Which queue a password check waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// A client the server knows nothing of.
    Anonymous,
    /// A known device, or a signed-in user.
    Known,
}

/// How many password checks may wait in each queue.
const HASH_QUEUE: usize = 8;

fn hasher() -> &'static Hasher {
    static HASHER: std::sync::OnceLock<Hasher> = std::sync::OnceLock::new();
    HASHER.get_or_init(|| {
        std::thread::Builder::new()
            .name("password-hashing".into())
            .spawn(|| {
                let hasher = hasher();
                loop {
                    let mut queues = hasher.queues.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    let job = loop {
                        if let Some(job) = queues.known.pop_front().or_else(|| queues.anonymous.pop_front()) {
                            break job;
                        }
                        queues = hasher.ready.wait(queues).unwrap_or_else(|poisoned| poisoned.into_inner());
                    };
                    drop(queues);
                    job();
                }
            })
            .map_err(|e| tracing::error!(%e, "no password hashing thread"))
            .ok();
        Hasher { queues: std::sync::Mutex::default(), ready: std::sync::Condvar::new() }
    })
}

/// Runs `work` on the hashing thread; `TooManyRequests` when `lane`'s queue is full.
async fn on_hashing_thread<T: Send + 'static>(
    lane: Lane,
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(work());
    });
    let hasher = hasher();
    {
        let mut queues = hasher.queues.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let queue = match lane {
            Lane::Known => &mut queues.known,
            Lane::Anonymous => &mut queues.anonymous,
        };
        if queue.len() >= HASH_QUEUE {
            return Err(AppError::TooManyRequests { retry_after: 1 });
        }
        queue.push_back(job);
    }
    hasher.ready.notify_one();
    result.await.map_err(AppError::internal)?
}

/// Argon2id hash (PHC string) of a password. Deliberately slow, so it runs on the hashing thread
/// (for a signed-in user or at start: never anonymous).
pub async fn hash_password(password: Zeroizing<String>) -> Result<String, AppError> {
    on_hashing_thread(Lane::Known, move || {
        let hash: PasswordHash =
            Argon2::default().hash_password(password.as_bytes()).map_err(AppError::internal)?;
        Ok(hash.to_string())
    })
    .await
}

/// Whether `password` matches the PHC string `hash`. Slow on purpose; runs on the hashing thread.
pub async fn verify_password(
    password: Zeroizing<String>,
    hash: String,
    lane: Lane,
) -> Result<bool, AppError> {
    on_hashing_thread(lane, move || {
        let parsed = PasswordHash::new(&hash).map_err(AppError::internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
}

/// Where a generated admin password is written, in the data directory.
pub const ADMIN_PASSWORD_FILE: &str = "admin-password";

pub async fn ensure_admin(store: &Store, config: &Config) -> Result<(), AppError> {
    let existing = store.password_hash(ADMIN).await?;
    let password = match (&config.admin_password, existing) {
        (Some(wanted), Some(hash)) => {
            let wanted = Zeroizing::new(wanted.expose().to_owned());
            if verify_password(wanted.clone(), hash, Lane::Known).await? {
                return Ok(());
            }
            // A new password ends every session signed in with the old one.
            store.delete_sessions_of(ADMIN).await?;
            let operator = Actor {
                principal: Principal::System,
                name: "operator".into(),
                source: "start-up (KEYBLADE_ADMIN_PASSWORD)".into(),
            };
            let record =
                operator.record(clock::now(), AuditAction::PasswordChange, format!("users/{ADMIN}"), None);
            store.append(vec![record]).await?;
            wanted
        }
        (Some(wanted), None) => Zeroizing::new(wanted.expose().to_owned()),
        (None, Some(_)) => return Ok(()),
        (None, None) => return create_admin(store, config).await,
    };
    store.set_password_hash(ADMIN, &hash_password(password).await?).await?;
    Ok(())
}

/// The first start: the admin account with a generated password. A replica starting at the
/// same moment over the same database may create it first; then its password stands.
async fn create_admin(store: &Store, config: &Config) -> Result<(), AppError> {
    let generated = Zeroizing::new(new_token()?);
    // Into a file only its owner can read: never on the terminal, never in a log.
    let file = config.data_dir.join(ADMIN_PASSWORD_FILE);
    crate::master_key::write_private(&file, generated.as_bytes()).map_err(AppError::internal)?;
    if store.create_account(ADMIN, &hash_password(generated).await?).await? {
        println!("Created the account `{ADMIN}`; its password is in {} (mode 0600).", file.display());
        println!("Set KEYBLADE_ADMIN_PASSWORD to choose another.");
    } else {
        std::fs::remove_file(&file).map_err(AppError::internal)?;
        println!("The account `{ADMIN}` was created by another replica at the same moment.");
    }
    Ok(())
}
