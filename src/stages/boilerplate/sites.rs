//! Part of stage 4, boilerplate: site knowledge, learned from the corpus. A short paragraph that
//! appears in at least `boilerplate.sites.min-docs` documents of one site is that site's
//! furniture (its menu, its newsletter call, its footer), whatever its wording or language.
//!
//! The lines are learned corpus-wide (`crate::corpus::sites`, a barrier before the
//! per-document stages); this is what the boilerplate stage reads: the learned lines, each
//! applying from the raw file it was learned at, saved beside the corpus
//! (`.newsprep/sites.json`, see [`SiteKnowledge::encode`]).
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
    /// Knowledge of these lines (the site counter's decision).
    pub fn from_lines(lines: HashMap<u64, Learned>) -> Self {
        SiteKnowledge { lines }
    }

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
    use crate::corpus::sites::{SiteCounter, short_lines};

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
