//! Part of the run: the incremental plan. Every raw file in corpus order, what the last run
//! recorded of it, and the cut from which this run cleans again; then, as entries stream by,
//! the state of each file cleaned.

use crate::corpus::dedup::Snapshot;
use crate::corpus::sites::CounterSnapshot;
use crate::error::RunError;
use crate::input::Input;
use crate::model::Entry;
use crate::state::{Ends, FileState, LogSegment, Rebuild, Stat, State};
use crate::stats::{BatchSummary, RunStats};
use std::collections::HashMap;

/// One raw file in corpus order: its input (none when it is gone) and what the last run
/// recorded of it (none when it is new).
pub(super) struct Slot<'a> {
    pub input: Option<&'a Input>,
    pub sha256: [u8; 32],
    pub stat: Option<Stat>,
    pub was: Option<FileState>,
}

/// What an incremental run does: every raw file in corpus order, and the first one cleaned
/// again (everything before it keeps its output and its place in the dedup corpus).
pub(super) struct Plan<'a> {
    slots: Vec<Slot<'a>>,
    cut: usize,
    state: Option<(Snapshot, CounterSnapshot, Vec<LogSegment>)>,
    summary: BatchSummary,
}

impl<'a> Plan<'a> {
    /// Files the state knows keep their order; new ones follow, in path order. The cut is the
    /// first changed file, or the first gone one under `--prune`.
    pub fn new(
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

/// The files one run cleans, split at the plan's cut, and the corpus state they are cleaned
/// against.
pub(super) struct Batch<'a> {
    /// The files before the cut: their output, state and place in the dedup corpus stay.
    pub prefix: Vec<Slot<'a>>,
    /// The files from the cut on, as the last run left them (a gone file has no input).
    pub suffix: Vec<Slot<'a>>,
    /// The inputs this run cleans, at their places in corpus order.
    pub todo: Vec<Input>,
    /// What the run does to the corpus, for its summary.
    pub summary: BatchSummary,
    /// The dedup corpus and the site-line counts as saved, and the index log.
    pub saved: Option<(Snapshot, CounterSnapshot)>,
    /// The index log's segments as committed.
    pub log: Vec<LogSegment>,
    /// Where the prefix's output and dedup index end.
    pub before: Ends,
}

impl<'a> Plan<'a> {
    /// Split at the cut. A gone file after the cut is an error unless `--prune` removes it.
    pub fn batch(self, prune: bool) -> Result<Batch<'a>, RunError> {
        let Plan { mut slots, cut, state, mut summary } = self;
        summary.recleaned = slots[cut..]
            .iter()
            .filter(|s| s.input.is_some() && s.was.as_ref().is_some_and(|f| f.sha256 == s.sha256))
            .count();
        if let Some(gone) = slots[cut..].iter().find(|s| s.input.is_none() && !prune) {
            return Err(RunError::Gone {
                file: gone.was.as_ref().expect("a gone file was known").rel.clone(),
            });
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
        let before = prefix.last().and_then(|s| s.was.as_ref()).map(|f| f.ends).unwrap_or_default();
        let (saved, log) = match state {
            Some((d, c, log)) => (Some((d, c)), log),
            None => (None, Vec::new()),
        };
        Ok(Batch { prefix, suffix, todo, summary, saved, log, before })
    }
}

impl Batch<'_> {
    /// The hash and stat of each input cleaned, in order.
    pub fn hashes(&self) -> Vec<([u8; 32], Option<Stat>)> {
        self.suffix.iter().filter(|s| s.input.is_some()).map(|s| (s.sha256, s.stat)).collect()
    }

    /// The state of every file once the run is done: the prefix's as it was (with the stat just
    /// taken: a file hashed because its stat was racy then is skipped next time), then the
    /// files this run cleaned.
    pub fn files(self, cleaned: Vec<FileState>) -> Vec<FileState> {
        let mut all: Vec<FileState> = self
            .prefix
            .into_iter()
            .filter_map(|s| {
                let mut f = s.was?;
                if s.input.is_some() {
                    f.stat = s.stat;
                }
                Some(f)
            })
            .collect();
        all.extend(cleaned);
        all
    }
}

/// Builds the [`FileState`] of each file cleaned by this run as its entries stream by.
pub(super) struct FileTracker {
    files: Vec<FileState>,
    current: usize,
    counts: RunStats,
    last: Ends,
}

impl FileTracker {
    pub fn new(todo: &[Input], sha: Vec<([u8; 32], Option<Stat>)>, before: Ends) -> Self {
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

    pub fn record(&mut self, rel: &str, e: &Entry, ends: Ends) {
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

    pub fn finish(mut self) -> Vec<FileState> {
        while self.current < self.files.len() {
            self.close();
        }
        self.files
    }
}
