//! Generates `sys.rs` (the raw `wasi_dl` imports and the constants of
//! `<dlfcn.h>`) with bindgen from the project's C headers, the guest ABI's one
//! truth.
//!
//! How the imports get their wasm names: bindgen does not read clang's
//! `import_module`/`import_name` attributes (rust-bindgen issue #2918), so this
//! script reads them from `wasi_dl.h` itself (the `#define` whose body holds
//! `__import_module__("...")`, and each declaration's use of that macro). bindgen
//! then puts the extern block in that module (`#[link(wasm_import_module = ...)]`)
//! and names each Rust function after its import (`sys::open` for
//! `__wasi_dl_open`): rustc uses an extern function's name as its wasm import
//! name. (A `#[link_name = "open"]` would do too, but bindgen writes link names
//! as `"\u{1}open"`, and rustc would import the field `"\x01open"`.)
//! rustc gives every import of an explicit `wasm_import_module` a mangled
//! *symbol* name (`_ZN..3sys4open..E`), so `sys::open` cannot collide with
//! libc's `open`/`close`: the import *field* is `open`, the symbol is not.
//! The build fails unless every function of the header became exactly one
//! `pub fn <import name>` with no `link_name`, so the two cannot disagree.
//!
//! The same metadata also tells dependent build scripts which linker arguments
//! a main program needs (`DEP_WASI_DL_MAIN_LINK_ARGS`, see `links` in Cargo.toml).

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use bindgen::callbacks::{IntKind, ItemInfo, ItemKind, ParseCallbacks};

/// Linker arguments (wasm-ld syntax) for a Rust main program that loads side
/// modules: the main-program contract of docs/DESIGN.md. C programs pass the
/// same through clang as `-Wl,...` (see guest/README.md).
const MAIN_LINK_ARGS: &[&str] = &[
    "--export-table",
    "--growable-table",
    "--export=__stack_pointer",
    "--export=__wasi_dl_alloc",
    "--export=__wasi_dl_free",
    "--export=__wasi_dl_cxa_atexit",
    "--export=__wasi_dl_atexit",
    "--export=__wasi_dl_finalize",
    "--export=__wasi_dl_late_destructor",
    "--export=dlopen",
    "--export=dlsym",
    "--export=dlclose",
    "--export=dlerror",
    "--export=dladdr",
    "--export=dlmopen",
    "--export=dlvsym",
    "--export=dlinfo",
    "--export=__wasi_dl_open_from",
    "--export=__wasi_dl_sym_from",
];

/// More linker arguments for a Rust main program that loads *Rust* plugins
/// (`DEP_WASI_DL_RUST_PLUGIN_LINK_ARGS`): a plugin built with `wasi-dl cargo
/// build` imports the C library functions its standard library calls from the
/// program (see guest/README.md), and a Rust program exports none of its
/// wasi-libc (hidden symbols). These are the ones std uses on wasm32-wasip1,
/// plus `fflush`, which every wasi-dl-plugin entry point calls. Each
/// `--export` also pulls the function in from libc.a if the program did not
/// use it.
const RUST_PLUGIN_LINK_ARGS: &[&str] = &[
    // memory
    "--export=malloc",
    "--export=calloc",
    "--export=realloc",
    "--export=free",
    "--export=posix_memalign",
    "--export=aligned_alloc",
    "--export=memcmp",
    "--export=memcpy",
    "--export=memmove",
    "--export=memset",
    "--export=strlen",
    // process, environment, errors
    "--export=getenv",
    "--export=setenv",
    "--export=unsetenv",
    "--export=getcwd",
    "--export=chdir",
    "--export=abort",
    "--export=exit",
    "--export=errno",
    "--export=strerror_r",
    // I/O and files
    "--export=read",
    "--export=write",
    "--export=fflush",
    "--export=close",
    "--export=lseek",
    "--export=fstat",
    "--export=fsync",
    "--export=fdatasync",
    "--export=ftruncate",
    "--export=open",
    "--export=openat",
    "--export=stat",
    "--export=lstat",
    "--export=fstatat",
    "--export=unlink",
    "--export=unlinkat",
    "--export=rmdir",
    "--export=mkdir",
    "--export=mkdirat",
    "--export=rename",
    "--export=renameat",
    "--export=readlink",
    "--export=symlink",
    "--export=link",
    "--export=realpath",
    "--export=utimensat",
    "--export=opendir",
    "--export=fdopendir",
    "--export=readdir",
    "--export=closedir",
    "--export=dirfd",
    // time
    "--export=clock_gettime",
    "--export=nanosleep",
];

fn main() {
    if let Err(message) = run() {
        eprintln!("wasi-dl-guest build script: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env_var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env_var("OUT_DIR")?);
    let headers = match env::var_os("WASI_DL_C_HEADERS") {
        Some(dir) => PathBuf::from(dir),
        None => manifest_dir.join("../../c-headers"),
    };
    let wasi_dl_h = headers.join("wasi_dl/wasi_dl.h");
    let dlfcn_h = headers.join("dlfcn.h");
    let bindings_h = manifest_dir.join("bindings.h");
    for path in [&wasi_dl_h, &dlfcn_h, &bindings_h] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!("cargo:rerun-if-env-changed=WASI_DL_C_HEADERS");
    println!("cargo:main_link_args={}", MAIN_LINK_ARGS.join(" "));
    println!(
        "cargo:rust_plugin_link_args={}",
        RUST_PLUGIN_LINK_ARGS.join(" ")
    );

    let text = fs::read_to_string(&wasi_dl_h)
        .map_err(|e| format!("cannot read {}: {e}", wasi_dl_h.display()))?;
    let imports = parse_imports(&text).map_err(|e| format!("{}: {e}", wasi_dl_h.display()))?;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let callbacks = Callbacks {
        import_names: imports.names.clone(),
        seen: Arc::clone(&seen),
    };
    let bindings = bindgen::Builder::default()
        .header(path_str(&bindings_h)?)
        // The wasm target's own view of the types (size_t is 32-bit, ...).
        // Freestanding: only clang's own stddef.h/stdint.h are needed, so no
        // wasi sysroot has to be found by libclang. Default visibility: clang's
        // wasm target defaults to hidden, and bindgen skips hidden functions.
        .clang_args([
            "--target=wasm32-wasip1",
            "-ffreestanding",
            "-std=c11",
            "-fvisibility=default",
        ])
        .clang_arg(format!("-I{}", path_str(&headers)?))
        .use_core()
        .ctypes_prefix("core::ffi")
        // No `link_name`s from C symbol names: the Rust name is the import name.
        .trust_clang_mangling(false)
        .allowlist_file(".*[/\\\\]wasi_dl[/\\\\]wasi_dl\\.h")
        .allowlist_var("RTLD_.*")
        .allowlist_var("WASI_DL_HANDLE_.*")
        .allowlist_type("Dl_info")
        .wasm_import_module_name(imports.module.clone())
        .parse_callbacks(Box::new(callbacks))
        .generate()
        .map_err(|e| format!("bindgen failed on {}: {e}", bindings_h.display()))?;
    let code = bindings.to_string();
    check_imports(&code, &imports)?;
    fs::write(out_dir.join("sys.rs"), &code).map_err(|e| format!("cannot write sys.rs: {e}"))?;

    let seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    if seen.errno_names.is_empty() {
        return Err("no __WASI_DL_ERRNO_* constants found in wasi_dl.h".into());
    }

    // The errno names, for messages when the host gives no text.
    let mut names =
        String::from("/// `(value, NAME)` of every `__WASI_DL_ERRNO_NAME` in wasi_dl.h.\n");
    names.push_str("pub(crate) const ERRNO_NAMES: &[(u16, &str)] = &[\n");
    for (value, name) in &seen.errno_names {
        let _ = writeln!(names, "    ({value}, {name:?}),");
    }
    names.push_str("];\n");
    fs::write(out_dir.join("errno_names.rs"), names)
        .map_err(|e| format!("cannot write errno_names.rs: {e}"))?;
    Ok(())
}

fn env_var(name: &str) -> Result<String, String> {
    env::var(name).map_err(|e| format!("{name}: {e}"))
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", path.display()))
}

/// What bindgen reported while generating.
#[derive(Debug, Default)]
struct Seen {
    /// errno value -> name without the `__WASI_DL_ERRNO_` prefix.
    errno_names: BTreeMap<u16, String>,
}

#[derive(Debug)]
struct Callbacks {
    import_names: BTreeMap<String, String>,
    seen: Arc<Mutex<Seen>>,
}

impl ParseCallbacks for Callbacks {
    fn int_macro(&self, name: &str, value: i64) -> Option<IntKind> {
        if let Some(short) = name.strip_prefix("__WASI_DL_ERRNO_") {
            if let Ok(v) = u16::try_from(value) {
                let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
                seen.errno_names.insert(v, short.to_owned());
            }
            Some(IntKind::U16)
        } else if name.starts_with("__WASI_DL_SYMBOL_KIND_") {
            Some(IntKind::U8)
        } else if name.starts_with("RTLD_") {
            Some(IntKind::Int)
        } else {
            None
        }
    }

    fn generated_name_override(&self, item: ItemInfo<'_>) -> Option<String> {
        match item.kind {
            ItemKind::Function => self.import_names.get(item.name).cloned(),
            _ => None,
        }
    }
}

/// The generated code must hold exactly one `pub fn <import name>(` per
/// import, all inside `#[link(wasm_import_module = "<module>")]` blocks, and no
/// `link_name` (which would replace the import name).
fn check_imports(code: &str, imports: &Imports) -> Result<(), String> {
    let functions = code.matches("pub fn ").count();
    let blocks = code
        .matches(&format!(
            "#[link(wasm_import_module = \"{}\")]",
            imports.module
        ))
        .count();
    for (function, field) in &imports.names {
        if code.matches(&format!("pub fn {field}(")).count() != 1 {
            return Err(format!(
                "wasi_dl.h imports {function} as \"{field}\", but the bindings have no (single) \
                 function {field}; is it a Rust keyword or not an identifier?"
            ));
        }
    }
    if code.contains("link_name") {
        return Err("bindgen emitted a link_name: the import names would be wrong".into());
    }
    if functions != imports.names.len() || blocks != functions {
        return Err(format!(
            "wasi_dl.h declares {functions} function(s) ({blocks} in the import module), but only \
             {} have an import name",
            imports.names.len()
        ));
    }
    Ok(())
}

/// The import module and per-function import names declared in wasi_dl.h.
#[derive(Debug)]
struct Imports {
    module: String,
    /// C function name -> wasm import name.
    names: BTreeMap<String, String>,
}

/// Reads the import attributes out of the header text. The header's shape is:
///
/// ```c
/// #define MACRO(name) __attribute__((__import_module__("wasi_dl"), __import_name__(name)))
/// ret function(params...) MACRO("field");
/// ```
///
/// Anything that does not fit makes the build fail, never guess.
fn parse_imports(text: &str) -> Result<Imports, String> {
    let text = strip_comments(text)?.replace("\\\n", " ");
    let mut macro_and_module: Option<(String, String)> = None;
    let mut declarations = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let Some(directive) = trimmed.strip_prefix('#') else {
            declarations.push_str(line);
            declarations.push('\n');
            continue;
        };
        let Some(define) = directive.trim_start().strip_prefix("define") else {
            continue;
        };
        let define = define.trim_start();
        let Some(at) = find_identifier(define, "__import_module__") else {
            continue;
        };
        let name_end = define
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .ok_or("malformed #define")?;
        let macro_name = &define[..name_end];
        if macro_name.is_empty() || !define[name_end..].starts_with('(') {
            return Err(format!(
                "the #define using __import_module__ ({macro_name}) must be a function-like macro"
            ));
        }
        let module = string_argument(&define[at + "__import_module__".len()..])
            .ok_or("__import_module__ must be given a string literal")?;
        if macro_and_module
            .replace((macro_name.to_owned(), module))
            .is_some()
        {
            return Err("more than one #define uses __import_module__".into());
        }
    }
    let (macro_name, module) = macro_and_module.ok_or("no #define with __import_module__ found")?;

    let mut names = BTreeMap::new();
    for statement in declarations.split(';') {
        let Some(at) = find_identifier(statement, &macro_name) else {
            continue;
        };
        let field = string_argument(&statement[at + macro_name.len()..])
            .ok_or_else(|| format!("{macro_name} must be given a string literal"))?;
        // The declaration starts after any `extern "C" {` or `}` before it.
        let start = statement.rfind(['{', '}']).map_or(0, |i| i + 1);
        let declaration = &statement[start..at];
        let paren = declaration
            .find('(')
            .ok_or_else(|| format!("no parameter list before {macro_name}(\"{field}\")"))?;
        let before = declaration[..paren].trim_end();
        let ident_start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let function = &before[ident_start..];
        if function.is_empty() || function.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!(
                "cannot find the function name before {macro_name}(\"{field}\")"
            ));
        }
        if let Some(previous) = names.insert(function.to_owned(), field.clone()) {
            return Err(format!(
                "{function} has two import names: {previous}, {field}"
            ));
        }
    }
    if names.is_empty() {
        return Err(format!("no declaration uses {macro_name}"));
    }
    Ok(Imports { module, names })
}

/// The position of `ident` in `text` as a whole identifier.
fn find_identifier(text: &str, ident: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = text[from..].find(ident) {
        let at = from + i;
        let end = at + ident.len();
        let before_ok = !text[..at].ends_with(is_ident);
        let after_ok = !text[end..].starts_with(is_ident);
        if before_ok && after_ok {
            return Some(at);
        }
        from = end;
    }
    None
}

/// `( "literal" ...` -> `literal` (a plain literal: no escapes).
fn string_argument(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix('(')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let literal = &rest[..end];
    if literal.is_empty() || literal.contains('\\') {
        return None;
    }
    Some(literal.to_owned())
}

/// Removes `/* */` and `//` comments, leaving string and character literals
/// alone. A comment becomes one space, as in C.
fn strip_comments(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    if c == '\n' {
                        out.push('\n'); // keep line structure for directives
                    } else if c == '*' && chars.peek() == Some(&'/') {
                        chars.next();
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err("unterminated comment".into());
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' | '\'' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            out.push(e);
                        }
                    } else if d == c || d == '\n' {
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}
