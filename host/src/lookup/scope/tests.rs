//! Unit tests of the symbol scope (glibc's lookup and ordering rules).
use super::*;
use crate::module::cache::ModuleCache;
use crate::module::dylink::build::{side, Dylink};

/// A scope of libraries named by `specs`: (name, global, deps by index).
fn scope_of(specs: &[(&str, bool, &[usize])]) -> (Scope, Vec<LibId>) {
    let engine = wasmtime::Engine::default();
    let bytes = side(Dylink::default().mem_info(0, 0, 0, 0), "(module)");
    let compiled = ModuleCache::new()
        .get_or_compile(&engine, "libtest.so", &bytes, None)
        .expect("compiles");
    let mut scope = Scope::default();
    let mut ids = Vec::new();
    for (i, (name, global, _)) in specs.iter().enumerate() {
        let mut lib = Library::new(
            name,
            Some(format!("/lib/{name}")),
            format!("file:/lib/{name}"),
            compiled.clone(),
            (0x1000 * (i as u32 + 1), 0x100),
            (0, 0),
        );
        lib.state = LibState::Ready;
        let id = scope.insert(lib).expect("room for handles");
        if *global {
            scope.make_global(id);
        }
        ids.push(id);
    }
    for (i, (_, _, deps)) in specs.iter().enumerate() {
        scope.get_mut(ids[i]).unwrap().deps = deps.iter().map(|&d| ids[d]).collect();
    }
    for &id in &ids {
        let list = scope.breadth_first(id);
        scope.get_mut(id).unwrap().search_list = list;
    }
    (scope, ids)
}

fn libs(entries: &[ScopeEntry]) -> Vec<LibId> {
    entries
        .iter()
        .filter_map(|e| match e {
            ScopeEntry::Lib(id) => Some(*id),
            _ => None,
        })
        .collect()
}

#[test]
fn local_scope_is_breadth_first() {
    // top -> (left, right), left -> base, right -> base
    let (scope, ids) = scope_of(&[
        ("top", false, &[1, 2]),
        ("left", false, &[3]),
        ("right", false, &[3]),
        ("base", false, &[]),
    ]);
    assert_eq!(
        scope.breadth_first(ids[0]),
        vec![ids[0], ids[1], ids[2], ids[3]]
    );
}

#[test]
fn undefined_symbols_look_in_the_global_scope_first() {
    let (scope, ids) = scope_of(&[
        ("g1", true, &[]),
        ("local", false, &[2]),
        ("dep", false, &[]),
        ("g2", true, &[]),
    ]);
    let order = scope.lookup_order_for(ids[1]);
    assert_eq!(order[0], ScopeEntry::Program);
    assert_eq!(
        libs(&order),
        vec![ids[0], ids[3], ids[1], ids[2]],
        "program, globals in load order, then own scope"
    );
    assert_eq!(
        libs(&scope.global_scope()),
        vec![ids[0], ids[3]],
        "local libraries stay out of the global scope"
    );
}

#[test]
fn rtld_next_follows_the_callers_scope() {
    let (scope, ids) = scope_of(&[
        ("wrap", false, &[1]),
        ("real", false, &[]),
        ("g", true, &[]),
    ]);
    assert_eq!(
        scope.next_after(Some(ids[0])),
        vec![ScopeEntry::Lib(ids[1]), ScopeEntry::Program]
    );
    assert_eq!(scope.next_after(Some(ids[1])), vec![ScopeEntry::Program]);
    assert_eq!(
        scope.next_after(None),
        vec![ScopeEntry::Lib(ids[2])],
        "from the program: global libraries only"
    );
}

#[test]
fn rtld_next_searches_the_scope_of_the_callers_root() {
    // root -> (mid, base), opened by dlopen; pre1, pre2: the program's own, global.
    let (mut scope, ids) = scope_of(&[
        ("root", false, &[1, 2]),
        ("mid", false, &[]),
        ("base", false, &[]),
        ("pre1", true, &[]),
        ("pre2", true, &[]),
    ]);
    scope.get_mut(ids[1]).unwrap().loaded_by = LoadedBy::Lib(ids[0]);
    scope.get_mut(ids[2]).unwrap().loaded_by = LoadedBy::Lib(ids[0]);
    scope.get_mut(ids[3]).unwrap().loaded_by = LoadedBy::Program;
    scope.get_mut(ids[4]).unwrap().loaded_by = LoadedBy::Program;
    assert_eq!(
        scope.next_after(Some(ids[1])),
        vec![ScopeEntry::Lib(ids[2]), ScopeEntry::Program],
        "a dependency: the rest of its dlopen root's local scope"
    );
    assert_eq!(
        scope.next_after(Some(ids[3])),
        vec![ScopeEntry::Lib(ids[4]), ScopeEntry::Program],
        "a library the program was linked against: the rest of the global scope"
    );
    scope.remove(ids[0]);
    assert_eq!(
        scope.get(ids[1]).unwrap().loaded_by,
        LoadedBy::Dlopen,
        "a library whose loader went is its own root"
    );
}

#[test]
fn a_group_resolves_in_its_roots_scope_which_later_roots_extend() {
    // a -> b; c -> (b, d): b may use what a defines, and after c's dlopen what d does.
    let (mut scope, ids) = scope_of(&[
        ("a", false, &[1]),
        ("b", false, &[]),
        ("c", false, &[1, 3]),
        ("d", false, &[]),
    ]);
    scope.add_root_scope(ids[0]);
    assert_eq!(libs(&scope.lookup_order_for(ids[1])), vec![ids[0], ids[1]]);
    scope.add_root_scope(ids[2]);
    assert_eq!(
        libs(&scope.lookup_order_for(ids[1])),
        vec![ids[0], ids[1], ids[2], ids[3]]
    );
    scope.add_root_scope(ids[2]);
    assert_eq!(
        scope.get(ids[1]).unwrap().scopes,
        vec![ids[0], ids[2]],
        "once each"
    );
    scope.remove(ids[0]);
    assert_eq!(
        libs(&scope.lookup_order_for(ids[1])),
        vec![ids[1], ids[2], ids[3]],
        "a closed root's scope goes; b, which has none of its own, gets one in its place \
         (itself and its direct dependencies, as glibc's dlclose does)"
    );
    assert!(scope.get(ids[1]).unwrap().own_scope);
}

#[test]
fn sort_maps_follows_glibc_dfs() {
    // lib1 -> (lib3, lib4): constructors lib4, lib3, lib1; destructors lib1, lib3, lib4.
    let (mut scope, ids) = scope_of(&[
        ("lib1", false, &[1, 2]),
        ("lib3", false, &[]),
        ("lib4", false, &[]),
        ("z", false, &[]),
    ]);
    assert_eq!(
        scope.sort_maps(&[ids[0], ids[1], ids[2]], false),
        vec![ids[0], ids[1], ids[2]]
    );
    // A binding z -> lib1 puts z first at exit (the walk from z reaches lib3 before lib4).
    scope.get_mut(ids[3]).unwrap().bound.push(ids[0]);
    assert_eq!(
        scope.sort_maps(&ids, true),
        vec![ids[3], ids[0], ids[2], ids[1]]
    );
    // lib3 -> lib1 by binding closes a cycle: the second, NEEDED-only pass keeps lib1 first.
    scope.get_mut(ids[1]).unwrap().bound.push(ids[0]);
    assert_eq!(
        scope.sort_maps(&ids, true),
        vec![ids[3], ids[0], ids[2], ids[1]]
    );
}

#[test]
fn unreachable_follows_needed_edges_cycles_and_bindings() {
    let (mut scope, ids) = scope_of(&[
        ("a", false, &[1]),
        ("b", false, &[0]),
        ("user", false, &[]),
        ("provider", true, &[]),
    ]);
    scope.get_mut(ids[0]).unwrap().open_count = 1;
    scope.get_mut(ids[2]).unwrap().open_count = 1;
    assert_eq!(
        scope.unreachable(),
        vec![ids[3]],
        "nobody holds the provider yet"
    );
    scope.note_binding(ids[2], ids[3]);
    assert!(
        scope.unreachable().is_empty(),
        "a binding keeps the provider"
    );
    scope.get_mut(ids[0]).unwrap().open_count = 0;
    assert_eq!(
        scope.unreachable(),
        vec![ids[0], ids[1]],
        "a cycle with no outside reference goes as a whole"
    );
    scope.get_mut(ids[1]).unwrap().nodelete = true;
    assert!(
        scope.unreachable().is_empty(),
        "NODELETE pins b, and b needs a"
    );
}

#[test]
fn handles_are_never_reused_and_closed_ones_are_told_apart() {
    let (mut scope, ids) = scope_of(&[("one", false, &[])]);
    let handle = scope.get(ids[0]).unwrap().handle;
    assert!(scope.remove(ids[0]).is_some());
    let err = scope.by_handle(handle).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("invalid handle {handle:#x}: the library was already closed")
    );
    let err = scope.by_handle(0xdead_beef).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid handle 0xdeadbeef: not a handle returned by dlopen"
    );
    assert!(scope.find_by_name("one").is_none() && scope.find_by_name("one").is_none());
    let (mut again, new_ids) = scope_of(&[("x", false, &[]), ("y", false, &[])]);
    let first = again.get(new_ids[0]).unwrap().handle;
    again.remove(new_ids[0]);
    let lib = again.remove(new_ids[1]).unwrap();
    let id = again.insert(lib).unwrap();
    assert!(
        again.get(id).unwrap().handle > first + 1,
        "a re-inserted library gets a fresh handle"
    );
}

#[test]
fn addresses_map_to_the_block_that_holds_them() {
    let (scope, ids) = scope_of(&[("a", false, &[]), ("b", false, &[])]);
    assert_eq!(scope.lib_at(0x1000), Some(ids[0]));
    assert_eq!(scope.lib_at(0x10ff), Some(ids[0]));
    assert_eq!(scope.lib_at(0x1100), None, "just past a's block");
    assert_eq!(scope.lib_at(0x2050), Some(ids[1]));
    assert_eq!(scope.lib_at(0x0fff), None);
}
