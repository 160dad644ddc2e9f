//! What `summary.json` records of the machine and the tools the numbers came from.

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}

pub(crate) fn machine_info(toolchain: &str) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let wasmtime = std::fs::read_to_string(lock).ok().and_then(|t| {
        let at = t.find("name = \"wasmtime\"\nversion = \"")?;
        let rest = &t[at + "name = \"wasmtime\"\nversion = \"".len()..];
        Some(rest[..rest.find('"')?].to_string())
    });
    let loadavg = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .ok();
    let glibc =
        command_line("ldd", &["--version"]).and_then(|l| l.rsplit(' ').next().map(str::to_string));
    json!({
        "cpu": cpu,
        "cores": cores,
        "rustc": command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into()),
        "wasmtime": wasmtime.unwrap_or_else(|| "unknown".into()),
        "gcc": command_line("gcc", &["-dumpfullversion"]).unwrap_or_else(|| "unknown".into()),
        "glibc": glibc.unwrap_or_else(|| "unknown".into()),
        "kernel": kernel.unwrap_or_else(|| "unknown".into()),
        "loadavg_at_start": loadavg.unwrap_or_else(|| "unknown".into()),
        "wasm_toolchain": toolchain,
        "driver_build": if cfg!(debug_assertions) { "debug" } else { "optimised" },
    })
}
