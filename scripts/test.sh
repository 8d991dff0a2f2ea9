#!/usr/bin/env bash
# The whole test suite on a fresh machine (Rust toolchain, gcc and Python):
# installs the system packages that tests use, then runs the workspace tests
# and the real clients.
#   libclang-dev  the C front end of the header checks (loaded at run time)
#   zlib1g-dev    the real zlib.h the header checks are tested against
#   chromium      the headless browser that renders the HTML report in a test
#   pkg-config    include paths of system libraries for the header checks
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libclang-dev zlib1g-dev chromium pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "scripts/test.sh: these packages are needed and missing: ${missing[*]}" >&2
    echo "install them (apt-get install ${missing[*]}) or run this script as root" >&2
    exit 2
  fi
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cargo test --workspace "$@"

# Real binding crates under the guard (scripts/real-clients.sh): their own
# test suites must pass guarded with no finding, and every planted bug must
# be reported. rusqlite's tests need a nightly toolchain (they use
# `assert_matches`), so SQLite runs where one is installed and is said to be
# skipped otherwise.
clients=(zlib)
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  clients+=(sqlite)
else
  echo "scripts/test.sh: no nightly toolchain: the SQLite real client is skipped" >&2
fi
bash scripts/real-clients.sh "${clients[@]}"
