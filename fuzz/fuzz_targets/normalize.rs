//! Decode any bytes as a raw article, then normalize and split it (markdown stripped, the
//! repository's defaults), then run metadata and boilerplate: no panic, and every paragraph's
//! span lies inside the raw bytes, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsprep::input::InputEncoding;
use newsprep::model::{DocId, Document, SourceInfo};
use newsprep::settings::Settings;
use newsprep::model::Outcome;
use newsprep::stages::boilerplate::sites::SiteKnowledge;
use newsprep::stages::boilerplate::{RuleSet, StripBoilerplate};
use newsprep::stages::metadata::ExtractMetadata;
use newsprep::stages::normalize::Normalize;
use newsprep::input;
use std::sync::{Arc, LazyLock};

struct Stages {
    normalize: Normalize,
    metadata: ExtractMetadata,
    boilerplate: StripBoilerplate,
}

static STAGES: LazyLock<Stages> = LazyLock::new(|| {
    let s = Settings::defaults("raw", "cleaned");
    let rules = Arc::new(RuleSet::new(&s.boilerplate));
    Stages {
        normalize: Normalize::new(&s.normalize),
        metadata: ExtractMetadata::new(&s.metadata, rules.clone()),
        boilerplate: StripBoilerplate::new(&s.boilerplate, rules, Arc::new(SiteKnowledge::default())),
    }
});

fuzz_target!(|data: &[u8]| {
    let len = data.len();
    let Ok(d) = input::decode::decode(data.to_vec(), InputEncoding::Detect) else { return };
    let doc = Document::mapped(DocId("fuzz".into()), SourceInfo::unread("fuzz.txt"), d.text, d.map);
    let s = &*STAGES;
    let o = Outcome::Keep(doc).then(&s.normalize);
    let mut last = 0;
    for p in &o.doc().paragraphs {
        assert!(p.span.start <= p.span.end && p.span.end <= len, "span {:?} of {len} bytes", p.span);
        assert!(p.span.start >= last, "spans in order");
        last = p.span.end;
        if p.is_kept() {
            assert!(!p.text.is_empty());
        }
    }
    let _ = o.then(&s.metadata).then(&s.boilerplate);
});
