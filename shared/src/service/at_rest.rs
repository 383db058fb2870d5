//! Encryption at rest: the master key, its rekey, and the key providers that can keep it.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{AddKeyProviderRequest, EncryptionAtRestView, KeyProviderView, OperationView, RekeyRequest};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::World;
use crate::ops::{self, Ctx, NewKeyProvider, RekeyParameters};

const TAG: &str = "encryption-at-rest";

/// `GET /encryption-at-rest`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct GetEncryptionAtRest {}

impl Endpoint for GetEncryptionAtRest {
    type Body = NoBody;
    type Answer = EncryptionAtRestView;
    const ROUTE: Route = Route::get(
        "/encryption-at-rest",
        TAG,
        "The master key sealing every secret at rest, its history, rekeys and key providers.",
    );
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<EncryptionAtRestView>, Failure> {
        Ok(Outcome::read(EncryptionAtRestView::of(world)))
    }
}

/// `POST /encryption-at-rest/rekey`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RekeyMasterKey {
    /// Key management type and provider.
    pub body: RekeyRequest,
}

impl Endpoint for RekeyMasterKey {
    type Body = RekeyRequest;
    type Answer = OperationView;
    const ROUTE: Route = Route::post(
        "/encryption-at-rest/rekey",
        TAG,
        "Starts a rekey of the master key: follow the operation it answers with. Reads and writes go on meanwhile.",
    )
    .accepted()
    .failing(&[InvalidRequest, InvalidKeyManagement, KeyProviderNotFound, RekeyInProgress, MasterKeyUnavailable])
    .audited(AuditAction::MasterKeyRekey);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OperationView>, Failure> {
        let params = RekeyParameters {
            management: self.body.key_management_type,
            provider: self.body.key_provider_id,
            batch: self.body.batch_size,
        };
        let (next, id) = ops::start_rekey(world, ctx, &params)?;
        Outcome::changed(next, |w| {
            let op = w.operations.get(&id).ok_or_else(|| Failure::not_found("The operation"))?;
            Ok(OperationView::of(w, op))
        })
    }
}

/// `GET /key-providers`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListKeyProviders {}

impl Endpoint for ListKeyProviders {
    type Body = NoBody;
    type Answer = Vec<KeyProviderView>;
    const ROUTE: Route = Route::get("/key-providers", TAG, "External key providers; never their API keys.");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<KeyProviderView>>, Failure> {
        Ok(Outcome::read(KeyProviderView::all(world)))
    }
}

/// `POST /key-providers`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AddKeyProvider {
    /// The provider.
    pub body: AddKeyProviderRequest,
}

impl Endpoint for AddKeyProvider {
    type Body = AddKeyProviderRequest;
    type Answer = KeyProviderView;
    const ROUTE: Route = Route::post(
        "/key-providers",
        TAG,
        "Adds a Key Protect-compatible key provider. Its API key is sealed at rest and never shown again.",
    )
    .created()
    .failing(&[InvalidRequest, Conflict])
    .audited(AuditAction::KeyProviderChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyProviderView>, Failure> {
        let b = &self.body;
        let new = NewKeyProvider {
            name: &b.name,
            url: &b.url,
            instance: &b.instance,
            root_key_id: &b.root_key_id,
            api_key: &b.api_key,
        };
        let (next, id) = ops::add_key_provider(world, ctx, &new)?;
        Outcome::changed(next, |w| {
            let provider =
                w.key_providers.get(&id.to_string()).ok_or_else(|| Failure::not_found("The provider"))?;
            Ok(KeyProviderView::of(w, provider))
        })
    }

    fn audit_subject(&self) -> Option<String> {
        Some(format!("key-providers/{}", self.body.name))
    }
}

/// `DELETE /key-providers/{id}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RemoveKeyProvider {
    /// Provider id.
    pub id: String,
}

impl Endpoint for RemoveKeyProvider {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route =
        Route::delete("/key-providers/{id}", TAG, "Removes a key provider that keeps no master key in use.")
            .failing(&[NotFound, KeyProviderInUse])
            .audited(AuditAction::KeyProviderChange);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::remove_key_provider(world, provider_id(world, &self.id)?)?, |_| Ok(()))
    }
}

/// `POST /key-providers/{id}/test`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TestKeyProvider {
    /// Provider id.
    pub id: String,
}

impl Endpoint for TestKeyProvider {
    type Body = NoBody;
    type Answer = KeyProviderView;
    const ROUTE: Route = Route::post(
        "/key-providers/{id}/test",
        TAG,
        "Tries a key provider: signs in, wraps a random value and unwraps it again. Changes nothing.",
    )
    .failing(&[NotFound, KeyProviderUnreachable])
    .audited(AuditAction::KeyProviderTest);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyProviderView>, Failure> {
        let id = provider_id(world, &self.id)?;
        ops::test_key_provider(world, ctx, id)?;
        let provider =
            world.key_providers.get(&id.to_string()).ok_or_else(|| Failure::not_found("The provider"))?;
        Ok(Outcome::read(KeyProviderView::of(world, provider)))
    }
}

/// The provider a path names: what is not a provider's id names nothing there (404).
fn provider_id(world: &World, text: &str) -> Result<u32, Failure> {
    text.parse::<u32>()
        .ok()
        .filter(|id| world.key_providers.get(&id.to_string()).is_some())
        .ok_or_else(|| Failure::not_found(&format!("Key provider '{text}'")))
}
