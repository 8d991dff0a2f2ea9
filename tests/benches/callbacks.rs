//! C calling Rust: a C loop calling a plain `extern "C"` callback, a guarded
//! one (`#[ffi_guard]`: the panic catch), and the same body inside
//! `ffi_support::call_with_output`. 1,000 calls per iteration: divide the
//! time by 1,000 for one call.
//!
//! `cargo bench -p ffi-guard-tests --bench callbacks [--no-default-features]`

use std::ffi::c_int;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ffi_guard_rt::ffi_guard;
use ffi_guard_tests::raw;

const CALLS: c_int = 1000;

#[inline(never)]
fn body(x: c_int) -> c_int {
    black_box(x).wrapping_mul(3) ^ 1
}

/// A body that may panic, as the bodies worth guarding do: with a body the
/// optimizer can prove panic-free, `catch_unwind` (and so ffi-support)
/// compiles to nothing, while the guard keeps its bookkeeping.
#[inline(never)]
fn body_may_panic(x: c_int) -> c_int {
    if black_box(x) < 0 {
        panic!("negative input {x}");
    }
    x.wrapping_mul(3) ^ 1
}

extern "C" fn plain(x: c_int) -> c_int {
    body(x)
}

extern "C" fn plain_may_panic(x: c_int) -> c_int {
    body_may_panic(x)
}

#[ffi_guard(on_error = -1)]
extern "C" fn guarded_may_panic(x: c_int) -> c_int {
    body_may_panic(x)
}

extern "C" fn with_ffi_support_may_panic(x: c_int) -> c_int {
    let mut err = ffi_support::ExternError::default();
    ffi_support::call_with_output(&mut err, || body_may_panic(x))
}

#[ffi_guard(on_error = -1)]
extern "C" fn guarded(x: c_int) -> c_int {
    body(x)
}

extern "C" fn with_ffi_support(x: c_int) -> c_int {
    let mut err = ffi_support::ExternError::default();
    ffi_support::call_with_output(&mut err, || body(x))
}

fn callbacks(c: &mut Criterion) {
    let name = if cfg!(feature = "checks") {
        "guarded_checks_on"
    } else {
        "guarded_checks_off"
    };
    let mut g = c.benchmark_group("callback_x1000");
    g.throughput(Throughput::Elements(CALLS as u64));
    g.bench_function("plain", |b| {
        b.iter(|| unsafe { raw::loop_plain(plain, CALLS) })
    });
    g.bench_function(name, |b| {
        b.iter(|| unsafe { raw::loop_plain(guarded, CALLS) })
    });
    g.bench_function("ffi_support", |b| {
        b.iter(|| unsafe { raw::loop_plain(with_ffi_support, CALLS) })
    });
    g.finish();

    let mut g = c.benchmark_group("callback_may_panic_x1000");
    g.throughput(Throughput::Elements(CALLS as u64));
    g.bench_function("plain", |b| {
        b.iter(|| unsafe { raw::loop_plain(plain_may_panic, CALLS) })
    });
    g.bench_function(name, |b| {
        b.iter(|| unsafe { raw::loop_plain(guarded_may_panic, CALLS) })
    });
    g.bench_function("ffi_support", |b| {
        b.iter(|| unsafe { raw::loop_plain(with_ffi_support_may_panic, CALLS) })
    });
    g.finish();
}

criterion_group!(benches, callbacks);
criterion_main!(benches);
