//! `newsprep explain FILE`: one article through the per-document stages, printed paragraph by
//! paragraph with the decision, the classifier's score and the signals or rule that decided.
//! The same reasons go to `removed` in corpus.jsonl; this only adds the kept paragraphs' scores
//! and each signal's contribution.

use crate::error::RunError;
use crate::input::{self, InputKind};
use crate::model::{Outcome, Removal};
use crate::run::{Chain, Explained};
use crate::settings::Settings;
use crate::stages::boilerplate::context::Model;
use crate::stages::boilerplate::sites::SiteKnowledge;
use std::io::Write;
use std::path::Path;

/// Which record of a feed to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The record with this document id.
    Id(String),
    /// The record on this line, from 1.
    Line(u64),
}

/// Explain one file (one record of a feed, by `pick`) under `settings`, writing the report to
/// `out`.
pub fn explain(
    settings: &Settings,
    file: &Path,
    pick: Option<&Pick>,
    out: &mut dyn Write,
) -> Result<(), RunError> {
    let io = |source| RunError::Output { path: "<stdout>".into(), source };
    if file.is_dir() {
        return Err(RunError::Input {
            path: file.to_path_buf(),
            source: std::io::Error::other("explain takes one file, not a folder"),
        });
    }
    let inputs = input::discover(file, &settings.read)?;
    let Some(input) = inputs.first() else {
        return Err(RunError::Input { path: file.to_path_buf(), source: std::io::Error::other("no file") });
    };
    if let InputKind::Skipped(reason) = &input.kind {
        return Err(RunError::Input {
            path: file.to_path_buf(),
            source: std::io::Error::other(reason.clone()),
        });
    }
    let knowledge = if settings.boilerplate.sites.enabled {
        SiteKnowledge::load(&settings.output)?
    } else {
        SiteKnowledge::default()
    };
    let stages = Chain::new(settings, std::sync::Arc::new(knowledge));
    let fail = |m: String| RunError::Input { path: file.to_path_buf(), source: std::io::Error::other(m) };
    let ex = match (&input.kind, pick) {
        (InputKind::Records, Some(pick)) => {
            let doc = find_record(input, pick, settings).map_err(fail)?;
            stages.explain_document(doc, &settings.dedup)
        }
        (InputKind::Records, None) => {
            return Err(fail("a feed holds one article per line: pick one with --id ID or --line N".into()));
        }
        (_, Some(_)) => {
            return Err(fail("--id and --line pick a record of a JSONL feed; this is one article".into()));
        }
        (_, None) => stages.explain(input, &settings.dedup).map_err(|(_, e)| fail(e.to_string()))?,
    };
    match report(&ex, &settings.boilerplate.classifier.model, out) {
        // `newsprep explain FILE | head` is a normal use: stop quietly.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(io),
    }
}

/// Stream the feed's records (decompressed as `run` reads them) up to the picked one.
fn find_record(
    input: &input::Input,
    pick: &Pick,
    settings: &Settings,
) -> Result<crate::model::Document, String> {
    for unit in input::units(std::slice::from_ref(input), &settings.read) {
        match unit {
            input::Unit::Record(r) => {
                if matches!(pick, Pick::Line(n) if *n != r.line) {
                    continue;
                }
                match input::record(&r, &settings.read) {
                    Ok(doc) if matches!(pick, Pick::Id(id) if *id != doc.id.0) => continue,
                    Ok(doc) => return Ok(doc),
                    Err((_, _, e)) if matches!(pick, Pick::Line(_)) => return Err(e.to_string()),
                    Err(_) => continue,
                }
            }
            input::Unit::Broken { line, error, .. } => {
                if matches!(pick, Pick::Line(n) if *n == line) || line == 0 {
                    return Err(error.to_string());
                }
            }
            input::Unit::File(_) => {}
        }
    }
    Err(match pick {
        Pick::Id(id) => format!("no record with id `{id}`"),
        Pick::Line(n) => format!("no record on line {n} (the feed is shorter, or that line is blank)"),
    })
}

fn report(ex: &Explained, model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = ex.outcome.doc();
    writeln!(out, "{} ({} bytes, sha256 {})", doc.source.path, doc.source.bytes, short(&doc.source.sha256))?;
    let m = &doc.meta;
    for (k, v) in [
        ("title", &m.title),
        ("author", &m.author),
        ("published", &m.published),
        ("site", &m.site),
        ("dateline", &m.dateline),
    ] {
        if let Some(v) = v {
            writeln!(out, "  {k}: {v}")?;
        }
    }
    if let Some(c) = &ex.classified {
        match c.language {
            Some((l, share)) => {
                writeln!(out, "  language: {} (stopwords are {:.0}% of the words)", l.code(), share * 100.0)?
            }
            None => writeln!(out, "  language: none detected (judged without stopwords)")?,
        }
        let main: Vec<usize> =
            (0..c.decisions.len()).filter(|&i| c.decisions[i].is_some_and(|d| d.in_main)).collect();
        if let (Some(a), Some(b)) = (main.first(), main.last()) {
            writeln!(out, "  main content: paragraphs {a} to {b}")?;
        }
        if let Some(e) = &c.dom_main {
            writeln!(out, "  article element (from the page's DOM): {e}")?;
        }
    }
    match &ex.outcome {
        Outcome::Keep(d) if d.thin => writeln!(
            out,
            "  document: kept, but thin: under half of the words of its sentence-like paragraphs are kept"
        )?,
        Outcome::Keep(_) => writeln!(out, "  document: kept")?,
        Outcome::Drop(_, reason) => writeln!(out, "  document: dropped, {}", reason.message())?,
    }
    writeln!(
        out,
        "  (repeats of other documents are the corpus-wide dedup's: `run` finds them, not explain)"
    )?;
    writeln!(out)?;
    for (i, p) in doc.paragraphs.iter().enumerate() {
        let decision = ex.classified.as_ref().and_then(|c| c.decisions[i]);
        let (verdict, detail) = match &p.removal {
            None => ("keep".to_string(), String::new()),
            Some(r @ Removal::Boilerplate { rule, .. }) => {
                (format!("drop {}", r.counter_key(&doc.id)), format!("rule {rule}"))
            }
            Some(r @ Removal::AfterTail { rule, why }) => {
                (format!("drop {}", r.counter_key(&doc.id)), format!("after tail marker {rule}: {why}"))
            }
            Some(r @ Removal::Classifier { why, .. }) => {
                (format!("drop {}", r.counter_key(&doc.id)), why.clone())
            }
            Some(r @ Removal::Dom { why, .. }) => (format!("drop {}", r.counter_key(&doc.id)), why.clone()),
            Some(r @ Removal::Site { site }) => {
                (format!("drop {}", r.counter_key(&doc.id)), format!("learned line of site {site}"))
            }
            Some(r @ Removal::Duplicate { of, distance, similarity }) => (
                format!("drop {}", r.counter_key(&doc.id)),
                format!(
                    "repeats {} paragraph {} (distance {distance}, similarity {:.2})",
                    of.id,
                    of.paragraph,
                    f64::from(*similarity) / 1000.0
                ),
            ),
            Some(r) => (format!("drop {}", r.counter_key(&doc.id)), String::new()),
        };
        let score = decision.map_or("    ".to_string(), |d| format!("{:.2}", d.probability));
        writeln!(out, "{i:>4} {verdict:<34} {score}  {}", preview(&p.text, 72))?;
        if !detail.is_empty() {
            writeln!(out, "{:>45}{detail}", "")?;
        }
        if let Some(d) = decision {
            // The text score's signals, then the context model's largest parts.
            let parts: Vec<String> = d
                .signals
                .contributions()
                .iter()
                .filter(|c| c.weight.abs() >= 0.005)
                .map(|c| format!("{} {:+.2}", c.signal, c.weight))
                .collect();
            let mut context: Vec<_> = model
                .contributions(&d.context)
                .filter(|c| c.signal != "bias" && c.weight.abs() >= 0.005)
                .collect();
            context.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
            let context: Vec<String> =
                context.iter().take(4).map(|c| format!("{} {:+.2}", c.signal, c.weight)).collect();
            writeln!(out, "{:>45}text {:.2}: {}", "", d.first, parts.join(", "))?;
            let mut line = format!("in context: {}", context.join(", "));
            if d.headline {
                line.push_str("; headline above the main content");
            } else if !d.in_main {
                line.push_str("; outside the main content");
            }
            writeln!(out, "{:>45}{line}", "")?;
        }
    }
    Ok(())
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn preview(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}
