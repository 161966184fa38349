//! Settings: the command line merged over `pipeline.toml`, resolved once, with no `Option`s left.
//!
//! Only this module knows which source a value came from. Stages are built from these sections.

use crate::cli::RunArgs;
use crate::config::{
    self, CanonicalPolicy, Category, ClassifierConfig, DedupScope, DocumentAction, DocumentFiles, Matcher,
    ParagraphSplit, PipelineConfig, Preset, RuleConfig, Scope, UnicodeForm, Zone,
};
use crate::error::ConfigError;
use std::path::{Path, PathBuf};

/// Where the configuration came from, for the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A `pipeline.toml` file.
    File(PathBuf),
    /// No file: built-in defaults.
    Defaults,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(p) => write!(f, "{}", p.display()),
            ConfigSource::Defaults => f.write_str("built-in defaults (no pipeline.toml)"),
        }
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the configuration came from.
    pub config: ConfigSource,
    /// Folder or file to read.
    pub input: PathBuf,
    /// Folder to write to.
    pub output: PathBuf,
    /// Per-document files written.
    pub documents: DocumentFiles,
    /// Also write corpus.parquet.
    pub parquet: bool,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Show a progress bar and the summary.
    pub verbose: bool,
    /// Clean every file again, ignoring the corpus state (`--full`).
    pub full: bool,
    /// Remove the output of raw files that are gone (`--prune`).
    pub prune: bool,
    /// Read stage.
    pub read: ReadSettings,
    /// Normalize stage.
    pub normalize: NormalizeSettings,
    /// Metadata stage.
    pub metadata: MetadataSettings,
    /// Boilerplate stage.
    pub boilerplate: BoilerplateSettings,
    /// Dedup stage.
    pub dedup: DedupSettings,
    /// The gates of `newsprep check`: `[check]` as written (nothing in it needs resolving).
    pub check: config::CheckConfig,
}

/// How inputs are found and read.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    /// Extensions read as articles, lowercase, without the dot.
    pub extensions: Vec<String>,
    /// Larger files are refused.
    pub max_file_bytes: u64,
    /// How article files are decoded.
    pub encoding: crate::config::InputEncoding,
    /// The JSONL fields read, by role.
    pub fields: RecordFieldNames,
}

/// The JSONL record fields read, by role (see `[input.fields]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFieldNames {
    /// Document id.
    pub id: String,
    /// Article text.
    pub text: String,
    /// Headline.
    pub title: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Publication date.
    pub date: String,
    /// Author.
    pub author: String,
}

impl Default for RecordFieldNames {
    fn default() -> Self {
        let f = crate::config::FieldsConfig::default();
        RecordFieldNames::from(&f)
    }
}

impl From<&crate::config::FieldsConfig> for RecordFieldNames {
    fn from(f: &crate::config::FieldsConfig) -> Self {
        RecordFieldNames {
            id: f.id.0.clone(),
            text: f.text.0.clone(),
            title: f.title.0.clone(),
            url: f.url.0.clone(),
            site: f.site.0.clone(),
            date: f.date.0.clone(),
            author: f.author.0.clone(),
        }
    }
}

/// Text normalization.
#[derive(Debug, Clone, Copy)]
pub struct NormalizeSettings {
    /// Unicode form.
    pub unicode: UnicodeForm,
    /// Reduce markdown to text.
    pub strip_markdown: bool,
    /// How lines become paragraphs.
    pub paragraphs: ParagraphSplit,
}

/// Metadata extraction.
#[derive(Debug, Clone, Copy)]
pub struct MetadataSettings {
    /// Extract at all.
    pub enabled: bool,
    /// Paragraphs searched at the top.
    pub head_paragraphs: usize,
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
    pub model: crate::stages::boilerplate::context::Model,
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
            model: crate::stages::boilerplate::context::Model::builtin(),
        }
    }

    fn from_config(c: &ClassifierConfig) -> ClassifierSettings {
        let p = ClassifierSettings::preset(c.preset);
        ClassifierSettings {
            enabled: c.enabled,
            run_threshold: c.run_threshold.map_or(p.run_threshold, |v| v.0),
            inner_threshold: c.inner_threshold.map_or(p.inner_threshold, |v| v.0),
            outer_threshold: c.outer_threshold.map_or(p.outer_threshold, |v| v.0),
            language_min_share: c.language_min_share.map_or(p.language_min_share, |v| v.0),
            model: c.loaded_model.unwrap_or(p.model),
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

/// Near-duplicate detection.
#[derive(Debug, Clone, Copy)]
pub struct DedupSettings {
    /// Words per shingle.
    pub shingle_words: usize,
    /// Smallest shingle similarity that confirms a SimHash neighbour.
    pub min_similarity: f32,
    /// Smallest sketch hashes used as lookup keys (0 = SimHash candidates only).
    pub sketch_keys: usize,
    /// Where paragraph repeats are looked for.
    pub paragraph_scope: DedupScope,
    /// Largest paragraph fingerprint distance that is a repeat.
    pub paragraph_max_distance: u32,
    /// Shorter paragraphs (in tokens) are never removed as repeats.
    pub paragraph_min_words: usize,
    /// What happens to near-duplicate documents.
    pub document_action: DocumentAction,
    /// Which member of a cluster is canonical.
    pub canonical: CanonicalPolicy,
    /// Largest body fingerprint distance that is a duplicate.
    pub document_max_distance: u32,
    /// Share of body words repeating one earlier document that makes a duplicate.
    pub document_containment: f32,
}

impl Settings {
    /// Resolve `newsprep run` flags over the config file they name (or ./pipeline.toml, or the
    /// defaults). Relative paths in the file are relative to the file's folder.
    pub fn resolve(args: &RunArgs) -> Result<Settings, ConfigError> {
        let (cfg, base, source) = match &args.config {
            Some(path) => (config::load(path)?, parent(path), ConfigSource::File(path.clone())),
            None => {
                let path = Path::new("pipeline.toml");
                if path.exists() {
                    (config::load(path)?, PathBuf::from("."), ConfigSource::File(path.to_path_buf()))
                } else {
                    (PipelineConfig::default(), PathBuf::from("."), ConfigSource::Defaults)
                }
            }
        };
        let mut s = Settings::from_config(&cfg, &base);
        s.config = source;
        if let Some(i) = &args.input {
            s.input = i.clone();
        }
        if let Some(o) = &args.output {
            s.output = o.clone();
        }
        if let Some(j) = args.jobs {
            if j > 1024 {
                return Err(ConfigError::Flag {
                    flag: "--jobs",
                    message: format!("{j} threads is more than 1024"),
                });
            }
            s.jobs = resolve_jobs(j);
        }
        if let Some(f) = args.format {
            s.documents = f;
        }
        s.verbose = !args.quiet;
        s.full = args.full;
        s.prune = args.prune;
        Ok(s)
    }

    /// Fingerprint of everything that decides the output of a given input: a corpus made under
    /// another fingerprint is rebuilt. (Paths, threads and the progress bar do not count.)
    pub fn fingerprint(&self) -> u64 {
        let what = format!(
            "newsprep {}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            env!("CARGO_PKG_VERSION"),
            self.documents,
            self.read,
            self.normalize,
            self.metadata,
            self.boilerplate,
            self.dedup,
            crate::stages::write::SCHEMA_VERSION,
        );
        xxhash_rust::xxh3::xxh3_64(what.as_bytes())
    }

    /// Settings from a parsed config; `base` is the folder relative paths start from.
    pub fn from_config(cfg: &PipelineConfig, base: &Path) -> Settings {
        let rules = if cfg.boilerplate.enabled { resolve_rules(cfg) } else { Vec::new() };
        Settings {
            config: ConfigSource::Defaults,
            input: join(base, &cfg.input.path),
            output: join(base, &cfg.output.path),
            documents: cfg.output.documents,
            parquet: cfg.output.parquet,
            jobs: resolve_jobs(cfg.run.jobs),
            verbose: true,
            full: false,
            prune: false,
            read: ReadSettings {
                extensions: cfg.input.extensions.iter().map(|e| e.0.clone()).collect(),
                max_file_bytes: cfg.input.max_file_bytes.0,
                encoding: cfg.input.encoding,
                fields: RecordFieldNames::from(&cfg.input.fields),
            },
            normalize: NormalizeSettings {
                unicode: cfg.normalize.unicode,
                strip_markdown: cfg.normalize.strip_markdown,
                paragraphs: cfg.normalize.paragraphs,
            },
            metadata: MetadataSettings {
                enabled: cfg.metadata.enabled,
                head_paragraphs: cfg.metadata.head_paragraphs.0,
            },
            boilerplate: BoilerplateSettings {
                enabled: cfg.boilerplate.enabled,
                rules,
                head_share: cfg.boilerplate.head_share.0,
                tail_share: cfg.boilerplate.tail_share.0,
                tail_min_words: cfg.boilerplate.tail_min_words.0,
                classifier: ClassifierSettings::from_config(&cfg.boilerplate.classifier),
                sites: SitesSettings {
                    enabled: cfg.boilerplate.enabled && cfg.boilerplate.sites.enabled,
                    min_docs: cfg.boilerplate.sites.min_docs.0,
                    max_words: cfg.boilerplate.sites.max_words.0,
                },
            },
            dedup: DedupSettings {
                shingle_words: cfg.dedup.shingle_words.0,
                min_similarity: cfg.dedup.min_similarity.0,
                sketch_keys: cfg.dedup.sketch_keys.0,
                paragraph_scope: cfg.dedup.paragraph.scope,
                paragraph_max_distance: cfg.dedup.paragraph.max_distance.0,
                paragraph_min_words: cfg.dedup.paragraph.min_words.0,
                document_action: cfg.dedup.document.action,
                canonical: cfg.dedup.document.canonical,
                document_max_distance: cfg.dedup.document.max_distance.0,
                document_containment: cfg.dedup.document.containment.0,
            },
            check: cfg.check,
        }
    }

    /// The defaults, reading `input` and writing `output`: what a library caller starts from.
    pub fn defaults(input: impl Into<PathBuf>, output: impl Into<PathBuf>) -> Settings {
        let mut s = Settings::from_config(&PipelineConfig::default(), Path::new("."));
        s.input = input.into();
        s.output = output.into();
        s
    }
}

fn resolve_rules(cfg: &PipelineConfig) -> Vec<Rule> {
    let bp = &cfg.boilerplate;
    let mut rules: Vec<Rule> = bp.rules.iter().map(rule).collect();
    if bp.builtin_rules {
        let pack = config::builtin_pack();
        rules.extend(pack.rules.iter().filter(|r| !bp.disable.contains(&r.id)).map(rule));
    }
    rules
}

fn rule(r: &RuleConfig) -> Rule {
    Rule {
        id: r.id.0.clone(),
        category: r.category,
        matcher: r.matcher.clone(),
        scope: r.scope,
        zone: r.zone,
        max_words: r.max_words.map_or(usize::MAX, |w| w as usize),
    }
}

fn resolve_jobs(j: usize) -> usize {
    if j == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { j }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn join(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() || base == Path::new(".") { p.to_path_buf() } else { base.join(p) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_pipeline_toml_parses_and_resolves() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipeline.toml");
        let cfg = config::load(&path).expect("shipped pipeline.toml is valid");
        let s = Settings::from_config(&cfg, Path::new("."));
        assert_eq!(s.input, PathBuf::from("raw"));
        assert_eq!(s.output, PathBuf::from("cleaned"));
        assert!(s.boilerplate.rules.len() > 10);
    }

    #[test]
    fn flags_override_file_and_user_rules_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[input]\npath = \"in\"\n[run]\njobs = 3\n[[boilerplate.rules]]\nid = \"mine\"\ncategory = \"other\"\nmatch.whole = [\"x\"]\n",
        )
        .unwrap();
        let args = RunArgs { config: Some(path), output: Some("elsewhere".into()), ..Default::default() };
        let s = Settings::resolve(&args).unwrap();
        assert_eq!(s.input, dir.path().join("in"));
        assert_eq!(s.output, PathBuf::from("elsewhere"));
        assert_eq!(s.jobs, 3);
        assert_eq!(s.boilerplate.rules[0].id, "mine");
        let args = RunArgs { config: Some(dir.path().join("p.toml")), jobs: Some(1), ..Default::default() };
        assert_eq!(Settings::resolve(&args).unwrap().jobs, 1);
    }

    #[test]
    fn disabled_rules_are_left_out() {
        let cfg: PipelineConfig =
            config::parse("[boilerplate]\ndisable = [\"link-only\"]\n", Path::new("p")).unwrap();
        let s = Settings::from_config(&cfg, Path::new("."));
        assert!(s.boilerplate.rules.iter().all(|r| r.id != "link-only"));
        assert!(s.boilerplate.rules.iter().any(|r| r.id == "skip-link"));
    }
}
