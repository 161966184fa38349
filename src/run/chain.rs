//! Part of the run: the per-document chain (read -> normalize -> metadata -> boilerplate ->
//! fingerprints), built once from the settings and used by `run`, `clean`, `check` and
//! `explain`. Every step is a pure [`DocStage`](crate::model::DocStage); the chain only
//! orders them. It lives beside the driver, not in `stages`, because it is built from the
//! whole [`Settings`] and the stages never see those.

use crate::corpus::dedup::Dedup;
use crate::error::FileError;
use crate::input::{self, Input, InputKind, ReadSettings, Unit};
use crate::model::{Document, Entry, Outcome, SourceInfo};
use crate::settings::Settings;
use crate::stages::boilerplate::classify::Classified;
use crate::stages::boilerplate::sites::SiteKnowledge;
use crate::stages::boilerplate::{RuleSet, StripBoilerplate};
use crate::stages::dedup::{DedupSettings, Fingerprints};
use crate::stages::metadata::ExtractMetadata;
use crate::stages::normalize::Normalize;
use std::sync::Arc;

/// The per-document stages, built once from the settings.
#[derive(Debug)]
pub struct Chain {
    read: ReadSettings,
    normalize: Normalize,
    metadata: ExtractMetadata,
    boilerplate: StripBoilerplate,
    fingerprints: Fingerprints,
}

impl Chain {
    /// Build every per-document stage, with the site knowledge learned so far.
    pub fn new(s: &Settings, knowledge: Arc<SiteKnowledge>) -> Chain {
        let rules = Arc::new(RuleSet::new(&s.boilerplate));
        Chain {
            read: s.read.clone(),
            normalize: Normalize::new(&s.normalize),
            metadata: ExtractMetadata::new(&s.metadata, rules.clone()),
            boilerplate: StripBoilerplate::new(&s.boilerplate, rules, knowledge),
            fingerprints: Fingerprints::new(&s.dedup),
        }
    }

    /// The units of `inputs` (files, and each line of a JSONL file), in order.
    pub fn units<'a>(&self, inputs: &'a [Input]) -> input::Units<'a> {
        input::units(inputs, &self.read)
    }

    /// Read one unit (a file or a JSONL record) into a document: the one place a unit becomes
    /// one. What cannot be read is the entry that says why (boxed: it is the rare path).
    pub fn read(&self, unit: &Unit) -> Result<Document, Box<Entry>> {
        self.read_unit(unit).map_err(Box::new)
    }

    #[allow(clippy::result_large_err)] // boxed by `read`
    fn read_unit(&self, unit: &Unit) -> Result<Document, Entry> {
        let input = match unit {
            Unit::File(input) => input,
            Unit::Record(r) => {
                return input::record(r, &self.read).map_err(|(id, source, error)| match error {
                    // A WARC's requests and metadata are not pages: skipped, not failed.
                    FileError::NotAPage { .. } => Entry::Skipped { id, source, reason: error.to_string() },
                    error => Entry::Failed { id, source, error },
                });
            }
            Unit::Broken { input, line, error } => {
                let mut source = SourceInfo::unread(input.rel.clone());
                source.line = (*line > 0).then_some(*line);
                return Err(Entry::Failed { id: input.id.clone(), source, error: error.clone() });
            }
        };
        match &input.kind {
            InputKind::Skipped(reason) => Err(Entry::Skipped {
                id: input.id.clone(),
                source: SourceInfo::unread(input.rel.clone()),
                reason: reason.clone(),
            }),
            InputKind::Collision { first } => {
                let error =
                    FileError::IdCollision { id: input.id.0.clone(), first: first.clone(), line: None };
                let source = match input::read(input, &self.read) {
                    Ok(d) => d.source,
                    Err((s, _)) => s,
                };
                Err(Entry::Failed { id: input.id.clone(), source, error })
            }
            InputKind::Article | InputKind::Records => input::read(input, &self.read)
                .map_err(|(source, error)| Entry::Failed { id: input.id.clone(), source, error }),
        }
    }

    /// The first stage: paragraphs, Unicode, markup. Site learning counts what it leaves.
    pub fn normalize(&self, doc: Document) -> Outcome {
        Outcome::Keep(doc).then(&self.normalize)
    }

    /// The stages after normalize: metadata, `boilerplate` (one reading the site knowledge
    /// learned so far, from [`with_knowledge`](Self::with_knowledge)), fingerprints.
    pub fn finish_with(&self, o: Outcome, boilerplate: &StripBoilerplate) -> Outcome {
        o.then(&self.metadata).then(boilerplate).then(&self.fingerprints)
    }

    /// The stages after normalize, with the site knowledge the chain was built with.
    pub fn finish(&self, o: Outcome) -> Outcome {
        self.finish_with(o, &self.boilerplate)
    }

    /// The boilerplate stage reading `knowledge`: what a run's chunk is finished with once the
    /// lines it completes are learned.
    pub fn with_knowledge(&self, knowledge: Arc<SiteKnowledge>) -> StripBoilerplate {
        self.boilerplate.with_knowledge(knowledge)
    }

    /// Run one input through the per-document stages, then dedup it against itself only.
    pub fn explain(
        &self,
        input: &Input,
        dedup: &DedupSettings,
    ) -> Result<Explained, (SourceInfo, FileError)> {
        let doc = input::read(input, &self.read)?;
        Ok(self.explain_document(doc, dedup))
    }

    /// Run one document already read (a feed's record) through the per-document stages, then
    /// dedup it against itself only.
    pub fn explain_document(&self, doc: Document, dedup: &DedupSettings) -> Explained {
        let o = self.normalize(doc).then(&self.metadata);
        let (o, classified) = match o {
            Outcome::Keep(d) => self.boilerplate.apply_explained(d),
            dropped => (dropped, None),
        };
        let o = Dedup::new(dedup).check_one(o.then(&self.fingerprints));
        Explained { outcome: o, classified }
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
