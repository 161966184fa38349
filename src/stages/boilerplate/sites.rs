//! Part of stage 4, boilerplate: site knowledge, learned from the batch. A short paragraph that
//! appears in at least `boilerplate.sites.min-docs` documents of one site is that site's
//! furniture (its menu, its newsletter call, its footer), whatever its wording or language.
//!
//! It is a corpus-wide step, so the pipeline runs it as a barrier before the per-document
//! stages: a first pass reads and normalizes every input and feeds each document's distinct
//! short paragraphs, in input order, to a [`SiteCounter`]; what crosses the threshold becomes
//! the [`SiteKnowledge`] that the boilerplate stage consults. The knowledge is saved beside the
//! corpus (`.newsprep/sites.json`, see [`SiteKnowledge::encode`]) and the counts behind it in the
//! corpus state (`crate::state`), so a later batch adds to what earlier ones counted and
//! learned. A learned line stays learned.
//!
//! A document's site is the one its source names (a JSONL record's `site`, or its `url`'s host),
//! else its source folder (`raw/bbc/a.txt` -> `bbc`; files at the top share the site `.`):
//! scrapers usually keep one folder per site, and in a flat folder a line repeated across
//! several documents is boilerplate too.

use super::match_key;
use crate::error::RunError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use xxhash_rust::xxh3::Xxh3;

/// Version of `sites.json`.
pub const FORMAT_VERSION: u32 = 1;

/// Where the knowledge is kept, relative to the output folder.
pub const FILE: &str = ".newsprep/sites.json";

/// The site of a document: the one its source names (a JSONL record's `site` or `url`),
/// else its folder.
pub fn site_of_source(source: &crate::document::SourceInfo) -> &str {
    source.site.as_deref().unwrap_or_else(|| site_of(&source.path))
}

/// The site of a source path: its folder (`.` at the top).
pub fn site_of(rel: &str) -> &str {
    match rel.rfind('/') {
        Some(i) => &rel[..i],
        None => ".",
    }
}

/// The key of a paragraph of a site: case, surrounding punctuation and spacing do not matter.
pub fn line_key(site: &str, text: &str) -> u64 {
    // Streamed: the same value as xxh3-64 of `site`, NUL, key, without building that string.
    let mut h = Xxh3::new();
    h.update(site.as_bytes());
    h.update(&[0]);
    h.update(match_key(text).as_bytes());
    h.digest()
}

/// Counts, per site, in how many documents each short paragraph appears (the first pass).
/// The corpus state keeps it between runs, so a later batch adds to the counts of earlier ones
/// (and a re-cleaned file first takes its old lines back out, [`remove`](Self::remove)).
#[derive(Debug, Default, Clone)]
pub struct SiteCounter {
    counts: HashMap<u64, (u32, u32)>,
    /// Text of a key once it appears in a second document (only repeats are kept).
    texts: HashMap<u64, String>,
    sites: Vec<String>,
    site_ids: HashMap<String, u32>,
}

/// A [`SiteCounter`] as the corpus state saves it: sorted, so the same counts save the same bytes.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CounterSnapshot {
    counts: Vec<(u64, u32, u32)>,
    texts: Vec<(u64, String)>,
    sites: Vec<String>,
}

impl SiteCounter {
    /// Count one document's paragraphs (its short, distinct ones; see [`short_lines`]).
    pub fn add(&mut self, site: &str, lines: Vec<(u64, String)>) {
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
            let e = self.counts.entry(key).or_insert((sid, 0));
            e.1 += 1;
            if e.1 == 2 {
                self.texts.entry(key).or_insert(text);
            }
        }
    }

    /// Take documents' lines (their keys, one per document that had the line) back out, as
    /// if those documents had never been counted. A key's text goes with its second document,
    /// so counting them again picks the same text as counting in one pass would.
    pub fn remove(&mut self, keys: &[u64]) {
        for key in keys {
            if let std::collections::hash_map::Entry::Occupied(mut e) = self.counts.entry(*key) {
                e.get_mut().1 -= 1;
                if e.get().1 < 2 {
                    self.texts.remove(key);
                }
                if e.get().1 == 0 {
                    e.remove();
                }
            }
        }
    }

    /// The counts, for the corpus state.
    pub fn snapshot(&self) -> CounterSnapshot {
        let mut counts: Vec<(u64, u32, u32)> = self.counts.iter().map(|(&k, &(s, n))| (k, s, n)).collect();
        counts.sort_unstable();
        let mut texts: Vec<(u64, String)> = self.texts.iter().map(|(&k, t)| (k, t.clone())).collect();
        texts.sort_unstable();
        CounterSnapshot { counts, texts, sites: self.sites.clone() }
    }

    /// A counter from the corpus state.
    pub fn restore(s: CounterSnapshot) -> Self {
        let site_ids = s.sites.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
        SiteCounter {
            counts: s.counts.into_iter().map(|(k, s, n)| (k, (s, n))).collect(),
            texts: s.texts.into_iter().collect(),
            sites: s.sites,
            site_ids,
        }
    }

    /// The lines seen in at least `min_docs` documents, merged into `known`.
    pub fn learn(&self, min_docs: usize, mut known: SiteKnowledge) -> SiteKnowledge {
        // Order does not matter: each key is decided on its own, into a map.
        #[allow(clippy::iter_over_hash_type)]
        for (&key, &(sid, n)) in &self.counts {
            let text = self.texts.get(&key).cloned().unwrap_or_default();
            let prose = text.split_whitespace().count() >= PROSE_WORDS && ends_like_sentence(&text);
            if (n as usize) < if prose { 2 * min_docs } else { min_docs } {
                continue;
            }
            let e = known.lines.entry(key).or_insert(Learned {
                site: self.sites[sid as usize].clone(),
                text,
                docs: 0,
            });
            e.docs = e.docs.max(n);
        }
        known
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
    /// In how many documents of the site it was seen (the largest count of any run).
    pub docs: u32,
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
}

impl SiteKnowledge {
    /// Is this paragraph learned boilerplate of the site? Returns what was learned.
    pub fn lookup(&self, site: &str, text: &str) -> Option<&Learned> {
        if self.lines.is_empty() {
            return None;
        }
        self.lines.get(&line_key(site, text))
    }

    /// Number of learned lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Nothing learned.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Every learned key.
    pub fn keys(&self) -> impl Iterator<Item = &u64> {
        self.lines.keys()
    }

    /// Is this key learned?
    pub fn knows(&self, key: u64) -> bool {
        self.lines.contains_key(&key)
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

    /// The knowledge saved in the output folder `dir`, or nothing if there is none.
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
                lines.insert(key, Learned { site: site.clone(), text: l.text, docs: l.docs });
            }
        }
        Ok(SiteKnowledge { lines })
    }

    /// The bytes of `sites.json`.
    pub fn encode(&self) -> Vec<u8> {
        let sites = self
            .by_site()
            .into_iter()
            .map(|(s, ls)| {
                let v = ls
                    .into_iter()
                    .map(|(k, l)| FileLine { key: format!("{k:016x}"), docs: l.docs, text: l.text.clone() })
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
    fn site_is_the_source_folder() {
        assert_eq!(site_of("bbc/world/a.txt"), "bbc/world");
        assert_eq!(site_of("a.txt"), ".");
    }

    #[test]
    fn a_line_in_enough_documents_of_one_site_is_learned() {
        let mut c = SiteCounter::default();
        let docs = [
            ("dailyplanet", vec!["Get the Daily Planet app", "Metropolis mayor resigns after audit."]),
            ("dailyplanet", vec!["GET THE DAILY PLANET APP!", "Heat wave grips the city for a third day."]),
            ("dailyplanet", vec!["Get the Daily Planet app", "Council approves the new bridge."]),
            ("gazette", vec!["Get the Daily Planet app"]),
        ];
        for (site, lines) in docs {
            c.add(site, short_lines(site, lines.into_iter(), 40));
        }
        let k = c.learn(3, SiteKnowledge::default());
        assert_eq!(k.len(), 1);
        let l = k.lookup("dailyplanet", "get the daily planet app").expect("learned");
        assert_eq!((l.docs, l.site.as_str()), (3, "dailyplanet"));
        assert!(k.lookup("gazette", "Get the Daily Planet app").is_none(), "other sites are not affected");
        assert!(k.lookup("dailyplanet", "Council approves the new bridge.").is_none());
    }

    #[test]
    fn repeats_inside_one_document_count_once_and_prose_and_long_paragraphs_are_ignored() {
        let mut c = SiteCounter::default();
        c.add("s", short_lines("s", ["Share", "Share", "Share"].into_iter(), 40));
        c.add("s", short_lines("s", ["Share"].into_iter(), 40));
        let prose = "Shipping lines have started diverting vessels to smaller ports along the coast.";
        for _ in 0..3 {
            c.add("s", short_lines("s", [prose].into_iter(), 40));
        }
        let long = "word ".repeat(50);
        for _ in 0..3 {
            c.add("s", short_lines("s", [long.as_str()].into_iter(), 40));
        }
        assert!(c.learn(3, SiteKnowledge::default()).is_empty());
    }

    #[test]
    fn knowledge_survives_a_save_and_load_and_relearning_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = SiteCounter::default();
        for _ in 0..3 {
            c.add(".", short_lines(".", ["Follow us on Mastodon"].into_iter(), 40));
        }
        let k = c.learn(3, SiteKnowledge::default());
        std::fs::create_dir_all(dir.path().join(".newsprep")).unwrap();
        std::fs::write(dir.path().join(FILE), k.encode()).unwrap();
        let loaded = SiteKnowledge::load(dir.path()).unwrap();
        assert_eq!(loaded, k);
        // The same batch again: the same knowledge, not doubled counts.
        let mut c = SiteCounter::default();
        for _ in 0..3 {
            c.add(".", short_lines(".", ["Follow us on Mastodon"].into_iter(), 40));
        }
        assert_eq!(c.learn(3, loaded), k);
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
