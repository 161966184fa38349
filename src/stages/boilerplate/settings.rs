//! Part of stage 4, boilerplate: its settings, resolved from `[boilerplate]`, and the rule
//! language (matchers, scopes, zones, categories) that `pipeline.toml` and the built-in pack use.

use super::context::Model;
use crate::config::values::{Pattern, Phrases, Share};
use serde::Deserialize;

/// A named set of classifier thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Remove less: keep anything that might be article text.
    Recall,
    /// The default trade-off.
    Balanced,
    /// Remove more: keep only what is clearly article text.
    Precision,
}

/// The test a rule applies to a paragraph. Phrases are matched case-insensitively on word
/// boundaries against the paragraph with leading and trailing punctuation trimmed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub enum Matcher {
    /// The whole paragraph equals one of the phrases: `match.whole = ["share this"]`.
    Whole(Phrases),
    /// The paragraph starts with one of the phrases: `match.start = ["follow us"]`.
    Start(Phrases),
    /// One of the phrases occurs anywhere: `match.anywhere = ["subscribe to our"]`.
    Anywhere(Phrases),
    /// A regular expression (Rust `regex` syntax) finds a match: `match.regex = "(?i)^tags:"`.
    Regex(Pattern),
    /// At least this share of the paragraph's characters were link text:
    /// `match.link-share = 0.9`.
    LinkShare(Share),
}

/// What a rule's match removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Only the matching paragraph.
    #[default]
    Paragraph,
    /// The matching paragraph and everything after it (a tail marker such as "Comments").
    /// Never fires before the first body paragraph.
    Rest,
}

/// Part of the document a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Zone {
    /// Any paragraph.
    #[default]
    Anywhere,
    /// Paragraphs in the first `head-share` of the document.
    Head,
    /// Paragraphs in the last `tail-share` of the document.
    Tail,
}

/// Kinds of boilerplate, used to count removals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Category {
    Navigation,
    Share,
    Social,
    Subscribe,
    Membership,
    Copyright,
    Disclaimer,
    Republication,
    AuthorBio,
    Caption,
    Comments,
    Taxonomy,
    Contact,
    Links,
    Related,
    Consent,
    Script,
    Other,
}

impl Category {
    /// Name as written in config and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Navigation => "navigation",
            Category::Share => "share",
            Category::Social => "social",
            Category::Subscribe => "subscribe",
            Category::Membership => "membership",
            Category::Copyright => "copyright",
            Category::Disclaimer => "disclaimer",
            Category::Republication => "republication",
            Category::AuthorBio => "author-bio",
            Category::Caption => "caption",
            Category::Comments => "comments",
            Category::Taxonomy => "taxonomy",
            Category::Contact => "contact",
            Category::Links => "links",
            Category::Related => "related",
            Category::Consent => "consent",
            Category::Script => "script",
            Category::Other => "other",
        }
    }
}

/// One rule, resolved.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Id recorded with removals.
    pub id: String,
    /// Category counted.
    pub category: Category,
    /// The test.
    pub matcher: Matcher,
    /// What a match removes.
    pub scope: Scope,
    /// Where it applies.
    pub zone: Zone,
    /// Longest paragraph (in words) it may remove.
    pub max_words: usize,
}

/// Boilerplate removal.
#[derive(Debug, Clone)]
pub struct BoilerplateSettings {
    /// Remove boilerplate at all.
    pub enabled: bool,
    /// Rules in the order they are tried: the config's, then the built-in pack.
    pub rules: Vec<Rule>,
    /// Share of paragraphs counted as head.
    pub head_share: f32,
    /// Share of paragraphs counted as tail.
    pub tail_share: f32,
    /// Kept words needed before a tail marker fires.
    pub tail_min_words: usize,
    /// The paragraph classifier.
    pub classifier: ClassifierSettings,
    /// Site boilerplate learned from the batch.
    pub sites: SitesSettings,
}

/// The paragraph classifier's thresholds, preset and overrides merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassifierSettings {
    /// Classify at all.
    pub enabled: bool,
    /// Content probability that splits "adds to the main run" from "counts against it".
    pub run_threshold: f32,
    /// Inside the main run, kept above this probability.
    pub inner_threshold: f32,
    /// Outside the main run, kept above this probability.
    pub outer_threshold: f32,
    /// Stopword share needed to detect a language.
    pub language_min_share: f32,
    /// The context model that gives the probability the thresholds apply to.
    pub model: Model,
}

impl ClassifierSettings {
    /// The thresholds of a preset.
    pub fn preset(p: Preset) -> ClassifierSettings {
        let (run, inner, outer) = match p {
            Preset::Recall => (0.45, 0.15, 0.25),
            Preset::Balanced => (0.6, 0.25, 0.4),
            Preset::Precision => (0.7, 0.4, 0.7),
        };
        ClassifierSettings {
            enabled: true,
            run_threshold: run,
            inner_threshold: inner,
            outer_threshold: outer,
            language_min_share: 0.15,
            model: Model::builtin(),
        }
    }
}

/// Site boilerplate learning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitesSettings {
    /// Learn and remove at all.
    pub enabled: bool,
    /// Documents of one site a paragraph must appear in.
    pub min_docs: usize,
    /// Longest paragraph learned, in words.
    pub max_words: usize,
}
