//! Loading side of Rust plugins (side modules whose entry points were exported
//! with `wasi_dl_plugin::export_plugin!`): the descriptor is checked before
//! anything of the plugin is used, and each entry point's type is checked
//! when it is looked up.

use std::any::type_name;
use std::ffi::{c_char, CStr};
use std::fmt;
use std::marker::PhantomData;

use wasi_dl_plugin::{Descriptor, Entry, Signature, ABI_VERSION, DESCRIPTOR_SYMBOL, MAGIC};

use crate::error::Error;
use crate::imp::SymbolKind;
use crate::library::{Library, Symbol};

/// More entries than any plugin declares: a count above it is a corrupt descriptor.
const MAX_ENTRIES: u32 = 1 << 16;

/// A loaded plugin: its checked descriptor, borrowed from its [`Library`].
/// From [`Library::plugin`].
pub struct Plugin<'lib> {
    descriptor: &'lib Descriptor,
    entries: &'lib [Entry],
    _lib: PhantomData<&'lib Library>,
}

impl Library {
    /// The library as a wasi-dl plugin: finds its descriptor
    /// (`__wasi_dl_plugin`) and checks its magic number and ABI version.
    ///
    /// ```no_run
    /// use wasi_dl_guest::{Flags, Library};
    /// # fn main() -> Result<(), wasi_dl_guest::Error> {
    /// let lib = Library::open("libhello.so", Flags::NOW)?;
    /// let plugin = lib.plugin()?;
    /// let add = plugin.get::<extern "C" fn(i32, i32) -> i32>("hello_add")?;
    /// println!("{} {}: {}", plugin.name(), plugin.version(), add(2, 3));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A local error naming the library if it has no descriptor (it is not a
    /// plugin), if the symbol is not data, or if the magic number or ABI
    /// version differ from [`wasi_dl_plugin::ABI_VERSION`].
    pub fn plugin(&self) -> Result<Plugin<'_>, Error> {
        // SAFETY: the type is only used to carry the value: a data address is
        // checked below before it is read.
        let symbol = unsafe { self.get::<*const Descriptor>(DESCRIPTOR_SYMBOL) }
            .map_err(|e| Error::local(format!("not a wasi-dl plugin: {e}")))?;
        let what = describe(symbol.value());
        if symbol.kind() != SymbolKind::Data || symbol.value() == 0 {
            return Err(Error::local(format!(
                "{what}: not a wasi-dl plugin ({DESCRIPTOR_SYMBOL} is not a data object)"
            )));
        }
        if symbol.value() % align_of::<Descriptor>() != 0 {
            return Err(Error::local(format!(
                "{what}: not a wasi-dl plugin ({DESCRIPTOR_SYMBOL} is misaligned)"
            )));
        }
        // SAFETY: a data symbol of a loaded library: its address lies in the
        // library's data block, which lives as long as the Library. The
        // library's code runs in this program already (its constructors), so
        // its data is trusted as much as its code.
        let descriptor: &Descriptor = unsafe { &**symbol };
        if descriptor.magic != MAGIC {
            return Err(Error::local(format!(
                "{what}: not a wasi-dl plugin (bad magic number {:#010x} in {DESCRIPTOR_SYMBOL})",
                descriptor.magic
            )));
        }
        if descriptor.abi_version != ABI_VERSION {
            return Err(Error::local(format!(
                "{what}: wasi-dl plugin ABI version {} (this program supports version {ABI_VERSION}): rebuild the plugin against the wasi-dl-plugin crate this program was built with",
                descriptor.abi_version
            )));
        }
        if descriptor.entry_count > MAX_ENTRIES
            || (descriptor.entry_count > 0 && descriptor.entries.is_null())
        {
            return Err(Error::local(format!(
                "{what}: corrupt wasi-dl plugin descriptor ({} entries at {:p})",
                descriptor.entry_count, descriptor.entries
            )));
        }
        let entries = if descriptor.entry_count == 0 {
            &[][..]
        } else {
            // SAFETY: as for the descriptor; the count was bounded above.
            unsafe {
                std::slice::from_raw_parts(descriptor.entries, descriptor.entry_count as usize)
            }
        };
        Ok(Plugin {
            descriptor,
            entries,
            _lib: PhantomData,
        })
    }
}

/// The file that holds `address` (the descriptor), for messages.
fn describe(address: usize) -> String {
    match crate::addr_info(address) {
        Ok(info) => info.file.to_string_lossy().into_owned(),
        Err(_) => format!("the library holding {address:#x}"),
    }
}

/// A NUL-terminated string of a loaded plugin, or "" for NULL.
///
/// # Safety
/// `text` must be NULL or point to a NUL-terminated string that lives as long as `'a`.
unsafe fn text<'a>(text: *const c_char) -> &'a str {
    if text.is_null() {
        return "";
    }
    // SAFETY: the caller's contract.
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .unwrap_or("<not UTF-8>")
}

impl<'lib> Plugin<'lib> {
    /// The plugin crate's name (`CARGO_PKG_NAME`).
    pub fn name(&self) -> &'lib str {
        // SAFETY: a string of the loaded plugin.
        unsafe { text(self.descriptor.name) }
    }

    /// The plugin crate's version (`CARGO_PKG_VERSION`).
    pub fn version(&self) -> &'lib str {
        // SAFETY: as above.
        unsafe { text(self.descriptor.version) }
    }

    /// The entry points: name and type as written in the plugin.
    pub fn entries(&self) -> impl Iterator<Item = (&'lib str, &'lib str)> + '_ {
        self.entries.iter().map(|e| {
            // SAFETY: as above.
            unsafe { (text(e.name), text(e.signature_text)) }
        })
    }

    /// The entry point `name` as an `F`, which must be the function pointer
    /// type the plugin declared it with (argument and result types, and
    /// `unsafe` or not: the hashes are compared, so no `unsafe` is needed
    /// here).
    ///
    /// # Errors
    /// A local error if the plugin has no such entry, or declared it with
    /// another type (the message shows both).
    pub fn get<F: Signature>(&self, name: &str) -> Result<Symbol<'lib, F>, Error> {
        let Some(entry) = self.entries.iter().find(|e| {
            // SAFETY: as above.
            let entry_name = unsafe { text(e.name) };
            entry_name == name
        }) else {
            return Err(Error::local(format!(
                "plugin {}: no entry point {name}",
                self.name()
            )));
        };
        if entry.signature != F::SIGNATURE {
            return Err(Error::local(format!(
                "plugin {}: entry point {name} is `{}`, not `{}`",
                self.name(),
                // SAFETY: as above.
                unsafe { text(entry.signature_text) },
                type_name::<F>()
            )));
        }
        Ok(Symbol::from_parts(
            entry.function as usize,
            SymbolKind::Function,
        ))
    }
}

impl fmt::Debug for Plugin<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name())
            .field("version", &self.version())
            .field("entries", &self.entries.len())
            .finish()
    }
}
