//! Errors the embedder raises to stop the guest while the loader runs guest code (a
//! constructor, the program's allocator) are not failed `dlopen`s the program could ignore:
//! the guest traps with that very error and the embedder's `call` (or `call_async`) returns
//! it. A plain wasm trap in a constructor still fails only that `dlopen` (see
//! `hostile::a_failed_constructor_runs_what_it_registered`, run here too in both modes).
//!
//! Before: both became `dlopen` failures ("running constructors failed: ..."), and the program
//! went on.

use crate::both_modes;
use crate::common::*;
use crate::hostile::open_one_program;

both_modes! {
/// An `epoch_deadline_callback` that returns its own error stops a constructor that never
/// returns; the error reaches the embedder as itself (downcast), and the program printed
/// nothing after its `dlopen`.
fn an_epoch_callback_error_in_a_constructor_reaches_the_embedder() {
    let program = open_one_program();
    let tmp = temp_dir();
    let lib = side_module(
        &Dylink::new(),
        "(module (func $spin (export \"__wasm_call_ctors\") (loop (br 0))))",
    );
    std::fs::write(tmp.path().join("loop.so"), lib).unwrap();
    let mut r = Run::new(&program)
        .args(["/lib/loop.so"])
        .dir(tmp.path(), "/lib");
    r.deadline_ticks = 5;
    r.stop_only_in = Some("spin");
    r.stop_with_error = true;
    let out = run(r);
    let trap = out.trap.clone().unwrap_or_default();
    assert!(
        out.stopped_by_embedder,
        "trap: {trap:?}, stdout: {}",
        out.stdout
    );
    // Raised in the constructor and passed on through dlopen, not raised again later in the
    // program's own code (the callback's deadline stays expired) after a failed dlopen.
    assert!(trap.contains("spin"), "{trap}");
    assert_eq!(out.stdout, "before\n");
}
}

both_modes! {
/// A resource limiter that fails a constructor's `memory.grow` with an error (wasmtime's
/// `trap_on_grow_failure`) stops the program with that error.
fn a_limiter_error_in_a_constructor_reaches_the_embedder() {
    let program = open_one_program();
    let tmp = temp_dir();
    let lib = side_module(
        &Dylink::new(),
        "(module (import \"env\" \"memory\" (memory 0))
           (func (export \"__wasm_call_ctors\") (drop (memory.grow (i32.const 4096)))))",
    );
    std::fs::write(tmp.path().join("grow.so"), lib).unwrap();
    let mut r = Run::new(&program)
        .args(["/lib/grow.so"])
        .dir(tmp.path(), "/lib");
    r.memory_limit = Some(64 << 20);
    let out = run(r);
    let trap = out.trap.unwrap_or_default();
    assert!(
        trap.contains("forcing trap when growing memory"),
        "trap: {trap:?}, stdout: {}",
        out.stdout
    );
    assert_eq!(out.stdout, "before\n");
}
}

both_modes! {
/// A resource limiter that fails the loader's own growth of the program's table with an error
/// (`trap_on_grow_failure`) stops the program with that error, as in guest code; it is not a
/// `dlopen` that failed on a limit (a limiter that only says no still is one).
fn a_limiter_error_on_the_loaders_table_growth_stops_the_guest() {
    let program = open_one_program();
    let table = wasmtime::Module::new(engine(), std::fs::read(&program).unwrap())
        .unwrap()
        .exports()
        .find_map(|e| match e.ty() {
            wasmtime::ExternType::Table(t) if e.name() == "__indirect_function_table" => {
                Some(t.minimum())
            }
            _ => None,
        })
        .expect("the program exports its table");
    let tmp = temp_dir();
    // Four table slots: the program's table must grow.
    let lib = side_module(&Dylink::new().mem_info(0, 0, 4, 0), "(module)");
    std::fs::write(tmp.path().join("slots.so"), lib).unwrap();
    let mut r = Run::new(&program)
        .args(["/lib/slots.so"])
        .dir(tmp.path(), "/lib");
    r.table_limit = Some(table as usize);
    let out = run(r);
    let trap = out.trap.unwrap_or_default();
    assert!(
        trap.contains("forcing trap when growing table"),
        "trap: {trap:?}, stdout: {}",
        out.stdout
    );
    assert_eq!(out.stdout, "before\n");
}
}
