//! Part of stage 4, boilerplate: what an HTML page's DOM says, read before the classifier.
//! Text dumps carry no DOM and skip this step.
//!
//! 1. **Hidden.** A paragraph in an element the page hides (`hidden`, `aria-hidden="true"`,
//!    inline `display:none`) is not what a reader sees: removed as `dom:hidden`.
//! 2. **The main element.** Every element is scored by the paragraphs under it: the words of
//!    each that reads as prose count for it, the words of the rest (links, short lines, and
//!    prose inside furniture below the element: comments, share bars, teasers, menus) count
//!    against it, at [`JUNK_WEIGHT`]. The element with the highest score holds the article: the
//!    tightest box around most of the prose and little else. A box inside furniture itself (a
//!    comment list's) is passed over while another box holds prose, so a long comment thread
//!    does not win over a shorter article; and a box with under half of the page's prose widens
//!    to its parent. The classifier then takes "inside this element" as
//!    its main content instead of the densest run of the page's text.
//! 3. **Furniture inside the article.** A paragraph of the main element that sits in a box
//!    named as furniture below it (a share bar, a related-stories box, a comment list inside
//!    the article element) is removed as `dom:furniture`, unless it reads as prose and the box
//!    is only named `meta` (bylines and tags boxes hold real sentences sometimes).

use crate::model::{Document, DomTree, Marks, Paragraph, Removal};

/// What a word of non-prose costs an element, against a word of prose.
const JUNK_WEIGHT: f32 = 1.0;
/// Marks that make a box furniture for step 3 (page header excluded: a `<header>` inside the
/// article holds its headline).
const FURNITURE: Marks = Marks(Marks::FURNITURE.0 & !Marks::HEADER.0);

/// The DOM's view of a page, for the classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct DomView {
    /// The element found to hold the article.
    pub main: u32,
    /// Per paragraph: inside the main element.
    pub in_main: Vec<bool>,
}

impl DomView {
    /// The main element as `newsprep explain` shows it: `<div> named content, holding
    /// paragraphs 4 to 19`.
    pub fn describe(&self, doc: &Document) -> String {
        let Some(e) = doc.dom.as_ref().and_then(|t| t.elements.get(self.main as usize)) else {
            return String::new();
        };
        let named = if e.marks.0 == 0 { String::new() } else { format!(" named {}", e.marks.names()) };
        let first = self.in_main.iter().position(|&m| m);
        let last = self.in_main.iter().rposition(|&m| m);
        match (first, last) {
            (Some(a), Some(b)) => format!("<{}>{named}, holding paragraphs {a} to {b}", e.tag),
            _ => format!("<{}>{named}", e.tag),
        }
    }
}

/// Mark hidden paragraphs and furniture inside the article; return where the article is.
/// `None` for a page without a DOM, or without a paragraph of prose.
pub fn mark(doc: &mut Document) -> Option<DomView> {
    let tree = doc.dom.clone()?;
    for p in doc.paragraphs.iter_mut().filter(|p| p.is_kept()) {
        if p.features.dom.is_some_and(|d| d.marks.any(Marks::HIDDEN)) {
            p.removal = Some(Removal::Dom {
                rule: "hidden",
                why: "inside an element the page hides (hidden, aria-hidden or display:none)".into(),
            });
        }
    }
    let own = own_marks(&tree, &doc.paragraphs);
    let main = main_element(&tree, &own, &doc.paragraphs)?;
    let in_main: Vec<bool> = doc
        .paragraphs
        .iter()
        .map(|p| p.features.dom.is_some_and(|d| tree.ancestors(d.element).any(|e| e == main)))
        .collect();
    for (p, inside) in doc.paragraphs.iter_mut().zip(&in_main) {
        let Some(d) = p.features.dom else { continue };
        if !p.is_kept() {
            continue;
        }
        if !inside {
            // Outside the article, a box named for comments is comments whatever it holds (a
            // thread reads as prose, so the classifier alone keeps much of it). Other names
            // outside the article are left to the classifier: a wrong main element would take
            // the article with them.
            let named = marks_below(&tree, &own, d.element, u32::MAX);
            if named.any(Marks::COMMENT) {
                p.removal = Some(Removal::Dom {
                    rule: "furniture",
                    why: "in a box named comment outside the article's element".into(),
                });
            }
            continue;
        }
        let below = marks_below(&tree, &own, d.element, main);
        if below.any(FURNITURE) || (below.any(Marks::META) && !reads_as_prose(p)) {
            let box_marks = Marks(below.0 & (FURNITURE.0 | Marks::META.0));
            p.removal = Some(Removal::Dom {
                rule: "furniture",
                why: format!("in a box named {} inside the article's element", box_marks.names()),
            });
        }
    }
    Some(DomView { main, in_main })
}

/// Each element's own marks, as far as they can be believed: a box that holds half of the
/// page's prose or more is no furniture, whatever it is named (`<body class="has-sidebar">`, a
/// gallery page whose story sits in `<div class="caption">`); for a comment box, nine tenths.
fn own_marks(tree: &DomTree, paragraphs: &[Paragraph]) -> Vec<Marks> {
    let mut prose = vec![0usize; tree.elements.len()];
    let mut page = 0;
    for p in paragraphs.iter().filter(|p| p.is_kept() && reads_as_prose(p)) {
        let Some(d) = p.features.dom.filter(|d| d.heading == 0) else { continue };
        page += p.features.words;
        for e in tree.ancestors(d.element) {
            prose[e as usize] += p.features.words;
        }
    }
    tree.elements
        .iter()
        .zip(&prose)
        .map(|(e, &w)| {
            // A comment thread is often longer than its article: a comment box is believed
            // unless it holds nearly all of the page's prose (`<body class="has-comments">`).
            let drop = match (page > 0 && w * 2 >= page, page > 0 && w * 10 >= page * 9) {
                (_, true) => Marks::FURNITURE.0,
                (true, false) => Marks::FURNITURE.0 & !Marks::COMMENT.0,
                _ => 0,
            };
            Marks(e.marks.0 & !drop)
        })
        .collect()
}

/// The own marks of the elements from `e` up to, not including, `top`.
fn marks_below(tree: &DomTree, own: &[Marks], e: u32, top: u32) -> Marks {
    tree.ancestors(e).take_while(|&a| a != top).fold(Marks::default(), |m, a| m.with(own[a as usize]))
}

/// Ten words or more, mostly not link text.
fn reads_as_prose(p: &Paragraph) -> bool {
    p.features.words >= 10 && p.features.link_share(&p.text) < 0.4
}

/// The element that holds the article (see the module's step 2).
fn main_element(tree: &DomTree, own: &[Marks], paragraphs: &[Paragraph]) -> Option<u32> {
    let n = tree.elements.len();
    let mut score = vec![0f32; n];
    // Prose words that count for each element (none of them inside furniture below it).
    let mut prose = vec![0usize; n];
    for p in paragraphs.iter().filter(|p| p.is_kept()) {
        let Some(d) = p.features.dom else { continue };
        let is_prose = reads_as_prose(p) && d.heading == 0;
        let w = p.features.words.max(1);
        let mut below = Marks::default();
        for e in tree.ancestors(d.element) {
            let e = e as usize;
            if is_prose && !below.any(Marks::FURNITURE) {
                score[e] += w as f32;
                prose[e] += w;
            } else {
                score[e] -= JUNK_WEIGHT * w as f32;
            }
            below = below.with(own[e]);
        }
    }
    // Marks on an element's path, itself included; parents come before children.
    let mut path = vec![Marks::default(); n];
    for (i, e) in tree.elements.iter().enumerate() {
        let up = if e.parent == u32::MAX { Marks::default() } else { path[e.parent as usize] };
        path[i] = up.with(own[i]);
    }
    // Ties keep the outermost (first in document order) element. A paragraph's own element
    // is no box: a lone long paragraph must not stand for the article. A box inside furniture
    // (a comment list) is taken only when no other box holds prose.
    let pick = |furniture_too: bool| {
        let mut best: Option<(usize, f32)> = None;
        for i in (0..n).filter(|&i| CONTAINERS.contains(&tree.elements[i].tag)) {
            if !furniture_too && path[i].any(Marks::FURNITURE) {
                continue;
            }
            let s = score[i];
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((i, s));
            }
        }
        best
    };
    let (mut best, _) = pick(false).or_else(|| pick(true))?;
    // The article holds most of the page's prose: a box with under half of it (the article's
    // own paragraphs beside a longer comment thread in one parent) widens to its parent.
    let total = tree
        .elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.parent == u32::MAX)
        .map(|(i, _)| prose[i])
        .sum::<usize>();
    while prose[best] * 2 < total {
        let parent = tree.elements[best].parent;
        if parent == u32::MAX {
            break;
        }
        best = parent as usize;
    }
    Some(best as u32)
}

/// The elements that can hold an article: boxes, not a paragraph's own element.
const CONTAINERS: &[&str] = &[
    "article",
    "blockquote",
    "body",
    "center",
    "details",
    "div",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "header",
    "html",
    "main",
    "nav",
    "aside",
    "section",
    "table",
    "tbody",
    "td",
    "th",
    "ol",
    "ul",
    "dialog",
    "hgroup",
    "menu",
    "thead",
    "tfoot",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Html;
    use crate::input::InputEncoding;
    use crate::input::unit::Format;
    use crate::model::{DocId, SourceInfo};
    use crate::model::{DocStage, Outcome};
    use crate::stages::normalize::{Normalize, NormalizeSettings, ParagraphSplit, UnicodeForm};

    fn page(html: &str) -> Document {
        let doc = Html
            .article(
                DocId("p".into()),
                SourceInfo::unread("p.html"),
                html.as_bytes().to_vec(),
                InputEncoding::Detect,
            )
            .unwrap();
        let settings = NormalizeSettings {
            unicode: UnicodeForm::Nfc,
            strip_markdown: true,
            paragraphs: ParagraphSplit::Auto,
        };
        match Normalize::new(&settings).apply(doc) {
            Outcome::Keep(d) => d,
            Outcome::Drop(..) => panic!("dropped"),
        }
    }

    const SENTENCE: &str = "The council voted on Tuesday to rebuild the old harbour bridge, which has been closed to traffic since the storms of last winter.";

    #[test]
    fn the_article_element_is_found_and_comments_inside_it_are_furniture() {
        let html = format!(
            "<html><body><nav><a href=/>Home</a> <a href=/n>News</a></nav>\
             <div id=story><h1>Bridge</h1><p>{SENTENCE}</p><p>{SENTENCE}</p>\
             <div class=share-bar><p>Share this on Facebook and Twitter with all of your friends today, please now</p></div>\
             <section class=comments><p>{SENTENCE}</p></section></div>\
             <div class=sidebar><p>{SENTENCE}</p></div><p hidden>{SENTENCE}</p></body></html>"
        );
        let mut doc = page(&html);
        let view = mark(&mut doc).expect("a main element");
        let tree = doc.dom.as_ref().unwrap();
        assert_eq!(tree.elements[view.main as usize].tag, "div");
        let texts: Vec<(&str, bool, Option<String>)> = doc
            .paragraphs
            .iter()
            .zip(&view.in_main)
            .map(|(p, m)| {
                (&p.text[..p.text.len().min(12)], *m, p.removal.as_ref().map(|r| r.counter_key(&doc.id)))
            })
            .collect();
        assert_eq!(texts[0], ("Home News", false, None), "the menu is outside, left to the classifier");
        assert_eq!(texts[2], ("The council ", true, None));
        assert_eq!(texts[4].2.as_deref(), Some("dom:furniture"), "share bar inside the story");
        assert_eq!(texts[5].2.as_deref(), Some("dom:furniture"), "comments inside the story");
        assert_eq!((texts[6].1, texts[6].2.as_deref()), (false, None), "the sidebar is outside the story");
        assert_eq!(texts[7].2.as_deref(), Some("dom:hidden"));
    }

    #[test]
    fn a_long_comment_thread_does_not_win_over_a_shorter_article() {
        let comments = format!("<p>{SENTENCE}</p>").repeat(6);
        let html = format!(
            "<body><article><p>{SENTENCE}</p><p>{SENTENCE}</p></article>\
             <div id=comments>{comments}</div></body>"
        );
        let mut doc = page(&html);
        let view = mark(&mut doc).unwrap();
        assert_eq!(doc.dom.as_ref().unwrap().elements[view.main as usize].tag, "article");
    }

    #[test]
    fn a_box_holding_most_of_the_prose_is_no_furniture_whatever_its_name() {
        // A gallery page: the story sits in `<div class="caption">`; the body is named for
        // its sidebar. A real caption beside the story is still a caption.
        let html = format!(
            "<body class=has-sidebar><div class=gallery><figure><img src=a.jpg><figcaption>Photo: Harbour Gazette staff, taken on the quay at dawn on Monday</figcaption></figure>\
             <div class=caption><p>{SENTENCE}</p><p>{SENTENCE}</p></div></div></body>"
        );
        let mut doc = page(&html);
        let view = mark(&mut doc).expect("a main element");
        let main = &doc.dom.as_ref().unwrap().elements[view.main as usize];
        assert_eq!((main.tag, main.marks), ("div", Marks::CAPTION), "the story's box, named caption");
        assert_eq!(view.in_main, [false, true, true], "the figure's caption is outside it");
        assert!(
            doc.paragraphs.iter().all(|p| p.removal.is_none()),
            "nothing here is furniture to the DOM step"
        );
    }

    #[test]
    fn a_text_dump_has_no_dom_view() {
        let mut doc = Document::new(DocId("t".into()), SourceInfo::unread("t.txt"), SENTENCE.into(), 0);
        assert_eq!(mark(&mut doc), None);
    }
}
