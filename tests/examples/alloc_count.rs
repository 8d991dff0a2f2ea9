//! A fixed, repeatable run of the allocation paths, for counting
//! instructions: `valgrind --tool=callgrind --toggle-collect='alloc_count::measure_*'`
//! on the release build, then divide each function's inclusive count by
//! `OPS`. The workload is the `alloc` bench's (8..=4096 bytes, a window of
//! 512 live blocks); C's heap is observed, as with `TrackingAllocator`
//! installed.
//!
//! `cargo build --release -p ffi-guard-tests --example alloc_count`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

use ffi_guard_rt::TrackingAllocator;
use ffi_guard_tests::glibc::{Glibc, heap_c_libc_loop, heap_c_malloc_loop};
use ffi_guard_tests::{Widget, raw, sum_bytes, widget_free, widget_id, widget_new};

const OPS: usize = 100_000;
const WINDOW: usize = 512;

static TRACKING: TrackingAllocator = TrackingAllocator::new();

fn workload<A: GlobalAlloc>(a: &A, ops: usize) {
    let mut x = 0x9E37_79B9u64;
    let mut slots: Vec<(*mut u8, Layout)> = Vec::with_capacity(WINDOW);
    for _ in 0..ops {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let size = 8 + (x % 4089) as usize;
        let layout = Layout::from_size_align(size, 8).expect("a valid layout");
        // SAFETY: a non-zero layout, freed with it below.
        let p = unsafe { a.alloc(layout) };
        assert!(!p.is_null());
        // SAFETY: `p` holds `size` bytes.
        unsafe { p.write(x as u8) };
        if slots.len() < WINDOW {
            slots.push((p, layout));
        } else {
            let i = (x >> 40) as usize % WINDOW;
            let (old, old_layout) = std::mem::replace(&mut slots[i], (p, layout));
            // SAFETY: `old` came from `a.alloc(old_layout)`.
            unsafe { a.dealloc(black_box(old), old_layout) };
        }
    }
    for (p, layout) in slots {
        // SAFETY: as above.
        unsafe { a.dealloc(p, layout) };
    }
}

#[inline(never)]
fn measure_glibc() {
    workload(&Glibc, OPS);
}

#[inline(never)]
fn measure_system() {
    workload(&System, OPS);
}

#[inline(never)]
fn measure_tracking() {
    workload(&TRACKING, OPS);
}

#[inline(never)]
fn measure_c_libc_loop() {
    // SAFETY: a self-contained C loop.
    black_box(unsafe { heap_c_libc_loop(OPS) });
}

#[inline(never)]
fn measure_c_malloc_loop() {
    // SAFETY: a self-contained C loop.
    black_box(unsafe { heap_c_malloc_loop(OPS) });
}

#[inline(never)]
fn measure_slice_raw(p: *mut u8) {
    for _ in 0..OPS {
        // SAFETY: `p` holds 64 bytes.
        black_box(unsafe { raw::sum_bytes(black_box(p), black_box(64)) });
    }
}

#[inline(never)]
fn measure_slice_guarded(p: *mut u8) {
    for _ in 0..OPS {
        // SAFETY: `p` holds 64 bytes.
        black_box(unsafe { sum_bytes(black_box(p), black_box(64)) });
    }
}

/// `block_of` for an interior address of each live block of the workload,
/// then for a stack address no block holds: what a check pays that cannot
/// take the slice fast path.
#[inline(never)]
fn measure_lookup_inside(addrs: &[usize]) {
    for k in 0..OPS {
        black_box(TrackingAllocator::__block_of(black_box(
            addrs[k % addrs.len()],
        )));
    }
}

#[inline(never)]
fn measure_lookup_outside(addr: usize) {
    for _ in 0..OPS {
        black_box(TrackingAllocator::__block_of(black_box(addr)));
    }
}

/// A C handle (a `malloc`ed widget) passed to a guarded function: the
/// check every call with a library's handle pays.
#[inline(never)]
fn measure_handle_raw(w: *mut Widget) {
    for _ in 0..OPS {
        // SAFETY: `w` is a live widget.
        black_box(unsafe { raw::widget_id(black_box(w)) });
    }
}

#[inline(never)]
fn measure_handle_guarded(w: *mut Widget) {
    for _ in 0..OPS {
        // SAFETY: `w` is a live widget.
        black_box(unsafe { widget_id(black_box(w)) });
    }
}

fn main() {
    TrackingAllocator::__set_observing_c_heap(true);
    // Warm: the table's shards exist before counting.
    workload(&TRACKING, 2 * WINDOW);
    measure_glibc();
    measure_system();
    measure_tracking();
    measure_c_libc_loop();
    measure_c_malloc_loop();
    // A tracked 64-byte block among the workload's live blocks.
    let layout = Layout::from_size_align(64, 8).expect("a valid layout");
    // SAFETY: a non-zero layout, freed below.
    let p = unsafe { TRACKING.alloc(layout) };
    assert!(!p.is_null());
    // SAFETY: `p` holds 64 bytes.
    unsafe { p.write_bytes(3, 64) };
    measure_slice_raw(p);
    measure_slice_guarded(p);
    // SAFETY: from `TRACKING.alloc(layout)`.
    unsafe { TRACKING.dealloc(p, layout) };
    let live: Vec<(*mut u8, Layout)> = (0..WINDOW)
        .map(|k| {
            let layout = Layout::from_size_align(8 + k * 7 % 4089, 8).expect("a valid layout");
            // SAFETY: a non-zero layout, freed below.
            (unsafe { TRACKING.alloc(layout) }, layout)
        })
        .collect();
    let inside: Vec<usize> = live
        .iter()
        .map(|(p, l)| *p as usize + l.size() / 2)
        .collect();
    measure_lookup_inside(&inside);
    let stack = [0u8; 64];
    measure_lookup_outside(black_box(stack.as_ptr() as usize + 8));
    // SAFETY: a NUL-terminated name; the widget is freed below.
    let w = unsafe { widget_new(c"w".as_ptr()) };
    assert!(!w.is_null());
    measure_handle_raw(w);
    measure_handle_guarded(w);
    // SAFETY: from `widget_new`, freed once.
    unsafe { widget_free(w) };
    for (p, layout) in live {
        // SAFETY: from `TRACKING.alloc(layout)`.
        unsafe { TRACKING.dealloc(p, layout) };
    }
    println!("{OPS} operations per measure_* function");
}
