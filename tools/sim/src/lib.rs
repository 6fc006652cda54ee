//! Bulwark's stress simulator.
//!
//! A scenario (TOML) describes the market (price paths, volatility moves,
//! oracle incidents) and the agents (traders, LPs, liquidators, keepers).
//! [`engine::run`] plays it block by block against a [`protocol::Protocol`]:
//! by default [`sandbox::SandboxProtocol`], the real WASM contracts in the
//! in-process Stylus chain; [`model::ModelProtocol`] is a plain-Rust
//! reference used to test the loop itself. The result is a
//! [`report::Report`] with metrics over time, liquidation latency, gas per
//! operation and every invariant checked after each block, plus charts.

pub mod agents;
pub mod charts;
pub mod engine;
pub mod invariants;
pub mod locate;
pub mod market;
pub mod metrics;
pub mod model;
pub mod pricing;
pub mod protocol;
pub mod report;
pub mod sandbox;
pub mod scenario;
pub mod sweep;
