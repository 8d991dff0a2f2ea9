//! `cargo ffi-guard check`.

pub fn run(_args: &crate::CheckArgs) -> anyhow::Result<u8> {
    anyhow::bail!("`cargo ffi-guard check` is not built yet")
}
