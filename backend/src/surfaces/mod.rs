//! The protocol adapters: Key Protect, the Key Vault data plane and Data Box (with the token
//! endpoints their SDKs call), and Element. Each decodes its protocol, authenticates through the
//! [`Gateway`](crate::gateway::Gateway), makes one endpoint call and encodes the answer the way
//! its cloud does. None of them reaches the store, the world or `shared::ops`.

pub mod azure;
pub mod element;
pub mod keyprotect;
