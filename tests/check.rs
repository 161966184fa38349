//! `newsprep check`: every gate failing and passing, every report format (reviewed snapshots),
//! and the exit codes (0 pass, 1 a gate at level "error" failed, 2 could not run).
//!
//! Each test copies `tests/cases/check/raw/` (two clean articles of one site) into a scratch
//! folder, writes its own `pipeline.toml`, builds `cleaned/` with `newsprep run`, then adds
//! files from `tests/cases/check/batch/` (a new batch) and runs the check from that folder, so
//! reports name `raw/...` and `cleaned/...`.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

const GATES: [&str; 8] = [
    "unreadable",
    "empty",
    "duplicates",
    "out-of-date",
    "missing-metadata",
    "boilerplate-share",
    "residual-boilerplate",
    "thin",
];

fn case() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases/check")
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else {
            fs::copy(&p, &target).unwrap();
        }
    }
}

/// `[check]` with `gate` at `level` and every other gate off, plus `extra` lines.
fn only(gate: &str, level: &str, extra: &str) -> String {
    let mut s = String::from("[check]\n");
    for g in GATES {
        s.push_str(&format!("{g} = \"{}\"\n", if g == gate { level } else { "off" }));
    }
    s + extra
}

/// A scratch folder with raw/, a pipeline.toml holding `config`, and cleaned/ built by a run.
fn setup(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case().join("raw"), &dir.path().join("raw"));
    fs::write(dir.path().join("pipeline.toml"), format!("[input]\npath = \"raw\"\n\n{config}")).unwrap();
    run(dir.path());
    dir
}

fn run(dir: &Path) {
    let o = Command::cargo_bin("newsprep").unwrap().args(["run", "-q"]).current_dir(dir).output().unwrap();
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Copy `tests/cases/check/batch/<rel>` to `raw/<rel>`.
fn add(dir: &Path, rel: &str) {
    let to = dir.join("raw").join(rel);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(case().join("batch").join(rel), to).unwrap();
}

/// Run the check in `format`: (exit code, stdout, stderr).
fn check(dir: &Path, format: &str) -> (i32, String, String) {
    let o = Command::cargo_bin("newsprep")
        .unwrap()
        .args(["check", "--format", format])
        .current_dir(dir)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
    (o.status.code().unwrap(), text(&o.stdout), text(&o.stderr))
}

/// The JSON report's entry for `gate`, and the exit code.
fn gate(dir: &Path, name: &str) -> (i32, Value) {
    let (code, out, err) = check(dir, "json");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(report["passed"], Value::Bool(code == 0), "exit code and `passed` agree");
    let g = report["gates"].as_array().unwrap().iter().find(|g| g["gate"] == name).unwrap().clone();
    (code, g)
}

fn findings(g: &Value) -> &Vec<Value> {
    g["findings"].as_array().unwrap()
}

#[test]
fn a_clean_corpus_passes_every_gate() {
    let dir = setup("");
    let (code, out, _) = check(dir.path(), "json");
    assert_eq!(code, 0, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let statuses: Vec<&str> =
        report["gates"].as_array().unwrap().iter().map(|g| g["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass"; 8]);
    // Nothing of the check is left in the output folder.
    let mut names: Vec<String> = fs::read_dir(dir.path().join("cleaned"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".newsprep", "corpus.jsonl", "duplicates.csv", "harbour", "manifest.csv", "stats.json"]
    );
}

#[test]
fn unreadable_fails_on_a_file_that_is_not_utf8() {
    let dir = setup(&only("unreadable", "error", ""));
    fs::write(dir.path().join("raw/broken.txt"), b"caf\xc3\xa9 \xff au lait\n").unwrap();
    let (code, g) = gate(dir.path(), "unreadable");
    assert_eq!(code, 1);
    assert_eq!(g["status"], "fail");
    assert_eq!(findings(&g).len(), 1);
    assert_eq!(findings(&g)[0]["file"], "raw/broken.txt");
    assert_eq!(findings(&g)[0]["message"], "not valid UTF-8: invalid byte sequence at offset 6");
}

#[test]
fn a_gate_at_warn_reports_but_passes() {
    let dir = setup(&only("unreadable", "warn", ""));
    fs::write(dir.path().join("raw/broken.txt"), b"caf\xc3\xa9 \xff au lait\n").unwrap();
    let (code, g) = gate(dir.path(), "unreadable");
    assert_eq!(code, 0);
    assert_eq!((g["level"].as_str(), g["status"].as_str()), (Some("warn"), Some("fail")));
    let (_, text, _) = check(dir.path(), "text");
    assert!(text.ends_with("check passed with warnings: unreadable\n"), "{text}");
}

#[test]
fn empty_fails_on_a_page_of_boilerplate_only() {
    let dir = setup(&only("empty", "error", ""));
    assert_eq!(gate(dir.path(), "empty").0, 0);
    add(dir.path(), "harbour/junk.txt");
    let (code, g) = gate(dir.path(), "empty");
    assert_eq!(code, 1);
    assert_eq!(findings(&g)[0]["id"], "harbour/junk");
    assert_eq!(
        findings(&g)[0]["message"],
        "empty once cleaned: all 2 paragraphs were metadata or boilerplate"
    );
}

#[test]
fn duplicates_fail_on_a_new_copy_and_not_on_accepted_ones_unless_scope_is_all() {
    let dir = setup(&only("duplicates", "error", ""));
    assert_eq!(gate(dir.path(), "duplicates").0, 0);
    add(dir.path(), "harbour/strike-repost.txt");
    let (code, g) = gate(dir.path(), "duplicates");
    assert_eq!(code, 1);
    let f = &findings(&g)[0];
    assert_eq!(
        (f["id"].as_str(), f["duplicate_of"].as_str()),
        (Some("harbour/strike-repost"), Some("harbour/strike"))
    );
    assert_eq!(f["distance"], 4);
    assert!(f["message"].as_str().unwrap().ends_with("harbour/strike is in the corpus already"), "{f}");
    // Once a run has taken the copy into the corpus (as a duplicate row), it is no longer new...
    run(dir.path());
    assert_eq!(gate(dir.path(), "duplicates").0, 0);
    // ...but scope "all" reports every duplicate.
    let config =
        format!("[input]\npath = \"raw\"\n\n{}", only("duplicates", "error", "duplicates-scope = \"all\"\n"));
    fs::write(dir.path().join("pipeline.toml"), config).unwrap();
    let (code, g) = gate(dir.path(), "duplicates");
    assert_eq!((code, findings(&g).len()), (1, 1));
}

#[test]
fn out_of_date_lists_the_files_a_run_would_add_change_and_remove() {
    let dir = setup(&only("out-of-date", "error", ""));
    assert_eq!(gate(dir.path(), "out-of-date").0, 0);
    add(dir.path(), "harbour/ferry.txt");
    fs::remove_file(dir.path().join("raw/harbour/strike.txt")).unwrap();
    let (code, g) = gate(dir.path(), "out-of-date");
    assert_eq!(code, 1);
    let changes: Vec<(String, String, Value)> = findings(&g)
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["change"].as_str().unwrap().to_string(),
                f["line"].clone(),
            )
        })
        .collect();
    let want = [
        ("cleaned/.newsprep/sites.json", "changed", Value::from(6)),
        ("cleaned/corpus.jsonl", "changed", Value::from(2)),
        ("cleaned/harbour/ferry.txt", "added", Value::Null),
        ("cleaned/harbour/strike.txt", "removed", Value::Null),
        ("cleaned/manifest.csv", "changed", Value::from(3)),
        ("cleaned/stats.json", "changed", Value::from(11)),
    ];
    let want: Vec<(String, String, Value)> =
        want.into_iter().map(|(a, b, c)| (a.into(), b.into(), c)).collect();
    assert_eq!(changes, want);
    // A hand edit of the output is found too.
    let dir = setup(&only("out-of-date", "error", ""));
    let corpus = dir.path().join("cleaned/corpus.jsonl");
    fs::write(&corpus, fs::read_to_string(&corpus).unwrap().replacen("harbour", "Harbour", 1)).unwrap();
    let (code, g) = gate(dir.path(), "out-of-date");
    assert_eq!(code, 1);
    assert_eq!(findings(&g).len(), 1);
    assert_eq!(
        (findings(&g)[0]["file"].as_str(), findings(&g)[0]["line"].as_u64()),
        (Some("cleaned/corpus.jsonl"), Some(1))
    );
}

#[test]
fn missing_metadata_fails_above_its_share() {
    let dir = setup(&only("missing-metadata", "error", "max-missing-title = 0.2\n"));
    assert_eq!(gate(dir.path(), "missing-metadata").0, 0);
    add(dir.path(), "notes/undated.txt");
    let (code, g) = gate(dir.path(), "missing-metadata");
    assert_eq!(code, 1);
    assert_eq!(
        g["summary"],
        "of 3 kept documents, 1 no title (33.3%, limit 20%) and 1 no published date (33.3%, limit 50%)"
    );
    // Only the share over its limit is listed.
    assert_eq!(findings(&g).len(), 1);
    assert_eq!(findings(&g)[0]["message"], "notes/undated: no title");
    // At the default limits the same corpus passes.
    let config = format!("[input]\npath = \"raw\"\n\n{}", only("missing-metadata", "error", ""));
    fs::write(dir.path().join("pipeline.toml"), config).unwrap();
    assert_eq!(gate(dir.path(), "missing-metadata").0, 0);
}

#[test]
fn boilerplate_share_fails_on_a_page_that_was_mostly_junk() {
    let dir = setup(&only("boilerplate-share", "error", ""));
    assert_eq!(gate(dir.path(), "boilerplate-share").0, 0);
    add(dir.path(), "harbour/mostly-junk.txt");
    let (code, g) = gate(dir.path(), "boilerplate-share");
    assert_eq!(code, 1);
    assert_eq!(findings(&g).len(), 1);
    assert_eq!(findings(&g)[0]["share"], 0.822);
    assert_eq!(
        findings(&g)[0]["message"],
        "harbour/mostly-junk: 82.2% of its text was removed as boilerplate (limit 80%)"
    );
}

#[test]
fn residual_boilerplate_finds_rule_matches_outside_their_zone_and_early_site_lines() {
    let dir = setup(&only("residual-boilerplate", "error", ""));
    assert_eq!(gate(dir.path(), "residual-boilerplate").0, 0);
    // The app line is learned at the second file that has it; the first copy stays.
    add(dir.path(), "harbour/ferry.txt");
    let (code, g) = gate(dir.path(), "residual-boilerplate");
    assert_eq!(code, 1);
    let f = &findings(&g)[0];
    assert_eq!(
        (f["file"].as_str(), f["line"].as_u64(), f["rule"].as_str()),
        (Some("raw/harbour/bridge.txt"), Some(11), Some("site"))
    );
    // A rule of the head zone matches a paragraph in the tail: kept, and reported.
    let rule = "[[boilerplate.rules]]\nid = \"design-note\"\ncategory = \"other\"\nmatch.anywhere = [\"final design\"]\nzone = \"head\"\n";
    let dir = setup(&format!("{}\n{rule}", only("residual-boilerplate", "error", "")));
    let (code, g) = gate(dir.path(), "residual-boilerplate");
    assert_eq!(code, 1);
    let f = &findings(&g)[0];
    assert_eq!((f["line"].as_u64(), f["rule"].as_str()), (Some(15), Some("design-note")));
    assert_eq!(
        f["message"],
        "harbour/bridge: kept paragraph \"The council will publish the final design in April, after a ...\" matches boilerplate rule `design-note` (other)"
    );
}

/// The new batch with every problem, under the default levels, in every format.
fn troubled() -> tempfile::TempDir {
    let dir = setup("");
    for rel in [
        "harbour/ferry.txt",
        "harbour/junk.txt",
        "harbour/mostly-junk.txt",
        "harbour/strike-repost.txt",
        "notes/undated.txt",
    ] {
        add(dir.path(), rel);
    }
    fs::write(dir.path().join("raw/broken.txt"), b"caf\xc3\xa9 \xff au lait\n").unwrap();
    dir
}

#[test]
fn every_format_reports_the_same_result() {
    let dir = troubled();
    for format in ["text", "json", "junit", "github"] {
        let (code, out, err) = check(dir.path(), format);
        assert_eq!(code, 1, "{format}: {err}");
        // The scratch folder is a temporary path: no report may show it.
        assert!(!out.contains("newsprep-check-"), "{format}: {out}");
        insta::assert_snapshot!(format!("troubled_{format}"), out);
    }
    // Rerunning gives the same bytes.
    assert_eq!(check(dir.path(), "json").1, check(dir.path(), "json").1);
}

#[test]
fn a_passing_report_in_junit_and_github() {
    let dir = setup("[check]\nresidual-boilerplate = \"off\"\n");
    let (code, junit, _) = check(dir.path(), "junit");
    assert_eq!(code, 0);
    insta::assert_snapshot!("clean_junit", junit);
    let (code, github, _) = check(dir.path(), "github");
    assert_eq!(code, 0);
    assert!(!github.contains("::error") && !github.contains("::warning"), "{github}");
}

#[test]
fn a_check_that_cannot_run_exits_2() {
    let dir = setup("");
    fs::write(
        dir.path().join("pipeline.toml"),
        "[check]\nduplicates = \"loud\"\nmax-missing-date = 2.0\nsurprise = 1\n",
    )
    .unwrap();
    let (code, out, err) = check(dir.path(), "json");
    assert_eq!((code, out.as_str()), (2, ""));
    for key in ["`check.duplicates`", "`check.max-missing-date`", "`check.surprise`"] {
        assert!(err.contains(key), "{key} in {err}");
    }
    fs::write(dir.path().join("pipeline.toml"), "[input]\npath = \"nowhere\"\n").unwrap();
    let (code, _, err) = check(dir.path(), "text");
    assert_eq!(code, 2);
    assert!(err.contains("nowhere"), "{err}");
}
