//! Dates and bylines as scraped pages write them, parsed: shared by the metadata stage (which
//! takes them as fields) and the boilerplate stage (which never takes such a line for the
//! header of a comment thread). Pure functions over one line of text.

use regex::Regex;
use std::sync::LazyLock;

const NAME_PARTICLES: &str = "de|da|del|della|di|van|von|der|den|al|el|bin|ibn|la|le|du|dos|y";

pub(crate) static NAME: LazyLock<String> = LazyLock::new(|| {
    let word = r"\p{Lu}[\p{L}'’.\-]*";
    format!(r"{word}(?:\s+(?:{word}|(?:{NAME_PARTICLES})(?:-{word})?)){{0,4}}")
});
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    let name = NAME.as_str();
    Regex::new(&format!(
        r"^(?i:by|written by|words by|posted by|author:?)\s+(?P<name>{name}(?:(?:\s*,\s*|\s+(?i:and)\s+|\s*&\s*){name})*?)(?:(?:\s*(?:[,|–—•]|\s-)|\s+(?i:on))\s*(?P<rest>.{{1,60}})|\s+(?P<stamp>(?i:updated|published|posted|last updated)\b.{{1,60}}))?$"
    ))
    .unwrap()
});

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
    let rest = c.name("rest").or_else(|| c.name("stamp")).map(|r| r.as_str());
    if let Some(rest) = rest {
        let capitalized = rest.chars().next().is_some_and(|ch| ch.is_uppercase() || ch.is_ascii_digit());
        if !capitalized || rest.split_whitespace().count() > 8 {
            return None;
        }
    }
    let date = rest.and_then(find_date);
    Some(Byline { name, date })
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
        r"(?:(?P<m1>{MONTHS})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{MONTHS})\.?,?\s+(?P<y2>\d{{4}})|(?P<y3>\d{{4}})-(?P<mo3>\d{{2}})-(?P<d3>\d{{2}})|(?P<a4>\d{{1,2}})/(?P<b4>\d{{1,2}})/(?P<y4>\d{{4}})|(?P<y5>\d{{4}})\s*年\s*(?P<mo5>\d{{1,2}})\s*月\s*(?P<d5>\d{{1,2}})\s*日)"
    )
});
static DATE_ANYWHERE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)\b{}\b", DATE.as_str())).unwrap());
static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let weekday = r"(?:(?:mon|tues?|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?\.?,?\s+)?";
    // A clock time after the date: "at 8:59 pm", "• 2:15pm", ", 10:28am EST", "09:09:26 PM PST".
    let time = r"(?:\s*[,•·|]?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,5}|\s*[+-]\d{2}:?\d{2})?)?";
    let prefix = r"(?:(?:published|posted|updated|last updated|last modified|modified|date|first published|created|article launched)(?:\s+on)?\s*:?\s*)?";
    Regex::new(&format!(
        r"(?i)^(?:(?P<site>[^,|•·\d][^,|•·]{{1,58}}?)\s*[,|•·]\s*|(?P<site2>(?-i:\p{{Lu}}[\p{{L}}.&'’-]*)(?:\s+(?-i:\p{{Lu}}[\p{{L}}.&'’-]*)){{0,3}})\s+)?{prefix}{weekday}{date}{time}\.?$",
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
    let site =
        c.name("site").or_else(|| c.name("site2")).map(|s| s.as_str().trim().to_string()).filter(|s| {
            let lower = s.to_lowercase();
            !lower.is_empty()
                && !["published", "posted", "updated", "date", "created", "modified", "last", "article"]
                    .iter()
                    .any(|w| lower.starts_with(w))
                && !NOT_NAMES.contains(&lower.trim_end_matches(['.', ',']))
                && !["mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "may"]
                    .contains(&lower.trim_end_matches(['.', ',']))
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
    } else if let Some(y) = c.name("y3") {
        (y.as_str().parse().ok()?, c["mo3"].parse().ok()?, c["d3"].parse().ok()?)
    } else if let Some(y) = c.name("y4") {
        // 1/10/2008: month first, as in US pages, unless the first number cannot be a month.
        let (a, b): (u32, u32) = (c["a4"].parse().ok()?, c["b4"].parse().ok()?);
        let (m, d) = if a > 12 { (b, a) } else { (a, b) };
        (y.as_str().parse().ok()?, m, d)
    } else {
        (c["y5"].parse().ok()?, c["mo5"].parse().ok()?, c["d5"].parse().ok()?)
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
