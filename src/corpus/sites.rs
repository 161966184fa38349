//! Site learning, corpus-wide: a short paragraph that appears in at least
//! `boilerplate.sites.min-docs` documents of one site is that site's furniture (its menu, its
//! newsletter call, its footer), whatever its wording or language.
//!
//! The run feeds each document's distinct short lines ([`short_lines`]: its print for this
//! step, line keys and texts), file by file in corpus order, to a [`SiteCounter`]. A line is
//! learned at the raw file whose documents bring its count to the threshold, and it is removed
//! from the documents of that file and of every later one, never from earlier files. So what a
//! file loses depends only on the files before it and itself: a later batch never changes
//! output already written, and cleaning in batches gives what one run over all the files gives
//! (the first `min-docs - 1` copies of a line stay; dedup removes all but the first of those
//! when they repeat exactly). The decision is the [`SiteKnowledge`] the boilerplate stage
//! reads; the counts behind it are kept in the corpus state (`crate::state`), so a later batch
//! adds to the counts of earlier ones.

use crate::stages::boilerplate::sites::{Learned, SiteKnowledge, line_key};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Counts, per site, in how many documents each short paragraph appears, and
/// where each line was learned. The corpus state keeps it between runs, so a later batch adds
/// to the counts of earlier ones (and a re-cleaned file first takes its old lines back out,
/// [`remove`](Self::remove)).
#[derive(Debug, Clone)]
pub struct SiteCounter {
    min_docs: usize,
    counts: HashMap<u64, Count>,
    /// Text of a key once it appears in a second document (only repeats are kept).
    texts: HashMap<u64, String>,
    sites: Vec<String>,
    site_ids: HashMap<String, u32>,
    /// Keys learned since [`take_learned`](Self::take_learned) last ran, in the order learned.
    fresh: Vec<u64>,
}

/// One line's count.
#[derive(Debug, Clone, Copy)]
struct Count {
    site: u32,
    docs: u32,
    /// Corpus position of the raw file whose documents brought `docs` to the threshold.
    learned_at: Option<u32>,
}

/// A [`SiteCounter`] as the corpus state saves it: sorted, so the same counts save the same bytes.
/// Each count is (key, site, documents, position learned at or `u32::MAX`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CounterSnapshot {
    counts: Vec<(u64, u32, u32, u32)>,
    texts: Vec<(u64, String)>,
    sites: Vec<String>,
}

impl SiteCounter {
    /// An empty counter; a line is learned once `min_docs` documents of its site have it.
    pub fn new(min_docs: usize) -> Self {
        SiteCounter {
            min_docs,
            counts: HashMap::new(),
            texts: HashMap::new(),
            sites: Vec::new(),
            site_ids: HashMap::new(),
            fresh: Vec::new(),
        }
    }

    /// Documents needed to learn a line: prose needs twice as many (see [`PROSE_WORDS`]).
    fn needed(&self, key: u64) -> u32 {
        let prose = self
            .texts
            .get(&key)
            .is_some_and(|t| t.split_whitespace().count() >= PROSE_WORDS && ends_like_sentence(t));
        (if prose { 2 * self.min_docs } else { self.min_docs }) as u32
    }

    /// Count one document's paragraphs (its short, distinct ones; see [`short_lines`]).
    /// `file` is the corpus position of its raw file: files are counted in corpus order.
    pub fn add(&mut self, site: &str, lines: Vec<(u64, String)>, file: u32) {
        let sid = self.site_id(site);
        for (key, text) in lines {
            self.add_line(sid, key, text, file);
        }
    }

    /// One more document of site `sid` with line `key`.
    fn add_line(&mut self, sid: u32, key: u64, text: String, file: u32) {
        let e = self.counts.entry(key).or_insert(Count { site: sid, docs: 0, learned_at: None });
        e.docs += 1;
        let (docs, learned) = (e.docs, e.learned_at.is_some());
        if docs == 2 {
            self.texts.entry(key).or_insert(text);
        }
        // A learned line stays learned as documents are added: no prose check again.
        if !learned && docs >= self.needed(key) {
            self.counts.get_mut(&key).expect("counted above").learned_at = Some(file);
            self.fresh.push(key);
        }
    }

    /// Count `docs` documents of `site` that have the line `key` at once, as [`add`](Self::add)
    /// would one after another: `texts` are its texts in the first two of them (a shard's
    /// counts, added in shard order, give what one pass over the shards gives).
    pub fn add_many(&mut self, site: &str, key: u64, docs: u32, texts: [Option<&str>; 2], file: u32) {
        let sid = self.site_id(site);
        for n in 0..docs {
            let text = texts.get(n as usize).copied().flatten().unwrap_or_default();
            self.add_line(sid, key, text.to_string(), file);
        }
    }

    fn site_id(&mut self, site: &str) -> u32 {
        match self.site_ids.get(site) {
            Some(&s) => s,
            None => {
                let s = self.sites.len() as u32;
                self.sites.push(site.to_string());
                self.site_ids.insert(site.to_string(), s);
                s
            }
        }
    }

    /// Take documents' lines (their keys, one per document that had the line) back out, as
    /// if those documents had never been counted. Taken out in corpus order from the end, this
    /// also forgets where a line was learned when its count falls below the threshold again. A
    /// key's text goes with its second document, so counting them again picks the same text as
    /// counting in one pass would.
    pub fn remove(&mut self, keys: &[u64]) {
        for &key in keys {
            let needed = self.needed(key);
            if let std::collections::hash_map::Entry::Occupied(mut e) = self.counts.entry(key) {
                let c = e.get_mut();
                c.docs -= 1;
                if c.docs < needed {
                    c.learned_at = None;
                }
                if c.docs < 2 {
                    self.texts.remove(&key);
                }
                if e.get().docs == 0 {
                    e.remove();
                }
            }
        }
    }

    /// The counts, for the corpus state.
    pub fn snapshot(&self) -> CounterSnapshot {
        let mut counts: Vec<(u64, u32, u32, u32)> =
            self.counts.iter().map(|(&k, c)| (k, c.site, c.docs, c.learned_at.unwrap_or(u32::MAX))).collect();
        counts.sort_unstable();
        let mut texts: Vec<(u64, String)> = self.texts.iter().map(|(&k, t)| (k, t.clone())).collect();
        texts.sort_unstable();
        CounterSnapshot { counts, texts, sites: self.sites.clone() }
    }

    /// A counter from the corpus state (saved under the same `min_docs`: the state's settings
    /// fingerprint covers it).
    pub fn restore(s: CounterSnapshot, min_docs: usize) -> Self {
        let site_ids = s.sites.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
        SiteCounter {
            min_docs,
            counts: s
                .counts
                .into_iter()
                .map(|(k, site, docs, at)| {
                    (k, Count { site, docs, learned_at: (at != u32::MAX).then_some(at) })
                })
                .collect(),
            texts: s.texts.into_iter().collect(),
            sites: s.sites,
            site_ids,
            fresh: Vec::new(),
        }
    }

    /// The lines learned since the last call, each with the position it applies from: what a
    /// stream adds to its knowledge chunk by chunk, without going over every count again.
    pub fn take_learned(&mut self) -> Vec<(u64, Learned)> {
        let fresh = std::mem::take(&mut self.fresh);
        fresh
            .into_iter()
            .filter_map(|key| {
                let c = self.counts.get(&key)?;
                let from = c.learned_at?;
                let text = self.texts.get(&key).cloned().unwrap_or_default();
                Some((key, Learned { site: self.sites[c.site as usize].clone(), text, docs: c.docs, from }))
            })
            .collect()
    }

    /// The lines learned so far, each with the position it applies from.
    pub fn learn(&self) -> SiteKnowledge {
        let mut lines = HashMap::new();
        // Order does not matter: each key is decided on its own, into a map.
        #[allow(clippy::iter_over_hash_type)]
        for (&key, c) in &self.counts {
            if let Some(from) = c.learned_at {
                let text = self.texts.get(&key).cloned().unwrap_or_default();
                let site = self.sites[c.site as usize].clone();
                lines.insert(key, Learned { site, text, docs: c.docs, from });
            }
        }
        SiteKnowledge::from_lines(lines)
    }
}

/// A sentence of at least this many words may be prose rather than furniture: syndicated copies
/// and reused paragraphs repeat it across a site, and dedup (which keeps the first copy) is the
/// right tool for those. Such a line is learned only when twice `min-docs` documents repeat it
/// (a site's disclaimer sentence under every article still is).
pub const PROSE_WORDS: usize = 10;

fn ends_like_sentence(t: &str) -> bool {
    t.trim_end_matches(['"', '\'', '”', '’', ')']).ends_with(['.', '!', '?', '…'])
}

/// A paragraph's distinct short lines, as (key, text), for the counter.
pub fn short_lines<'a>(
    site: &str,
    paragraphs: impl Iterator<Item = &'a str>,
    max_words: usize,
) -> Vec<(u64, String)> {
    let mut out: Vec<(u64, String)> = paragraphs
        .filter(|t| {
            let n = t.split_whitespace().count();
            n > 0 && n <= max_words
        })
        .map(|t| (line_key(site, t), t.to_string()))
        .collect();
    out.sort_by_key(|(k, _)| *k);
    out.dedup_by_key(|(k, _)| *k);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_in_enough_documents_of_one_site_is_learned_from_the_file_that_completes_them() {
        let mut c = SiteCounter::new(3);
        let docs = [
            ("dailyplanet", vec!["Get the Daily Planet app", "Metropolis mayor resigns after audit."]),
            ("dailyplanet", vec!["GET THE DAILY PLANET APP!", "Heat wave grips the city for a third day."]),
            ("gazette", vec!["Get the Daily Planet app"]),
            ("dailyplanet", vec!["Get the Daily Planet app", "Council approves the new bridge."]),
            ("dailyplanet", vec!["Get the Daily Planet app"]),
        ];
        for (file, (site, lines)) in docs.into_iter().enumerate() {
            c.add(site, short_lines(site, lines.into_iter(), 40), file as u32);
        }
        let k = c.learn();
        assert_eq!(k.len(), 1);
        // The third dailyplanet document is in file 3: from there on, not before.
        let l = k.lookup("dailyplanet", "get the daily planet app", 3).expect("learned");
        assert_eq!((l.docs, l.site.as_str(), l.from), (4, "dailyplanet", 3));
        assert!(k.lookup("dailyplanet", "Get the Daily Planet app", 4).is_some());
        assert!(k.lookup("dailyplanet", "Get the Daily Planet app", 1).is_none(), "earlier files keep it");
        assert!(k.lookup("gazette", "Get the Daily Planet app", 4).is_none(), "other sites are not affected");
        assert!(k.lookup("dailyplanet", "Council approves the new bridge.", 4).is_none());
    }

    #[test]
    fn taking_the_last_files_out_and_counting_them_again_gives_the_same_counter() {
        let files: Vec<Vec<&str>> = vec![
            vec!["Share this", "Subscribe now"],
            vec!["Share this"],
            vec!["Subscribe now", "Share this"],
            vec!["Subscribe now"],
            vec!["Subscribe now", "Read more"],
        ];
        let count = |upto: usize| {
            let mut c = SiteCounter::new(3);
            for (i, f) in files[..upto].iter().enumerate() {
                c.add("s", short_lines("s", f.iter().copied(), 40), i as u32);
            }
            c
        };
        let all = count(files.len());
        for cut in 0..files.len() {
            let mut c = count(files.len());
            for f in files[cut..].iter().rev() {
                let keys: Vec<u64> =
                    short_lines("s", f.iter().copied(), 40).into_iter().map(|(k, _)| k).collect();
                c.remove(&keys);
            }
            // The site list keeps its names (ids stay stable); counts and texts are as before.
            let counted = |c: &SiteCounter| {
                let s = c.snapshot();
                format!("{:?} {:?}", s.counts, s.texts)
            };
            assert_eq!(counted(&c), counted(&count(cut)), "cut {cut}");
            for (i, f) in files.iter().enumerate().skip(cut) {
                c.add("s", short_lines("s", f.iter().copied(), 40), i as u32);
            }
            assert_eq!(format!("{:?}", c.snapshot()), format!("{:?}", all.snapshot()), "cut {cut}");
        }
        let k = all.learn();
        assert_eq!(k.lookup("s", "share this", 2).map(|l| l.from), Some(2));
        assert_eq!(k.lookup("s", "subscribe now", 3).map(|l| l.from), Some(3));
        assert!(k.lookup("s", "read more", 4).is_none());
    }

    #[test]
    fn repeats_inside_one_document_count_once_and_prose_and_long_paragraphs_are_ignored() {
        let mut c = SiteCounter::new(3);
        c.add("s", short_lines("s", ["Share", "Share", "Share"].into_iter(), 40), 0);
        c.add("s", short_lines("s", ["Share"].into_iter(), 40), 1);
        let prose = "Shipping lines have started diverting vessels to smaller ports along the coast.";
        for i in 0..5 {
            c.add("s", short_lines("s", [prose].into_iter(), 40), i);
        }
        let long = "word ".repeat(50);
        for i in 0..3 {
            c.add("s", short_lines("s", [long.as_str()].into_iter(), 40), i);
        }
        assert!(c.learn().is_empty());
        // Prose needs twice min-docs.
        c.add("s", short_lines("s", [prose].into_iter(), 40), 7);
        assert_eq!(c.learn().lookup("s", prose, 7).map(|l| l.from), Some(7));
    }
}
