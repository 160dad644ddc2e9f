//! The `dylink.0` subsections (MEM_INFO, NEEDED, EXPORT_INFO, IMPORT_INFO, RUNTIME_PATH),
//! each read within its own bounds.

use std::collections::HashMap;

use wasmparser::{BinaryReader, BinaryReaderError};

use super::read::cap;
use super::{
    DylinkError, SideModuleInfo, SymbolFlags, MAX_ALIGN_LOG2, MAX_RUNTIME_PATH, SUB_EXPORT_INFO,
    SUB_IMPORT_INFO, SUB_MEM_INFO, SUB_NEEDED, SUB_RUNTIME_PATH,
};

pub(super) fn subsection_name(id: u8) -> &'static str {
    match id {
        SUB_MEM_INFO => "MEM_INFO",
        SUB_NEEDED => "NEEDED",
        SUB_EXPORT_INFO => "EXPORT_INFO",
        SUB_IMPORT_INFO => "IMPORT_INFO",
        SUB_RUNTIME_PATH => "RUNTIME_PATH",
        _ => "unknown",
    }
}

/// A subsection being read: errors name it.
struct Sub<'a> {
    name: &'static str,
    r: BinaryReader<'a>,
}

impl<'a> Sub<'a> {
    fn err(&self, e: BinaryReaderError) -> DylinkError {
        DylinkError::Malformed(format!(
            "dylink.0 {} subsection: {} (at byte offset {})",
            self.name,
            e.message(),
            e.offset()
        ))
    }

    fn u32(&mut self) -> Result<u32, DylinkError> {
        self.r.read_var_u32().map_err(|e| self.err(e))
    }

    fn string(&mut self) -> Result<String, DylinkError> {
        match self.r.read_unlimited_string() {
            Ok(s) => Ok(s.to_owned()),
            Err(e) => Err(self.err(e)),
        }
    }

    fn flags(&mut self) -> Result<SymbolFlags, DylinkError> {
        self.u32().map(SymbolFlags)
    }

    /// A log2 alignment, at most [`MAX_ALIGN_LOG2`].
    fn align_log2(&mut self, what: &str) -> Result<u32, DylinkError> {
        let at = self.r.original_position();
        let v = self.u32()?;
        if v > MAX_ALIGN_LOG2 {
            return Err(DylinkError::Malformed(format!(
                "dylink.0 MEM_INFO subsection: {what} alignment 2^{v} is too large (log2 must be \
                 at most {MAX_ALIGN_LOG2}) (at byte offset {at})"
            )));
        }
        Ok(v)
    }

    /// Reads a `count` and then `count` entries with `entry`.
    fn list<T>(
        &mut self,
        mut entry: impl FnMut(&mut Self) -> Result<T, DylinkError>,
    ) -> Result<Vec<T>, DylinkError> {
        let count = self.u32()?;
        // Every entry takes at least one byte, so this never reserves more than the input holds.
        let mut out = Vec::with_capacity(cap(count).min(self.r.bytes_remaining()));
        for _ in 0..count {
            out.push(entry(self)?);
        }
        Ok(out)
    }
}

pub(super) fn parse_dylink0(
    data: &[u8],
    offset: u64,
    info: &mut SideModuleInfo,
) -> Result<(), DylinkError> {
    let mut r = BinaryReader::new(data, offset);
    let mut saw_mem_info = false;
    while !r.eof() {
        let start = r.original_position();
        let header = |e: BinaryReaderError| {
            DylinkError::Malformed(format!(
                "dylink.0 subsection header: {} (at byte offset {})",
                e.message(),
                e.offset()
            ))
        };
        let id = r.read_u8().map_err(header)?;
        let name = subsection_name(id);
        let len = r.read_var_u32().map_err(header)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > r.bytes_remaining() {
            return Err(DylinkError::Malformed(format!(
                "dylink.0 subsection {id} ({name}) at byte offset {start} is {len} bytes long, \
                 but only {} bytes are left in the section",
                r.bytes_remaining()
            )));
        }
        let body_offset = r.original_position();
        let body = r.read_bytes(len).map_err(header)?;
        let mut sub = Sub {
            name,
            r: BinaryReader::new(body, body_offset),
        };

        match id {
            SUB_MEM_INFO => {
                if saw_mem_info {
                    return Err(DylinkError::Malformed(format!(
                        "dylink.0 has a second MEM_INFO subsection (at byte offset {start})"
                    )));
                }
                saw_mem_info = true;
                info.mem.memory_size = sub.u32()?;
                info.mem.memory_align_log2 = sub.align_log2("memory")?;
                info.mem.table_size = sub.u32()?;
                info.mem.table_align_log2 = sub.align_log2("table")?;
            }
            SUB_NEEDED => info.needed.extend(sub.list(Sub::string)?),
            SUB_RUNTIME_PATH => {
                info.runtime_paths.extend(sub.list(Sub::string)?);
                if info.runtime_paths.len() > MAX_RUNTIME_PATH {
                    return Err(DylinkError::TooManyRuntimePaths {
                        count: info.runtime_paths.len(),
                        max: MAX_RUNTIME_PATH,
                    });
                }
            }
            SUB_EXPORT_INFO => {
                for (name, flags) in sub.list(|s| Ok((s.string()?, s.flags()?)))? {
                    info.export_flags.insert(name, flags);
                }
            }
            SUB_IMPORT_INFO => {
                for (module, field, flags) in
                    sub.list(|s| Ok((s.string()?, s.string()?, s.flags()?)))?
                {
                    info.import_flags.insert((module, field), flags);
                }
            }
            // The spec lets a reader skip subsections it does not know.
            _ => continue,
        }
        if !sub.r.eof() {
            return Err(DylinkError::Malformed(format!(
                "dylink.0 {name} subsection: {} unexpected bytes after its contents (at byte \
                 offset {})",
                sub.r.bytes_remaining(),
                sub.r.original_position()
            )));
        }
    }
    Ok(())
}

/// IMPORT_INFO entries of a `dylink.0` section already checked by [`parse_dylink0`], borrowed
/// from its bytes (a later entry for the same import wins, as in `import_flags`).
pub(super) fn import_info_flags(data: &[u8], offset: u64) -> HashMap<(&str, &str), SymbolFlags> {
    let mut flags = HashMap::new();
    let mut r = BinaryReader::new(data, offset);
    while !r.eof() {
        let (Ok(id), Ok(len)) = (r.read_u8(), r.read_var_u32()) else {
            break;
        };
        let Ok(body) = r.read_bytes(len as usize) else {
            break;
        };
        if id != SUB_IMPORT_INFO {
            continue;
        }
        let mut sub = BinaryReader::new(body, 0);
        let count = sub.read_var_u32().unwrap_or(0);
        for _ in 0..count {
            let entry = (|| {
                let module = sub.read_unlimited_string()?;
                let field = sub.read_unlimited_string()?;
                Ok::<_, BinaryReaderError>((module, field, sub.read_var_u32()?))
            })();
            let Ok((module, field, bits)) = entry else {
                break;
            };
            flags.insert((module, field), SymbolFlags(bits));
        }
    }
    flags
}

/// The `dylink.0` payload `data` with MEM_INFO's table size changed from `from` to `to`, every
/// other byte kept; `None` unless it has exactly one MEM_INFO, whose table size is `from`.
/// (A module rewritten to fill more table slots declares them, so it is read, checked and
/// placed as any other side module.)
pub(crate) fn with_table_size(data: &[u8], from: u32, to: u32) -> Option<Vec<u8>> {
    use wasm_encoder::Encode;

    let mut out = Vec::with_capacity(data.len() + 8);
    let mut r = BinaryReader::new(data, 0);
    let mut rewritten = false;
    while !r.eof() {
        let start = r.current_position();
        let id = r.read_u8().ok()?;
        let len = r.read_var_u32().ok()?;
        let body = r.read_bytes(usize::try_from(len).ok()?).ok()?;
        if id != SUB_MEM_INFO {
            out.extend_from_slice(data.get(start..r.current_position())?);
            continue;
        }
        if rewritten {
            return None;
        }
        let mut sub = BinaryReader::new(body, 0);
        let mut fields = [0u32; 4];
        for field in &mut fields {
            *field = sub.read_var_u32().ok()?;
        }
        if !sub.eof() || fields[2] != from {
            return None;
        }
        fields[2] = to;
        let mut payload = Vec::new();
        for field in fields {
            field.encode(&mut payload);
        }
        out.push(id);
        payload.len().encode(&mut out);
        out.extend_from_slice(&payload);
        rewritten = true;
    }
    rewritten.then_some(out)
}
