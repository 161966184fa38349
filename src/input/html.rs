//! Part of input: HTML pages (`.html`, `.htm`, also gzipped; a WARC response's payload; a
//! feed's `html` field), read as a browser reads them. html5ever (through `scraper`) builds the
//! DOM; each block of text (a `<p>`, a list item, a cell, a heading, the text between `<br>`s)
//! becomes one paragraph, already split, carrying what the DOM says about it ([`DomFeatures`]:
//! the element it sits in, class/id/tag marks of it and its ancestors, link text, list, table,
//! heading). Metadata comes from `<title>`, `og:` and `article:` meta tags, `<time datetime>`
//! and JSON-LD. Spans point into the page's bytes: the DOM has no source positions, so each
//! text node is found again, in order, among the text runs of the source ([`Aligner`]).
//!
//! The charset is chosen in this order: a byte-order mark, the HTTP header's `charset`, the
//! page's `<meta charset>` (in its first 1,024 bytes, as browsers look), then detection. A
//! declared single-byte charset on a page whose bytes are valid UTF-8 with non-ASCII text in
//! them is a wrong declaration (a page re-saved as UTF-8): it is read as UTF-8.

use super::decode::{self, InputEncoding};
use super::text::{host, iso_date};
use super::unit::Format;
use crate::error::FileError;
use crate::model::{
    Block, DocId, Document, DomElement, DomFeatures, DomTree, Features, Marks, Paragraph, SourceInfo, Span,
};
use ego_tree::iter::Edge;
use encoding_rs::Encoding;
use rustc_hash::FxHashMap;
use scraper::Node;
use std::sync::{Arc, LazyLock};

/// HTML pages, one article per file.
#[derive(Debug)]
pub struct Html;

impl Format for Html {
    fn name(&self) -> &'static str {
        "html"
    }

    fn reads(&self, ext: &str) -> bool {
        ["html", "htm", "xhtml", "shtml"].iter().any(|e| ext.eq_ignore_ascii_case(e))
    }

    fn article(
        &self,
        id: DocId,
        source: SourceInfo,
        bytes: Vec<u8>,
        encoding: InputEncoding,
    ) -> Result<Document, (SourceInfo, FileError)> {
        page(id, source, bytes, encoding, None)
    }
}

/// A page's bytes as a document of paragraphs with DOM features; `declared` is the charset an
/// HTTP header gave (a WARC response's `Content-Type`). The site is the source's when it has
/// one, else the host of the page's canonical address.
pub fn page(
    id: DocId,
    mut source: SourceInfo,
    bytes: Vec<u8>,
    choice: InputEncoding,
    declared: Option<&str>,
) -> Result<Document, (SourceInfo, FileError)> {
    let choice = encoding_for(&bytes, declared, choice);
    let d = match decode::decode(bytes, choice) {
        Ok(d) => d,
        Err(e) => return Err((source, e)),
    };
    source.encoding = d.encoding.name();
    source.note = d.note();
    let read = read_dom(&d.text);
    if source.site.is_none() {
        source.site = read.meta.url.as_deref().and_then(host);
    }
    let mut doc = Document::mapped(id, source, String::new(), d.map);
    let mut last = doc.origin.raw(0);
    doc.paragraphs = read
        .blocks
        .into_iter()
        .map(|b| {
            let span = match b.span {
                Some((s, e)) => Span { start: doc.origin.raw(s), end: doc.origin.raw(e) },
                // No text node of it was found in the source (rare: text the parser moved):
                // an empty span where the previous paragraph ends.
                None => Span { start: last, end: last },
            };
            last = span.end;
            let features = Features {
                block: b.block,
                link_chars: b.link_chars,
                dom: Some(b.dom),
                ..Features::default()
            };
            Paragraph { text: b.text, span, features, removal: None, fingerprint: None }
        })
        .collect();
    let m = read.meta;
    doc.meta.title = m.title;
    doc.meta.author = m.author;
    doc.meta.published = m.published;
    doc.meta.site = m.site_name;
    doc.dom = Some(Arc::new(read.tree));
    Ok(doc)
}

/// The encoding to decode a page in (see the module's order).
fn encoding_for(bytes: &[u8], declared: Option<&str>, choice: InputEncoding) -> InputEncoding {
    if !matches!(choice, InputEncoding::Detect) {
        return choice;
    }
    let head = &bytes[..bytes.len().min(1024)];
    let label = declared.and_then(header_charset).or_else(|| meta_charset(head));
    let Some(enc) = label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) else {
        return InputEncoding::Detect;
    };
    // UTF-8 is what detection finds first anyway; a UTF-16 (or `replacement`) label in a page
    // read as ASCII is wrong by definition, and browsers read it as UTF-8 (the labels whose
    // output encoding is UTF-8); 7-bit ISO-2022-JP is found by detection.
    if enc.output_encoding() == encoding_rs::UTF_8 || enc == encoding_rs::ISO_2022_JP {
        return InputEncoding::Detect;
    }
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        return InputEncoding::Detect;
    }
    InputEncoding::Fixed(enc)
}

/// `text/html; charset=ISO-8859-1` -> `ISO-8859-1`.
fn header_charset(content_type: &str) -> Option<&str> {
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let rest = &content_type[at..];
    let v = rest.trim_start_matches(['"', '\'']).split(['"', '\'', ';', ' ']).next()?;
    (!v.is_empty()).then_some(v)
}

/// The charset a `<meta charset>` or `<meta http-equiv content="...; charset=...">` declares.
fn meta_charset(head: &[u8]) -> Option<&str> {
    static META: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
        regex::bytes::Regex::new(r#"(?i-u)<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).unwrap()
    });
    let c = META.captures(head)?;
    std::str::from_utf8(c.get(1)?.as_bytes()).ok()
}

/// One block of text found in the DOM, before normalizing.
#[derive(Debug)]
struct RawBlock {
    text: String,
    /// From the first to the last of its text nodes found in the source (decoded offsets).
    span: Option<(usize, usize)>,
    link_chars: usize,
    block: Block,
    dom: DomFeatures,
}

/// What the page's head and markup say about the article.
#[derive(Debug, Default)]
struct PageMeta {
    title: Option<String>,
    author: Option<String>,
    published: Option<String>,
    site_name: Option<String>,
    url: Option<String>,
}

/// A page read: its blocks, the elements they sit in, its metadata.
#[derive(Debug)]
struct Read {
    blocks: Vec<RawBlock>,
    tree: DomTree,
    meta: PageMeta,
}

/// Elements whose content is never article text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas", "head",
    "select", "option", "textarea", "button", "input", "audio", "video", "map", "title", "datalist",
];

/// Elements that start and end a block of text (and `br`, which ends one).
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "br",
    "legend",
    "menu",
];

/// One open element during the walk.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// The block element paragraphs opened here sit in.
    element: u32,
    /// The marks of that block element and its ancestors (inline elements' names are not the
    /// block's: a share link inside a sentence does not make the sentence a share bar).
    marks: Marks,
    /// Inside an inline element that is hidden.
    inline_hidden: bool,
    link: bool,
    list: bool,
    table: bool,
    heading: u8,
    block: bool,
}

impl Frame {
    /// Outside every element.
    const ROOT: Frame = Frame {
        element: u32::MAX,
        marks: Marks(0),
        inline_hidden: false,
        link: false,
        list: false,
        table: false,
        heading: 0,
        block: false,
    };
}

/// A page's text as the DOM holds it, split into blocks.
fn read_dom(text: &str) -> Read {
    let fixed;
    let text_for_parse = match unclosed_title(text) {
        Some(at) => {
            // `<title` opening a page it never closes: the parser would read the whole page
            // as the title. The same-length `<xitle` is an unknown element instead, so offsets
            // hold and the page parses as a page.
            let mut t = text.to_string();
            t.replace_range(at + 1..at + 2, "x");
            fixed = t;
            fixed.as_str()
        }
        None => text,
    };
    let html = scraper::Html::parse_document(text_for_parse);
    let mut w = Walker::new(text_for_parse);
    for edge in html.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => w.open(e),
                Node::Text(t) => w.text(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    w.close(e);
                }
            }
        }
    }
    w.flush();
    let mut meta = w.meta;
    meta.title = w.ld.headline.or(meta.title);
    meta.author = w.ld.author.or(meta.author);
    meta.published = w.ld.published.or(meta.published).or(w.time);
    Read { blocks: w.blocks, tree: w.tree, meta }
}

/// Where `<title` opens a title that is never closed, or closed only after page markup (more
/// than 1 KiB later, with a `<p`, `<div` or `<body` in between).
fn unclosed_title(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let at = find_ci(&b[..b.len().min(1 << 16)], 0, b"<title")?;
    match find_ci(b, at + "<title".len(), b"</title") {
        None => Some(at),
        Some(c) if c - at > 1024 => {
            let inner = text[at..c].to_ascii_lowercase();
            ["<p", "<div", "<body", "<article"].iter().any(|t| inner.contains(t)).then_some(at)
        }
        Some(_) => None,
    }
}

/// What a capture collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    Title,
    JsonLd,
}

/// The article facts JSON-LD gives.
#[derive(Debug, Default)]
struct LdFacts {
    headline: Option<String>,
    author: Option<String>,
    published: Option<String>,
}

struct Walker<'a> {
    tree: DomTree,
    frames: Vec<Frame>,
    /// Depth inside skipped elements (0: not inside one).
    skip: usize,
    blocks: Vec<RawBlock>,
    cur: Option<RawBlock>,
    align: Aligner<'a>,
    meta: PageMeta,
    ld: LdFacts,
    time: Option<String>,
    capture: Option<(Capture, String)>,
    /// Depth inside `<svg>` and `<math>`, whose `<title>` is a picture's, not the page's.
    foreign: usize,
}

impl<'a> Walker<'a> {
    fn new(text: &'a str) -> Walker<'a> {
        Walker {
            tree: DomTree::default(),
            frames: vec![Frame::ROOT],
            skip: 0,
            blocks: Vec::new(),
            cur: None,
            align: Aligner::new(text),
            meta: PageMeta::default(),
            ld: LdFacts::default(),
            time: None,
            capture: None,
            foreign: 0,
        }
    }

    fn open(&mut self, e: &scraper::node::Element) {
        let name = e.name();
        self.head_facts(name, e);
        if name == "svg" || name == "math" {
            self.foreign += 1;
        }
        if self.skip > 0 || SKIPPED.contains(&name) {
            self.skip += 1;
            return;
        }
        let top = *self.frames.last().expect("the root frame stays");
        let own = marks_of(name, e);
        // The block's tag as a `&'static str` (the element's own name is borrowed from the DOM).
        let block_tag = BLOCKS.iter().find(|t| **t == name).copied();
        let block = block_tag.is_some();
        if block {
            self.flush();
        }
        let mut f = if block {
            Frame { marks: top.marks.with(own), block, ..top }
        } else {
            Frame { inline_hidden: top.inline_hidden || own.any(Marks::HIDDEN), block, ..top }
        };
        if let Some(tag) = block_tag.filter(|t| *t != "br" && *t != "hr") {
            f.element = self.tree.elements.len() as u32;
            self.tree.elements.push(DomElement { parent: top.element, tag, marks: own });
        }
        match name {
            "a" => f.link = true,
            "li" | "dd" | "dt" => f.list = true,
            "td" | "th" => f.table = true,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => f.heading = name.as_bytes()[1] - b'0',
            _ => {}
        }
        self.frames.push(f);
    }

    fn close(&mut self, e: &scraper::node::Element) {
        let name = e.name();
        if name == "svg" || name == "math" {
            self.foreign = self.foreign.saturating_sub(1);
        }
        if self.capture.as_ref().is_some_and(|(c, _)| match c {
            Capture::Title => name == "title",
            Capture::JsonLd => name == "script",
        }) {
            let (c, text) = self.capture.take().expect("checked");
            match c {
                Capture::Title => {
                    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    if self.meta.title.is_none() && !t.is_empty() {
                        self.meta.title = Some(t);
                    }
                }
                Capture::JsonLd => self.json_ld(&text),
            }
        }
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        // Every element not skipped pushed a frame at its start, so the root frame stays.
        if self.frames.pop().expect("a frame per open element").block {
            self.flush();
        }
    }

    fn text(&mut self, t: &str) {
        if let Some((_, buf)) = &mut self.capture {
            buf.push_str(t);
        }
        // Text an inline element hides (`<span hidden>`) is not shown, so not read; a hidden
        // block is read, marked, and its removal recorded by the boilerplate stage.
        if self.skip > 0 || self.frames.last().is_some_and(|f| f.inline_hidden) {
            return;
        }
        let has_text = t.chars().any(|c| !c.is_whitespace());
        if self.cur.is_none() && !has_text {
            return;
        }
        let f = *self.frames.last().expect("the root frame stays");
        let b = self.cur.get_or_insert_with(|| RawBlock {
            text: String::new(),
            span: None,
            link_chars: 0,
            block: if f.heading > 0 {
                Block::Heading
            } else if f.list {
                Block::ListItem
            } else {
                Block::Text
            },
            dom: DomFeatures {
                element: f.element,
                marks: f.marks,
                in_list: f.list,
                in_table: f.table,
                heading: f.heading,
            },
        });
        b.text.push_str(t);
        if f.link {
            b.link_chars += t.chars().filter(|c| !c.is_whitespace()).count();
        }
        if has_text && let Some((s, e)) = self.align.find(t) {
            b.span = Some(b.span.map_or((s, e), |(s0, _)| (s0, e)));
        }
    }

    /// End the current block.
    fn flush(&mut self) {
        if let Some(b) = self.cur.take()
            && b.text.chars().any(|c| !c.is_whitespace())
        {
            self.blocks.push(b);
        }
    }

    /// Metadata from `<title>`, `<meta>`, `<link rel=canonical>`, `<time>`, JSON-LD.
    fn head_facts(&mut self, name: &str, e: &scraper::node::Element) {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        match name {
            "title" if self.capture.is_none() && self.meta.title.is_none() && !self.in_svg() => {
                self.capture = Some((Capture::Title, String::new()));
            }
            "script"
                if e.attr("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
            {
                self.capture = Some((Capture::JsonLd, String::new()));
            }
            "meta" => {
                let key = e.attr("property").or(e.attr("name")).or(e.attr("itemprop")).unwrap_or("");
                let content = given(e.attr("content"));
                let Some(content) = content else { return };
                match key.to_ascii_lowercase().as_str() {
                    "og:title" | "twitter:title" => self.meta.title = Some(content),
                    "og:site_name" => self.meta.site_name = Some(content),
                    "og:url" => {
                        self.meta.url.get_or_insert(content);
                    }
                    "author" | "article:author" | "byl" | "dc.creator" if !content.starts_with("http") => {
                        self.meta.author.get_or_insert(content.trim_start_matches("By ").to_string());
                    }
                    "article:published_time"
                    | "datepublished"
                    | "pubdate"
                    | "date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "publishdate" => {
                        if let Some(d) = iso_date(&content) {
                            self.meta.published.get_or_insert(d);
                        }
                    }
                    _ => {}
                }
            }
            "link" if e.attr("rel").is_some_and(|r| r.eq_ignore_ascii_case("canonical")) => {
                if let Some(h) = given(e.attr("href")).filter(|h| h.starts_with("http")) {
                    self.meta.url = Some(h);
                }
            }
            "time" if self.time.is_none() => {
                self.time = e.attr("datetime").and_then(iso_date);
            }
            _ => {}
        }
    }

    fn in_svg(&self) -> bool {
        self.foreign > 0
    }

    /// The article facts of a JSON-LD block: the first object typed as an article.
    fn json_ld(&mut self, text: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { return };
        let mut todo = vec![&v];
        while let Some(v) = todo.pop() {
            match v {
                serde_json::Value::Array(a) => todo.extend(a.iter().rev()),
                serde_json::Value::Object(o) => {
                    if let Some(g) = o.get("@graph") {
                        todo.push(g);
                    }
                    let is_article = |t: &serde_json::Value| {
                        t.as_str()
                            .is_some_and(|t| t.ends_with("Article") || t == "BlogPosting" || t == "Report")
                    };
                    let typed = match o.get("@type") {
                        Some(serde_json::Value::Array(ts)) => ts.iter().any(is_article),
                        Some(t) => is_article(t),
                        None => false,
                    };
                    if !typed {
                        continue;
                    }
                    let s =
                        |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty());
                    if self.ld.headline.is_none() {
                        self.ld.headline = s("headline").or(s("name")).map(str::to_string);
                    }
                    if self.ld.published.is_none() {
                        self.ld.published = s("datePublished").and_then(iso_date);
                    }
                    if self.ld.author.is_none() {
                        self.ld.author = o.get("author").and_then(author_names);
                    }
                }
                _ => {}
            }
        }
    }
}

/// `"A"`, `{"name": "A"}` or a list of them -> `A, B`.
fn author_names(v: &serde_json::Value) -> Option<String> {
    let one = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        serde_json::Value::Object(o) => o.get("name").and_then(|n| n.as_str()).map(|s| s.trim().to_string()),
        _ => None,
    };
    let names: Vec<String> = match v {
        serde_json::Value::Array(a) => a.iter().filter_map(one).collect(),
        v => one(v).into_iter().collect(),
    };
    let names: Vec<String> = names.into_iter().filter(|n| !n.is_empty() && !n.starts_with("http")).collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// Class and id words that name page furniture or the article: (word, kind, whole token only).
/// Short words must be whole tokens (`ad` is not `shadow`); longer stems may sit inside one
/// (`commentlist`, `sharebar`).
const NAME_WORDS: &[(&str, Marks, bool)] = &[
    ("comment", Marks::COMMENT, false),
    ("disqus", Marks::COMMENT, false),
    ("respond", Marks::COMMENT, true),
    ("replies", Marks::COMMENT, true),
    ("discussion", Marks::COMMENT, true),
    ("share", Marks::SHARE, false),
    ("sharing", Marks::SHARE, false),
    ("social", Marks::SHARE, false),
    ("addthis", Marks::SHARE, false),
    ("sharethis", Marks::SHARE, false),
    ("follow", Marks::SHARE, true),
    ("related", Marks::RELATED, false),
    ("recommend", Marks::RELATED, false),
    ("popular", Marks::RELATED, false),
    ("trending", Marks::RELATED, false),
    ("outbrain", Marks::RELATED, false),
    ("taboola", Marks::RELATED, false),
    ("teaser", Marks::RELATED, false),
    ("promo", Marks::RELATED, false),
    ("readmore", Marks::RELATED, false),
    ("more", Marks::RELATED, true),
    ("nav", Marks::NAV, true),
    ("navbar", Marks::NAV, false),
    ("navigation", Marks::NAV, false),
    ("menu", Marks::NAV, false),
    ("breadcrumb", Marks::NAV, false),
    ("pagination", Marks::NAV, false),
    ("pager", Marks::NAV, true),
    ("skip", Marks::NAV, true),
    ("footer", Marks::FOOTER, false),
    ("copyright", Marks::FOOTER, false),
    ("colophon", Marks::FOOTER, false),
    ("masthead", Marks::HEADER, false),
    ("topbar", Marks::HEADER, false),
    ("sidebar", Marks::SIDEBAR, false),
    ("widget", Marks::SIDEBAR, false),
    ("rail", Marks::SIDEBAR, true),
    ("aside", Marks::SIDEBAR, true),
    ("ad", Marks::AD, true),
    ("ads", Marks::AD, true),
    ("advert", Marks::AD, false),
    ("advertisement", Marks::AD, false),
    ("sponsor", Marks::AD, false),
    ("banner", Marks::AD, true),
    ("cookie", Marks::PROMPT, false),
    ("consent", Marks::PROMPT, false),
    ("gdpr", Marks::PROMPT, false),
    ("newsletter", Marks::PROMPT, false),
    ("subscribe", Marks::PROMPT, false),
    ("signup", Marks::PROMPT, false),
    ("paywall", Marks::PROMPT, false),
    ("modal", Marks::PROMPT, true),
    ("popup", Marks::PROMPT, false),
    ("caption", Marks::CAPTION, true),
    ("credit", Marks::CAPTION, true),
    ("byline", Marks::META, false),
    ("author", Marks::META, true),
    ("bio", Marks::META, true),
    ("tags", Marks::META, true),
    ("meta", Marks::META, true),
    ("article", Marks::CONTENT, true),
    ("articlebody", Marks::CONTENT, false),
    ("content", Marks::CONTENT, true),
    ("entry", Marks::CONTENT, true),
    ("post", Marks::CONTENT, true),
    ("story", Marks::CONTENT, true),
    ("main", Marks::CONTENT, true),
];

/// What an element's tag and names say it holds.
fn marks_of(name: &str, e: &scraper::node::Element) -> Marks {
    let mut m = match name {
        "nav" | "menu" => Marks::NAV,
        "footer" => Marks::FOOTER,
        "aside" => Marks::SIDEBAR,
        "figcaption" => Marks::CAPTION,
        "article" | "main" => Marks::CONTENT,
        _ => Marks::default(),
    };
    let hidden = e.attr("hidden").is_some()
        || e.attr("aria-hidden").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || e.attr("style").is_some_and(|s| {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
            s.contains("display:none") || s.contains("visibility:hidden")
        });
    if hidden {
        m = m.with(Marks::HIDDEN);
    }
    for value in [e.attr("class"), e.attr("id"), e.attr("role"), e.attr("itemprop")].into_iter().flatten() {
        for token in value.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()) {
            let token = token.to_ascii_lowercase();
            for (word, kind, whole) in NAME_WORDS {
                if if *whole { token == *word } else { token.contains(word) } {
                    m = m.with(*kind);
                }
            }
        }
    }
    if e.attr("role").is_some_and(|r| r.eq_ignore_ascii_case("navigation")) {
        m = m.with(Marks::NAV);
    }
    m
}

/// Finds the DOM's text nodes again in the source, in order. The source's text runs (between
/// tags, outside comments, scripts and styles) are listed once; each text node is matched to
/// the next run whose letters and digits start the same way (entities left out on the source
/// side), and takes as many runs as its own letters and digits need (the parser joins text
/// around a stray end tag into one node).
struct Aligner<'a> {
    text: &'a str,
    runs: Vec<Run>,
    next: usize,
    /// Runs by the first [`PREFIX`] characters of their key, in order: where a node is looked
    /// for beyond [`LOOKAHEAD`] (text the walk leaves out, such as a long `<select>`, can stand
    /// between two nodes).
    by_prefix: FxHashMap<String, Vec<usize>>,
}

/// Characters of a key that index the runs.
const PREFIX: usize = 4;

/// The first [`PREFIX`] characters of a key.
fn prefix(key: &str) -> &str {
    key.char_indices().nth(PREFIX).map_or(key, |(i, _)| &key[..i])
}

#[derive(Debug)]
struct Run {
    start: usize,
    end: usize,
    /// Its first letters and digits, lowercase.
    key: String,
    /// How many letters and digits it holds.
    len: usize,
}

/// How many letters and digits of a node and a run must agree.
const KEY: usize = 12;
/// How far ahead of the last match a node is looked for.
const LOOKAHEAD: usize = 64;

impl<'a> Aligner<'a> {
    fn new(text: &'a str) -> Aligner<'a> {
        Aligner { text, runs: Vec::new(), next: usize::MAX, by_prefix: FxHashMap::default() }
    }

    fn scan(&mut self) {
        let text = self.text;
        let b = text.as_bytes();
        let mut i = 0;
        let mut start = 0;
        let push = |s: usize, e: usize, runs: &mut Vec<Run>| {
            if s < e {
                let (key, len) = run_key(&text[s..e]);
                if len > 0 {
                    runs.push(Run { start: s, end: e, key, len });
                }
            }
        };
        let mut runs = Vec::new();
        while let Some(off) = memchr::memchr(b'<', &b[i..]) {
            let lt = i + off;
            let next = b.get(lt + 1).copied().unwrap_or(0);
            if b[lt..].starts_with(b"<!--") {
                push(start, lt, &mut runs);
                i = find_from(b, lt + 4, b"-->").map_or(b.len(), |e| e + 3);
                start = i;
                continue;
            }
            if !(next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?') {
                i = lt + 1;
                continue;
            }
            push(start, lt, &mut runs);
            let closing = next == b'/';
            let name_at = if closing { lt + 2 } else { lt + 1 };
            let name_end =
                b[name_at..].iter().position(|c| !c.is_ascii_alphanumeric()).map_or(b.len(), |p| name_at + p);
            let name = text[name_at..name_end].to_ascii_lowercase();
            i = tag_end(b, name_end);
            if !closing
                && matches!(
                    name.as_str(),
                    "script"
                        | "style"
                        | "title"
                        | "textarea"
                        | "xmp"
                        | "iframe"
                        | "noembed"
                        | "noframes"
                        | "noscript"
                )
            {
                let close = format!("</{name}");
                i = find_ci(b, i, close.as_bytes()).unwrap_or(b.len());
            }
            start = i;
        }
        push(start, b.len(), &mut runs);
        for (i, r) in runs.iter().enumerate() {
            self.by_prefix.entry(prefix(&r.key).to_string()).or_default().push(i);
        }
        self.runs = runs;
        self.next = 0;
    }

    /// The span of text node `t`, from the start of its first run to the end of its last.
    fn find(&mut self, t: &str) -> Option<(usize, usize)> {
        if self.next == usize::MAX {
            self.scan();
        }
        let (key, len) = node_key(t);
        let stop = (self.next + LOOKAHEAD).min(self.runs.len());
        if len == 0 {
            // No letter or digit (`»`, `|`) to find it by: the paragraph's span is empty.
            return None;
        }
        let matches = |k: usize| {
            let r = &self.runs[k].key;
            let m = r.len().min(key.len());
            m > 0 && r.as_bytes()[..m] == key.as_bytes()[..m]
        };
        let far = || {
            // Past the window, only a key long enough to be told apart is looked for.
            let p = prefix(&key);
            let list = self.by_prefix.get(p).filter(|_| p.chars().count() == PREFIX)?;
            let from = list.partition_point(|&i| i < stop);
            list[from..].iter().copied().find(|&k| matches(k))
        };
        let k = (self.next..stop).find(|&k| matches(k)).or_else(far)?;
        let mut got = self.runs[k].len;
        let mut end = self.runs[k].end;
        let mut j = k + 1;
        while got < len && j < self.runs.len() && j < k + LOOKAHEAD {
            got += self.runs[j].len;
            end = self.runs[j].end;
            j += 1;
        }
        self.next = j;
        Some((self.runs[k].start, end))
    }
}

/// The first [`KEY`] letters and digits of a node's text, lowercase, and how many it has.
fn node_key(t: &str) -> (String, usize) {
    let mut key = String::new();
    let mut n = 0;
    for c in t.chars().filter(|c| c.is_alphanumeric()) {
        if n < KEY {
            key.extend(c.to_lowercase());
        }
        n += 1;
    }
    (key, n)
}

/// [`node_key`] of a source run, its character references read as the parser reads them where
/// they stand for a letter or digit (`&uuml;`, `&#252;`), and left out where they do not.
fn run_key(t: &str) -> (String, usize) {
    static ENTITY: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z][a-zA-Z0-9]{1,31}));?")
            .unwrap()
    });
    if !t.contains('&') {
        return node_key(t);
    }
    let decoded = ENTITY.replace_all(t, |c: &regex::Captures| {
        let code = match (c.get(1), c.get(2), c.get(3)) {
            (Some(d), _, _) => d.as_str().parse().ok(),
            (_, Some(h), _) => u32::from_str_radix(h.as_str(), 16).ok(),
            (_, _, Some(n)) => LETTER_ENTITIES
                .binary_search_by(|(name, _)| name.cmp(&n.as_str()))
                .ok()
                .map(|i| LETTER_ENTITIES[i].1 as u32),
            _ => None,
        };
        code.and_then(char::from_u32).map_or_else(|| " ".to_string(), |c| c.to_string())
    });
    node_key(&decoded)
}

/// The named character references that stand for a letter or digit, sorted by name (HTML's
/// table; the others only ever stand for punctuation and spaces, which keys leave out).
const LETTER_ENTITIES: &[(&str, char)] = &[
    ("AElig", '\u{c6}'),
    ("Aacute", '\u{c1}'),
    ("Acirc", '\u{c2}'),
    ("Agrave", '\u{c0}'),
    ("Alpha", '\u{391}'),
    ("Aring", '\u{c5}'),
    ("Atilde", '\u{c3}'),
    ("Auml", '\u{c4}'),
    ("Beta", '\u{392}'),
    ("Ccedil", '\u{c7}'),
    ("Chi", '\u{3a7}'),
    ("Delta", '\u{394}'),
    ("ETH", '\u{d0}'),
    ("Eacute", '\u{c9}'),
    ("Ecirc", '\u{ca}'),
    ("Egrave", '\u{c8}'),
    ("Epsilon", '\u{395}'),
    ("Eta", '\u{397}'),
    ("Euml", '\u{cb}'),
    ("Gamma", '\u{393}'),
    ("Iacute", '\u{cd}'),
    ("Icirc", '\u{ce}'),
    ("Igrave", '\u{cc}'),
    ("Iota", '\u{399}'),
    ("Iuml", '\u{cf}'),
    ("Kappa", '\u{39a}'),
    ("Lambda", '\u{39b}'),
    ("Mu", '\u{39c}'),
    ("Ntilde", '\u{d1}'),
    ("Nu", '\u{39d}'),
    ("OElig", '\u{152}'),
    ("Oacute", '\u{d3}'),
    ("Ocirc", '\u{d4}'),
    ("Ograve", '\u{d2}'),
    ("Omega", '\u{3a9}'),
    ("Omicron", '\u{39f}'),
    ("Oslash", '\u{d8}'),
    ("Otilde", '\u{d5}'),
    ("Ouml", '\u{d6}'),
    ("Phi", '\u{3a6}'),
    ("Pi", '\u{3a0}'),
    ("Psi", '\u{3a8}'),
    ("Rho", '\u{3a1}'),
    ("Scaron", '\u{160}'),
    ("Sigma", '\u{3a3}'),
    ("THORN", '\u{de}'),
    ("Tau", '\u{3a4}'),
    ("Theta", '\u{398}'),
    ("Uacute", '\u{da}'),
    ("Ucirc", '\u{db}'),
    ("Ugrave", '\u{d9}'),
    ("Upsilon", '\u{3a5}'),
    ("Uuml", '\u{dc}'),
    ("Xi", '\u{39e}'),
    ("Yacute", '\u{dd}'),
    ("Yuml", '\u{178}'),
    ("Zeta", '\u{396}'),
    ("aacute", '\u{e1}'),
    ("acirc", '\u{e2}'),
    ("aelig", '\u{e6}'),
    ("agrave", '\u{e0}'),
    ("alefsym", '\u{2135}'),
    ("alpha", '\u{3b1}'),
    ("aring", '\u{e5}'),
    ("atilde", '\u{e3}'),
    ("auml", '\u{e4}'),
    ("beta", '\u{3b2}'),
    ("ccedil", '\u{e7}'),
    ("chi", '\u{3c7}'),
    ("circ", '\u{2c6}'),
    ("delta", '\u{3b4}'),
    ("eacute", '\u{e9}'),
    ("ecirc", '\u{ea}'),
    ("egrave", '\u{e8}'),
    ("epsilon", '\u{3b5}'),
    ("eta", '\u{3b7}'),
    ("eth", '\u{f0}'),
    ("euml", '\u{eb}'),
    ("fnof", '\u{192}'),
    ("frac12", '\u{bd}'),
    ("frac14", '\u{bc}'),
    ("frac34", '\u{be}'),
    ("gamma", '\u{3b3}'),
    ("iacute", '\u{ed}'),
    ("icirc", '\u{ee}'),
    ("igrave", '\u{ec}'),
    ("image", '\u{2111}'),
    ("iota", '\u{3b9}'),
    ("iuml", '\u{ef}'),
    ("kappa", '\u{3ba}'),
    ("lambda", '\u{3bb}'),
    ("micro", '\u{b5}'),
    ("mu", '\u{3bc}'),
    ("ntilde", '\u{f1}'),
    ("nu", '\u{3bd}'),
    ("oacute", '\u{f3}'),
    ("ocirc", '\u{f4}'),
    ("oelig", '\u{153}'),
    ("ograve", '\u{f2}'),
    ("omega", '\u{3c9}'),
    ("omicron", '\u{3bf}'),
    ("ordf", '\u{aa}'),
    ("ordm", '\u{ba}'),
    ("oslash", '\u{f8}'),
    ("otilde", '\u{f5}'),
    ("ouml", '\u{f6}'),
    ("phi", '\u{3c6}'),
    ("pi", '\u{3c0}'),
    ("piv", '\u{3d6}'),
    ("psi", '\u{3c8}'),
    ("real", '\u{211c}'),
    ("rho", '\u{3c1}'),
    ("scaron", '\u{161}'),
    ("sigma", '\u{3c3}'),
    ("sigmaf", '\u{3c2}'),
    ("sup1", '\u{b9}'),
    ("sup2", '\u{b2}'),
    ("sup3", '\u{b3}'),
    ("szlig", '\u{df}'),
    ("tau", '\u{3c4}'),
    ("theta", '\u{3b8}'),
    ("thetasym", '\u{3d1}'),
    ("thorn", '\u{fe}'),
    ("uacute", '\u{fa}'),
    ("ucirc", '\u{fb}'),
    ("ugrave", '\u{f9}'),
    ("upsih", '\u{3d2}'),
    ("upsilon", '\u{3c5}'),
    ("uuml", '\u{fc}'),
    ("xi", '\u{3be}'),
    ("yacute", '\u{fd}'),
    ("yuml", '\u{ff}'),
    ("zeta", '\u{3b6}'),
];

/// Where a tag whose name ends at `at` ends (after its `>`), quoted attribute values skipped.
fn tag_end(b: &[u8], mut at: usize) -> usize {
    let mut quote = None;
    let mut after_eq = false;
    while at < b.len() {
        let c = b[at];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'>' => return at + 1,
                b'"' | b'\'' if after_eq => quote = Some(c),
                b'=' => {
                    after_eq = true;
                    at += 1;
                    continue;
                }
                c if c.is_ascii_whitespace() => {
                    at += 1;
                    continue;
                }
                _ => {}
            },
        }
        after_eq = false;
        at += 1;
    }
    b.len()
}

fn find_from(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&b[from.min(b.len())..], needle).map(|p| from + p)
}

/// Where `needle` (lowercase ASCII) next occurs in `b` from `from`, in any case.
fn find_ci(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr::memchr(b'<', &b[i.min(b.len())..]) {
        let at = i + p;
        if b.len() - at >= needle.len() && b[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(html: &str) -> Document {
        page(
            DocId("p".into()),
            SourceInfo::unread("p.html"),
            html.as_bytes().to_vec(),
            InputEncoding::Detect,
            None,
        )
        .unwrap()
    }

    fn texts(d: &Document) -> Vec<&str> {
        d.paragraphs.iter().map(|p| p.text.trim()).collect()
    }

    #[test]
    fn the_charset_is_the_boms_then_the_headers_then_the_metas_then_detected() {
        let latin = b"<meta charset=iso-8859-1><p>caf\xe9</p>".to_vec();
        assert!(
            matches!(encoding_for(&latin, None, InputEncoding::Detect), InputEncoding::Fixed(e) if e == encoding_rs::WINDOWS_1252)
        );
        // The header wins over the meta.
        let header = encoding_for(&latin, Some("text/html; charset=\"ISO-8859-2\""), InputEncoding::Detect);
        assert!(matches!(header, InputEncoding::Fixed(e) if e == encoding_rs::ISO_8859_2));
        // Declared Latin-1, saved as UTF-8 with non-ASCII text: the bytes prove it wrong.
        let utf8 = "<meta charset=iso-8859-1><p>café</p>".as_bytes();
        assert!(matches!(encoding_for(utf8, None, InputEncoding::Detect), InputEncoding::Detect));
        // A UTF-16 label on an ASCII-readable page, or a label nobody knows: detection.
        assert!(matches!(
            encoding_for(b"<meta charset=utf-16><p>a</p>", None, InputEncoding::Detect),
            InputEncoding::Detect
        ));
        assert!(matches!(
            encoding_for(b"<meta charset=klingon><p>a</p>", None, InputEncoding::Detect),
            InputEncoding::Detect
        ));
        // A fixed input.encoding is the user's word.
        let fixed = InputEncoding::Fixed(encoding_rs::UTF_8);
        assert!(
            matches!(encoding_for(&latin, None, fixed), InputEncoding::Fixed(e) if e == encoding_rs::UTF_8)
        );
        let d = page(DocId("p".into()), SourceInfo::unread("p.html"), latin, InputEncoding::Detect, None)
            .unwrap();
        assert_eq!((d.source.encoding, texts(&d)), ("windows-1252", vec!["café"]));
    }

    #[test]
    fn blocks_split_at_block_elements_and_breaks_and_carry_their_dom_features() {
        let d = read(
            "<body><div class=post>Intro line<br>second line<p>A <a href=x>linked</a> sentence.</p>\
             <ul class=menu><li><a href=/>Home</a></li></ul><table><tr><td>cell</td></tr></table><h2>Sub</h2></div></body>",
        );
        assert_eq!(texts(&d), ["Intro line", "second line", "A linked sentence.", "Home", "cell", "Sub"]);
        let f = |i: usize| d.paragraphs[i].features;
        assert_eq!(f(2).link_chars, "linked".len());
        assert_eq!((f(3).block, f(3).dom.unwrap().in_list), (Block::ListItem, true));
        assert!(f(3).dom.unwrap().marks.any(Marks::NAV), "inside ul.menu");
        assert!(f(4).dom.unwrap().in_table);
        assert_eq!((f(5).block, f(5).dom.unwrap().heading), (Block::Heading, 2));
        assert!(f(0).dom.unwrap().marks.any(Marks::CONTENT), "div.post");
    }

    #[test]
    fn hidden_inline_text_is_not_read_and_a_hidden_block_is_marked() {
        let d = read(
            "<p>Shown <span style='display: none'>secret</span>text.</p><div aria-hidden=true><p>Hidden block.</p></div>",
        );
        assert_eq!(texts(&d), ["Shown text.", "Hidden block."]);
        assert!(!d.paragraphs[0].features.dom.unwrap().marks.any(Marks::HIDDEN));
        assert!(d.paragraphs[1].features.dom.unwrap().marks.any(Marks::HIDDEN));
    }

    #[test]
    fn each_text_node_is_found_again_in_the_source() {
        let html = "<html><head><title>T</title><script>var p = '<p>not text</p>';</script></head><body>\
                    <!-- <p>a comment</p> --><p>Fish &amp; chips</p><p>Caf&eacute; <b>au</b> lait</p><p>x</p></body></html>";
        let d = read(html);
        assert_eq!(texts(&d), ["Fish & chips", "Café au lait", "x"]);
        let spans: Vec<&str> = d.paragraphs.iter().map(|p| &html[p.span.start..p.span.end]).collect();
        assert_eq!(spans, ["Fish &amp; chips", "Caf&eacute; <b>au</b> lait", "x"]);
    }

    #[test]
    fn a_letter_written_as_a_reference_is_found_too() {
        let html = "<ul><li>Gr&uuml;&szlig;e aus M&#xFC;nchen</li></ul>";
        let d = read(html);
        assert_eq!(texts(&d), ["Grüße aus München"]);
        let p = &d.paragraphs[0];
        assert_eq!(&html[p.span.start..p.span.end], "Gr&uuml;&szlig;e aus M&#xFC;nchen");
    }

    #[test]
    fn text_the_dom_leaves_out_does_not_lose_the_spans_after_it() {
        // A country menu of 300 options (text runs the walk skips) above the article.
        let options: String = (0..300).map(|i| format!("<option>Country {i}</option>")).collect();
        let html = format!(
            "<html><body><select>{options}</select><p>Fish &amp; chips by the harbour.</p></body></html>"
        );
        let d = read(&html);
        assert_eq!(texts(&d), ["Fish & chips by the harbour."]);
        let p = &d.paragraphs[0];
        assert_eq!(&html[p.span.start..p.span.end], "Fish &amp; chips by the harbour.");
    }

    #[test]
    fn metadata_comes_from_json_ld_then_meta_tags_then_the_title() {
        let d = read(
            r#"<html><head><title>Page title | Site</title><meta property="og:title" content="OG title">
            <meta property="og:site_name" content="The Site"><link rel="canonical" href="https://www.site.example/a">
            <script type="application/ld+json">{"@graph": [{"@type": "WebPage", "name": "Not it"},
              {"@type": ["NewsArticle"], "headline": "LD headline", "datePublished": "2026-03-04T08:00:00Z",
               "author": [{"@type": "Person", "name": "Ana Ribeiro"}, {"name": "Maria Okafor"}]}]}</script>
            </head><body><p>Text of the page.</p><time datetime="2020-01-01">old</time></body></html>"#,
        );
        assert_eq!(d.meta.title.as_deref(), Some("LD headline"));
        assert_eq!(d.meta.author.as_deref(), Some("Ana Ribeiro, Maria Okafor"));
        assert_eq!(d.meta.published.as_deref(), Some("2026-03-04"));
        assert_eq!(d.meta.site.as_deref(), Some("The Site"));
        assert_eq!(d.source.site.as_deref(), Some("site.example"));
        let plain = read(
            "<html><head><title> Plain\n title </title></head><body><p>x</p><time datetime='2024-05-06T10:00'>May</time></body></html>",
        );
        assert_eq!(
            (plain.meta.title.as_deref(), plain.meta.published.as_deref()),
            (Some("Plain title"), Some("2024-05-06"))
        );
    }
}
