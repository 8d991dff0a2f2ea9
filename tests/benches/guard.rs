//! Raw versus guarded imports, side by side: a scalar `add`, a
//! `widget_new`/`widget_free` pair, and a `slice`-checked buffer call.
//!
//! Checks on:  `cargo bench -p ffi-guard-tests --bench guard`
//! Checks off: `cargo bench -p ffi-guard-tests --bench guard --no-default-features`
//! (the tests crate's `checks` feature forwards to ffi-guard-rt's; the
//! benchmark names say which build ran).
//!
//! After criterion's groups, an interleaved comparison (see `interleaved`)
//! prints the fastest batch of each variant in thread CPU time, which the
//! load of a shared machine moves much less than one-after-the-other runs.

use std::hint::black_box;
use std::ptr;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use ffi_guard_tests::{add, raw, sum_bytes, widget_free, widget_new};

const GUARDED: &str = if cfg!(feature = "checks") {
    "guarded_checks_on"
} else {
    "guarded_checks_off"
};

fn scalar(c: &mut Criterion) {
    let mut g = c.benchmark_group("add");
    g.bench_function("raw", |b| {
        b.iter(|| unsafe { raw::add(black_box(1), black_box(2)) })
    });
    g.bench_function(GUARDED, |b| {
        b.iter(|| unsafe { add(black_box(1), black_box(2)) })
    });
    g.finish();
}

fn pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("widget_new_free");
    g.bench_function("raw", |b| {
        b.iter(|| unsafe {
            let w = raw::widget_new(black_box(ptr::null()));
            raw::widget_free(black_box(w));
        })
    });
    g.bench_function(GUARDED, |b| {
        b.iter(|| unsafe {
            let w = widget_new(black_box(ptr::null()));
            widget_free(black_box(w));
        })
    });
    g.finish();
}

fn slice(c: &mut Criterion) {
    // On the heap on purpose, as the buffers C is usually given.
    #[allow(clippy::useless_vec)]
    let buf = vec![3u8; 64];
    let mut g = c.benchmark_group("sum_bytes_64");
    g.bench_function("raw", |b| {
        b.iter(|| unsafe { raw::sum_bytes(black_box(buf.as_ptr()), black_box(buf.len())) })
    });
    g.bench_function(GUARDED, |b| {
        b.iter(|| unsafe { sum_bytes(black_box(buf.as_ptr()), black_box(buf.len())) })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    targets = scalar, pair, slice
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

/// The fastest of `rounds` batches of `calls` calls of each variant, run in
/// turn, in CPU ns per call.
fn fastest(rounds: usize, calls: usize, variants: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut best = vec![f64::MAX; variants.len()];
    for _ in 0..rounds {
        for (b, f) in best.iter_mut().zip(variants.iter_mut()) {
            let start = thread_cpu_ns();
            for _ in 0..calls {
                f();
            }
            *b = b.min((thread_cpu_ns() - start) / calls as f64);
        }
    }
    best
}

/// Raw and guarded calls in turn, batch by batch; each one's fastest batch.
fn interleaved() {
    const ROUNDS: usize = 300;
    const CALLS: usize = 2000;
    #[allow(clippy::useless_vec)]
    let buf = vec![3u8; 64];
    println!("interleaved, fastest batch of each, CPU ns per call ({GUARDED}):");
    let r = fastest(
        ROUNDS,
        CALLS,
        &mut [
            &mut || unsafe {
                black_box(raw::add(black_box(1), black_box(2)));
            },
            &mut || unsafe {
                black_box(add(black_box(1), black_box(2)));
            },
        ],
    );
    println!(
        "  add:             raw {:6.2}  guarded {:6.2}  (+{:.2})",
        r[0],
        r[1],
        r[1] - r[0]
    );
    let r = fastest(
        ROUNDS,
        CALLS,
        &mut [
            &mut || unsafe {
                let w = raw::widget_new(black_box(ptr::null()));
                raw::widget_free(black_box(w));
            },
            &mut || unsafe {
                let w = widget_new(black_box(ptr::null()));
                widget_free(black_box(w));
            },
        ],
    );
    println!(
        "  widget_new_free: raw {:6.2}  guarded {:6.2}  (+{:.2})",
        r[0],
        r[1],
        r[1] - r[0]
    );
    let r = fastest(
        ROUNDS,
        CALLS,
        &mut [
            &mut || unsafe {
                black_box(raw::sum_bytes(
                    black_box(buf.as_ptr()),
                    black_box(buf.len()),
                ));
            },
            &mut || unsafe {
                black_box(sum_bytes(black_box(buf.as_ptr()), black_box(buf.len())));
            },
        ],
    );
    println!(
        "  sum_bytes_64:    raw {:6.2}  guarded {:6.2}  (+{:.2})",
        r[0],
        r[1],
        r[1] - r[0]
    );
}

fn main() {
    benches();
    // `cargo test --benches` runs each bench once as a smoke test.
    if std::env::args().any(|a| a == "--bench") {
        interleaved();
    }
    Criterion::default().configure_from_args().final_summary();
}
