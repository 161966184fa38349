//! Part of input: what the readers hand on. A file found ([`Input`]) and its fate, one unit of
//! work ([`Unit`]: a file, or one record of a feed), and the [`Format`] trait each input format
//! implements: text and markdown ([`super::text`]) and JSONL ([`super::jsonl`]) today; HTML,
//! WARC and Parquet are each one more implementation.

use super::compress::Compression;
use super::decode::InputEncoding;
use super::lines::{RawLine, RecordLines};
use super::settings::ReadSettings;
use crate::error::FileError;
use crate::model::{DocId, Document, SourceInfo};
use sha2::{Digest, Sha256};
use std::io::BufRead;
use std::path::PathBuf;

/// An input format: which files it reads and how their bytes become documents. A file holds
/// one article ([`article`](Format::article)) or a stream of records
/// ([`split`](Format::split), then [`record`](Format::record) on each, in parallel).
pub trait Format: Send + Sync + 'static {
    /// Its name, in messages.
    fn name(&self) -> &'static str;

    /// Does it read files with this extension (lowercase, without the dot, after any `.gz` or
    /// `.zst` is taken off)?
    fn reads(&self, ext: &str) -> bool;

    /// Does a file hold many records (streamed as units) rather than one article?
    fn holds_records(&self) -> bool {
        false
    }

    /// One article: a file's bytes, decompressed, as a document (spans index `bytes`).
    fn article(
        &self,
        id: DocId,
        source: SourceInfo,
        bytes: Vec<u8>,
        encoding: InputEncoding,
    ) -> Result<Document, (SourceInfo, FileError)> {
        let _ = (id, bytes, encoding);
        Err((source, FileError::Io(format!("a {} file holds records, not one article", self.name()))))
    }

    /// The records of a records file, in order, each with its position (the line, from 1).
    /// Lines by default; a reader of the file as it streams, each record bounded by `limit`.
    fn split(&self, reader: Box<dyn BufRead + Send>, limit: u64) -> Box<dyn Records> {
        Box::new(RecordLines::new(reader, limit))
    }

    /// One record as a document. The default refuses: an article format has no records.
    fn record(
        &self,
        r: &Record,
        settings: &ReadSettings,
    ) -> Result<Document, (DocId, SourceInfo, FileError)> {
        let _ = settings;
        let source = SourceInfo::unread(r.input.rel.clone());
        let message = format!("a {} file holds one article, not records", self.name());
        Err((r.input.id.clone(), source, FileError::Record { line: r.line, message }))
    }
}

/// The records of one file as they stream: each a [`RawLine`], or the error that ends it.
pub trait Records: Iterator<Item = Result<RawLine, (u64, std::io::Error)>> + Send {}

impl<T: Iterator<Item = Result<RawLine, (u64, std::io::Error)>> + Send> Records for T {}

/// A format, compared and shown by its name.
#[derive(Clone, Copy)]
pub struct FormatRef(pub &'static dyn Format);

impl std::ops::Deref for FormatRef {
    type Target = dyn Format;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for FormatRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.name() == other.0.name()
    }
}

impl Eq for FormatRef {}

impl std::fmt::Debug for FormatRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

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
    /// The format its extension names (none for a file that is not read).
    pub format: Option<FormatRef>,
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

/// The SHA-256 of `bytes`, as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
