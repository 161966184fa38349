//! Part of the model: what the per-document stages and the dedup barrier decide about a
//! whole document, and why it left the corpus.

use super::document::{DocId, Document, ParaRef, SourceInfo};
use crate::error::FileError;

/// A stage that sees one document at a time and keeps no shared state.
pub trait DocStage: Sync {
    /// Name used in messages.
    const NAME: &'static str;
    /// Transform or drop one document.
    fn apply(&self, doc: Document) -> Outcome;
}

/// What a stage did with a document.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It goes on to the next stage.
    Keep(Document),
    /// It leaves the corpus (it keeps its manifest row).
    Drop(Document, DropReason),
}

impl Outcome {
    /// Run `stage` on a kept document; a dropped one passes through.
    pub fn then<S: DocStage>(self, stage: &S) -> Outcome {
        match self {
            Outcome::Keep(d) => stage.apply(d),
            dropped => dropped,
        }
    }

    /// The document, kept or not.
    pub fn doc(&self) -> &Document {
        match self {
            Outcome::Keep(d) | Outcome::Drop(d, _) => d,
        }
    }
}

/// Why a whole document left the corpus.
#[derive(Debug, Clone, PartialEq)]
pub enum DropReason {
    /// Nothing was left of its body.
    Empty {
        /// What happened to its paragraphs, for the manifest.
        detail: String,
    },
    /// Its body is a near-duplicate of an earlier document's.
    Duplicate {
        /// The earlier document.
        of: DocId,
        /// Hamming distance between the two body fingerprints.
        distance: u32,
        /// Estimated shingle Jaccard similarity of the two bodies, 0 to 1.
        similarity: f32,
        /// Which test found it.
        basis: DuplicateBasis,
        /// Its paragraphs that repeat paragraphs of earlier documents (provenance only: the
        /// document's own text is left whole, in case it is flagged or becomes canonical).
        repeats: Vec<ParaMatch>,
    },
}

/// A paragraph of a duplicate document that repeats a paragraph of an earlier document.
#[derive(Debug, Clone, PartialEq)]
pub struct ParaMatch {
    /// Its index in the duplicate.
    pub paragraph: usize,
    /// The paragraph it repeats.
    pub of: ParaRef,
    /// SimHash distance.
    pub distance: u32,
    /// Estimated similarity, in thousandths.
    pub similarity: u16,
}

/// How a duplicate document was recognized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DuplicateBasis {
    /// The body fingerprints are within `dedup.document.max-distance` (or the bodies are equal).
    Body,
    /// This share of its body words are in paragraphs repeating the earlier document's.
    Containment(f32),
}

impl DropReason {
    /// One sentence for the manifest.
    pub fn message(&self) -> String {
        match self {
            DropReason::Empty { detail } => detail.clone(),
            DropReason::Duplicate { of, distance, similarity, basis: DuplicateBasis::Body, .. } => {
                format!("body is a near-duplicate of {of} (distance {distance}, similarity {similarity:.2})")
            }
            DropReason::Duplicate {
                of,
                distance,
                similarity,
                basis: DuplicateBasis::Containment(share),
                ..
            } => {
                format!(
                    "containment: {:.0}% of its body words repeat paragraphs of {of}, at or over dedup.document.containment (the bodies differ by {distance} bits, similarity {similarity:.2}; the distance limit is for whole-body copies)",
                    share * 100.0
                )
            }
        }
    }
}

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
