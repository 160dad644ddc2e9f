//! Cheap looks at a file before it is read whole: its first bytes (magic, version, a first
//! `dylink.0` section) and how many functions and imports it has.

use wasmparser::{BinaryReader, BinaryReaderError, Parser, Payload};

use super::read::check_header;
use super::{DylinkError, DYLINK_SECTION, OLD_DYLINK_SECTION};

/// How many leading bytes of a file [`check_start`] looks at: the 8-byte header, a section
/// id, two LEB128 lengths and the 8-byte name `dylink.0`, with room to spare.
pub const START_LEN: usize = 32;

/// Checks a file's first bytes, before the rest is read: the wasm magic number and version,
/// and a first section that is the custom section `dylink.0`. `prefix` holds the first
/// [`START_LEN`] bytes of the file, or all of it when `complete` (the file is shorter).
/// Passing says nothing about the rest; [`read`](super::read) checks the whole module.
pub fn check_start(prefix: &[u8], complete: bool) -> Result<(), DylinkError> {
    check_header(prefix)?;
    let mut r = BinaryReader::new(prefix.get(8..).unwrap_or_default(), 8);
    if r.eof() {
        return if complete {
            Err(DylinkError::NoDylinkSection)
        } else {
            Ok(())
        };
    }
    let cut = |e: BinaryReaderError| {
        DylinkError::Malformed(format!(
            "first section header: {} (at byte offset {})",
            e.message(),
            e.offset()
        ))
    };
    let id = r.read_u8().map_err(cut)?;
    if id != 0 {
        return Err(DylinkError::FirstSectionNotDylink(format!(
            "the {} section (id {id})",
            section_name(id)
        )));
    }
    let section_len = r.read_var_u32().map_err(cut)?;
    let name_len = r.read_var_u32().map_err(cut)?;
    if name_len > section_len {
        return Err(DylinkError::Malformed(format!(
            "the first section's name is {name_len} bytes long, but the section only {section_len}"
        )));
    }
    let name_len = usize::try_from(name_len).unwrap_or(usize::MAX);
    if name_len > r.bytes_remaining() && name_len > DYLINK_SECTION.len() {
        // Longer than any name we accept: no need to see it.
        return Err(DylinkError::FirstSectionNotDylink(
            "a custom section".into(),
        ));
    }
    let name = r.read_bytes(name_len).map_err(cut)?;
    match name {
        n if n == DYLINK_SECTION.as_bytes() => Ok(()),
        n if n == OLD_DYLINK_SECTION.as_bytes() => Err(DylinkError::OldDylinkSection),
        n => Err(DylinkError::FirstSectionNotDylink(format!(
            "the custom section {:?}",
            String::from_utf8_lossy(n)
        ))),
    }
}

fn section_name(id: u8) -> &'static str {
    match id {
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data count",
        13 => "tag",
        _ => "unknown",
    }
}

/// What a module declares it has, from its section headers (a few bytes each; the sections
/// are skipped, not parsed): the bounds `Limits::max_module_functions` and
/// `Limits::max_module_imports` are checked on these before anything is compiled or linked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleCounts {
    /// Functions the module defines (its function section's count).
    pub functions: u32,
    /// Imports of every kind (its import section's count).
    pub imports: u32,
}

/// The [`ModuleCounts`] of a module. A count is 0 when its section is missing or the module
/// is malformed before it (compiling reports that).
pub fn module_counts(bytes: &[u8]) -> ModuleCounts {
    let mut counts = ModuleCounts::default();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::ImportSection(reader)) => counts.imports = import_count(reader),
            Ok(Payload::FunctionSection(reader)) => {
                counts.functions = reader.count();
                return counts;
            }
            // Imports and functions come before code and data; nothing later counts.
            Ok(Payload::CodeSectionStart { .. }) | Err(_) => return counts,
            Ok(_) => {}
        }
    }
    counts
}

/// Imports in an import section: a group of the compact encoding counts its items. Walks the
/// section without keeping anything (the section is bounded by the module's size).
fn import_count(reader: wasmparser::ImportSectionReader<'_>) -> u32 {
    let mut total: u32 = 0;
    for group in reader {
        let items = match group {
            Ok(wasmparser::Imports::Single(..)) => 1,
            Ok(wasmparser::Imports::Compact1 { items, .. }) => items.count(),
            Ok(wasmparser::Imports::Compact2 { names, .. }) => names.count(),
            // Malformed: compiling reports it.
            Err(_) => break,
        };
        total = total.saturating_add(items);
    }
    total
}

/// How many functions a module defines, from its function section's header: the compile
/// cost bound of `Limits::max_module_functions` (see [`module_counts`]).
pub fn defined_function_count(bytes: &[u8]) -> u32 {
    module_counts(bytes).functions
}
