# What scripts/real-clients.sh and scripts/real-clients-time.sh know of each
# client; sourced by both.

# rusqlite 0.41.1's own tests use `std::assert_matches`, which the stable
# Rust of this repository's CI (1.95) does not have yet: its suite (all three
# variants alike) runs on nightly.
toolchain_of() { case $1 in sqlite) echo nightly ;; *) echo "${RUSTUP_TOOLCHAIN:-}" ;; esac; }

wrapper_of() { case $1 in zlib) echo flate2 ;; sqlite) echo rusqlite ;; esac; }
features_of() {
  case $1 in
    zlib) echo "--no-default-features --features zlib" ;;
    sqlite) echo "--features bundled" ;;
  esac
}
