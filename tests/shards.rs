//! The sharded phases (`newsprep shard`) against one `newsprep run` over the same feed: the
//! shards' corpus, manifest and duplicates files, concatenated in shard order, are byte for byte
//! what one run writes, at any shard count, with site lines learned, duplicate documents,
//! reused paragraphs, an id taken twice and a broken line in the feed.
#![cfg(feature = "parquet")]

use assert_cmd::Command;
use std::fs;
use std::path::Path;

const SITES: [&str; 2] = ["harbourtimes", "valleypost"];

const STORIES: [&str; 6] = [
    "The port authority approved a plan on Tuesday to dredge the northern channel, allowing larger container ships to dock without waiting for the tide to turn in their favour.",
    "Farmers in the valley say the late frost destroyed nearly half of the apricot blossoms, and several growers have asked the regional council for emergency loans to cover storage costs.",
    "A new ferry timetable starts next month, with an extra evening crossing on weekdays and a reduced service on Sundays while two of the older vessels are refitted at the yard.",
    "The city library will stay open until nine on weeknights from October, after a petition signed by more than four thousand residents asked for longer hours during the exam season.",
    "Engineers found cracks in two support beams of the old rail bridge during a routine inspection, and trains will cross at walking pace until the repairs are finished next spring.",
    "The regional hospital opened a second maternity ward this week, ending a two-year wait for families who had to travel to the capital when the existing ward was full.",
];

/// A feed of 40 records: each site's articles carry its newsletter line (learned as site
/// boilerplate), some are copies of an earlier story (near-duplicates), some reuse one of its
/// paragraphs, one record takes an id already given and one line is not JSON.
fn feed() -> String {
    let mut out = String::new();
    for i in 0..40usize {
        if i == 23 {
            out.push_str("{\"id\": \"broken\", \"text\": \n");
            continue;
        }
        let site = SITES[i % 2];
        let story = STORIES[i % STORIES.len()];
        let other = STORIES[(i / 3) % STORIES.len()];
        let fresh = format!(
            "Reporter number {i} spent the morning at the market, where traders described record takings in the run-up to the festival that closes the season on the quay."
        );
        let body = match i % 5 {
            // A syndicated copy: the story with a different last sentence.
            0 if i > 5 => format!("{story}\n\nThis copy was edited by the desk of record {i}."),
            // Fresh reporting that reuses one earlier paragraph.
            1 => format!("{fresh}\n\n{other}"),
            _ => format!("{fresh}\n\n{story} It was item {i} of the day's news list, filed late."),
        };
        let text = format!(
            "Headline {i} for {site}\n\nSubscribe to the {site} newsletter\n\n{body}\n\nFollow {site} on social media"
        );
        let id = if i == 31 { "r0007".to_string() } else { format!("r{i:04}") };
        // Later records carry earlier dates, so `canonical = "earliest"` picks another copy.
        let date = format!("2025-01-{:02}", 28 - i % 28);
        let record = serde_json::json!({"id": id, "site": site, "title": format!("Headline {i}"), "date": date, "text": text});
        out.push_str(&record.to_string());
        out.push('\n');
    }
    out
}

fn newsprep(args: &[&str], dir: &Path) -> std::process::Output {
    Command::cargo_bin("newsprep").unwrap().current_dir(dir).args(args).output().unwrap()
}

/// The three files of one run, and of `shards` shards concatenated (one header each).
fn outputs(dir: &Path, shards: Option<u32>) -> [String; 3] {
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap();
    match shards {
        None => ["corpus.jsonl", "manifest.csv", "duplicates.csv"].map(read),
        Some(n) => {
            let cat = |stem: &str, ext: &str, header: bool| {
                let mut all = String::new();
                for i in 0..n {
                    let text = read(&format!("{stem}-{i:05}.{ext}"));
                    let body = if header && i > 0 { text.split_once('\n').unwrap().1 } else { &text };
                    all.push_str(body);
                }
                all
            };
            [cat("corpus", "jsonl", false), cat("manifest", "csv", true), cat("duplicates", "csv", true)]
        }
    }
}

#[test]
fn shards_concatenated_are_one_run_at_any_shard_count() {
    let d = tempfile::tempdir().unwrap();
    let raw = d.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    fs::write(raw.join("feed.jsonl"), feed()).unwrap();
    let o = newsprep(&["run", "-q", "--format", "none", "-i", "raw", "-o", "one"], d.path());
    assert_eq!(o.status.code(), Some(1), "the broken line and the taken id are errors");
    let one = outputs(&d.path().join("one"), None);
    // The feed exercises what the phases must carry across: learned lines, both kinds of
    // duplicate, reused paragraphs and the two errors.
    assert!(one[0].contains("\"reason\":\"site\""), "site lines learned and removed");
    assert!(one[2].contains(",document,") && one[2].contains(",paragraph,"), "{}", one[2]);
    assert!(one[1].contains("already taken") && one[1].contains("line 24"), "{}", one[1]);

    for n in [1u32, 2, 3, 7] {
        // Decided by one index of every print, and by pairs grouped by band key.
        for partitions in [None, Some("2"), Some("5")] {
            let (work, out) = (format!("work{n}{partitions:?}"), format!("out{n}{partitions:?}"));
            let n_text = n.to_string();
            let mut args = vec!["shard", "all", "--feed", "raw/feed.jsonl", "--work", &work, "-o", &out];
            args.extend(["--shards", &n_text]);
            if let Some(p) = partitions {
                args.extend(["--partitions", p]);
            }
            let o = newsprep(&args, d.path());
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let sharded = outputs(&d.path().join(&out), Some(n));
            for (k, name) in ["corpus.jsonl", "manifest.csv", "duplicates.csv"].iter().enumerate() {
                assert!(sharded[k] == one[k], "{name} differs at {n} shards, partitions {partitions:?}");
            }
        }
    }
}

#[test]
fn every_canonical_policy_and_action_settles_as_one_run() {
    let d = tempfile::tempdir().unwrap();
    let raw = d.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    fs::write(raw.join("feed.jsonl"), feed()).unwrap();
    for (k, (policy, action)) in
        [("longest", "drop"), ("earliest", "drop"), ("earliest", "flag"), ("first", "flag")]
            .into_iter()
            .enumerate()
    {
        let cfg = format!("c{k}.toml");
        fs::write(
            d.path().join(&cfg),
            format!("[dedup.document]\ncanonical = \"{policy}\"\naction = \"{action}\"\n"),
        )
        .unwrap();
        let one = format!("one{k}");
        let o = newsprep(&["run", "-q", "--format", "none", "-c", &cfg, "-i", "raw", "-o", &one], d.path());
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        let one = outputs(&d.path().join(&one), None);
        if policy != "first" {
            assert!(one[1].contains(&format!("canonical policy {policy} keeps")), "a cluster was settled");
        }
        for partitions in ["0", "3"] {
            let (work, out) = (format!("w{k}-{partitions}"), format!("o{k}-{partitions}"));
            let mut args = vec!["shard", "all", "-c", &cfg, "--feed", "raw/feed.jsonl", "--work", &work];
            args.extend(["--shards", "3", "-o", &out]);
            if partitions != "0" {
                args.extend(["--partitions", partitions]);
            }
            let o = newsprep(&args, d.path());
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let sharded = outputs(&d.path().join(&out), Some(3));
            for (i, name) in ["corpus.jsonl", "manifest.csv", "duplicates.csv"].iter().enumerate() {
                assert!(
                    sharded[i] == one[i],
                    "{name} differs: canonical {policy}, {action}, partitions {partitions}"
                );
            }
        }
    }
}

/// A feed where one paragraph, lightly edited, recurs in 400 records: its sketch values are
/// band keys of more texts than are paired one by one, so their sketch-key buckets are searched
/// by the global phase itself.
fn crowded_feed() -> String {
    // Over 40 words, so never a site line: a repeated paragraph, for dedup alone.
    let template = format!("{} {}", STORIES[0], STORIES[3]);
    let base: Vec<&str> = template.split(' ').collect();
    let mut out = String::new();
    for i in 0..400usize {
        let mut words = base.clone();
        let (a, b) = (format!("w{}", i % 17), format!("x{}", i % 13));
        words[(i * 7) % base.len()] = &a;
        words[(i * 11 + 3) % base.len()] = &b;
        let text = format!(
            "Wire report {i}\n\n{}\n\n{} {} The desk filed this as note {i}.",
            words.join(" "),
            STORIES[1 + i % 5],
            STORIES[(2 + i / 5) % 6]
        );
        out.push_str(
            &serde_json::json!({"id": format!("c{i:04}"), "site": "wire", "text": text}).to_string(),
        );
        out.push('\n');
    }
    out
}

#[test]
fn groups_too_large_to_pair_decide_as_one_run() {
    let d = tempfile::tempdir().unwrap();
    let raw = d.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    fs::write(raw.join("feed.jsonl"), crowded_feed()).unwrap();
    let o = newsprep(&["run", "-q", "--format", "none", "-i", "raw", "-o", "one"], d.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let one = outputs(&d.path().join("one"), None);
    let o = newsprep(
        &[
            "shard",
            "all",
            "--feed",
            "raw/feed.jsonl",
            "--work",
            "w",
            "--shards",
            "4",
            "--partitions",
            "3",
            "-o",
            "out",
        ],
        d.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(outputs(&d.path().join("out"), Some(4)), one);
    // Some band key's group was cut (written to the cuts tables), so the buckets were searched.
    let cut: usize = (0..3)
        .map(|p| {
            let f = fs::File::open(d.path().join(format!("w/cuts-{p:05}.parquet"))).unwrap();
            let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                .unwrap()
                .build()
                .unwrap();
            r.map(|b| b.unwrap().num_rows()).sum::<usize>()
        })
        .sum();
    assert!(cut > 0, "no group was cut: the test no longer covers the bucket search");
    assert!(one[2].lines().count() > 100, "the recurring paragraph is removed as a repeat");
}

#[test]
fn the_phases_run_one_by_one_and_say_what_is_missing() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("feed.jsonl"), feed()).unwrap();
    let phase = |args: &[&str]| {
        let mut all = vec!["shard"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--feed", "feed.jsonl", "--work", "w", "--shards", "2"]);
        newsprep(&all, d.path())
    };
    // Cleaning a shard before the site lines are learned is refused, naming the file.
    let o = phase(&["prints", "--shard", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("sites.json"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = phase(&["sites", "--shard", "2"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("shard 2 of 2 does not exist"));
    for args in [
        &["sites", "--shard", "0"][..],
        &["sites", "--shard", "1"],
        &["learn"],
        &["prints", "--shard", "0"],
        &["prints", "--shard", "1"],
        &["decide"],
        &["apply", "--shard", "0", "-o", "out"],
        &["apply", "--shard", "1", "-o", "out"],
    ] {
        let o = phase(args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(summary["bytes"].as_u64().unwrap() > 0, "{args:?} wrote something");
    }
    let manifest = |i: u32| fs::read_to_string(d.path().join(format!("out/manifest-{i:05}.csv"))).unwrap();
    assert_eq!(
        manifest(0).lines().count() + manifest(1).lines().count(),
        40 + 2,
        "every record, two headers"
    );
    // A damaged table is an error naming it.
    fs::write(d.path().join("w/prints-00001.parquet"), b"not parquet").unwrap();
    let o = phase(&["decide"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("prints-00001.parquet"));
}
