# Shared by the scripts in this folder: source it, do not run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Deployable contracts and test mocks: crate name, then artifact name.
CONTRACTS=(
  "bulwark-oracle-adapter OracleAdapter"
  "bulwark-vault Vault"
  "bulwark-margin-engine MarginEngine"
  "bulwark-risk-engine RiskEngine"
  "bulwark-perp-market PerpMarket"
  "bulwark-options-market OptionsMarket"
)
MOCKS=(
  "bulwark-mock-erc20 MockERC20"
  "bulwark-mock-aggregator MockAggregator"
  "bulwark-mock-math-bench MathBench"
)

# Where scripts/build puts the artifacts.
ARTIFACTS="$ROOT/target/stylus"

die() {
  echo "error: $*" >&2
  exit 1
}

step() {
  printf '\n==> %s\n' "$*"
}
