//! Arbitrary source text through the linter's front end: parse, macro-body
//! items, index, every lint. Nothing may panic, whatever the text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cargo_ffi_guard::engine::lint_source(text);
        // Span locations accumulate per thread; start each input afresh.
        proc_macro2::extra::invalidate_current_thread_spans();
    }
});
