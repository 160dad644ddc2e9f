//! The generated-DAG test: random library graphs checked against glibc.
//!
//! A *pool* is a set of 5 to 7 generated side modules `libg0.so`... with a random NEEDED
//! graph (mostly forward edges, some backward ones: cycles), strong and weak definitions of
//! the shared names `f0`..`f8` (the program defines `f0` and `f1` too), references to those
//! names (strong and weak undefined ones), chosen mostly among what the library's parents,
//! siblings, dependencies and the program define, calls of its own weak definitions,
//! `dlsym(RTLD_NEXT)` from the library, and `-z nodelete` now and then. A *sequence* is a
//! script of dlopen (every combination of LAZY/NOW, LOCAL/GLOBAL, NODELETE, NOLOAD), dlsym
//! (handle, RTLD_DEFAULT, RTLD_NEXT, dlopen(NULL)) and dlclose steps, run by one fixed program
//! (`graph/dag/main.c`). Everything comes from a seed, so a failure is reproducible.
//!
//! Compiles are the cost, so a pool is compiled once per target (all its sources in one
//! compiler invocation, then one link per library, a second one for those with NEEDED
//! entries) and runs many sequences; the program is built once. Each sequence runs natively
//! first (glibc's answer), then under wasi-dl: stdout and exit status must be identical. A
//! fatal lazy-binding error ends both runs alike (glibc exits 127, wasi-dl traps; both name
//! the symbol). Pool 0's sequence 0 must still give `graph/dag/expected` natively, which keeps
//! the generator and the program reproducible.
//!
//! `WASI_DL_DAG_POOLS=N` and `WASI_DL_DAG_SEQUENCES=M` change the default 20 x 10.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use libtest_mimic::{Failed, Trial};

use crate::compile::{run_cached, Target};
use crate::run;

const POOLS: u64 = 20;
const SEQUENCES: u64 = 10;
/// Shared function names `f0`..`f{NAMES-1}`; the program defines the first [`PROGRAM_NAMES`].
const NAMES: usize = 9;
const PROGRAM_NAMES: usize = 2;
const STEPS: usize = 24;

/// xorshift64*, seeded through splitmix64: small, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 16
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// One generated library.
#[derive(Default, Clone, Debug)]
struct Lib {
    needs: Vec<usize>,
    /// Names it defines: (name index, weak).
    defs: Vec<(usize, bool)>,
    /// Names it calls through `g{i}_call_f{k}`: (name index, weak undefined). A name it
    /// defines weakly is called through its import (interposable); one it defines strongly is
    /// never called (wasm-ld binds such calls directly: README, Limits).
    calls: Vec<(usize, bool)>,
    /// Names it looks up with `dlsym(RTLD_NEXT)` in `g{i}_next_f{k}`.
    nexts: Vec<usize>,
    nodelete: bool,
}

impl Lib {
    fn defines(&self, k: usize) -> Option<bool> {
        self.defs.iter().find(|d| d.0 == k).map(|d| d.1)
    }
}

struct Pool {
    libs: Vec<Lib>,
}

impl Pool {
    fn generate(seed: u64) -> Pool {
        let mut rng = Rng::new(seed ^ 0x706f_6f6c);
        let n = 5 + rng.below(3);
        let mut libs = vec![Lib::default(); n];
        for (i, lib) in libs.iter_mut().enumerate() {
            for j in 0..n {
                let edge = if j > i {
                    rng.chance(30)
                } else {
                    j < i && rng.chance(8)
                };
                if edge && lib.needs.len() < 3 {
                    lib.needs.push(j);
                }
            }
            for k in 0..NAMES {
                let p = if k < PROGRAM_NAMES { 10 } else { 30 };
                if rng.chance(p) {
                    lib.defs.push((k, rng.chance(40)));
                }
            }
            lib.nodelete = rng.chance(8);
        }
        // References, mostly to what relatives define: parents (libraries that need this
        // one), siblings (their other dependencies), dependencies, the program.
        for i in 0..n {
            let parents: Vec<usize> = (0..n).filter(|&p| libs[p].needs.contains(&i)).collect();
            let mut relatives: BTreeSet<usize> = parents.iter().copied().collect();
            for &p in &parents {
                relatives.extend(libs[p].needs.iter().copied());
            }
            relatives.extend(libs[i].needs.iter().copied());
            relatives.remove(&i);
            let mut near: Vec<usize> = relatives
                .iter()
                .flat_map(|&r| libs[r].defs.iter().map(|d| d.0))
                .collect();
            near.extend(0..PROGRAM_NAMES);
            // One call each: with two, a library may bind to two libraries outside its
            // NEEDED list, and the order of those binding dependencies (which can decide exit
            // order in a cycle) follows the ELF linker's relocation order, not the source's.
            for _ in 0..1 {
                let k = if rng.chance(80) {
                    *rng.pick(&near).unwrap_or(&0)
                } else {
                    rng.below(NAMES)
                };
                match libs[i].defines(k) {
                    Some(false) => continue,
                    Some(true) => {
                        if !libs[i].calls.iter().any(|c| c.0 == k) {
                            libs[i].calls.push((k, false));
                        }
                    }
                    None => {
                        if !libs[i].calls.iter().any(|c| c.0 == k) {
                            let weak = rng.chance(30);
                            libs[i].calls.push((k, weak));
                        }
                    }
                }
            }
            // The program's names too: glibc's search never reaches the program (it comes
            // before the library), nor does wasi-dl's (the program's `wasi_dl_own` names).
            if rng.chance(40) {
                let k = rng.below(NAMES);
                libs[i].nexts.push(k);
            }
        }
        Pool { libs }
    }

    fn source(&self, i: usize) -> String {
        let lib = &self.libs[i];
        let mut s = String::new();
        let _ = writeln!(s, "/* Generated by toolchain-tests/src/dag.rs. */");
        s.push_str("#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\n");
        s.push_str("typedef const char *(*fn_t)(void);\n");
        let _ = writeln!(
            s,
            "__attribute__((constructor)) static void init(void) {{ printf(\"  ctor g{i}\\n\"); }}"
        );
        let _ = writeln!(
            s,
            "__attribute__((destructor)) static void fini(void) {{ printf(\"  dtor g{i}\\n\"); }}"
        );
        let _ = writeln!(s, "const char *g{i}_id(void) {{ return \"g{i}\"; }}");
        for &(k, weak) in &lib.defs {
            if weak {
                let _ = writeln!(
                    s,
                    "__attribute__((weak)) const char *f{k}(void) {{ return \"g{i}:f{k}(weak)\"; }}"
                );
            } else {
                let _ = writeln!(s, "const char *f{k}(void) {{ return \"g{i}:f{k}\"; }}");
            }
        }
        for &(k, weak) in &lib.calls {
            if weak {
                let _ = writeln!(s, "__attribute__((weak)) const char *f{k}(void);");
                let _ = writeln!(
                    s,
                    "const char *g{i}_call_f{k}(void) {{ return f{k} ? f{k}() : \"unbound\"; }}"
                );
            } else {
                if lib.defines(k).is_none() {
                    let _ = writeln!(s, "const char *f{k}(void);");
                }
                let _ = writeln!(s, "const char *g{i}_call_f{k}(void) {{ return f{k}(); }}");
            }
        }
        for &k in &lib.nexts {
            // The result is used before returning: a tail call of dlsym would give glibc the
            // caller's caller.
            let _ = writeln!(
                s,
                "const char *g{i}_next_f{k}(void) {{\n    fn_t p = (fn_t)dlsym(RTLD_NEXT, \"f{k}\");\n    const char *r = p ? p() : \"none\";\n    return r;\n}}"
            );
        }
        s
    }

    /// Libraries one dlopen of `root` brings in (its NEEDED closure).
    fn closure(&self, root: usize) -> Vec<usize> {
        let mut seen = vec![root];
        let mut i = 0;
        while i < seen.len() {
            for &d in &self.libs[seen[i]].needs {
                if !seen.contains(&d) {
                    seen.push(d);
                }
            }
            i += 1;
        }
        seen
    }

    fn call_names(&self, i: usize) -> Vec<String> {
        self.libs[i]
            .calls
            .iter()
            .map(|c| format!("g{i}_call_f{}", c.0))
            .collect()
    }

    /// Every name the pool or the program defines, and one nobody does.
    fn all_names(&self) -> Vec<String> {
        let mut names: Vec<String> = (0..NAMES).map(|k| format!("f{k}")).collect();
        for (i, lib) in self.libs.iter().enumerate() {
            names.push(format!("g{i}_id"));
            names.extend(self.call_names(i));
            names.extend(lib.nexts.iter().map(|k| format!("g{i}_next_f{k}")));
        }
        names.push("g_nobody".into());
        names
    }

    fn sequence(&self, seed: u64) -> String {
        let mut rng = Rng::new(seed ^ 0x7365_7175);
        let names = self.all_names();
        let n = self.libs.len();
        let mut script = String::new();
        for _ in 0..STEPS {
            let op = rng.below(100);
            let lib = rng.below(n);
            if op < 40 {
                let mut flags = vec![if rng.chance(50) { "NOW" } else { "LAZY" }];
                if rng.chance(50) {
                    flags.push("GLOBAL");
                }
                if rng.chance(20) {
                    flags.push("NODELETE");
                }
                if rng.chance(20) {
                    flags.push("NOLOAD");
                }
                let _ = write!(script, "open {lib} {}", flags.join("|"));
                for member in self.closure(lib) {
                    for call in self.call_names(member) {
                        let _ = write!(script, " {call}");
                    }
                }
                script.push('\n');
            } else if op < 60 {
                let _ = writeln!(script, "close {lib}");
            } else {
                let name = rng.pick(&names).map_or("f0", String::as_str);
                let _ = match op {
                    60..=79 => writeln!(script, "sym {lib} {name}"),
                    80..=87 => writeln!(script, "default {name}"),
                    88..=93 => writeln!(script, "next {name}"),
                    _ => writeln!(script, "self {name}"),
                };
            }
        }
        script
    }
}

fn graph_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("graph/dag")
}

fn build_root(target: Target) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/toolchain-tests/dag")
        .join(target.dir_name())
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// The program, built once per target for all pools.
fn program(target: Target) -> Result<PathBuf, String> {
    static BUILT: Mutex<[Option<PathBuf>; 2]> = Mutex::new([None, None]);
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let slot = &mut built[(target == Target::Wasm) as usize];
    if let Some(path) = slot {
        return Ok(path.clone());
    }
    let dir = build_root(target).join("program");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let main = graph_dir().join("main.c");
    let mut args = os(&["-O2"]);
    args.push(main.clone().into());
    args.extend(os(&["-o", target.program_name(), "-rdynamic", "-ldl"]));
    run_cached(
        target,
        false,
        &args,
        &[main],
        &dir,
        target.program_name(),
        0,
    )
    .map_err(|e| format!("{e:#}"))?;
    let path = dir.join(target.program_name());
    *slot = Some(path.clone());
    Ok(path)
}

/// Writes and builds one pool for `target`; returns its run directory (with the program).
fn build_pool(pool: &Pool, index: u64, target: Target) -> Result<PathBuf, String> {
    let program = program(target)?;
    let dir = build_root(target).join(format!("pool{index}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let n = pool.libs.len();
    let mut sources = Vec::new();
    for i in 0..n {
        let path = dir.join(format!("libg{i}.c"));
        let text = pool.source(i);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).map_err(|e| e.to_string())?;
        }
        sources.push(path);
    }
    let err = |e: anyhow::Error| format!("pool {index}, {}: {e:#}", target.dir_name());
    // One compiler invocation for every object of the pool.
    let mut args = os(&["-O2", "-fPIC", "-c"]);
    args.extend(sources.iter().map(|p| p.clone().into_os_string()));
    run_cached(target, false, &args, &sources, &dir, "libg0.o", 0).map_err(err)?;
    let needed: BTreeSet<usize> = pool.libs.iter().flat_map(|l| l.needs.clone()).collect();
    // Pass 1 links what others are linked against (without its own NEEDED entries, which
    // cycles make impossible yet); pass 2 every library that has NEEDED entries.
    for pass in 0..2 {
        for (i, lib) in pool.libs.iter().enumerate() {
            let has_needs = !lib.needs.is_empty();
            let wanted = match pass {
                0 => !has_needs || needed.contains(&i),
                _ => has_needs,
            };
            if !wanted {
                continue;
            }
            let object = dir.join(format!("libg{i}.o"));
            let mut args = os(&["-shared"]);
            args.push(object.clone().into());
            args.extend(os(&["-o", &format!("libg{i}.so")]));
            if lib.nodelete {
                args.push("-Wl,-z,nodelete".into());
            }
            let mut inputs = vec![object];
            if pass == 1 {
                args.extend(os(&["-L.", "-Wl,--no-as-needed"]));
                for d in &lib.needs {
                    args.push(format!("-lg{d}").into());
                    inputs.push(dir.join(format!("libg{d}.so")));
                }
            }
            run_cached(
                target,
                false,
                &args,
                &inputs,
                &dir,
                &format!("libg{i}.so"),
                pass,
            )
            .map_err(err)?;
        }
    }
    let copy = dir.join(target.program_name());
    let stale = match (std::fs::metadata(&program), std::fs::metadata(&copy)) {
        (Ok(a), Ok(b)) => a.len() != b.len() || a.modified().ok() > b.modified().ok(),
        _ => true,
    };
    if stale {
        std::fs::copy(&program, &copy).map_err(|e| e.to_string())?;
    }
    Ok(dir)
}

/// `glibc ... undefined symbol: NAME` (a fatal lazy-binding error): NAME.
fn lookup_error_symbol(stderr: &str) -> Option<&str> {
    let rest = &stderr[stderr.find("undefined symbol: ")? + "undefined symbol: ".len()..];
    rest.split(|c: char| c.is_whitespace() || c == ',' || c == '(')
        .next()
        .filter(|s| !s.is_empty())
}

fn run_pool(index: u64, sequences: u64) -> Result<(), Failed> {
    let pool = Pool::generate(index);
    let native_dir = build_pool(&pool, index, Target::Native)?;
    let wasm_dir = build_pool(&pool, index, Target::Wasm)?;
    for seq in 0..sequences {
        let script = pool.sequence(index << 32 | seq);
        let name = format!("seq{seq}.txt");
        for dir in [&native_dir, &wasm_dir] {
            std::fs::write(dir.join(&name), &script).map_err(|e| e.to_string())?;
        }
        let args = vec![name.clone()];
        let where_ = |what: &str| format!("pool {index}, sequence {seq}, {what}");
        let native = run::run_native(&native_dir, Target::Native.program_name(), &args)
            .map_err(|e| format!("{}: {e:#}", where_("native")))?;
        let fatal = match native.code {
            0 => None,
            127 => Some(lookup_error_symbol(&native.stderr).ok_or_else(|| {
                format!(
                    "{}: exit 127 without a symbol: {}",
                    where_("native"),
                    native.stderr
                )
            })?),
            code => {
                return Err(format!(
                    "{}: the native run failed (exit {code}): {}",
                    where_("native"),
                    native.stderr
                )
                .into())
            }
        };
        if index == 0 && seq == 0 {
            let expected =
                std::fs::read_to_string(graph_dir().join("expected")).map_err(|e| e.to_string())?;
            if native.stdout != expected {
                return Err(format!(
                    "pool 0, sequence 0 no longer gives graph/dag/expected natively (the \
                     generator or the program changed; update it if that was meant):\n{}",
                    crate::diff(&expected, &native.stdout)
                )
                .into());
            }
        }
        let wasm = run::run_wasm(&wasm_dir, Target::Wasm.program_name(), &args)
            .map_err(|e| format!("{}: {e:#}", where_("wasm")))?;
        let same_end = match fatal {
            None => wasm.code == 0,
            Some(symbol) => {
                wasm.code != 0 && wasm.stderr.contains(&format!("undefined symbol: {symbol}"))
            }
        };
        if wasm.stdout != native.stdout || !same_end {
            return Err(format!(
                "{}: wasi-dl differs from glibc (exit {} vs {}{}):\n{}\nscript ({}):\n{script}\nwasm stderr:\n{}",
                where_("wasm"),
                wasm.code,
                native.code,
                fatal.map(|s| format!(", undefined symbol {s}")).unwrap_or_default(),
                crate::diff(&native.stdout, &wasm.stdout),
                wasm_dir.join(&name).display(),
                wasm.stderr.trim_end(),
            )
            .into());
        }
    }
    Ok(())
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pools whose sequences wasi-dl does not yet run as glibc does (found by this test, not
/// fixed yet): their trials are ignored (`cargo test -p toolchain-tests -- --ignored dag::`
/// runs them). Unload and exit order around NEEDED cycles and NODELETE, a library kept
/// loaded after its last dlclose, `RTLD_NOLOAD` finding a library glibc unloaded.
const KNOWN_DIVERGENT: &[u64] = &[];

/// One trial per pool: `dag::pool_N`.
pub fn trials(trials: &mut Vec<Trial>, have_gcc: bool) {
    let pools = env_count("WASI_DL_DAG_POOLS", POOLS);
    let sequences = env_count("WASI_DL_DAG_SEQUENCES", SEQUENCES);
    for index in 0..pools {
        let trial = Trial::test(format!("dag::pool_{index}"), move || {
            run_pool(index, sequences)
        });
        trials.push(trial.with_ignored_flag(!have_gcc || KNOWN_DIVERGENT.contains(&index)));
    }
}
