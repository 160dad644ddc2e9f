//! `wasi-dl run`: `wasmtime run` for programs that load side modules.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use wasmtime::{Config, Engine, Linker, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use wasi_dl::{Limits, ModuleCache, WasiDlCtx};

/// Options come before the program; everything after the program is its own argv
/// (`wasi-dl run prog.wasm --help` passes `--help` to the program), as in `wasmtime run`.
#[derive(Args)]
pub struct RunArgs {
    /// Grant a host directory to the program, as in `wasmtime run`: HOST[::GUEST]. The program
    /// may also load libraries from it.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Set an environment variable for the program: NAME=VALUE, or NAME alone to pass on the
    /// host's value. `LD_LIBRARY_PATH` is also honoured by the loader.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,
    /// Grant a host directory for loading libraries only (not for file access), and search it:
    /// HOST[::GUEST] (GUEST defaults to HOST).
    #[arg(long = "lib-path", value_name = "HOST[::GUEST]")]
    lib_paths: Vec<String>,

    /// Keep compiled code in DIR instead of the default ($XDG_CACHE_HOME/wasi-dl, else
    /// ~/.cache/wasi-dl). A DIR that a --dir or --lib-path grant covers is refused.
    #[arg(long = "cache-dir", value_name = "DIR", conflicts_with = "no_cache")]
    cache_dir: Option<PathBuf>,
    /// Compile everything afresh, without reading or writing the disk cache.
    #[arg(long = "no-cache")]
    no_cache: bool,
    /// Size of the disk cache, beyond which the least recently used entries are removed
    /// (suffixes K, M, G).
    #[arg(long = "cache-max-size", value_name = "BYTES", value_parser = parse_bytes)]
    cache_max_size: Option<u64>,

    /// Largest library file the program may load (suffixes K, M, G).
    #[arg(long = "max-module-size", value_name = "BYTES", value_parser = parse_bytes)]
    max_module_size: Option<u64>,
    /// Libraries loaded at the same time, dependencies included.
    #[arg(long = "max-libraries", value_name = "N")]
    max_libraries: Option<usize>,
    /// Linear memory the loaded libraries' data may occupy together (suffixes K, M, G).
    #[arg(long = "max-data-memory", value_name = "BYTES", value_parser = parse_bytes)]
    max_data_memory: Option<u64>,
    /// Stop the program with a trap once it has used this much fuel (about one unit per
    /// WebAssembly instruction), libraries' code included.
    #[arg(long = "fuel", value_name = "N")]
    fuel: Option<u64>,
    /// Stop the program with a trap after this long (wall-clock): 2s, 500ms, 1.5s.
    #[arg(long = "timeout", value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,

    /// Generate native debug information (DWARF) for the program and every library as it is
    /// loaded, so that gdb or lldb can break in and step through them (as `-D debug-info`).
    #[arg(short = 'g')]
    debug_info: bool,
    /// Debugging options, as in `wasmtime run`: `debug-info[=y|n]`.
    #[arg(short = 'D', value_name = "OPTION[=VALUE]", value_parser = parse_debug_option)]
    debug_options: Vec<bool>,
    /// Tell a native profiler which functions the compiled code holds, libraries included:
    /// `perfmap` (/tmp/perf-PID.map, for `perf report`) or `jitdump` (for `perf inject`).
    #[arg(long = "profile", value_name = "STRATEGY", value_parser = parse_profile)]
    profile: Option<Profiler>,

    /// The program, then its arguments.
    #[arg(
        value_name = "PROGRAM",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    program_and_args: Vec<OsString>,
}

struct State {
    wasi: WasiP1Ctx,
    dl: WasiDlCtx,
    limits: StoreLimits,
}

/// Every `dlopen` of a library that is not loaded yet instantiates it, and wasmtime keeps
/// instances until the store is dropped; its default of 10,000 instances per store would end
/// a program that opens and closes plugins in a loop. About 1.2 KB of host memory per
/// instantiation stays until the program exits (see README, Limits).
const MAX_INSTANCES: usize = 1 << 20;

/// The status a trap ends the run with: what a shell shows for an abort (SIGABRT), as
/// `wasmtime run` does.
const TRAP_STATUS: u8 = 134;

/// What stops a run before its program started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The file is not WebAssembly at all (text, a script, ...).
    #[error("{program}: not a WebAssembly program (the file does not start with \"\\0asm\")")]
    NotWasm { program: String },
    /// A side module given where a program belongs.
    #[error(
        "{program} is a side module (a shared library built with -shared), not a program: \
         load it with dlopen from a program built with `wasi-dl cc`, or link one against it \
         (-L DIR -l NAME)"
    )]
    SideModule { program: String },
    /// A program that uses `dlopen` but was not linked by the `wasi-dl cc` driver.
    #[error(
        "{program} calls dlopen but was not built with `wasi-dl cc` ({detail}): build it with \
         `wasi-dl cc SOURCES -o {program}`, which links the guest library and the start-up code \
         the loader needs"
    )]
    NotBuiltForWasiDl { program: String, detail: String },
}

/// Splits `HOST::GUEST` (GUEST defaults to `default_guest`).
fn mapping(spec: &str, default_guest: impl FnOnce(&str) -> String) -> (String, String) {
    match spec.split_once("::") {
        Some((host, guest)) => (host.to_string(), guest.to_string()),
        None => (spec.to_string(), default_guest(spec)),
    }
}

/// A `--profile` strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profiler {
    PerfMap,
    JitDump,
}

fn parse_profile(text: &str) -> Result<Profiler, String> {
    match text {
        "perfmap" => Ok(Profiler::PerfMap),
        "jitdump" => Ok(Profiler::JitDump),
        _ => Err(format!("{text:?}: expected perfmap or jitdump")),
    }
}

/// `-D debug-info`, `-D debug-info=y|n`: whether to generate debug information.
fn parse_debug_option(text: &str) -> Result<bool, String> {
    let (name, value) = text.split_once('=').unwrap_or((text, "y"));
    if name != "debug-info" {
        return Err(format!("{name:?}: the only -D option is debug-info"));
    }
    match value {
        "y" | "yes" | "true" => Ok(true),
        "n" | "no" | "false" => Ok(false),
        _ => Err(format!("{text:?}: expected debug-info=y or debug-info=n")),
    }
}

/// `4096`, `64K`, `16M`, `1G` (powers of 1024; `KiB`, `MiB`, `GiB` too).
fn parse_bytes(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?}: expected a number of bytes, like 4096, 64K or 16M"))?;
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "{text:?}: unknown size suffix {suffix:?} (K, M or G)"
            ))
        }
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?}: too large"))
}

/// `2s`, `1.5s`, `500ms`; a bare number is seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?}: expected a duration like 2s, 1.5s or 500ms");
    let (number, millis) = match text.strip_suffix("ms") {
        Some(n) => (n, true),
        None => (text.strip_suffix('s').unwrap_or(text), false),
    };
    let value: f64 = number.parse().map_err(|_| bad())?;
    let seconds = if millis { value / 1000.0 } else { value };
    Duration::try_from_secs_f64(seconds).map_err(|_| bad())
}

/// Refuses, before compiling, files that would otherwise fail with a misleading message: text
/// (wasmtime would report a WAT parse error), a side module (an unknown `env::memory` import),
/// a program that imports the loader without the exports it needs.
fn check_program(program: &str, bytes: &[u8]) -> Result<(), StartError> {
    if !bytes.starts_with(b"\0asm") {
        return Err(StartError::NotWasm {
            program: program.into(),
        });
    }
    let mut uses_loader = None;
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        // A malformed module is left to the compiler, whose error is precise.
        let Ok(payload) = payload else { return Ok(()) };
        match payload {
            wasmparser::Payload::CustomSection(section)
                if matches!(section.name(), "dylink.0" | "dylink") =>
            {
                return Err(StartError::SideModule {
                    program: program.into(),
                });
            }
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports().flatten() {
                    let dl_call = import.module == "env"
                        && matches!(import.name, "dlopen" | "dlsym" | "dlclose" | "dlerror");
                    if import.module == "wasi_dl" || dl_call {
                        uses_loader.get_or_insert((import.module, import.name));
                    }
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                exports.extend(reader.into_iter().flatten().map(|e| e.name));
            }
            wasmparser::Payload::CodeSectionStart { .. } => break,
            _ => {}
        }
    }
    let Some((module, name)) = uses_loader else {
        return Ok(());
    };
    let detail = if module == "env" {
        format!("{name} is left undefined: the guest library was not linked")
    } else if let Some(export) = [
        "__indirect_function_table",
        "__stack_pointer",
        "__wasi_dl_alloc",
    ]
    .into_iter()
    .find(|e| !exports.contains(e))
    {
        format!("it does not export {export}")
    } else {
        return Ok(());
    };
    Err(StartError::NotBuiltForWasiDl {
        program: program.into(),
        detail,
    })
}

/// Writes to stderr, ignoring failures: a closed or broken stderr must never turn a report
/// into a host panic (`eprintln!` panics), nor change the exit status.
pub fn say(text: std::fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(text);
    let _ = stderr.write_all(b"\n");
}

/// The report of an error that ended the program: the trap or error first, then the guest's
/// backtrace. Never the host's own (Rust) backtrace, which `RUST_BACKTRACE=1` would add to a
/// `{:?}` rendering: that is for bugs of the host. `module_name` names a frame's code,
/// `exported_name` its function when wasmtime knows no name for it.
fn report_failure(
    err: &wasmtime::Error,
    module_name: impl Fn(&wasmtime::Module) -> String,
    exported_name: impl Fn(&wasmtime::Module, u32) -> Option<String>,
) {
    let backtrace = err.downcast_ref::<wasmtime::WasmBacktrace>();
    let backtrace_text = backtrace.map(ToString::to_string);
    let causes: Vec<String> = err
        .chain()
        .map(ToString::to_string)
        .filter(|c| Some(c) != backtrace_text.as_ref())
        .collect();
    let mut text = format!("wasi-dl: error: {}", causes.join(": "));
    if let Some(backtrace) = backtrace.filter(|bt| !bt.frames().is_empty()) {
        text.push_str("\nwasm backtrace:");
        for (i, frame) in backtrace.frames().iter().enumerate() {
            let offset = frame
                .module_offset()
                .map(|o| format!("{o:#8x} - "))
                .unwrap_or_default();
            let function = match frame.func_name() {
                Some(name) => name.to_string(),
                // A stripped name section: the loader still knows the library's exports.
                None => exported_name(frame.module(), frame.func_index())
                    .unwrap_or_else(|| format!("<wasm function {}>", frame.func_index())),
            };
            text.push_str(&format!(
                "\n  {i:>3}: {offset}{}!{function}",
                module_name(frame.module())
            ));
            // With WASMTIME_BACKTRACE_DETAILS=1 and DWARF: where in the source.
            for symbol in frame.symbols() {
                if let (Some(file), Some(line)) = (symbol.file(), symbol.line()) {
                    text.push_str(&format!("\n           at {file}:{line}"));
                }
            }
        }
    }
    say(format_args!("{text}"));
}

/// Where compiled code is kept unless `--cache-dir` says otherwise: `$XDG_CACHE_HOME/wasi-dl`,
/// else `$HOME/.cache/wasi-dl` (relative values are ignored, as the XDG specification asks).
fn default_cache_dir() -> Option<PathBuf> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("XDG_CACHE_HOME")
        .or_else(|| absolute("HOME").map(|home| home.join(".cache")))
        .map(|dir| dir.join("wasi-dl"))
}

/// The compile cache for this run: on disk by default, like `wasmtime run`. A `--cache-dir`
/// that overlaps a granted directory is an error (the guest could plant compiled code the host
/// would run); the default location in that case, or one that cannot be used, is skipped with
/// one note on stderr, and the run compiles in memory.
fn open_cache(args: &RunArgs, grants: &[String]) -> anyhow::Result<ModuleCache> {
    if args.no_cache {
        return Ok(ModuleCache::new());
    }
    let open = |dir: &Path| match args.cache_max_size {
        Some(max) => ModuleCache::with_disk_cache_limit(dir, max),
        None => ModuleCache::with_disk_cache(dir),
    };
    if let Some(dir) = &args.cache_dir {
        let cache = open(dir).with_context(|| format!("--cache-dir {}", dir.display()))?;
        for grant in grants {
            // A grant that cannot be resolved is reported where it is granted.
            if let Err(err @ wasi_dl::BuildError::CacheOverlapsGrant { .. }) =
                cache.check_grant(Path::new(grant))
            {
                return Err(err).with_context(|| format!("--cache-dir {}", dir.display()));
            }
        }
        return Ok(cache);
    }
    match default_cache_dir() {
        Some(dir) => Ok(open_default_cache(&dir, grants, open)),
        None => Ok(ModuleCache::new()),
    }
}

/// The disk cache at its default location `dir`, opened with `open`; an in-memory cache, with
/// a note, when a grant overlaps it or it cannot be used.
fn open_default_cache(
    dir: &Path,
    grants: &[String],
    open: impl Fn(&Path) -> Result<ModuleCache, wasi_dl::CacheDirError>,
) -> ModuleCache {
    // Checked before opening, which creates the directory: a run that then goes without the
    // cache leaves nothing behind in a granted directory.
    if let Some(grant) = overlapping_grant(dir, grants) {
        skip_default_cache(dir, grant);
        return ModuleCache::new();
    }
    let cache = match open(dir) {
        Ok(cache) => cache,
        Err(err) => {
            say(format_args!(
                "wasi-dl: note: running without the compile cache: {err}"
            ));
            return ModuleCache::new();
        }
    };
    // Once more on the directory as opened (a symlink made meanwhile).
    for grant in grants {
        if let Err(wasi_dl::BuildError::CacheOverlapsGrant { .. }) =
            cache.check_grant(Path::new(grant))
        {
            skip_default_cache(dir, grant);
            return ModuleCache::new();
        }
    }
    cache
}

/// The note for a default cache location that a grant covers (or that covers a grant).
fn skip_default_cache(dir: &Path, grant: &str) {
    say(format_args!(
        "wasi-dl: note: running without the compile cache: its default location {} overlaps \
         the granted directory {grant} (--cache-dir DIR puts it elsewhere, --no-cache \
         silences this)",
        dir.display()
    ));
}

/// The first of `grants` that the cache directory `dir` would lie in or contain, `dir` being
/// resolved as far as it exists (it may not be created yet). Grants that cannot be resolved
/// are reported where they are granted.
fn overlapping_grant<'g>(dir: &Path, grants: &'g [String]) -> Option<&'g str> {
    let dir = resolve_planned(dir)?;
    grants.iter().map(String::as_str).find(|grant| {
        std::fs::canonicalize(grant)
            .is_ok_and(|grant| dir.starts_with(&grant) || grant.starts_with(&dir))
    })
}

/// Where `path` would be once created: its longest existing ancestor resolved (symlinks,
/// `..`), the missing components appended. `None` if no ancestor resolves or a missing
/// component is `..` (then the check on the opened directory decides).
fn resolve_planned(path: &Path) -> Option<PathBuf> {
    let mut missing = Vec::new();
    let mut at = path;
    loop {
        match std::fs::canonicalize(at) {
            Ok(real) => return Some(missing.iter().rev().fold(real, |p, c| p.join(c))),
            Err(_) => {
                missing.push(at.file_name()?);
                at = at.parent()?;
            }
        }
    }
}

pub fn run(args: RunArgs) -> anyhow::Result<u8> {
    let mut program_and_args = args.program_and_args.iter();
    let Some(program) = program_and_args.next() else {
        bail!("no program given");
    };
    let program_path = Path::new(program);
    let program_name = program.to_string_lossy().into_owned();

    let mut config = Config::new();
    config.wasm_reference_types(true);
    // setjmp/longjmp and C++ exceptions (`wasi-dl cc`/`c++` emit the standard instructions).
    config.wasm_exceptions(true);
    if args.fuel.is_some() {
        config.consume_fuel(true);
    }
    if args.timeout.is_some() {
        config.epoch_interruption(true);
    }
    if args
        .debug_options
        .last()
        .copied()
        .unwrap_or(args.debug_info)
    {
        config.debug_info(true);
    }
    match args.profile {
        Some(Profiler::PerfMap) => config.profiler(wasmtime::ProfilingStrategy::PerfMap),
        Some(Profiler::JitDump) => config.profiler(wasmtime::ProfilingStrategy::JitDump),
        None => &mut config,
    };
    let engine = Engine::new(&config)?;
    let grants: Vec<String> = args
        .dirs
        .iter()
        .chain(&args.lib_paths)
        .map(|spec| mapping(spec, |h| h.to_string()).0)
        .collect();
    let cache = open_cache(&args, &grants)?;

    let mut wasi = WasiCtxBuilder::new();
    wasi.inherit_stdio().arg(&program_name);
    for arg in program_and_args {
        let Some(arg) = arg.to_str() else {
            bail!("argument {arg:?} is not valid UTF-8 (WASI arguments are strings)");
        };
        wasi.arg(arg);
    }
    let bytes =
        std::fs::read(program_path).with_context(|| format!("cannot read {program_name}"))?;
    check_program(&program_name, &bytes)?;
    let module = cache
        .compile_program(&engine, &bytes)
        // anyhow's `Context` needs a std error; wasmtime's error converts into anyhow's.
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot compile {program_name}"))?;
    let mut limits = Limits::default();
    if let Some(bytes) = args.max_module_size {
        limits.max_module_bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
    }
    if let Some(n) = args.max_libraries {
        limits.max_libraries = n;
    }
    if let Some(bytes) = args.max_data_memory {
        limits.max_data_bytes = bytes;
    }
    let mut dl = WasiDlCtx::builder()
        .cache(cache)?
        .limits(limits)
        .program_name(&program_name)
        .program_module(&module)
        .program_bytes(&bytes);
    for env in &args.envs {
        let (key, value) = match env.split_once('=') {
            Some((key, value)) => (key, value.to_string()),
            // As `wasmtime run`: NAME alone passes the host's value on (nothing if unset).
            None => match std::env::var_os(env) {
                None => continue,
                Some(value) => match value.into_string() {
                    Ok(value) => (env.as_str(), value),
                    Err(_) => bail!("--env {env}: the host's value is not valid UTF-8"),
                },
            },
        };
        if key.is_empty() {
            bail!("--env {env}: expected NAME=VALUE or NAME");
        }
        wasi.env(key, &value);
        if key == "LD_LIBRARY_PATH" {
            dl = dl.guest_library_path(&value);
        }
    }
    for spec in &args.dirs {
        let (host, guest) = mapping(spec, |h| h.to_string());
        wasi.preopened_dir(&host, &guest, FsPerms::ReadWrite)
            .map_err(|e| anyhow::anyhow!("--dir {spec}: {e}"))?;
        dl = dl
            .preopened_dir(&host, &guest)
            .with_context(|| format!("--dir {spec}"))?;
    }
    for spec in &args.lib_paths {
        let (host, guest) = mapping(spec, |h| h.to_string());
        dl = dl
            .library_dir(&host, &guest)
            .with_context(|| format!("--lib-path {spec}"))?
            .search_path(&guest);
    }

    let mut linker: Linker<State> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)?;
    // wasmtime-wasi traps on an exit status outside 0..126; a C program's `exit(127)` or
    // `return -1` from main means status 127 or 255 to a shell, as natively (status & 0xff).
    // Defined before wasi-dl, so that side modules calling proc_exit get this one too.
    linker.allow_shadowing(true);
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "proc_exit",
        |status: i32| -> wasmtime::Result<()> { Err(I32Exit(status & 0xff).into()) },
    )?;
    linker.allow_shadowing(false);
    wasi_dl::add_to_linker(&mut linker, |s: &mut State| &mut s.dl)?;

    let store_limits = StoreLimitsBuilder::new().instances(MAX_INSTANCES).build();
    let mut store = Store::new(
        &engine,
        State {
            wasi: wasi.build_p1(),
            dl: dl.build(),
            limits: store_limits,
        },
    );
    store.limiter(|state| &mut state.limits);
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(timeout) = args.timeout {
        // One tick ends the run: the deadline is the next epoch.
        store.set_epoch_deadline(1);
        store.epoch_deadline_trap();
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            engine.increment_epoch();
        });
    }
    let instance = wasi_dl::instantiate(&linker, &mut store, &module, |s: &mut State| &mut s.dl)?;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .map_err(|e| {
            anyhow::anyhow!("the program has no usable _start (is it a command module?): {e}")
        })?;
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(err) => {
            if let Some(exit) = err.downcast_ref::<I32Exit>() {
                return Ok(exit.0.clamp(0, 255) as u8);
            }
            // A frame is named after the file its code was loaded from: the loader knows which
            // library a module is (its name section holds the name it was linked as).
            report_failure(
                &err,
                |frame_module| {
                    if wasmtime::Module::same(frame_module, &module) {
                        return program_name.clone();
                    }
                    let files = store.data().dl.library_files(frame_module);
                    if files.is_empty() {
                        frame_module.name().unwrap_or("<unknown>").to_string()
                    } else {
                        files.join("|")
                    }
                },
                |frame_module, func_index| {
                    let name = store.data().dl.function_name(frame_module, func_index)?;
                    Some(name.to_string())
                },
            );
            // Like wasmtime run: a trap looks like an abort to the shell.
            Ok(TRAP_STATUS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_parse_as_documented() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("64K"), Ok(64 << 10));
        assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("K").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
    }

    /// A default cache location inside a granted directory is refused without being created.
    #[test]
    fn an_overlapping_default_cache_is_not_created() {
        let tmp = std::env::temp_dir().join(format!("wasi-dl-cli-overlap-{}", std::process::id()));
        let granted = tmp.join("granted");
        std::fs::create_dir_all(&granted).unwrap();
        std::fs::create_dir_all(tmp.join("other")).unwrap();
        let grants = [granted.display().to_string()];
        let planned = granted.join("cache/wasi-dl");
        let cache = open_default_cache(&planned, &grants, |d| ModuleCache::with_disk_cache(d));
        assert_eq!(cache.disk_dir(), None);
        assert!(!granted.join("cache").exists(), "created in the grant");
        // Through `..` and a symlink, and a grant below the cache.
        let detour = tmp.join("other/../granted/x");
        assert_eq!(overlapping_grant(&detour, &grants), Some(&*grants[0]));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&granted, tmp.join("link")).unwrap();
            let linked = tmp.join("link/cache");
            assert_eq!(overlapping_grant(&linked, &grants), Some(&*grants[0]));
        }
        assert_eq!(overlapping_grant(&tmp, &grants), Some(&*grants[0]));
        // Elsewhere: created and used.
        let apart = tmp.join("apart/wasi-dl");
        assert_eq!(overlapping_grant(&apart, &grants), None);
        let cache = open_default_cache(&apart, &grants, |d| ModuleCache::with_disk_cache(d));
        assert!(cache.disk_dir().is_some() && apart.is_dir());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
