//! A near-duplicate index over 64-bit fingerprints: all entries within Hamming distance `k` of a
//! query, without comparing against every entry.
//!
//! Pigeonhole (Manku, Jain and Das Sarma, WWW 2007), generalized as multi-index hashing: split
//! the 64 bits into 4 blocks; two fingerprints within distance `k` have a block within `k / 4` of
//! each other (see [`NearIndex`]). Buckets are `Vec`s in insertion order and tables are never
//! iterated, so results do not depend on hashing or threads.
//!
//! The corpus-wide index has two parts so the dedup barrier can look up in parallel: `sealed`
//! entries (every earlier chunk; read-only while a chunk is looked up on all threads) and
//! `recent` ones (inserted by the barrier in this chunk; small, searched in order). A lookup in
//! both, combined by [`Hit::better`], is exactly a lookup in one index of all entries.

use super::simhash::distance;
use crate::model::{Fingerprint, Sketch};
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// Exact hashes first, then SimHash within distance `k` confirmed on the text: what every dedup
/// lookup needs. The first value inserted under an exact hash is the one returned for it.
#[derive(Debug, Clone)]
pub struct FingerprintIndex<V> {
    /// First entry id of each exact hash.
    exact: HashMap<u64, u32, FxBuildHasher>,
    /// Entries `0..sealed_len`: one 65,536-slot table per block (made at the first seal).
    sealed: Option<NearIndex<Dense>>,
    sealed_len: u32,
    /// Entries from `sealed_len` on.
    recent: NearIndex<Sparse>,
    /// Entries by their sketches' smallest hashes (both parts).
    keys: SketchKeys,
    /// Each entry's SimHash, by id.
    simhashes: Vec<u64>,
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

/// A match found in one part of a [`FingerprintIndex`], not yet resolved to its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Entry id (insertion order).
    pub id: u32,
    /// SimHash distance (0 for an exact repeat).
    pub distance: u32,
    /// Estimated Jaccard similarity (1 for an exact repeat).
    pub similarity: f32,
    /// Found by its exact hash.
    pub exact: bool,
}

impl Hit {
    /// The match a lookup over all entries returns, from the matches of two parts where `a`'s
    /// entries all come before `b`'s: an exact repeat first (the earliest), else the nearest,
    /// the earliest on a tie.
    pub fn better(a: Option<Hit>, b: Option<Hit>) -> Option<Hit> {
        match (a, b) {
            (Some(a), _) if a.exact => Some(a),
            (_, Some(b)) if b.exact => Some(b),
            (Some(a), Some(b)) => Some(if (b.distance, b.id) < (a.distance, a.id) { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

impl<V> FingerprintIndex<V> {
    /// An empty index matching within SimHash distance `k`, confirmed by a shingle similarity
    /// of at least `min_similarity`.
    pub fn new(k: u32, min_similarity: f32, sketch_keys: usize) -> Self {
        FingerprintIndex {
            keys: SketchKeys::new(sketch_keys),
            simhashes: Vec::new(),
            exact: HashMap::default(),
            sealed: None,
            sealed_len: 0,
            recent: NearIndex::new(k),
            values: Vec::new(),
            sketches: Vec::new(),
            min_similarity,
        }
    }

    /// The earlier entry this fingerprint repeats: an exact match, else the nearest SimHash
    /// within `k` (earliest on a tie) among those whose shingle sketch confirms the match. A
    /// SimHash neighbour alone is not enough: unrelated short texts can land within a few bits.
    pub fn find(&self, fp: &Fingerprint) -> Option<Found<'_, V>> {
        self.resolve(Hit::better(self.find_sealed(fp), self.find_recent(fp)))
    }

    /// [`find`](Self::find) among the sealed entries only. Takes `&self`: the barrier runs it
    /// for a whole chunk on every thread before it inserts anything.
    pub fn find_sealed(&self, fp: &Fingerprint) -> Option<Hit> {
        self.find_part(fp, 0..self.sealed_len, |each| {
            if let Some(sealed) = &self.sealed {
                sealed.for_each_within(fp.simhash, each);
            }
        })
    }

    /// [`find`](Self::find) among the entries inserted since the last [`seal`](Self::seal).
    pub fn find_recent(&self, fp: &Fingerprint) -> Option<Hit> {
        self.find_part(fp, self.sealed_len..u32::MAX, |each| self.recent.for_each_within(fp.simhash, each))
    }

    /// The match among the entries `ids`, whose SimHash neighbours `near` lists: the exact
    /// repeat if the first entry with this exact hash is one of them, else the nearest
    /// confirmed candidate from `near` and from the sketch keys.
    fn find_part(
        &self,
        fp: &Fingerprint,
        ids: std::ops::Range<u32>,
        near: impl FnOnce(&mut dyn FnMut(u32, u32)),
    ) -> Option<Hit> {
        if let Some(&id) = self.exact.get(&fp.exact) {
            if ids.contains(&id) {
                return Some(Hit { id, distance: 0, similarity: 1.0, exact: true });
            }
            if id < ids.start {
                return None; // an earlier part holds the exact repeat, and it wins
            }
        }
        self.confirmed_nearest(fp, |each| {
            near(&mut *each);
            self.keys.for_each(&fp.sketch, |id| {
                if ids.contains(&id) {
                    key_candidate(fp.simhash, self.simhashes[id as usize], id, &mut *each);
                }
            });
        })
    }

    /// The nearest (then earliest) candidate whose sketch confirms it.
    fn confirmed_nearest(
        &self,
        fp: &Fingerprint,
        candidates: impl FnOnce(&mut dyn FnMut(u32, u32)),
    ) -> Option<Hit> {
        let mut best: Option<Hit> = None;
        candidates(&mut |d, id| {
            if best.is_some_and(|b| (d, id) >= (b.distance, b.id)) {
                return;
            }
            let similarity = fp.sketch.similarity(&self.sketches[id as usize]);
            if similarity >= self.min_similarity {
                best = Some(Hit { id, distance: d, similarity, exact: false });
            }
        });
        best
    }

    /// The value and figures of a hit.
    pub fn resolve(&self, hit: Option<Hit>) -> Option<Found<'_, V>> {
        hit.map(|h| Found {
            value: &self.values[h.id as usize],
            distance: h.distance,
            similarity: h.similarity,
        })
    }

    /// Add an entry (to the recent part).
    pub fn insert(&mut self, fp: &Fingerprint, value: V) {
        let id = u32::try_from(self.values.len()).expect("fewer than 2^32 entries");
        self.exact.entry(fp.exact).or_insert(id);
        self.recent.insert(fp.simhash, id);
        self.keys.insert(&fp.sketch, id);
        push_frugal(&mut self.simhashes, fp.simhash);
        push_frugal(&mut self.values, value);
        push_frugal(&mut self.sketches, fp.sketch);
    }

    /// The entries from the `from`-th on, in insertion order, as the corpus state saves them
    /// (see [`Entries`]): its log of the index grows by the entries each run adds.
    pub fn entries(&self, from: usize) -> EntriesRef<'_, V> {
        let from = from.min(self.values.len());
        let mut firsts: Vec<(u32, u64)> =
            self.exact.iter().filter(|&(_, &id)| id as usize >= from).map(|(&h, &id)| (id, h)).collect();
        firsts.sort_unstable();
        EntriesRef {
            simhashes: &self.simhashes[from..],
            sketches: &self.sketches[from..],
            values: &self.values[from..],
            firsts,
        }
    }

    /// An index of the first `len` of `entries` (all of them if there are fewer), sealed: the
    /// tables are rebuilt from the stored fingerprints, in the order they were inserted, so it
    /// answers exactly as the index that saved them did after its first `len` inserts.
    pub fn from_entries(k: u32, min_similarity: f32, sketch_keys: usize, e: Entries<V>, len: usize) -> Self {
        let mut index = FingerprintIndex::new(k, min_similarity, sketch_keys);
        let Entries { mut simhashes, mut sketches, mut values, firsts } = e;
        let len = len.min(values.len()).min(simhashes.len()).min(sketches.len());
        simhashes.truncate(len);
        sketches.truncate(len);
        values.truncate(len);
        (index.simhashes, index.sketches, index.values) = (simhashes, sketches, values);
        // The three tables are independent: built side by side (loading is most of what a
        // run that adds a few files does).
        let FingerprintIndex { keys, exact, sketches, simhashes, .. } = &mut index;
        let (sketches, simhashes) = (&*sketches, &*simhashes);
        let mut sealed = None;
        rayon::join(
            || {
                for (id, sketch) in sketches.iter().enumerate() {
                    keys.insert(sketch, id as u32);
                }
            },
            || {
                rayon::join(
                    || sealed = Some(NearIndex::<Dense>::build(k, simhashes)),
                    || {
                        *exact = firsts
                            .into_iter()
                            .filter(|&(id, _)| (id as usize) < len)
                            .map(|(id, h)| (h, id))
                            .collect();
                    },
                )
            },
        );
        index.sealed = sealed;
        index.sealed_len = len as u32;
        index
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Move the recent entries into the sealed part.
    pub fn seal(&mut self) {
        let k = self.recent.k;
        let sealed = self.sealed.get_or_insert_with(|| NearIndex::new(k));
        let end = self.values.len() as u32;
        for id in self.sealed_len..end {
            sealed.insert(self.simhashes[id as usize], id);
        }
        self.recent = NearIndex::new(k);
        self.sealed_len = end;
    }
}

/// An index's entries as saved in the corpus state's index log (`.newsprep/index.bin`): each
/// entry's SimHash, sketch and value by id, and the first id of each exact hash. The tables are
/// not saved; [`FingerprintIndex::from_entries`] rebuilds them from these in one pass.
///
/// The SimHashes, sketches and values are each one block of bytes (see [`blob`] and
/// [`SavedValue`]): read into vectors of their exact size, not a value at a time through serde.
#[derive(Debug, serde::Deserialize)]
#[serde(bound(deserialize = "V: SavedValue"))]
pub struct Entries<V> {
    #[serde(deserialize_with = "blob::read_u64s")]
    simhashes: Vec<u64>,
    #[serde(deserialize_with = "blob::read_sketches")]
    sketches: Vec<Sketch>,
    #[serde(deserialize_with = "blob::read_values")]
    values: Vec<V>,
    firsts: Vec<(u32, u64)>,
}

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries { simhashes: Vec::new(), sketches: Vec::new(), values: Vec::new(), firsts: Vec::new() }
    }
}

impl<V> Entries<V> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Room for `n` more entries.
    pub fn reserve(&mut self, n: usize) {
        self.simhashes.reserve(n);
        self.sketches.reserve(n);
        self.values.reserve(n);
    }

    /// Add the entries saved after these (ids go on counting).
    pub fn append(&mut self, next: Entries<V>) {
        self.simhashes.extend(next.simhashes);
        self.sketches.extend(next.sketches);
        self.values.extend(next.values);
        self.firsts.extend(next.firsts);
    }
}

/// [`Entries`] borrowed from a live index, for saving (same encoding).
#[derive(Debug, serde::Serialize)]
#[serde(bound(serialize = "V: SavedValue"))]
pub struct EntriesRef<'a, V> {
    #[serde(serialize_with = "blob::write_u64s")]
    simhashes: &'a [u64],
    #[serde(serialize_with = "blob::write_sketches")]
    sketches: &'a [Sketch],
    #[serde(serialize_with = "blob::write_values")]
    values: &'a [V],
    firsts: Vec<(u32, u64)>,
}

impl<V: SavedValue> EntriesRef<'_, V> {
    /// Write the entries as `postcard` encodes them (the same bytes as serializing), with the
    /// SimHash and sketch blocks streamed to `out` (a buffered writer) rather than built whole
    /// first: at 200,000 articles the sketch block is about 100 MB.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        varint::write(out, (self.simhashes.len() * 8) as u64)?;
        for x in self.simhashes {
            out.write_all(&x.to_le_bytes())?;
        }
        let sketch_bytes: usize = self.sketches.iter().map(|sk| 1 + 4 * sk.values().len()).sum();
        varint::write(out, sketch_bytes as u64)?;
        for sk in self.sketches {
            out.write_all(&[sk.values().len() as u8])?;
            for x in sk.values() {
                out.write_all(&x.to_le_bytes())?;
            }
        }
        let mut values = Vec::new();
        V::write_all(self.values, &mut values);
        varint::write(out, values.len() as u64)?;
        out.write_all(&values)?;
        postcard::to_io(&self.firsts, out).map_err(std::io::Error::other)?;
        Ok(())
    }
}

/// How the values of an index's entries are saved: all of a segment's as one block of bytes,
/// so loading makes the vector at its size and decodes no value at a time through serde.
pub trait SavedValue: Sized {
    /// Append the block of `values` to `out`.
    fn write_all(values: &[Self], out: &mut Vec<u8>);
    /// The values of a block.
    fn read_all(bytes: &[u8]) -> Result<Vec<Self>, String>;
}

/// LEB128 varints, for [`SavedValue`] blocks.
pub mod varint {
    /// Append `v`.
    pub fn put(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// [`put`] straight to a writer.
    pub fn write(out: &mut impl std::io::Write, v: u64) -> std::io::Result<()> {
        let mut b = Vec::with_capacity(10);
        put(&mut b, v);
        out.write_all(&b)
    }

    /// The varint at `*at`, moving `*at` past it.
    pub fn get(b: &[u8], at: &mut usize) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *b.get(*at).ok_or("block ends inside a number")?;
            *at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(v);
            }
        }
        Err("number longer than 64 bits".into())
    }
}

/// Plain numbers (the values of a test index).
#[cfg(test)]
impl SavedValue for usize {
    fn write_all(values: &[Self], out: &mut Vec<u8>) {
        for &v in values {
            varint::put(out, v as u64);
        }
    }
    fn read_all(bytes: &[u8]) -> Result<Vec<Self>, String> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            out.push(varint::get(bytes, &mut at)? as usize);
        }
        Ok(out)
    }
}

/// The byte blocks of [`Entries`]: SimHashes as 8 bytes each, little-endian; sketches as a
/// count byte, then that many 4-byte little-endian values; values as their [`SavedValue`]
/// block.
mod blob {
    use super::{SavedValue, Sketch};
    use serde::de::{Error, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn write_u64s<S: Serializer>(v: &&[u64], s: S) -> Result<S::Ok, S::Error> {
        let mut b = Vec::with_capacity(v.len() * 8);
        for x in v.iter() {
            b.extend_from_slice(&x.to_le_bytes());
        }
        s.serialize_bytes(&b)
    }

    pub fn write_sketches<S: Serializer>(v: &&[Sketch], s: S) -> Result<S::Ok, S::Error> {
        let mut b = Vec::with_capacity(v.len() * 40);
        for sk in v.iter() {
            b.push(sk.values().len() as u8);
            for x in sk.values() {
                b.extend_from_slice(&x.to_le_bytes());
            }
        }
        s.serialize_bytes(&b)
    }

    pub fn write_values<V: SavedValue, S: Serializer>(v: &&[V], s: S) -> Result<S::Ok, S::Error> {
        let mut b = Vec::new();
        V::write_all(v, &mut b);
        s.serialize_bytes(&b)
    }

    /// A block of bytes, turned into its values by `parse`.
    fn read_block<'de, T, D: Deserializer<'de>>(
        d: D,
        what: &'static str,
        parse: fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, D::Error> {
        struct Block<T> {
            what: &'static str,
            parse: fn(&[u8]) -> Result<T, String>,
        }
        impl<T> Visitor<'_> for Block<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(self.what)
            }
            fn visit_bytes<E: Error>(self, b: &[u8]) -> Result<T, E> {
                (self.parse)(b).map_err(E::custom)
            }
        }
        d.deserialize_bytes(Block { what, parse })
    }

    pub fn read_values<'de, V: SavedValue, D: Deserializer<'de>>(d: D) -> Result<Vec<V>, D::Error> {
        read_block(d, "a block of index values", V::read_all)
    }

    pub fn read_u64s<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        read_block(d, "SimHashes, 8 bytes each", |b| {
            if !b.len().is_multiple_of(8) {
                return Err("SimHash block is not a multiple of 8 bytes".into());
            }
            Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
        })
    }

    pub fn read_sketches<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Sketch>, D::Error> {
        read_block(d, "sketches, a count byte and 4 bytes a value", |b| {
            // Counted first, so the vector is made at its size.
            let (mut n, mut at) = (0usize, 0usize);
            while at < b.len() {
                at += 1 + 4 * usize::from(b[at]);
                n += 1;
            }
            if at != b.len() {
                return Err("sketch block ends inside a sketch".into());
            }
            let mut out = Vec::with_capacity(n);
            let mut vals = [0u32; crate::model::SKETCH];
            let mut at = 0;
            while at < b.len() {
                let len = usize::from(b[at]);
                let values = vals.get_mut(..len).ok_or("sketch too long")?;
                for (i, v) in values.iter_mut().enumerate() {
                    let o = at + 1 + 4 * i;
                    *v = u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
                }
                out.push(Sketch::from_values(values).ok_or("sketch not sorted")?);
                at += 1 + 4 * len;
            }
            Ok(out)
        })
    }
}

/// Largest SimHash distance at which a text found by a shared sketch key is still compared on
/// its sketch: two independent estimates of similarity must both pass. On the 200,000-article
/// benchmark, true paragraph matches sat at distance 17 or less (all but 0.2%), while pairs that
/// only share a sentence (Jaccard under 0.5, yet a bottom-16 sketch that reached 0.6 by chance)
/// sat mostly at 15 to 26. The check also costs one 8-byte load where the sketch costs 68.
pub const KEY_MAX_DISTANCE: u32 = 16;

/// Hand a candidate found by a sketch key on, unless its SimHash is too far to be a copy.
#[inline]
fn key_candidate(fp: u64, other: u64, id: u32, each: &mut dyn FnMut(u32, u32)) {
    let d = distance(fp, other);
    if d <= KEY_MAX_DISTANCE {
        each(d, id);
    }
}

/// Most entries a sketch-key bucket takes. A shingle common in the language ("of the") whose
/// hash happens to be small is among the smallest hashes of a large share of all texts; its
/// bucket stops growing here (the first entries stay, so the result is still fixed by input
/// order), and those texts are still found through their other keys and SimHash.
pub const KEY_BUCKET_CAP: usize = 32;

/// Candidates by shared small shingle hashes, in the manner of MinHash: two shingle sets share
/// their smallest hash with probability equal to their Jaccard similarity, so texts too edited
/// for their SimHashes to stay within `k` (a sentence dropped from a paragraph moves about 10
/// of 64 bits) still meet on one of their few smallest hashes. On the generated benchmark's
/// edited paragraph pairs, 99.7% share one of their 4 smallest, 99.9% one of their 6.
///
/// Most keys belong to one entry only, so the table holds such an entry's id inline (8 bytes
/// a key with its count); a key's second entry moves its bucket into a block of
/// [`KEY_BUCKET_CAP`] ids in one arena, read in one piece. (A map of small `Vec`s took about 70
/// bytes a key, too much at 200,000 articles and 8 million keys; chains of links were walked
/// one cache miss after another.)
#[derive(Debug, Clone)]
struct SketchKeys {
    per_entry: usize,
    /// Key -> (the id, or the block's start in `blocks`; ids under the key).
    heads: HashMap<u32, (u32, u32), FxBuildHasher>,
    blocks: Vec<u32>,
}

impl SketchKeys {
    fn new(per_entry: usize) -> Self {
        SketchKeys { per_entry, heads: HashMap::default(), blocks: Vec::new() }
    }

    fn insert(&mut self, sketch: &Sketch, id: u32) {
        for &v in sketch.values().iter().take(self.per_entry) {
            match self.heads.entry(v) {
                Entry::Vacant(e) => {
                    e.insert((id, 1));
                }
                Entry::Occupied(mut e) => {
                    let (at, n) = *e.get();
                    if n as usize >= KEY_BUCKET_CAP {
                        continue;
                    }
                    let start = if n == 1 {
                        let start = u32::try_from(self.blocks.len()).expect("fewer than 2^32 key slots");
                        reserve_frugal(&mut self.blocks, KEY_BUCKET_CAP);
                        self.blocks.resize(self.blocks.len() + KEY_BUCKET_CAP, 0);
                        self.blocks[start as usize] = at;
                        start
                    } else {
                        at
                    };
                    self.blocks[(start + n) as usize] = id;
                    e.insert((start, n + 1));
                }
            }
        }
    }

    /// Every entry sharing a key with `sketch`, possibly more than once.
    fn for_each(&self, sketch: &Sketch, mut each: impl FnMut(u32)) {
        for v in sketch.values().iter().take(self.per_entry) {
            match self.heads.get(v) {
                None => {}
                Some(&(id, 1)) => each(id),
                Some(&(start, n)) => {
                    self.blocks[start as usize..(start + n) as usize].iter().for_each(|&id| each(id));
                }
            }
        }
    }
}

/// Room for `more` values, growing by a quarter when full rather than doubling. The index's
/// vectors live as long as the run and grow with the corpus: doubled, a vector holds up to as
/// much spare room as data (on average about 40%), and the copy doubling makes is as large as
/// all that came before. A quarter more each time still copies each value a bounded number of
/// times (about five), and leaves at most a fifth of the vector spare.
fn reserve_frugal<T>(v: &mut Vec<T>, more: usize) {
    if v.capacity() - v.len() < more {
        v.reserve_exact(more.max(v.len() / 4).max(4));
    }
}

/// [`Vec::push`] with [`reserve_frugal`]'s growth.
fn push_frugal<T>(v: &mut Vec<T>, value: T) {
    reserve_frugal(v, 1);
    v.push(value);
}

/// Blocks the 64 bits are cut into: four 16-bit keys.
const BLOCKS: usize = 4;

/// The entries under one key, fingerprints and ids apart: a scan reads only the fingerprints,
/// 8 bytes each in order, and an id only for a fingerprint within `k` (and it takes
/// a third less memory than (u64, u32) pairs, which pad to 16 bytes).
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    fps: Vec<u64>,
    ids: Vec<u32>,
}

impl Bucket {
    fn push(&mut self, fp: u64, id: u32) {
        push_frugal(&mut self.fps, fp);
        push_frugal(&mut self.ids, id);
    }
}

/// One block's table: the bucket of each 16-bit key.
pub trait Buckets: std::fmt::Debug {
    /// An empty table.
    fn empty() -> Self;
    /// The entries under `key`, in insertion order.
    fn bucket(&self, key: u16) -> Option<&Bucket>;
    /// Append an entry under `key`.
    fn push(&mut self, key: u16, fp: u64, id: u32);
}

/// A hash map of buckets: cheap to make, for small indexes (one document's paragraphs, the
/// entries of one chunk).
#[derive(Debug, Clone, Default)]
pub struct Sparse(HashMap<u16, Bucket, FxBuildHasher>);

impl Buckets for Sparse {
    fn empty() -> Self {
        Sparse::default()
    }
    fn bucket(&self, key: u16) -> Option<&Bucket> {
        self.0.get(&key)
    }
    fn push(&mut self, key: u16, fp: u64, id: u32) {
        self.0.entry(key).or_default().push(fp, id);
    }
}

/// A 65,536-slot array of buckets: no hashing on a probe, for the large corpus-wide index
/// (3 MB per table when empty).
#[derive(Debug, Clone)]
pub struct Dense(Vec<Bucket>);

impl Buckets for Dense {
    fn empty() -> Self {
        Dense(vec![Bucket::default(); 1 << 16])
    }
    fn bucket(&self, key: u16) -> Option<&Bucket> {
        Some(&self.0[usize::from(key)])
    }
    fn push(&mut self, key: u16, fp: u64, id: u32) {
        self.0[usize::from(key)].push(fp, id);
    }
}

/// The index of (fingerprint, id) entries; ids are the caller's.
///
/// Multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012), the generalized pigeonhole of
/// Manku et al.: the 64 bits are cut into 4 blocks of 16, and two fingerprints within distance
/// `k` have some block within distance `k / 4` (rounded down) of each other, or the four blocks
/// would differ in more than `k` bits. So a query probes, in each of the 4 tables, its own block
/// and every block within that radius: 1 bucket for k <= 3, 17 for k = 4 to 7. With 16-bit keys a
/// bucket holds about n / 65,536 entries, where k + 1 blocks of 64 / (k + 1) bits would hold
/// n / 512 at k = 6: that made a 200,000-article run spend three quarters of its time scanning
/// buckets.
#[derive(Debug, Clone)]
pub struct NearIndex<B = Sparse> {
    k: u32,
    tables: [B; BLOCKS],
}

impl NearIndex<Dense> {
    /// The index of `fps` (ids in order), built in one go: each table's buckets are sized
    /// first, then filled, the four tables side by side. It answers as `fps.len()` inserts
    /// would (a bucket keeps insertion order).
    pub fn build(k: u32, fps: &[u64]) -> Self {
        let mut tables: Vec<Dense> = (0..BLOCKS)
            .into_par_iter()
            .map(|b| {
                let mut counts = vec![0u32; 1 << 16];
                for &fp in fps {
                    counts[usize::from(block(fp, b))] += 1;
                }
                let mut buckets: Vec<Bucket> = counts
                    .iter()
                    .map(|&n| Bucket {
                        fps: Vec::with_capacity(n as usize),
                        ids: Vec::with_capacity(n as usize),
                    })
                    .collect();
                for (id, &fp) in fps.iter().enumerate() {
                    buckets[usize::from(block(fp, b))].push(fp, id as u32);
                }
                Dense(buckets)
            })
            .collect();
        let tables: [Dense; BLOCKS] = std::array::from_fn(|_| tables.remove(0));
        NearIndex { k: k.min(7), tables }
    }
}

/// The 16-bit block `b` of `fp`.
#[inline]
fn block(fp: u64, b: usize) -> u16 {
    (fp >> (16 * b)) as u16
}

impl<B: Buckets> NearIndex<B> {
    /// An empty index answering queries within distance `k` (0 to 7: the radius per block
    /// stays at most 1).
    pub fn new(k: u32) -> Self {
        NearIndex { k: k.min(7), tables: std::array::from_fn(|_| B::empty()) }
    }

    /// Add an entry.
    pub fn insert(&mut self, fp: u64, id: u32) {
        for (b, t) in self.tables.iter_mut().enumerate() {
            t.push(block(fp, b), fp, id);
        }
    }

    /// Call `each(distance, id)` for every entry within `k` of `fp`, in no set order and
    /// possibly more than once; nothing is allocated.
    pub fn for_each_within(&self, fp: u64, mut each: impl FnMut(u32, u32)) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has just been found to support POPCNT, the only feature the
            // function is compiled with beyond the target's baseline.
            #[allow(unsafe_code)]
            unsafe {
                return self.within_popcnt(fp, &mut each);
            }
        }
        self.within(fp, &mut each)
    }

    /// [`for_each_within`](Self::for_each_within) without the POPCNT dispatch, as the default
    /// target compiles it: the baseline of `cargo bench --bench index`.
    #[doc(hidden)]
    pub fn for_each_within_portable(&self, fp: u64, mut each: impl FnMut(u32, u32)) {
        self.within(fp, &mut each)
    }

    /// [`Self::within`] compiled with the POPCNT instruction. The default x86-64 target lacks it
    /// and counts bits with a dozen instructions: at k = 6, `cargo bench --bench index --
    /// 2000000 --k 6` ran 1.7x faster with it (15.2 s against 26.0 s).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    fn within_popcnt(&self, fp: u64, each: &mut impl FnMut(u32, u32)) {
        self.within(fp, each)
    }

    /// The probes and bucket scans; inlined into each caller so the caller's CPU features apply.
    /// All buckets are found before any is scanned: the loads of up to 68 bucket headers and
    /// heads then overlap instead of waiting for each other (at k = 6 and 2,000,000 entries a
    /// lookup spent most of its time on those cache misses).
    #[inline(always)]
    fn within(&self, fp: u64, each: &mut impl FnMut(u32, u32)) {
        let k = self.k;
        let radius = k / BLOCKS as u32;
        let mut buckets: [Option<&Bucket>; BLOCKS * 17] = [None; BLOCKS * 17];
        let mut n = 0;
        for (b, t) in self.tables.iter().enumerate() {
            let key = block(fp, b);
            buckets[n] = t.bucket(key);
            n += 1;
            if radius >= 1 {
                for bit in 0..16 {
                    buckets[n] = t.bucket(key ^ (1 << bit));
                    n += 1;
                }
            }
        }
        let mut scan = |bucket: &Bucket, from: usize, to: usize| {
            for (i, &other) in bucket.fps[..to].iter().enumerate().skip(from) {
                let d = (fp ^ other).count_ones();
                if d <= k {
                    each(d, bucket.ids[i]);
                }
            }
        };
        // First every bucket's head, whose loads are independent of each other; then the rest.
        for bucket in buckets[..n].iter().flatten() {
            scan(bucket, 0, bucket.fps.len().min(1));
        }
        for bucket in buckets[..n].iter().flatten() {
            scan(bucket, bucket.fps.len().min(1), bucket.fps.len());
        }
    }

    /// Every entry within distance `k`, as (id, distance), sorted by id, each once.
    #[cfg(test)]
    fn within_sorted(&self, fp: u64) -> Vec<(u32, u32)> {
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

    fn brute(fps: &[u64], q: u64, k: u32) -> Vec<(u32, u32)> {
        fps.iter()
            .enumerate()
            .filter_map(|(i, &f)| {
                let d = distance(q, f);
                (d <= k).then_some((i as u32, d))
            })
            .collect()
    }

    proptest! {
        /// The index returns exactly what comparing against every entry returns, with sparse
        /// and dense tables alike.
        #[test]
        fn matches_brute_force(k in 0u32..=6, seeds in prop::collection::vec(any::<u64>(), 1..60), flips in prop::collection::vec((0usize..60, 0u32..64), 0..200)) {
            // Make near neighbours on purpose: copies of the seeds with a few bits flipped.
            let mut fps = seeds.clone();
            for (i, bit) in flips {
                let base = seeds[i % seeds.len()];
                fps.push(base ^ (1u64 << bit) ^ (1u64 << ((bit * 7 + 3) % 64)));
            }
            let mut sparse = NearIndex::<Sparse>::new(k);
            let mut dense = NearIndex::<Dense>::new(k);
            for (i, &f) in fps.iter().enumerate() {
                sparse.insert(f, i as u32);
                dense.insert(f, i as u32);
            }
            let built = NearIndex::<Dense>::build(k, &fps);
            for &q in &fps {
                let want = brute(&fps, q, k);
                prop_assert_eq!(sparse.within_sorted(q), want.clone());
                prop_assert_eq!(dense.within_sorted(q), want.clone());
                prop_assert_eq!(built.within_sorted(q), want);
            }
        }

        /// Looking up in the sealed and recent parts and keeping the better hit is the same as
        /// looking up in one index of every entry, wherever the seals fall.
        #[test]
        fn sealed_and_recent_parts_answer_as_one_index(
            words in prop::collection::vec(prop::collection::vec(0u8..12, 3..9), 2..40),
            seals in prop::collection::vec(any::<bool>(), 40),
        ) {
            use crate::stages::dedup::simhash::fingerprint;
            let texts: Vec<String> = words.iter().map(|w| w.iter().map(|x| format!("w{x} ")).collect()).collect();
            let mut split = FingerprintIndex::new(6, 0.5, 4);
            let mut whole = FingerprintIndex::new(6, 0.5, 4);
            for (i, t) in texts.iter().enumerate() {
                let fp = fingerprint(t, 2);
                let a = split.find(&fp).map(|f| (*f.value, f.distance));
                let b = whole.find(&fp).map(|f| (*f.value, f.distance));
                prop_assert_eq!(a, b);
                split.insert(&fp, i);
                whole.insert(&fp, i);
                if seals[i] {
                    split.seal();
                }
            }
        }
    }

    proptest! {
        /// An index saved as segments (one per batch, as the corpus state's log holds it),
        /// read back and rebuilt up to any entry answers as a live index of those entries.
        #[test]
        fn an_index_saved_in_segments_answers_as_the_live_one(
            words in prop::collection::vec(prop::collection::vec(0u8..12, 3..9), 2..40),
            cuts in prop::collection::vec(any::<bool>(), 40),
            upto in 0usize..45,
        ) {
            use crate::stages::dedup::simhash::fingerprint;
            let fps: Vec<Fingerprint> = words
                .iter()
                .map(|w| fingerprint(&w.iter().map(|x| format!("w{x} ")).collect::<String>(), 2))
                .collect();
            let mut live = FingerprintIndex::new(6, 0.5, 4);
            let (mut segments, mut from) = (Vec::new(), 0);
            for (i, fp) in fps.iter().enumerate() {
                live.insert(fp, i);
                if cuts[i] {
                    segments.push(postcard::to_stdvec(&live.entries(from)).unwrap());
                    from = live.len();
                    live.seal();
                }
            }
            segments.push(postcard::to_stdvec(&live.entries(from)).unwrap());
            let mut saved = Entries::<usize>::default();
            for s in &segments {
                saved.append(postcard::from_bytes(s).unwrap());
            }
            let upto = upto.min(fps.len());
            let loaded = FingerprintIndex::from_entries(6, 0.5, 4, saved, upto);
            let mut reference = FingerprintIndex::new(6, 0.5, 4);
            for (i, fp) in fps.iter().take(upto).enumerate() {
                reference.insert(fp, i);
            }
            prop_assert_eq!(loaded.len(), upto);
            for fp in &fps {
                let got = loaded.find(fp).map(|f| (*f.value, f.distance));
                prop_assert_eq!(got, reference.find(fp).map(|f| (*f.value, f.distance)));
            }
        }
    }

    #[test]
    fn a_damaged_fingerprint_block_is_an_error() {
        let sketch = Sketch::from_values(&[3, 9]).unwrap();
        let saved = EntriesRef {
            simhashes: &[1, 2],
            sketches: &[sketch, sketch],
            values: &[0usize, 1],
            firsts: vec![],
        };
        let bytes = postcard::to_stdvec(&saved).unwrap();
        let e: Entries<usize> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(
            (e.simhashes.as_slice(), e.sketches.as_slice(), e.len()),
            (&[1u64, 2][..], &[sketch, sketch][..], 2)
        );
        // The SimHash block's length (its first byte) says 16 bytes; 15 is not whole SimHashes.
        assert_eq!(bytes[0], 16);
        let mut short = bytes.clone();
        short[0] = 15;
        assert!(postcard::from_bytes::<Entries<usize>>(&short).is_err());
        // A sketch that claims 17 values.
        let mut long = bytes.clone();
        long[18] = 17;
        assert!(postcard::from_bytes::<Entries<usize>>(&long).is_err());
        assert!(Sketch::from_values(&[9, 3]).is_none(), "values must be sorted");
    }

    #[test]
    fn finds_near_and_prefers_nearest_then_earliest() {
        let mut ix = FingerprintIndex::new(3, 0.0, 0);
        let fp =
            |simhash: u64, exact: u64| Fingerprint { exact, simhash, sketch: Sketch::default(), tokens: 1 };
        ix.insert(&fp(0b1111, 1), "a");
        ix.insert(&fp(0b0111, 2), "b");
        ix.seal();
        ix.insert(&fp(0b1111, 3), "c");
        ix.insert(&fp(0b0011, 4), "d");
        assert_eq!(ix.find(&fp(0b1111, 9)).map(|f| (*f.value, f.distance)), Some(("a", 0)));
        assert_eq!(ix.find(&fp(0b0011, 9)).map(|f| (*f.value, f.distance)), Some(("d", 0)));
        assert_eq!(ix.find(&fp(0b0110, 9)).map(|f| (*f.value, f.distance)), Some(("b", 1)));
        // The exact hash wins over a nearer SimHash, and the first of its kind.
        assert_eq!(ix.find(&fp(0b0011, 3)).map(|f| (*f.value, f.distance)), Some(("c", 0)));
        assert_eq!(ix.find(&fp(u64::MAX, 9)).map(|f| *f.value), None);
    }

    #[test]
    fn an_edited_copy_too_far_for_simhash_is_found_through_a_sketch_key() {
        use crate::stages::dedup::simhash::fingerprint;
        let original = fingerprint(
            "dock workers at the largest container port extended their strike into a third week on friday \
             after overnight talks with terminal operators broke down without an agreement on wages",
            2,
        );
        // A copy edited as syndication does: words changed, a clause dropped; its SimHash moves
        // beyond k = 3 while most shingles stay.
        let mut copy = fingerprint(
            "dock workers at the largest container port extended their walkout into a third week on monday \
             after overnight talks with terminal operators broke down",
            2,
        );
        copy.simhash = original.simhash ^ 0b1111_1111; // 8 bits away, whatever the text gave
        let mut keyed = FingerprintIndex::new(3, 0.5, 4);
        let mut simhash_only = FingerprintIndex::new(3, 0.5, 0);
        keyed.insert(&original, "original");
        simhash_only.insert(&original, "original");
        assert!(simhash_only.find(&copy).is_none());
        let f = keyed.find(&copy).expect("found through a shared smallest shingle hash");
        assert_eq!((*f.value, f.distance), ("original", 8));
        assert!(f.similarity >= 0.5, "{}", f.similarity);
    }

    #[test]
    fn a_sketch_key_bucket_keeps_its_first_entries_only() {
        let mut keys = SketchKeys::new(1);
        let mut sketch = Sketch::default();
        sketch.add(7);
        for id in 0..(KEY_BUCKET_CAP as u32 + 10) {
            keys.insert(&sketch, id);
        }
        let mut seen = Vec::new();
        keys.for_each(&sketch, |id| seen.push(id));
        seen.sort_unstable();
        assert_eq!(seen, (0..KEY_BUCKET_CAP as u32).collect::<Vec<_>>());
    }

    #[test]
    fn a_simhash_neighbour_counts_only_when_the_text_confirms_it() {
        use crate::stages::dedup::simhash::fingerprint;
        let original = fingerprint("the port strike enters its third week as talks stall again", 2);
        let mut ix = FingerprintIndex::new(3, 0.5, 0);
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
