//! Constructors that `dlopen` a library whose constructor `dlopen`s another, and so on
//! until something runs out: the host's stack, the program's shadow stack, or the nesting
//! limit. The load that cannot go on fails alone, with a `dlerror()` that says why; every
//! level above it finishes, the program's state (allocator, stack) is as before and it
//! carries on. (Before: the stack ran out at an arbitrary point of the deepest level and
//! the failure cascaded: memory faults, and the guest library's locks left taken.)

use std::path::Path;

use crate::both_modes;
use crate::common::*;

/// Level *k*'s constructor asks the program for level *k+1*.
const LIB_LEVEL: &str = r#"
int next_level(void);
__attribute__((constructor)) static void init(void) { next_level(); }
"#;

const LIB_OK: &str = "int ok(void) { return 7; }\n";

/// `next_level` opens `/work/levelK.so` for the next K, with `FRAME` bytes of locals on the
/// program's shadow stack per level (argv[1]).
const MAIN: &str = r#"
static int depth = 0, deepest = 0, failures = 0, frame = 0;
static char first_error[512];

int next_level(void) {
    char name[64];
    volatile char *pad = __builtin_alloca(frame + 1);
    pad[0] = 1;
    pad[frame] = 2;
    int mine = ++depth;
    if (mine > deepest) deepest = mine;
    snprintf(name, sizeof name, "/work/level%d.so", mine);
    void *h = dlopen(name, RTLD_NOW);
    if (!h) {
        const char *e = dlerror();
        if (!failures++) snprintf(first_error, sizeof first_error, "%s", e ? e : "(no dlerror)");
    }
    depth--;
    return h != 0;
}

int main(int argc, char **argv) {
    frame = argc > 1 ? atoi(argv[1]) : 0;
    state("before");
    int ok = next_level();
    printf("top %s deepest=%d failures=%d\n", ok ? "loaded" : "failed", deepest, failures);
    printf("error=%s\n", first_error);
    printf("dlerror after=%s\n", dlerror() ? "set" : "clear");
    state("chain");
    void *first = dlopen("/work/level1.so", RTLD_NOW | RTLD_NOLOAD);
    printf("level1 %s\n", first ? "loaded" : "gone");
    void *h = dlopen("/work/libok.so", RTLD_NOW);
    int (*f)(void) = h ? (int (*)(void))dlsym(h, "ok") : 0;
    printf("libok %d\n", f ? f() : -1);
    if (h) dlclose(h);
    state("after");
    return 0;
}
"#;

fn line<'o>(out: &'o str, prefix: &str) -> &'o str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line in\n{out}"))
}

/// Runs the chain with `frame` bytes of shadow stack per level; returns the output.
fn run_chain(frame: u32) -> String {
    let program = build_program("nesting", &format!("{PROLOGUE_C}{MAIN}"));
    let level = build_library("nesting_level", LIB_LEVEL);
    let ok = build_library("nesting_ok", LIB_OK);
    let dir = temp_dir();
    // Copies, not links: the loader takes a link for the library it links to.
    for k in 1..=200 {
        std::fs::copy(&level, dir.path().join(format!("level{k}.so"))).unwrap();
    }
    std::fs::copy(&ok, dir.path().join("libok.so")).unwrap();
    let out = run(Run::new(&program)
        .args([frame.to_string()])
        .dir(dir.path(), "/work")
        .dl(|b| b.search_path("/work").limits(no_reuse())))
    .success();
    assert!(
        !out.stdout.contains("(no dlerror)") && out.stderr.is_empty(),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    check_intact(&out.stdout, dir.path());
    out.stdout
}

/// One failure, every level above it loaded (and staying so), the program's stack pointer as
/// before, its allocator working (a load and unload after the chain gives back what it took).
fn check_intact(out: &str, _dir: &Path) {
    assert!(line(out, "top ").starts_with("top loaded "), "{out}");
    assert!(line(out, "top ").ends_with(" failures=1"), "{out}");
    assert_eq!(line(out, "dlerror after="), "dlerror after=clear", "{out}");
    assert_eq!(line(out, "level1 "), "level1 loaded", "{out}");
    assert_eq!(line(out, "libok "), "libok 7", "{out}");
    let (before, chain, after) = (
        line(out, "before "),
        line(out, "chain "),
        line(out, "after "),
    );
    assert_eq!(
        field(before, "stack"),
        field(after, "stack"),
        "the stack moved:\n{out}"
    );
    assert_eq!(
        field(chain, "heap"),
        field(after, "heap"),
        "the allocator lost memory:\n{out}"
    );
    let depth = deepest(out);
    assert_eq!(field(chain, "loaded"), (depth - 1).to_string(), "{out}");
}

fn deepest(out: &str) -> u32 {
    field(line(out, "top "), "deepest").parse().unwrap()
}

both_modes! {
fn a_chain_of_constructors_stops_at_the_nesting_bound() {
    let out = run_chain(0);
    let error = line(&out, "error=");
    let depth = deepest(&out);
    // The failing level is the last one reached, and it names itself and the bound.
    assert!(
        error.contains(&format!(
            "/work/level{depth}.so: nested dlopen limit exceeded"
        )),
        "{out}"
    );
    assert!(depth <= 65, "{out}");
}
}

both_modes! {
fn a_chain_of_constructors_stops_where_the_shadow_stack_runs_out() {
    // 48 KiB of locals per level: the program's 1 MiB stack runs out after about 20 levels,
    // before the host's stack or the nesting limit.
    let out = run_chain(48 * 1024);
    let error = line(&out, "error=");
    let depth = deepest(&out);
    assert!(
        error.contains(&format!(
            "/work/level{depth}.so: nested dlopen limit exceeded (the program's stack has"
        )),
        "{out}"
    );
    assert!((15..=22).contains(&depth), "{out}");
}
}

/// Two async stores on one executor thread, each loading a library whose constructor yields
/// to the executor (an async host function): their loads interleave on that thread, and each
/// store counts its own nesting. With `max_nested_opens` 1 both loads succeed; a count shared
/// by the thread (as a thread-local was) refuses the second store's load as nested in the
/// first's.
#[test]
fn interleaved_async_stores_count_their_own_nesting() {
    use wasmtime::{Engine, Linker, Module, Store};
    use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
    use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

    let program = crate::hostile::open_one_program();
    let tmp = temp_dir();
    let lib = side_module(
        &Dylink::new(),
        &format!(
            "(module {PROLOGUE}
               (import \"test\" \"yield_now\" (func $yield))
               (func (export \"__wasm_call_ctors\") (call $yield)))"
        ),
    );
    std::fs::write(tmp.path().join("yields.so"), lib).unwrap();

    let engine = Engine::default();
    let module = Module::from_file(&engine, &program).unwrap();
    let mut linker: Linker<State> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut State| &mut s.wasi).unwrap();
    // Before wasi-dl: side modules get the program linker's functions as they are then.
    linker
        .func_wrap_async("test", "yield_now", |_, (): ()| {
            Box::new(tokio::task::yield_now())
        })
        .unwrap();
    wasi_dl::add_to_linker_async(&mut linker, |s: &mut State| &mut s.dl).unwrap();

    // A current-thread runtime runs spawned tasks only inside `block_on`, in spawn order: the
    // first store reaches its constructor's yield, then the second store loads.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut guests = Vec::new();
    for _ in 0..2 {
        let stdout = MemoryOutputPipe::new(1 << 16);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stdout.clone())
            .args(&["main.wasm", "/lib/yields.so"]);
        wasi.preopened_dir(tmp.path(), "/lib", FsPerms::ReadOnly)
            .unwrap();
        let dl = wasi_dl::WasiDlCtx::builder()
            .preopened_dir(tmp.path(), "/lib")
            .unwrap()
            .limits(wasi_dl::Limits {
                max_nested_opens: 1,
                ..wasi_dl::Limits::default()
            })
            .build();
        let mut store = Store::new(
            &engine,
            State {
                wasi: wasi.build_p1(),
                dl,
                limits: Default::default(),
            },
        );
        let (linker, module) = (linker.clone(), module.clone());
        guests.push(runtime.spawn(async move {
            let instance =
                wasi_dl::instantiate_async(&linker, &mut store, &module, |s: &mut State| &mut s.dl)
                    .await?;
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
            let _ = start.call_async(&mut store, ()).await;
            wasmtime::Result::<String>::Ok(String::from_utf8_lossy(&stdout.contents()).into())
        }));
    }
    let outputs: Vec<String> = guests
        .into_iter()
        .map(|g| runtime.block_on(g).unwrap().unwrap())
        .collect();
    for out in outputs {
        assert_eq!(out, "before\ndlopen returned a handle: \n", "{out}");
    }
}
