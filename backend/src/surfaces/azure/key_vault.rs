//! The Key Vault keys data plane, as `azure-keyvault-keys` calls it: keys created, imported,
//! read, listed (paged with `nextLink`), updated, rotated, given a rotation policy, deleted,
//! recovered and purged, and wrap and unwrap with RSA-OAEP-256. The vault is the one whose
//! address the request was sent to; the caller is the identity its bearer token names, and every
//! request passes that vault's firewall and access policy, or its roles (`shared::access`). A request
//! without a valid token gets the challenge that starts the SDK's handshake.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequestParts, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use shared::{
    access::Actor,
    api::{
        GenerateKeyRequest, ImportJsonWebKeyRequest, KeyOperationRequest, KeyVersionView, KeyView,
        RotateKeyRequest, RsaJsonWebKey, VersionAttributes,
    },
    catalog::ErrorCode,
    crypto::PublicKeyMaterial,
    model::{KeyOperation, KeyType, RotationPolicy, Timestamp},
    service::{self as svc, Endpoint},
};

use super::{CloudError, answered, identity::bearer_identity, origin, vault_address};
use crate::{
    error::AppError,
    gateway::{Gateway, actor},
    session::ClientIp,
};

/// The whole data plane: one handler that reads the path as the SDK writes it (a trailing slash
/// for "latest", an empty version segment before an operation).
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .fallback(handle)
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(gateway)
}

fn not_found(what: &str) -> CloudError {
    CloudError::new(StatusCode::NOT_FOUND, "KeyNotFound", format!("{what} was not found in this key vault."))
}

fn bad_parameter(message: impl Into<String>) -> CloudError {
    CloudError::new(StatusCode::BAD_REQUEST, "BadParameter", message)
}

/// Key Vault answers an access refusal with 403, whatever status the portal gives its code: an
/// access policy's with the catalog's code, a missing role (a vault on role-based access) as
/// `ForbiddenByRbac`, as Key Vault names it.
fn as_key_vault_answers(error: AppError) -> CloudError {
    let code = error.code();
    let error = CloudError::from(error);
    match code {
        ErrorCode::KeyVaultBadRequestException => CloudError { status: StatusCode::FORBIDDEN, ..error },
        ErrorCode::AccessDenied => {
            CloudError { status: StatusCode::FORBIDDEN, code: "ForbiddenByRbac".into(), ..error }
        }
        _ => error,
    }
}

type KvResult = Result<Response, CloudError>;

/// Who calls, on which vault, and how the answer names things.
struct Caller {
    gateway: Gateway,
    vault: String,
    actor: Actor,
    origin: String,
    soft_delete: bool,
    purge_protection: bool,
    retention_days: u16,
}

impl Caller {
    async fn run<E: Endpoint + Clone>(&self, request: E) -> Result<E::Answer, CloudError> {
        self.gateway.call(request, &self.actor).await.map_err(as_key_vault_answers)
    }

    async fn key(&self, name: &str) -> Result<KeyView, CloudError> {
        let request = svc::GetKey { vault: self.vault.clone(), key: name.to_owned() };
        self.run(request).await.map_err(key_not_found(name))
    }

    fn kid(&self, name: &str, version: Option<&str>) -> String {
        match version {
            Some(version) => format!("{}/keys/{name}/{version}", self.origin),
            None => format!("{}/keys/{name}", self.origin),
        }
    }

    fn attributes(&self, version: &KeyVersionView) -> Value {
        let recovery = match (self.soft_delete, self.purge_protection) {
            (true, true) => "Recoverable",
            (true, false) => "Recoverable+Purgeable",
            _ => "Purgeable",
        };
        let mut attributes = json!({
            "enabled": version.enabled,
            "created": version.created.0,
            "updated": version.created.0,
            "recoveryLevel": recovery,
            "exportable": false,
        });
        if self.soft_delete {
            attributes["recoverableDays"] = json!(self.retention_days);
        }
        if let Some(nbf) = version.nbf {
            attributes["nbf"] = json!(nbf.0);
        }
        if let Some(exp) = version.exp {
            attributes["exp"] = json!(exp.0);
        }
        attributes
    }

    /// A key bundle: the version's public JSON Web Key (never a private part) and attributes.
    fn bundle(&self, key: &KeyView, version: &KeyVersionView) -> Value {
        let mut jwk = json!({
            "kid": self.kid(&key.name, Some(&version.id)),
            "kty": key_type_name(key.key_type),
            "key_ops": version.key_ops.iter().map(|op| op_name(*op)).collect::<Vec<_>>(),
        });
        match &version.public_key {
            PublicKeyMaterial::Rsa { n, e } => {
                jwk["n"] = json!(n);
                jwk["e"] = json!(e);
            }
            PublicKeyMaterial::Ec { crv } => jwk["crv"] = json!(crv),
            PublicKeyMaterial::Oct => {}
        }
        let mut bundle =
            json!({"key": jwk, "attributes": self.attributes(version), "tags": {}, "managed": false});
        self.mark_deleted(&mut bundle, key);
        bundle
    }

    /// A list item: the key's versionless id (or a version's id) and attributes.
    fn item(&self, key: &KeyView, version: &KeyVersionView, versioned: bool) -> Value {
        let kid = self.kid(&key.name, versioned.then_some(version.id.as_str()));
        let mut item =
            json!({"kid": kid, "attributes": self.attributes(version), "tags": {}, "managed": false});
        self.mark_deleted(&mut item, key);
        item
    }

    fn mark_deleted(&self, value: &mut Value, key: &KeyView) {
        if let Some(deleted) = key.deleted_at.filter(|_| self.soft_delete) {
            value["recoveryId"] = json!(format!("{}/deletedkeys/{}", self.origin, key.name));
            value["deletedDate"] = json!(deleted.0);
            value["scheduledPurgeDate"] =
                json!(key.scheduled_purge.unwrap_or(deleted.plus_days(i64::from(self.retention_days))).0);
        }
    }

    fn policy(&self, key: &KeyView) -> Value {
        let actions = match key.rotation_policy {
            Some(RotationPolicy { enabled: true, interval_months }) => json!([{
                "trigger": {"timeAfterCreate": format!("P{interval_months}M")},
                "action": {"type": "Rotate"},
            }]),
            _ => json!([]),
        };
        json!({
            "id": format!("{}/keys/{}/rotationpolicy", self.origin, key.name),
            "lifetimeActions": actions,
            "attributes": {},
        })
    }
}

fn key_type_name(key_type: KeyType) -> String {
    serde_json::to_value(key_type).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn op_name(op: KeyOperation) -> &'static str {
    match op {
        KeyOperation::Encrypt => "encrypt",
        KeyOperation::Decrypt => "decrypt",
        KeyOperation::Sign => "sign",
        KeyOperation::Verify => "verify",
        KeyOperation::WrapKey => "wrapKey",
        KeyOperation::UnwrapKey => "unwrapKey",
    }
}

/// Key Vault's words for a key that is not there.
fn key_not_found(name: &str) -> impl FnOnce(CloudError) -> CloudError + '_ {
    move |error| match error.status {
        StatusCode::NOT_FOUND => not_found(&format!("A key with (name/id) {name}")),
        _ => error,
    }
}

/// The version a path names: the current one for an empty or missing segment.
fn pick<'k>(key: &'k KeyView, version: &str) -> Result<&'k KeyVersionView, CloudError> {
    let found =
        if version.is_empty() { key.versions.last() } else { key.versions.iter().find(|v| v.id == version) };
    found.ok_or_else(|| not_found(&format!("Version '{version}' of key '{}'", key.name)))
}

async fn handle(State(gateway): State<Gateway>, parts: Parts, body: Bytes) -> Response {
    answered(serve(gateway, parts, body)).await
}

async fn serve(gateway: Gateway, mut parts: Parts, body: Bytes) -> KvResult {
    let ClientIp(ip) = ClientIp::from_request_parts(&mut parts, &gateway).await?;
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let vault = match vault_address(&headers) {
        Some(address) => gateway.vault_at_address(ip, address).await?,
        None => None,
    };
    let Some(vault) = vault else {
        return Err(CloudError::new(
            StatusCode::NOT_FOUND,
            "VaultNotFound",
            "No live key vault answers at this address.",
        ));
    };
    let Some(identity) = bearer_identity(&gateway, ip, &headers).await? else {
        return Ok(challenge(&headers, &vault.tenant_id));
    };
    let caller = Caller {
        gateway,
        vault: vault.name.clone(),
        actor: actor(identity.principal, identity.name, ip),
        origin: origin(&headers),
        soft_delete: vault.soft_delete,
        purge_protection: vault.purge_protection,
        retention_days: vault.retention_days,
    };
    let query = Query::parse(uri.query());
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::GET, ["keys"] | ["keys", ""]) => list_keys(&caller, &uri, &query).await,
        (Method::POST, ["keys", name, "create"]) => create_key(&caller, name, &body).await,
        (Method::PUT, ["keys", name]) => import_key(&caller, name, &body).await,
        (Method::DELETE, ["keys", name]) => delete_key(&caller, name).await,
        (Method::GET, ["keys", name, "versions"]) => list_versions(&caller, name, &uri, &query).await,
        (Method::POST, ["keys", name, "rotate"]) => rotate_key(&caller, name).await,
        (Method::GET, ["keys", name, "rotationpolicy"]) => {
            Ok(Json(caller.policy(&caller.key(name).await?)).into_response())
        }
        (Method::PUT, ["keys", name, "rotationpolicy"]) => set_policy(&caller, name, &body).await,
        (Method::GET, ["keys", name] | ["keys", name, ""]) => get_key(&caller, name, "").await,
        (Method::GET, ["keys", name, version]) => get_key(&caller, name, version).await,
        (Method::PATCH, ["keys", name] | ["keys", name, ""]) => update_key(&caller, name, "", &body).await,
        (Method::PATCH, ["keys", name, version]) => update_key(&caller, name, version, &body).await,
        (Method::POST, ["keys", name, version, operation]) => {
            key_operation(&caller, name, version, operation, &body).await
        }
        (Method::GET, ["deletedkeys"]) => list_deleted(&caller, &uri, &query).await,
        (Method::GET, ["deletedkeys", name]) => get_deleted(&caller, name).await,
        (Method::DELETE, ["deletedkeys", name]) => purge_key(&caller, name).await,
        (Method::POST, ["deletedkeys", name, "recover"]) => recover_key(&caller, name).await,
        _ => Err(CloudError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Keyblade's key vault data plane has no route {}.", uri.path()),
        )),
    }
}

/// 401 with the challenge the SDK answers by fetching a token from the named authority for the
/// vault's tenant.
fn challenge(headers: &HeaderMap, tenant: &str) -> Response {
    let value = format!(
        "Bearer authorization=\"{}/{tenant}\", resource=\"https://vault.azure.net\"",
        super::authority_origin(headers)
    );
    let body = json!({"error": {"code": "Unauthorized", "message": "A valid bearer token is required: send one from the token endpoint named in WWW-Authenticate."}});
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Paging as Key Vault does it: `maxresults` items per page (25 by default) and a `$skiptoken`.
struct Query {
    api_version: String,
    max_results: usize,
    skip: usize,
}

impl Query {
    fn parse(query: Option<&str>) -> Query {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        let find = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Query {
            api_version: find("api-version").unwrap_or_else(|| "7.6".into()),
            max_results: find("maxresults").and_then(|v| v.parse().ok()).unwrap_or(25).clamp(1, 25),
            skip: find("$skiptoken").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    }

    fn page(&self, caller: &Caller, uri: &Uri, items: Vec<Value>) -> Response {
        let total = items.len();
        let value: Vec<Value> = items.into_iter().skip(self.skip).take(self.max_results).collect();
        let next = self.skip + self.max_results;
        let next_link = (next < total).then(|| {
            format!(
                "{}{}?api-version={}&maxresults={}&$skiptoken={next}",
                caller.origin,
                uri.path(),
                self.api_version,
                self.max_results
            )
        });
        Json(json!({"value": value, "nextLink": next_link})).into_response()
    }
}

fn json_body(body: &Bytes) -> Result<Value, CloudError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| bad_parameter(format!("The body is not JSON: {e}")))
}

/// `attributes.enabled`, `nbf` and `exp` over `base`.
/// A new key's attributes: those the body names, the defaults for the rest.
fn new_attributes(body: &Value) -> Result<VersionAttributes, CloudError> {
    let svc::VersionPatch { enabled, nbf, exp } = version_patch(body)?;
    Ok(VersionAttributes { enabled: enabled.unwrap_or(VersionAttributes::default().enabled), nbf, exp })
}

/// The attributes an update names (`attributes.enabled`, `.nbf`, `.exp`); the rest are kept.
fn version_patch(body: &Value) -> Result<svc::VersionPatch, CloudError> {
    let attributes = &body["attributes"];
    let time = |name: &str| match &attributes[name] {
        Value::Null => Ok(None),
        value => value
            .as_i64()
            .map(|t| Some(Timestamp(t)))
            .ok_or_else(|| bad_parameter(format!("attributes.{name} is a number of seconds."))),
    };
    Ok(svc::VersionPatch { enabled: attributes["enabled"].as_bool(), nbf: time("nbf")?, exp: time("exp")? })
}

fn key_type(kty: &Value) -> Result<KeyType, CloudError> {
    serde_json::from_value(kty.clone())
        .map_err(|_| bad_parameter(format!("Key type {kty} is not offered: use RSA, RSA-HSM or EC.")))
}

async fn list_keys(caller: &Caller, uri: &Uri, query: &Query) -> KvResult {
    let keys = caller.run(svc::ListKeys { vault: caller.vault.clone() }).await?;
    let items = keys.iter().filter_map(|k| Some(caller.item(k, k.versions.last()?, false))).collect();
    Ok(query.page(caller, uri, items))
}

async fn list_versions(caller: &Caller, name: &str, uri: &Uri, query: &Query) -> KvResult {
    let request = svc::ListVersions { vault: caller.vault.clone(), key: name.to_owned() };
    let listed = caller.run(svc::ByKeyId { request }).await.map_err(key_not_found(name))?;
    Ok(query.page(caller, uri, listed.answer.iter().map(|v| caller.item(&listed.key, v, true)).collect()))
}

async fn create_key(caller: &Caller, name: &str, body: &Bytes) -> KvResult {
    let body = json_body(body)?;
    let key_type = key_type(&body["kty"])?;
    let default_size = if key_type == KeyType::Ec { 256 } else { 2048 };
    let size = match &body["key_size"] {
        Value::Null => default_size,
        size => size.as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(u16::MAX),
    };
    let request =
        GenerateKeyRequest { name: name.to_owned(), key_type, size, attributes: new_attributes(&body)? };
    let key = caller.run(svc::GenerateKey { vault: caller.vault.clone(), body: request }).await?;
    Ok(Json(caller.bundle(&key, pick(&key, "")?)).into_response())
}

async fn import_key(caller: &Caller, name: &str, body: &Bytes) -> KvResult {
    let body = json_body(body)?;
    let jwk = &body["key"];
    let part = |n: &str| {
        jwk[n].as_str().map(str::to_owned).ok_or_else(|| bad_parameter(format!("key.{n} is missing.")))
    };
    let hsm = body["Hsm"].as_bool().unwrap_or(false);
    let key_type = match (key_type(&jwk["kty"])?, hsm) {
        (KeyType::Rsa, true) => KeyType::RsaHsm,
        (key_type, _) => key_type,
    };
    let request = ImportJsonWebKeyRequest {
        key_type,
        jwk: RsaJsonWebKey { n: part("n")?, e: part("e")?, d: part("d")?, p: part("p")?, q: part("q")? },
        attributes: new_attributes(&body)?,
    };
    let request = svc::ImportJsonWebKey { vault: caller.vault.clone(), key: name.to_owned(), body: request };
    let key = caller.run(request).await?;
    Ok(Json(caller.bundle(&key, pick(&key, "")?)).into_response())
}

async fn get_key(caller: &Caller, name: &str, version: &str) -> KvResult {
    let key = caller.key(name).await?;
    Ok(Json(caller.bundle(&key, pick(&key, version)?)).into_response())
}

async fn update_key(caller: &Caller, name: &str, version: &str, body: &Bytes) -> KvResult {
    let body = json_body(body)?;
    let request = svc::PatchVersion {
        vault: caller.vault.clone(),
        key: name.to_owned(),
        version: version.to_owned(),
        body: version_patch(&body)?,
    };
    let patched = caller.run(request).await.map_err(key_not_found(name))?;
    Ok(Json(caller.bundle(&patched.key, &patched.version)).into_response())
}

async fn rotate_key(caller: &Caller, name: &str) -> KvResult {
    let request = svc::RotateKey {
        vault: caller.vault.clone(),
        key: name.to_owned(),
        body: RotateKeyRequest::default(),
    };
    let key = caller.run(svc::ByKeyId { request }).await?.key;
    Ok(Json(caller.bundle(&key, pick(&key, "")?)).into_response())
}

/// Keyblade's policy rotates every 1 to 12 months: a `Rotate` action after `P{n}M` or `P1Y`.
/// Any other period is handed to the engine as 0 months, which it refuses with its code.
async fn set_policy(caller: &Caller, name: &str, body: &Bytes) -> KvResult {
    let body = json_body(body)?;
    let actions = body["lifetimeActions"].as_array().cloned().unwrap_or_default();
    let rotate = actions
        .iter()
        .find(|a| a["action"]["type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("rotate")));
    let policy = match rotate {
        // No interval: the engine keeps the one set before.
        None => RotationPolicy { enabled: false, interval_months: 0 },
        Some(action) => {
            let months = action["trigger"]["timeAfterCreate"].as_str().and_then(months_of).unwrap_or(0);
            RotationPolicy { enabled: true, interval_months: months }
        }
    };
    let request = svc::SetRotationPolicy { vault: caller.vault.clone(), key: name.to_owned(), body: policy };
    let key = caller.run(svc::ByKeyId { request }).await?.key;
    Ok(Json(caller.policy(&key)).into_response())
}

/// Months in an ISO 8601 period of whole months or years (`P3M`, `P1Y`).
fn months_of(period: &str) -> Option<u8> {
    let rest = period.strip_prefix('P')?;
    // The unit is the last character, whatever its width (`P1€` is a period of nothing).
    let unit = rest.chars().last()?;
    let count: u8 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    match unit {
        'M' => Some(count),
        'Y' => count.checked_mul(12),
        _ => None,
    }
}

/// Deleting needs the Delete permission only: the answer is the key as the delete left it.
async fn delete_key(caller: &Caller, name: &str) -> KvResult {
    let request = svc::DeleteKey { vault: caller.vault.clone(), key: name.to_owned() };
    let deleted = caller.run(svc::ByKeyId { request }).await.map_err(key_not_found(name))?.key;
    Ok(Json(caller.bundle(&deleted, pick(&deleted, "")?)).into_response())
}

async fn deleted_key(caller: &Caller, name: &str) -> Result<KeyView, CloudError> {
    let deleted = caller.run(svc::ListDeletedKeys { vault: caller.vault.clone() }).await?;
    deleted
        .into_iter()
        .find(|k| k.name == name)
        .ok_or_else(|| not_found(&format!("A deleted key with (name/id) {name}")))
}

async fn list_deleted(caller: &Caller, uri: &Uri, query: &Query) -> KvResult {
    let keys = caller.run(svc::ListDeletedKeys { vault: caller.vault.clone() }).await?;
    let items = keys.iter().filter_map(|k| Some(caller.item(k, k.versions.last()?, false))).collect();
    Ok(query.page(caller, uri, items))
}

async fn get_deleted(caller: &Caller, name: &str) -> KvResult {
    let key = deleted_key(caller, name).await?;
    Ok(Json(caller.bundle(&key, pick(&key, "")?)).into_response())
}

async fn recover_key(caller: &Caller, name: &str) -> KvResult {
    let key = caller.run(svc::RecoverKey { vault: caller.vault.clone(), key: name.to_owned() }).await?;
    Ok(Json(caller.bundle(&key, pick(&key, "")?)).into_response())
}

async fn purge_key(caller: &Caller, name: &str) -> KvResult {
    let request = svc::PurgeKey { vault: caller.vault.clone(), key: name.to_owned() };
    caller.run(svc::ByKeyId { request }).await.map_err(key_not_found(name))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `wrapkey`/`unwrapkey` (and `encrypt`/`decrypt`, the same RSA-OAEP-256 here) with a version,
/// or the current one when the segment is empty.
async fn key_operation(
    caller: &Caller,
    name: &str,
    version: &str,
    operation: &str,
    body: &Bytes,
) -> KvResult {
    let body = json_body(body)?;
    let request = KeyOperationRequest {
        algorithm: body["alg"].as_str().unwrap_or_default().to_owned(),
        value: body["value"].as_str().unwrap_or_default().to_owned(),
    };
    let (vault, key, version) = (caller.vault.clone(), name.to_owned(), version.to_owned());
    let result = match operation {
        "wrapkey" | "encrypt" => {
            caller.run(svc::WrapWithVersion { vault, key, version, body: request }).await?
        }
        "unwrapkey" | "decrypt" => {
            caller.run(svc::UnwrapWithVersion { vault, key, version, body: request }).await?
        }
        other => {
            return Err(bad_parameter(format!(
                "Operation '{other}' is not offered: use wrapkey or unwrapkey."
            )));
        }
    };
    Ok(Json(json!({"kid": caller.kid(name, Some(&result.version)), "value": result.value})).into_response())
}

#[cfg(test)]
mod tests {
    use super::months_of;

    #[test]
    fn periods_of_whole_months_or_years_only() {
        assert_eq!(months_of("P3M"), Some(3));
        assert_eq!(months_of("P1Y"), Some(12));
        assert_eq!(months_of("P90D"), None);
        assert_eq!(months_of("P"), None);
        assert_eq!(months_of(""), None);
        assert_eq!(months_of("P99Y"), None);
        for wide in ["P1€", "P€", "€", "P1é", "P🔑"] {
            assert_eq!(months_of(wide), None, "{wide}: no panic, no period");
        }
    }
}
