//! An IBM Key Protect API v2 subset under `/api/v2`, and the IAM token endpoint it uses, so
//! scripts written for Key Protect (the `keyprotect` Python SDK) run against Keyblade unchanged.
//!
//! Nothing here holds a rule: each request is translated into the matching Keyblade endpoint of
//! `shared::service` and run through [`AppState::execute`] (audited like any other call), and the
//! answer is worded the way Key Protect words it. The `Bluemix-Instance` header names the key
//! vault; a key is named by its id (a UUID) or by its name.

mod wire;

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequestParts, Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::{
    access::Actor,
    api::{
        CreateRootKeyRequest, KeyView, RotateKeyRequest, SetKeyEnabledRequest, UnwrapRequest, WrapRequest,
    },
    catalog::ErrorCode,
    model::RotationPolicy,
    service::{self as svc, Endpoint, Keyed},
};

use crate::{
    error::AppError,
    gateway::{Gateway, actor},
    session::ClientIp,
};

/// A failure, answered in Key Protect's error envelope.
struct KpError(AppError);

impl<E: Into<AppError>> From<E> for KpError {
    fn from(error: E) -> Self {
        KpError(error.into())
    }
}

impl IntoResponse for KpError {
    fn into_response(self) -> Response {
        let (status, diagnosis) = self.0.status_and_diagnosis();
        wire::error(status, &diagnosis)
    }
}

type KpResult = Result<Response, KpError>;

/// `/api/v2/...`: Key Protect's key routes.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/keys", get(list_keys).head(count_keys).post(create_key))
        .route("/keys/registrations", get(all_registrations))
        .route("/keys/{id}", get(get_key).delete(delete_key))
        .route("/keys/{id}/metadata", get(get_key))
        .route("/keys/{id}/versions", get(list_versions))
        .route("/keys/{id}/policies", get(get_policy).put(put_policy))
        .route("/keys/{id}/registrations", get(key_registrations))
        .route("/keys/{id}/restore", post(restore_key))
        .route("/keys/{id}/purge", axum::routing::delete(purge_key))
        .route("/keys/{id}/actions/{action}", post(key_action))
        .fallback(|| async { KpError(AppError::plain(ErrorCode::NotFound, "No such Key Protect route.")) })
        .method_not_allowed_fallback(|| async {
            KpError(AppError::plain(ErrorCode::MethodNotAllowed, "The route does not take this method."))
        })
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(gateway)
}

/// `/identity/token`: the IAM token endpoint, trading an API key for an access token.
pub fn token_router(gateway: Gateway) -> Router {
    Router::new()
        .route("/identity/token", post(issue_token))
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(gateway)
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    apikey: String,
}

async fn issue_token(State(gateway): State<Gateway>, ClientIp(ip): ClientIp, body: Bytes) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        return token_error(StatusCode::BAD_REQUEST, "Send grant_type and apikey, form-encoded.");
    };
    if form.grant_type != "urn:ibm:params:oauth:grant-type:apikey" {
        return token_error(StatusCode::BAD_REQUEST, "Only the API key grant type is supported.");
    }
    match gateway.access_token(ip, form.apikey).await {
        Ok(issued) => {
            let body = json!({
                "access_token": issued.token.0,
                "refresh_token": "not_supported",
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "expiration": issued.expires_at,
                "scope": "keyblade",
            });
            axum::Json(body).into_response()
        }
        Err(AppError::TooManyRequests { retry_after }) => {
            let message = format!("Too many failed attempts: try again in {retry_after} s.");
            token_error(StatusCode::TOO_MANY_REQUESTS, &message)
        }
        Err(_) => token_error(StatusCode::UNAUTHORIZED, "The API key is not valid or was revoked."),
    }
}

fn token_error(status: StatusCode, message: &str) -> Response {
    let code = match status {
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
        _ => "InvalidRequest",
    };
    (status, axum::Json(json!({"errorCode": code, "errorMessage": message}))).into_response()
}

/// Who calls, on which vault: from the bearer token and the `Bluemix-Instance` header. Every
/// Key Protect route takes one, so none runs unauthenticated.
struct Caller {
    gateway: Gateway,
    vault: String,
    actor: Actor,
}

impl FromRequestParts<Gateway> for Caller {
    type Rejection = KpError;

    async fn from_request_parts(parts: &mut Parts, gateway: &Gateway) -> Result<Self, KpError> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, gateway).await?;
        let text = |name: &str| {
            parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default()
        };
        let token =
            text(header::AUTHORIZATION.as_str()).strip_prefix("Bearer ").unwrap_or_default().to_owned();
        let vault = text("bluemix-instance").to_owned();
        let caller = gateway.access_token_caller(ip, token).await?;
        if vault.is_empty() {
            return Err(KpError(AppError::bad_request("Name the key vault in the Bluemix-Instance header.")));
        }
        let actor = actor(caller.principal, caller.name, ip);
        Ok(Caller { gateway: gateway.clone(), vault, actor })
    }
}

impl Caller {
    async fn run<E: Endpoint + Clone>(&self, request: E) -> Result<E::Answer, KpError> {
        Ok(self.gateway.call(request, &self.actor).await?)
    }

    /// `request` on the key its `key` field names by id or name: the key afterwards, and the answer.
    async fn on_key<E>(&self, request: E) -> Result<Keyed<E::Answer>, KpError>
    where
        svc::ByKeyId<E>: Endpoint<Answer = Keyed<E::Answer>>,
        E: svc::NamesKey,
    {
        self.run(svc::ByKeyId { request }).await
    }

    /// The key `id` names (its UUID or its name), live or soft-deleted.
    async fn key(&self, id: &str) -> Result<KeyView, KpError> {
        let read = svc::ReadKey { vault: self.vault.clone(), key: id.to_owned() };
        Ok(self.on_key(read).await?.key)
    }

    fn key_answer(&self, status: StatusCode, key: &KeyView) -> Response {
        wire::answer(status, wire::KEY_TYPE, &wire::keys(vec![wire::key(&self.vault, key)]))
    }
}

/// The request body as JSON; an empty body is `null`.
fn json_body(body: &Bytes) -> Result<Value, KpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| KpError(AppError::bad_request(format!("The body is not JSON: {e}"))))
}

fn field(body: &Value, name: &str) -> Option<String> {
    body[name].as_str().map(str::to_owned)
}

/// `limit` and `offset` of a listing; anything else in the query (`state=`...) is ignored.
#[derive(Deserialize, Default)]
struct Page {
    limit: Option<usize>,
    offset: Option<usize>,
}

impl Page {
    fn parse(query: Option<&str>) -> Result<Page, KpError> {
        serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|e| KpError(AppError::bad_request(format!("limit and offset are whole numbers: {e}"))))
    }
}

async fn list_keys(caller: Caller, RawQuery(query): RawQuery) -> KpResult {
    let page = Page::parse(query.as_deref())?;
    let keys = caller.run(svc::ListKeys { vault: caller.vault.clone() }).await?;
    let resources = keys
        .iter()
        .skip(page.offset.unwrap_or(0))
        .take(page.limit.unwrap_or(200).clamp(1, 5000))
        .map(|k| wire::key(&caller.vault, k))
        .collect();
    Ok(wire::answer(StatusCode::OK, wire::KEY_TYPE, &wire::keys(resources)))
}

async fn count_keys(caller: Caller) -> KpResult {
    let keys = caller.run(svc::ListKeys { vault: caller.vault.clone() }).await?;
    Ok((StatusCode::OK, [("key-total", keys.len().to_string())]).into_response())
}

async fn create_key(caller: Caller, body: Bytes) -> KpResult {
    let body = json_body(&body)?;
    let resource = &body["resources"][0];
    if resource["extractable"].as_bool() == Some(true) {
        return Err(KpError(AppError::bad_request(
            "Keyblade's Key Protect API creates root keys only (extractable: false).",
        )));
    }
    let name = field(resource, "name").unwrap_or_default();
    let request = CreateRootKeyRequest { name, payload: field(resource, "payload") };
    let key = caller.run(svc::CreateRootKey { vault: caller.vault.clone(), body: request }).await?;
    Ok(caller.key_answer(StatusCode::CREATED, &key))
}

async fn get_key(caller: Caller, Path(id): Path<String>) -> KpResult {
    let key = caller.key(&id).await?;
    Ok(caller.key_answer(StatusCode::OK, &key))
}

async fn list_versions(caller: Caller, Path(id): Path<String>) -> KpResult {
    let key = caller.key(&id).await?;
    Ok(wire::answer(StatusCode::OK, wire::KEY_TYPE, &wire::versions(&key)))
}

async fn get_policy(caller: Caller, Path(id): Path<String>) -> KpResult {
    let key = caller.key(&id).await?;
    Ok(wire::answer(StatusCode::OK, wire::POLICY_TYPE, &wire::rotation_policy(&caller.vault, &key)))
}

async fn put_policy(
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> KpResult {
    let kind = query.as_deref().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("policy=")));
    if kind.is_some_and(|kind| kind != "rotation") {
        return Err(KpError(AppError::bad_request(
            "Keyblade serves the rotation policy only (policy=rotation).",
        )));
    }
    let rotation = &json_body(&body)?["resources"][0]["rotation"];
    let enabled = rotation["enabled"].as_bool().unwrap_or(true);
    // No interval: 0, which the engine refuses for an enabled policy and reads as "keep the
    // interval" for a disabled one.
    let months = rotation["interval_month"].as_u64().map_or(0, |m| u8::try_from(m).unwrap_or(u8::MAX));
    let policy = RotationPolicy { enabled, interval_months: months };
    let request = svc::SetRotationPolicy { vault: caller.vault.clone(), key: id, body: policy };
    let key = caller.on_key(request).await?.key;
    Ok(wire::answer(StatusCode::OK, wire::POLICY_TYPE, &wire::rotation_policy(&caller.vault, &key)))
}

async fn key_registrations(caller: Caller, Path(id): Path<String>) -> KpResult {
    let request = svc::ListRegistrations { vault: caller.vault.clone(), key: id };
    let Keyed { key, answer } = caller.on_key(request).await?;
    let resources = answer.iter().map(|r| wire::registration(&caller.vault, &key, r)).collect();
    Ok(wire::answer(StatusCode::OK, wire::KEY_TYPE, &wire::registrations(resources)))
}

async fn all_registrations(caller: Caller) -> KpResult {
    let keys = caller.run(svc::ListVaultRegistrations { vault: caller.vault.clone() }).await?;
    let resources = keys
        .iter()
        .flat_map(|k| k.registrations.iter().map(|r| wire::registration(&caller.vault, &k.key, r)))
        .collect();
    Ok(wire::answer(StatusCode::OK, wire::KEY_TYPE, &wire::registrations(resources)))
}

async fn delete_key(caller: Caller, headers: HeaderMap, Path(id): Path<String>) -> KpResult {
    let deleted = caller.on_key(svc::DeleteKey { vault: caller.vault.clone(), key: id }).await?.key;
    let representation = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("return=representation"));
    if !representation {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(caller.key_answer(StatusCode::OK, &deleted))
}

async fn restore_key(caller: Caller, Path(id): Path<String>) -> KpResult {
    let restored = caller.on_key(svc::RecoverKey { vault: caller.vault.clone(), key: id }).await?.key;
    Ok(caller.key_answer(StatusCode::CREATED, &restored))
}

async fn purge_key(caller: Caller, Path(id): Path<String>) -> KpResult {
    let purged = caller.on_key(svc::PurgeKey { vault: caller.vault.clone(), key: id }).await?.key;
    Ok(caller.key_answer(StatusCode::OK, &purged))
}

/// `POST /keys/{id}/actions/{action}`: rotate, wrap, unwrap, rewrap, enable, disable.
async fn key_action(caller: Caller, Path((id, action)): Path<(String, String)>, body: Bytes) -> KpResult {
    let body = json_body(&body)?;
    let (vault, name) = (caller.vault.clone(), id);
    match action.as_str() {
        "rotate" => {
            let request = RotateKeyRequest { transfer: None, payload: field(&body, "payload") };
            caller.on_key(svc::RotateKey { vault, key: name, body: request }).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        "enable" | "disable" => {
            let request = SetKeyEnabledRequest { enabled: action == "enable" };
            caller.on_key(svc::SetKeyEnabled { vault, key: name, body: request }).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        "wrap" => {
            let request = WrapRequest { plaintext: field(&body, "plaintext") };
            let wrapped = caller.on_key(svc::WrapDataKey { vault, key: name, body: request }).await?.answer;
            let mut answer =
                json!({"ciphertext": wrapped.ciphertext, "keyVersion": {"id": wire::uuid(&wrapped.version)}});
            if let Some(plaintext) = wrapped.plaintext {
                answer["plaintext"] = json!(plaintext);
            }
            Ok(wire::answer(StatusCode::OK, wire::ACTION_TYPE, &answer))
        }
        "unwrap" | "rewrap" => {
            let request = UnwrapRequest { ciphertext: field(&body, "ciphertext").unwrap_or_default() };
            let unwrapped =
                caller.on_key(svc::UnwrapDataKey { vault, key: name, body: request }).await?.answer;
            let mut answer = json!({"keyVersion": {"id": wire::uuid(&unwrapped.version)}});
            if action == "unwrap" {
                answer["plaintext"] = json!(unwrapped.plaintext);
            }
            // An older version's ciphertext comes back rewrapped under the current version.
            match unwrapped.rewrapped {
                Some(current) => {
                    answer["ciphertext"] = json!(current.ciphertext);
                    answer["rewrappedKeyVersion"] = json!({"id": wire::uuid(&current.version)});
                }
                None if action == "rewrap" => {
                    answer["ciphertext"] = body["ciphertext"].clone();
                    answer["rewrappedKeyVersion"] = json!({"id": wire::uuid(&unwrapped.version)});
                }
                None => {}
            }
            Ok(wire::answer(StatusCode::OK, wire::ACTION_TYPE, &answer))
        }
        other => Err(KpError(AppError::plain(ErrorCode::NotFound, format!("No key action '{other}'.")))),
    }
}
