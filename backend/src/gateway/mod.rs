//! The one path every surface takes: an adapter decodes its protocol, asks the gateway who
//! the caller is ([`credentials`]), makes exactly one endpoint call through [`Gateway::call`]
//! (authorized by `shared::access` inside `shared::service::serve`, one snapshot, one
//! transaction, one audit entry per change) and encodes the answer. Adapters hold a
//! [`Gateway`], never the store, the world or `shared::ops`.

pub mod credentials;

use std::net::IpAddr;

use shared::{
    access::Actor,
    model::Principal,
    service::{Endpoint, Outcome},
};

use crate::{AppState, error::AppError};

/// What an adapter may reach.
#[derive(Clone)]
pub struct Gateway {
    app: AppState,
}

impl Gateway {
    pub fn new(app: AppState) -> Gateway {
        Gateway { app }
    }

    /// Runs one endpoint as `actor`.
    pub async fn call<E: Endpoint + Clone>(&self, request: E, actor: &Actor) -> Result<E::Answer, AppError> {
        Ok(self.outcome(request, actor).await?.answer)
    }

    /// Runs one endpoint as `actor`, with what it changed (the portal's ETag needs it).
    pub async fn outcome<E: Endpoint + Clone>(
        &self,
        request: E,
        actor: &Actor,
    ) -> Result<Outcome<E::Answer>, AppError> {
        self.app.execute(request, actor).await
    }
}

/// An actor of a surface: its principal, how the audit trail names it, and where it called
/// from.
pub fn actor(principal: Principal, name: String, ip: IpAddr) -> Actor {
    Actor { principal, name, source: ip.to_string() }
}
