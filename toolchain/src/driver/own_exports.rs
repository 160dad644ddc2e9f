//! Rewriting a linked main program: its [`OWN_SECTION`] (the program's own exports, for
//! `dlsym(RTLD_NEXT)`) and, for a program linked against side modules, its `dylink.0` section.

use anyhow::{Context, Result};
use std::collections::BTreeSet;

/// The custom section in which `wasi-dl cc` lists a program's own exports (one name per
/// line): the functions and data its objects define, as opposed to what it exports on libc's
/// behalf. The loader's `dlsym(RTLD_NEXT)` from a library searches only the latter in the
/// program, as glibc (where libc is a library of its own, after the program) does.
pub const OWN_SECTION: &str = "wasi_dl_own";

/// `bytes` without its `dylink.0` custom section (always the first section, right after the
/// 8-byte header), and the names it imports from `env` (functions) and `GOT.mem` / `GOT.func`.
pub(super) fn without_dylink(bytes: &[u8]) -> Result<(Vec<u8>, BTreeSet<String>)> {
    use wasmparser::{BinaryReader, Parser, Payload, TypeRef};
    let mut imports = BTreeSet::new();
    let mut first_custom = None;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::CustomSection(c) if first_custom.is_none() => {
                first_custom = Some(c.name() == "dylink.0");
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    match (import.module, import.ty) {
                        ("env", TypeRef::Func(_))
                        | ("GOT.mem" | "GOT.func", TypeRef::Global(_)) => {
                            imports.insert(import.name.to_string());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if bytes.get(8) != Some(&0) || first_custom != Some(true) {
        return Ok((bytes.to_vec(), imports));
    }
    let mut reader = BinaryReader::new(&bytes[9..], 9);
    let size = reader.read_var_u32()? as usize;
    // wasmparser reports positions as u64 (modules may exceed 4 GiB on 64-bit hosts).
    let end = usize::try_from(reader.original_position())
        .ok()
        .and_then(|pos| pos.checked_add(size))
        .filter(|&end| end <= bytes.len())
        .context("a dylink.0 section longer than the module")?;
    let mut out = bytes[..8].to_vec();
    out.extend_from_slice(&bytes[end..]);
    Ok((out, imports))
}

/// The program's own exports: its exported functions and globals (data) that `runtime` does
/// not list, less the linker's and the start-up code's plumbing. Sorted.
pub(super) fn own_exports(bytes: &[u8], runtime: &BTreeSet<String>) -> Result<Vec<String>> {
    use wasmparser::{ExternalKind, Parser, Payload};
    let mut own = BTreeSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::ExportSection(reader) = payload? {
            for export in reader {
                let export = export?;
                let plumbing = export.name.starts_with("__wasi_dl")
                    || export.name.starts_with("__wasm_")
                    || matches!(export.name, "_start" | "_initialize" | "__stack_pointer");
                if matches!(export.kind, ExternalKind::Func | ExternalKind::Global)
                    && !plumbing
                    && !export.name.contains('\n')
                    && !runtime.contains(export.name)
                {
                    own.insert(export.name.to_string());
                }
            }
        }
    }
    Ok(own.into_iter().collect())
}

/// Appends a custom section (valid anywhere in a module, so after everything else).
pub(super) fn append_custom_section(module: &mut Vec<u8>, name: &str, payload: &[u8]) {
    use wasm_encoder::{Encode, Section};
    let section = wasm_encoder::CustomSection {
        name: name.into(),
        data: payload.into(),
    };
    module.push(section.id());
    section.encode(module);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module of nothing but an export section (`parse_all` does not validate indices).
    fn exporting(exports: &[(&str, u8)]) -> Vec<u8> {
        let mut body = vec![exports.len() as u8];
        for (name, kind) in exports {
            body.push(name.len() as u8);
            body.extend_from_slice(name.as_bytes());
            body.extend([*kind, 0]);
        }
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        assert!(body.len() < 1 << 14);
        bytes.extend([7, body.len() as u8 | 0x80, (body.len() >> 7) as u8]);
        bytes.extend(body);
        bytes
    }

    #[test]
    fn own_exports_leave_out_the_runtime_and_plumbing() {
        let bytes = exporting(&[
            ("memory", 2),
            ("__indirect_function_table", 1),
            ("__stack_pointer", 3),
            ("_start", 0),
            ("__wasi_dl_alloc", 0),
            ("__wasm_call_ctors", 0),
            ("malloc", 0),
            ("main", 0),
            ("prog_fn", 0),
            ("prog_data", 3),
        ]);
        let runtime: BTreeSet<String> = ["malloc".to_string()].into();
        let own = own_exports(&bytes, &runtime).unwrap();
        assert_eq!(own, ["main", "prog_data", "prog_fn"]);

        let mut module = bytes.clone();
        append_custom_section(&mut module, OWN_SECTION, own.join("\n").as_bytes());
        let mut found = None;
        for payload in wasmparser::Parser::new(0).parse_all(&module) {
            if let wasmparser::Payload::CustomSection(c) = payload.unwrap() {
                found = Some((c.name().to_string(), c.data().to_vec()));
            }
        }
        assert_eq!(
            found,
            Some((
                OWN_SECTION.to_string(),
                b"main\nprog_data\nprog_fn".to_vec()
            ))
        );
        // The module before the section is unchanged.
        assert_eq!(&module[..bytes.len()], &bytes[..]);
    }
}
