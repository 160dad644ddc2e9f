//! C++ objects that exist once per program, whatever the scopes (glibc's `STB_GNU_UNIQUE`).
//!
//! gcc gives a class template's static data members, a variable template's instances and the
//! static locals of inline functions (with their guard variables) `STB_GNU_UNIQUE` binding,
//! and glibc binds every reference to such a name to the first definition it entered in a
//! process-wide table, even from an `RTLD_LOCAL` library that cannot otherwise see the
//! definer (whose library becomes NODELETE). A wasm module has no such binding: wasm-ld
//! exports these objects as ordinary data symbols. What still tells them apart is their
//! Itanium mangled name, which [`is_unique_object`] reads. A non-template inline variable or
//! static member (`_ZN2ns7counterE`) is mangled as an ordinary global is, so it is not one
//! here (README, Limits).

/// Whether a data symbol's name is that of a C++ object glibc would treat as unique.
pub(crate) fn is_unique_object(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b"_Z") else {
        return false;
    };
    match rest.first() {
        // A local entity: exported only when its function is inline (or a template's).
        Some(b'Z') => true,
        // Guard variables and lifetime-extended temporaries: of such objects.
        Some(b'G') => matches!(rest.get(1), Some(b'V' | b'R')),
        // Vtables, typeinfo, VTTs: weak, not unique.
        Some(b'T') => false,
        Some(b'N') => nested_has_template_args(&rest[1..]),
        _ => unscoped_has_template_args(rest),
    }
}

/// `<nested-name>` after its `N`: whether one of its components carries template arguments.
fn nested_has_template_args(mut s: &[u8]) -> bool {
    // CV- and ref-qualifiers of a member function's object come first.
    while let Some((b'r' | b'V' | b'K' | b'R' | b'O', tail)) = s.split_first() {
        s = tail;
    }
    loop {
        match s.first() {
            Some(b'I') => return true,
            Some(b'E') | None => return false,
            Some(b'S') => {
                // `St` (std::) or a substitution `S<seq-id>_`.
                s = match s.get(1) {
                    Some(b't' | b'a' | b'b' | b's' | b'i' | b'o' | b'd') => &s[2..],
                    _ => match s.iter().position(|&c| c == b'_') {
                        Some(end) => &s[end + 1..],
                        None => return false,
                    },
                };
            }
            Some(c) if c.is_ascii_digit() => match skip_source_name(s) {
                Some(tail) => s = tail,
                None => return false,
            },
            // Operator names, constructors, abi tags...: not a data object's path.
            _ => return false,
        }
    }
}

/// An unscoped name (`_Z10uq_counterIiE`, `_ZSt...`): whether template arguments follow it.
fn unscoped_has_template_args(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"St").unwrap_or(s);
    matches!(skip_source_name(s), Some([b'I', ..]))
}

/// Skips `<length><identifier>`.
fn skip_source_name(s: &[u8]) -> Option<&[u8]> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let len: usize = std::str::from_utf8(&s[..digits]).ok()?.parse().ok()?;
    s.get(digits..)?.get(len..)
}

#[cfg(test)]
mod tests {
    use super::is_unique_object;

    #[test]
    fn template_members_local_statics_and_guards_are_unique() {
        for name in [
            "_ZN10UqRegistryIiE7entriesE",
            "_Z10uq_counterIiE",
            "_ZZ15uq_local_staticvE5value",
            "_ZGVZ15uq_local_staticvE5value",
            "_ZN2ns3RegIiE5countE",
            "_ZNSt6vectorIiE4nullE",
        ] {
            assert!(is_unique_object(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn ordinary_globals_vtables_and_c_names_are_not() {
        for name in [
            "counter",
            "_ZN2ns7counterE",
            "_Z7counter",
            "_ZTV4Base",
            "_ZTI4Base",
            "_ZTS4Base",
            "_Z",
            "_ZN",
            "_ZN99x",
            "_ZNS",
            "_Z99999999999999999999999x",
        ] {
            assert!(!is_unique_object(name.as_bytes()), "{name}");
        }
    }
}
