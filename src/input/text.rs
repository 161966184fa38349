//! Part of input: text and markdown dumps, one article per file. The bytes are decoded
//! ([`super::decode`]) and the page's own address, when it states one near the top, names
//! its site.

use super::decode::{self, InputEncoding};
use super::unit::Format;
use crate::error::FileError;
use crate::model::{DocId, Document, SourceInfo};

/// Plain-text and markdown dumps: every extension no other format claims.
#[derive(Debug)]
pub struct Text;

impl Format for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn reads(&self, _ext: &str) -> bool {
        true
    }

    fn article(
        &self,
        id: DocId,
        mut source: SourceInfo,
        bytes: Vec<u8>,
        encoding: InputEncoding,
    ) -> Result<Document, (SourceInfo, FileError)> {
        match decode::decode(bytes, encoding) {
            Ok(d) => {
                source.encoding = d.encoding.name();
                source.site = stated_site(&d.text);
                source.note = d.note();
                Ok(Document::mapped(id, source, d.text, d.map))
            }
            Err(e) => Err((source, e)),
        }
    }
}

/// The site a page dump states about itself near its top: the address line of Jina Reader
/// (`URL Source: https://...`), a front matter or metadata key (`url:`, `sourceURL:`,
/// `source:`, `canonical:`, `og:url:`). Its host is the document's site, so a flat folder of
/// pages from many sites is many sites to site learning. Links in the text are not addresses
/// the page states about itself, so they are not read.
pub fn stated_site(text: &str) -> Option<String> {
    static STATED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)^\s*["']?(?:url source|url|source ?url|source|canonical(?: ?url)?|og:url|permalink)["']?\s*:\s*["'<]?(https?://[^\s"'>]+)"#,
        )
        .unwrap()
    });
    text.lines().take(30).find_map(|l| STATED.captures(l).and_then(|c| host(&c[1])))
}

/// `https://www.example.com/a/b` -> `example.com`.
pub(super) fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?.rsplit('@').next()?.split(':').next()?;
    let host = host.strip_prefix("www.").unwrap_or(host).to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The `YYYY-MM-DD` a date field starts with (`2025-12-05T10:00:00Z` -> `2025-12-05`).
pub(super) fn iso_date(s: &str) -> Option<String> {
    let d = s.trim().get(..10)?;
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)).then(|| d.to_string())
}

#[cfg(test)]
mod stated_site_tests {
    use super::stated_site;

    #[test]
    fn a_page_states_its_site_near_the_top() {
        let jina = "Title: Bridge works reach Harbourton\n\nURL Source: https://www.harbourgazette.com/news/bridge\n\nMarkdown Content:\nThe council said...";
        assert_eq!(stated_site(jina).as_deref(), Some("harbourgazette.com"));
        let front = "---\ntitle: Bridge\nsourceURL: \"https://news.example.org/a?b=1\"\n---\n\nText";
        assert_eq!(stated_site(front).as_deref(), Some("news.example.org"));
        let link = "The council said, according to [the minutes](https://other.example/minutes), that...";
        assert_eq!(stated_site(link), None, "a link in the text is not the page's address");
    }
}
