//! C calling Rust: a C loop calling a plain `extern "C"` callback, a guarded
//! one (`#[ffi_guard]`: the panic catch), and the same body inside
//! `ffi_support::call_with_output`. 1,000 calls per iteration: divide the
//! time by 1,000 for one call.
//!
//! `cargo bench -p ffi-guard-tests --bench callbacks [--no-default-features]`
//!
//! After criterion's groups, an interleaved comparison prints the fastest
//! batch of each variant in thread CPU time, which the load of a shared
//! machine moves much less than one-after-the-other runs.

use std::ffi::c_int;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
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

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    targets = callbacks
}

/// The CPU time this thread has used, in nanoseconds.
fn thread_cpu_ns() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-parameter.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// Each callback's fastest C loop of `CALLS` calls, the loops run in turn:
/// CPU ns per call.
fn fastest(rounds: usize, cbs: &[raw::PlainCb]) -> Vec<f64> {
    let mut best = vec![f64::MAX; cbs.len()];
    for _ in 0..rounds {
        for (b, cb) in best.iter_mut().zip(cbs) {
            let start = thread_cpu_ns();
            black_box(unsafe { raw::loop_plain(*cb, 20 * CALLS) });
            *b = b.min((thread_cpu_ns() - start) / (20 * CALLS) as f64);
        }
    }
    best
}

fn interleaved() {
    let name = if cfg!(feature = "checks") {
        "guarded_checks_on"
    } else {
        "guarded_checks_off"
    };
    println!("interleaved, fastest loop of each, CPU ns per call:");
    for (group, cbs) in [
        (
            "callback",
            [plain as raw::PlainCb, guarded, with_ffi_support],
        ),
        (
            "callback_may_panic",
            [
                plain_may_panic as raw::PlainCb,
                guarded_may_panic,
                with_ffi_support_may_panic,
            ],
        ),
    ] {
        let r = fastest(300, &cbs);
        println!(
            "  {group}: plain {:.2}  {name} {:.2}  ffi_support {:.2}  ({:.2}x ffi_support)",
            r[0],
            r[1],
            r[2],
            r[1] / r[2]
        );
    }
}

fn main() {
    benches();
    // `cargo test --benches` runs each bench once as a smoke test.
    if std::env::args().any(|a| a == "--bench") {
        interleaved();
    }
    Criterion::default().configure_from_args().final_summary();
}
