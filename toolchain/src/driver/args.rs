//! Argument parsing: what the user passed (gcc/clang options, inputs, libraries, linker
//! options), read into [`Parsed`] in order, with the driver's own options and the GNU-ld-only
//! linker options taken out.

use super::ExportMode;
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::PathBuf;

/// One user argument (or option + value), kept in order.
#[derive(Debug)]
pub(super) enum Item {
    /// Passed through as is.
    Args(Vec<OsString>),
    /// A positional input file.
    Input(PathBuf),
    /// `-lname` / `-l name`.
    Lib {
        name: String,
        spelled: Vec<OsString>,
    },
}

impl Item {
    pub(super) fn into_args(self) -> Vec<OsString> {
        match self {
            Item::Args(a) => a,
            Item::Input(p) => vec![p.into_os_string()],
            Item::Lib { spelled, .. } => spelled,
        }
    }
}

#[derive(Default, Debug)]
pub(super) struct Parsed {
    pub(super) items: Vec<Item>,
    pub(super) shared: bool,
    pub(super) link: bool,
    pub(super) inputs: usize,
    pub(super) user_target: bool,
    pub(super) user_sysroot: bool,
    pub(super) user_fuse_ld: bool,
    pub(super) user_nostartfiles: bool,
    pub(super) user_nostdlib: bool,
    pub(super) user_nostdlibxx: bool,
    /// `-nostdinc` / `-nostdlibinc`: the user chose the system header directories.
    pub(super) user_nostdinc: bool,
    /// `-o FILE`.
    pub(super) output: Option<PathBuf>,
    /// `-fno-exceptions`: no C++ exceptions, whatever the runtime supports.
    pub(super) user_no_exceptions: bool,
    pub(super) wants_rpath: bool,
    /// The user set the stack size (`-Wl,-z,stack-size=N`, `-z stack-size=N`, ...).
    pub(super) user_stack_size: bool,
    /// The user chose the memory layout (`--stack-first`, `--global-base=`).
    pub(super) user_layout: bool,
    /// `-Wl,-soname,NAME`, `-Wl,-z,nodelete` and `-Wl,-z,nodlopen` of a side module: kept in a
    /// custom section (`wasi_dl_meta`, see docs/DESIGN.md), since dylink.0 has no field for them.
    pub(super) soname: Option<String>,
    pub(super) nodelete: bool,
    pub(super) nodlopen: bool,
    /// The `-rpath` directories, in order (for a main program: its RUNPATH, see `startup`).
    pub(super) rpaths: Vec<String>,
    /// A `-Xlinker -rpath` waiting for its `-Xlinker DIR`.
    pub(super) xlinker_rpath_pending: bool,
    pub(super) mode: ExportMode,
    /// `-mdl-exports-for=PATH`: side modules the program will dlopen, named for slim mode.
    pub(super) exports_for: Vec<PathBuf>,
    pub(super) lib_dirs: Vec<PathBuf>,
    pub(super) warnings: Vec<String>,
    pub(super) notes: Vec<String>,
}

/// Options whose value is the next argument (when not joined).
const TAKES_VALUE: &[&str] = &[
    "-o",
    "-I",
    "-L",
    "-l",
    "-D",
    "-U",
    "-include",
    "-imacros",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-iprefix",
    "-iwithprefix",
    "-iwithprefixbefore",
    "-isysroot",
    "-cxx-isystem",
    "-MF",
    "-MT",
    "-MQ",
    "-MJ",
    "-x",
    "-Xlinker",
    "-Xclang",
    "-Xpreprocessor",
    "-Xassembler",
    "-target",
    "--target",
    "--sysroot",
    "-arch",
    "-u",
    "-z",
    "-T",
    "-e",
    "-B",
    "-mllvm",
    "-F",
    "-rpath",
    "-working-directory",
    "-resource-dir",
    "-ivfsoverlay",
    "-dependency-file",
    "-serialize-diagnostics",
    "--param",
];

/// `DIR` of `-rpath=DIR` / `--rpath=DIR`.
fn rpath_value(linker_arg: &str) -> Option<&str> {
    linker_arg
        .strip_prefix("-rpath=")
        .or_else(|| linker_arg.strip_prefix("--rpath="))
}

fn is_rpath_flag(linker_arg: &str) -> bool {
    matches!(linker_arg, "-rpath" | "--rpath")
        || linker_arg.starts_with("-rpath=")
        || linker_arg.starts_with("--rpath=")
}

pub(super) fn parse(args: &[OsString]) -> Result<Parsed> {
    let mut p = Parsed {
        link: true,
        ..Parsed::default()
    };
    let mut i = 0;
    while i < args.len() {
        let raw = &args[i];
        i += 1;
        let Some(a) = raw.to_str() else {
            // Not UTF-8: cannot be one of our options; an input file name.
            p.inputs += 1;
            p.items.push(Item::Input(PathBuf::from(raw)));
            continue;
        };
        // An option whose value is the next argument.
        if TAKES_VALUE.contains(&a) {
            let value = args
                .get(i)
                .cloned()
                .with_context(|| format!("{a} needs a value"))?;
            i += 1;
            let v = value.to_string_lossy().into_owned();
            match a {
                "-l" => {
                    lib(&mut p, &v, vec![raw.clone(), value]);
                    continue;
                }
                "-L" => p.lib_dirs.push(PathBuf::from(&value)),
                "-o" => p.output = Some(PathBuf::from(&value)),
                "-target" | "--target" => p.user_target = true,
                "--sysroot" => p.user_sysroot = true,
                "-z" => note_linker_layout(&mut p, &v),
                "-rpath" => {
                    p.wants_rpath = true;
                    p.rpaths.push(v.clone());
                }
                "-Xlinker" => {
                    note_linker_layout(&mut p, &v);
                    if std::mem::take(&mut p.xlinker_rpath_pending) {
                        p.rpaths.push(v.clone());
                    } else if matches!(v.as_str(), "-rpath" | "--rpath") {
                        p.xlinker_rpath_pending = true;
                    } else if let Some(dir) = rpath_value(&v) {
                        p.rpaths.push(dir.to_string());
                    }
                    if filter_linker_args(&mut p, &v).is_none() {
                        continue;
                    }
                    p.wants_rpath |= is_rpath_flag(&v);
                }
                _ => {}
            }
            p.items.push(Item::Args(vec![raw.clone(), value]));
            continue;
        }
        match a {
            "-shared" => {
                p.shared = true;
                continue;
            }
            "-rdynamic" => {
                p.notes.push(
                    "-rdynamic: implied for main programs, not needed for side modules".into(),
                );
                continue;
            }
            "-pthread" | "-pthreads" => {
                p.warnings
                    .push(format!("{a} ignored: wasi-dl programs are single-threaded"));
                continue;
            }
            "-c" | "-S" | "-E" | "-M" | "-MM" | "-fsyntax-only" | "--precompile" => p.link = false,
            "-nostartfiles" => p.user_nostartfiles = true,
            "-nostdlib" | "-nodefaultlibs" | "-nolibc" => p.user_nostdlib = true,
            "-nostdlib++" => p.user_nostdlibxx = true,
            "-nostdinc" | "-nostdlibinc" => p.user_nostdinc = true,
            "-fno-exceptions" | "-fno-cxx-exceptions" => p.user_no_exceptions = true,
            "-fexceptions" | "-fcxx-exceptions" => p.user_no_exceptions = false,
            "-" => p.inputs += 1,
            _ => {}
        }
        if let Some(tool) = a.strip_prefix("-print-prog-name=") {
            let wasm_tool = wasm_prog_name(tool);
            if wasm_tool != tool {
                p.notes.push(format!(
                    "-print-prog-name={tool}: the wasm tool is {wasm_tool}"
                ));
            }
            p.items.push(Item::Args(vec![
                format!("-print-prog-name={wasm_tool}").into()
            ]));
            continue;
        }
        if let Some(path) = a.strip_prefix("-mdl-exports-for=") {
            p.exports_for.push(PathBuf::from(path));
            continue;
        }
        if let Some(mode) = a.strip_prefix("-mdl-exports=") {
            p.mode = match mode {
                "full" => ExportMode::Full,
                "slim" => ExportMode::Slim,
                other => bail!("-mdl-exports= takes full or slim, not {other:?}"),
            };
            continue;
        }
        if let Some(name) = a.strip_prefix("-l") {
            lib(&mut p, name, vec![raw.clone()]);
            continue;
        }
        if let Some(dir) = a.strip_prefix("-L") {
            p.lib_dirs.push(PathBuf::from(dir));
        } else if a.starts_with("--target=") {
            p.user_target = true;
        } else if a.starts_with("--sysroot=") {
            p.user_sysroot = true;
        } else if a.starts_with("-fuse-ld=") || a.starts_with("--ld-path=") {
            p.user_fuse_ld = true;
        } else if let Some(list) = a.strip_prefix("-Wl,") {
            for part in list.split(',') {
                note_linker_layout(&mut p, part);
            }
            let mut parts = list.split(',');
            while let Some(part) = parts.next() {
                if matches!(part, "-soname" | "--soname" | "-h") {
                    p.soname = parts.next().map(str::to_string);
                } else if let Some(name) = part
                    .strip_prefix("-soname=")
                    .or_else(|| part.strip_prefix("--soname="))
                {
                    p.soname = Some(name.to_string());
                } else if part == "-z" && parts.clone().next() == Some("nodelete") {
                    parts.next();
                    p.nodelete = true;
                } else if part == "-z" && parts.clone().next() == Some("nodlopen") {
                    parts.next();
                    p.nodlopen = true;
                } else if matches!(part, "-rpath" | "--rpath") {
                    if let Some(dir) = parts.next() {
                        p.rpaths.push(dir.to_string());
                    }
                } else if let Some(dir) = rpath_value(part) {
                    p.rpaths.push(dir.to_string());
                }
            }
            match filter_linker_args(&mut p, list) {
                None => continue,
                Some(kept) if kept != list => {
                    p.wants_rpath |= kept.split(',').any(is_rpath_flag);
                    p.items.push(Item::Args(vec![format!("-Wl,{kept}").into()]));
                    continue;
                }
                Some(_) => p.wants_rpath |= list.split(',').any(is_rpath_flag),
            }
        } else if a.starts_with('@') {
            p.inputs += 1; // a response file: may hold inputs
        } else if !a.starts_with('-') {
            p.inputs += 1;
            p.items.push(Item::Input(PathBuf::from(raw)));
            continue;
        }
        p.items.push(Item::Args(vec![raw.clone()]));
    }
    Ok(p)
}

/// The wasm tool that does the job of the GNU tool `name`, for `-print-prog-name=`:
/// clang answers `ld` or `ar` with the host's GNU binutils, which cannot handle wasm
/// objects; build systems then use them for wasm. Other names are unchanged.
fn wasm_prog_name(name: &str) -> &str {
    match name {
        "ld" | "ld.lld" | "lld" | "ld.bfd" | "ld.gold" => "wasm-ld",
        "ar" => "llvm-ar",
        "ranlib" => "llvm-ranlib",
        "nm" => "llvm-nm",
        "strip" => "llvm-strip",
        "objcopy" => "llvm-objcopy",
        "objdump" => "llvm-objdump",
        "readelf" => "llvm-readelf",
        "size" => "llvm-size",
        "strings" => "llvm-strings",
        "addr2line" => "llvm-addr2line",
        // clang assembles wasm itself (its integrated assembler).
        "as" => "clang",
        other => other,
    }
}

/// Notes a linker argument that sets the program's memory layout, so that the driver's
/// defaults (see [`STACK_SIZE`](super::STACK_SIZE)) stay out of its way. `-z stack-size=N` reaches here
/// as its value `stack-size=N` (after `-z`, `-Xlinker` or in a `-Wl,` list).
fn note_linker_layout(p: &mut Parsed, linker_arg: &str) {
    let bare = linker_arg.trim_start_matches('-');
    if bare.starts_with("stack-size=") {
        p.user_stack_size = true;
    } else if bare == "stack-first" || bare == "no-stack-first" || bare.starts_with("global-base") {
        p.user_layout = true;
    }
}

/// GNU ld options that wasm-ld rejects and that mean nothing for wasm
/// (NEEDED always lists every library given, as with `--no-as-needed`;
/// undefined symbols of a side module are resolved at load time).
const LINKER_NOOPS: &[&str] = &[
    "as-needed",
    "no-as-needed",
    "eh-frame-hdr",
    "enable-new-dtags",
    "disable-new-dtags",
    "no-undefined",
    "sort-common",
    "copy-dt-needed-entries",
    "no-copy-dt-needed-entries",
    "warn-common",
];

/// Drops the GNU-ld-only options from a comma-separated `-Wl,` list (or one
/// `-Xlinker` value); `None` when nothing is left.
fn filter_linker_args(p: &mut Parsed, list: &str) -> Option<String> {
    let mut kept = Vec::new();
    let mut tokens = list.split(',');
    while let Some(token) = tokens.next() {
        let bare = token.trim_start_matches('-');
        if let Some(flag @ ("nodelete" | "nodlopen")) =
            tokens.clone().next().filter(|_| token == "-z")
        {
            tokens.next();
            p.notes.push(format!(
                "linker option -z {flag}: recorded in the wasi_dl_meta section"
            ));
            continue;
        }
        if token.starts_with('-')
            && (LINKER_NOOPS.contains(&bare) || bare.starts_with("hash-style="))
        {
            p.notes.push(format!("linker option {token} ignored: wasm-ld has no such option and wasm no such concept"));
        } else if token.starts_with('-')
            && (bare == "version-script" || bare.starts_with("version-script="))
        {
            if bare == "version-script" {
                tokens.next();
            }
            p.warnings.push(format!(
                "linker option {token} ignored: wasm-ld has no version scripts (every default-visibility symbol is exported)"
            ));
        } else {
            kept.push(token);
        }
    }
    (!kept.is_empty()).then(|| kept.join(","))
}

fn lib(p: &mut Parsed, name: &str, spelled: Vec<OsString>) {
    if matches!(name, "dl" | "pthread") {
        p.notes.push(format!(
            "-l{name} ignored: dlopen lives in the wasi-dl guest library"
        ));
        return;
    }
    p.items.push(Item::Lib {
        name: name.to_string(),
        spelled,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::needed::meta_section;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn classifies_stages_and_flags() {
        let p = parse(&os(&["-O2", "-c", "a.c", "-o", "a.o"])).unwrap();
        assert!(!p.link);
        assert_eq!(p.inputs, 1);
        let p = parse(&os(&[
            "a.c",
            "-shared",
            "-L",
            "dir",
            "-lfoo",
            "-Wl,-rpath,$ORIGIN",
        ]))
        .unwrap();
        assert!(p.link && p.shared && p.wants_rpath);
        assert_eq!(p.lib_dirs, vec![PathBuf::from("dir")]);
        let p = parse(&os(&["--version"])).unwrap();
        assert_eq!(p.inputs, 0);
        let p = parse(&os(&["-Xlinker", "--rpath=x", "-o", "out.so"])).unwrap();
        assert!(p.wants_rpath);
        assert_eq!(p.inputs, 0, "-o's value is not an input");
    }

    #[test]
    fn ignored_and_own_flags() {
        let p = parse(&os(&[
            "m.c",
            "-ldl",
            "-lpthread",
            "-pthread",
            "-rdynamic",
            "-mdl-exports=slim",
        ]))
        .unwrap();
        assert_eq!(p.mode, ExportMode::Slim);
        assert_eq!(p.items.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        assert!(parse(&os(&["-mdl-exports=tiny"]))
            .unwrap_err()
            .to_string()
            .contains("full or slim"));
        assert!(parse(&os(&["-o"])).is_err());
    }

    #[test]
    fn gnu_only_linker_options_are_dropped() {
        let p = parse(&os(&[
            "a.c",
            "-Wl,--no-as-needed",
            "-Wl,--as-needed,-soname,libx.so,--hash-style=gnu",
            "-Xlinker",
            "--eh-frame-hdr",
            "-Wl,--version-script,x.map",
            "-Wl,-z,now",
        ]))
        .unwrap();
        let args: Vec<OsString> = p.items.into_iter().flat_map(Item::into_args).collect();
        assert_eq!(args, os(&["a.c", "-Wl,-soname,libx.so", "-Wl,-z,now"]));
        assert_eq!(p.warnings.len(), 1, "the version script is worth a warning");
        assert_eq!(p.notes.len(), 4);
    }

    #[test]
    fn soname_and_nodelete_are_recorded() {
        let p = parse(&os(&[
            "-shared",
            "a.c",
            "-Wl,-soname,libx.so.1",
            "-Wl,-z,nodelete,-z,now",
            "-Wl,-z,nodlopen",
        ]))
        .unwrap();
        assert_eq!(p.soname.as_deref(), Some("libx.so.1"));
        assert!(p.nodelete && p.nodlopen);
        let args: Vec<OsString> = p.items.into_iter().flat_map(Item::into_args).collect();
        assert_eq!(
            args,
            os(&["a.c", "-Wl,-soname,libx.so.1", "-Wl,-z,now"]),
            "-z nodelete and -z nodlopen do not reach wasm-ld, which would warn"
        );
        let dir = std::env::temp_dir().join(format!("wasi-dl-meta-test-{}", std::process::id()));
        let path = meta_section(Some("libx.so.1"), true, true, &dir).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(".custom_section.wasi_dl_meta") && text.contains("soname=libx.so.1"));
        assert!(text.contains("nodelete\\012nodlopen\\012"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
