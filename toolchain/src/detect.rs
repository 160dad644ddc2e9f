//! Toolchain selection: which clang, which target triple, which sysroot, which
//! linker for `-rpath`, and where the wasi-dl guest library lives. Every part
//! of the project that compiles C for wasm asks [`Toolchain::detect`].

use anyhow::{anyhow, bail, Context, Result};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root, known at compile time (the parent of `toolchain/`).
fn repo_root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir)
}

/// Where the inputs of [`Toolchain::detect_with`] come from. [`DetectConfig::from_env`]
/// reads the environment variables named on each field; an empty variable counts as unset.
#[derive(Clone, Debug, Default)]
pub struct DetectConfig {
    /// `WASI_SDK_PATH`: a wasi-sdk (`bin/clang`, `share/wasi-sysroot`). Wins over everything else.
    pub wasi_sdk_path: Option<PathBuf>,
    /// `CC_WASM`: a clang to use with Debian's layout (`--target=wasm32-wasi`, no `--sysroot`).
    pub cc_wasm: Option<PathBuf>,
    /// `CXX_WASM`: the matching clang++ (default: `CC_WASM` with `clang` replaced by `clang++`).
    pub cxx_wasm: Option<PathBuf>,
    /// `WASI_DL_SYSROOT`: the wasi-dl guest sysroot (default `<repo>/target/wasi-dl-sysroot`).
    pub guest_sysroot: Option<PathBuf>,
    /// `WASI_DL_CACHE_DIR`: where derived data (the libc export list) is cached
    /// (default `<repo>/target/wasi-dl-cache`).
    pub cache_dir: Option<PathBuf>,
    /// `PATH`, searched for `clang-22`, `clang` and `wasm-ld-NN` (`None`: the process's `PATH`).
    pub path: Option<OsString>,
    /// `WASI_DL_TOOLCHAIN_DIR`: where `make setup` assembled the Debian toolchain's sysroot
    /// (`sysroot/`: wasi-libc, libsetjmp, the C++ runtime built for exceptions). Default:
    /// `$HOME/.cache/wasi-dl-toolchain`: apart from `wasi-dl run`'s compile cache, and not
    /// moved by `XDG_CACHE_HOME` (which a run may point elsewhere for its compile cache).
    pub toolchain_dir: Option<PathBuf>,
}

impl DetectConfig {
    /// Reads `WASI_SDK_PATH`, `CC_WASM`, `CXX_WASM`, `WASI_DL_SYSROOT`, `WASI_DL_CACHE_DIR`,
    /// `WASI_DL_TOOLCHAIN_DIR` and `PATH`.
    pub fn from_env() -> DetectConfig {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        DetectConfig {
            wasi_sdk_path: var("WASI_SDK_PATH").map(PathBuf::from),
            cc_wasm: var("CC_WASM").map(PathBuf::from),
            cxx_wasm: var("CXX_WASM").map(PathBuf::from),
            guest_sysroot: var("WASI_DL_SYSROOT").map(PathBuf::from),
            cache_dir: var("WASI_DL_CACHE_DIR").map(PathBuf::from),
            path: var("PATH"),
            toolchain_dir: var("WASI_DL_TOOLCHAIN_DIR").map(PathBuf::from).or_else(|| {
                var("HOME").map(|d| PathBuf::from(d).join(".cache").join("wasi-dl-toolchain"))
            }),
        }
    }
}

/// Where the compiler came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolchainKind {
    /// A wasi-sdk named by `WASI_SDK_PATH`.
    WasiSdk,
    /// Debian's `clang-22` with the sysroot `make setup` assembles from Debian packages
    /// (see `scripts/wasm-sysroot.sh`): wasi-libc, Debian 13's libsetjmp, and libunwind,
    /// libc++abi and libc++ built for WebAssembly exceptions, in a wasi-sdk's layout.
    Debian,
    /// A clang named by `CC_WASM`, used like Debian's.
    Custom,
}

/// The wasi-dl guest sysroot: `include/dlfcn.h`, `include/wasi_dl/wasi_dl.h`,
/// `lib/libwasi_dl.a` and any start-up objects (`lib/*.o`).
#[derive(Clone, Debug)]
pub struct GuestSysroot {
    root: PathBuf,
    /// Set explicitly (`WASI_DL_SYSROOT` or the API) rather than the built-in default.
    explicit: bool,
}

impl GuestSysroot {
    /// A guest sysroot at `root`.
    pub fn new(root: impl Into<PathBuf>) -> GuestSysroot {
        GuestSysroot {
            root: root.into(),
            explicit: true,
        }
    }

    /// The built-in default, `<repo>/target/wasi-dl-sysroot`.
    pub fn default_location() -> GuestSysroot {
        GuestSysroot {
            root: repo_root().join("target").join("wasi-dl-sysroot"),
            explicit: false,
        }
    }

    /// The sysroot's directory (which may not exist yet).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory holding `dlfcn.h`. When the default sysroot has not been
    /// installed yet, the repository's `c-headers/` (the same files) stands in,
    /// so side modules can be compiled before `make guest`.
    pub fn include_dir(&self) -> Result<PathBuf> {
        let dir = self.root.join("include");
        if dir.join("dlfcn.h").is_file() {
            return Ok(dir);
        }
        let headers = repo_root().join("c-headers");
        if !self.explicit && headers.join("dlfcn.h").is_file() {
            return Ok(headers);
        }
        Err(self.not_built(&dir.join("dlfcn.h")))
    }

    /// `lib/libwasi_dl.a`, the guest library every main program links.
    pub fn library(&self) -> Result<PathBuf> {
        let lib = self.root.join("lib").join("libwasi_dl.a");
        if lib.is_file() {
            Ok(lib)
        } else {
            Err(self.not_built(&lib))
        }
    }

    /// Start-up objects (`lib/*.o`, sorted) linked into every main program
    /// ahead of the user's files; `_start` may also live in the library itself.
    pub fn start_objects(&self) -> Vec<PathBuf> {
        let mut objects: Vec<PathBuf> = std::fs::read_dir(self.root.join("lib"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension() == Some(OsStr::new("o")) && p.is_file())
            .collect();
        objects.sort();
        objects
    }

    fn not_built(&self, missing: &Path) -> anyhow::Error {
        anyhow!(
            "wasi-dl guest library not built: run `make guest` (no {}{})",
            missing.display(),
            if self.explicit {
                ""
            } else {
                "; WASI_DL_SYSROOT sets another location"
            }
        )
    }
}

/// The wasm C toolchain: a clang, the target triple and sysroot to give it,
/// and the wasi-dl guest sysroot.
#[derive(Clone, Debug)]
pub struct Toolchain {
    kind: ToolchainKind,
    clang: PathBuf,
    clangxx: PathBuf,
    target: String,
    sysroot: Option<PathBuf>,
    why: String,
    guest: GuestSysroot,
    cache_dir: PathBuf,
    path: Option<OsString>,
    libc: OnceLock<Result<PathBuf, String>>,
    builtins: OnceLock<Option<PathBuf>>,
    cxx_archives: OnceLock<Vec<PathBuf>>,
    rpath_linker: OnceLock<Result<Option<PathBuf>, String>>,
    clang_major: OnceLock<Option<u32>>,
}

impl Toolchain {
    /// Finds the toolchain from the environment (see [`DetectConfig::from_env`]):
    /// `WASI_SDK_PATH` if set, else `CC_WASM` if set, else Debian's `clang-22`
    /// (or a `clang` of version 22 or later) on `PATH` with the sysroot `make setup`
    /// assembled in [`DetectConfig::toolchain_dir`].
    pub fn detect() -> Result<Toolchain> {
        Toolchain::detect_with(&DetectConfig::from_env())
    }

    /// Like [`Toolchain::detect`], from explicit inputs instead of the environment.
    pub fn detect_with(config: &DetectConfig) -> Result<Toolchain> {
        let guest = match &config.guest_sysroot {
            Some(root) => GuestSysroot::new(root),
            None => GuestSysroot::default_location(),
        };
        let cache_dir = config.cache_dir.clone().unwrap_or_else(default_cache_dir);
        let path = config.path.clone();
        let mut tc = if let Some(sdk) = &config.wasi_sdk_path {
            wasi_sdk(sdk)?
        } else if let Some(cc) = &config.cc_wasm {
            custom(cc, config.cxx_wasm.as_deref(), path.as_deref())?
        } else {
            debian(path.as_deref(), config.toolchain_dir.as_deref())?
        };
        tc.guest = guest;
        tc.cache_dir = cache_dir;
        tc.path = path;
        Ok(tc)
    }

    /// Uses another guest sysroot (the run-time override of the built-in location).
    pub fn with_guest_sysroot(mut self, guest: GuestSysroot) -> Toolchain {
        self.guest = guest;
        self
    }

    /// Uses another cache directory.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Toolchain {
        self.cache_dir = dir.into();
        self
    }

    /// One line: which clang, which target and sysroot, why, and the guest sysroot.
    pub fn describe(&self) -> String {
        let sysroot = match &self.sysroot {
            Some(s) => format!("--sysroot={}", s.display()),
            None => "no --sysroot, Debian multiarch layout".to_string(),
        };
        format!(
            "{} --target={} ({sysroot}): {}; guest sysroot {}",
            self.clang.display(),
            self.target,
            self.why,
            self.guest.root.display()
        )
    }

    /// Where the compiler came from.
    pub fn kind(&self) -> ToolchainKind {
        self.kind
    }

    /// The C compiler.
    pub fn clang(&self) -> &Path {
        &self.clang
    }

    /// The C++ compiler.
    pub fn clangxx(&self) -> &Path {
        &self.clangxx
    }

    /// The target triple (`wasm32-wasi` or `wasm32-wasip1`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The `--sysroot`, if the toolchain needs one (a wasi-sdk does, Debian does not).
    pub fn sysroot(&self) -> Option<&Path> {
        self.sysroot.as_deref()
    }

    /// The wasi-dl guest sysroot.
    pub fn guest_sysroot(&self) -> &GuestSysroot {
        &self.guest
    }

    /// Where derived data (the libc export list) is cached.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir.clone()
    }

    /// `--target=...` and, for a wasi-sdk, `--sysroot=...`.
    pub fn target_args(&self) -> Vec<OsString> {
        let mut args = vec![OsString::from(format!("--target={}", self.target))];
        if let Some(sysroot) = &self.sysroot {
            let mut arg = OsString::from("--sysroot=");
            arg.push(sysroot);
            args.push(arg);
        }
        args
    }

    /// `clang` with [`Toolchain::target_args`] already added: plain wasm32-wasi
    /// C, without anything wasi-dl specific (use [`crate::Driver`] for that).
    pub fn clang_command(&self) -> Command {
        let mut cmd = Command::new(&self.clang);
        cmd.args(self.target_args());
        cmd
    }

    /// Like [`Toolchain::clang_command`], for clang++.
    pub fn clangxx_command(&self) -> Command {
        let mut cmd = Command::new(&self.clangxx);
        cmd.args(self.target_args());
        cmd
    }

    /// Asks clang where a file of its default link lives (`-print-file-name`).
    fn print(&self, what: &str) -> Option<PathBuf> {
        self.print_with(self.clang_command(), what)
    }

    fn print_with(&self, mut cmd: Command, what: &str) -> Option<PathBuf> {
        let out = cmd.arg(what).output().ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        let path = PathBuf::from(text.trim());
        (out.status.success() && path.is_absolute() && path.exists()).then_some(path)
    }

    /// wasi-libc's `libc.a`, as clang finds it.
    pub fn libc_archive(&self) -> Result<&Path> {
        let found = self.libc.get_or_init(|| {
            self.print("-print-file-name=libc.a").ok_or_else(|| {
                format!(
                    "{} finds no libc.a for {}: install wasi-libc (run `make setup`)",
                    self.clang.display(),
                    self.target
                )
            })
        });
        found.as_deref().map_err(|e| anyhow!("{e}"))
    }

    /// The C++ runtime archives clang++ links (`libc++.a`, `libc++abi.a`, and
    /// `libunwind.a` when the runtime is built for exceptions), those that are installed.
    pub fn cxx_archives(&self) -> Vec<PathBuf> {
        self.cxx_archives
            .get_or_init(|| {
                let mut found: Vec<PathBuf> =
                    ["-print-file-name=libc++.a", "-print-file-name=libc++abi.a"]
                        .iter()
                        .filter_map(|what| self.print_with(self.clangxx_command(), what))
                        .collect();
                if self.cxx_exceptions() {
                    found.extend(self.sysroot_library("libunwind.a"));
                }
                found
            })
            .clone()
    }

    /// The major version of clang (`None` if `--version` cannot be read).
    pub fn clang_major(&self) -> Option<u32> {
        *self.clang_major.get_or_init(|| clang_major(&self.clang))
    }

    /// Whether clang emits the standard WebAssembly exception instructions
    /// (`-mllvm -wasm-use-legacy-eh=false`, LLVM 22 and later), which wasmtime runs;
    /// older clangs emit only the legacy ones, which wasmtime rejects.
    pub fn standard_eh(&self) -> bool {
        self.clang_major().is_some_and(|m| m >= 22)
    }

    /// A library of the sysroot's libc directory (`lib/<target>/NAME`), if present.
    fn sysroot_library(&self, name: &str) -> Option<PathBuf> {
        let lib = self
            .sysroot
            .as_ref()?
            .join("lib")
            .join(&self.target)
            .join(name);
        lib.is_file().then_some(lib)
    }

    /// wasi-libc's emulation archives the toolchain has, as (`-l` name, path): POSIX functions
    /// WASI lacks (`mmap`, `signal`, `getpid`, `clock`), which glibc always provides. They sit
    /// beside `libc.a`.
    pub fn emulation_archives(&self) -> Vec<(&'static str, PathBuf)> {
        let Some(dir) = self.libc_archive().ok().and_then(Path::parent) else {
            return Vec::new();
        };
        EMULATION_LIBRARIES
            .iter()
            .map(|name| (*name, dir.join(format!("lib{name}.a"))))
            .filter(|(_, path)| path.is_file())
            .collect()
    }

    /// wasi-libc's `libsetjmp.a` (setjmp/longjmp on WebAssembly exceptions), when the
    /// sysroot has it and clang emits the standard exception instructions.
    pub fn setjmp_archive(&self) -> Option<PathBuf> {
        self.sysroot_library("libsetjmp.a")
            .filter(|_| self.standard_eh())
    }

    /// Whether the sysroot's C++ runtime is built for WebAssembly exceptions (it has
    /// `libunwind.a`) and clang emits the standard exception instructions.
    pub fn cxx_exceptions(&self) -> bool {
        self.standard_eh() && self.sysroot_library("libunwind.a").is_some()
    }

    /// compiler-rt's builtins archive (`-print-libgcc-file-name`), if installed.
    pub fn builtins_archive(&self) -> Option<&Path> {
        self.builtins
            .get_or_init(|| self.print("-print-libgcc-file-name"))
            .as_deref()
    }

    /// The linker to use for a link that passes `-rpath`: `None` when clang's
    /// own wasm-ld accepts it, else a newer wasm-ld (`-fuse-ld=` it). wasm-ld
    /// 19 rejects `-rpath`; Debian's `wasm-ld-22` (lld-22) writes RUNTIME_PATH.
    pub fn rpath_linker(&self) -> Result<Option<PathBuf>> {
        let found = self.rpath_linker.get_or_init(|| {
            let default = self.print("-print-prog-name=wasm-ld");
            if default.as_deref().is_some_and(supports_rpath) {
                return Ok(None);
            }
            let mut candidates = vec![PathBuf::from("/usr/bin/wasm-ld-22")];
            for version in (20..=30).rev() {
                candidates.extend(find_program(&format!("wasm-ld-{version}"), self.path.as_deref()));
            }
            candidates.extend(find_program("wasm-ld", self.path.as_deref()));
            candidates.into_iter().find(|c| c.is_file() && supports_rpath(c)).map(Some).ok_or_else(|| {
                format!(
                    "-rpath needs a wasm-ld that supports it ({} does not; LLVM 19's rejects it): install Debian's lld-22 (run `make setup`)",
                    default.map_or_else(|| "clang's wasm-ld".to_string(), |d| d.display().to_string())
                )
            })
        });
        found.clone().map_err(|e| anyhow!("{e}"))
    }
}

fn supports_rpath(linker: &Path) -> bool {
    Command::new(linker)
        .arg("--help")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("-rpath"))
        .unwrap_or(false)
}

fn default_cache_dir() -> PathBuf {
    let root = repo_root();
    if root.join("Cargo.toml").is_file() {
        root.join("target").join("wasi-dl-cache")
    } else {
        std::env::temp_dir().join("wasi-dl-cache")
    }
}

fn blank(
    kind: ToolchainKind,
    clang: PathBuf,
    clangxx: PathBuf,
    target: &str,
    sysroot: Option<PathBuf>,
    why: String,
) -> Toolchain {
    Toolchain {
        kind,
        clang,
        clangxx,
        target: target.to_string(),
        sysroot,
        why,
        guest: GuestSysroot::default_location(),
        cache_dir: PathBuf::new(),
        path: None,
        libc: OnceLock::new(),
        builtins: OnceLock::new(),
        cxx_archives: OnceLock::new(),
        rpath_linker: OnceLock::new(),
        clang_major: OnceLock::new(),
    }
}

fn wasi_sdk(sdk: &Path) -> Result<Toolchain> {
    let clang = sdk.join("bin").join("clang");
    let sysroot = sdk.join("share").join("wasi-sysroot");
    let missing: Vec<&str> = [
        (clang.is_file(), "bin/clang"),
        (sysroot.is_dir(), "share/wasi-sysroot"),
    ]
    .iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, name)| *name)
    .collect();
    if !missing.is_empty() {
        bail!(
            "WASI_SDK_PATH={} is not a wasi-sdk: missing {} (expected $WASI_SDK_PATH/bin/clang and $WASI_SDK_PATH/share/wasi-sysroot)",
            sdk.display(),
            missing.join(" and ")
        );
    }
    // wasi-sdk 22+ lays libc out under the wasm32-wasip1 triple (and keeps
    // wasm32-wasi); older releases only have wasm32-wasi.
    let target = ["wasm32-wasip1", "wasm32-wasi"]
        .into_iter()
        .find(|t| sysroot.join("lib").join(t).is_dir())
        .with_context(|| {
            format!(
                "WASI_SDK_PATH={} is not a wasi-sdk: {} has neither lib/wasm32-wasip1 nor lib/wasm32-wasi",
                sdk.display(),
                sysroot.display()
            )
        })?;
    let clangxx = sdk.join("bin").join("clang++");
    let why = format!("wasi-sdk from WASI_SDK_PATH ({target} is the triple its sysroot has)");
    Ok(blank(
        ToolchainKind::WasiSdk,
        clang,
        clangxx,
        target,
        Some(sysroot),
        why,
    ))
}

fn custom(cc: &Path, cxx: Option<&Path>, path: Option<&OsStr>) -> Result<Toolchain> {
    let clang = find_program_path(cc, path)
        .with_context(|| format!("CC_WASM={} not found", cc.display()))?;
    let clangxx = match cxx {
        Some(cxx) => find_program_path(cxx, path)
            .with_context(|| format!("CXX_WASM={} not found", cxx.display()))?,
        None => sibling_clangxx(&clang),
    };
    let why = format!("CC_WASM={}", cc.display());
    Ok(blank(
        ToolchainKind::Custom,
        clang,
        clangxx,
        "wasm32-wasi",
        None,
        why,
    ))
}

/// `clang-22` → `clang++-22` next to it (falls back to the same program).
fn sibling_clangxx(clang: &Path) -> PathBuf {
    let name = clang
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let candidate = clang.with_file_name(name.replacen("clang", "clang++", 1));
    if candidate.is_file() {
        candidate
    } else {
        clang.to_path_buf()
    }
}

/// wasi-libc's emulation libraries (`-lwasi-emulated-mman`, ...). A program exports them to
/// its side modules like libc; a side module never links its own (non-PIC) copy.
pub const EMULATION_LIBRARIES: &[&str] = &[
    "wasi-emulated-mman",
    "wasi-emulated-signal",
    "wasi-emulated-getpid",
    "wasi-emulated-process-clocks",
];

const SETUP_HINT: &str =
    "Debian packages clang-22 lld-22 wasi-libc libclang-rt-22-dev-wasm32 and the sysroot assembled from them: run `make setup` (or set WASI_SDK_PATH to a wasi-sdk, or CC_WASM to a clang)";

/// The triple of the sysroot `make setup` assembles: clang 22 deprecates `wasm32-wasi`.
const DEBIAN_TARGET: &str = "wasm32-wasip1";

fn debian(path: Option<&OsStr>, toolchain_dir: Option<&Path>) -> Result<Toolchain> {
    let (clang, why) = if let Some(clang) = find_program("clang-22", path) {
        (clang, "WASI_SDK_PATH unset, clang-22 on PATH".to_string())
    } else if let Some((clang, major)) = find_program("clang", path)
        .and_then(|c| clang_major(&c).map(|m| (c, m)))
        .filter(|(_, m)| *m >= 22)
    {
        (
            clang,
            format!("WASI_SDK_PATH unset, no clang-22, clang {major} on PATH"),
        )
    } else {
        bail!("no wasm C compiler: clang-22 is not installed ({SETUP_HINT})");
    };
    // Debian's clang-N lives in /usr/lib/llvm-N: check the packages it needs
    // so that a missing one is named instead of failing later in the link.
    if let Ok(real) = clang.canonicalize() {
        if let Some(llvm) = real.parent().and_then(Path::parent) {
            let version = llvm
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("llvm-"));
            if let Some(v) = version {
                let needs = [
                    (llvm.join("bin/wasm-ld"), format!("lld-{v}")),
                    (
                        llvm.join(format!(
                            "lib/clang/{v}/lib/wasi/libclang_rt.builtins-wasm32.a"
                        )),
                        format!("libclang-rt-{v}-dev-wasm32"),
                    ),
                    (
                        PathBuf::from("/usr/lib/wasm32-wasi/libc.a"),
                        "wasi-libc".to_string(),
                    ),
                ];
                for (file, package) in needs {
                    if !file.exists() {
                        bail!("the wasm toolchain is incomplete: {} is missing (package {package}; {SETUP_HINT})", file.display());
                    }
                }
            }
        }
    }
    let dir = toolchain_dir.context(
        "no directory for the wasm sysroot: set WASI_DL_TOOLCHAIN_DIR, XDG_CACHE_HOME or HOME",
    )?;
    let sysroot = dir.join("sysroot");
    let libc = sysroot.join("lib").join(DEBIAN_TARGET).join("libc.a");
    if !libc.is_file() {
        bail!(
            "the wasm sysroot is not assembled: {} is missing ({SETUP_HINT}; WASI_DL_TOOLCHAIN_DIR sets another location)",
            libc.display()
        );
    }
    let clangxx = sibling_clangxx(&clang);
    let why = format!("{why}, sysroot assembled by make setup");
    Ok(blank(
        ToolchainKind::Debian,
        clang,
        clangxx,
        DEBIAN_TARGET,
        Some(sysroot),
        why,
    ))
}

fn clang_major(clang: &Path) -> Option<u32> {
    let out = Command::new(clang).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rest = &text[text.find("clang version ")? + "clang version ".len()..];
    rest.split('.').next()?.parse().ok()
}

fn find_program_path(program: &Path, path: Option<&OsStr>) -> Option<PathBuf> {
    if program.components().count() > 1 {
        program.is_file().then(|| program.to_path_buf())
    } else {
        find_program(program.to_str()?, path)
    }
}

/// Looks `name` up in `path` (a `PATH`-style list; `None`: the process's `PATH`).
fn find_program(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let path = path
        .map(OsStr::to_os_string)
        .or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
