//! What the backend and the frontend exchange. Requests carry user input; views carry the
//! public state. Views are built from the [`World`] and leave out every sealed secret (private
//! keys, import private keys, the wrapped passkey), so nothing secret reaches a browser even
//! in ciphertext form.

mod api_keys;
mod at_rest;
mod data_plane;
mod devices;
mod keys;
mod orders;
mod session;
mod stamps;
mod vaults;
mod world;

pub use api_keys::*;
pub use at_rest::*;
pub use data_plane::*;
pub use devices::*;
pub use keys::*;
pub use orders::*;
pub use session::*;
pub use stamps::*;
pub use vaults::*;
pub use world::*;
