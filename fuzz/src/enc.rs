//! Encoding side modules: LEB128, names, a `dylink.0` section builder.

/// Unsigned LEB128.
pub fn leb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A wasm name: length, then the bytes (which need not be UTF-8 here).
pub fn name(s: &[u8], out: &mut Vec<u8>) {
    leb(s.len() as u64, out);
    out.extend_from_slice(s);
}

pub const MEM_INFO: u8 = 1;
pub const NEEDED: u8 = 2;
pub const EXPORT_INFO: u8 = 3;
pub const IMPORT_INFO: u8 = 4;
pub const RUNTIME_PATH: u8 = 5;

/// The payload of a `dylink.0` section, built subsection by subsection.
#[derive(Default, Clone, Debug)]
pub struct Dylink(pub Vec<u8>);

impl Dylink {
    pub fn new() -> Self {
        Self::default()
    }
    /// A subsection with an arbitrary payload.
    pub fn sub(mut self, id: u8, payload: &[u8]) -> Self {
        self.0.push(id);
        leb(payload.len() as u64, &mut self.0);
        self.0.extend_from_slice(payload);
        self
    }
    /// Raw bytes appended as they are (for malformed sections).
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }
    pub fn mem_info(self, mem: u32, mem_align: u32, table: u32, table_align: u32) -> Self {
        let mut p = Vec::new();
        for v in [mem, mem_align, table, table_align] {
            leb(v.into(), &mut p);
        }
        self.sub(MEM_INFO, &p)
    }
    pub fn strings(self, id: u8, names: &[&str]) -> Self {
        let mut p = Vec::new();
        leb(names.len() as u64, &mut p);
        for n in names {
            name(n.as_bytes(), &mut p);
        }
        self.sub(id, &p)
    }
    pub fn needed(self, names: &[&str]) -> Self {
        self.strings(NEEDED, names)
    }
    pub fn runtime_path(self, paths: &[&str]) -> Self {
        self.strings(RUNTIME_PATH, paths)
    }
    pub fn import_info(self, entries: &[(&str, &str, u32)]) -> Self {
        let mut p = Vec::new();
        leb(entries.len() as u64, &mut p);
        for (module, field, flags) in entries {
            name(module.as_bytes(), &mut p);
            name(field.as_bytes(), &mut p);
            leb((*flags).into(), &mut p);
        }
        self.sub(IMPORT_INFO, &p)
    }
    pub fn export_info(self, entries: &[(&str, u32)]) -> Self {
        let mut p = Vec::new();
        leb(entries.len() as u64, &mut p);
        for (n, flags) in entries {
            name(n.as_bytes(), &mut p);
            leb((*flags).into(), &mut p);
        }
        self.sub(EXPORT_INFO, &p)
    }
}

/// A whole custom section: id 0, size, name, data.
pub fn custom_section(section_name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    name(section_name.as_bytes(), &mut body);
    body.extend_from_slice(data);
    let mut out = vec![0u8];
    leb(body.len() as u64, &mut out);
    out.extend_from_slice(&body);
    out
}

/// `module` (a binary module) with `section` inserted right after the 8-byte header.
pub fn with_first_section(module: &[u8], section: &[u8]) -> Vec<u8> {
    [&module[..8], section, &module[8..]].concat()
}

/// `module` with `section` appended at its end.
pub fn with_last_section(module: &[u8], section: &[u8]) -> Vec<u8> {
    [module, section].concat()
}

/// A side module: the module written in `wat`, with `dylink` as its first section.
pub fn side_module(dylink: &Dylink, wat: &str) -> Vec<u8> {
    let module = wat::parse_str(wat).expect("the harness's WAT is valid");
    with_first_section(&module, &custom_section("dylink.0", &dylink.0))
}

/// The imports every side module starts with (memory, table, bases).
pub const PROLOGUE: &str = r#"
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table 0 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))"#;
