//! Keyblade's engine. Pure functions over plain data: no I/O.
//!
//! - [`access`]: who may do what — roles at scopes, and the one authorization decision.
//! - [`audit`]: the hash-chained audit trail.
//! - [`model`]: the entities and the [`model::World`] holding them.
//! - [`validation`]: input rules and key vault URI parsing.
//! - [`code`]: every error code and its words.
//! - [`catalog`]: failures, their diagnosis from the state, one-click fixes.
//! - [`ops`]: state-in, state-out operations (and [`ops::diagnose`]).
//! - [`crypto`]: RSA, key transfer, AES key wrap, AES-GCM sealing.
//! - [`api`]: request/response types and secret-free views.
//! - [`service`]: every API endpoint, once: typed request, what it does, route.
//! - [`queries`]: what the API answers on reads, and how a missing entity is reported.
//! - [`demo`]: the seeded demo world.

pub mod access;
pub mod api;
pub mod audit;
pub mod catalog;
mod catalog_text;
pub mod code;
pub mod crypto;
pub mod demo;
pub mod model;
pub mod ops;
pub mod pki;
pub mod queries;
pub mod service;
pub mod time;
pub mod validation;
