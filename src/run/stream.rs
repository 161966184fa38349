//! `newsprep clean`: the pipeline on a stream, for Unix pipes. JSONL records (or one text
//! article) come in from stdin or a file; cleaned records, one `corpus.jsonl` line each, go out
//! on stdout, a chunk at a time.
//!
//! A chunk of [`CHUNK`](super::CHUNK) records is read, normalized in parallel,
//! counted for site boilerplate in input order, finished (metadata, boilerplate,
//! fingerprints) in parallel, passed through the dedup barrier in input order and written.
//! Memory is a chunk plus what dedup and site learning keep per document (fingerprints and
//! line counts, not text). Each record is its own position for site lines: a line learned at
//! record n applies to record n and later ones, never to records already written.

use super::barrier::{self, IdRegister};
use super::chain::Chain;
use super::chunks::CHUNK;
use super::sites::{self as site_learning, SiteLearning, SitePrint};
use crate::corpus::dedup::{Decision, Dedup, Print};
use crate::corpus::sites::SiteCounter;
use crate::error::RunError;
use crate::input::{self, FormatRef, Html, Input, InputKind, Jsonl, Record, Text, Unit};
use crate::model::{DocId, Document, DropReason, Entry, Outcome, SourceInfo};
use crate::output::{CorpusRecord, ManifestRow};
use crate::settings::Settings;
use crate::stages::boilerplate::sites::SiteKnowledge;
use crate::stages::dedup::{CanonicalPolicy, DocumentAction};
use crate::stats::DocCounts;
use rayon::prelude::*;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

/// One record's line under [`Emit::Every`].
#[derive(serde::Serialize)]
struct EveryLine<'a> {
    #[serde(flatten)]
    row: ManifestRow<'a>,
    record: Option<CorpusRecord<'a>>,
}

/// A record read, or why it could not be.
type ReadRecord = Result<Document, Box<Entry>>;

/// A document after normalizing, with its short lines for the site counter.
type Normalized = Result<(Outcome, Option<SitePrint>), Box<Entry>>;

/// What the stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// JSONL when its first non-blank byte is `{`, else one text article.
    Auto,
    /// One JSON record per line.
    Jsonl,
    /// The whole stream is one article.
    Text,
    /// The whole stream is one HTML page.
    Html,
}

/// A stream to clean.
pub struct Source {
    /// Its name in ids and messages: `stdin`, or the file's name.
    pub name: String,
    /// The bytes (decompressed already).
    pub reader: Box<dyn BufRead + Send>,
}

impl Source {
    /// Standard input, as `stdin`.
    pub fn stdin() -> Source {
        Source {
            name: "stdin".into(),
            reader: Box::new(std::io::BufReader::with_capacity(1 << 16, std::io::stdin())),
        }
    }

    /// A file, decompressed when its name ends in `.gz` or `.zst`.
    pub fn file(path: &std::path::Path) -> Result<Source, RunError> {
        let name =
            path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let f = std::fs::File::open(path)
            .map_err(|source| RunError::Input { path: path.to_path_buf(), source })?;
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        let c = input::Compression::of(ext);
        let r = c.reader(f).map_err(|e| RunError::Input {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        })?;
        Ok(Source { name, reader: Box::new(std::io::BufReader::with_capacity(1 << 16, r)) })
    }
}

/// What goes out for each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Emit {
    /// A `corpus.jsonl` line per document in the corpus (kept, and flagged duplicates); bad
    /// records are reported (`newsprep clean`).
    #[default]
    Corpus,
    /// A line per record, whatever became of it: its manifest row's fields (`status`,
    /// `message`, `duplicate_of`, ...) and, for a document that was read, its `record` (the
    /// `corpus.jsonl` record, of a dropped document too). For bindings that answer every record
    /// they are given.
    Every,
}

/// What a stream run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamSummary {
    /// Records by what happened to them.
    pub documents: DocCounts,
    /// The reader of stdout went away (`| head -1`): the stream stopped there, as asked.
    pub closed: bool,
}

/// Clean `source` to `out`, one `corpus.jsonl` line per document in the corpus. Each bad
/// record is reported to `report` (with its line) and the stream goes on.
pub fn clean(
    settings: &Settings,
    source: Source,
    format: StreamFormat,
    window: usize,
    emit: Emit,
    out: &mut dyn Write,
    report: &mut dyn FnMut(String),
) -> Result<StreamSummary, RunError> {
    if settings.dedup.canonical != CanonicalPolicy::First {
        return Err(RunError::Stream {
            message: format!(
                "dedup.document.canonical = \"{}\" settles clusters after the last document; a stream can only keep the first copy (\"first\")",
                settings.dedup.canonical.name()
            ),
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(|e| RunError::Stream { message: e.to_string() })?;
    let mut stream = Stream::new(settings, &source.name, &pool);
    stream.window = window;
    stream.emit = emit;
    let Source { name, mut reader } = source;
    let mut summary = StreamSummary::default();
    let format = match format {
        StreamFormat::Auto => match first_byte(&mut reader).map_err(|e| stream.input_error(e))? {
            // Nothing but blanks: no record and no article.
            None => return Ok(summary),
            Some(b'{') => StreamFormat::Jsonl,
            // A file named as a feed is one, whatever its first line holds: that line is a bad
            // record, reported as such.
            Some(_) if is_feed_name(&name) => StreamFormat::Jsonl,
            Some(_) if is_page(&name, &mut reader).map_err(|e| stream.input_error(e))? => StreamFormat::Html,
            Some(_) => {
                if let Some(n) = record_line(&mut reader).map_err(|e| stream.input_error(e))? {
                    report(format!(
                        "{name}: read as one text article: its first line is not a JSON object, but line {n} is; pass --input-format jsonl to read it as records"
                    ));
                }
                StreamFormat::Text
            }
        },
        f => f,
    };
    let written = match format {
        StreamFormat::Jsonl => stream.records(&mut reader, out, report, &mut summary),
        StreamFormat::Html => stream.article(&name, FormatRef(&Html), &mut reader, out, report, &mut summary),
        _ => stream.article(&name, FormatRef(&Text), &mut reader, out, report, &mut summary),
    };
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => summary.closed = true,
        Err(source) => return Err(RunError::Output { path: PathBuf::from("<stdout>"), source }),
    }
    Ok(summary)
}

/// A name that says JSONL: `.jsonl` or `.ndjson`, also under `.gz` or `.zst`.
fn is_feed_name(name: &str) -> bool {
    let n = plain_name(name);
    n.ends_with(".jsonl") || n.ends_with(".ndjson")
}

/// A stream's name, lowercase, without a `.gz` or `.zst` it was decompressed from.
fn plain_name(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    n.strip_suffix(".gz").or_else(|| n.strip_suffix(".zst")).unwrap_or(&n).to_string()
}

/// An HTML page: named `.html`/`.htm`, or starting (after blanks, a BOM and comments) with a
/// doctype or an `<html>`/`<head>` tag. Nothing is consumed.
fn is_page(name: &str, r: &mut dyn BufRead) -> std::io::Result<bool> {
    let n = plain_name(name);
    if n.ends_with(".html") || n.ends_with(".htm") {
        return Ok(true);
    }
    let buf = r.fill_buf()?;
    let start = &buf[..buf.len().min(1024)];
    let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start).trim_ascii_start();
    let lower = start.to_ascii_lowercase();
    let mut t = &lower[..];
    while let Some(rest) = t.strip_prefix(b"<!--") {
        t = match memchr::memmem::find(rest, b"-->") {
            Some(e) => rest[e + 3..].trim_ascii_start(),
            None => return Ok(false),
        };
    }
    Ok(t.starts_with(b"<!doctype html") || t.starts_with(b"<html") || t.starts_with(b"<head"))
}

/// The number (from 1) of the first line in the buffered start of the stream that reads as a
/// JSON object, without consuming anything.
fn record_line(r: &mut dyn BufRead) -> std::io::Result<Option<usize>> {
    let buf = r.fill_buf()?;
    Ok(buf.split(|&b| b == b'\n').enumerate().skip(1).find_map(|(i, line)| {
        let t = line.trim_ascii();
        (t.starts_with(b"{\"") && t.ends_with(b"}") && serde_json::from_slice::<serde_json::Value>(t).is_ok())
            .then_some(i + 1)
    }))
}

/// The first byte that is not whitespace (or a BOM), without consuming anything.
fn first_byte(r: &mut dyn BufRead) -> std::io::Result<Option<u8>> {
    let buf = r.fill_buf()?;
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    Ok(buf.iter().copied().find(|b| !b.is_ascii_whitespace()))
}

/// The stages and corpus-wide state of one stream.
struct Stream<'s> {
    settings: &'s Settings,
    pool: &'s rayon::ThreadPool,
    input: Input,
    chain: Chain,
    learning: SiteLearning,
    dedup: Dedup,
    ids: IdRegister,
    /// Records read so far: the next one's position.
    position: u32,
    /// Dedup against this many kept documents at least (twice as many at most); 0 = all.
    window: usize,
    /// What goes out per record.
    emit: Emit,
    /// With a window: the prints of the kept documents dedup holds, oldest first, with where
    /// each came from (for the id register).
    recent: std::collections::VecDeque<(Print, String, Option<u64>)>,
}

impl Stream<'_> {
    /// The stream itself (not one record) could not be read.
    fn input_error(&self, e: std::io::Error) -> RunError {
        RunError::Input { path: PathBuf::from(&self.input.rel), source: e }
    }
}

impl<'s> Stream<'s> {
    fn new(settings: &'s Settings, name: &str, pool: &'s rayon::ThreadPool) -> Self {
        let stem = name.split('.').next().filter(|s| !s.is_empty()).unwrap_or(name);
        Stream {
            settings,
            pool,
            input: Input {
                rel: name.to_string(),
                path: PathBuf::from(name),
                id: DocId(stem.to_string()),
                kind: InputKind::Records,
                bytes: 0,
                order: 0,
                compression: input::Compression::None,
                format: Some(FormatRef(&Jsonl)),
            },
            chain: Chain::new(settings, Arc::new(SiteKnowledge::default())),
            learning: SiteLearning::new(
                settings.boilerplate.sites,
                SiteCounter::new(settings.boilerplate.sites.min_docs),
                std::iter::empty(),
            ),
            dedup: Dedup::new(&settings.dedup),
            ids: IdRegister::default(),
            position: 0,
            window: 0,
            emit: Emit::Corpus,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// JSONL: chunk after chunk until the end of the stream.
    fn records(
        &mut self,
        reader: &mut dyn BufRead,
        out: &mut dyn Write,
        report: &mut dyn FnMut(String),
        summary: &mut StreamSummary,
    ) -> std::io::Result<()> {
        let mut lines = input::RecordLines::new(reader, self.settings.read.max_file_bytes);
        let mut ended = false;
        while !ended {
            let mut chunk = Vec::with_capacity(CHUNK);
            while chunk.len() < CHUNK {
                match lines.next() {
                    None => {
                        ended = true;
                        break;
                    }
                    Some(Ok(line)) => chunk.push(line),
                    // The stream itself failed (not one record: a broken gzip stream, a read
                    // error): say where, and end with what was read so far written.
                    Some(Err((line, e))) => {
                        report(format!("{}: line {line}: cannot read further: {e}", self.input.rel));
                        summary.documents.error += 1;
                        summary.documents.files += 1;
                        ended = true;
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                continue;
            }
            let first = self.position;
            self.position += chunk.len() as u32;
            let input = &self.input;
            let chain = &self.chain;
            let docs: Vec<ReadRecord> = self.pool.install(|| {
                chunk
                    .into_par_iter()
                    .enumerate()
                    .map(|(i, (line, bytes, too_long))| {
                        let mut doc = chain.read(&Unit::Record(Record { input, line, bytes, too_long }))?;
                        doc.source.order = first + i as u32;
                        Ok(doc)
                    })
                    .collect()
            });
            self.finish(docs, out, report, summary)?;
        }
        Ok(())
    }

    /// Text: the whole stream is one article, bounded by `input.max-file-bytes`.
    fn article(
        &mut self,
        name: &str,
        format: FormatRef,
        reader: &mut dyn BufRead,
        out: &mut dyn Write,
        report: &mut dyn FnMut(String),
        summary: &mut StreamSummary,
    ) -> std::io::Result<()> {
        let id = self.input.id.clone();
        let limit = self.settings.read.max_file_bytes;
        let (source, encoding) = (SourceInfo::unread(name), self.settings.read.encoding);
        let doc = input::read_document(
            format,
            id.clone(),
            source,
            reader,
            input::Compression::None,
            limit,
            encoding,
        )
        .map_err(|(source, error)| Box::new(Entry::Failed { id, source, error }));
        self.position += 1;
        self.finish(vec![doc], out, report, summary)
    }

    /// Normalize, count site lines, finish and dedup one chunk, then write it.
    fn finish(
        &mut self,
        docs: Vec<ReadRecord>,
        out: &mut dyn Write,
        report: &mut dyn FnMut(String),
        summary: &mut StreamSummary,
    ) -> std::io::Result<()> {
        let (chain, sites) = (&self.chain, &self.settings.boilerplate.sites);
        let normalized: Vec<Normalized> = self.pool.install(|| {
            docs.into_par_iter()
                .map(|d| {
                    let o = chain.normalize(d?);
                    let print = site_learning::print(sites, &o);
                    Ok((o, print))
                })
                .collect()
        });
        // Site lines are counted in input order; a line applies from the record that
        // completes its count (the knowledge's positions see to it).
        let mut outcomes = Vec::with_capacity(normalized.len());
        for n in normalized {
            outcomes.push(n.map(|(o, print)| {
                if let Some(print) = print {
                    self.learning.count_at(o.doc().source.order, print);
                }
                o
            }));
        }
        let boilerplate = chain.with_knowledge(self.learning.known());
        let entries: Vec<Entry> = self.pool.install(|| {
            outcomes
                .into_par_iter()
                .map(|o| match o {
                    Ok(o) => Entry::Done(chain.finish_with(o, &boilerplate)),
                    Err(e) => *e,
                })
                .collect()
        });
        drop(boilerplate);
        let (dedup, ids) = (&mut self.dedup, &mut self.ids);
        let (entries, _) = self.pool.install(|| barrier::barrier(entries, dedup, ids));
        let flag = self.settings.dedup.document_action == DocumentAction::Flag;
        let mut buf = Vec::with_capacity(entries.len() * 2048);
        for e in &entries {
            summary.documents.record(e);
            if self.emit == Emit::Every {
                let record = match e {
                    Entry::Done(o) => Some(CorpusRecord::new(o.doc())),
                    _ => None,
                };
                serde_json::to_writer(&mut buf, &EveryLine { row: ManifestRow::new(e), record })?;
                buf.push(b'\n');
                continue;
            }
            let record = match e {
                Entry::Done(Outcome::Keep(d)) => CorpusRecord::new(d),
                Entry::Done(Outcome::Drop(d, DropReason::Duplicate { of, .. })) if flag => {
                    CorpusRecord { duplicate_of: Some(of), ..CorpusRecord::new(d) }
                }
                Entry::Failed { source, error, .. } => {
                    report(format!("{}: {error}", source.path));
                    continue;
                }
                _ => continue,
            };
            serde_json::to_writer(&mut buf, &record)?;
            buf.push(b'\n');
        }
        if self.window > 0 {
            self.remember(&entries);
        }
        // A chunk goes out whole, so a reader sees records as soon as they are cleaned.
        out.write_all(&buf)?;
        out.flush()
    }

    /// With a window: keep the chunk's kept documents' prints (no text), and once twice
    /// the window is held, start dedup afresh from the newest `window` of them. Memory then
    /// stays bounded however long the stream runs; every record is checked against at least
    /// the `window` kept documents before it.
    fn remember(&mut self, entries: &[Entry]) {
        for e in entries {
            if let Entry::Done(Outcome::Keep(d)) = e {
                let print = Print::of(d, &self.settings.dedup);
                self.recent.push_back((print, d.source.path.clone(), d.source.line));
            }
        }
        if self.recent.len() < 2 * self.window {
            return;
        }
        let forget = self.recent.len() - self.window;
        self.recent.drain(..forget);
        self.dedup = Dedup::new(&self.settings.dedup);
        self.ids = IdRegister::default();
        // Replayed in order: each was kept against a superset of what it meets now, so each is
        // kept again and enters the index (and its id the register).
        for (print, path, line) in &self.recent {
            self.ids.note(print.id.clone(), path, *line);
            let sealed = self.dedup.look_up(print);
            let decision = self.dedup.check(print, sealed);
            debug_assert!(matches!(decision, Decision::Keep(ref r) if r.is_empty()));
            self.dedup.seal();
        }
    }
}
