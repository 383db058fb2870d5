//! Secret rotation (seed 003): the rules of each run, the certificate share's checks each with
//! its code, the certificate authority table, a run failing partway and its re-run, alerts with
//! a moving clock, and the BMC credential. Certificates are made in the test with the engine's
//! own certificate authorities.

use super::tests::Fx;
use super::*;
use crate::api::{CertificateFile, SetBmcCredentialRequest, StartSecretRotationRequest};
use crate::catalog::ErrorCode;
use crate::crypto;
use crate::model::*;
use crate::pki;

const STAMP: &str = "azs-east";
const PASSWORD: &str = "Sh4re-Passw0rd";
const DAY: i64 = 86_400;

fn with_stamp(version: u16) -> Fx {
    let mut fx = Fx::new();
    let spec = StampSpec {
        name: STAMP,
        version,
        identity_provider: IdentityProvider::Aad,
        region: "east",
        external_domain: "azurestack.contoso.test",
        certificate_days: 60,
        password_days: 45,
    };
    let stamp = fx.run(|_, ctx| new_stamp(ctx, &spec)).unwrap();
    fx.world.stamps.insert(STAMP.to_owned(), stamp);
    fx
}

fn stamp(fx: &Fx) -> &Stamp {
    fx.world.stamps.get(STAMP).unwrap()
}

fn share(fx: &mut Fx, issuer: ShareIssuer, days: i64) -> Vec<CertificateFile> {
    fx.run(|w, c| issue_certificate_share(w, c, STAMP, issuer, days, PASSWORD)).unwrap()
}

fn external(files: Vec<CertificateFile>) -> StartSecretRotationRequest {
    StartSecretRotationRequest {
        pfx_files_path: "\\\\10.0.0.5\\share".into(),
        pfx_files: files,
        certificate_password: Some(PASSWORD.into()),
        ..Default::default()
    }
}

fn internal() -> StartSecretRotationRequest {
    StartSecretRotationRequest { internal: true, ..Default::default() }
}

fn start(fx: &mut Fx, req: &StartSecretRotationRequest) -> Result<String, crate::catalog::Failure> {
    let (world, id) = fx.run(|w, c| start_secret_rotation(w, c, STAMP, req))?;
    fx.world = world;
    Ok(id)
}

/// Runs the operation's steps until it ends; returns it.
fn run(fx: &mut Fx, id: &str) -> Operation {
    for _ in 0..100 {
        let op = fx.world.operations.get(id).unwrap().clone();
        if op.state != OperationState::Running {
            return op;
        }
        fx.apply(|w, c| run_step(w, c, id));
    }
    panic!("the run did not end");
}

fn code(fx: &mut Fx, req: &StartSecretRotationRequest) -> ErrorCode {
    let before = fx.world.clone();
    let code = start(fx, req).unwrap_err().code;
    assert_eq!(fx.world, before, "a refused run changes nothing");
    code
}

fn thumbprint(fx: &Fx, endpoint: StampEndpoint) -> String {
    stamp(fx).certificates.iter().find(|c| c.endpoint == endpoint).unwrap().thumbprint.clone()
}

#[test]
fn a_new_stamp_has_real_certificates_from_its_deployment_authority_and_sealed_secrets() {
    let fx = with_stamp(1811);
    let s = stamp(&fx);
    assert_eq!(s.certificates.len(), 11, "the AAD endpoints");
    for certificate in &s.certificates {
        let facts = pki::facts(&crypto::unb64(&certificate.certificate).unwrap()).unwrap();
        assert_eq!(facts.issuer, DEPLOYMENT_AUTHORITY);
        assert_eq!(facts.dns_names, vec![certificate.endpoint.host("east", "azurestack.contoso.test")]);
        assert_eq!(certificate.issuer_kind, IssuerKind::Enterprise);
    }
    assert_eq!(s.internal_secrets.len(), 6);
    assert!(s.sealed.contains_key("bmc") && s.sealed.contains_key("endpoint/Admin Portal"));
    let places = sealed_places(&fx.world);
    assert_eq!(
        places.iter().filter(|p| matches!(p, SealedPlace::StampSecret { .. })).count(),
        s.sealed.len()
    );
}

#[test]
fn alerts_rise_30_days_before_expiry_and_a_rotation_clears_its_own() {
    let mut fx = with_stamp(1811);
    fx.now = Timestamp(fx.now.0 + 14 * DAY);
    assert!(raise_stamp_alerts(&fx.world, fx.now).is_none(), "nothing within 30 days yet");
    fx.now = Timestamp(fx.now.0 + 2 * DAY);
    fx.world = raise_stamp_alerts(&fx.world, fx.now).unwrap();
    let kinds: Vec<StampAlertKind> = stamp(&fx).alerts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, vec![StampAlertKind::ServiceAccountPasswordExpiration; 3]);
    fx.now = Timestamp(fx.now.0 + 15 * DAY);
    let advanced = fx.run(|w, ctx| Ok(advance(w, ctx))).unwrap();
    fx.world = advanced.expect("alerts changed");
    let expiring =
        stamp(&fx).alerts.iter().filter(|a| a.kind == StampAlertKind::ExternalCertificateExpiration);
    assert_eq!(expiring.count(), 11);
    let id = start(&mut fx, &internal()).unwrap();
    assert_eq!(run(&mut fx, &id).state, OperationState::Succeeded);
    let left: Vec<StampAlertKind> = stamp(&fx).alerts.iter().map(|a| a.kind).collect();
    assert!(left.iter().all(|k| *k == StampAlertKind::ExternalCertificateExpiration), "{left:?}");
    let files = share(&mut fx, ShareIssuer::DeploymentAuthority, 365);
    let id = start(&mut fx, &external(files)).unwrap();
    assert_eq!(run(&mut fx, &id).state, OperationState::Succeeded);
    assert!(stamp(&fx).alerts.is_empty());
}

#[test]
fn an_internal_run_replaces_every_internal_secret_with_progress() {
    let mut fx = with_stamp(1811);
    let before = stamp(&fx).clone();
    let id = start(&mut fx, &internal()).unwrap();
    let labels: Vec<String> =
        fx.world.operations.get(&id).unwrap().steps.iter().map(|s| s.label.clone()).collect();
    assert_eq!(labels, vec!["Rotate the internal secrets", "Overall action status"]);
    fx.apply(|w, c| run_step(w, c, &id));
    let progress = fx.world.operations.get(&id).unwrap().steps[0].progress.unwrap();
    assert_eq!((progress.done, progress.total), (1, 6));
    let op = run(&mut fx, &id);
    assert_eq!(op.state, OperationState::Succeeded);
    let after = stamp(&fx);
    for (old, new) in before.internal_secrets.iter().zip(&after.internal_secrets) {
        assert_eq!(new.generation, 1);
        assert!(new.not_after >= old.not_after);
        if old.kind == InternalSecretKind::ServiceAccountPassword {
            assert!(new.not_after > old.not_after, "a password lasts a year again");
        }
        assert_ne!(
            before.sealed[&format!("internal/{}", old.name)],
            after.sealed[&format!("internal/{}", old.name)]
        );
        if old.kind == InternalSecretKind::Certificate {
            assert_ne!(old.thumbprint, new.thumbprint);
        }
    }
    assert_eq!(after.certificates, before.certificates, "external certificates untouched");
    assert_eq!((after.rotations, after.internal_generation), (1, 1));
}

#[test]
fn a_share_is_checked_whole_before_anything_changes_each_failure_with_its_code() {
    let mut fx = with_stamp(1811);
    let good = share(&mut fx, ShareIssuer::DeploymentAuthority, 365);
    let moved = |files: &[CertificateFile], from: &str, to: &str| -> Vec<CertificateFile> {
        files.iter().map(|f| CertificateFile { path: f.path.replace(from, to), ..f.clone() }).collect()
    };
    let top = code(&mut fx, &external(moved(&good, "Certificates", "Certs")));
    assert_eq!(top, ErrorCode::CertificateShareLayoutInvalid);
    let message = start(&mut fx, &external(moved(&good, "\\AAD\\", "\\ADFS\\"))).unwrap_err().message;
    assert!(message.contains(CMDLET_LAYOUT_ERROR) && message.contains("Certificates\\AAD"), "{message}");
    let forward = moved(&good, "\\", "/");
    let mut missing = forward.clone();
    missing.retain(|f| !f.path.contains("/KeyVault/"));
    assert_eq!(code(&mut fx, &external(missing)), ErrorCode::CertificateEndpointMissing);
    let wrong =
        StartSecretRotationRequest { certificate_password: Some("nope".into()), ..external(good.clone()) };
    assert_eq!(code(&mut fx, &wrong), ErrorCode::CertificatePasswordInvalid);
    let mut swapped = good.clone();
    let (a, b) = (swapped[0].content.clone(), swapped[1].content.clone());
    (swapped[0].content, swapped[1].content) = (b, a);
    assert_eq!(code(&mut fx, &external(swapped)), ErrorCode::CertificateNameMismatch);
    let expired = share(&mut fx, ShareIssuer::DeploymentAuthority, 0);
    assert_eq!(code(&mut fx, &external(expired)), ErrorCode::CertificateExpired);
    let mut short = good.clone();
    short[0] = file_for(&mut fx, &good[0].path, StampEndpoint::AcsBlob, 1024, None);
    assert_eq!(code(&mut fx, &external(short)), ErrorCode::CertificateKeyTooShort);
    let self_signed = share(&mut fx, ShareIssuer::SelfSigned, 365);
    assert_eq!(code(&mut fx, &external(self_signed)), ErrorCode::CertificateAuthorityChangeNotSupported);
    let no_password = StartSecretRotationRequest { certificate_password: None, ..external(good.clone()) };
    assert_eq!(code(&mut fx, &no_password), ErrorCode::InvalidSecretRotationParameters);
    let both = StartSecretRotationRequest { internal: true, ..external(good.clone()) };
    assert_eq!(code(&mut fx, &both), ErrorCode::InvalidSecretRotationParameters);
    assert_eq!(
        code(&mut fx, &StartSecretRotationRequest::default()),
        ErrorCode::InvalidSecretRotationParameters
    );

    let id = start(&mut fx, &external(forward)).unwrap();
    let again = start(&mut fx, &internal()).unwrap_err();
    assert_eq!(again.code, ErrorCode::SecretRotationInProgress);
    assert_eq!(run(&mut fx, &id).state, OperationState::Succeeded);
}

/// One `.pfx` for `endpoint` with a new key of `bits`, self-signed or from `issuer`.
fn file_for(
    fx: &mut Fx,
    path: &str,
    endpoint: StampEndpoint,
    bits: usize,
    key: Option<rsa::PrivateKey>,
) -> CertificateFile {
    let authority = {
        let s = stamp(fx);
        let record = s.authorities.iter().find(|a| a.name == DEPLOYMENT_AUTHORITY).unwrap().clone();
        let slot = format!("authority/{DEPLOYMENT_AUTHORITY}");
        let sealed = s.sealed[&slot].clone();
        fx.run(|_, c| {
            let pkcs8 = c.keys.open(&stamp_binding(STAMP, &slot), &sealed)?;
            Ok(pki::KeyedCertificate {
                der: crypto::unb64(&record.certificate).unwrap(),
                key: crypto::private_key_from_pkcs8(&pkcs8).unwrap(),
            })
        })
        .unwrap()
    };
    let names = vec![endpoint.host("east", "azurestack.contoso.test")];
    let validity = pki::Validity { not_before: fx.now, not_after: Timestamp(fx.now.0 + 365 * DAY) };
    let leaf_key = pki::new_key(bits, &mut fx.rng).unwrap();
    let mut issued = pki::issue(
        &pki::Profile::Server(&names),
        leaf_key,
        validity,
        Some((DEPLOYMENT_AUTHORITY, &authority)),
        &mut fx.rng,
    )
    .unwrap();
    if let Some(key) = key {
        issued.key = key;
    }
    let pfx = pki::write_pfx(&issued, &[&authority.der], PASSWORD).unwrap();
    CertificateFile { path: path.to_owned(), content: crypto::b64(&pfx) }
}

#[test]
fn a_run_failing_partway_keeps_the_rest_on_old_certificates_and_only_a_re_run_may_follow() {
    let mut fx = with_stamp(1811);
    assert_eq!(
        code(&mut fx, &StartSecretRotationRequest { re_run: true, ..internal() }),
        ErrorCode::ReRunWithoutFailedRotation
    );
    let mut files = share(&mut fx, ShareIssuer::DeploymentAuthority, 365);
    // The fourth endpoint's file carries a key that is not its certificate's.
    let stranger = pki::new_key(2048, &mut fx.rng).unwrap();
    let path = files[3].path.clone();
    files[3] = file_for(&mut fx, &path, StampEndpoint::ALL[3], 2048, Some(stranger));
    let old: Vec<String> =
        StampEndpoint::of(IdentityProvider::Aad).iter().map(|e| thumbprint(&fx, *e)).collect();
    let id = start(&mut fx, &external(files.clone())).unwrap();
    let failed = run(&mut fx, &id);
    assert_eq!(failed.state, OperationState::Failed);
    assert_eq!(failed.error.as_ref().unwrap().code, ErrorCode::CertificateKeyMismatch);
    assert!(failed.error.unwrap().message.contains("Admin Extension Host"));
    let now: Vec<String> =
        StampEndpoint::of(IdentityProvider::Aad).iter().map(|e| thumbprint(&fx, *e)).collect();
    assert!(now[..3].iter().zip(&old[..3]).all(|(n, o)| n != o), "the first three switched");
    assert_eq!(now[3..], old[3..], "the failed one and the rest keep their old certificates");
    assert_eq!(failed_run(&fx.world, STAMP), Some(RotationScope::External));

    assert_eq!(code(&mut fx, &external(files.clone())), ErrorCode::ReRunRequired);
    assert_eq!(
        code(&mut fx, &StartSecretRotationRequest { re_run: true, ..internal() }),
        ErrorCode::ReRunRequired
    );
    let fixed = share(&mut fx, ShareIssuer::DeploymentAuthority, 365);
    let id = start(&mut fx, &StartSecretRotationRequest { re_run: true, ..external(fixed) }).unwrap();
    assert!(fx.world.operations.get(&id).unwrap().kind.label().ends_with("(re-run)"));
    assert_eq!(run(&mut fx, &id).state, OperationState::Succeeded);
    assert_eq!(failed_run(&fx.world, STAMP), None);
    assert!(stamp(&fx).pending_certificates.is_empty());
    assert!(!stamp(&fx).sealed.keys().any(|slot| slot.starts_with("pending/")));
}

#[test]
fn before_1811_one_run_does_both_and_a_second_run_needs_an_update() {
    let mut fx = with_stamp(1809);
    let files = share(&mut fx, ShareIssuer::PublicAuthority, 365);
    let id = start(&mut fx, &external(files)).unwrap();
    let op = run(&mut fx, &id);
    assert_eq!(op.steps.len(), 1 + 11 + 1, "internal, each endpoint, the status");
    assert_eq!(op.state, OperationState::Succeeded);
    assert!(
        stamp(&fx)
            .certificates
            .iter()
            .all(|c| c.issuer_kind == IssuerKind::Public && c.issuer == PUBLIC_AUTHORITY)
    );
    assert_eq!(stamp(&fx).internal_generation, 1);
    assert_eq!(code(&mut fx, &internal()), ErrorCode::StampUpdateRequired);
    // The remedy: update the stamp, forward only.
    assert_eq!(update_stamp(&fx.world, STAMP, 1803).unwrap_err().code, ErrorCode::Conflict);
    assert_eq!(update_stamp(&fx.world, STAMP, 1810).unwrap_err().code, ErrorCode::InvalidRequest);
    fx.world = update_stamp(&fx.world, STAMP, 1811).unwrap();
    let id = start(&mut fx, &internal()).unwrap();
    assert_eq!(run(&mut fx, &id).state, OperationState::Succeeded);
    fx.world.stamps.get_mut(STAMP).unwrap().version = 1802;
    assert_eq!(code(&mut fx, &internal()), ErrorCode::StampUpdateRequired);
}

#[test]
fn an_adfs_stamp_has_adfs_and_graph_certificates_too() {
    let mut fx = Fx::new();
    fx.apply(|w, c| create_stamp(w, c, "azs-adfs", 1903, IdentityProvider::Adfs));
    let stamp = fx.world.stamps.get("azs-adfs").unwrap();
    assert_eq!(stamp.certificates.len(), 13);
    assert!(stamp.certificates.iter().any(|c| c.endpoint == StampEndpoint::Graph));
    let taken = fx.run(|w, c| create_stamp(w, c, "azs-adfs", 1903, IdentityProvider::Adfs)).unwrap_err();
    assert_eq!(taken.code, ErrorCode::Conflict);
    let odd = fx.run(|w, c| create_stamp(w, c, "other", 1900, IdentityProvider::Aad)).unwrap_err();
    assert_eq!(odd.code, ErrorCode::InvalidRequest);
    let bad = fx.run(|w, c| create_stamp(w, c, "1-bad", 1811, IdentityProvider::Aad)).unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidName);
}

#[test]
fn the_certificate_authority_table_by_version() {
    let mut fx = with_stamp(1803);
    use IssuerKind::*;
    let mut allowed = |version: u16, from: IssuerKind, to: IssuerKind, issuer: &str| {
        fx.world.stamps.get_mut(STAMP).unwrap().version = version;
        authority_change(stamp(&fx), from, to, issuer).is_ok()
    };
    let same = DEPLOYMENT_AUTHORITY;
    for from in [SelfSigned, Enterprise, Public] {
        for version in [1803, 1811, 1903, 2002] {
            assert!(!allowed(version, from, SelfSigned, "x"), "never to self-signed");
            assert!(allowed(version, from, Public, PUBLIC_AUTHORITY), "to public from 1803");
        }
        assert!(allowed(1903, from, Enterprise, "Fabrikam CA"), "to any enterprise CA from 1903");
    }
    assert!(!allowed(1811, SelfSigned, Enterprise, same));
    assert!(!allowed(1811, Public, Enterprise, same));
    assert!(allowed(1803, Enterprise, Enterprise, same), "the same enterprise CA from 1803");
    assert!(!allowed(1811, Enterprise, Enterprise, "Fabrikam CA"), "another one only from 1903");

    // The table the portal shows is read off the same rule.
    assert_eq!(authority_change_rule(SelfSigned, SelfSigned), "Not supported");
    assert_eq!(authority_change_rule(SelfSigned, Enterprise), "1903 and later");
    assert_eq!(authority_change_rule(Public, Public), "1803 and later");
    assert_eq!(
        authority_change_rule(Enterprise, Enterprise),
        "1803 and later; before 1903 only with the enterprise CA used at deployment"
    );
}

#[test]
fn the_bmc_credential_takes_a_required_password_and_a_short_user_name() {
    let mut fx = with_stamp(1811);
    let set = |user: Option<&str>, password: &str| SetBmcCredentialRequest {
        bmc_user: user.map(str::to_owned),
        bmc_password: password.to_owned(),
    };
    let before = stamp(&fx).sealed["bmc"].clone();
    for bad in [set(Some("a-user-name-of-17"), "pw"), set(None, ""), set(Some(""), "pw")] {
        let refused = fx.run(|w, c| set_bmc_credential(w, c, STAMP, &bad)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidBmcCredential);
    }
    fx.apply(|w, c| set_bmc_credential(w, c, STAMP, &set(Some("bmc-operator-16c"), "n3w-pass")));
    assert_eq!(stamp(&fx).bmc_user, "bmc-operator-16c");
    assert_ne!(stamp(&fx).sealed["bmc"], before);
    fx.apply(|w, c| set_bmc_credential(w, c, STAMP, &set(None, "another")));
    assert_eq!(stamp(&fx).bmc_user, "bmc-operator-16c", "no user name keeps the current one");
}

#[test]
fn a_share_password_a_pfx_cannot_hold_is_refused_as_bad_input() {
    let mut fx = with_stamp(1903);
    for password in ["", "key \u{1F511}"] {
        let refused = fx
            .run(|w, c| issue_certificate_share(w, c, STAMP, ShareIssuer::SelfSigned, 30, password))
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidSecretRotationParameters, "{password:?}");
    }
    let accepted =
        fx.run(|w, c| issue_certificate_share(w, c, STAMP, ShareIssuer::SelfSigned, 30, "Grüße \u{0}"));
    assert!(accepted.is_ok(), "{accepted:?}");
}
