//! The callback user-data pattern, shared by `callback_userdata.rs` (no
//! tracking allocator) and `callback_userdata_tracked.rs` (with one): Rust
//! gives C a pointer of its own through a `consume` function, C passes it
//! back to guarded callbacks and finally to a guarded destructor callback,
//! which frees it. SPEC §2: the consumed pointer is C's, and C may pass it
//! anywhere, back to Rust too; from then on Rust owns it again. So none of
//! this is a finding, every body runs, and the destructor's free is a
//! normal one.

#![allow(dead_code)]

use std::ffi::{c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ffi_guard_rt::{Checkpoint, ffi_guard};
use ffi_guard_tests::{Widget, widget_free, widget_free_count, widget_id, widget_new};

/// `void (*)(void *)`
pub type UdCb = Option<extern "C" fn(*mut c_void)>;

#[ffi_guard]
unsafe extern "C" {
    /// C keeps `ud` until it hands it to the destructor.
    #[ffi_guard(consume(ud))]
    pub fn ud_register(cb: UdCb, ud: *mut c_void) -> c_int;
    pub fn ud_fire(id: c_int);
    pub fn ud_unregister(id: c_int, dtor: UdCb);
}

/// The user data of the Rust-box tests.
pub struct Counter {
    fires: u64,
    /// Where the destructor leaves the number of fires.
    out: Arc<AtomicU64>,
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.out.store(self.fires, Ordering::SeqCst);
    }
}

#[ffi_guard]
pub extern "C" fn on_fire(ud: *mut c_void) {
    let c = unsafe { &mut *ud.cast::<Counter>() };
    c.fires += 1;
}

#[ffi_guard]
pub extern "C" fn drop_counter(ud: *mut c_void) {
    drop(unsafe { Box::from_raw(ud.cast::<Counter>()) });
}

/// Bodies of the widget callbacks that ran (the widget tests run one at a
/// time, see `WIDGET_SERIAL`).
pub static WIDGET_FIRES: AtomicUsize = AtomicUsize::new(0);
pub static WIDGET_DTORS: AtomicUsize = AtomicUsize::new(0);
pub static WIDGET_SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub const ON_FIRE_WIDGET_LINE: u32 = line!() + 2;
#[ffi_guard]
pub extern "C" fn on_fire_widget(ud: *mut c_void) {
    // A guarded call of Rust's own, with the pointer C handed back.
    let id = unsafe { widget_id(ud.cast::<Widget>()) };
    assert!(id > 0);
    WIDGET_FIRES.fetch_add(1, Ordering::SeqCst);
}

#[ffi_guard]
pub extern "C" fn free_widget(ud: *mut c_void) {
    unsafe { widget_free(ud.cast::<Widget>()) };
    WIDGET_DTORS.fetch_add(1, Ordering::SeqCst);
}

/// A Rust box as user data: both fires and the destructor run, the box is
/// freed once, and nothing is a finding.
pub fn rust_box_round_trip() {
    let out = Arc::new(AtomicU64::new(u64::MAX));
    let ud = Box::into_raw(Box::new(Counter {
        fires: 0,
        out: Arc::clone(&out),
    }));
    let cp = Checkpoint::now();
    let id = unsafe { ud_register(Some(on_fire), ud.cast()) };
    assert!(id >= 0, "no free slot");
    unsafe {
        ud_fire(id);
        ud_fire(id);
        ud_unregister(id, Some(drop_counter));
    }
    cp.assert_clean();
    assert_eq!(out.load(Ordering::SeqCst), 2, "a callback body was skipped");
    assert_eq!(Arc::strong_count(&out), 1, "the user data was not freed");
}

/// A C pointer as user data: the callbacks use it and the destructor
/// releases it through guarded imports, which are Rust's own calls on a
/// pointer it owns again. Nothing is a finding, not even a leak.
pub fn c_pointer_round_trip() {
    let _serial = WIDGET_SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (fires, dtors) = (
        WIDGET_FIRES.load(Ordering::SeqCst),
        WIDGET_DTORS.load(Ordering::SeqCst),
    );
    let cp = Checkpoint::now();
    let w = unsafe { widget_new(c"ud".as_ptr()) };
    assert!(!w.is_null());
    let frees = unsafe { widget_free_count() };
    let id = unsafe { ud_register(Some(on_fire_widget), w.cast()) };
    assert!(id >= 0, "no free slot");
    unsafe {
        ud_fire(id);
        ud_fire(id);
        ud_unregister(id, Some(free_widget));
    }
    cp.assert_clean();
    assert_eq!(WIDGET_FIRES.load(Ordering::SeqCst), fires + 2);
    assert_eq!(WIDGET_DTORS.load(Ordering::SeqCst), dtors + 1);
    assert!(unsafe { widget_free_count() } > frees, "not forwarded to C");
}
