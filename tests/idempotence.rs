//! Cleaning a cleaned corpus changes nothing (issue 7): a corpus is cleaned, its `corpus.jsonl`
//! is fed back as a JSONL feed (the record's `title`, `author`, `published` and `site` are the
//! feed's fields), and every document must come out with the same text and metadata, with
//! nothing removed and nothing found to be a duplicate.
//!
//! The corpora are generated: articles of one or two sites mixing body paragraphs with the
//! furniture newsprep removes (share bars, follow and subscribe calls, copyright lines, related
//! teasers, bylines, date lines, a title scraped twice), and near-copies of earlier articles.

use newsprep::progress::Silent;
use newsprep::settings::Settings;
use newsprep::{config::PipelineConfig, run};
use proptest::prelude::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

const WORDS: [&str; 40] = [
    "council", "harbour", "workers", "river", "market", "station", "budget", "school", "police", "mayor",
    "festival", "court", "union", "farmers", "hospital", "museum", "trains", "weather", "plan", "bridge",
    "ferry", "tunnel", "library", "parking", "housing", "water", "energy", "taxes", "airport", "stadium",
    "garden", "bakery", "the", "of", "and", "in", "to", "a", "for", "with",
];

const FURNITURE: [&str; 10] = [
    "Share This",
    "Tweet Share Pin Email 120 shares",
    "Follow us on Facebook, Twitter and Instagram for the latest updates.",
    "Subscribe to our newsletter",
    "© 2024 Harbour Herald. All rights reserved.",
    "Skip to main content",
    "Popular posts from this blog",
    "Leave a comment",
    "Advertisement",
    "Click the share button below to email this article to your friends.",
];

fn sentence(seed: &[u8]) -> String {
    let words: Vec<&str> = seed.iter().map(|&b| WORDS[b as usize % WORDS.len()]).collect();
    let mut s = words.join(" ");
    s[..1].make_ascii_uppercase();
    s + "."
}

/// One generated article.
#[derive(Debug, Clone)]
struct Article {
    title: Option<Vec<u8>>,
    title_twice: bool,
    byline: Option<u8>,
    top: Vec<u8>,
    body: Vec<Vec<Vec<u8>>>,
    bottom: Vec<u8>,
    /// A near-copy of an earlier article (by index, modulo), with one word changed.
    copy_of: Option<u8>,
}

fn article() -> impl Strategy<Value = Article> {
    let words = || proptest::collection::vec(any::<u8>(), 8..24);
    (
        proptest::option::of(proptest::collection::vec(any::<u8>(), 3..9)),
        any::<bool>(),
        proptest::option::of(any::<u8>()),
        proptest::collection::vec(any::<u8>(), 0..3),
        proptest::collection::vec(proptest::collection::vec(words(), 1..4), 2..6),
        proptest::collection::vec(any::<u8>(), 0..4),
        proptest::option::weighted(0.2, any::<u8>()),
    )
        .prop_map(|(title, title_twice, byline, top, body, bottom, copy_of)| Article {
            title,
            title_twice,
            byline,
            top,
            body,
            bottom,
            copy_of,
        })
}

fn render(a: &Article) -> String {
    const NAMES: [&str; 4] = ["Jane Doe", "Basma El Atti", "Andrew Korybko", "Sofia Kim"];
    let mut parts: Vec<String> =
        a.top.iter().map(|&f| FURNITURE[f as usize % FURNITURE.len()].into()).collect();
    if let Some(t) = &a.title {
        let t = sentence(t);
        let t = t.trim_end_matches('.').to_string();
        parts.push(format!("# {t}"));
        if a.title_twice {
            parts.push(t);
        }
    }
    if let Some(b) = a.byline {
        parts.push(format!("By {}", NAMES[b as usize % NAMES.len()]));
    }
    for p in &a.body {
        parts.push(p.iter().map(|s| sentence(s)).collect::<Vec<_>>().join(" "));
    }
    parts.extend(a.bottom.iter().map(|&f| FURNITURE[f as usize % FURNITURE.len()].to_string()));
    parts.join("\n\n") + "\n"
}

fn records(path: &Path) -> Vec<Value> {
    fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Clean `articles` (as `raw/<site>/NN.md`), then clean the result again; compare.
fn clean_twice(articles: &[Article]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    for (i, a) in articles.iter().enumerate() {
        let site = if i % 2 == 0 { "herald" } else { "gazette" };
        fs::create_dir_all(raw.join(site)).unwrap();
        let text = match a.copy_of {
            Some(j) if i > 0 => {
                let original = render(&articles[j as usize % i]);
                original.replacen("council", "city council", 1)
            }
            _ => render(a),
        };
        fs::write(raw.join(format!("{site}/{i:02}.md")), text).unwrap();
    }
    let first = dir.path().join("first");
    let settings = Settings::defaults(&raw, &first);
    run::run(&settings, &Silent).unwrap();

    // The cleaned corpus as a feed: `published` is its date field.
    let feed = dir.path().join("feed");
    fs::create_dir_all(&feed).unwrap();
    fs::copy(first.join("corpus.jsonl"), feed.join("corpus.jsonl")).unwrap();
    let cfg: PipelineConfig = toml::from_str("[input.fields]\ndate = \"published\"\n").unwrap();
    let mut again = Settings::from_config(&cfg, dir.path());
    again.input = feed;
    again.output = dir.path().join("second");
    run::run(&again, &Silent).unwrap();

    let (one, two) = (records(&first.join("corpus.jsonl")), records(&dir.path().join("second/corpus.jsonl")));
    prop_assert_eq!(one.len(), two.len(), "every document is kept again");
    for (a, b) in one.iter().zip(&two) {
        for field in ["id", "text", "title", "author", "published", "site"] {
            prop_assert_eq!(&a[field], &b[field], "{} of {}", field, a["id"]);
        }
        prop_assert_eq!(&b["removed"], &serde_json::json!([]), "nothing more is removed from {}", a["id"]);
    }
    Ok(())
}

proptest! {
    // 24 corpora by default (PROPTEST_CASES=N for more; 1,000 passed when this was written).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    #[test]
    fn cleaning_a_cleaned_corpus_changes_nothing(articles in proptest::collection::vec(article(), 2..9)) {
        clean_twice(&articles)?;
    }
}
