//! The fixed-order runner: read -> normalize -> metadata -> boilerplate -> fingerprint, in
//! parallel per document; then the dedup barrier in input order; then write.
//!
//! Inputs are processed in chunks of [`CHUNK`] files or JSONL records (or [`CHUNK_BYTES`] of
//! them): the chunk runs under rayon with its order kept, the barrier sees its documents in
//! input order, and the writer appends them in order. Chunk i + 1's stages overlap chunk i's barrier and writing. The chunk size does
//! not depend on the thread count, so output is byte-identical at any `--jobs`. After the last
//! chunk, the clusters' canonical copies are settled (see `dedup.document.canonical`).

use crate::error::{FileError, RunError};
use crate::model::DropReason;
use crate::model::Outcome;
use crate::model::{DocId, Document, Entry, SourceInfo};
use crate::output::commit::{self, Commit, Lock};
use crate::output::{DuplicateOutput, Writer};
use crate::progress::Reporter;
use crate::settings::Settings;
use crate::stages::boilerplate::classify::Classified;
use crate::stages::boilerplate::sites::CounterSnapshot;
use crate::stages::boilerplate::sites::{self, SiteCounter, SiteKnowledge};
use crate::stages::boilerplate::{RuleSet, StripBoilerplate};
use crate::stages::dedup::CanonicalPolicy;
use crate::stages::dedup::DedupSettings;
use crate::stages::dedup::{Dedup, Fingerprints, Lookups, Marks, Snapshot};
use crate::stages::metadata::ExtractMetadata;
use crate::stages::normalize::Normalize;
use crate::stages::read::ReadSettings;
use crate::stages::read::{self, Input, InputKind, Unit};
use crate::state::{self, Ends, FileState, LogSegment, Rebuild, Stat, State, StateRef};
use crate::stats::{BatchSummary, RunStats};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// Files per chunk: large enough to keep threads busy, small enough to bound memory.
pub const CHUNK: usize = 512;

/// Raw bytes after which a chunk ends, even short of [`CHUNK`] units (ten 40 MB files of
/// 60-word paragraphs: 587 MB peak, against 958 MB with chunks of 512 files only; 64 MiB
/// chunks saved a quarter more on 20-word paragraphs but ran slower).
pub const CHUNK_BYTES: u64 = 128 << 20;

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
                return match read::record(r, &self.read.fields) {
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
                let error =
                    FileError::IdCollision { id: input.id.0.clone(), first: first.clone(), line: None };
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
        Ok(self.explain_document(doc, dedup))
    }

    /// Run one document already read (a feed's record) through the per-document stages, then
    /// dedup it against itself only.
    pub fn explain_document(&self, doc: Document, dedup: &DedupSettings) -> Explained {
        let o = Outcome::Keep(doc).then(&self.normalize).then(&self.metadata);
        let (o, classified) = match o {
            Outcome::Keep(d) => self.boilerplate.apply_explained(d),
            dropped => (dropped, None),
        };
        let o = Dedup::new(dedup).check_one(o.then(&self.fingerprints));
        Explained { outcome: o, classified }
    }
}

/// One raw file in corpus order: its input (none when it is gone) and what the last run
/// recorded of it (none when it is new).
struct Slot<'a> {
    input: Option<&'a Input>,
    sha256: [u8; 32],
    stat: Option<Stat>,
    was: Option<FileState>,
}

/// What an incremental run does: every raw file in corpus order, and the first one cleaned
/// again (everything before it keeps its output and its place in the dedup corpus).
struct Plan<'a> {
    slots: Vec<Slot<'a>>,
    cut: usize,
    state: Option<(Snapshot, CounterSnapshot, Vec<LogSegment>)>,
    summary: BatchSummary,
}

impl<'a> Plan<'a> {
    /// Files the state knows keep their order; new ones follow, in path order. The cut is the
    /// first changed file, or the first gone one under `--prune`.
    fn new(
        previous: Result<State, Rebuild>,
        found: &'a [Input],
        hashes: Vec<([u8; 32], Option<Stat>)>,
        prune: bool,
    ) -> Self {
        let mut summary = BatchSummary::default();
        let state = match previous {
            Ok(state) => state,
            Err(why) => {
                if why != Rebuild::NoState {
                    summary.rebuilt = Some(why.to_string());
                }
                summary.new = found.len();
                let slots = found
                    .iter()
                    .zip(hashes)
                    .map(|(i, (sha256, stat))| Slot { input: Some(i), sha256, stat, was: None })
                    .collect();
                return Plan { slots, cut: 0, state: None, summary };
            }
        };
        let by_rel: HashMap<&str, usize> =
            found.iter().enumerate().map(|(i, f)| (f.rel.as_str(), i)).collect();
        let mut used = vec![false; found.len()];
        let mut slots = Vec::with_capacity(found.len());
        let mut cut = None;
        for f in state.files {
            let here = slots.len();
            match by_rel.get(f.rel.as_str()) {
                Some(&i) => {
                    used[i] = true;
                    if hashes[i].0 == f.sha256 {
                        summary.unchanged += 1;
                    } else {
                        summary.changed += 1;
                        cut.get_or_insert(here);
                    }
                    let (sha256, stat) = hashes[i];
                    slots.push(Slot { input: Some(&found[i]), sha256, stat, was: Some(f) });
                }
                None => {
                    summary.gone.push(f.rel.clone());
                    if prune {
                        cut.get_or_insert(here);
                    }
                    slots.push(Slot { input: None, sha256: f.sha256, stat: None, was: Some(f) });
                }
            }
        }
        let known = slots.len();
        for ((i, input), (sha256, stat)) in found.iter().enumerate().zip(hashes) {
            if !used[i] {
                summary.new += 1;
                slots.push(Slot { input: Some(input), sha256, stat, was: None });
            }
        }
        let cut = cut.unwrap_or(known);
        let dedup = Snapshot { index: state.index, clusters: state.clusters };
        Plan { slots, cut, state: Some((dedup, state.sites, state.log)), summary }
    }
}

/// Run the whole pipeline as the settings say: on an output that holds a corpus, only the new
/// and changed raw files are cleaned, against the corpus so far (see `state`).
pub fn run(settings: &Settings, reporter: &dyn Reporter) -> Result<RunStats, RunError> {
    let found = read::discover(&settings.input, &settings.read)?;
    run_found(settings, reporter, found, &mut |_, _| {})
}

/// [`run`] on the raw files `found`, in the order given (`newsprep check` takes the order of
/// the output it compares with), showing `observe` every entry in input order before it is
/// written, with the site boilerplate learned for the run.
pub fn run_found(
    settings: &Settings,
    reporter: &dyn Reporter,
    found: Vec<Input>,
    observe: &mut (dyn FnMut(&Entry, &SiteKnowledge) + Send),
) -> Result<RunStats, RunError> {
    refuse_output_inside_input(settings)?;
    let out = &settings.output;
    if out.exists() && !out.is_dir() {
        let source = std::io::Error::other("it is a file, not a folder (give --output a folder)");
        return Err(RunError::Output { path: out.clone(), source });
    }
    std::fs::create_dir_all(out).map_err(|source| RunError::Output { path: out.clone(), source })?;
    let _lock = Lock::acquire(out)?;
    commit::recover(out)?;
    let mut commit = Commit::new(out)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(|e| RunError::Output { path: out.clone(), source: std::io::Error::other(e) })?;

    let previous = if settings.full {
        Err(Rebuild::Asked)
    } else if settings.dedup.canonical != CanonicalPolicy::First {
        Err(Rebuild::Policy(settings.dedup.canonical.name()))
    } else {
        State::load(out, settings.fingerprint())
    };
    reporter.phase("hashing raw files", total_bytes(&found));
    // A file whose stat is what the last run recorded is not read again (see `state::Stat`).
    let recorded: HashMap<&str, (Stat, [u8; 32])> = match &previous {
        Ok(s) => s.files.iter().filter_map(|f| Some((f.rel.as_str(), (f.stat?, f.sha256)))).collect(),
        Err(_) => HashMap::new(),
    };
    let hashes: Vec<([u8; 32], Option<Stat>)> = pool.install(|| {
        found
            .par_iter()
            .map(|i| {
                let stat = Stat::of(&i.path);
                let h = match (stat, recorded.get(i.rel.as_str())) {
                    (Some(now), Some((then, sha))) if now == *then => *sha,
                    _ => read::file_sha256(i),
                };
                reporter.advance(i.bytes);
                (h, stat)
            })
            .collect()
    });
    drop(recorded);
    let Plan { mut slots, cut, state, mut summary } = Plan::new(previous, &found, hashes, settings.prune);
    let min_docs = settings.boilerplate.sites.min_docs;
    let (snapshot, counter, log) = match state {
        Some((d, c, log)) => (Some(d), SiteCounter::restore(c, min_docs), log),
        None => (None, SiteCounter::new(min_docs), Vec::new()),
    };
    summary.recleaned = slots[cut..]
        .iter()
        .filter(|s| s.input.is_some() && s.was.as_ref().is_some_and(|f| f.sha256 == s.sha256))
        .count();
    if let Some(gone) = slots[cut..].iter().find(|s| s.input.is_none() && !settings.prune) {
        return Err(RunError::Gone { file: gone.was.as_ref().expect("a gone file was known").rel.clone() });
    }
    summary.pruned = slots[cut..].iter().filter(|s| s.input.is_none()).count();
    let suffix: Vec<Slot> = slots.split_off(cut);
    let prefix = slots;
    // The files from the cut on, at their places in corpus order (a pruned file leaves none).
    let todo: Vec<Input> = suffix
        .iter()
        .filter_map(|s| s.input)
        .enumerate()
        .map(|(i, input)| Input { order: (cut + i) as u32, ..input.clone() })
        .collect();
    // Site lines: the files from the cut on are counted again.
    let forget = suffix.iter().filter_map(|s| s.was.as_ref()).rev();
    let (knowledge, counter, mut lines) = learn_sites(settings, forget, &todo, counter, &pool, reporter)?;
    let before = prefix.last().and_then(|s| s.was.as_ref()).map(|f| f.ends).unwrap_or_default();

    let knowledge = Arc::new(knowledge);
    let stages = Stages::new(settings, knowledge.clone());
    let mut dedup = match snapshot {
        Some(snap) => Dedup::restore(&settings.dedup, snap, before.dedup),
        None => Dedup::new(&settings.dedup),
    };
    let dups = DuplicateOutput::new(settings.dedup.document_action, settings.dedup.canonical);
    let mut writer =
        Writer::create(out, settings.documents, dups, before.output)?.with_parquet(settings.parquet);
    let mut stats = RunStats::default();
    let mut ids = IdRegister::default();
    for f in prefix.iter().filter_map(|s| s.was.as_ref()) {
        stats.add(&f.counts);
        for (id, line) in &f.ids {
            ids.note(DocId(id.clone()), &f.rel, (*line > 0).then_some(u64::from(*line)));
        }
    }
    let sha: Vec<([u8; 32], Option<Stat>)> =
        suffix.iter().filter(|s| s.input.is_some()).map(|s| (s.sha256, s.stat)).collect();
    let mut files = FileTracker::new(&todo, sha, before);
    let mut work = crate::stats::DocCounts::default();
    reporter.phase("cleaning", total_bytes(&todo));
    let mut done = 0u64;
    // The per-document stages in parallel; the dedup barrier and the writer in input order.
    pipelined(
        &pool,
        read::units(&todo, &settings.read),
        |u| (u.input().rel.as_str(), stages.process(u)),
        |results, bytes| {
            let (rels, entries): (Vec<&str>, Vec<Entry>) = results.into_iter().unzip();
            let (entries, marks) = barrier(entries, &mut dedup, &mut ids);
            let ends = writer.write(&entries)?;
            for (((rel, e), marks), output) in rels.into_iter().zip(&entries).zip(marks).zip(ends) {
                observe(e, &knowledge);
                files.record(rel, e, Ends { output, dedup: marks });
                stats.record(e);
                work.record(e);
                if let Entry::Done(Outcome::Drop(doc, DropReason::Duplicate { of, .. })) = e
                    && dedup.kept_before(of, before.dedup)
                {
                    summary.duplicates_of_earlier.push((doc.id.0.clone(), of.0.clone()));
                }
            }
            done += entries.len() as u64;
            reporter.documents(done);
            reporter.advance(bytes);
            Ok(())
        },
    )?;
    let mut new_files = files.finish();
    for f in &mut new_files {
        f.lines = lines.remove(&f.rel).unwrap_or_default();
    }
    stats.site_lines = knowledge.len() as u64;
    let resolution = dedup.resolve();
    stats.settle(&resolution);
    let sizes = writer.finish(&stats, &resolution, &mut commit)?;
    // A settled file's stat is the one just taken (a file hashed because its stat was racy
    // then is skipped next time).
    let mut all: Vec<FileState> = prefix
        .into_iter()
        .filter_map(|s| {
            let mut f = s.was?;
            if s.input.is_some() {
                f.stat = s.stat;
            }
            Some(f)
        })
        .collect();
    all.extend(new_files);
    if settings.boilerplate.sites.enabled {
        commit.stage(sites::FILE, &knowledge.encode(|i| all[i as usize].rel.as_str()))?;
    }
    let log = state::stage_index(&mut commit, &log, before.dedup, &dedup)?;
    let state = StateRef {
        config: settings.fingerprint(),
        sizes,
        files: &all,
        log: &log,
        clusters: dedup.clusters(),
        sites: counter.snapshot(),
    };
    commit.stage(state::FILE, &state.encode())?;
    commit.apply()?;
    stats.batch = summary;
    stats.this_run =
        crate::stats::Work { files: todo.len() as u64, bytes: total_bytes(&todo), documents: work };
    reporter.finish();
    // Freeing the corpus index and state (a few hundred thousand allocations at 100,000
    // articles) took a tenth of a second of a small batch's run; nothing waits for it.
    let _ = std::thread::Builder::new().spawn(move || drop((dedup, counter, all, ids, stages)));
    Ok(stats)
}

/// Builds the [`FileState`] of each file cleaned by this run as its entries stream by.
struct FileTracker {
    files: Vec<FileState>,
    current: usize,
    counts: RunStats,
    last: Ends,
}

impl FileTracker {
    fn new(todo: &[Input], sha: Vec<([u8; 32], Option<Stat>)>, before: Ends) -> Self {
        let files = todo
            .iter()
            .zip(sha)
            .map(|(i, (sha256, stat))| FileState {
                rel: i.rel.clone(),
                sha256,
                stat,
                ends: before,
                counts: Default::default(),
                ids: Vec::new(),
                lines: Vec::new(),
            })
            .collect();
        FileTracker { files, current: 0, counts: RunStats::default(), last: before }
    }

    /// Close the current file: its output ends where the last entry's did.
    fn close(&mut self) {
        if let Some(f) = self.files.get_mut(self.current) {
            f.ends = self.last;
            f.counts = std::mem::take(&mut self.counts).counts();
        }
        self.current += 1;
    }

    fn record(&mut self, rel: &str, e: &Entry, ends: Ends) {
        // Files without entries (an empty JSONL file) end where the one before them did.
        while self.current < self.files.len() && self.files[self.current].rel != rel {
            self.close();
        }
        self.counts.record(e);
        let (id, line) = match e {
            Entry::Done(o) => (&o.doc().id, o.doc().source.line),
            Entry::Failed { id, source, .. } | Entry::Skipped { id, source, .. } => (id, source.line),
        };
        if let Some(f) = self.files.get_mut(self.current) {
            f.ids.push((id.0.clone(), line.unwrap_or(0) as u32));
        }
        self.last = ends;
    }

    fn finish(mut self) -> Vec<FileState> {
        while self.current < self.files.len() {
            self.close();
        }
        self.files
    }
}

/// The dedup barrier for one chunk: every document's lookups in the sealed corpus on all
/// threads, then the checks strictly in input order, then the chunk is sealed.
pub(crate) fn barrier(
    entries: Vec<Entry>,
    dedup: &mut Dedup,
    ids: &mut IdRegister,
) -> (Vec<Entry>, Vec<Marks>) {
    let lookups: Vec<Lookups> = entries
        .par_iter()
        .map(|e| match e {
            Entry::Done(o) => dedup.look_up(o),
            _ => Lookups::default(),
        })
        .collect();
    let mut marks = Vec::with_capacity(entries.len());
    let entries = entries
        .into_iter()
        .zip(lookups)
        .map(|(e, l)| {
            let e = match ids.check(e) {
                Entry::Done(o) => Entry::Done(dedup.check(o, l)),
                other => other,
            };
            marks.push(dedup.marks());
            e
        })
        .collect();
    dedup.seal();
    (entries, marks)
}

/// The barrier before the per-document stages: count the short paragraphs per site of the files
/// from the cut on (`inputs`, in parallel per chunk, fed to the counter in corpus order; the
/// files an earlier run counted from the cut on, `forget`, first have their old lines taken out)
/// and learn the repeated ones, each from the file that completes its count. Returns the
/// knowledge, the counter, and each counted file's line keys.
#[allow(clippy::type_complexity)]
fn learn_sites<'f>(
    settings: &Settings,
    forget: impl Iterator<Item = &'f FileState>,
    inputs: &[Input],
    mut counter: SiteCounter,
    pool: &rayon::ThreadPool,
    reporter: &dyn Reporter,
) -> Result<(SiteKnowledge, SiteCounter, HashMap<String, Vec<u64>>), RunError> {
    let s = &settings.boilerplate.sites;
    let mut lines: HashMap<String, Vec<u64>> = HashMap::new();
    if !s.enabled {
        return Ok((SiteKnowledge::default(), counter, lines));
    }
    for f in forget {
        counter.remove(&f.lines);
    }
    // Only read and normalize run in this pass; the rules are not needed yet.
    let normalize = Normalize::new(&settings.normalize);
    let short_lines = |unit: &Unit<'_>| -> Option<(String, u32, String, Vec<(u64, String)>)> {
        let doc = match unit {
            Unit::File(input) if input.kind == InputKind::Article => {
                read::read(input, &settings.read).ok()?
            }
            Unit::Record(r) => read::record(r, &settings.read.fields).ok()?,
            _ => return None,
        };
        let doc = match Outcome::Keep(doc).then(&normalize) {
            Outcome::Keep(d) => d,
            Outcome::Drop(..) => return None,
        };
        let site = sites::site_of_source(&doc.source).to_string();
        let texts = doc.paragraphs.iter().filter(|p| p.is_kept()).map(|p| p.text.as_str());
        let found = sites::short_lines(&site, texts, s.max_words);
        Some((unit.input().rel.clone(), unit.input().order, site, found))
    };
    reporter.phase("learning site boilerplate", total_bytes(inputs));
    pipelined(pool, read::units(inputs, &settings.read), short_lines, |found, bytes| {
        for (rel, order, site, l) in found.into_iter().flatten() {
            lines.entry(rel).or_default().extend(l.iter().map(|(k, _)| *k));
            counter.add(&site, l, order);
        }
        reporter.advance(bytes);
        Ok(())
    })?;
    let knowledge = counter.learn();
    Ok((knowledge, counter, lines))
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

/// Units in chunks of [`CHUNK`] units or [`CHUNK_BYTES`] raw bytes, whichever comes first
/// (the unit that crosses the byte limit ends its chunk), in order. The byte limit bounds what
/// a chunk of large files holds between reading and writing; it depends on the input only, so
/// output stays the same at any thread count.
fn chunks(mut units: read::Units<'_>) -> impl Iterator<Item = Vec<Unit<'_>>> {
    std::iter::from_fn(move || {
        let (mut chunk, mut bytes) = (Vec::new(), 0u64);
        while chunk.len() < CHUNK && bytes < CHUNK_BYTES {
            let Some(unit) = units.next() else { break };
            bytes += unit.bytes();
            chunk.push(unit);
        }
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
pub(crate) struct IdRegister {
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
                let error =
                    FileError::IdCollision { id: id.0.clone(), first: first.clone(), line: source.line };
                Entry::Failed { id: id.clone(), source: source.clone(), error }
            }
            Some(_) => e,
            None => {
                self.note(id.clone(), &source.path, source.line);
                e
            }
        }
    }

    /// Record that `id` was given by `path` (at JSONL line `line`).
    fn note(&mut self, id: DocId, path: &str, line: Option<u64>) {
        let here = match line {
            Some(l) => format!("{path} line {l}"),
            None => path.to_string(),
        };
        self.seen.insert(id, here);
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
