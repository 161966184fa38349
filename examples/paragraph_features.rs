//! The classifier's candidates with their context features, one JSON line each, for fitting the
//! context model (`benches/train_context.py`): every paragraph the rules left on every page of a
//! folder, as `run` sees it with the site knowledge of an existing corpus.
//!
//! Run: `cargo run --release --example paragraph_features -- CONFIG INPUT_DIR CORPUS_DIR > out.jsonl`

use newsprep::input;
use newsprep::settings::{Overrides, Settings};
use newsprep::stages::boilerplate::sites::SiteKnowledge;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, input, corpus] = args.as_slice() else {
        eprintln!("usage: paragraph_features CONFIG INPUT_DIR CORPUS_DIR");
        std::process::exit(2);
    };
    let run = Overrides {
        config: Some(PathBuf::from(config)),
        input: Some(PathBuf::from(input)),
        output: Some(PathBuf::from(corpus)),
        ..Default::default()
    };
    let settings = Settings::resolve(&run).expect("the config loads");
    let knowledge = SiteKnowledge::load(&settings.output).expect("the corpus's site knowledge loads");
    let stages = newsprep::run::Chain::new(&settings, Arc::new(knowledge));
    let inputs = input::discover(&settings.input, &settings.read).expect("the input folder lists");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for input in &inputs {
        let Ok(ex) = stages.explain(input, &settings.dedup) else { continue };
        let Some(c) = &ex.classified else { continue };
        let doc = ex.outcome.doc();
        let page =
            std::path::Path::new(&doc.source.path).file_stem().map(|s| s.to_string_lossy().into_owned());
        for (i, d) in c.decisions.iter().enumerate() {
            let Some(d) = d else { continue };
            let line = serde_json::json!({
                "page": page,
                "i": i,
                "text": doc.paragraphs[i].text,
                "x": d.context.to_vec(),
                "first": d.first,
                "main": d.in_main,
                "keep": d.keep,
                "removed": doc.paragraphs[i].removal.is_some(),
            });
            writeln!(out, "{line}").expect("stdout takes the line");
        }
    }
}
