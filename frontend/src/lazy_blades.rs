//! Blades the portal loads on first use. In the release build (`--features split`, see
//! `cargo xtask build`) each blade's code is split out of the main bundle into its own wasm
//! chunk, fetched the first time its route is visited; the main bundle keeps the shell (top bar,
//! menu, activity pane, notifications). Without the feature (tests, `cargo check`) the same routes render directly.
//!
//! Splitting is done by `wasm-split` over the linked wasm, at the functions Leptos's `#[lazy]`
//! marks: those become imports resolved by a small loader, which is why this module needs the
//! `unsafe` the macro generates.
#![allow(unsafe_code)]

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::blades::{
    access_control::AccessControlBlade,
    accounts::AccountsBlade,
    activity_log::ActivityLogBlade,
    api_keys::ApiKeysBlade,
    device_manager::DeviceManagerBlade,
    encryption::EncryptionBlade,
    encryption_at_rest::EncryptionAtRestBlade,
    home::Home,
    identities::IdentitiesBlade,
    key_vaults::{DeletedVaultsBlade, KeyDetailBlade, KeyVaultsBlade, VaultBlade},
    overview::OverviewBlade,
    secrets::SecretsBlade,
    signin::SignIn,
    subscription::SubscriptionBlade,
    troubleshoot::TroubleshootBlade,
};

/// Declares a route type whose view is `$blade`, in its own chunk under the `split` feature.
macro_rules! lazy_blade {
    ($route:ident, $chunk:ident, $blade:ident) => {
        pub struct $route;

        #[cfg_attr(feature = "split", leptos::lazy($chunk))]
        fn $chunk() -> AnyView {
            view! { <$blade /> }.into_any()
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_: Self) -> AnyView {
                #[cfg(feature = "split")]
                let view = $chunk().await;
                #[cfg(not(feature = "split"))]
                let view = $chunk();
                view
            }
        }
    };
}

lazy_blade!(SignInRoute, sign_in_page, SignIn);
lazy_blade!(HomeRoute, home_blade, Home);
lazy_blade!(OverviewRoute, overview_blade, OverviewBlade);
lazy_blade!(EncryptionRoute, encryption_blade, EncryptionBlade);
lazy_blade!(KeyVaultsRoute, key_vaults_blade, KeyVaultsBlade);
lazy_blade!(DeletedVaultsRoute, deleted_vaults_blade, DeletedVaultsBlade);
lazy_blade!(VaultRoute, vault_blade, VaultBlade);
lazy_blade!(KeyDetailRoute, key_detail_blade, KeyDetailBlade);
lazy_blade!(IdentitiesRoute, identities_blade, IdentitiesBlade);
lazy_blade!(SubscriptionRoute, subscription_blade, SubscriptionBlade);
lazy_blade!(TroubleshootRoute, troubleshoot_blade, TroubleshootBlade);
lazy_blade!(ActivityLogRoute, activity_log_blade, ActivityLogBlade);
lazy_blade!(ApiKeysRoute, api_keys_blade, ApiKeysBlade);
lazy_blade!(DeviceManagerRoute, device_manager_blade, DeviceManagerBlade);
lazy_blade!(EncryptionAtRestRoute, encryption_at_rest_blade, EncryptionAtRestBlade);
lazy_blade!(SecretsRoute, secrets_blade, SecretsBlade);
lazy_blade!(AccessControlRoute, access_control_blade, AccessControlBlade);
lazy_blade!(AccountsRoute, accounts_blade, AccountsBlade);
