//! Data Box jobs under the management API's paths, as `azure-mgmt-databox` calls them: a job is
//! a Keyblade order. Get and list read them; a PATCH of
//! `properties.details.keyEncryptionKey` saves the order's encryption through the same
//! endpoints as the Encryption blade's Save, so it fails with the same catalog codes. Path
//! segments match in any case, as the cloud matches them.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequestParts, State},
    http::{HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use shared::{
    api::{SaveByKeyUrlRequest, SaveEncryptionRequest},
    audit::Actor,
    model::{EncryptionSettings, IdentityChoice, Order, OrderPhase, Principal, World},
    ops, service as svc,
};

use super::{CloudError, answered, identity::bearer_identity};
use crate::{AppState, session::ClientIp};

pub fn router(state: AppState) -> Router {
    Router::new()
        .fallback(handle)
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(state)
}

fn arm_error(status: StatusCode, code: &str, message: impl Into<String>) -> CloudError {
    CloudError::new(status, code, message)
}

async fn handle(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    answered(serve(state, parts, body)).await
}

/// Which jobs a path names.
struct Scope<'p> {
    subscription: &'p str,
    resource_group: Option<&'p str>,
}

impl Scope<'_> {
    fn holds(&self, order: &Order) -> bool {
        order.subscription_id.eq_ignore_ascii_case(self.subscription)
            && self.resource_group.is_none_or(|rg| order.resource_group.eq_ignore_ascii_case(rg))
    }
}

async fn serve(state: AppState, mut parts: Parts, body: Bytes) -> Result<Response, CloudError> {
    let ClientIp(ip) = ClientIp::from_request_parts(&mut parts, &state).await?;
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let Some(identity) = bearer_identity(&state, &headers).await? else {
        return Err(arm_error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "A valid bearer token is required: get one from Keyblade's token endpoint.",
        ));
    };
    let actor = Actor {
        principal: Principal::Identity(identity.principal_id),
        name: identity.name,
        source: ip.to_string(),
    };
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let (scope, job) = match (lower.as_slice(), segments.as_slice()) {
        (["subscriptions", _, "providers", "microsoft.databox", "jobs"], [_, sub, ..]) => {
            (Scope { subscription: sub, resource_group: None }, None)
        }
        (
            ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.databox", "jobs", rest @ ..],
            [_, sub, _, rg, _, _, _, name @ ..],
        ) if rest.len() <= 1 => {
            (Scope { subscription: sub, resource_group: Some(rg) }, name.first().copied())
        }
        _ => {
            return Err(arm_error(
                StatusCode::NOT_FOUND,
                "InvalidResourceType",
                format!("No Data Box resource at {}.", uri.path()),
            ));
        }
    };
    match (method, job) {
        (Method::GET, None) => list_jobs(&state, &scope).await,
        (Method::GET, Some(name)) => {
            let world = state.store().load().await?.world;
            Ok(Json(job_resource(&world, find_job(&world, &scope, name)?)).into_response())
        }
        (Method::PATCH, Some(name)) => update_job(&state, &actor, &scope, name, &body).await,
        _ => Err(arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Jobs are read with GET and changed with PATCH.",
        )),
    }
}

fn find_job<'w>(world: &'w World, scope: &Scope<'_>, name: &str) -> Result<&'w Order, CloudError> {
    world.orders.values().find(|o| scope.holds(o) && o.name.eq_ignore_ascii_case(name)).ok_or_else(|| {
        arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The Data Box job '{name}' was not found."),
        )
    })
}

async fn list_jobs(state: &AppState, scope: &Scope<'_>) -> Result<Response, CloudError> {
    let world = state.store().load().await?.world;
    let jobs: Vec<Value> =
        world.orders.values().filter(|o| scope.holds(o)).map(|o| job_resource(&world, o)).collect();
    Ok(Json(json!({"value": jobs})).into_response())
}

/// Saves `properties.details.keyEncryptionKey` the way the Encryption blade's Save does, then
/// answers the job as it now is. The answer is final (200, no `provisioningState`), so the
/// SDK's poller finishes without polling.
async fn update_job(
    state: &AppState,
    actor: &Actor,
    scope: &Scope<'_>,
    name: &str,
    body: &Bytes,
) -> Result<Response, CloudError> {
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        arm_error(StatusCode::BAD_REQUEST, "InvalidRequestContent", format!("The body is not JSON: {e}"))
    })?;
    let world = state.store().load().await?.world;
    let order = find_job(&world, scope, name)?.id.clone();
    let kek = &body["properties"]["details"]["keyEncryptionKey"];
    match kek["kekType"].as_str() {
        None if kek.is_null() => {}
        Some("MicrosoftManaged") => {
            let request = SaveEncryptionRequest {
                settings: EncryptionSettings::MicrosoftManaged,
                expected_version: None,
            };
            state
                .execute(svc::SaveEncryption { order: order.clone(), if_match: None, body: request }, actor)
                .await?;
        }
        Some("CustomerManaged") => {
            let identity = identity_choice(&world, &kek["identityProperties"]);
            let key_url = ops::cloud_key_url(&world, kek["kekUrl"].as_str().unwrap_or_default());
            let request = SaveByKeyUrlRequest { key_url, identity, expected_version: None };
            state
                .execute(
                    svc::SaveEncryptionByKeyUrl { order: order.clone(), if_match: None, body: request },
                    actor,
                )
                .await?;
        }
        _ => {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidKekType",
                "keyEncryptionKey.kekType is MicrosoftManaged or CustomerManaged.",
            ));
        }
    }
    let world = state.store().load().await?.world;
    let order = world
        .orders
        .get(&order)
        .ok_or_else(|| arm_error(StatusCode::NOT_FOUND, "ResourceNotFound", "The job is gone."))?;
    let mut response = Json(job_resource(&world, order)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
    Ok(response)
}

/// The identity `identityProperties` names: system-assigned unless a user-assigned identity's
/// resource id is given (an id Keyblade does not know is passed on, for Save to refuse).
fn identity_choice(world: &World, properties: &Value) -> IdentityChoice {
    if properties["type"].as_str() != Some("UserAssigned") {
        return IdentityChoice::SystemAssigned;
    }
    let resource_id = properties["userAssigned"]["resourceId"].as_str().unwrap_or_default();
    let name = resource_id.rsplit('/').next().unwrap_or_default();
    let known = world.identities.values().find(|i| i.id == resource_id || i.name.eq_ignore_ascii_case(name));
    IdentityChoice::UserAssigned {
        identity_id: known.map_or_else(|| resource_id.to_owned(), |i| i.id.clone()),
    }
}

fn identity_resource_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
}

fn stage(phase: OrderPhase) -> &'static str {
    match phase {
        OrderPhase::Ordered => "DeviceOrdered",
        OrderPhase::Processed => "DevicePrepared",
        OrderPhase::Delivered => "Delivered",
        OrderPhase::DataCopy => "DataCopy",
        OrderPhase::Completed => "Completed",
    }
}

/// An order as a `JobResource`.
fn job_resource(world: &World, order: &Order) -> Value {
    let (sub, rg) = (&order.subscription_id, &order.resource_group);
    let users: serde_json::Map<String, Value> = order
        .user_identities
        .iter()
        .filter_map(|id| world.identities.get(id))
        .map(|i| {
            (
                identity_resource_id(sub, &i.resource_group, &i.name),
                json!({"principalId": i.principal_id, "clientId": i.client_id}),
            )
        })
        .collect();
    let kind = match (order.system_identity.is_some(), users.is_empty()) {
        (true, true) => "SystemAssigned",
        (true, false) => "SystemAssigned,UserAssigned",
        (false, false) => "UserAssigned",
        (false, true) => "None",
    };
    let mut identity = json!({"type": kind});
    if let Some(system) = &order.system_identity {
        identity["principalId"] = json!(system.principal_id);
        identity["tenantId"] = json!(system.tenant_id);
    }
    if !users.is_empty() {
        identity["userAssignedIdentities"] = Value::Object(users);
    }
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataBox/jobs/{}", order.name),
        "name": order.name,
        "type": "Microsoft.DataBox/jobs",
        "location": "westus",
        "tags": {},
        "sku": {"name": "DataBox"},
        "identity": identity,
        "properties": {
            "transferType": "ImportToAzure",
            "status": stage(order.phase),
            "isCancellable": order.phase == OrderPhase::Ordered,
            "details": {
                "jobDetailsType": "DataBox",
                "contactDetails": {"contactName": "Keyblade operator", "phone": "0000000000", "emailList": []},
                "keyEncryptionKey": key_encryption_key(world, order),
            },
        },
    })
}

fn key_encryption_key(world: &World, order: &Order) -> Value {
    let EncryptionSettings::CustomerManaged(ck) = &order.encryption else {
        return json!({"kekType": "MicrosoftManaged"});
    };
    let vault_group = world.vaults.get(&ck.vault).map(|v| v.resource_group.clone()).unwrap_or_default();
    let vault_sub = world
        .resource_groups
        .get(&vault_group)
        .map_or(order.subscription_id.clone(), |g| g.subscription_id.clone());
    let identity = match &ck.identity {
        IdentityChoice::SystemAssigned => json!({"type": "SystemAssigned"}),
        IdentityChoice::UserAssigned { identity_id } => {
            let resource_id = world.identities.get(identity_id).map_or_else(
                || identity_id.clone(),
                |i| identity_resource_id(&order.subscription_id, &i.resource_group, &i.name),
            );
            json!({"type": "UserAssigned", "userAssigned": {"resourceId": resource_id}})
        }
    };
    json!({
        "kekType": "CustomerManaged",
        "kekUrl": ck.key_url,
        "kekVaultResourceID": format!("/subscriptions/{vault_sub}/resourceGroups/{vault_group}/providers/Microsoft.KeyVault/vaults/{}", ck.vault),
        "identityProperties": identity,
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderMap;

    #[test]
    fn a_vault_address_is_a_loopback_host_other_than_127_0_0_1() {
        let host = |h: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(axum::http::header::HOST, h.parse().unwrap());
            super::super::vault_address(&headers)
        };
        assert_eq!(host("127.0.0.2:8443"), Some(2));
        assert_eq!(host("127.0.0.254"), Some(254));
        assert_eq!(host("127.0.0.1:8443"), None);
        assert_eq!(host("127.0.1.2:8443"), None);
        assert_eq!(host("localhost:8443"), None);
    }
}
