//! Part of stage 4, boilerplate: which language a document is in, from its stopwords, and how
//! dense each paragraph is in that language's stopwords.
//!
//! Running prose is full of function words ("the", "of", "und", "się"); menus, labels and
//! teaser titles are not. The lists are the Stopwords ISO lists (crate `stop-words`). The
//! language is the one whose list covers most of the document's words; below
//! `language-min-share` no language is detected and the classifier works without stopwords,
//! so a page in a language without a list (or in a script without spaces) is still judged on
//! length, punctuation and layout.

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
static TABLE: LazyLock<HashMap<&'static str, u64, Xxh3DefaultBuilder>> = LazyLock::new(|| {
    let mut t: HashMap<&'static str, u64, Xxh3DefaultBuilder> = HashMap::default();
    for (i, code) in LANGUAGES.iter().enumerate() {
        for w in stop_words::lookup(code).unwrap_or(&[]) {
            // Lists hold a few multi-word or punctuated entries; a token never matches them.
            if w.chars().all(char::is_alphanumeric) {
                *t.entry(w).or_default() |= 1 << i;
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

impl StopCounts {
    /// Count a paragraph's words and stopwords. `buf` is scratch space for lowercasing.
    pub fn of(text: &str, buf: &mut String) -> StopCounts {
        let table = &*TABLE;
        let mut hits = [0u16; LANGS];
        let mut tokens = 0u32;
        for w in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            tokens += 1;
            // Stopwords are short; a long token cannot be one, so skip the lowercasing.
            if w.len() > 24 {
                continue;
            }
            buf.clear();
            if w.is_ascii() {
                buf.extend(w.bytes().map(|b| b.to_ascii_lowercase() as char));
            } else {
                buf.extend(w.chars().flat_map(char::to_lowercase));
            }
            if let Some(&mask) = table.get(buf.as_str()) {
                let mut m = mask;
                while m != 0 {
                    let i = m.trailing_zeros() as usize;
                    hits[i] = hits[i].saturating_add(1);
                    m &= m - 1;
                }
            }
        }
        StopCounts { tokens, hits }
    }

    /// Share of this paragraph's words that are stopwords of `lang`.
    pub fn density(&self, lang: Lang) -> f32 {
        if self.tokens == 0 { 0.0 } else { self.hits[lang.0 as usize] as f32 / self.tokens as f32 }
    }
}

/// The language whose stopwords cover the largest share of all the paragraphs' words, if that
/// share reaches `min_share`. Ties go to the earlier language in [`LANGUAGES`].
pub fn detect(paragraphs: &[StopCounts], min_share: f32) -> Option<(Lang, f32)> {
    let tokens: u64 = paragraphs.iter().map(|c| c.tokens as u64).sum();
    if tokens == 0 {
        return None;
    }
    let mut best = (0usize, 0u64);
    for i in 0..LANGUAGES.len() {
        let n: u64 = paragraphs.iter().map(|c| c.hits[i] as u64).sum();
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
