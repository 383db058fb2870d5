//! The service layer: every use case the API offers, written once.
//!
//! An [`Endpoint`] is a typed request (its path parameters as fields, its JSON body in a field
//! called `body`, the `If-Match` version in `if_match`), what it does to the world
//! ([`Endpoint::handle`]) and its [`Route`]. The server maps each route onto `handle`; the
//! portal's one client sends the same request over HTTP or to the engine worker, which calls
//! [`dispatch`]. Neither side writes a use case of its own.

mod access_control;
mod accounts;
mod api_keys;
mod at_rest;
mod audit;
mod data_box;
mod data_plane;
mod devices;
mod directory;
mod encryption;
mod identities;
mod key_protect;
mod keys;
mod operations;
mod orders;
mod rotation;
mod stamps;
mod tokens;
mod troubleshooting;
mod vaults;

use serde::{Serialize, de::DeserializeOwned};

pub use access_control::*;
pub use accounts::*;
pub use api_keys::*;
pub use at_rest::*;
pub use audit::*;
pub use data_box::*;
pub use data_plane::*;
pub use devices::*;
pub use directory::*;
pub use encryption::*;
pub use identities::*;
pub use key_protect::*;
pub use keys::*;
pub use operations::*;
pub use orders::*;
pub use rotation::*;
pub use stamps::*;
pub use tokens::*;
pub use troubleshooting::*;
pub use vaults::*;

use crate::access::Actor;
use crate::access::{self, Requirement};
use crate::audit::{AuditAction, AuditRecord};
use crate::catalog::{ErrorCode, Failure};
use crate::model::{Action, KeyPermission, Principal, Scope, World};
use crate::ops::Ctx;

/// HTTP method of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Create or act.
    Post,
    /// Replace.
    Put,
    /// Change some properties.
    Patch,
    /// Remove.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// How an endpoint is reached and documented.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// Method.
    pub method: Method,
    /// Path below `/api`, with `{name}` for each path parameter (a field of the request).
    pub path: &'static str,
    /// One line for the API document.
    pub summary: &'static str,
    /// Group in the API document.
    pub tag: &'static str,
    /// Status of a success: 200, 201 or 204.
    pub status: u16,
    /// The codes a failure of this endpoint can carry (besides the transport's own).
    pub failures: &'static [ErrorCode],
    /// Whether the endpoint honours `If-Match` (the request's `if_match` field).
    pub if_match: bool,
    /// What the audit trail records a request as, success or failure; `None`: not recorded.
    pub audit: Option<AuditAction>,
    /// What the caller's roles must allow (see [`crate::access::authorize`]).
    pub requirement: Requirement,
    /// The route of an endpoint that names its key by id or name ([`ByKeyId`]).
    pub by_key_id: bool,
    /// Anyone may call it, before showing who they are: the credential exchanges, whose
    /// request carries the credential itself.
    pub anyone: bool,
}

impl Route {
    const fn new(method: Method, path: &'static str, tag: &'static str, summary: &'static str) -> Route {
        let status = if matches!(method, Method::Delete) { 204 } else { 200 };
        // A read needs Read; anything else manages a resource, unless the route says otherwise.
        let action = if matches!(method, Method::Get) { Action::Read } else { Action::Manage };
        let requirement = Requirement { action, key_permission: None };
        Route {
            method,
            path,
            summary,
            tag,
            status,
            failures: &[],
            if_match: false,
            audit: None,
            requirement,
            by_key_id: false,
            anyone: false,
        }
    }

    /// A `GET` route answering 200.
    pub const fn get(path: &'static str, tag: &'static str, summary: &'static str) -> Route {
        Route::new(Method::Get, path, tag, summary)
    }

    /// A `POST` route answering 200.
    pub const fn post(path: &'static str, tag: &'static str, summary: &'static str) -> Route {
        Route::new(Method::Post, path, tag, summary)
    }

    /// A `PUT` route answering 200.
    pub const fn put(path: &'static str, tag: &'static str, summary: &'static str) -> Route {
        Route::new(Method::Put, path, tag, summary)
    }

    /// A `PATCH` route answering 200.
    pub const fn patch(path: &'static str, tag: &'static str, summary: &'static str) -> Route {
        Route::new(Method::Patch, path, tag, summary)
    }

    /// A `DELETE` route answering 204.
    pub const fn delete(path: &'static str, tag: &'static str, summary: &'static str) -> Route {
        Route::new(Method::Delete, path, tag, summary)
    }

    /// Answers 201 Created.
    pub const fn created(self) -> Route {
        Route { status: 201, ..self }
    }

    /// Answers 202 Accepted: the work goes on in the operation it answers with.
    pub const fn accepted(self) -> Route {
        Route { status: 202, ..self }
    }

    /// The codes a failure can carry.
    pub const fn failing(self, failures: &'static [ErrorCode]) -> Route {
        Route { failures, ..self }
    }

    /// Honours `If-Match`.
    pub const fn if_match(self) -> Route {
        Route { if_match: true, ..self }
    }

    /// Recorded in the audit trail as `action`.
    pub const fn audited(self, action: AuditAction) -> Route {
        Route { audit: Some(action), ..self }
    }

    /// Needs `action` of the caller's roles instead of the method's default.
    pub const fn requires(self, action: Action) -> Route {
        Route { requirement: Requirement { action, ..self.requirement }, ..self }
    }

    /// On the key vault data plane, a vault that uses access policies asks for `permission`
    /// instead of a role.
    pub const fn key_permission(self, permission: KeyPermission) -> Route {
        Route { requirement: Requirement { key_permission: Some(permission), ..self.requirement }, ..self }
    }

    /// Callable by anyone (see [`Route::anyone`]).
    pub const fn for_anyone(self) -> Route {
        Route { anyone: true, ..self }
    }

    /// The same route for the key named by id or name ([`ByKeyId`]).
    pub const fn by_key_id(self) -> Route {
        Route { by_key_id: true, ..self }
    }

    /// The key the engine worker dispatches on: method and path, unique per endpoint.
    pub fn key(&self) -> String {
        let by_id = if self.by_key_id { " (key by id)" } else { "" };
        format!("{} {}{by_id}", self.method.as_str(), self.path)
    }

    /// The names of the path parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
    }
}

/// A type the API document can describe. With the `openapi` feature (the server's) this is
/// `utoipa::ToSchema`; without it (the browser's) anything is.
#[cfg(feature = "openapi")]
pub trait Schema: utoipa::ToSchema {}
#[cfg(feature = "openapi")]
impl<T: utoipa::ToSchema> Schema for T {}
/// A type the API document can describe (nothing to describe in this build).
#[cfg(not(feature = "openapi"))]
pub trait Schema {}
#[cfg(not(feature = "openapi"))]
impl<T> Schema for T {}

/// The body type of endpoints that read no body.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoBody {}

/// One use case of the API.
pub trait Endpoint: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// The JSON body, found in the request's `body` field ([`NoBody`] when there is none).
    type Body: Schema + Serialize + DeserializeOwned + 'static;
    /// What a success answers (`()` for 204).
    type Answer: Serialize + DeserializeOwned + Schema + Send + 'static;
    /// Method, path and documentation.
    const ROUTE: Route;
    /// What the request does: an answer, and the new world when it changed anything.
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Self::Answer>, Failure>;
    /// What the audit trail names as the subject, when the request's path does not say it.
    fn audit_subject(&self) -> Option<String> {
        None
    }
    /// The page of the audit trail the request reads, if it reads the trail: a server reads
    /// just that part from storage (see [`crate::audit::AuditTrail::window`]).
    fn audit_read(&self) -> Option<&crate::audit::AuditQuery> {
        None
    }
    /// What the audit trail adds about a success: the key version a wrap or unwrap used.
    fn audit_detail(_answer: &Self::Answer) -> Option<String> {
        None
    }
    /// Where the request acts, for [`access::authorize`]: by default the key, vault,
    /// subscription, order or identity its path names (see [`access::scope_of_request`]).
    fn scope(&self, world: &World) -> Scope {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(fields)) => access::scope_of_request(world, &fields),
            _ => Scope::Instance,
        }
    }
}

/// The gateway's one step into the engine, the same on every surface and in the offline demo:
/// `principal` must hold what the route requires where the request acts (unless anyone may
/// call it); then the endpoint runs.
pub fn serve<E: Endpoint>(
    request: E,
    world: &World,
    ctx: &mut Ctx,
    principal: &Principal,
) -> Result<Outcome<E::Answer>, Failure> {
    if !E::ROUTE.anyone {
        access::authorize(world, principal, E::ROUTE.requirement, &request.scope(world))?;
    }
    request.handle(world, ctx)
}

/// The audit trail's record of `request`, ended with `failure` (`None`: it succeeded), when its
/// route is audited. The subject is the request's path, plus the `name` a create gives.
pub fn audit_record<E: Endpoint>(
    request: &E,
    actor: &Actor,
    at: crate::model::Timestamp,
    result: Result<&E::Answer, ErrorCode>,
) -> Option<AuditRecord> {
    let action = E::ROUTE.audit?;
    let failure = result.err();
    let subject = request.audit_subject().unwrap_or_else(|| match request_parts(request) {
        Ok(parts) => {
            let path = parts.path.trim_start_matches('/');
            match parts.body.as_ref().and_then(|b| b.get("name")).and_then(|n| n.as_str()) {
                Some(name) => format!("{path}/{name}"),
                None => path.to_owned(),
            }
        }
        Err(_) => E::ROUTE.path.trim_start_matches('/').to_owned(),
    });
    let subject = match result.ok().and_then(E::audit_detail) {
        Some(detail) => format!("{subject} ({detail})"),
        None => subject,
    };
    Some(actor.record(at, action, subject, failure))
}

/// Whether an endpoint reads a JSON body.
pub fn has_body<E: Endpoint>() -> bool {
    std::any::TypeId::of::<E::Body>() != std::any::TypeId::of::<NoBody>()
}

/// The result of a handled request.
#[derive(Debug)]
pub struct Outcome<A> {
    /// What the client gets.
    pub answer: A,
    /// The world after the change; `None` for a read.
    pub world: Option<World>,
    /// The entity tag of the answer (an order's version), sent as `ETag`.
    pub etag: Option<u64>,
}

impl<A> Outcome<A> {
    /// A read: the world stays as it is.
    pub fn read(answer: A) -> Self {
        Outcome { answer, world: None, etag: None }
    }

    /// A change: the new world and the answer computed from it.
    pub fn changed(world: World, answer: impl FnOnce(&World) -> Result<A, Failure>) -> Result<Self, Failure> {
        let answer = answer(&world)?;
        Ok(Outcome { answer, world: Some(world), etag: None })
    }

    /// The same outcome with an entity tag.
    pub fn with_etag(mut self, etag: u64) -> Self {
        self.etag = Some(etag);
        self
    }
}

/// Visits every endpoint: how the server mounts routes and documents them, and how the engine
/// worker finds the endpoint a request names. The list below is the only list of endpoints.
pub trait Visitor {
    /// Called once per endpoint.
    fn visit<E: Endpoint>(&mut self);
}

/// Calls `visitor` with every endpoint.
pub fn visit_endpoints(visitor: &mut impl Visitor) {
    // Directory.
    visitor.visit::<GetWorld>();
    visitor.visit::<ListTenants>();
    visitor.visit::<ListResourceGroups>();
    visitor.visit::<ListSubscriptions>();
    visitor.visit::<GetSubscription>();
    visitor.visit::<MoveSubscription>();
    visitor.visit::<RevertSubscription>();
    // Key vaults.
    visitor.visit::<ListVaults>();
    visitor.visit::<CreateVault>();
    visitor.visit::<GetVault>();
    visitor.visit::<UpdateVault>();
    visitor.visit::<DeleteVault>();
    visitor.visit::<GetImportKey>();
    visitor.visit::<SetAccessPolicy>();
    visitor.visit::<SetFirewall>();
    visitor.visit::<ListDeletedVaults>();
    visitor.visit::<RecoverVault>();
    visitor.visit::<PurgeVault>();
    // Keys.
    visitor.visit::<ListKeys>();
    visitor.visit::<CreateKey>();
    visitor.visit::<GetKey>();
    visitor.visit::<DeleteKey>();
    visitor.visit::<ListVersions>();
    visitor.visit::<CreateVersion>();
    visitor.visit::<UpdateVersion>();
    visitor.visit::<ListDeletedKeys>();
    visitor.visit::<RecoverKey>();
    visitor.visit::<PurgeKey>();
    // Key rotation.
    visitor.visit::<RotateKey>();
    visitor.visit::<SetRotationPolicy>();
    visitor.visit::<CreateRootKey>();
    visitor.visit::<ListRegistrations>();
    visitor.visit::<RegisterResource>();
    visitor.visit::<DeregisterResource>();
    visitor.visit::<WrapDataKey>();
    visitor.visit::<UnwrapDataKey>();
    visitor.visit::<SetKeyEnabled>();
    // API keys.
    visitor.visit::<ListApiKeys>();
    visitor.visit::<CreateApiKey>();
    visitor.visit::<RevokeApiKey>();
    // Access control.
    visitor.visit::<ListRoles>();
    visitor.visit::<ListRoleAssignments>();
    visitor.visit::<CreateRoleAssignment>();
    visitor.visit::<DeleteRoleAssignment>();
    visitor.visit::<CheckAccess>();
    visitor.visit::<ListAccounts>();
    visitor.visit::<CreateAccount>();
    visitor.visit::<UpdateAccount>();
    visitor.visit::<DeleteAccount>();
    // Encryption at rest.
    visitor.visit::<GetEncryptionAtRest>();
    visitor.visit::<RekeyMasterKey>();
    visitor.visit::<ListKeyProviders>();
    visitor.visit::<AddKeyProvider>();
    visitor.visit::<RemoveKeyProvider>();
    visitor.visit::<TestKeyProvider>();
    // Secret rotation.
    visitor.visit::<ListStamps>();
    visitor.visit::<CreateStamp>();
    visitor.visit::<GetStamp>();
    visitor.visit::<UpdateStamp>();
    visitor.visit::<StartSecretRotation>();
    visitor.visit::<IssueCertificateShare>();
    visitor.visit::<SetBmcCredential>();
    // Identities.
    visitor.visit::<ListIdentities>();
    visitor.visit::<CreateIdentity>();
    visitor.visit::<GetIdentity>();
    visitor.visit::<DeleteIdentity>();
    // Orders.
    visitor.visit::<ListOrders>();
    visitor.visit::<CreateOrder>();
    visitor.visit::<GetOrder>();
    visitor.visit::<RemoveSystemIdentity>();
    visitor.visit::<RecreateSystemIdentity>();
    visitor.visit::<AttachUserIdentities>();
    visitor.visit::<DetachUserIdentities>();
    visitor.visit::<FetchDevicePassword>();
    // Encryption.
    visitor.visit::<GetEncryption>();
    visitor.visit::<SaveEncryption>();
    visitor.visit::<RevertEncryption>();
    visitor.visit::<SaveEncryptionByKeyUrl>();
    // Troubleshooting.
    visitor.visit::<GetCatalog>();
    visitor.visit::<ApplyFix>();
    // Operations.
    visitor.visit::<ListOperations>();
    visitor.visit::<GetOperation>();
    visitor.visit::<GetOperationByHandle>();
    visitor.visit::<ReleaseOperationHandle>();
    visitor.visit::<TakeAsyncResult>();
    // Audit trail.
    visitor.visit::<ListAudit>();
    // Device managers and device key rollover.
    visitor.visit::<ListDeviceManagers>();
    visitor.visit::<ListDevices>();
    visitor.visit::<GetManagerEncryption>();
    visitor.visit::<AuthorizeRollover>();
    visitor.visit::<InitiateKeyChange>();
    visitor.visit::<UpdateDeviceKey>();
    visitor.visit::<UpdateCloudAppliances>();
    visitor.visit::<UpdateDevice>();
    visitor.visit::<SetDeviceConnectivity>();
    visitor.visit::<ReadCredentials>();
}

/// Calls `visitor` with every endpoint only the cloud surfaces use (not mounted under `/api`:
/// their paths only name them in the audit trail): the Key Vault data plane, Data Box jobs,
/// the key endpoints Key Protect reaches by key id, and the credential exchanges. The engine worker dispatches them like
/// the others, and the parity test runs each both ways.
pub fn visit_surface_endpoints(visitor: &mut impl Visitor) {
    // Key Vault data plane.
    visitor.visit::<GenerateKey>();
    visitor.visit::<ImportJsonWebKey>();
    visitor.visit::<WrapWithVersion>();
    visitor.visit::<UnwrapWithVersion>();
    visitor.visit::<PatchVersion>();
    // Data Box jobs.
    visitor.visit::<ListJobs>();
    visitor.visit::<GetJob>();
    visitor.visit::<UpdateJob>();
    // Keys named by id or name.
    visitor.visit::<ListVaultRegistrations>();
    visitor.visit::<ByKeyId<ReadKey>>();
    visitor.visit::<ByKeyId<ListVersions>>();
    visitor.visit::<ByKeyId<SetRotationPolicy>>();
    visitor.visit::<ByKeyId<ListRegistrations>>();
    visitor.visit::<ByKeyId<DeleteKey>>();
    visitor.visit::<ByKeyId<RecoverKey>>();
    visitor.visit::<ByKeyId<PurgeKey>>();
    visitor.visit::<ByKeyId<RotateKey>>();
    visitor.visit::<ByKeyId<SetKeyEnabled>>();
    visitor.visit::<ByKeyId<WrapDataKey>>();
    visitor.visit::<ByKeyId<UnwrapDataKey>>();
    // Credentials, before the caller is a principal.
    visitor.visit::<IssueAccessToken>();
    visitor.visit::<IssueIdentityToken>();
    visitor.visit::<AccessTokenCaller>();
    visitor.visit::<IdentityTokenCaller>();
    visitor.visit::<LocateVault>();
}

/// A request handled by [`dispatch`].
#[derive(Debug)]
pub struct Dispatched {
    /// The answer as JSON, or the failure.
    pub result: Result<serde_json::Value, Failure>,
    /// The world after the request, its audit record included; `None` when nothing changed.
    pub world: Option<World>,
}

/// Handles the request for the endpoint whose [`Route::key`] is `key`, given as JSON, by `actor`
/// (the engine worker's entry point; the parity test's too). Like the server, it records the
/// request in the world's audit trail when its route is audited, whether it succeeded or not.
pub fn dispatch(
    key: &str,
    request: serde_json::Value,
    world: &World,
    ctx: &mut Ctx,
    actor: &Actor,
) -> Dispatched {
    struct Finder<'a, 'c, 'r> {
        key: &'a str,
        request: Option<serde_json::Value>,
        world: &'a World,
        ctx: &'c mut Ctx<'r>,
        actor: &'a Actor,
        result: Option<Dispatched>,
    }
    impl Visitor for Finder<'_, '_, '_> {
        fn visit<E: Endpoint>(&mut self) {
            if self.result.is_some() || E::ROUTE.key() != self.key {
                return;
            }
            let Some(request) = self.request.take() else { return };
            self.result = Some(handle_json::<E>(request, self.world, self.ctx, self.actor));
        }
    }
    let mut finder = Finder { key, request: Some(request), world, ctx, actor, result: None };
    visit_endpoints(&mut finder);
    visit_surface_endpoints(&mut finder);
    finder.result.unwrap_or_else(|| Dispatched {
        result: Err(Failure::new(ErrorCode::NotFound, format!("No API route {key}."))),
        world: None,
    })
}

/// Parses a request for `E` from JSON and handles it (see [`dispatch`]).
fn handle_json<E: Endpoint>(
    request: serde_json::Value,
    world: &World,
    ctx: &mut Ctx,
    actor: &Actor,
) -> Dispatched {
    let request: E = match serde_json::from_value(request) {
        Ok(request) => request,
        Err(e) => {
            let failure = Failure::new(ErrorCode::InvalidRequest, format!("Invalid request: {e}"));
            return Dispatched { result: Err(failure), world: None };
        }
    };
    let now = ctx.now;
    let served = serve(request.clone(), world, ctx, &actor.principal);
    let record = audit_record(&request, actor, now, served.as_ref().map(|o| &o.answer).map_err(|f| f.code));
    let (result, changed) = match served {
        Ok(outcome) => match serde_json::to_value(&outcome.answer) {
            Ok(answer) => (Ok(answer), outcome.world),
            Err(e) => (Err(Failure::generic(e.to_string())), None),
        },
        Err(failure) => (Err(failure), None),
    };
    let world = match record {
        Some(record) => {
            let mut next = changed.unwrap_or_else(|| world.clone());
            next.audit.append(record);
            Some(next)
        }
        None => changed,
    };
    Dispatched { result, world }
}

/// The path of a request: the route's template with each parameter filled from the request's
/// field of that name (percent-encoded), and the request's remaining JSON body. Used by the
/// portal's HTTP transport; the server does the reverse.
pub fn request_parts<E: Endpoint>(request: &E) -> Result<RequestParts, String> {
    let value = serde_json::to_value(request).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err("a request must be a JSON object".into());
    };
    let mut path = String::new();
    for segment in E::ROUTE.path.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = fields.get(name).and_then(|v| v.as_str()).ok_or(format!("missing {name}"))?;
                path.push_str(&percent_encode(value));
            }
            None => path.push_str(segment),
        }
    }
    let if_match = fields.get("if_match").and_then(|v| v.as_u64());
    let mut body = if has_body::<E>() { fields.remove("body") } else { None };
    if E::ROUTE.method == Method::Get {
        // A read's "body" is its query string.
        let query = query_string(body.take().as_ref());
        if !query.is_empty() {
            path.push('?');
            path.push_str(&query);
        }
    }
    Ok(RequestParts { method: E::ROUTE.method, path, body, if_match })
}

/// A request as HTTP carries it.
#[derive(Debug, PartialEq)]
pub struct RequestParts {
    /// Method.
    pub method: Method,
    /// Path below `/api`, with the query string of a read that has one.
    pub path: String,
    /// JSON body.
    pub body: Option<serde_json::Value>,
    /// `If-Match` version.
    pub if_match: Option<u64>,
}

/// `a=1&b=x` from a flat JSON object's set fields (absent and `null` ones are left out).
fn query_string(body: Option<&serde_json::Value>) -> String {
    let Some(serde_json::Value::Object(fields)) = body else { return String::new() };
    let pairs = fields.iter().filter_map(|(name, value)| {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        Some(format!("{}={}", percent_encode(name), percent_encode(&text)))
    });
    pairs.collect::<Vec<_>>().join("&")
}

/// Percent-encodes a path segment (everything but unreserved characters).
/// A path segment, percent-encoded.
pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
