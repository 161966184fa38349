//! The serde mirror of `pipeline.toml`: what the user may write, with defaults, and nothing else.
//!
//! Every struct denies unknown fields, choices are enums and bounded numbers are validating
//! newtypes, so an invalid config cannot be deserialized. [`load`] reports *every* error in the
//! file at once, each with its line, column and dotted key: after each serde error the offending
//! key's lines are blanked out (keeping byte offsets) and the text is parsed again.
//! Resolution against the command line happens later, in `settings`.

pub mod values;

use crate::error::{ConfigError, ConfigIssue};
use crate::input::InputEncoding;
use crate::output::DocumentFiles;
use crate::stages::boilerplate::{Category, Matcher, Preset, Scope, Zone};
use crate::stages::dedup::{CanonicalPolicy, DedupScope, DocumentAction};
use crate::stages::normalize::{ParagraphSplit, UnicodeForm};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::{Path, PathBuf};
use values::*;

/// The whole `pipeline.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct PipelineConfig {
    /// `[input]`: where raw articles are read from.
    pub input: InputConfig,
    /// `[output]`: where the cleaned corpus goes.
    pub output: OutputConfig,
    /// `[run]`: how the run is executed.
    pub run: RunConfig,
    /// `[normalize]`: text normalization and paragraph splitting.
    pub normalize: NormalizeConfig,
    /// `[metadata]`: title, author, date and site extraction.
    pub metadata: MetadataConfig,
    /// `[boilerplate]`: rules that remove site boilerplate.
    pub boilerplate: BoilerplateConfig,
    /// `[dedup]`: near-duplicate detection.
    pub dedup: DedupConfig,
    /// `[check]`: the gates of `newsprep check`.
    pub check: CheckConfig,
}

/// `[input]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct InputConfig {
    /// Folder (or single file) to read, relative to the config file. Default `"raw"`.
    pub path: PathBuf,
    /// File extensions read as articles; other files get a `skipped` row. Default `["txt", "md", "jsonl", "html", "htm", "warc"]`;
    /// a `.jsonl` file holds one article per line.
    pub extensions: Vec<Extension>,
    /// Files larger than this are refused with an `error` row. Default 64 MiB.
    pub max_file_bytes: ByteLimit,
    /// How article files are decoded: `"detect"` (the default: UTF-8, else the legacy encoding
    /// chardetng guesses) or a WHATWG encoding label (`"utf-8"` to refuse anything else,
    /// `"windows-1252"`, `"shift_jis"`, ...). A byte-order mark always wins.
    pub encoding: InputEncoding,
    /// The JSONL record fields newsprep reads, by role.
    pub fields: FieldsConfig,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            path: PathBuf::from("raw"),
            extensions: ["txt", "md", "jsonl", "html", "htm", "warc"].map(|e| Extension(e.into())).to_vec(),
            max_file_bytes: ByteLimit(64 << 20),
            encoding: InputEncoding::Detect,
            fields: FieldsConfig::default(),
        }
    }
}

/// `[input.fields]`: which top-level field of a JSONL record holds what, for feeds that name
/// them otherwise (`text = "content"`, `date = "published_at"`). Other fields are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct FieldsConfig {
    /// The document id (a string or a number). Default `"id"`.
    pub id: FieldName,
    /// The article text; a record without it (and without `html`) is an error. Default `"text"`.
    pub text: FieldName,
    /// The headline. Default `"title"`.
    pub title: FieldName,
    /// The page's URL (its host is the site when there is no site field). Default `"url"`.
    pub url: FieldName,
    /// The site. Default `"site"`.
    pub site: FieldName,
    /// The publication date (`YYYY-MM-DD...`). Default `"date"`.
    pub date: FieldName,
    /// The byline's name. Default `"author"`.
    pub author: FieldName,
    /// The page's HTML: when a record has it, the page is read from it as an `.html` file
    /// is (the DOM, its metadata), and `text` is not used. Default `"html"`.
    pub html: FieldName,
}

impl Default for FieldsConfig {
    /// The reader's own defaults (`id`, `text`, `title`, ...), written in one place.
    fn default() -> Self {
        let n = crate::input::RecordFieldNames::default();
        FieldsConfig {
            id: FieldName(n.id),
            text: FieldName(n.text),
            title: FieldName(n.title),
            url: FieldName(n.url),
            site: FieldName(n.site),
            date: FieldName(n.date),
            author: FieldName(n.author),
            html: FieldName(n.html),
        }
    }
}

/// `[output]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct OutputConfig {
    /// Folder the corpus is written to, relative to the config file. Default `"cleaned"`.
    pub path: PathBuf,
    /// Per-document files beside corpus.jsonl: `"txt"`, `"md"`, `"json"` or `"none"`.
    /// Default `"txt"`.
    pub documents: DocumentFiles,
    /// Also write `corpus.parquet` (needs a build with the `parquet` feature). Default false.
    pub parquet: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig { path: PathBuf::from("cleaned"), documents: DocumentFiles::Txt, parquet: false }
    }
}

/// `[run]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct RunConfig {
    /// Worker threads; 0 means one per core. Default 0.
    pub jobs: usize,
}

/// `[normalize]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct NormalizeConfig {
    /// Unicode normalization form. Default `"nfc"`.
    pub unicode: UnicodeForm,
    /// Reduce markdown to text (links, emphasis, headings, escapes). Default true.
    pub strip_markdown: bool,
    /// How lines become paragraphs. Default `"auto"`.
    pub paragraphs: ParagraphSplit,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        NormalizeConfig { unicode: UnicodeForm::Nfc, strip_markdown: true, paragraphs: ParagraphSplit::Auto }
    }
}

/// `[metadata]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct MetadataConfig {
    /// Extract title, author, date, site and dateline. Default true.
    pub enabled: bool,
    /// How many paragraphs at the top are searched for title, byline and dateline. Default 12.
    pub head_paragraphs: Count,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        MetadataConfig { enabled: true, head_paragraphs: Count(12) }
    }
}

/// `[boilerplate]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct BoilerplateConfig {
    /// Remove boilerplate at all. Default true.
    pub enabled: bool,
    /// Use the built-in rule pack (after the rules given here). Default true.
    pub builtin_rules: bool,
    /// Ids of built-in rules to turn off. Default `[]`.
    pub disable: Vec<RuleId>,
    /// Share of the document (from the top) counted as its head, for rules with `zone = "head"`.
    /// Default 0.3.
    pub head_share: Share,
    /// Share of the document (from the bottom) counted as its tail, for rules with
    /// `zone = "tail"`. Default 0.5.
    pub tail_share: Share,
    /// A `scope = "rest"` rule (tail marker) only fires after at least this many words of kept
    /// body, so a "Comments" link at the top never cuts the article. Default 50.
    pub tail_min_words: Count,
    /// Your own rules, checked in order before the built-in pack.
    pub rules: Vec<RuleConfig>,
    /// `[boilerplate.classifier]`: the paragraph classifier that runs after the rules.
    pub classifier: ClassifierConfig,
    /// `[boilerplate.sites]`: lines learned as boilerplate of a site from the batch.
    pub sites: SitesConfig,
}

/// `[boilerplate.classifier]`: scores each paragraph from its text alone, then finds the main
/// content as the densest run of good paragraphs. A preset sets every threshold; any threshold
/// written here overrides the preset's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ClassifierConfig {
    /// Classify at all. Default true.
    pub enabled: bool,
    /// `precision`, `balanced` (default) or `recall`.
    pub preset: Preset,
    /// Content probability above which a paragraph adds to the main-content run and below which
    /// it counts against it.
    pub run_threshold: Option<Share>,
    /// Inside the main-content run, paragraphs above this probability are kept.
    pub inner_threshold: Option<Share>,
    /// Outside the main-content run, paragraphs above this probability are still kept.
    pub outer_threshold: Option<Share>,
    /// Share of a document's words that must be stopwords of one language for that language
    /// to be detected (below it, stopword density is not used).
    pub language_min_share: Option<Share>,
    /// A context model file (`benches/train_context.py` writes one), relative to this file's
    /// folder; the model shipped with newsprep when not set.
    pub model: Option<PathBuf>,
    /// The model read from `model` by [`load`].
    #[serde(skip)]
    pub loaded_model: Option<crate::stages::boilerplate::context::Model>,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            enabled: true,
            preset: Preset::Balanced,
            run_threshold: None,
            inner_threshold: None,
            outer_threshold: None,
            language_min_share: None,
            model: None,
            loaded_model: None,
        }
    }
}

/// `[boilerplate.sites]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SitesConfig {
    /// Learn and remove site boilerplate. Default true.
    pub enabled: bool,
    /// A paragraph is site boilerplate once it appears in this many documents of one site
    /// (2 to 1,000,000). Default 2: a line applies from the file that completes its count, so
    /// the copies before stay; at 2 only the first copy does (on the dragnet set, 3 kept more
    /// furniture: bag-of-words precision 0.827 against 0.839, recall 0.900 against 0.901).
    pub min_docs: MinDocs,
    /// Only paragraphs of at most this many words are learned (longer repeats are left to
    /// dedup). Default 40.
    pub max_words: Count,
}

impl Default for SitesConfig {
    fn default() -> Self {
        SitesConfig { enabled: true, min_docs: MinDocs(2), max_words: Count(40) }
    }
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            enabled: true,
            builtin_rules: true,
            disable: Vec::new(),
            head_share: Share(0.3),
            tail_share: Share(0.5),
            tail_min_words: Count(50),
            rules: Vec::new(),
            classifier: ClassifierConfig::default(),
            sites: SitesConfig::default(),
        }
    }
}

/// One boilerplate rule: what it matches, what it removes, and its documentation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    /// Unique id, lowercase letters, digits and `-`; recorded with every removal.
    pub id: RuleId,
    /// What kind of boilerplate it removes; removals are counted per category.
    pub category: Category,
    /// The test a paragraph must pass.
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// What a match removes. Default `"paragraph"`.
    #[serde(default)]
    pub scope: Scope,
    /// Where in the document the rule applies. Default `"anywhere"`.
    #[serde(default)]
    pub zone: Zone,
    /// Only paragraphs of at most this many words can match (protects body text that happens
    /// to contain a phrase). Default: no limit.
    #[serde(default)]
    pub max_words: Option<u32>,
    /// What it matches, in a sentence.
    #[serde(default)]
    pub what: String,
    /// Why that is boilerplate.
    #[serde(default)]
    pub why: String,
    /// A real-looking paragraph it removes (tests check that it does).
    #[serde(default)]
    pub example: String,
}

/// The built-in rule pack's file format: `[[rules]]` entries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulePack {
    /// The rules, in the order they are tried.
    pub rules: Vec<RuleConfig>,
}

/// `[dedup]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct DedupConfig {
    /// Words per shingle for SimHash. Default 2.
    pub shingle_words: ShingleWords,
    /// A SimHash neighbour counts as a repeat only when the estimated Jaccard similarity of the
    /// two shingle sets is at least this. Default 0.6.
    pub min_similarity: Share,
    /// Besides SimHash neighbours, texts sharing one of their `sketch-keys` smallest shingle
    /// hashes are candidates (then confirmed by `min-similarity` as well). Default 6; 0 = off.
    pub sketch_keys: SketchKeys,
    /// `[dedup.paragraph]`.
    pub paragraph: ParagraphDedupConfig,
    /// `[dedup.document]`.
    pub document: DocumentDedupConfig,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            shingle_words: ShingleWords(2),
            min_similarity: Share(0.6),
            sketch_keys: SketchKeys(6),
            paragraph: ParagraphDedupConfig::default(),
            document: DocumentDedupConfig::default(),
        }
    }
}

/// `[dedup.paragraph]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct ParagraphDedupConfig {
    /// Where a repeated paragraph is looked for. Default `"corpus"`.
    pub scope: DedupScope,
    /// Largest Hamming distance between fingerprints that counts as a repeat. Default 6.
    pub max_distance: HammingDistance,
    /// Paragraphs with fewer words are never removed as duplicates. Default 6.
    pub min_words: Count,
}

impl Default for ParagraphDedupConfig {
    fn default() -> Self {
        ParagraphDedupConfig {
            scope: DedupScope::Corpus,
            max_distance: HammingDistance(6),
            min_words: Count(6),
        }
    }
}

/// `[dedup.document]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct DocumentDedupConfig {
    /// What happens to a document whose body is a near-duplicate of an earlier one.
    /// Default `"drop"`.
    pub action: DocumentAction,
    /// Which member of a cluster of duplicates is the canonical copy. Default `"first"`.
    pub canonical: CanonicalPolicy,
    /// Largest Hamming distance between body fingerprints that counts. Default 6.
    pub max_distance: HammingDistance,
    /// A document is also a duplicate when at least this share of its body words are in
    /// paragraphs that repeat paragraphs of one earlier document (a syndicated copy with a few
    /// words edited or a paragraph dropped). Default 0.5.
    pub containment: Share,
}

impl Default for DocumentDedupConfig {
    fn default() -> Self {
        DocumentDedupConfig {
            action: DocumentAction::Drop,
            canonical: CanonicalPolicy::First,
            max_distance: HammingDistance(6),
            containment: Share(0.5),
        }
    }
}

/// `[check]`: the gates `newsprep check` applies. Each gate has a level; the thresholds are
/// shares from 0.0 to 1.0.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct CheckConfig {
    /// A raw file (or JSONL line) that cannot be read or decoded. Default `"error"`.
    pub unreadable: Level,
    /// A document whose body is empty once cleaned. Default `"error"`.
    pub empty: Level,
    /// A near-duplicate document. Default `"error"`.
    pub duplicates: Level,
    /// Which duplicates count. Default `"new"`.
    pub duplicates_scope: DuplicatesScope,
    /// The output folder differs from what the input and config produce now. Default `"error"`.
    pub out_of_date: Level,
    /// Too many kept documents without a title or a date. Default `"error"`.
    pub missing_metadata: Level,
    /// Largest share of kept documents without a title. Default 0.5.
    pub max_missing_title: Share,
    /// Largest share of kept documents without a published date. Default 0.5.
    pub max_missing_date: Share,
    /// A kept document that was mostly boilerplate. Default `"warn"`.
    pub boilerplate_share: Level,
    /// Largest share of a document's text removed as boilerplate. Default 0.8.
    pub max_boilerplate_share: Share,
    /// A kept paragraph that matches a boilerplate rule (in any zone) or learned site line.
    /// Default `"warn"`.
    pub residual_boilerplate: Level,
    /// A kept document that kept under half of the words of its sentence-like paragraphs: a
    /// possibly wrecked article. Default `"warn"`.
    pub thin: Level,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            unreadable: Level::Error,
            empty: Level::Error,
            duplicates: Level::Error,
            duplicates_scope: DuplicatesScope::New,
            out_of_date: Level::Error,
            missing_metadata: Level::Error,
            max_missing_title: Share(0.5),
            max_missing_date: Share(0.5),
            boilerplate_share: Level::Warn,
            max_boilerplate_share: Share(0.8),
            residual_boilerplate: Level::Warn,
            thin: Level::Warn,
        }
    }
}

/// What a failed gate does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// The check fails (exit code 1).
    Error,
    /// Reported; the check still passes.
    Warn,
    /// Not checked.
    Off,
}

/// Which near-duplicate documents the duplicates gate reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DuplicatesScope {
    /// Pairs with a raw file that the output's manifest.csv does not list yet: what a new
    /// batch brings. Duplicates already in the corpus were accepted before.
    New,
    /// Every duplicate pair.
    All,
}

// ---------------------------------------------------------------------------------------------
// Loading with every error at once.

/// The built-in boilerplate rule pack, shipped inside the binary.
pub const BUILTIN_RULES: &str = include_str!("../stages/boilerplate/rules.toml");

static BUILTIN_PACK: std::sync::LazyLock<RulePack> = std::sync::LazyLock::new(|| {
    parse(BUILTIN_RULES, Path::new("<built-in rules>")).expect("the built-in rule pack is valid (tested)")
});

/// The built-in rule pack, parsed once.
pub fn builtin_pack() -> &'static RulePack {
    &BUILTIN_PACK
}

/// Read and parse a `pipeline.toml`, reporting every error in it at once.
pub fn load(path: &Path) -> Result<PipelineConfig, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    load_text(&text, path)
}

/// Parse a `pipeline.toml`'s text as [`load`] does; `path` names it in errors, and a model
/// file it names is read relative to `path`'s folder.
pub fn load_text(text: &str, path: &Path) -> Result<PipelineConfig, ConfigError> {
    let text = text.to_string();
    let (mut cfg, mut issues) = parse_all::<PipelineConfig>(&text);
    // Cross-key checks run on what parsed, so they are reported with the syntax and type errors.
    if let Some(cfg) = &mut cfg {
        issues.extend(check(cfg, &text));
        if let Some(file) = &cfg.boilerplate.classifier.model {
            let file = path.parent().unwrap_or(Path::new("")).join(file);
            let read = std::fs::read_to_string(&file).map_err(|e| e.to_string());
            match read.and_then(|t| crate::stages::boilerplate::context::Model::parse(&t)) {
                Ok(m) => cfg.boilerplate.classifier.loaded_model = Some(m),
                Err(e) => {
                    let doc = toml_edit::Document::parse(text.clone()).ok();
                    let key = "boilerplate.classifier.model";
                    let (line, column) = doc
                        .as_ref()
                        .and_then(|d| key_offset(d.as_table(), key))
                        .map_or((0, 0), |o| line_col(&text, o));
                    let message = format!("cannot use the model {}: {e}", file.display());
                    issues.push(ConfigIssue { line, column, key: key.into(), message });
                }
            }
        }
    }
    issues.sort_by_key(|i| (i.line, i.column));
    match cfg {
        Some(cfg) if issues.is_empty() => Ok(cfg),
        _ => Err(ConfigError::Invalid { path: path.to_path_buf(), issues }),
    }
}

/// Parse TOML text into `T`, collecting every error. `path` is only used in the error.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    match parse_all(text) {
        (Some(v), issues) if issues.is_empty() => Ok(v),
        (_, issues) => Err(ConfigError::Invalid { path: path.to_path_buf(), issues }),
    }
}

/// Parse, blanking each offending key and trying again, until the rest parses. Returns the
/// value parsed from what was left (None after a syntax error) and every issue, in file order.
fn parse_all<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<ConfigIssue>) {
    let mut work = text.to_string();
    let mut issues: Vec<ConfigIssue> = Vec::new();
    let mut blanked: Vec<Range<usize>> = Vec::new();
    let mut value = None;
    let original = toml_edit::Document::parse(text.to_string()).ok();
    // Each pass removes one offending key, so the number of passes is bounded by the keys.
    for _ in 0..256 {
        let err = match toml::from_str::<T>(&work) {
            Ok(v) => {
                value = Some(v);
                break;
            }
            Err(e) => e,
        };
        let span = err.span().unwrap_or(0..0);
        let (line, column) = line_col(text, span.start);
        let message = plain_types(err.message());
        // Blanking keeps byte offsets, so the span points into the original text too: keys are
        // named there, where an array of tables still has the elements blanked out of the
        // working copy (`rules[1]` stays `rules[1]`), and a table whose key was blanked still
        // spans it (so its "missing field" is known for a consequence). A text that does not
        // parse as TOML has a syntax error, reported below as it is.
        let located = original.as_ref().and_then(|doc| locate(doc.as_table(), &span, ""));
        let Some((key, range)) = located else {
            // A syntax error, or one we cannot pin to a key: report it and stop.
            issues.push(ConfigIssue { line, column, key: String::new(), message });
            break;
        };
        // A required key we blanked ourselves is "missing" now: not a new error.
        let consequence = message.starts_with("missing field")
            && blanked.iter().any(|b| b.start < range.end && range.start < b.end);
        if !consequence {
            issues.push(ConfigIssue { line, column, key, message });
        }
        blanked.push(range.clone());
        let before = work.clone();
        blank_lines(&mut work, range);
        if work == before {
            break;
        }
    }
    issues.sort_by_key(|i| (i.line, i.column));
    (value, issues)
}

/// Checks that need more than one value: rule ids unique, disabled ids known, some rule left.
fn check(cfg: &PipelineConfig, text: &str) -> Vec<ConfigIssue> {
    let mut issues = Vec::new();
    let doc = toml_edit::Document::parse(text.to_string()).ok();
    let at = |key: &str, message: String| {
        let (line, column) =
            doc.as_ref().and_then(|d| key_offset(d.as_table(), key)).map_or((0, 0), |o| line_col(text, o));
        ConfigIssue { line, column, key: key.to_string(), message }
    };
    if cfg.output.parquet && !cfg!(feature = "parquet") {
        issues.push(at(
            "output.parquet",
            "this newsprep was built without Parquet support (`--no-default-features`): build it with the `parquet` feature".into(),
        ));
    }
    let builtin = builtin_pack();
    let bp = &cfg.boilerplate;
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in bp.rules.iter().enumerate() {
        if !seen.insert(r.id.0.clone()) {
            issues.push(at(
                &format!("boilerplate.rules[{i}].id"),
                format!("rule id `{}` is used twice", r.id.0),
            ));
        }
    }
    for (i, d) in bp.disable.iter().enumerate() {
        if !builtin.rules.iter().any(|r| r.id == *d) {
            issues.push(at(
                &format!("boilerplate.disable[{i}]"),
                format!("no built-in rule has the id `{}`", d.0),
            ));
        }
    }
    if bp.enabled {
        let builtin_left = if bp.builtin_rules {
            builtin.rules.iter().filter(|r| !bp.disable.contains(&r.id)).count()
        } else {
            0
        };
        if bp.rules.is_empty() && builtin_left == 0 {
            issues.push(at(
                "boilerplate",
                "no boilerplate rules are left: add [[boilerplate.rules]], turn builtin-rules on, or set enabled = false".into(),
            ));
        }
    }
    issues
}

/// serde's Rust type names in a config message, in words: `expected u32` => `expected a whole
/// number`.
fn plain_types(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, plain) in [
        ("expected usize", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u8", "expected a whole number"),
        ("expected f32", "expected a number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        if m.contains(rust) {
            m = m.replace(rust, plain);
        }
    }
    m
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[col_start..]).chars().count() + 1;
    (line, column)
}

/// Replace every byte of the lines touched by `range` with spaces, keeping newlines, so the
/// next parse sees the same offsets without that key.
fn blank_lines(text: &mut String, range: Range<usize>) {
    let bytes = text.as_bytes();
    let start = bytes[..range.start.min(bytes.len())].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let end = range.end.min(bytes.len());
    let end = bytes[end..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| end + p);
    let blanked: String = text[start..end].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
    text.replace_range(start..end, &blanked);
}

fn join_key(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

/// Byte range covered by an item and everything below it.
fn extent(item: &toml_edit::Item) -> Option<Range<usize>> {
    let mut acc = item.span();
    match item {
        toml_edit::Item::Table(t) => widen(&mut acc, table_extent(t)),
        toml_edit::Item::ArrayOfTables(a) => a.iter().for_each(|t| widen(&mut acc, table_extent(t))),
        _ => {}
    }
    acc
}

/// Byte range covered by a table's header and everything in it.
fn table_extent(t: &toml_edit::Table) -> Option<Range<usize>> {
    let mut acc = t.span();
    for (k, v) in t.iter() {
        widen(&mut acc, t.key(k).and_then(|k| k.span()));
        widen(&mut acc, extent(v));
    }
    acc
}

fn widen(acc: &mut Option<Range<usize>>, r: Option<Range<usize>>) {
    if let Some(r) = r {
        *acc = Some(match acc.take() {
            Some(a) => a.start.min(r.start)..a.end.max(r.end),
            None => r,
        });
    }
}

/// Find the deepest table-level key whose lines contain `span`: its dotted path and byte range.
fn locate(table: &toml_edit::Table, span: &Range<usize>, prefix: &str) -> Option<(String, Range<usize>)> {
    let inside = |r: &Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
    for (k, item) in table.iter() {
        let path = join_key(prefix, k);
        let key_span = table.key(k).and_then(|k| k.span());
        let mut whole = extent(item);
        if let Some(ks) = key_span.clone() {
            whole = Some(match whole {
                Some(w) => w.start.min(ks.start)..w.end.max(ks.end),
                None => ks,
            });
        }
        let Some(whole) = whole else { continue };
        if !inside(&whole) {
            continue;
        }
        match item {
            toml_edit::Item::Table(t) => {
                return Some(locate(t, span, &path).unwrap_or((path, whole)));
            }
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    let elem = format!("{path}[{i}]");
                    if let Some(r) = table_extent(t)
                        && inside(&r)
                    {
                        return Some(locate(t, span, &elem).unwrap_or((elem, r)));
                    }
                }
                return Some((path, whole));
            }
            _ => return Some((path, whole)),
        }
    }
    None
}

/// Byte offset of a dotted key path (with `[i]` indexes), for semantic errors.
fn key_offset(table: &toml_edit::Table, path: &str) -> Option<usize> {
    let mut table = table;
    let mut offset = None;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        offset = table.key(name).and_then(|k| k.span()).map(|s| s.start).or(offset);
        match (table.get(name)?, index) {
            (toml_edit::Item::ArrayOfTables(a), Some(i)) => {
                let t = a.get(i)?;
                offset = t.span().map(|s| s.start).or(offset);
                table = t;
            }
            (toml_edit::Item::Value(toml_edit::Value::Array(arr)), Some(i)) => {
                return arr.get(i).and_then(|v| v.span()).map(|s| s.start).or(offset);
            }
            (toml_edit::Item::Table(t), None) => table = t,
            _ => {}
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(text: &str) -> Vec<ConfigIssue> {
        let (cfg, mut issues) = parse_all::<PipelineConfig>(text);
        if let Some(cfg) = &cfg {
            issues.extend(check(cfg, text));
        }
        issues.sort_by_key(|i| (i.line, i.column));
        issues
    }

    #[test]
    fn parquet_output_is_refused_by_a_build_without_it_and_check_levels_are_enums() {
        let found = issues("[output]\nparquet = true\n");
        if cfg!(feature = "parquet") {
            assert!(found.is_empty(), "{found:?}");
        } else {
            assert_eq!(found.len(), 1);
            assert_eq!((found[0].line, found[0].key.as_str()), (2, "output.parquet"));
        }
        let found =
            issues("[check]\nempty = \"loud\"\nmax-missing-date = 1.5\nduplicates-scope = \"some\"\n");
        let keys: Vec<&str> = found.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["check.empty", "check.max-missing-date", "check.duplicates-scope"]);
    }

    #[test]
    fn empty_file_gives_defaults() {
        let cfg: PipelineConfig = parse("", Path::new("p.toml")).unwrap();
        assert_eq!(cfg.input.path, PathBuf::from("raw"));
        assert_eq!(cfg.dedup.paragraph.max_distance, HammingDistance(6));
        assert!(cfg.boilerplate.builtin_rules);
    }

    #[test]
    fn every_error_is_reported_with_line_and_key() {
        let text = "[input]\nbogus = 1\nmax-file-bytes = \"big\"\n\n[dedup.paragraph]\nmax-distance = 9\nscope = \"everywhere\"\n\n[nope]\nx = 1\n";
        let found = issues(text);
        let keys: Vec<_> = found.iter().map(|i| (i.line, i.key.as_str())).collect();
        assert_eq!(
            keys,
            vec![
                (2, "input.bogus"),
                (3, "input.max-file-bytes"),
                (6, "dedup.paragraph.max-distance"),
                (7, "dedup.paragraph.scope"),
                (9, "nope"),
            ]
        );
        assert!(found[0].message.contains("unknown field `bogus`"), "{:?}", found[0]);
        assert!(found[1].message.contains("invalid type"), "{:?}", found[1]);
        assert!(found[2].message.contains("out of range"), "{:?}", found[2]);
        assert!(found[3].message.contains("unknown variant `everywhere`"), "{:?}", found[3]);
    }

    #[test]
    fn bad_rules_are_reported_by_index() {
        let text = "[[boilerplate.rules]]\nid = \"ok\"\ncategory = \"share\"\nmatch.whole = [\"share\"]\n\n[[boilerplate.rules]]\nid = \"Bad Id\"\ncategory = \"share\"\nmatch.regex = \"(unclosed\"\n";
        let found = issues(text);
        let keys: Vec<_> = found.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, vec!["boilerplate.rules[1].id", "boilerplate.rules[1].match"], "{found:?}");
        assert!(found[1].message.contains("invalid regex"));
        assert_eq!(found[1].line, 9);
    }

    #[test]
    fn syntax_error_names_the_place() {
        let found = issues("[input\npath = 1\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 1);
    }

    #[test]
    fn semantic_checks_name_the_key() {
        let text = "[boilerplate]\nbuiltin-rules = false\ndisable = [\"no-such-rule\"]\n";
        let found = issues(text);
        let keys: Vec<_> = found.iter().map(|i| (i.line, i.key.as_str())).collect();
        assert_eq!(keys, vec![(1, "boilerplate"), (3, "boilerplate.disable[0]")]);
    }

    #[test]
    fn builtin_pack_parses() {
        let pack: RulePack = parse(BUILTIN_RULES, Path::new("rules.toml")).unwrap();
        assert!(pack.rules.len() > 10);
        let mut ids: Vec<_> = pack.rules.iter().map(|r| r.id.0.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), pack.rules.len(), "rule ids must be unique");
        for r in &pack.rules {
            assert!(
                !r.what.is_empty() && !r.why.is_empty() && !r.example.is_empty(),
                "rule {} lacks docs",
                r.id.0
            );
        }
    }
}
