//! A panic inside a guarded export is reported once, as a finding, and never
//! also handed to the panic hook that was installed before the runtime's; a
//! panic anywhere else still reaches that hook (the runtime's hook chains).
//! Alone in its binary: the panic hook is process-wide.

use std::ffi::c_int;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use ffi_guard_rt::{Checkpoint, FindingKind, ffi_guard};
use ffi_guard_tests::raw;

static PREVIOUS_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);
static PREVIOUS_HOOK_SAW: Mutex<Vec<String>> = Mutex::new(Vec::new());

#[ffi_guard(on_error = -1)]
extern "C" fn hook_panics(x: c_int) -> c_int {
    if x > 0 {
        panic!("export refused {x}");
    }
    x
}

#[test]
fn export_panics_skip_the_previous_hook_other_panics_reach_it() {
    std::panic::set_hook(Box::new(|info| {
        PREVIOUS_HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if let Ok(mut v) = PREVIOUS_HOOK_SAW.lock() {
            v.push(text);
        }
    }));
    let cp = Checkpoint::now_all_threads();
    // From C, on this thread and on a thread C creates; twice, so that the
    // second call takes the settled path.
    for _ in 0..2 {
        assert_eq!(unsafe { raw::call_plain(hook_panics, 5) }, -1);
        assert_eq!(unsafe { raw::call_plain_in_thread(hook_panics, 6) }, -1);
    }
    assert_eq!(unsafe { raw::call_plain(hook_panics, -3) }, -3);
    let caught = std::panic::catch_unwind(|| panic!("outside any export"));
    assert!(caught.is_err());

    let saw = PREVIOUS_HOOK_SAW
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    assert_eq!(saw, vec!["outside any export".to_owned()]);
    assert_eq!(PREVIOUS_HOOK_CALLS.load(Ordering::SeqCst), 1);

    let panics: Vec<_> = cp
        .findings()
        .into_iter()
        .filter(|f| f.kind == FindingKind::Panic && f.function == "hook_panics")
        .collect();
    assert_eq!(panics.len(), 4, "{panics:#?}");
    for f in &panics {
        // The location is known only to the hook: it saw the panic as inside.
        assert!(
            f.message.contains("export_panic_hook.rs") && f.message.contains("export refused"),
            "{}",
            f.message
        );
    }
    if cfg!(target_os = "linux") {
        // Called through a function pointer, the export has its own frame.
        assert!(ffi_guard_rt::__private::framed_exports_for_tests() >= 1);
    }
    let _ = std::panic::take_hook();
}
