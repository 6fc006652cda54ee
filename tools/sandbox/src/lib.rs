//! In-process Stylus chain for Bulwark's tests and tools.
//!
//! - [`activation`]: the offline activation check (`bulwark-sandbox check`).
//! - [`pricing`]: every ink and gas constant, named by ArbOS version.

pub mod activation;
pub mod pricing;
