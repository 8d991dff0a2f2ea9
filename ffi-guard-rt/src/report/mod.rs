//! Findings, grouping, the human text, the JSON files and the at-exit hook.
//!
//! Every finding goes through [`record`]: it is kept in memory (a log for
//! `Checkpoint`, and groups for the report), appended at once to the `.jsonl`
//! file when `FFI_GUARD_REPORT_DIR` is set, and in abort mode the report is
//! written and the process aborts. At exit (an `atexit` handler, so that
//! `std::process::exit` runs it too) outstanding live pointers become `leak`
//! findings, the grouped summary goes to stderr, and the `.json` file is
//! written whole.
//!
//! Nothing here panics or unwinds: every entry point catches, and every path
//! that allocates runs inside a `reentrancy::Ignore` scope.

#[cfg(feature = "checks")]
mod file;
#[cfg(feature = "checks")]
pub(crate) mod human;
#[cfg(feature = "checks")]
pub(crate) mod trace;

#[cfg(feature = "checks")]
pub(crate) use imp::*;

use std::io::Write;

#[cfg(not(feature = "checks"))]
use crate::finding::Finding;

/// Writes to stderr, ignoring errors (stderr may be closed at exit).
#[cfg_attr(not(feature = "checks"), allow(dead_code))]
pub(crate) fn write_stderr(bytes: &[u8]) {
    let _ = std::io::stderr().lock().write_all(bytes);
}

/// Records a finding: kept for the report and, with `FFI_GUARD_REPORT_DIR`,
/// appended to the `.jsonl` file at once. Never panics, never unwinds.
#[cfg(not(feature = "checks"))]
#[allow(dead_code)]
pub(crate) fn record(_finding: Finding) {}

#[cfg(feature = "checks")]
mod imp {
    use std::collections::HashMap;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, MutexGuard, OnceLock};

    use super::{file, human, trace, write_stderr};
    use crate::finding::{Finding, FindingKind, Site};
    use crate::ledger;
    use crate::mode::{self, Mode};
    use crate::reentrancy::Ignore;

    /// Records a finding: kept for the report and, with `FFI_GUARD_REPORT_DIR`,
    /// appended to the `.jsonl` file at once. Never panics, never unwinds.
    pub(crate) fn record(finding: Finding) {
        let trace = if finding.kind == FindingKind::Panic || trace::enabled() {
            trace::capture()
        } else {
            None
        };
        record_traced(finding, trace);
    }

    /// [`record`] with a backtrace captured by the caller (a panic's).
    pub(crate) fn record_traced(finding: Finding, trace: Option<trace::Trace>) {
        let _g = Ignore::new();
        let kind = finding.kind;
        let abort = catch_unwind(AssertUnwindSafe(|| {
            ensure_exit_hook();
            let mut stored = Stored {
                finding,
                trace,
                thread: ledger::thread_id(),
                epoch: ledger::epoch(),
            };
            if let Some(dir) = report_dir() {
                let f = stored.resolved();
                file::append_line(dir, &f);
            }
            store().push(stored);
            RECORDED.store(true, Ordering::Relaxed);
            // A finding on a thread that is already unwinding (not the
            // panic being recorded) is handled as in report mode.
            let unwinding = kind != FindingKind::Panic && std::thread::panicking();
            mode::current() == Mode::Abort && !unwinding
        }));
        // While the report is being written (at exit, say, where a finding
        // may still come in), the writer aborts once the report is whole.
        if abort.unwrap_or(false) && !REPORT_STARTED.load(Ordering::Acquire) {
            write_report();
            std::process::abort();
        }
    }

    /// Set once `write_report` started: it runs once per process.
    static REPORT_STARTED: AtomicBool = AtomicBool::new(false);
    /// Set once any finding was recorded.
    static RECORDED: AtomicBool = AtomicBool::new(false);

    /// Registers the at-exit report once. Called when the first pointer is
    /// recorded in the ledger and when the first finding is recorded.
    #[inline]
    pub(crate) fn ensure_exit_hook() {
        static REGISTERED: AtomicBool = AtomicBool::new(false);
        if REGISTERED.load(Ordering::Relaxed) || REGISTERED.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: `at_exit` is an `extern "C" fn()` that never unwinds.
        unsafe {
            libc::atexit(at_exit);
        }
    }

    /// Findings recorded on `thread` (all threads when `None`) at or after
    /// `epoch`, oldest first, with backtraces resolved.
    pub(crate) fn findings_since(thread: Option<u64>, epoch: u64) -> Vec<Finding> {
        let _g = Ignore::new();
        catch_unwind(AssertUnwindSafe(|| {
            let mut s = store();
            s.log
                .iter_mut()
                .filter(|r| r.epoch >= epoch && thread.is_none_or(|t| t == r.thread))
                .map(|r| r.resolved())
                .collect()
        }))
        .unwrap_or_default()
    }

    /// One `leak` finding per group of outstanding live pointers.
    pub(crate) fn leak_findings(groups: &[ledger::Leak]) -> Vec<Finding> {
        groups
            .iter()
            .map(|l| {
                let site = Site::from_location(l.alloc_site);
                let what = if l.count == 1 { "pointer" } else { "pointers" };
                let message = match l.free_with {
                    Some(f) => format!(
                        "{} {what} from {} never released with {f}",
                        l.count, l.owner
                    ),
                    None => format!("{} {what} from {} never released", l.count, l.owner),
                };
                Finding {
                    kind: FindingKind::Leak,
                    function: l.owner.to_owned(),
                    message,
                    site: site.clone(),
                    alloc_site: Some(site),
                    free_site: None,
                    free_with: l.free_with.map(str::to_owned),
                    count: l.count,
                    bytes: None,
                    backtrace: None,
                }
            })
            .collect()
    }

    /// Writes the whole report now: the summary on stderr and, with
    /// `FFI_GUARD_REPORT_DIR`, the `.json` file (then removes the `.jsonl`).
    /// Runs once per process; later calls do nothing. True when the report
    /// held a finding (leaks included).
    pub(crate) fn write_report() -> bool {
        if REPORT_STARTED.swap(true, Ordering::AcqRel) {
            return false;
        }
        let _g = Ignore::new();
        catch_unwind(AssertUnwindSafe(|| {
            let mut findings = store().grouped();
            findings.extend(leak_findings(&ledger::leaks(
                crate::pairing::leak_reportable,
            )));
            if findings.is_empty() {
                if let Some(dir) = report_dir() {
                    file::remove_jsonl(dir);
                }
                return false;
            }
            let short = summary_is_short();
            if !short {
                write_stderr(human::render(&findings).as_bytes());
            }
            let total: u64 = findings.iter().map(|f| f.count).sum();
            if let Some(dir) = report_dir() {
                match file::write_json(dir, &findings) {
                    Ok(path) => {
                        file::remove_jsonl(dir);
                        let msg = if short {
                            format!(
                                "ffi-guard: {}, report in {}\n",
                                counted(findings.len() as u64, total),
                                path.display()
                            )
                        } else {
                            format!("ffi-guard: report written to {}\n", path.display())
                        };
                        write_stderr(msg.as_bytes());
                    }
                    Err(e) => {
                        let msg = format!(
                            "ffi-guard: could not write the report into {}: {e}\n",
                            dir.display()
                        );
                        write_stderr(msg.as_bytes());
                    }
                }
            } else if short {
                let msg = format!("ffi-guard: {}\n", counted(findings.len() as u64, total));
                write_stderr(msg.as_bytes());
            }
            true
        }))
        .unwrap_or(true)
    }

    /// "1 finding (3 occurrences)", with the right number of each word.
    fn counted(findings: u64, occurrences: u64) -> String {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        format!(
            "{findings} finding{} ({occurrences} occurrence{})",
            s(findings),
            s(occurrences)
        )
    }

    /// `FFI_GUARD_SUMMARY=short`: one line at exit instead of the whole
    /// summary (`cargo ffi-guard test` sets it and prints the merged report).
    fn summary_is_short() -> bool {
        std::env::var_os("FFI_GUARD_SUMMARY").is_some_and(|v| v == "short")
    }

    /// `FFI_GUARD_REPORT_DIR`, read once.
    pub(crate) fn report_dir() -> Option<&'static PathBuf> {
        static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
        DIR.get_or_init(|| {
            let _g = Ignore::new();
            std::env::var_os("FFI_GUARD_REPORT_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        })
        .as_ref()
    }

    extern "C" fn at_exit() {
        // `write_report` catches every panic itself; this catch only makes
        // sure that nothing can unwind out of an `extern "C"` handler.
        let held = catch_unwind(write_report).unwrap_or(true);
        // SPEC §2, abort mode: a finding is recorded, the report written,
        // then the process aborts. Findings made at exit (leaks) are no
        // exception, so that a run in abort mode fails on any finding. The
        // `.json` is whole and the `.jsonl` gone by now.
        if (held || RECORDED.load(Ordering::Relaxed)) && mode::current() == Mode::Abort {
            std::process::abort();
        }
    }

    /// Raw records kept for `Checkpoint`; past this many, findings only
    /// count in their group, so a finding in a hot loop cannot exhaust memory.
    const LOG_CAP: usize = 100_000;

    struct Stored {
        finding: Finding,
        trace: Option<trace::Trace>,
        thread: u64,
        epoch: u64,
    }

    impl Stored {
        /// The finding with its backtrace symbolized (once, kept).
        fn resolved(&mut self) -> Finding {
            let mut f = self.finding.clone();
            if let Some(t) = self.trace.as_mut() {
                f.backtrace = Some(t.frames());
            }
            f
        }
    }

    /// Kinds other than leaks group by kind, function and site; leaks
    /// (recorded ones, from the allocator) by function and allocation site.
    #[derive(Clone, PartialEq, Eq, Hash)]
    struct GroupKey {
        kind: FindingKind,
        function: String,
        site: Site,
        alloc_site: Option<Site>,
    }

    impl GroupKey {
        fn of(f: &Finding) -> GroupKey {
            let leak = f.kind == FindingKind::Leak;
            GroupKey {
                kind: f.kind,
                function: f.function.clone(),
                site: if leak {
                    f.alloc_site.clone().unwrap_or_else(|| f.site.clone())
                } else {
                    f.site.clone()
                },
                alloc_site: if leak { f.alloc_site.clone() } else { None },
            }
        }
    }

    #[derive(Default)]
    struct Store {
        log: Vec<Stored>,
        groups: Vec<Stored>,
        index: HashMap<GroupKey, usize>,
    }

    impl Store {
        fn push(&mut self, stored: Stored) {
            let key = GroupKey::of(&stored.finding);
            match self.index.get(&key) {
                Some(&i) => {
                    let g = &mut self.groups[i].finding;
                    g.count = g.count.saturating_add(stored.finding.count);
                    if let (Some(a), Some(b)) = (g.bytes, stored.finding.bytes) {
                        g.bytes = Some(a.saturating_add(b));
                    }
                }
                None => {
                    self.index.insert(key, self.groups.len());
                    self.groups.push(Stored {
                        finding: stored.finding.clone(),
                        trace: stored.trace.clone(),
                        thread: stored.thread,
                        epoch: stored.epoch,
                    });
                }
            }
            if self.log.len() < LOG_CAP {
                self.log.push(stored);
            }
        }

        fn grouped(&mut self) -> Vec<Finding> {
            self.groups.iter_mut().map(Stored::resolved).collect()
        }
    }

    fn store() -> MutexGuard<'static, Store> {
        static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
        lock(STORE.get_or_init(Default::default))
    }

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }
}
