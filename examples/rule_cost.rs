//! What each regex rule costs: runs every regex rule of the default rule set over the
//! paragraphs of a folder of text dumps and prints its time and how many paragraphs it matched,
//! without and with its byte gate (`gate.rs`). For people writing rules, to see what a pattern costs.
//!
//! Run: `cargo run --release --example rule_cost -- ../shared/eval/dragnet/input`

use newsprep::settings::Settings;
use newsprep::stages::boilerplate::Matcher;
use newsprep::stages::boilerplate::gate::Gate;
use newsprep::stages::normalize::Normalize;
use std::time::Instant;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: rule_cost DIR");
        std::process::exit(2);
    };
    let settings = Settings::defaults("raw", "cleaned");
    let normalize = Normalize::new(&settings.normalize);
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("DIR is a folder").map(|e| e.unwrap().path()).collect();
    files.sort();
    let paragraphs: Vec<_> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| normalize.paragraphs(&t, &newsprep::model::RawMap::Shift(0)))
        .collect();
    println!("{} paragraphs from {} files", paragraphs.len(), files.len());
    println!("{:<20} {:>10} {:>10} {:>8} {:>8}", "rule", "ms", "gated ms", "tried", "matched");
    for rule in &settings.boilerplate.rules {
        let Matcher::Regex(re) = &rule.matcher else { continue };
        let candidates: Vec<_> = paragraphs.iter().filter(|p| p.features.words <= rule.max_words).collect();
        let start = Instant::now();
        let matched = candidates.iter().filter(|p| re.0.is_match(&p.text)).count();
        let plain = start.elapsed();
        let gate = Gate::new(re.0.as_str());
        let start = Instant::now();
        let gated = candidates.iter().filter(|p| gate.admits(&p.text) && re.0.is_match(&p.text)).count();
        let with_gate = start.elapsed();
        assert_eq!(matched, gated, "the gate of {} turned away a match", rule.id);
        println!(
            "{:<20} {:>10.1} {:>10.1} {:>8} {:>8}",
            rule.id,
            plain.as_secs_f64() * 1e3,
            with_gate.as_secs_f64() * 1e3,
            candidates.len(),
            matched
        );
    }
}
