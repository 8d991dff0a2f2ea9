//! Merging findings from many processes: the same bug seen by several test
//! binaries (or several times by one) is one group with a summed count.

use std::collections::{BTreeSet, HashMap};

use ffi_guard_report::GroupKey;

use super::format::{Finding, KINDS};
use super::read::{Collected, Source};

/// All groups of one run, in report order, with the processes they came from.
#[derive(Debug, Default)]
pub struct Merged {
    pub groups: Vec<Group>,
    pub sources: Vec<Source>,
    pub notes: Vec<String>,
}

/// Findings that share kind, function, site and allocation site (and, for
/// panics, the message).
#[derive(Debug, Clone)]
pub struct Group {
    /// The first finding of the group as read; its `count` and `bytes` are
    /// that one finding's, the group's totals are below.
    pub first: Finding,
    pub count: u64,
    /// The sum of the bytes the findings knew; `None` when none did.
    pub bytes: Option<u64>,
    /// Indexes into [`Merged::sources`], ascending, each once.
    pub sources: Vec<usize>,
}

/// Groups by the shared rule of the report format (kind, function, site,
/// alloc_site, and a panic's message), summing counts and bytes.
/// The other fields (`free_with`, `free_site`, a backtrace) are taken from
/// the first finding that has them.
pub fn merge(collected: Collected) -> Merged {
    let mut groups: Vec<Group> = Vec::new();
    let mut sources_of: Vec<BTreeSet<usize>> = Vec::new();
    let mut index: HashMap<GroupKey<String>, usize> = HashMap::new();
    for sourced in collected.findings {
        let f = sourced.finding;
        let key = f.group_key();
        match index.get(&key) {
            Some(&i) => {
                let g = &mut groups[i];
                g.count = g.count.saturating_add(f.count);
                g.bytes = match (g.bytes, f.bytes) {
                    (Some(a), Some(b)) => Some(a.saturating_add(b)),
                    (a, b) => a.or(b),
                };
                if g.first.free_with.is_none() {
                    g.first.free_with = f.free_with;
                }
                if g.first.free_site.is_none() {
                    g.first.free_site = f.free_site;
                }
                if g.first.backtrace.is_none() {
                    g.first.backtrace = f.backtrace;
                }
                sources_of[i].insert(sourced.source);
            }
            None => {
                index.insert(key, groups.len());
                sources_of.push(BTreeSet::from([sourced.source]));
                groups.push(Group {
                    count: f.count,
                    bytes: f.bytes,
                    first: f,
                    sources: Vec::new(),
                });
            }
        }
    }
    for (g, s) in groups.iter_mut().zip(sources_of) {
        g.sources = s.into_iter().collect();
    }
    groups.sort_by(|a, b| {
        (
            kind_rank(&a.first.kind),
            &a.first.kind,
            &a.first.site,
            &a.first.function,
            &a.first.alloc_site,
        )
            .cmp(&(
                kind_rank(&b.first.kind),
                &b.first.kind,
                &b.first.site,
                &b.first.function,
                &b.first.alloc_site,
            ))
    });
    Merged {
        groups,
        sources: collected.sources,
        notes: collected.notes,
    }
}

impl Group {
    pub fn kind(&self) -> &str {
        &self.first.kind
    }

    /// The one-line message for the whole group. A leak's sentence is
    /// rebuilt with the summed count (each process wrote its own count);
    /// other kinds keep the first finding's message.
    pub fn headline(&self) -> String {
        let f = &self.first;
        match (f.kind.as_str(), &f.free_with) {
            ("leak", Some(free_with)) => format!(
                "{} {} from {} never released with {}",
                self.count,
                if self.count == 1 {
                    "pointer"
                } else {
                    "pointers"
                },
                f.function,
                free_with
            ),
            _ if f.message.is_empty() => format!("{} in {}", f.kind, f.function),
            _ => f.message.clone(),
        }
    }

    /// The group as one finding of SPEC §3 (count and bytes summed).
    pub fn to_finding(&self) -> Finding {
        Finding {
            message: self.headline(),
            count: self.count,
            bytes: self.bytes,
            ..self.first.clone()
        }
    }
}

impl Merged {
    /// The total of all counts.
    pub fn total(&self) -> u64 {
        self.groups
            .iter()
            .fold(0u64, |n, g| n.saturating_add(g.count))
    }

    /// Processes that died before writing their whole report.
    pub fn died(&self) -> impl Iterator<Item = &Source> {
        self.sources.iter().filter(|s| !s.complete)
    }
}

/// Known kinds in SPEC order; unknown ones after them.
fn kind_rank(kind: &str) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len())
}
