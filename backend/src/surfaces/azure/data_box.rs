//! Data Box jobs under the management API's paths, as `azure-mgmt-databox` calls them: a job is
//! a Keyblade order. Each request is one `shared::service` endpoint (`ListJobs`, `GetJob`,
//! `UpdateJob`) run for the identity the bearer token names, so roles decide who reads and who
//! changes a job; a PATCH of `properties.details.keyEncryptionKey` runs Save's rules and fails
//! with the same catalog codes. Path segments match in any case, as the cloud matches them.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequestParts, State},
    http::{HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use shared::{
    access::Actor,
    catalog::ErrorCode,
    model::OrderPhase,
    service::{self as svc, Endpoint},
};

use super::{CloudError, answered, identity::bearer_identity};
use crate::{
    error::AppError,
    gateway::{Gateway, actor},
    session::ClientIp,
};

pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .fallback(handle)
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(gateway)
}

fn arm_error(status: StatusCode, code: &str, message: impl Into<String>) -> CloudError {
    CloudError::new(status, code, message)
}

async fn handle(State(gateway): State<Gateway>, parts: Parts, body: Bytes) -> Response {
    answered(serve(gateway, parts, body)).await
}

async fn serve(gateway: Gateway, mut parts: Parts, body: Bytes) -> Result<Response, CloudError> {
    let ClientIp(ip) = ClientIp::from_request_parts(&mut parts, &gateway).await?;
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let Some(identity) = bearer_identity(&gateway, ip, &headers).await? else {
        return Err(arm_error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "A valid bearer token is required: get one from Keyblade's token endpoint.",
        ));
    };
    let caller = Caller { gateway, actor: actor(identity.principal, identity.name, ip) };
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let (subscription, resource_group, job) = match (lower.as_slice(), segments.as_slice()) {
        (["subscriptions", _, "providers", "microsoft.databox", "jobs"], [_, sub, ..]) => (*sub, None, None),
        (
            ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.databox", "jobs", rest @ ..],
            [_, sub, _, rg, _, _, _, name @ ..],
        ) if rest.len() <= 1 => (*sub, Some(*rg), name.first().copied()),
        _ => {
            return Err(arm_error(
                StatusCode::NOT_FOUND,
                "InvalidResourceType",
                format!("No Data Box resource at {}.", uri.path()),
            ));
        }
    };
    let path = |job: &str| svc::JobPath {
        subscription: subscription.to_owned(),
        resource_group: resource_group.unwrap_or_default().to_owned(),
        job: job.to_owned(),
    };
    match (method, job) {
        (Method::GET, None) => {
            let filter = svc::JobFilter { resource_group: resource_group.map(str::to_owned) };
            let jobs =
                caller.run(svc::ListJobs { subscription: subscription.to_owned(), body: filter }).await?;
            Ok(Json(json!({"value": jobs.iter().map(job_resource).collect::<Vec<_>>()})).into_response())
        }
        (Method::GET, Some(name)) => {
            let job = caller.run(svc::GetJob { path: path(name) }).await?;
            Ok(Json(job_resource(&job)).into_response())
        }
        (Method::PATCH, Some(name)) => {
            let job = caller.run(svc::UpdateJob { path: path(name), body: key_choice(&body)? }).await?;
            // Final (200, no `provisioningState`): the SDK's poller finishes without polling.
            let mut response = Json(job_resource(&job)).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
            Ok(response)
        }
        _ => Err(arm_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Jobs are read with GET and changed with PATCH.",
        )),
    }
}

/// The identity a token names, calling the management API.
struct Caller {
    gateway: Gateway,
    actor: Actor,
}

impl Caller {
    async fn run<E: Endpoint>(&self, request: E) -> Result<E::Answer, CloudError> {
        self.gateway.call(request, &self.actor).await.map_err(as_arm_answers)
    }
}

/// ARM's words for a refusal and a missing job.
fn as_arm_answers(error: AppError) -> CloudError {
    let code = error.code();
    let error = CloudError::from(error);
    match code {
        ErrorCode::AccessDenied => CloudError { code: "AuthorizationFailed".into(), ..error },
        ErrorCode::NotFound => CloudError { code: "ResourceNotFound".into(), ..error },
        _ => error,
    }
}

/// `properties.details.keyEncryptionKey` of a PATCH body.
fn key_choice(body: &Bytes) -> Result<svc::JobKeyChoice, CloudError> {
    let body: Value = serde_json::from_slice(body).map_err(|e| {
        arm_error(StatusCode::BAD_REQUEST, "InvalidRequestContent", format!("The body is not JSON: {e}"))
    })?;
    let kek = &body["properties"]["details"]["keyEncryptionKey"];
    match kek["kekType"].as_str() {
        Some("MicrosoftManaged") => Ok(svc::JobKeyChoice::MicrosoftManaged),
        Some("CustomerManaged") => {
            let identity = &kek["identityProperties"];
            let user_assigned = identity["type"].as_str() == Some("UserAssigned");
            let resource_id = identity["userAssigned"]["resourceId"].as_str().unwrap_or_default();
            Ok(svc::JobKeyChoice::CustomerManaged {
                key_url: kek["kekUrl"].as_str().unwrap_or_default().to_owned(),
                identity_resource_id: user_assigned.then(|| resource_id.to_owned()),
            })
        }
        _ => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidKekType",
            "keyEncryptionKey.kekType is MicrosoftManaged or CustomerManaged.",
        )),
    }
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

/// A job as a `JobResource`.
fn job_resource(job: &svc::JobView) -> Value {
    let (sub, rg) = (&job.subscription_id, &job.resource_group);
    let users: serde_json::Map<String, Value> = job
        .user_identities
        .iter()
        .map(|(resource, principal, client)| {
            (resource.clone(), json!({"principalId": principal, "clientId": client}))
        })
        .collect();
    let kind = match (job.system_identity.is_some(), users.is_empty()) {
        (true, true) => "SystemAssigned",
        (true, false) => "SystemAssigned,UserAssigned",
        (false, false) => "UserAssigned",
        (false, true) => "None",
    };
    let mut identity = json!({"type": kind});
    if let Some((principal, tenant)) = &job.system_identity {
        identity["principalId"] = json!(principal);
        identity["tenantId"] = json!(tenant);
    }
    if !users.is_empty() {
        identity["userAssignedIdentities"] = Value::Object(users);
    }
    json!({
        "id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataBox/jobs/{}", job.name),
        "name": job.name,
        "type": "Microsoft.DataBox/jobs",
        "location": "westus",
        "tags": {},
        "sku": {"name": "DataBox"},
        "identity": identity,
        "properties": {
            "transferType": "ImportToAzure",
            "status": stage(job.phase),
            "isCancellable": job.phase == OrderPhase::Ordered,
            "details": {
                "jobDetailsType": "DataBox",
                "contactDetails": {"contactName": "Keyblade operator", "phone": "0000000000", "emailList": []},
                "keyEncryptionKey": key_encryption_key(job.key_encryption_key.as_ref()),
            },
        },
    })
}

fn key_encryption_key(key: Option<&svc::JobKey>) -> Value {
    let Some(key) = key else { return json!({"kekType": "MicrosoftManaged"}) };
    let identity = match &key.identity_resource_id {
        None => json!({"type": "SystemAssigned"}),
        Some(resource_id) => json!({"type": "UserAssigned", "userAssigned": {"resourceId": resource_id}}),
    };
    json!({
        "kekType": "CustomerManaged",
        "kekUrl": key.key_url,
        "kekVaultResourceID": key.vault_resource_id,
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
