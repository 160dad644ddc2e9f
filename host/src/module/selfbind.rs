//! Compile-time binding of a side module's `GOT.func` entries for its own functions.
//!
//! wasm-ld makes a side module import `GOT.func.X` even for a function X it defines and
//! exports: the loader is to give X a table slot and store the slot in the GOT global. For a
//! library whose functions are all address-taken, that is hundreds of globals created, imports
//! passed, table stores and a table growth at every load. Nearly always the slot is the
//! library's own (X is only interposed when an earlier module in the lookup order defines it),
//! so this pass does that binding once, before the module is compiled (the compiled module is
//! then cached): every such import becomes a defined mutable global initialised to
//! `__table_base + N + k`, and one added active element segment puts the K functions at
//! `__table_base + N ..` (N: the module's own table slots from MEM_INFO, which becomes N + K
//! in the rewritten module's `dylink.0`, so the loader reserves them and the segment placement
//! check holds). One added function, exported as [`SETTER_EXPORT`] (a plumbing name), sets
//! rewritten entry `i` (`(i32 i, i32 slot)`), so that the loader can still point an entry at
//! an interposing definition. (Not one export per global: wasmtime keeps every export name
//! of a module in its metadata, and 421 more names cost a cached load more than the rewrite
//! saves.)
//!
//! For the same reason the rewritten module drops the exports the loader no longer asks the
//! instance for: the functions that now have an own slot (the slot is the function, see
//! `lookup::scope::Symbol::Own`) and the data symbols set by a plain `i32.const` (their
//! address is the block's base plus that offset). The link metadata keeps the file's export
//! list, so `dlsym` and linking see every name as before; deserializing a cached module no
//! longer builds wasmtime's map of hundreds of names.
//!
//! The rewrite is an optimisation with a safe fallback: anything unexpected (a `GOT.func`
//! import of another type, no or another table, a function already in the module's own
//! element segments, counts beyond [`MAX_SELF_BOUND`], an engine without extended constant
//! expressions, a body the encoder cannot rewrite) leaves the module as it is.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

use wasm_encoder::reencode::{utils, Error, Reencode};
use wasm_encoder::{ConstExpr, ElementSection, Elements, ExportKind, GlobalSection, SectionId};
use wasmparser::{ElementItems, ExternalKind, Operator, Parser, Payload, RefType, TypeRef};

use super::libmeta::is_plumbing;

/// Export name of the added setter function (`__wasm_` names are plumbing, never symbols).
pub(crate) const SETTER_EXPORT: &str = "__wasm_dl_got_set";

/// Most `GOT.func` entries one module may have rewritten (more: today's load-time path). The
/// setter nests one block per entry.
pub(crate) const MAX_SELF_BOUND: usize = 4096;

/// A module whose own `GOT.func` entries were bound at compile time.
#[derive(Debug)]
pub(crate) struct SelfBound {
    /// The rewritten module.
    pub(crate) bytes: Vec<u8>,
    /// The rewritten module's MEM_INFO table size: the module's own slots and those the added
    /// element segment fills after them (N + K).
    pub(crate) table_size: u32,
    /// (function index, slot offset from `__table_base`), by function index.
    pub(crate) own_slots: Vec<(u32, u32)>,
    /// (symbol name, slot offset) of each rewritten entry, by the setter's entry index.
    pub(crate) entries: Vec<(String, u32)>,
}

/// What the scan found: the rewritten imports and where their functions go.
struct Plan<'a> {
    /// Per global import: the position of its replacement among the added globals, if rewritten.
    replaced: Vec<Option<u32>>,
    /// Rewritten entries, in import order: (name, slot offset).
    entries: Vec<(&'a str, u32)>,
    /// The functions of the added segment, in slot order.
    funcs: Vec<u32>,
    table_base: u32,
    defined_globals: u32,
    own_table: u32,
    /// Types, and functions (imported and defined): the setter's type and function index.
    types: u32,
    functions: u32,
    /// Positions of the exports the rewritten module drops (see [`self_bind`]).
    dropped: HashSet<u32>,
}

/// Binds `bytes`' own `GOT.func` entries (see the module docs); `None`: nothing to rewrite or
/// anything unexpected. `own_table` is MEM_INFO's table size; `extended_const`: whether the
/// engine accepts `global.get; i32.const; i32.add` initialisers.
pub(crate) fn self_bind(bytes: &[u8], own_table: u32, extended_const: bool) -> Option<SelfBound> {
    if !extended_const {
        return None;
    }
    let plan = scan(bytes, own_table)?;
    let added_slots = u32::try_from(plan.funcs.len()).ok()?;
    let table_size = own_table.checked_add(added_slots)?;
    let mut rewriter = Rewriter::new(&plan, table_size);
    let mut module = wasm_encoder::Module::new();
    rewriter
        .parse_core_module(&mut module, Parser::new(0), bytes)
        .ok()?;
    if !(rewriter.globals_done
        && rewriter.exports_done
        && rewriter.elements_done
        && rewriter.types_done
        && rewriter.functions_done
        && rewriter.code_done
        && rewriter.dylink_done)
    {
        return None;
    }
    let mut own_slots: Vec<(u32, u32)> = (own_table..)
        .zip(&plan.funcs)
        .map(|(slot, &func)| (func, slot))
        .collect();
    own_slots.sort_unstable();
    Some(SelfBound {
        bytes: module.finish(),
        table_size,
        own_slots,
        entries: plan
            .entries
            .iter()
            .map(|&(name, slot)| (name.to_string(), slot))
            .collect(),
    })
}

fn scan(bytes: &[u8], own_table: u32) -> Option<Plan<'_>> {
    let mut func_imports = 0u32;
    let mut global_imports = 0u32;
    let mut got: Vec<(u32, &str)> = Vec::new();
    let mut table_base = None;
    let (mut tables, mut funcref_table) = (0u32, false);
    let mut defined_globals = 0u32;
    let (mut types, mut defined_functions) = (0u32, 0u32);
    let mut exported: HashMap<&str, u32> = HashMap::new();
    let mut export_names: HashSet<&str> = HashSet::new();
    // Per defined global: an immutable i32 set by a plain `i32.const` (a data symbol whose
    // address the metadata gives).
    let mut plain_data: Vec<bool> = Vec::new();
    // Exports the loader answers from the metadata when they are rewritten: data symbols
    // (position), and defined functions (position, function index) if they get an own slot.
    let mut data_exports: Vec<u32> = Vec::new();
    let mut function_exports: Vec<(u32, u32)> = Vec::new();
    let mut in_elements: HashSet<u32> = HashSet::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.ok()? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.ok()?;
                    match (import.module, import.name, import.ty) {
                        (_, _, TypeRef::Func(_) | TypeRef::FuncExact(_)) => func_imports += 1,
                        ("env", "__table_base", TypeRef::Global(g)) => {
                            if g.mutable || g.content_type != wasmparser::ValType::I32 {
                                return None;
                            }
                            table_base = Some(global_imports);
                            global_imports += 1;
                        }
                        ("GOT.func", name, TypeRef::Global(g)) => {
                            if !g.mutable || g.shared || g.content_type != wasmparser::ValType::I32
                            {
                                return None;
                            }
                            got.push((global_imports, name));
                            global_imports += 1;
                        }
                        ("GOT.func", ..) => return None,
                        (_, _, TypeRef::Global(_)) => global_imports += 1,
                        (module, name, TypeRef::Table(t)) => {
                            tables += 1;
                            funcref_table = (module, name) == ("env", "__indirect_function_table")
                                && t.element_type == RefType::FUNCREF
                                && !t.table64;
                        }
                        _ => {}
                    }
                }
            }
            Payload::TableSection(reader) => tables += reader.count(),
            Payload::TypeSection(reader) => {
                for group in reader {
                    let count = u32::try_from(group.ok()?.types().len()).ok()?;
                    types = types.checked_add(count)?;
                }
            }
            Payload::FunctionSection(reader) => defined_functions = reader.count(),
            Payload::GlobalSection(reader) => {
                defined_globals = reader.count();
                for global in reader {
                    let global = global.ok()?;
                    let ty = global.ty;
                    let plain = !ty.mutable
                        && !ty.shared
                        && ty.content_type == wasmparser::ValType::I32
                        && super::dylink::const_i32(&global.init_expr).is_some();
                    plain_data.push(plain);
                }
            }
            Payload::ExportSection(reader) => {
                for (at, export) in (0u32..).zip(reader) {
                    let export = export.ok()?;
                    if !export_names.insert(export.name) || export.name == SETTER_EXPORT {
                        return None;
                    }
                    if export.kind == ExternalKind::Func && export.index >= func_imports {
                        exported.insert(export.name, export.index);
                    }
                    if is_plumbing(export.name) {
                        continue;
                    }
                    match export.kind {
                        ExternalKind::Func if export.index >= func_imports => {
                            function_exports.push((at, export.index));
                        }
                        ExternalKind::Global => {
                            let defined = export.index.checked_sub(global_imports);
                            if defined.and_then(|i| plain_data.get(i as usize)) == Some(&true) {
                                data_exports.push(at);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Payload::ElementSection(reader) => {
                for element in reader {
                    match element.ok()?.items {
                        ElementItems::Functions(items) => {
                            for func in items {
                                in_elements.insert(func.ok()?);
                            }
                        }
                        ElementItems::Expressions(_, items) => {
                            for expr in items {
                                let mut ops = expr.ok()?.get_operators_reader();
                                while !ops.eof() {
                                    if let Operator::RefFunc { function_index } = ops.read().ok()? {
                                        in_elements.insert(function_index);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if tables != 1 || !funcref_table {
        return None;
    }
    let table_base = table_base?;
    let mut replaced = vec![None; global_imports as usize];
    let mut entries = Vec::new();
    let mut funcs = Vec::new();
    let mut slot_of: HashMap<u32, u32> = HashMap::new();
    for (global, name) in got {
        // A name the loader never binds keeps today's path (and its error).
        let Some(&func) = exported.get(name).filter(|_| !is_plumbing(name)) else {
            continue;
        };
        // Already in the module's own slots: that slot is the function's address.
        if in_elements.contains(&func) || entries.len() >= MAX_SELF_BOUND {
            continue;
        }
        let slot = match slot_of.get(&func) {
            Some(&slot) => slot,
            None => {
                let slot = own_table.checked_add(u32::try_from(funcs.len()).ok()?)?;
                funcs.push(func);
                slot_of.insert(func, slot);
                slot
            }
        };
        *replaced.get_mut(global as usize)? = Some(u32::try_from(entries.len()).ok()?);
        entries.push((name, slot));
    }
    // The initialisers add an i32 constant: every slot offset must be one.
    let end = own_table.checked_add(u32::try_from(funcs.len()).ok()?)?;
    if entries.is_empty() || i32::try_from(end).is_err() {
        return None;
    }
    let dropped = function_exports
        .iter()
        .filter(|(_, func)| slot_of.contains_key(func))
        .map(|&(at, _)| at)
        .chain(data_exports)
        .collect();
    Some(Plan {
        replaced,
        entries,
        funcs,
        table_base,
        defined_globals,
        own_table,
        types,
        functions: func_imports.checked_add(defined_functions)?,
        dropped,
    })
}

/// Re-encodes the module with the plan applied; global indices are renumbered (imports
/// removed, their replacements appended after the module's own globals).
struct Rewriter<'p, 'a> {
    plan: &'p Plan<'a>,
    /// New index of each global import.
    import_index: Vec<u32>,
    removed: u32,
    /// MEM_INFO's table size in the rewritten `dylink.0`.
    table_size: u32,
    dylink_seen: bool,
    dylink_done: bool,
    globals_done: bool,
    exports_done: bool,
    elements_done: bool,
    types_done: bool,
    functions_done: bool,
    code_done: bool,
}

impl<'p, 'a> Rewriter<'p, 'a> {
    fn new(plan: &'p Plan<'a>, table_size: u32) -> Self {
        let removed = plan.entries.len() as u32;
        let kept_imports = plan.replaced.len() as u32 - removed;
        let mut next = 0u32;
        let import_index = plan
            .replaced
            .iter()
            .map(|r| match r {
                Some(at) => kept_imports + plan.defined_globals + at,
                None => {
                    next += 1;
                    next - 1
                }
            })
            .collect();
        Rewriter {
            plan,
            import_index,
            removed,
            table_size,
            dylink_seen: false,
            dylink_done: false,
            globals_done: false,
            exports_done: false,
            elements_done: false,
            types_done: false,
            functions_done: false,
            code_done: false,
        }
    }

    fn new_index(&self, global: u32) -> u32 {
        match self.import_index.get(global as usize) {
            Some(&index) => index,
            // A defined global (validation rejects an index past them).
            None => global.saturating_sub(self.removed),
        }
    }

    /// `__table_base + offset`.
    fn at_table_base(&self, offset: u32) -> ConstExpr {
        ConstExpr::global_get(self.new_index(self.plan.table_base))
            .with_i32_const(offset as i32)
            .with_i32_add()
    }

    fn add_globals(&mut self, globals: &mut GlobalSection) {
        let ty = wasm_encoder::GlobalType {
            val_type: wasm_encoder::ValType::I32,
            mutable: true,
            shared: false,
        };
        for &(_, slot) in &self.plan.entries {
            globals.global(ty, &self.at_table_base(slot));
        }
        self.globals_done = true;
    }

    fn add_exports(&mut self, exports: &mut wasm_encoder::ExportSection) {
        exports.export(SETTER_EXPORT, ExportKind::Func, self.plan.functions);
        self.exports_done = true;
    }

    /// `(i32 entry, i32 slot)`: sets the global of rewritten entry `entry` (nothing for an
    /// entry past the last); a `br_table` into one block per entry.
    fn setter(&self) -> wasm_encoder::Function {
        use wasm_encoder::{BlockType, Instruction};
        let first = self.plan.replaced.len() as u32 - self.removed + self.plan.defined_globals;
        let count = self.removed;
        let mut body = wasm_encoder::Function::new([]);
        for _ in 0..=count {
            body.instruction(&Instruction::Block(BlockType::Empty));
        }
        body.instruction(&Instruction::LocalGet(0));
        let targets: Vec<u32> = (0..count).collect();
        body.instruction(&Instruction::BrTable(targets.into(), count));
        for global in first..first + count {
            body.instruction(&Instruction::End);
            body.instruction(&Instruction::LocalGet(1));
            body.instruction(&Instruction::GlobalSet(global));
            body.instruction(&Instruction::Return);
        }
        body.instruction(&Instruction::End);
        body.instruction(&Instruction::End);
        body
    }

    fn add_elements(&mut self, elements: &mut ElementSection) {
        let offset = self.at_table_base(self.plan.own_table);
        elements.active(
            None,
            &offset,
            Elements::Functions(self.plan.funcs.as_slice().into()),
        );
        self.elements_done = true;
    }
}

/// Position of a section in a module (custom sections excepted).
fn rank(id: SectionId) -> u8 {
    match id {
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
        _ => 0,
    }
}

impl Reencode for Rewriter<'_, '_> {
    type Error = Infallible;

    fn global_index(&mut self, global: u32) -> Result<u32, Error<Infallible>> {
        Ok(self.new_index(global))
    }

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_type_section(self, types, section)?;
        let i32 = wasm_encoder::ValType::I32;
        types.ty().function([i32, i32], []);
        self.types_done = true;
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_function_section(self, functions, section)?;
        functions.function(self.plan.types);
        self.functions_done = true;
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_code_section(self, code, section)?;
        code.function(&self.setter());
        self.code_done = true;
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        let mut global = 0usize;
        for import in section.into_imports() {
            let import = import?;
            if let TypeRef::Global(_) = import.ty {
                global += 1;
                if matches!(self.plan.replaced.get(global - 1), Some(Some(_))) {
                    continue;
                }
            }
            let ty = self.entity_type(import.ty)?;
            imports.import(import.module, import.name, ty);
        }
        Ok(())
    }

    fn parse_global_section(
        &mut self,
        globals: &mut GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_global_section(self, globals, section)?;
        self.add_globals(globals);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut wasm_encoder::ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        for (at, export) in (0u32..).zip(section) {
            if !self.plan.dropped.contains(&at) {
                self.parse_export(exports, export?)?;
            }
        }
        self.add_exports(exports);
        Ok(())
    }

    fn parse_element_section(
        &mut self,
        elements: &mut ElementSection,
        section: wasmparser::ElementSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        utils::parse_element_section(self, elements, section)?;
        self.add_elements(elements);
        Ok(())
    }

    // A module without one of these sections gets it where it belongs.
    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<Infallible>> {
        let next = before.map_or(u8::MAX, rank);
        if !self.globals_done && next > rank(SectionId::Global) {
            let mut globals = GlobalSection::new();
            self.add_globals(&mut globals);
            module.section(&globals);
        }
        if !self.exports_done && next > rank(SectionId::Export) {
            let mut exports = wasm_encoder::ExportSection::new();
            self.add_exports(&mut exports);
            module.section(&exports);
        }
        if !self.elements_done && next > rank(SectionId::Element) {
            let mut elements = ElementSection::new();
            self.add_elements(&mut elements);
            module.section(&elements);
        }
        Ok(())
    }

    // `dylink.0` declares the added slots (`dylink_done`); any other custom section is copied.
    fn parse_custom_section(
        &mut self,
        module: &mut wasm_encoder::Module,
        section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        if section.name() != super::dylink::DYLINK_SECTION {
            return utils::parse_custom_section(self, module, section);
        }
        // Only the first `dylink.0` with a single MEM_INFO of the scanned size is rewritten;
        // anything else is copied and the rewrite not used (a second `dylink.0` clears it).
        let first = !self.dylink_seen;
        self.dylink_seen = true;
        let data = first
            .then(|| {
                super::dylink::with_table_size(section.data(), self.plan.own_table, self.table_size)
            })
            .flatten();
        self.dylink_done = data.is_some();
        match data {
            Some(data) => module.section(&wasm_encoder::CustomSection {
                name: section.name().into(),
                data: data.into(),
            }),
            None => module.section(&utils::custom_section(self, section)),
        };
        Ok(())
    }

    // Global names stay sorted by index (the replacements moved after the defined globals).
    fn parse_custom_name_subsection(
        &mut self,
        names: &mut wasm_encoder::NameSection,
        section: wasmparser::Name<'_>,
    ) -> Result<(), Error<Infallible>> {
        match section {
            wasmparser::Name::Global(map) => {
                let mut renamed = Vec::new();
                for naming in map {
                    let naming = naming?;
                    renamed.push((self.new_index(naming.index), naming.name));
                }
                renamed.sort_unstable_by_key(|&(index, _)| index);
                let mut map = wasm_encoder::NameMap::new();
                for (index, name) in renamed {
                    map.append(index, name);
                }
                names.globals(&map);
                Ok(())
            }
            other => utils::parse_custom_name_subsection(self, names, other),
        }
    }
}

#[cfg(test)]
mod tests;
