//! Findings, grouping, the human text, the JSON files and the at-exit hook.
//!
//! Every finding goes through [`record`]: it is kept in memory (a log for
//! `Checkpoint`, and groups for the report), appended at once to the `.jsonl`
//! file when `FFI_GUARD_REPORT_DIR` is set, and in abort mode the report is
//! written and the process aborts. At exit (an `atexit` handler, so that
//! `std::process::exit` runs it too) outstanding live pointers become `leak`
//! findings, the grouped summary goes to stderr, and the `.json` file is
//! written whole. A finding recorded after that (in an `atexit` handler that
//! runs after ours) is added: its block goes to stderr and the `.json` is
//! written again, whole.
//!
//! Bounds: the `.jsonl` journal writes one line per occurrence of a group
//! up to [`JOURNAL_CAP`], then one line whenever the group's count doubles,
//! carrying the count of the occurrences since its previous line. The log
//! that `Checkpoint` reads keeps [`LOG_CAP`] findings one by one; past that,
//! findings of one thread, checkpoint epoch and group share one record with
//! a count, so a checkpoint still sees every finding made after it.
//!
//! `fork`: every lock of the runtime (the ledger's shards, the store, the
//! journal, the report writer, the panic registry) is taken before `fork`
//! and released on both sides after it, and the child starts with an empty
//! store, its own journal and report (its pid names them) and none of the
//! parent's outstanding pointers counted as its leaks.
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

#[cfg(not(feature = "checks"))]
use crate::finding::Finding;

/// Writes to stderr, ignoring errors (stderr may be closed at exit). A raw
/// `write(2)`, not `std::io::stderr`, whose lock a thread that did not
/// survive a `fork` may hold in the child forever.
#[cfg_attr(not(feature = "checks"), allow(dead_code))]
pub(crate) fn write_stderr(mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live buffer of `bytes.len()` bytes.
        let n = unsafe { libc::write(2, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {
            continue;
        } else {
            return;
        }
    }
}

/// Records a finding: kept for the report and, with `FFI_GUARD_REPORT_DIR`,
/// appended to the `.jsonl` file at once. Never panics, never unwinds.
#[cfg(not(feature = "checks"))]
#[allow(dead_code)]
pub(crate) fn record(_finding: Finding) {}

#[cfg(feature = "checks")]
mod imp {
    use std::cell::Cell;
    use std::collections::HashMap;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Mutex, MutexGuard, OnceLock};

    use ffi_guard_report::GroupKey;

    use super::{file, human, trace, write_stderr};
    use crate::finding::{Finding, FindingKind, Site};
    use crate::ledger;
    use crate::mode::{self, Mode};
    use crate::reentrancy::Ignore;

    /// Lines the `.jsonl` journal writes for one group before it writes
    /// counts instead (SPEC §3).
    pub(crate) const JOURNAL_CAP: u64 = 10_000;

    /// Findings the `Checkpoint` log keeps one by one; past this many, one
    /// record per thread, epoch and group, with a count.
    pub(crate) const LOG_CAP: usize = 100_000;

    /// The exit status of a process whose findings could not be written to
    /// `FFI_GUARD_REPORT_DIR` (README, "When the report cannot be written").
    const UNWRITTEN_EXIT: i32 = 70;

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
            let dir = report_dir();
            // Symbolized outside the store's lock, and only when journaled.
            let line = dir.map(|_| stored.resolved());
            let journal = store().push(stored);
            RECORDS.fetch_add(1, Ordering::SeqCst);
            if let (Some(dir), Some(mut line), Some(count)) = (dir, line, journal) {
                line.count = count;
                file::append_line(dir, &line);
            }
            // A finding on a thread that is already unwinding (not the
            // panic being recorded) is handled as in report mode.
            let unwinding = kind != FindingKind::Panic && std::thread::panicking();
            mode::current() == Mode::Abort && !unwinding
        }));
        if abort.unwrap_or(false) {
            // Abort mode: the report is written whole, then the process
            // aborts; unless this thread is writing the report right now (a
            // finding made while writing), which then aborts once whole.
            if !WRITING.try_with(Cell::get).unwrap_or(true) {
                write_report();
                std::process::abort();
            }
        } else if EXITING.load(Ordering::SeqCst) {
            // After the report was written (a later `atexit` handler):
            // added to it, never dropped.
            if write_report().unwritten {
                exit_unwritten();
            }
        }
    }

    /// Findings recorded so far (each `record`, whatever its group).
    static RECORDS: AtomicU64 = AtomicU64::new(0);
    /// Set once the report is being written at exit: a finding recorded
    /// afterwards writes it again.
    static EXITING: AtomicBool = AtomicBool::new(false);

    thread_local! {
        /// This thread is writing the report.
        static WRITING: Cell<bool> = const { Cell::new(false) };
    }

    /// Registers the at-exit report and the `fork` handlers once. Called
    /// when the first pointer is recorded in the ledger and when the first
    /// finding is recorded.
    #[inline]
    pub(crate) fn ensure_exit_hook() {
        static REGISTERED: AtomicBool = AtomicBool::new(false);
        if REGISTERED.load(Ordering::Relaxed) || REGISTERED.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: the handlers are `extern "C" fn()`s that never unwind.
        unsafe {
            libc::atexit(at_exit);
            #[cfg(unix)]
            libc::pthread_atfork(Some(fork_prepare), Some(fork_parent), Some(fork_child));
        }
    }

    thread_local! {
        /// The runtime's locks, held by the forking thread across `fork`.
        static FORK_HELD: std::cell::RefCell<Option<ForkHeld>> =
            const { std::cell::RefCell::new(None) };
    }

    /// Every lock of the runtime but the ledger's (which holds its own), in
    /// the order the runtime takes them.
    struct ForkHeld {
        writer: MutexGuard<'static, Writer>,
        store: MutexGuard<'static, Store>,
        journal: MutexGuard<'static, Option<std::fs::File>>,
        _registry: MutexGuard<'static, ()>,
    }

    extern "C" fn fork_prepare() {
        let _g = Ignore::new();
        // What is read once is read now, so the child never waits for a
        // lock inside a `OnceLock` that another thread was filling.
        let _ = report_dir();
        let _ = file::identity();
        let _ = mode::current();
        let held = ForkHeld {
            writer: lock(writer()),
            store: store(),
            journal: file::journal(),
            _registry: crate::panic::registering(),
        };
        let _ = FORK_HELD.try_with(|h| *h.borrow_mut() = Some(held));
        ledger::fork_prepare();
    }

    extern "C" fn fork_parent() {
        ledger::fork_parent();
        let _ = FORK_HELD.try_with(|h| h.borrow_mut().take());
    }

    extern "C" fn fork_child() {
        ledger::fork_child();
        let _ = FORK_HELD.try_with(|h| {
            if let Some(mut held) = h.borrow_mut().take() {
                // The parent's findings are the parent's to report; the
                // memory stays (freeing it here could meet the allocator's
                // fork handler half way).
                std::mem::forget(std::mem::take(&mut *held.store));
                std::mem::forget(std::mem::take(&mut *held.writer));
                // The child's journal is its own file, opened on its first
                // finding (the pid names it).
                held.journal.take();
            }
        });
        RECORDS.store(0, Ordering::SeqCst);
        EXITING.store(false, Ordering::SeqCst);
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
                let mut f = Finding::new(FindingKind::Leak, l.owner, message, site.clone());
                f.alloc_site = Some(site);
                f.free_with = l.free_with.map(str::to_owned);
                f.count = l.count;
                f
            })
            .collect()
    }

    /// What one writing of the report did.
    #[derive(Clone, Copy, Default)]
    pub(crate) struct Written {
        /// The report held a finding (leaks included).
        pub(crate) held: bool,
        /// It held findings that could not be written to the report folder.
        pub(crate) unwritten: bool,
    }

    /// Writes the whole report now: the summary on stderr and, with
    /// `FFI_GUARD_REPORT_DIR`, the `.json` file (then removes the `.jsonl`).
    /// Called again (a finding after the report), it prints what is new and
    /// writes the `.json` again, whole.
    pub(crate) fn write_report() -> Written {
        EXITING.store(true, Ordering::SeqCst);
        if WRITING.try_with(|w| w.replace(true)).unwrap_or(true) {
            // This thread is writing: its loop below takes the new finding.
            return Written::default();
        }
        let _g = Ignore::new();
        let mut w = lock(writer());
        let mut out = Written::default();
        loop {
            let seen = RECORDS.load(Ordering::SeqCst);
            let once = catch_unwind(AssertUnwindSafe(|| w.write())).unwrap_or(Written {
                held: true,
                unwritten: false,
            });
            out.held |= once.held;
            out.unwritten = once.unwritten;
            if RECORDS.load(Ordering::SeqCst) == seen {
                break;
            }
        }
        drop(w);
        let _ = WRITING.try_with(|w| w.set(false));
        out
    }

    /// What the report of this process has said so far.
    #[derive(Default)]
    struct Writer {
        /// The `.json` written, once it was.
        path: Option<PathBuf>,
        /// The count of each group already printed on stderr.
        printed: HashMap<GroupKey<FindingKind>, u64>,
    }

    fn writer() -> &'static Mutex<Writer> {
        static WRITER: OnceLock<Mutex<Writer>> = OnceLock::new();
        WRITER.get_or_init(Default::default)
    }

    impl Writer {
        fn write(&mut self) -> Written {
            let mut findings = store().grouped();
            findings.extend(leak_findings(&ledger::leaks(
                crate::pairing::leak_reportable,
            )));
            let first = self.printed.is_empty() && self.path.is_none();
            if findings.is_empty() {
                if let Some(dir) = report_dir().filter(|_| first) {
                    file::remove_jsonl(dir);
                }
                return Written::default();
            }
            let fresh: Vec<Finding> = findings
                .iter()
                .filter(|f| self.printed.get(&f.group_key()) != Some(&f.count))
                .cloned()
                .collect();
            for f in &fresh {
                self.printed.insert(f.group_key(), f.count);
            }
            let short = summary_is_short();
            if !first && !fresh.is_empty() {
                write_stderr(b"ffi-guard: recorded after the report was written:\n");
            }
            if !short && !fresh.is_empty() {
                write_stderr(human::render(&fresh).as_bytes());
            }
            let total: u64 = findings.iter().map(|f| f.count).sum();
            let mut unwritten = false;
            if let Some(dir) = report_dir() {
                match file::write_json(dir, &findings, self.path.as_deref()) {
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
                        if first || !fresh.is_empty() {
                            write_stderr(msg.as_bytes());
                        }
                        self.path = Some(path);
                    }
                    Err(e) => {
                        file::remove_empty_jsonl(dir);
                        let path = self.path.clone().unwrap_or_else(|| file::json_path(dir));
                        let msg = format!(
                            "ffi-guard: could not write the report {} (FFI_GUARD_REPORT_DIR={}): {e}\n\
                             ffi-guard: its {} were printed above; exiting with status {UNWRITTEN_EXIT}\n",
                            path.display(),
                            dir.display(),
                            counted(findings.len() as u64, total),
                        );
                        write_stderr(msg.as_bytes());
                        unwritten = true;
                    }
                }
            } else if short {
                let msg = format!("ffi-guard: {}\n", counted(findings.len() as u64, total));
                write_stderr(msg.as_bytes());
            }
            Written {
                held: true,
                unwritten,
            }
        }
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

    /// Ends a process whose findings could not be written: C's buffered
    /// output is flushed, the rest of the exit is skipped, the status says
    /// that something is wrong.
    fn exit_unwritten() -> ! {
        // SAFETY: flushing every C stream and ending the process.
        unsafe {
            libc::fflush(std::ptr::null_mut());
            libc::_exit(UNWRITTEN_EXIT)
        }
    }

    extern "C" fn at_exit() {
        // `write_report` catches every panic itself; this catch only makes
        // sure that nothing can unwind out of an `extern "C"` handler.
        let w = catch_unwind(write_report).unwrap_or(Written {
            held: true,
            unwritten: false,
        });
        // SPEC §2, abort mode: a finding is recorded, the report written,
        // then the process aborts. Findings made at exit (leaks) are no
        // exception, so that a run in abort mode fails on any finding. The
        // `.json` is whole and the `.jsonl` gone by now.
        if (w.held || RECORDS.load(Ordering::Relaxed) != 0) && mode::current() == Mode::Abort {
            std::process::abort();
        }
        if w.unwritten {
            exit_unwritten();
        }
    }

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

    /// A group of the report, and how much of it the journal has.
    struct Group {
        stored: Stored,
        /// Occurrences the `.jsonl` lines of this group account for.
        journaled: u64,
    }

    #[derive(Default)]
    struct Store {
        log: Vec<Stored>,
        /// Past [`LOG_CAP`]: the log record of each (thread, epoch, group).
        folded: HashMap<(u64, u64, GroupKey<FindingKind>), usize>,
        groups: Vec<Group>,
        index: HashMap<GroupKey<FindingKind>, usize>,
    }

    impl Store {
        /// Keeps `stored` in its group and in the log. Returns the count the
        /// journal line for it carries, or `None` when the journal writes
        /// no line for it (its group is past [`JOURNAL_CAP`] and its count
        /// has not doubled since the last line).
        fn push(&mut self, stored: Stored) -> Option<u64> {
            let key = stored.finding.group_key();
            let n = stored.finding.count;
            let journal = match self.index.get(&key) {
                Some(&i) => {
                    let g = &mut self.groups[i];
                    let f = &mut g.stored.finding;
                    f.count = f.count.saturating_add(n);
                    if let (Some(a), Some(b)) = (f.bytes, stored.finding.bytes) {
                        f.bytes = Some(a.saturating_add(b));
                    }
                    let pending = f.count - g.journaled;
                    if f.count <= JOURNAL_CAP || pending >= g.journaled {
                        g.journaled = f.count;
                        Some(pending)
                    } else {
                        None
                    }
                }
                None => {
                    self.index.insert(key.clone(), self.groups.len());
                    self.groups.push(Group {
                        stored: Stored {
                            finding: stored.finding.clone(),
                            trace: stored.trace.clone(),
                            thread: stored.thread,
                            epoch: stored.epoch,
                        },
                        journaled: n,
                    });
                    Some(n)
                }
            };
            if self.log.len() < LOG_CAP {
                self.log.push(stored);
            } else {
                let at = (stored.thread, stored.epoch, key);
                match self.folded.get(&at) {
                    Some(&i) => {
                        let f = &mut self.log[i].finding;
                        f.count = f.count.saturating_add(n);
                        if let (Some(a), Some(b)) = (f.bytes, stored.finding.bytes) {
                            f.bytes = Some(a.saturating_add(b));
                        }
                    }
                    None => {
                        self.folded.insert(at, self.log.len());
                        self.log.push(stored);
                    }
                }
            }
            journal
        }

        fn grouped(&mut self) -> Vec<Finding> {
            self.groups
                .iter_mut()
                .map(|g| g.stored.resolved())
                .collect()
        }
    }

    fn store() -> MutexGuard<'static, Store> {
        static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
        lock(STORE.get_or_init(Default::default))
    }

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn stored(message: &str, thread: u64, epoch: u64) -> Stored {
            Stored {
                finding: Finding::new(
                    FindingKind::NullPointer,
                    "f",
                    message,
                    Site {
                        file: "src/lib.rs".to_owned(),
                        line: 1,
                        column: 1,
                    },
                ),
                trace: None,
                thread,
                epoch,
            }
        }

        #[test]
        fn the_journal_writes_counts_past_its_cap() {
            let mut s = Store::default();
            let mut lines = 0u64;
            let mut counted = 0u64;
            let total = JOURNAL_CAP * 5;
            for _ in 0..total {
                if let Some(c) = s.push(stored("m", 1, 1)) {
                    lines += 1;
                    counted += c;
                }
            }
            // 10,000 lines, then one at 20,000 and one at 40,000.
            assert_eq!(lines, JOURNAL_CAP + 2);
            assert_eq!(counted, JOURNAL_CAP * 4);
            assert_eq!(s.groups[0].stored.finding.count, total);
        }

        #[test]
        fn the_log_folds_past_its_cap_and_keeps_new_epochs() {
            let mut s = Store::default();
            for i in 0..LOG_CAP + 10 {
                s.push(stored(&format!("m{i}"), 1, 1));
            }
            s.push(stored("late", 1, 2));
            s.push(stored("later", 1, 2));
            let since: Vec<&Stored> = s.log.iter().filter(|r| r.epoch >= 2).collect();
            assert_eq!(since.len(), 1);
            assert_eq!(since[0].finding.count, 2);
        }
    }
}
