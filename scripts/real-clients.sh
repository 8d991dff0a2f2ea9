#!/usr/bin/env bash
# Real binding crates under ffi-guard, as a new user gets them: pinned
# libz-sys/flate2 and libsqlite3-sys/rusqlite from crates.io, `#[ffi_guard]`
# put on every extern block of the -sys crate by this script (the attribute
# only, no hand annotation), and the wrapper's own test suite run three ways:
#
#   plain     the crates as published, `cargo test`
#   guarded   the guarded -sys crate, `cargo ffi-guard test` (panic mode)
#   tracked   the same with `TrackingAllocator` installed by the -sys crate
#
# Then a small planted-bug program per client (scripts/real-clients/planted-*),
# whose report must name each planted bug's kind at its line.
#
# Prints one table; exits non-zero when a test passes plain but fails
# guarded, when a guarded run has a finding, or when a planted bug is missed.
#
#   scripts/real-clients.sh [zlib|sqlite ...]     (default: both)
#
# Needs network access to crates.io the first time (cargo vendor and the
# wrappers' dev-dependencies); everything lives in target/real-clients/.

set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="$ROOT/target/real-clients"
CLIENTS=("$@")
[ ${#CLIENTS[@]} -eq 0 ] && CLIENTS=(zlib sqlite)

# Pinned versions.
FLATE2=1.1.11
LIBZ_SYS=1.1.31
RUSQLITE=0.41.1
LIBSQLITE3_SYS=0.39.1

mkdir -p "$SCRATCH"
FFI_GUARD_TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
cargo build --quiet --manifest-path "$ROOT/Cargo.toml" -p cargo-ffi-guard
FFI_GUARD="$FFI_GUARD_TARGET/debug/cargo-ffi-guard"
# One target folder for every variant and client: shared dependencies build once.
export CARGO_TARGET_DIR="$SCRATCH/target"

# --- sources -------------------------------------------------------------
if [ ! -d "$SCRATCH/vendor/rusqlite-$RUSQLITE" ]; then
  mkdir -p "$SCRATCH/fetch/src"
  cat > "$SCRATCH/fetch/Cargo.toml" <<TOML
[package]
name = "fetch"
version = "0.0.0"
edition = "2021"
publish = false
[workspace]
[dependencies]
flate2 = { version = "=$FLATE2", default-features = false, features = ["zlib"] }
libz-sys = "=$LIBZ_SYS"
rusqlite = { version = "=$RUSQLITE", features = ["bundled"] }
libsqlite3-sys = "=$LIBSQLITE3_SYS"
TOML
  : > "$SCRATCH/fetch/src/lib.rs"
  (cd "$SCRATCH/fetch" && cargo vendor --quiet --versioned-dirs "$SCRATCH/vendor" >/dev/null)
fi

# Copies a vendored crate to $2, as its own workspace.
copy_crate() {
  rm -rf "$2"
  cp -r "$SCRATCH/vendor/$1" "$2"
  rm -f "$2/.cargo-checksum.json"
  printf '\n[workspace]\n' >> "$2/Cargo.toml"
}

# Puts `#[ffi_guard]` on every `extern "C" {` block of the given files and
# makes the crate depend on ffi-guard-rt; with "tracked", the crate also
# installs TrackingAllocator for every program that links it.
guard_sys() {
  local dir=$1 variant=$2 lib=$3; shift 3
  python3 - "$@" <<'PY'
import re, sys
for path in sys.argv[1:]:
    text = open(path).read()
    text, n = re.subn(r'(?m)^([ \t]*)((?:pub[ \t]+)?(?:unsafe[ \t]+)?extern[ \t]+"C"[ \t]*\{)',
                      r'\1#[ffi_guard_rt::ffi_guard]\n\1\2', text)
    open(path, 'w').write(text)
    print(f"  {path.split('/target/real-clients/')[-1]}: {n} extern blocks guarded")
PY
  printf '\n[dependencies.ffi-guard-rt]\npath = "%s/ffi-guard-rt"\n' "$ROOT" >> "$dir/Cargo.toml"
  if [ "$variant" = tracked ]; then
    cat >> "$dir/$lib" <<'RS'

#[global_allocator]
static FFI_GUARD_TRACKING_ALLOCATOR: ffi_guard_rt::TrackingAllocator =
    ffi_guard_rt::TrackingAllocator::new();
RS
  fi
}

# Points the wrapper at the guarded -sys crate (cargo test runs in the
# wrapper's folder, so its .cargo/config.toml applies).
patch_wrapper() {
  mkdir -p "$1/.cargo"
  printf '[patch.crates-io]\n%s = { path = "%s" }\n' "$2" "$3" > "$1/.cargo/config.toml"
}

prepare() {
  local client=$1 variant=$2 base="$SCRATCH/$1/$2"
  [ -f "$base/.ready" ] && return
  rm -rf "$base"; mkdir -p "$base"
  case $client in
    zlib)
      copy_crate "flate2-$FLATE2" "$base/flate2"
      if [ "$variant" != plain ]; then
        copy_crate "libz-sys-$LIBZ_SYS" "$base/libz-sys"
        guard_sys "$base/libz-sys" "$variant" src/lib.rs "$base/libz-sys/src/lib.rs"
        patch_wrapper "$base/flate2" libz-sys "$base/libz-sys"
      fi ;;
    sqlite)
      copy_crate "rusqlite-$RUSQLITE" "$base/rusqlite"
      if [ "$variant" != plain ]; then
        copy_crate "libsqlite3-sys-$LIBSQLITE3_SYS" "$base/libsqlite3-sys"
        guard_sys "$base/libsqlite3-sys" "$variant" src/lib.rs \
          "$base/libsqlite3-sys/sqlite3/bindgen_bundled_version.rs"
        patch_wrapper "$base/rusqlite" libsqlite3-sys "$base/libsqlite3-sys"
      fi ;;
  esac
  touch "$base/.ready"
}

# shellcheck source=real-clients/clients.sh
. "$ROOT/scripts/real-clients/clients.sh"

STATUS=0
ROWS=()
# Runs one variant; appends a table row; the log is kept next to it.
run_suite() {
  local client=$1 variant=$2 base="$SCRATCH/$1/$2"
  local dir="$base/$(wrapper_of "$client")" log="$SCRATCH/$1-$2.log"
  local feats; feats=$(features_of "$client")
  local toolchain; toolchain=$(toolchain_of "$client")
  if [ -n "$toolchain" ]; then export RUSTUP_TOOLCHAIN=$toolchain; else unset RUSTUP_TOOLCHAIN; fi
  local start end
  start=$(date +%s.%N)
  if [ "$variant" = plain ]; then
    (cd "$dir" && cargo test $feats --lib --tests --no-fail-fast) >"$log" 2>&1 || true
  else
    (cd "$dir" && FFI_GUARD_MODE=panic "$FFI_GUARD" ffi-guard test --manifest-path "$dir/Cargo.toml" \
      -- $feats --lib --tests --no-fail-fast) >"$log" 2>&1 || true
  fi
  end=$(date +%s.%N)
  unset RUSTUP_TOOLCHAIN
  local passed failed findings tests
  passed=$( (grep -Eo 'test result: [A-Za-z]+\. [0-9]+ passed' "$log" || true) | awk '{s+=$4} END {print s+0}')
  failed=$( (grep -Eo '[0-9]+ failed;' "$log" || true) | awk '{s+=$1} END {print s+0}')
  # Time inside the test binaries (what the runtime costs), apart from the build.
  tests=$( (grep -Eo 'finished in [0-9.]+s' "$log" || true) | awk '{s+=$3} END {printf "%.1f", s+0}')
  findings=$(grep -Eo '^ffi-guard: (no findings|[0-9]+ findings? in [0-9]+ groups? \([^)]*\))' "$log" | tail -1 \
    | sed -e 's/^ffi-guard: //' || true)
  [ "$variant" = plain ] && findings="-"
  [ -z "$findings" ] && findings="(no report: see $log)"
  ROWS+=("$(printf '%-7s %-8s %7s %7s %9.1fs %8ss  %s' "$client" "$variant" "$passed" "$failed" \
    "$(echo "$end - $start" | bc)" "$tests" "$findings")")
  eval "PASSED_${client}_${variant}=$passed FAILED_${client}_${variant}=$failed"
  if [ "$variant" != plain ] && [ "$findings" != "no findings" ] \
     && ! [[ "$findings" == "no findings ("* ]]; then
    STATUS=1
  fi
}

# The planted-bug program of a client, built against the tracked -sys crate:
# each `// PLANTED: kind` line must be reported as that kind at that line.
run_planted() {
  local client=$1 src="$ROOT/scripts/real-clients/planted-$1" dir="$SCRATCH/planted-$1"
  rm -rf "$dir"; cp -r "$src" "$dir"
  local sys
  case $client in zlib) sys=libz-sys ;; sqlite) sys=libsqlite3-sys ;; esac
  printf '[dependencies.ffi-guard-rt]\npath = "%s/ffi-guard-rt"\n[patch.crates-io]\n%s = { path = "%s" }\n' \
    "$ROOT" "$sys" "$SCRATCH/$client/tracked/$sys" >> "$dir/Cargo.toml"
  local log="$SCRATCH/planted-$client.log" report="$SCRATCH/planted-$client-report"
  rm -rf "$report"; mkdir -p "$report"
  (cd "$dir" && FFI_GUARD_MODE=panic FFI_GUARD_REPORT_DIR="$report" cargo run --quiet) >"$log" 2>&1 || true
  python3 - "$dir/src/main.rs" "$report" "$client" <<'PY' || STATUS=1
import json, glob, re, sys
src, report, client = sys.argv[1:]
want = []
for n, line in enumerate(open(src), 1):
    m = re.search(r'^\s*[^/\s].*// PLANTED: (\w+)\s*$', line)
    if m:
        want.append((m.group(1), n))
found = []
for f in glob.glob(report + '/*.json'):
    for x in json.load(open(f)).get('findings', []):
        found.append((x['kind'], x['site']['line'], x['site']['file']))
ok = True
for kind, line in want:
    hit = any(k == kind and l == line and fn.endswith('main.rs') for k, l, fn in found)
    print(f"  planted {client:<7} {kind:<20} line {line:<4} {'reported' if hit else 'MISSED'}")
    ok &= hit
extra = [x for x in found if (x[0], x[1]) not in want]
for x in extra:
    print(f"  planted {client:<7} unexpected {x[0]} at {x[2]}:{x[1]}")
sys.exit(0 if ok and not extra else 1)
PY
}

for client in "${CLIENTS[@]}"; do
  for variant in plain guarded tracked; do
    prepare "$client" "$variant"
  done
done
for client in "${CLIENTS[@]}"; do
  for variant in plain guarded tracked; do
    run_suite "$client" "$variant"
  done
  for variant in guarded tracked; do
    p=$(eval echo "\$PASSED_${client}_plain"); g=$(eval echo "\$PASSED_${client}_${variant}")
    [ "$g" -lt "$p" ] && STATUS=1
  done
done

echo
printf '%-7s %-8s %7s %7s %10s %9s  %s\n' client variant passed failed "wall" "in tests" findings
for r in "${ROWS[@]}"; do echo "$r"; done
echo
for client in "${CLIENTS[@]}"; do run_planted "$client"; done
echo
echo "logs and reports: $SCRATCH"
exit $STATUS
