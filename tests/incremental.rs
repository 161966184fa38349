//! Incremental runs: a batch added to an existing output gives exactly the output of one run
//! over all the files; changed, gone and pruned files; a run killed with SIGKILL at any point
//! leaves the previous corpus readable, and the next run completes it.
//!
//! The raw folders are generated here from the bundled sample articles (`raw/`): each one, plus
//! near-copies "from other sites" (their own header and footer lines, a few words edited, a
//! paragraph dropped).

mod common;

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

/// The sample articles, by file name.
fn samples() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = fs::read_dir(root().join("raw"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read_to_string(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// A near-copy of `text` as site `site` would publish it: its own furniture around the body,
/// `edits` words changed, and paragraph `drop` (of those with some words) left out.
fn near_copy(text: &str, site: &str, edits: usize, drop: usize) -> String {
    let paras: Vec<&str> =
        text.split("\n\n").flat_map(|p| p.split('\n')).filter(|p| !p.trim().is_empty()).collect();
    let long: Vec<usize> = (0..paras.len()).filter(|&i| paras[i].split_whitespace().count() > 20).collect();
    let dropped = long.get(drop % long.len().max(1)).copied();
    // Lines no built-in rule knows: only site learning can tell they are furniture.
    let mut out = vec![
        format!("The {site} Weekly, serving the valley since 1887"),
        format!("{site} picks for your weekend"),
    ];
    let mut edited = 0;
    for (i, p) in paras.iter().enumerate() {
        if Some(i) == dropped {
            continue;
        }
        let mut words: Vec<String> = p.split(' ').map(str::to_string).collect();
        if edited < edits && words.len() > 30 {
            words[7] = format!("{site}word");
            edited += 1;
        }
        out.push(words.join(" "));
    }
    out.push(format!("Part of the {site} family of regional titles"));
    out.join("\n\n") + "\n"
}

/// Files of the generated raw folder, by relative path, in path order: the samples under
/// `a-wire/`, then near-copies under `b-herald/`, `c-courier/`, `d-gazette/`.
fn corpus() -> Vec<(String, String)> {
    let s = samples();
    let mut files: Vec<(String, String)> =
        s.iter().map(|(n, t)| (format!("a-wire/{n}"), t.clone())).collect();
    for (k, site) in ["herald", "courier", "gazette"].iter().enumerate() {
        for (i, (n, t)) in s.iter().enumerate() {
            files.push((
                format!("{}-{site}/{n}", (b'b' + k as u8) as char),
                near_copy(t, site, 1 + (i + k) % 3, i + k),
            ));
        }
    }
    files.sort();
    files
}

fn write_raw(dir: &Path, files: &[(String, String)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

fn run(config: &Path, input: &Path, output: &Path, extra: &[&str]) -> std::process::Output {
    let o = newsprep()
        .args(["run", "--jobs", "2", "--config"])
        .arg(config)
        .arg("--input")
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    o
}

/// Every output file and the learned site lines (not the corpus state and index log, whose
/// bytes depend on how the corpus was built up), by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::tree_where(dir, &|rel| !rel.starts_with(".newsprep/") || rel == ".newsprep/sites.json")
}

fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: the same files");
    for (name, bytes) in a {
        assert!(
            bytes == &b[name],
            "{what}: {name} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&b[name])
        );
    }
}

fn config(dir: &Path, extra: &str) -> PathBuf {
    let p = dir.join("pipeline.toml");
    fs::write(&p, format!("[boilerplate.sites]\nmin-docs = 3\n{extra}")).unwrap();
    p
}

/// Files 1..n in two batches give what one run over all of them gives, at every split point:
/// corpus.jsonl, manifest.csv, duplicates.csv, stats.json, `.newsprep/sites.json` and every
/// `<id>.txt`; and the first batch's output is not touched (a site line applies from the file
/// that completes its count on, so a line the second batch teaches leaves the first batch's
/// documents as they were). The copies in the second batch are duplicates of the first batch's
/// documents.
#[test]
fn two_batches_give_the_same_output_as_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let files = corpus();
    for (extra, name) in [("", "drop"), ("[dedup.document]\naction = \"flag\"\n", "flag")] {
        let cfg = config(tmp.path(), extra);
        let all = tmp.path().join(format!("all-{name}"));
        write_raw(&all, &files);
        let whole = tmp.path().join(format!("whole-{name}"));
        run(&cfg, &all, &whole, &["--quiet"]);
        let expected = tree(&whole);
        let corpus = String::from_utf8(expected["corpus.jsonl"].clone()).unwrap();
        if name == "flag" {
            // Flagged copies stay in the corpus, with their removals.
            assert!(corpus.contains("\"reason\":\"site\""), "the generated sites teach site lines: {corpus}");
            // The herald footer is learned at b-herald's third file: the two before keep it.
            let record = |id: &str| -> serde_json::Value {
                let line = corpus.lines().find(|l| l.contains(&format!("\"id\":\"b-herald/{id}"))).unwrap();
                serde_json::from_str(line).unwrap()
            };
            let footer = "Part of the herald family of regional titles";
            for (id, learned) in [("000", false), ("001", false), ("002", true), ("004", true)] {
                let r = record(id);
                let as_site = r["removed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["reason"] == "site" && x["text"] == footer);
                assert_eq!(as_site, learned, "b-herald/{id}: {r}");
                assert_eq!(r["text"].as_str().unwrap().contains(footer), !learned, "b-herald/{id}");
            }
        }
        let manifest = String::from_utf8(expected["manifest.csv"].clone()).unwrap();
        assert!(manifest.contains(",duplicate,"), "the near-copies are found: {manifest}");

        for split in [4, 6, 11, 17] {
            let first = tmp.path().join(format!("first-{name}-{split}"));
            write_raw(&first, &files[..split]);
            let out = tmp.path().join(format!("out-{name}-{split}"));
            run(&cfg, &first, &out, &["--quiet"]);
            let earlier = tree(&out);
            let o = run(&cfg, &all, &out, &[]);
            let said = String::from_utf8_lossy(&o.stderr);
            // Nothing of the first batch is cleaned again, not even when the second batch
            // completes the count of site lines that first-batch documents have (split 6:
            // b-herald/000 and 001 keep the herald footer; 002 on lose it).
            assert!(
                said.contains(&format!(
                    "{} new, 0 changed, {split} unchanged (skipped), 0 cleaned again",
                    files.len() - split
                )),
                "{said}"
            );
            let now = tree(&out);
            assert_same(&now, &expected, &format!("{name}, split at {split}"));
            // The first batch's output is left as it was: the corpus files grow at the end,
            // and its documents' files are untouched.
            for (file, bytes) in &earlier {
                let grown = ["corpus.jsonl", "manifest.csv", "duplicates.csv"].contains(&file.as_str());
                if grown {
                    assert!(now[file].starts_with(bytes), "{name}, split {split}: {file} was rewritten");
                } else if file.ends_with(".txt") {
                    assert_eq!(&now[file], bytes, "{name}, split {split}: {file} changed");
                }
            }
        }
    }
}

/// The second batch's copies of first-batch stories are reported with what they duplicate.
#[test]
fn the_summary_names_duplicates_of_earlier_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let files = corpus();
    let cfg = config(tmp.path(), "");
    let (first, all, out) = (tmp.path().join("first"), tmp.path().join("all"), tmp.path().join("out"));
    write_raw(&first, &files[..5]);
    write_raw(&all, &files);
    run(&cfg, &first, &out, &["--quiet"]);
    let o = run(&cfg, &all, &out, &[]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("15 new, 0 changed, 5 unchanged (skipped)"), "{said}");
    let line = said.lines().find(|l| l.contains("duplicates of documents from earlier runs")).unwrap();
    let n: usize = line.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= 5, "{said}");
    assert!(said.contains("b-herald/000_4428cae25f039108 duplicates a-wire/000_4428cae25f039108"), "{said}");
    // Nothing new: nothing is cleaned, nothing changes.
    let before = tree(&out);
    let o = run(&cfg, &all, &out, &[]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("0 new, 0 changed, 20 unchanged (skipped), 0 cleaned again"), "{said}");
    assert_same(&tree(&out), &before, "rerun");
}

/// A changed file is cleaned again (and the files after it); a gone file's output stays and
/// is reported; `--prune` removes it; a changed config rebuilds. Each ends where one run over
/// the same raw folder ends.
#[test]
fn changed_gone_and_pruned_files_and_a_new_config() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = corpus();
    let cfg = config(tmp.path(), "");
    let (raw, out) = (tmp.path().join("raw"), tmp.path().join("out"));
    write_raw(&raw, &files);
    run(&cfg, &raw, &out, &["--quiet"]);

    // Changed: a paragraph added to the middle file.
    files[9].1.push_str("\nA late correction was added to this story on Tuesday evening by the editors.\n");
    write_raw(&raw, &files);
    let o = run(&cfg, &raw, &out, &[]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("0 new, 1 changed, 19 unchanged"));
    let whole = tmp.path().join("whole1");
    run(&cfg, &raw, &whole, &["--quiet"]);
    assert_same(&tree(&out), &tree(&whole), "after a change");

    // Gone without --prune: reported, output kept.
    let gone = files.remove(12);
    fs::remove_file(raw.join(&gone.0)).unwrap();
    let before = tree(&out);
    let o = run(&cfg, &raw, &out, &[]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains(&format!("{}: gone from the input; its output stays", gone.0)), "{said}");
    assert_same(&tree(&out), &before, "a gone file's output stays");

    // --prune: as if it had never been there.
    let o = run(&cfg, &raw, &out, &["--prune"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 gone (1 pruned)"));
    let whole = tmp.path().join("whole2");
    run(&cfg, &raw, &whole, &["--quiet"]);
    assert_same(&tree(&out), &tree(&whole), "after --prune");

    // Another config: everything is cleaned again, and the summary says why.
    let cfg2 = config(tmp.path(), "[dedup.paragraph]\nmax-distance = 3\n");
    let o = run(&cfg2, &raw, &out, &[]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("rebuilt the whole corpus: the configuration changed")
    );
    let whole = tmp.path().join("whole3");
    run(&cfg2, &raw, &whole, &["--quiet"]);
    assert_same(&tree(&out), &tree(&whole), "after a config change");
}

/// A run holding the output makes a second one stop at once, with exit code 2.
/// Unchanged files are not read again when their stat is what the last run recorded; a file
/// rewritten with the same size and its old mtime put back is still a change (its ctime moved).
#[test]
#[cfg(unix)]
fn a_rewrite_that_keeps_size_and_mtime_is_still_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let files = &corpus()[..6];
    let cfg = config(tmp.path(), "");
    let (raw, out) = (tmp.path().join("raw"), tmp.path().join("out"));
    write_raw(&raw, files);
    // Older than the racy window, so the first run trusts the files' stat next time.
    let settle = || std::thread::sleep(std::time::Duration::from_millis(2200));
    settle();
    run(&cfg, &raw, &out, &["--quiet"]);
    let path = raw.join(&files[2].0);
    let old = fs::read_to_string(&path).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let new = old.replacen(" the ", " teh ", 1);
    assert_eq!(new.len(), old.len());
    fs::write(&path, &new).unwrap();
    fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    settle();
    let o = run(&cfg, &raw, &out, &[]);
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("0 new, 1 changed, 5 unchanged (skipped)"), "{said}");
    let fresh = tmp.path().join("fresh");
    run(&cfg, &raw, &fresh, &["--quiet"]);
    assert_same(&tree(&out), &tree(&fresh), "after the rewrite");
}

#[test]
fn a_second_run_on_a_locked_output_stops_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (raw, out) = (tmp.path().join("raw"), tmp.path().join("out"));
    write_raw(&raw, &corpus()[..2]);
    fs::create_dir_all(out.join(".newsprep")).unwrap();
    // This test process is alive: its pid holds the lock.
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let start = stat[stat.rfind(')').unwrap() + 1..].split_whitespace().nth(19).unwrap().to_string();
    fs::write(out.join(".newsprep/lock"), format!("{} {start}\n", std::process::id())).unwrap();
    let o =
        newsprep().args(["run", "--quiet", "--input"]).arg(&raw).arg("--output").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains(&format!("another newsprep run (pid {}) is writing", std::process::id())),
        "{said}"
    );
    assert!(!out.join("corpus.jsonl").exists());
}

/// Kill a run with SIGKILL at several points of a large batch; the previous corpus stays
/// readable and consistent meanwhile (unless the run got to its commit: then the next run
/// finishes the commit first), and rerunning gives exactly the output of an uninterrupted run.
#[test]
fn a_killed_run_leaves_the_previous_corpus_and_the_next_run_completes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let base = corpus();
    // A larger batch: every file again under 40 more folders, with its number in the words.
    let mut files = base.clone();
    for k in 0..40 {
        for (rel, text) in &base {
            let text = text.replace(" the ", &format!(" the{k} ")).replace(" a ", &format!(" a{k} "));
            files.push((format!("e-more{k:02}/{rel}"), text));
        }
    }
    files.sort();
    let cfg = config(tmp.path(), "");
    let (first, all) = (tmp.path().join("first"), tmp.path().join("all"));
    write_raw(&first, &files[..20]);
    write_raw(&all, &files);
    let whole = tmp.path().join("whole");
    run(&cfg, &all, &whole, &["--quiet"]);
    let expected = tree(&whole);

    for (i, delay_ms) in [20u64, 80, 200, 400, 700].into_iter().enumerate() {
        let out = tmp.path().join(format!("out{i}"));
        run(&cfg, &first, &out, &["--quiet"]);
        let previous = tree(&out);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("newsprep"))
            .args(["run", "--quiet", "--jobs", "2", "--config"])
            .arg(&cfg)
            .arg("--input")
            .arg(&all)
            .arg("--output")
            .arg(&out)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        // Readable and consistent: unless the run got as far as its commit, the previous files.
        let now = tree(&out);
        if !out.join(".newsprep/commit.json").exists() && now != expected {
            let now_main: Vec<_> =
                ["corpus.jsonl", "manifest.csv", "duplicates.csv"].iter().map(|f| &now[*f]).collect();
            let prev_main: Vec<_> =
                ["corpus.jsonl", "manifest.csv", "duplicates.csv"].iter().map(|f| &previous[*f]).collect();
            assert!(
                now_main == prev_main,
                "killed after {delay_ms} ms: the previous corpus is left as it was"
            );
        }
        // Every line parses; killed while appending this batch's lines at the commit, the file
        // may end in part of a line, which the journal has the next run take out and write again.
        let corpus = String::from_utf8_lossy(&now["corpus.jsonl"]).into_owned();
        let complete = match out.join(".newsprep/commit.json").exists() {
            true => &corpus[..corpus.rfind('\n').map_or(0, |i| i + 1)],
            false => corpus.as_str(),
        };
        for line in complete.lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("every line of corpus.jsonl parses");
        }
        // The next run takes the dead run's lock over and completes the batch.
        run(&cfg, &all, &out, &["--quiet"]);
        assert_same(&tree(&out), &expected, &format!("killed after {delay_ms} ms, then rerun"));
    }
}
