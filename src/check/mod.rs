//! `newsprep check`: the pipeline as a data-quality gate. The input is cleaned into a scratch
//! folder (the output folder is only read), then the gates of `[check]` judge what came out and
//! how it compares with the output folder. [`report`] renders the result.

pub mod report;

use crate::config::{DuplicatesScope, Level};
use crate::error::RunError;
use crate::input::ReadSettings;
use crate::input::{self, Input};
use crate::model::{Document, DropReason, Entry, Outcome, Removal};
use crate::progress::Reporter;
use crate::run;
use crate::settings::Settings;
use crate::stages::boilerplate::BoilerplateSettings;
use crate::stages::boilerplate::RuleSet;
use crate::stages::boilerplate::sites::{self, SiteKnowledge};
use crate::stages::dedup::DocumentAction;
use crate::state;
use crate::stats::DocCounts;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufRead, Read};
use std::path::Path;

/// The gates, in the order they are checked and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gate {
    /// A raw file or JSONL line that cannot be read or decoded.
    Unreadable,
    /// A document whose body is empty once cleaned.
    Empty,
    /// A near-duplicate document.
    Duplicates,
    /// The output folder is not what a run would write now.
    OutOfDate,
    /// Too many kept documents without a title or date.
    MissingMetadata,
    /// A kept document that was mostly boilerplate.
    BoilerplateShare,
    /// A kept paragraph that matches a boilerplate rule or a learned site line.
    ResidualBoilerplate,
    /// A kept document that kept under half of its prose: a possibly wrecked article.
    Thin,
}

impl Gate {
    /// Its name: the key of its level in `[check]`.
    pub fn name(self) -> &'static str {
        match self {
            Gate::Unreadable => "unreadable",
            Gate::Empty => "empty",
            Gate::Duplicates => "duplicates",
            Gate::OutOfDate => "out-of-date",
            Gate::MissingMetadata => "missing-metadata",
            Gate::BoilerplateShare => "boilerplate-share",
            Gate::ResidualBoilerplate => "residual-boilerplate",
            Gate::Thin => "thin",
        }
    }
}

/// How a gate came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing found.
    Pass,
    /// Something found (it fails the check when the gate's level is `error`).
    Fail,
    /// The gate's level is `off`.
    Off,
}

/// How an output file differs from what a run would write now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// A run would write it; the output folder does not have it.
    Added,
    /// A run would write other bytes.
    Changed,
    /// The output folder has it; a run from the current input would not write it.
    Removed,
}

/// One thing a gate found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The file it is about (a raw file, or an output file for `out-of-date`), as a path from
    /// the working folder when it is under it.
    pub file: Option<String>,
    /// Line in that file, from 1.
    pub line: Option<u64>,
    /// The document it is about.
    pub id: Option<String>,
    /// One sentence.
    pub message: String,
    /// `duplicates`: the document it repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// `duplicates`: Hamming distance of the two body fingerprints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// `out-of-date`: how the file differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// `residual-boilerplate`: the rule id it matches (`site` for a learned site line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `boilerplate-share`: the share of the document's text removed as boilerplate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
}

impl Finding {
    fn new(file: Option<String>, line: Option<u64>, id: Option<&str>, message: String) -> Finding {
        Finding {
            file,
            line,
            id: id.map(str::to_string),
            message,
            duplicate_of: None,
            distance: None,
            change: None,
            rule: None,
            share: None,
        }
    }
}

/// One gate's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// Which gate.
    pub gate: Gate,
    /// Its level in `[check]`.
    pub level: Level,
    /// How it came out.
    pub status: Status,
    /// One line on what was measured.
    pub summary: String,
    /// What it found, in input order.
    pub findings: Vec<Finding>,
}

impl GateResult {
    /// Does this gate fail the check?
    pub fn fails(&self) -> bool {
        self.status == Status::Fail && self.level == Level::Error
    }

    fn new(gate: Gate, level: Level, summary: String, findings: Vec<Finding>, failed: bool) -> Self {
        let status = match (level, failed) {
            (Level::Off, _) => Status::Off,
            (_, true) => Status::Fail,
            (_, false) => Status::Pass,
        };
        let findings = if status == Status::Fail { findings } else { Vec::new() };
        GateResult { gate, level, status, summary, findings }
    }
}

/// What `newsprep check` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The input checked.
    pub input: String,
    /// The output folder compared with.
    pub output: String,
    /// Where the configuration came from.
    pub config: String,
    /// The documents of the input, by what a run does with them.
    pub documents: DocCounts,
    /// Every gate, in order (an `off` gate too).
    pub gates: Vec<GateResult>,
}

impl Report {
    /// No gate at level `error` failed.
    pub fn passed(&self) -> bool {
        !self.gates.iter().any(GateResult::fails)
    }
}

/// Run the check: clean the input into a scratch folder, as a rebuild taking the raw files in
/// the output's order (new files last), and judge it.
pub fn check(settings: &Settings, reporter: &dyn Reporter) -> Result<Report, RunError> {
    let before = Manifest::read(&settings.output, false)?;
    let mut found = input::discover(&settings.input, &settings.read)?;
    // The files the output lists first, in its order; the others after, in path order.
    let rank: HashMap<&str, usize> = before.order.iter().enumerate().map(|(i, r)| (r.as_str(), i)).collect();
    found.sort_by_key(|i| rank.get(i.rel.as_str()).copied().unwrap_or(usize::MAX));
    let inputs: HashMap<String, Input> = found.iter().map(|i| (i.rel.clone(), i.clone())).collect();
    let scratch = tempfile::Builder::new()
        .prefix("newsprep-check-")
        .tempdir()
        .map_err(|source| RunError::Output { path: std::env::temp_dir(), source })?;
    let mut s = settings.clone();
    s.output = scratch.path().join("out");
    s.full = true;
    s.prune = false;
    let probe = Probe::new(&settings.boilerplate, settings.check.residual_boilerplate);
    let mut facts: Vec<DocFacts> = Vec::new();
    let mut unreadable = Vec::new();
    let mut empty = Vec::new();
    let stats = run::run_found(&s, reporter, found, &mut |e| match e {
        Entry::Failed { id, source, error } => {
            unreadable.push((source.path.clone(), source.line, id.0.clone(), error.to_string()));
        }
        Entry::Done(Outcome::Drop(d, DropReason::Empty { detail })) => {
            empty.push((d.source.path.clone(), d.source.line, d.id.0.clone(), detail.clone()));
        }
        Entry::Done(Outcome::Keep(d) | Outcome::Drop(d, DropReason::Duplicate { .. })) => {
            facts.push(probe.facts(d));
        }
        Entry::Skipped { .. } => {}
    })?;
    // Site lines are judged against everything the run learned: a line learned at a later
    // file is residual in the earlier documents that keep it.
    if settings.boilerplate.sites.enabled && settings.check.residual_boilerplate != Level::Off {
        let knowledge = SiteKnowledge::load(&s.output)?;
        for f in &mut facts {
            f.settle_site_lines(&knowledge);
        }
    }
    let after = Manifest::read(&s.output, true)?;
    let c = &settings.check;
    let place = Places { inputs: &inputs, input: &settings.input, read: &settings.read };
    let mut gates = Vec::with_capacity(7);

    let findings: Vec<Finding> = unreadable
        .into_iter()
        .map(|(rel, line, id, message)| Finding::new(Some(place.file(&rel)), line, Some(&id), message))
        .collect();
    let summary = format!("raw files or lines that could not be read or decoded: {}", findings.len());
    let failed = !findings.is_empty();
    gates.push(GateResult::new(Gate::Unreadable, c.unreadable, summary, findings, failed));

    let findings: Vec<Finding> = empty
        .into_iter()
        .map(|(rel, line, id, detail)| {
            Finding::new(Some(place.file(&rel)), line, Some(&id), format!("empty once cleaned: {detail}"))
        })
        .collect();
    let summary = format!("documents empty once cleaned: {}", findings.len());
    let failed = !findings.is_empty();
    gates.push(GateResult::new(Gate::Empty, c.empty, summary, findings, failed));

    gates.push(duplicates(&before, &after, c.duplicates, c.duplicates_scope, &place));
    gates.push(out_of_date(&settings.output, &s.output, c.out_of_date)?);

    // The documents in the corpus: kept ones, and flagged duplicates.
    let in_corpus: HashSet<&str> = after
        .rows
        .iter()
        .filter(|r| {
            r.status == "kept"
                || (r.status == "duplicate" && settings.dedup.document_action == DocumentAction::Flag)
        })
        .map(|r| r.id.as_str())
        .collect();
    facts.retain(|f| in_corpus.contains(f.id.as_str()));
    gates.push(missing_metadata(&facts, settings, &place));
    gates.push(boilerplate_share(&facts, c.boilerplate_share, c.max_boilerplate_share.0, &place));
    gates.push(residual(&facts, c.residual_boilerplate, &place));
    gates.push(thin(&facts, c.thin, &place));

    Ok(Report {
        input: shown(&settings.input),
        output: shown(&settings.output),
        config: settings.config.to_string(),
        documents: stats.documents,
        gates,
    })
}

/// `n thing` or `n things`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A share as a percentage with at most one decimal.
fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 { format!("{p:.0}%") } else { format!("{p:.1}%") }
}

/// Where raw files are, for findings.
struct Places<'a> {
    inputs: &'a HashMap<String, Input>,
    input: &'a Path,
    read: &'a ReadSettings,
}

impl Places<'_> {
    /// The raw file `rel` as the user would name it.
    fn file(&self, rel: &str) -> String {
        match self.inputs.get(rel) {
            Some(i) => shown(&i.path),
            None => shown(&self.input.join(rel)),
        }
    }
}

/// A path as a finding shows it: relative to the working folder when under it, `/`-separated.
fn shown(p: &Path) -> String {
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf());
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

// ---------------------------------------------------------------------------------------------
// manifest.csv, as the gates read it.

/// The rows of an output's `manifest.csv`.
#[derive(Debug, Default)]
struct Manifest {
    rows: Vec<Row>,
    /// Raw files in the order of their first row.
    order: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Row {
    id: String,
    source: String,
    line: Option<u64>,
    status: String,
    duplicate_of: String,
    distance: Option<u32>,
    message: String,
}

impl Manifest {
    /// The manifest of the output folder `dir`; none when it has none, unless `required`.
    fn read(dir: &Path, required: bool) -> Result<Manifest, RunError> {
        let path = dir.join("manifest.csv");
        let bad = |message: String| RunError::State { path: path.clone(), message };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(Manifest::default()),
            Err(e) => return Err(bad(e.to_string())),
        };
        let mut rows = Vec::new();
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        for row in csv::Reader::from_reader(std::io::BufReader::new(file)).deserialize::<Row>() {
            let row = row.map_err(|e| bad(e.to_string()))?;
            if seen.insert(row.source.clone()) {
                order.push(row.source.clone());
            }
            rows.push(row);
        }
        Ok(Manifest { rows, order })
    }
}

fn duplicates(
    before: &Manifest,
    after: &Manifest,
    level: Level,
    scope: DuplicatesScope,
    place: &Places,
) -> GateResult {
    let known: HashSet<&str> = before.order.iter().map(String::as_str).collect();
    let source_of: HashMap<&str, &str> =
        after.rows.iter().map(|r| (r.id.as_str(), r.source.as_str())).collect();
    let mut findings = Vec::new();
    for r in after.rows.iter().filter(|r| r.status == "duplicate") {
        let of_source = source_of.get(r.duplicate_of.as_str()).copied().unwrap_or("");
        let (new, of_new) = (!known.contains(r.source.as_str()), !known.contains(of_source));
        if scope == DuplicatesScope::New && !new && !of_new {
            continue;
        }
        let whose = match (new, of_new) {
            (true, false) => format!("; {} is in the corpus already", r.duplicate_of),
            _ => String::new(),
        };
        let mut f = Finding::new(
            Some(place.file(&r.source)),
            r.line,
            Some(&r.id),
            format!("{}: {}{whose}", r.id, r.message),
        );
        f.duplicate_of = Some(r.duplicate_of.clone());
        f.distance = r.distance;
        findings.push(f);
    }
    let summary = match scope {
        DuplicatesScope::New => format!("near-duplicates involving new raw files: {}", findings.len()),
        DuplicatesScope::All => format!("near-duplicate documents: {}", findings.len()),
    };
    let failed = !findings.is_empty();
    GateResult::new(Gate::Duplicates, level, summary, findings, failed)
}

// ---------------------------------------------------------------------------------------------
// out-of-date: the output folder against the scratch rebuild.

/// Output files that are machine-local (state, index, lock, journal) and not compared.
fn compared(rel: &str) -> bool {
    let local = [state::FILE, state::INDEX_FILE];
    if local.contains(&rel) {
        return false;
    }
    if let Some(inner) = rel.strip_prefix(".newsprep/") {
        return inner == sites::FILE.trim_start_matches(".newsprep/");
    }
    // Hidden files (.gitignore, .gitkeep, temp files) are not newsprep's output.
    !rel.split('/').any(|part| part.starts_with('.'))
}

/// The compared files under `dir`, relative, `/`-separated.
fn output_files(dir: &Path) -> Result<BTreeSet<String>, RunError> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&entry.path(), &rel, out)?;
            } else if compared(&rel) {
                out.insert(rel);
            }
        }
        Ok(())
    }
    let mut out = BTreeSet::new();
    match walk(dir, "", &mut out) {
        Ok(()) => Ok(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(out),
        Err(source) => Err(RunError::Input { path: dir.to_path_buf(), source }),
    }
}

/// Where two files first differ: `Some(line)` (from 1) when they differ, `None` when equal.
fn first_difference(a: &Path, b: &Path) -> std::io::Result<Option<u64>> {
    let (fa, fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() == fb.metadata()?.len() {
        let (mut ra, mut rb) = (std::io::BufReader::new(&fa), std::io::BufReader::new(&fb));
        let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
        let mut same = true;
        loop {
            let n = ra.read(&mut ba)?;
            if n == 0 {
                break;
            }
            rb.read_exact(&mut bb[..n])?;
            if ba[..n] != bb[..n] {
                same = false;
                break;
            }
        }
        if same {
            return Ok(None);
        }
    }
    let (ra, rb) =
        (std::io::BufReader::new(std::fs::File::open(a)?), std::io::BufReader::new(std::fs::File::open(b)?));
    let (mut la, mut lb) = (ra.split(b'\n'), rb.split(b'\n'));
    let mut line = 1;
    loop {
        match (la.next().transpose()?, lb.next().transpose()?) {
            (Some(x), Some(y)) if x == y => line += 1,
            _ => return Ok(Some(line)),
        }
    }
}

fn out_of_date(output: &Path, rebuilt: &Path, level: Level) -> Result<GateResult, RunError> {
    if level == Level::Off {
        return Ok(GateResult::new(Gate::OutOfDate, level, "not checked".into(), Vec::new(), false));
    }
    let have = output_files(output)?;
    let want = output_files(rebuilt)?;
    let mut findings = Vec::new();
    let mut counts = [0usize; 3];
    for rel in have.union(&want) {
        let (change, line, message) = match (have.contains(rel), want.contains(rel)) {
            (false, _) => (Change::Added, None, "missing: a run would write it".to_string()),
            (true, false) => (
                Change::Removed,
                None,
                "a run from the current input would not write it (a raw file is gone? `newsprep run --prune` removes its output)"
                    .to_string(),
            ),
            (true, true) => {
                let (ours, theirs) = (output.join(rel), rebuilt.join(rel));
                match first_difference(&ours, &theirs) {
                    Ok(None) => continue,
                    Ok(Some(line)) => (
                        Change::Changed,
                        Some(line),
                        format!("differs from what a run would write, from line {line}"),
                    ),
                    Err(source) => return Err(RunError::Input { path: ours, source }),
                }
            }
        };
        counts[change as usize] += 1;
        let mut f = Finding::new(Some(shown(&output.join(rel))), line, None, message);
        f.change = Some(change);
        findings.push(f);
    }
    let summary = if findings.is_empty() {
        format!("{} is what a run would write ({} files compared)", shown(output), want.len())
    } else {
        format!(
            "a run would change {} in {} ({} to add, {} changed, {} to remove); `newsprep run` updates it",
            count(findings.len(), "file", "files"),
            shown(output),
            counts[0],
            counts[1],
            counts[2]
        )
    };
    let failed = !findings.is_empty();
    Ok(GateResult::new(Gate::OutOfDate, level, summary, findings, failed))
}

// ---------------------------------------------------------------------------------------------
// The per-document gates: facts gathered as the rebuild streams by.

/// What the per-document gates need of one document.
#[derive(Debug)]
struct DocFacts {
    id: String,
    rel: String,
    line: Option<u64>,
    title: bool,
    date: bool,
    /// Bytes of paragraph text removed as boilerplate, and of all paragraph text.
    boilerplate: usize,
    total: usize,
    residual: Vec<Residual>,
    /// Kept short paragraphs no rule matches, to look up in the site knowledge once the run
    /// has learned all of it: (site, first byte, text).
    site_lines: Vec<(String, usize, String)>,
    /// The boilerplate stage kept under half of its prose.
    thin: bool,
}

impl DocFacts {
    /// Add the learned site lines among [`site_lines`](Self::site_lines) to the residual, in
    /// paragraph order.
    fn settle_site_lines(&mut self, knowledge: &SiteKnowledge) {
        for (site, start, text) in std::mem::take(&mut self.site_lines) {
            if let Some(l) = knowledge.lookup(&site, &text, u32::MAX) {
                self.residual.push(Residual {
                    start,
                    rule: "site".to_string(),
                    what: format!("a line learned as boilerplate of site `{}`", l.site),
                    excerpt: excerpt(&text),
                });
            }
        }
        self.residual.sort_by_key(|r| r.start);
    }
}

/// A kept paragraph that boilerplate matches.
#[derive(Debug)]
struct Residual {
    /// Its first byte in the raw file.
    start: usize,
    /// The rule id, or `site`.
    rule: String,
    /// What it is.
    what: String,
    /// Its first words.
    excerpt: String,
}

/// The boilerplate rules with their zones lifted, to find rule matches among kept paragraphs.
struct Probe {
    /// None when the residual gate is off: then no kept paragraph is matched.
    rules: Option<RuleSet>,
    site_max_words: usize,
}

impl Probe {
    fn new(b: &BoilerplateSettings, residual: Level) -> Probe {
        let mut everywhere = b.clone();
        everywhere.head_share = 1.0;
        everywhere.tail_share = 1.0;
        let rules = (residual != Level::Off).then(|| RuleSet::new(&everywhere));
        Probe { rules, site_max_words: b.sites.max_words }
    }

    fn facts(&self, d: &Document) -> DocFacts {
        let total_paragraphs = d.paragraphs.len();
        let site = sites::site_of_source(&d.source);
        let (mut boilerplate, mut total) = (0, 0);
        let (mut residual, mut site_lines) = (Vec::new(), Vec::new());
        for (i, p) in d.paragraphs.iter().enumerate() {
            total += p.text.len();
            match &p.removal {
                Some(
                    Removal::Boilerplate { .. }
                    | Removal::AfterTail { .. }
                    | Removal::Classifier { .. }
                    | Removal::Dom { .. }
                    | Removal::Site { .. },
                ) => boilerplate += p.text.len(),
                Some(_) => {}
                None => {
                    let Some(rules) = &self.rules else { continue };
                    match rules.first_match(p, i, total_paragraphs) {
                        Some(r) => residual.push(Residual {
                            start: p.span.start,
                            rule: r.id.clone(),
                            what: format!("boilerplate rule `{}` ({})", r.id, r.category.as_str()),
                            excerpt: excerpt(&p.text),
                        }),
                        None if p.features.words <= self.site_max_words => {
                            site_lines.push((site.to_string(), p.span.start, p.text.clone()));
                        }
                        None => {}
                    }
                }
            }
        }
        DocFacts {
            id: d.id.0.clone(),
            rel: d.source.path.clone(),
            line: d.source.line,
            title: d.meta.title.is_some(),
            date: d.meta.published.is_some(),
            boilerplate,
            total,
            residual,
            site_lines,
            thin: d.thin,
        }
    }
}

/// The first 60 characters of a paragraph, for a message.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

fn missing_metadata(facts: &[DocFacts], settings: &Settings, place: &Places) -> GateResult {
    let c = &settings.check;
    let n = facts.len();
    let no_title = facts.iter().filter(|f| !f.title).count();
    let no_date = facts.iter().filter(|f| !f.date).count();
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let title_over = share(no_title) > f64::from(c.max_missing_title.0);
    let date_over = share(no_date) > f64::from(c.max_missing_date.0);
    let summary = format!(
        "of {}, {} no title ({}, limit {}) and {} no published date ({}, limit {})",
        count(n, "kept document", "kept documents"),
        no_title,
        percent(share(no_title)),
        percent(f64::from(c.max_missing_title.0)),
        no_date,
        percent(share(no_date)),
        percent(f64::from(c.max_missing_date.0)),
    );
    let findings = facts
        .iter()
        .filter_map(|f| {
            let missing = match (title_over && !f.title, date_over && !f.date) {
                (true, true) => "no title and no published date",
                (true, false) => "no title",
                (false, true) => "no published date",
                (false, false) => return None,
            };
            Some(Finding::new(Some(place.file(&f.rel)), f.line, Some(&f.id), format!("{}: {missing}", f.id)))
        })
        .collect();
    GateResult::new(Gate::MissingMetadata, c.missing_metadata, summary, findings, title_over || date_over)
}

fn boilerplate_share(facts: &[DocFacts], level: Level, max: f32, place: &Places) -> GateResult {
    let mut findings = Vec::new();
    for f in facts {
        let share = if f.total == 0 { 0.0 } else { f.boilerplate as f64 / f.total as f64 };
        if share > f64::from(max) {
            let message = format!(
                "{}: {} of its text was removed as boilerplate (limit {})",
                f.id,
                percent(share),
                percent(f64::from(max))
            );
            let mut finding = Finding::new(Some(place.file(&f.rel)), f.line, Some(&f.id), message);
            finding.share = Some((share * 1000.0).round() / 1000.0);
            findings.push(finding);
        }
    }
    let summary = format!(
        "{} of {} lost more than {} of their text to boilerplate",
        findings.len(),
        count(facts.len(), "kept document", "kept documents"),
        percent(f64::from(max))
    );
    let failed = !findings.is_empty();
    GateResult::new(Gate::BoilerplateShare, level, summary, findings, failed)
}

fn thin(facts: &[DocFacts], level: Level, place: &Places) -> GateResult {
    let findings: Vec<Finding> = facts
        .iter()
        .filter(|f| f.thin)
        .map(|f| {
            let message = format!(
                "{}: kept under half of the words of its sentence-like paragraphs; the article may be cut (see `newsprep explain`)",
                f.id
            );
            Finding::new(Some(place.file(&f.rel)), f.line, Some(&f.id), message)
        })
        .collect();
    let summary = format!(
        "{} of {} kept under half of their prose",
        findings.len(),
        count(facts.len(), "kept document", "kept documents")
    );
    let failed = !findings.is_empty();
    GateResult::new(Gate::Thin, level, summary, findings, failed)
}

fn residual(facts: &[DocFacts], level: Level, place: &Places) -> GateResult {
    let mut findings = Vec::new();
    let mut lines = LineFinder::default();
    let docs = facts.iter().filter(|f| !f.residual.is_empty()).count();
    for f in facts {
        for r in &f.residual {
            // A JSONL record is one line; an article's paragraph is found in its raw file.
            let line = f.line.or_else(|| lines.line(place, &f.rel, r.start));
            let message = format!("{}: kept paragraph \"{}\" matches {}", f.id, r.excerpt, r.what);
            let mut finding = Finding::new(Some(place.file(&f.rel)), line, Some(&f.id), message);
            finding.rule = Some(r.rule.clone());
            findings.push(finding);
        }
    }
    let summary = format!(
        "kept paragraphs matching boilerplate: {} (in {})",
        findings.len(),
        count(docs, "document", "documents")
    );
    let failed = !findings.is_empty();
    GateResult::new(Gate::ResidualBoilerplate, level, summary, findings, failed)
}

/// Line numbers of byte offsets in raw files, each file decoded once.
#[derive(Default)]
struct LineFinder {
    /// Per raw file: the offsets of its line starts, as spans count them.
    starts: BTreeMap<String, Option<Vec<usize>>>,
}

impl LineFinder {
    fn line(&mut self, place: &Places, rel: &str, offset: usize) -> Option<u64> {
        let starts = self.starts.entry(rel.to_string()).or_insert_with(|| {
            let input = place.inputs.get(rel)?;
            let doc = input::read(input, place.read).ok()?;
            let mut v = vec![0];
            v.extend(memchr::memchr_iter(b'\n', doc.raw.as_bytes()).map(|i| doc.origin.raw(i + 1)));
            Some(v)
        });
        let starts = starts.as_ref()?;
        Some(starts.partition_point(|&s| s <= offset) as u64)
    }
}
