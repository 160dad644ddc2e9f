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
