//! The in-test API: what happened on this thread since a point in a test.

use crate::finding::Finding;

/// A point in a test. [`Checkpoint::findings`] returns what the runtime
/// recorded on this thread since then, outstanding leaks included.
///
/// ```no_run
/// let cp = ffi_guard_rt::Checkpoint::now();
/// // ... call guarded C functions ...
/// cp.assert_clean();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint {
    #[cfg_attr(not(feature = "checks"), allow(dead_code))]
    thread: Option<u64>,
    #[cfg_attr(not(feature = "checks"), allow(dead_code))]
    epoch: u64,
}

impl Checkpoint {
    /// This thread, from now on.
    pub fn now() -> Checkpoint {
        #[cfg(feature = "checks")]
        {
            Checkpoint {
                thread: Some(crate::ledger::thread_id()),
                epoch: crate::ledger::new_epoch(),
            }
        }
        #[cfg(not(feature = "checks"))]
        Checkpoint {
            thread: None,
            epoch: 0,
        }
    }

    /// Every thread, from now on: for findings raised on threads that C
    /// created (callbacks). Other tests running at the same time show up too,
    /// so filter by function name.
    pub fn now_all_threads() -> Checkpoint {
        #[cfg(feature = "checks")]
        {
            Checkpoint {
                thread: None,
                epoch: crate::ledger::new_epoch(),
            }
        }
        #[cfg(not(feature = "checks"))]
        Checkpoint {
            thread: None,
            epoch: 0,
        }
    }

    /// The findings since the checkpoint, in order, then one `leak` finding per
    /// function and allocation site for pointers allocated since the
    /// checkpoint and still live. Empty without the `checks` feature.
    ///
    /// Every finding made after the checkpoint is there, however many the
    /// process recorded before. Past the first 100,000 findings of the
    /// process, findings of one thread, checkpoint and group come as one
    /// finding with their `count`.
    pub fn findings(&self) -> Vec<Finding> {
        #[cfg(feature = "checks")]
        {
            let _g = crate::reentrancy::Ignore::new();
            let mut v = crate::report::findings_since(self.thread, self.epoch);
            let (thread, epoch) = (self.thread, self.epoch);
            let leaks = crate::ledger::leaks(|e| {
                e.epoch >= epoch
                    && thread.is_none_or(|t| t == e.thread)
                    && crate::pairing::leak_reportable(e)
            });
            v.extend(crate::report::leak_findings(&leaks));
            v
        }
        #[cfg(not(feature = "checks"))]
        Vec::new()
    }

    /// Panics with the readable report when [`findings`](Self::findings) is not empty.
    #[track_caller]
    pub fn assert_clean(&self) {
        #[cfg(feature = "checks")]
        {
            let f = self.findings();
            if !f.is_empty() {
                let text = crate::report::human::render(&f);
                panic!("{text}");
            }
        }
    }
}
