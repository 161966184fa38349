//! Part of stage 4, boilerplate: which language a document is in, from its stopwords, and how
//! dense each paragraph is in that language's stopwords.
//!
//! Running prose is full of function words ("the", "of", "und", "się"); menus, labels and
//! teaser titles are not. The lists are the Stopwords ISO lists (crate `stop-words`). The
//! language is the one whose list covers most of the document's words; below
//! `language-min-share` no language is detected and the classifier works without stopwords,
//! so a page in a language without a list (or in a script without spaces) is still judged on
//! length, punctuation and layout.

use rustc_hash::FxBuildHasher;
use std::collections::HashMap;
use std::sync::LazyLock;
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

/// The languages whose stopwords are used, ISO 639-1. At most 64 (a word's languages are a
/// bit mask). Chinese and Japanese are left out: they are written without spaces, so their
/// "words" here would be whole clauses.
pub const LANGUAGES: &[&str] = &[
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "sv", "da", "no", "fi", "cs", "sk", "hu",
    "ro", "bg", "hr", "sl", "tr", "el", "id", "ca", "ar", "fa", "he", "hi",
];

/// Number of languages.
pub const LANGS: usize = 29;
const _: () = assert!(LANGUAGES.len() == LANGS);

/// A detected language: an index into [`LANGUAGES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub u8);

impl Lang {
    /// Its ISO 639-1 code.
    pub fn code(self) -> &'static str {
        LANGUAGES[self.0 as usize]
    }
}

/// Every stopword of every language, with the bit mask of the languages that list it.
///
/// Looked up once per word of every paragraph, which made a string-keyed map the dearest part
/// of the classifier (`cargo bench --bench boilerplate`). Words of up to 16 bytes, nearly all,
/// are packed into a `u128` (so an ASCII word needs no lowercased copy) under a cheap integer
/// hash; longer ones go to a string map. The map (thousands of words in 29 languages) does not
/// stay in the CPU cache, so a 16 KiB Bloom filter in front of it turns away most words that
/// are no stopword without touching the map.
struct Table {
    short: HashMap<u128, u64, FxBuildHasher>,
    long: HashMap<&'static str, u64, Xxh3DefaultBuilder>,
    bloom: Box<[u64; BLOOM_WORDS]>,
}

const BLOOM_WORDS: usize = 2048;

impl Table {
    fn get(&self, word: &str) -> Option<u64> {
        match pack(word.as_bytes()) {
            Some(k) => self.short_get(k),
            None => self.long.get(word).copied(),
        }
    }

    #[inline]
    fn short_get(&self, k: u128) -> Option<u64> {
        let (word, bits) = bloom_bits(k);
        if self.bloom[word] & bits == bits { self.short.get(&k).copied() } else { None }
    }
}

/// Where a packed word sits in the Bloom filter: one 64-bit block (one memory access) and two
/// bits in it.
#[inline]
fn bloom_bits(k: u128) -> (usize, u64) {
    let h = ((k as u64) ^ ((k >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let word = (h >> 40) as usize % BLOOM_WORDS;
    (word, (1 << (h & 63)) | (1 << ((h >> 6) & 63)))
}

/// Up to 16 bytes, little-endian into a `u128`; the zero padding keeps lengths apart (a word
/// has no NUL byte).
pub fn pack(bytes: &[u8]) -> Option<u128> {
    (bytes.len() <= 16).then(|| {
        let mut b = [0u8; 16];
        b[..bytes.len()].copy_from_slice(bytes);
        u128::from_le_bytes(b)
    })
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut t =
        Table { short: HashMap::default(), long: HashMap::default(), bloom: Box::new([0; BLOOM_WORDS]) };
    for (i, code) in LANGUAGES.iter().enumerate() {
        for w in stop_words::lookup(code).unwrap_or(&[]) {
            // Lists hold a few multi-word or punctuated entries; a token never matches them.
            if w.chars().all(char::is_alphanumeric) {
                match pack(w.as_bytes()) {
                    Some(k) => {
                        *t.short.entry(k).or_default() |= 1 << i;
                        let (word, bits) = bloom_bits(k);
                        t.bloom[word] |= bits;
                    }
                    None => *t.long.entry(w).or_default() |= 1 << i,
                }
            }
        }
    }
    t
});

/// Stopword counts of one paragraph, per language.
#[derive(Debug, Clone)]
pub struct StopCounts {
    /// Words (alphanumeric runs) in the paragraph.
    pub tokens: u32,
    /// For each language of [`LANGUAGES`], how many of them are its stopwords.
    pub hits: [u16; LANGS],
}

impl Default for StopCounts {
    fn default() -> Self {
        StopCounts { tokens: 0, hits: [0; LANGS] }
    }
}

impl StopCounts {
    /// Count a paragraph's words and stopwords. `buf` is scratch space for lowercasing. (The
    /// classifier counts them in its own pass over the paragraph, with [`StopCounts::add`].)
    pub fn of(text: &str, buf: &mut String) -> StopCounts {
        let mut counts = StopCounts::default();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    counts.add(&text[s..i], None, buf);
                    start = None;
                }
                _ => {}
            }
        }
        counts
    }

    /// Count one word, a run of letters and digits. `packed` is the word lowercased and
    /// packed by [`pack`] when it is ASCII and the caller has it; `buf` is scratch space.
    #[inline]
    pub fn add(&mut self, word: &str, packed: Option<u128>, buf: &mut String) {
        self.tokens += 1;
        // Stopwords are short; a long token cannot be one, so skip the lookup.
        if word.len() > 24 {
            return;
        }
        let table = &*TABLE;
        let mask = match packed {
            Some(k) => table.short_get(k),
            None => {
                buf.clear();
                buf.extend(word.chars().flat_map(char::to_lowercase));
                table.get(buf)
            }
        };
        if let Some(mut m) = mask {
            while m != 0 {
                let l = m.trailing_zeros() as usize;
                self.hits[l] = self.hits[l].saturating_add(1);
                m &= m - 1;
            }
        }
    }

    /// Share of this paragraph's words that are stopwords of `lang`.
    pub fn density(&self, lang: Lang) -> f32 {
        if self.tokens == 0 { 0.0 } else { self.hits[lang.0 as usize] as f32 / self.tokens as f32 }
    }
}

/// The language whose stopwords cover the largest share of all the paragraphs' words, if that
/// share reaches `min_share`. Ties go to the earlier language in [`LANGUAGES`].
pub fn detect<'a>(
    paragraphs: impl IntoIterator<Item = &'a StopCounts>,
    min_share: f32,
) -> Option<(Lang, f32)> {
    let mut tokens = 0u64;
    let mut hits = [0u64; LANGS];
    for c in paragraphs {
        tokens += c.tokens as u64;
        hits.iter_mut().zip(&c.hits).for_each(|(sum, &h)| *sum += h as u64);
    }
    if tokens == 0 {
        return None;
    }
    let mut best = (0usize, 0u64);
    for (i, &n) in hits.iter().enumerate() {
        if n > best.1 {
            best = (i, n);
        }
    }
    let share = best.1 as f32 / tokens as f32;
    (share >= min_share).then_some((Lang(best.0 as u8), share))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang_of(text: &str) -> Option<&'static str> {
        let mut buf = String::new();
        let counts: Vec<StopCounts> = text.split("\n\n").map(|p| StopCounts::of(p, &mut buf)).collect();
        detect(&counts, 0.15).map(|(l, _)| l.code())
    }

    #[test]
    fn detects_the_language_of_running_text() {
        assert_eq!(
            lang_of("The minister said on Monday that the talks with the union would resume in the spring."),
            Some("en")
        );
        assert_eq!(
            lang_of(
                "Die Regierung hat am Montag angekündigt, dass die Gespräche mit der Gewerkschaft im Frühjahr weitergehen."
            ),
            Some("de")
        );
        assert_eq!(
            lang_of(
                "Minister powiedział w poniedziałek, że rozmowy ze związkowcami zostaną wznowione wiosną, ale nie wiadomo kiedy."
            ),
            Some("pl")
        );
        assert_eq!(
            lang_of(
                "Le ministre a déclaré lundi que les négociations avec le syndicat reprendraient au printemps."
            ),
            Some("fr")
        );
    }

    #[test]
    fn no_language_without_stopwords() {
        assert_eq!(lang_of("北京时间周一，部长表示与工会的谈判将于春季恢复。"), None);
        assert_eq!(lang_of("Politics | Business | Technology | Science"), None);
    }

    #[test]
    fn density_separates_prose_from_menus() {
        let mut buf = String::new();
        let en = Lang(0);
        let prose = StopCounts::of("He said that it was one of the best years they had ever had.", &mut buf);
        let menu = StopCounts::of("Politics Business Technology Science Health Sports", &mut buf);
        assert!(prose.density(en) > 0.5, "{}", prose.density(en));
        assert!(menu.density(en) < 0.1, "{}", menu.density(en));
    }
}
