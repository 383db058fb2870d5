//! The domain model: every entity of the simulated cloud, held in one [`World`].
//!
//! Everything here is plain data. Maps are `BTreeMap`/`BTreeSet` so that serialising the same
//! world always yields the same bytes (the backend stores it; the offline demo persists it).

mod access;
mod api_key;
mod at_rest;
mod device;
mod directory;
mod operation;
mod order;
mod stamp;
mod subject;
mod vault;
mod world;

pub use access::*;
pub use api_key::*;
pub use at_rest::*;
pub use device::*;
pub use directory::*;
pub use operation::*;
pub use order::*;
pub use stamp::*;
pub use subject::*;
pub use vault::*;
pub use world::*;

pub use crate::crypto::PublicKeyMaterial;
pub use crate::time::Timestamp;
