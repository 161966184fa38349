//! The check's report in four formats: text for people, JSON for programs (stable, see
//! docs/check.md), JUnit XML for CI dashboards and GitHub Actions workflow commands (annotations).
//! No format holds a time or a temporary path, so a report is the same on every rerun.

use super::{GateResult, Report, Status};
use crate::config::Level;
use std::io::{self, Write};

/// Version of the JSON report's layout; raised when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

/// At most this many findings per gate are shown in the text and GitHub formats (all of them
/// are in JSON and JUnit). GitHub shows only the first few annotations of a step anyway.
pub const SHOWN: usize = 20;

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text.
    Text,
    /// One JSON object.
    Json,
    /// JUnit XML: one test case per gate.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...::message`), then the text summary.
    Github,
}

/// Write `report` in `format`.
pub fn write(report: &Report, format: Format, out: &mut impl Write) -> io::Result<()> {
    match format {
        Format::Text => text(report, out),
        Format::Json => json(report, out),
        Format::Junit => junit(report, out),
        Format::Github => github(report, out),
    }
}

fn label(g: &GateResult) -> &'static str {
    match (g.status, g.level) {
        (Status::Off, _) => "off",
        (Status::Pass, _) => "ok",
        (Status::Fail, Level::Error) => "FAIL",
        (Status::Fail, _) => "warn",
    }
}

fn place(f: &super::Finding) -> String {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{file}:{line}: "),
        (Some(file), None) => format!("{file}: "),
        _ => String::new(),
    }
}

fn failing(report: &Report) -> Vec<&'static str> {
    report.gates.iter().filter(|g| g.fails()).map(|g| g.gate.name()).collect()
}

fn text(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let d = &report.documents;
    writeln!(out, "newsprep check: {} against {} (config: {})", report.input, report.output, report.config)?;
    writeln!(
        out,
        "{} documents: {} kept, {} duplicate, {} empty, {} error, {} skipped",
        d.files, d.kept, d.duplicate, d.empty, d.error, d.skipped
    )?;
    writeln!(out)?;
    let width = report.gates.iter().map(|g| g.gate.name().len()).max().unwrap_or(0);
    for g in &report.gates {
        writeln!(out, "{:<4}  {:<width$}  {}", label(g), g.gate.name(), g.summary)?;
        for f in g.findings.iter().take(SHOWN) {
            writeln!(out, "{:<4}  {:<width$}    {}{}", "", "", place(f), f.message)?;
        }
        if g.findings.len() > SHOWN {
            writeln!(out, "{:<4}  {:<width$}    ... and {} more", "", "", g.findings.len() - SHOWN)?;
        }
    }
    writeln!(out)?;
    let failed = failing(report);
    let warned: Vec<&str> = report
        .gates
        .iter()
        .filter(|g| g.status == Status::Fail && g.level == Level::Warn)
        .map(|g| g.gate.name())
        .collect();
    if failed.is_empty() && warned.is_empty() {
        writeln!(out, "check passed")
    } else if failed.is_empty() {
        writeln!(out, "check passed with warnings: {}", warned.join(", "))
    } else {
        writeln!(out, "check failed: {}", failed.join(", "))
    }
}

#[derive(serde::Serialize)]
struct JsonReport<'a> {
    /// Always `"newsprep-check"`.
    format: &'static str,
    version: u32,
    passed: bool,
    #[serde(flatten)]
    report: &'a Report,
}

fn json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let r = JsonReport { format: "newsprep-check", version: JSON_VERSION, passed: report.passed(), report };
    serde_json::to_writer_pretty(&mut *out, &r)?;
    writeln!(out)
}

/// Text safe inside XML attributes and elements. Characters XML 1.0 forbids are dropped.
fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => o.push(c),
        }
    }
    o
}

fn junit(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let tests = report.gates.len();
    let failures = report.gates.iter().filter(|g| g.fails()).count();
    let skipped = report.gates.iter().filter(|g| g.status == Status::Off).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="newsprep check" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="newsprep check: {}" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}">"#,
        xml(&report.input)
    )?;
    for g in &report.gates {
        let name = g.gate.name();
        let details: String = g.findings.iter().map(|f| format!("{}{}\n", place(f), f.message)).collect();
        match (g.status, g.level) {
            (Status::Pass, _) => {
                writeln!(out, r#"    <testcase classname="newsprep.check" name="{name}"/>"#)?
            }
            (Status::Off, _) => {
                writeln!(out, r#"    <testcase classname="newsprep.check" name="{name}">"#)?;
                writeln!(out, r#"      <skipped message="off in [check]"/>"#)?;
                writeln!(out, "    </testcase>")?;
            }
            (Status::Fail, Level::Error) => {
                writeln!(out, r#"    <testcase classname="newsprep.check" name="{name}">"#)?;
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{name}">{}</failure>"#,
                    xml(&g.summary),
                    xml(&details)
                )?;
                writeln!(out, "    </testcase>")?;
            }
            (Status::Fail, _) => {
                // JUnit has no warnings: a warned gate passes and says why in its output.
                writeln!(out, r#"    <testcase classname="newsprep.check" name="{name}">"#)?;
                writeln!(
                    out,
                    "      <system-out>warning: {}\n{}</system-out>",
                    xml(&g.summary),
                    xml(&details)
                )?;
                writeln!(out, "    </testcase>")?;
            }
        }
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// A workflow command's message: `%`, CR and LF escaped.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,` escaped.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(report: &Report, out: &mut impl Write) -> io::Result<()> {
    for g in report.gates.iter().filter(|g| g.status == Status::Fail) {
        let command = if g.level == Level::Error { "error" } else { "warning" };
        let title = gh_property(&format!("newsprep check: {}", g.gate.name()));
        if g.findings.is_empty() {
            writeln!(out, "::{command} title={title}::{}", gh_data(&g.summary))?;
        }
        for f in g.findings.iter().take(SHOWN) {
            let mut props = Vec::new();
            if let Some(file) = &f.file {
                props.push(format!("file={}", gh_property(file)));
            }
            if let Some(line) = f.line {
                props.push(format!("line={line}"));
            }
            props.push(format!("title={title}"));
            writeln!(out, "::{command} {}::{}", props.join(","), gh_data(&f.message))?;
        }
        if g.findings.len() > SHOWN {
            writeln!(
                out,
                "::{command} title={title}::... and {} more (newsprep check --format json lists all)",
                g.findings.len() - SHOWN
            )?;
        }
    }
    text(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(xml("a<b & \"c\" 'd'>\u{1}e\n"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;e\n");
    }

    #[test]
    fn workflow_commands_escape_their_delimiters() {
        assert_eq!(gh_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(gh_property("raw/a,b:c.txt"), "raw/a%2Cb%3Ac.txt");
    }
}
