//! Part of the run: one corpus run over a feed cut into shards and phases that exchange plain
//! Parquet, so an engine (Ray, Spark) can spread the shards over many processes or machines
//! and still decide exactly what one `newsprep run` over the feed decides. newsprep schedules
//! nothing here: each phase is one call, and the engine runs them.
//!
//! A shard is a contiguous range of the feed's records, so the global order key (shard,
//! position) is the feed's order. The phases, with what they write into the work folder:
//!
//! 1. [`site_lines`], per shard: read and normalize, count each short line's documents ->
//!    `sites-00000.parquet` (site, key, documents, its first two texts).
//! 2. [`learn_sites`], global: the shards' counts added in shard order, as one machine counts a
//!    feed ahead of cleaning it -> `.newsprep/sites.json`, the lines learned from the batch.
//! 3. [`prints`], per shard: clean with those lines, fingerprint -> `prints-00000.parquet`
//!    (a row per record: id, status, body fingerprint) and `paragraphs-00000.parquet` (a row
//!    per paragraph that dedup compares: fingerprint and span). No text.
//! 4. [`decide`], global: the prints in global order through the same dedup barrier and id
//!    register as one machine -> `decisions-00000.parquet` per shard (a row per record the
//!    barrier changes, and per paragraph it removes).
//! 5. [`apply`], per shard: clean again (the stages are pure, so the documents are the ones
//!    printed) and apply the decisions -> `corpus-00000.jsonl`, `manifest-00000.csv`,
//!    `duplicates-00000.csv`, whose concatenation in shard order is one run's corpus.jsonl,
//!    manifest.csv and duplicates.csv.
//!
//! Cleaning twice (3 and 5) costs the stages' time again but keeps what crosses between
//! processes to prints: the documents themselves never travel.

use super::barrier::IdRegister;
use super::chain::Chain;
use super::chunks::{CHUNK, pipelined};
use super::sites as site_learning;
use crate::corpus::clusters::{Resolution, Swap};
use crate::corpus::dedup::{CorpusIndex, Decision, Dedup, Lookups, Para, ParaPrint, Print};
use crate::corpus::pairs::{Candidate, PairIndex, paragraph_item};
use crate::corpus::sites::SiteCounter;
use crate::error::{FileError, RunError};
use crate::input::{self, Input, InputKind, Unit};
use crate::model::{
    DocId, DropReason, DuplicateBasis, Entry, Fingerprint, Outcome, ParaMatch, ParaRef, SKETCH, Sketch,
};
use crate::output::{
    CorpusRecord, DUPLICATES_HEADER, DuplicateOutput, DuplicateRow, ManifestRow, file, in_corpus,
    settle_shard,
};
use crate::settings::Settings;
use crate::stages::boilerplate::sites::{self as site_knowledge, SiteKnowledge};
use crate::stages::dedup::DocumentAction;
use crate::stages::dedup::index::{FingerprintIndex, KEY_BUCKET_CAP, KEY_MAX_DISTANCE, NearIndex};
use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, UInt32Type, UInt64Type};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, Float32Array, ListArray, PrimitiveArray, RecordBatch, StringArray,
    UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One of `count` contiguous ranges of a feed's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which, from 0.
    pub index: u32,
    /// How many in all.
    pub count: u32,
}

impl Shard {
    /// Shard `index` of `count`; an index past the count is an error.
    pub fn new(index: u32, count: u32) -> Result<Shard, RunError> {
        if count == 0 || index >= count {
            return Err(RunError::Stream { message: format!("shard {index} of {count} does not exist") });
        }
        Ok(Shard { index, count })
    }

    /// The records of this shard among `n`: the `index`-th of `count` near-equal ranges.
    fn range(self, n: u64) -> std::ops::Range<u64> {
        let at = |i: u32| n * u64::from(i) / u64::from(self.count);
        at(self.index)..at(self.index + 1)
    }

    /// `stem-00003.ext`.
    pub fn file(self, stem: &str, ext: &str) -> String {
        shard_file(stem, self.index, ext)
    }
}

fn shard_file(stem: &str, index: u32, ext: &str) -> String {
    format!("{stem}-{index:05}.{ext}")
}

/// What a phase did to a shard, for the engine's log and the scale figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PhaseSummary {
    /// Records of the shard (or of the feed, for a global phase).
    pub records: u64,
    /// Documents kept (after dedup, for [`apply`] and [`decide`]).
    pub kept: u64,
    /// Paragraphs printed ([`prints`]) or rows written.
    pub rows: u64,
    /// Bytes of the files written.
    pub bytes: u64,
}

fn phase_err(path: &Path, message: impl std::fmt::Display) -> RunError {
    RunError::State { path: path.to_path_buf(), message: message.to_string() }
}

/// The feed, as the one records input of a run.
fn open_feed(s: &Settings, feed: &Path) -> Result<Vec<Input>, RunError> {
    let inputs = input::discover(feed, &s.read)?;
    match inputs.as_slice() {
        [i] if i.kind == InputKind::Records => Ok(inputs),
        _ => Err(RunError::Input {
            path: feed.to_path_buf(),
            source: std::io::Error::other(
                "a sharded run reads one JSONL feed (.jsonl, .jsonl.gz or .jsonl.zst)",
            ),
        }),
    }
}

fn pool(s: &Settings) -> Result<rayon::ThreadPool, RunError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(s.jobs)
        .build()
        .map_err(|e| RunError::Stream { message: format!("cannot start threads: {e}") })
}

/// The shard's units, each with its position in the shard.
fn shard_units<'a>(
    chain: &Chain,
    inputs: &'a [Input],
    shard: Shard,
) -> impl Iterator<Item = Unit<'a>> + Send + use<'a> {
    let n = chain.units(inputs).count() as u64;
    let r = shard.range(n);
    chain.units(inputs).skip(r.start as usize).take((r.end - r.start) as usize)
}

/// Phase 1, per shard: each short line's documents, per site (see the module docs).
pub fn site_lines(s: &Settings, feed: &Path, shard: Shard, work: &Path) -> Result<PhaseSummary, RunError> {
    let inputs = open_feed(s, feed)?;
    let chain = Chain::new(s, Arc::new(SiteKnowledge::default()));
    let sites = s.boilerplate.sites;
    let mut lines: HashMap<u64, LineCount> = HashMap::new();
    let mut records = 0u64;
    pipelined(
        &pool(s)?,
        shard_units(&chain, &inputs, shard),
        |u| chain.read(u).ok().and_then(|d| site_learning::print(&sites, &chain.normalize(d))),
        |prints, _| {
            records += prints.len() as u64;
            for p in prints.into_iter().flatten() {
                let (site, found) = p.into_parts();
                for (key, text) in found {
                    let c = lines.entry(key).or_insert_with(|| LineCount {
                        site: site.clone(),
                        docs: 0,
                        texts: [None, None],
                    });
                    if c.docs < 2 {
                        c.texts[c.docs as usize] = Some(text);
                    }
                    c.docs += 1;
                }
            }
            Ok(())
        },
    )?;
    let mut rows: Vec<(u64, LineCount)> = lines.into_iter().collect();
    rows.sort_unstable_by_key(|(k, _)| *k);
    let text = |i: usize| -> ArrayRef {
        Arc::new(rows.iter().map(|(_, c)| c.texts[i].as_deref()).collect::<StringArray>())
    };
    let batch = batch(
        &[
            ("site", DataType::Utf8, false),
            ("key", DataType::UInt64, false),
            ("docs", DataType::UInt32, false),
            ("text1", DataType::Utf8, true),
            ("text2", DataType::Utf8, true),
        ],
        vec![
            Arc::new(rows.iter().map(|(_, c)| Some(c.site.as_str())).collect::<StringArray>()),
            Arc::new(rows.iter().map(|(k, _)| *k).collect::<UInt64Array>()),
            Arc::new(rows.iter().map(|(_, c)| c.docs).collect::<UInt32Array>()),
            text(0),
            text(1),
        ],
    );
    let bytes = write_parquet(&work.join(shard.file("sites", "parquet")), std::iter::once(batch))?;
    Ok(PhaseSummary { records, kept: 0, rows: rows.len() as u64, bytes })
}

/// A short line's documents in one shard, with the texts of its first two.
struct LineCount {
    site: String,
    docs: u32,
    texts: [Option<String>; 2],
}

/// Phase 2, global: the site lines learned from the whole feed, written to
/// `WORK/.newsprep/sites.json`. The shards' counts are added in shard order, so each line
/// keeps the text of its second document in feed order, as one machine's counter does.
pub fn learn_sites(s: &Settings, feed: &Path, shards: u32, work: &Path) -> Result<PhaseSummary, RunError> {
    let mut counter = SiteCounter::new(s.boilerplate.sites.min_docs);
    let mut rows = 0u64;
    for i in 0..shards {
        let path = work.join(shard_file("sites", i, "parquet"));
        for b in read_parquet(&path)? {
            let (site, key, docs) =
                (str_col(&b, "site", &path)?, u64_col(&b, "key", &path)?, u32_col(&b, "docs", &path)?);
            let (t1, t2) = (str_col(&b, "text1", &path)?, str_col(&b, "text2", &path)?);
            for r in 0..b.num_rows() {
                let texts = [t1, t2].map(|c| (!c.is_null(r)).then(|| c.value(r)));
                counter.add_many(site.value(r), key.value(r), docs.value(r), texts, 0);
                rows += 1;
            }
        }
    }
    let knowledge = counter.learn();
    let inputs = open_feed(s, feed)?;
    let bytes = knowledge.encode(|_| inputs[0].rel.as_str());
    let path = work.join(site_knowledge::FILE);
    write_atomic(&path, &bytes)?;
    Ok(PhaseSummary { records: 0, kept: knowledge.len() as u64, rows, bytes: bytes.len() as u64 })
}

/// The chain with the lines [`learn_sites`] learned (none when site learning is off).
fn chain_with_sites(s: &Settings, work: &Path) -> Result<Chain, RunError> {
    let knowledge = if s.boilerplate.sites.enabled {
        let path = work.join(site_knowledge::FILE);
        if !path.exists() {
            return Err(phase_err(
                &path,
                "missing: the site lines are learned (phase 2) before shards are cleaned",
            ));
        }
        SiteKnowledge::load(work)?
    } else {
        SiteKnowledge::default()
    };
    Ok(Chain::new(s, Arc::new(knowledge)))
}

/// Every per-document stage on the shard's records, in order, chunk by chunk.
fn clean_shard(
    s: &Settings,
    chain: &Chain,
    inputs: &[Input],
    shard: Shard,
    mut each: impl FnMut(Vec<Entry>) -> Result<(), RunError> + Send,
) -> Result<(), RunError> {
    pipelined(
        &pool(s)?,
        shard_units(chain, inputs, shard),
        |u| match chain.read(u) {
            Ok(d) => Entry::Done(chain.finish(chain.normalize(d))),
            Err(e) => *e,
        },
        |entries, _| each(entries),
    )
}

/// Phase 3, per shard: clean and fingerprint; write the prints (see the module docs).
pub fn prints(s: &Settings, feed: &Path, shard: Shard, work: &Path) -> Result<PhaseSummary, RunError> {
    let inputs = open_feed(s, feed)?;
    let chain = chain_with_sites(s, work)?;
    write_atomic(&work.join(FEED_FILE), format!("{}\n", inputs[0].rel).as_bytes())?;
    let mut docs = TableFile::create(&work.join(shard.file("prints", "parquet")), doc_schema())?;
    let mut paras = TableFile::create(&work.join(shard.file("paragraphs", "parquet")), para_schema())?;
    let mut sum = PhaseSummary::default();
    clean_shard(s, &chain, &inputs, shard, |entries| {
        let prints: Vec<PrintRow> = entries.par_iter().map(|e| PrintRow::of(e, s)).collect();
        let first = sum.records;
        sum.records += prints.len() as u64;
        sum.kept += prints.iter().filter(|p| p.print.is_some()).count() as u64;
        sum.rows +=
            prints.iter().filter_map(|p| p.print.as_ref()).map(|p| p.paragraphs.len() as u64).sum::<u64>();
        docs.write(doc_batch(shard, first, &prints))?;
        paras.write(para_batch(shard, first, &prints))?;
        Ok(())
    })?;
    sum.bytes = docs.finish()? + paras.finish()?;
    Ok(sum)
}

/// A record as phase 3 prints it.
struct PrintRow {
    id: DocId,
    line: Option<u64>,
    status: &'static str,
    print: Option<Print>,
}

impl PrintRow {
    fn of(e: &Entry, s: &Settings) -> PrintRow {
        let (id, source) = match e {
            Entry::Done(Outcome::Keep(d) | Outcome::Drop(d, _)) => (&d.id, &d.source),
            Entry::Failed { id, source, .. } | Entry::Skipped { id, source, .. } => (id, source),
        };
        let (status, print) = match e {
            Entry::Done(Outcome::Keep(d)) => ("kept", Some(Print::of(d, &s.dedup))),
            Entry::Done(Outcome::Drop(..)) => ("dropped", None),
            Entry::Failed { .. } => ("failed", None),
            Entry::Skipped { .. } => ("skipped", None),
        };
        PrintRow { id: id.clone(), line: source.line, status, print }
    }
}

fn doc_schema() -> Arc<Schema> {
    schema(&[
        ("shard", DataType::UInt32, false),
        ("position", DataType::UInt64, false),
        ("id", DataType::Utf8, false),
        ("line", DataType::UInt64, true),
        ("status", DataType::Utf8, false),
        ("exact", DataType::UInt64, true),
        ("simhash", DataType::UInt64, true),
        ("tokens", DataType::UInt32, true),
        ("sketch", sketch_type(), true),
        ("kept", DataType::UInt32, true),
        ("chars", DataType::UInt64, true),
        ("published", DataType::Utf8, true),
    ])
}

fn para_schema() -> Arc<Schema> {
    schema(&[
        ("shard", DataType::UInt32, false),
        ("position", DataType::UInt64, false),
        ("paragraph", DataType::UInt32, false),
        ("exact", DataType::UInt64, false),
        ("simhash", DataType::UInt64, false),
        ("tokens", DataType::UInt32, false),
        ("sketch", sketch_type(), false),
        ("start", DataType::UInt64, false),
        ("end", DataType::UInt64, false),
        ("chars", DataType::UInt32, false),
    ])
}

fn sketch_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::UInt32, true)))
}

fn sketch_array<'a>(sketches: impl Iterator<Item = Option<&'a Sketch>>) -> ArrayRef {
    Arc::new(ListArray::from_iter_primitive::<UInt32Type, _, _>(
        sketches.map(|s| s.map(|s| s.values().iter().map(|&v| Some(v)).collect::<Vec<_>>())),
    ))
}

fn doc_batch(shard: Shard, first: u64, rows: &[PrintRow]) -> RecordBatch {
    let body = |f: fn(&Print) -> Option<u64>| -> UInt64Array {
        rows.iter().map(|r| r.print.as_ref().and_then(f)).collect()
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(vec![shard.index; rows.len()])),
        Arc::new((first..first + rows.len() as u64).collect::<UInt64Array>()),
        Arc::new(rows.iter().map(|r| Some(r.id.0.as_str())).collect::<StringArray>()),
        Arc::new(rows.iter().map(|r| r.line).collect::<UInt64Array>()),
        Arc::new(rows.iter().map(|r| Some(r.status)).collect::<StringArray>()),
        Arc::new(body(|p| Some(p.body.exact))),
        Arc::new(body(|p| Some(p.body.simhash))),
        Arc::new(rows.iter().map(|r| r.print.as_ref().map(|p| p.body.tokens)).collect::<UInt32Array>()),
        sketch_array(rows.iter().map(|r| r.print.as_ref().map(|p| &p.body.sketch))),
        Arc::new(rows.iter().map(|r| r.print.as_ref().map(|p| p.kept)).collect::<UInt32Array>()),
        Arc::new(body(|p| Some(p.chars))),
        Arc::new(
            rows.iter()
                .map(|r| r.print.as_ref().and_then(|p| p.published.as_deref()))
                .collect::<StringArray>(),
        ),
    ];
    RecordBatch::try_new(doc_schema(), columns).expect("columns match the schema")
}

fn para_batch(shard: Shard, first: u64, rows: &[PrintRow]) -> RecordBatch {
    let paras: Vec<(u64, &ParaPrint)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.print.iter().flat_map(move |p| p.paragraphs.iter().map(move |pp| (first + i as u64, pp)))
        })
        .collect();
    let u64s = |f: fn(&ParaPrint) -> u64| -> ArrayRef {
        Arc::new(paras.iter().map(|(_, p)| f(p)).collect::<UInt64Array>())
    };
    let u32s = |f: fn(&ParaPrint) -> u32| -> ArrayRef {
        Arc::new(paras.iter().map(|(_, p)| f(p)).collect::<UInt32Array>())
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(vec![shard.index; paras.len()])),
        Arc::new(paras.iter().map(|(pos, _)| *pos).collect::<UInt64Array>()),
        u32s(|p| p.index),
        u64s(|p| p.fingerprint.exact),
        u64s(|p| p.fingerprint.simhash),
        u32s(|p| p.fingerprint.tokens),
        sketch_array(paras.iter().map(|(_, p)| Some(&p.fingerprint.sketch))),
        u64s(|p| p.start),
        u64s(|p| p.end),
        u32s(|p| p.chars),
    ];
    RecordBatch::try_new(para_schema(), columns).expect("columns match the schema")
}

/// One record of the prints tables, read back.
struct PrintedRecord {
    id: DocId,
    line: Option<u64>,
    print: Option<Print>,
}

/// One shard's prints tables read back a chunk of records at a time, in order: the paragraph
/// table is walked beside the record table (both are in position order), so what the global
/// phase holds besides its index is one chunk.
struct PrintReader {
    docs_path: PathBuf,
    docs: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    /// The paragraph rows: (position, paragraph).
    paras: Rows<(u64, ParaPrint)>,
}

/// A table's rows in order, decoded a batch at a time into `T` (each column looked up once per
/// batch), walked by a key that only grows: [`take_while_key`](Self::take_while_key).
struct Rows<T> {
    path: PathBuf,
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    decode: fn(&RecordBatch, &Path) -> Result<Vec<T>, RunError>,
    /// The decoded batch, and the next row in it.
    batch: std::vec::IntoIter<T>,
    next: Option<T>,
}

impl<T> Rows<T> {
    fn open(
        path: PathBuf,
        decode: fn(&RecordBatch, &Path) -> Result<Vec<T>, RunError>,
    ) -> Result<Self, RunError> {
        let reader = open_parquet(&path)?;
        Ok(Rows { path, reader, decode, batch: Vec::new().into_iter(), next: None })
    }

    /// The next row, without taking it.
    fn peek(&mut self) -> Result<Option<&T>, RunError> {
        while self.next.is_none() {
            if let Some(row) = self.batch.next() {
                self.next = Some(row);
                break;
            }
            let Some(b) = self.reader.next() else { return Ok(None) };
            let b = b.map_err(|e| phase_err(&self.path, e))?;
            self.batch = (self.decode)(&b, &self.path)?.into_iter();
        }
        Ok(self.next.as_ref())
    }

    /// Take the rows whose `key` is `at`, into `out`; a row of a smaller key is out of order.
    fn take_while_key(&mut self, at: u64, key: fn(&T) -> u64, out: &mut Vec<T>) -> Result<(), RunError> {
        while let Some(row) = self.peek()? {
            let k = key(row);
            if k > at {
                break;
            }
            if k < at {
                return Err(phase_err(&self.path, format!("a row of {k} after {at}: not in order")));
            }
            out.extend(self.next.take());
        }
        Ok(())
    }
}

/// A paragraph table's rows: (position, paragraph).
fn decode_paragraphs(b: &RecordBatch, path: &Path) -> Result<Vec<(u64, ParaPrint)>, RunError> {
    let (pos, index, exact) =
        (u64_col(b, "position", path)?, u32_col(b, "paragraph", path)?, u64_col(b, "exact", path)?);
    let (simhash, tokens, sketch) =
        (u64_col(b, "simhash", path)?, u32_col(b, "tokens", path)?, list_col(b, "sketch", path)?);
    let (start, end, chars) =
        (u64_col(b, "start", path)?, u64_col(b, "end", path)?, u32_col(b, "chars", path)?);
    (0..b.num_rows())
        .map(|r| {
            let fingerprint = Fingerprint {
                exact: exact.value(r),
                simhash: simhash.value(r),
                sketch: sketch_at(sketch, r, path)?,
                tokens: tokens.value(r),
            };
            let p = ParaPrint {
                index: index.value(r),
                fingerprint,
                start: start.value(r),
                end: end.value(r),
                chars: chars.value(r),
            };
            Ok((pos.value(r), p))
        })
        .collect()
}

fn open_parquet(path: &Path) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, RunError> {
    let f = std::fs::File::open(path).map_err(|e| phase_err(path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(f)
        .map(|b| b.with_batch_size(CHUNK))
        .and_then(|b| b.build())
        .map_err(|e| phase_err(path, e))
}

impl PrintReader {
    fn open(work: &Path, index: u32) -> Result<PrintReader, RunError> {
        let docs_path = work.join(shard_file("prints", index, "parquet"));
        let paras_path = work.join(shard_file("paragraphs", index, "parquet"));
        Ok(PrintReader {
            docs: open_parquet(&docs_path)?,
            docs_path,
            paras: Rows::open(paras_path, decode_paragraphs)?,
        })
    }

    /// The next records (up to [`CHUNK`]), with their first position; `None` at the end.
    fn next_chunk(&mut self) -> Result<Option<(u64, Vec<PrintedRecord>)>, RunError> {
        let Some(b) = self.docs.next() else { return Ok(None) };
        let path = self.docs_path.clone();
        let b = b.map_err(|e| phase_err(&path, e))?;
        let (pos, id, line, status) = (
            u64_col(&b, "position", &path)?,
            str_col(&b, "id", &path)?,
            u64_col(&b, "line", &path)?,
            str_col(&b, "status", &path)?,
        );
        let (exact, simhash, tokens) =
            (u64_col(&b, "exact", &path)?, u64_col(&b, "simhash", &path)?, u32_col(&b, "tokens", &path)?);
        let (sketch, kept, chars) =
            (list_col(&b, "sketch", &path)?, u32_col(&b, "kept", &path)?, u64_col(&b, "chars", &path)?);
        let published = str_col(&b, "published", &path)?;
        let mut out = Vec::with_capacity(b.num_rows());
        for r in 0..b.num_rows() {
            let print = if status.value(r) == "kept" {
                let mut p = Print {
                    id: DocId(id.value(r).to_string()),
                    body: Fingerprint {
                        exact: exact.value(r),
                        simhash: simhash.value(r),
                        sketch: sketch_at(sketch, r, &path)?,
                        tokens: tokens.value(r),
                    },
                    paragraphs: Vec::new(),
                    kept: kept.value(r),
                    chars: chars.value(r),
                    published: (!published.is_null(r)).then(|| published.value(r).to_string()),
                };
                let mut rows = Vec::new();
                self.paras.take_while_key(pos.value(r), |(at, _)| *at, &mut rows)?;
                p.paragraphs = rows.into_iter().map(|(_, pp)| pp).collect();
                Some(p)
            } else {
                None
            };
            out.push(PrintedRecord {
                id: DocId(id.value(r).to_string()),
                line: (!line.is_null(r)).then(|| line.value(r)),
                print,
            });
        }
        let first = if b.num_rows() > 0 { pos.value(0) } else { 0 };
        Ok(Some((first, out)))
    }
}

/// Phase 4, global: every shard's prints, in global order, through the dedup barrier and the
/// id register as one run's barrier sees them (chunks of [`CHUNK`] looked up on every
/// thread, then checked in order); the decisions go to each shard's `decisions` table.
pub fn decide(s: &Settings, shards: u32, work: &Path) -> Result<PhaseSummary, RunError> {
    let mut lookups = IndexLookups { pool: pool(s)?, sealed: Vec::new() };
    replay(shards, work, Dedup::new(&s.dedup), &mut lookups)
}

/// How the global phase gets a print's lookups: from the barrier's own index, or from pairs.
trait Lookup<P, B> {
    /// Before the chunk's records (shard `shard`, first position `first`) are checked.
    fn chunk(
        &mut self,
        dedup: &Dedup<P, B>,
        shard: u32,
        first: u64,
        records: &[PrintedRecord],
    ) -> Result<(), RunError>;
    /// The lookups of the chunk's `k`-th record (every record, in order, before its id is
    /// claimed; `None` for one without a print).
    fn look_up(
        &mut self,
        dedup: &Dedup<P, B>,
        k: usize,
        r: &PrintedRecord,
    ) -> Result<Option<Lookups>, RunError>;
    /// The chunk's `k`-th record stayed, the `n`-th kept document.
    fn kept(&mut self, k: usize, n: u32);
    /// After the chunk was checked.
    fn sealed(&mut self, dedup: &mut Dedup<P, B>);
}

/// Lookups in the barrier's index: a chunk's looked up on every thread, then checked in order
/// (each check also searches what the chunk's earlier records added), as one run's barrier.
struct IndexLookups {
    pool: rayon::ThreadPool,
    sealed: Vec<Option<Lookups>>,
}

impl Lookup<FingerprintIndex<Para>, FingerprintIndex<usize>> for IndexLookups {
    fn chunk(&mut self, dedup: &Dedup, _: u32, _: u64, records: &[PrintedRecord]) -> Result<(), RunError> {
        self.sealed = self
            .pool
            .install(|| records.par_iter().map(|r| r.print.as_ref().map(|p| dedup.look_up(p))).collect());
        Ok(())
    }

    fn look_up(&mut self, _: &Dedup, k: usize, _: &PrintedRecord) -> Result<Option<Lookups>, RunError> {
        Ok(self.sealed[k].take())
    }

    fn kept(&mut self, _: usize, _: u32) {}

    fn sealed(&mut self, dedup: &mut Dedup) {
        dedup.seal();
    }
}

/// Phase 4's walk: every shard's prints in global order, chunk by chunk, each record's id
/// claimed and its print checked by the barrier with the lookups `lookup` gives; each shard's
/// decisions written, then the clusters' canonical copies.
fn replay<P: CorpusIndex<Para>, B: CorpusIndex<usize>>(
    shards: u32,
    work: &Path,
    mut dedup: Dedup<P, B>,
    lookup: &mut impl Lookup<P, B>,
) -> Result<PhaseSummary, RunError> {
    let mut ids = IdRegister::default();
    let mut sum = PhaseSummary::default();
    // The feed's name in an id collision's message, as one run has it.
    let source = feed_name(work)?;
    for i in 0..shards {
        let mut prints = PrintReader::open(work, i)?;
        let mut out =
            TableFile::create(&work.join(shard_file("decisions", i, "parquet")), decision_schema())?;
        while let Some((first, chunk)) = prints.next_chunk()? {
            let mut rows = DecisionRows::default();
            lookup.chunk(&dedup, i, first, &chunk)?;
            for (k, r) in chunk.iter().enumerate() {
                let position = first + k as u64;
                let found = lookup.look_up(&dedup, k, r)?;
                if let Some(error) = ids.claim(&r.id, &source, r.line) {
                    rows.collision(position, &r.id, &error);
                    continue;
                }
                let (Some(print), Some(found)) = (&r.print, found) else { continue };
                let d = dedup.check(print, found);
                if matches!(d, Decision::Keep(_)) {
                    lookup.kept(k, sum.kept as u32);
                    sum.kept += 1;
                }
                rows.decision(position, &r.id, d);
            }
            lookup.sealed(&mut dedup);
            sum.records += chunk.len() as u64;
            sum.rows += rows.position.len() as u64;
            out.write(rows.batch())?;
        }
        sum.bytes += out.finish()?;
    }
    sum.bytes += write_resolution(&dedup.resolve(), work)?;
    Ok(sum)
}

/// The feed's name as a run's sources give it, as [`prints`] left it.
fn feed_name(work: &Path) -> Result<String, RunError> {
    let path = work.join(FEED_FILE);
    std::fs::read_to_string(&path).map(|t| t.trim_end().to_string()).map_err(|e| phase_err(&path, e))
}

/// Where [`prints`] leaves the feed's name for [`decide`].
const FEED_FILE: &str = ".newsprep/feed";

fn decision_schema() -> Arc<Schema> {
    schema(&[
        ("position", DataType::UInt64, false),
        ("id", DataType::Utf8, false),
        ("kind", DataType::Utf8, false),
        ("of", DataType::Utf8, true),
        ("distance", DataType::UInt32, true),
        ("similarity", DataType::Float32, true),
        ("basis", DataType::Utf8, true),
        ("share", DataType::Float32, true),
        ("detail", DataType::Utf8, true),
        ("paragraph", DataType::UInt32, true),
        ("of_id", DataType::Utf8, true),
        ("of_paragraph", DataType::UInt32, true),
        ("of_start", DataType::UInt64, true),
        ("of_end", DataType::UInt64, true),
        ("of_distance", DataType::UInt32, true),
        ("of_similarity", DataType::UInt32, true),
    ])
}

/// The decisions table's columns: a row per record the barrier changes and per paragraph it
/// found repeated (a decision's fields repeat on each of its paragraph rows).
#[derive(Default)]
struct DecisionRows {
    position: Vec<u64>,
    id: Vec<String>,
    kind: Vec<&'static str>,
    of: Vec<Option<String>>,
    distance: Vec<Option<u32>>,
    similarity: Vec<Option<f32>>,
    basis: Vec<Option<&'static str>>,
    share: Vec<Option<f32>>,
    detail: Vec<Option<String>>,
    repeat: Vec<Option<ParaMatch>>,
}

/// A decision's own fields, before its repeats.
struct Head {
    kind: &'static str,
    of: Option<String>,
    distance: Option<u32>,
    similarity: Option<f32>,
    basis: Option<&'static str>,
    share: Option<f32>,
    detail: Option<String>,
}

impl DecisionRows {
    fn collision(&mut self, position: u64, id: &DocId, error: &FileError) {
        let FileError::IdCollision { first, .. } = error else { return };
        let head = Head {
            kind: "collision",
            of: Some(first.clone()),
            distance: None,
            similarity: None,
            basis: None,
            share: None,
            detail: None,
        };
        self.push(position, id, &head, Vec::new());
    }

    fn decision(&mut self, position: u64, id: &DocId, d: Decision) {
        let none = |kind| Head {
            kind,
            of: None,
            distance: None,
            similarity: None,
            basis: None,
            share: None,
            detail: None,
        };
        let (head, repeats) = match d {
            Decision::Keep(r) if r.is_empty() => return,
            Decision::Keep(r) => (none("repeats"), r),
            Decision::Drop(r, DropReason::Empty { detail }) => {
                (Head { detail: Some(detail), ..none("empty") }, r)
            }
            Decision::Drop(_, DropReason::Duplicate { of, distance, similarity, basis, repeats }) => {
                let (basis, share) = match basis {
                    DuplicateBasis::Body => ("body", None),
                    DuplicateBasis::Containment(s) => ("containment", Some(s)),
                };
                let head = Head {
                    of: Some(of.0),
                    distance: Some(distance),
                    similarity: Some(similarity),
                    basis: Some(basis),
                    share,
                    ..none("duplicate")
                };
                (head, repeats)
            }
        };
        self.push(position, id, &head, repeats);
    }

    fn push(&mut self, position: u64, id: &DocId, h: &Head, repeats: Vec<ParaMatch>) {
        let n = repeats.len().max(1);
        let mut repeats = repeats.into_iter().map(Some).collect::<Vec<_>>();
        if repeats.is_empty() {
            repeats.push(None);
        }
        for r in repeats {
            self.position.push(position);
            self.id.push(id.0.clone());
            self.kind.push(h.kind);
            self.of.push(h.of.clone());
            self.distance.push(h.distance);
            self.similarity.push(h.similarity);
            self.basis.push(h.basis);
            self.share.push(h.share);
            self.detail.push(h.detail.clone());
            self.repeat.push(r);
        }
        debug_assert!(self.repeat.len() >= n);
    }

    fn batch(&self) -> RecordBatch {
        let rep = &self.repeat;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from(self.position.clone())),
            Arc::new(self.id.iter().map(|s| Some(s.as_str())).collect::<StringArray>()),
            Arc::new(self.kind.iter().map(|s| Some(*s)).collect::<StringArray>()),
            Arc::new(self.of.iter().map(Option::as_deref).collect::<StringArray>()),
            Arc::new(UInt32Array::from(self.distance.clone())),
            Arc::new(Float32Array::from(self.similarity.clone())),
            Arc::new(self.basis.iter().copied().collect::<StringArray>()),
            Arc::new(Float32Array::from(self.share.clone())),
            Arc::new(self.detail.iter().map(Option::as_deref).collect::<StringArray>()),
            Arc::new(rep.iter().map(|m| m.as_ref().map(|m| m.paragraph as u32)).collect::<UInt32Array>()),
            Arc::new(rep.iter().map(|m| m.as_ref().map(|m| m.of.id.0.as_str())).collect::<StringArray>()),
            Arc::new(rep.iter().map(|m| m.as_ref().map(|m| m.of.paragraph as u32)).collect::<UInt32Array>()),
            Arc::new(rep.iter().map(|m| m.as_ref().map(|m| m.of.start as u64)).collect::<UInt64Array>()),
            Arc::new(rep.iter().map(|m| m.as_ref().map(|m| m.of.end as u64)).collect::<UInt64Array>()),
            Arc::new(rep.iter().map(|m| m.as_ref().map(|m| m.distance)).collect::<UInt32Array>()),
            Arc::new(
                rep.iter().map(|m| m.as_ref().map(|m| u32::from(m.similarity))).collect::<UInt32Array>(),
            ),
        ];
        RecordBatch::try_new(decision_schema(), columns).expect("columns match the schema")
    }
}

/// A decision read back: the barrier's, or an id collision.
enum Decided {
    Barrier(Decision),
    Collision(String),
}

/// One shard's decisions by position.
fn read_decisions(work: &Path, shard: Shard) -> Result<HashMap<u64, Decided>, RunError> {
    let path = work.join(shard.file("decisions", "parquet"));
    let mut out: HashMap<u64, Decided> = HashMap::new();
    for b in read_parquet(&path)? {
        let pos = u64_col(&b, "position", &path)?;
        let kind = str_col(&b, "kind", &path)?;
        let of = str_col(&b, "of", &path)?;
        let (distance, similarity) = (u32_col(&b, "distance", &path)?, f32_col(&b, "similarity", &path)?);
        let (basis, share, detail) =
            (str_col(&b, "basis", &path)?, f32_col(&b, "share", &path)?, str_col(&b, "detail", &path)?);
        let (paragraph, of_id, of_paragraph) = (
            u32_col(&b, "paragraph", &path)?,
            str_col(&b, "of_id", &path)?,
            u32_col(&b, "of_paragraph", &path)?,
        );
        let (of_start, of_end) = (u64_col(&b, "of_start", &path)?, u64_col(&b, "of_end", &path)?);
        let (of_distance, of_similarity) =
            (u32_col(&b, "of_distance", &path)?, u32_col(&b, "of_similarity", &path)?);
        for r in 0..b.num_rows() {
            let repeat = (!paragraph.is_null(r)).then(|| ParaMatch {
                paragraph: paragraph.value(r) as usize,
                of: ParaRef {
                    id: DocId(of_id.value(r).to_string()),
                    paragraph: of_paragraph.value(r) as usize,
                    start: of_start.value(r) as usize,
                    end: of_end.value(r) as usize,
                },
                distance: of_distance.value(r),
                similarity: of_similarity.value(r) as u16,
            });
            let entry = out.entry(pos.value(r)).or_insert_with(|| match kind.value(r) {
                "collision" => Decided::Collision(of.value(r).to_string()),
                "repeats" => Decided::Barrier(Decision::Keep(Vec::new())),
                "empty" => Decided::Barrier(Decision::Drop(
                    Vec::new(),
                    DropReason::Empty { detail: detail.value(r).to_string() },
                )),
                _ => Decided::Barrier(Decision::Drop(
                    Vec::new(),
                    DropReason::Duplicate {
                        of: DocId(of.value(r).to_string()),
                        distance: distance.value(r),
                        similarity: similarity.value(r),
                        basis: if basis.value(r) == "containment" {
                            DuplicateBasis::Containment(share.value(r))
                        } else {
                            DuplicateBasis::Body
                        },
                        repeats: Vec::new(),
                    },
                )),
            });
            if let (Decided::Barrier(d), Some(m)) = (entry, repeat) {
                match d {
                    Decision::Keep(v) | Decision::Drop(v, DropReason::Empty { .. }) => v.push(m),
                    Decision::Drop(_, DropReason::Duplicate { repeats, .. }) => repeats.push(m),
                }
            }
        }
    }
    Ok(out)
}

const RESOLUTION_FILE: &str = "resolution.parquet";

fn resolution_fields() -> [(&'static str, DataType, bool); 5] {
    [
        ("first", DataType::Utf8, false),
        ("canonical", DataType::Utf8, false),
        ("distance", DataType::UInt32, false),
        ("similarity", DataType::Float32, false),
        ("paragraphs_delta", DataType::Int64, false),
    ]
}

/// The canonical copies the policy chose where they are not a cluster's first member (none
/// under `first`), for every shard's apply: `resolution.parquet`.
fn write_resolution(r: &Resolution, work: &Path) -> Result<u64, RunError> {
    let w = &r.swaps;
    let b = batch(
        &resolution_fields(),
        vec![
            Arc::new(w.iter().map(|s| Some(s.first.0.as_str())).collect::<StringArray>()),
            Arc::new(w.iter().map(|s| Some(s.canonical.0.as_str())).collect::<StringArray>()),
            Arc::new(w.iter().map(|s| s.distance).collect::<UInt32Array>()),
            Arc::new(w.iter().map(|s| s.similarity).collect::<Float32Array>()),
            Arc::new(w.iter().map(|s| s.paragraphs_delta).collect::<arrow_array::Int64Array>()),
        ],
    );
    write_parquet(&work.join(RESOLUTION_FILE), std::iter::once(b))
}

fn read_resolution(s: &Settings, work: &Path) -> Result<Resolution, RunError> {
    let path = work.join(RESOLUTION_FILE);
    let mut swaps = Vec::new();
    for b in read_parquet(&path)? {
        let (first, canonical) = (str_col(&b, "first", &path)?, str_col(&b, "canonical", &path)?);
        let (distance, similarity) = (u32_col(&b, "distance", &path)?, f32_col(&b, "similarity", &path)?);
        let delta = num_col::<arrow_array::types::Int64Type>(&b, "paragraphs_delta", &path)?;
        for r in 0..b.num_rows() {
            swaps.push(Swap {
                first: DocId(first.value(r).to_string()),
                canonical: DocId(canonical.value(r).to_string()),
                distance: distance.value(r),
                similarity: similarity.value(r),
                paragraphs_delta: delta.value(r),
            });
        }
    }
    Ok(Resolution::new(s.dedup.canonical, swaps))
}

/// Phase 5, per shard: clean again, apply the decisions, and write the shard's corpus,
/// manifest and duplicates files (see the module docs).
pub fn apply(
    s: &Settings,
    feed: &Path,
    shard: Shard,
    work: &Path,
    out: &Path,
) -> Result<PhaseSummary, RunError> {
    let inputs = open_feed(s, feed)?;
    let chain = chain_with_sites(s, work)?;
    let mut decisions = read_decisions(work, shard)?;
    std::fs::create_dir_all(out).map_err(|source| RunError::Output { path: out.to_path_buf(), source })?;
    let mut files = ShardFiles::create(out, shard)?;
    let dups = DuplicateOutput::new(s.dedup.document_action, s.dedup.canonical);
    let resolution = read_resolution(s, work)?;
    let mut sum = PhaseSummary::default();
    clean_shard(s, &chain, &inputs, shard, |entries| {
        for e in entries {
            let position = sum.records;
            sum.records += 1;
            let e = match (decisions.remove(&position), e) {
                (Some(Decided::Collision(first)), e) => collided(e, first),
                (d, Entry::Done(Outcome::Keep(doc))) => {
                    let d = match d {
                        Some(Decided::Barrier(d)) => d,
                        _ => Decision::Keep(Vec::new()),
                    };
                    Entry::Done(d.apply(doc))
                }
                (_, e) => e,
            };
            if matches!(e, Entry::Done(Outcome::Keep(_))) {
                sum.kept += 1;
            }
            files.write(&e, dups.write)?;
        }
        Ok(())
    })?;
    sum.bytes = files.finish(out, &resolution, dups)?;
    Ok(sum)
}

/// The entry of a record whose id an earlier record took.
fn collided(e: Entry, first: String) -> Entry {
    let (id, source) = match e {
        Entry::Done(Outcome::Keep(d) | Outcome::Drop(d, _)) => (d.id, d.source),
        Entry::Failed { id, source, .. } | Entry::Skipped { id, source, .. } => (id, source),
    };
    let error = FileError::IdCollision { id: id.0.clone(), first, line: source.line };
    Entry::Failed { id, source, error }
}

/// A shard's output files, written as a run writes its own.
struct ShardFiles {
    corpus: (PathBuf, std::io::BufWriter<tempfile::NamedTempFile>),
    manifest: (PathBuf, csv::Writer<tempfile::NamedTempFile>),
    duplicates: (PathBuf, csv::Writer<tempfile::NamedTempFile>),
}

impl ShardFiles {
    fn create(out: &Path, shard: Shard) -> Result<ShardFiles, RunError> {
        let temp = |name: String| {
            let path = out.join(name);
            file::temp_in(out).map(|t| (path.clone(), t)).map_err(|source| RunError::Output { path, source })
        };
        let (cp, c) = temp(shard.file("corpus", "jsonl"))?;
        let (mp, m) = temp(shard.file("manifest", "csv"))?;
        let (dp, d) = temp(shard.file("duplicates", "csv"))?;
        let mut duplicates = csv::WriterBuilder::new().has_headers(false).from_writer(d);
        duplicates
            .write_record(DUPLICATES_HEADER)
            .map_err(|e| RunError::Output { path: dp.clone(), source: e.into() })?;
        Ok(ShardFiles {
            corpus: (cp, std::io::BufWriter::with_capacity(1 << 20, c)),
            manifest: (mp, csv::Writer::from_writer(m)),
            duplicates: (dp, duplicates),
        })
    }

    /// Write an entry's rows; `duplicates_too`: a duplicate goes into the corpus too, marked (to
    /// stay, or until the canonical copies are settled).
    fn write(&mut self, e: &Entry, duplicates_too: bool) -> Result<(), RunError> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |e: std::io::Error| RunError::Output { path, source: e }
        };
        if let Entry::Done(o) = e {
            if let Some(duplicate_of) = in_corpus(o, duplicates_too) {
                let (path, w) = &mut self.corpus;
                let record = CorpusRecord { duplicate_of, ..CorpusRecord::new(o.doc()) };
                serde_json::to_writer(&mut *w, &record).map_err(|e| err(path)(e.into()))?;
                w.write_all(b"\n").map_err(err(path))?;
            }
            for row in DuplicateRow::of(o) {
                let (path, w) = &mut self.duplicates;
                w.serialize(row).map_err(|e| err(path)(e.into()))?;
            }
        }
        let (path, w) = &mut self.manifest;
        w.serialize(ManifestRow::new(e)).map_err(|e| err(path)(e.into()))?;
        Ok(())
    }

    /// Flush, settle the canonical copies the whole run chose (as one run settles its files),
    /// and move the three files into place; returns their bytes.
    fn finish(self, dir: &Path, r: &Resolution, dups: DuplicateOutput) -> Result<u64, RunError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e: std::io::Error| RunError::Output { path, source: e }
        };
        let (cp, c) = self.corpus;
        let c = c.into_inner().map_err(|e| io(&cp)(e.into_error()))?;
        let (mp, m) = self.manifest;
        let m = m.into_inner().map_err(|e| io(&mp)(e.into_error()))?;
        let (dp, d) = self.duplicates;
        let d = d.into_inner().map_err(|e| io(&dp)(e.into_error()))?;
        let [c, m, d] = settle_shard(dir, [c, m, d], r, dups).map_err(io(&cp))?;
        let mut bytes = 0;
        for (path, t) in [(cp, c), (mp, m), (dp, d)] {
            t.as_file().sync_all().map_err(io(&path))?;
            bytes += t.as_file().metadata().map_err(io(&path))?.len();
            t.persist(&path).map_err(|e| io(&path)(e.error))?;
        }
        Ok(bytes)
    }
}

/// Write `bytes` to `path` through a temporary file beside it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let io = |source| RunError::Output { path: path.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut t = file::temp_in(dir).map_err(io)?;
    t.write_all(bytes).map_err(io)?;
    t.as_file().sync_all().map_err(io)?;
    t.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

fn schema(fields: &[(&str, DataType, bool)]) -> Arc<Schema> {
    Arc::new(Schema::new(
        fields.iter().map(|(n, t, null)| Field::new(*n, t.clone(), *null)).collect::<Vec<_>>(),
    ))
}

fn batch(fields: &[(&str, DataType, bool)], columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(schema(fields), columns).expect("columns match the schema")
}

/// A Parquet file being written through a temporary file beside it, moved into place by
/// [`finish`](Self::finish).
struct TableFile {
    path: PathBuf,
    writer: ArrowWriter<tempfile::NamedTempFile>,
}

impl TableFile {
    fn create(path: &Path, schema: Arc<Schema>) -> Result<TableFile, RunError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let io = |source| RunError::Output { path: path.to_path_buf(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let t = file::temp_in(dir).map_err(io)?;
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build();
        let writer = ArrowWriter::try_new(t, schema, Some(props)).map_err(|e| phase_err(path, e))?;
        Ok(TableFile { path: path.to_path_buf(), writer })
    }

    fn write(&mut self, b: RecordBatch) -> Result<(), RunError> {
        self.writer.write(&b).map_err(|e| phase_err(&self.path, e))
    }

    /// Close the file and move it into place; returns its bytes.
    fn finish(self) -> Result<u64, RunError> {
        let t = self.writer.into_inner().map_err(|e| phase_err(&self.path, e))?;
        let io = |source| RunError::Output { path: self.path.clone(), source };
        t.as_file().sync_all().map_err(io)?;
        let bytes = t.as_file().metadata().map_err(io)?.len();
        t.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(bytes)
    }
}

fn write_parquet(path: &Path, batches: impl Iterator<Item = RecordBatch>) -> Result<u64, RunError> {
    let mut batches = batches.peekable();
    let schema = batches.peek().map(|b| b.schema()).expect("one batch at least");
    let mut t = TableFile::create(path, schema)?;
    for b in batches {
        t.write(b)?;
    }
    t.finish()
}

fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, RunError> {
    open_parquet(path)?.map(|b| b.map_err(|e| phase_err(path, e))).collect()
}

fn column<'b>(b: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b ArrayRef, RunError> {
    b.column_by_name(name).ok_or_else(|| phase_err(path, format!("no column `{name}`")))
}

fn str_col<'b>(b: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b StringArray, RunError> {
    column(b, name, path)?
        .as_string_opt::<i32>()
        .ok_or_else(|| phase_err(path, format!("column `{name}` is not text")))
}

/// A column of numbers of type `T` (`u64_col`, `u32_col`, `f32_col`).
fn num_col<'b, T: ArrowPrimitiveType>(
    b: &'b RecordBatch,
    name: &str,
    path: &Path,
) -> Result<&'b PrimitiveArray<T>, RunError> {
    column(b, name, path)?
        .as_primitive_opt::<T>()
        .ok_or_else(|| phase_err(path, format!("column `{name}` is not {}", T::DATA_TYPE)))
}

fn u64_col<'b>(b: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b UInt64Array, RunError> {
    num_col::<UInt64Type>(b, name, path)
}

fn u32_col<'b>(b: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b UInt32Array, RunError> {
    num_col::<UInt32Type>(b, name, path)
}

fn f32_col<'b>(b: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b Float32Array, RunError> {
    num_col::<Float32Type>(b, name, path)
}

fn list_col<'b>(b: &'b RecordBatch, name: &str, path: &Path) -> Result<&'b ListArray, RunError> {
    column(b, name, path)?
        .as_list_opt::<i32>()
        .ok_or_else(|| phase_err(path, format!("column `{name}` is not a list")))
}

fn sketch_at(l: &ListArray, r: usize, path: &Path) -> Result<Sketch, RunError> {
    let v = l.value(r);
    let vals = v.as_primitive_opt::<UInt32Type>().ok_or_else(|| phase_err(path, "a sketch is not uint32"))?;
    Sketch::from_values(vals.values())
        .ok_or_else(|| phase_err(path, format!("row {r}: a sketch is not sorted or too long")))
}

/// Sketch values per text that are its band keys: two texts whose sketches are at least
/// `min_similarity` alike share one of their first this many values (of the 16 smallest hashes
/// of the union, at most `16 (1 - min_similarity)` are in one sketch only, so the first hash the
/// two share comes after at most that many of either's own), so every pair the barrier could
/// confirm meets in some band key's group.
fn band_keys(min_similarity: f32) -> usize {
    let unshared = (SKETCH as f32 * (1.0 - min_similarity)).floor() as usize;
    (unshared + 1).clamp(1, SKETCH)
}

/// A band key: the text's kind (0 body, 1 paragraph) and one of its sketch values; a text with
/// an empty sketch has the one key of its kind's empty sketches.
fn band_key(kind: u8, value: Option<u32>) -> u64 {
    (u64::from(kind) << 33) | value.map_or(1 << 32, u64::from)
}

/// The partition (of `partitions`) a band key's group goes to.
fn partition_of(key: u64, partitions: u32) -> u32 {
    (xxhash_rust::xxh3::xxh3_64(&key.to_le_bytes()) % u64::from(partitions)) as u32
}

fn band_schema() -> Arc<Schema> {
    schema(&[
        ("key", DataType::UInt64, false),
        ("doc", DataType::UInt64, false),
        ("part", DataType::UInt32, false),
        ("exact", DataType::UInt64, false),
        ("simhash", DataType::UInt64, false),
        ("sketch", sketch_type(), false),
    ])
}

/// A text in a band key's group.
#[derive(Debug, Clone)]
struct Member {
    key: u64,
    /// Its document's global place: shard << 32 | position.
    doc: u64,
    /// 0 for the body, the paragraph's index + 1.
    part: u32,
    exact: u64,
    simhash: u64,
    sketch: Sketch,
}

/// Phase 4a, per shard: each text the barrier compares (bodies, with document dedup; the
/// paragraphs of its prints) under each of its band keys, into `partitions` files by key
/// (`bands-SSSSS-PPPPP.parquet`): the engine's shuffle for the group-by of phase 4b.
pub fn bands(s: &Settings, shard: Shard, partitions: u32, work: &Path) -> Result<PhaseSummary, RunError> {
    if partitions == 0 {
        return Err(RunError::Stream { message: "0 partitions: give at least 1".into() });
    }
    let n_keys = band_keys(s.dedup.min_similarity);
    let (documents, paragraphs) =
        (s.dedup.document_action != DocumentAction::Off, s.dedup.indexes_paragraphs());
    let mut files = (0..partitions)
        .map(|p| {
            TableFile::create(&work.join(format!("bands-{:05}-{p:05}.parquet", shard.index)), band_schema())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut prints = PrintReader::open(work, shard.index)?;
    let mut sum = PhaseSummary::default();
    while let Some((first, chunk)) = prints.next_chunk()? {
        let mut parts: Vec<Vec<Member>> = vec![Vec::new(); partitions as usize];
        for (k, r) in chunk.iter().enumerate() {
            sum.records += 1;
            let Some(p) = &r.print else { continue };
            sum.kept += 1;
            let doc = (u64::from(shard.index) << 32) | (first + k as u64);
            let texts = documents.then_some((0u8, 0u32, &p.body)).into_iter().chain(
                p.paragraphs.iter().filter(|_| paragraphs).map(|pp| (1, pp.index + 1, &pp.fingerprint)),
            );
            for (kind, part, fp) in texts {
                let values = fp.sketch.values();
                let keys: Vec<u64> = if values.is_empty() {
                    vec![band_key(kind, None)]
                } else {
                    values.iter().take(n_keys).map(|&v| band_key(kind, Some(v))).collect()
                };
                for key in keys {
                    let m =
                        Member { key, doc, part, exact: fp.exact, simhash: fp.simhash, sketch: fp.sketch };
                    parts[partition_of(key, partitions) as usize].push(m);
                    sum.rows += 1;
                }
            }
        }
        for (f, members) in files.iter_mut().zip(parts) {
            f.write(member_batch(&members))?;
        }
    }
    for f in files {
        sum.bytes += f.finish()?;
    }
    Ok(sum)
}

fn member_batch(m: &[Member]) -> RecordBatch {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(m.iter().map(|m| m.key).collect::<UInt64Array>()),
        Arc::new(m.iter().map(|m| m.doc).collect::<UInt64Array>()),
        Arc::new(m.iter().map(|m| m.part).collect::<UInt32Array>()),
        Arc::new(m.iter().map(|m| m.exact).collect::<UInt64Array>()),
        Arc::new(m.iter().map(|m| m.simhash).collect::<UInt64Array>()),
        sketch_array(m.iter().map(|m| Some(&m.sketch))),
    ];
    RecordBatch::try_new(band_schema(), columns).expect("columns match the schema")
}

fn edge_schema() -> Arc<Schema> {
    schema(&[
        ("doc", DataType::UInt64, false),
        ("kind", DataType::UInt32, false),
        ("part", DataType::UInt32, false),
        ("of_doc", DataType::UInt64, false),
        ("of_part", DataType::UInt32, false),
        ("distance", DataType::UInt32, false),
        ("similarity", DataType::Float32, false),
        ("near", DataType::UInt32, false),
        ("keys", DataType::UInt32, false),
    ])
}

/// A verified pair: the later text (`doc`, `kind`, `part`) and an earlier one it may repeat.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Edge {
    doc: u64,
    kind: u8,
    part: u32,
    of_doc: u64,
    of_part: u32,
    distance: u32,
    similarity: f32,
    near: bool,
    keys: u8,
}

/// Largest band key group whose members are all paired for the sketch-key path. A shingle
/// common across the corpus can be among the smallest hashes of a large share of all texts
/// (278,607 of 1.8 million paragraphs share one at 200,000 articles); pairing all of them is
/// quadratic, and its bucket holds only the first [`KEY_BUCKET_CAP`] texts kept anyway, which
/// the global phase keeps itself for such a key (see `corpus::pairs`).
const GROUP_CUT: usize = 4 * KEY_BUCKET_CAP;

/// Groups up to this size are searched pair by pair for near texts; larger ones through a
/// SimHash index of the group.
const SMALL_GROUP: usize = 64;

/// Phase 4b, per partition: the band rows of every shard for this partition, grouped by key
/// (sorted); in each group, the pairs the barrier could confirm, verified with its own
/// thresholds -> `pairs-PPPPP.parquet` (sorted by the later text) and the keys whose groups
/// were cut, `cuts-PPPPP.parquet`.
pub fn pairs(s: &Settings, partition: u32, shards: u32, work: &Path) -> Result<PhaseSummary, RunError> {
    let files: Vec<PathBuf> =
        (0..shards).map(|i| work.join(format!("bands-{i:05}-{partition:05}.parquet"))).collect();
    pairs_of(s, partition, &files, work)
}

/// [`pairs`] over band rows that an engine partitioned by key itself (Spark's `DISTRIBUTE BY
/// key`): `files` hold every row of the keys of partition `partition`, in any order.
pub fn pairs_of(
    s: &Settings,
    partition: u32,
    files: &[PathBuf],
    work: &Path,
) -> Result<PhaseSummary, RunError> {
    let mut members = Vec::new();
    for path in files {
        // Batch by batch: the rows are held once, as members.
        for b in open_parquet(path)? {
            let b = b.map_err(|e| phase_err(path, e))?;
            let (key, doc, part) =
                (u64_col(&b, "key", path)?, u64_col(&b, "doc", path)?, u32_col(&b, "part", path)?);
            let (exact, simhash, sketch) =
                (u64_col(&b, "exact", path)?, u64_col(&b, "simhash", path)?, list_col(&b, "sketch", path)?);
            for r in 0..b.num_rows() {
                members.push(Member {
                    key: key.value(r),
                    doc: doc.value(r),
                    part: part.value(r),
                    exact: exact.value(r),
                    simhash: simhash.value(r),
                    sketch: sketch_at(sketch, r, path)?,
                });
            }
        }
    }
    // Sorted as small (key, doc, part, index) tuples: sorting the members themselves (a sketch
    // each) was half the phase's time.
    let mut order: Vec<(u64, u64, u32, u32)> =
        members.iter().enumerate().map(|(i, m)| (m.key, m.doc, m.part, i as u32)).collect();
    order.sort_unstable();
    let d = &s.dedup;
    let n_keys = band_keys(d.min_similarity);
    let mut edges = Vec::new();
    let mut cuts: Vec<u64> = Vec::new();
    let groups: Vec<&[(u64, u64, u32, u32)]> = order.chunk_by(|a, b| a.0 == b.0).collect();
    let found: Vec<(Vec<Edge>, Option<u64>)> = pool(s)?.install(|| {
        groups
            .par_iter()
            .map(|g| {
                let g: Vec<&Member> = g.iter().map(|&(.., i)| &members[i as usize]).collect();
                group_pairs(&g, d, n_keys)
            })
            .collect()
    });
    for (e, cut) in found {
        edges.extend(e);
        cuts.extend(cut);
    }
    edges.sort_unstable_by(|a, b| {
        (a.doc, a.kind, a.part, a.of_doc, a.of_part)
            .cmp(&(b.doc, b.kind, b.part, b.of_doc, b.of_part))
            .then(a.keys.cmp(&b.keys))
            .then(a.near.cmp(&b.near))
    });
    let mut sum = PhaseSummary { records: members.len() as u64, kept: 0, rows: edges.len() as u64, bytes: 0 };
    let mut out = TableFile::create(&work.join(format!("pairs-{partition:05}.parquet")), edge_schema())?;
    for chunk in edges.chunks(64 * 1024) {
        out.write(edge_batch(chunk))?;
    }
    sum.bytes += out.finish()?;
    let cut_batch = batch(&[("key", DataType::UInt64, false)], vec![Arc::new(UInt64Array::from(cuts))]);
    sum.bytes +=
        write_parquet(&work.join(format!("cuts-{partition:05}.parquet")), std::iter::once(cut_batch))?;
    Ok(sum)
}

/// The verified pairs of one band key's group (members in input order), and its key if the
/// group is longer than [`GROUP_CUT`] (cut: no sketch-key pairs).
fn group_pairs(
    g: &[&Member],
    d: &crate::stages::dedup::DedupSettings,
    n_keys: usize,
) -> (Vec<Edge>, Option<u64>) {
    let key = g[0].key;
    let kind = (key >> 33) as u8;
    let value = (key & (1 << 32) == 0).then_some(key as u32);
    let near_k = if kind == 0 { d.document_max_distance } else { d.paragraph_max_distance }.min(7);
    let first = |m: &Member, n: usize| m.sketch.values().iter().take(n).position(|&v| Some(v) == value);
    // Is this group's key the smallest band key the two share? Then the near pair is written here.
    let owns = |a: &Member, b: &Member| {
        let (x, y) = (
            &a.sketch.values()[..a.sketch.values().len().min(n_keys)],
            &b.sketch.values()[..b.sketch.values().len().min(n_keys)],
        );
        x.iter().filter(|v| y.contains(v)).min().copied() == value || value.is_none()
    };
    let mut edges = Vec::new();
    let mut check = |e: &Member, q: &Member, near_found: bool| {
        if e.doc == q.doc || e.exact == q.exact {
            return;
        }
        let distance = (e.simhash ^ q.simhash).count_ones();
        if distance > KEY_MAX_DISTANCE.max(near_k) {
            return;
        }
        let near = near_found && distance <= near_k && owns(e, q);
        let keys = match (first(e, d.sketch_keys), first(q, d.sketch_keys)) {
            (Some(i), Some(_)) if distance <= KEY_MAX_DISTANCE && !near_found => 1u8 << i,
            _ => 0,
        };
        if !near && keys == 0 {
            return;
        }
        let similarity = q.sketch.similarity(&e.sketch);
        if similarity < d.min_similarity {
            return;
        }
        edges.push(Edge {
            doc: q.doc,
            kind,
            part: q.part,
            of_doc: e.doc,
            of_part: e.part,
            distance,
            similarity,
            near,
            keys,
        });
    };
    // The sketch-key path: every earlier member, unless the group is cut (then the global
    // phase searches the key's bucket itself).
    if g.len() <= GROUP_CUT {
        for (i, q) in g.iter().enumerate() {
            for e in &g[..i] {
                check(e, q, false);
            }
        }
    }
    // The SimHash path: every earlier member within the distance.
    if g.len() <= SMALL_GROUP {
        for (i, q) in g.iter().enumerate() {
            for e in &g[..i] {
                if (e.simhash ^ q.simhash).count_ones() <= near_k {
                    check(e, q, true);
                }
            }
        }
    } else {
        let mut index: NearIndex = NearIndex::new(near_k);
        // Which query last saw each member: a member found under several blocks is checked once.
        let mut seen = vec![u32::MAX; g.len()];
        let mut near = Vec::new();
        for (i, q) in g.iter().enumerate() {
            near.clear();
            index.for_each_within(q.simhash, |_, id| {
                if seen[id as usize] != i as u32 {
                    seen[id as usize] = i as u32;
                    near.push(id as usize);
                }
            });
            // In input order, as the pairs of a small group are found.
            near.sort_unstable();
            for &j in &near {
                check(g[j], q, true);
            }
            index.insert(q.simhash, i as u32);
        }
    }
    (edges, (g.len() > GROUP_CUT).then_some(key))
}

fn edge_batch(e: &[Edge]) -> RecordBatch {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(e.iter().map(|e| e.doc).collect::<UInt64Array>()),
        Arc::new(e.iter().map(|e| u32::from(e.kind)).collect::<UInt32Array>()),
        Arc::new(e.iter().map(|e| e.part).collect::<UInt32Array>()),
        Arc::new(e.iter().map(|e| e.of_doc).collect::<UInt64Array>()),
        Arc::new(e.iter().map(|e| e.of_part).collect::<UInt32Array>()),
        Arc::new(e.iter().map(|e| e.distance).collect::<UInt32Array>()),
        Arc::new(e.iter().map(|e| e.similarity).collect::<Float32Array>()),
        Arc::new(e.iter().map(|e| u32::from(e.near)).collect::<UInt32Array>()),
        Arc::new(e.iter().map(|e| u32::from(e.keys)).collect::<UInt32Array>()),
    ];
    RecordBatch::try_new(edge_schema(), columns).expect("columns match the schema")
}

/// The partitions' pair files read together in the later text's order: all pairs of one
/// document at a time.
struct PairReader {
    files: Vec<Rows<Edge>>,
}

fn decode_edges(b: &RecordBatch, path: &Path) -> Result<Vec<Edge>, RunError> {
    let (doc, kind, part) = (u64_col(b, "doc", path)?, u32_col(b, "kind", path)?, u32_col(b, "part", path)?);
    let (of_doc, of_part) = (u64_col(b, "of_doc", path)?, u32_col(b, "of_part", path)?);
    let (distance, similarity) = (u32_col(b, "distance", path)?, f32_col(b, "similarity", path)?);
    let (near, keys) = (u32_col(b, "near", path)?, u32_col(b, "keys", path)?);
    Ok((0..b.num_rows())
        .map(|r| Edge {
            doc: doc.value(r),
            kind: kind.value(r) as u8,
            part: part.value(r),
            of_doc: of_doc.value(r),
            of_part: of_part.value(r),
            distance: distance.value(r),
            similarity: similarity.value(r),
            near: near.value(r) != 0,
            keys: keys.value(r) as u8,
        })
        .collect())
}

impl PairReader {
    fn open(work: &Path, partitions: u32) -> Result<PairReader, RunError> {
        let files = (0..partitions)
            .map(|p| Rows::open(work.join(format!("pairs-{p:05}.parquet")), decode_edges))
            .collect::<Result<_, _>>()?;
        Ok(PairReader { files })
    }

    /// Every pair whose later text is in document `doc` (earlier documents' are behind).
    fn of_doc(&mut self, doc: u64) -> Result<Vec<Edge>, RunError> {
        let mut out = Vec::new();
        for rows in &mut self.files {
            rows.take_while_key(doc, |e| e.doc, &mut out)?;
        }
        Ok(out)
    }
}

/// The cut groups' sketch values, per kind (bodies, paragraphs).
fn read_cuts(work: &Path, partitions: u32) -> Result<[HashSet<u32, rustc_hash::FxBuildHasher>; 2], RunError> {
    let mut cuts: [HashSet<u32, rustc_hash::FxBuildHasher>; 2] = Default::default();
    for p in 0..partitions {
        let path = work.join(format!("cuts-{p:05}.parquet"));
        for b in read_parquet(&path)? {
            let key = u64_col(&b, "key", &path)?;
            for k in key.values() {
                if k & (1 << 32) == 0 {
                    cuts[((k >> 33) & 1) as usize].insert(*k as u32);
                }
            }
        }
    }
    Ok(cuts)
}

/// Phase 4c, global: [`decide`]'s decisions, from the verified pairs of phase 4b instead of an
/// index of every fingerprint: the same barrier, over [`PairIndex`]es that hold a value, a
/// hash and a byte per kept text (and the buckets of the cut band keys).
pub fn decide_pairs(
    s: &Settings,
    shards: u32,
    partitions: u32,
    work: &Path,
) -> Result<PhaseSummary, RunError> {
    let d = &s.dedup;
    let [body_cuts, para_cuts] = read_cuts(work, partitions)?;
    let dedup = Dedup::with_indexes(
        d,
        PairIndex::<Para>::new(d.paragraph_max_distance, d.min_similarity, d.sketch_keys, para_cuts),
        PairIndex::<usize>::new(d.document_max_distance, d.min_similarity, d.sketch_keys, body_cuts),
    );
    let mut lookups = PairLookups {
        pairs: PairReader::open(work, partitions)?,
        compares: dedup.compares(),
        kept: HashMap::default(),
        shard: 0,
        first: 0,
    };
    replay(shards, work, dedup, &mut lookups)
}

/// Lookups from the verified pairs, a record at a time (what it may repeat depends on which
/// earlier documents stayed, the chunk's own included).
struct PairLookups {
    pairs: PairReader,
    /// Document dedup on; paragraphs compared across documents.
    compares: (bool, bool),
    /// Each kept document's place among the kept, by its global place.
    kept: HashMap<u64, u32, rustc_hash::FxBuildHasher>,
    shard: u32,
    first: u64,
}

type Pairs = Dedup<PairIndex<Para>, PairIndex<usize>>;

impl PairLookups {
    fn doc(&self, k: usize) -> u64 {
        (u64::from(self.shard) << 32) | (self.first + k as u64)
    }
}

impl Lookup<PairIndex<Para>, PairIndex<usize>> for PairLookups {
    fn chunk(&mut self, _: &Pairs, shard: u32, first: u64, _: &[PrintedRecord]) -> Result<(), RunError> {
        (self.shard, self.first) = (shard, first);
        Ok(())
    }

    fn look_up(&mut self, dedup: &Pairs, k: usize, r: &PrintedRecord) -> Result<Option<Lookups>, RunError> {
        let Some(print) = &r.print else { return Ok(None) };
        // Taken even when the record's id turns out taken, so the next document's are next.
        let edges = self.pairs.of_doc(self.doc(k))?;
        let kept = &self.kept;
        let candidates = |kind: u8, part: u32| {
            edges.iter().filter(move |e| e.kind == kind && e.part == part).filter_map(move |e| {
                let n = *kept.get(&e.of_doc)?;
                let item = if kind == 0 { u64::from(n) } else { paragraph_item(n, e.of_part - 1) };
                Some(Candidate {
                    item,
                    distance: e.distance,
                    similarity: e.similarity,
                    near: e.near,
                    keys: e.keys,
                })
            })
        };
        let (paras, bodies) = dedup.indexes();
        let (documents, paragraphs) = self.compares;
        let body = documents.then(|| bodies.look_up(&print.body, candidates(0, 0))).flatten();
        let found = if paragraphs {
            print
                .paragraphs
                .iter()
                .map(|pp| paras.look_up(&pp.fingerprint, candidates(1, pp.index + 1)))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Some(Lookups::new(body, found)))
    }

    fn kept(&mut self, k: usize, n: u32) {
        let doc = self.doc(k);
        self.kept.insert(doc, n);
    }

    fn sealed(&mut self, _: &mut Pairs) {}
}
