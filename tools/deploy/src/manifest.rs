//! The one list of artifacts, `contracts/artifacts.txt`, which
//! `scripts/build` also reads.

/// What an artifact is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Deployed on chain; exports an ABI under `abi/`.
    Contract,
    /// A test-only contract, never deployed to a real chain.
    Mock,
}

/// One artifact `scripts/build` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The crate that builds it.
    pub crate_name: &'static str,
    /// Its name: `target/stylus/<name>.wasm`, `abi/<name>.sol`.
    pub name: &'static str,
    /// Deployed or test-only.
    pub kind: Kind,
}

/// The manifest's text, checked in beside the contracts.
const MANIFEST: &str = include_str!("../../../contracts/artifacts.txt");

/// Every artifact, in the manifest's order (contracts first).
///
/// # Panics
/// When the checked-in manifest is malformed (a test parses it).
pub fn artifacts() -> Vec<Artifact> {
    MANIFEST
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.split_whitespace();
            let (Some(crate_name), Some(name), Some(kind), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                panic!("contracts/artifacts.txt: '{line}' is not 'crate Name kind'");
            };
            let kind = match kind {
                "contract" => Kind::Contract,
                "mock" => Kind::Mock,
                other => panic!("contracts/artifacts.txt: kind '{other}' (contract or mock)"),
            };
            Artifact { crate_name, name, kind }
        })
        .collect()
}

/// The artifacts deployed on a real chain.
pub fn contracts() -> Vec<Artifact> {
    artifacts().into_iter().filter(|a| a.kind == Kind::Contract).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_lists_six_contracts_then_the_mocks_each_once() {
        let all = artifacts();
        let names: Vec<&str> = contracts().iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            ["OracleAdapter", "Vault", "MarginEngine", "RiskEngine", "PerpMarket", "OptionsMarket"]
        );
        assert!(all.iter().skip(names.len()).all(|a| a.kind == Kind::Mock));
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| b.name != a.name && b.crate_name != a.crate_name));
            assert!(a.crate_name.starts_with("bulwark-"), "{a:?}");
        }
    }
}
