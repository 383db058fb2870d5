//! Harness for Keyblade's black-box tests: a real server on 127.0.0.1 with a temporary data
//! directory, and real headless Chromium driven through ChromeDriver.
//!
//! Nothing here skips: a missing browser or portal build fails the test with a message that
//! says how to get it (`cargo xtask test` installs and builds everything).

mod api;
mod browser;
pub mod offline;
pub mod scenario;
mod server;
mod venv;

pub use api::{Api, REQUEST_HEADER, Reply, assert_envelope, ec_key_pkcs8, rng, test_key_pkcs8, transfer};
pub use browser::{Browser, Mode, Portal};
pub use server::{TestServer, dist, new_postgres_database};
pub use venv::{run_sdk_script, venv_tool};

/// Generates one `#[tokio::test]` per mode for each `async fn name(mode: Mode)` listed: modules
/// `live` (against the server) and `offline` (the static build, no `/api`).
#[macro_export]
macro_rules! in_both_modes {
    ($($name:ident),+ $(,)?) => {
        mod live {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::Mode::Live).await
            })+
        }
        mod offline {
            $(#[tokio::test]
            async fn $name() {
                super::$name($crate::Mode::Offline).await
            })+
        }
    };
}
