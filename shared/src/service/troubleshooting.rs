//! The troubleshooting catalog (the Troubleshoot page) and one-click fixes.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{ApplyFixRequest, FixApplied};
use crate::audit::AuditAction;
use crate::catalog::{self, CatalogEntry, ENCRYPTION_FAILURES, ErrorCode, Failure};
use crate::model::World;
use crate::ops::{self, Ctx};

const TAG: &str = "troubleshooting";

/// What a fix can answer: the order's rules again, a fix that does not fit its subject, and the
/// rules of the vault it changes.
const FIX_FAILURES: [ErrorCode; 22] = {
    let mut codes = [ErrorCode::FixNotApplicable; 22];
    let mut i = 0;
    while i < ENCRYPTION_FAILURES.len() {
        codes[i] = ENCRYPTION_FAILURES[i];
        i += 1;
    }
    codes[18] = ErrorCode::NotRecoverable;
    codes[19] = ErrorCode::PurgeProtectionCannotBeDisabled;
    codes[20] = ErrorCode::UserAssignedLimitReached;
    codes
};

/// `GET /catalog`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct GetCatalog {}

impl Endpoint for GetCatalog {
    type Body = NoBody;
    type Answer = Vec<CatalogEntry>;
    const ROUTE: Route = Route::get(
        "/catalog",
        TAG,
        "Every error code with its details, general recoverability and remediation steps.",
    );
    fn handle(self, _: &World, _: &mut Ctx) -> Result<Outcome<Vec<CatalogEntry>>, Failure> {
        Ok(Outcome::read(catalog::catalog()))
    }
}

/// `POST /fixes`: performs the fix a failure offered, for the subject it named.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ApplyFix {
    /// For a fix of an order: the order version the failure was seen on.
    #[serde(default)]
    pub if_match: Option<u64>,
    /// The fix and its subject, as the failure carried them.
    pub body: ApplyFixRequest,
}

impl Endpoint for ApplyFix {
    type Body = ApplyFixRequest;
    type Answer = FixApplied;
    const ROUTE: Route = Route::post(
        "/fixes",
        TAG,
        "Performs the fix a failure offered (enable the key version, recover the vault...) for the \
         subject the failure named, in one transaction. Retrying the failed action should then succeed.",
    )
    .failing(&FIX_FAILURES)
    .if_match()
    .audited(AuditAction::FixApply);
    fn audit_subject(&self) -> Option<String> {
        Some(self.body.subject.path())
    }
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<FixApplied>, Failure> {
        let ApplyFixRequest { subject, fix, fix_proof } = self.body;
        let next = ops::apply_fix(world, ctx, &subject, &fix, &fix_proof, self.if_match)?;
        Outcome::changed(next, |w| Ok(FixApplied::of(w, subject)))
    }
}
