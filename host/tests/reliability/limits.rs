//! Every field of `wasi_dl::Limits`, set low: the dlopen that would exceed it fails with a
//! dlerror naming the limit, changes nothing, and loading works again once other libraries
//! are closed (or with a library within the limit).

use std::path::Path;

use wasi_dl::Limits;

use crate::both_modes;
use crate::common::*;

fn plain(d: Dylink) -> Vec<u8> {
    side_module(
        &d,
        &format!("(module {PROLOGUE} (func (export \"f\") (result i32) (i32.const 1)))"),
    )
}

/// Runs the script program over `files` (written to a directory granted as /lib) with `limits`.
fn run_script(files: &[(&str, Vec<u8>)], limits: Limits, script: &[&str]) -> Vec<String> {
    let tmp = temp_dir();
    for (name, bytes) in files {
        std::fs::write(tmp.path().join(name), bytes).unwrap();
    }
    let program = script_program();
    let out = run(Run::new(&program)
        .args(script.iter().copied())
        .dir(tmp.path(), "/lib")
        .dl(move |b| b.limits(limits).search_path("/lib")))
    .success();
    out.stdout.lines().map(str::to_string).collect()
}

/// Checks the output line by line against `expect`: each entry is a prefix the line must start
/// with, then words it must contain.
fn check(lines: &[String], expect: &[(&str, &[&str])]) {
    let mut problems = Vec::new();
    let opens: Vec<&String> = lines.iter().filter(|l| !l.starts_with("state ")).collect();
    for (i, (prefix, words)) in expect.iter().enumerate() {
        let Some(line) = opens.get(i) else {
            problems.push(format!("missing line {i}: {prefix}"));
            continue;
        };
        if !line.starts_with(prefix) || words.iter().any(|w| !line.contains(w)) {
            problems.push(format!(
                "line {i}: {line:?} does not match {prefix:?} {words:?}"
            ));
        }
    }
    // Around every failure the state is the same.
    for (i, line) in lines.iter().enumerate() {
        if line.contains(" NULL ") {
            let (before, after) = (&lines[i - 1], &lines[i + 1]);
            assert!(
                before.starts_with("state ") && after.starts_with("state "),
                "put states around failures"
            );
            if state_of(before) != state_of(after) {
                problems.push(format!(
                    "{line}\n  changed the state:\n  {before}\n  {after}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n--- output\n{}",
        problems.join("\n"),
        lines.join("\n")
    );
}

fn limits() -> Limits {
    Limits::default()
}

both_modes! {
fn max_libraries() {
    let files = [
        ("l1.so", plain(Dylink::new().mem_info(8, 0, 0, 0))),
        ("l2.so", plain(Dylink::new().mem_info(9, 0, 0, 0))),
        ("l3.so", plain(Dylink::new().mem_info(10, 0, 0, 0))),
        ("l4.so", plain(Dylink::new().mem_info(11, 0, 0, 0))),
        ("da.so", plain(Dylink::new().mem_info(12, 0, 0, 0))),
        ("db.so", plain(Dylink::new().mem_info(13, 0, 0, 0))),
        ("two.so", plain(Dylink::new().needed(&["da.so", "db.so"]))),
    ];
    let lines = run_script(
        &files,
        Limits {
            max_libraries: 3,
            ..limits()
        },
        &[
            "o:/lib/l1.so",
            "o:/lib/l2.so",
            "o:/lib/l3.so",
            "s",
            "o:/lib/l4.so",
            "s",
            "c:0",
            "c:1",
            "s",
            // two.so brings two more: three new libraries, with l3 four.
            "o:/lib/two.so",
            "s",
            "o:/lib/l4.so",
            "o:/lib/l1.so",
        ],
    );
    check(
        &lines,
        &[
            ("open /lib/l1.so ok", &[]),
            ("open /lib/l2.so ok", &[]),
            ("open /lib/l3.so ok", &[]),
            (
                "open /lib/l4.so NULL",
                &[
                    "/lib/l4.so: library count limit exceeded",
                    "3 libraries are loaded, at most 3",
                ],
            ),
            ("close 0 ok", &[]),
            ("close 1 ok", &[]),
            ("open /lib/two.so NULL", &["library count limit exceeded"]),
            ("open /lib/l4.so ok", &[]),
            ("open /lib/l1.so ok", &[]),
        ],
    );
}
}

both_modes! {
fn max_data_bytes() {
    let files = [
        ("d1.so", plain(Dylink::new().mem_info(4000, 0, 0, 0))),
        (
            "d2.so",
            plain(Dylink::new().mem_info(4000, 0, 0, 0).needed(&["dep.so"])),
        ),
        ("dep.so", plain(Dylink::new().mem_info(1000, 0, 0, 0))),
        ("d3.so", plain(Dylink::new().mem_info(4000, 0, 0, 0))),
    ];
    let lines = run_script(
        &files,
        Limits {
            max_data_bytes: 10_000,
            ..limits()
        },
        &[
            "o:/lib/d1.so",
            "o:/lib/d2.so",
            "s",
            "o:/lib/d3.so",
            "s",
            "c:0",
            "o:/lib/d3.so",
        ],
    );
    check(
        &lines,
        &[
            ("open /lib/d1.so ok", &[]),
            ("open /lib/d2.so ok", &[]),
            (
                "open /lib/d3.so NULL",
                &[
                    "/lib/d3.so: data memory limit exceeded",
                    "needs 4000 bytes, 9000 of 10000 in use",
                ],
            ),
            ("close 0 ok", &[]),
            ("open /lib/d3.so ok", &[]),
        ],
    );
}
}

both_modes! {
fn max_table_slots() {
    let table = |n: u32| {
        let elems = "$f ".repeat(n as usize);
        side_module(
            &Dylink::new().mem_info(0, 0, n, 0),
            &format!(
                "(module {PROLOGUE} (func $f (export \"f\")) (elem (global.get $tb) func {elems}))"
            ),
        )
    };
    let files = [
        ("t1.so", table(5)),
        ("t2.so", table(5)),
        ("t3.so", table(3)),
    ];
    let lines = run_script(
        &files,
        Limits {
            max_table_slots: 8,
            ..limits()
        },
        &[
            "o:/lib/t1.so",
            "s",
            "o:/lib/t2.so",
            "s",
            "o:/lib/t3.so",
            "c:0",
            "c:1",
            "o:/lib/t2.so",
            "s",
        ],
    );
    check(
        &lines,
        &[
            ("open /lib/t1.so ok", &[]),
            (
                "open /lib/t2.so NULL",
                &[
                    "/lib/t2.so: table slots limit exceeded",
                    "needs 5 slots, 5 of 8 already added",
                ],
            ),
            ("open /lib/t3.so ok", &[]),
            ("close 0 ok", &[]),
            ("close 1 ok", &[]),
            // The slots t1 and t3 gave back are reused: no new slot is needed.
            ("open /lib/t2.so ok", &[]),
        ],
    );
}
}

both_modes! {
fn max_module_bytes() {
    let small = plain(Dylink::new());
    let big = enc::with_last_section(&small, &enc::custom_section("padding", &[0u8; 4000]));
    let tmp = temp_dir();
    std::fs::write(tmp.path().join("big.so"), &big).unwrap();
    std::fs::write(tmp.path().join("small.so"), &small).unwrap();
    let program = script_program();
    let big_len = big.len();
    let out = run(Run::new(&program)
        .args([
            "s",
            "o:/lib/big.so",
            "s",
            "o:membig.so",
            "s",
            "o:/lib/small.so",
            "o:memsmall.so",
        ])
        .dir(tmp.path(), "/lib")
        .dl(move |b| {
            b.limits(Limits {
                max_module_bytes: 2048,
                ..limits()
            })
            .module_bytes("membig.so", big.clone())
            .module_bytes("memsmall.so", small.clone())
        }))
    .success();
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    let too_big = format!("module size limit exceeded ({big_len} bytes, at most 2048 allowed)");
    check(
        &lines,
        &[
            ("open /lib/big.so NULL", &["/lib/big.so: ", &too_big]),
            ("open membig.so NULL", &["membig.so: ", &too_big]),
            ("open /lib/small.so ok", &[]),
            ("open memsmall.so ok", &[]),
        ],
    );
}
}

/// A side module defining `count` functions (as a generator would make one to tie up the
/// host's compiler).
fn with_functions(count: usize) -> Vec<u8> {
    let funcs = "(func (result i32) (i32.const 7))\n".repeat(count);
    side_module(
        &Dylink::new(),
        &format!("(module {PROLOGUE} {funcs} (export \"f\" (func 0)))"),
    )
}

both_modes! {
fn max_module_functions() {
    let tmp = temp_dir();
    let many = with_functions(41);
    std::fs::write(tmp.path().join("many.so"), &many).unwrap();
    std::fs::write(tmp.path().join("few.so"), with_functions(40)).unwrap();
    let program = script_program();
    let out = run(Run::new(&program)
        .args([
            "s",
            "o:/lib/many.so",
            "s",
            "o:memmany.so",
            "s",
            "o:/lib/few.so",
        ])
        .dir(tmp.path(), "/lib")
        .dl(move |b| {
            b.limits(Limits {
                max_module_functions: 40,
                ..limits()
            })
            .module_bytes("memmany.so", many.clone())
        }))
    .success();
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    let too_many = "function count limit exceeded (41 functions defined, at most 40 allowed)";
    check(
        &lines,
        &[
            ("open /lib/many.so NULL", &["/lib/many.so: ", too_many]),
            ("open memmany.so NULL", &["memmany.so: ", too_many]),
            ("open /lib/few.so ok", &[]),
        ],
    );
}
}

/// A side module with `extra` GOT.mem imports beside [`PROLOGUE`]'s four, each of a data
/// symbol it defines itself (as clang makes them), so that it links.
fn with_imports(extra: usize) -> Vec<u8> {
    let (mut imports, mut globals) = (String::new(), String::new());
    for i in 0..extra {
        imports.push_str(&format!(
            "(import \"GOT.mem\" \"g{i}\" (global (mut i32)))\n"
        ));
        globals.push_str(&format!(
            "(global (export \"g{i}\") i32 (i32.const {}))\n",
            4 * i
        ));
    }
    side_module(
        &Dylink::new().mem_info(4 * extra as u32, 2, 0, 0),
        &format!(
            "(module {PROLOGUE} {imports} {globals} (func (export \"f\") (result i32) (i32.const 1)))"
        ),
    )
}

both_modes! {
/// Past `max_module_imports`, a module is refused before it is compiled or linked; also when
/// it is already compiled (the second run finds it in the compile cache). One at the limit
/// loads.
fn max_module_imports() {
    let tmp = temp_dir();
    std::fs::write(tmp.path().join("many.so"), with_imports(3)).unwrap();
    std::fs::write(tmp.path().join("few.so"), plain(Dylink::new())).unwrap();
    let program = script_program();
    let run_with_limit = |max_module_imports: u32| {
        let out = run(Run::new(&program)
            .args(["s", "o:/lib/many.so", "s", "o:/lib/few.so"])
            .dir(tmp.path(), "/lib")
            .dl(move |b| {
                b.limits(Limits {
                    max_module_imports,
                    ..limits()
                })
            }))
        .success();
        out.stdout.lines().map(str::to_string).collect::<Vec<String>>()
    };
    check(
        &run_with_limit(7),
        &[("open /lib/many.so ok", &[]), ("open /lib/few.so ok", &[])],
    );
    check(
        &run_with_limit(6),
        &[
            (
                "open /lib/many.so NULL",
                &["/lib/many.so: ", "import count limit exceeded (7 imports, at most 6 allowed)"],
            ),
            ("open /lib/few.so ok", &[]),
        ],
    );
}
}

/// The default import bound refuses a module of 100,001 imports from its import section's
/// header: before anything reads the imports (wasmparser alone would take ~150 MB for a
/// million before refusing them).
#[test]
fn max_module_imports_default() {
    let tmp = temp_dir();
    std::fs::write(tmp.path().join("huge.so"), with_imports(100_001 - 4)).unwrap();
    std::fs::write(tmp.path().join("small.so"), plain(Dylink::new())).unwrap();
    let program = script_program();
    let out = run(Run::new(&program)
        .args(["s", "o:/lib/huge.so", "s", "o:/lib/small.so"])
        .dir(tmp.path(), "/lib"))
    .success();
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    check(
        &lines,
        &[
            (
                "open /lib/huge.so NULL",
                &["import count limit exceeded (100001 imports, at most 100000 allowed)"],
            ),
            ("open /lib/small.so ok", &[]),
        ],
    );
}

/// The default bound refuses a module past it before compiling anything (compiling 100,001
/// functions would take minutes in a debug build), and the program carries on.
#[test]
fn max_module_functions_default() {
    let tmp = temp_dir();
    std::fs::write(tmp.path().join("huge.so"), with_functions(100_001)).unwrap();
    std::fs::write(tmp.path().join("small.so"), plain(Dylink::new())).unwrap();
    let program = script_program();
    let out = run(Run::new(&program)
        .args(["s", "o:/lib/huge.so", "s", "o:/lib/small.so"])
        .dir(tmp.path(), "/lib"))
    .success();
    let lines: Vec<String> = out.stdout.lines().map(str::to_string).collect();
    check(
        &lines,
        &[
            (
                "open /lib/huge.so NULL",
                &["function count limit exceeded (100001 functions defined, at most 100000 allowed)"],
            ),
            ("open /lib/small.so ok", &[]),
        ],
    );
}

both_modes! {
fn max_dependency_depth() {
    let files: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            let d = if i < 4 {
                Dylink::new().needed(&[&format!("c{}.so", i + 1)])
            } else {
                Dylink::new()
            };
            (format!("c{i}.so"), plain(d))
        })
        .collect();
    let files: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let lines = run_script(
        &files,
        Limits {
            max_dependency_depth: 3,
            ..limits()
        },
        &["s", "o:/lib/c0.so", "s", "o:/lib/c1.so", "o:/lib/c0.so"],
    );
    check(
        &lines,
        &[
            (
                "open /lib/c0.so NULL",
                &["c4.so: dependency chain deeper than 3 libraries"],
            ),
            // c1 -> c2 -> c3 -> c4 is three levels deep: allowed; with it loaded, c0 is too.
            ("open /lib/c1.so ok", &[]),
            ("open /lib/c0.so ok", &[]),
        ],
    );
}
}

both_modes! {
fn max_align_log2() {
    let files = [
        ("a5.so", plain(Dylink::new().mem_info(16, 5, 0, 0))),
        ("t5.so", plain(Dylink::new().mem_info(16, 0, 1, 5))),
        ("a4.so", plain(Dylink::new().mem_info(16, 4, 1, 4))),
    ];
    let lines = run_script(
        &files,
        Limits {
            max_align_log2: 4,
            ..limits()
        },
        &[
            "s",
            "o:/lib/a5.so",
            "s",
            "o:/lib/t5.so",
            "s",
            "o:/lib/a4.so",
        ],
    );
    check(
        &lines,
        &[
            (
                "open /lib/a5.so NULL",
                &[
                    "/lib/a5.so: alignment limit exceeded",
                    "2^5 byte",
                    "at most 2^4",
                ],
            ),
            (
                "open /lib/t5.so NULL",
                &["/lib/t5.so: alignment limit exceeded", "2^5 slot"],
            ),
            ("open /lib/a4.so ok", &[]),
        ],
    );
}
}

/// The defaults are what the documentation (docs/SECURITY.md) says.
#[test]
fn defaults() {
    assert_eq!(
        Limits::default(),
        Limits {
            max_libraries: 4096,
            max_data_bytes: 1 << 30,
            max_table_slots: 1 << 20,
            max_module_bytes: 64 << 20,
            max_module_functions: 100_000,
            max_module_imports: 100_000,
            max_dependency_depth: 256,
            max_align_log2: 16,
            max_parked_libraries: 16,
            max_parked_bytes: 4 << 20,
            max_nested_opens: 64,
            nested_host_stack: 256 * 1024,
            shadow_stack_reserve: 64 * 1024,
        }
    );
    let _ = Path::new("docs/SECURITY.md");
}

/// The state line's `parked=` count after the `k`-th `s` command.
fn parked_at(lines: &[String], k: usize) -> String {
    let states: Vec<&String> = lines.iter().filter(|l| l.starts_with("state ")).collect();
    field(states[k], "parked").to_string()
}

both_modes! {
fn max_parked_libraries() {
    let files = [
        ("p1.so", plain(Dylink::new().mem_info(100, 0, 0, 0))),
        ("p2.so", plain(Dylink::new().mem_info(100, 0, 0, 0))),
        ("p3.so", plain(Dylink::new().mem_info(100, 0, 0, 0))),
    ];
    let script = [
        "o:/lib/p1.so",
        "o:/lib/p2.so",
        "o:/lib/p3.so",
        "c:0",
        "c:1",
        "c:2",
        "s",
        // p1 was pushed out (instantiated anew), p2 and p3 are revived.
        "o:/lib/p1.so",
        "o:/lib/p2.so",
        "o:/lib/p3.so",
        "s",
    ];
    for (max, parked) in [(2, ["2", "0"]), (0, ["0", "0"])] {
        let lines = run_script(
            &files,
            Limits {
                max_parked_libraries: max,
                ..limits()
            },
            &script,
        );
        let mut expect: Vec<(&str, &[&str])> = vec![
            ("open /lib/p1.so ok", &[]),
            ("open /lib/p2.so ok", &[]),
            ("open /lib/p3.so ok", &[]),
            ("close 0 ok", &[]),
            ("close 1 ok", &[]),
            ("close 2 ok", &[]),
        ];
        expect.extend_from_slice(&[
            ("open /lib/p1.so ok", &[]),
            ("open /lib/p2.so ok", &[]),
            ("open /lib/p3.so ok", &[]),
        ]);
        check(&lines, &expect);
        assert_eq!(
            [parked_at(&lines, 0), parked_at(&lines, 1)],
            parked.map(String::from),
            "max_parked_libraries {max}:\n{}",
            lines.join("\n")
        );
    }
}
}

both_modes! {
fn max_parked_bytes() {
    let files = [
        ("small.so", plain(Dylink::new().mem_info(100, 0, 0, 0))),
        ("big.so", plain(Dylink::new().mem_info(5000, 0, 0, 0))),
    ];
    let lines = run_script(
        &files,
        Limits {
            max_parked_bytes: 4096,
            ..limits()
        },
        &["o:/lib/small.so", "o:/lib/big.so", "c:0", "c:1", "s"],
    );
    check(
        &lines,
        &[
            ("open /lib/small.so ok", &[]),
            ("open /lib/big.so ok", &[]),
            ("close 0 ok", &[]),
            ("close 1 ok", &[]),
        ],
    );
    // big.so does not fit in the pool: its block went back at once.
    assert_eq!(parked_at(&lines, 0), "1", "{}", lines.join("\n"));
}
}

both_modes! {
/// Parked libraries hold data memory; a dlopen that would exceed `max_data_bytes` because of
/// them gets their blocks back instead of failing.
fn parked_blocks_make_room_for_new_libraries() {
    let files = [
        ("d1.so", plain(Dylink::new().mem_info(4000, 0, 0, 0))),
        ("d2.so", plain(Dylink::new().mem_info(4000, 0, 0, 0))),
        ("d3.so", plain(Dylink::new().mem_info(4000, 0, 0, 0))),
    ];
    let lines = run_script(
        &files,
        Limits {
            max_data_bytes: 10_000,
            ..limits()
        },
        &[
            "o:/lib/d1.so",
            "c:0",
            "s",
            "o:/lib/d2.so",
            "o:/lib/d3.so",
            "s",
        ],
    );
    check(
        &lines,
        &[
            ("open /lib/d1.so ok", &[]),
            ("close 0 ok", &[]),
            ("open /lib/d2.so ok", &[]),
            ("open /lib/d3.so ok", &[]),
        ],
    );
    assert_eq!(
        [parked_at(&lines, 0), parked_at(&lines, 1)],
        ["1".to_string(), "0".to_string()],
        "{}",
        lines.join("\n")
    );
}
}
