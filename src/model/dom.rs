//! Part of the model: what an HTML page's DOM says about its paragraphs. The HTML reader
//! records it; the boilerplate stage's DOM step reads it. Text dumps have none.

/// What the names of an element say it holds: its tag (`nav`, `footer`), its `class`, `id`,
/// `role` and `itemprop` tokens (`comment-list`, `share-bar`, `articleBody`). One bit per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Marks(pub u16);

impl Marks {
    /// Comments and replies (`comments`, `disqus`, `respond`).
    pub const COMMENT: Marks = Marks(1);
    /// Share and follow calls (`share`, `social`, `addthis`).
    pub const SHARE: Marks = Marks(1 << 1);
    /// Teasers of other pages (`related`, `popular`, `recommended`, `outbrain`).
    pub const RELATED: Marks = Marks(1 << 2);
    /// Menus and breadcrumbs (`<nav>`, `menu`, `breadcrumb`, `pagination`).
    pub const NAV: Marks = Marks(1 << 3);
    /// Page footer (`<footer>`, `copyright`).
    pub const FOOTER: Marks = Marks(1 << 4);
    /// Page header (`masthead`, a `<header>` outside the article).
    pub const HEADER: Marks = Marks(1 << 5);
    /// Side columns and widgets (`<aside>`, `sidebar`, `widget`).
    pub const SIDEBAR: Marks = Marks(1 << 6);
    /// Advertising (`ad`, `advert`, `sponsored`).
    pub const AD: Marks = Marks(1 << 7);
    /// Banners and prompts (`cookie`, `consent`, `newsletter`, `subscribe`, `modal`).
    pub const PROMPT: Marks = Marks(1 << 8);
    /// The article's own furniture (`byline`, `author-bio`, `tags`, `meta`).
    pub const META: Marks = Marks(1 << 9);
    /// The article itself (`<article>`, `<main>`, `articleBody`, `entry-content`, `story`).
    pub const CONTENT: Marks = Marks(1 << 10);
    /// Hidden from the reader (`hidden`, `aria-hidden="true"`, inline `display:none`).
    pub const HIDDEN: Marks = Marks(1 << 11);
    /// A picture's caption or credit (`<figcaption>`, `caption`, `credit`).
    pub const CAPTION: Marks = Marks(1 << 12);

    /// The kinds that name page furniture rather than the article.
    pub const FURNITURE: Marks = Marks(
        Marks::COMMENT.0
            | Marks::SHARE.0
            | Marks::RELATED.0
            | Marks::NAV.0
            | Marks::FOOTER.0
            | Marks::HEADER.0
            | Marks::SIDEBAR.0
            | Marks::AD.0
            | Marks::PROMPT.0
            | Marks::CAPTION.0,
    );

    /// Does it have any bit of `other`?
    pub fn any(self, other: Marks) -> bool {
        self.0 & other.0 != 0
    }

    /// Both sets of bits.
    pub fn with(self, other: Marks) -> Marks {
        Marks(self.0 | other.0)
    }

    /// The names of its bits, `+`-joined (`comment+sidebar`), for provenance.
    pub fn names(self) -> String {
        const NAMES: [&str; 13] = [
            "comment", "share", "related", "nav", "footer", "header", "sidebar", "ad", "prompt", "meta",
            "content", "hidden", "caption",
        ];
        let mut out = String::new();
        for (i, n) in NAMES.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                if !out.is_empty() {
                    out.push('+');
                }
                out.push_str(n);
            }
        }
        out
    }
}

/// One element of the page that holds paragraphs: its parent and what its names say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomElement {
    /// Index of its parent element in [`DomTree::elements`] (`u32::MAX` for the root).
    pub parent: u32,
    /// Its tag name, lowercase (`div`, `td`): one of the elements that hold blocks of text.
    pub tag: &'static str,
    /// What its own tag and attribute names say (not its ancestors').
    pub marks: Marks,
}

/// The elements of a page that paragraphs came from, with their ancestors: enough to find the
/// element that holds the article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomTree {
    /// Elements in document order; a parent comes before its children.
    pub elements: Vec<DomElement>,
}

impl DomTree {
    /// The ancestors of element `e`, itself first, up to the root.
    pub fn ancestors(&self, e: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(e).filter(|&e| (e as usize) < self.elements.len()), move |&e| {
            let p = self.elements[e as usize].parent;
            (p != u32::MAX).then_some(p)
        })
    }
}

/// What the DOM says about one paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DomFeatures {
    /// The element its text sits in directly (an index into [`DomTree::elements`]).
    pub element: u32,
    /// The marks of that element and all its ancestors.
    pub marks: Marks,
    /// Inside a list item (`<li>`, `<dd>`, `<dt>`).
    pub in_list: bool,
    /// Inside a table cell.
    pub in_table: bool,
    /// Heading level (1 to 6), 0 when not a heading.
    pub heading: u8,
}
