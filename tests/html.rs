//! HTML and WARC input end to end: spans into the page's bytes, a WARC of pages read as the
//! pages themselves, and bad HTML (an unclosed `<title>` or `<head>`, a page of script only, a
//! 20 MB page, a wrong declared charset), each read with a clear outcome while the batch goes on.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn case() -> PathBuf {
    root().join("tests/cases/html")
}

/// `newsprep run` of `raw` into `out` with the config lines `toml` (no document files); the
/// exit code.
fn run(raw: &Path, out: &Path, toml: &str) -> i32 {
    run_with(raw, out, toml, &["--format", "none"])
}

fn run_with(raw: &Path, out: &Path, toml: &str, flags: &[&str]) -> i32 {
    let config = out.with_extension("toml");
    fs::write(&config, toml).unwrap();
    let o = Command::cargo_bin("newsprep")
        .unwrap()
        .args(["run", "--quiet"])
        .args(flags)
        .arg("--input")
        .arg(raw)
        .arg("--output")
        .arg(out)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    o.status.code().unwrap()
}

fn corpus(out: &Path) -> BTreeMap<String, Value> {
    fs::read_to_string(out.join("corpus.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect()
}

/// Manifest rows by id: (status, message).
fn manifest(out: &Path) -> BTreeMap<String, (String, String)> {
    let mut r = csv::Reader::from_path(out.join("manifest.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (id, status, message) = (col("id"), col("status"), col("message"));
    r.records()
        .map(|x| x.unwrap())
        .map(|x| (x[id].to_string(), (x[status].to_string(), x[message].to_string())))
        .collect()
}

/// Text between tags, character references decoded, whitespace collapsed: what a span's bytes
/// say once the markup is gone.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out.replace("&amp;", "&").replace("&nbsp;", " ");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_kept_paragraph_spans_its_own_text_in_the_pages_bytes() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("o");
    assert_eq!(run(&case().join("raw"), &o, "[input]\nextensions = [\"html\"]\n"), 0);
    let docs = corpus(&o);
    let page = &docs["gazette/bridge"];
    assert_eq!(page["encoding"], "windows-1252", "the charset the page's meta declares");
    let raw = fs::read(case().join("raw/gazette/bridge.html")).unwrap();
    let spans = page["spans"].as_array().unwrap();
    let text = page["text"].as_str().unwrap();
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(spans.len(), paragraphs.len());
    for (span, p) in spans.iter().zip(&paragraphs) {
        let (s, e) = (span[0].as_u64().unwrap() as usize, span[1].as_u64().unwrap() as usize);
        let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&raw[s..e]);
        assert_eq!(visible(&decoded), *p, "span {s}..{e}");
    }
    // Removed paragraphs point into the page too, and say which DOM step took them.
    let removed = page["removed"].as_array().unwrap();
    let hidden =
        removed.iter().find(|r| r["reason"] == "dom" && r["rule"] == "hidden").expect("a hidden block");
    let (s, e) = (hidden["start"].as_u64().unwrap() as usize, hidden["end"].as_u64().unwrap() as usize);
    assert!(visible(&String::from_utf8_lossy(&raw[s..e])).starts_with("Our spring offer"));
    assert!(removed.iter().any(|r| r["reason"] == "dom" && r["rule"] == "furniture"));
}

/// A WARC record: its header block, the block, the record's end.
fn warc_record(kind: &str, uri: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{kind}-{}>\r\nWARC-Date: 2026-03-04T09:00:00Z\r\nWARC-Target-URI: {uri}\r\nContent-Length: {}\r\n\r\n",
        uri.len(),
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

fn http(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r =
        format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn a_warc_of_pages_gives_one_document_per_page_with_the_text_of_the_pages_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    fs::create_dir_all(&pages).unwrap();
    let bridge = fs::read(case().join("raw/gazette/bridge.html")).unwrap();
    let library = "<html><head><title>Library hours extended</title></head><body><nav><a href='/'>Home</a></nav><article><h1>Library hours extended</h1><p>The town library will stay open until nine in the evening on weekdays from next month, the trustees decided.</p><p>The longer hours are paid for by a grant from the county, which covers two more part-time staff.</p></article></body></html>";
    fs::write(pages.join("a-bridge.html"), &bridge).unwrap();
    fs::write(pages.join("b-library.html"), library).unwrap();

    // One gzip member per record, as WARC writers do; each page with its request and metadata,
    // and an image response and a redirect among them.
    let warcs = dir.path().join("warc");
    fs::create_dir_all(&warcs).unwrap();
    let mut file = fs::File::create(warcs.join("crawl.warc.gz")).unwrap();
    let mut put = |record: Vec<u8>| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&record).unwrap();
        file.write_all(&gz.finish().unwrap()).unwrap();
    };
    put(warc_record("warcinfo", "", b"software: test\r\n"));
    for (uri, body) in [
        ("https://www.harbourgazette.com/news/bridge", &bridge[..]),
        ("https://valley.example/library", library.as_bytes()),
    ] {
        put(warc_record("request", uri, b"GET / HTTP/1.1\r\n\r\n"));
        // The gazette page is served in its own charset, which only its meta tag names.
        put(warc_record("response", uri, &http("text/html", body)));
        put(warc_record("metadata", uri, b"fetchTimeMs: 12\r\n"));
    }
    put(warc_record("response", "https://valley.example/logo.png", &http("image/png", b"\x89PNG\r\n\x1a\n")));
    put(warc_record(
        "response",
        "https://valley.example/old",
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\n\r\n",
    ));
    drop(file);

    let toml = "[input]\nextensions = [\"html\", \"warc\"]\n[boilerplate.sites]\nenabled = false\n[dedup.document]\naction = \"off\"\n";
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert_eq!(run(&pages, &a, toml), 0);
    assert_eq!(run(&warcs, &b, toml), 0, "skipped records are no errors");
    let (from_pages, from_warc) = (corpus(&a), corpus(&b));
    assert_eq!(from_warc.len(), 2, "one document per HTML response");
    for (page, record) in [("a-bridge", "crawl-3"), ("b-library", "crawl-6")] {
        let (p, r) = (&from_pages[page], &from_warc[record]);
        for field in ["text", "title", "author", "published", "encoding"] {
            assert_eq!(p[field], r[field], "{field} of {page}");
        }
    }
    let rows = manifest(&b);
    let skipped: Vec<&str> =
        rows.iter().filter(|(_, (s, _))| s == "skipped").map(|(_, (_, m))| m.as_str()).collect();
    assert_eq!(skipped.len(), 7, "{skipped:?}");
    for kind in
        ["warcinfo record", "request record", "metadata record", "type image/png", "HTTP 301 response"]
    {
        assert!(skipped.iter().any(|m| m.contains(kind)), "{kind}: {skipped:?}");
    }
    let stats: Value = serde_json::from_str(&fs::read_to_string(b.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["documents"]["skipped"], 7);
    assert_eq!(stats["documents"]["kept"], 2);
}

#[test]
fn the_site_of_a_warc_page_is_its_target_uris_host() {
    // Three pages of one site share a footer line: learned as the site's, from the URIs alone.
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    let mut warc = Vec::new();
    for (i, topic) in ["harbour", "school", "ferry"].iter().enumerate() {
        let body = format!(
            "<html><body><div><p>The {topic} story: the council met on Tuesday and agreed a plan that will take the rest of the year to finish.</p><p>Councillors said the {topic} work would start in the spring, once the budget for the year is set.</p></div><p>Printed by the Valley Press cooperative since 1921</p></body></html>"
        );
        warc.extend(warc_record(
            "response",
            &format!("https://www.valley.example/n/{i}"),
            &http("text/html", body.as_bytes()),
        ));
    }
    fs::write(raw.join("crawl.warc"), warc).unwrap();
    let out = dir.path().join("o");
    let toml = "[input]\nextensions = [\"warc\"]\n[boilerplate.sites]\nmin-docs = 3\n";
    assert_eq!(run(&raw, &out, toml), 0);
    let sites = fs::read_to_string(out.join(".newsprep/sites.json")).unwrap();
    assert!(sites.contains("valley.example"), "{sites}");
    assert!(sites.contains("Printed by the Valley Press cooperative since 1921"), "{sites}");
}

#[test]
fn bad_html_is_read_with_a_clear_outcome_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    let story = "The council voted on Tuesday to rebuild the old harbour bridge, which has been closed to traffic since the storms of last winter.";
    // A `<title>` never closed: a parser reads the whole page as the title.
    fs::write(
        raw.join("unclosed-title.html"),
        format!("<html><head><title>Bridge vote\n<body><p>{story}</p><p>{story}</p></body></html>"),
    )
    .unwrap();
    // A `<head>` never closed, the body's text straight after the head's tags.
    fs::write(
        raw.join("unclosed-head.html"),
        format!("<html><head><meta charset=utf-8><title>Bridge</title><p>{story}</p>"),
    )
    .unwrap();
    // Nothing but script.
    fs::write(raw.join("all-script.html"), "<html><script>document.write('<p>Hello there, reader of the page</p>');</script><script src=a.js></script></html>").unwrap();
    // Declared Latin-1, saved as UTF-8: the bytes win.
    fs::write(raw.join("wrong-charset.html"), format!("<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\u{e9} owners on the quay said: {story}</p></body></html>")).unwrap();
    // 20 MB of page: one long article of many paragraphs, inside deep markup.
    let mut big = String::from("<html><body>");
    big.push_str(&"<div><span>".repeat(500));
    while big.len() < 20 << 20 {
        big.push_str("<p>");
        big.push_str(story);
        big.push_str("</p>\n");
    }
    big.push_str(&"</span></div>".repeat(500));
    fs::write(raw.join("huge.html"), big).unwrap();
    // Binary data named .html is still refused, as any binary file is.
    fs::write(raw.join("image.html"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01").unwrap();

    let out = dir.path().join("o");
    let toml = "[input]\nextensions = [\"html\"]\n[dedup.paragraph]\nscope = \"off\"\n[dedup.document]\naction = \"off\"\n";
    let code = run(&raw, &out, toml);
    assert_eq!(code, 1, "one file could not be read: exit 1, the rest written");
    let rows = manifest(&out);
    let docs = corpus(&out);

    assert_eq!(rows["unclosed-title"].0, "kept");
    let t = &docs["unclosed-title"];
    assert!(t["text"].as_str().unwrap().contains("rebuild the old harbour bridge"), "{t}");
    assert!(
        !t["title"].as_str().unwrap_or("").contains("council"),
        "the page is not swallowed into the title: {t}"
    );

    assert_eq!(rows["unclosed-head"].0, "kept");
    assert_eq!(docs["unclosed-head"]["title"], "Bridge");
    assert!(docs["unclosed-head"]["text"].as_str().unwrap().starts_with("The council voted"));

    assert_eq!(rows["all-script"], ("empty".to_string(), "no text in the file".to_string()));

    assert_eq!(docs["wrong-charset"]["encoding"], "UTF-8");
    assert!(docs["wrong-charset"]["text"].as_str().unwrap().starts_with("Café owners"));

    assert_eq!(rows["huge"].0, "kept");
    assert!(docs["huge"]["text"].as_str().unwrap().len() > 10 << 20, "the article of the 20 MB page is kept");

    assert_eq!(rows["image"].0, "error");
    assert!(rows["image"].1.contains("binary"), "{:?}", rows["image"]);
}

#[test]
fn a_page_in_a_feed_field_is_read_as_a_page() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().join("o");
    assert_eq!(run(&case().join("raw/feed.jsonl"), &o, "[input]\nextensions = [\"jsonl\"]\n"), 0);
    let docs = corpus(&o);
    let page = &docs["valley-1"];
    assert_eq!(page["title"], "Library hours extended");
    assert!(page["text"].as_str().unwrap().starts_with("The town library will stay open"));
    assert!(!page["text"].as_str().unwrap().contains("Home"), "the menu is not text");
    // Spans index the field's text.
    let line = fs::read_to_string(case().join("raw/feed.jsonl")).unwrap();
    let html: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let html = html["html"].as_str().unwrap();
    let s = &page["spans"][0];
    let (a, b) = (s[0].as_u64().unwrap() as usize, s[1].as_u64().unwrap() as usize);
    assert!(html[a..b].starts_with("The town library"));
    assert_eq!(
        docs["valley-2"]["text"],
        "A plain text record still reads as text.\n\nIts second paragraph stays a paragraph of its own."
    );
}

#[test]
fn markdown_output_keeps_headings_and_list_items_as_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    fs::create_dir_all(&raw).unwrap();
    let story = "The council voted on Tuesday to rebuild the old harbour bridge, which has been closed to traffic since the storms of last winter.";
    fs::write(
        raw.join("page.html"),
        format!("<html><body><article><h1>Bridge vote</h1><p>{story}</p><h3>What changes</h3><p>{story}</p><p>Three things change for drivers, the council said in its statement on Tuesday evening:</p><ul><li>buses first, from the first week of April</li><li>cars from the second week of April</li></ul><p>{story}</p></article></body></html>"),
    )
    .unwrap();
    let out = dir.path().join("o");
    let toml = "[input]\nextensions = [\"html\"]\n[output]\ndocuments = \"md\"\n[dedup.paragraph]\nscope = \"off\"\n";
    assert_eq!(run_with(&raw, &out, toml, &[]), 0);
    let md = fs::read_to_string(out.join("page.md")).unwrap();
    let body = md.split("---\n\n").nth(1).unwrap();
    assert!(body.contains("\n\n### What changes\n\n"), "{body}");
    assert!(
        body.contains(
            "\n\n- buses first, from the first week of April\n- cars from the second week of April\n\n"
        ),
        "{body}"
    );
    assert!(!body.contains('<'), "no markup left: {body}");
}

#[test]
fn explain_shows_the_article_element_and_each_dom_removal() {
    let o = Command::cargo_bin("newsprep")
        .unwrap()
        .arg("explain")
        .arg("--config")
        .arg(case().join("pipeline.toml"))
        .arg(case().join("raw/gazette/bridge.html"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("article element (from the page's DOM): <main> named content"), "{text}");
    let line = |needle: &str| {
        text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {text}"))
    };
    let hidden = line("drop dom:hidden");
    assert!(text.lines().nth(hidden).unwrap().contains("Our spring offer"), "{text}");
    assert!(text.lines().nth(hidden + 1).unwrap().contains("hidden, aria-hidden or display:none"), "{text}");
    assert!(
        text.lines().nth(line("drop dom:furniture") + 1).unwrap().contains("named ad inside the article"),
        "{text}"
    );
}
