//! The `http_source` example, run as a user would: a C program `dlopen`s side modules that the
//! example serves over HTTP on 127.0.0.1, and every name or redirect that would leave the
//! allow-listed base URL is refused with a `dlerror()` text, without reaching the server.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wasi_dl_toolchain::{Build, MainOptions, SideOptions};

const LIBGREET_C: &str = r#"
#include <stdio.h>
int greet(const char *who, char *out, int len) {
    return snprintf(out, len, "hello, %s, from a library fetched over HTTP", who);
}
"#;

/// Opens each argument, calls its `greet`, closes it; or prints why it could not.
const MAIN_C: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        void *lib = dlopen(argv[i], RTLD_NOW);
        if (!lib) {
            printf("%s: NULL: %s\n", argv[i], dlerror());
            continue;
        }
        int (*greet)(const char *, char *, int) =
            (int (*)(const char *, char *, int))dlsym(lib, "greet");
        if (!greet) {
            printf("%s: dlsym: %s\n", argv[i], dlerror());
        } else {
            char text[128];
            greet(argv[i], text, sizeof text);
            printf("%s: %s\n", argv[i], text);
        }
        dlclose(lib);
    }
    return 0;
}
"#;

/// The example's binary, built (a no-op when fresh) with the profile and target directory of
/// this test: `cargo test` builds examples, but not with a filter like `--test http_source`.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/http_source-HASH
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let target_dir = profile_dir.parent().unwrap();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev",
        other => other,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--offline", "-p", "wasi-dl"])
        .args(["--example", "http_source", "--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building the example failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    profile_dir
        .join("examples")
        .join(format!("http_source{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn a_guest_loads_over_http_and_names_leaving_the_origin_are_refused() {
    let example = example_binary();
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/host-tests/http-source");
    let _ = std::fs::remove_dir_all(&work);
    let libs = work.join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    std::fs::write(work.join("libgreet.c"), LIBGREET_C).unwrap();
    std::fs::write(work.join("main.c"), MAIN_C).unwrap();
    let build = Build::new().expect("the wasm C toolchain (run `make setup` and `make guest`)");
    build
        .side_module(
            &[&work.join("libgreet.c")],
            &libs.join("libgreet.so"),
            &SideOptions::default(),
        )
        .expect("building libgreet.so");
    build
        .main_program(
            &[&work.join("main.c")],
            &work.join("main.wasm"),
            &MainOptions::default(),
        )
        .expect("building main.wasm");
    // A redirect within the base URL, one to another origin (nothing listens on port 1: a
    // source that followed it would fail differently), a directory, and a body over the limit.
    std::fs::write(libs.join("libalias.so.redirect"), "libgreet.so\n").unwrap();
    std::fs::write(
        libs.join("libaway.so.redirect"),
        "http://127.0.0.1:1/libs/libgreet.so\n",
    )
    .unwrap();
    std::fs::create_dir(libs.join("libdir.so")).unwrap();
    // Far more than the loopback socket buffers hold: the server cannot send it all unless
    // the client reads it all.
    const LIMIT: usize = 1 << 20;
    std::fs::write(libs.join("libhuge.so"), vec![0u8; 32 * LIMIT]).unwrap();

    let names = [
        "libgreet.so",
        "libalias.so",
        "libmissing.so",
        "../libgreet.so",
        "..",
        "%2e%2e%2flibgreet.so",
        "libaway.so",
        "libhuge.so",
        "libdir.so",
    ];
    let mut child = Command::new(&example)
        .arg("--max-module-bytes")
        .arg(LIMIT.to_string())
        .arg(&libs)
        .arg(work.join("main.wasm"))
        .args(names)
        // A proxy from the environment must not be used (nothing listens there either).
        .env("ALL_PROXY", "http://127.0.0.1:1")
        .env("HTTP_PROXY", "http://127.0.0.1:1")
        .env("http_proxy", "http://127.0.0.1:1")
        .env_remove("WASI_DL_DEBUG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    // Read both pipes while waiting, and never wait forever.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("the example did not finish within 300 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "{status:?}\n{stdout}{stderr}");

    // "http_source: serving DIR at http://127.0.0.1:PORT/libs/"
    let base = stderr
        .lines()
        .find_map(|l| l.strip_prefix("http_source: serving "))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_else(|| panic!("no base URL on stderr:\n{stderr}"));
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let stdout = stdout.replace(base, "BASE/");
    let expected = "\
libgreet.so: hello, libgreet.so, from a library fetched over HTTP
libalias.so: hello, libalias.so, from a library fetched over HTTP
libmissing.so: NULL: libmissing.so: cannot open shared object file: No such file or directory
../libgreet.so: NULL: ../libgreet.so: cannot open shared object file: Permission denied (outside the directories this program may load from)
..: NULL: ..: cannot read file data: refused by the HTTP source: \"..\" is a directory reference, not a file name
%2e%2e%2flibgreet.so: NULL: %2e%2e%2flibgreet.so: cannot read file data: refused by the HTTP source: \"%2e%2e%2flibgreet.so\" contains a %-escape
libaway.so: NULL: libaway.so: cannot read file data: refused the redirect from BASE/libaway.so to http://127.0.0.1:1/libs/libgreet.so: origin http://127.0.0.1:1 is not on the allow list
libhuge.so: NULL: libhuge.so: cannot read file data: module size limit exceeded: BASE/libhuge.so sends more than the 1048576 bytes allowed
libdir.so: NULL: libdir.so: cannot read file data: BASE/libdir.so answered 403 Forbidden
";
    assert_eq!(stdout, expected, "stderr:\n{stderr}");

    // Refused names never reached the server; the allowed redirect was followed once.
    let server_log: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("http_source: server: "))
        .collect();
    let requests: Vec<&str> = server_log
        .iter()
        .copied()
        .filter(|l| l.contains(" -> "))
        .collect();
    assert_eq!(
        requests,
        [
            "GET /libs/libgreet.so -> 200 OK",
            "GET /libs/libalias.so -> 302 Found",
            "GET /libs/libgreet.so -> 200 OK",
            "GET /libs/libmissing.so -> 404 Not Found",
            "GET /libs/libaway.so -> 302 Found",
            "GET /libs/libhuge.so -> 200 OK",
            "GET /libs/libdir.so -> 403 Forbidden",
        ],
        "stderr:\n{stderr}"
    );

    // The source stopped reading past the limit: the server could not send the whole body (it
    // logs "N bytes sent" before closing, so before a client reading to the end could finish).
    let size = std::fs::metadata(libs.join("libgreet.so")).unwrap().len();
    let sent: Vec<&str> = server_log
        .iter()
        .copied()
        .filter(|l| l.ends_with(" bytes sent"))
        .collect();
    assert_eq!(
        sent,
        [
            format!("/libs/libgreet.so: {size} bytes sent"),
            format!("/libs/libgreet.so: {size} bytes sent"),
        ],
        "stderr:\n{stderr}"
    );
}
