//! Part of stage 4, boilerplate: the classifier's first look, the measurements of one
//! paragraph's text alone ([`Signals`]) and the logistic score they give. Both the classifier and
//! the context model read them.

use super::language::{Lang, StopCounts};
use crate::model::Paragraph;

/// Measurements of one paragraph's text.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    /// Whitespace-separated words (for scripts without spaces, characters / 2).
    pub words: u32,
    /// Share of words that are stopwords of the document's language; `None` when no language
    /// was detected.
    pub stopwords: Option<f32>,
    /// Ends like a sentence: `.`, `!`, `?`, `…`, or one of those before a closing quote.
    pub ends_sentence: bool,
    /// Sentence breaks inside the paragraph (`. ` followed by a capital), capped at 3.
    pub sentences: u8,
    /// Share of words that start with a capital letter.
    pub title_case: f32,
    /// Separator characters (`|`, `•`, `»`, `›`, `·`, `::`), capped at 3.
    pub separators: u8,
    /// Share of the characters that were markdown link text.
    pub link_share: f32,
}

/// One signal's part in a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    /// The signal's name, as `explain` prints it.
    pub signal: &'static str,
    /// Log-odds it adds (negative: it points to boilerplate).
    pub weight: f32,
}

/// The model: log-odds weights per signal. Fitted by logistic regression on the benchmark
/// sets' paragraphs (each set weighted equally, paragraphs by log length), then rounded.
mod weights {
    /// Constant term.
    pub const BIAS: f32 = -1.8;
    /// Per unit of ln(words + 1): long paragraphs are prose.
    pub const LOG_WORDS: f32 = 0.85;
    /// Per unit of stopword share.
    pub const STOPWORDS: f32 = 1.6;
    /// When no language was detected, in place of the stopword term (about its mean).
    pub const NO_LANGUAGE: f32 = 0.6;
    /// Ends like a sentence.
    pub const ENDS_SENTENCE: f32 = 0.55;
    /// Per sentence break inside.
    pub const SENTENCES: f32 = 0.17;
    /// Per unit of title-case share: menus and teaser titles capitalize every word.
    pub const TITLE_CASE: f32 = -1.0;
    /// Per separator (`Home | News | Sport`).
    pub const SEPARATORS: f32 = -0.75;
    /// Per unit of link-text share (set by hand: text dumps have no links to fit it on).
    pub const LINK_SHARE: f32 = -3.0;
}

/// What one pass over a paragraph's characters finds, before the document's language is
/// known: the layout half of [`Signals`] and the stopword counts.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// Whitespace-separated words.
    words: u32,
    /// Words whose first letter or digit is a letter, and of those, the capitalized.
    alphabetic: u32,
    capitalized: u32,
    /// Characters other than whitespace.
    chars: u32,
    separators: u8,
    sentences: u8,
    /// Stopword counts of the alphanumeric runs.
    pub stops: StopCounts,
}

impl Shape {
    /// Measure a paragraph in one pass. This pass, with the stopword lookups it makes, was
    /// over a third of the boilerplate stage as separate passes (`cargo bench --bench
    /// boilerplate`); the straightforward version is kept in the tests, which check that both
    /// agree on arbitrary text.
    pub fn of(text: &str, buf: &mut String) -> Shape {
        let bytes = text.as_bytes();
        let mut sh = Shape::default();
        // The whitespace word being read: its start, and whether its first letter or digit
        // was seen.
        let mut word: Option<usize> = None;
        let mut first_seen = false;
        // The alphanumeric run being read: its start, its ASCII lowercase packed, all ASCII?
        let mut run: Option<usize> = None;
        let mut packed = [0u8; 16];
        let mut ascii = true;
        let mut breaks = SentenceBreaks::default();
        let mut i = 0;
        while i <= bytes.len() {
            // The character at i (a space past the end, to close what is open) and its class.
            let (c, len, ws, alnum) = if i == bytes.len() {
                (' ', 1, true, false)
            } else if bytes[i] < 0x80 {
                let b = bytes[i];
                (
                    b as char,
                    1,
                    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'),
                    b.is_ascii_alphanumeric(),
                )
            } else {
                let c = text[i..].chars().next().expect("i is on a character boundary");
                (c, c.len_utf8(), c.is_whitespace(), c.is_alphanumeric())
            };

            if ws {
                // Every separator begins with one of these bytes (`•`, `›`, `‹`, `–` with 0xE2;
                // `»`, `«`, `·` with 0xC2): most words skip the comparisons.
                if let Some(start) = word.take()
                    && matches!(bytes[start], b'|' | b'/' | b'-' | b':' | 0xC2 | 0xE2)
                    && is_separator(&text[start..i])
                {
                    sh.separators = sh.separators.saturating_add(1);
                }
            } else {
                sh.chars += 1;
                if word.is_none() {
                    word = Some(i);
                    first_seen = false;
                    sh.words += 1;
                }
                if !first_seen && alnum {
                    first_seen = true;
                    if c.is_alphabetic() {
                        sh.alphabetic += 1;
                        sh.capitalized += c.is_uppercase() as u32;
                    }
                }
            }

            if alnum {
                if run.is_none() {
                    run = Some(i);
                    packed = [0; 16];
                    ascii = true;
                }
                let at = i - run.unwrap_or(i);
                if len == 1 && at < 16 {
                    packed[at] = bytes[i].to_ascii_lowercase();
                }
                ascii &= len == 1;
            } else if let Some(start) = run.take() {
                let w = &text[start..i];
                // The same packing as `language::pack`.
                let key = (ascii && w.len() <= 16).then(|| u128::from_le_bytes(packed));
                sh.stops.add(w, key, buf);
            }

            if breaks.step(c) {
                sh.sentences = sh.sentences.saturating_add(1);
            }
            i += len;

            // The rest of an ASCII word in a tight loop: past its first character nothing but
            // the packed key and the character count can change (a letter or digit leaves the
            // sentence-break automaton where it is).
            if alnum && len == 1 {
                let start = run.unwrap_or(i);
                let from = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    if i - start < 16 {
                        packed[i - start] = bytes[i].to_ascii_lowercase();
                    }
                    i += 1;
                }
                sh.chars += (i - from) as u32;
            }
        }
        sh
    }
}

/// A word that separates menu items or breadcrumbs: `|`, `•`, `»`, `›`, `·`, `::`, `«`, `‹`,
/// `/`, `–`, `-`, or a word glued to one of the first four (`»News`).
fn is_separator(w: &str) -> bool {
    matches!(w, "|" | "•" | "»" | "›" | "·" | "::" | "«" | "‹" | "/" | "–" | "-")
        || w.starts_with(['|', '•', '»', '›'])
}

/// Sentence breaks inside a paragraph, fed a character at a time: `.`, `!` or `?`, a space,
/// then (after any opening quotes) an uppercase letter.
#[derive(Debug, Default)]
struct SentenceBreaks {
    /// The last character was sentence punctuation (or a closing quote after one).
    prev_end: bool,
    /// A space followed it.
    space: bool,
}

impl SentenceBreaks {
    /// Take the next character; true when it begins a new sentence.
    fn step(&mut self, c: char) -> bool {
        if self.prev_end && self.space && c.is_uppercase() {
            *self = SentenceBreaks::default();
            return true;
        }
        if self.prev_end && self.space && matches!(c, '"' | '“' | '‘' | '\'' | '(' | '«' | '„') {
            return false;
        }
        if matches!(c, '.' | '!' | '?') {
            (self.prev_end, self.space) = (true, false);
        } else if c == ' ' && self.prev_end {
            self.space = true;
        } else if !(matches!(c, '"' | '”' | '’' | '\'' | ')') && self.prev_end && !self.space) {
            *self = SentenceBreaks::default();
        }
        false
    }
}

impl Signals {
    /// The signals of a paragraph measured as `shape`, in a document of language `lang`.
    pub fn of(p: &Paragraph, shape: &Shape, lang: Option<Lang>) -> Signals {
        let text = p.text.as_str();
        let mut words = shape.words;
        // Scripts written without spaces: count two characters as a word.
        if words > 0 && shape.chars / words > 12 {
            words = words.max(shape.chars / 2);
        }
        Signals {
            words,
            stopwords: lang.map(|l| shape.stops.density(l)),
            ends_sentence: ends_sentence(text),
            sentences: shape.sentences.min(3),
            title_case: if shape.alphabetic == 0 {
                0.0
            } else {
                shape.capitalized as f32 / shape.alphabetic as f32
            },
            separators: shape.separators.min(3),
            link_share: p.features.link_share(text),
        }
    }

    /// The contributions to the log-odds that this paragraph is article text, largest effect
    /// first is up to the caller; here in a fixed order.
    pub fn contributions(&self) -> [Contribution; 8] {
        use weights::*;
        let c = |signal, weight| Contribution { signal, weight };
        [
            c("bias", BIAS),
            c("length", LOG_WORDS * ((self.words as f32) + 1.0).ln()),
            match self.stopwords {
                Some(d) => c("stopwords", STOPWORDS * d),
                None => c("no-language", NO_LANGUAGE),
            },
            c("sentence-end", if self.ends_sentence { ENDS_SENTENCE } else { 0.0 }),
            c("sentences", SENTENCES * self.sentences as f32),
            c("title-case", TITLE_CASE * self.title_case),
            c("separators", SEPARATORS * self.separators as f32),
            c("links", LINK_SHARE * self.link_share),
        ]
    }

    /// Log-odds that the paragraph is article text.
    pub fn log_odds(&self) -> f32 {
        self.contributions().iter().map(|c| c.weight).sum()
    }

    /// Probability that the paragraph is article text, 0 to 1.
    pub fn probability(&self) -> f32 {
        1.0 / (1.0 + (-self.log_odds()).exp())
    }

    /// The signals that pushed hardest toward boilerplate, for a removal's reason:
    /// `"2 words, title case, no sentence end"`.
    pub fn why_not(&self) -> String {
        use std::fmt::Write;
        // One string written in place: this runs for every paragraph the classifier removes.
        let mut out = String::with_capacity(64);
        let _ = write!(out, "{} words", self.words);
        if let Some(d) = self.stopwords
            && d < 0.25
        {
            let _ = write!(out, ", stopwords {d:.2}");
        }
        if !self.ends_sentence {
            out.push_str(", no sentence end");
        }
        if self.title_case >= 0.6 && self.words >= 2 {
            out.push_str(", title case");
        }
        if self.separators > 0 {
            out.push_str(", separators");
        }
        if self.link_share >= 0.5 {
            let _ = write!(out, ", links {:.0}%", self.link_share * 100.0);
        }
        out
    }
}

/// Does the text end like a sentence (`.`, `!`, `?`, `…`, before any closing quotes)?
pub fn ends_sentence(text: &str) -> bool {
    let t = text.trim_end_matches(['"', '\'', '”', '’', ')', '»', ']', '*']);
    t.ends_with(['.', '!', '?', '…', '。', '！', '？'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str) -> Paragraph {
        Paragraph::of_text(text)
    }

    fn signals(text: &str) -> Signals {
        Signals::of(&para(text), &Shape::of(text, &mut String::new()), Some(Lang(0)))
    }

    /// Sentence breaks of a whole text, a character at a time.
    fn sentence_breaks(text: &str) -> u8 {
        let mut breaks = SentenceBreaks::default();
        text.chars().filter(|&c| breaks.step(c)).count().min(255) as u8
    }

    /// The straightforward measurements, one pass each, that [`Shape::of`] fuses.
    fn reference(text: &str) -> (u32, u32, u32, u8, u8, StopCounts) {
        let (mut words, mut alphabetic, mut capitalized, mut separators) = (0, 0, 0, 0u8);
        for w in text.split_whitespace() {
            words += 1;
            if let Some(c) = w.chars().find(|c| c.is_alphanumeric()).filter(|c| c.is_alphabetic()) {
                alphabetic += 1;
                capitalized += c.is_uppercase() as u32;
            }
            separators += is_separator(w) as u8;
        }
        let stops = StopCounts::of(text, &mut String::new());
        (words, alphabetic, capitalized, separators, sentence_breaks(text), stops)
    }

    proptest::proptest! {
        #[test]
        fn the_fused_pass_agrees_with_the_reference(
            text in "([A-Za-z]{1,7}|[ .!?|»•\"“”'()\t]|the|and|und|się|Été|ÉTÉ|très|что|北京|İ|ß|\\PC){0,40}"
        ) {
            let sh = Shape::of(&text, &mut String::new());
            let (words, alphabetic, capitalized, separators, sentences, stops) = reference(&text);
            proptest::prop_assert_eq!(
                (sh.words, sh.alphabetic, sh.capitalized, sh.separators, sh.sentences),
                (words, alphabetic, capitalized, separators, sentences)
            );
            proptest::prop_assert_eq!(sh.stops.tokens, stops.tokens);
            proptest::prop_assert_eq!(sh.stops.hits, stops.hits);
        }
    }

    #[test]
    fn length_and_prose_raise_the_probability() {
        let prose = signals(
            "Thrasher said the group collected a significant amount of video and sonar data, which searchers will pore over on the return voyage to Hawaii this week.",
        );
        let menu = signals("Privacy Policy");
        assert!(prose.probability() > 0.9, "{prose:?} {}", prose.probability());
        assert!(menu.probability() < 0.3, "{menu:?} {}", menu.probability());
    }

    #[test]
    fn each_signal_moves_the_score_the_documented_way() {
        let base = signals("the committee will meet again on tuesday to discuss the budget");
        let ended = signals("the committee will meet again on tuesday to discuss the budget.");
        assert!(ended.ends_sentence && ended.log_odds() > base.log_odds());
        let titled = signals("The Committee Will Meet Again On Tuesday To Discuss The Budget");
        assert!(titled.title_case > 0.9 && titled.log_odds() < base.log_odds());
        let piped = signals("the committee | will meet again | on tuesday to discuss the budget");
        assert_eq!(piped.separators, 2);
        assert!(piped.log_odds() < base.log_odds());
        let two = signals("The committee met. It will meet again on Tuesday. Nobody knows why.");
        assert_eq!(two.sentences, 2);
        let menu = signals("Politics Business Technology Science Health");
        assert!(menu.stopwords.unwrap() < 0.1);
        assert!(base.stopwords.unwrap() > 0.3);
        let mut linked = para("Read the full report on our partner site today");
        linked.features.link_chars = 40;
        let l = Signals::of(&linked, &Shape::of(&linked.text, &mut String::new()), Some(Lang(0)));
        assert!(l.link_share > 0.9 && l.log_odds() < signals(&linked.text).log_odds() - 2.0);
    }

    #[test]
    fn sentence_punctuation_is_recognized_behind_quotes() {
        assert!(ends_sentence("He said: “It's never like that.”"));
        assert!(ends_sentence("Is it?"));
        assert!(!ends_sentence("Read more"));
        assert_eq!(sentence_breaks("One. Two! “Three?” Four. e.g. five"), 3);
    }

    #[test]
    fn scripts_without_spaces_count_characters() {
        let s = signals("北京时间周一部长表示与工会的谈判将于春季恢复双方仍有分歧但都愿意继续对话。");
        assert!(s.words >= 15, "{s:?}");
    }
}
