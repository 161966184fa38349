//! Part of stage 4, boilerplate: site knowledge, learned from the corpus. A short paragraph that
//! appears in at least `boilerplate.sites.min-docs` documents of one site is that site's
//! furniture (its menu, its newsletter call, its footer), whatever its wording or language.
//!
//! It is a corpus-wide step, so the pipeline runs it as a barrier before the per-document
//! stages: a first pass reads and normalizes every input and feeds each document's distinct
//! short paragraphs, file by file in corpus order, to a [`SiteCounter`]. A line is learned at the
//! raw file whose documents bring its count to the threshold, and it is removed from the
//! documents of that file and of every later one, never from earlier files. So what a file loses
//! depends only on the files before it and itself: a later batch never changes output already
//! written, and cleaning in batches gives what one run over all the files gives (the first
//! `min-docs - 1` copies of a line stay; dedup removes all but the first of those when they
//! repeat exactly). The learned lines are saved beside the corpus (`.newsprep/sites.json`, see
//! [`SiteKnowledge::encode`]) and the counts behind them in the corpus state (`crate::state`),
//! so a later batch adds to the counts of earlier ones.
//!
//! A document's site is the one its source names (a JSONL record's `site`, or its `url`'s host),
//! else its source folder (`raw/bbc/a.txt` -> `bbc`; files at the top share the site `.`):
//! scrapers usually keep one folder per site, and in a flat folder a line repeated across
//! several documents is boilerplate too.

use crate::error::RunError;
use crate::model::match_key;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use xxhash_rust::xxh3::Xxh3;

/// Version of `sites.json`.
pub const FORMAT_VERSION: u32 = 2;

/// Where the knowledge is kept, relative to the output folder.
pub const FILE: &str = ".newsprep/sites.json";

/// The site of a document: the one its source names (a JSONL record's `site` or `url`),
/// else its folder.
pub fn site_of_source(source: &crate::model::SourceInfo) -> &str {
    source.site.as_deref().unwrap_or_else(|| site_of(&source.path))
}

/// The site of a source path: its folder (`.` at the top).
pub fn site_of(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => ".",
    }
}

/// The key of a paragraph of a site: case, surrounding punctuation and spacing do not matter,
/// and every number reads as `0`, so counters and dates do not make a line new ("Tweet Share 101
/// shares" and "... 106 shares", "© 2023" and "© 2024" are one line).
pub fn line_key(site: &str, text: &str) -> u64 {
    // Streamed: the same value as xxh3-64 of `site`, NUL, key, without building that string.
    let mut h = Xxh3::new();
    h.update(site.as_bytes());
    h.update(&[0]);
    h.update(fold_numbers(&match_key(text)).as_bytes());
    h.digest()
}

/// Each number (ASCII digits, with `.` or `,` between digits, and a `k` or `m` right after, as
/// in `1,204`, `3.5k`) becomes `0`.
fn fold_numbers(key: &str) -> std::borrow::Cow<'_, str> {
    if !key.bytes().any(|b| b.is_ascii_digit()) {
        return std::borrow::Cow::Borrowed(key);
    }
    let b = key.as_bytes();
    let mut out = String::with_capacity(key.len());
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            let c = key[i..].chars().next().expect("i is on a character boundary");
            out.push(c);
            i += c.len_utf8();
            continue;
        }
        while i < b.len()
            && (b[i].is_ascii_digit()
                || (matches!(b[i], b'.' | b',') && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        if i < b.len()
            && matches!(b[i], b'k' | b'm')
            && !b.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            i += 1;
        }
        out.push('0');
    }
    std::borrow::Cow::Owned(out)
}

/// Counts, per site, in how many documents each short paragraph appears (the first pass), and
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
        let sid = match self.site_ids.get(site) {
            Some(&s) => s,
            None => {
                let s = self.sites.len() as u32;
                self.sites.push(site.to_string());
                self.site_ids.insert(site.to_string(), s);
                s
            }
        };
        for (key, text) in lines {
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
        SiteKnowledge { lines }
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

/// One learned line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learned {
    /// The site it belongs to.
    pub site: String,
    /// One of its texts (as normalized).
    pub text: String,
    /// In how many documents of the site it was seen so far.
    pub docs: u32,
    /// Corpus position of the raw file it was learned at: it applies to that file's documents
    /// and later ones.
    pub from: u32,
}

/// Learned site boilerplate: line key -> what was learned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteKnowledge {
    lines: HashMap<u64, Learned>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileFormat {
    version: u32,
    /// Per site, its lines sorted by document count (descending), then text.
    sites: BTreeMap<String, Vec<FileLine>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileLine {
    key: String,
    docs: u32,
    text: String,
    /// The raw file it was learned at (it is removed from that file and later ones).
    since: String,
}

impl SiteKnowledge {
    /// Is this paragraph learned boilerplate of the site, for a document of the raw file at
    /// corpus position `file`? Returns what was learned.
    pub fn lookup(&self, site: &str, text: &str, file: u32) -> Option<&Learned> {
        if self.lines.is_empty() {
            return None;
        }
        self.lines.get(&line_key(site, text)).filter(|l| l.from <= file)
    }

    /// Add lines learned later (see [`SiteCounter::take_learned`]).
    pub fn extend(&mut self, learned: impl IntoIterator<Item = (u64, Learned)>) {
        self.lines.extend(learned);
    }

    /// Number of learned lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Nothing learned.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Learned lines per site, each site's lines by document count then text.
    pub fn by_site(&self) -> BTreeMap<&str, Vec<(&u64, &Learned)>> {
        let mut m: BTreeMap<&str, Vec<(&u64, &Learned)>> = BTreeMap::new();
        // Sorted below, so the hash order never shows.
        #[allow(clippy::iter_over_hash_type)]
        for (k, l) in &self.lines {
            m.entry(l.site.as_str()).or_default().push((k, l));
        }
        for v in m.values_mut() {
            v.sort_by(|a, b| {
                b.1.docs.cmp(&a.1.docs).then_with(|| a.1.text.cmp(&b.1.text)).then(a.0.cmp(b.0))
            });
        }
        m
    }

    /// The knowledge saved in the output folder `dir`, or nothing if there is none. Where each
    /// line was learned is not kept in it: loaded lines apply to every document.
    pub fn load(dir: &Path) -> Result<SiteKnowledge, RunError> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SiteKnowledge::default()),
            Err(source) => return Err(RunError::State { path, message: source.to_string() }),
        };
        let f: FileFormat = serde_json::from_str(&text)
            .map_err(|e| RunError::State { path: path.clone(), message: e.to_string() })?;
        if f.version != FORMAT_VERSION {
            return Err(RunError::State {
                path,
                message: format!("format version {} (this newsprep reads {FORMAT_VERSION})", f.version),
            });
        }
        let mut lines = HashMap::new();
        for (site, ls) in f.sites {
            for l in ls {
                let key = u64::from_str_radix(&l.key, 16).map_err(|e| RunError::State {
                    path: path.clone(),
                    message: format!("key {}: {e}", l.key),
                })?;
                lines.insert(key, Learned { site: site.clone(), text: l.text, docs: l.docs, from: 0 });
            }
        }
        Ok(SiteKnowledge { lines })
    }

    /// The bytes of `sites.json`; `file` names the raw file at a corpus position.
    pub fn encode<'a>(&self, file: impl Fn(u32) -> &'a str) -> Vec<u8> {
        let sites = self
            .by_site()
            .into_iter()
            .map(|(s, ls)| {
                let v = ls
                    .into_iter()
                    .map(|(k, l)| FileLine {
                        key: format!("{k:016x}"),
                        docs: l.docs,
                        text: l.text.clone(),
                        since: file(l.from).to_string(),
                    })
                    .collect();
                (s.to_string(), v)
            })
            .collect();
        let json = serde_json::to_string_pretty(&FileFormat { version: FORMAT_VERSION, sites })
            .expect("plain data serializes");
        format!("{json}\n").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_key_is_xxh3_of_site_nul_and_key() {
        let want = xxhash_rust::xxh3::xxh3_64(b"planet\0get the daily planet app");
        assert_eq!(line_key("planet", "Get the Daily Planet app!"), want);
    }

    #[test]
    fn counters_and_years_do_not_make_a_line_new() {
        let k = |t| line_key("s", t);
        assert_eq!(k("Tweet Share Pin Email 101 shares"), k("Tweet Share Pin Email 106 shares"));
        assert_eq!(k("1,204 comments"), k("3.5k comments"));
        assert_eq!(k("© 2023 The Planet"), k("© 2024 The Planet"));
        assert_ne!(k("Page 2 of 9 maps"), k("Page 2 of 9 mops"));
        assert_eq!(fold_numbers("3 men, 12 km"), "0 men, 0 km");
        assert_eq!(fold_numbers("no digits"), "no digits");
    }

    #[test]
    fn site_is_the_source_folder() {
        assert_eq!(site_of("bbc/world/a.txt"), "bbc/world");
        assert_eq!(site_of("a.txt"), ".");
    }

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

    #[test]
    fn knowledge_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = SiteCounter::new(3);
        for i in 0..3 {
            c.add(".", short_lines(".", ["Follow us on Mastodon"].into_iter(), 40), i);
        }
        let k = c.learn();
        std::fs::create_dir_all(dir.path().join(".newsprep")).unwrap();
        let names = ["a.txt", "b.txt", "c.txt"];
        let bytes = k.encode(|i| names[i as usize]);
        assert!(String::from_utf8_lossy(&bytes).contains(r#""since": "c.txt""#));
        std::fs::write(dir.path().join(FILE), bytes).unwrap();
        let loaded = SiteKnowledge::load(dir.path()).unwrap();
        let l = loaded.lookup(".", "follow us on mastodon", 0).expect("loaded lines apply everywhere");
        assert_eq!((l.docs, l.text.as_str()), (3, "Follow us on Mastodon"));
        assert!(SiteKnowledge::load(&dir.path().join("missing")).unwrap().is_empty());
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".newsprep")).unwrap();
        std::fs::write(dir.path().join(FILE), "{not json").unwrap();
        let e = SiteKnowledge::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("sites.json"), "{e}");
    }
}
