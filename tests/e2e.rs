//! End-to-end tests: run the `newsprep` binary on the fixture cases under `tests/cases/<name>/`
//! (`pipeline.toml` + `raw/`) and compare every output file with a reviewed insta snapshot.
//! Also: byte-identical output at any thread count and on rerun, config errors, bad input files,
//! and the committed `cleaned/` being what `newsprep run` makes of the committed `raw/`.

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

/// `newsprep run --quiet --format none` from `raw` into `out`, with `config` if given.
fn run_dir(raw: &Path, out: &Path, config: Option<&Path>) -> std::process::Output {
    let mut cmd = newsprep();
    cmd.args(["run", "--quiet", "--format", "none", "--input"]).arg(raw).arg("--output").arg(out);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    cmd.output().unwrap()
}

/// Every file under `dir`, by relative path, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::tree_where(dir, &|_| true)
}

/// Two output trees are the same; on failure, name the files that differ (not their bytes).
fn assert_same_files(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>, what: &str) {
    let differ: Vec<&String> = a.keys().chain(b.keys()).filter(|n| a.get(*n) != b.get(*n)).collect();
    assert!(differ.is_empty(), "{what}: {differ:?}");
}

/// What a run produces: every file but `.newsprep/state.bin`, which records this machine's
/// view of the raw files (their stat, and none for a file changed in the last 2 seconds), so
/// two runs over the same input may save it differently.
fn produced(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::tree_where(dir, &|rel| rel != ".newsprep/state.bin")
}

fn snapshot_case(case: &str) {
    let out = tempfile::tempdir().unwrap();
    let o = run_case(case, out.path(), 2);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let files = tree(out.path());
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    insta::assert_snapshot!(format!("{case}__files"), names.join("\n"));
    // The corpus state and index log are binary, and tested on what they do
    // (tests/incremental.rs).
    let binary = |n: &str| n.ends_with(".bin");
    for (name, bytes) in files.iter().filter(|(n, _)| !binary(n)) {
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
fn canonical() {
    snapshot_case("canonical");
}

/// The same three copies under `drop` and `longest`: only the longest copy is in the corpus
/// (with its text file), the first member becomes a duplicate of it, and no other text file
/// of the cluster is left behind.
#[test]
fn the_longest_copy_replaces_the_first_one_seen_under_drop() {
    let raw = root().join("tests/cases/canonical/raw");
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("pipeline.toml");
    fs::write(&config, "[dedup.document]\naction = \"drop\"\ncanonical = \"longest\"\n").unwrap();
    let out = work.path().join("out");
    let o = newsprep()
        .args(["run", "-q", "-c"])
        .arg(&config)
        .arg("-i")
        .arg(&raw)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    let ids: Vec<String> = corpus
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["blog-3", "other-2"]);
    assert!(!corpus.contains("\"duplicate_of\":\"herald"), "the canonical copy is not marked");
    let mut texts: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    texts.sort();
    assert_eq!(texts, ["blog-3.txt", "other-2.txt"]);
    let manifest = fs::read_to_string(out.join("manifest.csv")).unwrap();
    let status = |id: &str| {
        let row = manifest.lines().find(|l| l.starts_with(&format!("{id},"))).unwrap();
        row.split(',').nth(6).unwrap().to_string()
    };
    assert_eq!(
        [status("herald-1"), status("wire-7"), status("blog-3"), status("other-2")],
        ["duplicate", "duplicate", "kept", "kept"]
    );
    assert!(manifest.contains("canonical policy longest keeps blog-3"), "{manifest}");
    let dups = fs::read_to_string(out.join("duplicates.csv")).unwrap();
    assert!(dups.contains("herald-1,herald-1,blog-3,document,"), "{dups}");
    assert!(dups.contains("herald-1,wire-7,blog-3,document,"), "{dups}");
}

#[test]
fn output_is_byte_identical_across_thread_counts_and_reruns() {
    for case in ["samples", "syndicated", "jsonl", "canonical"] {
        let one = tempfile::tempdir().unwrap();
        let four = tempfile::tempdir().unwrap();
        assert!(run_case(case, one.path(), 1).status.success());
        assert!(run_case(case, four.path(), 4).status.success());
        let first = produced(one.path());
        assert!(first.len() > 3, "{case}: output was written");
        assert_same_files(&first, &produced(four.path()), &format!("{case}: --jobs 1 and --jobs 4 differ"));
        assert!(run_case(case, one.path(), 3).status.success());
        assert_same_files(&first, &produced(one.path()), &format!("{case}: a second run changed the output"));
    }
}

/// More documents than one chunk (512) holds, with edited copies across chunks: the dedup
/// barrier's parallel lookups in earlier chunks and its ordered checks within a chunk give the
/// same output at any thread count, and the copies are found.
#[test]
fn dedup_across_chunks_is_the_same_at_any_thread_count() {
    let words: Vec<String> = (0..400).map(|i| format!("w{}x{}", i * 7919 % 1009, i % 13)).collect();
    // A fixed pseudo-random stream (xorshift), so the corpus is the same on every machine.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut bodies: Vec<Vec<String>> = Vec::new();
    let mut lines = String::new();
    for i in 0..1300 {
        let body: Vec<String> = if i % 7 == 6 {
            // An edited copy of an earlier article: one word changed in its first paragraph.
            let mut b = bodies[(next() % bodies.len() as u64) as usize].clone();
            b[0] = b[0].replacen(' ', " changed ", 1);
            b
        } else {
            (0..5)
                .map(|_| {
                    let n = 25 + (next() % 20) as usize;
                    let mut p: Vec<&str> = (0..n).map(|_| words[(next() % 400) as usize].as_str()).collect();
                    p.push("end.");
                    p.join(" ")
                })
                .collect()
        };
        let text = body.join("\n\n");
        bodies.push(body);
        lines.push_str(&serde_json::json!({"id": format!("a{i:04}"), "text": text}).to_string());
        lines.push('\n');
    }
    let work = tempfile::tempdir().unwrap();
    let raw = work.path().join("feed.jsonl");
    fs::write(&raw, lines).unwrap();
    let config = work.path().join("pipeline.toml");
    fs::write(&config, "[boilerplate]\nenabled = false\n").unwrap();
    let run = |jobs: &str, out: &Path| {
        let o = newsprep()
            .args(["run", "-q", "--jobs", jobs, "-c"])
            .arg(&config)
            .arg("-i")
            .arg(&raw)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        produced(out)
    };
    let one = run("1", &work.path().join("one"));
    let three = run("3", &work.path().join("three"));
    assert_same_files(&one, &three, "--jobs 1 and --jobs 3 differ");
    let manifest = String::from_utf8(one["manifest.csv"].clone()).unwrap();
    let duplicates = manifest.lines().filter(|l| l.contains(",duplicate,")).count();
    // Every seventh of the 1,300 is a copy (of an original or of an earlier copy): 185.
    assert_eq!(duplicates, 185, "every copy and nothing else is a duplicate");
}

#[test]
fn committed_cleaned_is_the_output_of_committed_raw() {
    let out = tempfile::tempdir().unwrap();
    let o =
        newsprep().current_dir(root()).args(["run", "--quiet", "--output"]).arg(out.path()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The corpus state is this machine's cache (file stats), not committed (see .gitignore).
    let committed =
        |dir: &Path| common::tree_where(dir, &|rel| !rel.ends_with(".bin") && rel != ".newsprep/lock");
    let stale = "cleaned/ is stale (run `cargo run --release -- run` and commit it) in";
    assert_same_files(&committed(out.path()), &committed(&root().join("cleaned")), stale);
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

/// Out-of-range values, a regex that does not compile and an empty phrase list, in two rules of
/// one array: each is reported once, with its own line and the rule's real index (no
/// follow-on "missing field" for a key that was set but wrong); an empty rule set is refused.
#[test]
fn config_value_errors_are_each_reported_once_at_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("pipeline.toml");
    fs::write(
        &cfg,
        "[dedup]\nmin-similarity = 1.5\n\n[dedup.paragraph]\nmax-distance = 9\n\n\
         [[boilerplate.rules]]\nid = \"bad-regex\"\ncategory = \"other\"\nmatch.regex = '(unclosed'\n\n\
         [[boilerplate.rules]]\nid = \"no-phrases\"\ncategory = \"other\"\nmatch.start = []\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = newsprep().args(["run", "-c"]).arg(&cfg).arg("-o").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("4 errors in"), "{err}");
    for want in [
        ":2:18: `dedup.min-similarity`: 1.5 is out of range: expected 0.0 to 1.0",
        ":5:16: `dedup.paragraph.max-distance`: 9 is out of range: expected 0 to 6",
        ":10:1: `boilerplate.rules[0].match`: invalid regex",
        ":15:1: `boilerplate.rules[1].match`: the phrase list is empty",
    ] {
        assert!(err.contains(want), "{want} in {err}");
    }
    assert!(!err.contains("missing field"), "{err}");
    assert!(!out.exists(), "nothing may be written");

    fs::write(&cfg, "[boilerplate]\nbuiltin-rules = false\n").unwrap();
    let o = newsprep().args(["run", "-c"]).arg(&cfg).arg("-o").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`boilerplate`: no boilerplate rules are left"));
    assert!(!out.exists());
}

#[test]
fn bad_files_become_error_rows_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let article = "A headline for the good file\n\nThe good file has a body paragraph that is long enough to be kept by every stage of the pipeline.\n";
    fs::write(raw.join("good.txt"), article).unwrap();
    fs::write(raw.join("latin1.txt"), b"Caf\xe9 society returns to the capital, and its \xe9lite with it.\n")
        .unwrap();
    fs::write(raw.join("torn.txt"), b"Caf\xc3\xa9 society returns \xc3 to the capital\n").unwrap();
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
    assert!(err.contains("torn.txt: not valid UTF-8: invalid byte sequence at offset 22"), "{err}");
    assert!(err.contains("binary.txt: binary file: NUL byte at offset 8"), "{err}");

    let manifest = fs::read_to_string(out.join("manifest.csv")).unwrap();
    let rows: Vec<(String, String)> = manifest
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_string(), f[6].to_string())
        })
        .collect();
    let expect = [
        ("binary.txt", "error"),
        ("empty.md", "empty"),
        ("good.txt", "kept"),
        ("latin1.txt", "kept"),
        ("notes.pdf", "skipped"),
        ("only-junk.txt", "empty"),
        ("torn.txt", "error"),
        ("vanished.txt", "error"),
    ];
    let expect: Vec<(String, String)> = expect.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    #[cfg(unix)]
    assert_eq!(rows, expect, "{manifest}");
    assert!(manifest.contains("cannot read: broken symlink: its target does not exist"), "{manifest}");
    assert!(manifest.contains("all 2 paragraphs were metadata or boilerplate"), "{manifest}");
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    assert_eq!(corpus.lines().count(), 2);
    assert!(corpus.contains("\"id\":\"good\""));
    // Windows-1252 is detected, decoded, recorded, and its span counts the file's bytes.
    let latin1: serde_json::Value = serde_json::from_str(corpus.lines().nth(1).unwrap()).unwrap();
    assert_eq!(latin1["encoding"], "windows-1252");
    assert_eq!(latin1["text"], "Café society returns to the capital, and its élite with it.");
    assert_eq!(latin1["spans"], serde_json::json!([[0, 59]]));
    assert!(manifest.contains(",windows-1252,kept,"), "{manifest}");
    assert_eq!(
        fs::read_to_string(out.join("good.txt")).unwrap(),
        "The good file has a body paragraph that is long enough to be kept by every stage of the pipeline.\n"
    );
}

#[test]
fn jsonl() {
    snapshot_case("jsonl");
}

#[test]
fn bad_jsonl_lines_become_error_rows_with_their_line_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let body =
        "The good record has a body paragraph that is long enough to be kept by every stage of the pipeline.";
    let other =
        "Another record tells a different story, about a harbour that reopened after the winter storms.";
    let record = |id: &str, body: &str| {
        format!("{{\"id\": \"{id}\", \"title\": \"Headline\", \"text\": \"Headline\\n\\n{body}\"}}\n")
    };
    let long = format!("{{\"id\": \"long\", \"text\": \"{}\"}}\n", "word ".repeat(400));
    let feed = [
        record("first", body),
        "{\"id\": \"broken\", \"text\": \"no closing quote}\n".to_string(),
        "\n".to_string(),
        "{\"id\": \"untitled\", \"title\": \"No text here\"}\n".to_string(),
        record("first", other),
        long,
        "[1, 2, 3]\r\n".to_string(),
        record("last", other).trim_end().to_string(), // no line end on the last line
    ]
    .concat();
    fs::write(raw.join("feed.jsonl"), feed).unwrap();
    fs::write(dir.path().join("pipeline.toml"), "[input]\nmax-file-bytes = 1000\n").unwrap();
    let out = dir.path().join("out");
    let o = newsprep()
        .args(["run", "--quiet", "--config"])
        .arg(dir.path().join("pipeline.toml"))
        .arg("--input")
        .arg(&raw)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "bad records give exit 1");
    let mut r = csv::Reader::from_path(out.join("manifest.csv")).unwrap();
    let rows: Vec<(String, String, String, String)> = r
        .records()
        .map(|row| {
            let row = row.unwrap();
            (row[0].to_string(), row[2].to_string(), row[6].to_string(), row[11].to_string())
        })
        .collect();
    let row = |id: &str, line: &str, status: &str, message: &str| {
        (id.to_string(), line.to_string(), status.to_string(), message.to_string())
    };
    assert_eq!(
        rows,
        [
            row("first", "1", "kept", ""),
            row(
                "feed-2",
                "2",
                "error",
                "line 2: invalid JSON: EOF while parsing a string at line 1 column 43"
            ),
            row("untitled", "4", "error", "line 4: no `text` field (input.fields.text)"),
            row(
                "first",
                "5",
                "error",
                "document id `first` of line 5 is already taken by feed.jsonl line 1; give one of the records another id"
            ),
            row("feed-6", "6", "error", "line 6: line is 2026 bytes, over the limit (input.max-file-bytes)"),
            row("feed-7", "7", "error", "line 7: not a JSON object"),
            row("last", "8", "kept", ""),
        ]
    );
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    assert_eq!(corpus.lines().count(), 2);
    assert!(corpus.contains("\"source\":\"feed.jsonl\",\"line\":8,"), "{corpus}");
    assert_eq!(fs::read_to_string(out.join("last.txt")).unwrap(), format!("{other}\n"));
    assert_eq!(fs::read_to_string(out.join("first.txt")).unwrap(), format!("{body}\n"));
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
    for line in ["  5 kept, 0 duplicates", "duplicate:same-document", "boilerplate:share", "tail"] {
        assert!(err.contains(line), "summary lacks {line:?}:\n{err}");
    }
}

/// The sample articles' checklist, asserted directly (not only through snapshots): no markup
/// debris, the New Arab body once, the doubled title once and only as the title, every
/// boilerplate line gone, metadata found where the article states it.
#[test]
fn samples_meet_the_cleaning_checklist() {
    let out = tempfile::tempdir().unwrap();
    assert!(run_case("samples", out.path(), 2).status.success());
    let text = |id: &str| fs::read_to_string(out.path().join(format!("{id}.txt"))).unwrap();
    let all: String = [
        "000_4428cae25f039108",
        "001_9d29f262d3a62c43",
        "002_897de2a47dc8da2c",
        "003_188609054b0dde38",
        "004_ccffc555df548dd7",
    ]
    .iter()
    .map(|id| text(id))
    .collect();
    for debris in ["](", "\\*", "  ", "**", "# "] {
        assert!(!all.contains(debris), "debris {debris:?} left");
    }
    for junk in [
        "Skip to main content",
        "Share This",
        "CATEGORIES",
        "Follow us",
        "Copyright",
        "fair use",
        "Disclaimer",
        "Articles by",
        "About the author",
        "Become a Member",
        "Comment on",
        "Popular posts",
        "No comments",
        "Post a Comment",
        "Region:",
        "Theme:",
        "[Getty]",
        "Featured image",
        "originally published",
        "is an American Moscow-based political analyst",
        "The Fall of the Rafale",
        "publications@",
    ] {
        assert!(!all.contains(junk), "boilerplate {junk:?} left");
    }
    let new_arab = text("004_ccffc555df548dd7");
    assert_eq!(new_arab.matches("The Wagner Group has had a foothold in Libya since 2018.").count(), 1);
    assert_eq!(new_arab.matches("\n\n").count() + 1, 27, "27 body paragraphs, once each");
    let title = "Cracks Appearing in Algiers-Moscow Relations";
    assert!(!text("002_897de2a47dc8da2c").contains(title), "the doubled title leaves the body");

    let corpus = fs::read_to_string(out.path().join("corpus.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = corpus.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let meta = |i: usize, k: &str| records[i][k].as_str().map(str::to_string);
    assert_eq!(meta(0, "author").as_deref(), Some("Andrew Korybko"));
    assert_eq!(meta(0, "published").as_deref(), Some("2024-09-02"));
    assert_eq!(meta(0, "site").as_deref(), Some("Global Research"));
    assert!(meta(2, "title").unwrap().starts_with(title));
    assert_eq!(meta(3, "author").as_deref(), Some("Belgacem Merbah"));
    assert_eq!(meta(4, "author").as_deref(), Some("Basma El Atti"));
    assert_eq!(meta(4, "published").as_deref(), Some("2025-01-03"));
    assert_eq!(meta(4, "site").as_deref(), Some("THE NEW ARAB"));
    // Every removed span points at raw bytes that hold the removed text's first word.
    for r in &records {
        let raw =
            fs::read(root().join("tests/cases/samples/raw").join(r["source"].as_str().unwrap())).unwrap();
        for x in r["removed"].as_array().unwrap() {
            let span = &raw[x["start"].as_u64().unwrap() as usize..x["end"].as_u64().unwrap() as usize];
            let first = x["text"].as_str().unwrap().split_whitespace().next().unwrap_or("");
            let first = first.trim_matches(|c: char| !c.is_alphanumeric());
            assert!(String::from_utf8_lossy(span).contains(first), "span of {x} in {}", r["id"]);
        }
    }
}

/// Site knowledge: a line repeated on three pages of one site goes from all of them, `newsprep
/// sites` lists it, and a later batch into the same output still removes it (the knowledge is
/// kept with the corpus). The same line on another site's single page is not site boilerplate.
#[test]
fn site_boilerplate_is_learned_shown_and_kept_for_later_batches() {
    let out = tempfile::tempdir().unwrap();
    let dir = root().join("tests/cases/sites");
    let o = run_case("sites", out.path(), 2);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let corpus = fs::read_to_string(out.path().join("corpus.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = corpus.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let removed_as_site = |r: &serde_json::Value| -> Vec<String> {
        r["removed"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["reason"] == "site")
            .map(|x| x["text"].as_str().unwrap().to_string())
            .collect()
    };
    for r in &records {
        let id = r["id"].as_str().unwrap();
        let text = r["text"].as_str().unwrap();
        assert!(!text.contains("Daily Planet app"), "{id} keeps the promotion: {text}");
        // The third planet page (in path order) completes the count: the line is site
        // boilerplate from that file on. The two before it lose it to the classifier only.
        if id == "planet/library" {
            assert!(removed_as_site(r).contains(&"Get the Daily Planet app".to_string()), "{id}");
            let why = r["removed"].as_array().unwrap().iter().find(|x| x["reason"] == "site").unwrap()["why"]
                .as_str()
                .unwrap()
                .to_string();
            assert_eq!(why, "learned boilerplate of site \"planet\" (see `newsprep sites`)");
        } else {
            assert!(removed_as_site(r).is_empty(), "{id}: not learned before its file");
        }
    }
    let market = records.iter().find(|r| r["id"] == "gazette/market").unwrap();
    assert_eq!(market["title"], "Farmers market moves to the old station");

    let shown = newsprep().args(["sites", "--output"]).arg(out.path()).output().unwrap();
    assert!(shown.status.success());
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("planet: 3 lines"), "{shown}");
    assert!(shown.contains("3 docs  Get the Daily Planet app"), "{shown}");
    let saved = fs::read_to_string(out.path().join(".newsprep/sites.json")).unwrap();
    assert!(saved.contains(r#""since": "planet/library.txt""#), "{saved}");

    // A later batch of one page of the same site, from another folder: the earlier pages are
    // gone from this input, so their output stays (and is reported); the page is added.
    let earlier = fs::read_to_string(out.path().join("corpus.jsonl")).unwrap();
    let o = newsprep()
        .args(["run", "--quiet", "--config"])
        .arg(dir.join("pipeline.toml"))
        .arg("--input")
        .arg(dir.join("later"))
        .arg("--output")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("planet/heat.txt: gone from the input; its output stays"), "{stderr}");
    let corpus = fs::read_to_string(out.path().join("corpus.jsonl")).unwrap();
    assert!(corpus.starts_with(&earlier), "the earlier batch's output is left as it was");
    let ferry: serde_json::Value = serde_json::from_str(corpus.lines().last().unwrap()).unwrap();
    assert_eq!(ferry["id"], "planet/ferry");
    assert_eq!(removed_as_site(&ferry), ["Get the Daily Planet app"]);
    assert_eq!(ferry["title"], "Ferry service returns to the island");
}

/// `newsprep explain` shows every paragraph with its decision, the classifier's score and the
/// signals; the removal reasons match corpus.jsonl's.
#[test]
fn explain_prints_each_decision_with_score_and_signals() {
    let file = root().join("tests/cases/sites/raw/gazette/market.txt");
    let config = root().join("tests/cases/sites/pipeline.toml");
    let o = newsprep().args(["explain", "--config"]).arg(&config).arg(&file).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let line =
        |start: &str| text.lines().find(|l| l.trim_start().starts_with(start)).unwrap_or("").to_string();
    assert!(text.contains("language: en"), "{text}");
    assert!(line("2 drop metadata:title").contains("Farmers market moves"), "{text}");
    assert!(line("3 keep").contains("0.9"), "{text}");
    assert!(line("6 drop classifier:outside-main").contains("Metro | Sports | Weather"), "{text}");
    assert!(text.contains("separators -1.50"), "signal contributions are listed:\n{text}");
    assert!(text.contains("5 words, stopwords 0.00, no sentence end, title case, separators"), "{text}");
    // A folder is refused with a message.
    let o = newsprep().args(["explain"]).arg(root().join("tests/cases/sites/raw")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("one file"));
}

/// `--format` picks the per-document files: markdown with front matter, the JSON record, or
/// none; switching formats leaves no file of the earlier one.
#[test]
fn per_document_files_in_each_format() {
    let out = tempfile::tempdir().unwrap();
    let config = root().join("tests/cases/syndicated/pipeline.toml");
    let run = |format: &str| {
        let o = newsprep()
            .args(["run", "-q", "--format", format, "-c"])
            .arg(&config)
            .arg("-o")
            .arg(out.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let corpus = || -> Vec<serde_json::Value> {
        fs::read_to_string(out.path().join("corpus.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let files = |ext: &str| -> Vec<String> {
        let mut v: Vec<String> = tree(out.path()).into_keys().filter(|n| n.ends_with(ext)).collect();
        v.sort();
        v
    };
    run("md");
    let records = corpus();
    assert_eq!(files(".md").len(), records.len());
    for r in &records {
        let id = r["id"].as_str().unwrap();
        let md = fs::read_to_string(out.path().join(format!("{id}.md"))).unwrap();
        let (front, body) = md.strip_prefix("---\n").unwrap().split_once("\n---\n\n").unwrap();
        assert!(front.starts_with(&format!("id: \"{id}\"\ntitle: ")), "{front}");
        assert!(front.contains(&format!("\nsha256: \"{}\"", r["sha256"].as_str().unwrap())), "{front}");
        assert_eq!(body, format!("{}\n", r["text"].as_str().unwrap()));
    }
    run("json");
    assert!(files(".md").is_empty(), "the markdown files are replaced");
    for r in &corpus() {
        let path = out.path().join(format!("{}.json", r["id"].as_str().unwrap()));
        let file: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(&file, r);
    }
    run("none");
    assert_eq!(
        files(".json"),
        [".newsprep/sites.json", "stats.json"],
        "only the corpus' own JSON files stay"
    );
    assert!(files(".txt").is_empty());
}

/// A flat folder of pages from many sites is one site to site learning (`.`), so lines that
/// unrelated pages happen to share are learned. A learned line that stands inside an article's
/// prose stays; the shared footer line at the edge of each page goes.
#[test]
fn a_folder_mixing_many_sites_loses_no_article_text_to_site_lines() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    // The same quoted statement (10+ words, so it needs 4 documents to be learned), carried by
    // five wire-based stories on five sites, each with its own prose around it.
    let quote = "“We will reopen the harbour bridge to all traffic by the end of April,” the minister said.";
    let towns = ["Harbourton", "Millbrook", "Eastfield", "Northgate", "Kingsport"];
    for (i, town) in towns.iter().enumerate() {
        let page = format!(
            "Bridge works reach {town}\n\n\
             The council of {town} said on Tuesday that repairs to its part of the coastal route would start next week, with lanes closed at night.\n\n\
             {quote}\n\n\
             Traders in {town} said the closures had already cost them customers, and asked for help with parking near the market square.\n\n\
             Reporting by the {town} desk; editing by the regional team.\n\n\
             Site {i} newsletter: sign up for our free morning briefing today.\n"
        );
        fs::write(raw.join(format!("site{i}.txt")), page).unwrap();
    }
    // Dedup off across documents: this is about site lines (an exact repeat of an earlier
    // document's paragraph is dedup's to remove, with its own reason).
    let config = dir.path().join("pipeline.toml");
    fs::write(&config, "[dedup.document]\naction = \"off\"\n[dedup.paragraph]\nscope = \"document\"\n")
        .unwrap();
    let out = dir.path().join("out");
    let o = run_dir(&raw, &out, Some(&config));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    let docs: Vec<serde_json::Value> = corpus.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(docs.len(), 5, "{corpus}");
    for d in &docs {
        let text = d["text"].as_str().unwrap();
        assert!(text.contains(quote), "{}: the quote was cut: {text}", d["id"]);
        assert!(text.contains("Traders in"), "{}: {text}", d["id"]);
        let site_removed: Vec<&str> = d["removed"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["reason"] == "site")
            .map(|r| r["text"].as_str().unwrap())
            .collect();
        assert!(site_removed.iter().all(|t| !t.contains("minister said")), "{site_removed:?}");
    }
}

/// Output files get the mode a plain create gives (0666 less the umask), like the per-document
/// files: not the private 0600 of a temporary file, which the rename into place used to keep.
#[test]
#[cfg(unix)]
fn output_files_are_readable_like_any_file_the_user_creates() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run_case("samples", &out, 1);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plain = dir.path().join("plain");
    fs::File::create(&plain).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for f in ["corpus.jsonl", "manifest.csv", "duplicates.csv", "stats.json"] {
        assert_eq!(mode(&out.join(f)), mode(&plain), "{f}");
    }
    // A rerun that rewrites them keeps it so.
    fs::remove_file(out.join("stats.json")).unwrap();
    let o = run_case("samples", &out, 1);
    assert!(o.status.success());
    assert_eq!(mode(&out.join("stats.json")), mode(&plain));
}

/// A JSONL feed saved with a UTF-8 byte order mark keeps its first record.
#[test]
fn a_feed_with_a_byte_order_mark_keeps_its_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let body = "The council said on Tuesday that repairs to the harbour bridge would take until the spring, and that one lane would close at night.";
    let feed = format!(
        "\u{FEFF}{{\"id\": \"first\", \"text\": \"{body}\"}}\n{{\"id\": \"second\", \"text\": \"Traders said the closures had already cost them customers. {body}\"}}\n"
    );
    fs::write(raw.join("feed.jsonl"), feed).unwrap();
    let out = dir.path().join("out");
    let o = run_dir(&raw, &out, None);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let manifest = fs::read_to_string(out.join("manifest.csv")).unwrap();
    assert!(manifest.contains("first,feed.jsonl,1,"), "{manifest}");
    assert!(!manifest.contains("not a JSON object"), "{manifest}");
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    assert!(corpus.contains("\"id\":\"first\""), "{corpus}");
}

/// Every subcommand ends quietly when its reader goes away (`| head`, `| true`): exit 0, no
/// panic; a run whose stderr is closed still commits its corpus.
#[test]
#[cfg(unix)]
fn a_closed_stdout_or_stderr_ends_every_command_quietly() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert!(run_case("samples", &out, 1).status.success());
    let case = root().join("tests/cases/samples");
    let bin = assert_cmd::cargo::cargo_bin("newsprep");
    let sample = fs::read_dir(case.join("raw")).unwrap().next().unwrap().unwrap().path();
    // (arguments, which stream is closed)
    let commands: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (vec!["sites".into(), "--output".into(), out.clone().into()], "stdout"),
        (vec!["explain".into(), sample.clone().into()], "stdout"),
        (
            vec![
                "check".into(),
                "--format".into(),
                "json".into(),
                "--config".into(),
                case.join("pipeline.toml").into(),
                "--output".into(),
                out.clone().into(),
            ],
            "stdout",
        ),
        (
            vec![
                "run".into(),
                "--full".into(),
                "--config".into(),
                case.join("pipeline.toml").into(),
                "--output".into(),
                dir.path().join("out2").into(),
            ],
            "stderr",
        ),
    ];
    for (args, closed) in commands {
        // What the command exits with when its output is read to the end (check fails its
        // gates on this case's config: exit 1 either way).
        let expected = std::process::Command::new(&bin)
            .args(&args)
            .current_dir(&case)
            .stdin(Stdio::null())
            .output()
            .unwrap()
            .status
            .code();
        if closed == "stderr" {
            fs::remove_dir_all(dir.path().join("out2")).unwrap();
        }
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(&args).current_dir(&case).stdin(Stdio::null());
        // The closed stream is a pipe whose reading end is dropped before the command writes;
        // the other one is kept to look for a panic.
        let (stdout, stderr) = if closed == "stdout" {
            (Stdio::piped(), Stdio::piped())
        } else {
            (Stdio::null(), Stdio::piped())
        };
        let mut child = cmd.stdout(stdout).stderr(stderr).spawn().unwrap();
        let mut kept = String::new();
        if closed == "stdout" {
            drop(child.stdout.take());
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut kept).unwrap();
        } else {
            drop(child.stderr.take());
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), expected, "{args:?}: {kept}");
        assert!(matches!(expected, Some(0 | 1)), "{args:?}");
        assert!(!kept.contains("panicked") && !kept.contains("Broken pipe"), "{args:?}: {kept}");
    }
    // The run with its stderr closed committed its corpus.
    assert!(dir.path().join("out2/corpus.jsonl").exists());
}

/// Messages that name what is wrong in the user's words.
#[test]
fn messages_say_what_is_wrong_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    fs::write(&file, "").unwrap();
    let raw = root().join("tests/cases/samples/raw");
    let o =
        newsprep().args(["run", "--quiet", "--input"]).arg(&raw).arg("--output").arg(&file).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("it is a file, not a folder"), "{err}");

    let o = newsprep().args(["sites", "--output"]).arg(dir.path().join("nosuch")).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "no corpus there is an error");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no corpus at") && err.contains("nosuch"), "{err}");

    let config = dir.path().join("p.toml");
    fs::write(&config, "[dedup.document]\nmax-distance = -1\n").unwrap();
    let o = newsprep()
        .args(["run", "--quiet", "--config"])
        .arg(&config)
        .arg("--input")
        .arg(&raw)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("expected a whole number") && !err.contains("u32"), "{err}");
}

/// `[boilerplate.classifier] model` names a context model file relative to the config: a broken
/// one is a config error naming the key and the file; a working one decides (here one that
/// rejects every paragraph the rules leave, so the page comes out empty).
#[test]
fn a_context_model_named_in_the_config_is_checked_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    fs::write(
        raw.join("a.txt"),
        "The council approved the harbour plan on Tuesday after a long debate that drew hundreds of residents.\n\nSupporters said the plan would bring jobs, while opponents warned that its cost had doubled since spring.\n",
    )
    .unwrap();
    let config = dir.path().join("pipeline.toml");
    fs::write(&config, "[boilerplate.classifier]\nmodel = \"my.model\"\n").unwrap();
    fs::write(dir.path().join("my.model"), "bias 1\nscore 2\n").unwrap();
    let o = run_dir(&raw, &dir.path().join("out"), Some(&config));
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("boilerplate.classifier.model") && err.contains("my.model"), "{err}");
    assert!(err.contains("no weight for main"), "{err}");

    let shipped = fs::read_to_string(root().join("src/stages/boilerplate/context.model")).unwrap();
    let rejecting: String = shipped
        .lines()
        .map(|l| if l.starts_with("bias ") { "bias -40" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(dir.path().join("my.model"), rejecting).unwrap();
    let o = run_dir(&raw, &dir.path().join("out"), Some(&config));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let corpus = fs::read_to_string(dir.path().join("out/corpus.jsonl")).unwrap();
    assert!(corpus.is_empty(), "every paragraph rejected, the page is dropped as empty: {corpus}");
    let manifest = fs::read_to_string(dir.path().join("out/manifest.csv")).unwrap();
    assert!(manifest.contains("empty"), "{manifest}");
}

/// The summary keeps this run's work apart from the corpus totals: after an incremental run
/// that read one file, it says one file was read while the corpus holds two documents, counts
/// in the singular where there is one, and ends with where to look next.
#[test]
fn the_summary_shows_this_run_and_the_corpus_apart() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let story = "Council approves the harbour plan\n\nThe city council approved the new harbour plan on Tuesday evening after a debate that lasted more than six hours and drew hundreds of residents to the town hall.\n\nSupporters said the plan would bring jobs and protect the old quay, while opponents warned that the cost had doubled since the first draft was published last spring.\n";
    fs::write(raw.join("a.txt"), story).unwrap();
    let out = dir.path().join("out");
    let run = || {
        newsprep()
            .args(["run", "--format", "none", "--input"])
            .arg(&raw)
            .arg("--output")
            .arg(&out)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    fs::write(raw.join("b.txt"), story).unwrap();
    let o = run();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let at = |s: &str| err.find(s).unwrap_or_else(|| panic!("no `{s}` in:\n{err}"));
    assert!(at("newsprep: ") < at("this run  1 file read ("), "the header comes first:\n{err}");
    assert!(err.contains("1 document\n  0 kept, 1 duplicate, 0 empty, 0 errors"), "{err}");
    assert!(err.contains("1 new, 0 changed, 1 unchanged (skipped)"), "{err}");
    assert!(err.contains("1 duplicate of documents from earlier runs:\n    b duplicates a"), "{err}");
    assert!(at("this run") < at("corpus    2 documents from "), "{err}");
    assert!(err.contains("  1 kept, 1 duplicate, 0 empty, 0 errors"), "{err}");
    assert!(err.contains("manifest.csv") && err.contains("newsprep explain"), "{err}");
    assert!(!err.contains("files, ") && !err.contains("1 duplicates"), "{err}");
}

/// `newsprep explain FEED --id ID` (or `--line N`, also for a gzipped feed) explains one record,
/// and with `--output` naming the corpus a run wrote it uses that corpus's site knowledge: the
/// paragraphs it drops are the `removed` records corpus.jsonl has for that document.
#[test]
fn explain_picks_a_feed_record_and_matches_what_run_removed() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let stories = [
        (
            "harbour",
            "The city council approved the new harbour plan on Tuesday evening after a debate that lasted more than six hours.",
        ),
        (
            "ferry",
            "The ferry service to the island returns next week after repairs to the pier took longer than the operator had planned.",
        ),
        (
            "market",
            "The weekly farmers market moves to the old railway station next month, after traders said the square was too small.",
        ),
    ];
    let mut feed = String::new();
    for (id, body) in stories {
        let text = format!(
            "{body}\n\nGet the Daily Planet app\n\nShare this article\n\nResidents can read the full plan at the library, which opens late on Thursdays for the occasion."
        );
        feed.push_str(&serde_json::json!({"id": id, "site": "planet", "text": text}).to_string());
        feed.push('\n');
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, feed.as_bytes()).unwrap();
    fs::write(raw.join("feed.jsonl.gz"), gz.finish().unwrap()).unwrap();
    let out = dir.path().join("out");
    assert!(run_dir(&raw, &out, None).status.success());
    let corpus = fs::read_to_string(out.join("corpus.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = corpus.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let explain = |pick: &[&str], output: bool| {
        let mut cmd = newsprep();
        cmd.arg("explain").arg(raw.join("feed.jsonl.gz")).args(pick);
        if output {
            cmd.arg("--output").arg(&out);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    for (k, pick) in [["--id", "ferry"], ["--line", "3"]].iter().enumerate() {
        let text = explain(pick, true);
        let record = &records[k + 1];
        let dropped: Vec<&str> =
            text.lines().filter(|l| l.split_whitespace().nth(1) == Some("drop")).collect();
        // Repeats of other documents' paragraphs are the corpus-wide dedup's to find: explain
        // looks at one document, so it compares with everything else run removed.
        let removed: Vec<&serde_json::Value> = record["removed"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !(r["reason"] == "duplicate" && r["of"]["id"] != record["id"]))
            .collect();
        assert!(removed.len() >= 2, "{record}");
        assert_eq!(dropped.len(), removed.len(), "{}:\n{text}", record["id"]);
        for r in removed {
            let start: String = r["text"].as_str().unwrap().chars().take(20).collect();
            let reason = r["reason"].as_str().unwrap();
            assert!(
                dropped.iter().any(|l| l.contains(&start) && l.contains(&format!("drop {reason}"))),
                "{} removed {start:?} as {reason}; explain says:\n{text}",
                record["id"]
            );
        }
        assert!(text.contains("drop site"), "the learned promotion line, as run removed it:\n{text}");
    }
    // Without the corpus there is no site knowledge: the promotion line is not a site line.
    assert!(!explain(&["--id", "ferry"], false).contains("drop site"));
    // A feed needs a pick; a record that is not there is named.
    let o = newsprep().arg("explain").arg(raw.join("feed.jsonl.gz")).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pick one with --id ID or --line N"));
    let o =
        newsprep().arg("explain").arg(raw.join("feed.jsonl.gz")).args(["--id", "nosuch"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("no record with id `nosuch`"));
}

/// A document dropped because most of its body repeats an earlier one (containment) says so,
/// with its share, and does not read as a whole-body copy over the distance limit.
#[test]
fn a_containment_duplicate_says_it_was_containment_and_its_share() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let shared = [
        "The city council approved the new harbour plan on Tuesday evening after a debate that lasted more than six hours and drew hundreds of residents.",
        "Supporters said the plan would bring jobs and protect the old quay, while opponents warned that the cost had doubled since the first draft was published.",
        "The mayor said work on the first stage would begin in the spring, with the old warehouses on the north side of the quay to be cleared first.",
        "Residents can read the full plan at the public library, which will open late on Thursdays for the next two months so that everyone has a chance to see it.",
    ];
    fs::write(raw.join("a.txt"), shared.join("\n\n")).unwrap();
    let extra = "In other news, the regional orchestra announced a new season of free concerts in parks across the county, starting with a programme of film music in June.";
    fs::write(raw.join("b.txt"), format!("{}\n\n{extra}", shared[..3].join("\n\n"))).unwrap();
    let out = dir.path().join("out");
    assert!(run_dir(&raw, &out, None).status.success());
    let manifest = fs::read_to_string(out.join("manifest.csv")).unwrap();
    let row = manifest.lines().find(|l| l.starts_with("b,")).unwrap();
    assert!(row.contains(",duplicate,"), "{row}");
    assert!(
        row.contains("containment: ") && row.contains("% of its body words repeat paragraphs of a"),
        "{row}"
    );
    assert!(row.contains("the distance limit is for whole-body copies"), "{row}");
}

#[test]
fn html() {
    snapshot_case("html");
}
