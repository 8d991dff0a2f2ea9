//! Raw versus guarded imports, side by side: a scalar `add`, a
//! `widget_new`/`widget_free` pair, and a `slice`-checked buffer call.
//!
//! Checks on:  `cargo bench -p ffi-guard-tests --bench guard`
//! Checks off: `cargo bench -p ffi-guard-tests --bench guard --no-default-features`
//! (the tests crate's `checks` feature forwards to ffi-guard-rt's; the
//! benchmark names say which build ran).

use std::hint::black_box;
use std::ptr;

use criterion::{Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, scalar, pair, slice);
criterion_main!(benches);
