//! The fixed-order runner: read -> normalize -> metadata -> boilerplate -> fingerprint, in
//! parallel per document; then the dedup barrier in input order; then write.
//!
//! Inputs are processed in chunks of [`CHUNK`] files or JSONL records: the chunk runs under rayon
//! with its order kept, the barrier sees its documents in input order, and the writer appends
//! them in order. Chunk i + 1's stages overlap chunk i's barrier and writing. The chunk size does
//! not depend on the thread count, so output is byte-identical at any `--jobs`. After the last
//! chunk, the clusters' canonical copies are settled (see `dedup.document.canonical`).

use crate::document::{DocId, Document, SourceInfo};
use crate::error::{FileError, RunError};
use crate::progress::Reporter;
use crate::settings::{DedupSettings, ReadSettings, Settings};
use crate::stages::Outcome;
use crate::stages::boilerplate::classify::Classified;
use crate::stages::boilerplate::sites::{self, SiteCounter, SiteKnowledge};
use crate::stages::boilerplate::{RuleSet, StripBoilerplate};
use crate::stages::dedup::{Dedup, Fingerprints, Lookups};
use crate::stages::metadata::ExtractMetadata;
use crate::stages::normalize::Normalize;
use crate::stages::read::{self, Input, InputKind, Unit};
use crate::stages::write::{DuplicateOutput, Writer};
use crate::stats::RunStats;
use rayon::prelude::*;
use std::sync::Arc;

/// Files per chunk: large enough to keep threads busy, small enough to bound memory.
pub const CHUNK: usize = 512;

/// What happened to one input file.
#[derive(Debug, Clone)]
// Nearly every entry is `Done`: boxing it to shrink the rare error rows would cost an
// allocation per document.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    /// Read and processed; kept or dropped.
    Done(Outcome),
    /// Could not be read or decoded.
    Failed {
        /// Its id.
        id: DocId,
        /// What is known of it.
        source: SourceInfo,
        /// Why.
        error: FileError,
    },
    /// Not read (not an article file type, or a symlinked folder).
    Skipped {
        /// Its id.
        id: DocId,
        /// What is known of it.
        source: SourceInfo,
        /// Why.
        reason: String,
    },
}

/// The per-document stages, built once from the settings.
#[derive(Debug)]
pub struct Stages {
    read: ReadSettings,
    normalize: Normalize,
    metadata: ExtractMetadata,
    boilerplate: StripBoilerplate,
    fingerprints: Fingerprints,
}

impl Stages {
    /// Build every per-document stage, with the site knowledge learned so far.
    pub fn new(s: &Settings, knowledge: Arc<SiteKnowledge>) -> Stages {
        let rules = Arc::new(RuleSet::new(&s.boilerplate));
        Stages {
            read: s.read.clone(),
            normalize: Normalize::new(&s.normalize),
            metadata: ExtractMetadata::new(&s.metadata, rules.clone()),
            boilerplate: StripBoilerplate::new(&s.boilerplate, rules, knowledge),
            fingerprints: Fingerprints::new(&s.dedup),
        }
    }

    /// Read one unit (a file or a JSONL record) and run it through every per-document stage.
    pub fn process(&self, unit: &Unit) -> Entry {
        let input = match unit {
            Unit::File(input) => input,
            Unit::Record(r) => {
                return match read::record(r) {
                    Ok(doc) => Entry::Done(self.clean(doc)),
                    Err((id, source, error)) => Entry::Failed { id, source, error },
                };
            }
            Unit::Broken { input, line, error } => {
                let mut source = SourceInfo::unread(input.rel.clone());
                source.line = (*line > 0).then_some(*line);
                return Entry::Failed { id: input.id.clone(), source, error: error.clone() };
            }
        };
        let unread = || SourceInfo::unread(input.rel.clone());
        match &input.kind {
            InputKind::Skipped(reason) => {
                Entry::Skipped { id: input.id.clone(), source: unread(), reason: reason.clone() }
            }
            InputKind::Collision { first } => {
                let error = FileError::IdCollision { id: input.id.0.clone(), first: first.clone() };
                let source = match read::read(input, &self.read) {
                    Ok(d) => d.source,
                    Err((s, _)) => s,
                };
                Entry::Failed { id: input.id.clone(), source, error }
            }
            InputKind::Article | InputKind::Records => match read::read(input, &self.read) {
                Ok(doc) => Entry::Done(self.clean(doc)),
                Err((source, error)) => Entry::Failed { id: input.id.clone(), source, error },
            },
        }
    }

    /// Every per-document stage after reading.
    fn clean(&self, doc: Document) -> Outcome {
        Outcome::Keep(doc)
            .then(&self.normalize)
            .then(&self.metadata)
            .then(&self.boilerplate)
            .then(&self.fingerprints)
    }
}

/// One document as `newsprep explain` shows it: every stage's marks, and the classifier's view.
#[derive(Debug)]
pub struct Explained {
    /// The document after the per-document stages and a dedup pass over itself alone.
    pub outcome: Outcome,
    /// What the classifier measured and decided (when it ran).
    pub classified: Option<Classified>,
}

impl Stages {
    /// Run one input through the per-document stages, then dedup it against itself only.
    pub fn explain(
        &self,
        input: &Input,
        dedup: &DedupSettings,
    ) -> Result<Explained, (SourceInfo, FileError)> {
        let doc = read::read(input, &self.read)?;
        let o = Outcome::Keep(doc).then(&self.normalize).then(&self.metadata);
        let (o, classified) = match o {
            Outcome::Keep(d) => self.boilerplate.apply_explained(d),
            dropped => (dropped, None),
        };
        let o = Dedup::new(dedup).check_one(o.then(&self.fingerprints));
        Ok(Explained { outcome: o, classified })
    }
}

/// Run the whole pipeline as the settings say.
pub fn run(settings: &Settings, reporter: &dyn Reporter) -> Result<RunStats, RunError> {
    let inputs = read::discover(&settings.input, &settings.read)?;
    refuse_output_inside_input(settings)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(|e| RunError::Output { path: settings.output.clone(), source: std::io::Error::other(e) })?;
    let knowledge = learn_sites(settings, &inputs, &pool, reporter)?;
    let learned = knowledge.len();
    let knowledge = Arc::new(knowledge);
    let stages = Stages::new(settings, knowledge.clone());
    let mut dedup = Dedup::new(&settings.dedup);
    let dups = DuplicateOutput::new(settings.dedup.document_action, settings.dedup.canonical);
    let mut writer = Writer::create(&settings.output, settings.documents, dups)?;
    let mut stats = RunStats::default();
    let mut ids = IdRegister::default();
    reporter.phase("cleaning", total_bytes(&inputs));
    // The per-document stages in parallel; the dedup barrier and the writer in input order.
    pipelined(
        &pool,
        read::units(&inputs, &settings.read),
        |u| stages.process(u),
        |entries, bytes| {
            let entries = barrier(entries, &mut dedup, &mut ids);
            writer.write(&entries)?;
            entries.iter().for_each(|e| stats.record(e));
            reporter.advance(bytes);
            Ok(())
        },
    )?;
    stats.site_lines = learned as u64;
    if settings.boilerplate.sites.enabled {
        knowledge.save(&settings.output)?;
    }
    let resolution = dedup.resolve();
    stats.settle(&resolution);
    writer.finish(&stats, &resolution)?;
    reporter.finish();
    Ok(stats)
}

/// The dedup barrier for one chunk: every document's lookups in the sealed corpus on all
/// threads, then the checks strictly in input order, then the chunk is sealed.
fn barrier(entries: Vec<Entry>, dedup: &mut Dedup, ids: &mut IdRegister) -> Vec<Entry> {
    let lookups: Vec<Lookups> = entries
        .par_iter()
        .map(|e| match e {
            Entry::Done(o) => dedup.look_up(o),
            _ => Lookups::default(),
        })
        .collect();
    let entries = entries
        .into_iter()
        .zip(lookups)
        .map(|(e, l)| match ids.check(e) {
            Entry::Done(o) => Entry::Done(dedup.check(o, l)),
            other => other,
        })
        .collect();
    dedup.seal();
    entries
}

/// The barrier before the per-document stages: count every input's short paragraphs per site
/// (in parallel per chunk, fed to the counter in input order) and learn the repeated ones,
/// on top of what earlier runs learned.
fn learn_sites(
    settings: &Settings,
    inputs: &[Input],
    pool: &rayon::ThreadPool,
    reporter: &dyn Reporter,
) -> Result<SiteKnowledge, RunError> {
    let s = &settings.boilerplate.sites;
    if !s.enabled {
        return Ok(SiteKnowledge::default());
    }
    let known = SiteKnowledge::load(&settings.output)?;
    // Only read and normalize run in this pass; the rules are not needed yet.
    let normalize = Normalize::new(&settings.normalize);
    let short_lines = |unit: &Unit| {
        let doc = match unit {
            Unit::File(input) if input.kind == InputKind::Article => {
                read::read(input, &settings.read).ok()?
            }
            Unit::Record(r) => read::record(r).ok()?,
            _ => return None,
        };
        let doc = match Outcome::Keep(doc).then(&normalize) {
            Outcome::Keep(d) => d,
            Outcome::Drop(..) => return None,
        };
        let site = sites::site_of_source(&doc.source).to_string();
        let texts = doc.paragraphs.iter().filter(|p| p.is_kept()).map(|p| p.text.as_str());
        let lines = sites::short_lines(&site, texts, s.max_words);
        Some((site, lines))
    };
    let mut counter = SiteCounter::default();
    reporter.phase("learning site boilerplate", total_bytes(inputs));
    pipelined(pool, read::units(inputs, &settings.read), short_lines, |lines, bytes| {
        for (site, l) in lines.into_iter().flatten() {
            counter.add(&site, l);
        }
        reporter.advance(bytes);
        Ok(())
    })?;
    Ok(counter.learn(s.min_docs, known))
}

/// Two chunks in flight: `stage` runs on every unit of chunk i + 1 on all threads (reading the
/// chunk, JSONL lines, included) while `finish` takes chunk i's results and raw byte count, in
/// input order. The ordered part then does not leave the threads waiting.
fn pipelined<'a, T: Send>(
    pool: &rayon::ThreadPool,
    units: read::Units<'a>,
    stage: impl Fn(&Unit<'a>) -> T + Sync,
    mut finish: impl FnMut(Vec<T>, u64) -> Result<(), RunError> + Send,
) -> Result<(), RunError> {
    let mut chunks = chunks(units);
    let mut pending: Option<(Vec<T>, u64)> = None;
    loop {
        let (next, finished) = pool.install(|| {
            rayon::join(
                || {
                    chunks.next().map(|chunk| {
                        let results: Vec<T> = chunk.par_iter().map(&stage).collect();
                        (results, chunk.iter().map(Unit::bytes).sum::<u64>())
                    })
                },
                || pending.take().map(|(results, bytes)| finish(results, bytes)).transpose(),
            )
        });
        finished?;
        // Nothing read means the chunk just finished was the last.
        let Some(next) = next else { return Ok(()) };
        pending = Some(next);
    }
}

/// Units in chunks of [`CHUNK`], in order.
fn chunks(mut units: read::Units<'_>) -> impl Iterator<Item = Vec<Unit<'_>>> {
    std::iter::from_fn(move || {
        let chunk: Vec<Unit> = units.by_ref().take(CHUNK).collect();
        (!chunk.is_empty()).then_some(chunk)
    })
}

/// Raw bytes of all inputs, for progress.
fn total_bytes(inputs: &[Input]) -> u64 {
    inputs.iter().map(|i| i.bytes).sum()
}

/// The ids given so far, in input order: a JSONL record whose id an earlier document took fails
/// with an id collision, as two files with one id do at discovery.
#[derive(Default)]
struct IdRegister {
    seen: std::collections::HashMap<DocId, String>,
}

impl IdRegister {
    fn check(&mut self, e: Entry) -> Entry {
        let (id, source) = match &e {
            Entry::Done(Outcome::Keep(d) | Outcome::Drop(d, _)) => (&d.id, &d.source),
            Entry::Failed { id, source, .. } | Entry::Skipped { id, source, .. } => (id, source),
        };
        match self.seen.get(id) {
            Some(first) if source.line.is_some() => {
                let error = FileError::IdCollision { id: id.0.clone(), first: first.clone() };
                Entry::Failed { id: id.clone(), source: source.clone(), error }
            }
            Some(_) => e,
            None => {
                let here = match source.line {
                    Some(l) => format!("{} line {l}", source.path),
                    None => source.path.clone(),
                };
                self.seen.insert(id.clone(), here);
                e
            }
        }
    }
}

/// Writing into the folder being read would feed output back in as input on the next run.
fn refuse_output_inside_input(s: &Settings) -> Result<(), RunError> {
    let (Ok(input), Ok(output)) = (s.input.canonicalize(), std::path::absolute(&s.output)) else {
        return Ok(());
    };
    let output = output.canonicalize().unwrap_or(output);
    if input.is_dir() && output.starts_with(&input) {
        return Err(RunError::Output {
            path: s.output.clone(),
            source: std::io::Error::other(format!(
                "the output folder is inside the input folder {}",
                s.input.display()
            )),
        });
    }
    Ok(())
}
