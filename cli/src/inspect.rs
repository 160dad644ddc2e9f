//! `wasi-dl inspect`: what `ldd` and `nm` tell about an ELF shared object, for a side module.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use wasi_dl::dylink::{self, ExportKind, ImportKind, SideModuleInfo};

#[derive(Args)]
pub struct InspectArgs {
    /// The side module.
    library: PathBuf,
    /// A program to check the library's imports against: what it does not export, and no
    /// library in the NEEDED tree defines, would stay unresolved.
    #[arg(long = "against", value_name = "PROGRAM")]
    against: Option<PathBuf>,
    /// Directories to look for NEEDED libraries in (besides RUNTIME_PATH and the library's
    /// own directory).
    #[arg(short = 'L', value_name = "DIR")]
    lib_dirs: Vec<PathBuf>,
}

fn read_info(path: &Path) -> anyhow::Result<SideModuleInfo> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    dylink::read(&bytes).with_context(|| path.display().to_string())
}

pub fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let info = read_info(&args.library)?;
    let m = &info.mem;
    println!("{}", args.library.display());
    println!(
        "  memory: {} bytes, align 2^{}; table: {} slots, align 2^{}",
        m.memory_size, m.memory_align_log2, m.table_size, m.table_align_log2
    );
    if !info.runtime_paths.is_empty() {
        println!("  runtime path: {}", info.runtime_paths.join(":"));
    }

    println!("NEEDED tree:");
    let mut defined: BTreeSet<String> = BTreeSet::new();
    let mut seen = BTreeSet::new();
    needed_tree(&args, &args.library, &info, 1, &mut seen, &mut defined);

    println!("exports:");
    for export in &info.exports {
        let kind = match export.kind {
            ExportKind::Function { .. } => "T",
            ExportKind::Data { .. } => "D",
            _ => continue,
        };
        if !export.name.starts_with("__wasm_") {
            println!("  {kind} {}", export.name);
            defined.insert(export.name.clone());
        }
    }
    println!("imports:");
    let mut wanted = Vec::new();
    for import in &info.imports {
        let (kind, symbol) = match &import.kind {
            ImportKind::Function { .. } => ("U func", import.name.as_str()),
            ImportKind::GotMem(s) => ("U data", s.as_str()),
            ImportKind::GotFunc(s) => ("U addr", s.as_str()),
            _ => continue,
        };
        let weak = if import.weak { " (weak)" } else { "" };
        println!("  {kind} {symbol}{weak}");
        if !import.weak {
            wanted.push(symbol.to_string());
        }
    }

    if let Some(program) = &args.against {
        let bytes =
            std::fs::read(program).with_context(|| format!("cannot read {}", program.display()))?;
        let exported = program_exports(&bytes).with_context(|| program.display().to_string())?;
        let mut unresolved: Vec<&String> = wanted
            .iter()
            .filter(|s| !defined.contains(*s) && !exported.contains(*s))
            .collect();
        unresolved.sort();
        unresolved.dedup();
        if unresolved.is_empty() {
            println!(
                "against {}: every strong import resolves",
                program.display()
            );
        } else {
            println!(
                "against {}: unresolved (dlopen with RTLD_NOW would fail):",
                program.display()
            );
            for symbol in unresolved {
                println!("  {symbol}");
            }
        }
    }
    Ok(())
}

/// Prints the NEEDED tree (like `ldd`), collecting what the tree defines.
fn needed_tree(
    args: &InspectArgs,
    path: &Path,
    info: &SideModuleInfo,
    depth: usize,
    seen: &mut BTreeSet<PathBuf>,
    defined: &mut BTreeSet<String>,
) {
    let origin = path.parent().map(Path::to_path_buf).unwrap_or_default();
    for name in &info.needed {
        let indent = "  ".repeat(depth);
        let mut dirs: Vec<PathBuf> = info
            .runtime_paths
            .iter()
            .map(|p| PathBuf::from(p.replace("$ORIGIN", &origin.to_string_lossy())))
            .collect();
        dirs.extend(args.lib_dirs.iter().cloned());
        dirs.push(origin.clone());
        let found = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
        match found {
            None => println!("{indent}{name} => not found"),
            Some(dep) => {
                if !seen.insert(dep.clone()) {
                    println!("{indent}{name} => {} (already listed)", dep.display());
                    continue;
                }
                match read_info(&dep) {
                    Ok(dep_info) => {
                        println!("{indent}{name} => {}", dep.display());
                        for e in &dep_info.exports {
                            if matches!(
                                e.kind,
                                ExportKind::Function { .. } | ExportKind::Data { .. }
                            ) {
                                defined.insert(e.name.clone());
                            }
                        }
                        needed_tree(args, &dep, &dep_info, depth + 1, seen, defined);
                    }
                    Err(e) => println!("{indent}{name} => {} ({e:#})", dep.display()),
                }
            }
        }
    }
}

/// The names a program exports (functions and globals).
fn program_exports(bytes: &[u8]) -> anyhow::Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::ExportSection(reader) = payload? {
            for export in reader {
                names.insert(export?.name.to_string());
            }
        }
    }
    Ok(names)
}
