//! Input: find the raw files in sorted order and read each into documents.
//!
//! Discovery decides every file's fate up front (article, records, skipped, id collision), so
//! the manifest can give every file a row. Reading checks size, computes the SHA-256 of the
//! raw bytes, decompresses ([`compress`]) and hands the bytes to the file's [`Format`]: text
//! and markdown are decoded ([`decode`]: UTF-8, or UTF-16 and legacy encodings mapped back to
//! raw bytes, so spans still index the file); a JSONL feed streams one record per line
//! ([`lines`], [`jsonl`]). A new format is one file implementing [`Format`] and one line in
//! [`FORMATS`].

pub mod compress;
pub mod decode;
pub mod html;
pub mod jsonl;
pub mod lines;
pub mod settings;
pub mod text;
pub mod unit;
mod walk;
pub mod warc;

pub use compress::Compression;
pub use decode::InputEncoding;
pub use html::Html;
pub use jsonl::Jsonl;
pub use lines::{RawLine, RecordLines};
pub use settings::{ReadSettings, RecordFieldNames};
pub use text::{Text, stated_site};
pub use unit::{Format, FormatRef, Input, InputKind, Record, Records, Unit};
pub use warc::Warc;

use crate::error::{FileError, RunError};
use crate::model::{DocId, Document, SourceInfo};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Read};
use std::path::Path;
use unit::sha256_hex;
use walk::{Found, split_ext, walk};

/// The formats, tried in order on a file's extension; the last reads any extension.
pub const FORMATS: [&dyn Format; 4] = [&Jsonl, &Warc, &Html, &Text];

/// One record of a records file as a document, by the file's format.
pub fn record(r: &Record, settings: &ReadSettings) -> Result<Document, (DocId, SourceInfo, FileError)> {
    r.input.format.unwrap_or(FormatRef(&Jsonl)).record(r, settings)
}

/// The format that reads files with extension `ext`.
pub fn format_of(ext: &str) -> FormatRef {
    FormatRef(FORMATS.into_iter().find(|f| f.reads(ext)).unwrap_or(&Text))
}

/// List the inputs under `input` (a folder, walked recursively, or a single file), sorted by
/// relative path. Hidden files and folders (starting with `.`) are passed over, as ripgrep does.
pub fn discover(input: &Path, settings: &ReadSettings) -> Result<Vec<Input>, RunError> {
    let meta = fs::metadata(input).map_err(|source| RunError::Input { path: input.to_path_buf(), source })?;
    let mut found: Vec<Found> = Vec::new();
    if meta.is_file() {
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        found.push((name, input.to_path_buf(), meta.len(), None));
    } else {
        walk(input, "", &mut found)
            .map_err(|source| RunError::Input { path: input.to_path_buf(), source })?;
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));

    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(found.len());
    for (order, (rel, path, bytes, skip)) in found.into_iter().enumerate() {
        // `a.txt.gz` is read as `a.txt`, decompressed: the id is `a`.
        let (stem, ext) = split_ext(&rel);
        let compression = Compression::of(ext);
        let (stem, ext) = if compression != Compression::None { split_ext(stem) } else { (stem, ext) };
        let id = DocId(stem.to_string());
        let kind = if let Some(reason) = skip {
            InputKind::Skipped(reason)
        } else if !settings.extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)) {
            let gz = compression.suffix();
            let what =
                if ext.is_empty() { format!("no extension{gz}") } else { format!("extension .{ext}{gz}") };
            InputKind::Skipped(format!("{what} is not read (input.extensions = {:?})", settings.extensions))
        } else if format_of(ext).holds_records() {
            InputKind::Records
        } else if let Some(first) = taken.get(&id.0) {
            InputKind::Collision { first: first.clone() }
        } else {
            taken.insert(id.0.clone(), rel.clone());
            InputKind::Article
        };
        let format = (!matches!(kind, InputKind::Skipped(_))).then(|| format_of(ext));
        out.push(Input { rel, path, id, kind, bytes, order: order as u32, compression, format });
    }
    Ok(out)
}

/// Read and decode one article. On failure the error keeps whatever source facts were known.
pub fn read(input: &Input, settings: &ReadSettings) -> Result<Document, (SourceInfo, FileError)> {
    let mut source = SourceInfo::unread(input.rel.clone());
    source.order = input.order;
    let io = |e: std::io::Error| FileError::Io(e.to_string());
    let mut file = match fs::File::open(&input.path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let why = if fs::symlink_metadata(&input.path).is_ok() {
                "broken symlink: its target does not exist"
            } else {
                "the file was removed after the run found it"
            };
            return Err((source, FileError::Io(why.into())));
        }
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
    let Some(format) = input.format else {
        return Err((source, FileError::Io("not an article file".into())));
    };
    let (compression, limit) = (input.compression, settings.max_file_bytes);
    read_document(format, input.id.clone(), source, &mut file, compression, limit, settings.encoding)
}

/// A document from a raw article's bytes, read from `from` (a file, stdin): at most `limit`
/// bytes are taken (a file that grows while being read is still bounded); their size and
/// SHA-256 go into `source`; then they are decompressed as `compression` says, under the same
/// limit, and made a document by `format` (text is decoded as `encoding` says). Spans index the decompressed bytes.
pub(crate) fn read_document(
    format: FormatRef,
    id: DocId,
    mut source: SourceInfo,
    from: &mut dyn Read,
    compression: Compression,
    limit: u64,
    encoding: InputEncoding,
) -> Result<Document, (SourceInfo, FileError)> {
    let mut bytes = Vec::with_capacity(source.bytes.min(limit) as usize);
    if let Err(e) = from.take(limit + 1).read_to_end(&mut bytes) {
        return Err((source, FileError::Io(e.to_string())));
    }
    source.bytes = bytes.len() as u64;
    source.sha256 = sha256_hex(&bytes);
    if bytes.len() as u64 > limit {
        return Err((source, FileError::TooLarge { size: bytes.len() as u64, limit }));
    }
    // The hash and size are the file's; the text, and so the spans, are the decompressed bytes,
    // which the same limit bounds (a small file can hold a huge one).
    let c = compression;
    if c != Compression::None {
        let mut plain = Vec::new();
        let read = c
            .reader(&bytes[..])
            .and_then(|r| r.take(limit + 1).read_to_end(&mut plain).map_err(|e| c.error(e.to_string())));
        if let Err(e) = read {
            return Err((source, e));
        }
        if plain.len() as u64 > limit {
            let error = c.error(format!("decompresses to more than {limit} bytes (input.max-file-bytes)"));
            return Err((source, error));
        }
        bytes = plain;
    }
    format.article(id, source, bytes, encoding)
}

/// SHA-256 of an input file's bytes, streamed: how a later run tells an unchanged file without
/// reading it further. Files that are not read (skipped) hash to zeros, unreadable ones to
/// ones, so they count as unchanged while they stay so.
pub fn file_sha256(input: &Input) -> [u8; 32] {
    if !matches!(input.kind, InputKind::Article | InputKind::Records | InputKind::Collision { .. }) {
        return [0; 32];
    }
    let Ok(mut f) = fs::File::open(&input.path) else {
        return [0xff; 32];
    };
    let mut h = Sha256::new();
    match std::io::copy(&mut f, &mut h) {
        Ok(_) => h.finalize().into(),
        Err(_) => [0xff; 32],
    }
}

/// The units of `inputs` in order. JSONL files are streamed a line at a time, so memory stays
/// bounded by the longest line (itself bounded by `input.max-file-bytes`), not the file.
pub fn units<'a>(inputs: &'a [Input], settings: &ReadSettings) -> Units<'a> {
    Units { inputs: inputs.iter(), open: None, limit: settings.max_file_bytes }
}

/// Iterator behind [`units`].
pub struct Units<'a> {
    inputs: std::slice::Iter<'a, Input>,
    open: Option<(&'a Input, Box<dyn Records>)>,
    limit: u64,
}

impl std::fmt::Debug for Units<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.open.as_ref().map(|(input, _)| &input.rel);
        f.debug_struct("Units").field("open", &open).field("limit", &self.limit).finish()
    }
}

impl<'a> Iterator for Units<'a> {
    type Item = Unit<'a>;

    fn next(&mut self) -> Option<Unit<'a>> {
        loop {
            let Some((input, lines)) = &mut self.open else {
                let input = self.inputs.next()?;
                if input.kind != InputKind::Records {
                    return Some(Unit::File(input));
                }
                // A compressed feed is decompressed as it streams, a line at a time.
                let opened = fs::File::open(&input.path)
                    .map_err(|e| FileError::Io(e.to_string()))
                    .and_then(|f| input.compression.reader(f));
                match opened {
                    Ok(r) => {
                        let format = input.format.unwrap_or(FormatRef(&Jsonl));
                        let records =
                            format.split(Box::new(BufReader::with_capacity(1 << 16, r)), self.limit);
                        self.open = Some((input, records));
                    }
                    Err(error) => return Some(Unit::Broken { input, line: 0, error }),
                }
                continue;
            };
            let input = *input;
            match lines.next() {
                None => self.open = None,
                Some(Ok((line, bytes, too_long))) => {
                    return Some(Unit::Record(Record { input, line, bytes, too_long }));
                }
                Some(Err((line, e))) => {
                    self.open = None;
                    return Some(Unit::Broken { input, line, error: input.compression.read_error(&e) });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::jsonl::safe_id;
    use super::lines::read_line;
    use super::text::host;
    use super::text::iso_date;
    use super::*;

    fn settings() -> ReadSettings {
        ReadSettings {
            extensions: vec!["txt".into(), "md".into()],
            max_file_bytes: 1 << 20,
            encoding: InputEncoding::Detect,
            fields: Default::default(),
        }
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

    #[test]
    fn lines_end_at_lf_or_crlf_and_an_overlong_line_is_skipped_whole() {
        let mut r = std::io::Cursor::new(b"one\r\ntwo\n0123456789abcdef\nlast".to_vec());
        assert_eq!(read_line(&mut r, 8).unwrap(), Some((b"one".to_vec(), None)));
        assert_eq!(read_line(&mut r, 8).unwrap(), Some((b"two".to_vec(), None)));
        assert_eq!(read_line(&mut r, 8).unwrap(), Some((Vec::new(), Some(16))));
        assert_eq!(read_line(&mut r, 8).unwrap(), Some((b"last".to_vec(), None)));
        assert_eq!(read_line(&mut r, 8).unwrap(), None);
    }

    #[test]
    fn record_fields_are_made_safe_and_read_leniently() {
        assert_eq!(safe_id("partner/copy 1"), "partner_copy_1");
        assert_eq!(safe_id("herald/2024/04"), "herald/2024/04", "a clean relative path stays");
        assert_eq!(safe_id("a//b"), "a__b");
        assert_eq!(safe_id("a/.hidden"), "a_.hidden");
        assert_eq!(safe_id("../etc"), "_._etc");
        assert_eq!(safe_id("été-2024"), "été-2024");
        assert_eq!(host("https://www.Example.com:8080/a?b#c").as_deref(), Some("example.com"));
        assert_eq!(host("news.site.example/x").as_deref(), Some("news.site.example"));
        assert_eq!(iso_date("2025-12-05T10:00:00Z").as_deref(), Some("2025-12-05"));
        assert_eq!(iso_date("5 Dec 2025"), None);
    }

    #[test]
    fn a_jsonl_file_streams_one_unit_per_non_blank_line() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a.txt"), "x").unwrap();
        fs::write(
            d.path().join("feed.jsonl"),
            "{\"id\": 7, \"text\": \"hi\"}\n\n  \n{\"text\": \"yo\", \"url\": \"https://b.example/\"}\n",
        )
        .unwrap();
        let s = ReadSettings { extensions: vec!["txt".into(), "jsonl".into()], ..settings() };
        let inputs = discover(d.path(), &s).unwrap();
        let units: Vec<_> = units(&inputs, &s).collect();
        assert_eq!(units.len(), 3);
        assert!(matches!(&units[0], Unit::File(i) if i.rel == "a.txt"));
        let docs: Vec<Document> = units[1..]
            .iter()
            .map(|u| match u {
                Unit::Record(r) => record(r, &s).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!((docs[0].id.0.as_str(), docs[0].source.line), ("7", Some(1)));
        assert_eq!((docs[1].id.0.as_str(), docs[1].source.line), ("feed-4", Some(4)));
        assert_eq!(docs[1].source.site.as_deref(), Some("b.example"));
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_files_are_read_as_the_file_inside() {
        let d = tempfile::tempdir().unwrap();
        let text = "Headline\n\nThe council approved the bridge on Monday.\n";
        fs::write(d.path().join("a.txt.gz"), gz(text.as_bytes())).unwrap();
        let feed = "{\"id\": 1, \"text\": \"one\"}\n{\"id\": 2, \"text\": \"two\"}\n";
        // Two gzip members one after the other, as `cat a.gz b.gz` makes.
        let mut two = gz(&feed.as_bytes()[..22]);
        two.extend(gz(&feed.as_bytes()[22..]));
        fs::write(d.path().join("feed.jsonl.gz"), two).unwrap();
        fs::write(d.path().join("notes.gz"), gz(b"x")).unwrap();
        fs::write(d.path().join("broken.txt.gz"), b"\x1f\x8bnot gzip at all").unwrap();
        let s = ReadSettings { extensions: vec!["txt".into(), "jsonl".into()], ..settings() };
        let inputs = discover(d.path(), &s).unwrap();
        let rows: Vec<_> = inputs
            .iter()
            .map(|i| (i.rel.as_str(), i.id.0.as_str(), i.compression == Compression::Gzip))
            .collect();
        assert_eq!(
            rows,
            [
                ("a.txt.gz", "a", true),
                ("broken.txt.gz", "broken", true),
                ("feed.jsonl.gz", "feed", true),
                ("notes.gz", "notes", true)
            ]
        );
        assert!(
            matches!(&inputs[3].kind, InputKind::Skipped(r) if r.contains("no extension.gz")),
            "{:?}",
            inputs[3].kind
        );
        let doc = read(&inputs[0], &s).unwrap();
        assert_eq!(doc.raw, text);
        let raw = fs::read(d.path().join("a.txt.gz")).unwrap();
        assert_eq!((doc.source.bytes, doc.source.sha256.clone()), (raw.len() as u64, sha256_hex(&raw)));
        let (_, e) = read(&inputs[1], &s).unwrap_err();
        assert!(matches!(e, FileError::Compressed { format: "gzip", .. }), "{e:?}");
        let records: Vec<Document> = units(&inputs[2..3], &s)
            .map(|u| match u {
                Unit::Record(r) => record(&r, &s).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        let got: Vec<_> = records.iter().map(|d| (d.id.0.as_str(), d.raw.as_str())).collect();
        assert_eq!(got, [("1", "one"), ("2", "two")]);
    }

    #[test]
    fn zstd_files_are_read_as_the_file_inside() {
        use ruzstd::encoding::{CompressionLevel, compress_to_vec};
        let d = tempfile::tempdir().unwrap();
        let text = "Headline\n\nThe ferry returns to the island on Friday.\n";
        fs::write(d.path().join("a.md.zst"), compress_to_vec(text.as_bytes(), CompressionLevel::Fastest))
            .unwrap();
        let feed = "{\"id\": 1, \"text\": \"one\"}\n{\"id\": 2, \"text\": \"two\"}\n";
        fs::write(d.path().join("b.jsonl.zst"), compress_to_vec(feed.as_bytes(), CompressionLevel::Fastest))
            .unwrap();
        fs::write(d.path().join("c.jsonl.zst"), b"not zstd").unwrap();
        let s = ReadSettings { extensions: vec!["md".into(), "jsonl".into()], ..settings() };
        let inputs = discover(d.path(), &s).unwrap();
        let ids: Vec<_> = inputs.iter().map(|i| (i.id.0.as_str(), i.compression)).collect();
        assert_eq!(ids, [("a", Compression::Zstd), ("b", Compression::Zstd), ("c", Compression::Zstd)]);
        assert_eq!(read(&inputs[0], &s).unwrap().raw, text);
        let got: Vec<String> = units(&inputs[1..], &s)
            .map(|u| match u {
                Unit::Record(r) => record(&r, &s).unwrap().raw,
                Unit::Broken { error, .. } => error.to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!((got[0].as_str(), got[1].as_str()), ("one", "two"));
        assert!(got[2].starts_with("not valid zstd data"), "{got:?}");
    }

    #[test]
    fn zstd_frames_one_after_another_and_skippable_frames_are_read_through() {
        use ruzstd::encoding::{CompressionLevel, compress_to_vec};
        let z = |t: &str| compress_to_vec(t.as_bytes(), CompressionLevel::Fastest);
        // `cat a.zst b.zst`, with a skippable frame (magic 0x184D2A5?, length, bytes) between.
        let mut joined = z("{\"id\": 1, \"text\": \"one\"}\n");
        joined.extend(0x184D_2A50u32.to_le_bytes());
        joined.extend(3u32.to_le_bytes());
        joined.extend(b"xyz");
        joined.extend(z("{\"id\": 2, \"text\": \"two\"}\n"));
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a.jsonl.zst"), &joined).unwrap();
        // Cut inside the last frame: an error, not a quietly shorter feed.
        fs::write(d.path().join("b.jsonl.zst"), &joined[..joined.len() - 4]).unwrap();
        let s = ReadSettings { extensions: vec!["jsonl".into()], ..settings() };
        let inputs = discover(d.path(), &s).unwrap();
        let got: Vec<String> = units(&inputs, &s)
            .map(|u| match u {
                Unit::Record(r) => format!("{}:{}", r.input.id, record(&r, &s).unwrap().raw),
                Unit::Broken { input, line, error } => format!("{}:{line}: {error}", input.id),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got[..3], ["a:one", "a:two", "b:one"]);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[3].starts_with("b:2: not valid zstd data"), "{got:?}");
    }

    #[test]
    fn a_small_gzip_file_that_inflates_past_the_limit_is_refused() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("bomb.txt.gz"), gz(&vec![b'a'; 1 << 20])).unwrap();
        let s = ReadSettings { max_file_bytes: 64 << 10, ..settings() };
        let inputs = discover(d.path(), &s).unwrap();
        assert!(inputs[0].bytes < 64 << 10, "the file itself is small");
        let (_, e) = read(&inputs[0], &s).unwrap_err();
        assert!(e.to_string().contains("decompresses to more than 65536 bytes"), "{e}");
    }

    /// Read the first record of a one-line JSONL file with the given field names.
    fn one_record(line: &str, names: &RecordFieldNames) -> Result<Document, String> {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("feed.jsonl"), format!("{line}\n")).unwrap();
        let s = ReadSettings { extensions: vec!["jsonl".into()], ..settings() };
        let inputs = discover(d.path(), &s).unwrap();
        let unit = units(&inputs, &s).next().unwrap();
        let Unit::Record(r) = unit else { panic!("{unit:?}") };
        let s = ReadSettings { fields: names.clone(), ..s };
        record(&r, &s).map_err(|(_, _, e)| e.to_string())
    }

    #[test]
    fn record_fields_are_read_under_the_configured_names() {
        let names = RecordFieldNames {
            id: "doc_id".into(),
            text: "content".into(),
            title: "headline".into(),
            url: "link".into(),
            site: "link_host".into(),
            date: "headline".into(), // one field may serve two roles; not a date here
            author: "byline".into(),
            html: "page".into(),
        };
        let line = r#"{"doc_id": "x/1 ", "content": "Body text.", "headline": "A title", "link": "https://www.news.example/a", "text": 5, "byline": " Jane Doe ", "meta": {"deep": [1, 2]}}"#;
        let doc = one_record(line, &names).unwrap();
        assert_eq!(doc.id.0, "x_1_");
        assert_eq!(doc.meta.author.as_deref(), Some("Jane Doe"));
        assert_eq!(doc.raw, "Body text.");
        assert_eq!(doc.meta.title.as_deref(), Some("A title"));
        assert_eq!(doc.meta.published, None);
        assert_eq!(doc.source.site.as_deref(), Some("news.example"), "the url's host, as no site field");
        // The default `text` field (a number here) is not read under these names; under the
        // defaults it is, and is refused.
        let e = one_record(line, &RecordFieldNames::default()).unwrap_err();
        assert!(e.contains("`text` (text) is not a string"), "{e}");
        let e = one_record(r#"{"doc_id": 1, "body": "x"}"#, &names).unwrap_err();
        assert!(e.contains("no `content` field"), "{e}");
        let e = one_record(r#"{"content": "a", "content": "b"}"#, &names).unwrap_err();
        assert!(e.contains("duplicate field `content`"), "{e}");
        let e = one_record(r#"{"content": "a"} trailing"#, &names).unwrap_err();
        assert!(e.contains("invalid JSON"), "{e}");
    }

    /// A records format written for the test: tab-separated `id<TAB>text` lines.
    struct Tsv;

    impl Format for Tsv {
        fn name(&self) -> &'static str {
            "tsv"
        }
        fn reads(&self, ext: &str) -> bool {
            ext == "tsv"
        }
        fn holds_records(&self) -> bool {
            true
        }
        fn record(&self, r: &Record, _: &ReadSettings) -> Result<Document, (DocId, SourceInfo, FileError)> {
            let line = String::from_utf8_lossy(&r.bytes);
            let (id, text) = line.split_once('\t').unwrap_or((&line, ""));
            Ok(Document::new(
                DocId(id.to_string()),
                SourceInfo::unread(r.input.rel.clone()),
                text.to_string(),
                0,
            ))
        }
    }

    #[test]
    fn the_format_of_a_file_comes_from_its_extension_and_a_new_format_is_one_implementation() {
        assert_eq!(format_of("JSONL").name(), "jsonl");
        assert_eq!(format_of("md").name(), "text");
        assert_eq!(format_of("html").name(), "html");
        assert_eq!(format_of("rst").name(), "text", "an extension no format claims is read as text");
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("feed.tsv"), "a\tFirst story.\n\nb\tSecond story.\n").unwrap();
        let mut found =
            discover(dir.path(), &ReadSettings { extensions: vec!["tsv".into()], ..settings() }).unwrap();
        assert_eq!(found[0].kind, InputKind::Article, "text claims .tsv until a format does");
        found[0].format = Some(FormatRef(&Tsv));
        found[0].kind = InputKind::Records;
        let docs: Vec<Document> = units(&found, &settings())
            .map(|u| match u {
                Unit::Record(r) => record(&r, &settings()).unwrap(),
                other => panic!("not a record: {other:?}"),
            })
            .collect();
        let got: Vec<(&str, &str)> = docs.iter().map(|d| (d.id.0.as_str(), d.raw.as_str())).collect();
        assert_eq!(got, [("a", "First story."), ("b", "Second story.")]);
        assert_eq!(
            FormatRef(&Tsv)
                .article(DocId("x".into()), SourceInfo::unread("x"), Vec::new(), InputEncoding::Detect)
                .unwrap_err()
                .1
                .to_string(),
            "cannot read: a tsv file holds records, not one article"
        );
    }
}
