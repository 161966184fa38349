//! Part of the dedup barrier, for a sharded run's global phase: an index of kept texts that
//! answers from candidate pairs found beforehand instead of searching fingerprints. An engine
//! groups every text by its band keys (its sketch's smallest hashes), verifies the pairs in each
//! group with the barrier's own thresholds and hands over, for each text, its verified earlier
//! candidates ([`Candidate`]). Fed in input order, this index then answers exactly as the
//! in-memory [`FingerprintIndex`](crate::stages::dedup::index::FingerprintIndex) would: an
//! exact repeat first (the first kept copy), else the nearest confirmed candidate that is
//! still in the corpus, reached by SimHash distance or through a sketch-key bucket that had
//! room for it. A band key shared by too many texts to pair them all (its group was "cut")
//! gets no sketch-key pairs: for those keys this index keeps the bucket itself (at most
//! [`KEY_BUCKET_CAP`] texts, with their sketches) and compares as the in-memory index does.
//! Otherwise it holds no sketches and no tables of SimHash blocks: a value, a hash and a byte
//! per kept text.

use super::dedup::{CorpusIndex, Para};
use crate::model::{Fingerprint, Sketch};
use crate::stages::dedup::index::{Found, Hit, KEY_BUCKET_CAP, KEY_MAX_DISTANCE};
use rustc_hash::FxBuildHasher;
use std::collections::{HashMap, HashSet};

/// A verified earlier text that a text may repeat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Which kept text ([`Item::item`] of its value).
    pub item: u64,
    /// SimHash distance.
    pub distance: u32,
    /// Sketch similarity (at least `min-similarity`: checked when the pair was verified).
    pub similarity: f32,
    /// Within the SimHash distance of the index (`max-distance`, at most 7).
    pub near: bool,
    /// Which of the earlier text's first `sketch-keys` sketch values the later text's first
    /// ones share (bit i: its i-th), for the sketch-key path (distance up to
    /// [`KEY_MAX_DISTANCE`]).
    pub keys: u8,
}

/// What names a kept text, from its value in the index.
pub trait Item {
    /// The text: a body by its kept document's place, a paragraph by that and its index.
    fn item(&self) -> u64;
}

impl Item for Para {
    fn item(&self) -> u64 {
        let (doc, paragraph) = self.item();
        paragraph_item(doc, paragraph)
    }
}

impl Item for usize {
    fn item(&self) -> u64 {
        *self as u64
    }
}

/// The item of paragraph `paragraph` of the kept document at place `doc`.
pub fn paragraph_item(doc: u32, paragraph: u32) -> u64 {
    (u64::from(doc) << 32) | u64::from(paragraph)
}

/// The index (see the module docs).
#[derive(Debug)]
pub struct PairIndex<V> {
    /// SimHash distance of a near match (the in-memory index's, at most 7).
    near: u32,
    /// Sketch values per text that are bucket keys.
    sketch_keys: usize,
    values: Vec<V>,
    /// Each text's id by its item.
    ids: HashMap<u64, u32, FxBuildHasher>,
    /// First id of each exact hash.
    exact: HashMap<u64, u32, FxBuildHasher>,
    /// Per id: which of its first `sketch_keys` values' buckets took it.
    in_bucket: Vec<u8>,
    /// Texts in each sketch-key bucket (up to [`KEY_BUCKET_CAP`]).
    buckets: HashMap<u32, u8, FxBuildHasher>,
    /// Band keys whose groups were cut: no sketch-key pairs were made for them.
    cut: HashSet<u32, FxBuildHasher>,
    /// The buckets of those keys, with what a lookup compares: id, SimHash, sketch.
    cut_buckets: HashMap<u32, Vec<(u32, u64, Sketch)>, FxBuildHasher>,
    min_similarity: f32,
}

impl<V: Item> PairIndex<V> {
    /// An empty index matching within SimHash distance `k` (of it, at most 7 count, as in the
    /// in-memory index) or through one of `sketch_keys` sketch-key buckets, confirmed by a
    /// sketch similarity of `min_similarity`; `cut` lists the band keys whose groups were cut.
    pub fn new(k: u32, min_similarity: f32, sketch_keys: usize, cut: HashSet<u32, FxBuildHasher>) -> Self {
        PairIndex {
            near: k.min(7),
            sketch_keys,
            values: Vec::new(),
            ids: HashMap::default(),
            exact: HashMap::default(),
            in_bucket: Vec::new(),
            buckets: HashMap::default(),
            cut,
            cut_buckets: HashMap::default(),
            min_similarity,
        }
    }

    /// What `fp` repeats among the texts kept so far, given its verified earlier candidates:
    /// the first kept text with its exact hash, else the nearest (then earliest) candidate
    /// still in the corpus that the in-memory index would reach.
    pub fn look_up(&self, fp: &Fingerprint, candidates: impl Iterator<Item = Candidate>) -> Option<Hit> {
        if let Some(&id) = self.exact.get(&fp.exact) {
            return Some(Hit { id, distance: 0, similarity: 1.0, exact: true });
        }
        let mut best: Option<Hit> = None;
        for c in candidates {
            let Some(&id) = self.ids.get(&c.item) else { continue };
            let reached = (c.near && c.distance <= self.near)
                || (self.sketch_keys > 0
                    && c.distance <= KEY_MAX_DISTANCE
                    && self.in_bucket[id as usize] & c.keys != 0);
            if reached && best.is_none_or(|b| (c.distance, id) < (b.distance, b.id)) {
                best = Some(Hit { id, distance: c.distance, similarity: c.similarity, exact: false });
            }
        }
        // The cut keys' buckets, searched as the in-memory index searches every bucket.
        for v in fp.sketch.values().iter().take(self.sketch_keys) {
            let Some(bucket) = self.cut_buckets.get(v) else { continue };
            for &(id, simhash, ref sketch) in bucket {
                let distance = (fp.simhash ^ simhash).count_ones();
                if distance > KEY_MAX_DISTANCE || best.is_some_and(|b| (distance, id) >= (b.distance, b.id)) {
                    continue;
                }
                let similarity = fp.sketch.similarity(sketch);
                if similarity >= self.min_similarity {
                    best = Some(Hit { id, distance, similarity, exact: false });
                }
            }
        }
        best
    }
}

impl<V: Item> CorpusIndex<V> for PairIndex<V> {
    /// Every lookup is made whole by [`look_up`](PairIndex::look_up).
    fn find_recent(&self, _: &Fingerprint) -> Option<Hit> {
        None
    }

    fn resolve(&self, hit: Option<Hit>) -> Option<Found<'_, V>> {
        hit.map(|h| Found {
            value: &self.values[h.id as usize],
            distance: h.distance,
            similarity: h.similarity,
        })
    }

    fn insert(&mut self, fp: &Fingerprint, value: V) {
        let id = u32::try_from(self.values.len()).expect("fewer than 2^32 entries");
        self.exact.entry(fp.exact).or_insert(id);
        self.ids.insert(value.item(), id);
        let mut mask = 0u8;
        for (i, &v) in fp.sketch.values().iter().take(self.sketch_keys).enumerate() {
            let n = self.buckets.entry(v).or_insert(0);
            if usize::from(*n) < KEY_BUCKET_CAP {
                *n += 1;
                mask |= 1 << i;
                if self.cut.contains(&v) {
                    self.cut_buckets.entry(v).or_default().push((id, fp.simhash, fp.sketch));
                }
            }
        }
        self.in_bucket.push(mask);
        self.values.push(value);
    }
}
