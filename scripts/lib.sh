# Shared by the scripts in this folder: source it, do not run it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Deployable contracts and test mocks ("crate Name" each), read from the one
# list of artifacts, contracts/artifacts.txt.
CONTRACTS=()
MOCKS=()
while read -r crate name kind; do
  case "$kind" in
    contract) CONTRACTS+=("$crate $name") ;;
    mock) MOCKS+=("$crate $name") ;;
    *) echo "error: contracts/artifacts.txt: '$crate $name' has kind '$kind' (contract or mock)" >&2; exit 1 ;;
  esac
done < <(grep -v -e '^#' -e '^$' "$ROOT/contracts/artifacts.txt")

# Where scripts/build puts the artifacts.
ARTIFACTS="$ROOT/target/stylus"

die() {
  echo "error: $*" >&2
  exit 1
}

step() {
  printf '\n==> %s\n' "$*"
}
