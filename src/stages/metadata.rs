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

use crate::model::{Block, DocStage, Document, MetaField, Outcome, Paragraph, Removal, match_key};
use crate::stages::boilerplate::RuleSet;
use crate::stages::bylines::{NAME, parse_byline, parse_date_line};
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
        // A list item is navigation ("Next Post"), never the headline.
        if p.features.block != Block::ListItem
            && (p.features.block == Block::Heading || looks_like_title(&p.text))
            && parse_date_line(&p.text).is_none()
            && parse_byline(&p.text).is_none()
        {
            let (title, site) = split_site_suffix(&p.text);
            doc.meta.title = Some(title.to_string());
            if let Some(site) = site {
                doc.meta.site.get_or_insert_with(|| site.to_string());
            }
            take(&mut doc.paragraphs[i], MetaField::Title);
        }
    }

    // The title's lines at the top leave the text: a given title's, and a title scraped twice
    // (too short, often, for paragraph dedup's minimum; a second pass would take the repeat as
    // the title), with or without its site suffix.
    if let Some(key) = doc.meta.title.as_deref().map(match_key) {
        for &i in &head {
            let text = &doc.paragraphs[i].text;
            if doc.paragraphs[i].is_kept()
                && (match_key(text) == key || match_key(split_site_suffix(text).0) == key)
            {
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
        // A menu's item or link ("Weather" above a byline) names no place, person or site.
        if !p.is_kept() || p.features.block == Block::ListItem || p.features.link_share(&p.text) > 0.5 {
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

/// A page title's site suffix: `"Apple unveils a phone - The Verge"` => (`"Apple unveils a
/// phone"`, `Some("The Verge")`). The suffix follows the last ` - `, ` | `, ` – `, ` — ` or
/// ` :: `, is 1 to 4 words that are capitalized or a domain, and leaves at least 3 words before.
pub fn split_site_suffix(t: &str) -> (&str, Option<&str>) {
    let Some((at, sep)) = [" - ", " | ", " – ", " — ", " :: "]
        .iter()
        .filter_map(|s| t.rfind(s).map(|i| (i, s.len())))
        .max_by_key(|&(i, _)| i)
    else {
        return (t, None);
    };
    let (head, site) = (t[..at].trim(), t[at + sep..].trim());
    let words: Vec<&str> = site.split_whitespace().collect();
    let site_like = (1..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()) || w.contains('.')
        })
        && !site.ends_with(['.', '!', '?'])
        && site.chars().any(char::is_alphabetic);
    if site_like && head.split_whitespace().count() >= 3 { (head, Some(site)) } else { (t, None) }
}

/// 2 to 30 words, at most 250 characters, not ending like a sentence or a label.
fn looks_like_title(t: &str) -> bool {
    let words = t.split_whitespace().count();
    (2..=30).contains(&words)
        && t.chars().count() <= 250
        && !t.ends_with(['.', ',', ';', ':'])
        && t.chars().any(char::is_alphabetic)
}

static PERSON: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{}$", NAME.as_str())).unwrap());

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

/// Metadata extraction.
#[derive(Debug, Clone, Copy)]
pub struct MetadataSettings {
    /// Extract at all.
    pub enabled: bool,
    /// Paragraphs searched at the top.
    pub head_paragraphs: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocId, SourceInfo};
    use crate::settings::Settings;
    use crate::stages::normalize::Normalize;
    use crate::stages::normalize::NormalizeSettings;
    use crate::stages::normalize::{ParagraphSplit, UnicodeForm};

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
    fn real_date_lines_with_clock_times() {
        let parse = |t: &str| parse_date_line(t).map(|d| (d.iso, d.site));
        let iso = |t: &str| parse(t).map(|d| d.0);
        assert_eq!(iso("PUBLISHED: November 19, 2019 at 8:59 pm").as_deref(), Some("2019-11-19"));
        assert_eq!(iso("Thu Dec 27, 2007 8:13pm EST").as_deref(), Some("2007-12-27"));
        assert_eq!(iso("Created: 1/10/2008 4:09:14 PM").as_deref(), Some("2008-01-10"));
        assert_eq!(iso("Article Launched: 01/15/2008 09:09:26 PM PST").as_deref(), Some("2008-01-15"));
        assert_eq!(iso("16 November 2017 • 2:15pm").as_deref(), Some("2017-11-16"));
        assert_eq!(iso("2019年11月19日 09:02").as_deref(), Some("2019-11-19"));
        assert_eq!(iso("25/12/2019").as_deref(), Some("2019-12-25"), "day first when it cannot be a month");
        assert_eq!(
            parse("Associated Press November 19, 2019, 9:02 AM"),
            Some(("2019-11-19".into(), Some("Associated Press".into())))
        );
        assert_eq!(parse("Updated Nov 13, 2019, 10:28am EST"), Some(("2019-11-13".into(), None)));
        assert_eq!(iso("Monday 5:30PM"), None, "a bare time is no date");
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
        let b = parse_byline("By Maria Lopez Updated Nov 13, 2019, 10:28am EST").unwrap();
        assert_eq!((b.name.as_str(), b.date.as_deref()), ("Maria Lopez", Some("2019-11-13")));
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
    fn a_site_suffix_leaves_the_title_for_the_site() {
        let d = run(
            "Apple unveils its thinnest phone yet - The Verge\n\nThe phone is thinner than any before it, the company said.\n",
        );
        assert_eq!(d.meta.title.as_deref(), Some("Apple unveils its thinnest phone yet"));
        assert_eq!(d.meta.site.as_deref(), Some("The Verge"));
        assert_eq!(
            split_site_suffix("Council backs bridge plan | harbourgazette.com").1,
            Some("harbourgazette.com")
        );
        assert_eq!(split_site_suffix("Storm hits the coast - 2 dead").1, None, "not a site");
        assert_eq!(split_site_suffix("Review - Star Wars").1, None, "too little title left");
    }

    #[test]
    fn a_list_item_is_never_the_title() {
        let d = run(
            "* Next Post\n\nCouncil backs the harbour bridge plan\n\nThe council voted on Tuesday to back the plan.\n",
        );
        assert_eq!(d.meta.title, None);
        assert!(d.paragraphs[0].is_kept());
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
