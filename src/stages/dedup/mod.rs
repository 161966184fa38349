//! Stage 5, dedup: repeated paragraphs and near-duplicate documents.
//!
//! Two parts, split the way vector splits stateless from stateful transforms:
//! - [`Fingerprints`] is a pure per-document stage: it fingerprints every paragraph, removes
//!   paragraphs that repeat an earlier one *of the same document* (a body scraped twice, a doubled
//!   title), then fingerprints the remaining body.
//! - [`Dedup`] is the corpus-wide barrier. Fed documents in input order, it drops a document
//!   whose body is within `document.max-distance` of an earlier kept body, and removes paragraphs
//!   that repeat a paragraph of an earlier kept document. "Earlier" is input order, never thread
//!   timing, so the first copy seen always wins.

pub mod index;
pub mod simhash;

use crate::config::{DedupScope, DocumentAction};
use crate::document::{DocId, Document, Fingerprint, MetaField, ParaRef, Removal};
use crate::settings::DedupSettings;
use crate::stages::{DocStage, DropReason, DuplicateBasis, Outcome};
use index::NearIndex;
use std::collections::HashMap;

/// Pure per-document part: fingerprints and repeats inside one document.
#[derive(Debug, Clone)]
pub struct Fingerprints {
    settings: DedupSettings,
}

impl Fingerprints {
    /// Build from settings.
    pub fn new(settings: &DedupSettings) -> Self {
        Fingerprints {
            settings: *settings,
        }
    }
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
        let mut buf = String::new();
        let mut bounds = Vec::new();
        for p in &mut doc.paragraphs {
            if takes_part(p.removal.as_ref()) {
                simhash::tokenize(&p.text, &mut buf, &mut bounds);
                p.fingerprint = Some(Fingerprint {
                    exact: xxhash_rust::xxh3::xxh3_64(buf.as_bytes()),
                    simhash: simhash::simhash(&buf, &bounds, s.shingle_words),
                    tokens: bounds.len() as u32,
                });
            }
        }
        if s.paragraph_scope != DedupScope::Off {
            let mut exact: HashMap<u64, usize> = HashMap::new();
            let mut near: NearIndex<usize> = NearIndex::new(s.paragraph_max_distance);
            for i in 0..doc.paragraphs.len() {
                let p = &doc.paragraphs[i];
                let Some(fp) = p.fingerprint else { continue };
                if (fp.tokens as usize) < s.paragraph_min_words {
                    continue;
                }
                let hit = exact
                    .get(&fp.exact)
                    .map(|&j| (j, 0))
                    .or_else(|| near.nearest(fp.simhash).map(|(&j, d)| (j, d)));
                match hit {
                    Some((j, distance)) if p.is_kept() => {
                        let of = ParaRef {
                            id: doc.id.clone(),
                            paragraph: j,
                            start: doc.paragraphs[j].span.start,
                            end: doc.paragraphs[j].span.end,
                        };
                        doc.paragraphs[i].removal = Some(Removal::Duplicate { of, distance });
                    }
                    _ => {
                        exact.entry(fp.exact).or_insert(i);
                        near.insert(fp.simhash, i);
                    }
                }
            }
        }
        // Body fingerprint over the kept paragraphs' tokens, as one stream.
        let mut body = String::new();
        for p in doc.kept() {
            if !body.is_empty() {
                body.push(' ');
            }
            body.push_str(&p.text);
        }
        doc.body = Some(simhash::fingerprint(&body, s.shingle_words));
        if doc.kept().next().is_none() {
            return Outcome::Drop(
                doc,
                DropReason::Empty {
                    detail: "every paragraph repeats another".into(),
                },
            );
        }
        Outcome::Keep(doc)
    }
}

/// The corpus-wide barrier: what has been kept so far, and the checks against it.
#[derive(Debug)]
pub struct Dedup {
    settings: DedupSettings,
    para_exact: HashMap<u64, ParaRef>,
    para_near: NearIndex<ParaRef>,
    doc_exact: HashMap<u64, usize>,
    doc_near: NearIndex<usize>,
    /// Kept documents in input order: id and body SimHash.
    docs: Vec<(DocId, u64)>,
    /// Position of each kept document in `docs`.
    order: HashMap<DocId, usize>,
}

impl Dedup {
    /// An empty corpus.
    pub fn new(settings: &DedupSettings) -> Self {
        Dedup {
            settings: *settings,
            para_exact: HashMap::new(),
            para_near: NearIndex::new(settings.paragraph_max_distance),
            doc_exact: HashMap::new(),
            doc_near: NearIndex::new(settings.document_max_distance),
            docs: Vec::new(),
            order: HashMap::new(),
        }
    }

    /// Check one document against everything kept before it, then add it if it stays.
    /// Must be called in input order.
    pub fn check(&mut self, outcome: Outcome) -> Outcome {
        let Outcome::Keep(mut doc) = outcome else {
            return outcome;
        };
        let s = self.settings;
        let body = doc.body.expect("fingerprint stage ran");
        let drop_docs = s.document_action == DocumentAction::Drop;

        // 1. The whole body is a near-duplicate of an earlier body.
        if drop_docs {
            let hit = self
                .doc_exact
                .get(&body.exact)
                .map(|&i| (i, 0))
                .or_else(|| self.doc_near.nearest(body.simhash).map(|(&i, d)| (i, d)));
            if let Some((i, distance)) = hit {
                let of = self.docs[i].0.clone();
                let basis = DuplicateBasis::Body;
                return Outcome::Drop(
                    doc,
                    DropReason::Duplicate {
                        of,
                        distance,
                        basis,
                    },
                );
            }
        }

        // 2. Which kept paragraphs repeat a paragraph of an earlier document.
        let mut matches: Vec<(usize, ParaRef, u32)> = Vec::new();
        let mut eligible_tokens = 0u64;
        if s.paragraph_scope == DedupScope::Corpus || drop_docs {
            for (i, p) in doc.paragraphs.iter().enumerate() {
                let (true, Some(fp)) = (p.is_kept(), p.fingerprint) else {
                    continue;
                };
                if (fp.tokens as usize) < s.paragraph_min_words {
                    continue;
                }
                eligible_tokens += u64::from(fp.tokens);
                let hit = self
                    .para_exact
                    .get(&fp.exact)
                    .map(|r| (r, 0))
                    .or_else(|| self.para_near.nearest(fp.simhash));
                if let Some((of, distance)) = hit {
                    matches.push((i, of.clone(), distance));
                }
            }
        }

        // 3. Containment: most of the body repeats one earlier document (the earliest on a tie).
        if drop_docs && eligible_tokens > 0 {
            let mut per_doc: Vec<(usize, u64)> = Vec::new(); // (doc order, tokens)
            for (i, of, _) in &matches {
                let order = self.order[&of.id];
                let tokens = u64::from(doc.paragraphs[*i].fingerprint.map_or(0, |f| f.tokens));
                match per_doc.iter_mut().find(|d| d.0 == order) {
                    Some(d) => d.1 += tokens,
                    None => per_doc.push((order, tokens)),
                }
            }
            let best = per_doc
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some(&(order, tokens)) = best {
                if tokens as f64 >= f64::from(s.document_containment) * eligible_tokens as f64 {
                    let (of, fp) = self.docs[order].clone();
                    let distance = simhash::distance(fp, body.simhash);
                    let basis = DuplicateBasis::Containment(
                        (tokens as f64 / eligible_tokens as f64) as f32,
                    );
                    return Outcome::Drop(
                        doc,
                        DropReason::Duplicate {
                            of,
                            distance,
                            basis,
                        },
                    );
                }
            }
        }

        // 4. Remove the repeated paragraphs.
        if s.paragraph_scope == DedupScope::Corpus {
            for (i, of, distance) in matches {
                doc.paragraphs[i].removal = Some(Removal::Duplicate { of, distance });
            }
            if doc.kept().next().is_none() {
                return Outcome::Drop(
                    doc,
                    DropReason::Empty {
                        detail: "every paragraph repeats an earlier document".into(),
                    },
                );
            }
        }

        // 5. Kept: it becomes part of the corpus later documents are checked against.
        let n = self.docs.len();
        self.doc_exact.entry(body.exact).or_insert(n);
        self.doc_near.insert(body.simhash, n);
        self.order.insert(doc.id.clone(), n);
        self.docs.push((doc.id.clone(), body.simhash));
        if s.paragraph_scope == DedupScope::Corpus || drop_docs {
            for (i, p) in doc.paragraphs.iter().enumerate() {
                let (true, Some(fp)) = (p.is_kept(), p.fingerprint) else {
                    continue;
                };
                if (fp.tokens as usize) < s.paragraph_min_words {
                    continue;
                }
                let r = ParaRef {
                    id: doc.id.clone(),
                    paragraph: i,
                    start: p.span.start,
                    end: p.span.end,
                };
                self.para_exact.entry(fp.exact).or_insert_with(|| r.clone());
                self.para_near.insert(fp.simhash, r);
            }
        }
        Outcome::Keep(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Features, Metadata, Paragraph, SourceInfo, Span};
    use crate::settings::Settings;

    fn doc(id: &str, paras: &[&str]) -> Document {
        let mut at = 0;
        let paragraphs = paras
            .iter()
            .map(|t| {
                let span = Span {
                    start: at,
                    end: at + t.len(),
                };
                at += t.len() + 2;
                Paragraph {
                    text: t.to_string(),
                    span,
                    features: Features::default(),
                    removal: None,
                    fingerprint: None,
                }
            })
            .collect();
        Document {
            id: DocId(id.into()),
            source: SourceInfo {
                path: format!("{id}.txt"),
                bytes: 0,
                sha256: String::new(),
            },
            raw: String::new(),
            raw_offset: 0,
            paragraphs,
            meta: Metadata::default(),
            body: None,
        }
    }

    const A: &str = "Algeria and Russia, long-time allies, are scrambling to patch up ties after months of tension over the Sahel.";
    const B: &str = "Vyacheslav Volodin, Speaker of Russia's State Duma, is scheduled to visit Algiers in the coming weeks.";
    const C: &str = "The visit comes after Wagner Group airstrikes near Algeria's southern border with Mali in April.";
    const D: &str = "Last month, the Algeria-Russia Friendship Parliamentary Group met in Algiers to discuss relations.";

    fn settings() -> DedupSettings {
        Settings::defaults("r", "o").dedup
    }

    fn kept(o: &Outcome) -> Vec<&str> {
        o.doc().kept().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn body_scraped_twice_keeps_the_first_copy() {
        let o = Fingerprints::new(&settings()).apply(doc("t", &[A, B, C, A, B, C]));
        assert_eq!(kept(&o), vec![A, B, C]);
        let d = o.doc();
        assert_eq!(
            d.paragraphs[3].removal,
            Some(Removal::Duplicate {
                of: ParaRef {
                    id: DocId("t".into()),
                    paragraph: 0,
                    start: 0,
                    end: A.len()
                },
                distance: 0
            })
        );
    }

    #[test]
    fn doubled_title_is_removed_against_the_title() {
        let title = "Cracks Appearing in Algiers-Moscow Relations following Ukraine's Support to Tuareg Separatists";
        let mut d = doc("t", &[title, title, A]);
        d.paragraphs[0].removal = Some(Removal::Metadata(MetaField::Title));
        let o = Fingerprints::new(&settings()).apply(d);
        assert!(
            matches!(&o.doc().paragraphs[1].removal, Some(Removal::Duplicate { of, distance: 0 }) if of.paragraph == 0)
        );
        assert_eq!(kept(&o), vec![A]);
    }

    #[test]
    fn near_duplicate_document_is_dropped_and_first_wins() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        let first = dd.check(fp.apply(doc("a", &[A, B, C, D])));
        assert!(matches!(first, Outcome::Keep(_)));
        // Same story, a different title and different punctuation: near-duplicate.
        let copy = dd.check(fp.apply(doc("b", &["ALGERIA AND RUSSIA long-time allies are scrambling to patch up ties after months of tension over the Sahel", B, C, D])));
        assert!(
            matches!(copy, Outcome::Drop(_, DropReason::Duplicate { ref of, .. }) if of.0 == "a"),
            "{copy:?}"
        );
    }

    #[test]
    fn paragraph_reused_from_an_earlier_document_is_removed() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check(fp.apply(doc("a", &[A, B])));
        let o = dd.check(fp.apply(doc("b", &[C, D, B])));
        assert_eq!(kept(&o), vec![C, D]);
        assert!(
            matches!(&o.doc().paragraphs[2].removal, Some(Removal::Duplicate { of, distance: 0 }) if of.id.0 == "a" && of.paragraph == 1)
        );
    }

    #[test]
    fn syndicated_copy_with_edits_is_contained_in_the_original() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check(fp.apply(doc("a", &[A, B, C, D])));
        // The lede reworded and the last paragraph dropped: the body fingerprint moves, but B
        // and C (most of the words) repeat `a`.
        let edited =
            "Algeria and Russia, old allies, scramble to patch up ties after months of strain.";
        let o = dd.check(fp.apply(doc("b", &[edited, B, C])));
        assert!(
            matches!(o, Outcome::Drop(_, DropReason::Duplicate { ref of, .. }) if of.0 == "a"),
            "{o:?}"
        );
        // Reusing one paragraph of four is not containment: only that paragraph goes.
        let new1 =
            "Growers' associations have asked the government for emergency loans to cover storage.";
        let new2 = "A third paragraph of new reporting, with more than enough words to count here.";
        let o = dd.check(fp.apply(doc("c", &[edited, new1, new2, B])));
        assert_eq!(kept(&o), vec![edited, new1, new2]);
    }

    #[test]
    fn with_document_dedup_off_a_fully_repeated_document_is_empty() {
        let s = DedupSettings {
            document_action: DocumentAction::Off,
            ..settings()
        };
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check(fp.apply(doc("a", &[A, B, C, D])));
        let o = dd.check(fp.apply(doc("b", &[B, D])));
        assert!(
            matches!(o, Outcome::Drop(_, DropReason::Empty { .. })),
            "{o:?}"
        );
    }

    #[test]
    fn short_paragraphs_are_left_alone() {
        let o = Fingerprints::new(&settings()).apply(doc("t", &["Read more", A, "Read more"]));
        assert_eq!(kept(&o), vec!["Read more", A, "Read more"]);
    }
}
