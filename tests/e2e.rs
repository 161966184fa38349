//! End-to-end tests: run the `newsprep` binary on the fixture cases under `tests/cases/<name>/`
//! (`pipeline.toml` + `raw/`) and compare every output file with a reviewed insta snapshot.
//! Also: byte-identical output at any thread count and on rerun, config errors, bad input files,
//! and the committed `cleaned/` being what `newsprep run` makes of the committed `raw/`.

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn newsprep() -> Command {
    Command::cargo_bin("newsprep").unwrap()
}

/// Run a fixture case into `out` with `jobs` threads; returns the process output.
fn run_case(case: &str, out: &Path, jobs: usize) -> std::process::Output {
    let dir = root().join("tests/cases").join(case);
    newsprep()
        .args(["run", "--quiet", "--jobs", &jobs.to_string()])
        .arg("--config")
        .arg(dir.join("pipeline.toml"))
        .arg("--output")
        .arg(out)
        .output()
        .unwrap()
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn snapshot_case(case: &str) {
    let out = tempfile::tempdir().unwrap();
    let o = run_case(case, out.path(), 2);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let files = tree(out.path());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    insta::assert_snapshot!(format!("{case}__files"), names.join("\n"));
    for (name, bytes) in &files {
        let text = String::from_utf8(bytes.clone()).expect("output is UTF-8");
        insta::assert_snapshot!(format!("{case}__{}", name.replace('/', "__")), text);
    }
}

#[test]
fn samples() {
    snapshot_case("samples");
}

#[test]
fn syndicated() {
    snapshot_case("syndicated");
}

#[test]
fn output_is_byte_identical_across_thread_counts_and_reruns() {
    for case in ["samples", "syndicated"] {
        let one = tempfile::tempdir().unwrap();
        let four = tempfile::tempdir().unwrap();
        assert!(run_case(case, one.path(), 1).status.success());
        assert!(run_case(case, four.path(), 4).status.success());
        let first = tree(one.path());
        assert!(first.len() > 3, "{case}: output was written");
        assert_eq!(first, tree(four.path()), "{case}: --jobs 1 and --jobs 4 differ");
        assert!(run_case(case, one.path(), 3).status.success());
        assert_eq!(first, tree(one.path()), "{case}: a second run changed the output");
    }
}

#[test]
fn committed_cleaned_is_the_output_of_committed_raw() {
    let out = tempfile::tempdir().unwrap();
    let o =
        newsprep().current_dir(root()).args(["run", "--quiet", "--output"]).arg(out.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        tree(out.path()),
        tree(&root().join("cleaned")),
        "cleaned/ is stale: run `cargo run --release -- run` and commit it"
    );
}

#[test]
fn malformed_config_reports_every_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("pipeline.toml");
    fs::write(
        &cfg,
        "[input]\npath = \"raw\"\nshuffle = true\n\n[dedup.paragraph]\nmax-distance = \"three\"\n\n[boilerplate]\ndisable = [\"no-such-rule\"]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = newsprep().args(["run", "--config"]).arg(&cfg).arg("--output").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("3 errors in"), "{err}");
    assert!(err.contains(":3:1: `input.shuffle`: unknown field `shuffle`"), "{err}");
    assert!(err.contains(":6:16: `dedup.paragraph.max-distance`: invalid type: string \"three\""), "{err}");
    assert!(
        err.contains(":9:12: `boilerplate.disable[0]`: no built-in rule has the id `no-such-rule`"),
        "{err}"
    );
    assert!(!out.exists(), "nothing may be written");
}

#[test]
fn bad_files_become_error_rows_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let article = "A headline for the good file\n\nThe good file has a body paragraph that is long enough to be kept by every stage of the pipeline.\n";
    fs::write(raw.join("good.txt"), article).unwrap();
    fs::write(raw.join("latin1.txt"), b"Caf\xe9 society returns to the capital\n").unwrap();
    fs::write(raw.join("binary.txt"), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    fs::write(raw.join("empty.md"), "").unwrap();
    fs::write(raw.join("only-junk.txt"), "Share This\n\nFollow us on Twitter\n").unwrap();
    fs::write(raw.join("notes.pdf"), "%PDF-1.4").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("nowhere.txt"), raw.join("vanished.txt")).unwrap();
    let out = dir.path().join("out");
    let o =
        newsprep().args(["run", "--quiet", "--input"]).arg(&raw).arg("--output").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "file errors give exit 1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("latin1.txt: not valid UTF-8: invalid byte sequence at offset 3"), "{err}");
    assert!(err.contains("binary.txt: binary file: NUL byte at offset 8"), "{err}");

    let manifest = fs::read_to_string(out.join("manifest.csv")).unwrap();
    let rows: Vec<(String, String)> = manifest
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[4].to_string())
        })
        .collect();
    let expect = [
        ("binary.txt", "error"),
        ("empty.md", "empty"),
        ("good.txt", "kept"),
        ("latin1.txt", "error"),
        ("notes.pdf", "skipped"),
        ("only-junk.txt", "empty"),
        ("vanished.txt", "error"),
    ];
    let expect: Vec<(String, String)> = expect.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    #[cfg(unix)]
    assert_eq!(rows, expect, "{manifest}");
    assert!(manifest.contains("cannot read: No such file or directory"), "{manifest}");
    assert!(manifest.contains("all 2 paragraphs were metadata or boilerplate"), "{manifest}");
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    assert_eq!(corpus.lines().count(), 1);
    assert!(corpus.contains("\"id\":\"good\""));
    assert_eq!(
        fs::read_to_string(out.join("good.txt")).unwrap(),
        "The good file has a body paragraph that is long enough to be kept by every stage of the pipeline.\n"
    );
}

#[test]
fn missing_input_and_output_inside_input_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = newsprep()
        .args(["run", "--input"])
        .arg(dir.path().join("nope"))
        .arg("--output")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot read input"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    fs::write(dir.path().join("a.txt"), "Some text here.").unwrap();
    let o = newsprep()
        .args(["run", "--input"])
        .arg(dir.path())
        .arg("--output")
        .arg(dir.path().join("cleaned"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside the input folder"));
    assert!(!dir.path().join("cleaned").exists());
}

#[test]
fn summary_counts_removals_by_reason() {
    let out = tempfile::tempdir().unwrap();
    let dir = root().join("tests/cases/samples");
    let o = newsprep()
        .args(["run", "--config"])
        .arg(dir.join("pipeline.toml"))
        .arg("--output")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for line in ["kept             5", "duplicate:same-document", "boilerplate:share", "tail"] {
        assert!(err.contains(line), "summary lacks {line:?}:\n{err}");
    }
}
