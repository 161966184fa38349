//! Stage 4, boilerplate: remove site furniture (share and follow calls, disclaimers, author
//! boxes, comment widgets, teaser blocks) by an ordered list of rules.
//!
//! The rules are data: `pipeline.toml`'s `[[boilerplate.rules]]` first, then the built-in pack in
//! `rules.toml` (each rule there says what it matches, why, and gives an example that a test runs).
//! The first rule that matches a paragraph removes it and is recorded with its id and category.
//! A rule with `scope = "rest"` is a tail marker: it removes its paragraph and everything after.
//!
//! Whole phrases are one hash lookup of the paragraph's match key, start phrases one lookup of
//! its first word, and all anywhere phrases share one Aho-Corasick automaton, so a paragraph
//! costs the same whatever the number of phrase rules. Regex rules run one by one, behind a byte
//! gate ([`gate`]), and only while they could still beat the best match so far and their word
//! limit and zone allow it. A `RegexSet` was measured here at 39% of a whole run: Unicode `\b`
//! keeps a set off the fast DFA, while a single regex gets a literal prefilter or an anchored
//! search.

pub mod classify;
pub mod context;
pub mod dom;
pub mod gate;
pub mod language;
pub mod settings;
pub mod signals;
pub mod sites;

pub use settings::{
    BoilerplateSettings, Category, ClassifierSettings, Matcher, Preset, Rule, Scope, SitesSettings, Zone,
};

use classify::Classified;
use gate::Gate;
use sites::SiteKnowledge;

use crate::model::{
    DocStage, Document, DropReason, MetaField, Outcome, Paragraph, Removal, Verdict, lowercase_into,
    match_key, trim_key,
};
use crate::stages::bylines::{parse_byline, parse_date_line};
use aho_corasick::AhoCorasick;
use regex::Regex;
use rustc_hash::FxBuildHasher;
use std::collections::HashMap;
use std::sync::Arc;

/// The compiled rules.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Whole-paragraph phrase -> rule indexes.
    whole: HashMap<String, Vec<usize>, FxBuildHasher>,
    /// Longest whole phrase, in bytes: a longer paragraph skips the lookup.
    whole_max_bytes: usize,
    start: StartPhrases,
    anywhere: AnywherePhrases,
    /// Regex rules (rule index, compiled pattern, its gate), in rule order.
    regex_rules: Vec<(usize, Regex, Gate)>,
    /// Link-share rules: (rule index, minimum share).
    link_rules: Vec<(usize, f32)>,
    head_share: f32,
    tail_share: f32,
    tail_min_words: usize,
}

/// Phrases that must open the paragraph, by their first word: a paragraph costs one lookup of
/// its own first word. (An Aho-Corasick scan of each paragraph's opening bytes was a sixth of
/// the stage's time in `cargo bench --bench boilerplate`.)
#[derive(Debug, Clone, Default)]
struct StartPhrases {
    by_first_word: HashMap<String, Vec<(String, usize)>, FxBuildHasher>,
    /// The largest `max-words` among their rules: a longer paragraph cannot match any of them.
    max_words: usize,
    /// The longest phrase, in bytes.
    max_bytes: usize,
}

impl StartPhrases {
    fn new(phrases: Vec<(String, usize, usize)>) -> StartPhrases {
        let mut s = StartPhrases::default();
        for (phrase, rule, max_words) in phrases {
            s.max_words = s.max_words.max(max_words);
            s.max_bytes = s.max_bytes.max(phrase.len());
            s.by_first_word.entry(first_word(&phrase).to_string()).or_default().push((phrase, rule));
        }
        s
    }

    /// Each rule with a phrase that opens `key`, up to a word boundary.
    fn each(&self, key: &str, mut found: impl FnMut(usize)) {
        for (phrase, rule) in self.by_first_word.get(first_word(key)).into_iter().flatten() {
            if key.starts_with(phrase.as_str()) && !is_word_byte(key, phrase.len(), false) {
                found(*rule);
            }
        }
    }
}

/// The leading run of letters and digits.
fn first_word(s: &str) -> &str {
    &s[..s.find(|c: char| !c.is_alphanumeric()).unwrap_or(s.len())]
}

/// Phrases found anywhere in the paragraph: one Aho-Corasick automaton for all their rules.
#[derive(Debug, Clone, Default)]
struct AnywherePhrases {
    automaton: Option<AhoCorasick>,
    /// Pattern i belongs to rule `rules[i]`.
    rules: Vec<usize>,
    /// The largest `max-words` among those rules.
    max_words: usize,
}

impl AnywherePhrases {
    fn new(phrases: Vec<(String, usize, usize)>) -> AnywherePhrases {
        if phrases.is_empty() {
            return AnywherePhrases::default();
        }
        let automaton = AhoCorasick::new(phrases.iter().map(|(p, ..)| p)).expect("phrases are plain strings");
        AnywherePhrases {
            automaton: Some(automaton),
            rules: phrases.iter().map(|&(_, r, _)| r).collect(),
            max_words: phrases.iter().map(|&(.., w)| w).max().unwrap_or(0),
        }
    }

    /// Each rule with a phrase in `key` on word boundaries.
    fn each(&self, key: &str, mut found: impl FnMut(usize)) {
        let Some(ac) = &self.automaton else { return };
        // Nearly every paragraph has none of the phrases: `is_match` finds that out with the
        // automaton's SIMD prefilter, which an overlapping search cannot use.
        if !ac.is_match(key) {
            return;
        }
        for m in ac.find_overlapping_iter(key) {
            let starts_ok = m.start() == 0 || !is_word_byte(key, m.start(), true);
            if starts_ok && !is_word_byte(key, m.end(), false) {
                found(self.rules[m.pattern().as_usize()]);
            }
        }
    }
}

impl RuleSet {
    /// Compile the rules of the settings.
    pub fn new(settings: &BoilerplateSettings) -> RuleSet {
        let mut whole: HashMap<String, Vec<usize>, FxBuildHasher> = HashMap::default();
        let (mut start, mut anywhere) = (Vec::new(), Vec::new());
        let mut regex_rules = Vec::new();
        let mut link_rules = Vec::new();
        for (i, r) in settings.rules.iter().enumerate() {
            match &r.matcher {
                Matcher::Whole(ps) => ps.0.iter().for_each(|p| whole.entry(p.clone()).or_default().push(i)),
                Matcher::Start(ps) => start.extend(ps.0.iter().map(|p| (p.clone(), i, r.max_words))),
                Matcher::Anywhere(ps) => anywhere.extend(ps.0.iter().map(|p| (p.clone(), i, r.max_words))),
                Matcher::Regex(re) => regex_rules.push((i, re.0.clone(), Gate::new(re.0.as_str()))),
                Matcher::LinkShare(s) => link_rules.push((i, s.0)),
            }
        }
        RuleSet {
            rules: settings.rules.clone(),
            whole_max_bytes: whole.keys().map(String::len).max().unwrap_or(0),
            whole,
            start: StartPhrases::new(start),
            anywhere: AnywherePhrases::new(anywhere),
            regex_rules,
            link_rules,
            head_share: settings.head_share,
            tail_share: settings.tail_share,
            tail_min_words: settings.tail_min_words,
        }
    }

    /// The first rule (in order) that matches paragraph `index` of a document of `total`
    /// paragraphs.
    pub fn first_match(&self, p: &Paragraph, index: usize, total: usize) -> Option<&Rule> {
        let words = p.features.words;
        let mut best = usize::MAX;
        let mut consider = |i: usize| {
            if i < best && self.applies(&self.rules[i], p, index, total) {
                best = i;
            }
        };
        // Most paragraphs are longer than any phrase rule allows, or than any whole phrase:
        // lowercase only what a rule could still match. Lowercasing at most quadruples or
        // shrinks a character's bytes by a third, so 4x the longest phrase is always enough.
        let trimmed = trim_key(&p.text);
        let whole_possible = trimmed.len() <= 4 * self.whole_max_bytes;
        KEY.with_borrow_mut(|key| {
            if whole_possible || words <= self.anywhere.max_words {
                lowercase_into(trimmed, key);
                if let Some(ids) = self.whole.get(key.as_str()) {
                    ids.iter().for_each(|&i| consider(i));
                }
                if words <= self.start.max_words {
                    self.start.each(key, &mut consider);
                }
                if words <= self.anywhere.max_words {
                    self.anywhere.each(key, &mut consider);
                }
            } else if words <= self.start.max_words {
                let cut = floor_boundary(trimmed, 4 * self.start.max_bytes + 4);
                lowercase_into(&trimmed[..cut], key);
                self.start.each(key, &mut consider);
            }
        });
        for &(i, share) in &self.link_rules {
            if p.features.link_share(&p.text) >= share {
                consider(i);
            }
        }
        // Regexes last and lazily: they are the dearest test.
        for (i, re, gate) in &self.regex_rules {
            if *i < best
                && self.applies(&self.rules[*i], p, index, total)
                && gate.admits(&p.text)
                && re.is_match(&p.text)
            {
                best = *i;
            }
        }
        self.rules.get(best)
    }

    fn applies(&self, r: &Rule, p: &Paragraph, index: usize, total: usize) -> bool {
        if p.features.words > r.max_words {
            return false;
        }
        match r.zone {
            Zone::Anywhere => true,
            Zone::Head => (index as f32) < (total as f32 * self.head_share).ceil(),
            Zone::Tail => (index as f32) >= (total as f32 * (1.0 - self.tail_share)).floor(),
        }
    }
}

/// Is the character touching byte `at` of `s` a letter or digit? `before` looks left of `at`.
fn is_word_byte(s: &str, at: usize, before: bool) -> bool {
    let c = if before { s[..at].chars().next_back() } else { s[at..].chars().next() };
    c.is_some_and(char::is_alphanumeric)
}

/// The largest character boundary of `s` at or below byte `i`.
fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

thread_local! {
    /// Scratch space for a paragraph's match key: one allocation per thread, not per paragraph.
    static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The boilerplate stage.
#[derive(Debug, Clone)]
pub struct StripBoilerplate {
    rules: Arc<RuleSet>,
    enabled: bool,
    classifier: ClassifierSettings,
    sites: SitesSettings,
    knowledge: Arc<SiteKnowledge>,
}

impl StripBoilerplate {
    /// Build from the compiled rules and the site knowledge learned so far.
    pub fn new(settings: &BoilerplateSettings, rules: Arc<RuleSet>, knowledge: Arc<SiteKnowledge>) -> Self {
        StripBoilerplate {
            rules,
            enabled: settings.enabled,
            classifier: settings.classifier,
            sites: settings.sites,
            knowledge,
        }
    }

    /// The same stage reading other site knowledge (a run's grows chunk by chunk).
    pub fn with_knowledge(&self, knowledge: Arc<SiteKnowledge>) -> Self {
        StripBoilerplate { knowledge, ..self.clone() }
    }

    /// [`DocStage::apply`], also returning the classifier's view for `newsprep explain`.
    pub fn apply_explained(&self, mut doc: Document) -> (Outcome, Option<Classified>) {
        let mut classified = None;
        if self.enabled {
            let markers = mark_rules(&mut doc, &self.rules);
            if self.sites.enabled {
                mark_site_lines(&mut doc, &self.knowledge, self.sites.max_words);
            }
            classified =
                strip(&mut doc, markers, &self.rules, self.classifier.enabled.then_some(&self.classifier));
        }
        (finish(doc), classified)
    }
}

impl DocStage for StripBoilerplate {
    const NAME: &'static str = "boilerplate";

    fn apply(&self, doc: Document) -> Outcome {
        self.apply_explained(doc).0
    }
}

/// A document with nothing left leaves the corpus as empty. One whose only text was taken as
/// its title (a page of a line or two) keeps that text as its body too: a title is no article.
fn finish(mut doc: Document) -> Outcome {
    if doc.kept().next().is_none() {
        let title = Some(Removal::Metadata(MetaField::Title));
        // Three words or more: a line that can stand as a body.
        if let Some(p) = doc.paragraphs.iter_mut().find(|p| p.removal == title && p.features.words >= 3) {
            p.removal = None;
            return Outcome::Keep(doc);
        }
        let removed = doc.paragraphs.len();
        return Outcome::Drop(
            doc,
            DropReason::Empty { detail: format!("all {removed} paragraphs were metadata or boilerplate") },
        );
    }
    Outcome::Keep(doc)
}

/// Mark what the classifier rejects. The headline it found becomes the title when neither
/// metadata nor the source gave one, or when the title metadata took stands above the headline
/// with page furniture between them (a site name at the very top of a dump).
fn apply_decisions(doc: &mut Document, c: &Classified) {
    let title_at = doc.paragraphs.iter().position(|p| p.removal == Some(Removal::Metadata(MetaField::Title)));
    for (i, d) in c.decisions.iter().enumerate() {
        let Some(d) = d else { continue };
        // Replace a title only when page furniture stands between it and the headline (so
        // a title scraped twice stays the title, and dedup removes its repeat).
        let furniture_between = |t: usize| {
            t < i
                && match_key(&doc.paragraphs[t].text) != match_key(&doc.paragraphs[i].text)
                && c.decisions[t + 1..i].iter().any(|d| d.is_some_and(|d| !d.keep))
        };
        // A title the source gave (a JSONL record's `title`) with no repeat in the text is
        // kept: the classifier's headline does not replace it.
        let replaces = match title_at {
            Some(t) => furniture_between(t),
            None => doc.meta.title.is_none(),
        };
        if d.headline && replaces {
            if let Some(t) = title_at {
                doc.paragraphs[t].removal = Some(Removal::Classifier {
                    verdict: Verdict::OutsideMain,
                    permille: 0,
                    why: "above the headline of the main content".into(),
                });
            }
            doc.meta.title = Some(doc.paragraphs[i].text.clone());
            doc.paragraphs[i].removal = Some(Removal::Metadata(MetaField::Title));
            continue;
        }
        if !d.keep {
            let verdict = if d.in_main { Verdict::LowScore } else { Verdict::OutsideMain };
            doc.paragraphs[i].removal = Some(Removal::Classifier {
                verdict,
                permille: (d.probability * 1000.0).round() as u16,
                why: d.signals.why_not(),
            });
        }
    }
}

/// Mark the paragraphs that are learned boilerplate of the document's site.
fn mark_site_lines(doc: &mut Document, knowledge: &SiteKnowledge, max_words: usize) {
    if knowledge.is_empty() {
        return;
    }
    let site = sites::site_of_source(&doc.source).to_string();
    // Metadata may have taken the site's name or promotion line as the title; the classifier
    // then looks for the real headline.
    let title = Some(Removal::Metadata(MetaField::Title));
    for p in doc
        .paragraphs
        .iter_mut()
        .filter(|p| (p.is_kept() || p.removal == title) && p.features.words <= max_words)
    {
        if let Some(l) = knowledge.lookup(&site, &p.text, doc.source.order) {
            if p.removal == title {
                doc.meta.title = None;
            }
            p.removal = Some(Removal::Site { site: l.site.clone() });
        }
    }
}

/// Classifier and tail markers, after the rules have marked `markers`. Returns the
/// classifier's view.
fn strip(
    doc: &mut Document,
    markers: Vec<(usize, String)>,
    rules: &RuleSet,
    clf: Option<&ClassifierSettings>,
) -> Option<Classified> {
    let view = dom::mark(doc);
    let rule_kept: Vec<bool> = doc.paragraphs.iter().map(Paragraph::is_kept).collect();
    // A tail marker ends the article once enough article text stands above it and what follows
    // it is no continuation of the article; then the classifier looks again at what is above
    // the marker only, so a long comment thread below cannot pull the main content down to
    // itself.
    let measured = clf.map(|s| (classify::measure(&doc.paragraphs, |i| rule_kept[i], s), s));
    let prose = prose_words(doc, &rule_kept, measured.as_ref().map(|(m, _)| m));
    let cut = find_cut(&markers, &prose, rules.tail_min_words);
    let limit = cut.as_ref().map_or(usize::MAX, |c| c.at);
    let in_main = view.as_ref().map(|v| v.in_main.as_slice());
    let mut c = measured.as_ref().map(|(m, s)| classify::decide(&doc.paragraphs, m, limit, s, in_main));
    if let (Some(c), Some(v)) = (c.as_mut(), &view) {
        c.dom_main = Some(v.describe(doc));
    }
    if let Some(c) = &c {
        apply_decisions(doc, c);
    }
    give_back_site_lines_inside_prose(doc);
    if let Some(cut) = &cut {
        cut_after(doc, cut);
    }
    doc.thin = reexamine(doc, cut.as_ref());
    c
}

/// A learned site line is never removed where it is prose: a paragraph that reads as sentences,
/// with kept sentence-like paragraphs on both sides, is part of the article (a quote that wire
/// copies share, a sentence pages of a flat folder from many sites happen to repeat). Footers
/// and calls to action stand at an edge of the article, where this does not apply.
fn give_back_site_lines_inside_prose(doc: &mut Document) {
    let prose_kept = |p: &Paragraph| p.is_kept() && reads_as_sentences(p);
    for i in 0..doc.paragraphs.len() {
        let p = &doc.paragraphs[i];
        if !matches!(p.removal, Some(Removal::Site { .. })) || !reads_as_sentences(p) {
            continue;
        }
        let before = doc.paragraphs[..i].iter().rev().find(|q| q.is_kept()).is_some_and(prose_kept);
        let after = doc.paragraphs[i + 1..].iter().find(|q| q.is_kept()).is_some_and(prose_kept);
        if before && after {
            doc.paragraphs[i].removal = None;
        }
    }
}

/// The wrecked-article guard: when the cuts left under half of the words of the paragraphs
/// that read as sentences, a tail cut with at most one marker below it (no thread of repeated
/// headers) is undone for the prose it took. Returns whether the document is still thin: it is
/// then counted, and `newsprep check` can fail on it. (Giving back the prose the classifier
/// took as well saved 1 to 2 more pages a set and cost 1 point of dragnet precision.)
fn reexamine(doc: &mut Document, cut: Option<&Cut>) -> bool {
    let counted = |p: &Paragraph| {
        !matches!(p.removal, Some(Removal::Metadata(_) | Removal::Markup { .. } | Removal::Duplicate { .. }))
            && reads_as_sentences(p)
    };
    let total: usize = doc.paragraphs.iter().filter(|p| counted(p)).map(|p| p.features.words).sum();
    let kept = |doc: &Document| -> usize {
        doc.paragraphs.iter().filter(|p| p.is_kept() && reads_as_sentences(p)).map(|p| p.features.words).sum()
    };
    if kept(doc) * 2 >= total {
        return false;
    }
    if cut.is_some_and(|c| c.later_markers <= 1) {
        for p in doc.paragraphs.iter_mut() {
            if matches!(p.removal, Some(Removal::AfterTail { .. })) && reads_as_sentences(p) {
                p.removal = None;
            }
        }
    }
    kept(doc) * 2 < total
}

/// A paragraph that reads as sentences: ten words or more, ending like a sentence.
fn reads_as_sentences(p: &Paragraph) -> bool {
    p.features.words >= 10 && classify::ends_sentence(&p.text)
}

/// Mark every paragraph a rule matches; return the tail markers among them (index, rule id).
/// A comment-header match that reads as a date line or a byline is metadata, not the header of
/// a comment thread, unless the page has two or more of them: a thread repeats its headers, a
/// byline or a timestamp under it stands once.
fn mark_rules(doc: &mut Document, rules: &RuleSet) -> Vec<(usize, String)> {
    let total = doc.paragraphs.len();
    let mut matched = Vec::new();
    for i in 0..total {
        let p = &doc.paragraphs[i];
        if !p.is_kept() {
            continue;
        }
        if let Some(r) = rules.first_match(p, i, total) {
            let header = r.scope == Scope::Rest && r.category == Category::Comments;
            matched.push((i, r, if header { stamp_field(&p.text) } else { None }));
        }
    }
    let thread = matched.iter().filter(|(.., stamp)| stamp.is_some()).count() >= 2;
    let mut markers = Vec::new();
    for (i, r, stamp) in matched {
        if let (Some(field), false) = (stamp, thread) {
            doc.paragraphs[i].removal = Some(Removal::Metadata(field));
            continue;
        }
        if r.scope == Scope::Rest {
            markers.push((i, r.id.clone()));
        }
        doc.paragraphs[i].removal =
            Some(Removal::Boilerplate { rule: r.id.clone(), category: r.category.as_str() });
    }
    markers
}

/// The metadata field a date line or a byline would fill.
fn stamp_field(text: &str) -> Option<MetaField> {
    if parse_date_line(text).is_some() {
        Some(MetaField::Published)
    } else {
        parse_byline(text).map(|_| MetaField::Author)
    }
}

/// The words of each paragraph that count as article prose when a cut is weighed: those of a
/// paragraph the rules left and the classifier scores as more likely text than not (without
/// the classifier, one of 12 words or more), 0 for the rest.
fn prose_words(doc: &Document, rule_kept: &[bool], measured: Option<&classify::Measured>) -> Vec<usize> {
    let mut prose = vec![0; doc.paragraphs.len()];
    match measured {
        Some(m) => {
            for (i, sg, p) in m.items() {
                if *p >= 0.5 {
                    prose[*i] = sg.words as usize;
                }
            }
        }
        None => {
            for (i, p) in doc.paragraphs.iter().enumerate() {
                if rule_kept[i] && p.features.words >= 12 {
                    prose[i] = p.features.words;
                }
            }
        }
    }
    prose
}

/// A tail marker that ends the article, and what corroborated it.
#[derive(Debug, Clone, PartialEq)]
struct Cut {
    /// The marker's paragraph.
    at: usize,
    /// Its rule.
    rule: String,
    /// Article words above it, the largest block of prose between the markers below, and how
    /// many markers follow.
    above: usize,
    block: usize,
    later_markers: usize,
}

impl Cut {
    fn why(&self) -> String {
        let s = if self.later_markers == 1 { "" } else { "s" };
        format!(
            "marker at paragraph {}: {} article words above; below, {} more marker{s} and no prose block over {} words",
            self.at, self.above, self.later_markers, self.block
        )
    }
}

/// The first tail marker that earns its cut: at least `min_words` words of article prose stand
/// above it, and no block of prose between the markers below it (or after the last one) is as
/// large as that, so what follows is a tail (comments, teasers: each smaller than the article
/// they follow) and not the article going on. A marker that stands above the article (a date
/// line under a byline, a "Latest News" sidebar heading) has the article below it and never
/// cuts; markers standing together add an empty block, which changes no maximum. A marker rule
/// that already matched above the article is page structure, not an end: a forum page opens
/// with a post header, so its later post headers do not cut the thread.
fn find_cut(markers: &[(usize, String)], prose: &[usize], min_words: usize) -> Option<Cut> {
    // The prose after each marker up to the next one (or the end), and the largest of those
    // from each marker on: one pass, however many markers a thread has.
    let ends = markers.iter().skip(1).map(|(n, _)| *n).chain([prose.len()]);
    let blocks: Vec<usize> =
        markers.iter().zip(ends).map(|((m, _), end)| prose[m + 1..end].iter().sum()).collect();
    let mut largest_below = blocks.clone();
    for k in (0..markers.len().saturating_sub(1)).rev() {
        largest_below[k] = largest_below[k].max(largest_below[k + 1]);
    }
    let mut early: Vec<&str> = Vec::new();
    let mut above = 0;
    let mut next = 0;
    for (k, (m, rule)) in markers.iter().enumerate() {
        above += prose[next..*m].iter().sum::<usize>();
        next = *m;
        if above < min_words {
            early.push(rule);
            continue;
        }
        if early.contains(&rule.as_str()) || largest_below[k] >= above {
            continue;
        }
        let later_markers = markers.len() - k - 1;
        return Some(Cut { at: *m, rule: rule.clone(), above, block: largest_below[k], later_markers });
    }
    None
}

fn cut_after(doc: &mut Document, cut: &Cut) {
    let why = cut.why();
    for p in doc.paragraphs.iter_mut().skip(cut.at + 1) {
        if p.is_kept() {
            p.removal = Some(Removal::AfterTail { rule: cut.rule.clone(), why: why.clone() });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocId, SourceInfo};
    use crate::settings::Settings;
    use crate::stages::normalize::Normalize;
    use crate::stages::normalize::NormalizeSettings;
    use crate::stages::normalize::{ParagraphSplit, UnicodeForm};

    fn normalize(text: &str) -> Vec<Paragraph> {
        Normalize::new(&NormalizeSettings {
            unicode: UnicodeForm::Nfc,
            strip_markdown: true,
            paragraphs: ParagraphSplit::Auto,
        })
        .paragraphs(text, &crate::model::RawMap::Shift(0))
    }

    fn rules() -> RuleSet {
        RuleSet::new(&Settings::defaults("r", "o").boilerplate)
    }

    fn doc(text: &str) -> Document {
        let mut d = Document::new(DocId("t".into()), SourceInfo::unread("t.txt"), String::new(), 0);
        d.paragraphs = normalize(text);
        d
    }

    /// Which rule removes a paragraph standing at `index` of `total`.
    fn rule_for(text: &str, index: usize, total: usize) -> Option<String> {
        let rs = rules();
        let ps = normalize(text);
        assert_eq!(ps.len(), 1, "{text:?} should be one paragraph");
        rs.first_match(&ps[0], index, total).map(|r| r.id.clone())
    }

    #[test]
    fn every_builtin_rule_removes_its_own_example() {
        let pack = crate::config::builtin_pack();
        for r in &pack.rules {
            // Examples are placed at the end of a long page so zone rules apply.
            assert_eq!(
                rule_for(&r.example, 19, 20).as_deref(),
                Some(r.id.0.as_str()),
                "example of `{}`: {:?}",
                r.id.0,
                r.example
            );
        }
    }

    #[test]
    fn body_sentences_are_not_boilerplate() {
        let body = [
            "Moscow is backing Libyan warlord Khalifa Haftar, whose forces have targeted Algerian border crossings.",
            "Algeria's refusal to join a Russia-led gas cartel proves that the North African state wanted to maintain its own autonomy.",
            "The Weight of Algerian Diplomacy",
            "“Military solutions have always failed,” added Attaf stating his country's expertise in the Sahel.",
            "Share prices fell sharply on Monday after the announcement.",
            "Comments made by the minister on Sunday angered Moscow, which summoned the ambassador for talks.",
            "The two countries are set to sign a proposed $12-$17 billion arms deal, including advanced fighters, submarines, and air defence systems, according to local media.",
            "According to Akram Kharief, a defense expert and founder of Menadefense, Moscow's decision to recall Wagner was directly linked to the deterioration of relations.",
        ];
        for t in body {
            assert_eq!(rule_for(t, 15, 20), None, "{t}");
        }
    }

    #[test]
    fn phrases_respect_word_boundaries_and_limits() {
        assert_eq!(rule_for("Shareholders were told to follow usual procedure.", 5, 10), None);
        assert_eq!(rule_for("Follow us on Twitter", 5, 10).as_deref(), Some("follow-us"));
        let long = format!("{} follow us on Twitter.", "word ".repeat(70));
        assert_eq!(rule_for(&long, 5, 10), None, "max-words protects long paragraphs");
    }

    #[test]
    fn zone_rules_only_fire_in_their_zone() {
        let bio = "Jane Doe is a freelance journalist based in Tunis who covers North Africa.";
        assert_eq!(rule_for(bio, 18, 20).as_deref(), Some("author-bio"));
        assert_eq!(rule_for(bio, 2, 20), None, "a person introduced in the body stays");
    }

    #[test]
    fn tail_marker_cuts_the_rest_but_not_before_the_body() {
        let mut d = doc(
            "Comments\n\nThe article body is long enough to count as real text, with many words in it, more than fifty words for sure, because the threshold says a tail marker only fires once the body has begun, and this paragraph is that body, spelled out at length to cross the line of fifty words for the test.\n\nPopular posts from this blog\n\nAnother story teaser\n\nAnd another",
        );
        let r = rules();
        let m = mark_rules(&mut d, &r);
        strip(&mut d, m, &r, None);
        let reasons: Vec<_> =
            d.paragraphs.iter().map(|p| p.removal.as_ref().map(|r| r.counter_key(&d.id))).collect();
        assert_eq!(
            reasons[0].as_deref(),
            Some("boilerplate:comments"),
            "marker before body removes only itself"
        );
        assert_eq!(reasons[1], None);
        assert_eq!(reasons[2].as_deref(), Some("boilerplate:related"));
        assert_eq!(reasons[3].as_deref(), Some("tail"));
        assert_eq!(reasons[4].as_deref(), Some("tail"));
    }

    /// The whole stage with the default settings: rules, classifier, tail markers, guard.
    fn clean(paragraphs: &[&str]) -> (Document, Vec<Option<String>>) {
        let s = Settings::defaults("r", "o");
        let stage = StripBoilerplate::new(
            &s.boilerplate,
            Arc::new(RuleSet::new(&s.boilerplate)),
            Arc::new(SiteKnowledge::default()),
        );
        let d = match stage.apply(doc(&paragraphs.join("\n\n"))) {
            Outcome::Keep(d) | Outcome::Drop(d, _) => d,
        };
        let reasons = d.paragraphs.iter().map(|p| p.removal.as_ref().map(|r| r.counter_key(&d.id))).collect();
        (d, reasons)
    }

    /// An article of `n` paragraphs about a harbour bridge, each a few sentences long.
    fn article(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                format!(
                    "The council said on Tuesday that repairs to the harbour bridge, part {i} of the plan, would take until the spring. Engineers found that the steel under the eastern span had rusted faster than the last survey had expected, and the work will close one lane at night. Residents who cross it to reach the market were told to allow an extra twenty minutes."
                )
            })
            .collect()
    }

    fn kept_article(d: &Document, n: usize) -> usize {
        d.kept().filter(|p| p.text.starts_with("The council said on Tuesday")).count().min(n)
    }

    const COOKIE_BANNER: &str = "We use cookies and similar technologies to improve your experience on our website, to personalise the content and adverts you see and to analyse our traffic. By continuing to browse this site you agree to our use of cookies, as described in our cookie policy, which you can change at any time.";

    #[test]
    fn a_byline_with_a_time_under_a_cookie_banner_does_not_cut_the_article() {
        for byline in [
            "By Maria Lopez Updated Nov 13, 2019, 10:28am EST",
            "Associated Press November 19, 2019, 9:02 AM",
            "PUBLISHED: November 19, 2019 at 8:59 pm",
            "Thu Dec 27, 2007 8:13pm EST",
            "16 November 2017 • 2:15pm",
        ] {
            let body = article(6);
            let mut page = vec![COOKIE_BANNER, "Harbour Gazette", byline];
            page.extend(body.iter().map(String::as_str));
            let (d, reasons) = clean(&page);
            assert_eq!(kept_article(&d, 6), 6, "{byline}: {reasons:?}");
            assert!(!d.thin, "{byline}");
            assert_eq!(reasons[0].as_deref(), Some("boilerplate:consent"), "the banner is not the article");
        }
    }

    #[test]
    fn a_latest_news_sidebar_heading_above_the_story_does_not_cut_it() {
        let body = article(5);
        let mut page = vec![
            "Latest News",
            "Mayor opens new library wing",
            "Storm closes coastal road",
            "Schools reopen after flu outbreak",
            "Harbour bridge repairs to last until spring",
        ];
        page.extend(body.iter().map(String::as_str));
        let (d, reasons) = clean(&page);
        assert_eq!(kept_article(&d, 5), 5, "{reasons:?}");
    }

    #[test]
    fn a_comment_thread_after_the_article_is_still_cut_and_says_why() {
        let body = article(5);
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.extend([
            "Comments",
            "Dave K. on January 31, 2020 at 10:29 am",
            "About time they fixed it, I have been stuck on that bridge every single evening this winter.",
            "Ann P. on January 31, 2020 at 11:02 am",
            "The night closures will hurt the fishermen who leave before dawn, has anyone asked them?",
        ]);
        let (d, reasons) = clean(&page);
        assert_eq!(kept_article(&d, 5), 5);
        assert_eq!(reasons[5].as_deref(), Some("boilerplate:comments"));
        assert!(
            reasons[6..]
                .iter()
                .all(|r| r.as_deref().is_some_and(|r| r.starts_with("boilerplate") || r == "tail")),
            "{reasons:?}"
        );
        let Some(Removal::AfterTail { why, .. }) = &d.paragraphs[7].removal else { panic!("{reasons:?}") };
        assert!(why.contains("article words above"), "{why}");
    }

    #[test]
    fn a_teaser_list_after_the_article_is_cut() {
        let body = article(4);
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.extend([
            "Most Popular",
            "Mayor Opens New Library Wing",
            "Storm Closes Coastal Road For Second Day",
            "Schools Reopen After Flu Outbreak",
        ]);
        let (d, reasons) = clean(&page);
        assert_eq!(kept_article(&d, 4), 4);
        assert!(reasons[4..].iter().all(Option::is_some), "{reasons:?}");
    }

    #[test]
    fn more_from_the_site_and_leaked_script_after_the_story_go() {
        let body = article(4);
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.extend([
            "var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-1']); (function() { var ga = document.createElement('script'); })();",
            "More from The Harbour Gazette",
            "Mayor Opens New Library Wing",
            "Storm Closes Coastal Road For Second Day",
        ]);
        let (d, reasons) = clean(&page);
        assert_eq!(kept_article(&d, 4), 4);
        assert_eq!(reasons[4].as_deref(), Some("boilerplate:script"), "{reasons:?}");
        assert_eq!(reasons[5].as_deref(), Some("boilerplate:related"), "{reasons:?}");
        assert_eq!(reasons[6..], [Some("tail".to_string()), Some("tail".to_string())]);
    }

    #[test]
    fn an_article_split_by_a_strong_interruption_keeps_both_halves() {
        // A long warning above, and the article in short paragraphs below: both are prose, so
        // both are main content (the densest run alone was the warning).
        let warning = "This page is best viewed in an up-to-date web browser with style sheets enabled. While you will be able to view the content of this page in your current browser, you will not be able to get the full visual experience. Please consider upgrading your browser software if you are able to do so.";
        let page = [
            warning,
            "Menu",
            "Visitors flock to the harbour festival",
            "People from all over the country are coming to the harbour to see the festival.",
            "A couple from the north are among the thousands who are making the trip.",
            "They made a short film about their preparations for the visit.",
            "The organisers said the crowds were the largest in a decade.",
        ];
        let (d, reasons) = clean(&page);
        assert!(d.kept().any(|p| p.text.starts_with("People from all over")), "{reasons:?}");
        assert!(d.kept().any(|p| p.text.starts_with("The organisers said")), "{reasons:?}");
    }

    #[test]
    fn a_cut_is_earned_only_when_every_block_below_is_smaller_than_the_article_above() {
        let m = |at: usize| (at, "comment-meta".to_string());
        // A cookie banner (60 prose words), a byline with a time, the article (400 words).
        assert_eq!(find_cut(&[m(1)], &[60, 0, 400], 50), None);
        // Two markers together (heading, then a dated header) with the article below them.
        assert_eq!(find_cut(&[m(1), m(2)], &[60, 0, 0, 300, 100], 50), None);
        // An article, then a thread: header, comment, header, comment.
        let cut = find_cut(&[m(1), m(3)], &[400, 0, 30, 0, 25], 50).unwrap();
        assert_eq!((cut.at, cut.above, cut.block, cut.later_markers), (1, 400, 30, 1));
        assert!(cut.why().contains("400 article words above"), "{}", cut.why());
        // Too little above: the marker is early, and a later one of its rule is page structure.
        assert_eq!(find_cut(&[m(1), m(3)], &[20, 0, 400, 0, 10], 50), None);
        // A teaser block after the article, then the article's last part (a larger block):
        // the first marker is not a tail; nothing below the second is larger than above it.
        let cut = find_cut(&[m(2), m(4)], &[200, 50, 0, 300, 0, 20], 50).unwrap();
        assert_eq!(cut.at, 4);
    }

    #[test]
    fn a_lone_timestamp_or_byline_is_metadata_but_a_thread_of_them_is_cut() {
        let body = article(3);
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.insert(1, "Thu Dec 27, 2007 8:13pm EST");
        let (d, reasons) = clean(&page);
        assert_eq!(reasons[1].as_deref(), Some("metadata:published"), "{reasons:?}");
        assert_eq!(kept_article(&d, 3), 3);
        // Two or more timestamp headers after the article: a comment thread.
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.extend([
            "January 31, 2020 at 10:29 am",
            "About time they fixed it, I was stuck on that bridge every evening.",
            "January 31, 2020 at 11:02 am",
            "Night closures will hurt the fishermen who leave before dawn.",
        ]);
        let (d, reasons) = clean(&page);
        assert_eq!(reasons[3].as_deref(), Some("boilerplate:comments"), "{reasons:?}");
        assert_eq!(reasons[4].as_deref(), Some("tail"), "{reasons:?}");
        assert_eq!(kept_article(&d, 3), 3);
    }

    #[test]
    fn a_page_whose_only_line_is_its_title_keeps_it_as_body() {
        let s = Settings::defaults("r", "o");
        let stage = StripBoilerplate::new(
            &s.boilerplate,
            Arc::new(RuleSet::new(&s.boilerplate)),
            Arc::new(SiteKnowledge::default()),
        );
        let mut d = doc("Council backs the harbour bridge plan");
        d.paragraphs[0].removal = Some(Removal::Metadata(MetaField::Title));
        d.meta.title = Some("Council backs the harbour bridge plan".into());
        let Outcome::Keep(d) = stage.apply(d) else { panic!("dropped") };
        assert_eq!(d.body_text(), "Council backs the harbour bridge plan");
        assert_eq!(d.meta.title.as_deref(), Some("Council backs the harbour bridge plan"));
    }

    #[test]
    fn a_marker_with_more_prose_below_it_than_above_cuts_nothing() {
        let body = article(1);
        let long = article(8);
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.push("Comments");
        page.extend(long.iter().map(String::as_str));
        let (d, _) = clean(&page);
        assert_eq!(kept_article(&d, 9), 9);
        assert!(!d.thin);
    }

    #[test]
    fn a_page_that_keeps_under_half_of_its_prose_is_flagged_thin() {
        let body = article(1);
        let disclaimer = "Disclaimer: the views expressed in this article are those of the author alone and do not reflect the editorial policy of this site, its owners or its advertisers, who accept no liability for them.";
        let mut page: Vec<&str> = body.iter().map(String::as_str).collect();
        page.extend([disclaimer; 4]);
        let (d, reasons) = clean(&page);
        assert_eq!(kept_article(&d, 1), 1, "{reasons:?}");
        assert!(d.thin, "{reasons:?}");
        let (d, _) = clean(&article(3).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!d.thin);
    }

    #[test]
    fn user_rules_come_first() {
        let cfg: crate::config::PipelineConfig = crate::config::parse(
            "[[boilerplate.rules]]\nid = \"house-promo\"\ncategory = \"other\"\nmatch.start = [\"share this\"]\n",
            std::path::Path::new("p"),
        )
        .unwrap();
        let s = Settings::from_config(&cfg, std::path::Path::new("."));
        let rs = RuleSet::new(&s.boilerplate);
        let p = &normalize("Share This")[0];
        assert_eq!(rs.first_match(p, 0, 1).unwrap().id, "house-promo");
    }

    #[test]
    fn match_key_trims_punctuation() {
        assert_eq!(match_key("  Share This: "), "share this");
        assert_eq!(match_key("» Comments (3)"), "comments (3");
    }
}
