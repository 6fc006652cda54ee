//! Export of a contract's Solidity interface, with its errors and events.
//!
//! The SDK prints the functions of a contract's interface. Bulwark adds the
//! errors and events each module declares in its `.sol` file, inside the
//! interface that owns them, so that `solc` puts them in the JSON ABI and a
//! dApp can decode every revert and log.

use core::fmt;
use std::string::String;

use stylus_sdk::abi::export::GenerateAbi;

/// License line of the generated files.
const LICENSE: &str = "// SPDX-License-Identifier: MIT";
/// Compiler range of the generated files.
const PRAGMA: &str = "pragma solidity ^0.8.23;";

struct Interface<T>(core::marker::PhantomData<T>);

impl<T: GenerateAbi> fmt::Display for Interface<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt_abi(f)
    }
}

/// The Solidity source of `T`'s interface, with `declarations` inserted: each
/// pair names an interface (as the SDK prints it, e.g. `IVault`) and the
/// error and event declarations to put inside it; and each function's return
/// values named from `returns` (by signature, the dispatch table's
/// `return_names()`).
#[must_use]
pub fn interface_source<T: GenerateAbi>(
    declarations: &[(&str, &str)],
    returns: &[(&str, &[&str])],
) -> String {
    let printed = Interface::<T>(core::marker::PhantomData).to_string();
    let mut out = format!("{LICENSE}\n{PRAGMA}\n");
    let mut current: Option<&str> = None;
    let declared = |name: &str| {
        declarations.iter().any(|(_, decls)| {
            decls.lines().any(|l| {
                l.trim()
                    .strip_prefix("error ")
                    .is_some_and(|rest| rest.split('(').next() == Some(name))
            })
        })
    };
    for line in printed.lines() {
        let trimmed = line.trim();
        // The SDK prints errors without parameter names; keep the named declaration instead.
        if let Some(rest) = trimmed.strip_prefix("error ") {
            if declared(rest.split('(').next().unwrap_or_default()) {
                continue;
            }
        }
        if let Some(rest) = trimmed.strip_prefix("interface ") {
            let name = rest.split([' ', '{']).next().unwrap_or_default();
            current = declarations.iter().find(|(n, _)| *n == name).map(|(_, d)| *d);
        }
        if trimmed == "}" {
            if let Some(decls) = current.take() {
                out.push('\n');
                for decl in decls.lines().filter(|l| !l.trim().is_empty()) {
                    out.push_str("    ");
                    out.push_str(decl.trim());
                    out.push('\n');
                }
            }
        }
        if let Some(declaration) = trimmed.strip_prefix("function ") {
            let signature = crate::dispatch::canonical_signature(declaration);
            if let Some((_, names)) = returns.iter().find(|(s, _)| *s == signature) {
                out.push_str(&crate::dispatch::name_returns(line, names));
                out.push('\n');
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Prints [`interface_source`] to standard output (the `export-abi` binaries).
pub fn print<T: GenerateAbi>(declarations: &[(&str, &str)], returns: &[(&str, &[&str])]) {
    print!("{}", interface_source::<T>(declarations, returns));
}

/// Error and event declarations of the roles module, for [`print`].
pub const ROLES: (&str, &str) = ("IRoles", include_str!("roles.sol"));
