//! `wasi-dl-bench --quick`: every benchmark runs (with very few iterations) and
//! `summary.json` has every key with a finite number. Timings are never asserted.

use std::process::Command;

use serde_json::Value;

#[test]
fn quick_mode_writes_every_summary_key() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-test");
    let run = Command::new(env!("CARGO_BIN_EXE_wasi-dl-bench"))
        .arg("--quick")
        .arg("--out")
        .arg(&out)
        .output()
        .expect("wasi-dl-bench runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "wasi-dl-bench --quick failed ({}):\n{stdout}\n{stderr}",
        run.status
    );
    assert!(stdout.contains("warm cycle"), "no table printed:\n{stdout}");

    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json written");
    let summary: Value = serde_json::from_str(&text).expect("summary.json is JSON");
    for key in wasi_dl_bench::SUMMARY_KEYS {
        let value = summary.get(*key).and_then(Value::as_f64);
        assert!(
            value.is_some_and(f64::is_finite),
            "summary.json: {key} is {:?}",
            summary.get(*key)
        );
    }
    let machine = &summary["machine"];
    for key in ["cpu", "cores", "rustc", "wasmtime"] {
        assert!(
            !machine[key].is_null(),
            "summary.json: machine.{key} missing"
        );
    }
    assert!(summary["wasm"]["warm_cycle"]["samples"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
}
