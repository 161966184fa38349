//! Part of the run: the site-learning pass, the barrier before the per-document stages. It
//! reads and normalizes the batch through the chain (nothing after normalize runs) and feeds
//! each document's short lines to the site counter in corpus order.

use super::chain::Chain;
use super::chunks::{pipelined, total_bytes};
use crate::corpus::sites::{SiteCounter, short_lines};
use crate::error::RunError;
use crate::input::{Input, Unit};
use crate::model::Outcome;
use crate::progress::Reporter;
use crate::stages::boilerplate::SitesSettings;
use crate::stages::boilerplate::sites::{self, SiteKnowledge};
use crate::state::FileState;
use std::collections::HashMap;

/// One file's or record's short lines: its path, place in corpus order, site, and lines.
type Found = (String, u32, String, Vec<(u64, String)>);

/// Count the short paragraphs per site of the files from the cut on (`inputs`, in parallel
/// per chunk, fed to the counter in corpus order; the files an earlier run counted from the
/// cut on, `forget`, first have their old lines taken out) and learn the repeated ones, each
/// from the file that completes its count. Returns the knowledge and each counted file's line
/// keys.
pub(super) fn learn<'f>(
    s: &SitesSettings,
    chain: &Chain,
    counter: &mut SiteCounter,
    forget: impl Iterator<Item = &'f FileState>,
    inputs: &[Input],
    pool: &rayon::ThreadPool,
    reporter: &dyn Reporter,
) -> Result<(SiteKnowledge, HashMap<String, Vec<u64>>), RunError> {
    let mut lines: HashMap<String, Vec<u64>> = HashMap::new();
    if !s.enabled {
        return Ok((SiteKnowledge::default(), lines));
    }
    for f in forget {
        counter.remove(&f.lines);
    }
    let short_lines = |unit: &Unit<'_>| -> Option<Found> {
        let doc = match chain.normalize(chain.read(unit).ok()?) {
            Outcome::Keep(d) => d,
            Outcome::Drop(..) => return None,
        };
        let site = sites::site_of_source(&doc.source).to_string();
        let texts = doc.paragraphs.iter().filter(|p| p.is_kept()).map(|p| p.text.as_str());
        let found = short_lines(&site, texts, s.max_words);
        Some((unit.input().rel.clone(), unit.input().order, site, found))
    };
    reporter.phase("learning site boilerplate", total_bytes(inputs));
    pipelined(pool, chain.units(inputs), short_lines, |found, bytes| {
        for (rel, order, site, l) in found.into_iter().flatten() {
            lines.entry(rel).or_default().extend(l.iter().map(|(k, _)| *k));
            counter.add(&site, l, order);
        }
        reporter.advance(bytes);
        Ok(())
    })?;
    Ok((counter.learn(), lines))
}
