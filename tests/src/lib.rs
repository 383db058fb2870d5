//! Harness for Keyblade's black-box tests: a real server on 127.0.0.1 with a temporary data
//! directory, and real headless Chromium driven through ChromeDriver.
//!
//! Nothing here skips: a missing browser or portal build fails the test with a message that
//! says how to get it (`cargo xtask test` installs and builds everything).

mod api;
mod browser;
pub mod scenario;
mod server;

pub use api::{Api, Reply, assert_envelope, ec_key_pkcs8, test_key_pkcs8, transfer};
pub use browser::{Browser, Portal};
pub use server::TestServer;
