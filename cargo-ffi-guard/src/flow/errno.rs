//! errno reads that come too late: walks a body in evaluation order
//! (arguments before their call, branches as separate paths) and remembers
//! the last foreign call and the first thing that ran after it.

use proc_macro2::{LineColumn, Span};
use syn::punctuated::Punctuated;
use syn::{Block, Expr, Stmt};

use super::domain::MAX_DEPTH;
use super::facts::{Clobber, Fact, Site};
use super::known::Known;
use super::syntax::{call_span, expr_attrs, has_cfg};
use super::tables::{DIVERGING_MACROS, FORMAT_MACROS, is_foreign_path};

/// Adds an [`Fact::Errno`] for every errno read, in `block` and the
/// closures inside it, that follows a foreign call with something else run
/// in between on every path.
pub fn analyze_body(idx: &Known<'_>, file: usize, block: &Block, facts: &mut Vec<Fact>) {
    let mut w = Walker {
        idx,
        file,
        facts,
        depth: 0,
    };
    let mut st = State::default();
    w.block(block, &mut st);
}

#[derive(Clone, Default)]
struct State {
    /// The last foreign call on this path.
    call: Option<(Span, LineColumn)>,
    /// The first call or macro since then that may have changed errno.
    clobber: Option<(Span, Clobber)>,
    diverged: bool,
}

fn join(a: State, b: State) -> State {
    if a.diverged {
        return b;
    }
    if b.diverged {
        return a;
    }
    match (&a.call, &b.call) {
        (Some((_, x)), Some((_, y))) if x == y => State {
            call: a.call,
            clobber: if b.clobber.is_some() { a.clobber } else { None },
            diverged: false,
        },
        _ => State::default(),
    }
}

/// After a statement that may or may not run: the pending call and its
/// clobber count only when both paths agree; a window the statement opened
/// stays open (its errno is what a read right after would mean).
fn join_maybe(before: State, after: State) -> State {
    match (&before.call, &after.call) {
        (Some((_, x)), Some((_, y))) if x == y => join(before, after),
        (_, Some(_)) => State {
            clobber: None,
            ..after
        },
        _ => join(before, after),
    }
}

struct Walker<'a, 'f> {
    idx: &'a Known<'a>,
    file: usize,
    facts: &'f mut Vec<Fact>,
    depth: usize,
}

/// Methods that cannot touch errno: tests and views of plain values.
const BENIGN_METHODS: &[&str] = &[
    "is_null",
    "len",
    "is_empty",
    "cast",
    "cast_mut",
    "cast_const",
    "as_ptr",
    "as_mut_ptr",
    "is_some",
    "is_none",
    "is_ok",
    "is_err",
    "raw_os_error",
    "kind",
];

/// Macros that expand to constants or pure tests.
const BENIGN_MACROS: &[&str] = &[
    "matches",
    "addr_of",
    "addr_of_mut",
    "cfg",
    "concat",
    "stringify",
    "line",
    "file",
    "column",
    "module_path",
    "c",
];

impl Walker<'_, '_> {
    fn block(&mut self, b: &Block, st: &mut State) {
        for stmt in &b.stmts {
            if st.diverged {
                break;
            }
            match stmt {
                Stmt::Local(l) if matches!(l.pat, syn::Pat::Wild(_)) && l.init.is_some() => {
                    if let Some(init) = &l.init {
                        self.discarded(&init.expr, st);
                    }
                }
                // Under `#[cfg]`, a statement may not be compiled: it is
                // walked as a branch that may not run.
                Stmt::Expr(e, Some(_)) if has_cfg(expr_attrs(e)) => {
                    let mut maybe = st.clone();
                    self.discarded(e, &mut maybe);
                    *st = join_maybe(std::mem::take(st), maybe);
                }
                Stmt::Expr(e, Some(_)) => self.discarded(e, st),
                Stmt::Local(l) => {
                    if let Some(init) = &l.init {
                        self.expr(&init.expr, st);
                        if let Some((_, d)) = &init.diverge {
                            let mut s2 = st.clone();
                            self.expr(d, &mut s2);
                        }
                    }
                }
                Stmt::Item(_) => {}
                Stmt::Expr(e, _) => self.expr(e, st),
                Stmt::Macro(m) => self.mac(&m.mac, st),
            }
        }
    }

    /// Spans and text are only built when a window is open: most calls
    /// follow no foreign call.
    /// A statement whose value is dropped. A foreign call there is one
    /// whose result nobody checks: it does not start a window of its own,
    /// it overwrites the pending one (`close(fd); last_os_error()` reports
    /// close's errno, not the earlier call's).
    fn discarded(&mut self, e: &Expr, st: &mut State) {
        let mut inner = e;
        loop {
            match inner {
                Expr::Unsafe(u) if u.block.stmts.len() == 1 => match &u.block.stmts[0] {
                    Stmt::Expr(x, _) => inner = x,
                    _ => break,
                },
                Expr::Paren(p) => inner = &p.expr,
                _ => break,
            }
        }
        if let Expr::Call(c) = inner
            && st.call.is_some()
            && let Some(segs) = path_segs(&c.func)
            && self.is_foreign(&segs)
        {
            for a in &c.args {
                self.expr(a, st);
            }
            self.clobber(st, || call_span(c), || Clobber::Call(segs.join("::")));
            return;
        }
        self.expr(e, st);
    }

    fn clobber(&self, st: &mut State, span: impl FnOnce() -> Span, what: impl FnOnce() -> Clobber) {
        if st.call.is_some() && st.clobber.is_none() {
            st.clobber = Some((span(), what()));
        }
    }

    fn read(&mut self, st: &State, span: Span) {
        if let (Some((call, _)), Some((clobber, what))) = (&st.call, &st.clobber) {
            self.facts.push(Fact::Errno {
                read: Site {
                    file: self.file,
                    span,
                },
                call: Site {
                    file: self.file,
                    span: *call,
                },
                clobber: Site {
                    file: self.file,
                    span: *clobber,
                },
                clobber_what: what.clone(),
            });
        }
    }

    fn expr(&mut self, e: &Expr, st: &mut State) {
        // Too deep to follow within the stack: stop, forgetting the pending
        // call so that nothing is reported from a half-read expression.
        if self.depth >= MAX_DEPTH {
            *st = State::default();
            return;
        }
        self.depth += 1;
        self.expr_inner(e, st);
        self.depth -= 1;
    }

    fn expr_inner(&mut self, e: &Expr, st: &mut State) {
        match e {
            Expr::Call(c) => {
                let segs = path_segs(&c.func);
                if segs.is_none() {
                    self.expr(&c.func, st);
                }
                for a in &c.args {
                    self.expr(a, st);
                }
                let span = || call_span(c);
                let Some(segs) = segs else {
                    self.clobber(st, span, || Clobber::Unnamed);
                    return;
                };
                let name = segs.last().map(String::as_str).unwrap_or("");
                let qual = if segs.len() >= 2 {
                    segs[segs.len() - 2].as_str()
                } else {
                    ""
                };
                if is_errno_read(qual, name) {
                    self.read(st, span());
                } else if self.is_foreign(&segs) {
                    let s = span();
                    st.call = Some((s, s.start()));
                    st.clobber = None;
                } else if !is_benign_fn(qual, name) {
                    self.clobber(st, span, || Clobber::Call(segs.join("::")));
                }
            }
            Expr::MethodCall(m) => {
                self.expr(&m.receiver, st);
                for a in &m.args {
                    self.expr(a, st);
                }
                let name = m.method.to_string();
                if !BENIGN_METHODS.contains(&name.as_str()) {
                    self.clobber(st, || m.method.span(), || Clobber::Method(name.clone()));
                }
            }
            Expr::Macro(m) => self.mac(&m.mac, st),
            Expr::If(i) => {
                self.expr(&i.cond, st);
                let mut a = st.clone();
                self.block(&i.then_branch, &mut a);
                let mut b = st.clone();
                if let Some((_, e)) = &i.else_branch {
                    self.expr(e, &mut b);
                }
                *st = join(a, b);
            }
            Expr::Match(m) => {
                self.expr(&m.expr, st);
                let mut out: Option<State> = None;
                for arm in &m.arms {
                    let mut a = st.clone();
                    if let Some((_, g)) = &arm.guard {
                        self.expr(g, &mut a);
                    }
                    self.expr(&arm.body, &mut a);
                    out = Some(match out {
                        None => a,
                        Some(prev) => join(prev, a),
                    });
                }
                *st = out.unwrap_or(State {
                    diverged: true,
                    ..State::default()
                });
            }
            Expr::ForLoop(f) => {
                self.expr(&f.expr, st);
                let mut a = State::default();
                self.block(&f.body, &mut a);
                *st = State::default();
            }
            Expr::While(w) => {
                let mut a = State::default();
                self.expr(&w.cond, &mut a);
                self.block(&w.body, &mut a);
                *st = State::default();
            }
            Expr::Loop(l) => {
                let mut a = State::default();
                self.block(&l.body, &mut a);
                *st = State::default();
            }
            Expr::Block(b) => self.block(&b.block, st),
            Expr::Unsafe(u) => self.block(&u.block, st),
            Expr::Closure(c) => {
                let mut inner = State::default();
                self.expr(&c.body, &mut inner);
            }
            Expr::Return(r) => {
                if let Some(x) = &r.expr {
                    self.expr(x, st);
                }
                st.diverged = true;
            }
            Expr::Break(b) => {
                if let Some(x) = &b.expr {
                    self.expr(x, st);
                }
                st.diverged = true;
            }
            Expr::Continue(_) => st.diverged = true,
            Expr::Assign(a) => {
                self.expr(&a.right, st);
                self.expr(&a.left, st);
            }
            Expr::Binary(b) => {
                self.expr(&b.left, st);
                self.expr(&b.right, st);
            }
            Expr::Unary(u) => self.expr(&u.expr, st),
            Expr::Cast(c) => self.expr(&c.expr, st),
            Expr::Paren(p) => self.expr(&p.expr, st),
            Expr::Group(g) => self.expr(&g.expr, st),
            Expr::Reference(r) => self.expr(&r.expr, st),
            Expr::Field(f) => self.expr(&f.base, st),
            Expr::Index(i) => {
                self.expr(&i.expr, st);
                self.expr(&i.index, st);
            }
            Expr::Try(t) => self.expr(&t.expr, st),
            Expr::Let(l) => self.expr(&l.expr, st),
            Expr::Tuple(t) => t.elems.iter().for_each(|x| self.expr(x, st)),
            Expr::Array(a) => a.elems.iter().for_each(|x| self.expr(x, st)),
            Expr::Struct(s) => {
                for f in &s.fields {
                    self.expr(&f.expr, st);
                }
                if let Some(r) = &s.rest {
                    self.expr(r, st);
                }
            }
            Expr::Range(r) => {
                if let Some(x) = &r.start {
                    self.expr(x, st);
                }
                if let Some(x) = &r.end {
                    self.expr(x, st);
                }
            }
            _ => {}
        }
    }

    fn mac(&mut self, m: &syn::Macro, st: &mut State) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if BENIGN_MACROS.contains(&name.as_str()) {
            return;
        }
        // Arguments matter only when they read errno while a foreign
        // call's errno is pending; parsing them is skipped otherwise.
        if FORMAT_MACROS.contains(&name.as_str())
            && st.call.is_some()
            && mentions_errno(m.tokens.clone())
            && let Ok(args) =
                m.parse_body_with(Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        {
            // The arguments run first, then the formatting.
            for a in &args {
                self.expr(a, st);
            }
        }
        self.clobber(
            st,
            || {
                m.path
                    .segments
                    .first()
                    .map_or_else(proc_macro2::Span::call_site, |s| s.ident.span())
            },
            || Clobber::Macro(name.clone()),
        );
        if DIVERGING_MACROS.contains(&name.as_str()) {
            st.diverged = true;
        }
    }

    fn is_foreign(&self, segs: &[String]) -> bool {
        let Some(name) = segs.last() else {
            return false;
        };
        if segs.len() >= 2 {
            if is_foreign_path(segs) {
                return true;
            }
            let qual = &segs[segs.len() - 2];
            return self.idx.is_foreign(name) && qual.starts_with(char::is_lowercase);
        }
        self.idx.is_foreign(name) && !self.idx.rust_fns.contains(name)
    }
}

fn mentions_errno(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => {
            let s = i.to_string();
            is_errno_read("", &s) || s == "last" || s == "last_raw"
        }
        proc_macro2::TokenTree::Group(g) => mentions_errno(g.stream()),
        _ => false,
    })
}

fn path_segs(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Path(p) if p.qself.is_none() => Some(
            p.path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect(),
        ),
        Expr::Paren(p) => path_segs(&p.expr),
        _ => None,
    }
}

fn is_errno_read(qual: &str, name: &str) -> bool {
    matches!(
        (qual, name),
        (
            _,
            "last_os_error" | "__errno_location" | "__error" | "__errno" | "___errno"
        ) | ("errno" | "", "errno")
            | ("Errno", "last" | "last_raw")
    )
}

/// Constructors and functions that compute a value without touching errno.
fn is_benign_fn(qual: &str, name: &str) -> bool {
    name.starts_with(char::is_uppercase)
        || matches!(
            (qual, name),
            ("ptr", "null" | "null_mut" | "eq" | "addr_eq")
                | ("NonNull", "new" | "new_unchecked" | "dangling")
                | ("mem", "size_of" | "align_of" | "zeroed")
                | ("", "size_of" | "align_of")
        )
}
