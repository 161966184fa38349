//! Part of the model: a document, its paragraphs and their byte spans in the raw file, and the
//! typed removals stages mark on them.

use super::dom::{DomFeatures, DomTree};
use super::sketch::Sketch;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable identity of a document: its path relative to the input folder, without the extension,
/// with `/` separators (`sub/article` for `raw/sub/article.md`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocId(pub String);

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A half-open byte range `[start, end)` in the raw file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// From byte offsets in a document's decoded text to byte offsets in its raw file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawMap {
    /// UTF-8: the text is the raw bytes after this many (a byte-order mark).
    Shift(usize),
    /// Any other encoding: runs of characters of one shape, ending with a run that maps the
    /// end of the text to the end of the file.
    Segments(Vec<Segment>),
}

/// A run of characters that each take `text` bytes of UTF-8 and `raw` bytes of the raw file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Offset in the text where the run starts.
    pub text_start: usize,
    /// Offset in the raw file where it starts.
    pub raw_start: usize,
    /// UTF-8 bytes per piece.
    pub text: u32,
    /// Raw bytes per piece.
    pub raw: u32,
}

impl RawMap {
    /// The raw offset of text offset `at` (a character boundary).
    pub fn raw(&self, at: usize) -> usize {
        match self {
            RawMap::Shift(n) => n + at,
            RawMap::Segments(s) => RawMap::segment_offset(s, at),
        }
    }

    pub(crate) fn segment_offset(s: &[Segment], at: usize) -> usize {
        let i = s.partition_point(|s| s.text_start <= at).saturating_sub(1);
        let s = s[i];
        s.raw_start + (at - s.text_start) / s.text as usize * s.raw as usize
    }
}

/// Where a document came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// Path relative to the input folder, `/`-separated.
    pub path: String,
    /// Size of the raw file in bytes.
    pub bytes: u64,
    /// SHA-256 of the raw bytes, lowercase hex (empty when the file could not be read).
    /// For a JSONL record: its line's size and SHA-256.
    pub sha256: String,
    /// For a JSONL record: its line number in the file (from 1).
    pub line: Option<u64>,
    /// The site the source names (a JSONL record's `site`, or its `url`'s host); without one
    /// the site is the source folder.
    pub site: Option<String>,
    /// The encoding its bytes were decoded from, by its WHATWG name (`UTF-8`, `windows-1252`,
    /// `UTF-16LE`); empty when the file could not be read.
    pub encoding: &'static str,
    /// Place of its raw file in corpus order (what site lines apply to it depends on it).
    #[serde(skip)]
    pub order: u32,
    /// What reading changed in the raw text, for the manifest row ("2 stray control bytes
    /// made spaces, the first at offset 9109").
    #[serde(skip)]
    pub note: Option<String>,
}

impl SourceInfo {
    /// A source known only by its path (not read yet, or unreadable).
    pub fn unread(path: impl Into<String>) -> SourceInfo {
        SourceInfo {
            path: path.into(),
            bytes: 0,
            sha256: String::new(),
            encoding: "",
            line: None,
            site: None,
            order: 0,
            note: None,
        }
    }
}

/// How a paragraph was written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Block {
    /// Running text.
    #[default]
    Text,
    /// A markdown heading (`# ...`) or a setext-underlined line.
    Heading,
    /// A list item (`- ...`, `1. ...`).
    ListItem,
}

/// Cheap facts about a paragraph, recorded by the normalizer before markup is stripped.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    /// How the paragraph was written.
    pub block: Block,
    /// Characters of the final text that were inside markdown links.
    pub link_chars: usize,
    /// The whole paragraph was wrapped in emphasis (`*...*`), as notes and credits often are.
    pub emphasized: bool,
    /// Number of words (whitespace-separated) in the normalized text.
    pub words: usize,
    /// What the page's DOM says about it (HTML input only).
    pub dom: Option<DomFeatures>,
}

impl Features {
    /// Share of the text's characters that were link text, 0.0 to 1.0.
    pub fn link_share(&self, text: &str) -> f32 {
        // Most paragraphs have no links: skip counting their characters.
        if self.link_chars == 0 {
            return 0.0;
        }
        let chars = text.chars().filter(|c| !c.is_whitespace()).count();
        if chars == 0 { 0.0 } else { (self.link_chars as f32 / chars as f32).min(1.0) }
    }
}

/// A metadata field that a paragraph was consumed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetaField {
    /// The headline.
    Title,
    /// The byline.
    Author,
    /// The publication date.
    Published,
    /// The site or publication name.
    Site,
    /// The place line of a dateline ("Rabat").
    Dateline,
}

impl MetaField {
    /// The field's name as written in output.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaField::Title => "title",
            MetaField::Author => "author",
            MetaField::Published => "published",
            MetaField::Site => "site",
            MetaField::Dateline => "dateline",
        }
    }
}

/// The paragraph a duplicate repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParaRef {
    /// Document that holds the original.
    pub id: DocId,
    /// Index of the original among that document's paragraphs (0-based, counting removed ones).
    pub paragraph: usize,
    /// Byte span of the original in its raw file.
    pub start: usize,
    /// End of that span.
    pub end: usize,
}

/// Why a paragraph left the body. Every variant is counted and written to provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// A separator line (`*`, `---`) or a paragraph that was only markup.
    Markup {
        /// Which normalizer rule: `separator` or `empty-markup`.
        rule: &'static str,
    },
    /// Consumed as a metadata field.
    Metadata(MetaField),
    /// Matched a boilerplate rule.
    Boilerplate {
        /// Rule id.
        rule: String,
        /// Rule category (share, copyright, ...).
        category: &'static str,
    },
    /// Came after a tail marker ("Popular posts from this blog", "Comments").
    AfterTail {
        /// Id of the tail rule whose marker ended the article.
        rule: String,
        /// What corroborated the cut: the article words above the marker and what follows it.
        why: String,
    },
    /// The paragraph classifier judged it not article text.
    Classifier {
        /// Which test failed.
        verdict: Verdict,
        /// Its content probability, in thousandths (0 to 1000), so removals stay `Eq`.
        permille: u16,
        /// The signals that pointed to boilerplate: `"2 words, title case, no sentence end"`.
        why: String,
    },
    /// What the page's DOM says: hidden, inside page furniture (a comment list, a share bar,
    /// a menu), or outside the element that holds the article (HTML input only).
    Dom {
        /// Which DOM step: `hidden` or `furniture` (outside the article's element, the classifier decides).
        rule: &'static str,
        /// The evidence: the element's marks, the main element's share of the page's prose.
        why: String,
    },
    /// A line repeated across documents of one site: learned site boilerplate.
    Site {
        /// The site it was learned for. (How many documents repeat it is in `newsprep sites`,
        /// not here: that count grows with every batch, and an earlier document's record must
        /// not change when a later batch arrives.)
        site: String,
    },
    /// Repeats an earlier paragraph of this or an earlier document.
    Duplicate {
        /// The paragraph it repeats.
        of: ParaRef,
        /// Hamming distance between the two 64-bit fingerprints (0 for an exact repeat).
        distance: u32,
        /// Estimated shingle Jaccard similarity, in thousandths (1000 for an exact repeat).
        similarity: u16,
    },
}

impl Removal {
    /// Short machine-readable reason, used in provenance and counters.
    pub fn reason(&self) -> &'static str {
        match self {
            Removal::Markup { .. } => "markup",
            Removal::Metadata(_) => "metadata",
            Removal::Boilerplate { .. } => "boilerplate",
            Removal::AfterTail { .. } => "tail",
            Removal::Classifier { .. } => "classifier",
            Removal::Dom { .. } => "dom",
            Removal::Site { .. } => "site",
            Removal::Duplicate { .. } => "duplicate",
        }
    }

    /// The key this removal is counted under in the run summary, e.g. `boilerplate:share`;
    /// `doc` is the document the paragraph belongs to (a duplicate counts as `same-document`
    /// or `earlier-document`).
    pub fn counter_key(&self, doc: &DocId) -> String {
        match self {
            Removal::Markup { rule } => format!("markup:{rule}"),
            Removal::Metadata(f) => format!("metadata:{}", f.as_str()),
            Removal::Boilerplate { category, .. } => format!("boilerplate:{category}"),
            Removal::AfterTail { .. } => "tail".to_string(),
            Removal::Classifier { verdict, .. } => format!("classifier:{}", verdict.as_str()),
            Removal::Dom { rule, .. } => format!("dom:{rule}"),
            Removal::Site { .. } => "site".to_string(),
            Removal::Duplicate { of, .. } if &of.id == doc => "duplicate:same-document".to_string(),
            Removal::Duplicate { .. } => "duplicate:earlier-document".to_string(),
        }
    }
}

/// Why the classifier removed a paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Inside the main content, but its probability is below `inner-threshold`.
    LowScore,
    /// Outside the main content (the densest run of good paragraphs) and below
    /// `outer-threshold`.
    OutsideMain,
}

impl Verdict {
    /// Its name in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::LowScore => "low-score",
            Verdict::OutsideMain => "outside-main",
        }
    }
}

/// One paragraph: normalized text, where it came from, and whether it was removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    /// Normalized text (NFC, whitespace collapsed, markup stripped).
    pub text: String,
    /// Bytes of the raw file this paragraph was made from.
    pub span: Span,
    /// Facts recorded while normalizing.
    pub features: Features,
    /// Set once a stage removes the paragraph from the body.
    pub removal: Option<Removal>,
    /// Fingerprints, filled in by the fingerprint step.
    pub fingerprint: Option<Fingerprint>,
}

#[cfg(test)]
impl Paragraph {
    /// A kept paragraph of `text` alone, spanning it, for tests.
    pub(crate) fn of_text(text: &str) -> Paragraph {
        Paragraph {
            text: text.to_string(),
            span: Span { start: 0, end: text.len() },
            features: Features { words: text.split_whitespace().count(), ..Default::default() },
            removal: None,
            fingerprint: None,
        }
    }
}

impl Paragraph {
    /// Is the paragraph still part of the body?
    pub fn is_kept(&self) -> bool {
        self.removal.is_none()
    }
}

/// A text's fingerprints: exact hash of its normalized tokens and their shingled SimHash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// xxh3-64 of the normalized token stream.
    pub exact: u64,
    /// 64-bit SimHash over word shingles.
    pub simhash: u64,
    /// Bottom-k sketch of the same shingles, to confirm a near match on the text.
    pub sketch: Sketch,
    /// Number of normalized tokens.
    pub tokens: u32,
}

/// Metadata found in the article's own lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// The headline.
    pub title: Option<String>,
    /// The byline, without "By".
    pub author: Option<String>,
    /// Publication date, ISO 8601 `YYYY-MM-DD`.
    pub published: Option<String>,
    /// Site or publication name.
    pub site: Option<String>,
    /// Place of the dateline.
    pub dateline: Option<String>,
}

/// A document on its way through the stages.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its id.
    pub id: DocId,
    /// Where it came from.
    pub source: SourceInfo,
    /// Decoded text, until the normalizer splits it into paragraphs (then empty).
    pub raw: String,
    /// From offsets in `raw` to offsets in the raw file, so spans index the raw file.
    pub origin: RawMap,
    /// Paragraphs in source order, removed ones included.
    pub paragraphs: Vec<Paragraph>,
    /// Metadata found so far.
    pub meta: Metadata,
    /// Fingerprint of the body (kept paragraphs), filled in by the fingerprint step.
    pub body: Option<Fingerprint>,
    /// The boilerplate stage kept under half of the words of its paragraphs that read as
    /// sentences, even after looking at its cuts again: a possibly wrecked article, counted in
    /// the run's summary and `stats.json` and judged by `newsprep check`.
    pub thin: bool,
    /// The elements its paragraphs came from (HTML input only).
    pub dom: Option<std::sync::Arc<DomTree>>,
}

impl Document {
    /// A document fresh from the reader: text decoded from UTF-8 after `raw_offset` bytes (a
    /// byte-order mark), no paragraphs or metadata yet.
    pub fn new(id: DocId, source: SourceInfo, raw: String, raw_offset: usize) -> Document {
        Document::mapped(id, source, raw, RawMap::Shift(raw_offset))
    }

    /// A document fresh from the reader, of text whose offsets `origin` maps to the raw file.
    pub fn mapped(id: DocId, source: SourceInfo, raw: String, origin: RawMap) -> Document {
        Document {
            id,
            source,
            raw,
            origin,
            paragraphs: Vec::new(),
            meta: Metadata::default(),
            body: None,
            thin: false,
            dom: None,
        }
    }

    /// The kept paragraphs, in order.
    pub fn kept(&self) -> impl Iterator<Item = &Paragraph> {
        self.paragraphs.iter().filter(|p| p.is_kept())
    }

    /// The cleaned body: kept paragraphs separated by one blank line.
    pub fn body_text(&self) -> String {
        self.body_text_with(0)
    }

    /// The cleaned body as markdown: headings as `#` lines (at the level the page gave, else
    /// `##`), list items as `- ` lines (one after another without a blank line), the rest as
    /// paragraphs. A paragraph that would read as markup at its start is escaped.
    pub fn body_markdown(&self) -> String {
        let mut out = String::new();
        let mut prev_item = false;
        for p in self.kept() {
            let item = p.features.block == Block::ListItem;
            if !out.is_empty() {
                out.push_str(if item && prev_item { "\n" } else { "\n\n" });
            }
            match p.features.block {
                Block::Heading => {
                    let level = p.features.dom.map_or(2, |d| d.heading.clamp(1, 6)).max(1);
                    out.push_str(&"#".repeat(level as usize));
                    out.push(' ');
                }
                Block::ListItem => out.push_str("- "),
                Block::Text => {
                    let t = p.text.as_str();
                    if let Some((n, rest)) = t.split_once(". ")
                        && !n.is_empty()
                        && n.bytes().all(|b| b.is_ascii_digit())
                    {
                        // `1. ` would open a numbered list: `1\. ` is the text.
                        out.push_str(n);
                        out.push_str("\\. ");
                        out.push_str(rest);
                        prev_item = false;
                        continue;
                    }
                    if t.starts_with(['#', '-', '*', '+', '>', '|']) {
                        out.push('\\');
                    }
                }
            }
            out.push_str(&p.text);
            prev_item = item;
        }
        out
    }

    /// [`Document::body_text`] in a string with room for `extra` more bytes, allocated once
    /// (a huge body must not be copied into a doubled buffer to add a newline).
    pub fn body_text_with(&self, extra: usize) -> String {
        let len = self.kept().map(|p| p.text.len() + 2).sum::<usize>().saturating_sub(2);
        let mut out = String::with_capacity(len + extra);
        for p in self.kept() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&p.text);
        }
        out
    }
}
