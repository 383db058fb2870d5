//! The API's use cases, mounted from `shared::service`: one generic handler turns an HTTP
//! request into the endpoint's typed request (path parameters, `If-Match`, JSON body), runs it
//! through [`AppState::execute`] and answers with the route's status. The API document is
//! generated from the same routes.

use std::{any::TypeId, collections::BTreeMap};

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{RawPathParams, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{MethodFilter, on},
};
use serde_json::{Map, Value};
use shared::{
    api::ErrorEnvelope,
    catalog::ErrorCode,
    service::{CreateAccount, Endpoint, Method, Visitor, has_body, visit_endpoints},
};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        ContentBuilder, HttpMethod, Paths, RefOr, ResponseBuilder, Schema,
        path::{OperationBuilder, ParameterBuilder, ParameterIn},
        request_body::RequestBodyBuilder,
    },
};

use crate::{
    AppState, accounts,
    auth::Session,
    error::{AppError, status_of},
    extract::{etag, parse_if_match},
    session::ClientIp,
};

/// Every endpoint of `shared::service`, mounted on its route.
pub fn routes() -> Router<AppState> {
    struct Mount(Router<AppState>);
    impl Visitor for Mount {
        fn visit<E: Endpoint>(&mut self) {
            let router = std::mem::take(&mut self.0);
            let filter = method_filter(E::ROUTE.method);
            // A new account's password is hashed and stored beside the engine's change.
            let route = if TypeId::of::<E>() == TypeId::of::<CreateAccount>() {
                on(filter, accounts::create_account)
            } else {
                on(filter, handle::<E>)
            };
            self.0 = router.route(E::ROUTE.path, route);
        }
    }
    let mut mount = Mount(Router::new());
    visit_endpoints(&mut mount);
    mount.0
}

fn method_filter(method: Method) -> MethodFilter {
    match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Patch => MethodFilter::PATCH,
        Method::Delete => MethodFilter::DELETE,
    }
}

async fn handle<E: Endpoint>(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ClientIp(ip): ClientIp,
    params: RawPathParams,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request = request_of::<E>(&params, query.as_deref(), &headers, &body)?;
    let actor = session.actor(ip);
    let outcome = state.execute(request, &actor).await?;
    let status = StatusCode::from_u16(E::ROUTE.status).unwrap_or(StatusCode::OK);
    let mut response = if status == StatusCode::NO_CONTENT {
        status.into_response()
    } else {
        (status, axum::Json(outcome.answer)).into_response()
    };
    if let Some(tag) = outcome.etag.and_then(|v| HeaderValue::from_str(&etag(v)).ok()) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}

/// The endpoint's typed request: path parameters and `if_match` as fields, the JSON body (or a
/// read's query string) as `body`. A body that is not JSON is a 415 (400 when malformed); one of
/// the wrong shape a 422; a query string that does not fit a 400.
fn request_of<E: Endpoint>(
    params: &RawPathParams,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<E, AppError> {
    let mut fields = Map::new();
    for (name, value) in params {
        fields.insert(name.to_owned(), Value::String(value.to_owned()));
    }
    if E::ROUTE.if_match
        && let Some(version) = parse_if_match(headers)?
    {
        fields.insert("if_match".into(), Value::from(version));
    }
    if has_body::<E>() && E::ROUTE.method == Method::Get {
        let body: E::Body = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|e| AppError::bad_request(format!("The query string does not fit: {e}")))?;
        fields.insert("body".into(), serde_json::to_value(body).map_err(AppError::internal)?);
    } else if has_body::<E>() {
        if !is_json(headers) {
            return Err(AppError::Request {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "Send the request body as JSON (Content-Type: application/json).".into(),
            });
        }
        let body: Value = serde_json::from_slice(body).map_err(|e| AppError::Request {
            status: StatusCode::BAD_REQUEST,
            message: format!("The request body is not valid JSON: {e}"),
        })?;
        // Every body is an object: serde would also read a struct from an array of its fields.
        if !body.is_object() {
            return Err(AppError::Request {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: "The request body must be a JSON object.".into(),
            });
        }
        fields.insert("body".into(), body);
    }
    serde_json::from_value(Value::Object(fields)).map_err(|e| AppError::Request {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: format!("The request does not have the expected shape: {e}"),
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The paths of the API document and the schemas they use, from every endpoint's route.
pub fn document() -> (Paths, Vec<(String, RefOr<Schema>)>) {
    let mut documenter = Documenter { paths: Paths::new(), schemas: Vec::new() };
    visit_endpoints(&mut documenter);
    (documenter.paths, documenter.schemas)
}

struct Documenter {
    paths: Paths,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Visitor for Documenter {
    fn visit<E: Endpoint>(&mut self) {
        let route = E::ROUTE;
        let mut operation = OperationBuilder::new()
            .summary(Some(route.summary))
            .tag(route.tag)
            .operation_id(Some(operation_id(route.method, route.path)));
        for name in route.params() {
            let parameter = ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(utoipa::openapi::Required::True)
                .schema(Some(String::schema()));
            operation = operation.parameter(parameter);
        }
        if route.if_match {
            let parameter = ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .description(Some("The order's ETag the change is based on; a stale one is a 409."))
                .schema(Some(
                    utoipa::openapi::schema::ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::String)
                        .pattern(Some(r#"^(\*|(W/)?"[0-9]{1,19}")?$"#)),
                ));
            operation = operation.parameter(parameter);
        }
        if has_body::<E>() && route.method == Method::Get {
            for parameter in query_parameters(E::Body::schema()) {
                operation = operation.parameter(parameter);
            }
            E::Body::schemas(&mut self.schemas);
        } else if has_body::<E>() {
            let content = ContentBuilder::new().schema(Some(E::Body::schema())).build();
            let body = RequestBodyBuilder::new()
                .content("application/json", content)
                .required(Some(utoipa::openapi::Required::True))
                .build();
            operation = operation.request_body(Some(body));
            register::<E::Body>(&mut self.schemas);
        }
        let success = if route.status == 204 {
            ResponseBuilder::new().description("Done.").build()
        } else {
            let content = ContentBuilder::new().schema(Some(E::Answer::schema())).build();
            ResponseBuilder::new().description("Success.").content("application/json", content).build()
        };
        register::<E::Answer>(&mut self.schemas);
        operation = operation.response(route.status.to_string(), success);
        for (status, codes) in failure_statuses::<E>() {
            register::<ErrorEnvelope>(&mut self.schemas);
            let content = ContentBuilder::new().schema(Some(ErrorEnvelope::schema())).build();
            let description = format!("Failure: {}.", codes.join(", "));
            let response =
                ResponseBuilder::new().description(description).content("application/json", content);
            operation = operation.response(status.to_string(), response.build());
        }
        self.paths.add_path_operation(
            format!("/api{}", route.path),
            vec![http_method(route.method)],
            operation.build(),
        );
    }
}

/// Registers `T` (when it is a named type, not a list or nothing) and every schema it uses as
/// components of the document, so [`use_references`] can point at them.
fn register<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    let name = T::name();
    if !matches!(name.as_ref(), "Vec" | "TupleUnit" | "Option") {
        schemas.push((name.into_owned(), T::schema()));
    }
    T::schemas(schemas);
}

/// Replaces every inline request or answer schema (or array item) that is one of the
/// document's component schemas by a reference to it, as a hand-written document would.
pub fn use_references(document: &mut Value) {
    let components: Vec<(String, Value)> = document["components"]["schemas"]
        .as_object()
        .map(|schemas| schemas.iter().map(|(name, schema)| (name.clone(), schema.clone())).collect())
        .unwrap_or_default();
    let reference = |schema: &mut Value| {
        if let Some((name, _)) = components.iter().find(|(_, component)| component == schema) {
            *schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        }
    };
    let Some(paths) = document["paths"].as_object_mut() else { return };
    let operations = paths.values_mut().filter_map(Value::as_object_mut).flat_map(|item| item.values_mut());
    for operation in operations.filter_map(Value::as_object_mut) {
        let mut contents: Vec<&mut Value> = Vec::new();
        for (field, value) in operation.iter_mut() {
            match (field.as_str(), value) {
                ("requestBody", body) => contents.push(body),
                ("responses", Value::Object(responses)) => contents.extend(responses.values_mut()),
                _ => {}
            }
        }
        for content in contents {
            let Some(schema) = content.pointer_mut("/content/application~1json/schema") else { continue };
            reference(schema);
            if let Some(items) = schema.get_mut("items") {
                reference(items);
            }
        }
    }
}

/// Every status a route can fail with, and the codes behind each: the endpoint's own, then
/// what the transport adds (no session, unreadable input).
fn failure_statuses<E: Endpoint>() -> BTreeMap<u16, Vec<&'static str>> {
    let mut codes: Vec<ErrorCode> = E::ROUTE.failures.to_vec();
    codes.extend([ErrorCode::Unauthorized, ErrorCode::GenericError]);
    if E::ROUTE.method != Method::Get {
        // Another writer kept changing the same entities; a request a foreign page could send.
        codes.extend([ErrorCode::Conflict, ErrorCode::Forbidden]);
    }
    if has_body::<E>() || E::ROUTE.if_match || E::ROUTE.params().next().is_some() {
        codes.push(ErrorCode::InvalidRequest);
    }
    let json_body = has_body::<E>() && E::ROUTE.method != Method::Get;
    if json_body {
        codes.extend([ErrorCode::UnsupportedMediaType, ErrorCode::PayloadTooLarge]);
    }
    let mut statuses: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for code in codes {
        let names = statuses.entry(status_of(code)).or_default();
        if !names.contains(&code.as_str()) {
            names.push(code.as_str());
        }
    }
    if json_body {
        // A body of the right JSON syntax but the wrong shape.
        statuses.entry(422).or_default().push(ErrorCode::InvalidRequest.as_str());
    }
    statuses
}

/// A read's query parameters: one per property of its (object) query schema, required as the
/// schema says.
fn query_parameters(schema: RefOr<Schema>) -> Vec<ParameterBuilder> {
    let RefOr::T(Schema::Object(object)) = schema else { return Vec::new() };
    let required = object.required;
    object
        .properties
        .into_iter()
        .map(|(name, property)| {
            let needed = if required.contains(&name) {
                utoipa::openapi::Required::True
            } else {
                utoipa::openapi::Required::False
            };
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(needed)
                .schema(Some(property))
        })
        .collect()
}

fn http_method(method: Method) -> HttpMethod {
    match method {
        Method::Get => HttpMethod::Get,
        Method::Post => HttpMethod::Post,
        Method::Put => HttpMethod::Put,
        Method::Patch => HttpMethod::Patch,
        Method::Delete => HttpMethod::Delete,
    }
}

/// `get_vaults_vault_keys` for `GET /vaults/{vault}/keys`.
fn operation_id(method: Method, path: &str) -> String {
    let words =
        path.split('/').filter(|s| !s.is_empty()).map(|s| s.trim_matches(['{', '}']).replace('-', "_"));
    std::iter::once(method.as_str().to_ascii_lowercase()).chain(words).collect::<Vec<_>>().join("_")
}

/// `\S` ("something besides whitespace") as the server means it: Rust's `trim` removes every
/// Unicode white space, while a validator may read `\S` as ASCII only and generate names made
/// of no-break spaces that the server then refuses. Fields write `\S`; the document lists the
/// characters.
pub fn spell_out_whitespace(value: &mut Value) {
    const NOT_WHITESPACE: &str =
        "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                match inner {
                    Value::String(pattern) if key == "pattern" && pattern == "\\S" => {
                        *pattern = NOT_WHITESPACE.into()
                    }
                    _ => spell_out_whitespace(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(spell_out_whitespace),
        _ => {}
    }
}
