//! The run driver: `newsprep run` (and `check`, which runs it into a scratch folder) over
//! a folder, and `newsprep clean` over a stream ([`stream`]). Read -> normalize -> metadata
//! -> boilerplate -> fingerprint run in parallel per document ([`chain`]); then the dedup
//! barrier in input order ([`barrier`]); then the writer.
//!
//! Inputs are processed in chunks of [`CHUNK`] files or JSONL records (or [`CHUNK_BYTES`] of
//! them): the chunk runs under rayon with its order kept, the barrier sees its documents in
//! input order, and the writer appends them in order. Chunk i + 1's stages overlap chunk i's
//! barrier and writing ([`chunks`]). The chunk size does not depend on the thread count, so
//! output is byte-identical at any `--jobs`. An output that holds a corpus is cleaned
//! incrementally ([`plan`]); site boilerplate is learned as the chunks go, before each
//! chunk's boilerplate stage ([`sites`]). After the last chunk the clusters' canonical copies are settled (see
//! `dedup.document.canonical`) and everything is committed at once.

pub mod barrier;
pub mod chain;
pub mod chunks;
pub mod plan;
#[cfg(feature = "parquet")]
pub mod shards;
pub mod sites;
pub mod stream;

pub use chain::{Chain, Explained};
pub use chunks::{CHUNK, CHUNK_BYTES};

use crate::corpus::dedup::Dedup;
use crate::corpus::sites::SiteCounter;
use crate::error::RunError;
use crate::input::{self, Input, InputKind};
use crate::model::{DropReason, Entry, Outcome};
use crate::output::commit::{self, Commit, Lock};
use crate::output::{DuplicateOutput, Writer};
use crate::progress::Reporter;
use crate::settings::Settings;
use crate::stages::boilerplate::sites::{self as site_knowledge, SiteKnowledge};
use crate::stages::dedup::CanonicalPolicy;
use crate::state::{self, Ends, FileState, Rebuild, Stat, State, StateRef};
use crate::stats::{DocCounts, RunStats, Work};
use barrier::IdRegister;
use chunks::{pipelined, total_bytes};
use plan::{Batch, FileTracker, Plan};
use rayon::prelude::*;
use sites::{self as site_learning, SiteLearning};
use std::collections::HashMap;
use std::sync::Arc;

/// Run the whole pipeline as the settings say: on an output that holds a corpus, only the new
/// and changed raw files are cleaned, against the corpus so far (see `state`).
pub fn run(settings: &Settings, reporter: &dyn Reporter) -> Result<RunStats, RunError> {
    let found = input::discover(&settings.input, &settings.read)?;
    run_found(settings, reporter, found, &mut |_| {})
}

/// What sees every entry in input order before it is written (`newsprep check` gathers its
/// facts this way).
pub type Observer<'o> = dyn FnMut(&Entry) + Send + 'o;

/// [`run`] on the raw files `found`, in the order given (`newsprep check` takes the order of
/// the output it compares with), showing `observe` every entry.
pub fn run_found(
    settings: &Settings,
    reporter: &dyn Reporter,
    found: Vec<Input>,
    observe: &mut Observer,
) -> Result<RunStats, RunError> {
    let out = &settings.output;
    prepare_output(settings)?;
    let _lock = Lock::acquire(out)?;
    commit::recover(out)?;
    let commit = Commit::new(out)?;
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
    let hashes = hash_inputs(&found, &previous, &pool, reporter);
    let mut batch = Plan::new(previous, &found, hashes, settings.prune).batch(settings.prune)?;
    let min_docs = settings.boilerplate.sites.min_docs;
    let (snapshot, counter) = match batch.saved.take() {
        Some((d, c)) => (Some(d), SiteCounter::restore(c, min_docs)),
        None => (None, SiteCounter::new(min_docs)),
    };
    // Site lines: the files from the cut on are counted again.
    let forget = batch.suffix.iter().filter_map(|s| s.was.as_ref()).rev();
    let mut learning = SiteLearning::new(settings.boilerplate.sites, counter, forget);
    let chain = Chain::new(settings, Arc::new(SiteKnowledge::default()));
    let mut corpus = Corpus {
        dedup: match snapshot {
            Some(snap) => Dedup::restore(&settings.dedup, snap, batch.before.dedup),
            None => Dedup::new(&settings.dedup),
        },
        ids: IdRegister::default(),
        writer: Writer::create(
            out,
            settings.documents,
            DuplicateOutput::new(settings.dedup.document_action, settings.dedup.canonical),
            batch.before.output,
        )?
        .with_parquet(settings.parquet),
        stats: RunStats::default(),
    };
    corpus.replay(&batch);
    let (mut cleaned, work) =
        clean(&chain, &mut learning, &mut batch, &mut corpus, &pool, reporter, observe)?;
    for f in &mut cleaned {
        f.lines = learning.take_lines(&f.rel);
    }
    let (knowledge, counter) = learning.finish();
    let this_run = Work { files: batch.todo.len() as u64, bytes: total_bytes(&batch.todo), documents: work };
    let stats = settle(settings, batch, cleaned, corpus, &knowledge, counter, this_run, commit)?;
    reporter.finish();
    // Freed off this thread, as the corpus state is (see `settle`).
    let _ = std::thread::Builder::new().spawn(move || drop(chain));
    Ok(stats)
}

/// The corpus-wide state a batch is cleaned against, and what it gathers.
struct Corpus {
    dedup: Dedup,
    ids: IdRegister,
    writer: Writer,
    stats: RunStats,
}

impl Corpus {
    /// The counts and ids of the files before the cut, which keep their output.
    fn replay(&mut self, batch: &Batch) {
        for f in batch.prefix.iter().filter_map(|s| s.was.as_ref()) {
            self.stats.add(&f.counts);
            for (id, line) in &f.ids {
                self.ids.note(
                    crate::model::DocId(id.clone()),
                    &f.rel,
                    (*line > 0).then_some(u64::from(*line)),
                );
            }
        }
    }
}

/// The output folder exists (it is made) and is not inside the input folder.
fn prepare_output(settings: &Settings) -> Result<(), RunError> {
    refuse_output_inside_input(settings)?;
    let out = &settings.output;
    if out.exists() && !out.is_dir() {
        let source = std::io::Error::other("it is a file, not a folder (give --output a folder)");
        return Err(RunError::Output { path: out.clone(), source });
    }
    std::fs::create_dir_all(out).map_err(|source| RunError::Output { path: out.clone(), source })
}

/// Each input's SHA-256 and stat. A file whose stat is what the last run recorded is not read
/// again (see `state::Stat`).
fn hash_inputs(
    found: &[Input],
    previous: &Result<State, Rebuild>,
    pool: &rayon::ThreadPool,
    reporter: &dyn Reporter,
) -> Vec<([u8; 32], Option<Stat>)> {
    reporter.phase("hashing raw files", total_bytes(found));
    let recorded: HashMap<&str, (Stat, [u8; 32])> = match previous {
        Ok(s) => s.files.iter().filter_map(|f| Some((f.rel.as_str(), (f.stat?, f.sha256)))).collect(),
        Err(_) => HashMap::new(),
    };
    pool.install(|| {
        found
            .par_iter()
            .map(|i| {
                let stat = Stat::of(&i.path);
                let h = match (stat, recorded.get(i.rel.as_str())) {
                    (Some(now), Some((then, sha))) if now == *then => *sha,
                    _ => input::file_sha256(i),
                };
                reporter.advance(i.bytes);
                (h, stat)
            })
            .collect()
    })
}

/// Clean the batch's inputs, reading each article file once: read and normalize in parallel,
/// count the chunk's site lines in order and learn what they complete, finish the chunk
/// (metadata, boilerplate, fingerprints) in parallel, then the dedup barrier and the writer in
/// input order. A records file is counted ahead first (see [`sites`]). Returns the state of
/// each file cleaned and this run's counts.
fn clean(
    chain: &Chain,
    learning: &mut SiteLearning,
    batch: &mut Batch,
    corpus: &mut Corpus,
    pool: &rayon::ThreadPool,
    reporter: &dyn Reporter,
    observe: &mut Observer,
) -> Result<(Vec<FileState>, DocCounts), RunError> {
    let mut c = Cleaning {
        chain,
        learning,
        corpus,
        files: FileTracker::new(&batch.todo, batch.hashes(), batch.before),
        work: DocCounts::default(),
        earlier: Vec::new(),
        before: batch.before,
        done: 0,
        observe,
        reporter,
        pool,
    };
    // Runs of article files in one go; each records file alone, counted ahead.
    let todo = &batch.todo;
    let mut start = 0;
    while start < todo.len() {
        let records = todo[start].kind == InputKind::Records;
        let end = if records {
            start + 1
        } else {
            todo[start..].iter().position(|i| i.kind == InputKind::Records).map_or(todo.len(), |n| start + n)
        };
        if records {
            c.learning.count_ahead(chain, &todo[start], pool, reporter)?;
        }
        c.group(&todo[start..end], !records)?;
        start = end;
    }
    let Cleaning { files, work, earlier, .. } = c;
    batch.summary.duplicates_of_earlier = earlier;
    Ok((files.finish(), work))
}

/// A unit after the stages that run as it is read.
enum Staged {
    /// Every per-document stage ran (its site lines were counted ahead).
    Done(Entry),
    /// Read and normalized, with its site print, waiting for its chunk to be counted.
    Normalized(Result<Outcome, Box<Entry>>, Option<site_learning::SitePrint>),
}

/// What [`clean`] carries from one group of inputs to the next.
struct Cleaning<'c, 'o> {
    chain: &'c Chain,
    learning: &'c mut SiteLearning,
    corpus: &'c mut Corpus,
    files: FileTracker,
    work: DocCounts,
    /// Documents that duplicate a document of an earlier batch: (id, of).
    earlier: Vec<(String, String)>,
    before: Ends,
    done: u64,
    observe: &'c mut Observer<'o>,
    reporter: &'c dyn Reporter,
    pool: &'c rayon::ThreadPool,
}

impl Cleaning<'_, '_> {
    /// Clean `inputs` chunk by chunk, counting their site lines as they go when `count`. When
    /// they were counted ahead, what they need is learned already, and every per-document stage
    /// runs on the chunk being read, beside the one being written, as one read per file would.
    fn group(&mut self, inputs: &[Input], count: bool) -> Result<(), RunError> {
        let Cleaning { chain, learning, corpus, files, work, earlier, before, done, observe, reporter, pool } =
            self;
        let (chain, before) = (*chain, *before);
        let sites = *learning.settings();
        let learned = (!count).then(|| chain.with_knowledge(learning.known()));
        reporter.phase("cleaning", total_bytes(inputs));
        pipelined(
            pool,
            chain.units(inputs),
            |u| {
                let o = chain.read(u).map(|d| chain.normalize(d));
                let staged = match (&learned, o) {
                    (Some(b), Ok(o)) => Staged::Done(Entry::Done(chain.finish_with(o, b))),
                    (Some(_), Err(e)) => Staged::Done(*e),
                    (None, o) => {
                        let print = o.as_ref().ok().and_then(|o| site_learning::print(&sites, o));
                        Staged::Normalized(o, print)
                    }
                };
                (u.input().rel.as_str(), u.input().order, staged)
            },
            |results, bytes| {
                let mut staged = Vec::with_capacity(results.len());
                for (rel, order, s) in results {
                    let s = match s {
                        Staged::Normalized(o, Some(print)) => {
                            learning.count(rel, order, print);
                            Staged::Normalized(o, None)
                        }
                        s => s,
                    };
                    staged.push((rel, s));
                }
                let boilerplate = chain.with_knowledge(learning.known());
                let (rels, entries): (Vec<&str>, Vec<Entry>) = staged
                    .into_par_iter()
                    .map(|(rel, s)| match s {
                        Staged::Done(e) => (rel, e),
                        Staged::Normalized(Ok(o), _) => {
                            (rel, Entry::Done(chain.finish_with(o, &boilerplate)))
                        }
                        Staged::Normalized(Err(e), _) => (rel, *e),
                    })
                    .unzip();
                drop(boilerplate);
                let (entries, marks) = barrier::barrier(entries, &mut corpus.dedup, &mut corpus.ids);
                let ends = corpus.writer.write(&entries)?;
                for (((rel, e), marks), output) in rels.into_iter().zip(&entries).zip(marks).zip(ends) {
                    observe(e);
                    files.record(rel, e, Ends { output, dedup: marks });
                    corpus.stats.record(e);
                    work.record(e);
                    if let Entry::Done(Outcome::Drop(doc, DropReason::Duplicate { of, .. })) = e
                        && corpus.dedup.kept_before(of, before.dedup)
                    {
                        earlier.push((doc.id.0.clone(), of.0.clone()));
                    }
                }
                *done += entries.len() as u64;
                reporter.documents(*done);
                reporter.advance(bytes);
                Ok(())
            },
        )
    }
}

/// Settle the clusters, finish the output files, stage the site knowledge, the index and the
/// state beside them, and commit it all at once.
#[allow(clippy::too_many_arguments)]
fn settle(
    settings: &Settings,
    mut batch: Batch,
    cleaned: Vec<FileState>,
    corpus: Corpus,
    knowledge: &SiteKnowledge,
    counter: SiteCounter,
    this_run: Work,
    mut commit: Commit,
) -> Result<RunStats, RunError> {
    let Corpus { mut dedup, ids, writer, mut stats } = corpus;
    stats.site_lines = knowledge.len() as u64;
    let resolution = dedup.resolve();
    stats.settle(&resolution);
    let sizes = writer.finish(&stats, &resolution, &mut commit)?;
    let (before, committed) = (batch.before, std::mem::take(&mut batch.log));
    stats.batch = std::mem::take(&mut batch.summary);
    let all = batch.files(cleaned);
    if settings.boilerplate.sites.enabled {
        commit.stage(site_knowledge::FILE, &knowledge.encode(|i| all[i as usize].rel.as_str()))?;
    }
    let log = state::stage_index(&mut commit, &committed, before.dedup, &dedup)?;
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
    stats.this_run = this_run;
    // Freeing the corpus index and state (a few hundred thousand allocations at 100,000
    // articles) took a tenth of a second of a small batch's run; nothing waits for it.
    let _ = std::thread::Builder::new().spawn(move || drop((dedup, counter, all, ids)));
    Ok(stats)
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
