//! Where a side module's active segments write: only inside the block its `dylink.0` MEM_INFO
//! asks for. Data segments in the program's memory must lie in `memory_size` bytes from
//! `__memory_base`, element segments in the program's table in `table_size` slots from
//! `__table_base`. wasm-ld never emits anything else; a module that lies (a 4-byte block and
//! 4 KiB of data, or a segment at a fixed address) would otherwise overwrite the program's heap
//! or another library's data or function pointers while instantiating, with no error at all.
//! Segments of a memory or table the module defines itself are its own business.

use wasmparser::{DataKind, ElementItems, ElementKind, Import, TypeRef};

use super::{DylinkError, MemInfo};
use crate::module::image::relative_offset;

/// Which of a module's memories, tables and globals are the program's, as its imports say.
#[derive(Debug, Default)]
pub(super) struct Placement {
    memories: u32,
    tables: u32,
    globals: u32,
    /// Memory indices of `env.memory` (a module may import it more than once).
    memory: Vec<u32>,
    /// Table indices of `env.__indirect_function_table`.
    table: Vec<u32>,
    /// Global indices of `env.__memory_base` and `env.__table_base`.
    memory_base: Option<u32>,
    table_base: Option<u32>,
    data_segments: u32,
    element_segments: u32,
}

impl Placement {
    /// Notes one import (in module order).
    pub(super) fn import(&mut self, import: &Import<'_>) {
        let env = import.module == "env";
        match import.ty {
            TypeRef::Memory(_) => {
                if env && import.name == "memory" {
                    self.memory.push(self.memories);
                }
                self.memories += 1;
            }
            TypeRef::Table(_) => {
                if env && import.name == "__indirect_function_table" {
                    self.table.push(self.tables);
                }
                self.tables += 1;
            }
            TypeRef::Global(_) => {
                match (env, import.name) {
                    (true, "__memory_base") => self.memory_base = Some(self.globals),
                    (true, "__table_base") => self.table_base = Some(self.globals),
                    _ => {}
                }
                self.globals += 1;
            }
            _ => {}
        }
    }

    /// Checks one data segment (in module order).
    pub(super) fn data(
        &mut self,
        data: &wasmparser::Data<'_>,
        mem: &MemInfo,
    ) -> Result<(), DylinkError> {
        let index = self.data_segments;
        self.data_segments += 1;
        let DataKind::Active {
            memory_index,
            offset_expr,
        } = &data.kind
        else {
            return Ok(());
        };
        if !self.memory.contains(memory_index) {
            return Ok(());
        }
        let len = data.data.len() as u64;
        let Some(offset) = relative_offset(offset_expr, self.memory_base) else {
            return Err(DylinkError::Malformed(format!(
                "data segment {index} ({len} bytes) is not placed at __memory_base: a side \
                 module may only write its own data block (at byte offset {})",
                data.range.start
            )));
        };
        if u64::from(offset) + len > u64::from(mem.memory_size) {
            return Err(DylinkError::Malformed(format!(
                "data segment {index} ({len} bytes at __memory_base + {offset}) runs past the \
                 {}-byte data block its dylink.0 MEM_INFO asks for (at byte offset {})",
                mem.memory_size, data.range.start
            )));
        }
        Ok(())
    }

    /// Checks one element segment (in module order).
    pub(super) fn element(
        &mut self,
        element: &wasmparser::Element<'_>,
        mem: &MemInfo,
    ) -> Result<(), DylinkError> {
        let index = self.element_segments;
        self.element_segments += 1;
        let ElementKind::Active {
            table_index,
            offset_expr,
        } = &element.kind
        else {
            return Ok(());
        };
        if !self.table.contains(&table_index.unwrap_or(0)) {
            return Ok(());
        }
        let count = match &element.items {
            ElementItems::Functions(items) => items.count(),
            ElementItems::Expressions(_, items) => items.count(),
        };
        let Some(offset) = relative_offset(offset_expr, self.table_base) else {
            return Err(DylinkError::Malformed(format!(
                "element segment {index} ({count} entries) is not placed at __table_base: a side \
                 module may only fill its own table slots (at byte offset {})",
                element.range.start
            )));
        };
        if u64::from(offset) + u64::from(count) > u64::from(mem.table_size) {
            return Err(DylinkError::Malformed(format!(
                "element segment {index} ({count} entries at __table_base + {offset}) runs past \
                 the {} table slots its dylink.0 MEM_INFO asks for (at byte offset {})",
                mem.table_size, element.range.start
            )));
        }
        Ok(())
    }
}
