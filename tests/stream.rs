//! `newsprep clean`: a stream of JSONL records (or one text article) through the pipeline, in
//! a Unix pipe. The records are generated here; memory is measured by `benches/stream.sh`.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

/// `n` JSONL records of three short paragraphs from a small vocabulary (a fixed PRNG), every
/// 10th one a copy of an earlier record with one word changed, so dedup has work.
fn records(n: usize) -> String {
    const WORDS: [&str; 24] = [
        "harbour", "council", "river", "market", "station", "bridge", "workers", "ferry", "storm", "budget",
        "school", "police", "mayor", "festival", "court", "union", "farmers", "port", "hospital", "road",
        "museum", "trains", "weather", "plan",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut texts: Vec<String> = Vec::with_capacity(n);
    let mut out = String::new();
    for i in 0..n {
        let text = if i % 10 == 9 {
            let earlier = &texts[(next() % i as u64) as usize];
            earlier.replacen("the", "a", 1)
        } else {
            (0..3)
                .map(|_| {
                    let words: Vec<&str> = (0..18).map(|_| WORDS[(next() % 24) as usize]).collect();
                    format!("The {} said on Monday.", words.join(" "))
                })
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        let record = serde_json::json!({"id": format!("r{i:05}"), "site": "gen", "title": format!("Story {i}"), "text": text});
        out.push_str(&record.to_string());
        out.push('\n');
        texts.push(text);
    }
    out
}

fn clean(args: &[&str], stdin: impl Into<Vec<u8>>) -> std::process::Output {
    Command::cargo_bin("newsprep").unwrap().arg("clean").args(args).write_stdin(stdin).output().unwrap()
}

/// Without site lines (a stream learns them record by record, a run file by file), a stream
/// gives the records a run writes to corpus.jsonl.
#[test]
fn ten_thousand_records_stream_through_as_a_run_cleans_them() {
    let feed = records(10_000);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipeline.toml");
    fs::write(&config, "[output]\ndocuments = \"none\"\n[boilerplate.sites]\nenabled = false\n").unwrap();
    fs::create_dir(dir.path().join("raw")).unwrap();
    fs::write(dir.path().join("raw/stdin.jsonl"), &feed).unwrap();
    let o = clean(&["-c", config.to_str().unwrap(), "-"], feed);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let streamed = String::from_utf8(o.stdout).unwrap();
    // Every 10th record is a copy with one word changed: (nearly) all are found.
    let summary = String::from_utf8(o.stderr).unwrap();
    let counts: Vec<usize> = summary.split([' ', ',']).filter_map(|w| w.parse().ok()).collect();
    let [records, kept, duplicate, empty, error] = counts[..] else { panic!("{summary}") };
    assert_eq!((records, kept + duplicate, empty, error), (10_000, 10_000, 0, 0), "{summary}");
    assert!((990..=1000).contains(&duplicate), "{summary}");
    let run = Command::cargo_bin("newsprep")
        .unwrap()
        .args(["run", "-q", "-c"])
        .arg(&config)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let corpus = fs::read_to_string(dir.path().join("out/corpus.jsonl")).unwrap();
    assert_eq!(streamed.lines().count(), kept);
    // The only difference: the source is named `stdin`, not the file.
    assert!(
        streamed == corpus.replace("\"source\":\"stdin.jsonl\"", "\"source\":\"stdin\""),
        "stream and run differ"
    );
}

/// `newsprep clean - | head -1`: the reader goes away after one line; newsprep stops quietly
/// with exit code 0 instead of failing on the closed pipe.
#[test]
fn a_closed_pipe_ends_the_stream_quietly() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("newsprep"))
        .args(["clean", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Feed from a thread: once newsprep stops reading, the write fails and the feeder ends.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(records(10_000).as_bytes());
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader (and so the pipe) is dropped here, as `head -1` exits.
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let record: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(record["id"], "r00000");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nothing on stderr");
}

#[test]
fn blank_input_is_no_record() {
    let o = clean(&["-"], "\n  \n");
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "newsprep: stdin: 0 records: 0 kept, 0 duplicates, 0 empty, 0 errors\n"
    );
}

#[test]
fn text_on_stdin_is_one_article() {
    let article = "Port strike enters third week\n\nBy Maria Okafor\n\nDock workers at the country's largest container port extended their strike into a third week on Friday after talks broke down.\n\nShare This\n";
    let o = clean(&["-q", "-"], article);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((r["id"].as_str(), r["source"].as_str()), (Some("stdin"), Some("stdin")));
    assert_eq!(r["title"], "Port strike enters third week");
    assert_eq!(
        r["text"],
        "Dock workers at the country's largest container port extended their strike into a third week on Friday after talks broke down."
    );
}

#[test]
fn a_bad_record_is_reported_with_its_line_and_the_stream_goes_on() {
    let feed = "{\"id\": \"a\", \"text\": \"The council approved the harbour bridge on Tuesday after a long debate.\"}\n{\"id\": \"b\", \"text\": \n\n{\"id\": \"c\", \"body\": \"no text field\"}\n{\"id\": \"d\", \"text\": \"Dock workers extended their strike into a third week on Friday after talks broke down.\"}\n";
    let o = clean(&["-q", "--input-format", "jsonl", "-"], feed);
    assert_eq!(o.status.code(), Some(1));
    let ids: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["a", "d"]);
    let err = String::from_utf8(o.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("newsprep: stdin: line 2: invalid JSON"), "{err}");
    assert_eq!(lines[1], "newsprep: stdin: line 4: no `text` field (input.fields.text)");
}

/// Each record is its own position: a site line learned at the second record that has it
/// leaves the first copy, and goes from the second on.
#[test]
fn site_lines_apply_from_the_record_that_completes_their_count() {
    let body = |s: &str| {
        match s {
            "one" => "The council approved the harbour bridge on Tuesday after a long debate about its cost.",
            "two" => "Dock workers extended their strike into a third week after overnight talks broke down.",
            _ => "Citrus growers say they lost most of their export season because containers cannot leave.",
        }
        .to_string()
    };
    let feed: String = ["one", "two", "three"]
        .iter()
        .map(|w| {
            let text = format!("{}\n\nDownload the Gazette app for free today.", body(w));
            serde_json::json!({"id": w, "site": "gazette", "text": text}).to_string() + "\n"
        })
        .collect();
    let o = clean(&["-q", "-"], feed);
    assert_eq!(o.status.code(), Some(0));
    let texts: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        texts,
        [format!("{}\n\nDownload the Gazette app for free today.", body("one")), body("two"), body("three")]
    );
}

#[test]
fn a_policy_that_needs_the_whole_corpus_cannot_stream() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("p.toml");
    fs::write(&config, "[dedup.document]\ncanonical = \"longest\"\n").unwrap();
    let o = clean(&["-c", config.to_str().unwrap(), "-"], "{}\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("canonical = \"longest\""));
}

/// `--dedup-window N`: a copy of a document kept long ago (more than 2N kept documents back)
/// is no longer found; a copy of a recent one still is. Without a window both are.
#[test]
fn a_dedup_window_forgets_old_documents_and_keeps_recent_ones() {
    let mut feed = records(1100);
    let text_of = |id: &str| -> String {
        let line = feed.lines().find(|l| l.contains(&format!("\"id\":\"{id}\""))).unwrap();
        serde_json::from_str::<Value>(line).unwrap()["text"].as_str().unwrap().to_string()
    };
    let (old, recent) = (text_of("r00000"), text_of("r01000"));
    for (id, text) in [("copy-of-old", old), ("copy-of-recent", recent)] {
        feed.push_str(&serde_json::json!({"id": id, "site": "gen", "text": text}).to_string());
        feed.push('\n');
    }
    let kept = |args: &[&str]| -> Vec<String> {
        let o = clean(args, feed.clone());
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
            .filter(|id| id.starts_with("copy"))
            .collect()
    };
    assert!(kept(&["-q", "-"]).is_empty(), "without a window both copies are duplicates");
    assert_eq!(kept(&["-q", "--dedup-window", "50", "-"]), ["copy-of-old"]);
}

/// A record's `title` and `author` are the feed's: a headline-like first line does not replace
/// the title, and a byline naming the same author leaves the text ("Posted by ... on DATE").
#[test]
fn a_records_title_and_author_stay_and_their_lines_leave_the_text() {
    let body =
        "Based on the feedback we got, the council will meet again next week to decide on the harbour plan.";
    let line = serde_json::json!({
        "id": "a",
        "title": "Council to meet again",
        "author": "Sofia Kim",
        "text": format!("Posted by Sofia Kim on 2022-11-21 in Sports\n\n{body}"),
    });
    let o = clean(&["-", "-q"], format!("{line}\n"));
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v["title"], &v["author"], &v["published"], &v["text"]),
        (
            &serde_json::json!("Council to meet again"),
            &serde_json::json!("Sofia Kim"),
            &serde_json::json!("2022-11-21"),
            &serde_json::json!(body)
        )
    );
    assert_eq!(v["removed"][0]["field"], "author");
}

/// A feed whose first line is broken is still a feed: a `.jsonl` file is read as records (the
/// first line an error row), and stdin, which has no name, is read as one article but says why
/// and how to read it as records.
#[test]
fn a_feed_with_a_bad_first_line_is_read_as_records_or_says_why_not() {
    let feed = "garbage line\n{\"id\":\"x\",\"text\":\"The council approved the harbour plan on Tuesday after a long debate.\"}\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.jsonl");
    fs::write(&file, feed).unwrap();
    let o = clean(&[file.to_str().unwrap()], "");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("feed.jsonl: line 1: not a JSON object"), "{err}");
    let out = String::from_utf8_lossy(&o.stdout);
    let records: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], "x");

    let o = clean(&["-"], feed);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("stdin: read as one text article: its first line is not a JSON object, but line 2 is; pass --input-format jsonl"),
        "{err}"
    );
}

#[test]
fn an_html_page_on_stdin_is_read_as_a_page() {
    let page = "<!-- saved -->\n<!DOCTYPE html><html><head><title>Bridge vote</title></head><body><nav><a href=/>Home</a> <a href=/news>News</a></nav><article><p>The council voted on Tuesday to rebuild the old harbour bridge, which has been closed to traffic since the storms of last winter.</p></article></body></html>";
    for args in [&["-"][..], &["--input-format", "html", "-"][..]] {
        let o = clean(args, page);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["title"], "Bridge vote");
        assert!(r["text"].as_str().unwrap().starts_with("The council voted"), "{r}");
        assert_eq!(r["removed"][0]["text"], "Home News", "the menu is a paragraph of its own, removed");
    }
    // Read as text, the same bytes keep their markup out but lose the page's structure.
    let o = clean(&["--input-format", "text", "-"], page);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_ne!(r["title"], "Bridge vote");
}
