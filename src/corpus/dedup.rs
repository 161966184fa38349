//! The dedup barrier, corpus-wide: fed documents' [`Print`]s in input order, it marks a
//! document as a duplicate when its body repeats an earlier kept body or most of its body
//! repeats one earlier kept document (then `action` drops or flags it, and it joins that
//! document's cluster), and removes paragraphs that repeat a paragraph of an earlier kept
//! document. "Earlier" is input order, never thread timing: a chunk's prints are looked up in
//! all earlier chunks on every thread, then checked against its own earlier documents in
//! order. It never sees a document's text: prints made on many machines can be decided in one
//! place. [`clusters`](super::clusters) then decides each cluster's canonical copy once every
//! document has been checked (the first seen, unless `canonical` says otherwise).

use super::clusters::{self, Clusters, Facts, Resolution};
use crate::model::{
    DocId, Document, DropReason, DuplicateBasis, Fingerprint, Outcome, ParaMatch, ParaRef, Removal,
};
use crate::stages::dedup::index::{self, Entries, EntriesRef, FingerprintIndex, Hit};
use crate::stages::dedup::{
    CanonicalPolicy, DedupScope, DedupSettings, DocumentAction, eligible, permille, simhash,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the dedup barrier knows of one kept document: its id, its body fingerprint, the
/// paragraphs that take part in paragraph dedup (kept, and long enough) with their
/// fingerprints and spans, and what the canonical policy compares. No text: prints are made
/// where the documents are (on every thread, or on many machines) and decided in one place,
/// in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Print {
    /// The document.
    pub id: DocId,
    /// Its body's fingerprint.
    pub body: Fingerprint,
    /// Its paragraphs that take part, in order.
    pub paragraphs: Vec<ParaPrint>,
    /// Its kept paragraphs.
    pub kept: u32,
    /// Characters of its kept paragraphs (counted for `canonical = "longest"` only).
    pub chars: u64,
    /// Its date (kept for `canonical = "earliest"` only).
    pub published: Option<String>,
}

/// A paragraph of a [`Print`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParaPrint {
    /// Its index in the document.
    pub index: u32,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
    /// Its byte span in the raw file.
    pub start: u64,
    /// End of the span.
    pub end: u64,
    /// Its characters (counted for `canonical = "longest"` only).
    pub chars: u32,
}

impl Print {
    /// The print of a document the fingerprint stage has seen.
    pub fn of(doc: &Document, s: &DedupSettings) -> Print {
        let longest = s.canonical == CanonicalPolicy::Longest;
        let chars = |p: &crate::model::Paragraph| if longest { p.text.chars().count() } else { 0 };
        // Paragraphs are printed only when they are compared across documents.
        let paragraphs = if s.indexes_paragraphs() {
            eligible(doc, s.paragraph_min_words)
                .map(|(i, fingerprint)| {
                    let p = &doc.paragraphs[i];
                    ParaPrint {
                        index: u32::try_from(i).expect("fewer than 2^32 paragraphs"),
                        fingerprint,
                        start: p.span.start as u64,
                        end: p.span.end as u64,
                        chars: chars(p) as u32,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Print {
            id: doc.id.clone(),
            body: doc.body.expect("fingerprint stage ran"),
            paragraphs,
            kept: doc.kept().count() as u32,
            chars: doc.kept().map(|p| chars(p) as u64).sum(),
            published: (s.canonical == CanonicalPolicy::Earliest)
                .then(|| doc.meta.published.clone())
                .flatten(),
        }
    }
}

/// What the barrier decided for one document, to be applied to the document the print was
/// made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// It stays; these of its paragraphs repeat paragraphs of earlier documents and go.
    Keep(Vec<ParaMatch>),
    /// It leaves the corpus: a near-duplicate of an earlier document, or nothing left once
    /// its repeated paragraphs went.
    Drop(Vec<ParaMatch>, DropReason),
}

impl Decision {
    /// The document with the decision applied.
    pub fn apply(self, mut doc: Document) -> Outcome {
        match self {
            Decision::Keep(repeats) => {
                mark_repeats(&mut doc, repeats);
                Outcome::Keep(doc)
            }
            Decision::Drop(repeats, reason @ DropReason::Empty { .. }) => {
                mark_repeats(&mut doc, repeats);
                Outcome::Drop(doc, reason)
            }
            // A duplicate's text is left whole: it may be flagged, or become canonical.
            Decision::Drop(_, reason) => Outcome::Drop(doc, reason),
        }
    }
}

fn mark_repeats(doc: &mut Document, repeats: Vec<ParaMatch>) {
    for ParaMatch { paragraph, of, distance, similarity } in repeats {
        doc.paragraphs[paragraph].removal = Some(Removal::Duplicate { of, distance, similarity });
    }
}

/// What the sealed corpus holds for one document, from [`Dedup::look_up`].
#[derive(Debug, Default)]
pub struct Lookups {
    body: Option<Hit>,
    /// One per eligible paragraph, in order.
    paragraphs: Vec<Option<Hit>>,
}

impl Lookups {
    /// Lookups made elsewhere (a sharded run's global phase answers from candidate pairs):
    /// the body's, and one per paragraph of the print, in order.
    pub fn new(body: Option<Hit>, paragraphs: Vec<Option<Hit>>) -> Self {
        Lookups { body, paragraphs }
    }
}

/// The corpus-wide barrier: what has been kept so far, and the checks against it.
///
/// The two indexes are the in-memory [`FingerprintIndex`]es, or, for a sharded run's global
/// phase, indexes that answer from candidate pairs found beforehand (see [`CorpusIndex`]).
#[derive(Debug)]
pub struct Dedup<P = FingerprintIndex<Para>, B = FingerprintIndex<usize>> {
    settings: DedupSettings,
    /// Paragraphs of kept documents.
    paragraphs: P,
    /// Bodies of kept documents; the value is the position in `docs`.
    bodies: B,
    /// Kept documents in input order: id and body fingerprint.
    docs: Vec<(DocId, Fingerprint)>,
    /// Position of each kept document in `docs`.
    order: HashMap<DocId, usize>,
    /// Every kept or duplicate document, joined by its matches.
    clusters: Clusters,
}

/// A segment of the barrier's index as the corpus state's log saves it (see `crate::state`):
/// the paragraph index entries and kept documents added after some [`Marks`]. The body index is
/// not saved: it is the kept documents' body fingerprints, in order.
#[derive(Debug, Serialize)]
pub struct SegmentRef<'a> {
    paragraphs: EntriesRef<'a, Para>,
    docs: &'a [(DocId, Fingerprint)],
}

impl SegmentRef<'_> {
    /// Write the segment as `postcard` encodes it (the same bytes as serializing it), streaming
    /// the large blocks (see [`EntriesRef::write_to`]).
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        self.paragraphs.write_to(out)?;
        postcard::to_io(self.docs, out).map_err(std::io::Error::other)?;
        Ok(())
    }
}

/// Saved [`SegmentRef`]s, read back and joined.
#[derive(Debug, Default, Deserialize)]
pub struct Segment {
    paragraphs: Entries<Para>,
    docs: Vec<(DocId, Fingerprint)>,
}

impl Segment {
    /// Room for the entries up to `marks`.
    pub fn reserve(&mut self, marks: Marks) {
        self.paragraphs.reserve((marks.paragraphs as usize).saturating_sub(self.paragraphs.len()));
        self.docs.reserve((marks.docs as usize).saturating_sub(self.docs.len()));
    }

    /// Add the segment saved after this one (taken whole when this one is empty).
    pub fn append(&mut self, next: Segment) {
        if self.paragraphs.is_empty() && self.docs.is_empty() {
            *self = next;
            return;
        }
        self.paragraphs.append(next.paragraphs);
        self.docs.extend(next.docs);
    }
}

/// A paragraph of the corpus index: which kept document (its place in [`Dedup`]'s `docs`), which
/// paragraph, and its raw byte span. A number, not the document's id: the index holds one per
/// kept paragraph (750,000 at 100,000 articles), and an owned id each was most of what loading
/// and freeing the index allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Para {
    doc: u32,
    paragraph: u32,
    start: u64,
    end: u64,
}

impl Para {
    /// The kept document (its place among kept documents, in input order) and the paragraph.
    pub fn item(&self) -> (u32, u32) {
        (self.doc, self.paragraph)
    }
}

/// In the log: the number of entries, then each entry's document (as the difference from the
/// entry before: nearly always 0 or 1), paragraph, start and end, as varints.
impl index::SavedValue for Para {
    fn write_all(values: &[Self], out: &mut Vec<u8>) {
        use index::varint::put;
        put(out, values.len() as u64);
        let mut doc = 0u32;
        for v in values {
            // Documents only grow along the log; a smaller one is written as is, after a 0 flag.
            match v.doc.checked_sub(doc) {
                Some(d) => put(out, u64::from(d) + 1),
                None => {
                    put(out, 0);
                    put(out, u64::from(v.doc));
                }
            }
            doc = v.doc;
            put(out, u64::from(v.paragraph));
            put(out, v.start);
            put(out, v.end);
        }
    }

    fn read_all(b: &[u8]) -> Result<Vec<Self>, String> {
        use index::varint::get;
        let at = &mut 0;
        let n = get(b, at)? as usize;
        // Each entry takes at least 4 bytes: a damaged count cannot ask for more.
        let mut out = Vec::with_capacity(n.min(b.len() / 4));
        let small = |v: u64| u32::try_from(v).map_err(|_| format!("{v} is out of range"));
        let mut doc = 0u32;
        while *at < b.len() {
            doc = match get(b, at)? {
                0 => small(get(b, at)?)?,
                d => doc.checked_add(small(d - 1)?).ok_or("document number out of range")?,
            };
            let paragraph = small(get(b, at)?)?;
            let (start, end) = (get(b, at)?, get(b, at)?);
            out.push(Para { doc, paragraph, start, end });
        }
        if out.len() != n {
            return Err(format!("block holds {} entries, not {n}", out.len()));
        }
        Ok(out)
    }
}

/// The barrier's corpus as the corpus state holds it: the index's log and the clusters.
#[derive(Debug)]
pub struct Snapshot {
    /// Every segment of the log, joined.
    pub index: Segment,
    /// The clusters.
    pub clusters: clusters::Snapshot,
}

/// How far the corpus reached after some document: the state records these after each file,
/// so a later run can take the corpus back to the end of any file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    /// Entries of the paragraph index.
    pub paragraphs: u32,
    /// Kept documents (entries of the body index).
    pub docs: u32,
    /// Cluster members (kept and duplicate documents).
    pub members: u32,
}

impl Dedup {
    /// What the corpus holds so far.
    pub fn marks(&self) -> Marks {
        Marks {
            paragraphs: self.paragraphs.len() as u32,
            docs: self.docs.len() as u32,
            members: self.clusters.len() as u32,
        }
    }

    /// What the index gained after `from`, for the corpus state's log.
    pub fn segment(&self, from: Marks) -> SegmentRef<'_> {
        SegmentRef {
            paragraphs: self.paragraphs.entries(from.paragraphs as usize),
            docs: &self.docs[(from.docs as usize).min(self.docs.len())..],
        }
    }

    /// The clusters, for the corpus state.
    pub fn clusters(&self) -> clusters::Snapshot {
        self.clusters.snapshot()
    }

    /// The corpus of a snapshot as it was at `upto`: the state of a run that stopped there.
    pub fn restore(settings: &DedupSettings, snapshot: Snapshot, upto: Marks) -> Self {
        let s = settings;
        let Snapshot { index: Segment { paragraphs, mut docs }, clusters } = snapshot;
        let mut dedup = Dedup::new(settings);
        docs.truncate(upto.docs as usize);
        let Dedup { paragraphs: p, bodies, order, clusters: c, .. } = &mut dedup;
        // The paragraph index is the big one: the rest is built beside it.
        rayon::join(
            || {
                *p = FingerprintIndex::from_entries(
                    s.paragraph_max_distance,
                    s.min_similarity,
                    s.sketch_keys,
                    paragraphs,
                    upto.paragraphs as usize,
                );
            },
            || {
                for (n, (id, body)) in docs.iter().enumerate() {
                    bodies.insert(body, n);
                    order.insert(id.clone(), n);
                }
                bodies.seal();
                *c = Clusters::restore(clusters, upto.members as usize);
            },
        );
        dedup.docs = docs;
        dedup
    }

    /// Is `id` a document kept before the corpus reached `marks`?
    pub fn kept_before(&self, id: &DocId, marks: Marks) -> bool {
        self.order.get(id).is_some_and(|&n| n < marks.docs as usize)
    }

    /// An empty corpus.
    pub fn new(settings: &DedupSettings) -> Self {
        let s = settings;
        Dedup::with_indexes(
            s,
            FingerprintIndex::new(s.paragraph_max_distance, s.min_similarity, s.sketch_keys),
            FingerprintIndex::new(s.document_max_distance, s.min_similarity, s.sketch_keys),
        )
    }

    /// What the sealed part of the corpus (every earlier chunk) holds for this document's body
    /// and eligible paragraphs. Takes `&self`, so a chunk's lookups run on every thread; then
    /// [`check`](Self::check) adds what the documents before it in the same chunk hold.
    pub fn look_up(&self, print: &Print) -> Lookups {
        let body = self.bodies.find_sealed(&print.body).filter(|_| self.document_dedup());
        let paragraphs = if self.index_paragraphs() {
            print.paragraphs.iter().map(|p| self.paragraphs.find_sealed(&p.fingerprint)).collect()
        } else {
            Vec::new()
        };
        Lookups { body, paragraphs }
    }

    /// Look up, check and apply in one step, for one document alone (`newsprep explain`).
    pub fn check_one(&mut self, outcome: Outcome) -> Outcome {
        let Outcome::Keep(doc) = outcome else { return outcome };
        let print = Print::of(&doc, &self.settings);
        let sealed = self.look_up(&print);
        self.check(&print, sealed).apply(doc)
    }

    /// Make everything kept so far part of the sealed corpus, for the next chunk's lookups.
    pub fn seal(&mut self) {
        self.bodies.seal();
        self.paragraphs.seal();
    }
}

/// An index of kept texts as the barrier's check uses it: what was inserted since the last
/// seal is searched by the check itself ([`find_recent`](Self::find_recent)); everything before
/// is looked up ahead, for a whole chunk, into [`Lookups`].
pub trait CorpusIndex<V> {
    /// The match among the entries inserted since the last seal.
    fn find_recent(&self, fp: &Fingerprint) -> Option<Hit>;
    /// The value and figures of a hit.
    fn resolve(&self, hit: Option<Hit>) -> Option<index::Found<'_, V>>;
    /// Add an entry.
    fn insert(&mut self, fp: &Fingerprint, value: V);
}

impl<V> CorpusIndex<V> for FingerprintIndex<V> {
    fn find_recent(&self, fp: &Fingerprint) -> Option<Hit> {
        FingerprintIndex::find_recent(self, fp)
    }
    fn resolve(&self, hit: Option<Hit>) -> Option<index::Found<'_, V>> {
        FingerprintIndex::resolve(self, hit)
    }
    fn insert(&mut self, fp: &Fingerprint, value: V) {
        FingerprintIndex::insert(self, fp, value)
    }
}

impl<P: CorpusIndex<Para>, B: CorpusIndex<usize>> Dedup<P, B> {
    /// A corpus over these (empty) indexes.
    pub fn with_indexes(settings: &DedupSettings, paragraphs: P, bodies: B) -> Self {
        Dedup {
            settings: *settings,
            paragraphs,
            bodies,
            docs: Vec::new(),
            order: HashMap::new(),
            clusters: Clusters::default(),
        }
    }

    /// The settings it checks by (a print is made under them).
    pub fn settings(&self) -> &DedupSettings {
        &self.settings
    }

    /// The indexes, to be looked up in.
    pub fn indexes(&self) -> (&P, &B) {
        (&self.paragraphs, &self.bodies)
    }

    /// Is document dedup on, and are paragraphs compared across documents?
    pub fn compares(&self) -> (bool, bool) {
        (self.document_dedup(), self.index_paragraphs())
    }

    /// Is document dedup on (`drop` or `flag`)?
    fn document_dedup(&self) -> bool {
        self.settings.document_action != DocumentAction::Off
    }

    /// What the canonical policy compares, with the `removed` paragraphs gone.
    fn facts(print: &Print, removed: &[ParaMatch]) -> Facts {
        let chars: u64 = removed
            .iter()
            .filter_map(|m| print.paragraphs.iter().find(|p| p.index as usize == m.paragraph))
            .map(|p| u64::from(p.chars))
            .sum();
        Facts {
            published: print.published.clone(),
            length: (print.chars - chars) as usize,
            paragraphs: print.kept as usize - removed.len(),
        }
    }

    /// Record a duplicate in its cluster and drop it, with its repeated paragraphs.
    fn duplicate(
        &mut self,
        print: &Print,
        of: DocId,
        distance: u32,
        similarity: f32,
        basis: DuplicateBasis,
        repeats: Vec<ParaMatch>,
    ) -> Decision {
        self.clusters.add_duplicate(print.id.clone(), Self::facts(print, &[]), &of, distance, similarity);
        Decision::Drop(Vec::new(), DropReason::Duplicate { of, distance, similarity, basis, repeats })
    }

    /// The canonical copy of every cluster under the configured policy; call once every
    /// document has been checked.
    pub fn resolve(&mut self) -> Resolution {
        self.clusters.resolve(self.settings.canonical)
    }

    fn index_paragraphs(&self) -> bool {
        self.settings.indexes_paragraphs()
    }

    /// Check one document's print against everything kept before it, then add it if it
    /// stays. Must be called in input order, with the print's [`look_up`](Self::look_up)
    /// made since the last [`seal`](Self::seal).
    pub fn check(&mut self, print: &Print, sealed: Lookups) -> Decision {
        let s = self.settings;
        let body = print.body;
        let documents = self.document_dedup();
        let index_paragraphs = self.index_paragraphs();

        // 1. Which kept paragraphs repeat a paragraph of an earlier document.
        let mut matches: Vec<ParaMatch> = Vec::new();
        // Tokens repeated from each earlier document: (its place in `docs`, tokens).
        let mut per_doc: Vec<(usize, u64)> = Vec::new();
        let mut eligible_tokens = 0u64;
        if index_paragraphs {
            debug_assert_eq!(print.paragraphs.len(), sealed.paragraphs.len());
            for (pp, pre) in print.paragraphs.iter().zip(sealed.paragraphs) {
                let fp = pp.fingerprint;
                eligible_tokens += u64::from(fp.tokens);
                let hit = Hit::better(pre, self.paragraphs.find_recent(&fp));
                if let Some(f) = self.paragraphs.resolve(hit) {
                    let p = f.value;
                    let of = ParaRef {
                        id: self.docs[p.doc as usize].0.clone(),
                        paragraph: p.paragraph as usize,
                        start: p.start as usize,
                        end: p.end as usize,
                    };
                    let (distance, similarity) = (f.distance, permille(f.similarity));
                    matches.push(ParaMatch { paragraph: pp.index as usize, of, distance, similarity });
                    let tokens = u64::from(fp.tokens);
                    match per_doc.iter_mut().find(|d| d.0 == p.doc as usize) {
                        Some(d) => d.1 += tokens,
                        None => per_doc.push((p.doc as usize, tokens)),
                    }
                }
            }
        }

        // 2. The whole body is a near-duplicate of an earlier body.
        if documents
            && let Some(f) = self.bodies.resolve(Hit::better(sealed.body, self.bodies.find_recent(&body)))
        {
            let of = self.docs[*f.value].0.clone();
            let (distance, similarity) = (f.distance, f.similarity);
            return self.duplicate(print, of, distance, similarity, DuplicateBasis::Body, matches);
        }

        // 3. Containment: most of the body repeats one earlier document (the earliest on a tie).
        if documents && eligible_tokens > 0 {
            let best = per_doc.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            if let Some(&(order, tokens)) = best {
                let share = tokens as f64 / eligible_tokens as f64;
                if share >= f64::from(s.document_containment) {
                    let (of, fp) = self.docs[order].clone();
                    let distance = simhash::distance(fp.simhash, body.simhash);
                    let similarity = fp.sketch.similarity(&body.sketch);
                    let basis = DuplicateBasis::Containment(share as f32);
                    return self.duplicate(print, of, distance, similarity, basis, matches);
                }
            }
        }

        // 4. The repeated paragraphs go (with paragraph dedup over the corpus).
        let removed = if s.paragraph_scope == DedupScope::Corpus { matches } else { Vec::new() };
        if s.paragraph_scope == DedupScope::Corpus && removed.len() == print.kept as usize {
            let detail = "every paragraph repeats an earlier document".to_string();
            return Decision::Drop(removed, DropReason::Empty { detail });
        }

        // 5. Kept: it becomes part of the corpus later documents are checked against, unless
        // nothing ever looks there (document dedup off, paragraphs only within a document):
        // then a stream's memory stays flat.
        if !documents && !index_paragraphs {
            return Decision::Keep(removed);
        }
        self.clusters.add(print.id.clone(), Self::facts(print, &removed));
        let n = self.docs.len();
        self.bodies.insert(&body, n);
        self.order.insert(print.id.clone(), n);
        self.docs.push((print.id.clone(), body));
        if index_paragraphs {
            let doc_no = u32::try_from(n).expect("fewer than 2^32 kept documents");
            for pp in &print.paragraphs {
                if removed.iter().any(|m| m.paragraph == pp.index as usize) {
                    continue;
                }
                let p = Para { doc: doc_no, paragraph: pp.index, start: pp.start, end: pp.end };
                self.paragraphs.insert(&pp.fingerprint, p);
            }
        }
        Decision::Keep(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DocStage;
    use crate::model::{Features, MetaField, Paragraph, SourceInfo, Span};
    use crate::settings::Settings;
    use crate::stages::dedup::Fingerprints;
    use index::SavedValue;

    #[test]
    fn index_paragraphs_are_saved_and_read_back() {
        let p = |doc: u32, paragraph: u32, start: u64| Para { doc, paragraph, start, end: start + 300 };
        let values = vec![p(0, 0, 0), p(0, 2, 400), p(1, 0, 7), p(7, 9, 1 << 40), p(3, 1, 5)];
        let mut block = Vec::new();
        Para::write_all(&values, &mut block);
        assert_eq!(Para::read_all(&block).unwrap(), values);
        assert!(Para::read_all(&[]).is_err(), "no count");
        assert!(Para::read_all(&block[..block.len() - 1]).is_err(), "cut short");
        let mut more = block.clone();
        more[0] = 6;
        assert!(Para::read_all(&more).unwrap_err().contains("not 6"));
    }

    fn doc(id: &str, paras: &[&str]) -> Document {
        let mut at = 0;
        let paragraphs = paras
            .iter()
            .map(|t| {
                let span = Span { start: at, end: at + t.len() };
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
        let mut d =
            Document::new(DocId(id.into()), SourceInfo::unread(format!("{id}.txt")), String::new(), 0);
        d.paragraphs = paragraphs;
        d
    }

    const A: &str = "Algeria and Russia, long-time allies, are scrambling to patch up ties after months of tension over the Sahel.";
    const B: &str = "Vyacheslav Volodin, Speaker of Russia's State Duma, is scheduled to visit Algiers in the coming weeks.";
    const C: &str =
        "The visit comes after Wagner Group airstrikes near Algeria's southern border with Mali in April.";
    const D: &str =
        "Last month, the Algeria-Russia Friendship Parliamentary Group met in Algiers to discuss relations.";

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
                of: ParaRef { id: DocId("t".into()), paragraph: 0, start: 0, end: A.len() },
                distance: 0,
                similarity: 1000
            })
        );
    }

    #[test]
    fn doubled_title_is_removed_against_the_title() {
        let title =
            "Cracks Appearing in Algiers-Moscow Relations following Ukraine's Support to Tuareg Separatists";
        let mut d = doc("t", &[title, title, A]);
        d.paragraphs[0].removal = Some(Removal::Metadata(MetaField::Title));
        let o = Fingerprints::new(&settings()).apply(d);
        assert!(
            matches!(&o.doc().paragraphs[1].removal, Some(Removal::Duplicate { of, distance: 0, .. }) if of.paragraph == 0)
        );
        assert_eq!(kept(&o), vec![A]);
    }

    #[test]
    fn near_duplicate_document_is_dropped_and_first_wins() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        let first = dd.check_one(fp.apply(doc("a", &[A, B, C, D])));
        assert!(matches!(first, Outcome::Keep(_)));
        // Same story, a different title and different punctuation: near-duplicate.
        let copy = dd.check_one(fp.apply(doc("b", &["ALGERIA AND RUSSIA long-time allies are scrambling to patch up ties after months of tension over the Sahel", B, C, D])));
        assert!(
            matches!(copy, Outcome::Drop(_, DropReason::Duplicate { ref of, .. }) if of.0 == "a"),
            "{copy:?}"
        );
    }

    #[test]
    fn a_segment_streamed_to_a_writer_is_what_postcard_makes_of_it() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check_one(fp.apply(doc("a", &[A, B])));
        dd.seal();
        let first = dd.marks();
        dd.check_one(fp.apply(doc("b", &[C, D, "A short line"])));
        for from in [Marks::default(), first] {
            let segment = dd.segment(from);
            let mut streamed = Vec::new();
            segment.write_to(&mut streamed).unwrap();
            assert_eq!(streamed, postcard::to_stdvec(&segment).unwrap());
            assert!(streamed.len() > 100, "the segment holds the entries");
        }
    }

    #[test]
    fn paragraph_reused_from_an_earlier_document_is_removed() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check_one(fp.apply(doc("a", &[A, B])));
        let o = dd.check_one(fp.apply(doc("b", &[C, D, B])));
        assert_eq!(kept(&o), vec![C, D]);
        assert!(
            matches!(&o.doc().paragraphs[2].removal, Some(Removal::Duplicate { of, distance: 0, .. }) if of.id.0 == "a" && of.paragraph == 1)
        );
    }

    #[test]
    fn syndicated_copy_with_edits_is_contained_in_the_original() {
        let s = settings();
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check_one(fp.apply(doc("a", &[A, B, C, D])));
        // The lede reworded and the last paragraph dropped: the body fingerprint moves, but B
        // and C (most of the words) repeat `a`.
        let edited = "Algeria and Russia, old allies, scramble to patch up ties after months of strain.";
        let o = dd.check_one(fp.apply(doc("b", &[edited, B, C])));
        assert!(matches!(o, Outcome::Drop(_, DropReason::Duplicate { ref of, .. }) if of.0 == "a"), "{o:?}");
        // Reusing one paragraph of four is not containment: only that paragraph goes.
        let new1 = "Growers' associations have asked the government for emergency loans to cover storage.";
        let new2 = "A third paragraph of new reporting, with more than enough words to count here.";
        let o = dd.check_one(fp.apply(doc("c", &[edited, new1, new2, B])));
        assert_eq!(kept(&o), vec![edited, new1, new2]);
    }

    #[test]
    fn with_document_dedup_off_a_fully_repeated_document_is_empty() {
        let s = DedupSettings { document_action: DocumentAction::Off, ..settings() };
        let fp = Fingerprints::new(&s);
        let mut dd = Dedup::new(&s);
        dd.check_one(fp.apply(doc("a", &[A, B, C, D])));
        let o = dd.check_one(fp.apply(doc("b", &[B, D])));
        assert!(matches!(o, Outcome::Drop(_, DropReason::Empty { .. })), "{o:?}");
    }

    #[test]
    fn short_paragraphs_are_left_alone() {
        let o = Fingerprints::new(&settings()).apply(doc("t", &["Read more", A, "Read more"]));
        assert_eq!(kept(&o), vec!["Read more", A, "Read more"]);
    }
}
