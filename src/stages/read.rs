//! Stage 1, read: find the input files in sorted order and decode each into a [`Document`].
//!
//! Discovery decides every file's fate up front (article, skipped, id collision), so the manifest
//! can give every file a row. Reading checks size, computes the SHA-256 of the raw bytes, refuses
//! binary data and invalid UTF-8 with the offset, and strips a UTF-8 BOM (spans still count it).

use crate::document::{DocId, Document, SourceInfo};
use crate::error::{FileError, RunError};
use crate::settings::ReadSettings;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One file found under the input path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Path relative to the input folder, `/`-separated.
    pub rel: String,
    /// Path to open.
    pub path: PathBuf,
    /// Document id.
    pub id: DocId,
    /// What will be done with it.
    pub kind: InputKind,
}

/// The fate decided at discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// Read as an article.
    Article,
    /// Not read; the reason goes to the manifest.
    Skipped(String),
    /// Same id as an earlier file.
    Collision {
        /// The earlier file.
        first: String,
    },
}

/// List the inputs under `input` (a folder, walked recursively, or a single file), sorted by
/// relative path. Hidden files and folders (starting with `.`) are passed over, as ripgrep does.
pub fn discover(input: &Path, settings: &ReadSettings) -> Result<Vec<Input>, RunError> {
    let meta = fs::metadata(input).map_err(|source| RunError::Input { path: input.to_path_buf(), source })?;
    let mut found: Vec<(String, PathBuf, Option<String>)> = Vec::new();
    if meta.is_file() {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        found.push((name, input.to_path_buf(), None));
    } else {
        walk(input, "", &mut found)
            .map_err(|source| RunError::Input { path: input.to_path_buf(), source })?;
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));

    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(found.len());
    for (rel, path, skip) in found {
        let (stem, ext) = split_ext(&rel);
        let id = DocId(stem.to_string());
        let kind = if let Some(reason) = skip {
            InputKind::Skipped(reason)
        } else if !settings.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)) {
            let what = if ext.is_empty() { "no extension".to_string() } else { format!("extension .{ext}") };
            InputKind::Skipped(format!("{what} is not read (input.extensions = {:?})", settings.extensions))
        } else if let Some(first) = taken.get(&id.0) {
            InputKind::Collision { first: first.clone() }
        } else {
            taken.insert(id.0.clone(), rel.clone());
            InputKind::Article
        };
        out.push(Input { rel, path, id, kind });
    }
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf, Option<String>)>) -> std::io::Result<()> {
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
                    out.push((rel, path, Some("symlink to a folder is not followed".into())))
                }
                _ => out.push((rel, path, None)),
            }
        } else {
            out.push((rel, path, None));
        }
    }
    Ok(())
}

/// `sub/a.md` -> (`sub/a`, `md`); a leading dot is not an extension.
fn split_ext(rel: &str) -> (&str, &str) {
    let name_start = rel.rfind('/').map_or(0, |i| i + 1);
    match rel[name_start..].rfind('.') {
        Some(i) if i > 0 => (&rel[..name_start + i], &rel[name_start + i + 1..]),
        _ => (rel, ""),
    }
}

/// Read and decode one article. On failure the error keeps whatever source facts were known.
pub fn read(input: &Input, settings: &ReadSettings) -> Result<Document, (SourceInfo, FileError)> {
    let mut source = SourceInfo::unread(input.rel.clone());
    let io = |e: std::io::Error| FileError::Io(e.to_string());
    let mut file = match fs::File::open(&input.path) {
        Ok(f) => f,
        Err(e) => return Err((source, io(e))),
    };
    let len = match file.metadata() {
        Ok(m) if m.is_dir() => return Err((source, FileError::Io("is a directory".into()))),
        Ok(m) => m.len(),
        Err(e) => return Err((source, io(e))),
    };
    source.bytes = len;
    if len > settings.max_file_bytes {
        return Err((source, FileError::TooLarge { size: len, limit: settings.max_file_bytes }));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // Read at most limit + 1 bytes: a file that grows while being read is still bounded.
    if let Err(e) = (&mut file).take(settings.max_file_bytes + 1).read_to_end(&mut bytes) {
        return Err((source, io(e)));
    }
    source.bytes = bytes.len() as u64;
    source.sha256 = hex(&Sha256::digest(&bytes));
    if bytes.len() as u64 > settings.max_file_bytes {
        return Err((
            source,
            FileError::TooLarge { size: bytes.len() as u64, limit: settings.max_file_bytes },
        ));
    }
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(e) => return Err((source, e)),
    };
    Ok(Document::new(input.id.clone(), source, text.0, text.1))
}

/// UTF-8 with or without BOM. Returns the text and the number of bytes before it (the BOM).
pub fn decode(bytes: Vec<u8>) -> Result<(String, usize), FileError> {
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(FileError::Binary { offset });
    }
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let mut bytes = bytes;
    bytes.drain(..bom);
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, bom)),
        Err(e) => Err(FileError::Encoding { offset: e.utf8_error().valid_up_to() + bom }),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ReadSettings {
        ReadSettings { extensions: vec!["txt".into(), "md".into()], max_file_bytes: 1 << 20 }
    }

    #[test]
    fn discovery_is_sorted_and_decides_every_file() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("sub")).unwrap();
        fs::create_dir_all(d.path().join(".git")).unwrap();
        for f in ["b.txt", "a.md", "a.txt", "sub/c.txt", "notes.pdf", ".hidden.txt", ".git/x.txt"] {
            fs::write(d.path().join(f), "x").unwrap();
        }
        let found = discover(d.path(), &settings()).unwrap();
        let rows: Vec<_> = found.iter().map(|i| (i.rel.as_str(), i.id.0.as_str(), &i.kind)).collect();
        assert_eq!(rows[0], ("a.md", "a", &InputKind::Article));
        assert_eq!(rows[1], ("a.txt", "a", &InputKind::Collision { first: "a.md".into() }));
        assert_eq!(rows[2], ("b.txt", "b", &InputKind::Article));
        assert!(matches!(rows[3], ("notes.pdf", "notes", InputKind::Skipped(r)) if r.contains(".pdf")));
        assert_eq!(rows[4], ("sub/c.txt", "sub/c", &InputKind::Article));
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn single_file_input_uses_its_stem() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("one.txt");
        fs::write(&p, "hello").unwrap();
        let found = discover(&p, &settings()).unwrap();
        assert_eq!(found[0].id.0, "one");
        assert_eq!(found[0].rel, "one.txt");
    }

    #[test]
    fn decode_handles_bom_and_refuses_bad_bytes() {
        assert_eq!(decode(b"\xEF\xBB\xBFhi".to_vec()).unwrap(), ("hi".to_string(), 3));
        assert_eq!(decode(b"ab\x00c".to_vec()), Err(FileError::Binary { offset: 2 }));
        assert_eq!(decode(b"caf\xe9 au lait".to_vec()), Err(FileError::Encoding { offset: 3 }));
    }

    #[test]
    fn read_records_size_and_sha256() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a.txt"), "abc").unwrap();
        let input = &discover(d.path(), &settings()).unwrap()[0];
        let doc = read(input, &settings()).unwrap();
        assert_eq!(doc.source.bytes, 3);
        assert_eq!(doc.source.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let small = ReadSettings { max_file_bytes: 2, ..settings() };
        assert!(matches!(read(input, &small), Err((_, FileError::TooLarge { size: 3, limit: 2 }))));
    }
}
