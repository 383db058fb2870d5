//! The audit trail, as the Activity log reads it.

use serde::{Deserialize, Serialize};

use super::{Endpoint, Outcome, Route};
use crate::audit::{AuditPage, AuditQuery};
use crate::catalog::Failure;
use crate::model::Action;
use crate::model::World;
use crate::ops::Ctx;

/// `GET /audit?subject=&action=&before=&limit=`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListAudit {
    /// The filters and the page (the query string).
    #[serde(default)]
    pub body: AuditQuery,
}

impl Endpoint for ListAudit {
    type Body = AuditQuery;
    type Answer = AuditPage;
    const ROUTE: Route = Route::get(
        "/audit",
        "audit",
        "The audit trail, the most recent first: who did what to which subject, from where, and \
         whether it succeeded; filtered by subject text and action, paged with `before`; with \
         whether the whole hash chain is intact.",
    )
    .failing(&[crate::catalog::ErrorCode::InvalidRequest])
    .requires(Action::Audit);
    fn audit_read(&self) -> Option<&AuditQuery> {
        Some(&self.body)
    }
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<AuditPage>, Failure> {
        self.body
            .check()
            .map_err(|message| Failure::new(crate::catalog::ErrorCode::InvalidRequest, message))?;
        Ok(Outcome::read(world.audit.page(&self.body, ctx.master)))
    }
}
