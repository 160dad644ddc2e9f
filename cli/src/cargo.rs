//! `wasi-dl cargo build [--release] [cargo args]`: builds the Rust `cdylib` crate in the
//! current directory (or `--manifest-path`) as a side module, `lib<crate>.so`.
//!
//! The shipped `wasm32-wasip1` standard library is not position-independent, so a `cdylib`
//! that uses `std` links as a side module only when cargo is told (through `--config`, never by
//! editing the user's Cargo.toml):
//!
//! - `profile.<p>.lto = "fat"`: LTO rebuilds std from its bitcode with the crate's relocation
//!   model, and keeps only the `#[no_mangle]` exports. Without LTO the link fails (std's objects
//!   are not PIC); thin LTO links but traps at run time (an indirect call type mismatch), so a
//!   profile that asks for thin LTO is refused rather than silently changed.
//! - `profile.<p>.panic = "abort"`: there is no unwinding across wasm modules here.
//! - `target.wasm32-wasip1.rustflags`: `-C relocation-model=pic`, wasm-ld (the one the C
//!   toolchain uses, from [`wasi_dl_toolchain::Toolchain`]) with its side-module flags
//!   (`--shared --experimental-pic --unresolved-symbols=import-dynamic`), and `-L native=DIR`
//!   where DIR holds an empty `libc.a`: it shadows the non-PIC wasi-libc bundled with rustup, so
//!   every libc function the plugin calls (`malloc`, `write`, ...) is imported from the program.
//!   A `RUSTFLAGS`/`CARGO_ENCODED_RUSTFLAGS` from the environment would override that setting,
//!   so then the flags are appended to it instead.
//!
//! Cargo's output (`<name>.wasm`, found from its JSON messages, so `--target-dir` and custom
//! profiles work) is copied to `lib<name>.so` beside it, and that path is printed.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context};
use wasi_dl_toolchain::Toolchain;

/// The target every side module is built for.
const TARGET: &str = "wasm32-wasip1";

/// An archive with no members (`ar` magic only): see the module documentation.
const EMPTY_ARCHIVE: &[u8] = b"!<arch>\n";

/// The cargo arguments this command looks at; everything is passed on unchanged.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    release: bool,
    profile: Option<String>,
    target: Option<String>,
    manifest_path: Option<PathBuf>,
    configs: Vec<String>,
    message_format: bool,
}

fn scan(args: &[OsString]) -> anyhow::Result<Seen> {
    let mut seen = Seen::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let text = arg.to_string_lossy();
        // `--flag value` or `--flag=value`.
        let mut value = |flag: &str| -> anyhow::Result<Option<String>> {
            if text == flag {
                let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value"))?;
                Ok(Some(v.to_string_lossy().into_owned()))
            } else {
                Ok(text.strip_prefix(&format!("{flag}=")).map(str::to_owned))
            }
        };
        if text == "--release" || text == "-r" {
            seen.release = true;
        } else if let Some(v) = value("--profile")? {
            seen.profile = Some(v);
        } else if let Some(v) = value("--target")? {
            seen.target = Some(v);
        } else if let Some(v) = value("--manifest-path")? {
            seen.manifest_path = Some(PathBuf::from(v));
        } else if let Some(v) = value("--config")? {
            seen.configs.push(v);
        } else if text == "--message-format" || text.starts_with("--message-format=") {
            seen.message_format = true;
        }
    }
    Ok(seen)
}

impl Seen {
    /// The profile cargo will use.
    fn profile(&self) -> String {
        match (&self.profile, self.release) {
            (Some(p), _) => p.clone(),
            (None, true) => "release".into(),
            (None, false) => "dev".into(),
        }
    }
}

/// Where a profile setting may come from, in cargo's order of precedence.
struct Sources {
    /// Parsed `--config` values (highest precedence first: cargo lets the last one win).
    cli: Vec<toml::Table>,
    /// `CARGO_PROFILE_*` variables.
    env: Vec<(String, String)>,
    /// Config files, nearest first, then `$CARGO_HOME/config.toml`.
    files: Vec<(PathBuf, toml::Table)>,
    /// The workspace's Cargo.toml.
    manifest: (PathBuf, toml::Table),
}

/// A profile's setting (`lto`, `panic`, ...) and where it was set.
#[derive(Debug, PartialEq)]
struct Setting {
    value: toml::Value,
    origin: String,
}

impl Sources {
    fn profile_key<'t>(
        table: &'t toml::Table,
        profile: &str,
        key: &str,
    ) -> Option<&'t toml::Value> {
        table.get("profile")?.get(profile)?.get(key)
    }

    /// `key` of `profile`, from the source of highest precedence that sets it.
    fn lookup(&self, profile: &str, key: &str) -> Option<Setting> {
        for table in &self.cli {
            if let Some(v) = Self::profile_key(table, profile, key) {
                return Some(Setting {
                    value: v.clone(),
                    origin: "--config".into(),
                });
            }
        }
        let var = format!(
            "CARGO_PROFILE_{}_{}",
            profile.to_uppercase().replace('-', "_"),
            key.to_uppercase().replace('-', "_")
        );
        if let Some((_, v)) = self.env.iter().find(|(k, _)| *k == var) {
            let value = match v.as_str() {
                "true" => toml::Value::Boolean(true),
                "false" => toml::Value::Boolean(false),
                _ => toml::Value::String(v.clone()),
            };
            return Some(Setting { value, origin: var });
        }
        for (path, table) in &self.files {
            if let Some(v) = Self::profile_key(table, profile, key) {
                return Some(Setting {
                    value: v.clone(),
                    origin: path.display().to_string(),
                });
            }
        }
        let (path, table) = &self.manifest;
        Self::profile_key(table, profile, key).map(|v| Setting {
            value: v.clone(),
            origin: path.display().to_string(),
        })
    }

    /// `key` of `profile` or of the profiles it inherits from.
    fn effective(&self, profile: &str, key: &str) -> Option<(String, Setting)> {
        let mut current = profile.to_owned();
        for _ in 0..32 {
            if let Some(found) = self.lookup(&current, key) {
                return Some((current, found));
            }
            let parent = match self.lookup(&current, "inherits") {
                Some(Setting {
                    value: toml::Value::String(p),
                    ..
                }) => p,
                _ => match current.as_str() {
                    "test" => "dev".to_owned(),
                    "bench" => "release".to_owned(),
                    _ => return None,
                },
            };
            current = parent;
        }
        None
    }
}

fn read_toml(path: &Path) -> anyhow::Result<toml::Table> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

/// Cargo's config files that apply in `dir`: `.cargo/config.toml` (or `.cargo/config`) of
/// `dir` and each ancestor, nearest first, then the one in `$CARGO_HOME`.
fn config_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut push = |d: &Path| {
        for name in ["config.toml", "config"] {
            let path = d.join(name);
            if path.is_file() {
                if !found.contains(&path) {
                    found.push(path);
                }
                break;
            }
        }
    };
    for ancestor in dir.ancestors() {
        push(&ancestor.join(".cargo"));
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = home {
        push(&home);
    }
    found
}

/// The workspace root manifest cargo will use, from `cargo locate-project`.
fn workspace_manifest(cargo: &OsStr, seen: &Seen) -> anyhow::Result<PathBuf> {
    let mut cmd = Command::new(cargo);
    cmd.args(["locate-project", "--workspace", "--message-format", "plain"]);
    if let Some(path) = &seen.manifest_path {
        cmd.arg("--manifest-path").arg(path);
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", Path::new(cargo).display()))?;
    if !out.status.success() {
        bail!("cargo locate-project failed: is there a Cargo.toml here (or --manifest-path)?");
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn sources(cargo: &OsStr, seen: &Seen) -> anyhow::Result<Sources> {
    let manifest = workspace_manifest(cargo, seen)?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut cli = Vec::new();
    for config in seen.configs.iter().rev() {
        // A `--config` value is TOML (`profile.release.lto = "thin"`) or a file name.
        let table = match config.parse::<toml::Table>() {
            Ok(table) => table,
            Err(_) => read_toml(&cwd.join(config))?,
        };
        cli.push(table);
    }
    let mut files = Vec::new();
    for path in config_files(&cwd) {
        files.push((path.clone(), read_toml(&path)?));
    }
    Ok(Sources {
        cli,
        env: std::env::vars()
            .filter(|(k, _)| k.starts_with("CARGO_PROFILE_"))
            .collect(),
        files,
        manifest: (manifest.clone(), read_toml(&manifest)?),
    })
}

/// Refuses thin LTO, says when another setting is overridden.
fn check_profile(sources: &Sources, profile: &str) -> anyhow::Result<()> {
    if let Some((set_in, lto)) = sources.effective(profile, "lto") {
        let thin = matches!(&lto.value, toml::Value::String(s) if s == "thin");
        if thin {
            bail!(
                "profile `{set_in}` asks for lto = \"thin\" ({}): a Rust side module needs fat LTO \
                 (thin LTO links, then traps at run time with an indirect call type mismatch). \
                 Remove that setting, or set lto = \"fat\"; wasi-dl cargo build sets fat LTO itself",
                lto.origin
            );
        }
        let fat = matches!(&lto.value, toml::Value::Boolean(true))
            || matches!(&lto.value, toml::Value::String(s) if s == "fat");
        if !fat {
            eprintln!(
                "wasi-dl: note: lto = {} in profile `{set_in}` ({}) is overridden with lto = \"fat\": \
                 without LTO a std-using side module does not link (std is not position-independent)",
                lto.value, lto.origin
            );
        }
    }
    if let Some((set_in, panic)) = sources.effective(profile, "panic") {
        if !matches!(&panic.value, toml::Value::String(s) if s == "abort") {
            eprintln!(
                "wasi-dl: note: panic = {} in profile `{set_in}` ({}) is overridden with panic = \"abort\"",
                panic.value, panic.origin
            );
        }
    }
    Ok(())
}

/// The wasm-ld of the detected C toolchain (the one `wasi-dl cc` links with).
fn wasm_ld(toolchain: &Toolchain) -> anyhow::Result<PathBuf> {
    let out = toolchain
        .clang_command()
        .arg("-print-prog-name=wasm-ld")
        .output()
        .with_context(|| format!("cannot run {}", toolchain.clang().display()))?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !path.is_absolute() || !path.is_file() {
        bail!(
            "{} does not name its wasm-ld (got {:?}): install lld for it (run `make setup`)",
            toolchain.clang().display(),
            path
        );
    }
    Ok(path)
}

/// A directory holding only an empty `libc.a`, created once in the toolchain's cache.
fn empty_libc_dir(toolchain: &Toolchain) -> anyhow::Result<PathBuf> {
    let dir = toolchain.cache_dir().join("rust-side-module-libc");
    let archive = dir.join("libc.a");
    if std::fs::read(&archive).ok().as_deref() != Some(EMPTY_ARCHIVE) {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        wasi_dl_toolchain::atomic_file::write(&archive, EMPTY_ARCHIVE)?;
    }
    Ok(dir)
}

/// The rustc flags that make a `cdylib` a side module.
fn side_module_rustflags(wasm_ld: &Path, libc_dir: &Path) -> Vec<String> {
    vec![
        "-Crelocation-model=pic".into(),
        format!("-Clinker={}", wasm_ld.display()),
        "-Clink-arg=--shared".into(),
        "-Clink-arg=--experimental-pic".into(),
        "-Clink-arg=--unresolved-symbols=import-dynamic".into(),
        format!("-Lnative={}", libc_dir.display()),
    ]
}

/// A TOML string literal.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// `wasi-dl cargo ARGS`; returns the exit status.
pub fn cargo(args: &[OsString]) -> anyhow::Result<u8> {
    let Some((sub, rest)) = args.split_first() else {
        bail!("usage: wasi-dl cargo build [--release] [cargo build arguments]");
    };
    if sub != "build" && sub != "b" {
        bail!(
            "wasi-dl cargo {}: only `wasi-dl cargo build` is supported (it builds a cdylib crate as a side module)",
            sub.to_string_lossy()
        );
    }
    let seen = scan(rest)?;
    if let Some(target) = &seen.target {
        if target != TARGET {
            bail!("--target {target}: side modules are built for {TARGET} only");
        }
    }
    if seen.message_format {
        bail!("--message-format: wasi-dl cargo build reads cargo's JSON messages itself");
    }
    let cargo = std::env::var_os("WASI_DL_CARGO").unwrap_or_else(|| "cargo".into());
    let profile = seen.profile();
    check_profile(&sources(&cargo, &seen)?, &profile)?;

    let toolchain = Toolchain::detect()?;
    let flags = side_module_rustflags(&wasm_ld(&toolchain)?, &empty_libc_dir(&toolchain)?);
    let mut cmd = Command::new(&cargo);
    cmd.arg("build");
    if seen.target.is_none() {
        cmd.args(["--target", TARGET]);
    }
    cmd.arg("--message-format=json-render-diagnostics");
    cmd.args(rest);
    for (key, value) in [("lto", "\"fat\""), ("panic", "\"abort\"")] {
        cmd.arg("--config")
            .arg(format!("profile.{profile}.{key}={value}"));
    }
    // RUSTFLAGS and CARGO_ENCODED_RUSTFLAGS take precedence over every rustflags setting in
    // config: add to them when they are set, else use the target's config entry.
    let encoded = std::env::var("CARGO_ENCODED_RUSTFLAGS").ok();
    let plain = std::env::var("RUSTFLAGS").ok();
    if encoded.is_some() || plain.is_some() {
        let mut all: Vec<String> = match (encoded, plain) {
            (Some(e), _) => e
                .split('\x1f')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            (None, Some(p)) => p.split_whitespace().map(str::to_owned).collect(),
            (None, None) => Vec::new(),
        };
        all.extend(flags);
        cmd.env("CARGO_ENCODED_RUSTFLAGS", all.join("\x1f"))
            .env_remove("RUSTFLAGS");
    } else {
        let list: Vec<String> = flags.iter().map(|f| toml_str(f)).collect();
        cmd.arg("--config")
            .arg(format!("target.{TARGET}.rustflags=[{}]", list.join(", ")));
    }
    if std::env::var_os("WASI_DL_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0") {
        eprintln!("wasi-dl: {cmd:?}");
    }

    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", Path::new(&cargo).display()))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow!("cargo's output is not piped"))?;
    let mut built = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's messages")?;
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(message) => built.extend(cdylib_wasm(&message)),
            // Not a message (a build script's stray output, ...): pass it on.
            Err(_) => println!("{line}"),
        }
    }
    let status = child.wait().context("waiting for cargo")?;
    if !status.success() {
        return Ok(status.code().map_or(1, |c| c.clamp(1, 255) as u8));
    }
    if built.is_empty() {
        bail!(
            "cargo built no cdylib: a side module comes from a library crate with \
             `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml"
        );
    }
    for wasm in built {
        println!("{}", side_module_from(&wasm)?.display());
    }
    Ok(0)
}

/// The `.wasm` file of a `compiler-artifact` message for a cdylib target.
fn cdylib_wasm(message: &serde_json::Value) -> Option<PathBuf> {
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let kinds = message.get("target")?.get("kind")?.as_array()?;
    if !kinds.iter().any(|k| k.as_str() == Some("cdylib")) {
        return None;
    }
    message
        .get("filenames")?
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".wasm"))
        .map(PathBuf::from)
}

/// Copies `dir/<name>.wasm` to `dir/lib<name>.so` (if it changed), after checking it is a
/// side module.
fn side_module_from(wasm: &Path) -> anyhow::Result<PathBuf> {
    let bytes = std::fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    wasi_dl::dylink::read(&bytes)
        .with_context(|| format!("cargo's output {} is not a side module", wasm.display()))?;
    let stem = wasm
        .file_stem()
        .ok_or_else(|| anyhow!("{}: no file name", wasm.display()))?;
    let mut name = OsString::from("lib");
    name.push(stem);
    name.push(".so");
    let so = wasm.with_file_name(name);
    if std::fs::read(&so).ok().as_deref() != Some(&bytes[..]) {
        wasi_dl_toolchain::atomic_file::write(&so, &bytes)?;
    }
    Ok(so)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn scan_finds_profile_target_and_configs() {
        let seen = scan(&os(&[
            "-r",
            "--target=wasm32-wasip1",
            "--config",
            "a.b=1",
            "--manifest-path",
            "x/Cargo.toml",
        ]))
        .unwrap();
        assert!(seen.release);
        assert_eq!(seen.profile(), "release");
        assert_eq!(seen.target.as_deref(), Some("wasm32-wasip1"));
        assert_eq!(seen.configs, ["a.b=1"]);
        assert_eq!(
            seen.manifest_path.as_deref(),
            Some(Path::new("x/Cargo.toml"))
        );
        assert_eq!(
            scan(&os(&["--profile", "small"])).unwrap().profile(),
            "small"
        );
        assert_eq!(scan(&os(&[])).unwrap().profile(), "dev");
        assert!(scan(&os(&["--profile"])).is_err());
    }

    fn sources(manifest: &str, env: &[(&str, &str)], cli: &[&str]) -> Sources {
        Sources {
            cli: cli.iter().map(|c| c.parse().unwrap()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: Vec::new(),
            manifest: ("Cargo.toml".into(), manifest.parse().unwrap()),
        }
    }

    #[test]
    fn thin_lto_is_found_through_inheritance_and_precedence() {
        let s = sources(
            "[profile.release]\nlto = \"thin\"\n[profile.small]\ninherits = \"release\"\n",
            &[],
            &[],
        );
        assert!(check_profile(&s, "release")
            .unwrap_err()
            .to_string()
            .contains("lto = \"thin\""));
        assert!(check_profile(&s, "small").is_err());
        assert!(check_profile(&s, "bench").is_err());
        assert!(check_profile(&s, "dev").is_ok());
        // A higher-precedence source wins.
        let s = sources(
            "[profile.release]\nlto = \"thin\"\n",
            &[("CARGO_PROFILE_RELEASE_LTO", "fat")],
            &[],
        );
        assert!(check_profile(&s, "release").is_ok());
        let s = sources("", &[], &["profile.release.lto = \"thin\""]);
        assert!(check_profile(&s, "release").is_err());
        let s = sources("", &[("CARGO_PROFILE_RELEASE_LTO", "thin")], &[]);
        assert!(check_profile(&s, "release")
            .unwrap_err()
            .to_string()
            .contains("CARGO_PROFILE_RELEASE_LTO"));
    }
}
