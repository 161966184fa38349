//! Settings: the command line merged over `pipeline.toml`, resolved once, with no `Option`s left.
//!
//! Only this module knows which source a value came from. Stages are built from these sections.

use crate::config::{self, ClassifierConfig, FieldsConfig, PipelineConfig, RuleConfig};
use crate::error::ConfigError;
use crate::input::{ReadSettings, RecordFieldNames};
use crate::output::DocumentFiles;
use crate::stages::boilerplate::{BoilerplateSettings, ClassifierSettings, Rule, SitesSettings};
use crate::stages::dedup::DedupSettings;
use crate::stages::metadata::MetadataSettings;
use crate::stages::normalize::NormalizeSettings;
use std::path::{Path, PathBuf};

/// What a command changes over the config file (its flags, as plain values: the command line
/// layer fills this in, so the library never sees clap).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The config file; without one ./pipeline.toml is used if it exists, else the defaults.
    pub config: Option<PathBuf>,
    /// Folder or file to read (over `input.path`).
    pub input: Option<PathBuf>,
    /// Folder to write to (over `output.path`).
    pub output: Option<PathBuf>,
    /// Worker threads, 0 for one per core (over `run.jobs`).
    pub jobs: Option<usize>,
    /// No progress bar and no summary.
    pub quiet: bool,
    /// Clean every file again, ignoring the corpus state.
    pub full: bool,
    /// Remove the output of raw files that are gone.
    pub prune: bool,
    /// Per-document files (over `output.documents`).
    pub documents: Option<DocumentFiles>,
}

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

impl Settings {
    /// Resolve a command's overrides over the config file they name (or ./pipeline.toml, or
    /// the defaults). Relative paths in the file are relative to the file's folder.
    pub fn resolve(args: &Overrides) -> Result<Settings, ConfigError> {
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
        if let Some(f) = args.documents {
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
            crate::output::SCHEMA_VERSION,
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
                fields: field_names(&cfg.input.fields),
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
                classifier: classifier(&cfg.boilerplate.classifier),
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

/// `[input.fields]` as the reader's field names.
fn field_names(f: &FieldsConfig) -> RecordFieldNames {
    RecordFieldNames {
        id: f.id.0.clone(),
        text: f.text.0.clone(),
        title: f.title.0.clone(),
        url: f.url.0.clone(),
        site: f.site.0.clone(),
        date: f.date.0.clone(),
        author: f.author.0.clone(),
        html: f.html.0.clone(),
    }
}

/// `[boilerplate.classifier]`: the preset's thresholds, with any written threshold over them.
fn classifier(c: &ClassifierConfig) -> ClassifierSettings {
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
    fn default_field_names_are_the_readers_defaults() {
        assert_eq!(field_names(&FieldsConfig::default()), RecordFieldNames::default());
    }

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
        let args = Overrides { config: Some(path), output: Some("elsewhere".into()), ..Default::default() };
        let s = Settings::resolve(&args).unwrap();
        assert_eq!(s.input, dir.path().join("in"));
        assert_eq!(s.output, PathBuf::from("elsewhere"));
        assert_eq!(s.jobs, 3);
        assert_eq!(s.boilerplate.rules[0].id, "mine");
        let args = Overrides { config: Some(dir.path().join("p.toml")), jobs: Some(1), ..Default::default() };
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
