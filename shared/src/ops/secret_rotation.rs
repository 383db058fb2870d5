//! Secret rotation (seed 003): a stamp's internal secrets and external endpoint certificates are
//! replaced by runs started like `Start-SecretRotation`, each an operation with steps. An
//! external run's certificate share is validated whole before anything changes; its certificates
//! wait as the stamp's pending certificates and are applied endpoint by endpoint, so a run that
//! fails partway leaves every endpoint not yet switched on its old certificate. Only a re-run of
//! the same scope may follow a failed run.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::Ctx;
use crate::api::{CertificateFile, SetBmcCredentialRequest, StartSecretRotationRequest};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, Binding};
use crate::model::{
    EndpointCertificate, InternalSecretKind, IssuerKind, OperationKind, OperationState, RotationScope,
    STAMP_VERSIONS, ShareIssuer, Stamp, StampAlert, StampAlertKind, StampEndpoint, Subject, Timestamp, World,
};
use crate::pki::{self, PkiError};

/// Alerts are raised this many days before a secret expires.
pub const ALERT_DAYS: i64 = 30;
/// A rotated service account password lasts a year.
pub const PASSWORD_DAYS: i64 = 365;
/// A rotated internal certificate lasts two years.
pub const INTERNAL_CERTIFICATE_DAYS: i64 = 730;
/// External certificates need RSA keys of at least this many bits.
pub const MIN_CERTIFICATE_BITS: usize = 2048;
/// The message the cmdlet gives for a share laid out wrongly (it reads like an access problem).
pub const CMDLET_LAYOUT_ERROR: &str = "Cannot bind argument to parameter 'Path' because it is null.";
const DAY: i64 = 86_400;

/// The binding of a stamp's sealed value in `slot`.
pub fn stamp_binding(stamp: &str, slot: &str) -> Binding {
    Binding::new("stamp", stamp, slot)
}

/// The slot of an endpoint's certificate key (`pending`: validated, not applied yet).
fn endpoint_slot(endpoint: StampEndpoint, pending: bool) -> String {
    format!("{}/{}", if pending { "pending" } else { "endpoint" }, endpoint.folder())
}

fn stamp_of<'w>(world: &'w World, stamp: &str) -> Result<&'w Stamp, Failure> {
    world.stamps.get(stamp).ok_or_else(|| Failure::not_found(&format!("Stamp '{stamp}'")))
}

fn stamp_mut<'w>(world: &'w mut World, stamp: &str) -> Result<&'w mut Stamp, Failure> {
    world.stamps.get_mut(stamp).ok_or_else(|| Failure::not_found(&format!("Stamp '{stamp}'")))
}

/// The scope of the stamp's last run when it failed: only a re-run of it may follow.
pub fn failed_run(world: &World, stamp: &str) -> Option<RotationScope> {
    let runs = world.operations.values().filter_map(|op| match &op.kind {
        OperationKind::RotateSecrets { stamp: s, scope, .. } if s == stamp => {
            Some((op.handle, op.state, *scope))
        }
        _ => None,
    });
    runs.max_by_key(|(handle, ..)| *handle)
        .filter(|(_, state, _)| *state == OperationState::Failed)
        .map(|(_, _, scope)| scope)
}

fn running_run(world: &World, stamp: &str) -> bool {
    world.operations.values().any(|op| {
        op.state == OperationState::Running
            && matches!(&op.kind, OperationKind::RotateSecrets { stamp: s, .. } if s == stamp)
    })
}

/// Starts a rotation run: checks the version and re-run rules, validates the certificate share
/// of an external run whole (the first broken rule fails the request and nothing changes), keeps
/// its certificates as pending, and starts the operation. Returns the world and its id.
pub fn start_secret_rotation(
    world: &World,
    ctx: &mut Ctx,
    stamp: &str,
    req: &StartSecretRotationRequest,
) -> Result<(World, String), Failure> {
    let s = stamp_of(world, stamp)?;
    if running_run(world, stamp) {
        return Err(Failure::new(
            ErrorCode::SecretRotationInProgress,
            format!("A rotation of '{stamp}' is running."),
        ));
    }
    check_version(s)?;
    let scope = scope_of(s, req)?;
    check_re_run(world, stamp, scope, req.re_run)?;
    let mut next = world.clone();
    let mut endpoints = Vec::new();
    if scope != RotationScope::Internal {
        let password = req.certificate_password.as_deref().unwrap_or_default();
        let validated = validate_share(s, &req.pfx_files, password, ctx.now)?;
        let target = stamp_mut(&mut next, stamp)?;
        target.pending_certificates.clear();
        target.sealed.retain(|slot, _| !slot.starts_with("pending/"));
        for certificate in validated {
            let slot = endpoint_slot(certificate.installed.endpoint, true);
            let sealed = ctx.keys.seal(&stamp_binding(stamp, &slot), &certificate.pkcs8, ctx.rng)?;
            target.sealed.insert(slot, sealed);
            endpoints.push(certificate.installed.endpoint);
            target.pending_certificates.push(certificate.installed);
        }
    }
    let kind = OperationKind::RotateSecrets { stamp: stamp.to_owned(), scope, re_run: req.re_run, endpoints };
    let id = super::start_operation(&mut next, ctx, kind, Subject::Stamp { stamp: stamp.to_owned() }, 0);
    Ok((next, id))
}

/// Rotation needs 1803; a stamp rotated before needs 1811 to rotate again.
fn check_version(stamp: &Stamp) -> Result<(), Failure> {
    let refused = |why: String| Err(Failure::new(ErrorCode::StampUpdateRequired, why));
    if stamp.version < 1803 {
        return refused(format!(
            "'{}' is on version {}: secret rotation needs 1803 or later.",
            stamp.name, stamp.version
        ));
    }
    if stamp.rotations > 0 && stamp.version < 1811 {
        return refused(format!(
            "'{}' has rotated its secrets before and is on version {}: update it to 1811 or later to rotate them again.",
            stamp.name, stamp.version
        ));
    }
    Ok(())
}

/// What the request rotates. From 1811 a run is internal or external; before, a run without
/// certificates rotates the internal secrets and one with certificates rotates both.
fn scope_of(stamp: &Stamp, req: &StartSecretRotationRequest) -> Result<RotationScope, Failure> {
    let invalid = |why: &str| Err(Failure::new(ErrorCode::InvalidSecretRotationParameters, why.to_owned()));
    let has_files = !req.pfx_files.is_empty();
    if has_files && req.certificate_password.as_deref().is_none_or(str::is_empty) {
        return invalid(
            "certificatePassword is required with pfx files: the one password that opens all of them.",
        );
    }
    match (stamp.version >= 1811, req.internal, has_files) {
        (_, true, true) => invalid(
            "internal rotates the stamp's own secrets and takes no pfx files; from 1811 internal and external secrets rotate in separate runs.",
        ),
        (true, false, false) => invalid(
            "An external rotation needs the pfx files of the certificate share and certificatePassword (or send internal to rotate the internal secrets).",
        ),
        (_, true, false) | (false, false, false) => Ok(RotationScope::Internal),
        (true, false, true) => Ok(RotationScope::External),
        (false, false, true) => Ok(RotationScope::InternalAndExternal),
    }
}

fn check_re_run(world: &World, stamp: &str, scope: RotationScope, re_run: bool) -> Result<(), Failure> {
    match (failed_run(world, stamp), re_run) {
        (None, false) => Ok(()),
        (None, true) => Err(Failure::new(
            ErrorCode::ReRunWithoutFailedRotation,
            format!("No rotation of '{stamp}' failed: start an ordinary rotation, without reRun."),
        )),
        (Some(failed), true) if failed == scope => Ok(()),
        (Some(failed), _) => Err(Failure::new(
            ErrorCode::ReRunRequired,
            format!(
                "The last rotation of '{stamp}' ({}) failed: re-run it (reRun, same scope) before anything else.",
                scope_label(failed)
            ),
        )),
    }
}

fn scope_label(scope: RotationScope) -> &'static str {
    match scope {
        RotationScope::Internal => "internal secrets",
        RotationScope::External => "external certificates",
        RotationScope::InternalAndExternal => "internal secrets and external certificates",
    }
}

/// A certificate of the share that passed every check.
struct Validated {
    installed: EndpointCertificate,
    pkcs8: Zeroizing<Vec<u8>>,
}

/// Checks a certificate share, in the order an operator fixes it: the layout of every file, an
/// endpoint folder with one `.pfx` for each endpoint, then for each endpoint the password, the
/// names, the validity, the key size and the certificate authority change.
fn validate_share(
    stamp: &Stamp,
    files: &[CertificateFile],
    password: &str,
    now: Timestamp,
) -> Result<Vec<Validated>, Failure> {
    let by_endpoint = share_layout(stamp, files)?;
    let mut validated = Vec::new();
    for endpoint in StampEndpoint::of(stamp.identity_provider) {
        let file = by_endpoint.get(&endpoint).ok_or_else(|| {
            Failure::new(
                ErrorCode::CertificateEndpointMissing,
                format!(
                    "Folder check: Certificates\\{}\\{}\\ is missing from the share, or holds no .pfx file.",
                    stamp.identity_provider.folder(),
                    endpoint.folder()
                ),
            )
        })?;
        validated.push(validate_certificate(stamp, endpoint, file, password, now)?);
    }
    Ok(validated)
}

/// Files by endpoint, after checking each file's place: `Certificates\<provider>\<endpoint>\x.pfx`.
fn share_layout<'f>(
    stamp: &Stamp,
    files: &'f [CertificateFile],
) -> Result<BTreeMap<StampEndpoint, &'f CertificateFile>, Failure> {
    let provider = stamp.identity_provider.folder();
    let layout = |why: String| {
        Failure::new(
            ErrorCode::CertificateShareLayoutInvalid,
            format!("Folder structure check: {why} The cmdlet reports this as: {CMDLET_LAYOUT_ERROR}"),
        )
    };
    let mut by_endpoint = BTreeMap::new();
    for file in files {
        let parts: Vec<&str> = file.path.split(['\\', '/']).filter(|p| !p.is_empty() && *p != ".").collect();
        match parts.as_slice() {
            [top, ..] if !top.eq_ignore_ascii_case("Certificates") => {
                return Err(layout(format!("'{}' is not under a top folder named Certificates.", file.path)));
            }
            [_, idp, ..] if !idp.eq_ignore_ascii_case(provider) => {
                return Err(layout(format!(
                    "'{}' is not under Certificates\\{provider}, the folder of this stamp's identity provider.",
                    file.path
                )));
            }
            [_, _, folder, name] if name.to_ascii_lowercase().ends_with(".pfx") => {
                let endpoint = StampEndpoint::of(stamp.identity_provider)
                    .into_iter()
                    .find(|e| e.folder().eq_ignore_ascii_case(folder))
                    .ok_or_else(|| layout(format!("'{folder}' is not an endpoint folder of this stamp.")))?;
                if by_endpoint.insert(endpoint, file).is_some() {
                    return Err(Failure::new(
                        ErrorCode::CertificateEndpointMissing,
                        format!(
                            "Folder check: Certificates\\{provider}\\{folder}\\ holds more than one .pfx file; keep exactly one."
                        ),
                    ));
                }
            }
            _ => {
                return Err(layout(format!(
                    "'{}' is not a .pfx file directly inside an endpoint folder (Certificates\\{provider}\\<endpoint>\\<name>.pfx).",
                    file.path
                )));
            }
        }
    }
    Ok(by_endpoint)
}

fn validate_certificate(
    stamp: &Stamp,
    endpoint: StampEndpoint,
    file: &CertificateFile,
    password: &str,
    now: Timestamp,
) -> Result<Validated, Failure> {
    let bytes = crypto::unb64(&file.content).map_err(|_| {
        Failure::new(
            ErrorCode::InvalidSecretRotationParameters,
            format!("The content of '{}' is not standard base64.", file.path),
        )
    })?;
    let contents = pki::read_pfx(&bytes, password).map_err(|error| match error {
        PkiError::WrongPassword => Failure::new(
            ErrorCode::CertificatePasswordInvalid,
            format!("Password check: certificatePassword does not open '{}'.", file.path),
        ),
        other => Failure::new(
            ErrorCode::CertificateEndpointMissing,
            format!(
                "Folder check: '{}' is not a .pfx file with a certificate and its private key ({other}).",
                file.path
            ),
        ),
    })?;
    let facts = pki::facts(&contents.certificate).map_err(|e| Failure::generic(e.to_string()))?;
    let host = endpoint.host(&stamp.region, &stamp.external_domain);
    if !facts.dns_names.iter().any(|name| covers(name, &host)) {
        return Err(Failure::new(
            ErrorCode::CertificateNameMismatch,
            format!(
                "Name check: '{}' names {} but the {} endpoint needs {host}.",
                file.path,
                if facts.dns_names.is_empty() {
                    "no DNS name".to_owned()
                } else {
                    facts.dns_names.join(", ")
                },
                endpoint.folder()
            ),
        ));
    }
    if facts.not_after <= now || facts.not_before > now {
        return Err(Failure::new(
            ErrorCode::CertificateExpired,
            format!(
                "Validity check: '{}' is valid from {} to {}, not now.",
                file.path,
                facts.not_before.rfc3339(),
                facts.not_after.rfc3339()
            ),
        ));
    }
    if facts.key_bits < MIN_CERTIFICATE_BITS {
        return Err(Failure::new(
            ErrorCode::CertificateKeyTooShort,
            format!(
                "Key size check: '{}' has a {}-bit key; at least {MIN_CERTIFICATE_BITS} bits are needed.",
                file.path, facts.key_bits
            ),
        ));
    }
    let kind = issuer_kind(stamp, &facts);
    let installed = stamp.certificates.iter().find(|c| c.endpoint == endpoint);
    if let Some(current) = installed {
        authority_change(stamp, current.issuer_kind, kind, &facts.issuer).map_err(|why| {
            Failure::new(
                ErrorCode::CertificateAuthorityChangeNotSupported,
                format!("Certificate authority check: '{}': {why}", file.path),
            )
        })?;
    }
    Ok(Validated {
        installed: EndpointCertificate {
            endpoint,
            certificate: crypto::b64(&contents.certificate),
            issuer_kind: kind,
            issuer: facts.issuer,
            not_after: facts.not_after,
            thumbprint: facts.thumbprint,
        },
        pkcs8: contents.pkcs8,
    })
}

/// Whether the DNS name `name` (perhaps a `*.` wildcard) covers `host` (perhaps one too).
fn covers(name: &str, host: &str) -> bool {
    let (name, host) = (name.to_ascii_lowercase(), host.to_ascii_lowercase());
    if name == host {
        return true;
    }
    match (name.strip_prefix("*."), host.split_once('.')) {
        (Some(suffix), Some((label, rest))) => label != "*" && rest == suffix,
        _ => false,
    }
}

/// Self-signed, issued by one of the stamp's public authorities, or else an enterprise CA.
fn issuer_kind(stamp: &Stamp, facts: &pki::CertificateFacts) -> IssuerKind {
    if facts.self_signed {
        return IssuerKind::SelfSigned;
    }
    let public = stamp.authorities.iter().any(|a| a.kind == IssuerKind::Public && a.name == facts.issuer);
    if public { IssuerKind::Public } else { IssuerKind::Enterprise }
}

/// The seed's table of certificate authority changes by version: to self-signed never; to a
/// public CA from 1803; to an enterprise CA from 1903, or from 1803 when both the old and the new
/// certificates come from the enterprise CA used at deployment.
pub fn authority_change(
    stamp: &Stamp,
    from: IssuerKind,
    to: IssuerKind,
    new_issuer: &str,
) -> Result<(), String> {
    let version = stamp.version;
    match (from, to) {
        (_, IssuerKind::SelfSigned) => {
            Err(format!("moving from {} to self-signed certificates is not supported.", from.label()))
        }
        (_, IssuerKind::Public) if version >= 1803 => Ok(()),
        (_, IssuerKind::Enterprise) if version >= 1903 => Ok(()),
        (IssuerKind::Enterprise, IssuerKind::Enterprise)
            if version >= 1803 && new_issuer == stamp.deployment_authority =>
        {
            Ok(())
        }
        (IssuerKind::Enterprise, IssuerKind::Enterprise) if version >= 1803 => Err(format!(
            "before 1903 the new certificates must come from the enterprise CA used at deployment ({}), not {new_issuer}; this stamp is on {version}.",
            stamp.deployment_authority
        )),
        (from, to) => Err(format!(
            "moving from {} to {} needs a newer version than {version}.",
            from.label(),
            to.label()
        )),
    }
}

/// The seed's table row for a change from `from` to `to`, in words, read off
/// [`authority_change`] itself so the table shown and the rule applied cannot differ.
pub fn authority_change_rule(from: IssuerKind, to: IssuerKind) -> String {
    const VERSIONS: [u16; 3] = [1803, 1811, 1903];
    let probe = |version: u16, same_authority: bool| {
        let stamp = Stamp { version, ..blank_stamp() };
        let issuer = if same_authority { DEPLOYMENT_AUTHORITY } else { "another enterprise CA" };
        authority_change(&stamp, from, to, issuer).is_ok()
    };
    let first = |same: bool| VERSIONS.into_iter().find(|v| probe(*v, same));
    match (first(true), first(false)) {
        (None, _) => "Not supported".to_owned(),
        (Some(same), Some(other)) if same < other => {
            format!("{same} and later; before {other} only with the enterprise CA used at deployment")
        }
        (Some(same), _) => format!("{same} and later"),
    }
}

/// A stamp with no secrets, deployed by [`DEPLOYMENT_AUTHORITY`].
fn blank_stamp() -> Stamp {
    Stamp {
        name: String::new(),
        version: 0,
        identity_provider: crate::model::IdentityProvider::Aad,
        region: String::new(),
        external_domain: String::new(),
        deployment_authority: DEPLOYMENT_AUTHORITY.to_owned(),
        internal_secrets: Vec::new(),
        certificates: Vec::new(),
        pending_certificates: Vec::new(),
        alerts: Vec::new(),
        authorities: Vec::new(),
        rotations: 0,
        internal_generation: 0,
        bmc_user: String::new(),
        sealed: BTreeMap::new(),
    }
}

/// One turn of a rotation run's step `step`; `Some(progress)` while internal secrets remain.
pub fn perform_rotation_step(
    world: &World,
    ctx: &mut Ctx,
    stamp: &str,
    scope: RotationScope,
    endpoints: &[StampEndpoint],
    step: usize,
) -> Result<(World, Option<crate::model::StepProgress>), Failure> {
    let internal_steps = usize::from(scope != RotationScope::External);
    if step < internal_steps {
        return rotate_next_internal_secret(world, ctx, stamp);
    }
    match endpoints.get(step - internal_steps) {
        Some(endpoint) => apply_certificate(world, ctx, stamp, *endpoint).map(|w| (w, None)),
        None => finish_run(world, ctx, stamp, scope).map(|w| (w, None)),
    }
}

/// The step labels of a run.
pub fn rotation_steps(scope: RotationScope, endpoints: &[StampEndpoint]) -> Vec<String> {
    let internal = (scope != RotationScope::External).then(|| "Rotate the internal secrets".to_owned());
    let external = endpoints.iter().map(|e| format!("Apply the {} certificate", e.folder()));
    internal.into_iter().chain(external).chain(["Overall action status".to_owned()]).collect()
}

/// Replaces the next internal secret not rotated by this run yet: a new password, or a new
/// certificate and key from the stamp's internal authority.
fn rotate_next_internal_secret(
    world: &World,
    ctx: &mut Ctx,
    stamp: &str,
) -> Result<(World, Option<crate::model::StepProgress>), Failure> {
    let s = stamp_of(world, stamp)?;
    let target = s.internal_generation + 1;
    let total = u32::try_from(s.internal_secrets.len()).unwrap_or(u32::MAX);
    let Some(index) = s.internal_secrets.iter().position(|secret| secret.generation < target) else {
        return Ok((world.clone(), Some(crate::model::StepProgress { done: total, total })));
    };
    let mut next = world.clone();
    let now = ctx.now;
    let secret = s.internal_secrets[index].clone();
    let slot = format!("internal/{}", secret.name);
    let (material, thumbprint, days) = match secret.kind {
        InternalSecretKind::ServiceAccountPassword => {
            (Zeroizing::new(crypto::random_hex(ctx.rng, 16).into_bytes()), String::new(), PASSWORD_DAYS)
        }
        InternalSecretKind::Certificate => {
            let names = vec![format!("{}.{}.internal", secret.name.to_ascii_lowercase(), s.name)];
            let validity = pki::Validity {
                not_before: now,
                not_after: Timestamp(now.0 + INTERNAL_CERTIFICATE_DAYS * DAY),
            };
            let issued = pki::new_key(MIN_CERTIFICATE_BITS, ctx.rng)
                .and_then(|key| pki::issue(&pki::Profile::Server(&names), key, validity, None, ctx.rng))
                .map_err(|e| Failure::generic(e.to_string()))?;
            let pkcs8 = crypto::private_key_to_pkcs8(&issued.key)?;
            let thumbprint = pki::facts(&issued.der).map_err(|e| Failure::generic(e.to_string()))?.thumbprint;
            (pkcs8, thumbprint, INTERNAL_CERTIFICATE_DAYS)
        }
    };
    let sealed = ctx.keys.seal(&stamp_binding(stamp, &slot), &material, ctx.rng)?;
    let s = stamp_mut(&mut next, stamp)?;
    s.sealed.insert(slot, sealed);
    let rotated = &mut s.internal_secrets[index];
    rotated.generation = target;
    rotated.not_after = Timestamp(now.0 + days * DAY);
    rotated.thumbprint = thumbprint;
    let done =
        u32::try_from(s.internal_secrets.iter().filter(|x| x.generation >= target).count()).unwrap_or(total);
    Ok((next, Some(crate::model::StepProgress { done, total })))
}

/// Switches one endpoint to its pending certificate, after checking that the file's private key
/// belongs to the certificate: a run whose file fails here stops with every later endpoint still
/// on its old certificate.
fn apply_certificate(
    world: &World,
    ctx: &mut Ctx,
    stamp: &str,
    endpoint: StampEndpoint,
) -> Result<World, Failure> {
    let s = stamp_of(world, stamp)?;
    let pending = s.pending_certificates.iter().find(|c| c.endpoint == endpoint).ok_or_else(|| {
        Failure::new(
            ErrorCode::ReRunRequired,
            format!("No certificate for {} waits to be applied: re-run with the share.", endpoint.folder()),
        )
    })?;
    let slot = endpoint_slot(endpoint, true);
    let sealed =
        s.sealed.get(&slot).ok_or_else(|| Failure::generic("A pending certificate lost its key."))?;
    let pkcs8 = ctx.keys.open(&stamp_binding(stamp, &slot), sealed)?;
    let der = crypto::unb64(&pending.certificate)
        .map_err(|_| Failure::generic("A pending certificate is damaged."))?;
    if !pki::key_matches(&der, &pkcs8) {
        return Err(Failure::new(
            ErrorCode::CertificateKeyMismatch,
            format!(
                "Applying the {} certificate: the private key in its .pfx file is not the certificate's. Endpoints before it use their new certificates; it and the ones after it still use their old ones.",
                endpoint.folder()
            ),
        ));
    }
    let installed_slot = endpoint_slot(endpoint, false);
    let resealed = ctx.keys.seal(&stamp_binding(stamp, &installed_slot), &pkcs8, ctx.rng)?;
    let certificate = pending.clone();
    let mut next = world.clone();
    let s = stamp_mut(&mut next, stamp)?;
    s.sealed.remove(&slot);
    s.sealed.insert(installed_slot, resealed);
    s.pending_certificates.retain(|c| c.endpoint != endpoint);
    s.certificates.retain(|c| c.endpoint != endpoint);
    s.certificates.push(certificate);
    s.certificates.sort_by_key(|c| c.endpoint);
    Ok(next)
}

/// The run's last step: the rotation counts, and the alerts it answered are cleared.
fn finish_run(world: &World, ctx: &Ctx, stamp: &str, scope: RotationScope) -> Result<World, Failure> {
    let mut next = world.clone();
    let s = stamp_mut(&mut next, stamp)?;
    s.rotations += 1;
    if scope != RotationScope::External {
        s.internal_generation += 1;
    }
    s.alerts = due_alerts(s, ctx.now, &s.alerts);
    Ok(next)
}

/// The alerts a stamp should show at `now`: one per secret within [`ALERT_DAYS`] of expiry,
/// keeping the time an alert already shown was raised.
fn due_alerts(stamp: &Stamp, now: Timestamp, shown: &[StampAlert]) -> Vec<StampAlert> {
    let soon = |expires: Timestamp| expires.0 - now.0 <= ALERT_DAYS * DAY;
    let internal = stamp.internal_secrets.iter().map(|s| {
        let kind = match s.kind {
            InternalSecretKind::ServiceAccountPassword => StampAlertKind::ServiceAccountPasswordExpiration,
            InternalSecretKind::Certificate => StampAlertKind::InternalCertificateExpiration,
        };
        (kind, s.name.clone(), s.not_after)
    });
    let external = stamp.certificates.iter().map(|c| {
        (StampAlertKind::ExternalCertificateExpiration, c.endpoint.folder().to_owned(), c.not_after)
    });
    internal
        .chain(external)
        .filter(|(_, _, expires)| soon(*expires))
        .map(|(kind, secret, expires)| {
            let raised =
                shown.iter().find(|a| a.kind == kind && a.secret == secret).map_or(now, |a| a.raised);
            StampAlert { kind, secret, expires, raised }
        })
        .collect()
}

/// `advance`'s part: raises the alerts of secrets that came within 30 days of expiry, and drops
/// those of secrets that no longer are. `None` when no stamp's alerts changed.
pub fn raise_stamp_alerts(world: &World, now: Timestamp) -> Option<World> {
    let changed: Vec<(String, Vec<StampAlert>)> = world
        .stamps
        .values()
        .filter_map(|s| {
            let due = due_alerts(s, now, &s.alerts);
            (due != s.alerts).then(|| (s.name.clone(), due))
        })
        .collect();
    if changed.is_empty() {
        return None;
    }
    let mut next = world.clone();
    for (name, alerts) in changed {
        if let Some(stamp) = next.stamps.get_mut(&name) {
            stamp.alerts = alerts;
        }
    }
    Some(next)
}

/// Sets the baseboard management controllers' credential on every server at once: the
/// password is required, the user name optional (at most 16 characters).
pub fn set_bmc_credential(
    world: &World,
    ctx: &mut Ctx,
    stamp: &str,
    req: &SetBmcCredentialRequest,
) -> Result<World, Failure> {
    stamp_of(world, stamp)?;
    let invalid = |why: &str| Err(Failure::new(ErrorCode::InvalidBmcCredential, why.to_owned()));
    if req.bmc_password.is_empty() {
        return invalid("BmcPassword is required.");
    }
    let bad_user = |user: &String| {
        user.trim().is_empty() || user.chars().count() > 16 || user.chars().any(char::is_control)
    };
    if req.bmc_user.as_ref().is_some_and(bad_user) {
        return invalid("A BMC user name has 1 to 16 characters.");
    }
    let sealed = ctx.keys.seal(&stamp_binding(stamp, "bmc"), req.bmc_password.as_bytes(), ctx.rng)?;
    let mut next = world.clone();
    let s = stamp_mut(&mut next, stamp)?;
    if let Some(user) = &req.bmc_user {
        s.bmc_user = user.clone();
    }
    s.sealed.insert("bmc".to_owned(), sealed);
    Ok(next)
}

/// What a new stamp is.
#[derive(Clone, Debug)]
pub struct StampSpec<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: u16,
    /// Identity provider.
    pub identity_provider: crate::model::IdentityProvider,
    /// Region label.
    pub region: &'a str,
    /// External domain.
    pub external_domain: &'a str,
    /// Days until its external certificates expire.
    pub certificate_days: i64,
    /// Days until its service account passwords expire.
    pub password_days: i64,
}

/// The enterprise CA a new stamp is deployed with, and the public CA Keyblade plays.
pub const DEPLOYMENT_AUTHORITY: &str = "Contoso Enterprise CA";
/// Keyblade's stand-in for a CA of the platform's trusted root program.
pub const PUBLIC_AUTHORITY: &str = "Keyblade Public Root CA";
const INTERNAL_PASSWORDS: [&str; 3] = ["CloudAdmin", "SqlService", "FabricRing"];
const INTERNAL_CERTIFICATES: [&str; 3] = ["ERCS", "InfrastructureEncryption", "BackupEncryption"];

/// A new stamp: its two certificate authorities, external certificates issued at deployment by
/// the enterprise CA, internal passwords and certificates, all sealed. Three RSA-2048 keys are
/// generated (one per authority, one the deployment's certificates share).
pub fn new_stamp(ctx: &mut Ctx, spec: &StampSpec<'_>) -> Result<Stamp, Failure> {
    let now = ctx.now;
    let days = |n: i64| pki::Validity { not_before: now, not_after: Timestamp(now.0 + n * DAY) };
    let pki_failure = |e: PkiError| Failure::generic(e.to_string());
    let mut stamp = Stamp {
        name: spec.name.to_owned(),
        version: spec.version,
        identity_provider: spec.identity_provider,
        region: spec.region.to_owned(),
        external_domain: spec.external_domain.to_owned(),
        bmc_user: "bmcadmin".to_owned(),
        ..blank_stamp()
    };
    let mut deployment = None;
    for (name, kind) in
        [(DEPLOYMENT_AUTHORITY, IssuerKind::Enterprise), (PUBLIC_AUTHORITY, IssuerKind::Public)]
    {
        let key = pki::new_key(MIN_CERTIFICATE_BITS, ctx.rng).map_err(pki_failure)?;
        let authority = pki::issue(&pki::Profile::Authority(name), key, days(3650), None, ctx.rng)
            .map_err(pki_failure)?;
        seal_slot(
            &mut stamp,
            ctx,
            &format!("authority/{name}"),
            &crypto::private_key_to_pkcs8(&authority.key)?,
        )?;
        stamp.authorities.push(crate::model::CertificateAuthority {
            name: name.to_owned(),
            kind,
            certificate: crypto::b64(&authority.der),
        });
        if kind == IssuerKind::Enterprise {
            deployment = Some(authority);
        }
    }
    let deployment = deployment.ok_or_else(|| Failure::generic("No deployment authority."))?;
    let leaf_key = pki::new_key(MIN_CERTIFICATE_BITS, ctx.rng).map_err(pki_failure)?;
    let pkcs8 = crypto::private_key_to_pkcs8(&leaf_key)?;
    for endpoint in StampEndpoint::of(spec.identity_provider) {
        let names = vec![endpoint.host(spec.region, spec.external_domain)];
        let issuer = Some((DEPLOYMENT_AUTHORITY, &deployment));
        let issued = pki::issue(
            &pki::Profile::Server(&names),
            leaf_key.clone(),
            days(spec.certificate_days),
            issuer,
            ctx.rng,
        )
        .map_err(pki_failure)?;
        let facts = pki::facts(&issued.der).map_err(pki_failure)?;
        seal_slot(&mut stamp, ctx, &endpoint_slot(endpoint, false), &pkcs8)?;
        stamp.certificates.push(EndpointCertificate {
            endpoint,
            certificate: crypto::b64(&issued.der),
            issuer_kind: IssuerKind::Enterprise,
            issuer: DEPLOYMENT_AUTHORITY.to_owned(),
            not_after: facts.not_after,
            thumbprint: facts.thumbprint,
        });
    }
    stamp.certificates.sort_by_key(|c| c.endpoint);
    for name in INTERNAL_PASSWORDS {
        let password = Zeroizing::new(crypto::random_hex(ctx.rng, 16).into_bytes());
        seal_slot(&mut stamp, ctx, &format!("internal/{name}"), &password)?;
        stamp.internal_secrets.push(crate::model::InternalSecret {
            name: name.to_owned(),
            kind: InternalSecretKind::ServiceAccountPassword,
            not_after: Timestamp(now.0 + spec.password_days * DAY),
            thumbprint: String::new(),
            generation: 0,
        });
    }
    for name in INTERNAL_CERTIFICATES {
        let names = vec![format!("{}.{}.internal", name.to_ascii_lowercase(), spec.name)];
        let issued = pki::issue(
            &pki::Profile::Server(&names),
            leaf_key.clone(),
            days(INTERNAL_CERTIFICATE_DAYS),
            None,
            ctx.rng,
        )
        .map_err(pki_failure)?;
        seal_slot(&mut stamp, ctx, &format!("internal/{name}"), &pkcs8)?;
        stamp.internal_secrets.push(crate::model::InternalSecret {
            name: name.to_owned(),
            kind: InternalSecretKind::Certificate,
            not_after: Timestamp(now.0 + INTERNAL_CERTIFICATE_DAYS * DAY),
            thumbprint: pki::facts(&issued.der).map_err(pki_failure)?.thumbprint,
            generation: 0,
        });
    }
    let bmc = Zeroizing::new(crypto::random_hex(ctx.rng, 12).into_bytes());
    seal_slot(&mut stamp, ctx, "bmc", &bmc)?;
    Ok(stamp)
}

fn seal_slot(stamp: &mut Stamp, ctx: &mut Ctx, slot: &str, value: &[u8]) -> Result<(), Failure> {
    let sealed = ctx.keys.seal(&stamp_binding(&stamp.name, slot), value, ctx.rng)?;
    stamp.sealed.insert(slot.to_owned(), sealed);
    Ok(())
}

/// A certificate share for rehearsal: one `.pfx` per endpoint of the stamp, in the layout the
/// rotation expects, valid for `days` from now, issued as `issuer` says and protected by
/// `password`. The certificates share one new RSA-2048 key.
pub fn issue_certificate_share(
    world: &World,
    ctx: &mut Ctx,
    stamp: &str,
    issuer: ShareIssuer,
    days: i64,
    password: &str,
) -> Result<Vec<CertificateFile>, Failure> {
    let s = stamp_of(world, stamp)?;
    if password.is_empty() {
        return Err(Failure::new(
            ErrorCode::InvalidSecretRotationParameters,
            "A certificate share needs a password.",
        ));
    }
    // A .pfx password is stored as UCS-2 (BMPString): characters beyond U+FFFF cannot be.
    if password.chars().any(|c| u32::from(c) > 0xFFFF) {
        return Err(Failure::new(
            ErrorCode::InvalidSecretRotationParameters,
            "A .pfx password can hold letters, digits and symbols, but no emoji or other characters beyond U+FFFF.",
        ));
    }
    let pki_failure = |e: PkiError| Failure::generic(e.to_string());
    let authority_name = match issuer {
        ShareIssuer::DeploymentAuthority => Some(s.deployment_authority.as_str()),
        ShareIssuer::PublicAuthority => Some(PUBLIC_AUTHORITY),
        ShareIssuer::SelfSigned => None,
    };
    let authority = match authority_name {
        None => None,
        Some(name) => {
            let record = s
                .authorities
                .iter()
                .find(|a| a.name == name)
                .ok_or_else(|| Failure::not_found(&format!("Authority '{name}'")))?;
            let slot = format!("authority/{name}");
            let sealed = s.sealed.get(&slot).ok_or_else(|| Failure::generic("An authority lost its key."))?;
            let key = crypto::private_key_from_pkcs8(&ctx.keys.open(&stamp_binding(stamp, &slot), sealed)?)?;
            let der = crypto::unb64(&record.certificate)
                .map_err(|_| Failure::generic("An authority's certificate is damaged."))?;
            Some((name, pki::KeyedCertificate { der, key }))
        }
    };
    let validity = pki::Validity { not_before: ctx.now, not_after: Timestamp(ctx.now.0 + days * DAY) };
    let key = pki::new_key(MIN_CERTIFICATE_BITS, ctx.rng).map_err(pki_failure)?;
    let mut files = Vec::new();
    for endpoint in StampEndpoint::of(s.identity_provider) {
        let names = vec![endpoint.host(&s.region, &s.external_domain)];
        let signer = authority.as_ref().map(|(name, keyed)| (*name, keyed));
        let issued = pki::issue(&pki::Profile::Server(&names), key.clone(), validity, signer, ctx.rng)
            .map_err(pki_failure)?;
        let chain: Vec<&[u8]> = authority.iter().map(|(_, keyed)| keyed.der.as_slice()).collect();
        let pfx = pki::write_pfx(&issued, &chain, password).map_err(pki_failure)?;
        let file_name = endpoint.folder().to_ascii_lowercase().replace(' ', "-");
        files.push(CertificateFile {
            path: format!(
                "Certificates\\{}\\{}\\{file_name}.pfx",
                s.identity_provider.folder(),
                endpoint.folder()
            ),
            content: crypto::b64(&pfx),
        });
    }
    Ok(files)
}

fn check_version_known(version: u16) -> Result<(), Failure> {
    if STAMP_VERSIONS.contains(&version) {
        return Ok(());
    }
    let known: Vec<String> = STAMP_VERSIONS.iter().map(u16::to_string).collect();
    Err(Failure::new(
        ErrorCode::InvalidRequest,
        format!("Version {version} is not one of {}.", known.join(", ")),
    ))
}

/// Adds a stamp deployed at `version` with `provider`, its certificates issued by the
/// deployment CA (three RSA keys are generated).
pub fn create_stamp(
    world: &World,
    ctx: &mut Ctx,
    name: &str,
    version: u16,
    provider: crate::model::IdentityProvider,
) -> Result<World, Failure> {
    let well_formed = (3..=24).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !well_formed {
        return Err(Failure::new(
            ErrorCode::InvalidName,
            "A stamp name has 3-24 letters, digits and hyphens, starting with a letter.",
        ));
    }
    if world.stamps.get(name).is_some() {
        return Err(Failure::conflict(format!("A stamp named '{name}' exists.")));
    }
    check_version_known(version)?;
    let spec = StampSpec {
        name,
        version,
        identity_provider: provider,
        region: "local",
        external_domain: "azurestack.external",
        certificate_days: 60,
        password_days: 45,
    };
    let stamp = new_stamp(ctx, &spec)?;
    let mut next = world.clone();
    next.stamps.insert(name.to_owned(), stamp);
    Ok(next)
}

/// Updates a stamp to a later version (the remedy of `StampUpdateRequiredForRotation`); never
/// while a rotation runs.
pub fn update_stamp(world: &World, stamp: &str, version: u16) -> Result<World, Failure> {
    let current = stamp_of(world, stamp)?.version;
    check_version_known(version)?;
    if version <= current {
        return Err(Failure::new(
            // The stamp's state, not the body, rules the version out: a conflict, as a stale edit is.
            ErrorCode::Conflict,
            format!("An update moves a stamp to a later version; '{stamp}' is on {current}."),
        ));
    }
    if running_run(world, stamp) {
        return Err(Failure::new(
            ErrorCode::SecretRotationInProgress,
            format!("A rotation of '{stamp}' is running."),
        ));
    }
    let mut next = world.clone();
    stamp_mut(&mut next, stamp)?.version = version;
    Ok(next)
}
