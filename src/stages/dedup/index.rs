//! A near-duplicate index over 64-bit fingerprints: all entries within Hamming distance `k` of a
//! query, without comparing against every entry.
//!
//! Pigeonhole (Manku, Jain and Das Sarma, WWW 2007), generalized as multi-index hashing: split
//! the 64 bits into 4 blocks; two fingerprints within distance `k` have a block within `k / 4` of
//! each other (see [`NearIndex`]). Buckets are `Vec`s in insertion order and tables are never
//! iterated, so results do not depend on hashing or threads.

use super::simhash::{Sketch, distance};
use crate::document::Fingerprint;
use rustc_hash::FxBuildHasher;
use std::collections::HashMap;

/// Exact hashes first, then SimHash within distance `k` confirmed on the text: what every dedup
/// lookup needs. The first value inserted under an exact hash is the one returned for it.
#[derive(Debug, Clone)]
pub struct FingerprintIndex<V> {
    exact: HashMap<u64, usize>,
    /// Entry ids are insertion order, the same as positions in `values`.
    near: NearIndex<()>,
    values: Vec<V>,
    sketches: Vec<Sketch>,
    min_similarity: f32,
}

/// An earlier entry a fingerprint repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found<'a, V> {
    /// The entry's value.
    pub value: &'a V,
    /// SimHash distance (0 for an exact repeat).
    pub distance: u32,
    /// Estimated Jaccard similarity of the two shingle sets (1 for an exact repeat).
    pub similarity: f32,
}

impl<V> FingerprintIndex<V> {
    /// An empty index matching within SimHash distance `k`, confirmed by a shingle similarity
    /// of at least `min_similarity`.
    pub fn new(k: u32, min_similarity: f32) -> Self {
        FingerprintIndex {
            exact: HashMap::new(),
            near: NearIndex::new(k),
            values: Vec::new(),
            sketches: Vec::new(),
            min_similarity,
        }
    }

    /// The earlier entry this fingerprint repeats: an exact match, else the nearest SimHash
    /// within `k` (earliest on a tie) among those whose shingle sketch confirms the match. A
    /// SimHash neighbour alone is not enough: unrelated short texts can land within a few bits.
    pub fn find(&self, fp: &Fingerprint) -> Option<Found<'_, V>> {
        if let Some(&i) = self.exact.get(&fp.exact) {
            return Some(Found { value: &self.values[i], distance: 0, similarity: 1.0 });
        }
        let mut best: Option<(u32, u32, f32)> = None; // (distance, id, similarity)
        self.near.for_each_within(fp.simhash, |d, id| {
            if best.is_some_and(|b| (d, id) >= (b.0, b.1)) {
                return;
            }
            let sim = fp.sketch.similarity(&self.sketches[id as usize]);
            if sim >= self.min_similarity {
                best = Some((d, id, sim));
            }
        });
        best.map(|(distance, id, similarity)| Found {
            value: &self.values[id as usize],
            distance,
            similarity,
        })
    }

    /// Add an entry.
    pub fn insert(&mut self, fp: &Fingerprint, value: V) {
        let i = self.values.len();
        self.exact.entry(fp.exact).or_insert(i);
        self.near.insert(fp.simhash, ());
        self.values.push(value);
        self.sketches.push(fp.sketch);
    }
}

/// Blocks the 64 bits are cut into: four 16-bit keys.
const BLOCKS: usize = 4;

/// One block's table: 16-bit value -> (fingerprint, id) of the entries with it.
type Table = HashMap<u16, Vec<(u64, u32)>, FxBuildHasher>;

/// The index; `V` is what an entry refers to (a paragraph, a document).
///
/// Multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012), the generalized pigeonhole of
/// Manku et al.: the 64 bits are cut into 4 blocks of 16, and two fingerprints within distance
/// `k` have some block within distance `k / 4` (rounded down) of each other, or the four blocks
/// would differ in more than `k` bits. So a query probes, in each of the 4 tables, its own block
/// and every block within that radius: 1 bucket for k <= 3, 17 for k = 4 to 6. With 16-bit keys a
/// bucket holds about n / 65,536 entries, where k + 1 blocks of 64 / (k + 1) bits would hold
/// n / 512 at k = 6: that made a 200,000-article run spend three quarters of its time scanning
/// buckets. Each bucket stores the fingerprints inline, so a scan reads memory in order.
#[derive(Debug, Clone)]
pub struct NearIndex<V> {
    k: u32,
    /// Per block: the bucket of each 16-bit value, holding (fingerprint, id). Hash maps, not
    /// 65,536-slot arrays: an index per document (repeats inside one page) must be cheap.
    tables: Vec<Table>,
    values: Vec<V>,
}

/// The 16-bit block `b` of `fp`.
#[inline]
fn block(fp: u64, b: usize) -> u16 {
    (fp >> (16 * b)) as u16
}

impl<V> NearIndex<V> {
    /// An empty index answering queries within distance `k` (0 to 7: the radius per block
    /// stays at most 1).
    pub fn new(k: u32) -> Self {
        let k = k.min(7);
        NearIndex { k, tables: vec![HashMap::default(); BLOCKS], values: Vec::new() }
    }

    /// Add an entry.
    pub fn insert(&mut self, fp: u64, value: V) {
        let id = u32::try_from(self.values.len()).expect("fewer than 2^32 entries");
        for (b, t) in self.tables.iter_mut().enumerate() {
            t.entry(block(fp, b)).or_default().push((fp, id));
        }
        self.values.push(value);
    }

    /// Call `each(distance, id)` for every entry within `k` of `fp` (ids are insertion order),
    /// in no set order and possibly more than once; nothing is allocated.
    pub fn for_each_within(&self, fp: u64, mut each: impl FnMut(u32, u32)) {
        let radius = self.k / BLOCKS as u32;
        for (b, t) in self.tables.iter().enumerate() {
            let key = block(fp, b);
            let probes =
                std::iter::once(key).chain((0..16).filter(|_| radius >= 1).map(|bit| key ^ (1 << bit)));
            for probe in probes {
                for &(other, id) in t.get(&probe).into_iter().flatten() {
                    let d = distance(fp, other);
                    if d <= self.k {
                        each(d, id);
                    }
                }
            }
        }
    }

    /// The nearest entry within distance `k`, ties broken by the earliest inserted.
    pub fn nearest(&self, fp: u64) -> Option<(&V, u32)> {
        let mut best: Option<(u32, u32)> = None; // (distance, id)
        self.for_each_within(fp, |d, id| {
            if best.is_none_or(|b| (d, id) < b) {
                best = Some((d, id));
            }
        });
        best.map(|(d, id)| (&self.values[id as usize], d))
    }

    /// Every entry within distance `k`, as (insertion id, distance), sorted by id.
    pub fn within(&self, fp: u64) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        self.for_each_within(fp, |d, id| out.push((id, d)));
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn finds_near_and_prefers_nearest_then_earliest() {
        let mut ix = NearIndex::new(3);
        ix.insert(0b1111, "a");
        ix.insert(0b0111, "b");
        ix.insert(0b1111, "c");
        assert_eq!(ix.nearest(0b1111), Some((&"a", 0)));
        assert_eq!(ix.nearest(0b0011), Some((&"b", 1)));
        assert_eq!(ix.nearest(u64::MAX), None);
    }

    proptest! {
        /// The index returns exactly what comparing against every entry returns.
        #[test]
        fn matches_brute_force(k in 0u32..=6, seeds in prop::collection::vec(any::<u64>(), 1..60), flips in prop::collection::vec((0usize..60, 0u32..64), 0..200)) {
            // Make near neighbours on purpose: copies of the seeds with a few bits flipped.
            let mut fps = seeds.clone();
            for (i, bit) in flips {
                let base = seeds[i % seeds.len()];
                fps.push(base ^ (1u64 << bit) ^ (1u64 << ((bit * 7 + 3) % 64)));
            }
            let mut ix = NearIndex::new(k);
            for (i, &f) in fps.iter().enumerate() {
                ix.insert(f, i);
            }
            for &q in &fps {
                let brute: Vec<(u32, u32)> = fps.iter().enumerate().filter_map(|(i, &f)| {
                    let d = distance(q, f);
                    (d <= k).then_some((i as u32, d))
                }).collect();
                prop_assert_eq!(ix.within(q), brute);
            }
        }
    }

    #[test]
    fn a_simhash_neighbour_counts_only_when_the_text_confirms_it() {
        use crate::stages::dedup::simhash::fingerprint;
        let original = fingerprint("the port strike enters its third week as talks stall again", 2);
        let mut ix = FingerprintIndex::new(3, 0.5);
        ix.insert(&original, "original");
        // An unrelated text that happens to share the SimHash: rejected on its shingles.
        let mut impostor = fingerprint("citrus growers count the cost of the long stoppage at sea", 2);
        impostor.simhash = original.simhash ^ 0b101;
        assert!(ix.find(&impostor).is_none());
        // An edited copy at the same SimHash distance: confirmed, with its similarity.
        let mut copy = fingerprint("the port strike enters its third week as the talks stall again", 2);
        copy.simhash = original.simhash ^ 0b101;
        let f = ix.find(&copy).expect("confirmed");
        assert_eq!((*f.value, f.distance), ("original", 2));
        assert!(f.similarity >= 0.5 && f.similarity < 1.0, "{}", f.similarity);
    }
}
