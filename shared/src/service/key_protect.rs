//! Key Protect names a key by its id (a UUID) or by its name, and answers most key routes with
//! the key itself. [`ByKeyId`] runs a key endpoint on the key so named and answers with the key
//! as it stands afterwards, all on one snapshot, so the Key Protect surface makes one call per
//! request. Like the data-plane endpoints, these are not mounted under `/api`.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{
    DeleteKey, Endpoint, ListRegistrations, ListVersions, NoBody, Outcome, PurgeKey, RecoverKey, RotateKey,
    Route, SetKeyEnabled, SetRotationPolicy, UnwrapDataKey, WrapDataKey,
};
use crate::api::{KeyView, RegistrationView};
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{KeyPermission, Scope, World};
use crate::ops::Ctx;
use crate::queries;

const TAG: &str = "key protect";

/// An endpoint acting on one key of one vault, named by its `vault` and `key` fields.
pub trait NamesKey: Endpoint {
    fn vault(&self) -> &str;
    fn key(&self) -> &str;
    /// The same request for the key called `name`.
    fn for_key(self, name: String) -> Self;
}

macro_rules! names_key {
    ($($endpoint:ty),*) => {$(
        impl NamesKey for $endpoint {
            fn vault(&self) -> &str {
                &self.vault
            }
            fn key(&self) -> &str {
                &self.key
            }
            fn for_key(self, key: String) -> Self {
                Self { key, ..self }
            }
        }
    )*};
}

names_key!(
    ReadKey,
    ListVersions,
    SetRotationPolicy,
    ListRegistrations,
    DeleteKey,
    RecoverKey,
    PurgeKey,
    RotateKey,
    SetKeyEnabled,
    WrapDataKey,
    UnwrapDataKey
);

/// `E` on the key its `key` field names by name or by id.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(bound = "E: Serialize + DeserializeOwned")]
pub struct ByKeyId<E> {
    #[serde(flatten)]
    pub request: E,
}

/// The key as it stands after the request (as it was, marked deleted, when the request purged
/// it), and what the request answered.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Keyed<A> {
    pub key: KeyView,
    pub answer: A,
}

impl<E: NamesKey> Endpoint for ByKeyId<E>
where
    E::Answer: Clone + PartialEq + std::fmt::Debug,
    Keyed<E::Answer>: super::Schema,
{
    type Body = E::Body;
    type Answer = Keyed<E::Answer>;
    const ROUTE: Route = E::ROUTE.by_key_id();
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Self::Answer>, Failure> {
        let vault = self.request.vault().to_owned();
        let before = queries::key_by_name_or_id(world, &vault, self.request.key(), ctx.now)?;
        let name = before.name.clone();
        let now = ctx.now;
        let outcome = self.request.for_key(name.clone()).handle(world, ctx)?;
        let after = outcome.world.as_ref().unwrap_or(world);
        let key = queries::key_by_name_or_id(after, &vault, &name, now)
            .unwrap_or(KeyView { deleted_at: Some(now), ..before });
        Ok(Outcome {
            answer: Keyed { key, answer: outcome.answer },
            world: outcome.world,
            etag: outcome.etag,
        })
    }
    fn scope(&self, world: &World) -> Scope {
        let vault = self.request.vault();
        match queries::key_by_name_or_id(world, vault, self.request.key(), crate::model::Timestamp(0)) {
            Ok(key) => Scope::Key(vault.to_owned(), key.name),
            Err(_) => Scope::Vault(vault.to_owned()),
        }
    }
    fn audit_subject(&self) -> Option<String> {
        self.request.audit_subject()
    }
    fn audit_detail(answer: &Self::Answer) -> Option<String> {
        E::audit_detail(&answer.answer)
    }
}

/// `GET /vaults/{vault}/keys/{key}` as Key Protect reads it: a live or soft-deleted key, the
/// rest of the answer being the key itself.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ReadKey {
    /// Vault name.
    pub vault: String,
    /// Key name or id.
    pub key: String,
}

impl Endpoint for ReadKey {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::get("/vaults/{vault}/keys/{key}", TAG, "One key, live or soft-deleted.")
        .failing(&[NotFound])
        .key_permission(KeyPermission::Get);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        queries::key_by_name_or_id(world, &self.vault, &self.key, ctx.now)?;
        Ok(Outcome::read(()))
    }
}

/// The registrations of one key of a vault.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyRegistrations {
    pub key: KeyView,
    pub registrations: Vec<RegistrationView>,
}

/// `GET /vaults/{vault}/registrations`: every live key's registrations.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListVaultRegistrations {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for ListVaultRegistrations {
    type Body = NoBody;
    type Answer = Vec<KeyRegistrations>;
    const ROUTE: Route =
        Route::get("/vaults/{vault}/registrations", TAG, "The registrations of every live key of a vault.")
            .failing(&[NotFound])
            .key_permission(KeyPermission::List);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<KeyRegistrations>>, Failure> {
        let keys = queries::live_keys(world, &self.vault, ctx.now)?;
        let answer = keys
            .into_iter()
            .map(|key| {
                let registrations = queries::registrations(world, &self.vault, &key.name)?;
                Ok(KeyRegistrations { key, registrations })
            })
            .collect::<Result<_, Failure>>()?;
        Ok(Outcome::read(answer))
    }
}
