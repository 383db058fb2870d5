//! One folder per page (blade).

pub mod access_control;
pub mod accounts;
pub mod activity_log;
pub mod api_keys;
pub mod device_manager;
pub mod encryption;
pub mod encryption_at_rest;
pub mod home;
pub mod identities;
pub mod key_vaults;
pub mod overview;
pub mod secrets;
pub mod signin;
pub mod subscription;
pub mod troubleshoot;
