//! An embedder's `ModuleSource` in both modes: a sync store's loader asks it with `fetch`, an
//! async store's loader awaits `fetch_async` (here one that yields to the executor first, as
//! a source doing network I/O would).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use wasi_dl::{Fetched, ModuleSource};

use crate::both_modes;
use crate::common::*;
use crate::hostile::open_one_program;

/// Serves one module as `libsrc.so`, noting which method was asked.
struct Recording {
    bytes: Arc<[u8]>,
    asked: Arc<Mutex<Vec<&'static str>>>,
}

impl Recording {
    fn answer(&self, name: &str) -> Option<Fetched> {
        (name == "libsrc.so").then(|| Fetched {
            bytes: self.bytes.clone(),
            key: "libsrc".into(),
            path: None,
        })
    }
}

impl ModuleSource for Recording {
    fn fetch(&self, name: &str, _max_bytes: usize) -> wasmtime::Result<Option<Fetched>> {
        self.asked.lock().unwrap().push("fetch");
        Ok(self.answer(name))
    }

    fn fetch_async<'a>(
        &'a self,
        name: &'a str,
        _max_bytes: usize,
    ) -> Pin<Box<dyn Future<Output = wasmtime::Result<Option<Fetched>>> + Send + 'a>> {
        Box::pin(async move {
            self.asked.lock().unwrap().push("fetch_async");
            tokio::task::yield_now().await;
            Ok(self.answer(name))
        })
    }
}

both_modes! {
fn a_source_is_asked_in_the_store_s_mode() {
    let program = open_one_program();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let source = Recording {
        bytes: side_module(&Dylink::new(), &format!("(module {PROLOGUE})")).into(),
        asked: asked.clone(),
    };
    let out = run(Run::new(&program)
        .args(["libsrc.so"])
        .dl(move |b| b.source(source)))
    .success();
    assert_eq!(out.stdout, "before\ndlopen returned a handle: \n");
    let expected = match mode() {
        Mode::Sync => "fetch",
        Mode::Async => "fetch_async",
    };
    assert_eq!(*asked.lock().unwrap(), [expected]);
}
}
