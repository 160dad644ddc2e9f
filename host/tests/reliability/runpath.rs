//! Search paths as a way to keep the host busy. Every directory of a RUNTIME_PATH is probed,
//! in host code no epoch or fuel interrupts, on each search for a bare name: a library listing
//! 100,000 directories took 0.6 s per `dlopen` (debug build), and the raw `program_runpath`
//! import took a string as long as the program's memory (a million directories per 8 MB, each
//! also kept as a host `String`). Both now stop at `wasi_dl::dylink::MAX_RUNTIME_PATH`
//! directories, with a precise error; that many still works.

use std::path::PathBuf;

use wasi_dl::dylink::MAX_RUNTIME_PATH;

use crate::both_modes;
use crate::common::*;
use crate::hostile::GOOD_C;

/// `r:N` sets the program's run path to N directories, the last `/lib`, through the raw import
/// (and prints its `last_error` text if refused); `o:NAME` dlopens and dlcloses NAME.
fn runpath_program() -> PathBuf {
    build_program(
        "runpath_probe",
        &format!(
            "{PROLOGUE_C}{}",
            r#"
__attribute__((import_module("wasi_dl"), import_name("program_runpath")))
int raw_runpath(const char *paths, size_t len);
__attribute__((import_module("wasi_dl"), import_name("last_error")))
int raw_last_error(char *buf, size_t len, size_t *len_out);

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char *c = argv[i];
        if (c[0] == 'r') {
            int n = atoi(c + 2);
            char *buf = malloc((size_t)n * 16 + 8), *p = buf;
            for (int k = 0; k < n - 1; k++) p += sprintf(p, "/lib/d%d:", k);
            p += sprintf(p, "/lib");
            int rc = raw_runpath(buf, (size_t)(p - buf));
            char err[256] = "";
            size_t len = 0;
            if (rc) {
                raw_last_error(err, sizeof err - 1, &len);
                err[len < sizeof err - 1 ? len : sizeof err - 1] = 0;
            }
            printf("runpath %d %s%s\n", n, rc ? "refused: " : "ok", err);
            free(buf);
        } else {
            void *h = dlopen(c + 2, RTLD_NOW);
            printf("open %s %s\n", c + 2, h ? "ok" : dlerror());
            if (h) dlclose(h);
        }
    }
    return 0;
}
"#
        ),
    )
}

/// A library that needs `good.so` and lists `count` directories, the last `/lib`.
fn runpath_lib(count: usize) -> Vec<u8> {
    let mut dirs: Vec<String> = (0..count - 1).map(|i| format!("/lib/d{i}")).collect();
    dirs.push("/lib".to_string());
    let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    side_module(
        &Dylink::new().runtime_path(&dirs).needed(&["good.so"]),
        &format!("(module {PROLOGUE})"),
    )
}

both_modes! {
fn runtime_paths_are_bounded() {
    let max = MAX_RUNTIME_PATH;
    let too_many = max + 1;
    let good = build_library("runpath_good", GOOD_C);
    let dir = temp_dir();
    std::fs::copy(&good, dir.path().join("good.so")).unwrap();
    std::fs::write(dir.path().join("rp-max.so"), runpath_lib(max)).unwrap();
    std::fs::write(dir.path().join("rp-over.so"), runpath_lib(too_many)).unwrap();
    let args = [
        format!("r:{too_many}"),
        "o:good.so".to_string(),
        format!("r:{max}"),
        "o:good.so".to_string(),
        "o:/lib/rp-over.so".to_string(),
        "o:/lib/rp-max.so".to_string(),
    ];
    let out = run(Run::new(&runpath_program()).args(args).dir(dir.path(), "/lib")).success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "runpath {too_many} refused: invalid argument: the program's run path lists \
                 {too_many} directories, more than the {max} a search may probe"
            )
            .as_str(),
            "open good.so good.so: cannot open shared object file: No such file or directory \
             (no directory was searched: the library search path is empty; `wasi-dl run \
             --lib-path DIR` grants and searches DIR)",
            format!("runpath {max} ok").as_str(),
            "open good.so ok",
            format!(
                "open /lib/rp-over.so /lib/rp-over.so: unsupported side module: its RUNTIME_PATH \
                 lists {too_many} directories, more than the {max} a search may probe"
            )
            .as_str(),
            "open /lib/rp-max.so ok",
        ],
        "{}",
        out.stdout
    );
}
}
