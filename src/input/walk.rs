//! Part of input: walking the input folder (sorted, hidden entries passed over, symlinks to
//! folders and special files not followed) and splitting a path's extension.

use std::fs;
use std::path::{Path, PathBuf};

/// A file found by [`walk`]: relative path, path, size, and why it is skipped (if it is).
pub(super) type Found = (String, PathBuf, u64, Option<String>);

pub(super) fn walk(dir: &Path, prefix: &str, out: &mut Vec<Found>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
        let path = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() {
            walk(&path, &rel, out)?;
        } else if ft.is_symlink() {
            // Followed only to files: a symlinked folder could loop.
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    out.push((rel, path, 0, Some("symlink to a folder is not followed".into())))
                }
                Ok(m) if !m.is_file() => {
                    let what = special_file(&m.file_type());
                    out.push((rel, path, 0, Some(format!("symlink to {what} is not read"))))
                }
                // A dangling link is kept, so reading it reports the error in its row.
                m => out.push((rel, path, m.map_or(0, |m| m.len()), None)),
            }
        } else if ft.is_file() {
            let bytes = e.metadata().map_or(0, |m| m.len());
            out.push((rel, path, bytes, None));
        } else {
            // Opening a named pipe blocks until something writes to it; a device can be endless.
            out.push((rel, path, 0, Some(format!("{} is not read", special_file(&ft)))));
        }
    }
    Ok(())
}

/// What a file that is neither a regular file nor a folder is, for its skip message.
fn special_file(ft: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a named pipe";
        } else if ft.is_socket() {
            return "a socket";
        } else if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    let _ = ft;
    "a special file"
}

/// `sub/a.md` -> (`sub/a`, `md`); a leading dot is not an extension.
pub(super) fn split_ext(rel: &str) -> (&str, &str) {
    let name_start = rel.rfind('/').map_or(0, |i| i + 1);
    match rel[name_start..].rfind('.') {
        Some(i) if i > 0 => (&rel[..name_start + i], &rel[name_start + i + 1..]),
        _ => (rel, ""),
    }
}
