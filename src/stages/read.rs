//! Stage 1, read: find the input files in sorted order and decode each into a [`Document`].
//!
//! Discovery decides every file's fate up front (article, skipped, id collision), so the manifest
//! can give every file a row. Reading checks size, computes the SHA-256 of the raw bytes, refuses
//! binary data and invalid text with the offset, and decodes the rest ([`decode`]: UTF-8, or
//! UTF-16 and legacy encodings mapped back to raw bytes, so spans still index the file).

pub mod decode;

pub use decode::InputEncoding;

use crate::error::{FileError, RunError};
use crate::model::{DocId, Document, SourceInfo};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
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
    /// Its size when it was found (0 if unknown), for progress; reading measures it again.
    pub bytes: u64,
    /// Its place in corpus order: its place in path order, unless the pipeline keeps the order
    /// of an earlier run.
    pub order: u32,
    /// Compressed (`a.txt.gz`, `feed.jsonl.zst`): read through a decompressor.
    pub compression: Compression,
}

/// How a raw file is compressed, by its last extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// `.gz` (gzip; members joined by `cat` too).
    Gzip,
    /// `.zst` (zstd; frames one after another, as `cat a.zst b.zst` or `zstd -T0` make, and
    /// skippable frames, are read through).
    Zstd,
}

impl Compression {
    pub(crate) fn of(ext: &str) -> Compression {
        match ext.to_ascii_lowercase().as_str() {
            "gz" => Compression::Gzip,
            "zst" => Compression::Zstd,
            _ => Compression::None,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Compression::None => "",
            Compression::Gzip => ".gz",
            Compression::Zstd => ".zst",
        }
    }

    /// `r`, decompressed.
    pub(crate) fn reader<'r>(self, r: impl Read + Send + 'r) -> Result<Box<dyn Read + Send + 'r>, FileError> {
        Ok(match self {
            Compression::None => Box::new(r),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
            Compression::Zstd => {
                Box::new(ZstdFrames::new(BufReader::new(r)).map_err(|e| self.error(e.to_string()))?)
            }
        })
    }

    /// An error in the compressed data.
    pub(crate) fn error(self, message: String) -> FileError {
        let format = if self == Compression::Zstd { "zstd" } else { "gzip" };
        FileError::Compressed { format, message }
    }

    /// A read that failed: the file's own error, or, through a decompressor, its data's.
    fn read_error(self, e: &std::io::Error) -> FileError {
        match self {
            Compression::None => FileError::Io(e.to_string()),
            c => c.error(e.to_string()),
        }
    }
}

/// A zstd stream of any number of frames: `cat a.zst b.zst` and multi-threaded `zstd` write
/// several, and ruzstd's streaming decoder stops after one, so this drives its frame decoder
/// frame after frame until the input ends. Skippable frames (metadata some tools write) are
/// passed over.
struct ZstdFrames<R: BufRead> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    /// A frame is being decoded.
    open: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(source: R) -> std::io::Result<Self> {
        let mut z = ZstdFrames { source, decoder: ruzstd::decoding::FrameDecoder::new(), open: false };
        if !z.next_frame()? {
            return Err(std::io::Error::other("no zstd frame"));
        }
        Ok(z)
    }

    /// Start the next frame; false at the end of the input.
    fn next_frame(&mut self) -> std::io::Result<bool> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.init(&mut self.source) {
                Ok(()) => {
                    self.open = true;
                    return Ok(true);
                }
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let length = u64::from(length);
                    let skipped = std::io::copy(&mut (&mut self.source).take(length), &mut std::io::sink())?;
                    if skipped < length {
                        return Err(std::io::Error::other("a skippable frame is cut short"));
                    }
                }
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.open {
                if !self.next_frame()? {
                    return Ok(0);
                }
                continue;
            }
            let d = &mut self.decoder;
            while d.can_collect() == 0 && !d.is_finished() {
                d.decode_blocks(&mut self.source, ruzstd::decoding::BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(std::io::Error::other)?;
            }
            let n = d.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The frame is done and drained: the next one, if any, follows.
            self.open = false;
        }
    }
}

/// The fate decided at discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    /// Read as an article.
    Article,
    /// A JSONL file: one article per line.
    Records,
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
        } else if ext.eq_ignore_ascii_case("jsonl") {
            InputKind::Records
        } else if let Some(first) = taken.get(&id.0) {
            InputKind::Collision { first: first.clone() }
        } else {
            taken.insert(id.0.clone(), rel.clone());
            InputKind::Article
        };
        out.push(Input { rel, path, id, kind, bytes, order: order as u32, compression });
    }
    Ok(out)
}

/// A file found by [`walk`]: relative path, path, size, and why it is skipped (if it is).
type Found = (String, PathBuf, u64, Option<String>);

fn walk(dir: &Path, prefix: &str, out: &mut Vec<Found>) -> std::io::Result<()> {
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
    let (compression, limit) = (input.compression, settings.max_file_bytes);
    read_document(input.id.clone(), source, &mut file, compression, limit, settings.encoding)
}

/// A document from a raw article's bytes, read from `from` (a file, stdin): at most `limit`
/// bytes are taken (a file that grows while being read is still bounded); their size and
/// SHA-256 go into `source`; then they are decompressed as `compression` says, under the same
/// limit, and decoded as `encoding` says. Spans index the decompressed bytes.
pub(crate) fn read_document(
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
    source.sha256 = hex(&Sha256::digest(&bytes));
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
    match decode::decode(bytes, encoding) {
        Ok(d) => {
            source.encoding = d.encoding.name();
            source.site = stated_site(&d.text);
            source.note = d.scrubbed.map(|(n, first)| {
                let s = if n == 1 { "" } else { "s" };
                format!("{n} stray control byte{s} (NUL or C0) read as spaces, the first at offset {first}")
            });
            Ok(Document::mapped(id, source, d.text, d.map))
        }
        Err(e) => Err((source, e)),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One unit of work, in input order: an article file, or one line of a JSONL file.
#[derive(Debug)]
pub enum Unit<'a> {
    /// An input file (read when processed).
    File(&'a Input),
    /// One line of a JSONL file, as read.
    Record(Record<'a>),
    /// A JSONL file that could not be opened, or not read past some line.
    Broken {
        /// The file.
        input: &'a Input,
        /// The line that could not be read (0: the file could not be opened).
        line: u64,
        /// Why.
        error: FileError,
    },
}

impl<'a> Unit<'a> {
    /// The input file it comes from.
    pub fn input(&self) -> &'a Input {
        match self {
            Unit::File(i) => i,
            Unit::Record(r) => r.input,
            Unit::Broken { input, .. } => input,
        }
    }

    /// Raw bytes this unit stands for, for progress.
    pub fn bytes(&self) -> u64 {
        match self {
            Unit::File(i) => i.bytes,
            Unit::Record(r) => r.bytes.len() as u64 + 1,
            Unit::Broken { .. } => 0,
        }
    }
}

/// One line of a JSONL file.
#[derive(Debug)]
pub struct Record<'a> {
    /// The file.
    pub input: &'a Input,
    /// Line number, from 1.
    pub line: u64,
    /// The line without its line end; empty if it was longer than the limit.
    pub bytes: Vec<u8>,
    /// Its length when it was over `input.max-file-bytes` (then `bytes` is empty).
    pub too_long: Option<u64>,
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

/// A JSONL file being streamed (decompressed when it is gzip).
type LineReader = BufReader<Box<dyn Read + Send>>;

/// Iterator behind [`units`].
pub struct Units<'a> {
    inputs: std::slice::Iter<'a, Input>,
    open: Option<(&'a Input, RecordLines<LineReader>)>,
    limit: u64,
}

impl std::fmt::Debug for Units<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.open.as_ref().map(|(input, lines)| (&input.rel, lines.line));
        f.debug_struct("Units").field("open", &open).field("limit", &self.limit).finish()
    }
}

/// One line of a JSONL stream: its number (from 1), its bytes without the line end, and its
/// length when it was over the limit (then the bytes are empty).
pub(crate) type RawLine = (u64, Vec<u8>, Option<u64>);

/// The lines of a JSONL stream (a file, stdin) that can hold records: blank lines are passed
/// over but counted, so each line keeps its number in the file. A stream that fails gives its
/// error with the line being read, and should be read no further.
pub(crate) struct RecordLines<R> {
    reader: R,
    line: u64,
    limit: u64,
}

impl<R: BufRead> RecordLines<R> {
    /// Lines of `reader`, each bounded by `limit` bytes (see [`read_line`]).
    pub(crate) fn new(reader: R, limit: u64) -> Self {
        RecordLines { reader, line: 0, limit }
    }
}

impl<R: BufRead> Iterator for RecordLines<R> {
    type Item = Result<RawLine, (u64, std::io::Error)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line += 1;
            match read_line(&mut self.reader, self.limit) {
                Ok(None) => return None,
                Ok(Some((mut bytes, too_long))) => {
                    // A feed saved with a UTF-8 byte order mark: the mark is not part of the
                    // first record.
                    if self.line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
                        bytes.drain(..3);
                    }
                    // Blank lines hold no record.
                    if too_long.is_none() && bytes.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(Ok((self.line, bytes, too_long)));
                }
                Err(e) => return Some(Err((self.line, e))),
            }
        }
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
                        let lines = RecordLines::new(BufReader::with_capacity(1 << 16, r), self.limit);
                        self.open = Some((input, lines));
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

/// The next line without its `\n` / `\r\n`; `None` at the end of the file. A line longer than
/// `limit` is skipped to its end and returned empty with its length.
fn read_line(r: &mut impl BufRead, limit: u64) -> std::io::Result<Option<(Vec<u8>, Option<u64>)>> {
    let mut buf = Vec::new();
    let n = r.by_ref().take(limit + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some((buf, None)));
    }
    if (buf.len() as u64) <= limit {
        return Ok(Some((buf, None))); // the last line, without a line end
    }
    // Over the limit: skip the rest of the line without holding it.
    let mut len = buf.len() as u64;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                len += i as u64;
                r.consume(i + 1);
                break;
            }
            None => {
                let k = chunk.len();
                len += k as u64;
                r.consume(k);
            }
        }
    }
    Ok(Some((Vec::new(), Some(len))))
}

/// The fields newsprep reads from a JSONL record, found under the names `[input.fields]` gives
/// (one field may serve several roles); other fields are skipped without being built.
#[derive(Debug, Default)]
struct RecordFields {
    id: Option<serde_json::Value>,
    text: Option<String>,
    title: Option<String>,
    url: Option<String>,
    site: Option<String>,
    date: Option<String>,
    author: Option<String>,
}

/// Reads a record's fields as [`RecordFields`], by the configured names.
struct Pick<'a>(&'a RecordFieldNames);

impl<'de> serde::de::DeserializeSeed<'de> for Pick<'_> {
    type Value = RecordFields;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RecordFields, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pick<'_> {
    type Value = RecordFields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<RecordFields, M::Error> {
        use serde::de::Error;
        use serde_json::Value;
        let n = self.0;
        // Role order: id, text, title, url, site, date, author (a key's roles are bits in this
        // order).
        let names = [&n.id, &n.text, &n.title, &n.url, &n.site, &n.date, &n.author].map(String::as_str);
        let mut f = RecordFields::default();
        let mut seen = 0u8;
        while let Some(roles) = m.next_key_seed(Roles(&names))? {
            if roles == 0 {
                m.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let key = names[roles.trailing_zeros() as usize];
            if seen & roles != 0 {
                return Err(M::Error::custom(format!("duplicate field `{key}`")));
            }
            seen |= roles;
            let mut value: Value = m.next_value()?;
            let string = |role: &str, value: Value| match value {
                Value::String(s) => Ok(Some(s)),
                Value::Null => Ok(None),
                _ => Err(M::Error::custom(format!("`{key}` ({role}) is not a string"))),
            };
            // Each role the key serves, in bit order: roles sharing a field get copies, the
            // last one takes the value itself (most keys serve one role: no copy).
            let mut left = roles;
            while left != 0 {
                let bit = left.trailing_zeros();
                left &= left - 1;
                let v = if left == 0 { std::mem::take(&mut value) } else { value.clone() };
                match bit {
                    0 => f.id = Some(v),
                    1 => f.text = string("text", v)?,
                    2 => f.title = string("title", v)?,
                    3 => f.url = string("url", v)?,
                    4 => f.site = string("site", v)?,
                    5 => f.date = string("date", v)?,
                    _ => f.author = string("author", v)?,
                }
            }
        }
        Ok(f)
    }
}

/// Which roles a record's key serves, as bits in the order of `names`, found without building
/// the key (most keys of a scraped record are none of them).
struct Roles<'a>(&'a [&'a str; 7]);

impl<'de> serde::de::DeserializeSeed<'de> for Roles<'_> {
    type Value = u8;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u8, D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Roles<'_> {
    type Value = u8;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<u8, E> {
        Ok(self.0.iter().enumerate().filter(|(_, n)| **n == key).fold(0, |m, (i, _)| m | 1 << i))
    }
}

/// Turn a JSONL line into a document. The id is the record's `id` (made safe as a file name),
/// or `<file stem>-<line>`. Byte spans of its paragraphs are offsets into the record's `text`.
pub fn record(r: &Record, names: &RecordFieldNames) -> Result<Document, (DocId, SourceInfo, FileError)> {
    let fallback = DocId(format!("{}-{}", r.input.id.0, r.line));
    let mut source = SourceInfo::unread(r.input.rel.clone());
    source.line = Some(r.line);
    source.order = r.input.order;
    let fail = |id: DocId, source: SourceInfo, message: String| {
        Err((id, source, FileError::Record { line: r.line, message }))
    };
    if let Some(len) = r.too_long {
        source.bytes = len;
        return fail(fallback, source, format!("line is {len} bytes, over the limit (input.max-file-bytes)"));
    }
    source.bytes = r.bytes.len() as u64;
    source.sha256 = hex(&Sha256::digest(&r.bytes));
    if r.bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return fail(fallback, source, "not a JSON object".into());
    }
    let mut de = serde_json::Deserializer::from_slice(&r.bytes);
    let fields = match serde::de::DeserializeSeed::deserialize(Pick(names), &mut de).and_then(|f| {
        de.end()?;
        Ok(f)
    }) {
        Ok(f) => f,
        Err(e) => return fail(fallback, source, format!("invalid JSON: {e}")),
    };
    let id = match &fields.id {
        Some(serde_json::Value::String(s)) if !s.is_empty() => DocId(safe_id(s)),
        Some(serde_json::Value::Number(n)) => DocId(n.to_string()),
        _ => fallback,
    };
    // A field given as blank is not given.
    let given = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let site = given(fields.site);
    source.site = site.clone().or_else(|| fields.url.as_deref().and_then(host));
    let Some(text) = fields.text else {
        return fail(id, source, format!("no `{}` field (input.fields.text)", names.text));
    };
    source.encoding = encoding_rs::UTF_8.name();
    let mut doc = Document::new(id, source, text, 0);
    doc.meta.title = given(fields.title);
    doc.meta.published = fields.date.as_deref().and_then(iso_date);
    doc.meta.author = given(fields.author);
    doc.meta.site = site;
    Ok(doc)
}

/// An id usable as a file name: letters, digits, `.`, `_` and `-` are kept, anything else
/// becomes `_`; no leading dot. A clean relative path (`/`-separated such names) stays.
fn safe_id(s: &str) -> String {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    // An id that is already a clean relative path, as newsprep's own ids are (`herald/04`),
    // is kept, so a cleaned corpus fed back in keeps its ids.
    if s.split('/').all(|seg| !seg.is_empty() && !seg.starts_with('.') && seg.chars().all(allowed)) {
        return s.to_string();
    }
    let mut id: String = s.chars().map(|c| if allowed(c) { c } else { '_' }).collect();
    if id.starts_with('.') {
        id.replace_range(..1, "_");
    }
    id
}

/// The site a page dump states about itself near its top: the address line of Jina Reader
/// (`URL Source: https://...`), a front matter or metadata key (`url:`, `sourceURL:`,
/// `source:`, `canonical:`, `og:url:`). Its host is the document's site, so a flat folder of
/// pages from many sites is many sites to site learning. Links in the text are not addresses
/// the page states about itself, so they are not read.
pub fn stated_site(text: &str) -> Option<String> {
    static STATED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)^\s*["']?(?:url source|url|source ?url|source|canonical(?: ?url)?|og:url|permalink)["']?\s*:\s*["'<]?(https?://[^\s"'>]+)"#,
        )
        .unwrap()
    });
    text.lines().take(30).find_map(|l| STATED.captures(l).and_then(|c| host(&c[1])))
}

/// `https://www.example.com/a/b` -> `example.com`.
fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?.split(':').next()?;
    let host = host.strip_prefix("www.").unwrap_or(host).to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The `YYYY-MM-DD` a date field starts with (`2025-12-05T10:00:00Z` -> `2025-12-05`).
fn iso_date(s: &str) -> Option<String> {
    let d = s.trim().get(..10)?;
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)).then(|| d.to_string())
}

#[cfg(test)]
mod stated_site_tests {
    use super::stated_site;

    #[test]
    fn a_page_states_its_site_near_the_top() {
        let jina = "Title: Bridge works reach Harbourton\n\nURL Source: https://www.harbourgazette.com/news/bridge\n\nMarkdown Content:\nThe council said...";
        assert_eq!(stated_site(jina).as_deref(), Some("harbourgazette.com"));
        let front = "---\ntitle: Bridge\nsourceURL: \"https://news.example.org/a?b=1\"\n---\n\nText";
        assert_eq!(stated_site(front).as_deref(), Some("news.example.org"));
        let link = "The council said, according to [the minutes](https://other.example/minutes), that...";
        assert_eq!(stated_site(link), None, "a link in the text is not the page's address");
    }
}

/// How inputs are found and read.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    /// Extensions read as articles, lowercase, without the dot.
    pub extensions: Vec<String>,
    /// Larger files are refused.
    pub max_file_bytes: u64,
    /// How article files are decoded.
    pub encoding: decode::InputEncoding,
    /// The JSONL fields read, by role.
    pub fields: RecordFieldNames,
}

/// The JSONL record fields read, by role (see `[input.fields]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFieldNames {
    /// Document id.
    pub id: String,
    /// Article text.
    pub text: String,
    /// Headline.
    pub title: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Publication date.
    pub date: String,
    /// Author.
    pub author: String,
}

impl Default for RecordFieldNames {
    fn default() -> Self {
        let f = |s: &str| s.to_string();
        RecordFieldNames {
            id: f("id"),
            text: f("text"),
            title: f("title"),
            url: f("url"),
            site: f("site"),
            date: f("date"),
            author: f("author"),
        }
    }
}

#[cfg(test)]
mod tests {
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
                Unit::Record(r) => record(r, &s.fields).unwrap(),
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
        assert_eq!(
            (doc.source.bytes, doc.source.sha256.clone()),
            (raw.len() as u64, hex(&Sha256::digest(&raw)))
        );
        let (_, e) = read(&inputs[1], &s).unwrap_err();
        assert!(matches!(e, FileError::Compressed { format: "gzip", .. }), "{e:?}");
        let records: Vec<Document> = units(&inputs[2..3], &s)
            .map(|u| match u {
                Unit::Record(r) => record(&r, &s.fields).unwrap(),
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
                Unit::Record(r) => record(&r, &s.fields).unwrap().raw,
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
                Unit::Record(r) => format!("{}:{}", r.input.id, record(&r, &s.fields).unwrap().raw),
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
        record(&r, names).map_err(|(_, _, e)| e.to_string())
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
}
