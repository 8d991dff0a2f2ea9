//! Bindings to the C test libraries under `c/`, guarded by `#[ffi_guard]`.
