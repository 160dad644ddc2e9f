//! [`Invocation`]: a planned compiler run, the command it becomes, and what is done to a main
//! program after it links ([`Invocation::finish_link`]).

use super::own_exports::{append_custom_section, own_exports, without_dylink, OWN_SECTION};
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A planned compiler run: the program, its arguments, and what the driver
/// has to say about them.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub(super) program: PathBuf,
    pub(super) args: Vec<OsString>,
    pub(super) cwd: Option<PathBuf>,
    pub(super) warnings: Vec<String>,
    pub(super) notes: Vec<String>,
    pub(super) after_link: Option<AfterLink>,
}

/// What [`Driver::run`](super::Driver::run) does after linking a main program.
#[derive(Clone, Debug)]
pub(super) struct AfterLink {
    /// The program (`-o`, else `a.out`), relative to the build's directory.
    pub(super) output: PathBuf,
    /// A program linked against side modules: the names they define (other imports are
    /// reported as undefined symbols), and its `dylink.0` section is removed.
    pub(super) defined: Option<BTreeSet<String>>,
    /// Names the program exports for its runtime (libc, builtins, the C++ runtime, emulation
    /// libraries, the guest library): its other exports are its own, listed in its
    /// [`OWN_SECTION`] section. `None` with `-nostdlib`, where nothing tells them apart.
    pub(super) runtime: Option<std::sync::Arc<BTreeSet<String>>>,
}

impl Invocation {
    /// The compiler (clang or clang++).
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The final arguments.
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// Warnings for the user (printed by [`Driver::run`](super::Driver::run)).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Explanations of what was added or ignored (printed with `WASI_DL_VERBOSE=1`).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// After a successful link of a main program: writes its [`OWN_SECTION`]; for a program
    /// linked against side modules also removes the `dylink.0` section wasm-ld writes under
    /// `--unresolved-symbols=import-dynamic` (the program is a program, not a side module, and
    /// `wasi-dl run` tells them apart by it), and returns a warning for each import no side
    /// module defines (with import-dynamic wasm-ld no longer reports them: they would fail at
    /// run time). Nothing to do for other builds.
    pub fn finish_link(&self) -> Result<Vec<String>> {
        let Some(after) = &self.after_link else {
            return Ok(Vec::new());
        };
        let path = match &self.cwd {
            Some(dir) if after.output.is_relative() => dir.join(&after.output),
            _ => after.output.clone(),
        };
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let mut out = bytes.clone();
        let mut warnings = Vec::new();
        if let Some(defined) = &after.defined {
            let (stripped, imports) = without_dylink(&bytes)
                .with_context(|| format!("{}: not a wasm module", path.display()))?;
            out = stripped;
            warnings.extend(
                imports
                    .into_iter()
                    .filter(|name| !defined.contains(name))
                    .map(|name| {
                        format!(
                        "{}: undefined symbol: {name} (no side module it is linked against defines \
                         it: the program imports it and fails at run time)",
                        after.output.display()
                    )
                    }),
            );
        }
        if let Some(runtime) = &after.runtime {
            // Without the section the program still runs (RTLD_NEXT from a library then also
            // finds its own names): not a reason to fail a link that succeeded.
            match own_exports(&out, runtime) {
                Ok(own) => append_custom_section(&mut out, OWN_SECTION, own.join("\n").as_bytes()),
                Err(e) => warnings.push(format!(
                    "{}: its exports could not be read ({e}): no {OWN_SECTION} section written",
                    after.output.display()
                )),
            }
        }
        if out != bytes {
            let tmp = crate::atomic_file::temp_path(&path);
            std::fs::write(&tmp, &out).with_context(|| format!("writing {}", tmp.display()))?;
            // The linker's mode bits (executable) stay.
            if let Ok(meta) = std::fs::metadata(&path) {
                let _ = std::fs::set_permissions(&tmp, meta.permissions());
            }
            crate::atomic_file::rename(&tmp, &path)?;
        }
        Ok(warnings)
    }

    /// The command, ready to run (in [`Driver::current_dir`](super::Driver::current_dir), if set).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// The command line as a shell would take it.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(quote)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=+/.,:@%".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(OsStr::new("-Wl,--export=x")), "-Wl,--export=x");
        assert_eq!(quote(OsStr::new("$ORIGIN")), "'$ORIGIN'");
        assert_eq!(quote(OsStr::new("it's")), r"'it'\''s'");
    }
}
