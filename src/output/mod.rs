//! Stage 6, write: the cleaned corpus and its provenance. Every file is written into the
//! staging folder and handed to a [`Commit`](commit::Commit), which moves them all into
//! place at the end of the run (so a killed run leaves the previous corpus as it was). A run
//! that only adds files (the output of every earlier file stays as it is) writes just what it
//! adds, and the commit appends it to corpus.jsonl, manifest.csv and duplicates.csv: the cost of
//! the run does not grow with the corpus. A run that cleans earlier files again starts each file
//! with the bytes of the files before them, copied.
//!
//! Output, in the output folder:
//! - `<id>.txt`: the cleaned body of each kept document, paragraphs separated by a blank line
//!   (or, by `output.documents`, `<id>.md` with front matter, `<id>.json`, or none);
//! - `corpus.jsonl`: one object per kept document: metadata, text, fingerprint and every removed
//!   paragraph with its raw byte span, reason and rule (see docs/output.md);
//! - `manifest.csv`: one row per input file or JSONL record, whatever happened to it;
//! - `duplicates.csv`: one row per document or paragraph found to repeat an earlier one;
//! - `stats.json`: the run's counters.
//!
//! A document file left by an earlier run for a document that is no longer kept (or in another
//! format) is removed; the previous `manifest.csv` says which documents earlier runs wrote.

pub mod commit;
pub mod file;
#[cfg(feature = "parquet")]
pub mod parquet;

use crate::corpus::clusters::Resolution;
use crate::error::RunError;
use crate::model::{DocId, Document, DropReason, Entry, Outcome, ParaRef, Removal, SourceInfo};
use crate::stats::RunStats;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Version of the `corpus.jsonl` record layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 3;

/// Writes one run's output.
#[derive(Debug)]
pub struct Writer {
    dir: PathBuf,
    /// Where temporary files go (`.newsprep/staging/`, cleared by the next run, so a killed run
    /// leaves none behind).
    tmp: PathBuf,
    corpus: Counted<BufWriter<NamedTempFile>>,
    manifest: csv::Writer<Counted<BufWriter<NamedTempFile>>>,
    duplicates: csv::Writer<Counted<BufWriter<NamedTempFile>>>,
    /// Ids whose document file an earlier run wrote.
    previous: BTreeSet<String>,
    /// Ids whose document file the output keeps: the kept prefix's and this run's.
    written: BTreeSet<String>,
    /// Document files this run staged (their content changed).
    staged: Vec<String>,
    /// The document files written.
    documents: DocumentFiles,
    /// Duplicate documents go to the corpus too, marked: to stay (`flag`), or until the
    /// canonical copies are known (policy other than `first`).
    duplicates_too: bool,
    /// Duplicates are left out of the final corpus (`drop`).
    drop_duplicates: bool,
    /// Appending: the three files hold only this run's rows, to go after these many bytes of
    /// the live files (which this run leaves as they are).
    append_to: Option<Positions>,
    /// Also write `corpus.parquet`.
    parquet: bool,
}

/// Bytes of each output file written so far: where the output of the last entry ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Positions {
    /// corpus.jsonl.
    pub corpus: u64,
    /// manifest.csv.
    pub manifest: u64,
    /// duplicates.csv.
    pub duplicates: u64,
}

/// A writer that counts what passes through it. Its `flush` passes nothing on: the csv writers
/// flush into it after every entry (to count), and the buffer below flushes when full.
#[derive(Debug)]
pub(crate) struct Counted<W> {
    pub(crate) inner: W,
    /// Bytes written so far.
    pub(crate) n: u64,
}

impl<W> Counted<W> {
    /// Counting from zero what goes to `inner`.
    pub(crate) fn new(inner: W) -> Self {
        Counted { inner, n: 0 }
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Counted<BufWriter<NamedTempFile>> {
    /// A new temporary file in `tmp` that starts with the first `keep` bytes of `old` (or, to
    /// be appended to `old`, starts empty and counts from `keep`).
    fn starting_with(tmp: &Path, old: &Path, keep: u64, append: bool) -> std::io::Result<Self> {
        let mut inner = BufWriter::with_capacity(1 << 20, file::temp_in(tmp)?);
        if keep > 0 && !append {
            let copied = std::io::copy(&mut std::io::Read::take(fs::File::open(old)?, keep), &mut inner)?;
            if copied != keep {
                return Err(std::io::Error::other(format!(
                    "{} is shorter than its recorded size",
                    old.display()
                )));
            }
        }
        Ok(Counted { inner, n: keep })
    }

    fn into_file(self) -> std::io::Result<NamedTempFile> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

/// The columns of `duplicates.csv`.
pub const DUPLICATES_HEADER: [&str; 6] =
    ["cluster", "member", "canonical", "level", "distance", "similarity"];

/// Does this outcome go into the corpus as written now: `Some(None)` kept, `Some(Some(of))`
/// a duplicate of `of` written marked (with `duplicates_too`: flagged, or until the canonical
/// copies are settled), `None` not at all.
pub fn in_corpus(o: &Outcome, duplicates_too: bool) -> Option<Option<&DocId>> {
    match o {
        Outcome::Keep(_) => Some(None),
        Outcome::Drop(_, DropReason::Duplicate { of, .. }) if duplicates_too => Some(Some(of)),
        Outcome::Drop(..) => None,
    }
}

/// What the writer does with near-duplicate documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateOutput {
    /// Write them into the corpus as they come (marked with `duplicate_of`).
    pub write: bool,
    /// Leave them out of the finished corpus.
    pub drop: bool,
}

impl DuplicateOutput {
    /// From the settings: flagged duplicates stay; under a policy other than `first` a
    /// duplicate may turn out canonical, so it is written until the end.
    pub fn new(
        action: crate::stages::dedup::DocumentAction,
        policy: crate::stages::dedup::CanonicalPolicy,
    ) -> Self {
        use crate::stages::dedup::{CanonicalPolicy, DocumentAction};
        DuplicateOutput {
            write: action == DocumentAction::Flag
                || (action == DocumentAction::Drop && policy != CanonicalPolicy::First),
            drop: action == DocumentAction::Drop,
        }
    }
}

fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output { path: path.to_path_buf(), source }
}

impl Writer {
    /// Prepare the output folder (created if missing). The output of the files before this
    /// run's first one is kept as it was, the first `prefix` bytes of each file: when that is
    /// all of each file, this run's rows are appended to it at the commit; otherwise the
    /// prefix is copied into the new file.
    pub fn create(
        dir: &Path,
        documents: DocumentFiles,
        dups: DuplicateOutput,
        prefix: Positions,
    ) -> Result<Writer, RunError> {
        fs::create_dir_all(dir).map_err(out_err(dir))?;
        let tmp = commit::Commit::staging_dir(dir);
        fs::create_dir_all(&tmp).map_err(out_err(&tmp))?;
        let live = |name: &str| fs::metadata(dir.join(name)).map(|m| m.len()).ok();
        // Settling canonical copies rewrites earlier rows: never while appending (such policies
        // rebuild the corpus every run, so the prefix is empty then).
        let append = prefix != Positions::default()
            && !(dups.write && dups.drop)
            && live("corpus.jsonl") == Some(prefix.corpus)
            && live("manifest.csv") == Some(prefix.manifest)
            && live("duplicates.csv") == Some(prefix.duplicates);
        // Appending leaves every earlier row and text file as it is: none can go stale.
        let (previous, kept_before) = if append {
            Default::default()
        } else {
            previous_kept(&dir.join("manifest.csv"), prefix.manifest)
        };
        let open = |name: &str, keep: u64| {
            let path = dir.join(name);
            Counted::starting_with(&tmp, &path, keep, append).map_err(|e| out_err(&path)(e))
        };
        let corpus = open("corpus.jsonl", prefix.corpus)?;
        let manifest = csv::WriterBuilder::new()
            .has_headers(prefix.manifest == 0)
            .from_writer(open("manifest.csv", prefix.manifest)?);
        // The header is written by hand so that a run without duplicates still has it.
        let mut duplicates = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(open("duplicates.csv", prefix.duplicates)?);
        if prefix.duplicates == 0 {
            duplicates.write_record(DUPLICATES_HEADER).map_err(|e| out_err(dir)(e.into()))?;
        }
        let texts = documents != DocumentFiles::None;
        Ok(Writer {
            dir: dir.to_path_buf(),
            tmp,
            corpus,
            manifest,
            duplicates,
            previous,
            written: if texts { kept_before } else { BTreeSet::new() },
            staged: Vec::new(),
            documents,
            duplicates_too: dups.write,
            drop_duplicates: dups.drop,
            append_to: append.then_some(prefix),
            parquet: false,
        })
    }

    /// Also write `corpus.parquet` (`output.parquet`; only with the `parquet` feature).
    pub fn with_parquet(mut self, on: bool) -> Self {
        self.parquet = on;
        self
    }

    /// Write a batch of finished entries, in order; returns where each entry's output ends.
    pub fn write(&mut self, entries: &[Entry]) -> Result<Vec<Positions>, RunError> {
        // Text files do not depend on each other: stage them in parallel.
        let staged: Vec<String> = entries
            .par_iter()
            .filter_map(|e| match e {
                Entry::Done(o) => self.in_corpus(o).map(|of| (o.doc(), of)),
                _ => None,
            })
            .filter_map(|(d, of)| Some((d, of, self.documents.extension()?)))
            .map(|(d, of, ext)| {
                let rel = format!("{}.{ext}", d.id.0);
                let bytes = document_file(d, of, self.documents);
                Ok(commit::Commit::stage_bytes(&self.dir, &rel, &bytes)?.then_some(rel))
            })
            .filter_map(Result::transpose)
            .collect::<Result<_, RunError>>()?;
        self.staged.extend(staged);
        let corpus_path = self.dir.join("corpus.jsonl");
        let manifest_path = self.dir.join("manifest.csv");
        let duplicates_path = self.dir.join("duplicates.csv");
        let mut ends = Vec::with_capacity(entries.len());
        for e in entries {
            if let Entry::Done(o) = e
                && let Some(duplicate_of) = self.in_corpus(o)
            {
                let d = o.doc();
                let record = CorpusRecord { duplicate_of, ..CorpusRecord::new(d) };
                serde_json::to_writer(&mut self.corpus, &record)
                    .map_err(|e| out_err(&corpus_path)(e.into()))?;
                self.corpus.write_all(b"\n").map_err(out_err(&corpus_path))?;
                if self.documents != DocumentFiles::None {
                    self.written.insert(d.id.0.clone());
                }
            }
            self.manifest.serialize(ManifestRow::new(e)).map_err(|e| out_err(&manifest_path)(e.into()))?;
            if let Entry::Done(o) = e {
                for row in DuplicateRow::of(o) {
                    self.duplicates.serialize(row).map_err(|e| out_err(&duplicates_path)(e.into()))?;
                }
            }
            // Into the counters (not to disk): where this entry's rows end.
            self.manifest.flush().map_err(out_err(&manifest_path))?;
            self.duplicates.flush().map_err(out_err(&duplicates_path))?;
            ends.push(Positions {
                corpus: self.corpus.n,
                manifest: self.manifest.get_ref().n,
                duplicates: self.duplicates.get_ref().n,
            });
        }
        Ok(ends)
    }

    fn in_corpus<'o>(&self, o: &'o Outcome) -> Option<Option<&'o DocId>> {
        in_corpus(o, self.duplicates_too)
    }

    /// Stage everything in `commit` and list the stale text files for removal. Clusters whose
    /// canonical copy is not their first member (`resolution`) are settled here: the files
    /// written as the documents streamed by are rewritten once, with the two members' places
    /// exchanged. Returns the sizes of corpus.jsonl, manifest.csv and duplicates.csv.
    pub fn finish(
        self,
        stats: &RunStats,
        resolution: &Resolution,
        commit: &mut commit::Commit,
    ) -> Result<[u64; 3], RunError> {
        let corpus_path = self.dir.join("corpus.jsonl");
        let manifest_path = self.dir.join("manifest.csv");
        let duplicates_path = self.dir.join("duplicates.csv");
        let mut corpus = self.corpus.into_file().map_err(out_err(&corpus_path))?;
        let mut manifest =
            (self.manifest.into_inner().map_err(|e| out_err(&manifest_path)(e.into_error()))?)
                .into_file()
                .map_err(out_err(&manifest_path))?;
        let mut duplicates =
            (self.duplicates.into_inner().map_err(|e| out_err(&duplicates_path)(e.into_error()))?)
                .into_file()
                .map_err(out_err(&duplicates_path))?;
        // Documents written by this run that the settled corpus leaves out: their text files go
        // with the stale ones.
        let mut left_out = Vec::new();
        let settle = self.duplicates_too && (self.drop_duplicates || !resolution.swaps.is_empty());
        assert!(!(settle && self.append_to.is_some()), "settling never happens while appending");
        if settle {
            (corpus, left_out) = settle_corpus(&self.tmp, corpus, resolution, self.drop_duplicates)
                .map_err(out_err(&corpus_path))?;
        }
        if !resolution.swaps.is_empty() {
            manifest = settle_manifest(&self.tmp, manifest, resolution).map_err(out_err(&manifest_path))?;
            duplicates =
                settle_duplicates(&self.tmp, duplicates, resolution).map_err(out_err(&duplicates_path))?;
        }
        stage_parquet(self.parquet, &self.dir, &self.tmp, self.append_to.map(|p| p.corpus), &corpus, commit)?;
        let mut sizes = [0u64; 3];
        let base = self.append_to.map(|p| [p.corpus, p.manifest, p.duplicates]);
        for (i, (tmp, name)) in
            [(corpus, "corpus.jsonl"), (manifest, "manifest.csv"), (duplicates, "duplicates.csv")]
                .into_iter()
                .enumerate()
        {
            let path = self.dir.join(name);
            tmp.as_file().sync_all().map_err(out_err(&path))?;
            sizes[i] = tmp.as_file().metadata().map_err(out_err(&path))?.len();
            match base {
                Some(base) => {
                    sizes[i] += base[i];
                    commit.stage_append(tmp, name, base[i])?;
                }
                None => commit.stage_file(tmp, name)?,
            }
        }
        let mut json = serde_json::to_string_pretty(stats).expect("stats serialize");
        json.push('\n');
        commit.stage("stats.json", json.as_bytes())?;
        let left_out: BTreeSet<String> = left_out.into_iter().collect();
        let ext = self.documents.extension();
        for rel in self.staged {
            // A file staged for a document the settled corpus leaves out is not moved in.
            let id = ext.and_then(|e| rel.strip_suffix(&format!(".{e}"))).unwrap_or(&rel);
            if !left_out.contains(id) {
                commit.moved(rel);
            }
        }
        // Files of documents no longer kept go, and so do an earlier run's files in another
        // format (a changed `output.documents` rebuilds the corpus, so `previous` lists all).
        for id in &self.previous {
            let gone = !self.written.contains(id) || left_out.contains(id);
            for e in DocumentFiles::EXTENSIONS {
                let name = format!("{id}.{e}");
                // Another format's file is looked for first: it is there only after a change.
                if (gone && Some(e) == ext) || (Some(e) != ext && self.dir.join(&name).exists()) {
                    commit.remove(name);
                }
            }
        }
        for id in left_out.difference(&self.previous) {
            if let Some(e) = ext {
                commit.remove(format!("{id}.{e}"));
            }
        }
        Ok(sizes)
    }
}

/// The Parquet corpus's file name, in the output folder (builds without the feature know it
/// too, to remove it).
pub const PARQUET_FILE: &str = "corpus.parquet";

/// Stage `corpus.parquet`, made from the whole corpus: the live corpus.jsonl's first `base`
/// bytes when this run appends, then the rows this run wrote (`corpus`). Parquet cannot be
/// appended to, so it is written whole each run. Without `on`, an earlier run's file goes.
fn stage_parquet(
    on: bool,
    dir: &Path,
    tmp: &Path,
    base: Option<u64>,
    corpus: &NamedTempFile,
    commit: &mut commit::Commit,
) -> Result<(), RunError> {
    #[cfg(feature = "parquet")]
    if on {
        use std::io::Read;
        let path = dir.join(PARQUET_FILE);
        let io = |source: std::io::Error| RunError::Output { path: path.clone(), source };
        let live: Box<dyn Read> = match base {
            Some(n) => Box::new(fs::File::open(dir.join("corpus.jsonl")).map_err(io)?.take(n)),
            None => Box::new(std::io::empty()),
        };
        let lines = std::io::BufReader::with_capacity(1 << 20, live.chain(corpus.reopen().map_err(io)?));
        let out = file::temp_in(tmp).map_err(io)?;
        parquet::write(lines, BufWriter::new(out.as_file())).map_err(|m| io(std::io::Error::other(m)))?;
        return commit.stage_file(out, PARQUET_FILE);
    }
    let _ = (on, tmp, base, corpus);
    if dir.join(PARQUET_FILE).exists() {
        commit.remove(PARQUET_FILE.to_string());
    }
    Ok(())
}

/// The corpus with the canonical copies settled: a first member that lost its place is left
/// out (`drop`) or marked as a duplicate of the canonical copy (`flag`); the canonical copy
/// loses its mark; under `drop` every other duplicate is left out. Other lines are copied as
/// they are. Returns the new file and the ids left out.
fn settle_corpus(
    dir: &Path,
    tmp: NamedTempFile,
    r: &Resolution,
    drop: bool,
) -> std::io::Result<(NamedTempFile, Vec<String>)> {
    use std::io::BufRead;
    #[derive(serde::Deserialize)]
    struct Head {
        id: String,
        #[serde(default)]
        duplicate_of: Option<String>,
    }
    let mut out = BufWriter::new(file::temp_in(dir)?);
    let mut left_out = Vec::new();
    for line in std::io::BufReader::new(tmp.reopen()?).lines() {
        let line = line?;
        let head: Head = serde_json::from_str(&line).map_err(std::io::Error::other)?;
        let id = DocId(head.id);
        let swapped_out = r.of_first(&id);
        let swapped_in = r.of_canonical(&id).is_some();
        if drop && (swapped_out.is_some() || (head.duplicate_of.is_some() && !swapped_in)) {
            left_out.push(id.0);
            continue;
        }
        if swapped_out.is_none() && !swapped_in {
            out.write_all(line.as_bytes())?;
        } else {
            let mut record: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&line).map_err(std::io::Error::other)?;
            match swapped_out {
                Some(swap) => {
                    record.insert("duplicate_of".into(), swap.canonical.0.clone().into());
                }
                None => {
                    record.shift_remove("duplicate_of");
                }
            }
            serde_json::to_writer(&mut out, &record)?;
        }
        out.write_all(b"\n")?;
    }
    Ok((out.into_inner().map_err(|e| e.into_error())?, left_out))
}

/// A CSV file written by this run, rewritten row by row: `editor` is given the header once and
/// returns what may change each row's fields.
fn rewrite_csv<E: FnMut(&mut Vec<String>)>(
    dir: &Path,
    tmp: NamedTempFile,
    editor: impl FnOnce(&csv::StringRecord) -> E,
) -> std::io::Result<NamedTempFile> {
    let mut reader = csv::Reader::from_reader(tmp.reopen()?);
    let headers = reader.headers().map_err(std::io::Error::other)?.clone();
    let mut edit = editor(&headers);
    let mut out = csv::Writer::from_writer(file::temp_in(dir)?);
    out.write_record(&headers)?;
    for row in reader.records() {
        let row = row.map_err(std::io::Error::other)?;
        let mut fields: Vec<String> = row.iter().map(str::to_string).collect();
        edit(&mut fields);
        out.write_record(&fields)?;
    }
    out.into_inner().map_err(|e| e.into_error())
}

/// The manifest with the canonical copies settled: the canonical copy becomes `kept`, the
/// first member a `duplicate` of it.
fn settle_manifest(dir: &Path, tmp: NamedTempFile, r: &Resolution) -> std::io::Result<NamedTempFile> {
    rewrite_csv(dir, tmp, |headers| {
        let col = |name: &str| headers.iter().position(|h| h == name).expect("manifest column");
        let (id, status, of, distance, message) =
            (col("id"), col("status"), col("duplicate_of"), col("distance"), col("message"));
        move |fields: &mut Vec<String>| {
            let this = DocId(fields[id].clone());
            if let Some(s) = r.of_first(&this) {
                fields[status] = "duplicate".into();
                fields[of] = s.canonical.0.clone();
                fields[distance] = s.distance.to_string();
                fields[message] = format!(
                    "canonical policy {} keeps {} of this cluster instead (distance {}, similarity {:.2})",
                    r.policy.name(),
                    s.canonical,
                    s.distance,
                    s.similarity
                );
            } else if r.of_canonical(&this).is_some() {
                fields[status] = "kept".into();
                fields[of].clear();
                fields[distance].clear();
                fields[message].clear();
            }
        }
    })
}

/// `duplicates.csv` with the canonical copies settled: in a swapped cluster the row of the
/// canonical copy names the first member instead, and every document row names the new
/// canonical copy. Clusters keep their first member's id as their name.
fn settle_duplicates(dir: &Path, tmp: NamedTempFile, r: &Resolution) -> std::io::Result<NamedTempFile> {
    // cluster, member, canonical, level, distance, similarity
    rewrite_csv(dir, tmp, |_| {
        |fields: &mut Vec<String>| {
            if fields[3] == "document"
                && let Some(swap) = r.of_first(&DocId(fields[0].clone()))
            {
                if fields[1] == swap.canonical.0 {
                    fields[1] = fields[0].clone();
                }
                fields[2] = swap.canonical.0.clone();
            }
        }
    })
}

/// The three files of a sharded run's shard, written as the documents streamed by, settled by
/// the canonical copies the whole run chose (each row is settled on its own, as [`Writer`]
/// settles a run's): returns the settled corpus, manifest and duplicates files. `dir` is where
/// the new temporary files go.
pub fn settle_shard(
    dir: &Path,
    files: [NamedTempFile; 3],
    r: &Resolution,
    dups: DuplicateOutput,
) -> std::io::Result<[NamedTempFile; 3]> {
    let [mut corpus, mut manifest, mut duplicates] = files;
    if dups.write && (dups.drop || !r.swaps.is_empty()) {
        corpus = settle_corpus(dir, corpus, r, dups.drop)?.0;
    }
    if !r.swaps.is_empty() {
        manifest = settle_manifest(dir, manifest, r)?;
        duplicates = settle_duplicates(dir, duplicates, r)?;
    }
    Ok([corpus, manifest, duplicates])
}

/// Ids with status `kept` or `duplicate` in an earlier manifest (empty if there is none or it is
/// unreadable), and those of them in its first `prefix` bytes.
fn previous_kept(path: &Path, prefix: u64) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut all, mut before) = (BTreeSet::new(), BTreeSet::new());
    let Ok(mut r) = csv::Reader::from_path(path) else {
        return (all, before);
    };
    let mut row = csv::StringRecord::new();
    let headers = r.headers().cloned().unwrap_or_default();
    let (Some(id), Some(status)) =
        (headers.iter().position(|h| h == "id"), headers.iter().position(|h| h == "status"))
    else {
        return (all, before);
    };
    while let Ok(true) = r.read_record(&mut row) {
        // A duplicate may have had a text file too (`flag`); removing a missing one is harmless.
        if matches!(row.get(status), Some("kept" | "duplicate")) {
            let id = row.get(id).unwrap_or_default().to_string();
            if row.position().is_some_and(|p| p.byte() < prefix) {
                before.insert(id.clone());
            }
            all.insert(id);
        }
    }
    (all, before)
}

/// The bytes of a kept document's file in `format` (`of`: the document a flagged duplicate
/// repeats).
fn document_file(d: &Document, of: Option<&DocId>, format: DocumentFiles) -> Vec<u8> {
    let mut out = match format {
        DocumentFiles::Json => {
            let record = CorpusRecord { duplicate_of: of, ..CorpusRecord::new(d) };
            serde_json::to_vec_pretty(&record).expect("a record serializes")
        }
        DocumentFiles::Md => front_matter(d, of).into_bytes(),
        DocumentFiles::Txt | DocumentFiles::None => d.body_text_with(1).into_bytes(),
    };
    out.push(b'\n');
    out
}

/// YAML front matter, then the body. Values are JSON strings, which YAML reads as
/// double-quoted scalars, so no title can break the block; a missing field is `null`.
fn front_matter(d: &Document, of: Option<&DocId>) -> String {
    let quote = |v: Option<&str>| {
        v.map_or_else(|| "null".to_string(), |s| serde_json::to_string(s).expect("a string"))
    };
    let m = &d.meta;
    let mut fm = String::from("---\n");
    let fields: [(&str, Option<&str>); 9] = [
        ("id", Some(&d.id.0)),
        ("title", m.title.as_deref()),
        ("author", m.author.as_deref()),
        ("published", m.published.as_deref()),
        ("site", m.site.as_deref()),
        ("dateline", m.dateline.as_deref()),
        ("source", Some(&d.source.path)),
        ("sha256", Some(&d.source.sha256)),
        ("encoding", Some(d.source.encoding)),
    ];
    for (k, v) in fields {
        fm.push_str(&format!("{k}: {}\n", quote(v)));
    }
    if let Some(line) = d.source.line {
        fm.push_str(&format!("line: {line}\n"));
    }
    if let Some(of) = of {
        fm.push_str(&format!("duplicate_of: {}\n", quote(Some(&of.0))));
    }
    fm.push_str("---\n\n");
    fm.push_str(&d.body_markdown());
    fm
}

/// One line of `corpus.jsonl`.
#[derive(Debug, Serialize)]
pub struct CorpusRecord<'a> {
    /// Layout version.
    pub schema_version: u32,
    /// Document id.
    pub id: &'a DocId,
    /// Path relative to the input folder.
    pub source: &'a str,
    /// For a JSONL record: its line in `source` (spans are then offsets into its `text`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Raw file size (a JSONL record: its line's size).
    pub bytes: u64,
    /// SHA-256 of the raw file.
    pub sha256: &'a str,
    /// The encoding the raw bytes were decoded from (`UTF-8`, `windows-1252`, `UTF-16LE`, ...).
    pub encoding: &'a str,
    /// Headline.
    pub title: Option<&'a str>,
    /// Byline.
    pub author: Option<&'a str>,
    /// `YYYY-MM-DD`.
    pub published: Option<&'a str>,
    /// Site name.
    pub site: Option<&'a str>,
    /// Dateline place.
    pub dateline: Option<&'a str>,
    /// Cleaned body, same as `<id>.txt` without its final newline.
    pub text: String,
    /// Body SimHash, 16 hex digits.
    pub simhash: String,
    /// Raw byte span `[start, end)` of each kept paragraph, in text order.
    pub spans: Vec<[usize; 2]>,
    /// Every removed paragraph.
    pub removed: Vec<RemovedRecord<'a>>,
    /// With `dedup.document.action = "flag"`: the earlier document this one duplicates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<&'a DocId>,
}

/// One removed paragraph in `corpus.jsonl`.
#[derive(Debug, Serialize)]
pub struct RemovedRecord<'a> {
    /// Index among the document's paragraphs.
    pub paragraph: usize,
    /// Raw span start.
    pub start: usize,
    /// Raw span end.
    pub end: usize,
    /// `markup`, `metadata`, `boilerplate`, `tail`, `classifier`, `site` or `duplicate`.
    pub reason: &'static str,
    /// Rule id (markup, boilerplate, tail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'a str>,
    /// Boilerplate category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<&'static str>,
    /// Metadata field it became.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// The paragraph it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<&'a ParaRef>,
    /// Fingerprint distance to that paragraph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// Estimated shingle Jaccard similarity to that paragraph (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// Classifier: content probability (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Classifier: the signals that decided; site: whose learned line it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// The normalized text that was removed.
    pub text: &'a str,
}

impl<'a> CorpusRecord<'a> {
    /// The record of a kept document.
    pub fn new(d: &'a Document) -> Self {
        let removed = d
            .paragraphs
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let r = p.removal.as_ref()?;
                let mut rec = RemovedRecord {
                    paragraph: i,
                    start: p.span.start,
                    end: p.span.end,
                    reason: r.reason(),
                    rule: None,
                    category: None,
                    field: None,
                    duplicate_of: None,
                    distance: None,
                    similarity: None,
                    score: None,
                    why: None,
                    text: &p.text,
                };
                match r {
                    Removal::Markup { rule } => rec.rule = Some(rule),
                    Removal::Metadata(f) => rec.field = Some(f.as_str()),
                    Removal::Boilerplate { rule, category } => {
                        rec.rule = Some(rule);
                        rec.category = Some(category);
                    }
                    Removal::AfterTail { rule, why } => {
                        rec.rule = Some(rule);
                        rec.why = Some(why.clone());
                    }
                    Removal::Classifier { verdict, permille, why } => {
                        rec.rule = Some(verdict.as_str());
                        rec.score = Some(f64::from(*permille) / 1000.0);
                        rec.why = Some(why.clone());
                    }
                    Removal::Dom { rule, why } => {
                        rec.rule = Some(rule);
                        rec.why = Some(why.clone());
                    }
                    Removal::Site { site } => {
                        rec.why =
                            Some(format!("learned boilerplate of site \"{site}\" (see `newsprep sites`)"));
                    }
                    Removal::Duplicate { of, distance, similarity } => {
                        rec.duplicate_of = Some(of);
                        rec.distance = Some(*distance);
                        rec.similarity = Some(f64::from(*similarity) / 1000.0);
                    }
                }
                Some(rec)
            })
            .collect();
        CorpusRecord {
            schema_version: SCHEMA_VERSION,
            id: &d.id,
            source: &d.source.path,
            line: d.source.line,
            bytes: d.source.bytes,
            sha256: &d.source.sha256,
            encoding: d.source.encoding,
            title: d.meta.title.as_deref(),
            author: d.meta.author.as_deref(),
            published: d.meta.published.as_deref(),
            site: d.meta.site.as_deref(),
            dateline: d.meta.dateline.as_deref(),
            text: d.body_text(),
            simhash: format!("{:016x}", d.body.map_or(0, |b| b.simhash)),
            spans: d.kept().map(|p| [p.span.start, p.span.end]).collect(),
            removed,
            duplicate_of: None,
        }
    }
}

/// One row of `duplicates.csv`: a document or paragraph and the earlier one it repeats.
#[derive(Debug, Serialize)]
pub struct DuplicateRow {
    /// The cluster: its canonical member (the copy that was kept, the first seen).
    pub cluster: String,
    /// The repeat: a document id, or `<id>#<paragraph index>`.
    pub member: String,
    /// The copy kept: a document id, or `<id>#<paragraph index>`.
    pub canonical: String,
    /// `document` or `paragraph`.
    pub level: &'static str,
    /// SimHash distance.
    pub distance: u32,
    /// Estimated shingle Jaccard similarity, 0 to 1.
    pub similarity: f64,
}

impl DuplicateRow {
    /// The rows of one processed document: itself when it was dropped as a duplicate, and
    /// each of its paragraphs removed as a repeat.
    pub fn of(o: &Outcome) -> Vec<DuplicateRow> {
        let d = o.doc();
        let mut rows = Vec::new();
        let paragraph = |i: usize, of: &ParaRef, distance: u32, similarity: u16| {
            let canonical = format!("{}#{}", of.id.0, of.paragraph);
            DuplicateRow {
                cluster: canonical.clone(),
                member: format!("{}#{i}", d.id.0),
                canonical,
                level: "paragraph",
                distance,
                similarity: f64::from(similarity) / 1000.0,
            }
        };
        if let Outcome::Drop(_, DropReason::Duplicate { of, distance, similarity, repeats, .. }) = o {
            rows.push(DuplicateRow {
                cluster: of.0.clone(),
                member: d.id.0.clone(),
                canonical: of.0.clone(),
                level: "document",
                distance: *distance,
                similarity: (f64::from(*similarity) * 1000.0).round() / 1000.0,
            });
            // The paragraphs it shares with earlier documents, though its text stays whole.
            for r in repeats {
                rows.push(paragraph(r.paragraph, &r.of, r.distance, r.similarity));
            }
        }
        for (i, p) in d.paragraphs.iter().enumerate() {
            if let Some(Removal::Duplicate { of, distance, similarity }) = &p.removal {
                rows.push(paragraph(i, of, *distance, *similarity));
            }
        }
        rows
    }
}

/// One row of `manifest.csv`.
#[derive(Debug, Serialize)]
pub struct ManifestRow<'a> {
    /// Document id.
    pub id: &'a str,
    /// Path relative to the input folder.
    pub source: &'a str,
    /// For a JSONL record: its line in `source`.
    pub line: Option<u64>,
    /// Raw size in bytes.
    pub bytes: u64,
    /// SHA-256 of the raw bytes (empty if it could not be read).
    pub sha256: &'a str,
    /// The encoding the raw bytes were decoded from (empty if they were not).
    pub encoding: &'a str,
    /// `kept`, `duplicate`, `empty`, `error` or `skipped`.
    pub status: &'static str,
    /// Paragraphs in the written text.
    pub paragraphs_kept: usize,
    /// Paragraphs removed (metadata, boilerplate, duplicates, markup).
    pub paragraphs_removed: usize,
    /// For `duplicate`: the earlier document.
    pub duplicate_of: &'a str,
    /// For `duplicate`: body fingerprint distance.
    pub distance: Option<u32>,
    /// Why, for `duplicate`, `empty`, `error` and `skipped`.
    pub message: String,
}

impl<'a> ManifestRow<'a> {
    /// The row of a file or line that gave no document: `status` is `error` or `skipped`.
    fn unread(id: &'a DocId, source: &'a SourceInfo, status: &'static str, message: String) -> Self {
        ManifestRow {
            id: &id.0,
            source: &source.path,
            line: source.line,
            bytes: source.bytes,
            sha256: &source.sha256,
            encoding: source.encoding,
            status,
            paragraphs_kept: 0,
            paragraphs_removed: 0,
            duplicate_of: "",
            distance: None,
            message,
        }
    }

    /// The row of one entry.
    pub fn new(e: &'a Entry) -> Self {
        match e {
            Entry::Done(o) => {
                let d = o.doc();
                let kept = d.kept().count();
                let mut row = ManifestRow {
                    id: &d.id.0,
                    source: &d.source.path,
                    line: d.source.line,
                    bytes: d.source.bytes,
                    sha256: &d.source.sha256,
                    encoding: d.source.encoding,
                    status: "kept",
                    paragraphs_kept: kept,
                    paragraphs_removed: d.paragraphs.len() - kept,
                    duplicate_of: "",
                    distance: None,
                    message: d.source.note.clone().unwrap_or_default(),
                };
                match o {
                    Outcome::Keep(_) => {}
                    Outcome::Drop(_, r @ DropReason::Duplicate { of, distance, .. }) => {
                        row.status = "duplicate";
                        row.duplicate_of = &of.0;
                        row.distance = Some(*distance);
                        row.message = r.message();
                    }
                    Outcome::Drop(_, r @ DropReason::Empty { .. }) => {
                        row.status = "empty";
                        row.message = r.message();
                    }
                }
                if let (Some(note), false) = (&d.source.note, row.status == "kept") {
                    row.message = format!("{}; {note}", row.message);
                }
                row
            }
            Entry::Failed { id, source, error } => Self::unread(id, source, "error", error.to_string()),
            Entry::Skipped { id, source, reason } => Self::unread(id, source, "skipped", reason.clone()),
        }
    }
}

/// What is written per kept document besides its line in corpus.jsonl (also the values of
/// `newsprep run --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentFiles {
    /// `<id>.txt` with the cleaned body.
    Txt,
    /// `<id>.md`: YAML front matter (id, title, author, published, site, source, ...), then
    /// the cleaned body, for static-site and notes tools.
    Md,
    /// `<id>.json`: the document's corpus.jsonl record, pretty-printed.
    Json,
    /// Nothing: corpus.jsonl holds every body. Creating one file per document is most of a
    /// run's time on a large JSONL feed.
    None,
}

impl DocumentFiles {
    /// The extension of the files, none for `None`.
    pub fn extension(self) -> Option<&'static str> {
        match self {
            DocumentFiles::Txt => Some("txt"),
            DocumentFiles::Md => Some("md"),
            DocumentFiles::Json => Some("json"),
            DocumentFiles::None => None,
        }
    }

    /// Every extension a per-document file can have.
    pub const EXTENSIONS: [&'static str; 3] = ["txt", "md", "json"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Features, Fingerprint, MetaField, Paragraph, SourceInfo, Span};

    /// Duplicates left out, as by default.
    const DROP: DuplicateOutput = DuplicateOutput { write: false, drop: true };

    fn para(text: &str, start: usize, removal: Option<Removal>) -> Paragraph {
        let span = Span { start, end: start + text.len() };
        Paragraph { text: text.into(), span, features: Features::default(), removal, fingerprint: None }
    }

    fn doc(id: &str) -> Document {
        let mut d =
            Document::new(DocId(id.into()), SourceInfo::unread(format!("{id}.txt")), String::new(), 0);
        let of = ParaRef { id: DocId(id.into()), paragraph: 1, start: 7, end: 17 };
        d.paragraphs = vec![
            para("Title", 0, Some(Removal::Metadata(MetaField::Title))),
            para("Body text.", 7, None),
            para(
                "Share This",
                19,
                Some(Removal::Boilerplate { rule: "share-buttons".into(), category: "share" }),
            ),
            para("Body text.", 31, Some(Removal::Duplicate { of, distance: 0, similarity: 1000 })),
        ];
        d.meta.title = Some("Title".into());
        d.body = Some(Fingerprint { exact: 1, simhash: 0xabc, sketch: Default::default(), tokens: 2 });
        d
    }

    #[cfg(unix)]
    #[test]
    fn corpus_record_lists_every_removal_with_its_provenance() {
        let d = doc("a");
        let v = serde_json::to_value(CorpusRecord::new(&d)).unwrap();
        assert_eq!(v["text"], "Body text.");
        assert_eq!(v["title"], "Title");
        assert_eq!(v["simhash"], "0000000000000abc");
        assert_eq!(v["spans"], serde_json::json!([[7, 17]]));
        let removed = v["removed"].as_array().unwrap();
        assert_eq!(removed.len(), 3);
        assert_eq!(
            removed[0],
            serde_json::json!({"paragraph": 0, "start": 0, "end": 5, "reason": "metadata", "field": "title", "text": "Title"})
        );
        assert_eq!(removed[1]["rule"], "share-buttons");
        assert_eq!(removed[1]["category"], "share");
        assert_eq!(
            removed[2]["duplicate_of"],
            serde_json::json!({"id": "a", "paragraph": 1, "start": 7, "end": 17})
        );
        assert_eq!(removed[2]["distance"], 0);
    }

    #[test]
    fn markdown_files_carry_front_matter_and_json_files_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let run = |format: DocumentFiles| {
            let mut c = commit::Commit::new(dir.path()).unwrap();
            let mut w = Writer::create(dir.path(), format, DROP, Positions::default()).unwrap();
            let mut d = doc("a");
            d.meta.title = Some("A \"quoted\": title".into());
            w.write(&[Entry::Done(Outcome::Keep(d))]).unwrap();
            w.finish(&RunStats::default(), &Resolution::default(), &mut c).unwrap();
            c.apply().unwrap();
        };
        run(DocumentFiles::Md);
        let md = fs::read_to_string(dir.path().join("a.md")).unwrap();
        assert_eq!(
            md,
            "---\nid: \"a\"\ntitle: \"A \\\"quoted\\\": title\"\nauthor: null\npublished: null\nsite: null\ndateline: null\nsource: \"a.txt\"\nsha256: \"\"\nencoding: \"\"\n---\n\nBody text.\n"
        );
        assert!(!dir.path().join("a.txt").exists());
        // Another format replaces the files of the first: no stale a.md stays beside a.json.
        run(DocumentFiles::Json);
        let json: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join("a.json")).unwrap()).unwrap();
        let line = fs::read_to_string(dir.path().join("corpus.jsonl")).unwrap();
        assert_eq!(json, serde_json::from_str::<serde_json::Value>(&line).unwrap());
        assert!(!dir.path().join("a.md").exists(), "the markdown file of the earlier run is gone");
    }

    #[test]
    fn a_rerun_removes_text_files_of_documents_no_longer_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = commit::Commit::new(dir.path()).unwrap();
        let mut w = Writer::create(dir.path(), DocumentFiles::Txt, DROP, Positions::default()).unwrap();
        w.write(&[Entry::Done(Outcome::Keep(doc("a"))), Entry::Done(Outcome::Keep(doc("b")))]).unwrap();
        w.finish(&RunStats::default(), &Resolution::default(), &mut c).unwrap();
        c.apply().unwrap();
        assert!(dir.path().join("b.txt").exists());

        let mut c = commit::Commit::new(dir.path()).unwrap();
        let mut w = Writer::create(dir.path(), DocumentFiles::Txt, DROP, Positions::default()).unwrap();
        let dup = DropReason::Duplicate {
            of: DocId("a".into()),
            distance: 0,
            similarity: 1.0,
            basis: crate::model::DuplicateBasis::Body,
            repeats: Vec::new(),
        };
        w.write(&[Entry::Done(Outcome::Keep(doc("a"))), Entry::Done(Outcome::Drop(doc("b"), dup))]).unwrap();
        w.finish(&RunStats::default(), &Resolution::default(), &mut c).unwrap();
        c.apply().unwrap();
        assert!(!dir.path().join("b.txt").exists(), "b is a duplicate now");
        assert_eq!(fs::read_to_string(dir.path().join("a.txt")).unwrap(), "Body text.\n");
        let manifest = fs::read_to_string(dir.path().join("manifest.csv")).unwrap();
        assert!(
            manifest.contains("b,b.txt,,0,,,duplicate,1,3,a,0,\"body is a near-duplicate of a (distance 0, similarity 1.00)\""),
            "{manifest}"
        );
        assert_eq!(fs::read_to_string(dir.path().join("corpus.jsonl")).unwrap().lines().count(), 1);
    }

    #[test]
    fn without_document_files_only_the_corpus_is_written_and_old_texts_go() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = commit::Commit::new(dir.path()).unwrap();
        let mut w = Writer::create(dir.path(), DocumentFiles::Txt, DROP, Positions::default()).unwrap();
        w.write(&[Entry::Done(Outcome::Keep(doc("a")))]).unwrap();
        w.finish(&RunStats::default(), &Resolution::default(), &mut c).unwrap();
        c.apply().unwrap();
        assert!(dir.path().join("a.txt").exists());

        let mut c = commit::Commit::new(dir.path()).unwrap();
        let mut w = Writer::create(dir.path(), DocumentFiles::None, DROP, Positions::default()).unwrap();
        w.write(&[Entry::Done(Outcome::Keep(doc("a"))), Entry::Done(Outcome::Keep(doc("b")))]).unwrap();
        w.finish(&RunStats::default(), &Resolution::default(), &mut c).unwrap();
        c.apply().unwrap();
        assert!(!dir.path().join("a.txt").exists(), "a text file of an earlier run would be stale");
        assert!(!dir.path().join("b.txt").exists());
        let corpus = fs::read_to_string(dir.path().join("corpus.jsonl")).unwrap();
        assert_eq!(corpus.lines().count(), 2);
    }
}
