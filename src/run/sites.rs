//! Part of the run: site learning, in the same pass as cleaning. Each document's short lines
//! (its print for this step: line keys and texts) are taken on the thread that normalized it;
//! a chunk's prints are counted in corpus order, and the lines they complete are learned before
//! the chunk goes on to the boilerplate stage. A line learned at raw file `f` applies to the
//! documents of `f` and of later files only, so a document of an article file sees everything
//! that applies to it once its own chunk is counted: one read per file.
//!
//! A feed's records all stand at their file's place, so a line its last records complete
//! applies to its first records too: a records file is counted ahead, in a pass of its own,
//! before its records are cleaned (it is read twice; article files once).

use super::chain::Chain;
use super::chunks::{pipelined, total_bytes};
use crate::corpus::sites::{SiteCounter, short_lines};
use crate::error::RunError;
use crate::input::Input;
use crate::model::Outcome;
use crate::progress::Reporter;
use crate::stages::boilerplate::SitesSettings;
use crate::stages::boilerplate::sites::{self, SiteKnowledge};
use crate::state::FileState;
use std::collections::HashMap;
use std::sync::Arc;

/// A document's short lines, with its site, for the counter.
pub struct SitePrint {
    site: String,
    lines: Vec<(u64, String)>,
}

impl SitePrint {
    /// Its site and its (key, text) lines.
    pub fn into_parts(self) -> (String, Vec<(u64, String)>) {
        (self.site, self.lines)
    }
}

/// A normalized document's print, on its own thread (none when learning is off or the
/// document was dropped).
pub fn print(s: &SitesSettings, o: &Outcome) -> Option<SitePrint> {
    let Outcome::Keep(doc) = o else { return None };
    if !s.enabled {
        return None;
    }
    let site = sites::site_of_source(&doc.source).to_string();
    let lines = short_lines(&site, doc.kept().map(|p| p.text.as_str()), s.max_words);
    Some(SitePrint { site, lines })
}

/// The site counter of a run and what it has learned so far.
pub struct SiteLearning {
    settings: SitesSettings,
    counter: SiteCounter,
    /// The lines learned so far, as the boilerplate stage reads them.
    known: Arc<SiteKnowledge>,
    /// Each counted file's line keys, for the corpus state (a re-cleaned file takes them back
    /// out first).
    lines: HashMap<String, Vec<u64>>,
}

impl SiteLearning {
    /// Learning that goes on from `counter` (a new one, or the corpus state's), once the files
    /// an earlier run counted from the cut on (`forget`) have their lines taken back out.
    pub fn new<'f>(
        settings: SitesSettings,
        mut counter: SiteCounter,
        forget: impl Iterator<Item = &'f FileState>,
    ) -> Self {
        if settings.enabled {
            for f in forget {
                counter.remove(&f.lines);
            }
        }
        let known = Arc::new(if settings.enabled { counter.learn() } else { SiteKnowledge::default() });
        SiteLearning { settings, counter, known, lines: HashMap::new() }
    }

    /// The settings it learns by.
    pub fn settings(&self) -> &SitesSettings {
        &self.settings
    }

    /// Count one document's print, in corpus order; `rel` and `order` are its raw file's. Its
    /// line keys are kept for the corpus state.
    pub fn count(&mut self, rel: &str, order: u32, print: SitePrint) {
        let keys = self.lines.entry(rel.to_string()).or_default();
        keys.extend(print.lines.iter().map(|(k, _)| *k));
        self.count_at(order, print);
    }

    /// Count one document's print at place `order`, keeping nothing for a corpus state (a
    /// stream has none).
    pub fn count_at(&mut self, order: u32, print: SitePrint) {
        self.counter.add(&print.site, print.lines, order);
    }

    /// Count a records file ahead of cleaning it: read and normalize its records (in
    /// parallel per chunk, counted in order). Nothing after normalize runs.
    pub fn count_ahead(
        &mut self,
        chain: &Chain,
        input: &Input,
        pool: &rayon::ThreadPool,
        reporter: &dyn Reporter,
    ) -> Result<(), RunError> {
        if !self.settings.enabled {
            return Ok(());
        }
        let s = self.settings;
        let inputs = std::slice::from_ref(input);
        reporter.phase("learning site boilerplate", total_bytes(inputs));
        pipelined(
            pool,
            chain.units(inputs),
            |u| chain.read(u).ok().and_then(|d| print(&s, &chain.normalize(d))),
            |prints, bytes| {
                for p in prints.into_iter().flatten() {
                    self.count(&input.rel, input.order, p);
                }
                reporter.advance(bytes);
                Ok(())
            },
        )
    }

    /// The lines learned so far, with those the counts just completed.
    pub fn known(&mut self) -> Arc<SiteKnowledge> {
        let learned = self.counter.take_learned();
        if !learned.is_empty() {
            Arc::make_mut(&mut self.known).extend(learned);
        }
        self.known.clone()
    }

    /// The line keys counted for `rel`.
    pub fn take_lines(&mut self, rel: &str) -> Vec<u64> {
        self.lines.remove(rel).unwrap_or_default()
    }

    /// What was learned, with every line's final count (for `sites.json` and the summary), and
    /// the counter for the corpus state.
    pub fn finish(self) -> (SiteKnowledge, SiteCounter) {
        let known = if self.settings.enabled { self.counter.learn() } else { SiteKnowledge::default() };
        (known, self.counter)
    }
}
