//! A subset of the NetApp Element JSON-RPC API at `POST /json-rpc/{version}`, so the unmodified
//! `solidfire-sdk-python` can rekey the master key: `GetAPI`, `GetSoftwareEncryptionAtRestInfo`,
//! `RekeySoftwareEncryptionAtRestMasterKey`, `GetAsyncResult`, `ListAsyncResults` and
//! `ListKeyProvidersKmip`. Each method maps onto the `shared::service` endpoint the portal uses.
//!
//! Element's conventions, as the SDK expects them: HTTP Basic on every call, a JSON body sent
//! with no Content-Type, method names matched whatever their case, and errors answered with
//! HTTP 200 and an `error` object (`code`, `name`, `message`).

use std::net::IpAddr;

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Value, json};
use shared::{
    access::Actor,
    api::{EncryptionAtRestView, MasterKeyView, OperationView, RekeyRequest},
    catalog::ErrorCode,
    model::{KeyManagement, OperationKind, OperationState, Principal, StepState},
    service::{self as svc, AsyncResultView, Endpoint, TakeResultRequest},
};
use zeroize::Zeroizing;

use crate::{
    error::AppError,
    gateway::{Gateway, actor},
    session::ClientIp,
};

/// The API version Keyblade reports (the rekey methods need 12.3).
const CURRENT_VERSION: &str = "12.3";
const SUPPORTED_VERSIONS: [&str; 12] =
    ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "8.0", "9.0", "10.0", "11.0", "12.3"];
pub fn router(gateway: Gateway) -> Router {
    Router::new().route("/json-rpc/{version}", post(call)).with_state(gateway)
}

/// A JSON-RPC failure: Element's `error` object.
struct RpcError {
    name: String,
    message: String,
}

impl RpcError {
    fn new(name: &str, message: impl Into<String>) -> RpcError {
        RpcError { name: name.to_owned(), message: message.into() }
    }
}

impl From<AppError> for RpcError {
    fn from(error: AppError) -> RpcError {
        let (_, diagnosis) = error.status_and_diagnosis();
        let (code, message) = (diagnosis.code, diagnosis.message);
        // Element names a missing object xDBNoSuchPath; every other failure keeps its catalog code.
        let name = if code == ErrorCode::NotFound { "xDBNoSuchPath" } else { code.as_str() };
        RpcError::new(name, message)
    }
}

async fn call(
    State(gateway): State<Gateway>,
    Path(version): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let username = match authenticate(&gateway, &headers, ip).await {
        Ok(username) => username,
        Err(refusal) => return refusal,
    };
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let answer = match version.parse::<f64>() {
        Ok(v) if v >= 1.0 => {
            let method = request["method"].as_str().unwrap_or_default().to_ascii_lowercase();
            let name = format!("{username} (Element API)");
            let caller = Caller { gateway: &gateway, actor: actor(Principal::user(&username), name, ip) };
            caller.method(&method, &request["params"]).await
        }
        _ => Err(RpcError::new("xUnknownAPIVersion", format!("API version '{version}' is not served."))),
    };
    let body = match answer {
        Ok(result) => json!({"id": id, "result": result}),
        Err(e) => json!({"id": id, "error": {"code": 500, "name": e.name, "message": e.message}}),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// The account a Basic credential names, checked by the gateway like every other sign-in.
/// A missing credential gets the challenge; a refused one Element's error object with the
/// refusal's code (401, or 429 while the throttle holds the caller back).
async fn authenticate(gateway: &Gateway, headers: &HeaderMap, ip: IpAddr) -> Result<String, Response> {
    let challenge = || {
        let value = HeaderValue::from_static("Basic realm=\"Keyblade\"");
        (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, value)]).into_response()
    };
    let credential = basic_credential(headers).ok_or_else(challenge)?;
    let (username, password) = credential.split_once(':').ok_or_else(challenge)?;
    match gateway.basic(ip, "Element API", username, password).await {
        Ok(()) => Ok(username.to_owned()),
        Err(error) => {
            let (status, diagnosis) = error.status_and_diagnosis();
            let body = json!({"error": {"code": status.as_u16(), "name": diagnosis.code.as_str(), "message": diagnosis.message}});
            let mut response = (status, axum::Json(body)).into_response();
            if status == StatusCode::UNAUTHORIZED {
                let value = HeaderValue::from_static("Basic realm=\"Keyblade\"");
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
            Err(response)
        }
    }
}

/// `user:password` from an `Authorization: Basic` header.
fn basic_credential(headers: &HeaderMap) -> Option<Zeroizing<String>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = Zeroizing::new(STANDARD.decode(encoded.trim()).ok()?);
    std::str::from_utf8(&decoded).ok().map(|text| Zeroizing::new(text.to_owned()))
}

/// One authenticated call.
struct Caller<'a> {
    gateway: &'a Gateway,
    actor: Actor,
}

impl Caller<'_> {
    async fn run<E: Endpoint + Clone>(&self, request: E) -> Result<E::Answer, RpcError> {
        Ok(self.gateway.call(request, &self.actor).await?)
    }

    async fn method(&self, method: &str, params: &Value) -> Result<Value, RpcError> {
        match method {
            "getapi" => Ok(get_api()),
            "getsoftwareencryptionatrestinfo" => {
                let view = self.run(svc::GetEncryptionAtRest {}).await?;
                Ok(encryption_at_rest_info(&view))
            }
            "rekeysoftwareencryptionatrestmasterkey" => self.rekey(params).await,
            "getasyncresult" => self.async_result(params).await,
            "listasyncresults" => {
                let operations = self.run(svc::ListOperations {}).await?;
                let handles: Vec<Value> = operations.iter().map(async_handle_summary).collect();
                Ok(json!({"asyncHandles": handles}))
            }
            "listkeyproviderskmip" => {
                let only_active = params.get("keyProviderIsActive").and_then(Value::as_bool);
                let providers = self.run(svc::ListKeyProviders {}).await?;
                let listed: Vec<Value> = providers
                    .iter()
                    .filter(|p| only_active.is_none_or(|active| p.active == active))
                    .map(|p| {
                        json!({
                            "keyProviderID": p.id,
                            "keyProviderName": p.name,
                            "keyProviderIsActive": p.active,
                            "keyServerIDs": [],
                            "kmipCapabilities": "Key Protect-compatible HTTP key provider",
                        })
                    })
                    .collect();
                Ok(json!({"kmipKeyProviders": listed}))
            }
            "" => Err(RpcError::new("xMissingMethod", "The request names no method.")),
            other => Err(RpcError::new(
                "xUnknownAPIMethod",
                format!("Method '{other}' is not served by Keyblade."),
            )),
        }
    }

    async fn rekey(&self, params: &Value) -> Result<Value, RpcError> {
        let management = match params.get("keyManagementType") {
            None | Some(Value::Null) => None,
            Some(value) => match value.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("internal") => Some(KeyManagement::Internal),
                Some("external") => Some(KeyManagement::External),
                _ => {
                    return Err(RpcError::new(
                        "xInvalidParameter",
                        "keyManagementType is Internal or External.",
                    ));
                }
            },
        };
        let provider = match params.get("keyProviderID") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.as_u64().and_then(|id| u32::try_from(id).ok()).ok_or_else(|| {
                RpcError::new("xInvalidParameter", "keyProviderID is a key provider's number.")
            })?),
        };
        let body =
            RekeyRequest { key_management_type: management, key_provider_id: provider, batch_size: None };
        let operation = self.run(svc::RekeyMasterKey { body }).await?;
        Ok(json!({"asyncHandle": operation.handle}))
    }

    async fn async_result(&self, params: &Value) -> Result<Value, RpcError> {
        let handle = params
            .get("asyncHandle")
            .and_then(Value::as_u64)
            .ok_or_else(|| RpcError::new("xInvalidParameter", "asyncHandle is required."))?;
        let keep = params.get("keepResult").and_then(Value::as_bool).unwrap_or(false);
        let request = svc::TakeAsyncResult { handle: handle.to_string(), body: TakeResultRequest { keep } };
        let AsyncResultView { operation, encryption_at_rest } = self.run(request).await?;
        let mut answer = async_result_of(&operation);
        if let (OperationKind::RekeyMasterKey { new_key, old_key, .. }, Some(view)) =
            (&operation.kind, &encryption_at_rest)
            && operation.state == OperationState::Succeeded
        {
            answer["result"] = json!({
                "newKey": key_info(view, new_key),
                "keyToDecommission": key_info(view, old_key),
                "state": "Ready",
                "operation": "Rekey",
            });
        }
        Ok(answer)
    }
}

fn get_api() -> Value {
    json!({"currentVersion": CURRENT_VERSION, "supportedVersions": SUPPORTED_VERSIONS})
}

fn management_name(management: KeyManagement) -> &'static str {
    match management {
        KeyManagement::Internal => "internal",
        KeyManagement::External => "external",
    }
}

/// Element's `EncryptionKeyInfo` of a master key.
fn key_info(view: &EncryptionAtRestView, id: &str) -> Value {
    let key = view.keys.iter().find(|k| k.id == id);
    key.map_or_else(|| json!({"keyID": id}), master_key_info)
}

fn master_key_info(key: &MasterKeyView) -> Value {
    let mut info = json!({
        "keyID": key.id,
        "keyManagementType": management_name(key.management),
        "keyCreatedTime": key.created.rfc3339(),
    });
    if let Some(provider) = key.provider {
        info["keyProviderID"] = json!(provider);
    }
    info
}

fn encryption_at_rest_info(view: &EncryptionAtRestView) -> Value {
    let mut info = json!({"state": "enabled", "version": view.keys.len()});
    if let Some(current) = &view.current {
        info["masterKeyInfo"] = master_key_info(current);
    }
    if let Some(latest) = view.rekeys.first() {
        info["rekeyMasterKeyAsyncResultID"] = json!(latest.handle);
    }
    info
}

/// The stage of a rekey as Element names it (`SearRekeyMasterKeyState`).
fn rekey_stage(operation: &OperationView) -> &'static str {
    match operation.steps.iter().position(|s| s.state != StepState::Done) {
        Some(0) => "CreateNewMasterKey",
        Some(1) => "RewrapDataEncryptionKeys",
        Some(_) => "DecommissionOldMasterKey",
        None => "Ready",
    }
}

fn result_type(operation: &OperationView) -> &'static str {
    match operation.kind {
        OperationKind::RekeyMasterKey { .. } => "RekeySoftwareEncryptionAtRestMasterKey",
        OperationKind::ProvisionVault { .. } => "CreateKeyVault",
        OperationKind::RollOverServiceKey { .. } => "RollOverServiceDataEncryptionKey",
        OperationKind::RewrapRegistrations { .. } => "RewrapRegistrations",
        OperationKind::RotateSecrets { .. } => "StartSecretRotation",
    }
}

fn async_result_of(operation: &OperationView) -> Value {
    let updated = operation.finished.unwrap_or(operation.started);
    let mut answer = json!({
        "resultType": result_type(operation),
        "createTime": operation.started.rfc3339(),
        "lastUpdateTime": updated.rfc3339(),
    });
    match operation.state {
        OperationState::Running => {
            answer["status"] = json!("running");
            let progress = operation.steps.iter().find_map(|s| s.progress);
            answer["details"] = json!({
                "state": rekey_stage(operation),
                "operation": operation.label,
                "done": progress.map(|p| p.done),
                "total": progress.map(|p| p.total),
            });
        }
        OperationState::Succeeded => answer["status"] = json!("complete"),
        OperationState::Failed => {
            answer["status"] = json!("complete");
            let error = operation.error.as_ref();
            answer["error"] = json!({
                "name": error.map_or("xUnknown", |e| e.code.as_str()),
                "message": error.map(|e| e.message.clone()).unwrap_or_default(),
            });
        }
    }
    answer
}

fn async_handle_summary(operation: &OperationView) -> Value {
    let updated = operation.finished.unwrap_or(operation.started);
    json!({
        "asyncResultID": operation.handle,
        "resultType": result_type(operation),
        "createTime": operation.started.rfc3339(),
        "lastUpdateTime": updated.rfc3339(),
        "completed": operation.state != OperationState::Running,
        "success": operation.state == OperationState::Succeeded,
        "data": {},
    })
}
