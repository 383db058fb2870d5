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

use crate::{AppState, Config, clock, error::AppError, store::Store};

/// The one account.
pub const ADMIN: &str = "admin";
const SESSION_COOKIE: &str = "keyblade_session";
/// How long a session lasts, in seconds.
pub const SESSION_LIFETIME: i64 = 12 * 3600;

/// The signed-in user, placed in the request's extensions by [`require_session`].
#[derive(Clone, Debug)]
pub struct Session {
    pub username: String,
    pub expires_at: i64,
    pub token_hash: String,
}

/// Rejects requests without a live session (401) and hands the [`Session`] to the handler.
pub async fn require_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let token_hash = session_token(request.headers()).map(hash_token).ok_or_else(AppError::unauthorized)?;
    let (username, expires_at) =
        state.store().session_user(&token_hash, clock::now().0).await?.ok_or_else(AppError::unauthorized)?;
    request.extensions_mut().insert(Session { username, expires_at, token_hash });
    Ok(next.run(request).await)
}

/// The session token from the `Cookie` header(s), if any.
fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token)
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh random 256-bit session token, base64url.
pub fn new_token() -> Result<String, AppError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(AppError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// The cookie that carries a session: invisible to scripts, never sent cross-site.
pub fn session_cookie(token: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_LIFETIME}"
    ))
    .map_err(AppError::internal)
}

/// A cookie that makes the browser forget the session.
pub fn expired_cookie() -> HeaderValue {
    HeaderValue::from_static("keyblade_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Argon2id hash (PHC string) of a password. Deliberately slow, so it runs off the async threads.
pub async fn hash_password(password: Zeroizing<String>) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let hash: PasswordHash =
            Argon2::default().hash_password(password.as_bytes()).map_err(AppError::internal)?;
        Ok(hash.to_string())
    })
    .await
    .map_err(AppError::internal)?
}

/// Whether `password` matches the PHC string `hash`. Slow on purpose; runs off the async threads.
pub async fn verify_password(password: Zeroizing<String>, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(AppError::internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// Makes sure the `admin` account exists. A configured password (re)sets it at every start; without
/// one, the first start generates a password and prints it once — only its hash is kept.
pub async fn ensure_admin(store: &Store, config: &Config) -> Result<(), AppError> {
    let existing = store.password_hash(ADMIN).await?;
    let password = match (&config.admin_password, existing) {
        (Some(wanted), Some(hash)) => {
            let wanted = Zeroizing::new(wanted.expose().to_owned());
            if verify_password(wanted.clone(), hash).await? {
                return Ok(());
            }
            wanted
        }
        (Some(wanted), None) => Zeroizing::new(wanted.expose().to_owned()),
        (None, Some(_)) => return Ok(()),
        (None, None) => {
            let generated = Zeroizing::new(new_token()?);
            // Printed, not logged: the operator needs it once and it must not end up in log files.
            println!("Created the account `{ADMIN}` with the password {}", generated.as_str());
            println!("(shown only this once; set KEYBLADE_ADMIN_PASSWORD to choose another)");
            generated
        }
    };
    store.set_password_hash(ADMIN, &hash_password(password).await?).await?;
    Ok(())
}
