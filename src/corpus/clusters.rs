//! Clusters of near-duplicate documents, built by the dedup barrier (union-find over every
//! document-level match, in input order) and resolved once the corpus is complete: which member
//! is canonical under `dedup.document.canonical`.

use crate::model::DocId;
use crate::stages::dedup::CanonicalPolicy;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the policies compare, for one document that takes part in document dedup.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Facts {
    /// `YYYY-MM-DD`, when known (measured for `earliest` only).
    pub published: Option<String>,
    /// Characters of the cleaned body (measured for `longest` only).
    pub length: usize,
    /// Paragraphs of the cleaned body.
    pub paragraphs: usize,
}

/// One document in a cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Member {
    id: DocId,
    facts: Facts,
    /// Distance and similarity to the earlier member it matched.
    matched: Option<(u32, f32)>,
}

/// Documents by input order, joined into clusters as they match.
#[derive(Debug, Default)]
pub struct Clusters {
    members: Vec<Member>,
    parent: Vec<u32>,
    index: HashMap<DocId, u32>,
}

/// A cluster whose canonical copy is not its first member.
#[derive(Debug, Clone, PartialEq)]
pub struct Swap {
    /// The first member, which streamed out as the kept copy.
    pub first: DocId,
    /// The member the policy chose instead.
    pub canonical: DocId,
    /// Its body's SimHash distance to `first`.
    pub distance: u32,
    /// Its body's estimated similarity to `first`.
    pub similarity: f32,
    /// Change in kept paragraphs (canonical's minus first's).
    pub paragraphs_delta: i64,
}

/// The clusters' canonical copies, as far as they differ from the first member.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// The policy it was made under.
    pub policy: CanonicalPolicy,
    /// In input order of the clusters' first members.
    pub swaps: Vec<Swap>,
    /// Position in `swaps` by first member, and by canonical member.
    by_first: HashMap<DocId, usize>,
    by_canonical: HashMap<DocId, usize>,
}

impl Resolution {
    /// The resolution with these swaps (a sharded run reads it back from the global phase).
    pub fn new(policy: CanonicalPolicy, swaps: Vec<Swap>) -> Self {
        let by_first = swaps.iter().enumerate().map(|(i, s)| (s.first.clone(), i)).collect();
        let by_canonical = swaps.iter().enumerate().map(|(i, s)| (s.canonical.clone(), i)).collect();
        Resolution { policy, swaps, by_first, by_canonical }
    }

    /// The swap of the cluster whose first member is `id`.
    pub fn of_first(&self, id: &DocId) -> Option<&Swap> {
        self.by_first.get(id).map(|&i| &self.swaps[i])
    }

    /// The swap that makes `id` its cluster's canonical copy.
    pub fn of_canonical(&self, id: &DocId) -> Option<&Swap> {
        self.by_canonical.get(id).map(|&i| &self.swaps[i])
    }
}

/// The clusters as the corpus state saves them: members and parents in input order.
#[derive(Debug, Serialize, Deserialize)]
pub struct Snapshot {
    members: Vec<Member>,
    parent: Vec<u32>,
}

impl Clusters {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Nothing added yet.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// What the corpus state saves.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { members: self.members.clone(), parent: self.parent.clone() }
    }

    /// The clusters of the first `len` members of a snapshot. A member's parent is never a later
    /// member (the root of a cluster is its first member), so the prefix is complete.
    pub fn restore(s: Snapshot, len: usize) -> Self {
        let Snapshot { mut members, mut parent } = s;
        members.truncate(len);
        parent.truncate(len);
        let mut index = HashMap::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            index.entry(m.id.clone()).or_insert(i as u32);
        }
        Clusters { members, parent, index }
    }

    /// A document that stays (so far): a cluster of its own.
    pub fn add(&mut self, id: DocId, facts: Facts) {
        self.push(Member { id, facts, matched: None });
    }

    /// A document that matched the earlier document `of` (which must have been added).
    pub fn add_duplicate(&mut self, id: DocId, facts: Facts, of: &DocId, distance: u32, similarity: f32) {
        let of = self.index[of];
        let me = self.push(Member { id, facts, matched: Some((distance, similarity)) });
        self.union(of, me);
    }

    fn push(&mut self, m: Member) -> u32 {
        let i = self.members.len() as u32;
        self.index.entry(m.id.clone()).or_insert(i);
        self.members.push(m);
        self.parent.push(i);
        i
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Join two clusters; the root stays the member seen first, so it is the first member.
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (keep, join) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[join as usize] = keep;
    }

    /// The canonical member of every cluster under `policy`, ties to the smallest id.
    pub fn resolve(&mut self, policy: CanonicalPolicy) -> Resolution {
        if policy == CanonicalPolicy::First {
            return Resolution::new(policy, Vec::new());
        }
        let mut best: HashMap<u32, u32> = HashMap::new(); // root -> best member so far
        for i in 0..self.members.len() as u32 {
            let root = self.find(i);
            if root == i {
                continue;
            }
            let current = *best.get(&root).unwrap_or(&root);
            if self.better(policy, i, current) {
                best.insert(root, i);
            }
        }
        let mut roots: Vec<u32> = best.keys().copied().collect();
        roots.sort_unstable();
        let swaps = roots
            .into_iter()
            .map(|root| {
                let (first, chosen) = (&self.members[root as usize], &self.members[best[&root] as usize]);
                // Members match the cluster's first member directly (only kept documents are
                // matched against), so the chosen one's match is the pair's distance.
                let (distance, similarity) = chosen.matched.unwrap_or((0, 1.0));
                Swap {
                    first: first.id.clone(),
                    canonical: chosen.id.clone(),
                    distance,
                    similarity,
                    paragraphs_delta: chosen.facts.paragraphs as i64 - first.facts.paragraphs as i64,
                }
            })
            .collect();
        Resolution::new(policy, swaps)
    }

    /// Is member `a` a better canonical copy than member `b`?
    fn better(&self, policy: CanonicalPolicy, a: u32, b: u32) -> bool {
        let (x, y) = (&self.members[a as usize], &self.members[b as usize]);
        let by_policy = match policy {
            CanonicalPolicy::First => a.cmp(&b),
            // A date sorts before no date.
            CanonicalPolicy::Earliest => match (&x.facts.published, &y.facts.published) {
                (Some(p), Some(q)) => p.cmp(q),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
            CanonicalPolicy::Longest => y.facts.length.cmp(&x.facts.length),
        };
        by_policy.then_with(|| x.id.cmp(&y.id)).is_lt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> DocId {
        DocId(s.to_string())
    }

    fn facts(published: Option<&str>, length: usize, paragraphs: usize) -> Facts {
        Facts { published: published.map(str::to_string), length, paragraphs }
    }

    /// a (first) with copies b and c; d alone; e (first) with copy f.
    fn corpus() -> Clusters {
        let mut c = Clusters::default();
        c.add(id("a"), facts(Some("2025-03-02"), 100, 4));
        c.add_duplicate(id("b"), facts(Some("2025-03-01"), 90, 3), &id("a"), 2, 0.9);
        c.add_duplicate(id("c"), facts(None, 140, 5), &id("a"), 4, 0.7);
        c.add(id("d"), facts(Some("2020-01-01"), 500, 9));
        c.add(id("e"), facts(None, 80, 2));
        c.add_duplicate(id("f"), facts(None, 80, 2), &id("e"), 0, 1.0);
        c
    }

    #[test]
    fn first_keeps_every_first_member() {
        assert!(corpus().resolve(CanonicalPolicy::First).swaps.is_empty());
    }

    #[test]
    fn earliest_picks_the_earliest_date_and_a_date_beats_none() {
        let r = corpus().resolve(CanonicalPolicy::Earliest);
        assert_eq!(
            r.swaps,
            vec![Swap {
                first: id("a"),
                canonical: id("b"),
                distance: 2,
                similarity: 0.9,
                paragraphs_delta: -1
            }]
        );
        assert_eq!(r.of_first(&id("a")).map(|s| &s.canonical), Some(&id("b")));
        assert_eq!(r.of_canonical(&id("b")).map(|s| &s.first), Some(&id("a")));
    }

    #[test]
    fn longest_picks_the_longest_body_and_ties_go_to_the_smallest_id() {
        let r = corpus().resolve(CanonicalPolicy::Longest);
        // c is the longest of a, b, c; e and f tie on length and e has the smaller id.
        assert_eq!(r.swaps.len(), 1);
        assert_eq!((&r.swaps[0].first, &r.swaps[0].canonical), (&id("a"), &id("c")));
        assert_eq!(r.swaps[0].paragraphs_delta, 1);
    }

    #[test]
    fn ties_go_to_the_smallest_id_even_against_the_first_member() {
        let mut c = Clusters::default();
        c.add(id("z"), facts(None, 10, 1));
        c.add_duplicate(id("m"), facts(None, 10, 1), &id("z"), 1, 0.95);
        let r = c.resolve(CanonicalPolicy::Longest);
        assert_eq!(r.of_first(&id("z")).map(|s| &s.canonical), Some(&id("m")));
    }
}
