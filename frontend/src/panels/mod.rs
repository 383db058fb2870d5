//! Side-sheet panels used by more than one blade.

pub mod create_key;
pub mod create_vault;
pub mod create_version;
pub mod identity_picker;
pub mod key_picker;

/// A chosen key version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub vault: String,
    pub key: String,
    pub version: String,
}
