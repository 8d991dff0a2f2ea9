#!/usr/bin/env bash
# Test time of the real clients, without the build: runs the test binaries
# that scripts/real-clients.sh built, for each variant in turn, ROUNDS times
# (default 5), and prints the median wall and CPU (user + system) time per
# variant and the ratio of each guarded variant to the plain one. Run scripts/real-clients.sh first.
#
#   scripts/real-clients-time.sh [zlib|sqlite ...]     (default: both)

set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="$ROOT/target/real-clients"
CLIENTS=("$@")
[ ${#CLIENTS[@]} -eq 0 ] && CLIENTS=(zlib sqlite)
ROUNDS=${ROUNDS:-5}
export CARGO_TARGET_DIR="$SCRATCH/target"

# shellcheck source=real-clients/clients.sh
. "$ROOT/scripts/real-clients/clients.sh"

for client in "${CLIENTS[@]}"; do
  toolchain=$(toolchain_of "$client")
  declare -A BINS=()
  for variant in plain guarded tracked; do
    dir="$SCRATCH/$client/$variant/$(wrapper_of "$client")"
    # shellcheck disable=SC2046
    BINS[$variant]=$(cd "$dir" && RUSTUP_TOOLCHAIN=$toolchain cargo test $(features_of "$client") \
      --lib --tests --no-run --message-format=json 2>/dev/null \
      | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"])' | tr '\n' ' ')
  done
  python3 - "$client" "$ROUNDS" "$SCRATCH/$client" "${BINS[plain]}" "${BINS[guarded]}" "${BINS[tracked]}" <<'PY'
import os, resource, subprocess, sys, time, statistics
client, rounds, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bins = dict(zip(["plain", "guarded", "tracked"], (s.split() for s in sys.argv[4:7])))
wrapper = {"zlib": "flate2", "sqlite": "rusqlite"}[client]
times = {v: [] for v in bins}
cpu = {v: [] for v in bins}
env = dict(os.environ, FFI_GUARD_MODE="panic")
for _ in range(rounds):
    for v, exes in bins.items():
        cwd = f"{base}/{v}/{wrapper}"
        t = time.monotonic()
        c = resource.getrusage(resource.RUSAGE_CHILDREN)
        for exe in exes:
            r = subprocess.run([exe, "-q"], cwd=cwd, env=env, capture_output=True)
            if r.returncode != 0:
                sys.exit(f"{exe} failed:\n{r.stdout.decode()[-2000:]}{r.stderr.decode()[-2000:]}")
        times[v].append(time.monotonic() - t)
        d = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[v].append(d.ru_utime + d.ru_stime - c.ru_utime - c.ru_stime)
plain = statistics.median(times["plain"])
plain_cpu = statistics.median(cpu["plain"])
for v in bins:
    m = statistics.median(times[v])
    c = statistics.median(cpu[v])
    print(f"{client:<7} {v:<8} {len(bins[v])} binaries  wall median {m:6.2f}s of {rounds}  "
          f"(min {min(times[v]):.2f}s)  ratio {m / plain:.2f}x   "
          f"cpu median {c:6.2f}s  ratio {c / plain_cpu:.2f}x")
PY
  unset BINS
done
