//! A minimal reader for `ar` archives (GNU and BSD variants), enough to walk
//! the members of `libc.a` and `libclang_rt.builtins-wasm32.a`.

use anyhow::{bail, Context, Result};

/// One member of an archive: its name and its bytes.
#[derive(Debug)]
pub(crate) struct Member<'a> {
    pub name: String,
    pub data: &'a [u8],
}

const MAGIC: &[u8] = b"!<arch>\n";
const THIN_MAGIC: &[u8] = b"!<thin>\n";
const HEADER_LEN: usize = 60;

/// Splits an archive into its members, skipping the symbol index and the
/// long-name table.
pub(crate) fn members(bytes: &[u8]) -> Result<Vec<Member<'_>>> {
    if bytes.starts_with(THIN_MAGIC) {
        bail!("thin archives are not supported");
    }
    if !bytes.starts_with(MAGIC) {
        bail!("not an ar archive (bad magic)");
    }
    let mut out = Vec::new();
    let mut long_names: &[u8] = &[];
    let mut pos = MAGIC.len();
    while pos < bytes.len() {
        if bytes.len() - pos < HEADER_LEN {
            // Trailing padding (a lone '\n') is allowed.
            if bytes[pos..].iter().all(|&b| b == b'\n') {
                break;
            }
            bail!("truncated member header at offset {pos}");
        }
        let header = &bytes[pos..pos + HEADER_LEN];
        if &header[58..60] != b"`\n" {
            bail!("bad member header at offset {pos}");
        }
        let raw_name = std::str::from_utf8(&header[0..16])
            .context("member name is not UTF-8")?
            .trim_end_matches(' ');
        let size: usize = std::str::from_utf8(&header[48..58])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .with_context(|| format!("bad member size at offset {pos}"))?;
        let start = pos + HEADER_LEN;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .with_context(|| format!("member at offset {pos} runs past the end"))?;
        let mut data = &bytes[start..end];
        pos = end + (size & 1);

        let name = if raw_name == "/" || raw_name == "/SYM64/" || raw_name.starts_with("__.SYMDEF")
        {
            continue; // symbol index
        } else if raw_name == "//" {
            long_names = data;
            continue;
        } else if let Some(offset) = raw_name.strip_prefix('/') {
            // GNU long name: "/<offset into the // member>", ended by "/\n".
            let offset: usize = offset.parse().context("bad long-name offset")?;
            let rest = long_names
                .get(offset..)
                .context("long-name offset out of range")?;
            let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            String::from_utf8_lossy(&rest[..len])
                .trim_end_matches('/')
                .to_string()
        } else if let Some(len) = raw_name.strip_prefix("#1/") {
            // BSD long name: the name is the first <len> bytes of the data.
            let len: usize = len.parse().context("bad BSD name length")?;
            if len > data.len() {
                bail!("BSD member name runs past the member");
            }
            let name = String::from_utf8_lossy(&data[..len])
                .trim_end_matches('\0')
                .to_string();
            data = &data[len..];
            name
        } else {
            raw_name.trim_end_matches('/').to_string()
        };
        out.push(Member { name, data });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: usize) -> Vec<u8> {
        let mut h = format!("{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}", 0, 0, 0, 644).into_bytes();
        h.extend_from_slice(b"`\n");
        assert_eq!(h.len(), HEADER_LEN);
        h
    }

    #[test]
    fn gnu_archive_with_long_names_and_padding() {
        let long = b"a_rather_long_member_name.o/\n";
        let mut ar = MAGIC.to_vec();
        ar.extend(header("/", 4));
        ar.extend(b"\0\0\0\0");
        ar.extend(header("//", long.len()));
        ar.extend(long);
        ar.push(b'\n'); // pad to even
        ar.extend(header("/0", 3));
        ar.extend(b"abc\n"); // odd size + pad
        ar.extend(header("short.o/", 2));
        ar.extend(b"xy");
        let m = members(&ar).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "a_rather_long_member_name.o");
        assert_eq!(m[0].data, b"abc");
        assert_eq!(m[1].name, "short.o");
        assert_eq!(m[1].data, b"xy");
    }

    #[test]
    fn bsd_names_and_errors() {
        let mut ar = MAGIC.to_vec();
        ar.extend(header("#1/8", 10));
        ar.extend(b"bsdname\0hi");
        let m = members(&ar).unwrap();
        assert_eq!(m[0].name, "bsdname");
        assert_eq!(m[0].data, b"hi");

        assert!(members(b"not an archive").is_err());
        assert!(members(b"!<thin>\n")
            .unwrap_err()
            .to_string()
            .contains("thin"));
        let mut truncated = MAGIC.to_vec();
        truncated.extend(header("x.o/", 100));
        assert!(members(&truncated).is_err());
    }
}
