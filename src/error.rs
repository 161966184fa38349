//! Typed errors below `main`: every variant carries the path (and, for config, the place) it is about.
//!
//! Two families: [`ConfigError`] stops a run before anything is written (exit 2), while
//! [`FileError`] belongs to one input file, becomes an `error` row in the manifest and lets the
//! rest of the batch go on (exit 1).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// One problem found in `pipeline.toml`, with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// 1-based line of the offending key or value (0 when the place is unknown).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key path, e.g. `dedup.paragraph.max-distance` or `boilerplate.rules[2].match`.
    pub key: String,
    /// What is wrong, in the words of the parser or validator.
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        } else {
            write!(f, "{}:{}: `{}`: {}", self.line, self.column, self.key, self.message)
        }
    }
}

/// Why the configuration could not be used. Always reported before any output is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The file was read but holds one or more errors; all of them are listed.
    #[error("{} error{} in {}:\n{}", issues.len(), if issues.len() == 1 { "" } else { "s" }, path.display(), list(path, issues))]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Every problem found, in file order.
        issues: Vec<ConfigIssue>,
    },
    /// A value given on the command line is out of range.
    #[error("invalid command-line value for {flag}: {message}")]
    Flag {
        /// The flag, e.g. `--jobs`.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
}

fn list(path: &std::path::Path, issues: &[ConfigIssue]) -> String {
    issues.iter().map(|i| format!("  {}:{i}", path.display())).collect::<Vec<_>>().join("\n")
}

/// A problem with one input file. The run goes on; the file gets an `error` row in the manifest.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileError {
    /// The OS refused to open or read it.
    #[error("cannot read: {0}")]
    Io(String),
    /// Larger than `input.max-file-bytes`.
    #[error("file is {size} bytes, over the limit of {limit} (input.max-file-bytes)")]
    TooLarge {
        /// Size of the file.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A compressed file (`.gz`, `.zst`) whose data cannot be decompressed, or that
    /// decompresses past the size limit.
    #[error("not valid {format} data: {message}")]
    Compressed {
        /// `gzip` or `zstd`.
        format: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Holds NUL bytes: not a text file.
    #[error("binary file: NUL byte at offset {offset}")]
    Binary {
        /// Byte offset of the first NUL.
        offset: usize,
    },
    /// Not valid UTF-8.
    #[error("not valid UTF-8: invalid byte sequence at offset {offset}")]
    Encoding {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// Not valid in the encoding it was declared (by a BOM or `input.encoding`) or detected in.
    #[error("not valid {encoding}: malformed sequence at offset {offset}")]
    Malformed {
        /// The encoding's WHATWG name.
        encoding: &'static str,
        /// Byte offset of the sequence.
        offset: usize,
    },
    /// Decoded from a legacy encoding, it holds control characters: binary data, not text.
    #[error("binary file: control character U+{code:04X} at offset {offset} (read as {encoding})")]
    NotText {
        /// The encoding it was read as.
        encoding: &'static str,
        /// Byte offset of the character.
        offset: usize,
        /// The character.
        code: u32,
    },
    /// A JSONL line that is not a usable record.
    #[error("line {line}: {message}")]
    Record {
        /// Line number, from 1.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A WARC record that is not a page (a request, metadata, an image): skipped and counted,
    /// not an error.
    #[error("record {record}: {reason}")]
    NotAPage {
        /// The record's number in its file, from 1.
        record: u64,
        /// What it is.
        reason: String,
    },
    /// A WARC record that cannot be read.
    #[error("record {record}: {message}")]
    WarcRecord {
        /// The record's number in its file, from 1.
        record: u64,
        /// What is wrong with it.
        message: String,
    },
    /// Another input maps to the same document id (e.g. `a.txt` and `a.md`, or two records of
    /// a feed with one `id`).
    #[error("{}", match line {
        Some(l) => format!("document id `{id}` of line {l} is already taken by {first}; give one of the records another id"),
        None => format!("document id `{id}` is already taken by {first}; rename one of the files"),
    })]
    IdCollision {
        /// The id both would get.
        id: String,
        /// The source that took it first (in sorted order), with its line for a record.
        first: String,
        /// The line of the record that came second, for a record.
        line: Option<u64>,
    },
}

/// Why a run could not proceed at all (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Invalid configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The input path does not exist or cannot be listed.
    #[error("cannot read input {path}: {source}")]
    Input {
        /// The input path.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Corpus state kept beside the output (`.newsprep/`) could not be read.
    #[error("cannot read corpus state {path}: {message}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// Another run holds the output folder.
    #[error(
        "another newsprep run (pid {pid}) is writing to this output folder; wait for it to finish (lock file {path})"
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder's process id, as the lock file gives it.
        pid: String,
    },
    /// A raw file is gone and files before it must be cleaned again, so its output cannot stay.
    #[error(
        "{file} is gone from the input, and earlier files changed, so its output cannot be kept as it was: restore it, or run with --prune to remove its output"
    )]
    Gone {
        /// The missing file, relative to the input folder.
        file: String,
    },
    /// A setting that a stream (`newsprep clean`) cannot honour.
    #[error("cannot clean a stream: {message}")]
    Stream {
        /// What and why.
        message: String,
    },
    /// The output could not be written.
    #[error("cannot write output {path}: {source}")]
    Output {
        /// The file or folder that could not be written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}
