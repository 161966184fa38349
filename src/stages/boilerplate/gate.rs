//! Part of stage 4, boilerplate: a cheap byte test in front of each regex rule.
//!
//! Most paragraphs match no regex rule, yet every call into the regex engine has a fixed cost
//! that on short lines outweighs the search itself (regex rules were a sixth of the stage in
//! `cargo bench --bench boilerplate`). So each pattern is read once, with `regex-syntax`, for
//! two facts that rule out most paragraphs without running it:
//! - **needed bytes**: a set of bytes of which every match contains at least one
//!   (`\d{1,2}:\d{2}` needs `:`; an e-mail pattern needs `@`);
//! - **first bytes**: for a pattern anchored at the start (`^`), the bytes a match can begin
//!   with (`^(?i)copyright` can only begin with `c` or `C`).
//!
//! Both are over-approximations: when the gate says no, the regex could not have matched;
//! when it says yes, the regex decides. A test checks this against the regexes themselves.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A set of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    /// Every byte.
    const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }

    fn insert_range(&mut self, lo: u8, hi: u8) {
        (lo..=hi).for_each(|b| self.insert(b));
    }

    /// Does the set hold byte `b`?
    pub fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }

    fn union(self, o: ByteSet) -> ByteSet {
        ByteSet([self.0[0] | o.0[0], self.0[1] | o.0[1], self.0[2] | o.0[2], self.0[3] | o.0[3]])
    }

    /// How likely a paragraph holds one of these bytes, roughly: the sum of the bytes'
    /// frequencies in running text. Only used to pick the most selective of several sets.
    fn cost(&self) -> f32 {
        (0..=255u8).filter(|&b| self.contains(b)).map(frequency).sum()
    }
}

/// Rough share of a byte in news text (letters by their English frequency).
fn frequency(b: u8) -> f32 {
    const LETTERS: [f32; 26] = [
        8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4, 6.7, 7.5, 1.9, 0.095, 6.0, 6.3,
        9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074,
    ];
    match b {
        b'a'..=b'z' => LETTERS[(b - b'a') as usize] / 100.0 * 0.8,
        b'A'..=b'Z' => LETTERS[(b - b'A') as usize] / 100.0 * 0.08,
        b' ' => 0.17,
        b'0'..=b'9' => 0.004,
        b'.' | b',' => 0.01,
        0x80..=0xFF => 0.003,
        _ => 0.001,
    }
}

/// The gate of one regex rule.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    /// Bytes of which every match contains one.
    needs: Needs,
    /// Every match is at the start and begins with one of these bytes.
    first: Option<ByteSet>,
}

/// Bytes of which every match contains one, in the form that is fastest to look for.
#[derive(Debug, Clone, Default)]
enum Needs {
    /// Nothing known (or a set nearly every paragraph meets).
    #[default]
    Nothing,
    /// One to three bytes: found fastest by `memchr`.
    Few(Vec<u8>),
    /// More: a scan that stops at the first.
    Set(ByteSet),
}

impl Gate {
    /// Read a pattern. A pattern this cannot read gets a gate that lets everything through.
    pub fn new(pattern: &str) -> Gate {
        let Ok(hir) = regex_syntax::parse(pattern) else { return Gate::default() };
        let anchored = hir.properties().look_set_prefix().contains(Look::Start);
        let needs = match needs(&hir) {
            // A set that nearly every paragraph meets is not worth testing.
            Some(set) if set.cost() < 0.5 => {
                let bytes: Vec<u8> = (0..=255u8).filter(|&b| set.contains(b)).collect();
                if bytes.len() <= 3 { Needs::Few(bytes) } else { Needs::Set(set) }
            }
            _ => Needs::Nothing,
        };
        Gate { needs, first: if anchored { first(&hir).map(|(set, _)| set) } else { None } }
    }

    /// Could the regex match `text`?
    pub fn admits(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        if let Some(f) = &self.first
            && !bytes.first().is_some_and(|&b| f.contains(b))
        {
            return false;
        }
        match &self.needs {
            Needs::Nothing => true,
            Needs::Few(few) => match few[..] {
                [a] => memchr::memchr(a, bytes).is_some(),
                [a, b] => memchr::memchr2(a, b, bytes).is_some(),
                [a, b, c] => memchr::memchr3(a, b, c, bytes).is_some(),
                _ => true,
            },
            Needs::Set(set) => bytes.iter().any(|&b| set.contains(b)),
        }
    }
}

/// A set of bytes of which every match of `h` contains one; `None` when there is none (the
/// pattern can match the empty string) or it would be every byte.
fn needs(h: &Hir) -> Option<ByteSet> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(lit) => {
            let mut s = ByteSet::default();
            s.insert(*lit.0.iter().min_by(|a, b| frequency(**a).total_cmp(&frequency(**b)))?);
            Some(s)
        }
        HirKind::Class(c) => Some(lead_bytes(c)).filter(|s| *s != ByteSet::ALL),
        HirKind::Repetition(r) if r.min == 0 => None,
        HirKind::Repetition(r) => needs(&r.sub),
        HirKind::Capture(c) => needs(&c.sub),
        HirKind::Concat(hs) => hs.iter().filter_map(needs).min_by(|a, b| a.cost().total_cmp(&b.cost())),
        HirKind::Alternation(hs) => {
            hs.iter().map(needs).try_fold(ByteSet::default(), |acc, s| Some(acc.union(s?)))
        }
    }
}

/// The bytes a match of `h` can begin with, and whether `h` can match the empty string (then
/// what follows it can begin the match too). `None`: any byte.
fn first(h: &Hir) -> Option<(ByteSet, bool)> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some((ByteSet::default(), true)),
        HirKind::Literal(lit) => {
            let mut s = ByteSet::default();
            s.insert(*lit.0.first()?);
            Some((s, false))
        }
        HirKind::Class(c) => Some((lead_bytes(c), false)),
        HirKind::Repetition(r) => first(&r.sub).map(|(s, empty)| (s, empty || r.min == 0)),
        HirKind::Capture(c) => first(&c.sub),
        HirKind::Concat(hs) => {
            let mut acc = ByteSet::default();
            for h in hs {
                let (s, empty) = first(h)?;
                acc = acc.union(s);
                if !empty {
                    return Some((acc, false));
                }
            }
            Some((acc, true))
        }
        HirKind::Alternation(hs) => hs.iter().try_fold((ByteSet::default(), false), |(acc, e), h| {
            let (s, empty) = first(h)?;
            Some((acc.union(s), e || empty))
        }),
    }
}

/// The first bytes of the UTF-8 encodings of a class's characters (or its bytes). A UTF-8
/// lead byte grows with the code point, so a range maps to the range of its ends' lead bytes.
fn lead_bytes(c: &Class) -> ByteSet {
    let mut s = ByteSet::default();
    match c {
        Class::Unicode(u) => {
            for r in u.iter() {
                let lead = |ch: char| ch.encode_utf8(&mut [0; 4]).as_bytes()[0];
                s.insert_range(lead(r.start()), lead(r.end()));
            }
        }
        Class::Bytes(b) => b.iter().for_each(|r| s.insert_range(r.start(), r.end())),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(pattern: &str, text: &str) -> bool {
        Gate::new(pattern).admits(text)
    }

    #[test]
    fn needed_bytes_turn_away_lines_without_them() {
        assert!(!admits(r"\b\d{1,2}:\d{2}\b", "Posted on Monday by the editor"));
        assert!(admits(r"\b\d{1,2}:\d{2}\b", "Posted at 10:45"));
        assert!(!admits(r"[\w.+-]+@[\w-]+\.[\w.-]+", "Write to the editor"));
        assert!(admits(r"[\w.+-]+@[\w-]+\.[\w.-]+", "Write to news@example.com"));
    }

    #[test]
    fn anchored_patterns_check_the_first_byte() {
        let p = r"(?i)^(?:copyright\b|©|\(c\)\s*\d{4})";
        assert!(!admits(p, "The copyright holder said"));
        assert!(admits(p, "Copyright 2024 The Times"));
        assert!(admits(p, "© 2024 The Times"));
        assert!(admits(p, "(c) 2024 The Times"));
    }

    #[test]
    fn patterns_that_can_match_anywhere_or_empty_admit_everything() {
        assert!(matches!(Gate::new(r"(?i)x*").needs, Needs::Nothing));
        assert!(matches!(Gate::new(r".").needs, Needs::Nothing));
        assert!(matches!(Gate::new(r"a|b*").needs, Needs::Nothing));
        assert!(Gate::new(r"(?:a|b)c").first.is_none(), "not anchored");
    }

    /// The gate never turns away a paragraph its regex matches: every built-in regex rule,
    /// over its own example and a set of real-looking lines, and over each line with its
    /// first character removed.
    #[test]
    fn the_gate_never_turns_away_a_match() {
        let pack = crate::config::builtin_pack();
        let mut lines: Vec<String> = pack.rules.iter().map(|r| r.example.clone()).collect();
        lines.extend(
            [
                "12 comments",
                "Jan 5, 2021 at 10:45 pm Reply",
                "John Smith says:",
                "© 2024 Example Media. All rights reserved.",
                "(Photo: Reuters)",
                "Tags: politics, economy",
                "Jane Doe is a freelance journalist based in Tunis.",
                "Lesen Sie auch: Die Wahl",
                "3 of 12",
                "Contact: news@example.com",
                "Plain body text, nothing to see.",
                "",
            ]
            .map(String::from),
        );
        let more: Vec<String> = lines.iter().filter_map(|l| l.get(1..).map(String::from)).collect();
        lines.extend(more);
        for r in &pack.rules {
            let crate::stages::boilerplate::Matcher::Regex(re) = &r.matcher else { continue };
            let gate = Gate::new(re.0.as_str());
            for l in &lines {
                if re.0.is_match(l) {
                    assert!(gate.admits(l), "rule {} turned away {l:?}", r.id.0);
                }
            }
        }
    }
}
