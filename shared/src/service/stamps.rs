//! Stamps and their infrastructure secrets (seed 003): stamps added and updated, the inventory,
//! rotation runs started with the cmdlet's parameters, certificate shares for rehearsal, and the
//! BMC credential.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{
    CertificateFile, CertificateShareRequest, CreateStampRequest, OperationView, SetBmcCredentialRequest,
    StampView, StartSecretRotationRequest, UpdateStampRequest,
};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::Action;
use crate::model::World;
use crate::ops::{self, Ctx};

const TAG: &str = "secrets";

fn view(world: &World, stamp: &str, ctx: &Ctx) -> Result<StampView, Failure> {
    let s = world.stamps.get(stamp).ok_or_else(|| Failure::not_found(&format!("Stamp '{stamp}'")))?;
    Ok(crate::queries::stamp_view(world, s, ctx.now))
}

/// `GET /stamps`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListStamps {}

impl Endpoint for ListStamps {
    type Body = NoBody;
    type Answer = Vec<StampView>;
    const ROUTE: Route =
        Route::get("/stamps", TAG, "Lists the stamps with their secrets' inventory and alerts.");
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<StampView>>, Failure> {
        Ok(Outcome::read(
            world.stamps.values().map(|s| crate::queries::stamp_view(world, s, ctx.now)).collect(),
        ))
    }
}

/// `POST /stamps`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateStamp {
    /// Name, version and identity provider.
    pub body: CreateStampRequest,
}

impl Endpoint for CreateStamp {
    type Body = CreateStampRequest;
    type Answer = StampView;
    const ROUTE: Route = Route::post(
        "/stamps",
        TAG,
        "Adds a stamp at a version with an identity provider, its certificates issued by its deployment CA.",
    )
    .created()
    .failing(&[InvalidName, InvalidRequest, Conflict])
    .audited(AuditAction::StampChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<StampView>, Failure> {
        let body = &self.body;
        let next = ops::create_stamp(world, ctx, &body.name, body.version, body.identity_provider)?;
        Outcome::changed(next, |w| view(w, &body.name, ctx))
    }
}

/// `PUT /stamps/{stamp}/version`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateStamp {
    /// Stamp name.
    pub stamp: String,
    /// The later version.
    pub body: UpdateStampRequest,
}

impl Endpoint for UpdateStamp {
    type Body = UpdateStampRequest;
    type Answer = StampView;
    const ROUTE: Route = Route::put(
        "/stamps/{stamp}/version",
        TAG,
        "Updates a stamp to a later version (a stamp rotated before needs 1811 to rotate again).",
    )
    .failing(&[NotFound, InvalidRequest, Conflict, SecretRotationInProgress])
    .audited(AuditAction::StampChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<StampView>, Failure> {
        let next = ops::update_stamp(world, &self.stamp, self.body.version)?;
        Outcome::changed(next, |w| view(w, &self.stamp, ctx))
    }
}

/// `GET /stamps/{stamp}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetStamp {
    /// Stamp name.
    pub stamp: String,
}

impl Endpoint for GetStamp {
    type Body = NoBody;
    type Answer = StampView;
    const ROUTE: Route = Route::get(
        "/stamps/{stamp}",
        TAG,
        "A stamp's internal secrets and external certificates with expiry, issuer and days left, its alerts and the certificate authority change table.",
    )
    .failing(&[NotFound]);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<StampView>, Failure> {
        Ok(Outcome::read(view(world, &self.stamp, ctx)?))
    }
}

/// `POST /stamps/{stamp}/secret-rotation`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct StartSecretRotation {
    /// Stamp name.
    pub stamp: String,
    /// The cmdlet's parameters and the share's files.
    pub body: StartSecretRotationRequest,
}

impl Endpoint for StartSecretRotation {
    type Body = StartSecretRotationRequest;
    type Answer = OperationView;
    const ROUTE: Route = Route::post(
        "/stamps/{stamp}/secret-rotation",
        TAG,
        "Starts a secret rotation (internal, or external from the uploaded certificate share; reRun after a failed run) and answers the operation to follow. The share is validated before anything changes.",
    )
    .accepted()
    .failing(&[
        NotFound,
        SecretRotationInProgress,
        InvalidSecretRotationParameters,
        ReRunWithoutFailedRotation,
        ReRunRequired,
        StampUpdateRequired,
        CertificateShareLayoutInvalid,
        CertificateEndpointMissing,
        CertificatePasswordInvalid,
        CertificateNameMismatch,
        CertificateExpired,
        CertificateKeyTooShort,
        CertificateAuthorityChangeNotSupported,
    ])
    .audited(AuditAction::SecretRotation);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OperationView>, Failure> {
        let (next, id) = ops::start_secret_rotation(world, ctx, &self.stamp, &self.body)?;
        Outcome::changed(next, |w| {
            let op = w.operations.get(&id).ok_or_else(|| Failure::not_found("The operation"))?;
            Ok(OperationView::of(w, op))
        })
    }
}

/// `POST /stamps/{stamp}/certificate-share`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct IssueCertificateShare {
    /// Stamp name.
    pub stamp: String,
    /// Issuer, validity and password.
    pub body: CertificateShareRequest,
}

impl Endpoint for IssueCertificateShare {
    type Body = CertificateShareRequest;
    type Answer = Vec<CertificateFile>;
    const ROUTE: Route = Route::post(
        "/stamps/{stamp}/certificate-share",
        TAG,
        "Issues a replacement certificate share for rehearsal: one .pfx per endpoint in the layout the rotation expects.",
    )
    .failing(&[NotFound, InvalidSecretRotationParameters])
    .requires(Action::Use)
    .audited(AuditAction::CertificateShareIssue);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<CertificateFile>>, Failure> {
        let days = self.body.days;
        if !(0..=3650).contains(&days) {
            let why = "A certificate share is valid for 0 to 3650 days.";
            return Err(Failure::new(InvalidSecretRotationParameters, why));
        }
        let files = ops::issue_certificate_share(
            world,
            ctx,
            &self.stamp,
            self.body.issuer,
            days,
            &self.body.password,
        )?;
        Ok(Outcome::read(files))
    }
}

/// `PUT /stamps/{stamp}/bmc-credential`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SetBmcCredential {
    /// Stamp name.
    pub stamp: String,
    /// User name and password.
    pub body: SetBmcCredentialRequest,
}

impl Endpoint for SetBmcCredential {
    type Body = SetBmcCredentialRequest;
    type Answer = StampView;
    const ROUTE: Route = Route::put(
        "/stamps/{stamp}/bmc-credential",
        TAG,
        "Sets the baseboard management controller credential of every server: the password is required, the user name (at most 16 characters) optional.",
    )
    .failing(&[NotFound, InvalidBmcCredential])
    .audited(AuditAction::BmcCredentialChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<StampView>, Failure> {
        let next = ops::set_bmc_credential(world, ctx, &self.stamp, &self.body)?;
        Outcome::changed(next, |w| view(w, &self.stamp, ctx))
    }
}
