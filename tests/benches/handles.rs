//! `HandleMap` vs `ffi_support::ConcurrentHandleMap`: insert, get, remove.
//!
//! `ConcurrentHandleMap` locks inside; `HandleMap` is shared in a `Mutex` as
//! its docs say, so both are measured as a C caller would use them from any
//! thread: each operation takes the lock.
//!
//! `cargo bench -p ffi-guard-tests --bench handles -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;
use std::sync::Mutex;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ffi_guard_rt::HandleMap;
use ffi_support::ConcurrentHandleMap;

/// Objects per batch: inserted, each looked up twice, then removed.
const N: usize = 1000;

fn handles(c: &mut Criterion) {
    let mut g = c.benchmark_group("handles_insert_get_remove");
    g.throughput(Throughput::Elements(N as u64));

    let ours = Mutex::new(HandleMap::new());
    let mut hs = Vec::with_capacity(N);
    g.bench_function(BenchmarkId::new("HandleMap in a Mutex", N), |b| {
        b.iter(|| {
            for i in 0..N as u64 {
                hs.push(ours.lock().expect("not poisoned").insert(i));
            }
            for &h in &hs {
                let m = ours.lock().expect("not poisoned");
                black_box(m.get(h).expect("live"));
                black_box(m.get(h).expect("live"));
            }
            for h in hs.drain(..) {
                black_box(ours.lock().expect("not poisoned").remove(h).expect("live"));
            }
        });
    });

    let theirs = ConcurrentHandleMap::new();
    let mut hs = Vec::with_capacity(N);
    g.bench_function(
        BenchmarkId::new("ffi_support::ConcurrentHandleMap", N),
        |b| {
            b.iter(|| {
                for i in 0..N as u64 {
                    hs.push(theirs.insert(i).into_u64());
                }
                for &h in &hs {
                    black_box(
                        theirs
                            .get_u64(h, |v| Ok::<u64, ffi_support::HandleError>(*v))
                            .expect("live"),
                    );
                    black_box(
                        theirs
                            .get_u64(h, |v| Ok::<u64, ffi_support::HandleError>(*v))
                            .expect("live"),
                    );
                }
                for h in hs.drain(..) {
                    black_box(theirs.remove_u64(h).expect("live"));
                }
            });
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    targets = handles
}
criterion_main!(benches);
