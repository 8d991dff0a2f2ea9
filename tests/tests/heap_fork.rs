//! After `fork`, the child's C allocations are observed as in the parent:
//! C blocks on addresses Rust freed are no findings there either.

mod heap_common;

use ffi_guard_rt::{Checkpoint, TrackingAllocator};
use heap_common::*;

#[global_allocator]
static A: TrackingAllocator = TrackingAllocator::new();

#[test]
fn a_forked_child_observes_c_heap() {
    let freed = rust_frees(&sizes(256, 5));
    // SAFETY: the child allocates, calls C and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let cp = Checkpoint::now();
        let sizes = sizes(256, 5);
        unsafe { heap_c_grab(sizes.as_ptr(), sizes.len()) };
        let reused = use_every_held_block(&freed);
        let p = unsafe { heap_c_held(0) } as usize;
        let live = TrackingAllocator::__block_of(p).0 == "c-live";
        let clean = cp.findings().is_empty();
        let code = match (reused > 0, live, clean) {
            (true, true, true) => 0,
            (false, _, _) => 2,
            (_, false, _) => 3,
            (_, _, false) => 4,
        };
        // SAFETY: ends the child without the parent's atexit work.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "the child died: {status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "2: no reuse, 3: not observed, 4: findings"
    );
}
