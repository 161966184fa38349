//! Stage 5, dedup, its per-document part: [`Fingerprints`] fingerprints every paragraph
//! ([`simhash`]), removes paragraphs that repeat an earlier one *of the same document* (a body
//! scraped twice, a doubled title), then fingerprints the remaining body. It is pure and runs
//! under rayon. The corpus-wide part, which compares each document with every earlier one,
//! is the barrier in `crate::corpus::dedup` (split the way vector splits stateless from
//! stateful transforms); both use the fingerprint index ([`index`]).

pub mod index;
pub mod settings;
pub mod simhash;

pub use settings::{CanonicalPolicy, DedupScope, DedupSettings, DocumentAction};

use crate::model::{DocStage, Document, DropReason, Fingerprint, MetaField, Outcome, ParaRef, Removal};
use index::FingerprintIndex;

/// A similarity in thousandths, as removals record it.
pub(crate) fn permille(similarity: f32) -> u16 {
    (similarity.clamp(0.0, 1.0) * 1000.0).round() as u16
}

/// Pure per-document part: fingerprints and repeats inside one document.
#[derive(Debug, Clone)]
pub struct Fingerprints {
    settings: DedupSettings,
}

impl Fingerprints {
    /// Build from settings.
    pub fn new(settings: &DedupSettings) -> Self {
        Fingerprints { settings: *settings }
    }
}

/// Kept paragraphs long enough for paragraph dedup, with their index and fingerprint.
pub(crate) fn eligible(doc: &Document, min_words: usize) -> impl Iterator<Item = (usize, Fingerprint)> + '_ {
    doc.paragraphs.iter().enumerate().filter_map(move |(i, p)| {
        let fp = p.fingerprint.filter(|f| p.is_kept() && f.tokens as usize >= min_words)?;
        Some((i, fp))
    })
}

/// Does this paragraph take part in paragraph dedup: kept, or the title (a repeat of the title
/// in the body is a doubled title)?
fn takes_part(removal: Option<&Removal>) -> bool {
    matches!(removal, None | Some(Removal::Metadata(MetaField::Title)))
}

impl DocStage for Fingerprints {
    const NAME: &'static str = "fingerprint";

    fn apply(&self, mut doc: Document) -> Outcome {
        let s = &self.settings;
        // Each paragraph's normalized tokens, kept for the body fingerprint below so no text is
        // tokenized twice.
        let mut tokens: Vec<String> = vec![String::new(); doc.paragraphs.len()];
        for (p, buf) in doc.paragraphs.iter_mut().zip(&mut tokens) {
            if takes_part(p.removal.as_ref()) {
                simhash::tokenize(&p.text, buf);
                p.fingerprint = Some(simhash::of_tokens(buf, s.shingle_words));
            }
        }
        if s.paragraph_scope != DedupScope::Off {
            // The title takes part as an original only (a doubled title repeats it).
            let mut seen: FingerprintIndex<usize> =
                FingerprintIndex::new(s.paragraph_max_distance, s.min_similarity, s.sketch_keys);
            for i in 0..doc.paragraphs.len() {
                let p = &doc.paragraphs[i];
                let Some(fp) = p.fingerprint.filter(|f| f.tokens as usize >= s.paragraph_min_words) else {
                    continue;
                };
                match seen.find(&fp).map(|f| (*f.value, f.distance, permille(f.similarity))) {
                    Some((j, distance, similarity)) if p.is_kept() => {
                        let o = &doc.paragraphs[j];
                        let of = ParaRef {
                            id: doc.id.clone(),
                            paragraph: j,
                            start: o.span.start,
                            end: o.span.end,
                        };
                        doc.paragraphs[i].removal = Some(Removal::Duplicate { of, distance, similarity });
                    }
                    _ => seen.insert(&fp, i),
                }
            }
        }
        // Body fingerprint over the kept paragraphs' tokens, as one stream: the same stream
        // `tokenize` gives for their texts joined by spaces. The first buffer is taken, not
        // copied, and each one is freed once appended, so a document of one huge paragraph
        // does not hold its tokens twice.
        let mut body = String::new();
        for (p, t) in doc.paragraphs.iter().zip(tokens) {
            if p.is_kept() && !t.is_empty() {
                if body.is_empty() {
                    body = t;
                } else {
                    body.push(' ');
                    body.push_str(&t);
                }
            }
        }
        doc.body = Some(simhash::of_tokens(&body, s.shingle_words));
        if doc.kept().next().is_none() {
            return Outcome::Drop(
                doc,
                DropReason::Empty { detail: "every paragraph repeats another".into() },
            );
        }
        Outcome::Keep(doc)
    }
}
