//! Test builders for side modules: a `dylink.0` payload, custom sections, a module with its
//! `dylink.0` first (the reader's tests and the compile cache's use them).

use wasm_encoder::Encode;

use super::{
    DYLINK_SECTION, SUB_EXPORT_INFO, SUB_IMPORT_INFO, SUB_MEM_INFO, SUB_NEEDED, SUB_RUNTIME_PATH,
};

/// Builds the payload of a `dylink.0` section.
#[derive(Default)]
pub(crate) struct Dylink(pub(crate) Vec<u8>);

impl Dylink {
    pub(crate) fn sub(mut self, id: u8, payload: &[u8]) -> Self {
        self.0.push(id);
        u32::try_from(payload.len()).unwrap().encode(&mut self.0);
        self.0.extend_from_slice(payload);
        self
    }
    pub(crate) fn mem_info(self, mem: u32, mem_align: u32, table: u32, table_align: u32) -> Self {
        let mut p = Vec::new();
        for v in [mem, mem_align, table, table_align] {
            v.encode(&mut p);
        }
        self.sub(SUB_MEM_INFO, &p)
    }
    pub(crate) fn strings(self, id: u8, names: &[&str]) -> Self {
        let mut p = Vec::new();
        names.len().encode(&mut p);
        for n in names {
            n.encode(&mut p);
        }
        self.sub(id, &p)
    }
    pub(crate) fn needed(self, names: &[&str]) -> Self {
        self.strings(SUB_NEEDED, names)
    }
    pub(crate) fn runtime_path(self, paths: &[&str]) -> Self {
        self.strings(SUB_RUNTIME_PATH, paths)
    }
    pub(crate) fn export_info(self, entries: &[(&str, u32)]) -> Self {
        let mut p = Vec::new();
        entries.len().encode(&mut p);
        for (name, flags) in entries {
            name.encode(&mut p);
            flags.encode(&mut p);
        }
        self.sub(SUB_EXPORT_INFO, &p)
    }
    pub(crate) fn import_info(self, entries: &[(&str, &str, u32)]) -> Self {
        let mut p = Vec::new();
        entries.len().encode(&mut p);
        for (module, field, flags) in entries {
            module.encode(&mut p);
            field.encode(&mut p);
            flags.encode(&mut p);
        }
        self.sub(SUB_IMPORT_INFO, &p)
    }
}

/// A whole custom section (id, size, name, data).
pub(crate) fn custom(name: &str, data: &[u8]) -> Vec<u8> {
    let mut m = wasm_encoder::Module::new();
    m.section(&wasm_encoder::CustomSection {
        name: name.into(),
        data: data.into(),
    });
    m.finish()[8..].to_vec()
}

/// `module` with `first` inserted right after the header.
pub(crate) fn with_first_section(module: &[u8], first: &[u8]) -> Vec<u8> {
    [&module[..8], first, &module[8..]].concat()
}

/// A side module: `wat` with a `dylink.0` section holding `d` first.
pub(crate) fn side(d: Dylink, wat: &str) -> Vec<u8> {
    with_first_section(&wat::parse_str(wat).unwrap(), &custom(DYLINK_SECTION, &d.0))
}
