//! Key Protect's JSON: the collection envelope, keys, versions, policies, registrations and
//! errors, built from Keyblade's views.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use shared::{
    api::{KeyView, RegistrationView},
    catalog::Diagnosis,
    model::{KeyType, RewrapTarget, Timestamp},
};

pub const KEY_TYPE: &str = "application/vnd.ibm.kms.key+json";
pub const ACTION_TYPE: &str = "application/vnd.ibm.kms.key_action+json";
pub const POLICY_TYPE: &str = "application/vnd.ibm.kms.policy+json";
const VERSION_TYPE: &str = "application/vnd.ibm.kms.key.version+json";
const REGISTRATION_TYPE: &str = "application/vnd.ibm.kms.registration+json";
const ERROR_TYPE: &str = "application/vnd.ibm.kms.error+json";

/// A JSON answer with a Key Protect media type (the SDK hands such answers to callers as they
/// are, and scripts call `.json()` on them, as they do against the real service).
pub fn answer(status: StatusCode, media_type: &'static str, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    response
}

/// `{"metadata": {...}, "resources": [...]}`.
pub fn collection(collection_type: &str, resources: Vec<Value>) -> Value {
    json!({
        "metadata": {"collectionType": collection_type, "collectionTotal": resources.len()},
        "resources": resources,
    })
}

pub fn keys(keys: Vec<Value>) -> Value {
    collection(KEY_TYPE, keys)
}

fn date(at: Timestamp) -> String {
    at.rfc3339()
}

/// A version id as Key Protect shows ids: a UUID.
pub fn uuid(hex: &str) -> String {
    if hex.len() != 32 {
        return hex.to_owned();
    }
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A key's Key Protect representation (never its material).
pub fn key(vault: &str, view: &KeyView) -> Value {
    let id = view.id.clone().unwrap_or_default();
    let created = view.versions.first().map(|v| date(v.created));
    let current = view.versions.last();
    let enabled = view.versions.iter().any(|v| v.enabled);
    let state = match (view.deleted_at, enabled) {
        (Some(_), _) => 5,
        (None, true) => 1,
        (None, false) => 2,
    };
    let algorithm = match view.key_type {
        KeyType::Oct => "AES",
        KeyType::Rsa | KeyType::RsaHsm => "RSA",
        KeyType::Ec => "EC",
    };
    let mut key = json!({
        "type": KEY_TYPE,
        "id": id,
        "name": view.name,
        "state": state,
        "crn": format!("crn:v1:keyblade:private:kms:local:a/keyblade:{vault}:key:{id}"),
        "extractable": false,
        "imported": view.imported,
        "algorithmType": algorithm,
        "algorithmBitSize": view.size,
        "creationDate": created,
        "lastUpdateDate": view.last_rotated.map(date).or(created.clone()),
        "keyVersion": current.map(|v| json!({"id": uuid(&v.id), "creationDate": date(v.created)})),
        "dualAuthDelete": {"enabled": false},
        "deleted": view.deleted_at.is_some(),
    });
    if let Some(last) = view.last_rotated {
        key["lastRotateDate"] = json!(date(last));
    }
    if let Some(policy) = view.rotation_policy {
        key["rotation"] = json!({"enabled": policy.enabled, "interval_month": policy.interval_months});
    }
    if let Some(deleted) = view.deleted_at {
        key["deletionDate"] = json!(date(deleted));
        key["restoreAllowed"] = json!(true);
    }
    key
}

/// The versions, newest first.
pub fn versions(view: &KeyView) -> Value {
    let resources = view
        .versions
        .iter()
        .rev()
        .map(|v| json!({"id": uuid(&v.id), "creationDate": date(v.created)}))
        .collect();
    let mut body = collection(VERSION_TYPE, resources);
    body["metadata"]["totalCount"] = json!(view.versions.len());
    body
}

/// The rotation policy (none: an empty collection).
pub fn rotation_policy(vault: &str, view: &KeyView) -> Value {
    let id = view.id.clone().unwrap_or_default();
    let resources = view
        .rotation_policy
        .map(|policy| {
            json!({
                "id": id,
                "crn": format!("crn:v1:keyblade:private:kms:local:a/keyblade:{vault}:key:{id}"),
                "type": POLICY_TYPE,
                "rotation": {"enabled": policy.enabled, "interval_month": policy.interval_months},
            })
        })
        .into_iter()
        .collect();
    collection(POLICY_TYPE, resources)
}

/// One registration: orders carry a Keyblade CRN.
pub fn registration(vault: &str, key: &KeyView, registration: &RegistrationView) -> Value {
    let resource = match &registration.target {
        RewrapTarget::Order { id, .. } => {
            format!("crn:v1:keyblade:private:databox:local:a/keyblade::order:{id}")
        }
        RewrapTarget::External { resource } => resource.clone(),
    };
    let version_created =
        key.versions.iter().find(|v| v.id == registration.key_version).map(|v| date(v.created));
    json!({
        "keyId": key.id,
        "keyName": key.name,
        "resourceCrn": resource,
        "createdBy": "keyblade",
        "creationDate": registration.created.map(date),
        "updatedBy": "keyblade",
        "description": registration.description,
        "preventKeyDeletion": registration.prevent_key_deletion,
        "keyVersion": {"id": uuid(&registration.key_version), "creationDate": version_created},
        "instance": vault,
    })
}

pub fn registrations(resources: Vec<Value>) -> Value {
    collection(REGISTRATION_TYPE, resources)
}

/// A failure as Key Protect words one, with Keyblade's catalog code as the reason.
pub fn error(status: StatusCode, diagnosis: &Diagnosis) -> Response {
    let reason = json!({
        "code": diagnosis.code.as_str(),
        "message": diagnosis.message,
        "status": status.as_u16(),
        "moreInfo": diagnosis.remediation.join(" "),
    });
    let body = collection(ERROR_TYPE, vec![json!({"errorMsg": diagnosis.message, "reasons": [reason]})]);
    answer(status, ERROR_TYPE, &body)
}
