//! `cargo ffi-guard lints`.

pub fn run() -> anyhow::Result<u8> {
    anyhow::bail!("`cargo ffi-guard lints` is not built yet")
}
