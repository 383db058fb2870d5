//! The device cookie: a browser that signed in gets a cookie naming the user, a random device id
//! and the time, authenticated under a key derived from the master key. When that browser signs
//! in to the same name again, the throttle counts its attempts on their own
//! (`throttle::Client::Device`): a flood of guesses from its address or for its name does not
//! lock it out. The cookie grants nothing else; a password is still needed.

use axum::http::{HeaderMap, HeaderValue};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use shared::crypto::{self, MasterKey};

use crate::{clock, error::AppError};

const NAME: &str = "keyblade_device";
/// Over TLS: only from a secure origin, for the whole host, never from a sibling domain.
const SECURE_NAME: &str = "__Host-keyblade_device";
/// How long a device stays known, in seconds.
const LIFETIME: i64 = 30 * 24 * 3600;
/// What the cookie's code is derived for.
const PURPOSE: &str = "device cookie";

/// The device cookie of a server reached over TLS or plain HTTP, under its master key.
pub struct DeviceCookie<'a> {
    pub tls: bool,
    pub master: &'a MasterKey,
}

impl DeviceCookie<'_> {
    fn name(&self) -> &'static str {
        if self.tls { SECURE_NAME } else { NAME }
    }

    /// `Set-Cookie` naming a new device of `username`.
    pub fn issue(&self, username: &str) -> Result<HeaderValue, AppError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(AppError::internal)?;
        let message = message(username, &crypto::to_hex(&id), clock::now().0);
        let code = crypto::authenticate(self.master, PURPOSE, message.as_bytes());
        let secure = if self.tls { "; Secure" } else { "" };
        let value = format!(
            "{}={}.{code}; Path=/; HttpOnly; SameSite=Strict; Max-Age={LIFETIME}{secure}",
            self.name(),
            URL_SAFE_NO_PAD.encode(message)
        );
        HeaderValue::from_str(&value).map_err(AppError::internal)
    }

    /// The id of the device whose authentic, unexpired cookie for `username` came with the
    /// request.
    pub fn device(&self, headers: &HeaderMap, username: &str) -> Option<String> {
        let now = clock::now().0;
        crate::auth::cookie_values(headers, self.name()).find_map(|value| {
            let (encoded, code) = value.split_once('.')?;
            let message = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
            if !crypto::is_authentic(self.master, PURPOSE, message.as_bytes(), code) {
                return None;
            }
            let mut parts = message.splitn(3, '\0');
            let (issued, id, name) = (parts.next()?, parts.next()?, parts.next()?);
            let fresh = issued.parse::<i64>().is_ok_and(|at| now.saturating_sub(at) < LIFETIME);
            (fresh && name == username).then(|| id.to_owned())
        })
    }
}

/// What the cookie's code covers: when, which device, whose.
fn message(username: &str, id: &str, issued: i64) -> String {
    format!("{issued}\0{id}\0{username}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(cookie: &HeaderValue) -> HeaderMap {
        let pair = cookie.to_str().expect("text").split(';').next().expect("a pair").to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, HeaderValue::from_str(&pair).expect("a header"));
        headers
    }

    #[test]
    fn a_device_is_known_for_its_own_user_under_its_own_key_only() {
        let master = MasterKey::from_slice(&[7; 32]).expect("a key");
        let cookie = DeviceCookie { tls: false, master: &master };
        let headers = request_with(&cookie.issue("admin").expect("a cookie"));
        let id = cookie.device(&headers, "admin").expect("known to admin");
        assert_eq!(id.len(), 32);
        assert_eq!(cookie.device(&headers, "kim"), None, "not another user's device");
        let other = MasterKey::from_slice(&[8; 32]).expect("a key");
        assert_eq!(DeviceCookie { tls: false, master: &other }.device(&headers, "admin"), None);
        let forged = HeaderValue::from_str(&format!(
            "{NAME}={}.{}",
            URL_SAFE_NO_PAD.encode(message("admin", "00", clock::now().0)),
            "0".repeat(64)
        ))
        .expect("a header");
        assert_eq!(cookie.device(&request_with(&forged), "admin"), None, "a forged code");
    }
}
