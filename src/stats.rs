//! Run counters: documents by status, paragraphs removed by reason. Written to `stats.json`
//! (no timings, so it is byte-identical across runs) and printed as the run summary.

use crate::model::{DropReason, Entry, Outcome};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Counts of one run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RunStats {
    /// Per-document counts.
    pub documents: DocCounts,
    /// Per-paragraph counts.
    pub paragraphs: ParaCounts,
    /// Bytes of input read.
    pub bytes_read: u64,
    /// Lines known as site boilerplate (learned by this run or earlier ones).
    pub site_lines: u64,
    /// (source, message) of every file error, in input order.
    #[serde(skip)]
    pub errors: Vec<(String, String)>,
    /// What this run did with the corpus so far (not in stats.json: it describes the run, not
    /// the corpus).
    #[serde(skip)]
    pub batch: BatchSummary,
    /// This run's own work: the documents it cleaned (the fields above count the whole corpus).
    #[serde(skip)]
    pub this_run: Work,
}

/// What one run read and cleaned, as opposed to the corpus totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Work {
    /// Raw files read.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The documents they gave, by what happened to them.
    pub documents: DocCounts,
}

/// One file's share of the counters, as the corpus state keeps it: a later run that does not
/// read the file again adds it back into `stats.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct FileCounts {
    files: u64,
    kept: u64,
    duplicate: u64,
    empty: u64,
    error: u64,
    skipped: u64,
    thin: u64,
    paragraphs_kept: u64,
    bytes_read: u64,
    removed: Vec<(String, u64)>,
}

/// Documents by what happened to them; `files` is the sum of the others.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct DocCounts {
    /// Every file found (one manifest row each).
    pub files: u64,
    /// Written to the corpus.
    pub kept: u64,
    /// Dropped as a near-duplicate of an earlier document.
    pub duplicate: u64,
    /// Nothing left after cleaning.
    pub empty: u64,
    /// Could not be read or decoded.
    pub error: u64,
    /// Not an article type (by extension) or not followed.
    pub skipped: u64,
    /// Kept, but with under half of the words of its sentence-like paragraphs: possibly a
    /// wrecked article (see `newsprep check`, gate `thin`). Written only when there are any.
    #[serde(skip_serializing_if = "is_zero")]
    pub thin: u64,
    /// Clusters whose canonical copy (under `dedup.document.canonical`) is not the first
    /// member seen; written only when there are any.
    #[serde(skip_serializing_if = "is_zero")]
    pub canonical_changed: u64,
}

/// Paragraphs of kept documents, and removals by reason (`boilerplate:share`, `duplicate:...`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ParaCounts {
    /// Paragraphs in the written corpus.
    pub kept: u64,
    /// Removed paragraphs by reason key, over all read documents.
    pub removed: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RunStats {
    /// Count one finished entry.
    pub fn record(&mut self, entry: &Entry) {
        self.documents.record(entry);
        match entry {
            Entry::Done(outcome) => {
                let doc = outcome.doc();
                self.bytes_read += doc.source.bytes;
                if let Outcome::Keep(_) = outcome {
                    self.paragraphs.kept += doc.kept().count() as u64;
                }
                // Paragraph removals of a dropped duplicate are not counted: the whole document went.
                if !matches!(outcome, Outcome::Drop(_, DropReason::Duplicate { .. })) {
                    for p in &doc.paragraphs {
                        if let Some(r) = &p.removal {
                            *self.paragraphs.removed.entry(r.counter_key(&doc.id)).or_default() += 1;
                        }
                    }
                }
            }
            Entry::Failed { source, error, .. } => {
                self.bytes_read += source.bytes;
                self.errors.push((source.path.clone(), error.to_string()));
            }
            Entry::Skipped { .. } => {}
        }
    }

    /// Count the clusters whose canonical copy is not their first member: the documents trade
    /// places, so only the kept paragraphs change (removal counters keep what was found when
    /// each document was cleaned).
    pub fn settle(&mut self, r: &crate::corpus::clusters::Resolution) {
        let delta: i64 = r.swaps.iter().map(|s| s.paragraphs_delta).sum();
        self.paragraphs.kept = self.paragraphs.kept.saturating_add_signed(delta);
        self.documents.canonical_changed = r.swaps.len() as u64;
    }

    /// These counters as one file's share (the error messages are not kept: they were
    /// reported when the file was read, and its manifest rows keep them).
    pub fn counts(&self) -> FileCounts {
        let d = &self.documents;
        FileCounts {
            files: d.files,
            kept: d.kept,
            duplicate: d.duplicate,
            empty: d.empty,
            error: d.error,
            skipped: d.skipped,
            thin: d.thin,
            paragraphs_kept: self.paragraphs.kept,
            bytes_read: self.bytes_read,
            removed: self.paragraphs.removed.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }

    /// Add a file's share counted by an earlier run.
    pub fn add(&mut self, c: &FileCounts) {
        let d = &mut self.documents;
        d.files += c.files;
        d.kept += c.kept;
        d.duplicate += c.duplicate;
        d.empty += c.empty;
        d.error += c.error;
        d.skipped += c.skipped;
        d.thin += c.thin;
        self.paragraphs.kept += c.paragraphs_kept;
        self.bytes_read += c.bytes_read;
        for (k, v) in &c.removed {
            *self.paragraphs.removed.entry(k.clone()).or_default() += v;
        }
    }

    /// Total removed paragraphs.
    pub fn removed_total(&self) -> u64 {
        self.paragraphs.removed.values().sum()
    }
}

/// `n` and the noun, singular or plural: `1 duplicate`, `2 duplicates`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A size in the largest binary unit that keeps it at 1 or more: `512 B`, `33.6 KiB`,
/// `91.8 MiB`, `1.21 GiB`.
pub fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    }
}

impl DocCounts {
    /// Count one finished entry by what became of it.
    pub fn record(&mut self, entry: &Entry) {
        self.files += 1;
        match entry {
            Entry::Done(Outcome::Keep(doc)) => {
                self.kept += 1;
                self.thin += doc.thin as u64;
            }
            Entry::Done(Outcome::Drop(_, DropReason::Duplicate { .. })) => self.duplicate += 1,
            Entry::Done(Outcome::Drop(_, DropReason::Empty { .. })) => self.empty += 1,
            Entry::Failed { .. } => self.error += 1,
            Entry::Skipped { .. } => self.skipped += 1,
        }
    }

    /// `1 kept, 2 duplicates, 0 empty, 0 errors` (and skipped files when there are any).
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} kept, {}, {} empty, {}",
            self.kept,
            count(self.duplicate, "duplicate", "duplicates"),
            self.empty,
            count(self.error, "error", "errors")
        );
        if self.skipped > 0 {
            s.push_str(&format!(", {} skipped", self.skipped));
        }
        s
    }
}

impl fmt::Display for RunStats {
    /// The corpus block of the run summary: what `cleaned/` holds after the run.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.documents;
        writeln!(
            f,
            "corpus    {} from {} of input",
            count(d.files, "document", "documents"),
            size(self.bytes_read)
        )?;
        writeln!(f, "  {}", d.line())?;
        if d.thin > 0 {
            writeln!(
                f,
                "  {} kept under half of their prose (`newsprep check` lists them)",
                count(d.thin, "document", "documents")
            )?;
        }
        writeln!(
            f,
            "  {} of site boilerplate known (`newsprep sites`)",
            count(self.site_lines, "line", "lines")
        )?;
        writeln!(f, "  paragraphs: {} kept, {} removed", self.paragraphs.kept, self.removed_total())?;
        for (reason, n) in &self.paragraphs.removed {
            writeln!(f, "    {reason:<32} {n:>7}")?;
        }
        Ok(())
    }
}

/// What a run did with the corpus so far, for its summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Set when everything was cleaned again, and why.
    pub rebuilt: Option<String>,
    /// Raw files not in the corpus before.
    pub new: usize,
    /// Raw files whose bytes changed.
    pub changed: usize,
    /// Raw files skipped as unchanged.
    pub unchanged: usize,
    /// Unchanged files cleaned again because an earlier file changed (or was pruned).
    pub recleaned: usize,
    /// Raw files gone since the last run (their output stays unless `--prune`).
    pub gone: Vec<String>,
    /// Gone files whose output `--prune` removed.
    pub pruned: usize,
    /// Documents of this batch that duplicate a document of an earlier batch: (id, of).
    pub duplicates_of_earlier: Vec<(String, String)>,
}
