//! `wasi-dl inspect`: what `ldd` and `nm` tell about an ELF shared object, for a side module.
//!
//! NEEDED libraries are found exactly as `dlopen` would find them under the same `--dir` and
//! `--lib-path` flags (the loader's own [`LibraryFinder`]: grants, search order, `$ORIGIN`),
//! never through the host's file system outside them. The walk is iterative and lists each
//! library once, and stops where the loader would: at `Limits::max_dependency_depth` and
//! `Limits::max_libraries`.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use clap::Args;
use wasi_dl::dylink::{self, ExportKind, ImportKind, SideModuleInfo};
use wasi_dl::source::{expand_runtime_path, LibraryFinder};
use wasi_dl::{DlError, Limits};

#[derive(Args)]
pub struct InspectArgs {
    /// The side module (a host path).
    library: PathBuf,
    /// A program to check the library's imports against: what it does not export, and no
    /// library in the NEEDED tree defines, would stay unresolved.
    #[arg(long = "against", value_name = "PROGRAM")]
    against: Option<PathBuf>,
    /// Find NEEDED libraries as `wasi-dl run --dir HOST[::GUEST]` would let the program load
    /// them. Without any --dir, --lib-path or -L, the library's own directory is granted
    /// (as `--dir DIR`).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,
    /// Grant and search a directory for NEEDED libraries, as `wasi-dl run --lib-path`.
    #[arg(long = "lib-path", value_name = "HOST[::GUEST]")]
    lib_paths: Vec<String>,
    /// The same as --lib-path DIR.
    #[arg(short = 'L', value_name = "DIR")]
    lib_dirs: Vec<String>,
}

/// A host directory granted at a guest path, as the flags gave it.
struct Grant {
    host: PathBuf,
    guest: String,
}

/// Splits `HOST::GUEST` (GUEST defaults to HOST, as in `wasi-dl run`).
fn mapping(spec: &str) -> Grant {
    let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
    Grant {
        host: PathBuf::from(host),
        guest: guest.to_string(),
    }
}

/// Reads a module from the host path given on the command line: regular files only, refused
/// before anything blocks or is read in full (a FIFO, `/dev/zero`), at most `max_bytes`.
fn read_module(path: &Path, max_bytes: usize) -> anyhow::Result<Vec<u8>> {
    // The loader's own checks (its error names the file and says why, in dlerror()'s words):
    // the file type on the opened handle (a FIFO's open does not block), the size from its
    // metadata, the wasm header and a first dylink.0 section before the rest is read.
    Ok(wasi_dl::source::read_module_file(path, max_bytes as u64)?)
}

/// Reads the program given with `--against`: a regular file only (a FIFO or a device is
/// refused before it is opened, and again on the opened handle), read once.
fn read_program(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let cannot = || format!("cannot read {}", path.display());
    let not_regular = || anyhow::anyhow!("cannot read {}: not a regular file", path.display());
    if !std::fs::metadata(path).with_context(cannot)?.is_file() {
        return Err(not_regular());
    }
    let mut file = std::fs::File::open(path).with_context(cannot)?;
    if !file.metadata().with_context(cannot)?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).with_context(cannot)?;
    Ok(bytes)
}

/// One library of the NEEDED graph.
struct Node {
    name: String,
    info: SideModuleInfo,
    /// RUNTIME_PATH with `$ORIGIN` expanded against the library's guest path.
    runtime_path: Vec<String>,
}

pub fn inspect(args: InspectArgs) -> anyhow::Result<()> {
    let limits = Limits::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());

    let bytes = read_module(&args.library, limits.max_module_bytes)?;
    let info = dylink::read(&bytes).with_context(|| args.library.display().to_string())?;
    drop(bytes);

    // The grants, as `wasi-dl run` would make them from the same flags.
    let mut grants: Vec<Grant> = args.dirs.iter().map(|s| mapping(s)).collect();
    let search: Vec<Grant> = args
        .lib_paths
        .iter()
        .chain(args.lib_dirs.iter())
        .map(|s| mapping(s))
        .collect();
    let defaulted = grants.is_empty() && search.is_empty();
    if defaulted {
        let dir = match args.library.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_string_lossy().into_owned(),
            _ => ".".to_string(),
        };
        grants.push(mapping(&dir));
    }
    let mut finder = LibraryFinder::new();
    for grant in grants.iter().chain(search.iter()) {
        finder
            .grant(&grant.host, &grant.guest)
            .with_context(|| format!("cannot grant {}", grant.host.display()))?;
    }
    for grant in &search {
        finder.search_path(&grant.guest);
    }

    let root_guest = guest_path_of(&args.library, grants.iter().chain(search.iter()));
    let m = &info.mem;
    writeln!(out, "{}", args.library.display())?;
    match &root_guest {
        Some(path) => writeln!(out, "  guest path: {path}")?,
        None => writeln!(
            out,
            "  guest path: none (outside every --dir and --lib-path: the program could not \
             load it, and $ORIGIN stays unexpanded)"
        )?,
    }
    if defaulted {
        writeln!(
            out,
            "  grants: --dir {} (the library's directory; give --dir/--lib-path as for `wasi-dl run`)",
            grants[0].guest
        )?;
    }
    writeln!(
        out,
        "  memory: {} bytes, align 2^{}; table: {} slots, align 2^{}",
        m.memory_size, m.memory_align_log2, m.table_size, m.table_align_log2
    )?;
    if !info.runtime_paths.is_empty() {
        writeln!(out, "  runtime path: {}", info.runtime_paths.join(":"))?;
    }

    let root_name = args
        .library
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.library.display().to_string());
    let root = Node {
        name: root_name,
        runtime_path: expand_runtime_path(&info.runtime_paths, root_guest.as_deref()),
        info,
    };
    writeln!(
        out,
        "NEEDED (as dlopen would load them, depth first, each library once):"
    )?;
    // The root as the loader would know it (its file), so that a NEEDED entry leading back
    // to it is recognised as the loader would.
    let root_key = root_guest
        .as_deref()
        .and_then(|path| finder.find(path, &[], limits.max_module_bytes).ok())
        .map(|f| f.key);
    let nodes = needed_graph(&mut out, root, root_key, &finder, &limits)?;

    let mut defined: BTreeSet<&str> = BTreeSet::new();
    for node in &nodes[1..] {
        for e in &node.info.exports {
            if matches!(
                e.kind,
                ExportKind::Function { .. } | ExportKind::Data { .. }
            ) {
                defined.insert(&e.name);
            }
        }
    }
    let info = &nodes[0].info;
    writeln!(out, "exports:")?;
    for export in &info.exports {
        let kind = match export.kind {
            ExportKind::Function { .. } => "T",
            ExportKind::Data { .. } => "D",
            _ => continue,
        };
        if !export.name.starts_with("__wasm_") {
            writeln!(out, "  {kind} {}", export.name)?;
            defined.insert(&export.name);
        }
    }
    writeln!(out, "imports:")?;
    let mut wanted = Vec::new();
    for import in &info.imports {
        let (kind, symbol) = match &import.kind {
            ImportKind::Function { .. } => ("U func", import.name.as_str()),
            ImportKind::GotMem(s) => ("U data", s.as_str()),
            ImportKind::GotFunc(s) => ("U addr", s.as_str()),
            _ => continue,
        };
        let weak = if import.weak { " (weak)" } else { "" };
        writeln!(out, "  {kind} {symbol}{weak}")?;
        if !import.weak {
            wanted.push(symbol);
        }
    }

    if let Some(program) = &args.against {
        let bytes = read_program(program)?;
        let exported = program_exports(&bytes).with_context(|| program.display().to_string())?;
        let mut unresolved: Vec<&str> = wanted
            .into_iter()
            .filter(|s| !defined.contains(s) && !exported.contains(*s))
            .collect();
        unresolved.sort_unstable();
        unresolved.dedup();
        if unresolved.is_empty() {
            writeln!(
                out,
                "against {}: every strong import resolves",
                program.display()
            )?;
        } else {
            writeln!(
                out,
                "against {}: unresolved (dlopen with RTLD_NOW would fail):",
                program.display()
            )?;
            for symbol in unresolved {
                writeln!(out, "  {symbol}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Walks the NEEDED graph as the loader maps it (`loader::map_below`): depth first with an
/// explicit stack, a name or a file already seen is not entered again, the root at depth 0.
/// Prints one line per library (so the output grows with the number of libraries, not with
/// their depth), and returns the libraries, the root first.
fn needed_graph(
    out: &mut impl Write,
    root: Node,
    root_key: Option<String>,
    finder: &LibraryFinder,
    limits: &Limits,
) -> anyhow::Result<Vec<Node>> {
    let mut nodes = vec![root];
    // Names and files (the loader's keys) already resolved.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_key: HashMap<String, usize> = root_key.into_iter().map(|k| (k, 0)).collect();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<(usize, usize)> = vec![(0, 0)]; // (node, next NEEDED entry)
    let mut problems = 0usize;
    while let Some(&mut (id, ref mut next)) = stack.last_mut() {
        let Some(name) = nodes[id].info.needed.get(*next).cloned() else {
            stack.pop();
            continue;
        };
        *next += 1;
        let depth = stack.len();
        let needed_by = if id == 0 {
            String::new()
        } else {
            format!(" (needed by {})", nodes[id].name)
        };
        if failed.contains(&name) {
            continue;
        }
        // The loader checks the depth first, even for a library it already has.
        if depth > limits.max_dependency_depth {
            writeln!(
                out,
                "  {name}{needed_by}: not loaded: dependency chain deeper than {} libraries \
                 (the loader's limit, Limits::max_dependency_depth); dlopen would fail",
                limits.max_dependency_depth
            )?;
            problems += 1;
            failed.insert(name);
            continue;
        }
        if by_name.contains_key(&name) {
            continue;
        }
        let fetched = match finder.find(&name, &nodes[id].runtime_path, limits.max_module_bytes) {
            Ok(f) => f,
            Err(e) => {
                let what = match e {
                    DlError::NotFound { .. } | DlError::NotSearched { .. } => "not found",
                    _ => "cannot be loaded",
                };
                writeln!(out, "  {name} => {what}{needed_by}: {e}")?;
                problems += 1;
                failed.insert(name);
                continue;
            }
        };
        if let Some(&known) = by_key.get(&fetched.key) {
            by_name.insert(name, known);
            continue;
        }
        let shown = fetched.path.as_deref().unwrap_or("(no path)");
        let info = match dylink::read(&fetched.bytes) {
            Ok(info) => info,
            Err(e) => {
                writeln!(out, "  {name} => {shown}{needed_by}: {e}")?;
                problems += 1;
                failed.insert(name);
                continue;
            }
        };
        if nodes.len() >= limits.max_libraries {
            writeln!(
                out,
                "  {name} => {shown}{needed_by}: not loaded: more than {} libraries (the \
                 loader's limit, Limits::max_libraries); dlopen would fail",
                limits.max_libraries
            )?;
            problems += 1;
            break;
        }
        writeln!(out, "  {name} => {shown}{needed_by}")?;
        let node = Node {
            runtime_path: expand_runtime_path(&info.runtime_paths, fetched.path.as_deref()),
            name: name.clone(),
            info,
        };
        nodes.push(node);
        let new = nodes.len() - 1;
        by_name.insert(name, new);
        by_key.insert(fetched.key, new);
        stack.push((new, 0));
    }
    if problems > 0 {
        writeln!(
            out,
            "  ({problems} problem{} above: dlopen of this library would fail)",
            if problems == 1 { "" } else { "s" }
        )?;
    }
    Ok(nodes)
}

/// The path under which the program would name `library`: its place inside the longest
/// granted host directory that holds it, under that grant's guest path.
fn guest_path_of<'a>(library: &Path, grants: impl Iterator<Item = &'a Grant>) -> Option<String> {
    let file = std::fs::canonicalize(library).ok()?;
    let mut best: Option<(usize, String)> = None;
    for grant in grants {
        let Ok(host) = std::fs::canonicalize(&grant.host) else {
            continue;
        };
        let Ok(rel) = file.strip_prefix(&host) else {
            continue;
        };
        let depth = host.components().count();
        if best.as_ref().is_some_and(|(d, _)| *d > depth) {
            continue;
        }
        let rel: Vec<String> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let base = grant.guest.trim_end_matches('/');
        let guest = match base {
            "" if grant.guest.starts_with('/') => format!("/{}", rel.join("/")),
            "" | "." => format!("./{}", rel.join("/")),
            b => format!("{b}/{}", rel.join("/")),
        };
        best = Some((depth, guest));
    }
    best.map(|(_, g)| g)
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
