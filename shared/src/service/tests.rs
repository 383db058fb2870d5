//! The service layer's own rules: routes, request parts.

use super::*;

#[test]
fn every_route_is_unique_and_its_parameters_are_request_fields() {
    struct Check(Vec<String>);
    impl Visitor for Check {
        fn visit<E: Endpoint>(&mut self) {
            let key = E::ROUTE.key();
            assert!(!self.0.contains(&key), "{key} is listed twice");
            assert!(E::ROUTE.path.starts_with('/'));
            self.0.push(key);
        }
    }
    let mut check = Check(Vec::new());
    visit_endpoints(&mut check);
    assert!(check.0.len() >= 48);
    // The surfaces' own endpoints are dispatched by the same keys: none may shadow another.
    visit_surface_endpoints(&mut check);
    assert!(check.0.len() >= 48 + 20);
}

#[test]
fn request_parts_fill_the_path_and_keep_the_body() {
    let request = UpdateVersion {
        vault: "my kv".into(),
        key: "k/1".into(),
        version: "abc".into(),
        body: crate::api::VersionAttributes::default(),
    };
    let parts = request_parts(&request).unwrap();
    assert_eq!(parts.method, Method::Put);
    assert_eq!(parts.path, "/vaults/my%20kv/keys/k%2F1/versions/abc");
    assert_eq!(parts.body, Some(serde_json::json!({"enabled": true, "nbf": null, "exp": null})));
    let parts = request_parts(&RevertEncryption { order: "o".into(), if_match: Some(3) }).unwrap();
    assert_eq!((parts.body, parts.if_match), (None, Some(3)));
}

#[test]
fn only_the_credential_exchanges_are_for_anyone() {
    struct Anyone(Vec<&'static str>);
    impl Visitor for Anyone {
        fn visit<E: Endpoint>(&mut self) {
            if E::ROUTE.anyone {
                self.0.push(E::ROUTE.path);
            }
        }
    }
    let mut anyone = Anyone(Vec::new());
    visit_endpoints(&mut anyone);
    visit_surface_endpoints(&mut anyone);
    assert!(
        anyone.0.iter().all(|path| path.starts_with("/tokens/") || path.starts_with("/vault-addresses/"))
    );
    assert_eq!(anyone.0.len(), 5);
    let secret = Secret("kb_very_secret".into());
    let grant = IssueAccessToken { body: ApiKeyGrant { apikey: secret } };
    assert!(!format!("{grant:?}").contains("very_secret"), "a secret never shows in a log");
}
