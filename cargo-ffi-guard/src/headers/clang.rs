//! The C front end: libclang, loaded at run time, parses the configured
//! headers for one target and fills a [`CModel`].
//!
//! Nothing is compiled or linked: libclang only preprocesses, parses and
//! lays out. Integer macros are evaluated by appending, for each constant
//! name the Rust side declares, `static const __auto_type V = (NAME);` under
//! `#ifdef NAME` to the translation unit and asking libclang for the value.

// libclang's constants keep their C names.
#![allow(non_upper_case_globals)]

use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, CString, c_void};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use clang_sys::*;

use super::c::{CConst, CEnum, CField, CFn, CModel, CRecord, CSig, CType, Loc, Named};

/// The process's libclang, or why it could not be loaded.
static LIBRARY: OnceLock<Result<Arc<SharedLibrary>, String>> = OnceLock::new();

/// Make libclang usable on the calling thread (clang-sys keeps the loaded
/// library per thread). `Err` says why it is missing.
pub fn ensure_loaded() -> Result<(), String> {
    let lib = LIBRARY.get_or_init(|| {
        let previous = clang_sys::get_library();
        clang_sys::load()?;
        let lib = clang_sys::get_library().ok_or_else(|| "libclang did not load".to_owned());
        clang_sys::set_library(previous);
        lib
    });
    match lib {
        Ok(lib) => {
            if !clang_sys::is_loaded() {
                clang_sys::set_library(Some(lib.clone()));
            }
            Ok(())
        }
        Err(e) => Err(e.clone()),
    }
}

/// What to parse for one target.
#[derive(Debug)]
pub struct Request<'a> {
    /// The package root: the unsaved main file lives there, so that
    /// `#include "x.h"` finds headers relative to it.
    pub root: &'a Path,
    pub files: &'a [String],
    /// Compiler arguments (includes, defines, pkg-config cflags).
    pub args: &'a [String],
    /// Directories whose headers count as the library's (besides the
    /// directories of the files the main file includes).
    pub own_dirs: &'a [PathBuf],
    pub target: &'a str,
    /// Names whose macro values are wanted.
    pub consts: &'a [String],
}

const VALUE_PREFIX: &str = "__ffi_guard_value_";

/// Parse the headers for one target.
pub fn read(req: &Request<'_>) -> Result<CModel, String> {
    ensure_loaded()?;
    let mut main = String::new();
    for f in req.files {
        main.push_str(&format!("#include \"{f}\"\n"));
    }
    for name in req.consts {
        main.push_str(&format!(
            "#ifdef {name}\nstatic const __auto_type {VALUE_PREFIX}{name} = ({name});\n#endif\n"
        ));
    }
    let main_path = req.root.join("__ffi_guard_headers.c");
    let mut args: Vec<String> = vec![
        "-x".into(),
        "c".into(),
        "-std=gnu11".into(),
        "-target".into(),
        req.target.into(),
        "-ferror-limit=0".into(),
        "-Wno-everything".into(),
    ];
    args.extend(req.args.iter().cloned());
    if let Some(dir) = resource_include() {
        args.push("-isystem".into());
        args.push(dir);
    }
    let fallback = host_fallback_dirs(req.target);
    let cross = !fallback.is_empty();
    args.extend(fallback);
    if cross {
        // glibc's <gnu/stubs.h> includes the stubs of the host's other ABIs
        // (`stubs-32.h`), which a 64-bit host does not ship: an empty one,
        // searched last.
        args.push("-idirafter".into());
        args.push(req.root.join(STUBS_DIR).to_string_lossy().into_owned());
    }
    if std::env::var_os("FFI_GUARD_CLANG_ARGS").is_some() {
        eprintln!("libclang {}: {args:?}", req.target);
    }
    let c_args: Vec<CString> = args
        .iter()
        .filter_map(|a| CString::new(a.as_str()).ok())
        .collect();
    let arg_ptrs: Vec<*const std::os::raw::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    let c_main_path = CString::new(main_path.to_string_lossy().as_bytes())
        .map_err(|_| "the package path holds a NUL byte".to_owned())?;
    let c_main = CString::new(main).map_err(|_| "a header name holds a NUL byte".to_owned())?;
    let stub_path = CString::new(
        req.root
            .join(STUBS_DIR)
            .join("gnu/stubs-32.h")
            .to_string_lossy()
            .as_bytes(),
    )
    .map_err(|_| "the package path holds a NUL byte".to_owned())?;
    let mut unsaved = [
        CXUnsavedFile {
            Filename: c_main_path.as_ptr(),
            Contents: c_main.as_ptr(),
            Length: c_main.as_bytes().len() as _,
        },
        CXUnsavedFile {
            Filename: stub_path.as_ptr(),
            Contents: c"".as_ptr(),
            Length: 0,
        },
    ];
    // SAFETY: every pointer handed to libclang outlives the calls; the
    // index and unit are disposed of on every path below.
    unsafe {
        let index = clang_createIndex(0, 0);
        let mut tu: CXTranslationUnit = std::ptr::null_mut();
        let code = clang_parseTranslationUnit2(
            index,
            c_main_path.as_ptr(),
            arg_ptrs.as_ptr(),
            arg_ptrs.len() as _,
            unsaved.as_mut_ptr(),
            unsaved.len() as _,
            CXTranslationUnit_DetailedPreprocessingRecord
                | CXTranslationUnit_SkipFunctionBodies
                | CXTranslationUnit_Incomplete,
            &mut tu,
        );
        if code != CXError_Success || tu.is_null() {
            clang_disposeIndex(index);
            return Err(format!(
                "libclang could not parse the headers (error {code})"
            ));
        }
        let mut reader = Reader {
            model: CModel::default(),
            files: HashMap::new(),
            direct_dirs: HashSet::new(),
            own_dirs: req.own_dirs,
            root: req.root,
            main_path: &main_path,
            macro_locs: HashMap::new(),
            busy: HashSet::new(),
        };
        reader.errors(tu);
        let top = children(clang_getTranslationUnitCursor(tu));
        reader.run(&top);
        clang_disposeTranslationUnit(tu);
        clang_disposeIndex(index);
        Ok(reader.model)
    }
}

/// A directory that exists only in libclang's view (unsaved files).
const STUBS_DIR: &str = "__ffi_guard_stubs";

/// Clang's own headers (`stddef.h`, `stdint.h`, ..) next to the loaded
/// libclang: `<libdir>/clang/<version>/include`. libclang finds them itself
/// for Linux targets, not for every other.
fn resource_include() -> Option<String> {
    static DIR: OnceLock<Option<String>> = OnceLock::new();
    DIR.get_or_init(|| {
        let lib = clang_sys::get_library()?;
        // The library may be a link into LLVM's own folder.
        let real = std::fs::canonicalize(lib.path()).ok();
        let mut versions: Vec<PathBuf> = [Some(lib.path().to_path_buf()), real]
            .into_iter()
            .flatten()
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            // `<libdir>/clang`, and Debian's `/usr/lib/clang` beside
            // `/usr/lib/x86_64-linux-gnu`.
            .flat_map(|d| [d.join("clang"), d.join("../clang")])
            .filter_map(|base| std::fs::read_dir(base).ok())
            .flat_map(|d| d.flatten().map(|e| e.path().join("include")))
            .filter(|p| p.join("stddef.h").is_file())
            .collect();
        versions.sort();
        versions.pop().map(|p| p.to_string_lossy().into_owned())
    })
    .clone()
}

/// For a target other than the host, the host's system headers, searched
/// last (`-idirafter`): a C library header the target's toolchain would
/// provide (`<sys/types.h>`, `<limits.h>`) is read from the host's, parsed
/// with the target's type sizes. Clang's own headers (`stddef.h`,
/// `stdint.h`, `stdarg.h`) come from libclang's resource directory for
/// every target.
fn host_fallback_dirs(target: &str) -> Vec<String> {
    let arch = std::env::consts::ARCH;
    if !cfg!(target_os = "linux") || (target.starts_with(arch) && target.contains("-linux-gnu")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for dir in [
        "/usr/local/include".to_owned(),
        format!("/usr/include/{arch}-linux-gnu"),
        "/usr/include".to_owned(),
    ] {
        if Path::new(&dir).is_dir() {
            out.push("-idirafter".to_owned());
            out.push(dir);
        }
    }
    out
}

/// The children of a cursor, in order.
fn children(cursor: CXCursor) -> Vec<CXCursor> {
    extern "C" fn visit(c: CXCursor, _parent: CXCursor, data: CXClientData) -> CXChildVisitResult {
        // SAFETY: `data` is the `Vec` passed below, alive during the visit.
        let out = unsafe { &mut *(data as *mut Vec<CXCursor>) };
        out.push(c);
        CXChildVisit_Continue
    }
    let mut out: Vec<CXCursor> = Vec::new();
    // SAFETY: the visitor only pushes into `out`.
    unsafe {
        clang_visitChildren(cursor, visit, &mut out as *mut Vec<CXCursor> as *mut c_void);
    }
    out
}

/// A libclang string, copied and disposed.
fn text(s: CXString) -> String {
    // SAFETY: `s` comes from libclang and is disposed of once, here.
    unsafe {
        let p = clang_getCString(s);
        let out = if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        };
        clang_disposeString(s);
        out
    }
}

struct Reader<'a> {
    model: CModel,
    /// Per libclang file: its path (for diagnostics) and whether it is one of
    /// the library's headers.
    files: HashMap<usize, (String, bool)>,
    direct_dirs: HashSet<PathBuf>,
    own_dirs: &'a [PathBuf],
    root: &'a Path,
    main_path: &'a Path,
    macro_locs: HashMap<String, Loc>,
    /// Records being read (a struct that points to itself).
    busy: HashSet<String>,
}

impl Reader<'_> {
    /// The first errors libclang reported, outside the generated main file.
    fn errors(&mut self, tu: CXTranslationUnit) {
        // SAFETY: diagnostics of a live unit, each disposed of.
        unsafe {
            for i in 0..clang_getNumDiagnostics(tu) {
                let d = clang_getDiagnostic(tu, i);
                let severity = clang_getDiagnosticSeverity(d);
                if severity >= CXDiagnostic_Error && self.model.errors.len() < 3 {
                    let loc = self.loc_of(clang_getDiagnosticLocation(d));
                    let msg = text(clang_getDiagnosticSpelling(d));
                    if !loc.file.ends_with("__ffi_guard_headers.c")
                        || msg.contains("file not found")
                    {
                        self.model
                            .errors
                            .push(format!("{}:{}: {msg}", loc.file, loc.line));
                    }
                }
                clang_disposeDiagnostic(d);
            }
        }
    }

    fn run(&mut self, top: &[CXCursor]) {
        // SAFETY (whole fn): cursors of a live unit.
        unsafe {
            for &c in top {
                if clang_getCursorKind(c) == CXCursor_InclusionDirective {
                    let mut file: CXFile = std::ptr::null_mut();
                    clang_getFileLocation(
                        clang_getCursorLocation(c),
                        &mut file,
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    );
                    if !file.is_null()
                        && Path::new(&text(clang_getFileName(file))) == self.main_path
                    {
                        let inc = clang_getIncludedFile(c);
                        if !inc.is_null() {
                            let p = PathBuf::from(text(clang_getFileName(inc)));
                            if let Some(dir) = p.parent() {
                                self.direct_dirs.insert(dir.to_path_buf());
                            }
                        }
                    }
                }
            }
            let mut tags: Vec<(String, Named)> = Vec::new();
            for &c in top {
                let kind = clang_getCursorKind(c);
                if kind == CXCursor_InclusionDirective || kind == CXCursor_MacroExpansion {
                    continue;
                }
                let (_, own) = self.file_of(clang_getCursorLocation(c));
                if kind == CXCursor_VarDecl {
                    self.value(c);
                    continue;
                }
                if !own {
                    continue;
                }
                let name = text(clang_getCursorSpelling(c));
                match kind {
                    CXCursor_StructDecl | CXCursor_UnionDecl => {
                        let ty = clang_getCursorType(c);
                        if let CType::Record(key) = self.ty(ty, 0) {
                            let display = text(clang_getTypeSpelling(ty));
                            if !name.is_empty() && clang_Cursor_isAnonymous(c) == 0 {
                                tags.push((name.clone(), Named::Record(key.clone())));
                                tags.push((display, Named::Record(key)));
                            }
                        }
                    }
                    CXCursor_EnumDecl => {
                        let ty = clang_getCursorType(c);
                        let key = self.enum_decl(c);
                        if !name.is_empty() && clang_Cursor_isAnonymous(c) == 0 {
                            tags.push((name.clone(), Named::Enum(key.clone())));
                            tags.push((text(clang_getTypeSpelling(ty)), Named::Enum(key)));
                        }
                    }
                    CXCursor_TypedefDecl => {
                        let under = clang_getCanonicalType(clang_getTypedefDeclUnderlyingType(c));
                        match under.kind {
                            CXType_Record => {
                                if let CType::Record(key) = self.ty(under, 0) {
                                    self.model.names.insert(name, Named::Record(key));
                                }
                            }
                            CXType_Enum => {
                                let key = self.enum_decl(clang_getTypeDeclaration(under));
                                self.model.names.insert(name, Named::Enum(key));
                            }
                            _ => {}
                        }
                    }
                    CXCursor_FunctionDecl => {
                        if let CType::Fn(sig) = self.ty(clang_getCursorType(c), 0) {
                            let loc = self.loc_of(clang_getCursorLocation(c));
                            self.model.fns.entry(name).or_insert(CFn { sig: *sig, loc });
                        }
                    }
                    CXCursor_MacroDefinition if clang_Cursor_isMacroFunctionLike(c) == 0 => {
                        let loc = self.loc_of(clang_getCursorLocation(c));
                        self.macro_locs.insert(name, loc);
                    }
                    _ => {}
                }
            }
            // Tags never hide a typedef of the same name.
            for (name, named) in tags {
                self.model.names.entry(name).or_insert(named);
            }
            // Values were read before every macro's place was known.
            let pending: Vec<(String, CConst)> = self
                .model
                .consts
                .iter()
                .filter(|(_, c)| c.what == "macro")
                .map(|(n, c)| (n.clone(), c.clone()))
                .collect();
            for (name, mut c) in pending {
                match self.macro_locs.get(&name) {
                    Some(loc) => {
                        c.loc = loc.clone();
                        self.model.consts.insert(name, c);
                    }
                    // A macro of a system header: not the library's.
                    None => {
                        self.model.consts.remove(&name);
                    }
                }
            }
        }
    }

    /// A generated `__ffi_guard_value_NAME`: the macro's integer value.
    unsafe fn value(&mut self, c: CXCursor) {
        // SAFETY: a cursor of a live unit; the result is disposed of.
        unsafe {
            let name = text(clang_getCursorSpelling(c));
            let Some(macro_name) = name.strip_prefix(VALUE_PREFIX) else {
                return;
            };
            if self.model.consts.contains_key(macro_name) {
                return;
            }
            let r = clang_Cursor_Evaluate(c);
            if r.is_null() {
                return;
            }
            if clang_EvalResult_getKind(r) == CXEval_Int {
                let value = if clang_EvalResult_isUnsignedInt(r) != 0 {
                    i128::from(clang_EvalResult_getAsUnsigned(r))
                } else {
                    i128::from(clang_EvalResult_getAsLongLong(r))
                };
                self.model.consts.insert(
                    macro_name.to_owned(),
                    CConst {
                        value,
                        what: "macro",
                        loc: Loc {
                            file: String::new(),
                            line: 0,
                            column: 0,
                        },
                    },
                );
            }
            clang_EvalResult_dispose(r);
        }
    }

    /// The path of a location's file and whether it is the library's.
    fn file_of(&mut self, loc: CXSourceLocation) -> (String, bool) {
        let mut file: CXFile = std::ptr::null_mut();
        // SAFETY: out-pointers to locals.
        unsafe {
            clang_getFileLocation(
                loc,
                &mut file,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
        }
        if file.is_null() {
            return (String::new(), false);
        }
        if let Some(hit) = self.files.get(&(file as usize)) {
            return hit.clone();
        }
        // SAFETY: a file of a live unit.
        let path = text(unsafe { clang_getFileName(file) });
        let p = Path::new(&path);
        let own = p != self.main_path
            && (p.parent().is_some_and(|d| self.direct_dirs.contains(d))
                || self.own_dirs.iter().any(|d| p.starts_with(d)));
        let shown = p
            .strip_prefix(self.root)
            .map_or_else(|_| path.clone(), |r| r.to_string_lossy().into_owned());
        self.files.insert(file as usize, (shown.clone(), own));
        (shown, own)
    }

    fn loc_of(&mut self, loc: CXSourceLocation) -> Loc {
        let (mut line, mut column): (u32, u32) = (0, 0);
        // SAFETY: out-pointers to locals.
        unsafe {
            clang_getFileLocation(
                loc,
                std::ptr::null_mut(),
                &mut line,
                &mut column,
                std::ptr::null_mut(),
            );
        }
        let (file, _) = self.file_of(loc);
        Loc {
            file,
            line: line as usize,
            column: column as usize,
        }
    }

    /// The model of a type; records and enums it names are read on the way.
    fn ty(&mut self, ty: CXType, depth: usize) -> CType {
        if depth > 64 {
            return CType::Other;
        }
        // SAFETY (whole fn): types of a live unit.
        unsafe {
            let t = clang_getCanonicalType(ty);
            let size = || clang_Type_getSizeOf(t).max(0) as u64;
            match t.kind {
                CXType_Void => CType::Void,
                CXType_Bool => CType::Bool,
                CXType_Char_U | CXType_UChar | CXType_UShort | CXType_UInt | CXType_ULong
                | CXType_ULongLong | CXType_UInt128 | CXType_Char16 | CXType_Char32 => CType::Int {
                    size: size(),
                    signed: false,
                    is_enum: false,
                },
                CXType_Char_S | CXType_SChar | CXType_Short | CXType_Int | CXType_Long
                | CXType_LongLong | CXType_Int128 => CType::Int {
                    size: size(),
                    signed: true,
                    is_enum: false,
                },
                CXType_WChar => CType::Int {
                    size: size(),
                    signed: size() == 4,
                    is_enum: false,
                },
                CXType_Float | CXType_Double => CType::Float(size()),
                CXType_Pointer => {
                    let pointee = clang_getPointeeType(t);
                    CType::Ptr {
                        konst: clang_isConstQualifiedType(pointee) != 0,
                        pointee: Box::new(self.ty(pointee, depth + 1)),
                    }
                }
                CXType_Enum => {
                    let decl = clang_getTypeDeclaration(t);
                    let signed = is_signed(clang_getEnumDeclIntegerType(decl));
                    self.enum_decl(decl);
                    CType::Int {
                        size: size(),
                        signed,
                        is_enum: true,
                    }
                }
                CXType_Record => CType::Record(self.record(t, depth)),
                CXType_FunctionProto | CXType_FunctionNoProto => {
                    let proto = t.kind == CXType_FunctionProto;
                    let n = clang_getNumArgTypes(t).max(0) as u32;
                    let params = (0..n)
                        .map(|i| self.ty(clang_getArgType(t, i), depth + 1))
                        .collect();
                    CType::Fn(Box::new(CSig {
                        params,
                        ret: self.ty(clang_getResultType(t), depth + 1),
                        variadic: proto && clang_isFunctionTypeVariadic(t) != 0,
                        proto,
                    }))
                }
                CXType_ConstantArray => CType::Array(
                    Box::new(self.ty(clang_getArrayElementType(t), depth + 1)),
                    Some(clang_getArraySize(t).max(0) as u64),
                ),
                CXType_IncompleteArray => CType::Array(
                    Box::new(self.ty(clang_getArrayElementType(t), depth + 1)),
                    None,
                ),
                _ => CType::Other,
            }
        }
    }

    /// Read a struct or union (once) and return its key.
    unsafe fn record(&mut self, t: CXType, depth: usize) -> String {
        // SAFETY (whole fn): a record type of a live unit.
        unsafe {
            let decl = clang_getTypeDeclaration(t);
            let key = text(clang_getCursorUSR(decl));
            if self.model.records.contains_key(&key) || !self.busy.insert(key.clone()) {
                return key;
            }
            let def = clang_getCursorDefinition(decl);
            let complete = clang_Cursor_isNull(def) == 0;
            let raw_size = clang_Type_getSizeOf(t);
            let mut fields = Vec::new();
            if complete {
                for f in children(def) {
                    if clang_getCursorKind(f) != CXCursor_FieldDecl {
                        continue;
                    }
                    let bit_width = (clang_Cursor_isBitField(f) != 0)
                        .then(|| clang_getFieldDeclBitWidth(f).max(0) as u32);
                    fields.push(CField {
                        name: text(clang_getCursorSpelling(f)),
                        offset_bits: clang_Cursor_getOffsetOfField(f).max(0) as u64,
                        ty: self.ty(clang_getCursorType(f), depth + 1),
                        bit_width,
                    });
                }
            }
            let loc = self.loc_of(clang_getCursorLocation(if complete { def } else { decl }));
            let record = CRecord {
                display: text(clang_getTypeSpelling(t)),
                is_union: clang_getCursorKind(decl) == CXCursor_UnionDecl,
                size: (complete && raw_size >= 0).then_some(raw_size as u64),
                align: clang_Type_getAlignOf(t).max(1) as u64,
                fields,
                loc,
            };
            self.busy.remove(&key);
            self.model.records.insert(key.clone(), record);
            key
        }
    }

    /// Read an enum declaration (once), its enumerators as constants.
    unsafe fn enum_decl(&mut self, decl: CXCursor) -> String {
        // SAFETY (whole fn): an enum declaration of a live unit.
        unsafe {
            let key = text(clang_getCursorUSR(decl));
            if self.model.enums.contains_key(&key) {
                return key;
            }
            let def = clang_getCursorDefinition(decl);
            let decl = if clang_Cursor_isNull(def) == 0 {
                def
            } else {
                decl
            };
            let t = clang_getCursorType(decl);
            let signed = is_signed(clang_getEnumDeclIntegerType(decl));
            let loc = self.loc_of(clang_getCursorLocation(decl));
            let own = self.file_of(clang_getCursorLocation(decl)).1;
            let mut values = Vec::new();
            for e in children(decl) {
                if clang_getCursorKind(e) != CXCursor_EnumConstantDecl {
                    continue;
                }
                let name = text(clang_getCursorSpelling(e));
                let value = if signed {
                    i128::from(clang_getEnumConstantDeclValue(e))
                } else {
                    i128::from(clang_getEnumConstantDeclUnsignedValue(e))
                };
                if own {
                    let loc = self.loc_of(clang_getCursorLocation(e));
                    self.model.consts.entry(name.clone()).or_insert(CConst {
                        value,
                        what: "enumerator",
                        loc,
                    });
                }
                values.push((name, value));
            }
            self.model.enums.insert(
                key.clone(),
                CEnum {
                    display: text(clang_getTypeSpelling(t)),
                    size: clang_Type_getSizeOf(t).max(0) as u64,
                    align: clang_Type_getAlignOf(t).max(1) as u64,
                    signed,
                    values,
                    loc,
                },
            );
            key
        }
    }
}

fn is_signed(t: CXType) -> bool {
    // SAFETY: a type of a live unit.
    let t = unsafe { clang_getCanonicalType(t) };
    matches!(
        t.kind,
        CXType_Char_S
            | CXType_SChar
            | CXType_Short
            | CXType_Int
            | CXType_Long
            | CXType_LongLong
            | CXType_Int128
    )
}
