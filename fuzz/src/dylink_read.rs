//! Target 1: the `dylink.0` reader.

/// `wasi_dl::dylink::read` on arbitrary bytes: no panic; when it accepts the module,
/// wasmparser's reader of the same section agrees on MEM_INFO and NEEDED.
pub fn dylink_read(data: &[u8]) {
    let Ok(info) = wasi_dl::dylink::read(data) else {
        return;
    };
    assert!(info.mem.memory_align_log2 <= 31 && info.mem.table_align_log2 <= 31);
    // The reference: wasmparser's own dylink.0 reader, on the first section.
    use wasmparser::{Dylink0Subsection, KnownCustom, Parser, Payload};
    let mut mem = None;
    let mut needed = Vec::new();
    for payload in Parser::new(0).parse_all(data) {
        let Ok(payload) = payload else { break };
        if let Payload::CustomSection(c) = payload {
            if let KnownCustom::Dylink0(reader) = c.as_known() {
                for sub in reader {
                    let sub = match sub {
                        Ok(sub) => sub,
                        // The convention says a subsection id is a uint8; wasmparser reads a
                        // u7. Ids from 128 up are unknown subsections wasi-dl skips.
                        Err(e) if e.message() == "invalid u7" => return,
                        Err(e) => {
                            panic!("wasi-dl accepted a dylink.0 section wasmparser rejects: {e}")
                        }
                    };
                    match sub {
                        Dylink0Subsection::MemInfo(m) => {
                            mem = Some((
                                m.memory_size,
                                m.memory_alignment,
                                m.table_size,
                                m.table_alignment,
                            ))
                        }
                        Dylink0Subsection::Needed(n) => {
                            needed.extend(n.iter().map(|s| s.to_string()))
                        }
                        _ => {}
                    }
                }
                break;
            }
        }
    }
    let m = info.mem;
    let ours = (
        m.memory_size,
        m.memory_align_log2,
        m.table_size,
        m.table_align_log2,
    );
    assert_eq!(
        mem.unwrap_or_default(),
        ours,
        "MEM_INFO differs from wasmparser's reading"
    );
    assert_eq!(
        needed, info.needed,
        "NEEDED differs from wasmparser's reading"
    );
}
