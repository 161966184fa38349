//! Part of the dedup step: its settings, resolved from `[dedup]`, and the choices
//! `pipeline.toml` offers (where repeats are looked for, what a duplicate document becomes,
//! which copy of a cluster is canonical).

use serde::Deserialize;

/// Where paragraph repeats are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DedupScope {
    /// Earlier paragraphs of the same document and of all earlier documents.
    #[default]
    Corpus,
    /// Earlier paragraphs of the same document only.
    Document,
    /// No paragraph deduplication.
    Off,
}

/// What happens to a near-duplicate document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentAction {
    /// Leave it out of the corpus; it keeps a `duplicate` row in the manifest.
    #[default]
    Drop,
    /// Keep it in the corpus, marked with the document it duplicates (`duplicate_of`).
    Flag,
    /// No document-level deduplication.
    Off,
}

/// Which member of a cluster of near-duplicate documents is kept as the canonical copy; ties
/// go to the smallest id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CanonicalPolicy {
    /// The first in input order (decided as the documents stream by).
    #[default]
    First,
    /// The earliest published date; documents without a date come last.
    Earliest,
    /// The longest cleaned body (in characters).
    Longest,
}

impl CanonicalPolicy {
    /// Its name in pipeline.toml.
    pub fn name(self) -> &'static str {
        match self {
            CanonicalPolicy::First => "first",
            CanonicalPolicy::Earliest => "earliest",
            CanonicalPolicy::Longest => "longest",
        }
    }
}

/// Near-duplicate detection.
#[derive(Debug, Clone, Copy)]
pub struct DedupSettings {
    /// Words per shingle.
    pub shingle_words: usize,
    /// Smallest shingle similarity that confirms a SimHash neighbour.
    pub min_similarity: f32,
    /// Smallest sketch hashes used as lookup keys (0 = SimHash candidates only).
    pub sketch_keys: usize,
    /// Where paragraph repeats are looked for.
    pub paragraph_scope: DedupScope,
    /// Largest paragraph fingerprint distance that is a repeat.
    pub paragraph_max_distance: u32,
    /// Shorter paragraphs (in tokens) are never removed as repeats.
    pub paragraph_min_words: usize,
    /// What happens to near-duplicate documents.
    pub document_action: DocumentAction,
    /// Which member of a cluster is canonical.
    pub canonical: CanonicalPolicy,
    /// Largest body fingerprint distance that is a duplicate.
    pub document_max_distance: u32,
    /// Share of body words repeating one earlier document that makes a duplicate.
    pub document_containment: f32,
}

impl DedupSettings {
    /// Are paragraphs compared across documents: paragraph dedup over the corpus, or document
    /// dedup (containment counts repeated paragraphs)?
    pub fn indexes_paragraphs(&self) -> bool {
        self.paragraph_scope == DedupScope::Corpus || self.document_action != DocumentAction::Off
    }
}
