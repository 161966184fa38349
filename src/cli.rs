//! Command-line flags (clap derive), part of the binary: clap lives only here and in `main`.
//! Each command turns its flags into a plain [`Overrides`] that `settings` merges over the
//! config file, and the flag enums below into the library's own.

use clap::{Args, Parser, Subcommand, ValueEnum};
use newsprep::check::report;
use newsprep::output::DocumentFiles;
use newsprep::run::stream::StreamFormat;
use newsprep::settings::Overrides;
use std::path::PathBuf;

/// Turn raw scraped articles into a clean, deduplicated corpus with provenance.
#[derive(Debug, Parser)]
#[command(name = "newsprep", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Clean the input folder into the output folder (raw/ -> cleaned/ by default).
    ///
    /// Exit codes: 0 every file was processed; 1 the run finished but some files had errors
    /// (see the `error` rows of manifest.csv); 2 the run could not start or could not write.
    Run(RunArgs),
    /// Show how one file is cleaned: each paragraph with its decision, the classifier's score
    /// and the signals or rule that decided.
    Explain(ExplainArgs),
    /// List the site boilerplate learned so far (kept in OUTPUT/.newsprep/sites.json).
    Sites(SitesArgs),
    /// Check the data against the gates of [check] in pipeline.toml, without writing the
    /// output: the input is cleaned into a scratch folder and compared with the output folder.
    ///
    /// Exit codes: 0 every gate passed (warnings allowed); 1 a gate at level "error" failed;
    /// 2 the check could not run.
    Check(CheckArgs),
    /// Clean a stream: JSONL records (or one text article) from stdin (`-`) or a file, cleaned
    /// records (corpus.jsonl lines) to stdout, for pipes: `zstdcat crawl.jsonl.zst | newsprep
    /// clean - | jq .title`. Bad records are reported on stderr and the stream goes on.
    ///
    /// Exit codes: 0 every record was read (or the reader of stdout stopped early); 1 some
    /// records could not be read; 2 the stream could not be cleaned at all.
    Clean(CleanArgs),
    /// One phase of a sharded run over a JSONL feed, for an engine (Ray, Spark) that runs the
    /// phases on many processes: they exchange Parquet tables in the work folder, and the
    /// shards' output files, concatenated in shard order, are what `newsprep run` writes for
    /// the feed. `all` runs every phase here, one after another. Prints what the phase did as
    /// JSON. See "Running on a cluster" in the README.
    Shard(ShardArgs),
}

/// Flags of `newsprep shard`.
#[derive(Debug, Clone, Args)]
pub struct ShardArgs {
    /// The phase: sites, learn, prints, [bands, pairs,] decide, apply (per shard, per partition
    /// or global, in this order), or all.
    #[arg(value_enum)]
    pub phase: Phase,
    /// The JSONL feed (`.gz` and `.zst` are decompressed).
    #[arg(long, value_name = "FILE")]
    pub feed: Option<PathBuf>,
    /// Folder for the tables the phases exchange.
    #[arg(long, value_name = "DIR")]
    pub work: PathBuf,
    /// Which shard, from 0 (the per-shard phases), or which partition (`pairs`).
    #[arg(long, value_name = "I")]
    pub shard: Option<u32>,
    /// Decide from candidate pairs grouped by band key in this many partitions (`bands`,
    /// `pairs`, `decide`, `all`) instead of one index of every fingerprint.
    #[arg(long, value_name = "P")]
    pub partitions: Option<u32>,
    /// How many shards.
    #[arg(long, value_name = "N")]
    pub shards: u32,
    /// Where `apply` writes the shard's corpus, manifest and duplicates files.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Pipeline config (as for `run`; [input] path and [output] are not used).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads; 0 = one per core (overrides run.jobs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// The phases of `newsprep shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    /// Per shard: count short lines for site learning.
    Sites,
    /// Global: learn the site lines from every shard's counts.
    Learn,
    /// Per shard: clean and fingerprint; write the prints.
    Prints,
    /// Per shard: each compared text under its band keys, into one file per partition.
    Bands,
    /// Per partition (`--shard P`): group the band rows by key and verify the pairs in each group.
    Pairs,
    /// Global: dedup over every shard's prints, in order; write each shard's decisions.
    Decide,
    /// Per shard: clean, apply the decisions, write the shard's output.
    Apply,
    /// Every phase, every shard, in this process.
    All,
}

impl ShardArgs {
    /// The flags as overrides of the config file.
    pub fn overrides(&self) -> Overrides {
        Overrides { config: self.config.clone(), jobs: self.jobs, quiet: true, ..Default::default() }
    }
}

/// Flags of `newsprep clean`.
#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// `-` for stdin, or a file (`.gz` and `.zst` are decompressed).
    pub input: PathBuf,
    /// Pipeline config (as for `run`; [input] path and [output] are not used).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads; 0 = one per core (overrides run.jobs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// What the input holds: `auto` (JSONL if it starts with `{`, else one text article).
    #[arg(long = "input-format", value_enum, default_value_t = InputFormat::Auto)]
    pub format: InputFormat,
    /// No summary on stderr; bad records are still reported.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Deduplicate each record against at least the N documents kept before it (at most 2N),
    /// so memory stays bounded on an endless stream; 0 = against every earlier record.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub dedup_window: usize,
}

/// Flags of `newsprep check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Pipeline config (as for `run`).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder or single file to check (overrides input.path).
    #[arg(long, short = 'i', value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// The corpus folder to compare with (overrides output.path); it is not written.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Worker threads; 0 = one per core (overrides run.jobs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Report format, on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Flags of `newsprep sites`.
#[derive(Debug, Clone, Args)]
pub struct SitesArgs {
    /// The corpus folder (default: output.path of ./pipeline.toml, else `cleaned`).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Pipeline config (as for `run`).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Show at most this many lines per site (0 = all).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// Flags of `newsprep explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The raw file to explain (a JSONL feed, also .gz or .zst: pick a record with --id or --line).
    pub file: PathBuf,
    /// Pipeline config (as for `run`).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A corpus folder whose site knowledge to use, so explain shows what `run` decided
    /// (overrides output.path).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// In a feed: the record with this document id.
    #[arg(long, value_name = "ID", conflicts_with = "line")]
    pub id: Option<String>,
    /// In a feed: the record on this line (from 1).
    #[arg(long, value_name = "N")]
    pub line: Option<u64>,
}

/// Flags of `newsprep run`.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// Pipeline config. Without this flag ./pipeline.toml is used if it exists, else built-in
    /// defaults.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder or single file to read (overrides input.path).
    #[arg(long, short = 'i', value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Folder to write the corpus to (overrides output.path).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Worker threads; 0 = one per core (overrides run.jobs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar and no summary; errors are still printed.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Clean every raw file again, ignoring what earlier runs left in OUTPUT/.newsprep/
    /// (by default only new and changed files are cleaned, against the corpus so far).
    #[arg(long)]
    pub full: bool,
    /// Remove the output of raw files that are gone since the last run (by default it stays,
    /// and the summary lists them).
    #[arg(long)]
    pub prune: bool,
    /// Per-document files beside corpus.jsonl (overrides output.documents): `txt` (the body),
    /// `md` (front matter, then the body), `json` (the corpus record) or `none`.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Files>,
}

impl ExplainArgs {
    /// The flags as overrides of the config file (the corpus folder names its site knowledge).
    pub fn overrides(&self) -> Overrides {
        corpus_overrides(&self.config, &self.output)
    }
}

impl SitesArgs {
    /// The flags as overrides of the config file.
    pub fn overrides(&self) -> Overrides {
        corpus_overrides(&self.config, &self.output)
    }
}

/// A command that reads a corpus and writes nothing: its config file and corpus folder.
fn corpus_overrides(config: &Option<PathBuf>, output: &Option<PathBuf>) -> Overrides {
    Overrides { config: config.clone(), output: output.clone(), quiet: true, ..Default::default() }
}

impl CheckArgs {
    /// The flags as overrides of the config file.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            input: self.input.clone(),
            output: self.output.clone(),
            jobs: self.jobs,
            ..Default::default()
        }
    }
}

impl CleanArgs {
    /// The flags as overrides of the config file (`[input]` path and `[output]` are not used).
    pub fn overrides(&self) -> Overrides {
        Overrides { config: self.config.clone(), jobs: self.jobs, quiet: true, ..Default::default() }
    }
}

impl RunArgs {
    /// The flags as overrides of the config file.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            input: self.input.clone(),
            output: self.output.clone(),
            jobs: self.jobs,
            quiet: self.quiet,
            full: self.full,
            prune: self.prune,
            documents: self.format.map(DocumentFiles::from),
        }
    }
}

/// Values of `run --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Files {
    /// `<id>.txt` with the cleaned body.
    Txt,
    /// `<id>.md`: YAML front matter (id, title, author, published, site, source, ...), then
    /// the cleaned body, for static-site and notes tools.
    Md,
    /// `<id>.json`: the document's corpus.jsonl record, pretty-printed.
    Json,
    /// Nothing: corpus.jsonl holds every body. Creating one file per document is most of a
    /// run's time on a large JSONL feed.
    None,
}

impl From<Files> for DocumentFiles {
    fn from(f: Files) -> Self {
        match f {
            Files::Txt => DocumentFiles::Txt,
            Files::Md => DocumentFiles::Md,
            Files::Json => DocumentFiles::Json,
            Files::None => DocumentFiles::None,
        }
    }
}

/// Values of `clean --input-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// JSONL when its first non-blank byte is `{`; one HTML page when it is named `.html` or
    /// opens with a doctype or `<html>`; else one text article.
    Auto,
    /// One JSON record per line.
    Jsonl,
    /// The whole stream is one article.
    Text,
    /// The whole stream is one HTML page.
    Html,
}

impl From<InputFormat> for StreamFormat {
    fn from(f: InputFormat) -> Self {
        match f {
            InputFormat::Auto => StreamFormat::Auto,
            InputFormat::Jsonl => StreamFormat::Jsonl,
            InputFormat::Text => StreamFormat::Text,
            InputFormat::Html => StreamFormat::Html,
        }
    }
}

/// Values of `check --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable text.
    Text,
    /// One JSON object.
    Json,
    /// JUnit XML: one test case per gate.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...::message`), then the text summary.
    Github,
}

impl From<ReportFormat> for report::Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Text => report::Format::Text,
            ReportFormat::Json => report::Format::Json,
            ReportFormat::Junit => report::Format::Junit,
            ReportFormat::Github => report::Format::Github,
        }
    }
}
