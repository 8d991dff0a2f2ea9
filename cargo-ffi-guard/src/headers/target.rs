//! What a target triple means for layout and for `cfg`: pointer width,
//! `c_long`, `c_char` signedness, the alignment of 8-byte scalars, and the
//! `target_*` cfg values.

/// The facts of one target the Rust layout rules need.
#[derive(Debug, Clone)]
pub struct Target {
    pub triple: String,
    pub arch: String,
    pub os: String,
    pub env: String,
    pub vendor: String,
    pub family: &'static str,
    pub ptr: u64,
    /// Size of `c_long`/`c_ulong`.
    pub long: u64,
    pub char_signed: bool,
    /// Alignment of `u64`, `i64`, `f64` (4 on 32-bit x86 outside Windows).
    pub align8: u64,
}

impl Target {
    pub fn new(triple: &str) -> Target {
        let parts: Vec<&str> = triple.split('-').collect();
        let raw_arch = parts.first().copied().unwrap_or("");
        let arch = match raw_arch {
            "i386" | "i586" | "i686" => "x86",
            a if a.starts_with("armv") || a.starts_with("thumb") || a == "arm" => "arm",
            a if a.starts_with("riscv64") => "riscv64",
            a if a.starts_with("riscv32") => "riscv32",
            a => a,
        }
        .to_owned();
        let os = if triple.contains("windows") {
            "windows"
        } else if triple.contains("android") {
            "android"
        } else if triple.contains("linux") {
            "linux"
        } else if triple.contains("darwin") {
            "macos"
        } else if triple.contains("-ios") {
            "ios"
        } else if triple.contains("freebsd") {
            "freebsd"
        } else if triple.contains("netbsd") {
            "netbsd"
        } else if triple.contains("openbsd") {
            "openbsd"
        } else {
            "none"
        }
        .to_owned();
        let last = parts.last().copied().unwrap_or("");
        let env = if last.starts_with("gnu") {
            "gnu"
        } else if last.starts_with("musl") {
            "musl"
        } else if last == "msvc" {
            "msvc"
        } else {
            ""
        }
        .to_owned();
        let vendor = parts.get(1).copied().unwrap_or("unknown").to_owned();
        let family = match os.as_str() {
            "windows" => "windows",
            "none" => "",
            _ => "unix",
        };
        let ptr = if matches!(
            arch.as_str(),
            "x86" | "arm" | "riscv32" | "wasm32" | "mips" | "mipsel" | "powerpc" | "sparc"
        ) || triple.ends_with("gnux32")
        {
            4
        } else {
            8
        };
        let windows = os == "windows";
        let apple = vendor == "apple";
        let char_signed = windows
            || apple
            || !matches!(
                arch.as_str(),
                "aarch64"
                    | "arm"
                    | "powerpc"
                    | "powerpc64"
                    | "powerpc64le"
                    | "s390x"
                    | "riscv64"
                    | "riscv32"
            );
        Target {
            triple: triple.to_owned(),
            long: if windows { 4 } else { ptr },
            align8: if arch == "x86" && !windows { 4 } else { 8 },
            arch,
            os,
            env,
            vendor,
            family,
            ptr,
            char_signed,
        }
    }

    /// Whether `#[cfg(..)]`'s predicate holds on this target with the
    /// configured cfgs (`name` or `name = "value"`). Unknown names are false.
    pub fn cfg(&self, meta: &syn::Meta, cfgs: &[String]) -> bool {
        match meta {
            syn::Meta::Path(p) => {
                let name = path_name(p);
                match name.as_str() {
                    "unix" => self.family == "unix",
                    "windows" => self.family == "windows",
                    _ => cfgs.iter().any(|c| c.trim() == name),
                }
            }
            syn::Meta::NameValue(nv) => {
                let name = path_name(&nv.path);
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                else {
                    return false;
                };
                let value = s.value();
                let ptr = (self.ptr * 8).to_string();
                let own = match name.as_str() {
                    "target_os" => Some(self.os.as_str()),
                    "target_arch" => Some(self.arch.as_str()),
                    "target_env" => Some(self.env.as_str()),
                    "target_vendor" => Some(self.vendor.as_str()),
                    "target_family" => Some(self.family),
                    "target_pointer_width" => Some(ptr.as_str()),
                    "target_endian" => Some(
                        if self.arch.starts_with("powerpc") && !self.arch.ends_with("le")
                            || self.arch == "s390x"
                        {
                            "big"
                        } else {
                            "little"
                        },
                    ),
                    _ => None,
                };
                match own {
                    Some(v) => v == value,
                    None => cfgs.iter().any(|c| {
                        c.split_once('=').is_some_and(|(k, v)| {
                            k.trim() == name && v.trim().trim_matches('"') == value
                        })
                    }),
                }
            }
            syn::Meta::List(l) => {
                let name = path_name(&l.path);
                let Ok(args) = l.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
                ) else {
                    return false;
                };
                match name.as_str() {
                    "any" => args.iter().any(|m| self.cfg(m, cfgs)),
                    "all" => args.iter().all(|m| self.cfg(m, cfgs)),
                    "not" => args.len() == 1 && !self.cfg(&args[0], cfgs),
                    _ => false,
                }
            }
        }
    }

    /// Whether every `#[cfg(..)]` of `attrs` holds.
    pub fn active(&self, attrs: &[&syn::Attribute], cfgs: &[String]) -> bool {
        attrs.iter().all(|a| {
            if !a.path().is_ident("cfg") {
                return true;
            }
            match a.parse_args::<syn::Meta>() {
                Ok(m) => self.cfg(&m, cfgs),
                Err(_) => false,
            }
        })
    }
}

fn path_name(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_types_follow_the_target() {
        let w = Target::new("x86_64-pc-windows-msvc");
        assert_eq!((w.ptr, w.long, w.char_signed, w.align8), (8, 4, true, 8));
        let i = Target::new("i686-unknown-linux-gnu");
        assert_eq!((i.ptr, i.long, i.align8, i.arch.as_str()), (4, 4, 4, "x86"));
        let a = Target::new("aarch64-unknown-linux-gnu");
        assert_eq!((a.ptr, a.long, a.char_signed), (8, 8, false));
        assert!(Target::new("aarch64-apple-darwin").char_signed);
    }

    #[test]
    fn cfg_predicates() {
        let t = Target::new("i686-pc-windows-msvc");
        let cfgs = vec!["feature = \"zlib\"".to_owned(), "vendored".to_owned()];
        let yes = |s: &str| t.cfg(&syn::parse_str::<syn::Meta>(s).unwrap(), &cfgs);
        assert!(yes("windows"));
        assert!(yes(
            "all(target_pointer_width = \"32\", target_env = \"msvc\")"
        ));
        assert!(yes("not(unix)"));
        assert!(yes("feature = \"zlib\""));
        assert!(yes("vendored"));
        assert!(!yes("feature = \"other\""));
        assert!(!yes("any(target_os = \"linux\", test)"));
    }
}
