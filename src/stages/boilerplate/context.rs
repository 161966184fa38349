//! Part of stage 4, boilerplate: the context model, the classifier's second look. The first
//! score ([`super::signals::Signals`]) reads a paragraph's text alone; this one reads it in its
//! page: where it stands against the main-content run, what its neighbours scored, whether the
//! page repeats it, its markdown structure, its digits (dates, counters).
//!
//! The model is logistic: a weight per feature, so `explain` can show each decision's largest
//! contributions. Its weights are data (`context.model`), fitted by
//! `benches/train_context.py` on the development sets and scored there cross-validated by set
//! (fit on two sets, score the third); a user can fit and name their own
//! (`[boilerplate.classifier] model`).

use super::signals::{Contribution, Signals};
use crate::model::{Block, Paragraph};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// Number of context features.
pub const N: usize = 18;

/// Feature names, in the order of a feature vector; a model file names its weights with them.
pub const NAMES: [&str; N] = [
    "score",          // the first score's log-odds, clamped to +-8
    "main",           // 1 inside a main-content run
    "distance",       // ln(1 + candidates between it and the nearest main run)
    "above",          // above the first main run (times the first probability)
    "prev",           // mean first probability of the two candidates before (0 for none), times its own
    "next",           // the same for the two after
    "position",       // place among the candidates, 0 first to 1 last
    "length",         // ln(words + 1)
    "sentence-end",   // ends like a sentence
    "links",          // share of characters that were link text
    "heading",        // a markdown heading
    "list",           // a list item
    "repeated",       // the same text stands more than once on the page
    "digits",         // share of non-space bytes that are digits
    "main-share",     // share of the page's candidate words inside main runs
    "outside-length", // length, outside the main runs only
    "main-score",     // score, inside the main runs only
    "title-case",     // share of capitalized words
];

/// One paragraph's context features, in [`NAMES`] order.
pub type Features = [f32; N];

/// A fitted context model: content log-odds = bias + weights . features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    /// Constant term.
    pub bias: f32,
    /// One weight per feature, in [`NAMES`] order.
    pub weights: Features,
}

/// The model shipped with newsprep.
const BUILTIN: &str = include_str!("context.model");

impl Model {
    /// The shipped model (parsed once).
    pub fn builtin() -> Model {
        static M: OnceLock<Model> = OnceLock::new();
        *M.get_or_init(|| Model::parse(BUILTIN).expect("the shipped context.model parses"))
    }

    /// Read a model file: `#` comments, then `bias W` and one `NAME W` line per feature, every
    /// feature named once.
    pub fn parse(text: &str) -> Result<Model, String> {
        let mut bias = None;
        let mut weights = [None; N];
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = |m: String| format!("line {}: {m}", n + 1);
            let mut parts = line.split_whitespace();
            let (Some(name), Some(w), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(at(format!("expected `NAME WEIGHT`, found `{line}`")));
            };
            let w: f32 = w
                .parse()
                .ok()
                .filter(|w: &f32| w.is_finite())
                .ok_or_else(|| at(format!("`{w}` is not a number")))?;
            let slot = if name == "bias" {
                &mut bias
            } else {
                let Some(k) = NAMES.iter().position(|&f| f == name) else {
                    return Err(at(format!("unknown feature `{name}` (known: bias, {})", NAMES.join(", "))));
                };
                &mut weights[k]
            };
            if slot.replace(w).is_some() {
                return Err(at(format!("`{name}` is given twice")));
            }
        }
        let missing: Vec<&str> = std::iter::once("bias")
            .filter(|_| bias.is_none())
            .chain((0..N).filter(|&k| weights[k].is_none()).map(|k| NAMES[k]))
            .collect();
        if !missing.is_empty() {
            return Err(format!("no weight for {}", missing.join(", ")));
        }
        Ok(Model { bias: bias.unwrap_or(0.0), weights: weights.map(|w| w.unwrap_or(0.0)) })
    }

    /// Content log-odds of a paragraph with features `x`.
    pub fn log_odds(&self, x: &Features) -> f32 {
        self.bias + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f32>()
    }

    /// Content probability, 0 to 1.
    pub fn probability(&self, x: &Features) -> f32 {
        1.0 / (1.0 + (-self.log_odds(x)).exp())
    }

    /// Each feature's part in the log-odds of `x`, bias first, in [`NAMES`] order.
    pub fn contributions(&self, x: &Features) -> impl Iterator<Item = Contribution> + '_ {
        let x = *x;
        std::iter::once(Contribution { signal: "bias", weight: self.bias })
            .chain((0..N).map(move |k| Contribution { signal: NAMES[k], weight: self.weights[k] * x[k] }))
    }
}

/// The context features of every candidate: `items` are (paragraph index, signals, first
/// score) in page order, `in_main[k]` whether candidate `k` is inside a main-content run.
pub fn features(
    paragraphs: &[Paragraph],
    items: &[(usize, Signals, f32)],
    in_main: &[bool],
) -> Vec<Features> {
    let n = items.len();
    if n == 0 {
        return Vec::new();
    }
    // Distance in candidates to the nearest main run, from both sides.
    let mut dist = vec![usize::MAX; n];
    let mut last = None;
    for k in 0..n {
        if in_main[k] {
            last = Some(k);
        }
        if let Some(l) = last {
            dist[k] = k - l;
        }
    }
    last = None;
    for k in (0..n).rev() {
        if in_main[k] {
            last = Some(k);
        }
        if let Some(l) = last {
            dist[k] = dist[k].min(l - k);
        }
    }
    let first_main = in_main.iter().position(|&m| m).unwrap_or(n);
    let total_words: f32 = items.iter().map(|(_, s, _)| s.words as f32).sum();
    let main_words: f32 =
        items.iter().zip(in_main).filter(|(_, m)| **m).map(|((_, s, _), _)| s.words as f32).sum();
    let main_share = if total_words > 0.0 { main_words / total_words } else { 0.0 };
    let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
    let keys: Vec<u64> = items
        .iter()
        .map(|(i, ..)| {
            let key = xxhash_rust::xxh3::xxh3_64(paragraphs[*i].text.as_bytes());
            *seen.entry(key).or_default() += 1;
            key
        })
        .collect();
    let mean = |r: std::ops::Range<usize>| -> f32 {
        let len = r.len();
        if len == 0 { 0.0 } else { r.map(|j| items[j].2).sum::<f32>() / len as f32 }
    };
    (0..n)
        .map(|k| {
            let (i, s, p) = &items[k];
            let text = &paragraphs[*i].text;
            let main = in_main[k] as u8 as f32;
            let score = (p / (1.0 - p).max(1e-6)).max(1e-6).ln().clamp(-8.0, 8.0);
            let length = (s.words as f32 + 1.0).ln();
            let non_space = text.bytes().filter(|b| !b.is_ascii_whitespace()).count().max(1);
            let digits = text.bytes().filter(u8::is_ascii_digit).count();
            let block = paragraphs[*i].features.block;
            [
                score,
                main,
                if dist[k] == usize::MAX { (n as f32 + 1.0).ln() } else { (dist[k] as f32 + 1.0).ln() },
                (k < first_main) as u8 as f32 * p,
                mean(k.saturating_sub(2)..k) * p,
                mean(k + 1..(k + 3).min(n)) * p,
                if n > 1 { k as f32 / (n - 1) as f32 } else { 0.0 },
                length,
                s.ends_sentence as u8 as f32,
                s.link_share,
                (block == Block::Heading) as u8 as f32,
                (block == Block::ListItem) as u8 as f32,
                (seen[&keys[k]] > 1) as u8 as f32,
                digits as f32 / non_space as f32,
                main_share,
                (1.0 - main) * length,
                main * score,
                s.title_case,
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(text: &str, block: Block) -> Paragraph {
        Paragraph {
            text: text.to_string(),
            span: crate::model::Span { start: 0, end: text.len() },
            features: crate::model::Features {
                block,
                words: text.split_whitespace().count(),
                ..Default::default()
            },
            removal: None,
            fingerprint: None,
        }
    }

    #[test]
    fn features_read_the_paragraph_in_its_page() {
        let ps = [
            para("Menu", Block::ListItem),
            para("Menu", Block::ListItem),
            para("A long paragraph of the article that reads as prose.", Block::Text),
            para("Updated 12 May 2024 10:30", Block::Text),
            para("Read more", Block::Heading),
        ];
        let sg = |words| Signals { words, ..Default::default() };
        let items: Vec<(usize, Signals, f32)> =
            vec![(0, sg(1), 0.2), (1, sg(1), 0.2), (2, sg(9), 0.9), (3, sg(5), 0.5), (4, sg(2), 0.1)];
        let x = features(&ps, &items, &[false, false, true, false, false]);
        let f = |k: usize, name: &str| x[k][NAMES.iter().position(|n| *n == name).unwrap()];
        assert_eq!(f(2, "main"), 1.0);
        assert_eq!(f(0, "distance"), 3f32.ln());
        assert_eq!(f(4, "distance"), 3f32.ln());
        assert_eq!((f(0, "above"), f(4, "above")), (0.2, 0.0));
        // The two before candidate 3 scored 0.2 and 0.9; it scored 0.5.
        assert!((f(3, "prev") - 0.55 * 0.5).abs() < 1e-6);
        assert_eq!(f(4, "next"), 0.0, "nothing after the last");
        assert_eq!((f(0, "repeated"), f(2, "repeated")), (1.0, 0.0));
        assert_eq!((f(0, "list"), f(4, "heading")), (1.0, 1.0));
        assert!((f(3, "digits") - 10.0 / 21.0).abs() < 1e-6);
        assert!((f(2, "main-share") - 9.0 / 18.0).abs() < 1e-6);
        assert_eq!((f(0, "position"), f(4, "position")), (0.0, 1.0));
        assert_eq!(f(2, "outside-length"), 0.0);
        assert_eq!(f(0, "main-score"), 0.0);
    }

    #[test]
    fn the_shipped_model_parses_and_names_every_feature() {
        let m = Model::builtin();
        assert!(m.weights.iter().any(|w| *w != 0.0));
    }

    #[test]
    fn a_model_file_with_a_missing_unknown_or_repeated_weight_is_refused() {
        let mut full = String::from("bias 0.5\n");
        for n in NAMES {
            full.push_str(&format!("{n} 1.0 # comment\n"));
        }
        let m = Model::parse(&full).unwrap();
        assert_eq!(m.bias, 0.5);
        assert_eq!(m.log_odds(&[1.0; N]), 0.5 + N as f32);
        let e = Model::parse("bias 1\n").unwrap_err();
        assert!(e.contains("no weight for score"), "{e}");
        let e = Model::parse(&format!("{full}score 2\n")).unwrap_err();
        assert!(e.contains("`score` is given twice"), "{e}");
        let e = Model::parse(&format!("{full}colour 2\n")).unwrap_err();
        assert!(e.contains("unknown feature `colour`"), "{e}");
        let e = Model::parse("bias x\n").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }
}
