//! Stage 3, metadata: title, author, published date, site and dateline, taken from the
//! article's own lines. A paragraph used as metadata leaves the body (reason `metadata`).
//!
//! What each field is taken from, in order of preference:
//! - title: the first paragraph that no boilerplate rule matches, if it is a heading or reads
//!   like a headline (2 to 30 words, no closing full stop);
//! - author: a byline ("By Andrew Korybko", "Written by ...") anywhere, else a bare name next to
//!   the date line at the top ("Basma El Atti" above "03 January, 2025");
//! - published: a date line at the top ("03 January, 2025", "Global Research, September 02,
//!   2024", "Published: 2024-09-02"), as ISO 8601 `YYYY-MM-DD`;
//! - site: the text before the date in a "Site, Date" line, else an all-caps line next to the
//!   date line ("THE NEW ARAB");
//! - dateline: a place name right above the date line ("Rabat").

use crate::document::{Block, Document, MetaField, Paragraph, Removal};
use crate::settings::MetadataSettings;
use crate::stages::boilerplate::{RuleSet, match_key};
use crate::stages::{DocStage, Outcome};
use regex::Regex;
use std::sync::{Arc, LazyLock};

/// The metadata stage. It consults the boilerplate rules only to skip lines like "Skip to main
/// content" when looking for the title.
#[derive(Debug, Clone)]
pub struct ExtractMetadata {
    settings: MetadataSettings,
    rules: Arc<RuleSet>,
}

impl ExtractMetadata {
    /// Build from settings and the boilerplate rule set.
    pub fn new(settings: &MetadataSettings, rules: Arc<RuleSet>) -> Self {
        ExtractMetadata { settings: *settings, rules }
    }
}

impl DocStage for ExtractMetadata {
    const NAME: &'static str = "metadata";

    fn apply(&self, mut doc: Document) -> Outcome {
        if self.settings.enabled {
            extract(&mut doc, self.settings.head_paragraphs, &self.rules);
        }
        Outcome::Keep(doc)
    }
}

fn take(p: &mut Paragraph, field: MetaField) {
    p.removal = Some(Removal::Metadata(field));
}

fn extract(doc: &mut Document, head: usize, rules: &RuleSet) {
    let total = doc.paragraphs.len();
    let kept: Vec<usize> = (0..total).filter(|&i| doc.paragraphs[i].is_kept()).collect();
    let head: Vec<usize> = kept.iter().copied().take(head).collect();

    // Title: the first paragraph that is not boilerplate, if it reads like a headline. A title
    // the source gave (a JSONL record's `title`) stays; its repeats are taken below.
    let first_text = || head.iter().find(|&&i| rules.first_match(&doc.paragraphs[i], i, total).is_none());
    if let Some(&i) = if doc.meta.title.is_none() { first_text() } else { None } {
        let p = &doc.paragraphs[i];
        if (p.features.block == Block::Heading || looks_like_title(&p.text))
            && parse_date_line(&p.text).is_none()
            && parse_byline(&p.text).is_none()
        {
            doc.meta.title = Some(p.text.clone());
            take(&mut doc.paragraphs[i], MetaField::Title);
        }
    }

    // The title's lines at the top leave the text: a given title's, and a title scraped twice
    // (too short, often, for paragraph dedup's minimum; a second pass would take the repeat as
    // the title).
    if let Some(key) = doc.meta.title.as_deref().map(match_key) {
        for &i in &head {
            if doc.paragraphs[i].is_kept() && match_key(&doc.paragraphs[i].text) == key {
                take(&mut doc.paragraphs[i], MetaField::Title);
            }
        }
    }

    // Date line at the top.
    let mut date_at = None;
    for &i in &head {
        let p = &doc.paragraphs[i];
        if !p.is_kept() {
            continue;
        }
        if let Some(d) = parse_date_line(&p.text) {
            doc.meta.published.get_or_insert(d.iso);
            if let Some(site) = d.site {
                doc.meta.site.get_or_insert(site);
            }
            take(&mut doc.paragraphs[i], MetaField::Published);
            date_at = Some(i);
            break;
        }
    }

    // Byline anywhere (top first, then the rest of the document).
    for &i in head.iter().chain(kept.iter().skip(head.len())) {
        let p = &doc.paragraphs[i];
        if !p.is_kept() {
            continue;
        }
        if let Some(b) = parse_byline(&p.text) {
            // An author the source gave stays; only its own byline leaves the text.
            if doc.meta.author.as_deref().is_some_and(|a| match_key(a) != match_key(&b.name)) {
                continue;
            }
            doc.meta.author = Some(b.name);
            if doc.meta.published.is_none() {
                doc.meta.published = b.date;
            }
            take(&mut doc.paragraphs[i], MetaField::Author);
            break;
        }
    }

    // The lines around a date line at the top form a dateline block: name, place, site.
    let Some(d) = date_at else { return };
    let pos = head.iter().position(|&i| i == d).unwrap_or(0);
    let near: Vec<usize> = head[pos.saturating_sub(3)..(pos + 3).min(head.len())].to_vec();
    for &i in &near {
        let p = &doc.paragraphs[i];
        if !p.is_kept() {
            continue;
        }
        if doc.meta.site.is_none() && is_all_caps_name(&p.text) {
            doc.meta.site = Some(p.text.clone());
            take(&mut doc.paragraphs[i], MetaField::Site);
        } else if i < d && doc.meta.author.is_none() && is_person_name(&p.text) {
            doc.meta.author = Some(p.text.clone());
            take(&mut doc.paragraphs[i], MetaField::Author);
        } else if (i + 1 == d || (i < d && doc.paragraphs[i + 1..d].iter().all(|q| !q.is_kept())))
            && doc.meta.dateline.is_none()
            && is_place(&p.text)
        {
            doc.meta.dateline = Some(p.text.clone());
            take(&mut doc.paragraphs[i], MetaField::Dateline);
        }
    }
}

/// 2 to 30 words, at most 250 characters, not ending like a sentence or a label.
fn looks_like_title(t: &str) -> bool {
    let words = t.split_whitespace().count();
    (2..=30).contains(&words)
        && t.chars().count() <= 250
        && !t.ends_with(['.', ',', ';', ':'])
        && t.chars().any(char::is_alphabetic)
}

const NAME_PARTICLES: &str = "de|da|del|della|di|van|von|der|den|al|el|bin|ibn|la|le|du|dos|y";

static NAME: LazyLock<String> = LazyLock::new(|| {
    let word = r"\p{Lu}[\p{L}'’.\-]*";
    format!(r"{word}(?:\s+(?:{word}|(?:{NAME_PARTICLES})(?:-{word})?)){{0,4}}")
});
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    let name = NAME.as_str();
    Regex::new(&format!(
        r"^(?i:by|written by|words by|posted by|author:?)\s+(?P<name>{name}(?:(?:\s*,\s*|\s+(?i:and)\s+|\s*&\s*){name})*)(?:(?:\s*(?:[,|–—]|\s-)|\s+(?i:on))\s*(?P<rest>.{{1,60}}))?$"
    ))
    .unwrap()
});
static PERSON: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{}$", NAME.as_str())).unwrap());

/// A byline: the name, and a date if the line gives one ("By Jane Doe | March 3, 2024").
#[derive(Debug, PartialEq, Eq)]
pub struct Byline {
    /// The author's name as written.
    pub name: String,
    /// ISO date, if present.
    pub date: Option<String>,
}

/// Parse "By Andrew Korybko", "Written by Jane Doe and John Roe", "By Jane Doe, Reuters".
pub fn parse_byline(t: &str) -> Option<Byline> {
    if t.split_whitespace().count() > 16 {
        return None;
    }
    let c = BYLINE.captures(t)?;
    let name = c["name"].trim().to_string();
    // "By Monday, the talks had collapsed." is a sentence, not a byline: a name is not a day or
    // a month, and what follows a byline's comma is a capitalized outlet or a date, in few words.
    let first = name.split_whitespace().next().unwrap_or("").to_lowercase();
    if NOT_NAMES.contains(&first.trim_end_matches('.')) {
        return None;
    }
    if let Some(rest) = c.name("rest").map(|r| r.as_str()) {
        let capitalized = rest.chars().next().is_some_and(|ch| ch.is_uppercase() || ch.is_ascii_digit());
        if !capitalized || rest.split_whitespace().count() > 8 {
            return None;
        }
    }
    let date = c.name("rest").and_then(|r| find_date(r.as_str()));
    Some(Byline { name, date })
}

/// "Basma El Atti": 2 to 5 capitalized words, no digits.
fn is_person_name(t: &str) -> bool {
    let words = t.split_whitespace().count();
    (2..=5).contains(&words) && PERSON.is_match(t) && !is_all_caps_name(t)
}

/// "Rabat", "New York": 1 to 3 capitalized words.
fn is_place(t: &str) -> bool {
    let words: Vec<&str> = t.split_whitespace().collect();
    (1..=3).contains(&words.len())
        && words.iter().all(|w| w.chars().next().is_some_and(char::is_uppercase))
        && !t.chars().any(|c| c.is_ascii_digit())
}

/// "THE NEW ARAB": 1 to 6 words, all letters upper case, at least 3 letters.
fn is_all_caps_name(t: &str) -> bool {
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 3
        && letters.iter().all(|c| c.is_uppercase())
        && t.split_whitespace().count() <= 6
        && !t.chars().any(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// Dates.

/// Capitalized words after "By" that start a time phrase, not a name ("May" is left out: it is
/// also a first name).
const NOT_NAMES: [&str; 30] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";

static DATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        r"(?:(?P<m1>{MONTHS})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{MONTHS})\.?,?\s+(?P<y2>\d{{4}})|(?P<y3>\d{{4}})-(?P<mo3>\d{{2}})-(?P<d3>\d{{2}}))"
    )
});
static DATE_ANYWHERE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b{}\b", DATE.as_str())).unwrap());
static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let weekday = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?";
    let time =
        r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,5}|\s*[+-]\d{2}:?\d{2})?)?";
    let prefix = r"(?:(?:published|posted|updated|last updated|date|first published)(?:\s+on)?\s*:?\s*)?";
    Regex::new(&format!(
        r"(?i)^(?:(?P<site>[^,|•·\d][^,|•·]{{1,58}}?)\s*[,|•·]\s*)?{prefix}{weekday}{date}{time}\.?$",
        date = DATE.as_str()
    ))
    .unwrap()
});

/// A date line: the ISO date and the site named before it, if any.
#[derive(Debug, PartialEq, Eq)]
pub struct DateLine {
    /// `YYYY-MM-DD`.
    pub iso: String,
    /// "Global Research" in "Global Research, September 02, 2024".
    pub site: Option<String>,
}

/// Parse a line that is only a date, or "Site, Date", or "Published: Date".
pub fn parse_date_line(t: &str) -> Option<DateLine> {
    if t.split_whitespace().count() > 14 {
        return None;
    }
    let c = DATE_LINE.captures(t)?;
    let iso = iso_from(&c)?;
    let site = c.name("site").map(|s| s.as_str().trim().to_string()).filter(|s| {
        let lower = s.to_lowercase();
        !lower.is_empty() && !["published", "posted", "updated", "date"].iter().any(|w| lower.starts_with(w))
    });
    Some(DateLine { iso, site })
}

/// The first valid date anywhere in `t`, as ISO.
pub fn find_date(t: &str) -> Option<String> {
    DATE_ANYWHERE.captures_iter(t).find_map(|c| iso_from(&c))
}

fn iso_from(c: &regex::Captures) -> Option<String> {
    let (y, m, d) = if let Some(y) = c.name("y1") {
        (y.as_str().parse().ok()?, month(&c["m1"])?, c["d1"].parse().ok()?)
    } else if let Some(y) = c.name("y2") {
        (y.as_str().parse().ok()?, month(&c["m2"])?, c["d2"].parse().ok()?)
    } else {
        (c["y3"].parse().ok()?, c["mo3"].parse().ok()?, c["d3"].parse().ok()?)
    };
    valid(y, m, d).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

fn month(name: &str) -> Option<u32> {
    let n = name.to_lowercase();
    let i = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        .iter()
        .position(|m| n.starts_with(m))?;
    Some(i as u32 + 1)
}

fn valid(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1000..=2999).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ParagraphSplit, UnicodeForm};
    use crate::document::{DocId, SourceInfo};
    use crate::settings::{NormalizeSettings, Settings};
    use crate::stages::normalize::Normalize;

    fn run(text: &str) -> Document {
        let s = Settings::defaults("raw", "out");
        let n = Normalize::new(&NormalizeSettings {
            unicode: UnicodeForm::Nfc,
            strip_markdown: true,
            paragraphs: ParagraphSplit::Auto,
        });
        let doc = Document::new(DocId("t".into()), SourceInfo::unread("t.txt"), text.into(), 0);
        let rules = Arc::new(RuleSet::new(&s.boilerplate));
        match n.apply(doc).then(&ExtractMetadata::new(&s.metadata, rules)) {
            Outcome::Keep(d) => d,
            Outcome::Drop(d, r) => panic!("dropped {r:?} {d:?}"),
        }
    }

    #[test]
    fn dates_in_common_formats() {
        let iso = |t: &str| parse_date_line(t).map(|d| d.iso);
        assert_eq!(iso("03 January, 2025").as_deref(), Some("2025-01-03"));
        assert_eq!(iso("September 02, 2024").as_deref(), Some("2024-09-02"));
        assert_eq!(iso("Sept. 2, 2024").as_deref(), Some("2024-09-02"));
        assert_eq!(iso("Published: 2024-09-02").as_deref(), Some("2024-09-02"));
        assert_eq!(iso("Monday, 2nd of March 2020 at 10:30 GMT").as_deref(), Some("2020-03-02"));
        assert_eq!(iso("February 30, 2024"), None, "invalid day");
        assert_eq!(
            iso("The talks resumed on March 3, 2024 in Algiers after weeks of pressure from the partners."),
            None
        );
        let d = parse_date_line("Global Research, September 02, 2024").unwrap();
        assert_eq!(d.site.as_deref(), Some("Global Research"));
    }

    #[test]
    fn bylines() {
        assert_eq!(parse_byline("By Andrew Korybko").unwrap().name, "Andrew Korybko");
        assert_eq!(
            parse_byline("Written by Jane van der Berg and John Roe").unwrap().name,
            "Jane van der Berg and John Roe"
        );
        let b = parse_byline("By Basma El Atti | 03 January, 2025").unwrap();
        assert_eq!((b.name.as_str(), b.date.as_deref()), ("Basma El Atti", Some("2025-01-03")));
        assert_eq!(parse_byline("By the end of the week the talks had stalled."), None);
        // WordPress's "Posted by NAME on DATE in CATEGORY".
        let b = parse_byline("Posted by Sofia Kim on 2022-11-21 in Sports").unwrap();
        assert_eq!((b.name.as_str(), b.date.as_deref()), ("Sofia Kim", Some("2022-11-21")));
        assert_eq!(parse_byline("By Alice on the beach we waited for the boat"), None);
    }

    #[test]
    fn global_research_header() {
        let d = run(
            "# Close Russian Partner Algeria Wants Wagner to Withdraw\n\nBy [Andrew Korybko](#)\n\nGlobal Research, September 02, 2024\n\nRegion: [Europe](#)\n\nBody text of the article that goes on.\n",
        );
        assert_eq!(d.meta.title.as_deref(), Some("Close Russian Partner Algeria Wants Wagner to Withdraw"));
        assert_eq!(d.meta.author.as_deref(), Some("Andrew Korybko"));
        assert_eq!(d.meta.published.as_deref(), Some("2024-09-02"));
        assert_eq!(d.meta.site.as_deref(), Some("Global Research"));
        assert_eq!(d.paragraphs[0].removal, Some(Removal::Metadata(MetaField::Title)));
        assert_eq!(d.paragraphs[2].removal, Some(Removal::Metadata(MetaField::Published)));
        assert!(d.paragraphs[3].is_kept(), "metadata leaves boilerplate to its stage");
    }

    #[test]
    fn new_arab_dateline_block() {
        let d = run(
            "At the heart of Algeria's concerns lies the presence of Wagner.\nBasma El Atti\nRabat\n03 January, 2025\nTHE NEW ARAB\nAlgeria and Russia, long-time allies, are scrambling to patch up ties.\n",
        );
        assert_eq!(d.meta.title, None, "a lede ending in a full stop is not a headline");
        assert_eq!(d.meta.author.as_deref(), Some("Basma El Atti"));
        assert_eq!(d.meta.dateline.as_deref(), Some("Rabat"));
        assert_eq!(d.meta.published.as_deref(), Some("2025-01-03"));
        assert_eq!(d.meta.site.as_deref(), Some("THE NEW ARAB"));
        assert!(d.paragraphs[0].is_kept() && d.paragraphs[5].is_kept());
    }

    #[test]
    fn title_skips_boilerplate_and_byline_at_the_end_is_found() {
        let d = run(
            "Skip to main content\n\nWagner's Departure from Mali: A Diplomatic Victory\n\nAfter four years the group has left.\n\nBy Belgacem Merbah\n\nComments\n",
        );
        assert_eq!(d.meta.title.as_deref(), Some("Wagner's Departure from Mali: A Diplomatic Victory"));
        assert_eq!(d.meta.author.as_deref(), Some("Belgacem Merbah"));
        assert!(d.paragraphs[0].is_kept(), "left for the boilerplate stage");
    }

    #[test]
    fn no_invented_metadata() {
        let d = run(
            "Algeria expresses dissatisfaction over Russia's role in Mali\n\nThe diplomatic clash has been re-staged at the United Nations.\n",
        );
        assert_eq!(
            d.meta.title.as_deref(),
            Some("Algeria expresses dissatisfaction over Russia's role in Mali")
        );
        assert_eq!(
            (d.meta.author.clone(), d.meta.published.clone(), d.meta.site.clone()),
            (None, None, None)
        );
    }
}
